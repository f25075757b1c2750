"""Step 1, the data-quality log: list this cycle's upload warnings and exceptions (open, reviewed, or all) and
mark one reviewed with a comment. The rules live in services.cycle; the header's open count follows."""

from __future__ import annotations

import logging

import pandas as pd
from dash import Input, Output, State, callback, ctx, no_update

from callbacks.auth import NotAllowed, require
from callbacks.demand import message
from callbacks.shell import step_badge_follows
from components.quality_log import quality_grid
from services import cycle as cycle_service

log = logging.getLogger("sop.data")

SOURCE_LABELS = {"exception": "Exception", "upload": "Upload warning"}


def log_rows(status: str, source: str, search: str | None) -> tuple[list[dict], str]:
    df = cycle_service.quality_log()
    n_open = int((df["status"] == "open").sum())
    if status in ("open", "reviewed"):
        df = df[df["status"] == status]
    if source in ("exception", "upload"):
        df = df[df["source"] == source]
    if search:
        df = df[df["message"].astype(str).str.contains(search.strip(), case=False, regex=False)]
    rows = [{
        "row_id": f"{r['source']}|{r['key']}", "source": r["source"], "key": r["key"], "status": r["status"],
        "source_label": SOURCE_LABELS.get(r["source"], r["source"]), "message": str(r["message"]),
        "reviewed": "" if r["status"] != "reviewed" else
        f"{r['reviewed_by']} · {pd.Timestamp(r['reviewed_at']).strftime('%Y-%m-%d %H:%M')}",
        "comment": "" if r["comment"] is None or pd.isna(r["comment"]) else str(r["comment"]),
    } for r in df.to_dict("records")]
    return rows, f"{n_open} open · {len(rows)} shown"


@callback(
    Output("data-quality-table", "children"),
    Output("data-quality-count", "children"),
    Input("app-state", "data"),
    Input("data-quality-status", "value"),
    Input("data-quality-source", "value"),
    Input("data-quality-search", "value"),
    Input("data-quality-version", "data"),
)
def show_log(_state, status, source, search, _version):
    try:
        rows, count = log_rows(status, source, search)
    except Exception:
        log.exception("the data-quality log could not be read")
        return no_update, "The log could not be read."
    return quality_grid(rows), count


@callback(
    Output("data-quality-version", "data"),
    Output("data-quality-msg", "children"),
    Output("data-quality-comment", "value"),
    Input("data-quality-review", "n_clicks"),
    Input("data-quality-review-all", "n_clicks"),
    State("data-quality-grid", "selectedRows"),
    State("data-quality-grid", "rowData"),
    State("data-quality-comment", "value"),
    State("data-quality-version", "data"),
    prevent_initial_call=True,
)
def review(n_one, n_all, selected, shown, comment, version):
    """Mark the selected entry (or every open entry shown) reviewed with the comment (the header follows:
    `step_badge_follows` below)."""
    every = ctx.triggered_id == "data-quality-review-all"
    if not (n_all if every else n_one):
        return no_update, no_update, no_update
    try:
        user = require("review_exceptions")
        rows = [r for r in (shown or []) if r.get("status") == "open"] if every else (selected or [])[:1]
        if not rows:
            raise ValueError("no open entry is shown" if every else "select an entry in the table first")
        n = cycle_service.review_entries([(str(r["source"]), str(r["key"])) for r in rows], comment, by=user)
    except NotAllowed as exc:
        return no_update, message("conflict", str(exc)), no_update
    except (ValueError, LookupError) as exc:
        return no_update, message("error", f"Not saved: {exc}."), no_update
    done = "Marked reviewed." if n == 1 else f"{n} entries marked reviewed."
    return int(version or 0) + 1, message("saved", done), ""


step_badge_follows(Input("data-quality-version", "data"))  # the header's badge after a review
