"""Scenarios of the plan for Step 4: the base plan, upside and downside (± the scenario setting, and from the
statistical forecast's 80 % interval), each run through the engine's whole chain (consensus → family plan
→ least-cost supply plan → money) and summed up for comparison."""

from __future__ import annotations

import pandas as pd

from planning.cycle import supply_side
from planning.demand import scenario_consensus
from planning.finance import period_summary
from services.plan_service import get_service


def plan_figures(name: str, fam_plan: pd.DataFrame, supply: pd.DataFrame, fin: pd.DataFrame,
                 horizon: list[str]) -> dict:
    money = period_summary(fin, horizon)
    demand = float(supply["demand"].sum())
    shipped = float(supply["shipped"].sum())
    return {
        "scenario": name,
        "demand": demand,
        "shipped": shipped,
        "service": shipped * 100.0 / demand if demand else float("nan"),
        "lost_sales": float(supply["lost_sales"].sum()),
        "revenue": money["revenue"],
        "gross_margin": money["gross_margin"],
        "supply_cost": float(supply["cost"].sum()),
        "constrained": int((fam_plan["status"] == "CONSTRAINED").sum()),
    }


def scenarios(result) -> list[dict]:
    """Base, upside and downside (± the scenario setting, default 15 %) through the engine's chain:
    consensus → family plan → least-cost supply plan → money. Computed once per plan state."""
    return get_service().derived("scenarios", lambda: _scenarios(result))


def _scenarios(result) -> list[dict]:
    settings = get_service().plan_settings()
    data = get_service().company_data()
    h = list(result.horizon)
    rows = [plan_figures("Base plan", result.family_plan, result.supply_plan, result.financials, h)]
    pct = settings.scenario_pct
    flat = (("up", f"Upside +{pct:g} %"), ("down", f"Downside \u2212{pct:g} %"))
    for side, label in flat:
        cons = scenario_consensus(result.consensus, pct, side=side)
        side_plan = supply_side(cons, data, h, settings)
        rows.append(plan_figures(label, side_plan.family_plan, side_plan.supply_plan, side_plan.financials, h))
    fc = result.forecast
    if fc is not None and "hi80" in fc and fc["hi80"].notna().any():
        # the statistical forecast's 80 % interval around each cell, judgemental changes kept
        for side, label in (("up", "Upside: 80 % interval"), ("down", "Downside: 80 % interval")):
            cons = scenario_consensus(result.consensus, pct, side=side, forecast=fc)
            side_plan = supply_side(cons, data, h, settings)
            rows.append(plan_figures(label, side_plan.family_plan, side_plan.supply_plan, side_plan.financials,
                                     h))
    return rows
