"""Statistical forecasting step (SPEC Step 1): candidate models, backtest selection, intervals.

How it works (all series at once, no per-item Python loops):

1. History is completed to a monthly grid per item (missing months after the item's first month
   are 0 units, up to the last history month of the whole table) and clipped at 0.
2. Items are split by length n (m = season length):
   * ``full``  (n >= 2m + 12): candidates SeasonalNaive, AutoETS, AutoARIMA, AutoTheta (seasonal),
     CrostonOptimized, the reference baseline and the ensemble (mean of ETS, ARIMA, Theta);
   * ``short`` (18 <= n < 2m + 12): the same with non-seasonal ETS/ARIMA/Theta;
   * ``tiny``  (n < 18): no backtest; simple exponential smoothing (n >= 6) or the mean;
   * ``zero``  (no demand at all): forecast 0.
3. Backtest: one ``StatsForecast.cross_validation`` per tier (and chunk of series) with
   ``refit=False``: each model is fitted once at the first origin, then applied (``forward``) at the
   later origins (n-12, n-8, n-4 for ``full``; n-6, n-3 for ``short``) and at the end of the history,
   which gives the final forecast from the same call (the series are padded with placeholder
   future months that are never scored).
4. Selection by MASE (scale: in-sample mean absolute seasonal difference before the first origin,
   lag 1 when that is zero or too short). The ensemble is the default; a single model replaces it
   only when its backtest MASE is lower by more than ``ENSEMBLE_MARGIN`` (10 %).
5. Intervals: for every model, the half-widths (native ones, or the MASE scale for models without
   intervals) are multiplied by a factor per horizon step such that 80 % / 95 % of the scaled
   backtest errors of that model, pooled over all series, fall inside; steps beyond the backtest
   span are extrapolated with a power law fitted on the observed steps.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

BASELINE = "baseline_ma3_trend"
ENSEMBLE = "Ensemble(ETS,ARIMA,Theta)"
ENSEMBLE_MEMBERS = ("AutoETS", "AutoARIMA", "AutoTheta")
SF_MODELS = ("SeasonalNaive", "AutoETS", "AutoARIMA", "AutoTheta", "CrostonOptimized")
CANDIDATES = (*SF_MODELS, BASELINE, ENSEMBLE)
FORECAST_COLUMNS = ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
MODEL_COLUMNS = ["item_id", "model", "error", "runner_up", "runner_up_error", "snaive_error", "n_obs", "note"]
LEVELS = (80, 95)
ENSEMBLE_MARGIN = 0.10  # a single model must beat the ensemble's backtest MASE by more than 10 %
MIN_SHORT = 18  # months needed for any backtest (12 to fit + 6 to score)
CHUNK = 1000  # series per statsforecast call (progress / cancel granularity)

Progress = Callable[[float, str], None]
ShouldCancel = Callable[[], bool]


class ForecastCancelled(Exception):
    """Raised by `statistical_forecast` when `should_cancel()` returns True."""


@dataclass
class ForecastRun:
    """Result of `statistical_forecast` (see FORECAST_COLUMNS / MODEL_COLUMNS)."""

    forecast: pd.DataFrame
    models: pd.DataFrame
    metric: str = "MASE"
    candidates: pd.DataFrame | None = field(default=None, repr=False)  # every candidate's forecast


@dataclass(frozen=True)
class ForecastConfig:
    """Engine settings (defaults are the product's; the benchmark compares variants)."""

    full_span: int = 12  # months scored in the backtest of long series
    full_step: int = 4  # months between backtest origins (origins n-12, n-8, n-4)
    short_span: int = 6
    short_step: int = 3
    refit_final: bool = False  # re-estimate the models on the whole history for the final forecast
    margin: float = ENSEMBLE_MARGIN
    selection: str = "ensemble_default"  # or 'argmin' (pure lowest error) or 'ensemble' (always)
    arima: dict = field(
        default_factory=lambda: dict(
            max_p=2, max_q=2, max_P=1, max_Q=1, start_p=1, start_q=1, start_P=0, start_Q=0, nmodels=10
        )
    )
    ets: dict = field(default_factory=dict)
    chunk: int = CHUNK


def horizon_after(last_period: str, n: int) -> list[str]:
    """The `n` 'YYYY-MM' periods following `last_period`."""
    start = pd.Period(last_period, freq="M")
    return [str(start + i) for i in range(1, n + 1)]


# --------------------------------------------------------------------------------------------------
# data preparation


@dataclass
class _Panel:
    ids: np.ndarray  # sorted item ids (str)
    Y: np.ndarray  # (n_items, L) right-aligned on the last history month, NaN before the first month
    n_obs: np.ndarray  # months per item
    last: int  # ordinal (pd.Period 'M') of the last history month


def _prepare(history: pd.DataFrame) -> _Panel:
    """Complete each item's monthly grid (gaps = 0) up to the table's last month; clip at 0."""
    df = history[["item_id", "period", "actual_units"]].copy()
    df["item_id"] = df["item_id"].astype(str)
    df["ord"] = pd.PeriodIndex(df["period"].astype(str), freq="M").asi8
    y = pd.to_numeric(df["actual_units"], errors="coerce").fillna(0.0).clip(lower=0.0)
    sums = y.groupby([df["item_id"], df["ord"]]).sum()
    ids = np.sort(sums.index.get_level_values(0).unique().to_numpy().astype(str))
    if len(ids) == 0:
        return _Panel(ids=ids, Y=np.zeros((0, 0)), n_obs=np.zeros(0, dtype=int), last=0)
    last = int(sums.index.get_level_values(1).max())
    first = sums.reset_index().groupby("item_id")["ord"].min().reindex(ids).to_numpy()
    n_obs = (last - first + 1).astype(int)
    L = int(n_obs.max())
    Y = np.full((len(ids), L), np.nan)
    row = np.arange(len(ids))[:, None]
    col = np.arange(L)[None, :]
    Y[(col >= L - n_obs[:, None]) & (row >= 0)] = 0.0
    pos = pd.Index(ids).get_indexer(sums.index.get_level_values(0))
    cols = L - 1 - (last - sums.index.get_level_values(1).to_numpy())
    Y[pos, cols] = sums.to_numpy()
    return _Panel(ids=ids, Y=Y, n_obs=n_obs, last=last)


def _baseline_matrix(Y: np.ndarray, h: int) -> np.ndarray:
    """Reference 3-month average plus trend on right-aligned rows (NaN = before the first month)."""
    n_rows = Y.shape[0]
    if Y.shape[1] == 0:
        return np.zeros((n_rows, h))
    pad = np.full((n_rows, max(0, 6 - Y.shape[1])), np.nan)
    Z = np.hstack([pad, Y])[:, -6:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        recent = np.nanmean(Z[:, 3:], axis=1)
        older = np.nanmean(Z[:, :3], axis=1)
    full6 = ~np.isnan(Z).any(axis=1)
    trend = np.where(full6, (recent - older) / 3.0, 0.0)
    recent = np.nan_to_num(recent, nan=0.0)
    steps = np.arange(1, h + 1, dtype=float)
    return np.maximum(0.0, recent[:, None] + trend[:, None] * steps[None, :])


def baseline_forecast(history: pd.DataFrame, horizon: list[str]) -> pd.DataFrame:
    """The reference "3-month average plus trend" per item (vectorized).

    recent = mean of the last 3 actuals, older = mean of the 3 before, trend = (recent - older) / 3,
    forecast_i = max(0, recent + trend * i) for i = 1..H. With < 6 months the trend is 0 and with
    < 3 months `recent` is the mean of what exists. Gaps count as 0 units. Intervals are NaN.
    """
    cols = ["item_id", "period", "model", "forecast", "lo80", "hi80"]
    h = len(horizon)
    if history.empty or h == 0:
        return pd.DataFrame(columns=cols)
    panel = _prepare(history)
    values = _baseline_matrix(panel.Y, h)
    n_items = len(panel.ids)
    return pd.DataFrame(
        {
            "item_id": np.repeat(panel.ids, h),
            "period": np.tile(np.asarray(horizon, dtype=object), n_items),
            "model": BASELINE,
            "forecast": values.ravel(),
            "lo80": np.nan,
            "hi80": np.nan,
        }
    )


# --------------------------------------------------------------------------------------------------
# statsforecast models


def _croston_class():
    from statsforecast.models import CrostonOptimized

    class _Croston(CrostonOptimized):
        """CrostonOptimized accepting `level` (NaN intervals, calibrated later) and `forward`."""

        def forecast(self, y, h, X=None, X_future=None, level=None, fitted=False):  # noqa: N803
            res = dict(super().forecast(y=y, h=h, X=X, X_future=X_future, fitted=fitted))
            for lv in level or ():
                res[f"lo-{lv}"] = np.full(h, np.nan)
                res[f"hi-{lv}"] = np.full(h, np.nan)
            return res

        def forward(self, y, h, X=None, X_future=None, level=None, fitted=False):  # noqa: N803
            return self.forecast(y=y, h=h, X=X, X_future=X_future, level=level, fitted=fitted)

    return _Croston


_CROSTON = None


def _models(season_length: int, seasonal: bool, cfg: ForecastConfig) -> list:
    """The statsforecast candidates (aliases = SF_MODELS)."""
    global _CROSTON
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    if _CROSTON is None:
        _CROSTON = _croston_class()
        _CROSTON.__qualname__ = "_Croston"
        globals()["_Croston"] = _CROSTON  # picklable for n_jobs > 1
    m = season_length if seasonal else 1
    arima = dict(cfg.arima)
    if m == 1:
        arima = {k: v for k, v in arima.items() if k not in ("max_P", "max_Q", "start_P", "start_Q")}
    return [
        SeasonalNaive(season_length=season_length, alias="SeasonalNaive"),
        AutoETS(season_length=m, alias="AutoETS", **cfg.ets),
        AutoARIMA(season_length=m, alias="AutoARIMA", **arima),
        AutoTheta(season_length=m, alias="AutoTheta"),
        _CROSTON(alias="CrostonOptimized"),
    ]


def _long_frame(ids: np.ndarray, Y: np.ndarray, last: int) -> pd.DataFrame:
    """Right-aligned matrix -> statsforecast long frame (unique_id, ds, y), NaN cells dropped."""
    L = Y.shape[1]
    mask = ~np.isnan(Y)
    rows, cols = np.nonzero(mask)
    ords = last - (L - 1) + cols
    ds = pd.PeriodIndex.from_ordinals(ords, freq="M").to_timestamp()
    return pd.DataFrame({"unique_id": ids[rows], "ds": ds, "y": Y[rows, cols]})


def _scale(Y: np.ndarray, season_length: int) -> np.ndarray:
    """MASE scale per row: mean |y_t - y_{t-m}|, else lag 1, else mean |y|, else 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.full(Y.shape[0], np.nan)
        if Y.shape[1] > season_length:
            out = np.nanmean(np.abs(Y[:, season_length:] - Y[:, :-season_length]), axis=1)
        lag1 = np.nanmean(np.abs(np.diff(Y, axis=1)), axis=1) if Y.shape[1] > 1 else np.full(Y.shape[0], np.nan)
        out = np.where(np.isfinite(out) & (out > 0), out, lag1)
        out = np.where(np.isfinite(out) & (out > 0), out, np.nanmean(np.abs(Y), axis=1))
    return np.where(np.isfinite(out) & (out > 0), out, 1.0)


# --------------------------------------------------------------------------------------------------
# one tier: backtest + final forecast


@dataclass
class _TierResult:
    ids: np.ndarray
    names: list[str]  # candidate names, axis 1 of the arrays below
    point: np.ndarray  # (n, k, W, h) forecasts per window (last window = final forecast)
    half: np.ndarray  # (n, k, W, h, 2) raw half-widths for 80 / 95 (NaN where none)
    actual: np.ndarray  # (n, W, h) actuals (NaN where not observed)
    scale: np.ndarray  # (n,)
    error: np.ndarray  # (n, k) backtest MASE
    available: np.ndarray  # (k,) bool


def _run_tier(
    panel: _Panel,
    idx: np.ndarray,
    *,
    h: int,
    span: int,
    step: int,
    seasonal: bool,
    season_length: int,
    n_jobs: int,
    cfg: ForecastConfig,
    tick: Callable[[int], None],
) -> _TierResult:
    """Backtest and forecast the rows `idx` of the panel with all candidates."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    h_cv = max(h, span)
    n_w = span // step + 1
    names = list(CANDIDATES)
    k = len(names)
    n = len(idx)
    Y = panel.Y[idx]
    L = Y.shape[1]
    point = np.full((n, k, n_w, h_cv), np.nan)
    half = np.full((n, k, n_w, h_cv, 2), np.nan)
    models = _models(season_length, seasonal, cfg)
    refit: bool | int = (n_w - 1) if cfg.refit_final and n_w > 1 else False
    for start in range(0, n, cfg.chunk):
        sl = slice(start, min(n, start + cfg.chunk))
        ids = panel.ids[idx[sl]]
        Y_ext = np.hstack([Y[sl], np.zeros((len(ids), h_cv))])
        df = _long_frame(ids, Y_ext, panel.last + h_cv)
        sf = StatsForecast(models=models, freq="MS", n_jobs=n_jobs, fallback_model=Naive())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = sf.cross_validation(
                df=df, h=h_cv, step_size=step, test_size=span + h_cv, level=list(LEVELS), refit=refit
            )
        cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable")
        shape = (len(ids), n_w, h_cv)
        for j, name in enumerate(SF_MODELS):
            point[sl, j] = cv[name].to_numpy(float).reshape(shape)
            for li, lv in enumerate(LEVELS):
                hw = (cv[f"{name}-hi-{lv}"].to_numpy(float) - cv[f"{name}-lo-{lv}"].to_numpy(float)) / 2
                half[sl, j, :, :, li] = hw.reshape(shape)
        tick(len(ids))
    # baseline at each origin (computed here: it is the reference formula, not a statsforecast model)
    jb = names.index(BASELINE)
    for w in range(n_w):
        cut = L - span + w * step
        point[:, jb, w] = _baseline_matrix(Y[:, :cut], h_cv)
    # ensemble: mean of members (bounds: mean of members' half-widths)
    members = [names.index(m) for m in ENSEMBLE_MEMBERS]
    je = names.index(ENSEMBLE)
    point[:, je] = point[:, members].mean(axis=1)
    half[:, je] = half[:, members].mean(axis=1)
    # actuals and backtest error
    actual = np.full((n, n_w, h_cv), np.nan)
    for w in range(n_w):
        cut = L - span + w * step
        m = min(h_cv, L - cut)
        actual[:, w, :m] = Y[:, cut : cut + m]
    scale = _scale(Y[:, : L - span], season_length if seasonal else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        err = np.abs(point - actual[:, None]) / scale[:, None, None, None]
        error = np.nanmean(err.reshape(n, k, -1), axis=2)
    available = np.ones(k, dtype=bool)
    if not seasonal:
        available[names.index("SeasonalNaive")] = Y.shape[1] - span >= season_length
    error[:, ~available] = np.nan
    return _TierResult(
        ids=panel.ids[idx], names=names, point=point, half=half, actual=actual, scale=scale, error=error,
        available=available,
    )


def _select(res: _TierResult, cfg: ForecastConfig) -> tuple[np.ndarray, np.ndarray]:
    """Chosen and runner-up candidate index per series."""
    err = np.where(np.isnan(res.error), np.inf, res.error)
    je = res.names.index(ENSEMBLE)
    if cfg.selection == "argmin":
        score = err
    elif cfg.selection == "ensemble":
        score = np.full_like(err, np.inf)
        score[:, je] = 0.0
    else:
        penalty = np.full(err.shape[1], 1.0 + cfg.margin)
        penalty[je] = 1.0
        score = err * penalty[None, :]
    order = np.argsort(score, axis=1, kind="stable")  # ties: candidate order (simplest first)
    chosen = order[:, 0]
    raw = np.argsort(err, axis=1, kind="stable")
    runner = np.where(raw[:, 0] == chosen, raw[:, 1], raw[:, 0])
    return chosen, runner


def _calibration(res: _TierResult, min_count: int = 30) -> np.ndarray:
    """Interval factors (k, h, 2) per model, step and level from the pooled scaled backtest errors."""
    n, k, n_w, h = res.point.shape
    factors = np.ones((k, h, 2))
    e = np.abs(res.point[:, :, :-1] - res.actual[:, None, :-1])  # (n, k, W-1, h)
    for li, lv in enumerate(LEVELS):
        shape = res.half[:, :, :-1, :, li]
        shape = np.where(np.isfinite(shape), shape, res.scale[:, None, None, None])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            z = np.where(shape > 0, e / shape, np.nan)  # (n, k, W-1, h)
        z = np.moveaxis(z, 1, 0).reshape(k, -1, h)  # (k, n*(W-1), h)
        for j in range(k):
            zj = z[j]
            counts = np.isfinite(zj).sum(axis=0)
            if counts.sum() == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanquantile(zj, lv / 100.0, axis=0)
                pooled = np.nanquantile(zj, lv / 100.0)
            ok = counts >= min_count
            if ok.sum() >= 2:
                steps = np.arange(1, h + 1)
                x, yv, wt = np.log(steps[ok]), np.log(np.maximum(q[ok], 1e-6)), counts[ok]
                beta = np.clip(np.polyfit(x, yv, 1, w=np.sqrt(wt))[0], -0.5, 1.0)
                last_ok = int(np.nonzero(ok)[0].max())
                ext = q[last_ok] * (steps / steps[last_ok]) ** beta
                f = np.where(ok, q, ext)
            else:
                f = np.full(h, pooled)
            factors[j, :, li] = np.clip(np.nan_to_num(f, nan=1.0), 0.05, 20.0)
    return factors


# --------------------------------------------------------------------------------------------------
# public entry point


def statistical_forecast(
    history: pd.DataFrame,
    horizon: list[str],
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    n_jobs: int = 1,
    season_length: int = 12,
    config: ForecastConfig | None = None,
    return_candidates: bool = False,
) -> ForecastRun:
    """Per-series model selection by rolling-origin backtest, forecast with calibrated 80/95 % intervals.

    history: item_id, period 'YYYY-MM', actual_units (long; gaps = 0 units after the item's first month).
    horizon: future 'YYYY-MM' periods after the last history month (gaps allowed; all of them forecast).
    progress(fraction, message) is called between stages; should_cancel() is checked between stages
    and raises ForecastCancelled. The metric is MASE (see the module docstring).
    """
    cfg = config or ForecastConfig()
    _configure_runtime()

    def report(frac: float, msg: str) -> None:
        if should_cancel is not None and should_cancel():
            raise ForecastCancelled("forecast cancelled")
        if progress is not None:
            progress(float(min(max(frac, 0.0), 1.0)), msg)

    report(0.0, "preparing history")
    panel = _prepare(history)
    if len(panel.ids) == 0 or not horizon:
        return ForecastRun(
            forecast=pd.DataFrame(columns=FORECAST_COLUMNS), models=pd.DataFrame(columns=MODEL_COLUMNS)
        )
    hor_ord = pd.PeriodIndex(list(horizon), freq="M").asi8
    steps_needed = hor_ord - panel.last  # 1-based steps of the requested periods
    if (steps_needed < 1).any():
        raise ValueError("horizon periods must come after the last history month")
    h = int(steps_needed.max())
    m = max(1, int(season_length))
    full_min = 2 * m + cfg.full_span if m > 1 else max(MIN_SHORT, 2 + cfg.full_span)
    total = panel.Y.shape[0]
    nonzero = np.nansum(panel.Y, axis=1) > 0
    tier_full = np.nonzero(nonzero & (panel.n_obs >= full_min))[0]
    tier_short = np.nonzero(nonzero & (panel.n_obs >= MIN_SHORT) & (panel.n_obs < full_min))[0]
    tier_tiny = np.nonzero(nonzero & (panel.n_obs < MIN_SHORT))[0]
    tier_zero = np.nonzero(~nonzero)[0]
    done = [0]

    def tick(count: int) -> None:
        done[0] += count
        report(0.05 + 0.9 * done[0] / total, f"forecasting: {done[0]:,} of {total:,} series")

    report(0.05, f"forecasting {total:,} series")
    parts_fc: list[pd.DataFrame] = []
    parts_md: list[pd.DataFrame] = []
    parts_cand: list[pd.DataFrame] = []
    for idx, span, step, seasonal, note in (
        (tier_full, cfg.full_span, cfg.full_step, m > 1, ""),
        (tier_short, cfg.short_span, cfg.short_step, False, "short"),
    ):
        if len(idx) == 0:
            continue
        res = _run_tier(
            panel, idx, h=h, span=span, step=step, seasonal=seasonal, season_length=m, n_jobs=n_jobs,
            cfg=cfg, tick=tick,
        )
        fc, md, cand = _assemble_tier(res, panel, idx, cfg, steps_needed, horizon, note, full_min, return_candidates)
        parts_fc.append(fc)
        parts_md.append(md)
        if cand is not None:
            parts_cand.append(cand)
    if len(tier_tiny):
        report(0.05 + 0.9 * done[0] / total, "forecasting short series")
        fc, md = _run_tiny(panel, tier_tiny, steps_needed, horizon, n_jobs)
        parts_fc.append(fc)
        parts_md.append(md)
        tick(len(tier_tiny))
    if len(tier_zero):
        fc, md = _zero_series(panel, tier_zero, horizon)
        parts_fc.append(fc)
        parts_md.append(md)
        tick(len(tier_zero))
    report(0.97, "assembling results")
    forecast = pd.concat(parts_fc, ignore_index=True).sort_values(["item_id", "period"], ignore_index=True)
    models = pd.concat(parts_md, ignore_index=True).sort_values("item_id", ignore_index=True)
    cand = pd.concat(parts_cand, ignore_index=True) if parts_cand else None
    report(1.0, "done")
    return ForecastRun(forecast=forecast[FORECAST_COLUMNS], models=models[MODEL_COLUMNS], metric="MASE",
                       candidates=cand)


def _bounds(point: np.ndarray, half: np.ndarray) -> dict[str, np.ndarray]:
    """Clip to >= 0 and order lo95 <= lo80 <= forecast <= hi80 <= hi95."""
    f = np.maximum(np.nan_to_num(point, nan=0.0), 0.0)
    h80 = np.maximum(np.nan_to_num(half[..., 0], nan=0.0), 0.0)
    h95 = np.maximum(np.nan_to_num(half[..., 1], nan=0.0), h80)
    return {
        "forecast": f,
        "lo80": np.maximum(f - h80, 0.0),
        "hi80": f + h80,
        "lo95": np.maximum(f - h95, 0.0),
        "hi95": f + h95,
    }


def _assemble_tier(
    res: _TierResult,
    panel: _Panel,
    idx: np.ndarray,
    cfg: ForecastConfig,
    steps_needed: np.ndarray,
    horizon: list[str],
    tier: str,
    full_min: int,
    return_candidates: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Selection, calibrated intervals and output tables for one tier."""
    n, k, n_w, h_cv = res.point.shape
    chosen, runner = _select(res, cfg)
    factors = _calibration(res)
    cols = steps_needed - 1
    final_point = res.point[:, :, -1, :][:, :, cols]  # (n, k, H)
    shape = res.half[:, :, -1, :, :][:, :, cols]  # (n, k, H, 2)
    shape = np.where(np.isfinite(shape), shape, res.scale[:, None, None, None])
    half = shape * factors[None, :, cols, :]
    rows = np.arange(n)
    b = _bounds(final_point[rows, chosen], half[rows, chosen])
    H = len(horizon)
    names = np.asarray(res.names, dtype=object)
    fc = pd.DataFrame(
        {
            "item_id": np.repeat(res.ids, H),
            "period": np.tile(np.asarray(horizon, dtype=object), n),
            "model": np.repeat(names[chosen], H),
            **{key: v.ravel() for key, v in b.items()},
        }
    )
    note = ""
    if tier == "short":
        note = (
            "short history: {n} months; seasonal models need "
            + str(full_min)
            + " (2 seasons + 12-month backtest), so ETS/ARIMA/Theta are non-seasonal"
        )
    jsn = res.names.index("SeasonalNaive")
    md = pd.DataFrame(
        {
            "item_id": res.ids,
            "model": names[chosen],
            "error": res.error[rows, chosen],
            "runner_up": names[runner],
            "runner_up_error": res.error[rows, runner],
            "snaive_error": res.error[:, jsn],
            "n_obs": panel.n_obs[idx],
            "note": [note.format(n=v) if note else "" for v in panel.n_obs[idx]],
        }
    )
    cand = None
    if return_candidates:
        bc = _bounds(final_point, half)  # (n, k, H)
        cand = pd.DataFrame(
            {
                "item_id": np.repeat(res.ids, k * H),
                "period": np.tile(np.asarray(horizon, dtype=object), n * k),
                "model": np.tile(np.repeat(names, H), n),
                **{key: v.ravel() for key, v in bc.items()},
                "error": np.repeat(res.error.ravel(), H),
            }
        )
        cand = cand[np.repeat(np.tile(res.available, n), H)]
    return fc, md, cand


def _run_tiny(
    panel: _Panel, idx: np.ndarray, steps_needed: np.ndarray, horizon: list[str], n_jobs: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series too short for a backtest: SES (>= 6 months) or the mean, native intervals."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, HistoricAverage

    h = int(steps_needed.max())
    ids = panel.ids[idx]
    df = _long_frame(ids, panel.Y[idx], panel.last)
    sf = StatsForecast(
        models=[AutoETS(model="ANN", alias="SES"), HistoricAverage(alias="Mean")],
        freq="MS", n_jobs=1, fallback_model=HistoricAverage(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(df=df, h=h, level=list(LEVELS))
    out = out.sort_values(["unique_id", "ds"], kind="stable")
    n = len(ids)
    use_ses = panel.n_obs[idx] >= 6
    name = np.where(use_ses, "SES", "Mean")

    def grab(col: str) -> np.ndarray:
        ses = out[f"SES{col}"].to_numpy(float).reshape(n, h)
        mean = out[f"Mean{col}"].to_numpy(float).reshape(n, h)
        return np.where(use_ses[:, None], ses, mean)[:, steps_needed - 1]

    point = grab("")
    half = np.stack([(grab(f"-hi-{lv}") - grab(f"-lo-{lv}")) / 2 for lv in LEVELS], axis=-1)
    # no backtest to calibrate on: widen by the usual long-horizon factor, or +-100 % / 150 % when unknown
    rough = np.stack([np.abs(point) * 1.0, np.abs(point) * 1.5], axis=-1)
    half = np.where(np.isfinite(half) & (half > 0), half, rough)
    b = _bounds(point, half)
    H = len(horizon)
    fc = pd.DataFrame(
        {
            "item_id": np.repeat(ids, H),
            "period": np.tile(np.asarray(horizon, dtype=object), n),
            "model": np.repeat(name, H),
            **{key: v.ravel() for key, v in b.items()},
        }
    )
    n_obs = panel.n_obs[idx]
    what = np.where(use_ses, "simple exponential smoothing", "the mean of the months available")
    md = pd.DataFrame(
        {
            "item_id": ids,
            "model": name,
            "error": np.nan,
            "runner_up": "",
            "runner_up_error": np.nan,
            "snaive_error": np.nan,
            "n_obs": n_obs,
            "note": [
                f"only {v} months of history: no backtest possible (needs {MIN_SHORT}); fell back to {w}"
                for v, w in zip(n_obs, what)
            ],
        }
    )
    return fc, md


def _zero_series(panel: _Panel, idx: np.ndarray, horizon: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series without any demand: forecast 0."""
    ids = panel.ids[idx]
    H = len(horizon)
    fc = pd.DataFrame({"item_id": np.repeat(ids, H), "period": np.tile(np.asarray(horizon, dtype=object), len(ids)),
                       "model": "zero", "forecast": 0.0, "lo80": 0.0, "hi80": 0.0, "lo95": 0.0, "hi95": 0.0})
    md = pd.DataFrame({"item_id": ids, "model": "zero", "error": np.nan, "runner_up": "", "runner_up_error": np.nan,
                       "snaive_error": np.nan, "n_obs": panel.n_obs[idx],
                       "note": "no demand in the history: forecast 0"})
    return fc, md


def _configure_runtime() -> None:
    """Keep BLAS single-threaded (statsforecast parallelises over series itself)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


__all__ = [
    "BASELINE",
    "ENSEMBLE",
    "ForecastCancelled",
    "ForecastConfig",
    "ForecastRun",
    "baseline_forecast",
    "horizon_after",
    "statistical_forecast",
]
