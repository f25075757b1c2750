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


DECISION_STATUSES = [("agreed", "Agreed"), ("proposed", "Proposed"), ("done", "Done"), ("dropped", "Dropped")]
ACTION_STATUSES = [("open", "Open"), ("in progress", "In progress"), ("done", "Done")]
LEVELS = [("high", "High"), ("medium", "Medium"), ("low", "Low")]
RISK_STATUSES = [("open", "Open"), ("mitigated", "Mitigated"), ("closed", "Closed")]


def _options(pairs) -> list[dict]:
    return [{"label": t, "value": v} for v, t in pairs]


def decision_form(prefix: str = "meeting", compact: bool = False) -> html.Div:
    """Category, text, rationale, owner, due, status, the family-month it concerns (the money is computed from
    the plan there when no amount is given), amount, impact note and the plan version."""
    w = (lambda wide, narrow: narrow) if compact else (lambda wide, narrow: wide)
    fields = [
        _field("About", dcc.Dropdown(id=f"{prefix}-decision-topic", options=_options(TOPICS), value="supply",
                                     clearable=False), w("col-md-2", "col-md-2")),
        _field("Decision", dbc.Input(id=f"{prefix}-decision-text", maxLength=2000,
                                     placeholder="e.g. approve overtime for Electronics in January"),
               w("col-md-4", "col-md-4")),
        _field("Family", dcc.Dropdown(id=f"{prefix}-decision-family", placeholder="family (optional)"),
               w("col-md-3", "col-md-2")),
        _field("Month", dcc.Dropdown(id=f"{prefix}-decision-month", placeholder="whole horizon"),
               w("col-md-3", "col-md-2")),
        _field("Money (impact)", dbc.Input(id=f"{prefix}-decision-amount", maxLength=30, inputMode="decimal",
                                           placeholder="computed from the plan"), w("col-md-2", "col-md-2")),
    ]
    if not compact:
        fields += [
            _field("Rationale", dbc.Input(id=f"{prefix}-decision-rationale", maxLength=2000, placeholder="why"),
                   "col-md-4"),
            _field("Owner", dbc.Input(id=f"{prefix}-decision-owner", maxLength=100, placeholder="who carries it"),
                   "col-md-2"),
            _field("Due", dbc.Input(id=f"{prefix}-decision-due", type="date"), "col-md-2"),
            _field("Status", dcc.Dropdown(id=f"{prefix}-decision-status", options=_options(DECISION_STATUSES),
                                          value="agreed", clearable=False), "col-md-2"),
            _field("Plan version", dcc.Dropdown(id=f"{prefix}-decision-version", placeholder="current version"),
                   "col-md-2"),
            _field("Impact note", dbc.Input(id=f"{prefix}-decision-impact", maxLength=2000,
                                            placeholder="e.g. overtime 15,000"), "col-md-4"),
        ]
    fields += [
        html.Div(dbc.Button([html.I(className="bi bi-check2-square me-1"), "Record decision"],
                            id=f"{prefix}-decision-add", color="primary", size="sm", n_clicks=0),
                 className="col-md-2 col-12 d-flex align-items-end"),
        html.Div(id=f"{prefix}-decision-computed", className="col-12 item-meta"),
        html.Div(id=f"{prefix}-decision-msg", className="col-12"),
    ]
    return html.Div(fields, className="row g-2 mb-3")


def action_form(prefix: str = "meeting", compact: bool = False) -> html.Div:
    return html.Div([
        _field("Action", dbc.Input(id=f"{prefix}-action-text", maxLength=2000,
                                   placeholder="e.g. confirm the overtime with the plant"), "col-md-4"),
        _field("Owner", dbc.Input(id=f"{prefix}-action-owner", maxLength=100), "col-md-2"),
        _field("Due", dbc.Input(id=f"{prefix}-action-due", type="date"), "col-md-2"),
        _field("Priority", dcc.Dropdown(id=f"{prefix}-action-priority", value="medium", clearable=False,
                                        options=_options(PRIORITIES)), "col-md-1"),
        _field("Status", dcc.Dropdown(id=f"{prefix}-action-status", value="open", clearable=False,
                                      options=_options(ACTION_STATUSES)), "col-md-1"),
        html.Div(dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add action"], id=f"{prefix}-action-add",
                            color="primary", size="sm", n_clicks=0),
                 className="col-md-2 col-12 d-flex align-items-end"),
        html.Div(id=f"{prefix}-action-msg", className="col-12"),
    ], className="row g-2 mb-3")


