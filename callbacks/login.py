"""Sign in and out (Flask session); the header shows who is signed in."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, no_update

from callbacks.auth import ROLE_LABELS, sign_in, sign_out, signed_in


def user_badge_text() -> str:
    user = signed_in()
    if not user:
        return "Not signed in"
    return f"{user['username']} · {ROLE_LABELS.get(user['role'], user['role'])}"


@callback(
    Output("login-message", "children"),
    Output("shell-user", "children"),
    Input("login-submit", "n_clicks"),
    Input("login-password", "n_submit"),
    State("login-username", "value"),
    State("login-password", "value"),
    prevent_initial_call=True,
)
def do_sign_in(clicks, submit, username, password):
    if not clicks and not submit:  # the page was just inserted: nothing was asked
        return no_update, no_update
    if not username or not password:
        return dbc.Alert("Enter your user name and password.", color="warning"), no_update
    user = sign_in(username, password)
    if user is None:
        return dbc.Alert("That user name and password do not match.", color="danger"), no_update
    label = ROLE_LABELS.get(user["role"], user["role"])
    return dbc.Alert(f"Signed in as {user['username']} ({label}).", color="success"), user_badge_text()


@callback(
    Output("login-message", "children", allow_duplicate=True),
    Output("shell-user", "children", allow_duplicate=True),
    Input("login-signout", "n_clicks"),
    prevent_initial_call=True,
)
def do_sign_out(clicks):
    if not clicks:
        return no_update, no_update
    sign_out()
    return dbc.Alert("Signed out.", color="secondary"), user_badge_text()
