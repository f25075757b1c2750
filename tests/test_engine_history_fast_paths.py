"""The history view's fast paths (factorizing key columns by their layout, whole-frame sums without a work frame,
family totals shared by the accuracy table and the MAPE KPI) give exactly what the plain pandas paths give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.synthetic import synthetic_company
from planning.accuracy import accuracy_table, measured_with_codes
from planning.codes import factorize_sorted
from planning.cycle import history_view
from planning.kpis import KpiInputs, history_kpi_values
from planning.measures import SUM_COLUMNS, error_sums, ratio
from planning.model import Settings
from tests.test_engine_fast_paths import _company


def _layouts(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"SKU{k:04d}" for k in rng.permutation(300)], dtype=object)
    months = np.array([f"2024-{m:02d}" for m in rng.permutation(12) + 1], dtype=object)
    runs = np.repeat(ids, 12)
    tiled = np.tile(months, 300)
    out = [runs, tiled, rng.permutation(runs), rng.permutation(tiled), np.repeat(ids, rng.integers(1, 9, 300))]
    odd = tiled.copy()
    odd[-5] = "2023-01"  # one block differs from the first
    out.append(odd)
    with_none = runs.copy()
    with_none[rng.integers(0, len(runs), 40)] = None
    out.append(with_none)
    with_nan = tiled.copy()
    with_nan[:12] = np.nan
    out.append(with_nan)
    blocks_none = np.tile(np.append(months[:-1], None), 50)
    out.append(blocks_none)
    out.append(np.repeat(np.arange(400, dtype=object) % 7, 5))  # integers as objects
    out.append(np.repeat(np.array([1, 1.0, True, "1", "a"], dtype=object), 30))  # equal across types
    fresh = np.array(["".join(list(v)) for v in runs], dtype=object)  # equal text, distinct objects
    out.append(fresh)
    out.append(np.array(["".join(list(v)) for v in tiled], dtype=object))
    mixed = tiled.copy()
    mixed[-12:] = np.array(["".join(list(v)) for v in tiled[-12:]], dtype=object)  # one block: equal, not same
    out.append(mixed)
    out.append(np.repeat(ids, 24)[::2])  # a strided view
    accents = np.array(["b", "B", "a", "ä", "Z", "aa", "a\u0301", "é", "e", "ß", "ss", "Ω", "😀"], dtype=object)
    out.append(np.repeat(rng.permutation(accents), 9))  # text order of case, accents, other planes
    out.append(runs[:40])  # too short: pandas itself
    out.append(np.repeat(np.array([pd.NA, "x"], dtype=object), 50))  # NA does not compare: pandas itself
    return out


@pytest.mark.parametrize("seed", range(3))
def test_factorize_sorted_is_pandas_factorize(seed):
    from planning.codes import _by_blocks, _by_runs

    runs, tiled = _layouts(seed)[:2]
    assert _by_runs(runs) is not None and _by_blocks(tiled) is not None  # the layout paths do run
    fresh_runs, fresh_tiled, mixed = _layouts(seed)[-7:-4]
    assert fresh_runs[0] is not runs[0] and _by_runs(fresh_runs) is not None  # by value, not address
    assert _by_blocks(fresh_tiled) is not None and _by_blocks(mixed) is not None
    for values in _layouts(seed):
        for sort in (True, False):
            got_codes, got_u = factorize_sorted(values, sort=sort)
            want_codes, want_u = pd.factorize(values, sort=sort)
            assert np.array_equal(got_codes, want_codes)
            assert got_codes.dtype == want_codes.dtype
            assert len(got_u) == len(want_u) and all(a is b for a, b in zip(got_u, want_u))


@pytest.mark.parametrize("seed", range(3))
def test_indexer_is_get_indexer(seed):
    from planning.codes import indexer

    rng = np.random.default_rng(seed)
    for values in _layouts(seed)[:-1]:
        known = pd.unique(values[pd.notna(values)])
        for index in (pd.Index(rng.permutation(known)), pd.Index(known[: len(known) // 2]),
                      pd.Index(list(known) + [np.nan]), pd.Index([], dtype=object)):
            assert np.array_equal(indexer(index, values), index.get_indexer(values))


def _pandas_whole_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """`error_sums(frame)` (no `by`) as it was: the work frame's columns summed with pandas."""
    f, a = frame["forecast"].to_numpy(float), frame["actual"].to_numpy(float)
    keep = ~(np.isnan(f) | np.isnan(a))
    f, a = f[keep], a[keep]
    e = f - a
    positive = a > 0
    whole = pd.DataFrame({"n": np.ones(len(a), dtype=np.int64), "n_zero": (~positive).astype(np.int64),
                          "sum_ape": np.where(positive, ratio(np.abs(e), a, 100.0), 0.0), "sum_e": e,
                          "sum_abs_e": np.abs(e), "sum_actual": a, "sum_forecast": f})
    return pd.DataFrame({c: [whole[c].sum()] for c in SUM_COLUMNS})


