"""Step 1, the data-quality log: list this cycle's upload warnings and exceptions (open, reviewed, or all) and
mark one reviewed with a comment. The rules live in services.cycle; the header's open count follows."""

from __future__ import annotations

import logging

import pandas as pd
from dash import Input, Output, State, callback, ctx, no_update

from callbacks.auth import NotAllowed, require
from callbacks.demand import message
from callbacks.paged_grids import serve_rows
from callbacks.shell import step_badge_follows
from components.quality_log import quality_grid
from services import cycle as cycle_service

log = logging.getLogger("sop.data")

SOURCE_LABELS = {"exception": "Exception", "upload": "Upload warning"}


def log_frame(status: str, source: str, search: str | None) -> tuple[pd.DataFrame, int]:
    """(the entries the filters show, as the grid's rows; the number of open entries in the whole log)."""
    df = cycle_service.quality_log()
    n_open = int((df["status"] == "open").sum())
    if status in ("open", "reviewed"):
        df = df[df["status"] == status]
    if source in ("exception", "upload"):
        df = df[df["source"] == source]
    if search:
        df = df[df["message"].astype(str).str.contains(search.strip(), case=False, regex=False)]
    when = pd.to_datetime(df["reviewed_at"]).dt.strftime("%Y-%m-%d %H:%M")
    rows = pd.DataFrame({
        "row_id": df["source"].astype(str) + "|" + df["key"].astype(str), "source": df["source"], "key": df["key"],
        "status": df["status"], "source_label": df["source"].map(SOURCE_LABELS).fillna(df["source"]),
        "message": df["message"].astype(str),
        "reviewed": (df["reviewed_by"].astype(str) + " · " + when).where(df["status"] == "reviewed", ""),
        "comment": df["comment"].where(df["comment"].notna(), "").astype(str),
    })
    return rows.reset_index(drop=True), n_open


FILTERS = [State("data-quality-status", "value"), State("data-quality-source", "value"),
           State("data-quality-search", "value")]


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
        rows, n_open = log_frame(status, source, search)
    except Exception:
        log.exception("the data-quality log could not be read")
        return no_update, "The log could not be read."
    return quality_grid(rows), f"{n_open} open · {len(rows)} shown"


# a long log (an exception per item of a large company) is sent a block at a time, as the filters show it
serve_rows("data-quality-grid", lambda status, source, search: log_frame(status, source, search)[0], FILTERS)


@callback(
    Output("data-quality-version", "data"),
    Output("data-quality-msg", "children"),
    Output("data-quality-comment", "value"),
    Input("data-quality-review", "n_clicks"),
    Input("data-quality-review-all", "n_clicks"),
    State("data-quality-grid", "selectedRows"),
    State("data-quality-comment", "value"),
    State("data-quality-version", "data"),
    *FILTERS,
    prevent_initial_call=True,
)
def review(n_one, n_all, selected, comment, version, status, source, search):
    """Mark the selected entry (or every open entry the filters show) reviewed with the comment (the header
    follows: `step_badge_follows` below)."""
    every = ctx.triggered_id == "data-quality-review-all"
    if not (n_all if every else n_one):
        return no_update, no_update, no_update
    try:
        user = require("review_exceptions")
        if every:
            shown, _ = log_frame(status, source, search)
            rows = shown[shown["status"] == "open"].to_dict("records")
        else:
            rows = (selected or [])[:1]
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
