"""Step 5, presentation mode: one full-screen slide per agenda item, built from the plan's live figures (KPIs
against targets; consensus by family with vs last month and last year; constraints over the whole horizon with
the supply plan's solution and cost; money; scenarios; assumptions; decisions and open actions). The deck
polls the plan state every 1 s while it is open and redraws itself when a planner changes the plan (or when
someone records an attendee, decision, action or risk, or edits the agenda), saying when it last changed; the
demand slide marks the families whose consensus moved since the meeting started. The slides follow the cycle's
(edited) agenda. Keyboard and the clock: assets/presentation.js (the timer itself is stored on the server)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import json

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.dashboard import DASHBOARD_KPIS, demand_table, finance_table
from callbacks.auth import NotAllowed, require
from callbacks.meeting import (_digest, actions_table, agenda_key, approval_answer, approval_refused,
                               attendees_table, decisions_table, risks_table, timer_span)
from components import formats
from callbacks.pre_sop import scenario_table
from callbacks.views import constraints_frame
from components.empty import empty_state
from components.kpi_card import kpi_row
from components.layout import Col, summary_table
from services import meeting_live, queries
from services.dashboard import cycle_inputs
from services.plan_service import get_service
from services.scenarios import scenarios



def constraints_slide(result):
    frame = constraints_frame(result, list(result.horizon))
    frame = frame[frame["status"] != "OK"]
    if frame.empty:
        return empty_state("No constrained or tight month", "Demand fits capacity in every month of the horizon.",
                           icon="bi-check-circle")
    cols = [Col("period", "Month", "text"), Col("family", "Family", "text"), Col("demand", "Demand"),
            Col("capacity", "Capacity"), Col("gap", "Gap"), Col("status", "Status", "text"),
            Col("solution", "Chosen solution", "text"), Col("cost", "Cost", "money")]
    return summary_table("deck-constraints-table", cols, frame.to_dict("records"), "key")


def strategic_slide():
    df = queries.assumptions()
    if df.empty:
        return empty_state("No assumptions recorded", "Assumptions of the demand plan are recorded on 2 Demand.",
                           icon="bi-lightbulb")
    order = {"high": 0, "medium": 1, "low": 2}
    df = df.assign(_o=df["impact"].map(order).fillna(3)).sort_values("_o")
    cols = [Col("text", "Assumption", "text"), Col("category", "Category", "text"), Col("impact", "Impact", "text"),
            Col("owner", "Owner", "text")]
    return summary_table("deck-assumptions-table", cols, df.to_dict("records"), "id")


def changed_badge(changed) -> html.Div:
    """The families whose consensus moved since the meeting started (from the audit of adjustments)."""
    if changed is None or changed.empty:
        return html.Div("No change to the consensus since the meeting started.", id="deck-demand-changed",
                        className="deck-changed-none item-meta", **{"data-families": ""})
    parts = [f"{r['family']} {formats.integer(r['net'], signed=True)} u ({r['cells']} cell(s), by {r['by']})"
             for r in changed.to_dict("records")]
    return html.Div([html.Span("Changed since the meeting started", className="badge deck-changed-badge me-2"),
                     "; ".join(parts)], id="deck-demand-changed", className="deck-changed",
                    **{"data-families": ",".join(changed["family"].astype(str))})


def exceptions_line() -> html.Div | None:
    n = meeting_live.open_exceptions()
    if n is None:
        return None
    return html.Div(f"{formats.integer(n)} open data-quality exception(s) this cycle", id="deck-demand-exceptions",
                    className="item-meta mt-1")


def decisions_slide(state) -> html.Div:
    actions = queries.actions()
    open_actions = actions[actions["status"] != "done"] if len(actions) else actions
    draft = state.status == "draft"
    return html.Div([
        html.Div([
            dbc.Button([html.I(className="bi bi-patch-check me-1"), "Approve plan"], id="deck-approve",
                       color="success", n_clicks=0, disabled=not draft),
            html.Span("freezes the plan as it is now and records the decision" if draft else
                      "this version is approved; the next change opens a new draft", className="item-meta ms-3"),
        ], className="d-flex align-items-center mb-2"),
        decisions_table(queries.decisions()),
        html.H3("Open action items", className="mt-3"), actions_table(open_actions),
        html.Div([
            html.Div([html.H3("Attendees", className="mt-3"),
                      attendees_table(queries.attendees(), "deck-attendees-table")], className="col-md-5"),
            html.Div([html.H3("Risks and contingencies", className="mt-3"),
                      risks_table(queries.risks(), "deck-risks-table")], className="col-md-7"),
        ], className="row"),
    ])


def slides(result, state, live: dict | None = None) -> list:
    live = live or meeting_live.state()
    inputs = cycle_inputs(state.dataset_id, state.cycle_id)
    builders = {
        "performance": lambda: kpi_row(result.kpis, DASHBOARD_KPIS, large=True),
        "demand": lambda: html.Div([changed_badge(meeting_live.changed_since_start()), exceptions_line(),
                                    demand_table(result, inputs)]),
        "supply": lambda: constraints_slide(result),
        "financial": lambda: finance_table(result),
        # the scenarios take the longest to compute: they fill in by their own callback (deck_scenarios) after
        # the other slides have been redrawn, so a planner's edit reaches the demand slide sooner
        "scenarios": lambda: html.Div(html.Div("Computing the scenarios of the new plan…", className="item-meta"),
                                      id="deck-scenarios-body"),
        "strategic": strategic_slide,
        "decisions": lambda: decisions_slide(state),
    }
    current = live["current_key"]
    keys = [i["key"] for i in live["items"]]
    active = current if current in keys else keys[0]
    out = []
    for n, item in enumerate(live["items"], start=1):
        key = item["key"]
        body = builders[key]() if key in builders else empty_state(
            item["title"], "No live figures for this item: discuss it and capture what is decided below.",
            icon="bi-chat-square-text")
        out.append(html.Section([
            html.Div([html.H2(f"{n}. {item['title']}", className="slide-title"),
                      timer_span(item, "slide-timer")], className="d-flex justify-content-between align-items-baseline"),
            html.Div(f"{item['planned_minutes']:,.0f} min planned", className="slide-minutes"), body],
            className="slide" + (" active" if key == active else ""),
            **{"data-agenda-item": key, "data-minutes": f"{item['planned_minutes']:g}"}))
    return out


@callback(
    Output("meeting-deck", "style"),
    Output("meeting-deck-slides", "children"),
    Output("meeting-deck-key", "data"),
    Output("meeting-deck-updated", "children"),
    Output("meeting-deck-poll", "disabled"),
    Output("meeting-timer-state", "children", allow_duplicate=True),
    Input("meeting-present", "n_clicks"),
    Input("meeting-deck-poll", "n_intervals"),
    State("meeting-deck-key", "data"),
    State("meeting-deck", "style"),
    prevent_initial_call=True,
)
def render_deck(n, _tick, shown, style):
    """Opening the deck builds the slides; while it is open, a changed plan, agenda or record redraws them."""
    if not n:
        raise PreventUpdate
    svc = get_service()
    state = svc.state()
    live = meeting_live.state()
    notes = _digest(queries.decisions(), queries.actions(), queries.attendees(), queries.risks(),
                    meeting_live.changed_since_start())
    structure = [[i[0], i[1], i[2]] for i in agenda_key(live)[:-3]]
    key = [*dataclasses.astuple(state), notes, json.dumps(structure)]
    opening = ctx.triggered_id == "meeting-present"
    if not opening and (style or {}).get("display") != "block":
        raise PreventUpdate  # left with Esc: a late poll must not bring the deck back
    from callbacks.meeting import timer_state

    clock = timer_state(live)
    if not opening and key == shown:
        return no_update, no_update, no_update, no_update, no_update, clock
    result = svc.current_plan()
    now = dt.datetime.now().strftime("%H:%M:%S")
    updated = f"Opened {now}" if opening or not shown else f"Updated {now}: the plan changed during the meeting"
    if not opening and shown and key[:len(key) - 2] == shown[:len(shown) - 2]:
        updated = f"Updated {now}"  # notes or agenda, not the plan
    show, poll = ({"display": "block"}, False) if opening else (no_update, no_update)
    return show, slides(result, state, live), key, updated, poll, clock


@callback(
    Output("deck-scenarios-body", "children"),
    Input("meeting-deck-key", "data"),
    prevent_initial_call=True,
)
def deck_scenarios(key):
    if not key:
        raise PreventUpdate
    return scenario_table(scenarios(get_service().current_plan()))


@callback(
    Output("meeting-deck-msg", "children", allow_duplicate=True),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Output("meeting-notes-changed", "data", allow_duplicate=True),
    Input("deck-approve", "n_clicks"),
    prevent_initial_call=True,
)
def approve_from_deck(n):
    """"Approve plan" on the decisions slide: the same approval and answer as the meeting page's button."""
    if not n:
        raise PreventUpdate
    try:
        user = require("approve")
    except NotAllowed as exc:
        return approval_refused("deck-approve", exc)
    return approval_answer("deck-approve", user, lambda: meeting_live.approve_plan(by=user))


@callback(
    Output("deck-capture", "is_open"),
    Input("deck-capture-toggle", "n_clicks"),
    State("deck-capture", "is_open"),
    prevent_initial_call=True,
)
def toggle_capture(n, is_open):
    if not n:
        raise PreventUpdate
    return not is_open
