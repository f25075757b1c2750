"""Forecast accuracy on history: MAPE, WAPE, bias %, MAD, tracking signal.

Definitions (SPEC.md): e = F − A summed over the periods measured; MAPE is the mean of
|e| / A × 100 over periods with A > 0 (periods with A = 0 are left out and counted in
`n_zero`); WAPE = Σ|e| / ΣA × 100; bias % = Σe / ΣA × 100; MAD = mean |e|; tracking
signal = Σe / MAD (0 when MAD = 0). Family and total figures are computed from summed
units per period, never averaged from items. The formulas live in `planning.measures`.
"""

from __future__ import annotations

import pandas as pd

from planning.demand import family_period_sums
from planning.measures import MEASURE_COLUMNS, measures

METRIC_COLUMNS = MEASURE_COLUMNS
ACCURACY_COLUMNS = ["level", "item_id", "family", *METRIC_COLUMNS]


def error_metrics(frame: pd.DataFrame, by: list[str], f: str = "forecast", a: str = "actual") -> pd.DataFrame:
    """Accuracy metrics of `f` against `a` per group of `by` (one row per period inside a group).

    An empty `by` gives one row over the whole frame. The formulas are `planning.measures`.
    """
    return measures(frame, by, f, a)[[*by, *METRIC_COLUMNS]]


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
    """Forecast and actual summed per family and period (sorted; rows without a family left out)."""
    return family_period_sums(measured, {"forecast": measured["forecast"].to_numpy(float),
                                         "actual": measured["actual"].to_numpy(float)})


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
