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
