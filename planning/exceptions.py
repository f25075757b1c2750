"""Exceptions a demand planner must look at, one row per finding.

- forecast_change: the statistical forecast moves more than `mom_change_pct` % from one
  horizon month to the next (value = the change in %; months after a zero are skipped);
- tracking_signal: |tracking signal| above the limit (default 4) over the item's history;
- mape: item MAPE above the item target (default 30 %);
- bias: item bias % outside ±`bias_limit_pct`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning.model import Settings

EXCEPTION_COLUMNS = ["item_id", "family", "period", "kind", "value", "threshold"]


def find_exceptions(
    statistical: pd.DataFrame, accuracy: pd.DataFrame, last_measured: str | None, settings: Settings,
    *, codes: tuple[np.ndarray, np.ndarray] | None = None, order: np.ndarray | None = None,
) -> pd.DataFrame:
    """`statistical`: item_id, family, period, statistical (other columns are not read); `accuracy`: the
    accuracy table. `codes`: integer (item, period) keys of `statistical`'s rows that sort as the text does,
    when the caller has them; `order`: the stable order that sorts the rows by those keys, likewise."""
    # sorted by item and month, and each row's previous month of the same item (integer codes: the same
    # order and values as sort_values + groupby().shift(), without sorting text)
    if codes is not None:
        item_code, period_code = codes
    else:
        item_code, _ = pd.factorize(statistical["item_id"], sort=True)
        period_code, _ = pd.factorize(statistical["period"], sort=True)
    if order is None and len(item_code) and item_code.min() >= 0 and period_code.min() >= 0:
        # one combined key: the same order as lexsort; its stable sort (timsort) is quick on the runs of
        # ascending keys a family-sorted grid has (items in id order within each family)
        key = item_code.astype(np.int64) * (int(period_code.max()) + 1) + period_code
        order = np.argsort(key, kind="stable")
    elif order is None:
        order = np.lexsort((period_code, item_code))
    values = statistical["statistical"].to_numpy(float)[order]
    sorted_items = item_code[order]
    same_item = np.r_[False, sorted_items[1:] == sorted_items[:-1]] & (sorted_items >= 0)
    prev = np.where(same_item, np.r_[np.nan, values[:-1]], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = (values - prev) * 100.0 / np.where(prev > 0, prev, np.nan)
    hit = np.abs(change) > settings.mom_change_pct
    # only the rows that change enough are taken out of the table (in item, month order)
    changes = statistical.iloc[order[hit]][["item_id", "family", "period"]].reset_index(drop=True)
    changes["kind"] = "forecast_change"
    changes["value"] = change[hit]
    changes["threshold"] = settings.mom_change_pct
    item = accuracy[accuracy["level"] == "item"]
    frames = [changes]
    for kind, col, limit in [
        ("tracking_signal", "tracking_signal", settings.tracking_signal_limit),
        ("mape", "mape", settings.item_mape_target),
        ("bias", "bias_pct", settings.bias_limit_pct),
    ]:
        bad = item[item[col].abs() > limit] if kind != "mape" else item[item[col] > limit]
        frames.append(pd.DataFrame({
            "item_id": bad["item_id"], "family": bad["family"], "period": last_measured or "",
            "kind": kind, "value": bad[col], "threshold": limit,
        }))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[EXCEPTION_COLUMNS]
