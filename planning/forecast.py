"""Statistical forecasting step (SPEC Step 1): candidate models, backtest selection, intervals.

How it works (statsforecast's models, fitted per series by this module so that every substitute is seen):

1. History is completed to a monthly grid per item (missing months after the item's first month
   are 0 units, up to the last history month of the whole table) and clipped at 0.
2. Items are split by length n (m = season length) and demand class:
   * ``full``  (n >= 2m + 12): seasonal candidates; ``short`` (18 <= n < 2m + 12): the same with
     non-seasonal models; ``tiny`` (n < 18): no backtest, simple exponential smoothing (n >= 6) or
     the mean; ``zero`` (no demand at all): forecast 0. The note says which and why.
   * smooth (average demand interval ADI < 1.32): SeasonalNaive, AutoETS, AutoARIMA, AutoTheta,
     CrostonOptimized, the reference baseline and the ensemble of ETS, ARIMA, Theta and seasonal
     naive (``SMOOTH_MEMBERS``); a small run adds AutoCES to the candidates and the ensemble.
     Intermittent (ADI >= 1.32, Syntetos-Boylan) series of a large run: the same without ARIMA, the
     ensemble of ETS, Theta and seasonal naive. The ensemble is the trimmed mean of its members'
     forecasts, month by month: the highest and the lowest left out, the others averaged (with 3 or 4
     members, the median); bench/forecast.py measures it against the plain mean of ETS/ARIMA/Theta.
3. Honest backtest: origins n-12, n-8, n-4 (``full``; n-6, n-3 for ``short``). Every model is
   searched (ETS components, ARIMA orders, Theta variant, CES type) and estimated on the history
   before the first origin only, and run forward from there (its parameters fixed) to the later
   origins: nothing a scored month holds informs the model search, the parameters or, through the
   errors, the interval calibration. The final forecast, which is never scored, re-estimates the
   models the chosen forecast uses on the whole history: a small run searches every model again
   (``final_fit='search'``); a large run too, except ARIMA, whose orders found at the first origin
   are re-estimated (``large_final_fit_models``; as accurate as a new search, at a third of its
   cost), so that 10,000 series fit in minutes on 2 cores.
4. Selection by MASE (scale: in-sample mean absolute seasonal difference before the first origin;
   lag 1 when that is zero or too short), averaged over all origins and steps. The ensemble is the
   default; a single model replaces it only when its backtest MASE is less than a third of the
   ensemble's (``ENSEMBLE_MARGIN`` = 2.0): on short backtests, picking the lowest error is mostly
   noise and loses to the combination on unseen data (bench/forecast.py replays the rule). The
   runner-up is the other side of that comparison (the best single model when the ensemble is
   kept, the ensemble when a single model replaced it), and the note says why in words.
   Run size: a run of at most ``ForecastConfig.full_search_max`` series (with a backtest) gives every
   series the smooth candidate set with AutoARIMA's default model space; a larger run uses a narrow
   stepwise ARIMA search (no seasonal AR/MA terms) and the intermittent set.
5. Intervals: every model's half-widths (native ones, those of the first origin for the later
   origins, whose parameters are the same; the MASE scale for models without) are multiplied by a
   factor per horizon step such that 80 % / 95 % of that model's scaled backtest errors, pooled over
   all series, fall inside; the factors follow a power law in the step fitted on the backtest, which
   extrapolates them beyond the backtest span. Bounds are clipped at 0.
6. Substitutes are never silent: a model that cannot be fitted is left out of the series'
   candidates, a backtest window a model cannot forecast is dropped from its error, a final
   re-estimation that fails keeps the backtest parameters, a forecast with missing months is
   replaced by the next candidate, and only a series left without any candidate falls back to the
   naive forecast; each is said in the series' note (``note_kinds`` reads them back).
7. A candidate list (``ForecastConfig.candidates``; the product sets it from the company profile's demand
   character, e.g. Croston, ADIDA and IMAPA for project-based demand) replaces the standard sets: the listed
   models, seasonal naive and the baseline (the references), and the ensemble of the listed members.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

BASELINE = "baseline_ma3_trend"
SNAIVE = "SeasonalNaive"
DOTM = "DynamicOptimizedTheta"
CROSTON = "CrostonOptimized"
ADIDA = "ADIDA"
IMAPA = "IMAPA"
SHORT_NAMES = {"AutoETS": "ETS", "AutoARIMA": "ARIMA", "AutoTheta": "Theta", "AutoCES": "CES", DOTM: "DOTM",
               CROSTON: "Croston", ADIDA: "ADIDA", IMAPA: "IMAPA", SNAIVE: "SNaive", BASELINE: "baseline"}
# every model a candidate list (ForecastConfig.candidates, the settings' forecast_candidates) may name, in the
# order ties are broken (simplest first); seasonal naive and the baseline are always candidates: they are
# the references every model is measured against
CANDIDATE_MODELS = (SNAIVE, "AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", CROSTON, ADIDA, IMAPA, DOTM, BASELINE)
REFERENCES = (SNAIVE, BASELINE)
# the candidates of a small run's standard sets (what an empty candidate list means), for the settings form
STANDARD_CANDIDATES = (SNAIVE, "AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", CROSTON, BASELINE)
NO_NATIVE_INTERVALS = (CROSTON, ADIDA, IMAPA)  # intervals from the MASE scale, calibrated
SMOOTH_MEMBERS = ("AutoETS", "AutoARIMA", "AutoTheta", SNAIVE)  # large runs
SMOOTH_MEMBERS_SMALL = ("AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", SNAIVE)  # small runs
INTERMITTENT_MEMBERS = ("AutoETS", "AutoTheta", SNAIVE)  # intermittent series of large runs
SEARCHED = ("AutoETS", "AutoARIMA", "AutoTheta", "AutoCES")  # models whose form is searched
FORECAST_COLUMNS = ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
MODEL_COLUMNS = ["item_id", "model", "error", "runner_up", "runner_up_error", "snaive_error", "n_obs", "note"]
LEVELS = (80, 95)
ENSEMBLE_MARGIN = 2.0  # a single model replaces the ensemble only below a third of its backtest MASE
ADI_INTERMITTENT = 1.32  # Syntetos-Boylan cut-off on the average demand interval
MIN_SHORT = 18  # months needed for any backtest (12 to fit + 6 to score)
CHUNK = 1000  # series per job (progress / cancel granularity)


def ensemble_name(members: tuple[str, ...], combine: str = "trimmed") -> str:
    """'Ensemble(ETS,ARIMA,Theta,SNaive)' for the product's trimmed mean, 'Median(…)' / 'Mean(…)' else."""
    label = {"trimmed": "Ensemble", "median": "Median", "mean": "Mean"}[combine]
    return f"{label}({','.join(SHORT_NAMES.get(m, m) for m in members)})"


