"""Step 5, presentation mode: one full-screen slide per agenda item, built from the plan's live figures (KPIs
against targets; consensus by family with vs last month and last year; constraints over the whole horizon with
the supply plan's solution and cost; money; scenarios; assumptions; decisions and open actions). The deck
polls the plan state every 3 s while it is open and redraws itself when a planner changes the plan, saying
when it last changed. Keyboard and timer: assets/presentation.js."""

from __future__ import annotations

import dataclasses
import datetime as dt

from dash import Input, Output, State, callback, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.dashboard import DASHBOARD_KPIS, demand_table, finance_table
from callbacks.meeting import actions_table, decisions_table
from callbacks.pre_sop import scenario_table
from callbacks.views import constraints_frame
from components.empty import empty_state
from components.kpi_card import kpi_row
from components.layout import Col, summary_table
from services import queries
from services.dashboard import cycle_inputs
from services.meeting import AGENDA
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


def slides(result, state) -> list:
    inputs = cycle_inputs(state.dataset_id, state.cycle_id)
    actions = queries.actions()
    open_actions = actions[actions["status"] != "done"] if len(actions) else actions
    body = {
        "performance": kpi_row(result.kpis, DASHBOARD_KPIS, large=True),
        "demand": demand_table(result, inputs),
        "supply": constraints_slide(result),
        "financial": finance_table(result),
        "scenarios": scenario_table(scenarios(result)),
        "strategic": strategic_slide(),
        "decisions": html.Div([decisions_table(queries.decisions()), html.H3("Open action items", className="mt-3"),
                               actions_table(open_actions)]),
    }
    return [html.Section([html.H2(f"{n}. {title}", className="slide-title"),
                          html.Div(f"{minutes} min", className="slide-minutes"), body[key]],
                         className="slide" + (" active" if n == 1 else ""),
                         **{"data-agenda-item": key, "data-minutes": str(minutes)})
            for n, (key, title, minutes) in enumerate(AGENDA, start=1)]


@callback(
    Output("meeting-deck", "style"),
    Output("meeting-deck-slides", "children"),
    Output("meeting-deck-key", "data"),
    Output("meeting-deck-updated", "children"),
    Output("meeting-deck-poll", "disabled"),
    Input("meeting-present", "n_clicks"),
    Input("meeting-deck-poll", "n_intervals"),
    State("meeting-deck-key", "data"),
    State("meeting-deck", "style"),
    prevent_initial_call=True,
)
def render_deck(n, _tick, shown, style):
    """Opening the deck builds the slides; while it is open, a changed plan (or new notes) redraws them."""
    if not n:
        raise PreventUpdate
    svc = get_service()
    state = svc.state()
    notes = (len(queries.decisions()), len(queries.actions()))
    key = [*dataclasses.astuple(state), *notes]
    opening = (style or {}).get("display") != "block"
    if not opening and key == shown:
        return no_update, no_update, no_update, no_update, no_update
    result = svc.current_plan()
    now = dt.datetime.now().strftime("%H:%M:%S")
    updated = f"Opened {now}" if opening or not shown else f"Updated {now}: the plan changed during the meeting"
    return {"display": "block"}, slides(result, state), key, updated, False
