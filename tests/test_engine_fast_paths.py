"""The engine's integer-code paths give exactly what the text-keyed pandas paths they replace give, on random
companies (shuffled rows, unknown items, missing forecasts, items in several orders)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.synthetic import synthetic_company
from planning.accuracy import accuracy_table, measured_with_codes
from planning.cycle import _grid_row_codes, _sorted_by_item_period, _source_codes, _with_family, history_view
from planning.demand import consensus_grid, grid_row_keys, row_keys
from planning.exceptions import find_exceptions
from planning.kpis import KpiInputs, history_kpi_values
from planning.model import Settings


def _company(seed: int):
    rng = np.random.default_rng(seed)
    c = synthetic_company(150 + 37 * seed, 3 + seed, 10, 5 + seed, seed=seed, adjusted_share=0.1)
    items = c.items.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    items["family"] = items["family"].where(rng.random(len(items)) > 0.3, "Family 00")  # uneven families
    history = c.history.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    history.loc[rng.random(len(history)) < 0.15, "forecast_units"] = np.nan
    history = pd.concat([history, history.iloc[:4].assign(item_id="GONE")], ignore_index=True)  # not an item
    forecast = c.forecast.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    forecast.loc[rng.random(len(forecast)) < 0.1, "forecast_units"] = 0.0
    return c.with_(items=items, history=history, forecast=forecast)


def _old_measured(history: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    rows = history[history["forecast_units"].notna()]
    family_of = items.drop_duplicates("item_id").set_index("item_id")["family"]
    return pd.DataFrame({
        "item_id": rows["item_id"].to_numpy(), "family": rows["item_id"].map(family_of).to_numpy(),
        "period": rows["period"].to_numpy(), "forecast": rows["forecast_units"].to_numpy(float),
        "actual": rows["actual_units"].to_numpy(float),
    })


@pytest.mark.parametrize("seed", range(4))
def test_history_codes_match_text_grouping(seed):
    c = _company(seed)
    measured, codes = measured_with_codes(c.history, c.items)
    pd.testing.assert_frame_equal(measured, _old_measured(c.history, c.items), check_exact=True)
    assert pd.isna(measured.loc[measured["item_id"] == "GONE", "family"]).all()
    # the accuracy table and the history KPIs: coded and text-keyed paths agree to the last bit
    pd.testing.assert_frame_equal(accuracy_table(c.history, c.items, measured, codes),
                                  accuracy_table(c.history, c.items, measured), check_exact=True)
    coded = history_kpi_values(KpiInputs(c, [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), Settings(),
                                         measured, codes))
    plain = history_kpi_values(KpiInputs(c, [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), Settings(),
                                         measured.copy()))
    assert coded.keys() == plain.keys()
    for name, v in coded.items():
        assert (np.isnan(v) and np.isnan(plain[name])) or v == plain[name], name


@pytest.mark.parametrize("seed", range(4))
def test_grid_keys_and_orders_match_text_sorting(seed):
    c = _company(seed)
    horizon = sorted(c.forecast["period"].unique())
    fc = _with_family(c.forecast.rename(columns={"forecast_units": "forecast"}), c.items)
    statistical = fc[["item_id", "period"]].assign(statistical=fc["forecast"].astype(float))
    grid = consensus_grid(statistical, c.items, horizon)
    # the cells: np.add.at's sums
    want = np.zeros_like(grid.matrix)
    rows = pd.Index(grid.item_ids).get_indexer(statistical["item_id"])
    cols = pd.Index(horizon).get_indexer(statistical["period"])
    np.add.at(want, (rows, cols), statistical["statistical"].to_numpy(float))
    assert np.array_equal(grid.matrix, want)
    # the consensus rows' keys from the grid's layout = factorized from its text
    fast, slow = grid_row_keys(grid, horizon, c.items), row_keys(grid.keys, c.items)
    for name in ("code", "valid", "families", "periods", "item_pos"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    pd.testing.assert_frame_equal(fast.items, slow.items)
    # the forecast table in item-month order, sorted on the grid's ranks = sort_values on the text
    pd.testing.assert_frame_equal(_sorted_by_item_period(fc, _source_codes(grid, horizon)),
                                  fc.sort_values(["item_id", "period"], kind="stable").reset_index(drop=True),
                                  check_exact=True)
    # exceptions: grid ranks and text codes give the same rows; the month-on-month changes are pandas'
    frame = grid.keys.assign(statistical=grid.matrix.reshape(-1))
    hv = history_view(c)
    with_codes = find_exceptions(frame, hv.accuracy, hv.last_measured, Settings(),
                                 codes=_grid_row_codes(grid, horizon))
    pd.testing.assert_frame_equal(with_codes, find_exceptions(frame, hv.accuracy, hv.last_measured, Settings()),
                                  check_exact=True)
    s = frame.sort_values(["item_id", "period"], kind="stable")
    prev = s.groupby("item_id")["statistical"].shift(1)
    change = (s["statistical"] - prev) * 100.0 / prev.where(prev > 0)
    hit = change.abs() > Settings().mom_change_pct
    got = with_codes[with_codes["kind"] == "forecast_change"]
    assert got["item_id"].tolist() == s.loc[hit, "item_id"].tolist()
    assert got["period"].tolist() == s.loc[hit, "period"].tolist()
    assert np.array_equal(got["value"].to_numpy(), change[hit].to_numpy())


def test_ids_that_are_not_text_take_the_general_path():
    c = _company(1)
    horizon = sorted(c.forecast["period"].unique())
    items = c.items.assign(item_id=np.arange(len(c.items)))
    stat = pd.DataFrame({"item_id": np.repeat(items["item_id"].to_numpy(), len(horizon)),
                         "period": np.tile(horizon, len(items)), "statistical": 1.0})
    grid = consensus_grid(stat, items, horizon)
    assert _source_codes(grid, horizon) is None and _grid_row_codes(grid, horizon) is None
    fast, slow = grid_row_keys(grid, horizon, items), row_keys(grid.keys, items)
    assert np.array_equal(fast.code, slow.code) and np.array_equal(fast.item_pos, slow.item_pos)


def _groupby_error_sums(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """`planning.measures.error_sums` as pandas' text-keyed groupby computes it."""
    from planning.measures import SUM_COLUMNS, ratio

    rows = frame[frame["forecast"].notna() & frame["actual"].notna()]
    f, a = rows["forecast"].to_numpy(float), rows["actual"].to_numpy(float)
    e = f - a
    positive = a > 0
    work = pd.DataFrame({**{c: rows[c].to_numpy() for c in by}, "n": np.ones(len(a), dtype=np.int64),
                         "n_zero": (~positive).astype(np.int64),
                         "sum_ape": np.where(positive, ratio(np.abs(e), a, 100.0), 0.0), "sum_e": e,
                         "sum_abs_e": np.abs(e), "sum_actual": a, "sum_forecast": f})
    return work.groupby(by, sort=True, as_index=False)[SUM_COLUMNS].sum()


