"""Executive dashboard: are we on plan, where is the risk, what does it cost. It follows the plan live:
a light poll re-renders the page when the plan, its decisions or its action items change."""

import dash
from dash import dcc, html

from components.layout import page_header, panel
from planning.kpis import kpi_names
from services.dashboard import watched

dash.register_page(__name__, path="/", name="Dashboard", title="Dashboard · S&OP Studio", order=0)

POLL_MS = 3000
TREND_KPIS = kpi_names(history_only=True)  # the registry's order, as callbacks.dashboard.TRENDS
DEMAND_SUB = ("Consensus units of the next three months and the quarter, against last month's approved plan "
              "and last year's actuals")
FINANCE_SUB = "Plan revenue on units that can ship, cost, margin and inventory"
SUPPLY_SUB = ("Every family-month of the next three months, then every constrained or tight month of the "
              "horizon: demand against capacity and how the supply plan closes each gap, in units and money")
NEEDED_SUB = "What the executive meeting must decide this cycle, each linked to its page"
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


def trend_graph(name: str) -> html.Div:
    return html.Div(dcc.Graph(id=f"dash-trend-{name}", config=GRAPH_CONFIG, style={"height": "260px"}),
                    className="col-xxl-3 col-md-6 col-12")


def layout(**_query):
    return html.Div(
        [
            dcc.Interval(id="dash-poll", interval=POLL_MS),
            # what the page shows: the plan state's ids and a digest of the decisions and action items
            dcc.Store(id="dash-rendered"),
            # what it should show, from the start so the render is the page's first callback (then the poll,
            # callbacks.dashboard.watch_dashboard, keeps it current)
            dcc.Store(id="dash-watched", data=watched()),
            page_header("Executive dashboard", id="dash-subtitle",
                        extra=html.Div(id="dash-live", className="page-sub")),
            html.Div(id="dash-kpis", className="kpi-grid"),
            html.Div(
                [
                    html.Div(panel("Demand plan by family", id="dash-demand", subtitle=DEMAND_SUB),
                             className="col-xl-7 col-12"),
                    html.Div(panel("Financial summary", id="dash-finance", subtitle=FINANCE_SUB),
                             className="col-xl-5 col-12"),
                ],
                className="row g-3",
            ),
            html.Div(
                [
                    html.Div(panel("Supply & constraints", id="dash-supply", subtitle=SUPPLY_SUB),
                             className="col-xxl-7 col-12"),
                    html.Div(
                        html.Div(
                            [
                                html.Div(panel("Decisions needed", id="dash-needed", subtitle=NEEDED_SUB),
                                         className="col-xxl-12 col-md-6 col-12"),
                                html.Div(panel("Latest decisions", id="dash-decisions"),
                                         className="col-xxl-12 col-md-6 col-12"),
                                html.Div(panel("Open action items", id="dash-actions"),
                                         className="col-xxl-12 col-md-6 col-12"),
                            ],
                            className="row g-3",
                        ),
                        className="col-xxl-5 col-12",
                    ),
                ],
                className="row g-3",
            ),
            panel("KPI trends", html.Div([trend_graph(n) for n in TREND_KPIS], className="row g-2"),
                  subtitle="Month by month over the last 12 history months, by the same rules as the cards; "
                           "the shaded band is the target"),
        ]
    )
