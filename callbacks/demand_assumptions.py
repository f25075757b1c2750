"""Step 2, assumptions of the cycle: add, edit and delete (as text, with category and impact); the rules
live in services.assumptions."""

from __future__ import annotations

import logging

import pandas as pd
from dash import Input, Output, State, callback, ctx, html, no_update

from callbacks.auth import NotAllowed, require
from services import assumptions as assumption_service
from services.edits import EditError

from callbacks.demand import message

log = logging.getLogger("sop.demand")


# ---------------------------------------------------------------------------- assumptions


def assumption_rows() -> list[dict]:
    df = assumption_service.listed()
    if df.empty:
        return []
    return [
        {
            "row_id": f"as{int(r['id'])}",
            "id": int(r["id"]),
            "text": str(r["text"]),
            "category": str(r["category"] or ""),
            "impact": str(r["impact"] or ""),
            "owner": str(r["owner"] or ""),
            "created": pd.Timestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M")
            if pd.notna(r["created_at"])
            else "",
        }
        for r in df.to_dict("records")
    ]


def _selected_id(selected) -> int | None:
    if selected and isinstance(selected, list) and selected[0].get("id") is not None:
        return int(selected[0]["id"])
    return None


@callback(
    Output("demand-assumptions-grid", "rowData"),
    Output("demand-assumption-msg", "children"),
    Output("demand-assumption-text", "value"),
    Output("demand-assumptions-grid", "selectedRows"),
    Output("demand-assumption-confirm", "is_open"),
    Input("app-state", "data"),
    Input("demand-assumption-add", "n_clicks"),
    Input("demand-assumption-save", "n_clicks"),
    Input("demand-assumption-delete-yes", "n_clicks"),
    State("demand-assumption-text", "value"),
    State("demand-assumption-category", "value"),
    State("demand-assumption-impact", "value"),
    State("demand-assumptions-grid", "selectedRows"),
)
def assumptions(_state, _add, _save, _delete, text, category, impact, selected):
    trig = ctx.triggered_id
    keep = no_update
    if trig not in ("demand-assumption-add", "demand-assumption-save", "demand-assumption-delete-yes"):
        return assumption_rows(), keep, keep, keep, keep
    try:
        user = require("demand_edit")
        if trig == "demand-assumption-add":
            assumption_service.add(text, category, impact, owner=user)
            return assumption_rows(), message("saved", "Assumption added."), "", [], False
        chosen = _selected_id(selected)
        if chosen is None:
            raise EditError("select an assumption in the table first")
        if trig == "demand-assumption-save":
            assumption_service.update(chosen, text, category, impact)
            rows = assumption_rows()
            again = [r for r in rows if r["id"] == chosen]
            return rows, message("saved", "Assumption saved."), keep, again, False
        assumption_service.delete(chosen)
        return assumption_rows(), message("saved", "Assumption removed."), "", [], False
    except NotAllowed as exc:
        return keep, message("conflict", str(exc)), keep, keep, False
    except (EditError, LookupError) as exc:
        return keep, message("error", f"Not saved: {exc}."), keep, keep, False


@callback(
    Output("demand-assumption-text", "value", allow_duplicate=True),
    Output("demand-assumption-category", "value"),
    Output("demand-assumption-impact", "value"),
    Output("demand-assumption-save", "disabled"),
    Output("demand-assumption-delete", "disabled"),
    Input("demand-assumptions-grid", "selectedRows"),
    prevent_initial_call=True,
)
def assumption_form(selected):
    """Selecting an assumption puts it in the form (Save changes it, Delete removes it)."""
    if not selected:
        return no_update, no_update, no_update, True, True
    row = selected[0]
    return row.get("text", ""), row.get("category") or None, row.get("impact") or None, False, False


@callback(
    Output("demand-assumption-confirm", "is_open", allow_duplicate=True),
    Output("demand-assumption-confirm-text", "children"),
    Input("demand-assumption-delete", "n_clicks"),
    Input("demand-assumption-delete-no", "n_clicks"),
    State("demand-assumptions-grid", "selectedRows"),
    prevent_initial_call=True,
)
def confirm_delete(_ask, _no, selected):
    if ctx.triggered_id == "demand-assumption-delete-no" or not selected:
        return False, no_update
    return True, [
        "Remove this assumption?",
        html.Blockquote(str(selected[0].get("text", "")), className="border-start ps-2 mt-2 text-muted"),
    ]
