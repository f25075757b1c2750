"""Step 2 — demand review: statistical forecast and consensus by family and item, adjustments."""

import dash
from dash import dcc, html

from components.layout import page_header, panel

dash.register_page(__name__, path="/demand", name="2 Demand", title="2 Demand · S&OP Studio", order=2)


def layout(item=None, **_query):
    return html.Div(
        [
            dcc.Store(id="demand-focus", data=item),
            page_header("2 · Demand review", "Statistical forecast and consensus (statistical forecast with the "
                        "adjustments applied), units by family and item", id="demand-subtitle"),
            panel("Demand plan", [
                html.Div(
                    [
                        dcc.RadioItems(
                            id="demand-measure",
                            options=[{"label": " Consensus and statistical", "value": "both"},
                                     {"label": " Consensus only", "value": "consensus"}],
                            value="both", inline=True, inputClassName="me-1", labelClassName="me-3",
                        ),
                        dcc.Input(id="demand-search", type="search", placeholder="Find family or item…",
                                  debounce=True, className="form-control form-control-sm",
                                  style={"maxWidth": "240px"}),
                    ],
                    className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-2",
                ),
                dcc.Loading(html.Div(id="demand-grid-box"), type="dot"),
            ], subtitle="Family rows are the sum of their items. Read-only in this release: adjustments come "
                        "with the uploaded data."),
            panel("Family totals", dcc.Loading(dcc.Graph(id="demand-chart", config={"displaylogo": False}),
                                               type="dot")),
            html.Div(
                [
                    html.Div(panel("Adjustments", id="demand-adjustments",
                                   subtitle="In the order they were applied, with the value before and after"),
                             className="col-xl-8 col-12"),
                    html.Div(panel("By owner and type", id="demand-adj-summary"), className="col-xl-4 col-12"),
                ],
                className="row g-3",
            ),
        ]
    )
