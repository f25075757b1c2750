"""Step 2 — demand review: the consensus by family and item, edited like a spreadsheet, with the audit trail,
the summary of adjustments, the family chart and the assumptions of the cycle."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.checklist import checklist_panel
from components.demand_grid import assumptions_grid, audit_grid, demand_grid
from components.layout import page_header, panel
from services import plan_service

dash.register_page(__name__, path="/demand", name="2 Demand", title="2 Demand · S&OP Studio", order=2)

CATEGORY_OPTIONS = [
    {"label": c.capitalize(), "value": c} for c in ("promotion", "market", "competitive", "economic", "other")
]
IMPACT_OPTIONS = [{"label": c.capitalize(), "value": c} for c in ("low", "medium", "high")]
TYPE_OPTIONS = [
    {"label": "Percentage", "value": "percentage"},
    {"label": "Additive", "value": "additive"},
    {"label": "Absolute", "value": "absolute"},
]


def plan_workbook():
    """The plan workbook card (export / import of the plan as .xlsx), when that component is installed."""
    try:
        from components.plan_workbook import plan_workbook_card
    except ImportError:
        return None
    return plan_workbook_card()


def typing_rules() -> html.Div:
    return html.Div(
        [
            html.I(className="bi bi-keyboard me-1"),
            "Type in a month: ",
            html.Code("1200"),
            " sets the value, ",
            html.Code("+10%"),
            " / ",
            html.Code("-5%"),
            " scales it, ",
            html.Code("+200"),
            " / ",
            html.Code("-200"),
            " adds or removes units. A family change is spread over its items in proportion to their values; "
            "an item change adds up into its family. Paste a block from Excel with Ctrl+V; Ctrl+Z / Ctrl+Y "
            "undo and redo. Hover a cell for the statistical forecast and the difference; ",
            html.Span("◥", style={"color": "#8e44ad"}),
            " marks adjusted cells.",
        ],
        className="demand-rules",
        id="demand-rules",
    )


def toolbar(search: str | None) -> html.Div:
    btn = {"size": "sm", "color": "primary", "outline": True}
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label("Reason for your next changes", html_for="demand-reason"),
                    dbc.Input(
                        id="demand-reason",
                        type="text",
                        size="sm",
                        maxLength=300,
                        debounce=False,
                        placeholder="Reason (recorded as “no reason given” when left empty)",
                        style={"width": "320px"},
                    ),
                ]
            ),
            dbc.ButtonGroup(
                [
                    dbc.Button(
                        [html.I(className="bi bi-arrow-counterclockwise me-1"), "Undo"],
                        id="demand-undo",
                        title="Undo the last change (Ctrl+Z)",
                        **btn,
                    ),
                    dbc.Button(
                        [html.I(className="bi bi-arrow-clockwise me-1"), "Redo"],
                        id="demand-redo",
                        title="Redo the last undone change (Ctrl+Y)",
                        **btn,
                    ),
                    dbc.Button(
                        [html.I(className="bi bi-arrow-bar-right me-1"), "Fill right"],
                        id="demand-fill-right",
                        title="Copy the selected cell to the later months of its row, as one change",
                        **btn,
                    ),
                ]
            ),
            dbc.ButtonGroup(
                [
                    dbc.Button("Expand all", id="demand-expand-all", **btn),
                    dbc.Button("Collapse all", id="demand-collapse-all", **btn),
                ]
            ),
            dbc.Switch(
                id="demand-show-stat",
                label="Statistical and difference rows",
                value=False,
                className="mb-1 ms-1",
            ),
            html.Div(
                [
                    dbc.Label("Find", html_for="demand-search", className="visually-hidden"),
                    dcc.Input(
                        id="demand-search",
                        type="search",
                        placeholder="Find family or item…",
                        value=search,
                        debounce=0.4,
                        className="form-control form-control-sm",
                        style={"width": "220px"},
                    ),
                ],
                className="ms-auto",
            ),
        ],
        className="demand-toolbar",
    )


def audit_filters() -> html.Div:
    def dd(id_, placeholder, options=None):
        return html.Div(
            dcc.Dropdown(id=id_, options=options or [], placeholder=placeholder, clearable=True),
            style={"minWidth": "190px"},
        )

    return html.Div(
        [
            dd("demand-audit-family", "All families"),
            dd("demand-audit-owner", "All owners"),
            dd("demand-audit-type", "All types", TYPE_OPTIONS),
            html.Div(id="demand-audit-count", className="text-muted small ms-auto align-self-center"),
        ],
        className="d-flex flex-wrap gap-2 mb-2",
    )


def assumptions_panel() -> html.Section:
    form = html.Div(
        [
            dbc.Label("Assumption", html_for="demand-assumption-text"),
            dbc.Textarea(
                id="demand-assumption-text",
                rows=3,
                maxLength=1000,
                placeholder="e.g. Retailer promotion in March lifts Outdoor by 10 %",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            dbc.Label("Category", html_for="demand-assumption-category"),
                            dcc.Dropdown(
                                id="demand-assumption-category",
                                options=CATEGORY_OPTIONS,
                                placeholder="Category",
                                clearable=False,
                            ),
                        ],
                        style={"flex": "1"},
                    ),
                    html.Div(
                        [
                            dbc.Label("Impact", html_for="demand-assumption-impact"),
                            dcc.Dropdown(
                                id="demand-assumption-impact",
                                options=IMPACT_OPTIONS,
                                placeholder="Impact",
                                clearable=False,
                            ),
                        ],
                        style={"flex": "1"},
                    ),
                ],
                className="d-flex gap-2 mt-2",
            ),
            html.Div(
                [
                    dbc.Button(
                        [html.I(className="bi bi-plus-lg me-1"), "Add"],
                        id="demand-assumption-add",
                        color="primary",
                        size="sm",
                    ),
                    dbc.Button(
                        "Save changes",
                        id="demand-assumption-save",
                        color="secondary",
                        outline=True,
                        size="sm",
                        disabled=True,
                        title="Select an assumption in the table, edit, save",
                    ),
                    dbc.Button(
                        [html.I(className="bi bi-trash me-1"), "Delete"],
                        id="demand-assumption-delete",
                        color="secondary",
                        outline=True,
                        size="sm",
                        disabled=True,
                    ),
                ],
                className="d-flex gap-2 mt-2",
            ),
            html.Div(id="demand-assumption-msg", className="mt-2"),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Delete assumption")),
                    dbc.ModalBody(id="demand-assumption-confirm-text"),
                    dbc.ModalFooter(
                        [
                            dbc.Button(
                                "Cancel", id="demand-assumption-delete-no", color="secondary", outline=True
                            ),
                            dbc.Button("Delete", id="demand-assumption-delete-yes", color="danger"),
                        ]
                    ),
                ],
                id="demand-assumption-confirm",
                is_open=False,
                centered=True,
            ),
        ]
    )
    return panel(
        "Assumptions",
        html.Div(
            [
                html.Div(assumptions_grid(), className="col-lg-7 col-12"),
                html.Div(form, className="col-lg-5 col-12"),
            ],
            className="row g-3",
        ),
        subtitle="What this cycle's demand plan assumes: select a row to edit or delete it",
    )


def layout(item=None, **_query):
    workbook = plan_workbook()
    # the chart's family chosen from the start, so the chart is drawn with the page's first callbacks
    families = plan_service.plan_families()
    return html.Div(
        [
            dcc.Store(id="demand-grid-rev"),
            dcc.Store(id="demand-action"),
            dcc.Store(id="demand-ack"),
            dcc.Store(id="demand-js-sink"),
            page_header("2 · Demand review", "", id="demand-subtitle"),
            checklist_panel("demand"),
            html.Div(id="demand-kpis", className="demand-kpis"),
            panel(
                "Demand plan: consensus by family and item",
                [
                    typing_rules(),
                    toolbar(item),
                    html.Div(id="demand-load-error"),
                    html.Div(id="demand-message", **{"aria-live": "polite"}),
                    html.Div(
                        "Saving…", id="demand-saving", className="demand-saving text-muted small d-none"
                    ),
                    demand_grid(),
                ],
            ),
            html.Div(
                [
                    html.Div(
                        panel(
                            "Consensus, statistical forecast and last year",
                            [
                                html.Div(
                                    dcc.Dropdown(
                                        families, families[0] if families else None,
                                        id="demand-chart-family", placeholder="Family", clearable=False
                                    ),
                                    style={"maxWidth": "280px"},
                                    className="mb-2",
                                ),
                                dcc.Graph(id="demand-family-chart", config={"displaylogo": False}),
                            ],
                            subtitle="Choose a family here or click its row in the grid",
                        ),
                        className="col-xl-8 col-12",
                    ),
                    html.Div(
                        panel(
                            "Adjustments by owner and type",
                            id="demand-summary",
                            subtitle="Adjustments in the plan; net change = units they add",
                        ),
                        className="col-xl-4 col-12",
                    ),
                ],
                className="row g-3",
            ),
            panel(
                "Audit trail",
                [audit_filters(), audit_grid()],
                subtitle="Every demand adjustment with who made it, when, why, and the value before and "
                "after (the family total for a family change); undone changes stay listed, struck through",
            ),
            html.Div(
                [
                    html.Div(assumptions_panel(), className="col-xxl-8 col-12" if workbook else "col-12"),
                    html.Div(workbook, className="col-xxl-4 col-12") if workbook else None,
                ],
                className="row g-3",
            ),
        ]
    )
