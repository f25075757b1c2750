"""Metrics and maturity: KPI values against targets, KPI history, S&OP maturity levels."""

import dash
from dash import dcc, html

from components.layout import page_header, panel
from components.settings_form import save_bar
from planning.kpis import REGISTRY, kpi_names

dash.register_page(__name__, path="/metrics", name="Metrics", title="Metrics · S&OP Studio", order=6)


def layout(**_query):
    return html.Div(
        [
            page_header("Metrics and maturity", "How the process performs against its targets",
                        id="metrics-subtitle"),
            panel("KPIs against targets", dcc.Loading(html.Div(id="metrics-kpis"), type="dot")),
            panel("KPI history", [
                # the first KPI chosen from the start, so its history is drawn with the page's first callbacks
                # (with options: a value not among its options the dropdown clears, and the chart is drawn twice)
                dcc.Dropdown([{"label": REGISTRY[n].label, "value": n} for n in kpi_names()], kpi_names()[0],
                             id="metrics-kpi-choice", clearable=False,
                             style={"maxWidth": "320px"},
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
                save_bar(),
                html.Div(id="metrics-settings-msg", className="mt-2"),
                dcc.Store(id="metrics-settings-state"),  # the app state after a save (callbacks/settings.py)
            ], subtitle="What the KPIs are judged against and what the supply plan weighs; administrators "
                        "change them"),
            panel("S&OP maturity", [
                html.Div(id="metrics-maturity", className="mb-2"),
                dcc.Link("The company profile (the initial assessment) →", href="/profile", className="small"),
                html.Div([
                    html.Div(dcc.Graph(id="metrics-maturity-radar", config={"displaylogo": False}),
                             className="col-lg-6"),
                    html.Div([html.Div(id="metrics-next-steps", className="mb-3"),
                              html.Div(id="metrics-maturity-progress")], className="col-lg-6"),
                ], className="row g-3"),
                html.Details([
                    html.Summary("Answer the assessment for this cycle", className="fw-bold"),
                    html.Div("For each statement: is it true of the process today? Where the product has the "
                             "evidence it proposes an answer and says why; confirm it or choose another.",
                             className="panel-sub mt-2"),
                    html.Div(id="metrics-maturity-form"),
                    html.Button("Save the assessment", id="metrics-maturity-save", n_clicks=0,
                                className="btn btn-primary mt-2"),
                    html.Div(id="metrics-maturity-msg", className="mt-2"),
                ], id="metrics-maturity-details", open=True, className="mt-3"),
                dcc.Store(id="metrics-maturity-saved", data=0),
            ], subtitle="Five levels from reactive to best in class, assessed each cycle per dimension; "
                        "facilitators and administrators answer"),
        ]
    )
