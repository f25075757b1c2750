"""The one table of who may do what, for the tests (extend it here when you add a writing callback).

- `ALLOWED`: each action of `services.permissions.PERMISSIONS` → the roles that may do it, written out so
  that any change to the rights is deliberate.
- `WRITING_CALLBACKS`: every callback that writes (or that asks `require`/`require_user`) as
  "module.function" → the actions it checks. `callbacks_in_source()` finds them in callbacks/ by reading
  the source; tests/test_permission_matrix.py fails until a new one is added here.
- `CALLS`: how to call each writing callback so that it reaches its role check (arguments and the Dash
  trigger); the matrix test calls it as each refused role and checks that nothing changed in the store.
"""

from __future__ import annotations

import ast
import base64
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["executive", "demand_planner", "supply_planner", "facilitator", "admin"]

ALLOWED: dict[str, set[str]] = {
    "demand_edit": {"demand_planner", "admin"},
    "capacity_edit": {"supply_planner", "admin"},
    "supply_settings": {"supply_planner", "admin"},
    "scenario": {"demand_planner", "supply_planner", "admin"},
    "promote_scenario": {"demand_planner", "supply_planner", "admin"},
    "upload": {"admin"},
    "forecast": {"demand_planner", "admin"},
    "approve": {"executive", "facilitator", "admin"},
    "decide": {"executive", "facilitator", "admin"},
    "meeting": {"facilitator", "admin"},
    "settings": {"admin"},
    "review_exceptions": {"demand_planner", "supply_planner", "admin"},
    "manage_users": {"admin"},
    "tick_checklist": {"executive", "demand_planner", "supply_planner", "facilitator", "admin"},
    "close_cycle": {"facilitator", "admin"},
    "upload_actuals": {"demand_planner", "facilitator", "admin"},
    "assess": {"facilitator", "admin"},
    "profile": {"admin"},
}

# module.function → the actions it checks (a callback that checks one of several, by what it changes,
# lists them all: the workbook upload asks demand_edit for demand rows and capacity_edit for capacity rows).
WRITING_CALLBACKS: dict[str, tuple[str, ...]] = {
    "callbacks.admin_users.manage_users": ("manage_users",),
    "callbacks.checklist.tick": ("tick_checklist",),  # services.cycle.tick_item also checks the step's owners
    "callbacks.cycle_close.do_close": ("close_cycle",),
    "callbacks.cycle_close.on_actuals": ("upload_actuals",),
    "callbacks.data_forecast.cancel_forecast": ("forecast",),
    "callbacks.data_forecast.run_forecast": ("forecast",),
    "callbacks.data_upload.on_upload": ("upload",),
    "callbacks.demand.act": ("demand_edit",),
    "callbacks.demand_assumptions.assumptions": ("demand_edit",),
    "callbacks.data_quality.review": ("review_exceptions",),
    "callbacks.meeting._register_capture": ("decide", "meeting"),  # registers the four below, page and deck
    "callbacks.meeting.add_action": ("decide",),
    "callbacks.meeting.add_attendee": ("meeting",),
    "callbacks.meeting.add_risk": ("decide",),
    "callbacks.meeting.edit_agenda": ("meeting",),
    "callbacks.meeting.set_status": ("decide",),
    "callbacks.meeting.timer_command": ("meeting",),
    "callbacks.meeting_deck.approve_from_deck": ("approve",),
    "callbacks.metrics_maturity.save_maturity": ("assess",),
    "callbacks.profile.save": ("profile",),
    "callbacks.meeting.add_decision": ("decide",),
    "callbacks.meeting.approve": ("approve",),
    "callbacks.plan_workbook.on_accept": ("demand_edit", "capacity_edit"),
    "callbacks.pre_sop.make_scenario": ("scenario",),
    "callbacks.pre_sop.save_weights": ("settings",),
    "callbacks.pre_sop.scenario_action": ("promote_scenario",),
    "callbacks.settings.save_settings": ("settings",),
    "callbacks.supply.change_capacity": ("capacity_edit",),
}


