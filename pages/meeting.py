"""Step 5 — executive S&OP meeting: agenda, plan versions (approve, compare), decisions and action items."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.cycle_close import close_cycle_panel
from components.checklist import checklist_panel
from components.layout import page_header, panel

dash.register_page(__name__, path="/meeting", name="5 Meeting", title="5 Meeting · S&OP Studio", order=5)

TOPICS = [("demand", "Demand"), ("supply", "Supply"), ("financial", "Financial"), ("strategic", "Strategic")]
PRIORITIES = [("high", "High"), ("medium", "Medium"), ("low", "Low")]


def _field(label: str, control, width: str = "col-md-3") -> html.Div:
    return html.Div([dbc.Label(label, className="small mb-1"), control], className=f"{width} col-12")


def decision_form() -> html.Div:
    return html.Div([
        _field("About", dcc.Dropdown(id="meeting-decision-topic", options=[{"label": t, "value": v}
                                                                         for v, t in TOPICS],
                                     value="supply", clearable=False), "col-md-2"),
        _field("Decision", dbc.Input(id="meeting-decision-text", maxLength=2000,
                                     placeholder="e.g. approve overtime for Electronics in January"), "col-md-4"),
        _field("Rationale", dbc.Input(id="meeting-decision-rationale", maxLength=2000,
                                      placeholder="why"), "col-md-3"),
        _field("Owner", dbc.Input(id="meeting-decision-owner", maxLength=100, placeholder="who carries it"),
               "col-md-3"),
        _field("Financial impact", dbc.Input(id="meeting-decision-impact", maxLength=2000,
                                             placeholder="e.g. overtime 15,000"), "col-md-4"),
        html.Div(dbc.Button([html.I(className="bi bi-check2-square me-1"), "Record decision"],
                            id="meeting-decision-add", color="primary", size="sm", n_clicks=0),
                 className="col-md-3 col-12 d-flex align-items-end"),
        html.Div(id="meeting-decision-msg", className="col-12"),
    ], className="row g-2 mb-3")


def action_form() -> html.Div:
    return html.Div([
        _field("Action", dbc.Input(id="meeting-action-text", maxLength=2000,
                                   placeholder="e.g. confirm the overtime with the plant"), "col-md-5"),
        _field("Owner", dbc.Input(id="meeting-action-owner", maxLength=100), "col-md-2"),
        _field("Due", dbc.Input(id="meeting-action-due", type="date"), "col-md-2"),
        _field("Priority", dcc.Dropdown(id="meeting-action-priority", value="medium", clearable=False,
                                        options=[{"label": t, "value": v} for v, t in PRIORITIES]), "col-md-1"),
        html.Div(dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add action"], id="meeting-action-add",
                            color="primary", size="sm", n_clicks=0),
                 className="col-md-2 col-12 d-flex align-items-end"),
        html.Div(id="meeting-action-msg", className="col-12"),
    ], className="row g-2 mb-3")


def deck() -> html.Div:
    """The presentation overlay (hidden until Present): slides, timer, position, keyboard hints."""
    return html.Div([
        dcc.Store(id="meeting-deck-key"),
        dcc.Interval(id="meeting-deck-poll", interval=3000, disabled=True),
        html.Div([
            html.Span(id="meeting-deck-timer", className="deck-timer"),
            html.Span(id="meeting-deck-position", className="deck-position"),
            html.Span(id="meeting-deck-updated", className="deck-updated"),
            html.Span("→ next · ← back · Space timer · F full screen · Esc leave", className="deck-keys"),
        ], className="deck-bar"),
        html.Div(id="meeting-deck-slides", className="deck-slides"),
    ], id="meeting-deck", className="meeting-deck", style={"display": "none"})


def layout(**_query):
    return html.Div(
        [
            dcc.Store(id="meeting-notes-changed"),
            deck(),
            page_header("5 · Executive S&OP meeting", "Agenda, the plan to approve, decisions and action items of "
                        "this cycle", id="meeting-subtitle"),
            checklist_panel("meeting"),
            html.Div(
                [
                    html.Div(panel("Agenda", id="meeting-agenda"), className="col-xl-4 col-12"),
                    html.Div(panel("Plan versions", [
                        html.Div([
                            dbc.Button([html.I(className="bi bi-patch-check me-1"), "Approve plan"],
                                       id="meeting-approve", color="success", size="sm", n_clicks=0),
                            dbc.Button([html.I(className="bi bi-easel me-1"), "Present"], id="meeting-present",
                                       color="primary", size="sm", n_clicks=0, className="ms-2"),
                            html.Span("Approving freezes the plan as it is now; later edits open the next draft.",
                                      className="item-meta ms-3"),
                        ], className="d-flex align-items-center mb-2"),
                        html.Div(id="meeting-approve-msg"),
                        dcc.Loading(html.Div(id="meeting-versions"), type="dot"),
                    ]), className="col-xl-8 col-12"),
                ],
                className="row g-3",
            ),
            panel("Compare versions", [
                html.Div([
                    html.Div(dcc.Dropdown(id="meeting-compare-a", clearable=False, placeholder="from…"),
                             className="col-md-4 col-12"),
                    html.Div(html.I(className="bi bi-arrow-right"), className="col-auto align-self-center"),
                    html.Div(dcc.Dropdown(id="meeting-compare-b", clearable=False, placeholder="to…"),
                             className="col-md-4 col-12"),
                ], className="row g-2 mb-2"),
                dcc.Loading(html.Div(id="meeting-compare"), type="dot"),
            ], subtitle="Family × month: demand units, capacity, gap and revenue; only the family-months that "
                        "differ are listed"),
            panel("Decisions", [decision_form(), dcc.Loading(html.Div(id="meeting-decisions"), type="dot")]),
            panel("Action items", [action_form(), html.Div(id="meeting-actions")]),
            panel("Minutes", [
                html.Div([
                    html.Div(dcc.Dropdown(id="meeting-minutes-cycle", clearable=False, placeholder="cycle"),
                             className="col-md-3 col-12"),
                    html.Div([
                        dbc.Button([html.I(className="bi bi-filetype-pdf me-1"), "Minutes (PDF)"],
                                   id="meeting-minutes-pdf", color="primary", size="sm", n_clicks=0,
                                   className="me-2"),
                        dbc.Button([html.I(className="bi bi-filetype-html me-1"), "Minutes (HTML)"],
                                   id="meeting-minutes-html", color="secondary", outline=True, size="sm",
                                   n_clicks=0),
                    ], className="col-md-6 col-12 d-flex align-items-center"),
                ], className="row g-2"),
                html.Div(id="meeting-minutes-msg", className="mt-2"),
                dcc.Download(id="meeting-minutes-download"),
            ], subtitle="Agenda, KPIs against targets, the plan by family, constraints and their solution, money, "
                        "decisions and action items, with the charts; for this cycle or any earlier one"),
            close_cycle_panel(),
        ]
    )
