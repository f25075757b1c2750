"""A synthetic company of any size, built with numpy alone (for benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning.model import CompanyData
from planning.periods import horizon_after


def synthetic_company(
    n_items: int = 10_000, n_families: int = 20, n_history: int = 36, n_horizon: int = 18,
    n_adjustments: int = 500, seed: int = 1, adjusted_share: float | None = None,
) -> CompanyData:
    """`n_items` items in `n_families` families, `n_history` months of history and an uploaded forecast
    of `n_horizon` months; capacity 85-125 % of each family-month's demand; `n_adjustments` demand
    adjustments (one in five on a family), or with `adjusted_share` as many as that share of the
    item-month cells of the horizon (0.05 = 5 % of cells adjusted)."""
    if adjusted_share is not None:
        n_adjustments = int(round(adjusted_share * n_items * n_horizon))
    rng = np.random.default_rng(seed)
    ids = np.array([f"SKU{i:05d}" for i in range(n_items)], dtype=object)
    fam_names = np.array([f"Family {f:02d}" for f in range(n_families)], dtype=object)
    fam = fam_names[np.arange(n_items) % n_families]
    price = rng.uniform(20, 500, n_items).round(2)
    items = pd.DataFrame({
        "item_id": ids, "family": fam, "unit_price": price, "unit_cost": (price * rng.uniform(0.45, 0.75, n_items)).round(2),
        "opening_inventory": rng.integers(0, 200, n_items).astype(float), "safety_days": np.nan, "description": "",
    })
    hist_periods = horizon_after("2022-12", n_history)
    level = rng.uniform(20, 300, n_items)
    t = np.arange(n_history)
    season = 1 + 0.2 * np.sin(2 * np.pi * (t % 12) / 12)
    actual = np.maximum(0, level[:, None] * season[None, :] * rng.normal(1, 0.15, (n_items, n_history))).round()
    forecast_hist = np.maximum(0, actual * rng.normal(1.02, 0.12, actual.shape)).round()
    history = pd.DataFrame({
        "item_id": np.repeat(ids, n_history), "period": np.tile(hist_periods, n_items),
        "actual_units": actual.reshape(-1), "forecast_units": forecast_hist.reshape(-1),
    })
    horizon = horizon_after(hist_periods[-1], n_horizon)
    fc_values = np.maximum(0, level[:, None] * rng.normal(1, 0.05, (n_items, n_horizon))).round()
    forecast = pd.DataFrame({
        "item_id": np.repeat(ids, n_horizon), "period": np.tile(horizon, n_items),
        "forecast_units": fc_values.reshape(-1), "lo80": np.nan, "hi80": np.nan,
    })
    fam_demand = pd.DataFrame({"family": np.repeat(fam, n_horizon), "period": np.tile(horizon, n_items),
                               "d": fc_values.reshape(-1)}).groupby(["family", "period"], as_index=False)["d"].sum()
    capacity = pd.DataFrame({
        "family": fam_demand["family"], "period": fam_demand["period"],
        "capacity_units": (fam_demand["d"] * rng.uniform(0.85, 1.25, len(fam_demand))).round(),
        "resource": "", "overtime_pct": np.nan,
    })
    fam_level = rng.random(n_adjustments) < 0.2
    kinds = np.array(["percentage", "additive", "absolute"], dtype=object)[rng.integers(0, 3, n_adjustments)]
    values = np.where(kinds == "percentage", rng.uniform(-20, 30, n_adjustments),
                      np.where(kinds == "additive", rng.uniform(-50, 100, n_adjustments),
                               rng.uniform(0, 400, n_adjustments))).round(1)
    adjustments = pd.DataFrame({
        "seq": np.arange(n_adjustments),
        "level": np.where(fam_level, "family", "item"),
        "key": np.where(fam_level, fam_names[rng.integers(0, n_families, n_adjustments)],
                        ids[rng.integers(0, n_items, n_adjustments)]),
        "period": np.array(horizon, dtype=object)[rng.integers(0, n_horizon, n_adjustments)],
        "type": kinds, "value": values, "reason": "bench", "owner": "bench",
        "created_at": pd.Timestamp("2025-12-01") + pd.to_timedelta(rng.integers(0, 86400 * 20, n_adjustments), "s"),
    })
    return CompanyData(items=items, history=history, capacity=capacity, forecast=forecast, adjustments=adjustments)


def known_noise_history(n: int = 300, months: int = 48, seed: int = 11, last: str = "2024-12") -> pd.DataFrame:
    """`n` monthly series with a known signal and known noise, as a history table (item_id, period,
    actual_units): level 100-1,000 with a gentle trend, a yearly season (amplitude 0-30 %) on two
    series in three, plus independent normal noise of 5-20 % of the level. The last months held out
    of a forecast are the test of its intervals: an 80 % interval should hold about 80 % of them."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    level = rng.uniform(100, 1000, n)
    trend = rng.normal(0, 0.004, n) * level
    amp = np.where(np.arange(n) % 3 == 2, 0.0, rng.uniform(0.0, 0.3, n))
    phase = rng.uniform(0, 2 * np.pi, n)
    signal = level[:, None] + trend[:, None] * t + amp[:, None] * level[:, None] * np.sin(
        2 * np.pi * t[None, :] / 12 + phase[:, None])
    noise = rng.normal(0, 1, (n, months)) * rng.uniform(0.05, 0.2, n)[:, None] * level[:, None]
    values = np.maximum(signal + noise, 0).round(1)
    periods = horizon_after(str(pd.Period(last, freq="M") - months), months)
    return pd.DataFrame({
        "item_id": np.repeat([f"N{i:04d}" for i in range(n)], months),
        "period": np.tile(periods, n),
        "actual_units": values.ravel(),
    })
