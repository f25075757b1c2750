"""The users page: one callback reads the list and applies the administrator's change (the rules are in
services/users.py; `manage_users` is checked on the server before anything is read or written)."""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, no_update

from callbacks.auth import NotAllowed, require
from components.layout import Col, summary_table

log = logging.getLogger("sop.admin_users")

USER_COLUMNS = [Col("username", "User", "text"), Col("role", "Role", "text"), Col("status", "Status", "text"),
                Col("created", "Created", "text")]
EVENT_COLUMNS = [Col("at", "When", "text"), Col("by", "By", "text"), Col("username", "User", "text"),
                 Col("event", "Change", "text"), Col("detail", "Detail", "text")]
ACTIONS = {"admin-add-submit", "admin-disable", "admin-enable", "admin-reset-password", "admin-change-role"}


@callback(
    Output("admin-users-list", "children"),
    Output("admin-users-events", "children"),
    Output("admin-user-select", "options"),
    Output("admin-users-message", "children"),
    Output("admin-add-password", "value"),
    Output("admin-new-password", "value"),
    Input("admin-users-load", "data"),
    Input("admin-add-submit", "n_clicks"),
    Input("admin-disable", "n_clicks"),
    Input("admin-enable", "n_clicks"),
    Input("admin-reset-password", "n_clicks"),
    Input("admin-change-role", "n_clicks"),
    State("admin-add-username", "value"),
    State("admin-add-role", "value"),
    State("admin-add-password", "value"),
    State("admin-user-select", "value"),
    State("admin-new-password", "value"),
    State("admin-role-select", "value"),
    prevent_initial_call=False,
)
def manage_users(_load, _add, _disable, _enable, _reset, _role, add_username, add_role, add_password, user,
                 new_password, role):
    trigger = ctx.triggered_id if ctx.triggered_id in ACTIONS else None
    try:
        by = require("manage_users")  # reading the list is for administrators too
    except NotAllowed as exc:
        refused = f"{exc} Nothing was changed." if trigger else str(exc)
        return None, None, [], dbc.Alert(refused, color="danger" if trigger else "secondary",
                                         id="admin-users-refused"), None, None
    from services import plan_service
    from services import users as users_service

    store = plan_service.get_store()
    message = no_update
    if trigger:
        try:
            if trigger == "admin-add-submit":
                done = users_service.add_user(store, by=by, username=add_username, role=add_role,
                                              password=add_password)
            elif trigger in ("admin-disable", "admin-enable"):
                done = users_service.set_disabled(store, by=by, username=user, disabled=trigger == "admin-disable")
            elif trigger == "admin-reset-password":
                done = users_service.reset_password(store, by=by, username=user, password=new_password)
            else:
                done = users_service.change_role(store, by=by, username=user, role=role)
            message = dbc.Alert(done, color="success", id="admin-users-done")
        except users_service.UserError as exc:
            message = dbc.Alert(f"{exc} Nothing was changed.", color="danger", id="admin-users-refused")
        except Exception as exc:  # a bug or the store: say so, nothing half-done (each change is one transaction)
            log.exception("user change failed")
            message = dbc.Alert(f"The change failed ({type(exc).__name__}: {exc}). Nothing was changed.",
                                color="danger", id="admin-users-error")
    rows = users_service.users_table(store)
    event_rows = users_service.events_table(store)
    options = [{"label": f"{r['username']} ({r['role']}, {r['status']})", "value": r["username"]} for r in rows]
    return (summary_table("admin-users-table", USER_COLUMNS, rows, "username"),
            summary_table("admin-users-events-table", EVENT_COLUMNS, event_rows, "at") if event_rows
            else "No changes yet.", options, message,
            # a typed password never stays on the page after it was used (or refused)
            None if trigger else no_update, None if trigger else no_update)
