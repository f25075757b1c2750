"""The supply side's integer-code pairings (family plan grid, overtime limits) give exactly what the text-keyed
merges they replace give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning.codes import left_positions
from planning.model import Settings
from planning.supply import _family_grid_values, family_plan, overtime_limits


def _tables(seed: int):
    rng = np.random.default_rng(seed)
    fams = [f"F{k:02d}" for k in range(12)]
    horizon = [f"2026-{m:02d}" for m in range(1, 10)]
    demand = pd.DataFrame({"family": np.repeat(fams[:-2], 10).astype(object),  # two families without demand
                           "period": np.tile(horizon + ["2027-01"], 10).astype(object),  # a month off the horizon
                           "demand": rng.random(100) * 10.0 ** rng.uniform(0, 6, 100)})
    demand = demand.sample(frac=0.8, random_state=seed).reset_index(drop=True)  # missing cells, any order
    demand.loc[3, "demand"] = np.nan
    n = 300
    capacity = pd.DataFrame({"family": rng.choice(fams[1:], n).astype(object),  # several resources a cell
                             "period": rng.choice(horizon, n).astype(object),
                             "capacity_units": rng.random(n) * 10.0 ** rng.uniform(0, 6, n),
                             "overtime_pct": np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0, 40, n))})
    capacity.loc[5, "capacity_units"] = np.nan
    return sorted(set(demand["family"]) | set(capacity["family"])), horizon, demand, capacity


def _merged(fams, horizon, demand, capacity) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([fams, horizon], names=["family", "period"]).to_frame(index=False)
    cap = capacity.groupby(["family", "period"], as_index=False)["capacity_units"].sum()
    plan = grid.merge(demand, on=["family", "period"], how="left").merge(cap, on=["family", "period"], how="left")
    plan["demand"] = plan["demand"].fillna(0.0)
    plan["capacity"] = plan.pop("capacity_units").fillna(0.0)
    return plan


@pytest.mark.parametrize("seed", range(4))
def test_family_grid_values_are_the_merges(seed):
    fams, horizon, demand, capacity = _tables(seed)
    got = _family_grid_values(fams, horizon, demand, capacity)
    assert got is not None
    pd.testing.assert_frame_equal(got, _merged(fams, horizon, demand, capacity), check_exact=True)
    # repeated demand cells or integer units: the merges themselves
    assert _family_grid_values(fams, horizon, pd.concat([demand, demand.iloc[:1]]), capacity) is None
    assert _family_grid_values(fams, horizon, demand, capacity.fillna(0).astype({"capacity_units": int})) is None
    plan = family_plan(demand, capacity, horizon, Settings())
    want = _merged(fams, horizon, demand, capacity)
    assert np.array_equal(plan["gap"].to_numpy(), (want["capacity"] - want["demand"]).to_numpy())


@pytest.mark.parametrize("seed", range(4))
def test_overtime_limits_are_the_merge(seed):
    fams, horizon, demand, capacity = _tables(seed)
    plan = family_plan(demand, capacity, horizon, Settings()).sample(frac=1.0, random_state=seed)
    settings = Settings()
    cap = capacity.copy()
    cap["overtime_pct"] = cap["overtime_pct"].fillna(settings.overtime_pct)
    cap["ot_units"] = cap["capacity_units"] * cap["overtime_pct"] / 100.0
    ot = cap.groupby(["family", "period"], as_index=False)["ot_units"].sum()
    want = plan[["family", "period"]].merge(ot, on=["family", "period"], how="left")["ot_units"].fillna(0.0)
    assert np.array_equal(overtime_limits(capacity, plan, settings), want.to_numpy(float))


def test_left_positions_pair_as_a_left_merge():
    rng = np.random.default_rng(3)
    right = pd.DataFrame({"a": rng.choice(list("pqrs"), 12).astype(object),
                          "b": rng.choice(list("xyz"), 12).astype(object)}).drop_duplicates()
    right["v"] = np.arange(len(right), dtype=float)
    left = pd.DataFrame({"a": rng.choice(list("pqrst"), 50).astype(object),
                         "b": rng.choice(list("xyzw"), 50).astype(object)})
    pos = left_positions([left["a"].to_numpy(), left["b"].to_numpy()], [right["a"].to_numpy(), right["b"].to_numpy()])
    want = left.merge(right, on=["a", "b"], how="left")["v"].to_numpy()
    assert np.array_equal(np.append(right["v"].to_numpy(), np.nan)[pos], want, equal_nan=True)
    assert (pos < 0).any()
    dup = pd.concat([right, right.iloc[:1]])
    assert left_positions([left["a"].to_numpy()], [dup["a"].to_numpy()]) is None  # repeated keys: merge
    with_nan = left["a"].to_numpy().copy()
    with_nan[0] = np.nan
    assert left_positions([with_nan], [right["a"].to_numpy()]) is None  # a merge pairs NaN with NaN


def _supply(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fams, horizon = [f"F{k:02d}" for k in range(7)], [f"2026-{m:02d}" for m in range(1, 7)]
    n = len(fams) * len(horizon)
    return pd.DataFrame({"family": np.repeat(fams, len(horizon)).astype(object),
                         "period": np.tile(horizon, len(fams)).astype(object),
                         **{c: rng.random(n) * 1e4 for c in ("demand", "regular", "overtime", "outsource",
                                                            "inventory_end", "lost_sales")}}
                        ).assign(shipped=lambda d: d["demand"] - d["lost_sales"])


@pytest.mark.parametrize("seed", range(3))
def test_inventory_plan_pairs_safety_stock_as_the_merge(seed):
    from planning.supply import inventory_plan

    supply = _supply(seed)
    safety = supply[["family", "period"]].assign(safety_stock=np.random.default_rng(seed).random(len(supply)) * 99)
    safety = safety.sample(frac=0.7, random_state=seed)  # family-months without safety stock: 0
    opening = pd.Series(5.0, index=supply["family"].unique()[:-1])
    got = inventory_plan(supply, safety, opening)
    inv = supply.sort_values(["family", "period"]).reset_index(drop=True)
    want = inv[["family", "period"]].copy()
    want["supply"] = inv["regular"] + inv["overtime"] + inv["outsource"]
    want["shipped"] = inv["shipped"]
    want["ending"] = inv["inventory_end"]
    want["opening"] = inv.groupby("family")["inventory_end"].shift(1).fillna(inv["family"].map(opening).fillna(0.0))
    want = want.merge(safety, on=["family", "period"], how="left")
    want["safety_stock"] = want["safety_stock"].fillna(0.0)
    want["cycle_stock"] = inv["demand"].to_numpy(float) / 2.0
    want["target_inventory"] = want["safety_stock"] + want["cycle_stock"]
    pd.testing.assert_frame_equal(got, want[got.columns.tolist()], check_exact=True)


@pytest.mark.parametrize("seed", range(3))
def test_money_pairs_as_the_merge(seed):
    from planning.finance import _with_money

    supply = _supply(seed)[["family", "period", "demand", "shipped", "overtime", "outsource", "inventory_end"]]
    rng = np.random.default_rng(seed)
    money = supply[["family", "period"]].assign(rev=rng.random(len(supply)) * 1e6, std_cost=rng.random(len(supply)))
    money = money.sample(frac=0.8, random_state=seed)
    want = supply.merge(money, on=["family", "period"], how="left")
    want[["rev", "std_cost"]] = want[["rev", "std_cost"]].fillna(0.0)
    pd.testing.assert_frame_equal(_with_money(supply, money), want, check_exact=True)
    shuffled = supply.sample(frac=1.0, random_state=seed)  # not numbered 0..n−1: the merge itself
    pd.testing.assert_frame_equal(_with_money(shuffled, money),
                                  shuffled.merge(money, on=["family", "period"], how="left").fillna(
                                      {"rev": 0.0, "std_cost": 0.0}), check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_by_family_period_is_sort_values(seed):
    from planning.supply import by_family_period

    frame = _supply(seed)
    frame.index = frame.index + 7
    cases = [frame, frame.sample(frac=1.0, random_state=seed), pd.concat([frame, frame.iloc[:5]]),
             frame.iloc[::-1], frame.iloc[:1], frame.iloc[:0]]
    odd = frame.copy()
    odd.loc[odd.index[4], "family"] = None  # does not compare with text
    cases.append(odd)
    nan = frame.copy()
    nan.loc[nan.index[-1], "period"] = np.nan
    cases.append(nan)
    for case in cases:
        pd.testing.assert_frame_equal(by_family_period(case),
                                      case.sort_values(["family", "period"]).reset_index(drop=True))


@pytest.mark.parametrize("seed", range(3))
def test_working_capital_days_from_the_first_months_rows(seed):
    """The KPI sums only the first 3 months' rows: the same figure as working capital over every month."""
    from planning import process_kpis as pk
    from planning.cycle import compute_plan
    from planning.finance import working_capital
    from planning.kpis import REGISTRY, KpiInputs
    from tests.test_engine_fast_paths import _company

    c = _company(seed)
    r = compute_plan(c, Settings())
    fin = r.financials.sample(frac=1.0, random_state=seed)  # rows in any order
    k = KpiInputs(c, r.horizon, r.family_plan, r.supply_plan, fin, Settings(), pd.DataFrame())
    want = pk.working_capital_days(working_capital(fin, r.supply_plan, 30.4), r.horizon[:3])
    got = REGISTRY["working_capital_days"].compute(k)
    assert (np.isnan(got) and np.isnan(want)) or got == want
    assert np.isnan(REGISTRY["production_attainment"].compute(k))  # no production table
