"""Who may change what: the whole roles × actions matrix through the one server-side check, with the role read
from the store (a forged or stale role in the session counts for nothing)."""

from __future__ import annotations

import pytest

from services import permissions

# the expected matrix, written out in one place (tests/permission_matrix.py) so that any change is deliberate
from tests.permission_matrix import ALLOWED, ROLES


@pytest.fixture
def users(monkeypatch: pytest.MonkeyPatch):
    stored = {f"u-{role}": role for role in ROLES}
    monkeypatch.setattr(permissions, "stored_user",
                        lambda name: {"username": name, "role": stored[name]} if name in stored else None)
    return stored


def test_every_action_is_in_the_matrix() -> None:
    assert set(permissions.PERMISSIONS) == set(ALLOWED)


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_roles_by_actions(users, action: str, role: str) -> None:
    forged = {"username": f"u-{role}", "role": "admin"}  # the session's role is never trusted
    if role in ALLOWED[action]:
        assert permissions.authorize(action, forged) == {"username": f"u-{role}", "role": role}
    else:
        with pytest.raises(permissions.NotAllowed) as refused:
            permissions.authorize(action, forged)
        message = str(refused.value)
        assert f"u-{role} ({permissions.ROLE_LABELS[role]}) may not {permissions.ACTION_LABELS[action]}" in message
        assert "that needs:" in message


@pytest.mark.parametrize("session", [None, {}, {"role": "admin"}, "admin", {"username": ""}])
def test_no_user_no_change(users, session) -> None:
    with pytest.raises(permissions.NotAllowed, match="Sign in"):
        permissions.authorize("upload", session)


WRITES = {"apply_edits", "apply_capacity_edits", "undo", "redo", "upload_files", "approve", "record_decision",
          "add_action", "save_form", "start_run", "cancel_run", "apply_workbook", "set_action_status",
          "tick_item", "review_entry", "review_entries", "close_cycle", "upload_month_actuals",
          # the live meeting (services.meeting_live)
          "add_item", "remove_item", "move_item", "set_item", "start_meeting", "timer", "end_meeting", "add_attendee",
          "remove_attendee", "add_risk", "set_risk_status", "approve_plan",
          # named scenarios (services.scenario_plans)
          "create", "change", "promote", "save_weights",
          # users (services.users)
          "add_user", "set_disabled", "reset_password", "change_role",
          # process health
          "save_assessment", "save_profile"}
GENERIC = {"add", "update", "delete"}  # writes only on the assumptions service (not on a cache of previews)


def _name(call) -> str:  # noqa: ANN001
    import ast

    f = call.func
    if isinstance(f, ast.Attribute):
        if f.attr in GENERIC:
            return f.attr if isinstance(f.value, ast.Name) and f.value.id == "assumption_service" else ""
        return f.attr
    return getattr(f, "id", "")


def test_every_callback_that_writes_checks_the_role_first() -> None:
    """Static check over callbacks/: a function that calls a writing service function also calls require()
    (or require_user()), and before it."""
    import ast
    from pathlib import Path

    missing, writers = [], []
    for path in sorted((Path(__file__).resolve().parent.parent / "callbacks").glob("*.py")):
        tree = ast.parse(path.read_text())
        for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            calls = [(c.lineno, _name(c)) for c in ast.walk(fn) if isinstance(c, ast.Call)]
            writes = [line for line, name in calls if name in WRITES | GENERIC]
            checks = [line for line, name in calls if name in ("require", "require_user")]
            if writes:
                writers.append(fn.name)
            if writes and (not checks or min(checks) > min(writes)):
                missing.append(f"{path.name}:{fn.name}")
    assert missing == []
    assert {"act", "change_capacity", "on_upload", "run_forecast", "cancel_forecast", "save_settings", "approve",
            "add_decision", "add_action", "assumptions", "on_accept", "do_close", "on_actuals",
            "edit_agenda", "timer_command",
            "add_attendee", "add_risk", "approve_from_deck", "set_status", "manage_users"} <= set(writers)  # the check saw them all
