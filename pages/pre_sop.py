"""Step 4 — pre-S&OP: demand–supply balance, financial reconciliation, scenarios."""

import dash
from dash import dcc, html

from components.checklist import checklist_panel
from components.layout import page_header, panel

dash.register_page(__name__, path="/pre-sop", name="4 Pre-S&OP", title="4 Pre-S&OP · S&OP Studio", order=4)


def layout(**_query):
    return html.Div(
        [
            page_header("4 · Pre-S&OP", "Balance demand and supply, reconcile the money, compare scenarios",
                        id="presop-subtitle"),
            checklist_panel("pre_sop"),
            dcc.Loading(html.Div(id="presop-summary"), type="dot"),
            panel("Demand–supply balance", id="presop-balance",
                  subtitle="Per family and month: consensus demand, capacity, what the supply plan produces "
                           "and ships"),
            html.Div(
                [
                    html.Div(panel("Financial reconciliation", id="presop-finance",
                                   subtitle="Whole horizon, by family: revenue on units that can ship against "
                                            "unconstrained revenue"), className="col-xxl-7 col-12"),
                    html.Div(panel("Scenarios", id="presop-scenarios",
                                   subtitle="Base plan against consensus demand moved up and down"),
                             className="col-xxl-5 col-12"),
                ],
                className="row g-3",
            ),
        ]
    )
