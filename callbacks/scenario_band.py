"""The scenario band of the shell: shown with the scenario's name on every page while one is being edited."""

from __future__ import annotations

import logging

from dash import Input, Output, callback

log = logging.getLogger("sop.scenario_band")


@callback(
    Output("shell-scenario-band", "hidden"),
    Output("shell-scenario-name", "children"),
    Output("shell-scenario-band", "data-scenario"),
    Input("app-scenario", "data"),
)
def show_band(selected):
    vid = (selected or {}).get("id") if isinstance(selected, dict) else None
    if not vid:
        return True, "", ""
    try:
        from services.plan_service import get_store

        v = get_store().get_version(int(vid))
    except Exception:  # a scenario of another database or deleted: no band
        log.exception("scenario band")
        return True, "", ""
    if v.get("kind") != "scenario":
        return True, "", ""
    return False, v["name"], v["name"]


@callback(
    Output("app-scenario", "data", allow_duplicate=True),
    Input("shell-scenario-back", "n_clicks"),
    prevent_initial_call=True,
)
def back_to_plan(n):
    return None
