"""Closing the cycle (5 Meeting) and starting the next one from the month's actuals (1 Data)."""

from __future__ import annotations

import logging

from dash import Input, Output, State, callback, html, no_update

from callbacks.auth import NotAllowed, require
from callbacks.data_upload import decode_upload, issue_rows, issues_table
from callbacks.shell import current_context, state_from_context
from components.scenarios import message
from components.shell import cycle_badge
from services import cycle_close
from services.edits import EditError

log = logging.getLogger("sop.cycle_close")


@callback(
    Output("meeting-close-status", "children"),
    Output("meeting-close-confirm", "message"),
    Input("app-state", "data"),
)
def close_status(_state):
    """What closing would do now (or why it cannot)."""
    try:
        phase = cycle_close.cycle_phase()
    except Exception:  # noqa: BLE001 - the page says the store cannot be read
        log.exception("cycle phase")
        return "", ""
    if phase["closed"]:
        return (f"Cycle {phase['period']} is closed; upload the actuals of {phase['awaiting']} on 1 Data to start "
                f"{phase['next']}."), ""
    return (f"Cycle {phase['period']} is open.",
            f"Close cycle {phase['period']}? It becomes read only; open action items carry into {phase['next']}, "
            f"which starts when the actuals of {phase['period']} are uploaded on 1 Data.")


@callback(
    Output("meeting-close-confirm", "displayed"),
    Output("meeting-close-msg", "children", allow_duplicate=True),
    Input("meeting-close-cycle", "n_clicks"),
    State("meeting-close-confirm", "message"),
    prevent_initial_call=True,
)
def ask_to_close(n, message):
    if not n:
        return no_update, no_update
    if not message:
        return False, message("The cycle is already closed: its actuals start the next cycle on 1 Data.", "secondary")
    return True, no_update


@callback(
    Output("meeting-close-msg", "children"),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Input("meeting-close-confirm", "submit_n_clicks"),
    prevent_initial_call=True,
)
def do_close(submitted):
    if not submitted:
        return no_update, no_update, no_update
    try:
        user = require("close_cycle")
        closed = cycle_close.close_cycle(by=user)
    except (NotAllowed, EditError) as exc:
        return message(f"{exc} Nothing was changed.", "danger", "meeting-close-refused"), no_update, no_update
    context = current_context()
    text = [html.Strong(f"Cycle {closed['period']} closed."),
            f" Upload the actuals of {closed['period']} on ", html.A("1 Data", href="/data#data-actuals"),
            f" to start cycle {closed['next']}."]
    return message(text, "success", "meeting-close-ok"), state_from_context(context), cycle_badge(context)


@callback(
    Output("data-actuals-phase", "children"),
    Input("app-state", "data"),
)
def actuals_phase(_state):
    try:
        phase = cycle_close.cycle_phase()
    except Exception:  # noqa: BLE001
        log.exception("cycle phase")
        return ""
    if phase["closed"]:
        return message([html.I(className="bi bi-hourglass-split me-2"), html.Strong(f"Cycle {phase['period']} is "
                       "closed."), f" Upload the actuals of {phase['awaiting']} to start cycle {phase['next']}."],
                      "warning", "data-actuals-waiting")
    return html.Div(f"Cycle {phase['period']} is open. When it is closed on 5 Meeting (after its plan is approved), "
                    f"the actuals of {phase['period']} start cycle {phase['next']} here.", className="item-meta")


@callback(
    Output("data-actuals-example-download", "data"),
    Input("data-actuals-example", "n_clicks"),
    prevent_initial_call=True,
)
def example_actuals(n):
    if not n:
        return no_update
    from data.sample_actuals import example_actuals_csv
    from services.plan_service import get_service

    svc = get_service()
    cycle = svc.store.current_cycle()
    history = svc.company_data().history
    return {"content": example_actuals_csv(history, cycle["period"]), "filename": "history.csv"}


@callback(
    Output("data-actuals-report", "children"),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Input("data-actuals-upload", "contents"),
    State("data-actuals-upload", "filename"),
    prevent_initial_call=True,
)
def on_actuals(contents, filenames):
    keep = no_update
    if not contents:
        return keep, keep, keep
    files, bad = decode_upload(contents, filenames)
    if bad:
        return message(f"Refused: {', '.join(bad)} could not be read. Nothing was changed.", "danger",
                      "data-actuals-refused"), keep, keep
    try:
        user = require("upload_actuals")
    except NotAllowed as exc:
        return message(f"{exc} Nothing was changed.", "danger", "data-actuals-denied"), keep, keep
    try:
        result = cycle_close.upload_month_actuals(files, user=user)
    except Exception as exc:  # noqa: BLE001 - a bug, not bad data: nothing was stored (one transaction)
        log.exception("actuals upload failed")
        return message(f"The upload failed ({type(exc).__name__}: {exc}). Nothing was changed.", "danger",
                      "data-actuals-error"), keep, keep
    rows = issue_rows(result.issues)
    if not result.stored:
        errors = sum(r["severity"] == "error" for r in rows)
        return html.Div([html.Div([html.I(className="bi bi-x-octagon-fill me-2 text-danger"),
                                   html.Strong(f"Refused: {', '.join(files)}. Nothing was changed"),
                                   f" — {errors} error(s) to fix:"]), issues_table(rows)],
                        className="panel report-bad mb-0", id="data-actuals-refused"), keep, keep
    notes = [html.Li(n) for n in result.notes]
    body = [html.Div([html.I(className="bi bi-check-circle-fill me-2 text-success"),
                      html.Strong(f"Cycle {result.cycle} started."),
                      f" {result.carried} open action item(s) carried over; last month's approved plan is the "
                      "comparison for “vs last month”."]),
            html.Ul(notes, className="item-meta mt-1 mb-0") if notes else None,
            html.Div("The statistical forecast is running in the background." if result.forecast else None,
                     className="item-meta"),
            issues_table(rows) if rows else None]
    context = current_context()
    return (html.Div(body, className="panel report-ok mb-0", id="data-actuals-ok"), state_from_context(context),
            cycle_badge(context))
