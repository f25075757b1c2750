"""Executive dashboard: are we on plan, where is the risk, what does it cost."""

import dash
from dash import dcc, html

from components.layout import page_header, panel

dash.register_page(__name__, path="/", name="Dashboard", title="Dashboard · S&OP Studio", order=0)


def layout(**_query):
    return html.Div(
        [
            page_header("Executive dashboard", id="dash-subtitle"),
            dcc.Loading(html.Div(id="dash-kpis", className="kpi-grid"), type="dot", delay_show=300),
            html.Div(
                [
                    html.Div(panel("Demand plan by family", id="dash-demand",
                                   subtitle="Consensus units, next three months and the quarter"),
                             className="col-xl-6 col-12"),
                    html.Div(panel("Financial summary", id="dash-finance",
                                   subtitle="Plan revenue on units that can ship, cost and inventory"),
                             className="col-xl-6 col-12"),
                ],
                className="row g-3",
            ),
            panel("Supply & constraints", id="dash-supply",
                  subtitle="Next three months: demand against capacity and how the supply plan closes the gap"),
            html.Div(
                [
                    html.Div(panel("Latest decisions", id="dash-decisions"), className="col-lg-6 col-12"),
                    html.Div(panel("Open action items", id="dash-actions"), className="col-lg-6 col-12"),
                ],
                className="row g-3",
            ),
        ]
    )
