"""The company profile: the initial assessment (current process, organisation, objectives), what it sets."""

import dash
from dash import dcc, html

from components.layout import page_header, panel
from services.profile import CHARACTERS, FREQUENCIES, FUNCTIONS, OBJECTIVE_UNITS, OBJECTIVES, PROCESSES, SCOPES, SIZES

dash.register_page(__name__, path="/profile", name="Company profile", title="Company profile · S&OP Studio",
                   order=7)


def _choice(id: str, label: str, options: dict[str, str]) -> html.Div:
    return html.Div([html.Label(label, className="form-label fw-bold", htmlFor=id),
                     dcc.Dropdown(id=id, clearable=False,
                                  options=[{"label": v, "value": k} for k, v in options.items()])],
                    className="col-md-4 mb-2")


def layout(**_query):
    participants = [html.Div([html.Label(f.capitalize(), className="form-label", htmlFor=f"profile-part-{f}"),
                              dcc.Input(id=f"profile-part-{f}", type="number", min=0, max=100, step=1,
                                        className="form-control")], className="col-md-3 mb-2")
                    for f in FUNCTIONS]
    objectives = [html.Div([
        html.Label(o.capitalize(), className="form-label fw-bold"),
        dcc.Dropdown(id=f"profile-prio-{o}", clearable=False,
                     options=[{"label": t, "value": v} for v, t in
                              enumerate(["not a priority", "some", "high", "top"])]),
        dcc.Input(id=f"profile-target-{o}", type="number", className="form-control mt-1",
                  placeholder=f"target, {OBJECTIVE_UNITS[o]}"),
    ], className="col-md-3 mb-2") for o in OBJECTIVES]
    return html.Div([
        page_header("Company profile", "How the company plans today, its context and its objectives",
                    id="profile-subtitle"),
        panel("Current state", html.Div([
            _choice("profile-process", "Planning process today", PROCESSES),
            _choice("profile-frequency", "Planning cycle", FREQUENCIES),
            html.Div(html.Label("Participants per function", className="form-label fw-bold"), className="col-12"),
            *participants,
            html.Div([html.Label("Pain points", className="form-label fw-bold", htmlFor="profile-pain"),
                      dcc.Textarea(id="profile-pain", className="form-control", style={"height": "70px"})],
                     className="col-12 mb-2"),
        ], className="row")),
        panel("Organisation", html.Div([
            _choice("profile-size", "Company size", SIZES),
            _choice("profile-scope", "Geographic scope", SCOPES),
            _choice("profile-character", "Demand character", CHARACTERS),
            html.Div(id="profile-facts", className="col-12 item-meta"),
        ], className="row")),
        panel("Objectives and governance", html.Div([
            *objectives,
            html.Div([html.Label("Decision authority", className="form-label fw-bold", htmlFor="profile-authority"),
                      dcc.Textarea(id="profile-authority", className="form-control", style={"height": "60px"})],
                     className="col-12 mb-2"),
        ], className="row"), subtitle="Priorities set the scenario weights on 4 Pre-S&OP; targets set KPI targets"),
        html.Button("Save the profile", id="profile-save", n_clicks=0, className="btn btn-primary"),
        html.Span(" Administrators edit the profile; everyone can read it.", className="item-meta"),
        html.Div(id="profile-msg", className="mt-2"),
        panel("What the profile sets", html.Div(id="profile-uses"),
              subtitle="Each is a default: change it on /metrics (targets) or 4 Pre-S&OP (weights)"),
        dcc.Store(id="profile-saved", data=0),
    ])
