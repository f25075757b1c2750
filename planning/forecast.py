"""Statistical forecasting step (SPEC Step 1): candidate models, backtest selection, intervals.

Work in progress: `baseline_forecast` and `horizon_after` are final; `statistical_forecast`
currently returns the baseline and will be replaced by the statsforecast selection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

BASELINE = "baseline_ma3_trend"
FORECAST_COLUMNS = ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
MODEL_COLUMNS = ["item_id", "model", "error", "runner_up", "runner_up_error", "snaive_error", "n_obs", "note"]

Progress = Callable[[float, str], None]
ShouldCancel = Callable[[], bool]


class ForecastCancelled(Exception):
    """Raised by `statistical_forecast` when `should_cancel()` returns True."""


@dataclass
class ForecastRun:
    """Result of `statistical_forecast`."""

    forecast: pd.DataFrame
    models: pd.DataFrame
    metric: str = "MASE"


def horizon_after(last_period: str, n: int) -> list[str]:
    """The `n` 'YYYY-MM' periods following `last_period`."""
    start = pd.Period(last_period, freq="M")
    return [str(start + i) for i in range(1, n + 1)]


def baseline_forecast(history: pd.DataFrame, horizon: list[str]) -> pd.DataFrame:
    """The reference "3-month average plus trend" per item (vectorized).

    recent = mean of the last 3 actuals, older = mean of the 3 before, trend = (recent - older) / 3,
    forecast_i = max(0, recent + trend * i). With < 6 months trend is 0; with < 3 months recent is
    the mean of what exists. Intervals are NaN.
    """
    h = len(horizon)
    if history.empty or h == 0:
        return pd.DataFrame(columns=["item_id", "period", "model", "forecast", "lo80", "hi80"])
    df = history[["item_id", "period", "actual_units"]].sort_values(["item_id", "period"])
    df = df.assign(actual_units=df["actual_units"].astype(float).fillna(0.0))
    df["k"] = df.groupby("item_id").cumcount(ascending=False)  # 0 = last month
    last3 = df[df["k"] < 3].groupby("item_id")["actual_units"].mean()
    prev3 = df[(df["k"] >= 3) & (df["k"] < 6)]
    n_prev = prev3.groupby("item_id")["actual_units"].count()
    older = prev3.groupby("item_id")["actual_units"].mean()
    trend = ((last3 - older.reindex(last3.index)) / 3.0).where(n_prev.reindex(last3.index) == 3, 0.0)
    trend = trend.fillna(0.0)
    steps = np.arange(1, h + 1, dtype=float)
    values = np.maximum(0.0, last3.to_numpy()[:, None] + trend.to_numpy()[:, None] * steps[None, :])
    n_items = len(last3)
    return pd.DataFrame(
        {
            "item_id": np.repeat(last3.index.to_numpy(), h),
            "period": np.tile(np.asarray(horizon, dtype=object), n_items),
            "model": BASELINE,
            "forecast": values.ravel(),
            "lo80": np.nan,
            "hi80": np.nan,
        }
    )


def statistical_forecast(
    history: pd.DataFrame,
    horizon: list[str],
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    n_jobs: int = 1,
    season_length: int = 12,
) -> ForecastRun:
    """Placeholder: baseline forecast with the final output schema (replaced shortly)."""
    if should_cancel is not None and should_cancel():
        raise ForecastCancelled()
    fc = baseline_forecast(history, horizon)
    fc["lo80"] = fc["forecast"]
    fc["hi80"] = fc["forecast"]
    fc["lo95"] = fc["forecast"]
    fc["hi95"] = fc["forecast"]
    n_obs = history.groupby("item_id")["period"].count()
    models = pd.DataFrame({"item_id": n_obs.index, "model": BASELINE, "error": np.nan, "runner_up": "",
                           "runner_up_error": np.nan, "snaive_error": np.nan, "n_obs": n_obs.to_numpy(),
                           "note": "placeholder"})
    if progress is not None:
        progress(1.0, "done")
    return ForecastRun(forecast=fc[FORECAST_COLUMNS], models=models[MODEL_COLUMNS], metric="MASE")
