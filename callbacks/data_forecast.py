"""Step 1, the statistical forecast card: Run / Cancel, the progress of the run in flight (whoever started it),
the outcome, and the chosen model per series. The run itself is a background process of
`services.forecast_jobs`; it is started by an upload, the first start, or the Run button, never by opening
this page. The page only follows it (one small read per second while a run is in flight)."""

from __future__ import annotations

import logging
import time

from dash import Input, Output, State, callback, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require
from callbacks.shell import current_context, state_from_context
from components import formats
from components.empty import error_state
from components.forecast_job import HIDDEN, SHOWN, fallback_note, models_grid, status_line
from components.plan_workbook import note
from services import forecast_jobs, queries
from services.plan_service import get_service

log = logging.getLogger("sop.data.forecast")


def _state():
    return get_service().state()


def following_note(user: str | None) -> html.Div:
    return note("info", f"A forecast run started by {user or 'someone'} is in progress; this page follows it and "
                "updates when it is done.", id="data-forecast-following")


def started_note(trigger: str) -> html.Div:
    return note("info", "The statistical forecast is running in the background; the plan keeps the forecast it "
                "has until the run is stored. You can leave this page.", id="data-forecast-started")


@callback(
    Output("data-forecast-poll", "disabled"),
    Output("data-forecast-message", "children", allow_duplicate=True),
    Input("app-state", "data"),
    prevent_initial_call="initial_duplicate",
)
def follow_on_open(_state_ids):
    """Opening the page (or new data) follows a run in flight; it never starts one."""
    try:
        marker = forecast_jobs.in_flight(_state().cycle_id)
    except Exception:
        log.exception("plan state failed")
        return no_update, no_update
    if marker:
        return False, following_note(marker.get("user"))
    return no_update, no_update  # a poll already on stops by itself once it has shown the run's outcome


@callback(
    Output("data-forecast-poll", "disabled", allow_duplicate=True),
    Output("data-forecast-message", "children", allow_duplicate=True),
    Output("data-forecast-request", "data"),
    Input("data-forecast-run", "n_clicks"),
    prevent_initial_call=True,
)
def run_forecast(n_clicks):
    """Run forecast: a new run of the whole company, replacing the cycle's forecast when it is stored."""
    if not n_clicks:
        raise PreventUpdate
    try:
        user = require("forecast")
    except NotAllowed as exc:
        return no_update, note("bad", str(exc), id="data-forecast-denied"), no_update
    try:
        started = forecast_jobs.start_run(_state().cycle_id, user=user, trigger="manual", force=True)
    except Exception as exc:  # the process could not be started: say so, nothing changed
        log.exception("forecast run could not start")
        return no_update, note("bad", f"The forecast could not be started: {exc}", id="data-forecast-error"), \
            no_update
    if started["status"] == "following":
        return False, following_note(started.get("user")), no_update
    return False, started_note("manual"), {"token": started["token"], "at": time.time()}


@callback(
    Output("data-forecast-message", "children", allow_duplicate=True),
    Input("data-forecast-cancel", "n_clicks"),
    prevent_initial_call=True,
)
def cancel_forecast(n_clicks):
    """Cancel: the run stops at its next step and stores nothing (whoever started it)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        require("forecast")
    except NotAllowed as exc:
        return note("bad", str(exc), id="data-forecast-denied")
    marker = forecast_jobs.cancel_run(_state().cycle_id)
    if marker is None:
        return note("info", "No forecast run is in progress.", id="data-forecast-cancelled")
    return note("info", [html.Strong("Cancelling"), ": the run stops at its next step; nothing is stored."],
                id="data-forecast-cancelling")


@callback(
    Output("data-forecast-progress", "value"),
    Output("data-forecast-progress", "label"),
    Output("data-forecast-stage", "children"),
    Output("data-forecast-progress-wrap", "style"),
    Output("data-forecast-run", "disabled"),
    Output("data-forecast-cancel", "disabled"),
    Output("data-forecast-poll", "disabled", allow_duplicate=True),
    Output("data-forecast-done", "data"),
    Input("data-forecast-poll", "n_intervals"),
    State("data-forecast-done", "data"),
    prevent_initial_call=True,
)
def follow_forecast(_n, shown):
    """The run in flight: its progress here until it ends; then its outcome, once."""
    cycle_id = _state().cycle_id
    marker = forecast_jobs.in_flight(cycle_id)
    if marker:
        p = forecast_jobs.progress(marker["token"])
        pct = int(round(100 * float(p.get("fraction", 0.0))))
        elapsed = time.time() - float(p.get("started") or marker.get("created") or time.time())
        stage = f"{pct} % · {p.get('stage', 'starting')} · {elapsed:.0f} s elapsed"
        return pct, f"{pct} %", stage, SHOWN, True, False, no_update, no_update
    last = forecast_jobs.last_outcome(cycle_id) or {}
    done = no_update if last.get("token") in (None, (shown or {}).get("token")) else last
    return 0, "", "", HIDDEN, False, True, True, done


@callback(
    Output("data-forecast-message", "children", allow_duplicate=True),
    Output("app-state", "data", allow_duplicate=True),
    Input("data-forecast-done", "data"),
    prevent_initial_call=True,
)
def forecast_finished(done):
    """The outcome of a run that ended while this page followed it; a stored run refreshes every figure."""
    done = done or {}
    status = done.get("status")
    fresh = state_from_context(current_context())
    if status == "done":
        if done.get("stored"):
            text = [html.Strong("Statistical forecast stored"),
                    f" ({formats.number(done.get('seconds'), 1)} s). The plan on every page now uses it; the "
                    "change is in the audit trail."]
        else:
            text = "This cycle already had a statistical forecast run; it is kept."
        return note("ok", text, id="data-forecast-done-msg"), fresh
    if status == "cancelled":
        return cancelled_note(), no_update
    if status == "error":
        return note("bad", f"The forecast was not run: {done.get('message')} The previous forecast is kept.",
                    id="data-forecast-error"), no_update
    raise PreventUpdate


def cancelled_note() -> html.Div:
    try:
        had = _state().forecast_run is not None
    except Exception:
        had = True
    tail = ("the previous forecast is kept." if had else
            "the plan keeps the interim forecast until the statistical forecast is run.")
    return note("info", [html.Strong("Cancelled"), f": nothing was stored, {tail}"], id="data-forecast-cancelled")


@callback(
    Output("data-forecast-status", "children"),
    Output("data-forecast-fallbacks", "children"),
    Output("data-models", "children"),
    Input("app-state", "data"),
    Input("data-models-filter", "value"),
)
def render_forecast(state, which):
    try:
        st = _state()
        info = queries.forecast_run(st.forecast_run)
        models = queries.forecast_models(st.cycle_id) if info is not None else None
    except Exception as exc:
        log.exception("forecast card")
        return error_state(f"{type(exc).__name__}: {exc}"), None, None
    cycle = (state or {}).get("cycle")
    stopped = info is None and forecast_jobs.auto_skipped(st.cycle_id)
    return (status_line(info, cycle, None if models is None else len(models), stopped), fallback_note(models),
            models_grid(models, which == "fallback"))

