"""Step 5 callbacks: the agenda (edited per cycle) with its stored timer, attendees, risks, decisions (money
computed from the plan where it can be) and action items, plan versions (approve, compare) and the minutes.

Thin: every rule is in services.meeting_live / services.meeting; each writing callback asks `require` first.
The page polls (`meeting-poll`) and redraws a list only when what it shows changed; the running clock is drawn
by assets/presentation.js from `meeting-timer-state` (the stored times), so typing is never interrupted."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
import json
import time

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require
from callbacks.shell import current_context, state_from_context
from components import formats
from components.empty import empty_state
from components.layout import Col, outcome, summary_table
from components.shell import cycle_badge
from services import meeting, meeting_live, minutes, queries, versions
from services.edits import EditError
from services.plan_service import ConflictError, get_service

WHERE = {"performance": "/metrics", "demand": "/demand", "supply": "/supply", "financial": "/pre-sop",
         "scenarios": "/pre-sop", "strategic": "/demand", "decisions": "/meeting"}  # where each item's live data is
STATUS_CLASS = {"ok": "timer-ok", "late": "timer-late", "over": "timer-over"}


def timer_text(item: dict) -> str:
    left = item["left_seconds"]
    mark = "▶ " if item["running"] else ""
    return mark + (f"{meeting_live.fmt_seconds(left)} left" if left >= 0 else f"{meeting_live.fmt_seconds(left)} over")


def timer_span(item: dict, extra: str = "") -> html.Span:
    """The clock of one item; assets/presentation.js keeps it ticking from `meeting-timer-state`."""
    return html.Span(timer_text(item), className=f"agenda-timer {STATUS_CLASS[item['status']]} {extra}".strip(),
                     **{"data-timer-key": item["key"], "data-status": item["status"]})


def agenda(st: dict | None = None) -> html.Div:
    st = st or meeting_live.state()
    items = st["items"]
    total = sum(i["planned_minutes"] for i in items)
    rows = []
    for n, item in enumerate(items, start=1):
        key = item["key"]
        took = item["actual_seconds"]
        rows.append(html.Li([
            html.Div([
                html.Span(f"{n}.", className="me-2 fw-bold"),
                dcc.Link(item["title"], href=WHERE.get(key, "/meeting")),
                html.Span(" · now", className="agenda-now") if key == st["current_key"] and st["open"] else None,
                html.Span([
                    dcc.Input(id={"type": "meeting-agenda-dur", "key": key}, type="number", min=1, max=240, step=1,
                              value=int(item["planned_minutes"]), debounce=True, className="agenda-dur"),
                    html.Span(" min", className="item-meta"),
                ], className="float-end"),
            ]),
            html.Div([
                timer_span(item),
                html.Span(f" · took {meeting_live.fmt_seconds(took)}" if took else "", className="item-meta ms-1",
                          **{"data-took-key": key}),
                html.Span([
                    html.Button(html.I(className="bi bi-arrow-up"), id={"type": "meeting-agenda-move", "key": key,
                                                                      "step": -1},
                                className="btn btn-link btn-sm p-0 ms-2", title="move up", n_clicks=0),
                    html.Button(html.I(className="bi bi-arrow-down"), id={"type": "meeting-agenda-move", "key": key,
                                                                        "step": 1},
                                className="btn btn-link btn-sm p-0 ms-2", title="move down", n_clicks=0),
                    html.Button(html.I(className="bi bi-x-lg"), id={"type": "meeting-agenda-remove", "key": key},
                                className="btn btn-link btn-sm p-0 ms-2 text-danger", title="remove", n_clicks=0),
                ], className="float-end"),
            ], className="small"),
        ], **{"data-key": key, "data-actual-seconds": f"{took:.1f}"}))
    return html.Div([html.Ol(rows, className="item-list", id="meeting-agenda-list"),
                     html.Div(f"{total:,.0f} minutes in all · Present opens one slide per item with its timer",
                              className="item-meta mt-2")])


def status_line(st: dict) -> str:
    m = st["meeting"]
    if not m:
        return "The meeting has not started. Start it here, or press Space in presentation mode."
    start = pd.Timestamp(m["started_at"]).strftime("%H:%M")
    if m.get("ended_at") is not None:
        return (f"Meeting held {pd.Timestamp(m['started_at']):%Y-%m-%d} {start}–"
                f"{pd.Timestamp(m['ended_at']):%H:%M} UTC, ended by {m.get('ended_by')}.")
    running = next((i["title"] for i in st["items"] if i["running"]), None)
    return (f"Meeting started {start} UTC by {m['started_by']} · "
            + (f"running: {running}" if running else "timer paused"))


def timer_state(st: dict) -> html.Div:
    return html.Div(**{"data-state": json.dumps(meeting_live.timer_payload(st))})


def decisions_table(frame):
    if frame.empty:
        return empty_state("No decisions recorded for this cycle",
                           "Decisions taken in the executive meeting are listed here with their owner and rationale.",
                           icon="bi-check2-square")
    frame = frame.sort_values(["decided_on", "id"], ascending=False)
    numbers = {}
    try:
        listed = versions.listed()
        numbers = dict(zip(listed["id"], listed["number"], strict=True))
    except Exception:  # no versions yet
        numbers = {}
    rows = []
    for r in frame.to_dict("records"):
        vid = r.get("version_id")
        rows.append({**r, "status": r.get("status") or "agreed",
                     "due_date": "" if r.get("due_date") is None or r.get("due_date") != r.get("due_date")
                     else str(r.get("due_date")),
                     "version": f"v{numbers[vid]}" if vid in numbers else ""})
    cols = [Col("decided_on", "Date", "text"), Col("topic", "Category", "text"), Col("decision", "Decision", "text"),
            Col("rationale", "Rationale", "text"), Col("owner", "Owner", "text"), Col("due_date", "Due", "text"),
            Col("status", "Status", "text"), Col("impact", "Impact", "text"),
            Col("impact_amount", "Money", "money"), Col("version", "Version", "text")]
    return summary_table("meeting-decisions-table", cols, rows, "id")


def actions_table(frame):
    if frame.empty:
        return empty_state("No action items for this cycle",
                           "Action items agreed in the meetings are listed here with owner, due date and status.",
                           icon="bi-list-check")
    order = {"open": 0, "in progress": 1, "done": 2}
    frame = frame.assign(_o=frame["status"].map(order).fillna(1)).sort_values(["_o", "due_date"]).drop(columns="_o")
    if "carried_from" in frame:
        frame = frame.assign(carried=frame["carried_from"].map(lambda v: "" if v is None or v != v else "carried"))
    cols = [Col("description", "Action", "text"), Col("owner", "Owner", "text"), Col("due_date", "Due", "text"),
            Col("priority", "Priority", "text"), Col("status", "Status", "text")]
    if "carried" in frame:
        cols.append(Col("carried", "From last cycle", "text"))
    return summary_table("meeting-actions-table", cols, frame.to_dict("records"), "id")


def attendees_table(frame, id: str = "meeting-attendees-table"):
    if frame.empty:
        return empty_state("No attendee recorded", "Add the people in the room: users of S&OP Studio or guests.",
                           icon="bi-people")
    rows = frame.assign(user=frame["username"].fillna("guest")).to_dict("records")
    cols = [Col("name", "Name", "text"), Col("function", "Function", "text"), Col("user", "User", "text")]
    return summary_table(id, cols, rows, "id")


def risks_table(frame, id: str = "meeting-risks-table"):
    if frame.empty:
        return empty_state("No risk recorded", "Risks and their contingencies raised in the meeting.",
                           icon="bi-shield-exclamation")
    cols = [Col("description", "Risk", "text"), Col("likelihood", "Likelihood", "text"),
            Col("impact", "Impact", "text"), Col("contingency", "Contingency", "text"),
            Col("owner", "Owner", "text"), Col("status", "Status", "text")]
    return summary_table(id, cols, frame.to_dict("records"), "id")


def _digest(*frames) -> str:
    raw = "".join(f.to_json(date_format="iso", default_handler=str) for f in frames)
    return hashlib.sha1(raw.encode()).hexdigest()


def agenda_key(st: dict) -> list:
    m = st["meeting"] or {}
    return [[i["key"], i["title"], i["planned_minutes"], i["running"], round(i["actual_seconds"]) if not i["running"]
             else None] for i in st["items"]] + [st["current_key"], str(m.get("started_at")), str(m.get("ended_at"))]


@callback(
    Output("meeting-agenda", "children"),
    Output("meeting-decisions", "children"),
    Output("meeting-actions", "children"),
    Output("meeting-attendees", "children"),
    Output("meeting-risks", "children"),
    Output("meeting-subtitle", "children"),
    Output("meeting-status", "children"),
    Output("meeting-timer-state", "children"),
    Output("meeting-seen", "data"),
    Input("app-state", "data"),
    Input("meeting-notes-changed", "data"),
    Input("meeting-poll", "n_intervals"),
    Input("meeting-deck", "style"),
    State("meeting-seen", "data"),
)
def render_meeting(state, _notes, _tick, deck_style, seen):
    """Every few seconds: the stored timer for the clocks; a list only when what it shows changed. Not while
    the deck covers the page (the deck polls for itself and keeps the CPU for its slides); closing it redraws."""
    if _presenting(deck_style):
        raise PreventUpdate
    st = meeting_live.state()
    decisions, actions = queries.decisions(), queries.actions()
    people, risks = queries.attendees(), queries.risks()
    seen = seen or {}
    now = {"agenda": json.dumps(agenda_key(st), default=str), "decisions": _digest(decisions),
           "actions": _digest(actions), "attendees": _digest(people), "risks": _digest(risks)}
    forced = ctx.triggered_id != "meeting-poll"

    def fresh(name, build):
        return build() if forced or seen.get(name) != now[name] else no_update

    open_n = int((actions["status"] != "done").sum()) if len(actions) else 0
    cycle = (state or {}).get("cycle") or "—"
    subtitle = (f"Cycle {cycle} · {len(people)} attendee(s) · {len(decisions)} decision(s) · {open_n} open action "
                f"item(s) · {len(risks)} risk(s)")
    return (fresh("agenda", lambda: agenda(st)), fresh("decisions", lambda: decisions_table(decisions)),
            fresh("actions", lambda: actions_table(actions)), fresh("attendees", lambda: attendees_table(people)),
            fresh("risks", lambda: risks_table(risks)), subtitle, status_line(st), timer_state(st), now)


def _presenting(deck_style) -> bool:
    return (deck_style or {}).get("display") == "block"


def _note(kind: str, text, id: str) -> html.Div:
    return outcome(kind, text, id=id)


# ---------------------------------------------------------------------------- agenda edits and the timer


@callback(
    Output("meeting-agenda-msg", "children"),
    Output("meeting-agenda-title", "value"),
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("meeting-agenda-add", "n_clicks"),
    Input({"type": "meeting-agenda-move", "key": ALL, "step": ALL}, "n_clicks"),
    Input({"type": "meeting-agenda-remove", "key": ALL}, "n_clicks"),
    Input({"type": "meeting-agenda-dur", "key": ALL}, "value"),
    State("meeting-agenda-title", "value"),
    State("meeting-agenda-minutes", "value"),
    prevent_initial_call=True,
)
def edit_agenda(_add, _moves, _removes, _durations, title, minutes_):
    trigger = ctx.triggered_id
    fired = ctx.triggered[0] if ctx.triggered else {}
    if trigger is None or (not fired.get("value") and not isinstance(trigger, dict)):
        raise PreventUpdate
    if isinstance(trigger, dict) and trigger["type"] != "meeting-agenda-dur" and not fired.get("value"):
        raise PreventUpdate  # a button drawn anew, not clicked
    if isinstance(trigger, dict) and trigger["type"] == "meeting-agenda-dur":
        current = {i["key"]: i for i in meeting_live.state()["items"]}.get(trigger["key"])
        value = fired.get("value")
        if current and value is not None and float(value) == current["planned_minutes"]:
            raise PreventUpdate  # drawn anew, not changed
    try:
        require("meeting")
        if trigger == "meeting-agenda-add":
            key = meeting_live.add_item(title, minutes_)
            return _note("ok", f"Added “{key}”.", "meeting-agenda-saved"), "", time.time()
        if trigger["type"] == "meeting-agenda-move":
            meeting_live.move_item(trigger["key"], int(trigger["step"]))
        elif trigger["type"] == "meeting-agenda-remove":
            meeting_live.remove_item(trigger["key"])
        else:
            value = fired.get("value")
            if value is None:
                raise EditError(f"a duration is {meeting_live.MIN_MINUTES} to {meeting_live.MAX_MINUTES} minutes")
            meeting_live.set_item(trigger["key"], minutes=value)
    except NotAllowed as exc:
        return _note("bad", f"{exc} The agenda was not changed.", "meeting-agenda-denied"), no_update, no_update
    except EditError as exc:
        return _note("bad", f"Not changed: {exc}.", "meeting-agenda-error"), no_update, time.time()
    return _note("ok", "Agenda saved.", "meeting-agenda-saved"), no_update, time.time()


TIMER_BUTTONS = {"meeting-start": "start", "meeting-timer-toggle": "toggle", "meeting-timer-next": "next",
                 "meeting-end": "end"}


@callback(
    Output("meeting-timer-msg", "children"),
    Output("meeting-deck-msg", "children"),
    Output("meeting-timer-state", "children", allow_duplicate=True),
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("meeting-start", "n_clicks"),
    Input("meeting-timer-toggle", "n_clicks"),
    Input("meeting-timer-next", "n_clicks"),
    Input("meeting-end", "n_clicks"),
    Input("meeting-deck-command", "data"),
    prevent_initial_call=True,
)
def timer_command(_start, _toggle, _next, _end, command):
    """Start, start/pause, next, end from the page's buttons; Space and the arrows from the deck (the JS sets
    `meeting-deck-command`). The times are stored, so they survive a reload and show on every screen."""
    trigger = ctx.triggered_id
    if trigger == "meeting-deck-command":
        if not command or command.get("op") not in ("toggle", "goto"):
            raise PreventUpdate
        op, key = command["op"], command.get("key")
    else:
        if not ctx.triggered[0].get("value"):
            raise PreventUpdate
        op, key = TIMER_BUTTONS[trigger], None
    try:
        user = require("meeting")
        if op == "start":
            meeting_live.start_meeting(by=user)
        elif op == "end":
            meeting_live.end_meeting(by=user)
        else:
            meeting_live.timer(op, key, by=user)
    except NotAllowed as exc:
        msg = _note("bad", f"{exc} The timer was not changed.", "meeting-timer-denied")
        return msg, msg, no_update, no_update
    except EditError as exc:
        msg = _note("bad", f"Not done: {exc}.", "meeting-timer-error")
        return msg, msg, no_update, no_update
    done = {"start": "Meeting started.", "end": "Meeting ended: the minutes hold the time each item took."}
    msg = _note("ok", done[op], "meeting-timer-saved") if op in done else None
    return msg, None, timer_state(meeting_live.state()), time.time()


# ---------------------------------------------------------------------------- capture (page and deck)


@callback(
    Output("meeting-decision-family", "options"),
    Output("meeting-decision-month", "options"),
    Output("meeting-decision-version", "options"),
    Output("deck-decision-family", "options"),
    Output("deck-decision-month", "options"),
    Output("meeting-attendee-user", "options"),
    Output("deck-attendee-user", "options"),
    Input("app-state", "data"),
)
def capture_options(_state):
    plan = get_service().current_plan()
    families = [{"label": f, "value": f} for f in sorted(plan.family_plan["family"].astype(str).unique())]
    months = [{"label": p, "value": p} for p in plan.horizon]
    listed = versions.listed()
    vers = [{"label": f"v{r['number']} ({r['status']})", "value": int(r["id"])} for r in listed.to_dict("records")]
    users = [{"label": f"{r['username']} ({r['role'].replace('_', ' ')})", "value": r["username"]}
             for r in meeting_live.users().to_dict("records")]
    return families, months, vers, families, months, users, users


def _capture_refused(form: str, exc: NotAllowed, n_cleared: int) -> tuple:
    """A capture form's answer to a caller whose role may not record: what was typed stays."""
    return _note("bad", f"{exc} Nothing was recorded.", f"{form}-denied"), *[no_update] * n_cleared, no_update


