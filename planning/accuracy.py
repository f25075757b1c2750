"""Forecast accuracy on history: MAPE, WAPE, bias %, MAD, tracking signal.

Definitions (SPEC.md): e = F − A summed over the periods measured; MAPE is the mean of
|e| / A × 100 over periods with A > 0 (periods with A = 0 are left out and counted in
`n_zero`); WAPE = Σ|e| / ΣA × 100; bias % = Σe / ΣA × 100; MAD = mean |e|; tracking
signal = Σe / MAD (0 when MAD = 0). Family and total figures are computed from summed
units per period, never averaged from items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRIC_COLUMNS = ["n", "n_zero", "mape", "wape", "bias_pct", "mad", "tracking_signal"]
ACCURACY_COLUMNS = ["level", "item_id", "family", *METRIC_COLUMNS]


def error_metrics(frame: pd.DataFrame, by: list[str], f: str = "forecast", a: str = "actual") -> pd.DataFrame:
    """Accuracy metrics of `f` against `a` per group of `by` (one row per period inside a group).

    An empty `by` gives one row over the whole frame.
    """
    work = pd.DataFrame(
        {
            "e": frame[f].to_numpy(float) - frame[a].to_numpy(float),
            "a": frame[a].to_numpy(float),
        },
        index=frame.index,
    )
    work["abs_e"] = work["e"].abs()
    positive = work["a"] > 0
    work["ape"] = np.where(positive, work["abs_e"] / work["a"].where(positive, 1.0) * 100.0, np.nan)
    work["is_zero"] = (~positive).astype(int)
    keys = [frame[c] for c in by] if by else [pd.Series(0, index=frame.index)]
    g = work.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "n": g["e"].size(),
            "n_zero": g["is_zero"].sum(),
            "mape": g["ape"].mean(),
            "sum_abs_e": g["abs_e"].sum(),
            "sum_e": g["e"].sum(),
            "sum_a": g["a"].sum(),
            "mad": g["abs_e"].mean(),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        sum_a = out["sum_a"].where(out["sum_a"] != 0)
        out["wape"] = out["sum_abs_e"] / sum_a * 100.0
        out["bias_pct"] = out["sum_e"] / sum_a * 100.0
        out["tracking_signal"] = np.where(out["mad"] > 0, out["sum_e"] / out["mad"].where(out["mad"] > 0), 0.0)
    out = out.reset_index()
    if by:
        out.columns = [*by, *out.columns[len(by):]]
    else:
        out = out.drop(columns=out.columns[0])
    return out[[*by, *METRIC_COLUMNS]]


def measured_history(history: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """History rows that carry a forecast, with their family: item_id, family, period, forecast, actual."""
    rows = history[history["forecast_units"].notna()]
    family_of = items.drop_duplicates("item_id").set_index("item_id")["family"]
    return pd.DataFrame(
        {
            "item_id": rows["item_id"].to_numpy(),
            "family": rows["item_id"].map(family_of).to_numpy(),
            "period": rows["period"].to_numpy(),
            "forecast": rows["forecast_units"].to_numpy(float),
            "actual": rows["actual_units"].to_numpy(float),
        }
    )


def family_totals(measured: pd.DataFrame) -> pd.DataFrame:
    return measured.groupby(["family", "period"], as_index=False)[["forecast", "actual"]].sum()


def accuracy_table(history: pd.DataFrame, items: pd.DataFrame, measured: pd.DataFrame | None = None) -> pd.DataFrame:
    """The accuracy.csv table: item, family and total levels over rows with forecast_units."""
    measured = measured_history(history, items) if measured is None else measured
    if measured.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    item = error_metrics(measured, ["item_id", "family"])
    item.insert(0, "level", "item")
    family = error_metrics(family_totals(measured), ["family"])
    family.insert(0, "level", "family")
    family.insert(1, "item_id", "")
    totals = measured.groupby("period", as_index=False)[["forecast", "actual"]].sum()
    total = error_metrics(totals, [])
    total.insert(0, "level", "total")
    total.insert(1, "item_id", "")
    total.insert(2, "family", "")
    return pd.concat([item, family, total], ignore_index=True)[ACCURACY_COLUMNS]
