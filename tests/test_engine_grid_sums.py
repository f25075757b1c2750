"""Family × month sums read off a consensus grid's layout (planning.grid_sums) = pandas' groupby sums of the
same rows, to the last bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.synthetic import synthetic_company
from planning.demand import consensus_grid, family_period_sums, grid_row_keys, row_keys
from planning.grid_sums import grid_cell_sums
from planning.measures import MAX_GROUP_ROWS
from tests.test_engine_fast_paths import _company


def _grid(c, backwards: bool = False):
    horizon = sorted(c.forecast["period"].unique(), reverse=backwards)  # columns in any month order
    stat = c.forecast.rename(columns={"forecast_units": "statistical"})
    grid = consensus_grid(stat, c.items, horizon)
    return grid, grid_row_keys(grid, horizon, c.items)


@pytest.mark.parametrize("seed", range(5))
def test_grid_family_sums_are_groupby_sums(seed):
    c = _company(seed) if seed < 4 else synthetic_company(3 * MAX_GROUP_ROWS, 2, 6, 4, seed=seed)  # big families
    grid, keys = _grid(c, backwards=seed % 2 == 1)
    assert keys.layout is not None
    rng = np.random.default_rng(seed)
    frame = grid.keys.copy()
    n = len(frame)
    columns = {"a": rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 9, n), "b": rng.random(n) * 1e4}
    got = family_period_sums(frame, columns, keys)
    want = frame.assign(**columns).groupby(["family", "period"], sort=True, as_index=False)[["a", "b"]].sum()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(got, family_period_sums(frame, columns, row_keys(frame)), check_exact=True)
    fam_of_item, per_rank = keys.layout
    values = np.column_stack(list(columns.values()))
    assert (grid_cell_sums(fam_of_item, per_rank, values) is None) == (seed == 4)  # > MAX_GROUP_ROWS items
    columns["a"][3] = np.nan  # not finite: groupby itself (which skips NaN)
    assert grid_cell_sums(fam_of_item, per_rank, np.column_stack(list(columns.values()))) is None
    want = frame.assign(**columns).groupby(["family", "period"], sort=True, as_index=False)[["a", "b"]].sum()
    pd.testing.assert_frame_equal(family_period_sums(frame, columns, keys), want, check_exact=True)


def _histories():
    c = synthetic_company(300, 7, 9, 4, seed=2)
    h = c.history
    yield c, h, True  # item blocks of every month
    yield c, h.assign(item_id=np.where(h.index < 18, "GONE", h["item_id"])), True  # items with no family
    months = h["period"].unique()
    back = h.assign(_r=h["period"].map({m: -k for k, m in enumerate(months)})).sort_values(
        ["item_id", "_r"], kind="stable").drop(columns="_r").reset_index(drop=True)
    yield c, back, True  # months backwards in every block
    yield c, h.sample(frac=1.0, random_state=1).reset_index(drop=True), False  # no blocks
    yield c, h.iloc[:-1], False  # a block cut short
    nan = h.copy()
    nan.loc[5, "actual_units"] = np.inf
    yield c, nan, False  # not finite: groupby


@pytest.mark.parametrize("k", range(6))
def test_history_block_family_totals_are_groupby_sums(k):
    from planning.accuracy import _block_family_totals, family_totals, measured_with_codes

    c, history, blocks = list(_histories())[k]
    measured, codes = measured_with_codes(history, c.items)
    assert (_block_family_totals(measured, codes) is not None) == blocks
    want = measured.groupby(["family", "period"], sort=True, as_index=False)[["forecast", "actual"]].sum()
    pd.testing.assert_frame_equal(family_totals(measured, codes), want, check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_adjustment_order_and_ranks_are_pandas(seed):
    """compose_consensus's order of adjustments (created_at, then seq; missing times last) and each one's rank
    in its family-month = sort_values and groupby().cumcount()."""
    from planning.demand import _rank_in_cell, _time_order

    rng = np.random.default_rng(seed)
    n = 500
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 50, n), "min")  # many ties
    use = pd.DataFrame({"_created": created, "seq": rng.permutation(n) if seed != 1 else np.zeros(n, int),
                        "_fam": rng.integers(0, 4, n), "_col": rng.integers(0, 3, n)},
                       index=rng.permutation(n) + 100)
    use.loc[use.index[rng.random(n) < 0.1], "_created"] = pd.NaT
    if seed == 2:
        use["_created"] = use["_created"].dt.tz_localize("UTC")  # not plain datetimes: the sort itself
    if seed == 3:
        use["seq"] = use["seq"].astype(float)
    want = use.sort_values(["_created", "seq"], na_position="last", kind="stable")
    got = use.iloc[_time_order(use)]
    pd.testing.assert_frame_equal(got, want)
    ranks = _rank_in_cell(got["_fam"].to_numpy() * 3 + got["_col"].to_numpy())
    assert np.array_equal(ranks, want.groupby(["_fam", "_col"]).cumcount().to_numpy())


@pytest.mark.parametrize("seed", range(5))
def test_items_by_family_is_sort_values(seed):
    from planning.demand import _items_by_family

    c = _company(seed) if seed < 4 else _company(0)
    items = c.items.copy()
    rng = np.random.default_rng(seed)
    names = np.array(["b", "B", "a", "ä", "Z", "aa", "a\u0301", "é", "e"], dtype=object)  # case, accents
    items["family"] = names[rng.integers(0, len(names), len(items))]
    if seed == 4:
        items.loc[0, "family"] = "a\x00"  # NUL: sorted as Python text
    items = pd.concat([items, items.iloc[:3]], ignore_index=True)  # repeated ids: the first row counts
    ids, fams, fam_of = _items_by_family(items)
    order = items[["item_id", "family"]].drop_duplicates("item_id").sort_values(["family", "item_id"], kind="stable")
    want_fams, want_of = np.unique(order["family"].to_numpy(dtype=str), return_inverse=True)
    assert ids.dtype == object and list(ids) == order["item_id"].tolist()
    assert fams.dtype == want_fams.dtype and np.array_equal(fams, want_fams)
    assert np.array_equal(fam_of, want_of)


def test_lower_is_str_lower():
    from planning.demand import _lower

    for col in [pd.Series(["Item", "FAMILY", "item", None, np.nan, "Family", 3, "iTem"], dtype=object),
                pd.Series(["a"] * 5, dtype=object), pd.Series([], dtype=object),
                pd.Series([None, None], dtype=object), pd.Series(["X", "y", "X"], dtype="category")]:
        got, want = _lower(col), col.str.lower().to_numpy()
        assert got.dtype == want.dtype and len(got) == len(want)
        for g, w in zip(got, want):
            assert g == w or (pd.isna(g) and pd.isna(w) and type(g) is type(w)), (g, w)


@pytest.mark.parametrize("seed", range(4))
def test_grid_sort_order_is_the_stable_sort_of_item_month_keys(seed):
    from planning.cycle import _grid_row_codes, _grid_sort_order
    from planning.exceptions import find_exceptions
    from planning.model import Settings

    c = _company(seed)
    horizon = sorted(c.forecast["period"].unique(), reverse=seed % 2 == 1)
    grid = consensus_grid(c.forecast.rename(columns={"forecast_units": "statistical"}), c.items, horizon)
    item_code, period_code = _grid_row_codes(grid, horizon)
    key = item_code.astype(np.int64) * (int(period_code.max()) + 1) + period_code
    order = _grid_sort_order(grid, horizon)
    assert np.array_equal(order, np.argsort(key, kind="stable"))
    frame = grid.keys.assign(statistical=grid.matrix.reshape(-1))
    accuracy = pd.DataFrame(columns=["level", "item_id", "family", "tracking_signal", "mape", "bias_pct"])
    pd.testing.assert_frame_equal(
        find_exceptions(frame, accuracy, None, Settings(), codes=(item_code, period_code), order=order),
        find_exceptions(frame, accuracy, None, Settings()), check_exact=True)
