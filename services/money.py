"""Money against plan: the plan's revenue, COGS, gross margin and inventory value against the uploaded
budget (variance in money and %, split into volume, price and mix), and working capital per month.

The formulas are `planning.finance.budget_comparison`, `variance_drivers` and `working_capital`; this
module only reads the plan and its data through the plan service, once per plan state."""

from __future__ import annotations

from typing import Any

import pandas as pd

from planning.finance import budget_comparison, family_unit_cost, variance_drivers, working_capital
from services.plan_service import get_service


def budget_view(result=None) -> dict[str, Any]:
    """{has_budget, comparison (family × month), by_family, by_month, total (one row), working_capital
    (per month)}; without a budget only working_capital (the others None)."""
    svc = get_service()
    if result is None:
        return svc.derived("money-budget", lambda: _budget_view(svc.current_plan()))
    return svc.derived("money-budget", lambda: _budget_view(result))


def _budget_view(result) -> dict[str, Any]:
    svc = get_service()
    data = svc.company_data()
    settings = svc.plan_settings()
    wc = working_capital(result.financials, result.supply_plan, settings.days_per_month)
    out: dict[str, Any] = {"has_budget": False, "comparison": None, "by_family": None, "by_month": None,
                           "total": None, "working_capital": wc}
    budget = data.budget
    if budget is None or budget.empty:
        return out
    comp = budget_comparison(result.financials, result.supply_plan, budget,
                             family_unit_cost(result.consensus, data.items))
    if comp is None or comp.empty:
        return out
    out.update(has_budget=True, comparison=comp, by_family=variance_drivers(comp, ["family"]),
               by_month=variance_drivers(comp, ["period"]), total=variance_drivers(comp, []))
    return out


def budget_gaps(threshold_pct: float = 5.0, result=None) -> pd.DataFrame:
    """Families whose plan revenue is off budget by more than `threshold_pct` % over the budgeted months
    of the horizon (rows of `variance_drivers` by family), largest gap in money first."""
    view = budget_view(result)
    fam = view["by_family"]
    if fam is None or fam.empty:
        return pd.DataFrame(columns=["family", "revenue", "budget_revenue", "revenue_variance",
                                     "revenue_variance_pct"])
    off = fam[fam["revenue_variance_pct"].abs() > threshold_pct]
    return off.reindex(off["revenue_variance"].abs().sort_values(ascending=False).index).reset_index(drop=True)
