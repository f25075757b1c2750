"""Who is asking: the signed-in user of each request, and the one gate in front of every Flask route.

Sign-in is on unless `SOP_REQUIRE_LOGIN=0` (one person on a laptop: the app then acts as the default
user). The session cookie carries only the id of a session kept in the store (`Store.session_user`),
so sign-out, a disabled user, a password reset and the idle timeout (`SOP_SESSION_IDLE_HOURS`,
default 12) end it on the server, whatever copy of the cookie a browser kept.

With sign-in on, `guard` (a Flask `before_request` hook) lets an anonymous request through only when
it fetches the app's code and styles, the page shell, or runs one of the callbacks the login page
needs (the page router, sign-in, sign-out); a page visit is redirected to `/login?next=…`, any other
callback or route is refused with 401. Pages reached by navigating inside the app show the login form
instead of their content (`guard_pages`). Callbacks still check the role themselves
(`callbacks.auth.require`): this gate only keeps anonymous visitors out.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any
from urllib.parse import quote

import flask

from services.public_paths import is_public  # the load balancer's /healthz

log = logging.getLogger("sop.session")

# Requests that carry no company data: the app's code, styles and the callback graph.
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/static/")
OPEN_PATHS = {"/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_favicon.ico", "/login"}
# Callbacks an anonymous visitor may run: the login page's own (module.function), and Dash's page router.
PUBLIC_CALLBACKS = {"callbacks.login.do_sign_in", "callbacks.login.do_sign_out", "callbacks.login.show_demo_accounts"}
LOGIN_PATH = "/login"


def login_required() -> bool:
    """Sign-in is on unless SOP_REQUIRE_LOGIN=0."""
    return os.environ.get("SOP_REQUIRE_LOGIN", "1").strip() != "0"


def idle_timeout() -> dt.timedelta:
    """How long a session lives without a request (SOP_SESSION_IDLE_HOURS, default 12)."""
    try:
        hours = float(os.environ.get("SOP_SESSION_IDLE_HOURS") or 12)
    except ValueError:
        hours = 12.0
    return dt.timedelta(hours=hours if hours > 0 else 12.0)


def secure_cookies() -> bool:
    return os.environ.get("SOP_ENV", "").lower() == "production" or os.environ.get("SOP_SECURE_COOKIES") == "1"


def _store():
    from services.plan_service import get_store

    return get_store()


def request_user() -> dict[str, Any] | None:
    """{username, role} of this request's live session (checked against the store once per request),
    or None. A session that ended (signed out, user disabled or deleted, idle too long) is cleared."""
    if not flask.has_request_context():
        return None
    sid = flask.session.get("sid")
    cached = flask.g.get("sop_session")
    if cached is not None and cached[0] == sid:  # checked once per request
        return cached[1]
    user = None
    if sid:
        try:
            user = _store().session_user(str(sid), idle_timeout())
        except Exception:  # cannot check: treat as signed out (fails closed)
            log.exception("session lookup failed")
            user = None
        if user is None:
            flask.session.clear()
    elif "user" in flask.session:  # a cookie from before sessions were kept on the server
        flask.session.clear()
    flask.g.sop_session = (flask.session.get("sid"), user)
    return user


def start(username: str, role: str) -> dict[str, Any]:
    """Begin a server-side session for a user whose password was checked."""
    sid = _store().start_session(username)
    flask.session.clear()  # never reuse what the browser had before signing in
    flask.session.permanent = True  # expires after the idle timeout (refreshed on every request)
    flask.session["sid"] = sid
    user = {"username": username, "role": role}
    flask.g.sop_session = (sid, user)
    return user


def end() -> None:
    """End this request's session on the server and clear the cookie."""
    sid = flask.session.get("sid")
    if sid:
        try:
            _store().end_session(str(sid))
        except Exception:
            log.exception("ending session failed")
    flask.session.clear()
    flask.g.sop_session = (None, None)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this app (never another site, never the login page)."""
    if not target or not isinstance(target, str) or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or target.split("?")[0].rstrip("/") == LOGIN_PATH:
        return "/"
    return target


# ---------------------------------------------------------------------------- the gate


def _public_outputs(app) -> set[str]:
    """The output keys of the callbacks an anonymous visitor may run (the key names the callback)."""
    keys = set()
    for key, cb in app.callback_map.items():
        fn = cb.get("callback")
        if fn is None:
            continue
        name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__name__', '')}"
        qual = getattr(fn, "__qualname__", "")
        is_router = getattr(fn, "__module__", "").startswith("dash") and qual.endswith("<locals>.update") \
            and "router" in qual
        if name in PUBLIC_CALLBACKS or is_router:
            keys.add(key)
    return keys


def refuse(message: str, status: int = 401):
    return flask.make_response(flask.jsonify({"message": message}), status)


def guard(app):
    """The before_request hook for `app` (see the module's docstring)."""

    def _guard():
        path = "/" + app.strip_relative_path(flask.request.path).lstrip("/") if flask.request.path else "/"
        if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS or is_public(path):
            return None
        user = request_user()
        if user is not None or not login_required():
            return None
        if path == "/_dash-update-component":
            body = flask.request.get_json(silent=True) or {}
            if isinstance(body, dict) and body.get("output") in _public_outputs(app):
                return None
            return refuse("Sign in first: nothing was read or changed.")
        if flask.request.method in ("GET", "HEAD") and flask.request.endpoint in ("/", "/<path:path>"):
            query = flask.request.query_string.decode("utf-8", "replace")
            wanted = path + (f"?{query}" if query else "")
            return flask.redirect(app.get_relative_path(LOGIN_PATH) + "?next=" + quote(wanted, safe=""))
        return refuse("Sign in first.")

    return _guard


def guard_pages(login_layout) -> None:
    """Every page but the login page shows `login_layout(next=path)` to an anonymous visitor when sign-in
    is on (navigation inside the app never asks the server for a page, only the page router does)."""
    import dash

    for page in dash.page_registry.values():
        if page["path"] == LOGIN_PATH or getattr(page["layout"], "_sop_guarded", False):
            continue
        page["layout"] = _guarded(page["layout"], page["path"], login_layout)


def _guarded(layout, path: str, login_layout):
    def guarded_layout(**kwargs):
        if login_required() and request_user() is None:
            return login_layout(next=path)
        return layout(**kwargs) if callable(layout) else layout

    guarded_layout._sop_guarded = True
    return guarded_layout


def install(app, login_layout) -> None:
    """Cookie flags, idle timeout and the gate on the Dash app's Flask server; `login_layout(next=…)` is
    what a guarded page shows an anonymous visitor."""
    server = app.server
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies(),
        PERMANENT_SESSION_LIFETIME=idle_timeout(),
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    server.before_request(guard(app))
    guard_pages(login_layout)
