"""The data-quality log panel of /data: filters, the log as a grid (one row per upload warning or exception,
open or reviewed), and the review form (comment + "Mark reviewed"). Filled by callbacks/data_quality.py."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

import pandas as pd

from components.grids import frame_grid, is_paged, text_col

STATUS_OPTIONS = [{"label": " Open", "value": "open"}, {"label": " Reviewed", "value": "reviewed"},
                  {"label": " All", "value": "all"}]
SOURCE_OPTIONS = [{"label": "Exceptions and upload warnings", "value": "all"},
                  {"label": "Exceptions", "value": "exception"}, {"label": "Upload warnings", "value": "upload"}]


def quality_log_body() -> html.Div:
    return html.Div([
        dcc.Store(id="data-quality-version", data=0),
        html.Div([
            dcc.RadioItems(id="data-quality-status", options=STATUS_OPTIONS, value="open", inline=True,
                           inputClassName="me-1", labelClassName="me-3"),
            dcc.Dropdown(id="data-quality-source", options=SOURCE_OPTIONS, value="all", clearable=False,
                         style={"minWidth": "260px"}),
            dcc.Input(id="data-quality-search", type="search", placeholder="Find an item, family or month",
                      debounce=True, className="form-control form-control-sm", style={"maxWidth": "260px"}),
            html.Span(id="data-quality-count", className="item-meta"),
        ], className="d-flex flex-wrap gap-3 align-items-center mb-2"),
        html.Div(quality_grid(pd.DataFrame()), id="data-quality-table"),
        html.Div([
            dbc.Textarea(id="data-quality-comment", placeholder="Comment: what was found, or why it needs no action",
                         rows=2, maxLength=1000, className="mb-2"),
            dbc.Button([html.I(className="bi bi-check2-circle me-1"), "Mark reviewed"], id="data-quality-review",
                       color="primary", size="sm", n_clicks=0),
            dbc.Button([html.I(className="bi bi-check2-all me-1"), "Mark all shown reviewed"],
                       id="data-quality-review-all", color="secondary", outline=True, size="sm", n_clicks=0,
                       className="ms-2", title="Every open entry the filters show, with this comment"),
            html.Span("Select an open entry in the table (or filter the list), write why it is fine or what will be "
                      "done, and mark it reviewed.", className="item-meta ms-2"),
        ], className="mt-2"),
        html.Div(id="data-quality-msg", className="mt-2"),
    ])


def quality_grid(rows: pd.DataFrame):
    """The log as a grid; a long one (more than grids.PAGED_FROM entries) gets its rows a block at a time, one
    line each (the infinite row model keeps every row the same height), the whole text in a tooltip."""
    paged = is_paged(len(rows))

    def long_text(field: str) -> dict:
        return {"tooltipField": field} if paged else {"wrapText": True, "autoHeight": True}

    cols = [text_col("status", "Status", maxWidth=120,
                     cellClassRules={"cell-status status-warn": "params.value == 'open'",
                                     "cell-status status-good": "params.value == 'reviewed'"}),
            text_col("source_label", "Source", maxWidth=150),
            text_col("message", "Entry", minWidth=320, **long_text("message")),
            text_col("reviewed", "Reviewed", minWidth=160),
            text_col("comment", "Comment", minWidth=200, **long_text("comment"))]
    return frame_grid("data-quality-grid", rows, cols, row_id="row_id", height=380,
                      grid_options={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True}})
