"""A first start with an empty database shows the embedded sample company as a full cycle, and the dashboard
shows the same figures as the engine computes from the store."""

from __future__ import annotations

import pytest
from conftest import kpi_value, shot, table_cell

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh_app(start_app):
    return start_app("first-start")


def test_first_start_shows_the_sample_company(new_page, fresh_app):
    from services.plan_service import PlanService
    from data.store import Store, make_engine

    engine = make_engine(f"sqlite:///{fresh_app.workdir}/sop.db")
    try:
        store = Store(engine)
        info = store.dataset_info()
        plan = PlanService(store).current_plan()
        cycle = store.current_cycle()["period"]
    finally:
        engine.dispose()
    assert info["n_families"] >= 3 and info["n_items"] >= 24

    page = new_page(fresh_app.url)
    page.goto("/")
    assert page.inner_text("#shell-cycle") == cycle
    months = plan.horizon[:3]
    fp = plan.family_plan[plan.family_plan["period"].isin(months)]
    rows = page.locator("#dash-demand-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == info["n_families"] + 1  # families and the total
    for family, demand in fp.groupby("family")["demand"].sum().items():
        _, value = table_cell(page, "dash-demand-table", family, "quarter")
        assert float(value) == pytest.approx(demand)
    for name, kpi in plan.kpis.items():
        if name in ("mape", "bias_pct", "capacity_utilization", "plan_attainment"):
            assert kpi_value(page, name) == pytest.approx(kpi["value"])
    constrained = fp[fp["status"] == "CONSTRAINED"]
    for r in constrained.itertuples():
        assert table_cell(page, "dash-supply-table", f"{r.family}|{r.period}", "status")[0] == "CONSTRAINED"
    shot(page, "first-start-dashboard-1920")

    page.goto("/data")
    assert table_cell(page, "data-dataset-table", "Items", "v")[0] == (
        f"{info['n_items']} in {info['n_families']} families")
