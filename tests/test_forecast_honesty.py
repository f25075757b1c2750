"""planning.forecast honesty: no scored month informs the model search, the parameters or the calibration;
intervals hold what they promise on held-out months; substitutes are said in the note; the table's
runner-up is the other side of the rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.synthetic import known_noise_history
from planning import forecast as pf
from planning.forecast import ForecastConfig, note_kinds, statistical_forecast
from planning.periods import horizon_after

HELD_OUT = 12
SMALL = ForecastConfig(full_search_max=10**9)  # a run of at most full_search_max series (the full search)
LARGE = ForecastConfig(full_search_max=0)  # what a run of more series does


def _held_out(history: pd.DataFrame, months: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    periods = sorted(history["period"].unique())
    cut = periods[-months - 1]
    train = history[history["period"] <= cut]
    test = history[history["period"] > cut]
    return train, test, periods[-months:]


@pytest.mark.parametrize("path, n", [("small", 40), ("large", 300)])
def test_80_percent_intervals_hold_70_to_90_percent_of_held_out_months(path: str, n: int) -> None:
    """Series of known noise (bench.synthetic.known_noise_history), the last 12 months held out: a large
    run of 300 series and a small run (it has at most ForecastConfig.full_search_max series; 40 keep the
    test fast: its full ARIMA search costs 0.6 s a series)."""
    train, test, horizon = _held_out(known_noise_history(n=n, months=36 + HELD_OUT, seed=11), HELD_OUT)
    run = statistical_forecast(train, horizon, config=SMALL if path == "small" else LARGE, n_jobs=2)
    assert run.arima_search == ("default" if path == "small" else "narrow")
    got = run.forecast.merge(test, on=["item_id", "period"])
    assert len(got) == n * HELD_OUT
    a = got["actual_units"]
    cov80 = ((a >= got["lo80"]) & (a <= got["hi80"])).mean()
    cov95 = ((a >= got["lo95"]) & (a <= got["hi95"])).mean()
    assert 0.70 <= cov80 <= 0.90, cov80
    assert 0.85 <= cov95 <= 0.99, cov95


def _job(Y: np.ndarray, group, cfg: ForecastConfig) -> pf._ChunkJob:
    n_obs = np.full(len(Y), Y.shape[1])
    return pf._ChunkJob(ids=np.array([f"s{i}" for i in range(len(Y))]), Y=Y, n_obs=n_obs, last=0, group=group,
                        h_cv=18, span=12, step=4, seasonal=True, season_length=12, cfg=cfg)


@pytest.mark.parametrize("path", ["small", "large"])
def test_no_scored_month_informs_a_backtest_forecast(path: str) -> None:
    """Each origin's forecasts (every candidate: model search, parameters, ensemble) stay the same
    whatever the months after that origin hold."""
    rng = np.random.default_rng(5)
    t = np.arange(36)
    Y = 200 + 40 * np.sin(2 * np.pi * t / 12)[None, :] + rng.normal(0, 15, (2, 36)) + 2 * t[None, :]
    changed = Y.copy()
    changed[:, 24:] = changed[:, 24:] * 3 + 500  # everything the backtest scores (origins 24, 28, 32)
    cfg, group, _ = pf._path(ForecastConfig(final_refit="none"), small=path == "small")  # the backtest alone
    a, b = pf._run_chunk(_job(Y, group, cfg)), pf._run_chunk(_job(changed, group, cfg))
    jb = a.names.index(pf.BASELINE)
    others = [j for j in range(len(a.names)) if j != jb]
    # the first origin sees months 0-23 only: identical forecasts
    np.testing.assert_allclose(a.point[:, others, 0], b.point[:, others, 0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.half[:, others, 0], b.half[:, others, 0], rtol=1e-9, atol=1e-9, equal_nan=True)
    # a later origin: the same when only the months after it change
    later = Y.copy()
    later[:, 28:] = later[:, 28:] * 3 + 500
    c = pf._run_chunk(_job(later, group, cfg))
    np.testing.assert_allclose(a.point[:, others, :2], c.point[:, others, :2], rtol=1e-9, atol=1e-9)


def _history(values: dict[str, np.ndarray], last: str = "2024-12") -> pd.DataFrame:
    rows = []
    for item, v in values.items():
        periods = pd.period_range(end=last, periods=len(v), freq="M").astype(str)
        rows.append(pd.DataFrame({"item_id": item, "period": periods, "actual_units": np.asarray(v, float)}))
    return pd.concat(rows, ignore_index=True)


def _smooth(seed: int, months: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    return 300 + 3 * t + 60 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 20, months)


def test_a_model_that_cannot_be_fitted_is_left_out_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsforecast.models import AutoARIMA

    def broken(self, y, X=None):
        raise np.linalg.LinAlgError("forced in a test")

    monkeypatch.setattr(AutoARIMA, "fit", broken)
    hist = _history({"A": _smooth(1), "B": _smooth(2)})
    run = statistical_forecast(hist, horizon_after("2024-12", 6), config=LARGE, return_candidates=True)
    models = run.models.set_index("item_id")
    for item in ("A", "B"):
        note = models.loc[item, "note"]
        assert "AutoARIMA could not be fitted (LinAlgError: forced in a test)" in note
        assert "left_out" in note_kinds(note)
        assert models.loc[item, "model"] != "AutoARIMA"
    assert run.note_counts["left_out"] == ["A", "B"]
    cand = run.candidates[run.candidates["item_id"] == "A"]
    assert cand.loc[cand["model"] == "AutoARIMA", "forecast"].isna().all()  # no silent stand-in
    ens = cand[cand["model"] == pf.ENSEMBLE]
    assert np.isfinite(ens["forecast"]).all()  # the ensemble of the members that could be fitted
    assert np.isfinite(run.forecast[["forecast", "lo80", "hi80"]].to_numpy()).all()


def test_a_series_no_model_can_forecast_falls_back_to_naive_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every candidate's final forecast missing: the naive forecast, said in the note and counted."""
    real = pf._final

    def lose_everything(res, *args, **kwargs):
        real(res, *args, **kwargs)
        res.point[0, :, -1] = np.nan  # the first series has no final forecast left from any candidate

    monkeypatch.setattr(pf, "_final", lose_everything)
    hist = _history({"A": _smooth(3), "B": _smooth(4)})
    run = statistical_forecast(hist, horizon_after("2024-12", 6), config=LARGE)
    models = run.models.set_index("item_id")
    assert models.loc["A", "model"] == "Naive"
    assert "fell back to naive" in models.loc["A", "note"]
    assert run.note_counts["naive"] == ["A"]
    fc = run.forecast[run.forecast["item_id"] == "A"]
    assert fc["forecast"].to_numpy() == pytest.approx(hist[hist["item_id"] == "A"]["actual_units"].iloc[-1])
    assert (fc["hi80"] > fc["forecast"]).all()
    assert "naive" not in note_kinds(models.loc["B", "note"])


