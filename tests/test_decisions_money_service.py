"""services.decisions_needed and services.money on a store holding the reference example with a budget: the
constrained month's solution to approve, the family off budget beyond 5 %, the scenario hook (empty), and the
budget view's variance split."""

from __future__ import annotations

import pandas as pd
import pytest

from services import plan_service as plan_service_module
from services.decisions_needed import decisions_needed, pending_scenarios
from services.money import budget_view
from tests.engine_fixtures import seed_company
from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str, monkeypatch):
    service = new_service(db_url)
    monkeypatch.setattr(plan_service_module, "_service", service)
    yield service
    service.store.engine.dispose()


def test_decisions_needed_and_money_against_budget(svc):
    budget = pd.DataFrame({"family": ["Electronics", "Appliances"], "period": ["2025-01", "2025-01"],
                           "revenue": [950_000.0, 420_000.0], "units": [10_000.0, 6_000.0]})
    svc.store.save_dataset(seed_company().with_(budget=budget), source="test")
    plan = svc.current_plan()
    items = decisions_needed(plan)
    supply = [i for i in items if i["kind"] == "supply"]
    assert [(i["family"], i["period"]) for i in supply] == [("Electronics", "2025-01")]
    assert supply[0]["overtime"] == pytest.approx(1_000) and supply[0]["solution_cost"] == pytest.approx(15_000)
    assert supply[0]["href"] == "/supply?family=Electronics"
    # Electronics is 15.8 % above budget (listed), Appliances 4.8 % below (within ±5 %)
    gaps = [i for i in items if i["kind"] == "budget"]
    assert [i["family"] for i in gaps] == ["Electronics"]
    assert gaps[0]["revenue_variance"] == pytest.approx(150_000)
    assert pending_scenarios() == [] and not [i for i in items if i["kind"] == "scenario"]

    view = budget_view(plan)
    assert view["has_budget"]
    total = view["total"].iloc[0]
    assert total["revenue_variance"] == pytest.approx(130_000)
    assert total["volume"] + total["price"] + total["mix"] == pytest.approx(total["revenue_variance"], rel=1e-12)
    assert list(view["by_month"]["period"]) == ["2025-01"]
    assert len(view["working_capital"]) == len(plan.horizon)

    # the /pre-sop panel renders the budget tables (by family, by month, total row) and working capital
    from components.budget_panel import money_against_plan

    body = str(money_against_plan(view).to_plotly_json())
    for table in ("presop-budget-family", "presop-budget-month", "presop-working-capital"):
        assert table in body