ENSEMBLE = ensemble_name(SMOOTH_MEMBERS)
ENSEMBLE_SMALL = ensemble_name(SMOOTH_MEMBERS_SMALL)
ENSEMBLE_INTERMITTENT = ensemble_name(INTERMITTENT_MEMBERS)

# Phrases of the notes (one sentence each, joined by "; "), read back by `note_kinds`:
# kind -> (phrase in the note, what it means for the /data page)
NOTE_KINDS = {
    "naive": ("fell back to naive", "fell back to the naive forecast (no candidate model could be used)"),
    "left_out": ("could not be fitted", "had a model that could not be fitted and was left out"),
    "window": ("backtest window", "had backtest windows dropped (a model could not forecast them)"),
    "refit": ("not re-estimated", "kept a model's backtest parameters (it could not be re-estimated)"),
    "missing": ("missing months", "had a forecast with missing months replaced"),
    "short": ("short history", "are too short for the seasonal models"),
    "tiny": ("months of history: no backtest", "are too short for any backtest"),
    "zero": ("no demand in the history", "have no demand at all (forecast 0)"),
    "intermittent": ("intermittent demand", "are intermittent (large run: ARIMA not used)"),
    "kept": ("ensemble kept", "kept the ensemble although a single model scored lower on the backtest"),
    "replaced": ("replaced the ensemble", "use a single model that beat the ensemble by the margin"),
}
SELECTION_KINDS = ("kept", "replaced")  # notes that explain the choice (not a fallback)

Progress = Callable[[float, str], None]
ShouldCancel = Callable[[], bool]


def note_kinds(note: str | None) -> list[str]:
    """The kinds (keys of NOTE_KINDS) a series' note mentions, in NOTE_KINDS order."""
    text = str(note or "")
    return [kind for kind, (phrase, _) in NOTE_KINDS.items() if phrase in text]


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

    @property
    def note_counts(self) -> dict[str, list[str]]:
        """Items per note kind (NOTE_KINDS), e.g. {'naive': ['A', 'B']}; kinds without items left out."""
        out: dict[str, list[str]] = {}
        for item, note in zip(self.models["item_id"], self.models["note"]):
            for kind in note_kinds(note):
                out.setdefault(kind, []).append(str(item))
        return out


