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
        from services.scenario_plans import scenario_name

        name = scenario_name(int(vid))
    except Exception:  # the store cannot be read: no band rather than a broken page
        log.exception("scenario band")
        return True, "", ""
    if not name:  # another cycle's scenario, or no longer one
        return True, "", ""
    return False, name, name


@callback(
    Output("app-scenario", "data", allow_duplicate=True),
    Input("shell-scenario-back", "n_clicks"),
    prevent_initial_call=True,
)
def back_to_plan(n):
    return None
