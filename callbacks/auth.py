"""Who is using the app, and what they may change (checked on the server, in callbacks).

The signed-in user lives in the Flask session (a signed cookie); the browser never sends a
user name that the server trusts. Without a sign-in the app acts as the default user
(`SOP_DEFAULT_USER`, 'admin' for the demo) unless `SOP_REQUIRE_LOGIN=1`, when changes are
refused until someone signs in.
"""

from __future__ import annotations

import os

import flask

# What each role may change. Reading is open to every signed-in role.
PERMISSIONS: dict[str, set[str]] = {
    "demand_edit": {"demand_planner", "admin"},
    "capacity_edit": {"supply_planner", "admin"},
    "supply_settings": {"supply_planner", "admin"},
    "scenario": {"demand_planner", "admin"},
    "upload": {"admin"},
    "forecast": {"demand_planner", "admin"},
    "approve": {"executive", "admin"},
    "decide": {"executive", "facilitator", "admin"},
    "meeting": {"facilitator", "admin"},
    "settings": {"admin"},
}
ROLE_LABELS = {
    "executive": "Executive", "demand_planner": "Demand planner", "supply_planner": "Supply planner",
    "facilitator": "Facilitator", "admin": "Administrator",
}
ACTION_LABELS = {
    "demand_edit": "change the demand plan", "capacity_edit": "change capacity",
    "supply_settings": "change supply options", "scenario": "edit scenarios", "upload": "upload data",
    "forecast": "run the statistical forecast", "approve": "approve the plan", "decide": "record decisions",
    "meeting": "run the meeting", "settings": "change settings",
}


def _default_user() -> dict | None:
    if os.environ.get("SOP_REQUIRE_LOGIN") == "1":
        return None
    name = os.environ.get("SOP_DEFAULT_USER", "admin")
    from data import plan_service

    users = plan_service.get_store().list_users()
    row = users[users["username"] == name]
    return {"username": name, "role": row["role"].iloc[0]} if len(row) else None


def signed_in() -> dict | None:
    """{username, role} of the user of this request (the session, else the default), or None."""
    try:
        user = flask.session.get("user")
    except RuntimeError:  # outside a request (tests, background jobs)
        user = None
    return user or _default_user()


def current_user() -> str:
    """The user name changes are recorded under."""
    user = signed_in()
    return user["username"] if user else "anonymous"


class NotAllowed(PermissionError):
    """The signed-in user's role may not do this; the message says who may."""


def require(action: str) -> str:
    """The user name when the signed-in role may do `action`; raises NotAllowed otherwise."""
    user = signed_in()
    allowed = PERMISSIONS[action]
    if user is None:
        raise NotAllowed(f"Sign in to {ACTION_LABELS[action]}.")
    if user["role"] not in allowed:
        who = ", ".join(sorted(ROLE_LABELS[r] for r in allowed))
        raise NotAllowed(f"{user['username']} ({ROLE_LABELS.get(user['role'], user['role'])}) may not "
                         f"{ACTION_LABELS[action]}; that needs: {who}.")
    return user["username"]


def sign_in(username: str, password: str) -> dict | None:
    from data import plan_service

    user = plan_service.get_store().check_password(username or "", password or "")
    if user:
        flask.session["user"] = {"username": user["username"], "role": user["role"]}
        return flask.session["user"]
    return None


def sign_out() -> None:
    flask.session.pop("user", None)