def test_dropped_windows_and_missing_forecasts_are_said(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsforecast.models import AutoETS

    real_forward = AutoETS.forward

    def flaky_forward(self, y, h, X=None, X_future=None, level=None, fitted=False):
        if len(y) == 32:  # the third origin of a 40-month series (n-12, n-8, n-4)
            raise ValueError("forced in a test")
        if len(y) == 40:  # the final forecast (from the whole history)
            return {"mean": np.full(h, np.nan)}
        return real_forward(self, y=y, h=h, X=X, X_future=X_future, level=level, fitted=fitted)

    monkeypatch.setattr(AutoETS, "forward", flaky_forward)
    hist = _history({"A": _smooth(5)})
    cfg = ForecastConfig(full_search_max=0, final_refit="none", selection="argmin")
    run = statistical_forecast(hist, horizon_after("2024-12", 6), config=cfg, return_candidates=True)
    note = run.models.set_index("item_id").loc["A", "note"]
    assert "AutoETS: 1 of 3 backtest windows dropped" in note
    assert "window" in note_kinds(note)
    cand = run.candidates[(run.candidates["item_id"] == "A") & (run.candidates["model"] == "AutoETS")]
    assert cand["forecast"].isna().all()  # its final forecast is missing, not 0
    assert "AutoETS could not be fitted on the whole history nor run on from the backtest" in note
    assert np.isfinite(run.forecast["forecast"]).all()


@pytest.mark.parametrize("path", ["small", "large"])
def test_the_runner_up_is_what_the_rule_compared(path: str) -> None:
    hist = _history({f"S{i}": _smooth(10 + i) for i in range(6)})
    run = statistical_forecast(hist, horizon_after("2024-12", 6), config=SMALL if path == "small" else LARGE,
                               return_candidates=True)
    err = run.candidates.groupby(["item_id", "model"])["error"].first().unstack()
    margin = 1 + pf.ENSEMBLE_MARGIN
    for item, row in run.models.set_index("item_id").iterrows():
        ens = next(c for c in err.columns if c.startswith("Ensemble("))
        singles = err.loc[item].drop(ens).dropna()
        if row["model"] == ens:
            assert row["runner_up"] == singles.idxmin()
            assert row["runner_up_error"] * margin >= row["error"]
            if row["runner_up_error"] < row["error"]:
                assert "ensemble kept: no single model is 3× better on the backtest" in row["note"]
            else:
                assert "ensemble kept" not in row["note"]
        else:
            assert row["runner_up"] == ens
            assert row["error"] * margin < row["runner_up_error"]
            assert "replaced the ensemble" in row["note"]


def _text(component) -> str:
    """All the text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_data_page_counts_the_substitutes_and_names_the_series(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fit failure forced above, through the /data page's summary and grid filter."""
    from components.forecast_job import fallback_note, models_grid
    from statsforecast.models import AutoARIMA

    def broken(self, y, X=None):
        raise ValueError("forced in a test")

    monkeypatch.setattr(AutoARIMA, "fit", broken)
    hist = _history({"A": _smooth(1), "B": _smooth(2), "short": _smooth(3, months=10)})
    models = statistical_forecast(hist, horizon_after("2024-12", 6), config=LARGE).models
    models = models.assign(family="F")
    summary = fallback_note(models)
    assert summary.id == "data-forecast-fallback-list"
    text = " ".join(_text(summary).split())
    assert "3 of 3 series fell back or had a substitute" in text
    assert "2 series had a model that could not be fitted and was left out: A, B" in text
    assert "1 series are too short for any backtest: short" in text
    rows = models_grid(models, only_fallback=True).rowData
    assert {r["item_id"] for r in rows} == {"A", "B", "short"}
    # the ensemble kept for a reason is not a fallback
    fine = models.assign(note=["ensemble kept: no single model is 3× better on the backtest (…)", "", ""])
    assert fallback_note(fine.iloc[:2]).id == "data-forecast-fallback-none"
