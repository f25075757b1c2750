"""Metrics and maturity: KPI values against targets, KPI history, S&OP maturity levels."""

import dash
from dash import dcc, html

from components.layout import page_header, panel

dash.register_page(__name__, path="/metrics", name="Metrics", title="Metrics · S&OP Studio", order=6)


def layout(**_query):
    return html.Div(
        [
            page_header("Metrics and maturity", "How the process performs against its targets",
                        id="metrics-subtitle"),
            panel("KPIs against targets", dcc.Loading(html.Div(id="metrics-kpis"), type="dot")),
            panel("KPI history", [
                dcc.Dropdown(id="metrics-kpi-choice", clearable=False, style={"maxWidth": "320px"},
                             className="mb-2"),
                dcc.Graph(id="metrics-trend", config={"displaylogo": False}),
            ], subtitle="The KPI recorded at each cycle, with its target band"),
            panel("The S&OP process", dcc.Loading(html.Div(id="metrics-process"), type="dot"),
                  subtitle="The meeting's own measures, per cycle: decisions made on time, action items "
                           "completed, cycle time from data to decision, and the cycle checklist"),
            panel("Lag accuracy and forecast value added", dcc.Loading(html.Div(id="metrics-lag"), type="dot"),
                  subtitle="Plans of earlier cycles against what was sold, 1, 2 and 3 months ahead: statistical "
                           "forecast vs consensus"),
            panel("Targets and planning settings", [
                dcc.Loading(html.Div(id="metrics-settings"), type="dot"),
                html.Div(id="metrics-settings-msg", className="mt-2"),
            ], subtitle="What the KPIs are judged against and what the supply plan weighs; administrators "
                        "change them"),
            panel("S&OP maturity", [
                html.Div("Where is the process today? Choose the level that fits best; the next steps to the "
                         "level above are shown below.", className="panel-sub"),
                dcc.RadioItems(id="metrics-maturity-level", value=3, inline=True, inputClassName="me-1",
                               labelClassName="me-3 fw-bold",
                               options=[{"label": f" Level {n}", "value": n} for n in range(1, 6)]),
                html.Div(id="metrics-maturity", className="mt-3"),
            ]),
        ]
    )
