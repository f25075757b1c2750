"""Step 5 callbacks: agenda, decisions and action items of the current cycle."""

from __future__ import annotations

from dash import Input, Output, callback, dcc, html

from services import queries
from components.empty import empty_state
from components.layout import Col, summary_table

# (item, minutes, where the live data is)
AGENDA = [
    ("KPI review", 10, "/metrics"),
    ("Demand", 15, "/demand"),
    ("Supply", 15, "/supply"),
    ("Financials", 10, "/pre-sop"),
    ("Scenarios", 10, "/pre-sop"),
    ("Decisions", 15, "/meeting"),
]


def agenda() -> html.Div:
    total = sum(m for _, m, _ in AGENDA)
    items = [
        html.Li([
            html.Span(f"{n}.", className="me-2 fw-bold"),
            dcc.Link(name, href=href),
            html.Span(f"{minutes} min", className="float-end item-meta num"),
        ], **{"data-key": name})
        for n, (name, minutes, href) in enumerate(AGENDA, start=1)
    ]
    return html.Div([html.Ol(items, className="item-list", id="meeting-agenda-list"),
                     html.Div(f"{total} minutes in all", className="item-meta mt-2")])


def decisions_table(frame):
    if frame.empty:
        return empty_state("No decisions recorded for this cycle",
                           "Decisions taken in the executive meeting are listed here with their owner and rationale.",
                           icon="bi-check2-square")
    frame = frame.sort_values("decided_on", ascending=False)
    cols = [Col("decided_on", "Date", "text"), Col("topic", "Topic", "text"), Col("decision", "Decision", "text"),
            Col("rationale", "Rationale", "text"), Col("owner", "Owner", "text"), Col("impact", "Impact", "text")]
    return summary_table("meeting-decisions-table", cols, frame.to_dict("records"), "id")


def actions_table(frame):
    if frame.empty:
        return empty_state("No action items for this cycle",
                           "Action items agreed in the meetings are listed here with owner, due date and status.",
                           icon="bi-list-check")
    order = {"open": 0, "in progress": 1, "done": 2}
    frame = frame.assign(_o=frame["status"].map(order).fillna(1)).sort_values(["_o", "due_date"]).drop(columns="_o")
    cols = [Col("description", "Action", "text"), Col("owner", "Owner", "text"), Col("due_date", "Due", "text"),
            Col("priority", "Priority", "text"), Col("status", "Status", "text")]
    return summary_table("meeting-actions-table", cols, frame.to_dict("records"), "id")


@callback(
    Output("meeting-agenda", "children"),
    Output("meeting-decisions", "children"),
    Output("meeting-actions", "children"),
    Output("meeting-subtitle", "children"),
    Input("app-state", "data"),
)
def render_meeting(state):
    decisions = queries.decisions()
    actions = queries.actions()
    open_n = int((actions["status"] != "done").sum()) if len(actions) else 0
    cycle = (state or {}).get("cycle") or "—"
    subtitle = f"Cycle {cycle} · {len(decisions)} decision(s) · {open_n} open action item(s)"
    return agenda(), decisions_table(decisions), actions_table(actions), subtitle