def status_form(kind: str, statuses) -> html.Div:
    """Change the status of a recorded action item or risk (done stamps when)."""
    label = {"action": "Action item", "risk": "Risk"}[kind]
    return html.Div([
        _field(label, dcc.Dropdown(id=f"meeting-{kind}-pick", placeholder="choose one to update…"), "col-md-6"),
        _field("New status", dcc.Dropdown(id=f"meeting-{kind}-newstatus", options=_options(statuses),
                                          value=statuses[-1][0], clearable=False), "col-md-3"),
        html.Div(dbc.Button("Set status", id=f"meeting-{kind}-setstatus", color="secondary", outline=True,
                            size="sm", n_clicks=0), className="col-md-3 col-12 d-flex align-items-end"),
        html.Div(id=f"meeting-{kind}-status-msg", className="col-12"),
    ], className="row g-2 mt-2")


def attendee_form(prefix: str = "meeting") -> html.Div:
    return html.Div([
        _field("User", dcc.Dropdown(id=f"{prefix}-attendee-user", placeholder="a user of S&OP Studio…"), "col-md-3"),
        _field("or name", dbc.Input(id=f"{prefix}-attendee-name", maxLength=200, placeholder="a guest's name"),
               "col-md-3"),
        _field("Function", dbc.Input(id=f"{prefix}-attendee-function", maxLength=100,
                                     placeholder="e.g. Operations"), "col-md-3"),
        html.Div(dbc.Button([html.I(className="bi bi-person-plus me-1"), "Add attendee"],
                            id=f"{prefix}-attendee-add", color="primary", size="sm", n_clicks=0),
                 className="col-md-3 col-12 d-flex align-items-end"),
        html.Div(id=f"{prefix}-attendee-msg", className="col-12"),
    ], className="row g-2 mb-2")


def risk_form(prefix: str = "meeting") -> html.Div:
    return html.Div([
        _field("Risk", dbc.Input(id=f"{prefix}-risk-text", maxLength=2000, placeholder="e.g. supplier strike"),
               "col-md-4"),
        _field("Likelihood", dcc.Dropdown(id=f"{prefix}-risk-likelihood", value="medium", clearable=False,
                                          options=_options(LEVELS)), "col-md-2"),
        _field("Impact", dcc.Dropdown(id=f"{prefix}-risk-impact", value="medium", clearable=False,
                                      options=_options(LEVELS)), "col-md-2"),
        _field("Owner", dbc.Input(id=f"{prefix}-risk-owner", maxLength=100), "col-md-2"),
        _field("Contingency", dbc.Input(id=f"{prefix}-risk-contingency", maxLength=2000,
                                        placeholder="what we do if it happens"), "col-md-8"),
        html.Div(dbc.Button([html.I(className="bi bi-shield-exclamation me-1"), "Add risk"],
                            id=f"{prefix}-risk-add", color="primary", size="sm", n_clicks=0),
                 className="col-md-2 col-12 d-flex align-items-end"),
        html.Div(id=f"{prefix}-risk-msg", className="col-12"),
    ], className="row g-2 mb-2")


def agenda_form() -> html.Div:
    return html.Div([
        html.Div(dbc.Input(id="meeting-agenda-title", maxLength=200, placeholder="new item's title", size="sm"),
                 className="col-7"),
        html.Div(dbc.Input(id="meeting-agenda-minutes", type="number", min=1, max=240, step=1, value=15,
                           size="sm"), className="col-2"),
        html.Div(dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add"], id="meeting-agenda-add",
                            color="secondary", outline=True, size="sm", n_clicks=0), className="col-3"),
        html.Div(id="meeting-agenda-msg", className="col-12"),
    ], className="row g-1 mt-2")