@dataclass(frozen=True)
class ForecastConfig:
    """Engine settings (defaults are the product's; the benchmark compares variants)."""

    full_span: int = 12  # months scored in the backtest of long series
    full_step: int = 4  # months between backtest origins (origins n-12, n-8, n-4)
    short_span: int = 6
    short_step: int = 3
    # which models get a whole-history fit for the final forecast: the 'chosen' forecast's, 'all' or
    # 'none' (the first-origin fits run forward to the end of the history)
    final_refit: str = "chosen"
    # how: 'search' the model form again on the whole history, 'refit' the form found at the first origin
    # (new parameters, no search) or 'forward' (the first origin's parameters run on to the end of the
    # history); `final_fit_models` overrides it per model, and a large run adds `large_final_fit_models`
    final_fit: str = "search"
    final_fit_models: dict = field(default_factory=dict)
    large_final_fit_models: dict = field(default_factory=lambda: {"AutoARIMA": "refit"})
    margin: float = ENSEMBLE_MARGIN
    intermittent_adi: float = ADI_INTERMITTENT  # inf: treat every series as smooth
    selection: str = "ensemble_default"  # or 'argmin' (pure lowest error) or 'ensemble' (always)
    # how the ensemble combines its members' forecasts, month by month: 'trimmed' (the highest and the
    # lowest left out, the mean of the others; with 3 or 4 members the median), 'median' or 'mean'
    combine: str = "trimmed"
    smooth_members: tuple[str, ...] = SMOOTH_MEMBERS  # large runs
    smooth_members_small: tuple[str, ...] = SMOOTH_MEMBERS_SMALL  # small runs (AutoCES is affordable)
    intermittent_members: tuple[str, ...] = INTERMITTENT_MEMBERS  # intermittent series of large runs
    extra_candidates: tuple[str, ...] = ()  # more single candidates (e.g. DOTM, for the bench)
    # the candidate list (names of CANDIDATE_MODELS; seasonal naive and the baseline are always added); empty:
    # the standard sets above. Set from the settings' forecast_candidates (the company profile's defaults)
    candidates: tuple[str, ...] = ()
    # AutoARIMA's search: statsforecast's default (`arima_full`, ~0.35 s a series) in runs of at most
    # `full_search_max` series, where intermittent series get the smooth candidate set (with ARIMA)
    # too; beyond, a narrow stepwise search (`arima`: differencing still chosen by the unit-root
    # tests, no seasonal AR/MA terms), 5-6x faster, which 10,000 series on 2 cores need
    arima_full: dict = field(default_factory=dict)
    full_search_max: int = 200
    arima: dict = field(
        default_factory=lambda: dict(
            max_p=1, max_q=1, max_P=0, max_Q=0, start_p=1, start_q=1, start_P=0, start_Q=0, nmodels=5,
            approximation=True,
        )
    )
    ets: dict = field(default_factory=dict)
    chunk: int = CHUNK


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
    col = np.arange(L)[None, :]
    Y[col >= L - n_obs[:, None]] = 0.0
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
# candidate sets and statsforecast models


@dataclass(frozen=True)
class _Group:
    """Candidate set of one demand class."""

    sf_names: tuple[str, ...]  # statsforecast models, fitted per series
    members: tuple[str, ...]  # the ensemble's members (a subset of sf_names)
    ensemble: str
    combine: str = "trimmed"

    @property
    def names(self) -> list[str]:
        return [*self.sf_names, BASELINE, self.ensemble]


def _group(members: tuple[str, ...], cfg: ForecastConfig, *, arima: bool) -> _Group:
    """Seasonal naive, the members, ETS/Theta (and ARIMA), the extra candidates and Croston; with a candidate
    list (`cfg.candidates`), seasonal naive and the list's models (ARIMA only where `arima`), the ensemble of
    the members on the list (of all of them when fewer than two members are)."""
    if cfg.candidates:
        unknown = [c for c in cfg.candidates if c not in CANDIDATE_MODELS]
        if unknown:
            raise ValueError(f"unknown forecast candidates: {', '.join(unknown)} (known: "
                             f"{', '.join(CANDIDATE_MODELS)})")
        wanted = {SNAIVE, *cfg.candidates} - {BASELINE} - (set() if arima else {"AutoARIMA"})
        sf = tuple(m for m in CANDIDATE_MODELS if m in wanted)
        kept = tuple(m for m in members if m in sf)
        members = kept if len(kept) >= 2 else sf
        return _Group(sf, members, ensemble_name(members, cfg.combine), cfg.combine)
    core = ("AutoETS", "AutoARIMA", "AutoTheta") if arima else ("AutoETS", "AutoTheta")
    wanted = set(members) | set(core) | set(cfg.extra_candidates) | {SNAIVE, CROSTON}
    order = (SNAIVE, "AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", CROSTON, DOTM, *cfg.extra_candidates)
    sf = tuple(dict.fromkeys(m for m in order if m in wanted))
    return _Group(sf, tuple(members), ensemble_name(tuple(members), cfg.combine), cfg.combine)


def _model_makers(names: tuple[str, ...], season_length: int, seasonal: bool, cfg: ForecastConfig) -> dict:
    """Unfitted statsforecast model per candidate name (called once per series and fit)."""
    from statsforecast.models import (
        ADIDA as ADIDAModel,
        IMAPA as IMAPAModel,
        AutoARIMA,
        AutoCES,
        AutoETS,
        AutoTheta,
        CrostonOptimized,
        DynamicOptimizedTheta,
        SeasonalNaive,
    )

    m = season_length if seasonal else 1
    arima = dict(cfg.arima)
    if m == 1:
        arima = {k: v for k, v in arima.items() if k not in ("max_P", "max_Q", "start_P", "start_Q")}
    make = {
        SNAIVE: lambda: SeasonalNaive(season_length=season_length, alias=SNAIVE),
        "AutoETS": lambda: AutoETS(season_length=m, alias="AutoETS", **cfg.ets),
        "AutoARIMA": lambda: AutoARIMA(season_length=m, alias="AutoARIMA", **arima),
        "AutoTheta": lambda: AutoTheta(season_length=m, alias="AutoTheta"),
        "AutoCES": lambda: AutoCES(season_length=m, alias="AutoCES"),
        DOTM: lambda: DynamicOptimizedTheta(season_length=m, alias=DOTM),
        CROSTON: lambda: CrostonOptimized(alias=CROSTON),
        ADIDA: lambda: ADIDAModel(alias=ADIDA),
        IMAPA: lambda: IMAPAModel(alias=IMAPA),
    }
    return {name: make[name] for name in names}