def _captured(form: str, record: Callable[[], object], done: str, cleared: list) -> tuple:
    """Run one capture form's `record()` (the caller has checked the role) and answer it: the message (ids
    `<form>-saved` / `-error`), the cleared inputs (`cleared`) and the notes-changed stamp; an invalid entry
    keeps what was typed."""
    try:
        record()
    except EditError as exc:
        return _note("bad", f"Not recorded: {exc}.", f"{form}-error"), *[no_update] * len(cleared), no_update
    return _note("ok", done, f"{form}-saved"), *cleared, time.time()


def _register_capture(prefix: str) -> None:
    """The capture callbacks of one set of forms (`meeting-*` on the page, compact `deck-*` in the deck)."""
    full = prefix == "meeting"

    @callback(
        Output(f"{prefix}-decision-computed", "children"),
        Output(f"{prefix}-decision-amount", "value"),
        Input(f"{prefix}-decision-topic", "value"),
        Input(f"{prefix}-decision-family", "value"),
        Input(f"{prefix}-decision-month", "value"),
        *([Input(f"{prefix}-decision-version", "value")] if full else []),
        prevent_initial_call=True,
    )
    def computed(topic, family, month, version_id=None):
        if not family:
            return None, no_update
        try:
            got = meeting_live.computed_impact(topic, family, month, int(version_id) if version_id else None)
        except (LookupError, ValueError):
            got = None
        if not got:
            return html.Span("Nothing to cost in the plan there: give the amount if there is one.",
                             id=f"{prefix}-decision-nocost"), ""
        return html.Span([html.I(className="bi bi-calculator me-1"), got["text"]],
                         id=f"{prefix}-decision-computed-text"), formats.number(got["amount"], 0)

    extra = ["rationale", "owner", "due", "status", "version", "impact"] if full else []

    @callback(
        Output(f"{prefix}-decision-msg", "children"),
        Output(f"{prefix}-decision-text", "value"),
        *([Output(f"{prefix}-decision-rationale", "value")] if full else []),
        Output("meeting-notes-changed", "data", allow_duplicate=True),
        Input(f"{prefix}-decision-add", "n_clicks"),
        State(f"{prefix}-decision-topic", "value"),
        State(f"{prefix}-decision-text", "value"),
        State(f"{prefix}-decision-family", "value"),
        State(f"{prefix}-decision-month", "value"),
        State(f"{prefix}-decision-amount", "value"),
        *[State(f"{prefix}-decision-{name}", "value") for name in extra],
        prevent_initial_call=True,
    )
    def add_decision(n, topic, text, family, month, amount, *more):
        if not n:
            raise PreventUpdate
        fields, cleared = dict(zip(extra, more, strict=True)), [""] + ([""] if full else [])
        try:
            user = require("decide")
        except NotAllowed as exc:
            return _capture_refused(f"{prefix}-decision", exc, len(cleared))
        return _captured(f"{prefix}-decision", lambda: meeting_live.record_decision(
            topic=topic, decision=text, rationale=fields.get("rationale"), owner=fields.get("owner"),
            impact=fields.get("impact"), amount=amount, due=fields.get("due"),
            status=fields.get("status") or "agreed", version_id=fields.get("version"), family=family,
            period=month, by=user), "Decision recorded.", cleared)

    @callback(
        Output(f"{prefix}-action-msg", "children"),
        Output(f"{prefix}-action-text", "value"),
        Output("meeting-notes-changed", "data", allow_duplicate=True),
        Input(f"{prefix}-action-add", "n_clicks"),
        State(f"{prefix}-action-text", "value"),
        State(f"{prefix}-action-owner", "value"),
        State(f"{prefix}-action-due", "value"),
        State(f"{prefix}-action-priority", "value"),
        State(f"{prefix}-action-status", "value"),
        prevent_initial_call=True,
    )
    def add_action(n, text, owner, due, priority, status):
        if not n:
            raise PreventUpdate
        try:
            user = require("decide")
        except NotAllowed as exc:
            return _capture_refused(f"{prefix}-action", exc, 1)
        return _captured(f"{prefix}-action", lambda: meeting_live.add_action(
            description=text, owner=owner, due=due, priority=priority, status=status, by=user),
            "Action item added.", [""])

    @callback(
        Output(f"{prefix}-attendee-msg", "children"),
        Output(f"{prefix}-attendee-name", "value"),
        Output(f"{prefix}-attendee-user", "value"),
        Output("meeting-notes-changed", "data", allow_duplicate=True),
        Input(f"{prefix}-attendee-add", "n_clicks"),
        State(f"{prefix}-attendee-user", "value"),
        State(f"{prefix}-attendee-name", "value"),
        State(f"{prefix}-attendee-function", "value"),
        prevent_initial_call=True,
    )
    def add_attendee(n, username, name, function):
        if not n:
            raise PreventUpdate
        try:
            user = require("meeting")
        except NotAllowed as exc:
            return _capture_refused(f"{prefix}-attendee", exc, 2)
        return _captured(f"{prefix}-attendee", lambda: meeting_live.add_attendee(
            username=username, name=name, function=function, by=user), "Attendee added.", ["", None])

    @callback(
        Output(f"{prefix}-risk-msg", "children"),
        Output(f"{prefix}-risk-text", "value"),
        Output(f"{prefix}-risk-contingency", "value"),
        Output("meeting-notes-changed", "data", allow_duplicate=True),
        Input(f"{prefix}-risk-add", "n_clicks"),
        State(f"{prefix}-risk-text", "value"),
        State(f"{prefix}-risk-likelihood", "value"),
        State(f"{prefix}-risk-impact", "value"),
        State(f"{prefix}-risk-contingency", "value"),
        State(f"{prefix}-risk-owner", "value"),
        prevent_initial_call=True,
    )
    def add_risk(n, text, likelihood, impact, contingency, owner):
        if not n:
            raise PreventUpdate
        try:
            user = require("decide")
        except NotAllowed as exc:
            return _capture_refused(f"{prefix}-risk", exc, 2)
        return _captured(f"{prefix}-risk", lambda: meeting_live.add_risk(
            description=text, likelihood=likelihood, impact=impact, contingency=contingency, owner=owner, by=user),
            "Risk recorded.", ["", ""])

    CAPTURE.update({(prefix, "add_decision"): add_decision, (prefix, "add_action"): add_action,
                    (prefix, "add_attendee"): add_attendee, (prefix, "add_risk"): add_risk})


