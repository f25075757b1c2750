"""Statistical forecasting step (SPEC Step 1): candidate models, backtest selection, intervals.

How it works (all series at once, no per-item Python loops; statsforecast does the modelling):

1. History is completed to a monthly grid per item (missing months after the item's first month
   are 0 units, up to the last history month of the whole table) and clipped at 0.
2. Items are split by length n (m = season length) and demand class:
   * ``full``  (n >= 2m + 12): seasonal candidates; ``short`` (18 <= n < 2m + 12): the same with
     non-seasonal ETS/ARIMA/Theta; ``tiny`` (n < 18): no backtest, simple exponential smoothing
     (n >= 6) or the mean; ``zero`` (no demand at all): forecast 0. The note says which and why.
   * smooth (average demand interval ADI < 1.32): SeasonalNaive, AutoETS, AutoARIMA, AutoTheta,
     CrostonOptimized, the reference baseline, Ensemble(ETS,ARIMA,Theta);
     intermittent (ADI >= 1.32, Syntetos-Boylan): the same without AutoARIMA, and the ensemble is
     Ensemble(ETS,Theta,Croston).
3. Backtest: one ``StatsForecast.cross_validation(refit=False)`` per chunk of series: each model
   is fitted once at the first origin and applied (``forward``) at the later origins (n-12, n-8,
   n-4 for ``full``; n-6, n-3 for ``short``) and at the end of the history (series are padded with
   placeholder future months that are never scored). The models the chosen forecast uses are then
   re-estimated on the whole history (``forecast``) for the final forecast.
4. Selection by MASE (scale: in-sample mean absolute seasonal difference before the first origin;
   lag 1 when that is zero or too short), averaged over all origins and steps. The ensemble is the
   default; a single model replaces it only when its backtest MASE is less than a third of the
   ensemble's (``ENSEMBLE_MARGIN`` = 2.0): on short backtests, picking the lowest error is mostly
   noise and loses to the combination on unseen data (the "forecast combination puzzle"; see the
   selection-rule table of bench/forecast.py).
   Run size: a run of at most ``ForecastConfig.full_search_max`` series (with a backtest) gives every
   series the smooth candidate set with AutoARIMA's default model space; a larger run uses a narrow
   stepwise ARIMA search (no seasonal AR/MA terms), the intermittent set and a cheaper backtest of
   ETS and ARIMA (fitted once on the whole history, run forward from each origin: its errors have
   seen the future's parameters), so that 10,000 series fit in minutes on 2 cores (bench/forecast.py
   measures both kinds of run).
5. Intervals: every model's half-widths (native ones; the MASE scale for models without) are
   multiplied by a factor per horizon step such that 80 % / 95 % of that model's scaled backtest
   errors, pooled over all series, fall inside; the factors follow a power law in the step fitted
   on the backtest, which extrapolates them beyond the backtest span. Bounds are clipped at 0.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

BASELINE = "baseline_ma3_trend"
ENSEMBLE = "Ensemble(ETS,ARIMA,Theta)"
ENSEMBLE_INTERMITTENT = "Ensemble(ETS,Theta,Croston)"
REFIT_MODELS = ("AutoETS", "AutoARIMA", "AutoTheta")  # the others re-estimate in `forward` anyway
FORWARD_MODELS = ("AutoETS", "AutoARIMA")  # backtested by `forward` from the whole-history fit in large runs
FORECAST_COLUMNS = ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
MODEL_COLUMNS = ["item_id", "model", "error", "runner_up", "runner_up_error", "snaive_error", "n_obs", "note"]
LEVELS = (80, 95)
ENSEMBLE_MARGIN = 2.0  # a single model replaces the ensemble only below a third of its backtest MASE
ADI_INTERMITTENT = 1.32  # Syntetos-Boylan cut-off on the average demand interval
MIN_SHORT = 18  # months needed for any backtest (12 to fit + 6 to score)
CHUNK = 1000  # series per statsforecast call (progress / cancel granularity)


@dataclass(frozen=True)
class _Group:
    """Candidate set of one demand class."""

    sf_names: tuple[str, ...]
    members: tuple[str, ...]
    ensemble: str

    @property
    def names(self) -> list[str]:
        return [*self.sf_names, BASELINE, self.ensemble]


SMOOTH = _Group(
    ("SeasonalNaive", "AutoETS", "AutoARIMA", "AutoTheta", "CrostonOptimized"),
    ("AutoETS", "AutoARIMA", "AutoTheta"),
    ENSEMBLE,
)
INTERMITTENT = _Group(
    ("SeasonalNaive", "AutoETS", "AutoTheta", "CrostonOptimized"),
    ("AutoETS", "AutoTheta", "CrostonOptimized"),
    ENSEMBLE_INTERMITTENT,
)
CANDIDATES = tuple(dict.fromkeys(SMOOTH.names + INTERMITTENT.names))

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
    arima_search: str = "default"  # 'default' (small run) or 'narrow' (ForecastConfig.full_search_max)


@dataclass(frozen=True)
class ForecastConfig:
    """Engine settings (defaults are the product's; the benchmark compares variants)."""

    full_span: int = 12  # months scored in the backtest of long series
    full_step: int = 4  # months between backtest origins (origins n-12, n-8, n-4)
    short_span: int = 6
    short_step: int = 3
    final_refit: str = "chosen"  # re-estimate on the whole history: 'chosen' models, 'all' or 'none'
    margin: float = ENSEMBLE_MARGIN
    intermittent_adi: float = ADI_INTERMITTENT  # inf: treat every series as smooth
    selection: str = "ensemble_default"  # or 'argmin' (pure lowest error) or 'ensemble' (always)
    # AutoARIMA's search: statsforecast's default (`arima_full`, ~0.35 s a series) in runs of at most
    # `full_search_max` series, where intermittent series get the smooth candidate set (with ARIMA)
    # too; beyond, a narrow stepwise search (`arima`: differencing still chosen by the unit-root
    # tests, no seasonal AR/MA terms), 5-6x faster, which 10,000 series on 2 cores need; less
    # accurate on seasonal series (bench: synthetic smooth AutoARIMA MASE 0.925 vs 0.844)
    arima_full: dict = field(default_factory=dict)
    full_search_max: int = 200
    arima: dict = field(
        default_factory=lambda: dict(
            max_p=1, max_q=1, max_P=0, max_Q=0, start_p=1, start_q=1, start_P=0, start_Q=0, nmodels=5,
            approximation=True,
        )
    )
    ets: dict = field(default_factory=dict)
    refit_models: tuple[str, ...] = REFIT_MODELS  # which models `final_refit` re-estimates
    # 'search' (search at the first origin, forward to the later ones, search again on the whole
    # history) or 'forward' (ETS and ARIMA searched once on the whole history, the model found
    # re-estimated at the first origin and run forward; see _fit_and_forward); statistical_forecast
    # uses 'forward' for large runs
    backtest: str = "search"
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

    _Croston.__qualname__ = "_Croston"
    globals()["_Croston"] = _Croston  # importable by name, so picklable for n_jobs > 1
    return _Croston


def _models(names: tuple[str, ...], season_length: int, seasonal: bool, cfg: ForecastConfig) -> dict:
    """statsforecast model objects by alias."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    croston = globals().get("_Croston") or _croston_class()
    m = season_length if seasonal else 1
    arima = dict(cfg.arima)
    if m == 1:
        arima = {k: v for k, v in arima.items() if k not in ("max_P", "max_Q", "start_P", "start_Q")}
    make = {
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season_length, alias="SeasonalNaive"),
        "AutoETS": lambda: AutoETS(season_length=m, alias="AutoETS", **cfg.ets),
        "AutoARIMA": lambda: AutoARIMA(season_length=m, alias="AutoARIMA", **arima),
        "AutoTheta": lambda: AutoTheta(season_length=m, alias="AutoTheta"),
        "CrostonOptimized": lambda: croston(alias="CrostonOptimized"),
    }
    return {name: make[name]() for name in names}


def _long_frame(ids: np.ndarray, Y: np.ndarray, last: int) -> pd.DataFrame:
    """Right-aligned matrix -> statsforecast long frame (unique_id, ds, y), NaN cells dropped."""
    L = Y.shape[1]
    rows, cols = np.nonzero(~np.isnan(Y))
    ds = pd.PeriodIndex.from_ordinals(last - (L - 1) + cols, freq="M").to_timestamp()
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


def _sf_frame(fc: pd.DataFrame, name: str, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts and (…, 2) half-widths of one model from a statsforecast output."""
    point = fc[name].to_numpy(float).reshape(shape)
    half = np.stack(
        [((fc[f"{name}-hi-{lv}"].to_numpy(float) - fc[f"{name}-lo-{lv}"].to_numpy(float)) / 2).reshape(shape)
         for lv in LEVELS],
        axis=-1,
    )
    return point, half


# --------------------------------------------------------------------------------------------------
# one group of series: backtest, selection, final forecast


@dataclass
class _TierResult:
    ids: np.ndarray
    group: _Group
    names: list[str]  # candidate names, axis 1 of the arrays below
    point: np.ndarray  # (n, k, W, h) forecasts per window (last window = final forecast)
    half: np.ndarray  # (n, k, W, h, 2) raw half-widths for 80 / 95 (NaN where none)
    actual: np.ndarray  # (n, W, h) actuals (NaN where not observed)
    scale: np.ndarray  # (n,)
    error: np.ndarray  # (n, k) backtest MASE
    available: np.ndarray  # (k,) bool
    chosen: np.ndarray | None = None  # (n,) index of the chosen candidate
    runner: np.ndarray | None = None  # (n,) index of the runner-up


@dataclass(frozen=True)
class _ChunkJob:
    ids: np.ndarray
    Y: np.ndarray  # right-aligned, NaN before each item's first month
    n_obs: np.ndarray
    last: int
    group: _Group
    h_cv: int
    span: int
    step: int
    seasonal: bool
    season_length: int
    cfg: ForecastConfig


def _tier_jobs(
    panel: _Panel,
    idx: np.ndarray,
    group: _Group,
    *,
    h: int,
    span: int,
    step: int,
    seasonal: bool,
    season_length: int,
    workers: int,
    cfg: ForecastConfig,
) -> list[_ChunkJob]:
    """The rows `idx` of the panel cut into chunks (progress / cancel granularity; with a pool, chunks
    small enough that the workers finish together)."""
    n = len(idx)
    size = cfg.chunk if workers == 1 else max(1, min(cfg.chunk, -(-n // (8 * workers))))
    return [
        _ChunkJob(
            ids=panel.ids[idx[i : i + size]], Y=panel.Y[idx[i : i + size]], n_obs=panel.n_obs[idx[i : i + size]],
            last=panel.last, group=group, h_cv=max(h, span), span=span, step=step, seasonal=seasonal,
            season_length=season_length, cfg=cfg,
        )
        for i in range(0, n, size)
    ]


def _run_jobs(jobs: list[_ChunkJob], workers: int, tick: Callable[[int], None]) -> list[_TierResult]:
    """Backtest, select and forecast every chunk (in a pool of worker processes when workers > 1: all
    tiers share it, so no worker waits at a tier's end); results in the order of `jobs`."""
    if workers == 1 or len(jobs) <= 1 or _in_daemon():
        out = []
        for job in jobs:
            out.append(_run_chunk(job))
            tick(2 * len(job.ids))
        return out
    import multiprocessing as mp

    results: list[_TierResult | None] = [None] * len(jobs)
    pool = mp.get_context("fork").Pool(min(workers, len(jobs)))
    try:
        for i, res in pool.imap_unordered(_run_numbered_chunk, list(enumerate(jobs))):
            results[i] = res
            tick(2 * len(res.ids))
    finally:
        pool.terminate()  # also on cancel: stops the chunks still running
        pool.join()
    return results  # type: ignore[return-value]


def _run_numbered_chunk(numbered: tuple[int, _ChunkJob]) -> tuple[int, _TierResult]:
    i, job = numbered
    return i, _run_chunk(job)


def _merge_chunks(results: list[_TierResult]) -> _TierResult:
    """One tier's chunk results as one."""
    cat = lambda name: np.concatenate([getattr(r, name) for r in results])  # noqa: E731
    first = results[0]
    return _TierResult(
        ids=cat("ids"), group=first.group, names=first.names, point=cat("point"), half=cat("half"),
        actual=cat("actual"), scale=cat("scale"), error=cat("error"), available=first.available,
        chosen=cat("chosen"), runner=cat("runner"),
    )


def _in_daemon() -> bool:
    import multiprocessing as mp

    return bool(mp.current_process().daemon)


def _run_chunk(job: _ChunkJob) -> _TierResult:
    """One statsforecast cross-validation call (backtest + final forecast) and the final refits."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    _configure_runtime()
    group, cfg, h_cv, span = job.group, job.cfg, job.h_cv, job.span
    n_w = span // job.step + 1
    names = group.names
    k = len(names)
    n = len(job.ids)
    width = int(job.n_obs.max())
    Y = job.Y[:, -width:]
    L = Y.shape[1]
    point = np.full((n, k, n_w, h_cv), np.nan)
    half = np.full((n, k, n_w, h_cv, 2), np.nan)
    models = _models(group.sf_names, job.season_length, job.seasonal, cfg)
    direct = [name for name in group.sf_names if name in _whole_history_models(cfg)]
    in_cv = [name for name in group.sf_names if name not in direct]
    # placeholder future months let the same call produce the final forecast (never scored)
    Y_ext = np.hstack([Y, np.zeros((n, h_cv))])
    sf = StatsForecast(models=[models[name] for name in in_cv], freq="MS", n_jobs=1, fallback_model=Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = sf.cross_validation(
            df=_long_frame(job.ids, Y_ext, job.last + h_cv), h=h_cv, step_size=job.step,
            test_size=span + h_cv, level=list(LEVELS), refit=False,
        )
    cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable")
    for name in in_cv:
        j = names.index(name)
        point[:, j], half[:, j] = _sf_frame(cv, name, (n, n_w, h_cv))
    for name in direct:
        j = names.index(name)
        point[:, j], half[:, j] = _fit_and_forward(models[name], Y, job.n_obs, span, job.step, h_cv)
    # the reference baseline at each origin (its formula, vectorized; not a statsforecast model)
    jb = names.index(BASELINE)
    actual = np.full((n, n_w, h_cv), np.nan)
    for w in range(n_w):
        cut = L - span + w * job.step
        point[:, jb, w] = _baseline_matrix(Y[:, :cut], h_cv)
        seen = min(h_cv, L - cut)
        actual[:, w, :seen] = Y[:, cut : cut + seen]
    _ensemble(point, half, names, group)
    scale = _scale(Y[:, : L - span], job.season_length if job.seasonal else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        err = np.abs(point - actual[:, None]) / scale[:, None, None, None]
        error = np.nanmean(err.reshape(n, k, -1), axis=2)
    # seasonal naive needs a full season before the first origin
    error[job.n_obs - span < job.season_length, names.index("SeasonalNaive")] = np.nan
    res = _TierResult(
        ids=job.ids, group=group, names=names, point=point, half=half, actual=actual, scale=scale,
        error=error, available=np.ones(k, dtype=bool),
    )
    res.chosen, res.runner = _select(res, cfg)
    if cfg.final_refit != "none":
        _refit_final(res, Y, job.last, models, cfg)
    return res


def _whole_history_models(cfg: ForecastConfig) -> tuple[str, ...]:
    """The models whose backtest `_fit_and_forward` makes from a whole-history fit (none re-fitted after)."""
    return FORWARD_MODELS if cfg.backtest == "forward" else ()


def _fit_and_forward(model, Y: np.ndarray, n_obs: np.ndarray, span: int, step: int, h: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The cheaper backtest of large runs: `model` searched once per series on its whole history (the
    final forecast); the model it found (the same ETS components, the same ARIMA orders) re-estimated at
    the first origin and run forward from there to the later origins.

    One model search instead of two; the backtest has seen which model the whole history prefers (not
    its parameters). Returns point (n, W, h) and half-widths (n, W, h, 2), the last window being the
    final forecast."""
    from statsforecast.models import Naive

    n_w = span // step + 1
    n, L = Y.shape
    point = np.full((n, n_w, h), np.nan)
    half = np.full((n, n_w, h, 2), np.nan)
    levels = list(LEVELS)

    def store(i: int, w: int, res: dict) -> None:
        point[i, w] = res["mean"]
        for li, lv in enumerate(LEVELS):
            if f"hi-{lv}" in res:
                half[i, w, :, li] = (np.asarray(res[f"hi-{lv}"]) - np.asarray(res[f"lo-{lv}"])) / 2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            y = Y[i, L - int(n_obs[i]):]
            try:
                full = model.new().fit(y=y)
            except Exception:  # what statsforecast does too: the naive forecast instead
                full = Naive().fit(y=y)
            store(i, n_w - 1, full.predict(h=h, level=levels))
            first = len(y) - span
            try:
                origin = _same_model(full).fit(y=y[:first])
            except Exception:  # too short for that model at the first origin: its parameters, forward
                origin = full
            for w in range(n_w - 1):
                try:
                    store(i, w, origin.forward(y=y[: first + w * step], h=h, level=levels))
                except Exception:
                    pass  # left out of this series' backtest (NaN)
    return point, half


def _same_model(fitted):
    """An unfitted model of the specification `fitted` chose (ETS components, ARIMA orders)."""
    from statsforecast.models import ARIMA, AutoETS

    spec = getattr(fitted, "model_", None) or {}
    if "components" in spec and isinstance(fitted, AutoETS):
        trend = str(spec.get("method", "")).split(",")[1] if "," in str(spec.get("method", "")) else ""
        return AutoETS(season_length=fitted.season_length, model=str(spec["components"])[:3],
                       damped=trend.endswith("d"))
    if "arma" in spec:
        p, q, P, Q, m, d, D = (int(v) for v in spec["arma"])
        coef = spec.get("coef") or {}
        return ARIMA(order=(p, d, q), seasonal_order=(P, D, Q), season_length=max(m, 1),
                     include_mean="intercept" in coef, include_drift="drift" in coef)
    return fitted.new()


def _ensemble(point: np.ndarray, half: np.ndarray, names: list[str], group: _Group) -> None:
    """Ensemble = mean of the members' forecasts; its half-widths = mean of theirs (NaN -> ignored)."""
    members = [names.index(m) for m in group.members]
    je = names.index(group.ensemble)
    point[:, je] = point[:, members].mean(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        half[:, je] = np.nanmean(half[:, members], axis=1)


def _refit_final(res: _TierResult, Y: np.ndarray, last: int, models: dict, cfg: ForecastConfig) -> None:
    """Re-estimate ETS / ARIMA / Theta on the whole history where the chosen forecast uses them.

    The backtest fits each model once at the first origin and re-uses its parameters (`forward`)
    at the later origins: cheap, but at the end of the history a refit is clearly more accurate.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    n, k, n_w, h_cv = res.point.shape
    je = res.names.index(res.group.ensemble)
    refit = [m for m in cfg.refit_models if m in res.group.sf_names and m not in _whole_history_models(cfg)]
    for name in refit:
        j = res.names.index(name)
        if cfg.final_refit == "all":
            need = np.ones(n, dtype=bool)
        else:
            need = (res.chosen == j) | ((res.chosen == je) & (name in res.group.members))
        r = np.nonzero(need)[0]
        if len(r) == 0:
            continue
        sf = StatsForecast(models=[models[name]], freq="MS", n_jobs=1, fallback_model=Naive())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=_long_frame(res.ids[r], Y[r], last), h=h_cv, level=list(LEVELS))
        fc = fc.sort_values(["unique_id", "ds"], kind="stable")
        res.point[r, j, -1], res.half[r, j, -1] = _sf_frame(fc, name, (len(r), h_cv))
    final_p, final_h = res.point[:, :, -1:], res.half[:, :, -1:]
    _ensemble(final_p, final_h, res.names, res.group)
    res.point[:, :, -1:], res.half[:, :, -1:] = final_p, final_h


def _select(res: _TierResult, cfg: ForecastConfig) -> tuple[np.ndarray, np.ndarray]:
    """Chosen and runner-up candidate index per series."""
    err = np.where(np.isnan(res.error), np.inf, res.error)
    je = res.names.index(res.group.ensemble)
    if cfg.selection == "argmin":
        score = err
    elif cfg.selection == "ensemble":
        score = np.full_like(err, np.inf)
        score[:, je] = 0.0
    else:
        penalty = np.full(err.shape[1], 1.0 + cfg.margin)
        penalty[je] = 1.0
        score = err * penalty[None, :]
    chosen = np.argsort(score, axis=1, kind="stable")[:, 0]  # ties: candidate order (simplest first)
    raw = np.argsort(err, axis=1, kind="stable")
    runner = np.where(raw[:, 0] == chosen, raw[:, 1], raw[:, 0])
    return chosen, runner


def _calibration(res: _TierResult, min_count: int = 30) -> np.ndarray:
    """Interval factors (k, h, 2) per model, step and level from the pooled scaled backtest errors.

    z = |actual - forecast| / half-width (native half-width, or the MASE scale for models without
    intervals); the factor is the 80 % (95 %) quantile of z over all series and origins, smoothed
    across steps with a power law a * step^b (b in [-0.5, 1]), which also extrapolates it beyond
    the backtest span. With fewer than `min_count` errors per step one pooled factor is used.
    """
    n, k, n_w, h = res.point.shape
    factors = np.ones((k, h, 2))
    e = np.abs(res.point[:, :, :-1] - res.actual[:, None, :-1])  # (n, k, W-1, h)
    steps = np.arange(1, h + 1)
    for li, lv in enumerate(LEVELS):
        shape = res.half[:, :, :-1, :, li]
        shape = np.where(np.isfinite(shape), shape, res.scale[:, None, None, None])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            z = np.where(shape > 0, e / shape, np.nan)
        z = np.moveaxis(z, 1, 0).reshape(k, -1, h)  # (k, n*(W-1), h)
        for j in range(k):
            counts = np.isfinite(z[j]).sum(axis=0)
            if counts.sum() == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanquantile(z[j], lv / 100.0, axis=0)
                pooled = np.nanquantile(z[j], lv / 100.0)
            ok = (counts >= min_count) & (q > 0)
            if ok.sum() >= 3:
                x, yv, wt = np.log(steps[ok]), np.log(q[ok]), np.sqrt(counts[ok])
                b = float(np.clip(np.polyfit(x, yv, 1, w=wt)[0], -0.5, 1.0))
                a = float(np.average(yv - b * x, weights=wt))
                f = np.exp(a + b * np.log(steps))
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
    horizon: future 'YYYY-MM' periods after the last history month (all of them are forecast).
    progress(fraction, message) is called between stages with increasing fractions; should_cancel()
    is checked between stages and raises ForecastCancelled. The metric is MASE (module docstring).
    With return_candidates, `ForecastRun.candidates` holds every candidate's forecast and error.
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
    steps_needed = pd.PeriodIndex(list(horizon), freq="M").asi8 - panel.last  # 1-based steps
    if (steps_needed < 1).any():
        raise ValueError("horizon periods must come after the last history month")
    h = int(steps_needed.max())
    m = max(1, int(season_length))
    full_min = 2 * m + cfg.full_span if m > 1 else MIN_SHORT
    total = panel.Y.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        nonzero_months = (panel.Y > 0).sum(axis=1)
    adi = np.where(nonzero_months > 0, panel.n_obs / np.maximum(nonzero_months, 1), np.inf)
    has_demand = nonzero_months > 0
    intermittent = adi >= cfg.intermittent_adi
    is_full = has_demand & (panel.n_obs >= full_min)
    is_short = has_demand & (panel.n_obs >= MIN_SHORT) & ~is_full
    arima_search = "default" if int((is_full | is_short).sum()) <= cfg.full_search_max else "narrow"
    if arima_search == "default":  # a small run affords ARIMA's full search, on intermittent series too
        cfg = replace(cfg, arima=cfg.arima_full)
    else:
        cfg = replace(cfg, backtest="forward")
    use_intermittent_set = intermittent & (arima_search == "narrow")
    done = [0]

    def tick(count: int) -> None:  # backtest: 1 unit per series, final refit: about 1 more
        done[0] += count
        report(0.05 + 0.9 * min(1.0, done[0] / (2 * total)), "backtesting and forecasting")

    report(0.05, f"forecasting {total:,} series")
    parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]] = []
    workers = max(1, int(n_jobs if n_jobs > 0 else (os.cpu_count() or 1)))
    tiers, jobs = [], []
    for tier_mask, span, step, seasonal, tier in (
        (is_full, cfg.full_span, cfg.full_step, m > 1, "full"),
        (is_short, cfg.short_span, cfg.short_step, False, "short"),
    ):
        for group, cls_mask in ((SMOOTH, ~use_intermittent_set), (INTERMITTENT, use_intermittent_set)):
            idx = np.nonzero(tier_mask & cls_mask)[0]
            if len(idx) == 0:
                continue
            tier_jobs = _tier_jobs(panel, idx, group, h=h, span=span, step=step, seasonal=seasonal,
                                   season_length=m, workers=workers, cfg=cfg)
            tiers.append((tier, group, idx, len(jobs), len(jobs) + len(tier_jobs)))
            jobs.extend(tier_jobs)
    results = _run_jobs(jobs, workers, tick)
    for tier, group, idx, first, stop in tiers:
        res = _merge_chunks(results[first:stop])
        notes = _notes(tier, group, panel.n_obs[idx], adi[idx], full_min)
        parts.append(_assemble_tier(res, panel.n_obs[idx], notes, steps_needed, horizon, return_candidates))
    tiny = np.nonzero(has_demand & (panel.n_obs < MIN_SHORT))[0]
    if len(tiny):
        report(0.05 + 0.9 * min(1.0, done[0] / (2 * total)), "forecasting short series")
        parts.append((*_run_tiny(panel, tiny, steps_needed, horizon, n_jobs), None))
        tick(2 * len(tiny))
    zero = np.nonzero(~has_demand)[0]
    if len(zero):
        parts.append((*_zero_series(panel, zero, horizon), None))
        tick(2 * len(zero))
    report(0.97, "assembling results")
    forecast = pd.concat([p[0] for p in parts], ignore_index=True)
    forecast = forecast.sort_values(["item_id", "period"], ignore_index=True)[FORECAST_COLUMNS]
    models = pd.concat([p[1] for p in parts], ignore_index=True).sort_values("item_id", ignore_index=True)
    cands = [p[2] for p in parts if p[2] is not None]
    report(1.0, "done")
    return ForecastRun(
        forecast=forecast, models=models[MODEL_COLUMNS], metric="MASE",
        candidates=pd.concat(cands, ignore_index=True) if cands else None, arima_search=arima_search,
    )


def _notes(tier: str, group: _Group, n_obs: np.ndarray, adi: np.ndarray, full_min: int) -> list[str]:
    """Why a series did not get the full candidate set ('' when it did)."""
    short = np.where(
        tier == "short",
        np.char.add(np.char.add("short history: ", n_obs.astype(str)),
                    f" months (seasonal models need {full_min}: 2 seasons + 12-month backtest), so "
                    "ETS/ARIMA/Theta are non-seasonal"),
        "",
    )
    inter = ""  # in a small run intermittent series get the full set too (Croston is always a candidate)
    if group is INTERMITTENT:
        inter = np.char.add(np.char.add("intermittent demand (one month in ", np.char.mod("%.1f", adi)),
                            " has demand): AutoARIMA not used, ensemble with Croston")
    both = np.char.add(np.char.add(short, np.where((short != "") & (inter != ""), "; ", "")), inter)
    return both.tolist()


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
    n_obs: np.ndarray,
    notes: list[str],
    steps_needed: np.ndarray,
    horizon: list[str],
    return_candidates: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Calibrated intervals and output tables for one group of series."""
    n, k, n_w, h_cv = res.point.shape
    chosen, runner = res.chosen, res.runner
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
    periods = np.asarray(horizon, dtype=object)
    fc = pd.DataFrame(
        {
            "item_id": np.repeat(res.ids, H),
            "period": np.tile(periods, n),
            "model": np.repeat(names[chosen], H),
            **{key: v.ravel() for key, v in b.items()},
        }
    )
    md = pd.DataFrame(
        {
            "item_id": res.ids,
            "model": names[chosen],
            "error": res.error[rows, chosen],
            "runner_up": names[runner],
            "runner_up_error": res.error[rows, runner],
            "snaive_error": res.error[:, res.names.index("SeasonalNaive")],
            "n_obs": n_obs,
            "note": notes,
        }
    )
    cand = None
    if return_candidates:
        bc = _bounds(final_point, half)  # (n, k, H)
        cand = pd.DataFrame(
            {
                "item_id": np.repeat(res.ids, k * H),
                "period": np.tile(periods, n * k),
                "model": np.tile(np.repeat(names, H), n),
                **{key: v.ravel() for key, v in bc.items()},
                "error": np.repeat(res.error.ravel(), H),
            }
        )
        cand = cand[np.repeat(np.tile(res.available, n), H)].reset_index(drop=True)
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
    "ENSEMBLE_INTERMITTENT",
    "ForecastCancelled",
    "ForecastConfig",
    "ForecastRun",
    "baseline_forecast",
    "horizon_after",
    "statistical_forecast",
]