@pytest.mark.parametrize("seed", range(5))
def test_whole_sums_are_pandas_column_sums(seed):
    rng = np.random.default_rng(seed)
    n = [0, 1, 7, 1000, 54321][seed]
    frame = pd.DataFrame({"forecast": rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 9, n),
                          "actual": np.abs(rng.standard_normal(n)) * 10.0 ** rng.uniform(-3, 9, n)})
    if n > 10:
        frame.loc[rng.random(n) < 0.05, "actual"] = 0.0
        frame.loc[rng.random(n) < 0.05, "forecast"] = np.nan
        frame.loc[3, "forecast"], frame.loc[5, "actual"] = np.inf, np.inf  # inf − inf: a NaN error
    pd.testing.assert_frame_equal(error_sums(frame), _pandas_whole_sums(frame), check_exact=True)


def _companies():
    for seed in range(4):
        yield _company(seed)
    c = synthetic_company(400, 9, 15, 6, seed=3, adjusted_share=0.05)  # item-major: the layout paths
    yield c
    h = c.history.copy()
    h.loc[h.index % 7 == 0, "forecast_units"] = np.nan  # item runs kept, month blocks broken
    yield c.with_(history=h)
    yield c.with_(history=c.history.iloc[:0])  # nothing measured


@pytest.mark.parametrize("k", range(7))
def test_history_view_is_the_plain_pandas_path(k):
    c = list(_companies())[k]
    hv = history_view(c)
    measured, _ = measured_with_codes(c.history, c.items)
    plain = measured.copy()  # no codes: every grouping hashes the text
    pd.testing.assert_frame_equal(hv.measured, measured, check_exact=True)
    pd.testing.assert_frame_equal(hv.accuracy, accuracy_table(c.history, c.items), check_exact=True)
    assert hv.last_measured == (str(plain["period"].max()) if len(plain) else None)
    want = history_kpi_values(KpiInputs(c, [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), Settings(), plain))
    assert hv.kpi_values.keys() == want.keys()
    for name, v in hv.kpi_values.items():
        assert (np.isnan(v) and np.isnan(want[name])) or v == want[name], name


@pytest.mark.parametrize("k", range(5))
def test_horizon_and_forecast_frame_are_the_pandas_ones(k):
    """plan_horizon (sorted distinct months off the codes) = sorted(astype(str).unique()); _forecast_frame = the
    column reindex it replaces, with and without the 95 % bounds, months as text or not."""
    from planning.cycle import FORECAST_COLUMNS, _forecast_frame, plan_horizon

    c = list(_companies())[k]
    forecast = c.forecast
    if k == 1:
        forecast = forecast.assign(lo95=1.0, hi95=2.0)
    if k == 2:
        forecast = forecast.assign(period=pd.PeriodIndex(forecast["period"], freq="M").month.astype(object))
    if k == 3:
        forecast = forecast.astype({"period": object})
        forecast.loc[5, "period"] = np.nan
    data = c.with_(forecast=forecast)
    assert plan_horizon(data, Settings()) == sorted(forecast["period"].astype(str).unique())
    fc = forecast.rename(columns={"forecast_units": "forecast"}).drop(columns=["lo80"] if k == 4 else [])
    columns = FORECAST_COLUMNS + [c for c in ("lo95", "hi95") if c in fc.columns]
    pd.testing.assert_frame_equal(_forecast_frame(fc), fc.reindex(columns=columns), check_exact=True)


@pytest.mark.parametrize("k", range(5))
def test_forecast_of_its_own_months_keeps_every_row(k):
    from planning.cycle import plan_horizon, uploaded_forecast

    c = list(_companies())[k]
    forecast = c.forecast.astype({"period": object})
    if k == 3:
        forecast.loc[5, "period"] = np.nan  # 'nan' is one of its months too
    data = c.with_(forecast=forecast)
    horizon = plan_horizon(data, Settings())
    pd.testing.assert_frame_equal(uploaded_forecast(data, horizon, own_months=True),
                                  uploaded_forecast(data, horizon), check_exact=True)


def test_accuracy_levels_stacked_as_concat():
    from planning.accuracy import ACCURACY_COLUMNS, _stacked

    acc = history_view(_company(1)).accuracy
    parts = [acc[acc["level"] == lv].reset_index(drop=True) for lv in ("item", "family", "total")]
    parts[1] = parts[1].astype({"n": float})  # a column of another type in one part: the common type
    for case in (parts, [parts[0], parts[1].iloc[:0], parts[2]]):
        pd.testing.assert_frame_equal(_stacked(case), pd.concat(case, ignore_index=True)[ACCURACY_COLUMNS],
                                      check_exact=True)
