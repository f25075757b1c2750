"""Who may change what: the one server-side check every writing request goes through.

`authorize(action, session_user)` takes the user the request claims (the signed session, or the
default user when sign-in is off) and answers with the user name when the *stored* user exists and
its *stored* role may do `action`. The role in the cookie is never trusted: a user demoted or deleted
in the store loses the right at the next request. Anything that goes wrong while checking (the store
cannot be read, an unknown action, a malformed session) refuses: the check fails closed.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("sop.permissions")

# What each role may change. Reading is open to every signed-in role.
PERMISSIONS: dict[str, frozenset[str]] = {
    "demand_edit": frozenset({"demand_planner", "admin"}),
    "capacity_edit": frozenset({"supply_planner", "admin"}),
    "supply_settings": frozenset({"supply_planner", "admin"}),
    # scenarios are built by either planner (a second shift is the supply planner's what-if); promoting one
    # changes the draft's demand and capacity, which is editing the plan: the roles that may edit it
    "scenario": frozenset({"demand_planner", "supply_planner", "admin"}),
    "promote_scenario": frozenset({"demand_planner", "supply_planner", "admin"}),
    "upload": frozenset({"admin"}),
    "forecast": frozenset({"demand_planner", "admin"}),
    "approve": frozenset({"executive", "facilitator", "admin"}),
    "decide": frozenset({"executive", "facilitator", "admin"}),
    "meeting": frozenset({"facilitator", "admin"}),
    "settings": frozenset({"admin"}),
    "review_exceptions": frozenset({"demand_planner", "supply_planner", "admin"}),
    "close_cycle": frozenset({"facilitator", "admin"}),
    "upload_actuals": frozenset({"demand_planner", "facilitator", "admin"}),
    # every role owns a step of the cycle; services.cycle.tick_item checks the step's owners
    "tick_checklist": frozenset({"executive", "demand_planner", "supply_planner", "facilitator", "admin"}),
    "manage_users": frozenset({"admin"}),
    # the process health: the maturity assessment is the facilitator's; the company profile the administrator's
    "assess": frozenset({"facilitator", "admin"}),
    "profile": frozenset({"admin"}),
}
# Roles that may undo or redo changes other people made (everyone may undo their own).
UNDO_OTHERS = frozenset({"admin"})
ROLE_LABELS = {
    "executive": "Executive", "demand_planner": "Demand planner", "supply_planner": "Supply planner",
    "facilitator": "Facilitator", "admin": "Administrator",
}
ACTION_LABELS = {
    "demand_edit": "change the demand plan", "capacity_edit": "change capacity",
    "supply_settings": "change supply options", "scenario": "edit scenarios",
    "promote_scenario": "promote a scenario to the draft plan", "upload": "upload data",
    "forecast": "run the statistical forecast", "approve": "approve the plan", "decide": "record decisions",
    "meeting": "run the meeting", "settings": "change settings", "review_exceptions": "review exceptions",
    "close_cycle": "close the cycle", "upload_actuals": "upload the month's actuals",
    "tick_checklist": "tick the cycle checklist",
    "manage_users": "manage users",
    "assess": "answer the maturity assessment",
    "profile": "edit the company profile",
}


class NotAllowed(PermissionError):
    """The user may not do this (or the check could not be made); the message says why and who may."""


def allowed_roles(action: str) -> frozenset[str]:
    return PERMISSIONS[action]


def may(role: str | None, action: str) -> bool:
    """Whether a role may do an action (for showing or hiding controls; the server still checks)."""
    return role is not None and role in PERMISSIONS.get(action, frozenset())


def stored_user(username: str) -> dict[str, Any] | None:
    """{username, role, disabled} of a user as the store holds it now, or None when there is no such user."""
    from services.plan_service import get_store

    user = get_store().get_user(username)
    if user is None:
        return None
    return {"username": str(user["username"]), "role": str(user["role"]), "disabled": bool(user["disabled"])}


def authorize(action: str, session_user: dict[str, Any] | None) -> dict[str, Any]:
    """The stored user ({username, role}) when it may do `action`; raises NotAllowed otherwise.

    Fails closed: an unknown action, a missing or malformed session user, or any error while
    reading the store refuses the request.
    """
    label = ACTION_LABELS.get(action, action)
    if action not in PERMISSIONS:
        raise NotAllowed(f"Unknown action {action!r}: refused.")
    name = (session_user or {}).get("username") if isinstance(session_user, dict) else None
    if not name:
        raise NotAllowed(f"Sign in to {label}.")
    try:
        user = stored_user(str(name))
    except Exception:  # the store could not be read: refuse rather than guess
        log.exception("user lookup failed while checking %s", action)
        raise NotAllowed(f"Your rights could not be checked, so nothing was changed; try again to {label}.") from None
    if user is None:
        raise NotAllowed(f"The user {name} no longer exists; sign in again to {label}.")
    if user.get("disabled"):
        raise NotAllowed(f"The user {name} is disabled, so nothing was changed; an administrator may enable it.")
    allowed = PERMISSIONS[action]
    if user["role"] not in allowed:
        who = ", ".join(sorted(ROLE_LABELS[r] for r in allowed))
        raise NotAllowed(f"{user['username']} ({ROLE_LABELS.get(user['role'], user['role'])}) may not "
                         f"{label}; that needs: {who}.")
    return {"username": user["username"], "role": user["role"]}


def may_undo_others(role: str | None) -> bool:
    return role in UNDO_OTHERS
