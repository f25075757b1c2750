"""Lag accuracy and forecast value added against numbers worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from planning.lag_accuracy import forecast_value_added, lag_accuracy

ITEMS = pd.DataFrame({"item_id": ["A", "B", "C"], "family": ["F1", "F1", "F2"]})
ACTUALS = pd.DataFrame(
    {
        "item_id": ["A", "B", "C", "A", "B", "C"],
        "period": ["2025-07"] * 3 + ["2025-08"] * 3,
        "actual_units": [100, 50, 0, 80, 20, 10],
    }
)
SNAPSHOTS = pd.DataFrame(
    [
        # cycle 2025-07: lag 1 = 2025-07, lag 2 = 2025-08
        ("2025-07", "A", "2025-07", 90, 100, "ann"),
        ("2025-07", "B", "2025-07", 60, 60, ""),
        ("2025-07", "C", "2025-07", 5, 5, None),
        ("2025-07", "A", "2025-08", 70, 90, "ann"),
        ("2025-07", "B", "2025-08", 30, 30, ""),
        ("2025-07", "C", "2025-08", 10, 12, "bob"),
        # cycle 2025-08: lag 1 = 2025-08; 2025-09 has no actual yet; 2025-07 is before the cycle
        ("2025-08", "A", "2025-08", 85, 85, ""),
        ("2025-08", "B", "2025-08", 25, 15, "bob"),
        ("2025-08", "C", "2025-08", 8, 8, ""),
        ("2025-08", "A", "2025-09", 99, 99, ""),
        ("2025-08", "A", "2025-07", 1, 1, ""),
    ],
    columns=["cycle_period", "item_id", "period", "statistical", "consensus", "owner"],
)


def _row(df: pd.DataFrame, **keys) -> pd.Series:
    sel = df
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, keys
    return sel.iloc[0]


def test_lag_definition_cycle_month_is_lag_1() -> None:
    out = lag_accuracy(SNAPSHOTS, ACTUALS, ITEMS, lags=(1, 2, 3))
    # lag 1 of F1 uses cycle 2025-07 for 2025-07 and cycle 2025-08 for 2025-08: two periods
    assert _row(out, level="family", family="F1", lag=1)["n"] == 2
    # lag 2 only exists for cycle 2025-07 -> 2025-08; lag 3 has no actual at all
    assert _row(out, level="family", family="F1", lag=2)["n"] == 1
    assert not ((out["lag"] == 3).any())
    assert set(out["lag"]) == {1, 2}


def test_lag_accuracy_family_numbers_by_hand() -> None:
    out = lag_accuracy(SNAPSHOTS, ACTUALS, ITEMS)
    f1 = _row(out, level="family", family="F1", lag=1)
    # 2025-07: stat 150 cons 160 act 150; 2025-08: stat 110 cons 100 act 100
    assert f1["stat_wape"] == pytest.approx(10 / 250 * 100)
    assert f1["stat_mape"] == pytest.approx((0 + 10 / 100 * 100) / 2)
    assert f1["stat_bias_pct"] == pytest.approx(4.0)
    assert f1["cons_wape"] == pytest.approx(4.0)
    assert f1["cons_mape"] == pytest.approx((10 / 150 * 100 + 0) / 2)
    f2 = _row(out, level="family", family="F2", lag=1)
    # 2025-07: stat 5, act 0 (left out of MAPE); 2025-08: stat 8, act 10
    assert f2["n_zero"] == 1
    assert f2["stat_mape"] == pytest.approx(20.0)
    assert f2["stat_wape"] == pytest.approx(70.0)
    assert f2["stat_bias_pct"] == pytest.approx(30.0)
    f1_lag2 = _row(out, level="family", family="F1", lag=2)
    assert f1_lag2["stat_wape"] == pytest.approx(0.0)
    assert f1_lag2["cons_wape"] == pytest.approx(20.0)


def test_lag_accuracy_total_is_from_summed_units() -> None:
    out = lag_accuracy(SNAPSHOTS, ACTUALS, ITEMS)
    tot = _row(out, level="total", lag=1)
    # 2025-07: stat 155 cons 165 act 150; 2025-08: stat 118 cons 108 act 110
    assert tot["stat_wape"] == pytest.approx(13 / 260 * 100)
    assert tot["cons_wape"] == pytest.approx(17 / 260 * 100)
    assert tot["stat_mape"] == pytest.approx((5 / 150 + 8 / 110) / 2 * 100)
    assert tot["cons_bias_pct"] == pytest.approx(13 / 260 * 100)


def test_fva_family_total_and_owner_by_hand() -> None:
    out = forecast_value_added(SNAPSHOTS, ACTUALS, ITEMS)
    f1 = _row(out, level="family", family="F1")
    assert f1["stat_wape"] == pytest.approx(10 / 350 * 100)
    assert f1["cons_wape"] == pytest.approx(30 / 350 * 100)
    assert f1["fva_pct"] == pytest.approx(-20 / 350 * 100)
    f2 = _row(out, level="family", family="F2")
    assert (f2["stat_wape"], f2["cons_wape"]) == pytest.approx((35.0, 45.0))
    tot = _row(out, level="total")
    assert tot["fva_pct"] == pytest.approx((13 - 39) / 370 * 100)
    ann = _row(out, level="owner", owner="ann")
    assert ann["n"] == 2
    assert ann["stat_wape"] == pytest.approx(20 / 180 * 100)
    assert ann["cons_wape"] == pytest.approx(10 / 180 * 100)
    assert ann["fva_pct"] > 0  # ann's adjustments helped
    bob = _row(out, level="owner", owner="bob")
    assert bob["fva_pct"] == pytest.approx((5 - 7) / 30 * 100)


def test_fva_single_lag_and_empty_inputs() -> None:
    lag1 = forecast_value_added(SNAPSHOTS, ACTUALS, ITEMS, lag=1)
    f1 = _row(lag1, level="family", family="F1")
    assert f1["stat_wape"] == pytest.approx(4.0)
    empty = SNAPSHOTS.iloc[0:0]
    assert lag_accuracy(empty, ACTUALS, ITEMS).empty
    assert forecast_value_added(empty, ACTUALS, ITEMS).empty
    no_owner = SNAPSHOTS.drop(columns="owner")
    assert set(forecast_value_added(no_owner, ACTUALS, ITEMS)["level"]) == {"family", "total"}
