"""The step checklist shown on each step's page (components/checklist.py): show who ticked what, and tick or
untick an item (the step's owners, the facilitator and the administrator; services.cycle holds the rules).
Pattern-matching ids: one module serves the five pages."""

from __future__ import annotations

import logging

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require_user, signed_in
from callbacks.demand import message
from callbacks.shell import step_badge_follows
from components.checklist import item_children, item_class
from services import cycle as cycle_service
from services.permissions import ROLE_LABELS

log = logging.getLogger("sop.checklist")

ITEMS = {"type": "checklist-item", "step": ALL, "item": ALL}


def _when(at) -> str:
    return "" if at is None or pd.isna(at) else pd.Timestamp(at).strftime("%Y-%m-%d %H:%M")


@callback(
    Output(ITEMS, "children"),
    Output(ITEMS, "className"),
    Output(ITEMS, "disabled"),
    Output({"type": "checklist-meta", "step": ALL, "item": ALL}, "children"),
    Output({"type": "checklist-summary", "step": ALL}, "children"),
    Input("app-state", "data"),
    Input({"type": "checklist-version", "step": ALL}, "data"),
    State(ITEMS, "id"),
    State({"type": "checklist-summary", "step": ALL}, "id"),
)
def show_checklist(_state, _versions, ids, summary_ids):
    """Each item ticked or not, by whom and when (automatic items from the store's evidence); reads only.
    Items the signed-in role may not tick are shown disabled (the server checks again on every tick)."""
    if not ids:
        raise PreventUpdate
    try:
        status = cycle_service.cycle_status()
    except Exception:
        log.exception("cycle status failed")
        raise PreventUpdate from None
    steps = {s["key"]: s for s in status["steps"]}
    user = signed_in()
    role = user.get("role") if user else None
    children, classes, disabled, metas = [], [], [], []
    for i in ids:
        item = next(it for it in steps[i["step"]]["items"] if it["key"] == i["item"])
        children.append(item_children(item, item["done"]))
        classes.append(item_class(item["done"], item["auto"]))
        disabled.append(bool(item["auto"]) or not cycle_service.may_tick(role, i["step"]))
        if item["auto"]:
            metas.append("done (from what is stored)" if item["done"] else "")
        elif item["done"]:
            metas.append(f"ticked by {item['by']} · {_when(item['at'])}")
        elif item["by"]:
            metas.append(f"unticked by {item['by']} · {_when(item['at'])}")
        else:
            metas.append("")
    summaries = []
    for sid in summary_ids:
        s = steps[sid["step"]]
        owners = ", ".join(ROLE_LABELS.get(r, r) for r in s["owners"])
        state = ("late" if s["late"] else "current step" if status["current"] == s["number"] else
                 "done" if s["complete"] else "")
        summaries.append(f"{s['done']}/{s['total']} done · {s['week']}, "
                         f"{cycle_service.short_date(s['start'])} – due {cycle_service.short_date(s['due'])}"
                         f" · owner: {owners}" + (f" · {state}" if state else ""))
    return children, classes, disabled, metas, summaries


@callback(
    Output({"type": "checklist-version", "step": ALL}, "data"),
    Output({"type": "checklist-msg", "step": ALL}, "children"),
    Input(ITEMS, "n_clicks"),
    State({"type": "checklist-version", "step": ALL}, "data"),
    State({"type": "checklist-version", "step": ALL}, "id"),
    prevent_initial_call=True,
)
def tick(clicks, versions, version_ids):
    """Tick an unticked item or untick a ticked one (who and when are stored); the header follows."""
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not any(c for c in (clicks or []) if c):
        raise PreventUpdate
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    keep = [no_update] * len(version_ids)
    msgs = [no_update] * len(version_ids)
    pos = next((n for n, v in enumerate(version_ids) if v["step"] == trig["step"]), None)
    try:
        user = require_user("tick_checklist")
        step = cycle_service.step_status(trig["step"])
        item = next(it for it in step["items"] if it["key"] == trig["item"])
        cycle_service.tick_item(trig["step"], trig["item"], not item["done"], user=user)
    except NotAllowed as exc:
        if pos is not None:
            msgs[pos] = message("conflict", str(exc))
        return keep, msgs
    except (ValueError, KeyError, LookupError) as exc:
        if pos is not None:
            msgs[pos] = message("error", f"Not saved: {exc}.")
        return keep, msgs
    if pos is not None:
        keep[pos] = int(versions[pos] or 0) + 1
        msgs[pos] = ""
    return keep, msgs


step_badge_follows(Input({"type": "checklist-version", "step": ALL}, "data"))
