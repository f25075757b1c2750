"""Incremental recompute after edits equals a full recompute, number for number.

The service keeps what depends on the base data alone (forecast frame, consensus grid, exceptions,
history view) and the LP keeps its solved blocks of families by their exact inputs, so a plan after an
edit re-solves only the edited family's block. These tests apply random demand and capacity edits
(family and item cells) and compare each plan the service returns with a recompute from scratch of the
same data (every cache cleared, a fresh memo): every table and KPI must be identical, not merely close.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.synthetic import synthetic_company
from data.store import Store, make_engine
from planning import supply
from planning.cycle import compute_plan
from services.plan_service import PlanService, interim_forecast

from tests.store_fixtures import new_service

TABLES = ("forecast", "consensus", "family_plan", "supply_plan", "inventory", "financials", "accuracy",
          "exceptions")


def full_recompute(service: PlanService):  # noqa: ANN201
    """The current draft's plan computed from nothing: no LP block, no memo, no history view kept."""
    data = service.company_data()
    settings = service.plan_settings()
    kept = dict(supply._BLOCKS)
    supply._BLOCKS.clear()
    try:
        return compute_plan(data, settings, forecaster=interim_forecast, memo={})
    finally:
        supply._BLOCKS.clear()
        supply._BLOCKS.update(kept)  # the service's blocks as they were before this check


def assert_same(got, want) -> None:  # noqa: ANN001
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(got, name).reset_index(drop=True),
                                      getattr(want, name).reset_index(drop=True), check_exact=True, obj=name)
    assert {k: v["value"] for k, v in got.kpis.items()} == {k: v["value"] for k, v in want.kpis.items()}


def random_edits(service: PlanService, n: int, seed: int) -> int:
    """`n` random edits through the service, each checked against a full recompute; returns the LP blocks
    solved by the last incremental plan (to show the edit did not re-solve everything)."""
    rng = np.random.default_rng(seed)
    plan = service.current_plan()
    families = sorted(plan.family_plan["family"].unique())
    items = plan.consensus["item_id"].unique()
    solved = 0
    for k in range(n):
        period = plan.horizon[int(rng.integers(len(plan.horizon)))]
        family = families[int(rng.integers(len(families)))]
        what = k % 3
        if what == 0:
            service.apply_edit(level="family", key=family, period=period, text=f"+{int(rng.integers(1, 30))}%",
                               reason="test", owner="t")
        elif what == 1:
            item = str(items[int(rng.integers(len(items)))])
            service.apply_edit(level="item", key=item, period=period, text=str(int(rng.integers(0, 500))),
                               reason="test", owner="t")
        else:
            service.apply_capacity_edits([{"family": family, "period": period, "text": "-15%"}], reason="test",
                                         owner="t")
        before = len(supply._BLOCKS)
        plan = service.current_plan()
        solved = len(supply._BLOCKS) - before
        assert_same(plan, full_recompute(service))
    return solved


def test_random_edits_on_a_synthetic_company_equal_a_full_recompute(tmp_path: Path) -> None:
    company = synthetic_company(640, 40, 24, 12, adjusted_share=0.05, seed=4)  # 40 families: 3 LP blocks
    store = Store(make_engine(f"sqlite:///{tmp_path / 'inc.db'}"))
    store.ensure_ready(seed=False)
    store.save_dataset(company, source="test", user="t")
    service = PlanService(store)
    solved = random_edits(service, 9, seed=1)
    # the last edit changed one family: its block is solved again, the other blocks are taken as they were
    assert solved == 1
    store.engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_random_edits_on_the_sample_company_equal_a_full_recompute(db_url: str) -> None:
    service = new_service(db_url)
    random_edits(service, 6, seed=2)
    service.store.engine.dispose()