@pytest.mark.parametrize("seed", range(6))
def test_error_sums_match_pandas_groupby_to_the_last_bit(seed):
    """The compensated group sums of `error_sums` (row k of every group at once) equal groupby's sums bit for bit,
    on unsorted rows with missing keys, wide value ranges, zero actuals, and (falling back to groupby) values
    that are not finite and groups larger than MAX_GROUP_ROWS."""
    from planning.measures import MAX_GROUP_ROWS, error_sums

    rng = np.random.default_rng(seed)
    n = 4000
    frame = pd.DataFrame({
        "item_id": rng.choice([f"I{k:03d}" for k in range(300)], n).astype(object),
        "family": rng.choice(["A", "B", "C"], n).astype(object),
        "period": rng.choice([f"2024-{m:02d}" for m in range(1, 13)], n).astype(object),
        "forecast": rng.standard_normal(n) * 10.0 ** rng.uniform(-2, 7, n),
        "actual": np.abs(rng.standard_normal(n)) * 10.0 ** rng.uniform(-2, 7, n),
    })
    frame.loc[rng.random(n) < 0.05, "actual"] = 0.0
    frame.loc[rng.random(n) < 0.05, "forecast"] = np.nan
    frame.loc[rng.random(n) < 0.03, "item_id"] = None
    if seed == 1:
        frame = frame.sort_values(["item_id", "family"], kind="stable").reset_index(drop=True)
    if seed == 3:  # every item in every period once (groups of one length), rows shuffled
        items, periods = np.repeat(np.arange(300), 12), np.tile(np.arange(1, 13), 300)
        frame = frame.iloc[: len(items)].assign(
            item_id=[f"I{k:03d}" for k in items], family=[("A", "B", "C")[k % 3] for k in items],
            period=[f"2024-{m:02d}" for m in periods], forecast=lambda d: d["forecast"].fillna(1.5))
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if seed == 2:
        frame.loc[3, "forecast"], frame.loc[7, "actual"] = np.inf, np.inf
    for by in (["item_id", "family"], ["family"], ["family", "period"], ["item_id"]):
        expected = _groupby_error_sums(frame, by)
        got = error_sums(frame, by)
        if by == ["family"]:
            assert (got["n"] > MAX_GROUP_ROWS).any()  # the groupby fallback ran
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_family_adjustments_spread_only_their_cells_to_the_last_bit(seed):
    """compose_consensus (each rank's family adjustments spread over the adjusted cells' items only) equals a
    one-adjustment-at-a-time pass over the whole matrix in float steps: a family-month's total summed over
    its items in row order, the items scaled by new / old (equal shares at zero), every step floored at 0."""
    from planning.demand import apply_adjustment, compose_consensus

    rng = np.random.default_rng(seed)
    c = _company(seed)
    horizon = sorted(c.forecast["period"].unique())
    statistical = c.forecast.rename(columns={"forecast_units": "statistical"})[["item_id", "period", "statistical"]]
    adj = c.adjustments.copy()
    adj.loc[rng.random(len(adj)) < 0.4, "level"] = "family"  # many family adjustments, stacked on few cells
    fams = sorted(c.items["family"].unique())
    on_fam = adj["level"] == "family"
    adj.loc[on_fam, "key"] = rng.choice(fams, on_fam.sum())
    adj.loc[on_fam & (rng.random(len(adj)) < 0.3), ["type", "value"]] = ["absolute", 0.0]  # zero totals
    adj.loc[rng.random(len(adj)) < 0.2, "created_at"] = adj["created_at"].iloc[0]  # ties: file order
    grid = consensus_grid(statistical, c.items, horizon)
    got = compose_consensus(statistical, c.items, adj, horizon, grid=grid)

    x = grid.matrix.copy()
    fam_rows = {f: np.flatnonzero(grid.fam_of_item == k) for k, f in enumerate(grid.families)}
    row_of = {i: k for k, i in enumerate(grid.item_ids)}
    before = np.full(len(adj), np.nan)
    order = adj.assign(_c=pd.to_datetime(adj["created_at"])).sort_values(["_c", "seq"], kind="stable")
    for pos, a in zip(order.index, order.itertuples()):
        col = horizon.index(a.period) if a.period in horizon else -1
        if col < 0 or (a.level == "item" and a.key not in row_of) or (a.level == "family" and a.key not in fam_rows):
            continue
        kind, value = np.array([a.type]), np.array([float(a.value)])
        if a.level == "item":
            before[pos] = x[row_of[a.key], col]
            x[row_of[a.key], col] = apply_adjustment(kind, value, x[[row_of[a.key]], col])[0]
            continue
        rows = fam_rows[a.key]
        total = 0.0
        for r in rows:
            total += x[r, col]
        new = apply_adjustment(kind, value, np.array([total]))[0]
        before[pos] = total
        x[rows, col] = x[rows, col] * (new / total) if total > 0 else new / float(len(rows))
    want = np.round(np.maximum(x, 0.0), 9).reshape(-1)
    assert np.array_equal(got.consensus["consensus"].to_numpy(), want)
    assert np.array_equal(got.applied["before"].to_numpy(), np.round(before, 9), equal_nan=True)


