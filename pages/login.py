"""Sign in: who you are decides what you may change (the role is checked on the server).

With sign-in on (the default) this is the only page an anonymous visitor sees; `next` is where they were
going, and signing in goes there (or to the dashboard)."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.layout import page_header

dash.register_page(__name__, path="/login", title="Sign in · S&OP Studio", name="Sign in")


def layout(next=None, **_kwargs):  # noqa: A002  (the query parameter's name)
    return html.Div(
        [
            dcc.Location(id="login-redirect", refresh=True),
            dcc.Store(id="login-next", data=next or "/"),
            page_header("Sign in", "Sign in to see the plan; your role decides what you may change."),
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
                html.Div([  # shown after signing in with the default administrator password
                    html.Hr(),
                    html.P("This account still has the default password: choose a new one (8 characters or "
                           "more) before you change anything.", className="small"),
                    dbc.Label("New password", html_for="login-change-new"),
                    dbc.Input(id="login-change-new", type="password", autocomplete="new-password", className="mb-2"),
                    dbc.Label("New password again", html_for="login-change-confirm"),
                    dbc.Input(id="login-change-confirm", type="password", autocomplete="new-password",
                              className="mb-3"),
                    dbc.Button("Change password", id="login-change-submit", color="primary"),
                    html.Div(id="login-change-message", className="mt-3", role="status"),
                ], id="login-change", hidden=True),
                html.Div(id="login-demo"),
            ])), md=6, lg=4)),
        ]
    )
