"""Step 5 callbacks: agenda, plan versions (approve, compare), decisions and action items of the current cycle."""

from __future__ import annotations

import time

import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require
from callbacks.shell import current_context, state_from_context
from components.plan_workbook import note
from components.shell import cycle_badge

from services import meeting, minutes, queries, versions
from services.edits import EditError
from services.plan_service import ConflictError
from components.empty import empty_state
from components.layout import Col, summary_table

WHERE = {"performance": "/metrics", "demand": "/demand", "supply": "/supply", "financial": "/pre-sop",
         "scenarios": "/pre-sop", "strategic": "/demand", "decisions": "/meeting"}  # where each item's live data is


def agenda() -> html.Div:
    total = sum(m for _, _, m in meeting.AGENDA)
    items = [
        html.Li([
            html.Span(f"{n}.", className="me-2 fw-bold"),
            dcc.Link(title, href=WHERE.get(key, "/meeting")),
            html.Span(f"{minutes} min", className="float-end item-meta num"),
        ], **{"data-key": key})
        for n, (key, title, minutes) in enumerate(meeting.AGENDA, start=1)
    ]
    return html.Div([html.Ol(items, className="item-list", id="meeting-agenda-list"),
                     html.Div(f"{total} minutes in all · Present opens one slide per item with its timer",
                              className="item-meta mt-2")])


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
    Input("meeting-notes-changed", "data"),
)
def render_meeting(state, _notes):
    decisions = queries.decisions()
    actions = queries.actions()
    open_n = int((actions["status"] != "done").sum()) if len(actions) else 0
    cycle = (state or {}).get("cycle") or "—"
    subtitle = f"Cycle {cycle} · {len(decisions)} decision(s) · {open_n} open action item(s)"
    return agenda(), decisions_table(decisions), actions_table(actions), subtitle


def _note(kind: str, text, id: str) -> html.Div:
    return note(kind, text, id=id)


@callback(
    Output("meeting-decision-msg", "children"),
    Output("meeting-decision-text", "value"),
    Output("meeting-decision-rationale", "value"),
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("meeting-decision-add", "n_clicks"),
    State("meeting-decision-topic", "value"),
    State("meeting-decision-text", "value"),
    State("meeting-decision-rationale", "value"),
    State("meeting-decision-owner", "value"),
    State("meeting-decision-impact", "value"),
    prevent_initial_call=True,
)
def add_decision(n, topic, text, rationale, owner, impact):
    if not n:
        raise PreventUpdate
    try:
        user = require("decide")
        meeting.record_decision(topic=topic, decision=text, rationale=rationale, owner=owner, impact=impact, by=user)
    except NotAllowed as exc:
        return _note("bad", f"{exc} Nothing was recorded.", "meeting-decision-denied"), no_update, no_update, \
            no_update
    except EditError as exc:
        return _note("bad", f"Not recorded: {exc}.", "meeting-decision-error"), no_update, no_update, no_update
    return _note("ok", "Decision recorded.", "meeting-decision-saved"), "", "", time.time()


@callback(
    Output("meeting-action-msg", "children"),
    Output("meeting-action-text", "value"),
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("meeting-action-add", "n_clicks"),
    State("meeting-action-text", "value"),
    State("meeting-action-owner", "value"),
    State("meeting-action-due", "value"),
    State("meeting-action-priority", "value"),
    prevent_initial_call=True,
)
def add_action(n, text, owner, due, priority):
    if not n:
        raise PreventUpdate
    try:
        require("decide")
        meeting.add_action(description=text, owner=owner, due=due, priority=priority)
    except NotAllowed as exc:
        return _note("bad", f"{exc} Nothing was recorded.", "meeting-action-denied"), no_update, no_update
    except EditError as exc:
        return _note("bad", f"Not recorded: {exc}.", "meeting-action-error"), no_update, no_update
    return _note("ok", "Action item added.", "meeting-action-saved"), "", time.time()


# ---------------------------------------------------------------------------- versions: approve, compare


def versions_table(frame):
    if frame.empty:
        return empty_state("No plan version yet", "Upload data on 1 Data to start a cycle.", icon="bi-layers")
    rows = []
    for r in frame.to_dict("records"):
        rows.append({"id": r["id"], "number": f"v{r['number']}", "status": r["status"],
                     "created": f"{_when(r['created_at'])} by {r['created_by']}",
                     "approved": f"{_when(r['approved_at'])} by {r['approved_by']}" if r["approved_by"] else "—"})
    cols = [Col("number", "Version", "text"), Col("status", "Status", "text"), Col("created", "Opened", "text"),
            Col("approved", "Approved", "text")]
    return summary_table("meeting-versions-table", cols, rows, "number")


