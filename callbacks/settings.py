"""Targets and planning settings on /metrics: shown to everyone, changed by administrators (checked here,
on the server). A save is validated whole: any problem is listed by field and nothing is stored."""

from __future__ import annotations

import logging

from dash import ALL, Input, Output, State, callback, html, no_update

from callbacks.auth import PERMISSIONS, NotAllowed, require, signed_in
from callbacks.common import pass_on
from callbacks.shell import current_context, state_from_context
from components.empty import error_state
from components.plan_workbook import note
from components.settings_form import settings_form, who_may_save
from services import settings as planning_settings
from services.settings_form import FORM_FIELDS

log = logging.getLogger("sop.settings")
FIELD_NAMES = [f.name for f in FORM_FIELDS]


pass_on("metrics-settings-state")


@callback(Output("metrics-settings", "children"), Output("metrics-settings-save", "disabled"),
          Output("metrics-settings-who", "children"), Input("app-state", "data"))
def render_settings(_state):
    try:
        settings = planning_settings.current()
        source = planning_settings.in_force()
        candidates = planning_settings.candidates_in_force()
    except Exception as exc:
        log.exception("settings failed")
        return error_state(f"{type(exc).__name__}: {exc}"), True, ""
    user = signed_in()
    may_edit = bool(user) and user["role"] in PERMISSIONS["settings"]
    who = user["username"] if user else "Someone who is not signed in"
    return settings_form(settings, source, candidates), not may_edit, who_may_save(may_edit, who)


@callback(
    Output("metrics-settings-msg", "children"),
    Output("metrics-settings-state", "data"),  # passed on to app-state (callbacks.common.pass_on)
    Input("metrics-settings-save", "n_clicks"),
    *[State(f"metrics-set-{name}", "value") for name in FIELD_NAMES],
    State("metrics-set-floor", "value"),
    State("metrics-set-w0", "value"), State("metrics-set-w1", "value"), State("metrics-set-w2", "value"),
    State({"type": "metrics-target", "kpi": ALL, "side": ALL}, "value"),
    State({"type": "metrics-target", "kpi": ALL, "side": ALL}, "id"),
    State("metrics-set-forecast-candidates", "value"),
    prevent_initial_call=True,
)
def save_settings(n_clicks, *args):
    if not n_clicks:
        return no_update, no_update
    k = len(FIELD_NAMES)
    values = dict(zip(FIELD_NAMES, args[:k]))
    floor, weights, target_values, target_ids = args[k], list(args[k + 1 : k + 4]), args[k + 4], args[k + 5]
    candidates = args[k + 6] if len(args) > k + 6 else None  # None: the ticks were not sent (unchanged)
    rows: dict[str, dict] = {}
    for id_, value in zip(target_ids, target_values):
        rows.setdefault(id_["kpi"], {})[id_["side"]] = value
    try:
        user = require("settings")
        changed, problems = planning_settings.save_form(values, bool(floor), weights, rows, by=user,
                                                        candidates=candidates)
    except NotAllowed as exc:
        return note("bad", f"{exc} Nothing was changed.", id="metrics-settings-denied"), no_update
    if problems:
        return html.Div([
            note("bad", html.Strong("Not saved: nothing was changed."), id="metrics-settings-refused"),
            html.Ul([html.Li(p) for p in problems], className="mb-0 mt-1", id="metrics-settings-problems"),
        ]), no_update
    if not changed:
        return note("info", "Nothing to save: the settings are as stored.", id="metrics-settings-same"), no_update
    return (note("ok", [html.Strong("Settings saved."), " Every page now plans and colours with them."],
                 id="metrics-settings-saved"), {"value": state_from_context(current_context())})
