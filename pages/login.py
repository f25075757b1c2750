"""Sign in: who you are decides what you may change (the role is checked on the server)."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.layout import page_header

dash.register_page(__name__, path="/login", title="Sign in · S&OP Studio", name="Sign in")


def layout(**_kwargs):
    return html.Div(
        [
            page_header("Sign in", "Your role decides what you may change; everyone may read."),
            dbc.Row(dbc.Col(dbc.Card(dbc.CardBody([
                dbc.Label("User name", html_for="login-username"),
                dbc.Input(id="login-username", autocomplete="username", className="mb-3"),
                dbc.Label("Password", html_for="login-password"),
                dbc.Input(id="login-password", type="password", autocomplete="current-password", className="mb-3"),
                html.Div([
                    dbc.Button("Sign in", id="login-submit", color="primary", className="me-2"),
                    dbc.Button("Sign out", id="login-signout", color="secondary", outline=True),
                ]),
                html.Div(id="login-message", className="mt-3", role="status"),
                html.Hr(),
                html.P(["The sample company has one user per role (password ", html.Code("demo"), "): ",
                        html.Code("dana"), " demand planner, ", html.Code("sam"), " supply planner, ",
                        html.Code("erin"), " executive, ", html.Code("fay"), " facilitator; and ",
                        html.Code("admin"), "."], className="text-muted small mb-0"),
            ])), md=6, lg=4)),
        ]
    )