@pytest.mark.parametrize("seed", range(4))
def test_family_period_sums_match_text_groupby_to_the_last_bit(seed):
    """family_period_sums (compensated sums on radix-sorted integer codes) = groupby on the text keys, with
    rows in any order, a missing family, wide value ranges; groups over MAX_GROUP_ROWS take groupby itself."""
    from planning.demand import family_period_sums
    from planning.measures import MAX_GROUP_ROWS

    rng = np.random.default_rng(seed)
    n = 6000 if seed < 3 else 3 * MAX_GROUP_ROWS + 50
    n_fam = 40 if seed < 3 else 1
    frame = pd.DataFrame({
        "family": rng.choice([f"F{k:02d}" for k in range(n_fam)], n).astype(object),
        "period": rng.choice([f"2025-{m:02d}" for m in range(1, 7)], n if seed < 3 else n).astype(object),
        "a": rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 8, n),
        "b": rng.random(n) * 1e4,
    })
    if seed == 3:
        frame["period"] = "2025-01"
    frame.loc[rng.random(n) < 0.03, "family"] = None
    if seed == 1:
        frame = frame.sort_values(["family", "period"], kind="stable").reset_index(drop=True)
    got = family_period_sums(frame, {"a": frame["a"].to_numpy(), "b": frame["b"].to_numpy()})
    want = frame.groupby(["family", "period"], sort=True, as_index=False)[["a", "b"]].sum()
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_family_unit_cost_on_codes_matches_text_grouping(seed):
    from planning.cycle import compute_plan
    from planning.finance import family_unit_cost

    c = _company(seed)
    r = compute_plan(c, Settings())
    horizon = list(r.horizon)
    statistical = r.consensus[["item_id", "period", "statistical"]]
    keys = grid_row_keys(consensus_grid(statistical, c.items, horizon), horizon, c.items)
    pd.testing.assert_series_equal(family_unit_cost(r.consensus, c.items, keys),
                                   family_unit_cost(r.consensus, c.items), check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_forecast_frame_matches_merge_and_isin(seed):
    """uploaded_forecast and _with_family (no copies when every row is kept) = the isin filter and the inner
    merge they replace; the caller's frame is not changed."""
    from planning.cycle import uploaded_forecast

    c = _company(seed)
    forecast = pd.concat([c.forecast, c.forecast.iloc[:3].assign(item_id="GONE")], ignore_index=True)
    horizon = sorted(forecast["period"].unique())
    for hz in (horizon, horizon[1:]):
        data = c.with_(forecast=forecast)
        fc = uploaded_forecast(data, hz)
        f = forecast
        want = pd.DataFrame({"item_id": f["item_id"].astype(str), "period": f["period"].astype(str),
                             "model": "uploaded", "forecast": f["forecast_units"].astype(float),
                             "lo80": np.nan, "hi80": np.nan})
        pd.testing.assert_frame_equal(fc, want[want["period"].isin(hz)], check_exact=True)
        before = fc.copy()
        got = _with_family(fc, c.items)
        pd.testing.assert_frame_equal(fc, before, check_exact=True)
        pd.testing.assert_frame_equal(got, fc.merge(c.items[["item_id", "family"]], on="item_id", how="inner"),
                                      check_exact=True)


def test_from_sums_builds_the_same_frame_as_column_assignment():
    from planning.measures import error_sums, from_sums, ratio

    c = _company(2)
    measured, _ = measured_with_codes(c.history, c.items)
    for sums in (error_sums(measured, ["item_id", "period"]), error_sums(measured, ["family"]).set_index("family"),
                 error_sums(measured, ["family"]).astype({"family": "category"})):
        want = sums.copy()
        n = want["n"].to_numpy(float)
        want["mape"] = ratio(want["sum_ape"], n - want["n_zero"].to_numpy(float))
        want["wape"] = ratio(want["sum_abs_e"], want["sum_actual"], 100.0)
        want["bias_pct"] = ratio(want["sum_e"], want["sum_actual"], 100.0)
        want["mad"] = ratio(want["sum_abs_e"], n)
        want["tracking_signal"] = np.where(want["mad"] > 0, ratio(want["sum_e"], want["mad"]), 0.0)
        want["attainment"] = ratio(want["sum_actual"], want["sum_forecast"], 100.0)
        pd.testing.assert_frame_equal(from_sums(sums), want, check_exact=True)
        pd.testing.assert_frame_equal(from_sums(from_sums(sums)), want, check_exact=True)