def _same_model(fitted, make: Callable):
    """An unfitted model of the form `fitted` found (ETS components, ARIMA orders, Theta variant, CES
    type): re-estimating it costs one fit instead of a search."""
    from statsforecast.models import ARIMA, AutoCES, AutoETS, AutoTheta

    spec = getattr(fitted, "model_", None) or {}
    if isinstance(fitted, AutoETS) and "components" in spec:
        comp = str(spec["components"])
        return AutoETS(season_length=fitted.season_length, model=comp[:3], damped=comp[3:4] == "D",
                       alias=fitted.alias)
    if "arma" in spec:
        p, q, P, Q, m, d, D = (int(v) for v in spec["arma"])
        coef = spec.get("coef") or {}
        return ARIMA(order=(p, d, q), seasonal_order=(P, D, Q), season_length=max(m, 1),
                     include_mean="intercept" in coef, include_drift="drift" in coef, alias=fitted.alias)
    if isinstance(fitted, AutoCES) and "seasontype" in spec:
        return AutoCES(season_length=fitted.season_length, model=str(spec["seasontype"]), alias=fitted.alias)
    if isinstance(fitted, AutoTheta) and "modeltype" in spec:
        return AutoTheta(season_length=fitted.season_length, model=str(spec["modeltype"]),
                         decomposition_type=fitted.decomposition_type, alias=fitted.alias)
    return make()


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


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
    error: np.ndarray  # (n, k) backtest MASE (NaN: not available for that series)
    available: np.ndarray  # (k,) bool
    chosen: np.ndarray | None = None  # (n,) index of the chosen candidate
    runner: np.ndarray | None = None  # (n,) index of the runner-up
    notes: list[list[str]] | None = None  # per series: what the fit and the selection said
    last_y: np.ndarray | None = None  # (n,) the last history month (for the naive fallback)


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


def _run_jobs(jobs: list[_ChunkJob], workers: int, tick: Callable[[int], None],
              engine: Any = None) -> list[_TierResult]:
    """Backtest, select and forecast every chunk (in a pool of worker processes when workers > 1: all
    tiers share it, so no worker waits at a tier's end; on a Dask cluster with `engine`, see
    planning.distributed); results in the order of `jobs`."""
    if engine is not None and jobs:
        return engine.map(_run_chunk, jobs, lambda res: tick(2 * len(res.ids)))
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
        chosen=cat("chosen"), runner=cat("runner"), notes=[note for r in results for note in r.notes],
        last_y=cat("last_y"),
    )


def _in_daemon() -> bool:
    import multiprocessing as mp

    return bool(mp.current_process().daemon)


