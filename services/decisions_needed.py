"""What the executives must decide this cycle (the "Decisions needed" panel of the dashboard and /pre-sop):

- each CONSTRAINED family-month's supply solution to approve, with what it costs (overtime, outsourcing,
  lost sales of that month), linked to /supply;
- scenarios waiting for a decision (`pending_scenarios`), linked to /pre-sop;
- budget gaps: families whose plan revenue is off budget by more than the threshold (default 5 %), linked
  to /pre-sop.

Returns plain records; the component words and links them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from planning.supply import constrained_months
from services.money import budget_gaps
from services.plan_service import get_service

BUDGET_GAP_PCT = 5.0


def pending_scenarios() -> list[dict[str, Any]]:
    """Named scenarios of the current cycle not yet promoted to the plan: [{name, owner, description, href}]."""
    from services.scenario_plans import list_scenarios

    return [{"name": s["name"], "owner": s["owner"], "description": s["description"], "href": "/pre-sop"}
            for s in list_scenarios() if not s["promoted"]]


def decisions_needed(result=None, *, budget_gap_pct: float = BUDGET_GAP_PCT) -> list[dict[str, Any]]:
    """Records {kind: supply|scenario|budget, key, href, ...}: supply items carry the family-month's
    figures (family, period, status, demand, capacity, gap, overtime, outsource, lost_sales, opening,
    ending, cost_overtime, cost_outsource, cost_lost_sales, solution_cost); budget items family,
    revenue, budget_revenue, revenue_variance, revenue_variance_pct; scenario items name, owner.

    The supply and budget items follow from the plan alone (the current plan's, read once per plan state);
    the scenarios come and go without the plan moving, so they are read each time."""
    svc = get_service()
    current = svc.current_plan()
    result = current if result is None else result
    if result is current and budget_gap_pct == BUDGET_GAP_PCT:
        supply, budget = svc.derived("decisions-needed", lambda: _plan_items(result, budget_gap_pct))
    else:
        supply, budget = _plan_items(result, budget_gap_pct)
    scenarios = [{"kind": "scenario", "key": f"scenario|{s.get('name', '')}", "href": s.get("href", "/pre-sop"),
                  **s} for s in pending_scenarios()]
    return [*supply, *scenarios, *budget]


def _plan_items(result, budget_gap_pct: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(supply items, budget items) of a plan."""
    supply: list[dict[str, Any]] = []
    months = constrained_months(result.family_plan, list(result.horizon), first=0)
    cons = months[months["status"] == "CONSTRAINED"]
    if len(cons):
        sp = result.supply_plan.drop(columns=["demand", "capacity"], errors="ignore")
        inv = result.inventory[["family", "period", "opening", "ending"]]
        cons = cons.merge(sp, on=["family", "period"], how="left").merge(inv, on=["family", "period"], how="left")
        cons["solution_cost"] = 0.0
        for units, cost in (("overtime", "cost_overtime"), ("outsource", "cost_outsource"),
                            ("lost_sales", "cost_lost_sales")):
            if cost in cons:  # only the parts the solution names (more than half a unit)
                cons["solution_cost"] += cons[cost].where(cons[units] > 0.5, 0.0).fillna(0.0)
        for r in cons.to_dict("records"):
            supply.append({"kind": "supply", "key": f"supply|{r['family']}|{r['period']}",
                           "href": f"/supply?family={r['family']}", **r})
    try:
        gaps = budget_gaps(budget_gap_pct, result)
    except Exception:  # a budget that cannot be compared never hides the supply decisions
        gaps = pd.DataFrame()
    budget = [{"kind": "budget", "key": f"budget|{r['family']}", "href": "/pre-sop#presop-budget",
               "threshold_pct": budget_gap_pct, **r} for r in gaps.to_dict("records")]
    return supply, budget
