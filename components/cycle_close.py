"""The end of the cycle on screen: "Close cycle and start the next" (5 Meeting) and the month's actuals
upload that starts the next cycle (1 Data). Filled by callbacks/cycle_close.py."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.layout import panel
from components.upload import upload_box


def close_cycle_panel() -> html.Section:
    """On 5 Meeting: closes the cycle once its plan is approved (facilitator or administrator)."""
    return panel("Close the cycle", [
        html.Div([
            dbc.Button([html.I(className="bi bi-calendar-check me-1"), "Close cycle and start the next"],
                       id="meeting-close-cycle", color="dark", outline=True, size="sm", n_clicks=0),
            html.Span(id="meeting-close-status", className="item-meta ms-3"),
        ], className="d-flex align-items-center flex-wrap"),
        dcc.ConfirmDialog(id="meeting-close-confirm", message=""),
        html.Div(id="meeting-close-msg", className="mt-2", role="status"),
    ], subtitle="After the approval: the cycle becomes read only, its open action items carry into the next "
                "cycle and its approved plan becomes the next cycle's “last month”. The next cycle starts when "
                "the month's actuals are uploaded on 1 Data.")


def actuals_panel() -> html.Section:
    """On 1 Data: the closed month's actuals roll the plan forward one month."""
    return panel("Actuals of the month: start the next cycle", [
        html.Div(id="data-actuals-phase", className="mb-2"),
        upload_box("data-actuals-upload", hint="history.csv (or a workbook with a history sheet): item_id, "
                   "period, actual_units for the closed month, one row per item; optionally capacity rows "
                   "for months of the next horizon. A file with any error changes nothing."),
        html.Div([
            dbc.Button([html.I(className="bi bi-download me-1"), "Example actuals"], id="data-actuals-example",
                       color="secondary", outline=True, size="sm", n_clicks=0, className="mt-2"),
            html.Span(" made from last year's month and the recent trend, to try the roll forward",
                      className="item-meta ms-2"),
        ]),
        dcc.Download(id="data-actuals-example-download"),
        dcc.Loading(html.Div(id="data-actuals-report", className="mt-3"), type="dot"),
    ], id="data-actuals")
