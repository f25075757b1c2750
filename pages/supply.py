"""Step 3 — supply review: capacity (editable, audited), gaps, utilization, the least-cost supply plan,
inventory projection."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.checklist import checklist_panel
from components.grids import grid, is_paged, money_col, num_col, paged_grid, status_col, text_col
from components.layout import page_header, panel
from services import plan_service

dash.register_page(__name__, path="/supply", name="3 Supply", title="3 Supply · S&OP Studio", order=3)

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
INVENTORY_HELP = ("Ending inventory = opening + supply − shipped demand; safety stock = average daily "
                  "demand × safety days; target = safety stock + cycle stock")
EDIT_HELP = ("Type 1200 to set a month, +10% or −5% to scale it, +200 or −200 to add; Enter saves. "
             "Every change is stored with its reason, who made it and the value before and after.")


def capacity_toolbar() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label("Reason for the next change", html_for="supply-reason",
                              className="small fw-bold mb-1"),
                    dbc.Input(id="supply-reason", type="text", debounce=True, maxLength=300, size="sm",
                              placeholder="e.g. third shift agreed from March (empty: “no reason given”)"),
                    html.Div(id="supply-reason-echo", className="form-text"),
                ],
                className="flex-grow-1", style={"minWidth": "260px", "maxWidth": "640px"},
            ),
            html.Div(
                [
                    dbc.Button([html.I(className="bi bi-arrow-counterclockwise me-1"), "Undo"],
                               id="supply-undo", n_clicks=0, color="secondary", outline=True, size="sm",
                               title="Undo the plan's last change when it is a capacity change"),
                    dbc.Button([html.I(className="bi bi-arrow-clockwise me-1"), "Redo"], id="supply-redo",
                               n_clicks=0, color="secondary", outline=True, size="sm",
                               title="Redo the capacity change undone last"),
                ],
                className="d-flex gap-2 align-self-end", style={"paddingBottom": "1.6rem"},
            ),
        ],
        className="d-flex flex-wrap gap-3 align-items-start mb-2",
    )


def editable_grid() -> html.Div:
    return grid(
        "supply-capacity-grid", [], [], row_id="id",
        grid_options={
            "enterNavigatesVertically": True,
            "enterNavigatesVerticallyAfterEdit": True,
            "stopEditingWhenCellsLoseFocus": True,
            "suppressColumnVirtualisation": True,
        },
        height=480, keep_height=True,  # render_supply sizes it to its rows (callbacks.supply.grid_height)
    )


def plan_grid(n_rows: int = 0) -> html.Div:
    """The supply plan grid, mounted once; callbacks send its rows (id family|period), or, for a plan of more
    than grids.PAGED_FROM family-months, the server sends the rows in view (callbacks.supply)."""
    cols = [text_col("family", "Family", pinned="left", minWidth=120),
            text_col("period", "Month", minWidth=95),
            num_col("demand", "Demand"), num_col("regular", "Regular"), num_col("overtime", "Overtime"),
            num_col("outsource", "Outsource", minWidth=110), num_col("inventory_end", "Inventory end"),
            num_col("lost_sales", "Lost sales"), num_col("shipped", "Shipped"), money_col("cost", "Cost"),
            status_col("status"), text_col("solution", "How the gap is closed", minWidth=280)]
    if is_paged(n_rows):
        return paged_grid("supply-plan-grid", n_rows, cols, row_id="key", height=420)
    g = grid("supply-plan-grid", [], cols, row_id="key")
    g.dashGridOptions.pop("domLayout", None)  # a fixed height that scrolls: the plan has a row per month
    g.style = {"width": "100%", "height": "420px"}
    return g


def layout(**_query):
    families = plan_service.plan_families()
    return html.Div(
        [
            dcc.Store(id="supply-grid-key"),  # the plan state (ids) the two grids show
            dcc.Store(id="supply-scroll-sync"),  # output of the grids' scroll sync (stays empty)
            page_header("3 · Supply review", "Capacity against consensus demand, and the least-cost way to "
                        "close the gaps", id="supply-subtitle"),
            checklist_panel("supply"),
            panel("Capacity",
                  [capacity_toolbar(), html.Div(id="supply-edit-msg", role="status"), editable_grid()],
                  subtitle=EDIT_HELP),
            panel("Gap by family and month",
                  grid("supply-gap-grid", [], [], row_id="id", height=480, keep_height=True,
                       grid_options={"suppressColumnVirtualisation": True}),
                  subtitle="Gap = capacity − demand in units; red where demand exceeds capacity "
                           "(CONSTRAINED), amber above the utilization target (TIGHT). Hover a month for "
                           "demand and capacity."),
            panel("Capacity utilization", dcc.Graph(id="supply-heatmap", config=GRAPH_CONFIG),
                  subtitle="Demand / capacity. Green up to the utilization target, amber up to 100 %, "
                           "red above."),
            html.Div(
                [
                    html.Div(panel("Inventory projection", [
                        html.Div([
                            dbc.Label("Family", html_for="supply-inventory-family",
                                      className="small fw-bold mb-0"),
                            # the first family chosen from the start (callbacks.supply.render_supply)
                            dcc.Dropdown(families, families[0] if families else None,
                                         id="supply-inventory-family", clearable=False, searchable=False,
                                         style={"minWidth": "220px"}),
                        ], className="d-flex align-items-center gap-2 mb-1"),
                        dcc.Graph(id="supply-inventory-chart", config=GRAPH_CONFIG),
                    ], subtitle=INVENTORY_HELP),
                        className="col-12"),
                    html.Div(panel("Cost by option", id="supply-options",
                                   subtitle="The optimized plan against each option used alone (with lost sales "
                                            "for what it cannot cover): its units, its cost by option, whether it "
                                            "closes the gap and why. Regular production is free in the model."),
                             className="col-12"),
                ],
                className="row g-3",
            ),
            panel("Supply plan", plan_grid(plan_service.supply_plan_rows()),
                  subtitle="Optimized over the whole horizon (linear programme): regular production, "
                           "overtime, outsourcing, building ahead, lost sales"),
            panel("Capacity changes", id="supply-audit",
                  subtitle="The latest changes of this plan, newest first (undone ones are marked)"),
        ]
    )
