"""The request's user (Flask session) handed to the one permission check of `services.permissions`.

The signed-in user is a session kept in the store (`services.session_guard`); the cookie holds only its
id, the browser never sends a user name that the server trusts, and the role is read from the store on
every check, not from the cookie. Sign-in is on by default; with `SOP_REQUIRE_LOGIN=0` a request without
a sign-in acts as the default user (`SOP_DEFAULT_USER`, 'admin').
"""

from __future__ import annotations

import logging
import os

from services import session_guard
from services.permissions import (  # noqa: F401  (re-exported for the callbacks)
    ACTION_LABELS,
    PERMISSIONS,
    ROLE_LABELS,
    NotAllowed,
    authorize,
    stored_user,
)

log = logging.getLogger("sop.auth")


def _default_user() -> dict | None:
    if session_guard.login_required():
        return None
    try:
        return stored_user(os.environ.get("SOP_DEFAULT_USER", "admin"))
    except Exception:
        log.exception("default user lookup failed")
        return None


def signed_in() -> dict | None:
    """{username, role} of the user of this request (the live session, else the default when sign-in is
    off), or None."""
    return session_guard.request_user() or _default_user()


def current_user() -> str:
    """The user name changes are recorded under."""
    user = signed_in()
    return user["username"] if user else "anonymous"


def require_user(action: str) -> dict:
    """The stored {username, role} when this request's user may do `action`; raises NotAllowed (fails
    closed: an error while reading the session or the store refuses)."""
    try:
        session_user = signed_in()
    except Exception:
        log.exception("reading the session failed")
        raise NotAllowed("Your sign-in could not be read, so nothing was changed; sign in again.") from None
    user = authorize(action, session_user)
    if session_guard.login_required() and _default_password(user["username"]):
        raise NotAllowed(f"{user['username']} still has the default password: change it on the sign-in page "
                         "(/login) first. Nothing was changed.")
    return user


def _default_password(username: str) -> bool:
    """Whether an administrator still has the default password (fails closed: an error refuses)."""
    from services import plan_service
    from services.users import must_change_password

    try:
        return must_change_password(plan_service.get_store(), username)
    except Exception:
        log.exception("checking for the default password failed")
        return True


def require(action: str) -> str:
    """The user name when this request's user may do `action`; raises NotAllowed otherwise."""
    return require_user(action)["username"]


def sign_in(username: str, password: str) -> dict | None:
    """Check the password (a disabled user cannot sign in) and start a server-side session; raises
    `login_throttle.Throttled` after too many failures for the user name or the address."""
    from services import plan_service

    import flask

    from services import login_throttle

    address = flask.request.remote_addr if flask.has_request_context() else None
    wait = login_throttle.retry_after(username, address)
    if wait > 0:  # refused before the password is checked, the right one too
        raise login_throttle.Throttled(login_throttle.message(wait))
    user = plan_service.get_store().check_password(username or "", password or "")
    if not user:
        login_throttle.failed(username, address)
        return None
    login_throttle.succeeded(user["username"])
    return session_guard.start(user["username"], user["role"])


def sign_out() -> None:
    session_guard.end()
