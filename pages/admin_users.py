"""Users (administrators only): list, add, disable or enable, reset a password, change a role.

The layout is the same for everyone; its callback reads the list only for an administrator and every
change checks `manage_users` on the server (callbacks/admin_users.py)."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.layout import page_header, panel

dash.register_page(__name__, path="/admin/users", name="Users", title="Users · S&OP Studio")

ROLE_OPTIONS = [
    {"label": "Executive", "value": "executive"},
    {"label": "Demand planner", "value": "demand_planner"},
    {"label": "Supply planner", "value": "supply_planner"},
    {"label": "Facilitator", "value": "facilitator"},
    {"label": "Administrator", "value": "admin"},
]


def _field(label, component):
    return dbc.Col([dbc.Label(label, html_for=component.id, className="small mb-1"), component], md=3)


def layout(**_query):
    return html.Div(
        [
            dcc.Store(id="admin-users-load", data=1),
            page_header("Users", "Who may sign in and with which role; every change is recorded with who and "
                                 "when."),
            html.Div(id="admin-users-message", role="status"),
            panel("Users", html.Div(id="admin-users-list")),
            panel("Add a user", dbc.Row([
                _field("User name", dbc.Input(id="admin-add-username", autocomplete="off")),
                _field("Role", dcc.Dropdown(id="admin-add-role", options=ROLE_OPTIONS, clearable=False)),
                _field("Initial password (8 characters or more)",
                       dbc.Input(id="admin-add-password", type="password", autocomplete="new-password")),
                dbc.Col(dbc.Button("Add user", id="admin-add-submit", color="primary"), md=3,
                        className="d-flex align-items-end"),
            ], className="g-3")),
            panel("Change a user", [
                dbc.Row([
                    _field("User", dcc.Dropdown(id="admin-user-select", options=[], clearable=False)),
                    dbc.Col([dbc.Button("Disable", id="admin-disable", color="danger", outline=True,
                                        className="me-2"),
                             dbc.Button("Enable", id="admin-enable", color="success", outline=True)],
                            md=3, className="d-flex align-items-end"),
                ], className="g-3 mb-3"),
                dbc.Row([
                    _field("New role", dcc.Dropdown(id="admin-role-select", options=ROLE_OPTIONS, clearable=False)),
                    dbc.Col(dbc.Button("Change role", id="admin-change-role", color="secondary"), md=3,
                            className="d-flex align-items-end"),
                    _field("New password (8 characters or more)",
                           dbc.Input(id="admin-new-password", type="password", autocomplete="new-password")),
                    dbc.Col(dbc.Button("Reset password", id="admin-reset-password", color="secondary"), md=3,
                            className="d-flex align-items-end"),
                ], className="g-3"),
            ], subtitle="Disabling a user or resetting their password ends their sessions at once."),
            panel("Recent changes to users", html.Div(id="admin-users-events")),
        ]
    )
