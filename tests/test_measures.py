"""planning.measures against figures worked by hand (SPEC.md Definitions)."""

import math

import numpy as np
import pandas as pd
import pytest

from planning.accuracy import family_totals
from planning.measures import MEASURE_COLUMNS, error_sums, from_sums, measures, ratio


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (item_id, family, period, forecast, actual)."""
    return pd.DataFrame(rows, columns=["item_id", "family", "period", "forecast", "actual"])


def test_item_by_hand_with_a_zero_actual():
    """F = 110, 90, 50, 0; A = 100, 100, 0, 10: e = 10, −10, 50, −10."""
    f = frame([("A", "F", "2024-01", 110, 100), ("A", "F", "2024-02", 90, 100),
               ("A", "F", "2024-03", 50, 0), ("A", "F", "2024-04", 0, 10)])
    m = measures(f).iloc[0]
    assert (m["n"], m["n_zero"]) == (4, 1)
    assert m["mape"] == pytest.approx((10 + 10 + 100) / 3)  # the zero-actual month is left out
    assert m["wape"] == pytest.approx(80 / 210 * 100)  # Σ|e| = 80, ΣA = 210
    assert m["bias_pct"] == pytest.approx(40 / 210 * 100)  # Σe = 40
    assert m["mad"] == pytest.approx(20.0)  # 80 / 4
    assert m["tracking_signal"] == pytest.approx(2.0)  # 40 / 20
    assert m["attainment"] == pytest.approx(210 / 250 * 100)  # ΣA / ΣF


def test_mad_zero_gives_tracking_signal_zero():
    f = frame([("C", "G", "2024-01", 10, 10), ("C", "G", "2024-02", 0, 0)])
    m = measures(f).iloc[0]
    assert m["mad"] == 0 and m["tracking_signal"] == 0 and m["n_zero"] == 1
    assert m["mape"] == 0 and m["wape"] == 0 and m["bias_pct"] == 0


def test_only_zero_actuals_have_no_ratio():
    m = measures(frame([("C", "G", "2024-01", 5, 0), ("C", "G", "2024-02", 0, 0)])).iloc[0]
    assert (m["n"], m["n_zero"]) == (2, 2)
    assert math.isnan(m["mape"]) and math.isnan(m["wape"]) and math.isnan(m["bias_pct"])
    assert m["mad"] == pytest.approx(2.5) and m["tracking_signal"] == pytest.approx(5 / 2.5)


def test_family_from_summed_units_not_averaged_from_items():
    f = frame([("A", "F", "2024-01", 110, 100), ("B", "F", "2024-01", 90, 100),
               ("A", "F", "2024-02", 50, 50), ("B", "F", "2024-02", 70, 50),
               ("C", "G", "2024-01", 20, 10)])
    fam = measures(family_totals(f), ["family"]).set_index("family")
    # F: period 1 200 vs 200 → e 0; period 2 120 vs 100 → e 20
    assert fam.loc["F", "mape"] == pytest.approx(10.0)  # (0 % + 20 %) / 2
    assert fam.loc["F", "wape"] == pytest.approx(20 / 300 * 100)
    assert fam.loc["F", "bias_pct"] == pytest.approx(20 / 300 * 100)
    assert fam.loc["F", "mad"] == pytest.approx(10.0)
    assert fam.loc["F", "tracking_signal"] == pytest.approx(2.0)
    assert fam.loc["G", "mape"] == pytest.approx(100.0)
    items = measures(f, ["item_id"]).set_index("item_id")
    # items: A 10 % and 0 %, B 10 % and 40 % → their mean (15 %) is not the family's 10 %
    assert items.loc[["A", "B"], "mape"].mean() == pytest.approx(15.0)


def test_groups_are_sorted_and_keep_their_keys():
    f = frame([("B", "F", "2024-01", 12, 10), ("A", "F", "2024-01", 9, 10), ("B", "F", "2024-02", 8, 10)])
    out = measures(f, ["item_id"])
    assert list(out["item_id"]) == ["A", "B"]
    assert list(out["n"]) == [1, 2]
    assert set(MEASURE_COLUMNS) <= set(out.columns)
    assert out.loc[1, "bias_pct"] == pytest.approx(0.0) and out.loc[1, "mape"] == pytest.approx(20.0)


def test_empty_and_missing_values():
    empty = measures(frame([]))
    assert len(empty) == 1 and empty["n"].iloc[0] == 0 and math.isnan(empty["mape"].iloc[0])
    assert measures(frame([]), ["family"]).empty
    # a row without forecast or actual is not measured
    m = measures(frame([("A", "F", "2024-01", 110, 100), ("A", "F", "2024-02", np.nan, 100)])).iloc[0]
    assert m["n"] == 1 and m["mape"] == pytest.approx(10.0)


def test_sums_add_up_to_the_union():
    """Rolling windows: measures of added sums equal the measures of the rows of both groups."""
    f = frame([("A", "F", "2024-01", 110, 100), ("A", "F", "2024-02", 50, 0), ("A", "F", "2024-03", 70, 80)])
    per_period = error_sums(f, ["period"]).set_index("period")
    rolled = from_sums(per_period.rolling(2, min_periods=1).sum())
    whole_last_two = measures(f[f["period"] >= "2024-02"]).iloc[0]
    for col in ("mape", "wape", "bias_pct", "mad", "tracking_signal"):
        assert rolled.loc["2024-03", col] == pytest.approx(whole_last_two[col])
    assert rolled.loc["2024-03", "mape"] == pytest.approx(12.5)  # only March has A > 0


def test_ratio_is_nan_without_a_positive_denominator():
    out = ratio([1.0, 1.0, 3.0], [0.0, np.nan, 2.0], 100.0)
    assert np.isnan(out[:2]).all() and out[2] == pytest.approx(150.0)
