"""Step 4, money and decisions: the "Decisions needed" panel and money against budget on /pre-sop (panels
`presop-needed` and `presop-budget`, filled from services.decisions_needed and services.money)."""

from __future__ import annotations

import logging

from dash import Input, Output, callback

from callbacks.common import load_plan
from callbacks.views import decision_lines
from components.budget_panel import money_against_plan
from components.decisions_needed import decisions_needed_list
from components.empty import error_state
from services.decisions_needed import decisions_needed
from services.money import budget_view

log = logging.getLogger("sop.pre_sop")


NEEDED_LINES = 50


@callback(
    Output("presop-needed", "children"),
    Output("presop-budget", "children"),
    Input("app-state", "data"),
)
def render_money(_state):
    loaded = load_plan()
    if loaded.result is None:
        return error_state(loaded.error or ""), ""
    result = loaded.result
    try:
        # at most NEEDED_LINES: a list item is a component tree for the browser to build (a 10,000-item
        # company has a thousand constrained family-months; the supply page lists every one)
        needed = decisions_needed_list("presop-needed-list", decision_lines(decisions_needed(result)),
                                       limit=NEEDED_LINES)
    except Exception:
        log.exception("decisions needed")
        needed = error_state("The decisions needed could not be listed.")
    try:
        money = money_against_plan(budget_view(result))
    except Exception:
        log.exception("money against budget")
        money = error_state("The budget comparison could not be computed.")
    return needed, money