def _predict(model, h: int, y: np.ndarray | None = None, level: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Point forecast (h,) and half-widths (h, 2; NaN without `level`) of a fitted model: from the end of
    its own fit, or run forward over `y` with its parameters fixed (models without `forward` are refitted
    on `y`: their only parameters are the data's own, like seasonal naive and Croston)."""
    levels = list(LEVELS)
    with_level = level and getattr(model, "alias", "") not in NO_NATIVE_INTERVALS  # Croston & co. have none
    kw = {"level": levels} if with_level else {}
    if y is None:
        res = model.predict(h=h, **kw)
    elif hasattr(model, "forward"):
        res = model.forward(y=y, h=h, **kw)
    else:
        res = model.new().fit(y=y).predict(h=h, **kw)
    point = np.asarray(res["mean"], dtype=float)
    half = np.full((h, 2), np.nan)
    for li, lv in enumerate(LEVELS):
        if f"hi-{lv}" in res:
            half[:, li] = (np.asarray(res[f"hi-{lv}"], float) - np.asarray(res[f"lo-{lv}"], float)) / 2
    if point.shape != (h,) or not np.isfinite(point).all():
        raise FloatingPointError("forecast with missing values")
    return point, half


def _run_chunk(job: _ChunkJob) -> _TierResult:
    """Backtest (every model searched and estimated before the first origin, run forward to the later
    origins), selection and the final forecast of one chunk of series."""
    _configure_runtime()
    group, cfg, h_cv, span, step = job.group, job.cfg, job.h_cv, job.span, job.step
    n_w = span // step + 1
    names = group.names
    k = len(names)
    n = len(job.ids)
    width = int(job.n_obs.max())
    Y = job.Y[:, -width:]
    L = Y.shape[1]
    point = np.full((n, k, n_w, h_cv), np.nan)
    half = np.full((n, k, n_w, h_cv, 2), np.nan)
    makers = _model_makers(group.sf_names, job.season_length, job.seasonal, cfg)
    cols = [names.index(name) for name in group.sf_names]
    fitted: list[list] = [[None] * len(cols) for _ in range(n)]
    events: list[dict[str, list]] = [{} for _ in range(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            y = Y[i, L - int(job.n_obs[i]):]
            first = len(y) - span
            for jm, (name, j) in enumerate(zip(group.sf_names, cols)):
                try:
                    model = makers[name]().fit(y=y[:first])
                    point[i, j, 0], half[i, j, 0] = _predict(model, h_cv)
                except Exception as exc:
                    events[i].setdefault("unfit", []).append((name, _why(exc)))
                    continue
                fitted[i][jm] = model
                for w in range(1, n_w - 1):
                    try:  # the same parameters: the first origin's interval shape (native intervals cost 30x)
                        point[i, j, w] = _predict(model, h_cv, y[: first + w * step], level=False)[0]
                        half[i, j, w] = half[i, j, 0]
                    except Exception:
                        events[i].setdefault("window", []).append(name)
    # the reference baseline at each origin (its formula, vectorized; not a statsforecast model)
    jb = names.index(BASELINE)
    actual = np.full((n, n_w, h_cv), np.nan)
    for w in range(n_w):
        cut = L - span + w * step
        point[:, jb, w] = _baseline_matrix(Y[:, :cut], h_cv)
        seen = min(h_cv, L - cut)
        actual[:, w, :seen] = Y[:, cut : cut + seen]
    _ensemble(point[:, :, :-1], half[:, :, :-1], names, group)
    scale = _scale(Y[:, : L - span], job.season_length if job.seasonal else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        err = np.abs(point - actual[:, None]) / scale[:, None, None, None]
        error = np.nanmean(err.reshape(n, k, -1), axis=2)
    # seasonal naive needs a full season before the first origin
    error[job.n_obs - span < job.season_length, names.index(SNAIVE)] = np.nan
    res = _TierResult(
        ids=job.ids, group=group, names=names, point=point, half=half, actual=actual, scale=scale,
        error=error, available=np.ones(k, dtype=bool), last_y=Y[:, -1].copy(),
    )
    res.chosen, res.runner = _select(res, cfg)
    _final(res, Y, job.n_obs, fitted, makers, events, cfg)
    res.notes = [_fit_notes(ev, n_w - 1) for ev in events]
    return res


def _final(res: _TierResult, Y: np.ndarray, n_obs: np.ndarray, fitted: list[list], makers: dict,
           events: list[dict[str, list]], cfg: ForecastConfig) -> None:
    """The final forecast (last window) of every fitted model: models the chosen forecast uses (all of
    them with final_refit='all') are re-estimated on the whole history (`cfg.final_fit`: 'search' again
    or 'refit' the form found at the first origin); the others run forward from the first origin."""
    n, k, n_w, h_cv = res.point.shape
    names, group = res.names, res.group
    je = names.index(group.ensemble)
    L = Y.shape[1]
    used = np.zeros((n, k), dtype=bool)
    if cfg.final_refit == "all":
        used[:] = True
    elif cfg.final_refit != "none":
        used[np.arange(n), res.chosen] = True
        for member in group.members:
            used[res.chosen == je, names.index(member)] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            y = Y[i, L - int(n_obs[i]):]
            for jm, name in enumerate(group.sf_names):
                model = fitted[i][jm]
                if model is None:
                    continue
                j = names.index(name)
                out = None
                how = cfg.final_fit_models.get(name, cfg.final_fit)
                if used[i, j] and name in SEARCHED and how != "forward":
                    try:
                        again = makers[name]() if how == "search" else _same_model(model, makers[name])
                        out = _predict(again.fit(y=y), h_cv)
                    except Exception as exc:
                        events[i].setdefault("refit", []).append((name, _why(exc)))
                if out is None:
                    try:
                        out = _predict(model, h_cv, y)
                    except Exception as exc:
                        events[i].setdefault("final", []).append((name, _why(exc)))
                        continue
                res.point[i, j, -1], res.half[i, j, -1] = out
    final_p, final_h = res.point[:, :, -1:], res.half[:, :, -1:]
    _ensemble(final_p, final_h, names, group)
    res.point[:, :, -1:], res.half[:, :, -1:] = final_p, final_h


def _fit_notes(ev: dict[str, list], n_windows: int) -> list[str]:
    """The fit's substitutes in words (phrases of NOTE_KINDS)."""
    out = []
    for name, why in ev.get("unfit", []):
        out.append(f"{name} could not be fitted ({why}): left out of this series' candidates")
    for name in dict.fromkeys(ev.get("window", [])):
        dropped = ev["window"].count(name)
        out.append(f"{name}: {dropped} of {n_windows} backtest windows dropped (it could not forecast them)")
    for name, why in ev.get("refit", []):
        out.append(f"{name} not re-estimated on the whole history ({why}): its backtest parameters used")
    for name, why in ev.get("final", []):
        out.append(f"{name} could not be fitted on the whole history nor run on from the backtest ({why}): "
                   "left out of the final forecast")
    return out


def _trimmed_mean(stack: np.ndarray, axis: int = 1) -> np.ndarray:
    """Mean along `axis` without the highest and the lowest value (of those that exist, when 3 or more
    do; the plain mean of 1 or 2)."""
    srt = np.sort(np.moveaxis(stack, axis, -1), axis=-1)  # NaN last
    cnt = np.isfinite(srt).sum(axis=-1)
    ranks = np.arange(srt.shape[-1])
    lo = np.where(cnt >= 3, 1, 0)[..., None]
    hi = np.where(cnt >= 3, cnt - 1, cnt)[..., None]
    keep = (ranks >= lo) & (ranks < hi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.where(keep, srt, 0.0).sum(axis=-1) / np.where(cnt > 0, (hi - lo)[..., 0], np.nan)


def _ensemble(point: np.ndarray, half: np.ndarray, names: list[str], group: _Group) -> None:
    """Ensemble = the trimmed mean (or median, mean) of the members' forecasts that exist, month by
    month; its half-widths the same of theirs (the calibration scales them; trimmed, one member's odd
    native interval cannot widen the ensemble's)."""
    members = [names.index(m) for m in group.members]
    je = names.index(group.ensemble)
    combine = {"trimmed": _trimmed_mean, "median": np.nanmedian, "mean": np.nanmean}[group.combine]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        point[:, je] = combine(point[:, members], axis=1)
        half[:, je] = combine(half[:, members], axis=1)


def _scores(res: _TierResult, cfg: ForecastConfig) -> np.ndarray:
    """What the rule ranks: backtest MASE, single models' multiplied by 1 + margin (inf: unavailable)."""
    err = np.where(np.isnan(res.error), np.inf, res.error)
    je = res.names.index(res.group.ensemble)
    if cfg.selection == "argmin":
        return err
    if cfg.selection == "ensemble":
        score = np.where(np.isfinite(err), 1e12 + err, np.inf)  # the ensemble unless it is unavailable
        score[:, je] = err[:, je]
        return score
    penalty = np.full(err.shape[1], 1.0 + cfg.margin)
    penalty[je] = 1.0
    return err * penalty[None, :]


def _select(res: _TierResult, cfg: ForecastConfig) -> tuple[np.ndarray, np.ndarray]:
    """Chosen candidate per series (lowest rule score; ties: candidate order, simplest first) and the
    runner-up: the other side of the rule's comparison (the best single model when the ensemble is
    kept, the ensemble when a single model replaced it), the second lowest error under 'argmin'."""
    score = _scores(res, cfg)
    order = np.argsort(score, axis=1, kind="stable")
    chosen = order[:, 0]
    err = np.where(np.isnan(res.error), np.inf, res.error)
    je = res.names.index(res.group.ensemble)
    raw = np.argsort(err, axis=1, kind="stable")
    runner = np.where(raw[:, 0] == chosen, raw[:, 1], raw[:, 0])
    if cfg.selection != "argmin":
        single = err.copy()
        single[:, je] = np.inf
        best_single = np.argmin(single, axis=1)
        runner = np.where(chosen == je, best_single, np.where(np.isfinite(err[:, je]), je, runner))
    return chosen, runner


def _num(v: float) -> str:
    return f"{v:.2f}" if abs(v) >= 0.1 or v == 0 else f"{v:.2g}"


def _selection_note(res: _TierResult, i: int, cfg: ForecastConfig) -> str:
    """Why series i has its model when the table alone would not say it."""
    names, je = res.names, res.names.index(res.group.ensemble)
    c, r = int(res.chosen[i]), int(res.runner[i])
    e, er = res.error[i, c], res.error[i, r]
    times = f"{1 + cfg.margin:g}×"
    if cfg.selection != "ensemble_default" or not np.isfinite(e):
        return ""
    if c == je and np.isfinite(er) and er < e:
        return (f"ensemble kept: no single model is {times} better on the backtest (best single model "
                f"{names[r]} {_num(er)}; it would need below {_num(e / (1 + cfg.margin))})")
    if c != je and r == je:
        return f"{names[c]} replaced the ensemble: {times} better on the backtest ({_num(e)} vs {_num(er)})"
    if c != je:
        return f"{names[c]}: the ensemble had no backtest error (its members could not be fitted)"
    return ""


# --------------------------------------------------------------------------------------------------
# calibration


def _calibration(res: _TierResult, min_count: int = 30) -> np.ndarray:
    """Interval factors (k, h, 2) per model, step and level from the pooled scaled backtest errors.

    z = |actual - forecast| / half-width (native half-width, or the MASE scale for models without
    intervals); the factor is the 80 % (95 %) quantile of z over all series and origins, smoothed
    across steps with a power law a * step^b (b in [-0.5, 1]), which also extrapolates it beyond
    the backtest span. With fewer than `min_count` errors per step one pooled factor is used.
    Only backtest windows are used (never the final forecast's months, which are never scored).
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
    engine: Any = None,
) -> ForecastRun:
    """Per-series model selection by rolling-origin backtest, forecast with calibrated 80/95 % intervals.

    history: item_id, period 'YYYY-MM', actual_units (long; gaps = 0 units after the item's first month).
    horizon: future 'YYYY-MM' periods after the last history month (all of them are forecast).
    progress(fraction, message) is called between stages with increasing fractions; should_cancel()
    is checked between stages and raises ForecastCancelled. The metric is MASE (module docstring).
    With return_candidates, `ForecastRun.candidates` holds every candidate's forecast and error.
    `engine` (a started planning.distributed.DaskEngine) runs the chunks on a Dask cluster instead of
    this machine's processes: the same chunks, the same results.
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
    has_demand = nonzero_months > 0
    is_full = has_demand & (panel.n_obs >= full_min)
    is_short = has_demand & (panel.n_obs >= MIN_SHORT) & ~is_full
    # the demand class (which candidate set a large run gives) from the months before the backtest's
    # first origin, like every other choice the backtest scores
    span = np.where(is_full, cfg.full_span, np.where(is_short, cfg.short_span, 0))
    before = np.arange(panel.Y.shape[1])[None, :] < panel.Y.shape[1] - span[:, None]
    nonzero_before = ((panel.Y > 0) & before).sum(axis=1)
    adi = np.where(nonzero_before > 0, np.maximum(panel.n_obs - span, 1) / np.maximum(nonzero_before, 1), np.inf)
    intermittent = adi >= cfg.intermittent_adi
    arima_search = "default" if int((is_full | is_short).sum()) <= cfg.full_search_max else "narrow"
    cfg, smooth, inter = _path(cfg, small=arima_search == "default")
    use_intermittent_set = intermittent & (arima_search == "narrow")
    done = [0]

    def tick(count: int) -> None:  # backtest: 1 unit per series, final refit: about 1 more
        done[0] += count
        report(0.05 + 0.9 * min(1.0, done[0] / (2 * total)), "backtesting and forecasting")

    report(0.05, f"forecasting {total:,} series")
    parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]] = []
    workers = max(1, int(n_jobs if n_jobs > 0 else (os.cpu_count() or 1)))
    if engine is not None:
        workers = engine.n_workers
    tiers, jobs = [], []
    for tier_mask, span, step, seasonal, tier in (
        (is_full, cfg.full_span, cfg.full_step, m > 1, "full"),
        (is_short, cfg.short_span, cfg.short_step, False, "short"),
    ):
        for group, cls_mask in ((smooth, ~use_intermittent_set), (inter, use_intermittent_set)):
            idx = np.nonzero(tier_mask & cls_mask)[0]
            if len(idx) == 0:
                continue
            tier_jobs = _tier_jobs(panel, idx, group, h=h, span=span, step=step, seasonal=seasonal,
                                   season_length=m, workers=workers, cfg=cfg)
            tiers.append((tier, group, idx, len(jobs), len(jobs) + len(tier_jobs)))
            jobs.extend(tier_jobs)
    results = _run_jobs(jobs, workers, tick, engine)
    for tier, group, idx, first, stop in tiers:
        res = _merge_chunks(results[first:stop])
        notes = _notes(tier, group if group is inter else None, panel.n_obs[idx], adi[idx], full_min)
        parts.append(_assemble_tier(res, panel.n_obs[idx], notes, steps_needed, horizon, return_candidates, cfg))
    tiny = np.nonzero(has_demand & (panel.n_obs < MIN_SHORT))[0]
    if len(tiny):
        report(0.05 + 0.9 * min(1.0, done[0] / (2 * total)), "forecasting short series")
        parts.append((*_run_tiny(panel, tiny, steps_needed, horizon), None))
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


def _path(cfg: ForecastConfig, *, small: bool) -> tuple[ForecastConfig, _Group, _Group]:
    """The settings and candidate sets (smooth, intermittent) of a small or a large run. A small run
    affords ARIMA's full search and CES, and gives intermittent series the smooth set too."""
    if small:
        cfg = replace(cfg, arima=cfg.arima_full)
        smooth = _group(cfg.smooth_members_small, cfg, arima=True)
    else:
        cfg = replace(cfg, final_fit_models={**cfg.large_final_fit_models, **cfg.final_fit_models})
        smooth = _group(cfg.smooth_members, cfg, arima=True)
    return cfg, smooth, _group(cfg.intermittent_members, cfg, arima=False)


def _notes(tier: str, group: _Group | None, n_obs: np.ndarray, adi: np.ndarray, full_min: int) -> list[list[str]]:
    """Why a series did not get the full candidate set (empty when it did); `group`: the intermittent set
    when the series got it."""
    members = ", ".join(SHORT_NAMES.get(m, m) for m in group.members) if group is not None else ""
    out: list[list[str]] = []
    for n, a in zip(n_obs, adi):
        parts = []
        if tier == "short":
            parts.append(f"short history: {n} months (seasonal models need {full_min}: 2 seasons + 12-month "
                         "backtest), so the models are non-seasonal")
        if group is not None:  # in a small run intermittent series get the full set too
            how = f"one month in {a:.1f} had demand" if np.isfinite(a) else "no demand"
            parts.append(f"intermittent demand ({how} before the backtest): AutoARIMA not used, "
                         f"ensemble of {members}")
        out.append(parts)
    return out


def _bounds(point: np.ndarray, half: np.ndarray) -> dict[str, np.ndarray]:
    """Clip to >= 0 and order lo95 <= lo80 <= forecast <= hi80 <= hi95."""
    f = np.maximum(point, 0.0)
    h80 = np.maximum(np.nan_to_num(half[..., 0], nan=0.0), 0.0)
    h95 = np.maximum(np.nan_to_num(half[..., 1], nan=0.0), h80)
    return {
        "forecast": f,
        "lo80": np.maximum(f - h80, 0.0),
        "hi80": f + h80,
        "lo95": np.maximum(f - h95, 0.0),
        "hi95": f + h95,
    }


def _usable_final(res: _TierResult, cols: np.ndarray, cfg: ForecastConfig) -> tuple[np.ndarray, list[str]]:
    """The chosen candidate per series, moved to the next one by the rule where its final forecast has
    missing months (said in the note); -1 where no candidate has a whole final forecast."""
    n = len(res.ids)
    finite = np.isfinite(res.point[:, :, -1, :][:, :, cols]).all(axis=2)  # (n, k)
    chosen = res.chosen.copy()
    extra = [""] * n
    bad = ~finite[np.arange(n), chosen]
    if bad.any():
        order = np.argsort(_scores(res, cfg), axis=1, kind="stable")
        for i in np.nonzero(bad)[0]:
            ok = [j for j in order[i] if finite[i, j] and np.isfinite(res.error[i, j])]
            ok = ok or [j for j in order[i] if finite[i, j]]
            was = res.names[chosen[i]]
            if ok:
                chosen[i] = ok[0]
                extra[i] = f"{was}'s forecast had missing months: {res.names[ok[0]]} used instead"
            else:
                chosen[i] = -1
                extra[i] = f"no candidate gave a whole forecast (the chosen {was} had none): fell back to naive"
    return chosen, extra


def _assemble_tier(
    res: _TierResult,
    n_obs: np.ndarray,
    notes: list[list[str]],
    steps_needed: np.ndarray,
    horizon: list[str],
    return_candidates: bool,
    cfg: ForecastConfig,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Calibrated intervals and output tables for one group of series."""
    n, k, n_w, h_cv = res.point.shape
    factors = _calibration(res)
    cols = steps_needed - 1
    chosen, missing = _usable_final(res, cols, cfg)
    final_point = res.point[:, :, -1, :][:, :, cols]  # (n, k, H)
    shape = res.half[:, :, -1, :, :][:, :, cols]  # (n, k, H, 2)
    shape = np.where(np.isfinite(shape), shape, res.scale[:, None, None, None])
    half = shape * factors[None, :, cols, :]
    rows = np.arange(n)
    pick = np.maximum(chosen, 0)
    point, hw = final_point[rows, pick], half[rows, pick]
    naive = chosen < 0
    if naive.any():  # the last month repeated, +-1 / 1.5 MASE scales times sqrt(step)
        point[naive] = res.last_y[naive, None]
        widths = np.stack([np.sqrt(cols + 1.0), 1.5 * np.sqrt(cols + 1.0)], axis=-1)
        hw[naive] = widths[None] * res.scale[naive, None, None]
    b = _bounds(point, hw)
    H = len(horizon)
    names = np.asarray(res.names, dtype=object)
    periods = np.asarray(horizon, dtype=object)
    model_names = np.where(naive, "Naive", names[pick])
    fc = pd.DataFrame(
        {
            "item_id": np.repeat(res.ids, H),
            "period": np.tile(periods, n),
            "model": np.repeat(model_names, H),
            **{key: v.ravel() for key, v in b.items()},
        }
    )
    note_text = []
    for i in range(n):
        why = _selection_note(res, i, cfg) if chosen[i] == res.chosen[i] else ""
        parts = [*notes[i], *(res.notes[i] if res.notes else []), missing[i], why]
        note_text.append("; ".join(p for p in parts if p))
    runner = np.where((chosen != res.chosen) & ~naive, res.chosen, res.runner)  # replaced: what was chosen
    md = pd.DataFrame(
        {
            "item_id": res.ids,
            "model": model_names,
            "error": np.where(naive, np.nan, res.error[rows, pick]),
            "runner_up": names[runner],
            "runner_up_error": res.error[rows, runner],
            "snaive_error": res.error[:, res.names.index(SNAIVE)],
            "n_obs": n_obs,
            "note": note_text,
        }
    )
    cand = None
    if return_candidates:
        bc = _bounds(final_point, half)  # (n, k, H); NaN where a candidate has no forecast
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
    panel: _Panel, idx: np.ndarray, steps_needed: np.ndarray, horizon: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series too short for a backtest: SES (>= 6 months) or the mean, native intervals."""
    from statsforecast.models import AutoETS, HistoricAverage

    h = int(steps_needed.max())
    ids = panel.ids[idx]
    n = len(ids)
    L = panel.Y.shape[1]
    point = np.zeros((n, h))
    half = np.full((n, h, 2), np.nan)
    name = np.empty(n, dtype=object)
    extra = [""] * n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r, i in enumerate(idx):
            y = panel.Y[i, L - int(panel.n_obs[i]):]
            name[r] = "SES" if len(y) >= 6 else "Mean"
            if name[r] == "SES":
                try:
                    point[r], half[r] = _predict(AutoETS(model="ANN", alias="SES").fit(y=y), h)
                    continue
                except Exception as exc:
                    name[r] = "Mean"
                    extra[r] = f"simple exponential smoothing could not be fitted ({_why(exc)}): the mean used"
            point[r], half[r] = _predict(HistoricAverage(alias="Mean").fit(y=y), h)
    point, half = point[:, steps_needed - 1], half[:, steps_needed - 1]
    # no backtest to calibrate on: native intervals, or +-100 % / 150 % of the forecast when unknown
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
    what = np.where(name == "SES", "simple exponential smoothing", "the mean of the months available")
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
                "; ".join(p for p in (f"only {v} months of history: no backtest possible (needs {MIN_SHORT}); "
                                      f"used {w}", x) if p)
                for v, w, x in zip(n_obs, what, extra)
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
    """Keep BLAS single-threaded (the module parallelises over series itself)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


__all__ = [
    "BASELINE",
    "ENSEMBLE",
    "ENSEMBLE_INTERMITTENT",
    "ENSEMBLE_SMALL",
    "NOTE_KINDS",
    "ForecastCancelled",
    "ForecastConfig",
    "ForecastRun",
    "baseline_forecast",
    "note_kinds",
    "statistical_forecast",
]
