"""Example actuals for a month after the history, for trying the cycle's roll forward on the sample company
(or any company): each item's same month last year × its growth over the last twelve months, with noise.
Deterministic for a given seed. Returned in the `history` layout the month's actuals upload reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.schema import index_to_period, period_to_index


def example_actuals(history: pd.DataFrame, month: str, *, seed: int = 11) -> pd.DataFrame:
    """item_id, period, actual_units, forecast_units (empty) for `month`."""
    idx = int(period_to_index([month])[0])
    last_year = index_to_period(np.array([idx - 12]))[0]
    recent = index_to_period(np.arange(idx - 12, idx))
    before = index_to_period(np.arange(idx - 24, idx - 12))
    h = history.assign(actual_units=history["actual_units"].astype(float))
    by_item = h.pivot_table(index="item_id", columns="period", values="actual_units", aggfunc="sum")
    ly = by_item.get(last_year, pd.Series(np.nan, index=by_item.index))
    growth = (by_item.reindex(columns=recent).sum(axis=1)
              / by_item.reindex(columns=before).sum(axis=1).replace(0, np.nan)).fillna(1.0).clip(0.7, 1.4)
    fallback = by_item.reindex(columns=recent).mean(axis=1)
    base = ly.fillna(fallback).fillna(0.0) * growth
    rng = np.random.default_rng(seed + idx)
    units = np.round(np.clip(base.to_numpy(float) * (1 + rng.normal(0, 0.12, len(base))), 0, None))
    return pd.DataFrame({"item_id": by_item.index.astype(str), "period": month, "actual_units": units,
                         "forecast_units": np.nan})


def example_actuals_csv(history: pd.DataFrame, month: str) -> str:
    df = example_actuals(history, month)
    return df[["item_id", "period", "actual_units"]].to_csv(index=False)
