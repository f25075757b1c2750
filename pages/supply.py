"""Step 3 — supply review: capacity against demand, utilization, the least-cost supply plan."""

import dash
from dash import dcc, html

from components.layout import page_header, panel

dash.register_page(__name__, path="/supply", name="3 Supply", title="3 Supply · S&OP Studio", order=3)


def layout(**_query):
    return html.Div(
        [
            page_header("3 · Supply review", "Capacity against consensus demand, and the least-cost way to "
                        "close the gaps", id="supply-subtitle"),
            panel("Gap by family and month", dcc.Loading(html.Div(id="supply-gap-box"), type="dot"),
                  subtitle="Gap = capacity − demand (negative = short). Status: CONSTRAINED above 100 % "
                           "utilization, TIGHT above the target band, OK otherwise."),
            panel("Capacity utilization", dcc.Loading(dcc.Graph(id="supply-heatmap", config={"displaylogo": False}),
                                                      type="dot")),
            panel("Supply plan", id="supply-plan",
                  subtitle="Optimized over the whole horizon (linear programme): regular production, overtime, "
                           "outsourcing, building ahead, lost sales"),
            html.Div(
                [
                    html.Div(panel("Cost by option", id="supply-options",
                                   subtitle="The optimized plan against each option used alone"),
                             className="col-xl-5 col-12"),
                    html.Div(panel("Inventory projection",
                                   dcc.Loading(dcc.Graph(id="supply-inventory-chart", config={"displaylogo": False}),
                                               type="dot")),
                             className="col-xl-7 col-12"),
                ],
                className="row g-3",
            ),
        ]
    )
