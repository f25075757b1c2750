"""The server's caches stay bounded over many edits (issue 12: memory): plan states superseded by a newer
revision are dropped, the rest is least recently used within a count and a byte budget, figures derived
from a plan keep one plan state per name, the demand grid's rows keep a row budget, and the cached
outlooks keep only what a comparison reads — while a page load still reads the cached plan."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import pytest

from callbacks import demand as demand_callbacks
from planning.scenarios import figures
from services import plan_service as plan_service_module
from services import scenario_plans
from services.plan_service import PlanService

from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str) -> Iterator[PlanService]:
    service = new_service(db_url)
    yield service
    service.store.engine.dispose()


def test_twelve_edits_leave_two_plan_states_and_one_derived_figure_per_name(svc: PlanService) -> None:
    plan = svc.current_plan()
    fam, period = plan.family_plan["family"].iloc[0], plan.horizon[0]
    seen = []
    for i in range(12):
        svc.apply_edit(level="family", key=fam, period=period, text=str(1000 + i), reason="", owner="d")
        plan = svc.current_plan()
        seen.append((svc.state(), plan))
        svc.derived("figure", lambda: object())
        svc.derived("other", lambda: object())
    info = svc.cache_info()
    assert info["plans"] == 2 and info["data"] == 2  # the newest and the one before it; 10 superseded dropped
    assert set(svc._plans) == {seen[-1][0], seen[-2][0]}
    assert info["derived"] == 2  # one plan state per name
    assert svc.current_plan() is seen[-1][1]  # a page load reads the cached plan: no recompute
    assert svc._plan(seen[-2][0]) is seen[-2][1]  # the state an edit in flight read is still there
    family = plan.family_plan
    assert float(family.loc[(family["family"] == fam) & (family["period"] == period), "demand"].sum()) \
        == pytest.approx(1011)


def test_derived_figures_are_bounded_by_name_count(svc: PlanService) -> None:
    n = plan_service_module.DERIVED_CACHE_SIZE + 5
    for i in range(n):
        svc.derived(f"figure-{i}", lambda i=i: i)
    assert svc.cache_info()["derived"] == plan_service_module.DERIVED_CACHE_SIZE
    assert svc.derived(f"figure-{n - 1}", lambda: "recomputed") == n - 1  # the newest kept
    assert svc.derived("figure-0", lambda: "recomputed") == "recomputed"  # the oldest forgotten


def test_plan_byte_budget_keeps_only_the_newest_plan(svc: PlanService, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = svc.current_plan()
    vid = scenario_plans.create("Push", by="admin", service=svc,
                                demand=[{"family": plan.family_plan["family"].iloc[0], "pct": 10,
                                         "start": plan.horizon[1], "end": plan.horizon[4]}])
    scen = svc.current_plan(vid)
    assert svc.cache_info()["plans"] >= 2  # the draft and the scenario within the budget
    assert plan_service_module.plan_bytes(scen) > 0.01 * 2**20
    monkeypatch.setattr(plan_service_module, "PLAN_CACHE_MB", 0.01)
    svc.apply_edit(level="family", key=plan.family_plan["family"].iloc[0], period=plan.horizon[0], text="+1%",
                   reason="", owner="d")
    newest = svc.current_plan()
    info = svc.cache_info()
    assert info["plans"] == 1 and info["data"] == 1
    assert list(svc._plans.values()) == [newest]


def test_grid_rows_keep_a_row_budget_and_the_newest_two() -> None:
    cache: OrderedDict = OrderedDict()
    for i in range(8):
        demand_callbacks._remember(cache, ("state", i), [{}] * 10_000, rows=25_000)
    assert list(cache) == [("state", 6), ("state", 7)]  # two 10,000-row grids; a third would pass 25,000
    small: OrderedDict = OrderedDict()
    for i in range(8):
        demand_callbacks._remember(small, ("state", i), [{}] * 100, rows=25_000)
    assert list(small) == [("state", i) for i in range(2, 8)]  # small grids: the count bound (6)


def test_cached_outlooks_keep_only_what_a_comparison_reads(svc: PlanService) -> None:
    plan = svc.current_plan()
    settings = svc.plan_settings()
    slim = scenario_plans.comparable(plan)
    assert len(slim.consensus) == 0 and len(slim.forecast) == 0 and slim.adjustments is None
    assert figures("x", slim, settings) == figures("x", plan, settings)
    fam = plan.family_plan["family"].iloc[0]
    assert figures("x", slim, settings, family=fam) == figures("x", plan, settings, family=fam)
    outlooks = scenario_plans._outlooks(svc)
    assert {len(p.consensus) for p in outlooks.values()} == {0}
    assert all(len(p.family_plan) == len(plan.family_plan) for p in outlooks.values())