def timer_controls() -> html.Div:
    return html.Div([
        dbc.Button([html.I(className="bi bi-play-circle me-1"), "Start meeting"], id="meeting-start",
                   color="success", size="sm", n_clicks=0),
        dbc.Button([html.I(className="bi bi-pause-circle me-1"), "Start / pause"], id="meeting-timer-toggle",
                   color="secondary", outline=True, size="sm", n_clicks=0, className="ms-1"),
        dbc.Button([html.I(className="bi bi-skip-forward me-1"), "Next item"], id="meeting-timer-next",
                   color="secondary", outline=True, size="sm", n_clicks=0, className="ms-1"),
        dbc.Button([html.I(className="bi bi-stop-circle me-1"), "End meeting"], id="meeting-end",
                   color="danger", outline=True, size="sm", n_clicks=0, className="ms-1"),
        html.Div(id="meeting-timer-msg", className="mt-1"),
        html.Div(id="meeting-status", className="item-meta mt-1"),
    ], className="mb-2")


def capture_panel() -> html.Div:
    """Compact capture forms inside the deck (they stay put while the slides redraw)."""
    return html.Div([
        html.Div([
            dbc.Button([html.I(className="bi bi-pencil-square me-1"), "Capture"], id="deck-capture-toggle",
                       color="secondary", outline=True, size="sm", n_clicks=0),
            html.Span("attendees · decisions · actions · risks, stored at once", className="item-meta ms-2"),
        ]),
        dbc.Collapse(dbc.Tabs([
            dbc.Tab(attendee_form("deck"), label="Attendee", tab_id="attendee"),
            dbc.Tab(decision_form("deck", compact=True), label="Decision", tab_id="decision"),
            dbc.Tab(action_form("deck", compact=True), label="Action", tab_id="action"),
            dbc.Tab(risk_form("deck"), label="Risk", tab_id="risk"),
        ], id="deck-capture-tabs", active_tab="decision", className="mt-2"), id="deck-capture", is_open=False),
    ], className="deck-capture")


def deck() -> html.Div:
    """The presentation overlay (hidden until Present): slides, timer, position, keyboard hints, capture."""
    return html.Div([
        dcc.Store(id="meeting-deck-key"),
        dcc.Store(id="meeting-deck-command"),  # set by assets/presentation.js: {op, key, t}
        dcc.Interval(id="meeting-deck-poll", interval=1000, disabled=True),
        html.Div([
            html.Span(id="meeting-deck-timer", className="deck-timer"),
            html.Span(id="meeting-deck-position", className="deck-position"),
            html.Span(id="meeting-deck-updated", className="deck-updated"),
            html.Span(id="meeting-deck-msg", className="deck-msg"),
            html.Span("→ next · ← back · Space timer · F full screen · Esc leave", className="deck-keys"),
        ], className="deck-bar"),
        html.Div(id="meeting-deck-slides", className="deck-slides"),
        capture_panel(),
    ], id="meeting-deck", className="meeting-deck", style={"display": "none"})


def layout(**_query):
    return html.Div(
        [
            dcc.Store(id="meeting-notes-changed"),
            dcc.Store(id="meeting-seen"),
            dcc.Interval(id="meeting-poll", interval=3000),
            html.Div(id="meeting-timer-state", style={"display": "none"}),  # the stored timer, for the JS clock
            deck(),
            page_header("5 · Executive S&OP meeting", "Agenda, the plan to approve, decisions and action items of "
                        "this cycle", id="meeting-subtitle"),
            checklist_panel("meeting"),
            html.Div(
                [
                    html.Div(panel("Agenda and timer", [timer_controls(), html.Div(id="meeting-agenda"), agenda_form()]),
                             className="col-xl-5 col-12"),
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
                    ]), className="col-xl-7 col-12"),
                ],
                className="row g-3",
            ),
            html.Div([
                html.Div(panel("Attendees", [attendee_form(), html.Div(id="meeting-attendees")]),
                         className="col-xl-5 col-12"),
                html.Div(panel("Risks and contingencies", [risk_form(), html.Div(id="meeting-risks"),
                                                            status_form("risk", RISK_STATUSES)]),
                         className="col-xl-7 col-12"),
            ], className="row g-3"),
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
            panel("Decisions", [decision_form(), html.Div(id="meeting-decisions")]),
            panel("Action items", [action_form(), html.Div(id="meeting-actions"),
                                   status_form("action", ACTION_STATUSES)]),
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
