"""Sign in and out (sessions kept on the server); the header shows who is signed in.

These callbacks (and `show_demo_accounts`) are the only ones an anonymous visitor may run while sign-in
is on (`services.session_guard.PUBLIC_CALLBACKS`)."""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from callbacks.auth import ROLE_LABELS, sign_in, sign_out, signed_in
from services.login_throttle import Throttled
from services.session_guard import safe_next

log = logging.getLogger("sop.login")


def user_badge():
    """'dana · Demand planner' for the header; the role is hidden on narrow screens (assets/app.css)."""
    user = signed_in()
    if not user:
        return "Not signed in"
    return [user["username"], html.Span(f" · {ROLE_LABELS.get(user['role'], user['role'])}", className="shell-role")]


@callback(
    Output("login-message", "children"),
    Output("shell-user", "children"),
    Output("login-redirect", "href"),
    Output("login-change", "hidden"),
    Input("login-submit", "n_clicks"),
    Input("login-password", "n_submit"),
    State("login-username", "value"),
    State("login-password", "value"),
    State("login-next", "data"),
    prevent_initial_call=True,
)
def do_sign_in(clicks, submit, username, password, next_path):
    if not clicks and not submit:  # the page was just inserted: nothing was asked
        return no_update, no_update, no_update, no_update
    if not username or not password:
        return dbc.Alert("Enter your user name and password.", color="warning"), no_update, no_update, no_update
    try:
        user = sign_in(username, password)
    except Throttled as exc:
        return dbc.Alert(str(exc), color="danger", id="login-throttled"), no_update, no_update, no_update
    if user is None:
        return dbc.Alert("That user name and password do not match (or the user is disabled).",
                         color="danger"), no_update, no_update, no_update
    label = ROLE_LABELS.get(user["role"], user["role"])
    if _must_change(user["username"]):  # stays here: the new password first
        return (dbc.Alert(f"Signed in as {user['username']} ({label}). Change the default password below "
                          "before you change anything.", color="warning", id="login-must-change"),
                user_badge(), no_update, False)
    # a full page load: the shell (navigation, header, the plan's ids) is built for the signed-in user
    return (dbc.Alert(f"Signed in as {user['username']} ({label}).", color="success", id="login-ok"),
            user_badge(), safe_next(next_path), True)


def _must_change(username: str) -> bool:
    from services import plan_service
    from services.session_guard import login_required
    from services.users import must_change_password

    try:
        return login_required() and must_change_password(plan_service.get_store(), username)
    except Exception:
        log.exception("checking for the default password failed")
        return True


@callback(
    Output("login-change-message", "children"),
    Output("login-redirect", "href", allow_duplicate=True),
    Output("login-change-new", "value"),
    Output("login-change-confirm", "value"),
    Input("login-change-submit", "n_clicks"),
    State("login-change-new", "value"),
    State("login-change-confirm", "value"),
    State("login-next", "data"),
    prevent_initial_call=True,
)
def do_change_password(clicks, new, confirm, next_path):
    """The signed-in administrator replaces the default password; signed in again with the new one."""
    from services import plan_service, session_guard
    from services.users import UserError, change_default_password

    if not clicks:
        return no_update, no_update, no_update, no_update
    user = signed_in()
    if not user or not session_guard.login_required():
        return dbc.Alert("Sign in first.", color="danger"), no_update, "", ""
    try:
        done = change_default_password(plan_service.get_store(), username=user["username"], new=new,
                                       confirm=confirm)
    except UserError as exc:
        return dbc.Alert(str(exc), color="danger", id="login-change-refused"), no_update, "", ""
    session_guard.start(user["username"], user["role"])  # the change ended every session of the user
    return dbc.Alert(done, color="success", id="login-change-done"), safe_next(next_path), "", ""


@callback(
    Output("login-message", "children", allow_duplicate=True),
    Output("shell-user", "children", allow_duplicate=True),
    Output("login-redirect", "href", allow_duplicate=True),
    Output("login-change", "hidden", allow_duplicate=True),
    Input("login-signout", "n_clicks"),
    prevent_initial_call=True,
)
def do_sign_out(clicks):
    if not clicks:
        return no_update, no_update, no_update, no_update
    sign_out()
    return dbc.Alert("Signed out.", color="secondary"), user_badge(), "/login", True


@callback(
    Output("login-demo", "children"),
    Input("login-next", "data"),
)
def show_demo_accounts(_next):
    """The demo accounts, listed only while they exist, are enabled and still have the demo password."""
    from services import plan_service
    from services.users import demo_accounts

    try:
        accounts = demo_accounts(plan_service.get_store())
    except Exception:
        log.exception("demo accounts could not be read")
        return None
    if not accounts:
        return None
    items = []
    for a in accounts:
        items.extend([html.Code(a["username"]), f" {ROLE_LABELS.get(a['role'], a['role'])} (password ",
                      html.Code(a["password"]), "); "])
    return [html.Hr(), html.P(["Demo accounts of the sample company: ", *items[:-1], ")."],
                              className="text-muted small mb-0", id="login-demo-accounts")]
