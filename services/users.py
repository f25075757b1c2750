"""The administrator's rules for users: add, disable or enable, reset a password, change a role.

Callbacks check `manage_users` first (`callbacks.auth.require`) and pass the administrator's name as
`by`; every change is written with who and when (`user_events`). The rules: a known role, a new name,
a password of at least 8 characters, and the last active administrator can be neither disabled nor
demoted (someone must be able to manage users). Also which demo accounts still work (the login page
lists them; the production check refuses them).
"""

from __future__ import annotations

from typing import Any

from data.store.tables import ROLES
from services.permissions import ROLE_LABELS

MIN_PASSWORD = 8
MAX_NAME = 100
DEMO_PASSWORD = "demo"
DEFAULT_ADMIN_PASSWORD = "admin"


class UserError(ValueError):
    """A change an administrator asked for that the rules refuse; the message says why."""


def demo_usernames() -> tuple[str, ...]:
    from services.plan_service import DEMO_USERS

    return tuple(name for name, _role in DEMO_USERS)


def demo_accounts(store) -> list[dict[str, Any]]:
    """[{username, role, password}] of the accounts anyone could sign in with: enabled demo users that still
    have the demo password, and administrators that still have the default one."""
    out = []
    users = store.list_users()
    for row in users.itertuples():
        if row.disabled:
            continue
        name = str(row.username)
        if name in demo_usernames() and store.has_password(name, DEMO_PASSWORD):
            out.append({"username": name, "role": row.role, "password": DEMO_PASSWORD})
        elif row.role == "admin" and store.has_password(name, DEFAULT_ADMIN_PASSWORD):
            out.append({"username": name, "role": row.role, "password": DEFAULT_ADMIN_PASSWORD})
    return out


def disable_demo_accounts(store, *, by: str) -> list[str]:
    """Disable the demo accounts that still work (enabled, demo password): called when a real company's
    data replaces the sample. Each is recorded in `user_events`; returns their names."""
    done = []
    for account in demo_accounts(store):
        name = account["username"]
        if name in demo_usernames() and name != by:
            store.set_user_disabled(name, True, by=by)
            done.append(name)
    return done


def must_change_password(store, username: str | None) -> bool:
    """Whether this user is an administrator who still has the default password (they must choose a new
    one at their first sign-in; until then every write is refused)."""
    if not username:
        return False
    user = store.get_user(username)
    return bool(user and user["role"] == "admin" and store.has_password(username, DEFAULT_ADMIN_PASSWORD))


def change_default_password(store, *, username: str, new: str | None, confirm: str | None) -> str:
    """The signed-in administrator replaces the default password (the sessions end: sign in again is done
    by the caller). Raises UserError with the reason."""
    if not must_change_password(store, username):
        raise UserError("This account does not have the default password; an administrator changes passwords "
                        "on /admin/users.")
    new = _password(new)
    if new != (confirm or ""):
        raise UserError("The two new passwords differ.")
    if new in (DEFAULT_ADMIN_PASSWORD, DEMO_PASSWORD) or new.lower() == username.lower():
        raise UserError("Choose a password that is not a default one nor the user name.")
    store.set_password(username, new, by=username)
    return f"Password changed for {username}."


def _role(role: str | None) -> str:
    if role not in ROLES:
        known = ", ".join(ROLE_LABELS[r] for r in ROLES)
        raise UserError(f"Unknown role {role!r}: choose one of {known}.")
    return role


def _password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD:
        raise UserError(f"The password must have at least {MIN_PASSWORD} characters.")
    return password


def _existing(store, username: str | None) -> dict[str, Any]:
    user = store.get_user(username or "") if username else None
    if user is None:
        raise UserError("Choose a user first." if not username else f"There is no user {username!r}.")
    return user


def _last_active_admin(store, username: str) -> bool:
    users = store.list_users()
    active_admins = users[(users["role"] == "admin") & ~users["disabled"]]
    return list(active_admins["username"]) == [username]


def add_user(store, *, by: str, username: str | None, role: str | None, password: str | None) -> str:
    name = (username or "").strip()
    if not name:
        raise UserError("Enter a user name.")
    if len(name) > MAX_NAME or any(c.isspace() for c in name):
        raise UserError(f"A user name is one word of at most {MAX_NAME} characters.")
    _role(role)
    _password(password)
    if store.get_user(name) is not None:
        raise UserError(f"A user named {name!r} already exists.")
    store.add_user(name, password, role, by=by)
    return f"Added {name} ({ROLE_LABELS[role]})."


def set_disabled(store, *, by: str, username: str | None, disabled: bool) -> str:
    user = _existing(store, username)
    if disabled and user["disabled"]:
        return f"{user['username']} is already disabled."
    if not disabled and not user["disabled"]:
        return f"{user['username']} is already enabled."
    if disabled and user["role"] == "admin" and _last_active_admin(store, user["username"]):
        raise UserError(f"{user['username']} is the last active administrator and cannot be disabled: "
                        "add or enable another administrator first.")
    store.set_user_disabled(user["username"], disabled, by=by)
    if disabled:
        return f"Disabled {user['username']}: their sessions ended and they cannot sign in."
    return f"Enabled {user['username']}."


def reset_password(store, *, by: str, username: str | None, password: str | None) -> str:
    user = _existing(store, username)
    _password(password)
    store.set_password(user["username"], password, by=by)
    return f"New password set for {user['username']}; their sessions ended."


def change_role(store, *, by: str, username: str | None, role: str | None) -> str:
    user = _existing(store, username)
    _role(role)
    if role == user["role"]:
        return f"{user['username']} already is {ROLE_LABELS[role]}."
    if user["role"] == "admin" and not user["disabled"] and _last_active_admin(store, user["username"]):
        raise UserError(f"{user['username']} is the last active administrator and cannot be given another role: "
                        "add or enable another administrator first.")
    store.set_user_role(user["username"], role, by=by)
    return f"{user['username']} is now {ROLE_LABELS[role]}."


def users_table(store) -> list[dict[str, Any]]:
    """Rows for the administrator's list: username, role (label), status, created."""
    users = store.list_users()
    rows = []
    for row in users.itertuples():
        created = row.created_at
        rows.append({
            "username": str(row.username),
            "role": ROLE_LABELS.get(row.role, row.role),
            "status": "disabled" if row.disabled else "active",
            "created": "" if created is None or str(created) in ("NaT", "None") else str(created)[:16],
        })
    return rows


def events_table(store, limit: int = 50) -> list[dict[str, Any]]:
    """The newest changes to users for the administrator's page: at, by, username, event, detail."""
    events = store.user_events(limit)
    return [{**r, "at": str(r["at"])[:16], "detail": r["detail"] or ""} for r in events.to_dict("records")]
