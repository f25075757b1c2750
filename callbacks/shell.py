"""Shell callbacks: keep the header (cycle, plan version) and the `app-state` ids current."""

from __future__ import annotations

import logging

from dash import Input, Output, State, callback, clientside_callback, no_update

from components.shell import cycle_badge, forecast_badge_children, step_badge

log = logging.getLogger("sop.shell")

STATE_KEYS = ("cycle", "cycle_status", "version", "revision", "settings", "forecast")


def current_context(with_step: bool = False) -> dict:
    """The current cycle and plan version, flattened for the header and `app-state`
    ({} when the store cannot be read; the pages then say why). `with_step` adds the cycle's step status
    (`step`, for the header; it reads the plan's exceptions, so only the header asks for it)."""
    try:
        from services import plan_service

        raw = plan_service.plan_context() or {}
    except Exception:
        log.exception("plan_context failed")
        return {}
    cycle = raw.get("cycle") or {}
    version = raw.get("version") or {}
    from callbacks.auth import signed_in
    from callbacks.login import user_badge

    user = signed_in()
    return {
        "user_label": user_badge(),
        "user_role": (user or {}).get("role"),
        "cycle": cycle.get("period"),
        "cycle_id": cycle.get("id"),
        "cycle_status": cycle.get("status"),
        "version": version.get("id"),
        "version_number": version.get("number"),
        "version_status": version.get("status"),
        "revision": version.get("revision"),
        "settings": (raw.get("settings_key") or "")[:12],
        "forecast": raw.get("forecast_run"),
        "forecast_status": _forecast_status(),
        "step": step_status() if with_step else None,
    }


def step_status() -> dict | None:
    """The cycle's step, what is late and the open exceptions (services.cycle), or None when unreadable."""
    try:
        from services import cycle as cycle_service

        return cycle_service.header_status()
    except Exception:
        log.exception("cycle step status failed")
        return None


def _forecast_status() -> dict | None:
    try:
        from services import plan_service

        return plan_service.get_service().forecast_status()
    except Exception:
        log.exception("forecast status failed")
        return None


def state_from_context(context: dict) -> dict:
    """Only ids go to the browser: cycle (its period), version id, revision, a digest of the settings."""
    return {k: context.get(k) for k in STATE_KEYS}


@callback(
    Output("app-state", "data"),
    Output("shell-step-status", "children", allow_duplicate=True),
    Output("shell-step-fresh", "data"),
    Input("_pages_location", "pathname"),
    State("app-state", "data"),
    State("shell-step-fresh", "data"),
    prevent_initial_call=True,
)
def refresh_on_navigation(_pathname, state, fresh):
    """Someone else may have uploaded or approved since this tab loaded: re-read the ids and only
    push them (which refreshes the page's figures, and the header through `header_follows_the_plan`)
    when they changed; otherwise refresh the cycle's step status alone (others tick and review too). On a
    full page load (`fresh`) the header's step status was computed with the layout a moment ago."""
    new_state = state_from_context(current_context())
    if new_state == (state or {}):
        return no_update, (no_update if fresh else step_badge(step_status())), False
    return new_state, no_update, False


@callback(
    Output("shell-collapse", "is_open"),
    Input("shell-toggler", "n_clicks"),
    State("shell-collapse", "is_open"),
    prevent_initial_call=True,
)
def toggle_nav(n, is_open):
    return not is_open if n else is_open


@callback(
    Output("shell-forecast", "children"),
    Output("app-state", "data", allow_duplicate=True),
    Input("shell-poll", "n_intervals"),
    State("app-state", "data"),
    prevent_initial_call=True,
)
def forecast_badge(_n, state):
    """Every page says when the plan uses an interim forecast (and how far the run is); when a run lands or
    new data arrives, every page refreshes (the plan's revision alone does not: pages follow their own
    edits, and the dashboard polls for everyone's)."""
    from services import plan_service

    try:
        status = plan_service.get_service().forecast_status()
    except Exception:
        log.exception("forecast status failed")
        return no_update, no_update
    badge = forecast_badge_children(status)
    state = state or {}
    if status["run"] != state.get("forecast"):
        fresh = state_from_context(current_context())
        if fresh.get("forecast") != state.get("forecast") or fresh.get("cycle") != state.get("cycle"):
            return badge, fresh  # the header follows through `header_follows_the_plan`
    return badge, no_update


@callback(
    Output("shell-context", "children", allow_duplicate=True),
    Output("shell-step-status", "children", allow_duplicate=True),
    Input("app-state", "data"),
    prevent_initial_call=True,
)
def header_follows_the_plan(state):
    """The header's cycle and version (`#shell-version` data-version / data-status) and the cycle's step
    (`#shell-step`) follow every change of `app-state`: an approval, the first edit after it (draft N+1),
    new data, a forecast landing."""
    context = current_context(with_step=True)
    return cycle_badge(context), step_badge(context.get("step"))


def step_badge_follows(trigger: Input) -> None:
    """Redraw the header's step badge when `trigger` (a page's counter of saved changes, falsy until the
    first) moves.

    Not an output of the saving callback itself: Dash calls a callback whose input arrives with a page and
    whose output is outside the page (the header) as the page arrives, prevent_initial_call or not, and the
    page's own rendering then waits for it. So the page's counter moves `shell-step-refresh` in the browser
    (a clientside callback: its call on arrival costs no request) and `refresh_step_badge` reads the badge."""
    clientside_callback(
        """function(counter) {
            const values = Array.isArray(counter) ? counter : [counter];
            if (!values.some(v => v)) { return window.dash_clientside.no_update; }  // the page just arrived
            return Date.now();
        }""",
        Output("shell-step-refresh", "data", allow_duplicate=True), trigger, prevent_initial_call=True)


@callback(Output("shell-step-status", "children", allow_duplicate=True), Input("shell-step-refresh", "data"),
          prevent_initial_call=True)
def refresh_step_badge(_moved):
    return step_badge(step_status())