# the writing capture callbacks by (form prefix, name), for the permission matrix test
CAPTURE: dict[tuple[str, str], object] = {}
for _prefix in ("meeting", "deck"):
    _register_capture(_prefix)


@callback(
    Output("meeting-action-pick", "options"),
    Output("meeting-risk-pick", "options"),
    Input("meeting-actions", "children"),
    Input("meeting-risks", "children"),
)
def status_choices(_a, _r):
    actions, risks = queries.actions(), queries.risks()
    acts = [{"label": f"{r['description'][:70]} ({r['owner']}, {r['status']})", "value": int(r["id"])}
            for r in actions.to_dict("records")]
    rks = [{"label": f"{r['description'][:70]} ({r['status']})", "value": int(r["id"])} for r in risks.to_dict("records")]
    return acts, rks


@callback(
    Output("meeting-action-status-msg", "children"),
    Output("meeting-risk-status-msg", "children"),
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("meeting-action-setstatus", "n_clicks"),
    Input("meeting-risk-setstatus", "n_clicks"),
    State("meeting-action-pick", "value"),
    State("meeting-action-newstatus", "value"),
    State("meeting-risk-pick", "value"),
    State("meeting-risk-newstatus", "value"),
    prevent_initial_call=True,
)
def set_status(_a, _r, action_id, action_status, risk_id, risk_status):
    """An action item's status (done stamps when) or a risk's, stored at once."""
    is_action = ctx.triggered_id == "meeting-action-setstatus"
    if not ctx.triggered[0].get("value"):
        raise PreventUpdate
    slot = "action" if is_action else "risk"

    def answer(msg):
        return (msg, no_update) if is_action else (no_update, msg)

    try:
        require("decide")
        if (action_id if is_action else risk_id) is None:
            raise EditError(f"choose the {'action item' if is_action else 'risk'} first")
        if is_action:
            meeting.set_action_status(int(action_id), action_status)
        else:
            meeting_live.set_risk_status(int(risk_id), risk_status)
    except NotAllowed as exc:
        return (*answer(_note("bad", f"{exc} Nothing was changed.", f"meeting-{slot}-status-denied")), no_update)
    except (EditError, LookupError) as exc:
        return (*answer(_note("bad", f"Not changed: {exc}.", f"meeting-{slot}-status-error")), no_update)
    return (*answer(_note("ok", "Status saved.", f"meeting-{slot}-status-saved")), time.time())


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
    Input("meeting-deck", "style"),
    State("meeting-compare-a", "value"),
    State("meeting-compare-b", "value"),
)
def render_versions(state, deck_style, a, b):
    if _presenting(deck_style):
        raise PreventUpdate  # redrawn when the deck closes
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
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("meeting-approve", "n_clicks"),
    prevent_initial_call=True,
)
def approve(n):
    if not n:
        raise PreventUpdate
    try:
        user = require("approve")
    except NotAllowed as exc:
        return approval_refused("meeting-approve", exc)
    return approval_answer("meeting-approve", user, lambda: meeting_live.approve_plan(by=user))


def approval_refused(prefix: str, exc: NotAllowed) -> tuple:
    """The answer of an "Approve plan" button (page or deck) to a caller whose role may not approve."""
    return _note("bad", f"{exc} Nothing was changed.", f"{prefix}-denied"), no_update, no_update, no_update


def approval_answer(prefix: str, user: str, approving: Callable[[], dict]) -> tuple:
    """Run `approving()` (the caller has checked the role) and answer an "Approve plan" button: the message
    (ids `<prefix>-saved` / `<prefix>-error`), the new app state, the header's cycle badge and a change stamp."""
    try:
        version = approving()
    except (EditError, ConflictError) as exc:
        return _note("bad", f"Not approved: {exc}.", f"{prefix}-error"), no_update, no_update, no_update
    context = current_context()
    return (_note("ok", [html.Strong(f"Plan v{version['number']} approved"), f" by {user}. It is frozen; the next "
                         "change opens a new draft. The approval is recorded as a decision."],
                  f"{prefix}-saved"),
            state_from_context(context), cycle_badge(context), time.time())


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