def callbacks_in_source() -> dict[str, tuple[str, ...]]:
    """Functions in callbacks/ that call require()/require_user(), with the actions they name (string
    literals, in order of first appearance)."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted((ROOT / "callbacks").glob("*.py")):
        if path.name == "auth.py":
            continue
        tree = ast.parse(path.read_text())
        for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            actions: list[str] = []
            for call in [c for c in ast.walk(fn) if isinstance(c, ast.Call)]:
                name = getattr(call.func, "id", getattr(call.func, "attr", ""))
                if name in ("require", "require_user"):
                    arg = call.args[0] if call.args else None
                    action = arg.value if isinstance(arg, ast.Constant) else "<not a literal>"
                    if action not in actions:
                        actions.append(action)
            if actions:
                found[f"callbacks.{path.stem}.{fn.name}"] = tuple(actions)
    return found


# ---------------------------------------------------------------------------- calling each callback


def _csv(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


class _OnePreview:
    """Stands in for the workbook previews cache: one pending preview that changes demand or capacity."""

    def __init__(self, kind: str) -> None:
        changes = SimpleNamespace(adjustments=[1] if kind == "demand" else [],
                                  capacity=[1] if kind == "capacity" else [], count=1, revision=0)
        self.entry = {"changes": changes, "filename": "plan.xlsx", "by": "someone"}

    def get(self, _token):
        return self.entry

    def delete(self, _token):
        return None


def calls(action_of_workbook: str = "demand") -> dict[str, dict]:
    """module.function → {args, trigger, patch}: a call that gets as far as the role check."""
    return {
        "callbacks.admin_users.manage_users": {
            "args": (1, 1, None, None, None, None, "newcomer", "executive", "long enough 1", None, None, None),
            "trigger": "admin-add-submit"},
        "callbacks.checklist.tick": {
            "args": ([1], [0], [{"type": "checklist-version", "step": 1}]),
            "trigger": '{"item":"collect","step":1,"type":"checklist-item"}'},
        "callbacks.cycle_close.do_close": {"args": (1,)},
        "callbacks.cycle_close.on_actuals": {
            "args": ([_csv("item_id,period,actual_units\nX,2026-01,1\n")], ["history.csv"])},
        "callbacks.data_quality.review": {"args": (1, None, [], "looked at it", 0, "open", "all", None),
                                          "trigger": "data-quality-review"},
        "callbacks.data_forecast.cancel_forecast": {"args": (1,)},
        "callbacks.data_forecast.run_forecast": {"args": (1,)},
        "callbacks.data_upload.on_upload": {
            "args": ([_csv("item_id,family,unit_price,unit_cost\nX,F,1,1\n")], ["items.csv"], [])},
        "callbacks.demand.act": {
            "args": ({"kind": "edit", "nonce": "n1", "cells": [{"row_id": "F|x", "period": "2026-01",
                                                               "value": 1}]},
                     {}, {}, "matrix test", False)},
        "callbacks.demand_assumptions.assumptions": {
            "args": (None, 1, None, None, "an assumption", "market", "up", []),
            "trigger": "demand-assumption-add"},
        "callbacks.meeting._register_capture": {"registers": True},
        "callbacks.meeting.add_action": {"args": (1, "an action", "dana", "2026-02-01", "high", "open"),
                                         "fn": ("meeting", "add_action")},
        "callbacks.meeting.add_decision": {
            "args": (1, "demand", "a decision", None, None, "100", "why", "erin", None, "agreed", None, ""),
            "fn": ("meeting", "add_decision")},
        "callbacks.meeting.add_attendee": {"args": (1, None, "Visitor", "Sales"), "fn": ("meeting", "add_attendee")},
        "callbacks.meeting.add_risk": {"args": (1, "a risk", "high", "high", "a plan", "sam"),
                                       "fn": ("meeting", "add_risk")},
        "callbacks.meeting.edit_agenda": {"args": (1, None, None, None, "New item", 10),
                                          "trigger": "meeting-agenda-add"},
        "callbacks.meeting.set_status": {"args": (1, None, 1, "done", None, None), "trigger": "meeting-action-setstatus"},
        "callbacks.meeting.timer_command": {"args": (1, None, None, None, None), "trigger": "meeting-start"},
        "callbacks.meeting_deck.approve_from_deck": {"args": (1,)},
        "callbacks.metrics_maturity.save_maturity": {"args": (1, [], [], None)},
        "callbacks.profile.save": {"args": (1, *([None] * 40))},
        "callbacks.meeting.approve": {"args": (1,)},
        "callbacks.plan_workbook.on_accept": {"args": ("token",),
                                              "patch": ("previews", lambda: _OnePreview(action_of_workbook))},
        "callbacks.pre_sop.make_scenario": {"args": (1, None, "matrix scenario", "", None, *([None] * 13), None, 0)},
        "callbacks.pre_sop.save_weights": {"args": (1, 1, 1, 1)},
        "callbacks.pre_sop.scenario_action": {"args": (None, 1, 1, 0), "trigger": "presop-scenario-promote"},
        "callbacks.settings.save_settings": {"args": None},  # built from its form's fields: see settings_args()
        "callbacks.supply.change_capacity": {
            "args": ([{"rowId": "x", "colId": "2026-01", "value": 1, "oldValue": 0}], None, None, "matrix test",
                     {}, None),
            "trigger": "supply-capacity-grid"},
    }


def settings_args() -> tuple:
    from callbacks.settings import FIELD_NAMES

    return (1, *([1] * len(FIELD_NAMES)), True, 1, 1, 1, [5], [{"kpi": "mape", "side": "high"}], ["AutoETS"])


def store_fingerprint(store) -> str:
    """A digest of every row of every table (what 'nothing changed' means); sign-in sessions and the store's
    revision (a count of write transactions, moved by signing in too) left out."""
    import hashlib

    import sqlalchemy as sa

    from data.store import metadata

    digest = hashlib.sha256()
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in ("user_sessions", "store_revision"):  # signing in is not a change of the data
                continue
            rows = conn.execute(sa.select(table)).fetchall()
            digest.update(table.name.encode())
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
    return digest.hexdigest()
