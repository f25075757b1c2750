"""The plan workbook card: download the plan as a formatted .xlsx, upload an edited copy, review every change
before it is stored (ids `workbook-*`; callbacks in callbacks/plan_workbook.py).

Used on /data and /demand (one page at a time, so the ids never meet). The browser keeps only a token of
the uploaded copy; the changes themselves wait on the server until they are accepted or discarded.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import formats
from components.layout import Col, outcome, panel, summary_table

HIDDEN = {"display": "none"}
SHOWN = {"display": "flex"}


def plan_workbook_card(title: str = "Plan workbook (Excel)") -> html.Section:
    upload = dcc.Upload(
        id="workbook-upload",
        multiple=False,
        accept=".xlsx",
        className="upload-box",
        children=html.Div(
            [
                html.I(className="bi bi-file-earmark-spreadsheet me-2"),
                html.Strong("Drop the edited workbook here"), " or ", html.Span("browse", className="upload-link"),
            ],
            className="upload-inner py-2",
        ),
    )
    return panel(title, [
        html.Div(
            [
                dbc.Button([html.I(className="bi bi-download me-1"), "Download the plan (.xlsx)"],
                           id="workbook-download-btn", color="primary", outline=True, size="sm", n_clicks=0,
                           className="flex-shrink-0"),
                dcc.Download(id="workbook-download"),
                html.Div(upload, className="flex-grow-1", style={"minWidth": "240px"}),
            ],
            className="d-flex align-items-center gap-3 flex-wrap",
        ),
        dcc.Store(id="workbook-token"),
        dcc.Store(id="workbook-upload-reset"),
        dcc.Loading(html.Div(id="workbook-preview", className="mt-2"), type="dot"),
        html.Div(
            [
                dbc.Button([html.I(className="bi bi-check-lg me-1"), "Accept the changes"], id="workbook-accept",
                           color="primary", size="sm", n_clicks=0),
                dbc.Button("Discard", id="workbook-discard", color="secondary", outline=True, size="sm",
                           n_clicks=0),
            ],
            id="workbook-actions",
            className="gap-2 mt-2",
            style=HIDDEN,
        ),
        html.Div(id="workbook-message", className="mt-2"),
    ], subtitle="Consensus by item and month, capacity and the adjustments with their reasons, one sheet each. "
                "Change numbers on the consensus or capacity sheet and upload the copy: each change becomes an "
                "adjustment with the reason “workbook upload” once you accept the preview.")


def preview_rows(adjustments: pd.DataFrame, capacity: pd.DataFrame, family_of: dict) -> list[dict]:
    """One row per changed cell for people: kind, family, item, month, before, after, change."""
    rows = []
    for r in adjustments.to_dict("records"):
        key = str(r["key"])
        rows.append({"id": f"consensus|{key}|{r['period']}", "kind": "Consensus (item)",
                     "family": family_of.get(key, ""), "item": key, "period": str(r["period"]),
                     "before": r["before_value"], "after": r["after_value"],
                     "change": float(r["after_value"]) - float(r["before_value"])})
    for r in capacity.to_dict("records"):
        rows.append({"id": f"capacity|{r['family']}|{r['period']}", "kind": "Capacity (family)",
                     "family": str(r["family"]), "item": "", "period": str(r["period"]),
                     "before": r["before_value"], "after": r["after_value"],
                     "change": float(r["after_value"]) - float(r["before_value"])})
    return rows


PREVIEW_LIMIT = 400


def preview_table(rows: list[dict], filename: str) -> html.Div:
    cols = [Col("kind", "Kind", "text"), Col("family", "Family", "text"), Col("item", "Item", "text"),
            Col("period", "Month", "text"), Col("before", "Before"), Col("arrow", "", "text"),
            Col("after", "After"), Col("change", "Change")]
    shown = [dict(r, arrow="\u2192") for r in rows[:PREVIEW_LIMIT]]
    n = len(rows)
    more = n - len(shown)
    return html.Div([
        html.Div([html.I(className="bi bi-eye me-2"),
                  html.Strong(f"{n} change{'s' if n != 1 else ''} in {filename}"),
                  " — nothing is stored until you accept. Each becomes an adjustment (consensus) or a capacity "
                  "change with the reason “workbook upload”."], id="workbook-preview-head"),
        html.Div(summary_table("workbook-preview-table", cols, shown, "id"),
                 style={"maxHeight": "360px", "overflowY": "auto"}, className="mt-2"),
        html.Div(f"… and {more} more changes (all of them are applied on accept)", className="item-meta")
        if more > 0 else None,
    ], className="panel mb-0", style={"borderLeft": "5px solid #3498db"})


def issues_block(issues, filename: str) -> html.Div:
    """The located errors of a refused workbook: sheet, row, column, message. Nothing was changed."""
    rows = []
    for n, i in enumerate(issues):
        row = getattr(i, "row", None)
        rows.append({"n": n, "severity": str(getattr(i, "severity", "error") or "error"),
                     "sheet": str(getattr(i, "sheet", "") or ""), "row": "" if row is None else str(row),
                     "column": str(getattr(i, "column", "") or ""), "message": str(getattr(i, "message", i))})
    errors = [r for r in rows if r["severity"] == "error"]
    cols = [Col("sheet", "Sheet", "text"), Col("row", "Row", "text"), Col("column", "Column", "text"),
            Col("message", "Problem", "text")]
    return html.Div([
        html.Div([html.I(className="bi bi-x-octagon-fill me-2 text-danger"),
                  html.Strong(f"Refused: {filename}. Nothing was changed"),
                  f" — the plan is as it was. {len(errors)} error{'s' if len(errors) != 1 else ''} to fix:"]),
        html.Div(summary_table("workbook-issues-table", cols, rows, "n"),
                 style={"maxHeight": "360px", "overflowY": "auto"}, className="mt-2"),
    ], className="panel report-bad mb-0", id="workbook-refused")


def note(kind: str, text, id: str | None = None) -> html.Div:
    """A one-line outcome: kind ok | info | bad (components.layout.outcome)."""
    return outcome(kind, text, id=id)


def count_text(n: int) -> str:
    return f"{formats.integer(n)} change{'s' if n != 1 else ''}"