def _when(value) -> str:
    return "" if value is None or value != value else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@callback(
    Output("meeting-versions", "children"),
    Output("meeting-compare-a", "options"),
    Output("meeting-compare-b", "options"),
    Output("meeting-compare-a", "value"),
    Output("meeting-compare-b", "value"),
    Output("meeting-approve", "disabled"),
    Input("app-state", "data"),
    State("meeting-compare-a", "value"),
    State("meeting-compare-b", "value"),
)
def render_versions(state, a, b):
    frame = versions.listed()
    options = [{"label": f"v{r['number']} ({r['status']})", "value": str(r["id"])} for r in frame.to_dict("records")]
    options.append({"label": "last month's approved plan (units)", "value": LAST_MONTH})
    values = [o["value"] for o in options]
    newest = values[0] if len(values) > 1 else None
    a = a if a in values else (values[1] if len(values) > 2 else LAST_MONTH)
    b = b if b in values else newest
    draft = bool(len(frame)) and frame["status"].iloc[0] == "draft"
    return versions_table(frame), options, options, a, b, not draft


@callback(
    Output("meeting-approve-msg", "children"),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Input("meeting-approve", "n_clicks"),
    prevent_initial_call=True,
)
def approve(n):
    if not n:
        raise PreventUpdate
    try:
        user = require("approve")
        version = versions.approve(by=user)
    except NotAllowed as exc:
        return _note("bad", f"{exc} Nothing was changed.", "meeting-approve-denied"), no_update, no_update
    except (EditError, ConflictError) as exc:
        return _note("bad", f"Not approved: {exc}.", "meeting-approve-error"), no_update, no_update
    context = current_context()
    return (_note("ok", [html.Strong(f"Plan v{version['number']} approved"), f" by {user}. It is frozen; the next "
                         "change opens a new draft."], "meeting-approve-saved"),
            state_from_context(context), cycle_badge(context))


LAST_MONTH = "last-month"


@callback(
    Output("meeting-compare", "children"),
    Input("meeting-compare-a", "value"),
    Input("meeting-compare-b", "value"),
    State("app-state", "data"),
)
def render_compare(a, b, state):
    if not a or not b:
        return empty_state("Nothing to compare yet", "Approve a plan, or choose two versions.", icon="bi-layers")
    cycle = (state or {}).get("cycle") or ""

    def figures(value):
        if value == LAST_MONTH:
            frame, period = versions.last_month_figures(cycle)
            return frame, f"cycle {period}" if period else None
        return versions.figures(int(value)), None

    (fa, ta), (fb, tb) = figures(a), figures(b)
    if (a == LAST_MONTH and ta is None) or (b == LAST_MONTH and tb is None):
        return empty_state("No approved plan of an earlier cycle", "Last month's plan appears here once a cycle "
                           "before this one has been approved.", icon="bi-calendar-x")
    diff = versions.compare(fa, fb)
    changed = diff[diff["changed"]]
    if changed.empty:
        return html.Div("The two versions are the same in every family and month.", className="item-meta",
                        id="meeting-compare-same")
    rows = changed.assign(key=changed["family"] + "|" + changed["period"]).to_dict("records")
    cols = [Col("family", "Family", "text"), Col("period", "Month", "text")]
    for m, label, kind in (("demand", "Demand", "int"), ("capacity", "Capacity", "int"), ("gap", "Gap", "int"),
                           ("revenue", "Revenue", "money")):
        if f"{m}_diff" in changed:
            cols += [Col(f"{m}_a", label, kind, sub="from"), Col(f"{m}_b", label, kind, sub="to"),
                     Col(f"{m}_diff", "Δ " + label.lower(), kind, className="compare-diff")]
    return html.Div([
        html.Div(f"{len(changed)} family-month(s) differ.", className="item-meta mb-1", id="meeting-compare-count"),
        summary_table("meeting-compare-table", cols, rows, "key"),
    ])


# ---------------------------------------------------------------------------- minutes


@callback(
    Output("meeting-minutes-cycle", "options"),
    Output("meeting-minutes-cycle", "value"),
    Input("app-state", "data"),
    State("meeting-minutes-cycle", "value"),
)
def minutes_cycles(state, chosen):
    periods = sorted(queries.cycles()["period"].astype(str).unique(), reverse=True)
    options = [{"label": f"Cycle {p}", "value": p} for p in periods]
    return options, chosen if chosen in periods else (periods[0] if periods else None)


@callback(
    Output("meeting-minutes-download", "data"),
    Output("meeting-minutes-msg", "children"),
    Input("meeting-minutes-pdf", "n_clicks"),
    Input("meeting-minutes-html", "n_clicks"),
    State("meeting-minutes-cycle", "value"),
    prevent_initial_call=True,
)
def download_minutes(_pdf, _html, cycle):
    kind = "pdf" if ctx.triggered_id == "meeting-minutes-pdf" else "html"
    if not (_pdf if kind == "pdf" else _html):
        raise PreventUpdate
    try:
        m = minutes.build(cycle)
    except LookupError as exc:
        return no_update, _note("bad", str(exc), "meeting-minutes-error")
    name = f"sop-minutes-{m.cycle}.{kind}"
    if kind == "pdf":
        return dcc.send_bytes(minutes.to_pdf(m), name), None
    return dict(content=minutes.to_html(m), filename=name, type="text/html"), None
