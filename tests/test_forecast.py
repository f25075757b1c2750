"""planning.forecast: baseline by hand, selection, fallbacks, intervals, progress and cancel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning.forecast import (
    BASELINE,
    ENSEMBLE,
    ENSEMBLE_INTERMITTENT,
    ENSEMBLE_SMALL,
    FORECAST_COLUMNS,
    MODEL_COLUMNS,
    ForecastCancelled,
    ForecastConfig,
    ForecastRun,
    baseline_forecast,
    note_kinds,
    statistical_forecast,
)
from planning.periods import horizon_after

LAST = "2024-12"


def _series(item: str, values, last: str = LAST) -> pd.DataFrame:
    periods = pd.period_range(end=last, periods=len(values), freq="M").astype(str)
    return pd.DataFrame({"item_id": item, "period": periods, "actual_units": np.asarray(values, float)})


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    t = np.arange(48)
    season = np.array([10, 12, 15, 20, 30, 45, 60, 55, 35, 20, 12, 9], float) * 10
    seasonal = np.tile(season, 4)  # purely seasonal: seasonal naive is exact
    intermittent = np.where(rng.random(48) < 0.25, rng.integers(1, 6, 48), 0).astype(float)
    trend = 200 + 5 * t + rng.normal(0, 8, 48)
    return pd.concat(
        [
            _series("seasonal", seasonal),
            _series("intermittent", intermittent),
            _series("trend", trend),
            _series("short24", 50 + rng.normal(0, 5, 24)),
            _series("tiny10", 20 + rng.normal(0, 2, 10)),
            _series("tiny2", [4.0, 6.0]),
            _series("nothing", np.zeros(20)),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def run() -> ForecastRun:
    return statistical_forecast(_panel(), horizon_after(LAST, 18), return_candidates=True)


def test_horizon_after() -> None:
    assert horizon_after("2024-11", 3) == ["2024-12", "2025-01", "2025-02"]
    assert horizon_after("2024-12", 0) == []


def test_baseline_by_hand() -> None:
    hist = pd.concat(
        [
            _series("up", [10, 20, 30, 40, 50, 60]),
            _series("down", [60, 50, 40, 30, 20, 10]),
            _series("four", [1, 2, 3, 4]),
            _series("two", [5, 7]),
        ]
    )
    out = baseline_forecast(hist, horizon_after(LAST, 3))
    assert list(out.columns) == ["item_id", "period", "model", "forecast", "lo80", "hi80"]
    assert (out["model"] == BASELINE).all()
    got = out.groupby("item_id")["forecast"].apply(list).to_dict()
    assert got["up"] == pytest.approx([60, 70, 80])  # recent 50, older 20, trend 10
    assert got["down"] == pytest.approx([10, 0, 0])  # recent 20, older 50, trend -10, never negative
    assert got["four"] == pytest.approx([3, 3, 3])  # < 6 months: no trend
    assert got["two"] == pytest.approx([6, 6, 6])  # < 3 months: mean of what exists


def test_baseline_counts_missing_months_as_zero() -> None:
    hist = _series("gap", [10, 20, 30, 40, 50, 60]).drop(index=4)  # 2024-11 missing -> 0
    out = baseline_forecast(hist, horizon_after(LAST, 1))
    # last 3: 40, 0, 60 -> 33.33; older: 10, 20, 30 -> 20; trend 4.44
    assert out["forecast"].iloc[0] == pytest.approx(100 / 3 + (100 / 3 - 20) / 3)


def test_output_schema(run: ForecastRun) -> None:
    assert list(run.forecast.columns) == FORECAST_COLUMNS
    assert list(run.models.columns) == MODEL_COLUMNS
    assert run.metric == "MASE"
    assert set(run.models["item_id"]) == set(_panel()["item_id"])
    periods = run.forecast.groupby("item_id")["period"].apply(list)
    assert all(p == horizon_after(LAST, 18) for p in periods)


def test_pure_seasonal_series_picks_seasonal_naive(run: ForecastRun) -> None:
    row = run.models.set_index("item_id").loc["seasonal"]
    assert row["model"] == "SeasonalNaive"
    assert row["error"] == pytest.approx(0.0, abs=1e-9)
    assert row["snaive_error"] == pytest.approx(0.0, abs=1e-9)
    fc = run.forecast[run.forecast["item_id"] == "seasonal"]["forecast"].to_numpy()
    assert fc[:12] == pytest.approx([100, 120, 150, 200, 300, 450, 600, 550, 350, 200, 120, 90])


@pytest.fixture(scope="module")
def large_run() -> ForecastRun:
    """The same panel forecast as a large run would be (narrow ARIMA search, intermittent set)."""
    return statistical_forecast(_panel(), horizon_after(LAST, 18), return_candidates=True,
                                config=ForecastConfig(full_search_max=0))


@pytest.mark.parametrize("size", ["small", "large"])
def test_intermittent_series_croston_chosen_or_not_worse(size: str, run: ForecastRun, large_run: ForecastRun) -> None:
    r = run if size == "small" else large_run
    assert r.arima_search == ("default" if size == "small" else "narrow")
    row = r.models.set_index("item_id").loc["intermittent"]
    # the note says why a series did not get the whole candidate set: only a large run leaves ARIMA out
    assert ("intermittent demand" in row["note"]) == (size == "large")
    cand = r.candidates[r.candidates["item_id"] == "intermittent"]
    err = cand.groupby("model")["error"].first()
    assert "CrostonOptimized" in err.index
    # a small run gives it the whole candidate set (ARIMA included); a large run the intermittent set
    assert ("AutoARIMA" in err.index) == (size == "small")
    if size == "large":  # the intermittent set's ensemble, unless one model is 3x better
        assert ENSEMBLE_INTERMITTENT in err.index
        assert row["model"] == ENSEMBLE_INTERMITTENT or row["error"] * 3 < err[ENSEMBLE_INTERMITTENT]


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_ensemble_is_kept_unless_one_model_is_three_times_better(size, run, large_run) -> None:
    """ENSEMBLE_MARGIN = 2: a single model replaces the ensemble only below a third of its backtest MASE."""
    r = run if size == "small" else large_run
    err = r.candidates.groupby(["item_id", "model"])["error"].first().unstack()
    checked = 0
    for item, row in r.models.set_index("item_id").iterrows():
        if item not in err.index:
            continue  # too short for a backtest
        e = err.loc[item].dropna()
        ens = next(m for m in (ENSEMBLE, ENSEMBLE_SMALL, ENSEMBLE_INTERMITTENT) if m in e.index)
        others = e.drop(ens)
        if row["model"] == ens:
            assert (others * 3 >= e[ens] - 1e-12).all(), item
        else:
            assert e[row["model"]] * 3 < e[ens] and e[row["model"]] == pytest.approx(others.min()), item
        checked += 1
    assert checked >= 4


def test_models_table_reports_runner_up_and_snaive(run: ForecastRun) -> None:
    m = run.models.set_index("item_id")
    trend = m.loc["trend"]
    assert trend["runner_up"] not in ("", trend["model"])
    assert np.isfinite([trend["error"], trend["runner_up_error"], trend["snaive_error"]]).all()
    assert set(note_kinds(trend["note"])) <= {"kept", "replaced"}  # no fallback, at most why the model


def test_short_series_fall_back_with_a_note(run: ForecastRun) -> None:
    m = run.models.set_index("item_id")
    assert "short history: 24 months" in m.loc["short24", "note"]
    assert np.isfinite(m.loc["short24", "error"])
    assert m.loc["tiny10", "model"] == "SES"
    assert "only 10 months" in m.loc["tiny10", "note"]
    assert m.loc["tiny2", "model"] == "Mean"
    assert "only 2 months" in m.loc["tiny2", "note"]
    tiny2 = run.forecast[run.forecast["item_id"] == "tiny2"]["forecast"]
    assert tiny2.to_numpy() == pytest.approx(5.0)
    assert m.loc["nothing", "model"] == "zero"
    assert "no demand" in m.loc["nothing", "note"]


def test_intervals_ordered_and_non_negative(run: ForecastRun) -> None:
    f = run.forecast
    vals = f[["forecast", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert np.isfinite(vals).all()
    assert (vals >= 0).all()
    assert (f["lo95"] <= f["lo80"]).all() and (f["lo80"] <= f["forecast"]).all()
    assert (f["forecast"] <= f["hi80"]).all() and (f["hi80"] <= f["hi95"]).all()
    trend = f[f["item_id"] == "trend"]
    width = (trend["hi80"] - trend["lo80"]).to_numpy()
    assert width[-1] > width[0] > 0  # uncertainty grows with the horizon


def test_progress_increases_and_cancel_raises() -> None:
    hist = _panel()
    calls: list[tuple[float, str]] = []
    statistical_forecast(hist[hist["item_id"].isin(["trend", "tiny10"])], horizon_after(LAST, 6),
                         progress=lambda f, msg: calls.append((f, msg)))
    fractions = [c[0] for c in calls]
    assert len(fractions) >= 3
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(c[1], str) and c[1] for c in calls)

    asked = []

    def cancel_on_second_check() -> bool:
        asked.append(1)
        return len(asked) >= 2

    with pytest.raises(ForecastCancelled):
        statistical_forecast(hist, horizon_after(LAST, 6), should_cancel=cancel_on_second_check)
    assert len(asked) == 2


def test_horizon_must_follow_history() -> None:
    with pytest.raises(ValueError):
        statistical_forecast(_series("x", np.ones(30)), ["2024-06"])
    empty = statistical_forecast(_series("x", np.ones(30)).iloc[0:0], horizon_after(LAST, 3))
    assert empty.forecast.empty and list(empty.forecast.columns) == FORECAST_COLUMNS


def test_a_pool_of_workers_gives_the_same_forecast(run: ForecastRun) -> None:
    """n_jobs=2 cuts the tiers into chunks run by two processes; the result must not change."""
    pooled = statistical_forecast(_panel(), horizon_after(LAST, 18), n_jobs=2,
                                  config=ForecastConfig(chunk=1))
    pd.testing.assert_frame_equal(pooled.forecast, run.forecast)
    pd.testing.assert_frame_equal(pooled.models, run.models)


def test_a_candidate_list_replaces_the_standard_sets() -> None:
    """ForecastConfig.candidates: the listed models plus the references (seasonal naive, the baseline), the
    ensemble of the listed members (all of them when fewer than two are members); unknown names refused."""
    from planning.forecast import _group, _path

    cfg = ForecastConfig(candidates=("CrostonOptimized", "IMAPA", "AutoETS", "AutoTheta"))
    _, smooth, inter = _path(cfg, small=True)
    assert smooth.sf_names == ("SeasonalNaive", "AutoETS", "AutoTheta", "CrostonOptimized", "IMAPA")
    assert smooth.names[-2:] == ["baseline_ma3_trend", "Ensemble(ETS,Theta,SNaive)"]
    few = _group(("AutoETS", "AutoARIMA"), ForecastConfig(candidates=("ADIDA",)), arima=True)
    assert few.sf_names == ("SeasonalNaive", "ADIDA") and few.ensemble == "Ensemble(SNaive,ADIDA)"
    no_arima = _group(("AutoETS", "AutoARIMA", "AutoTheta"),
                      ForecastConfig(candidates=("AutoARIMA", "AutoETS")), arima=False)
    assert "AutoARIMA" not in no_arima.sf_names
    with pytest.raises(ValueError, match="unknown forecast candidates: Prophet"):
        _group((), ForecastConfig(candidates=("Prophet",)), arima=True)
