"""Forecast history: accuracy by lag and forecast value added (FVA), from approved plans of past cycles.

Inputs
    snapshots  cycle_period, item_id, period, statistical, consensus[, owner]
               (one row per cell of each cycle's approved plan; `owner` = who adjusted the cell,
               '' / NaN when nobody did)
    actuals    item_id, period, actual_units
    items      item_id, family

Lag (the definition used everywhere here): the cycle period c is the first month that cycle
plans, so the forecast made in cycle c for period p has lag = months(p - c) + 1. The forecast
made in cycle 2025-07 for 2025-07 is lag 1, for 2025-08 lag 2, for 2025-09 lag 3. Periods
before the cycle (lag < 1) are not forecasts and are ignored.

Measures: MAPE, WAPE and bias % as SPEC Definitions has them, from `planning.measures` (e = F - A;
A = 0 periods are left out of MAPE and counted in n_zero). Family and total figures are computed
on units summed per family (or company) and period, never averaged from items. Only cells with
an actual are measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning.measures import measures

LAG_COLUMNS = [
    "level", "family", "lag", "n", "n_zero",
    "stat_mape", "stat_wape", "stat_bias_pct", "cons_mape", "cons_wape", "cons_bias_pct",
]
FVA_COLUMNS = ["level", "family", "owner", "n", "actual", "stat_wape", "cons_wape", "fva_pct"]


def _ordinal(periods: pd.Series) -> np.ndarray:
    return pd.PeriodIndex(periods.astype(str), freq="M").asi8


def _cells(snapshots: pd.DataFrame, actuals: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Snapshot cells joined with their actual and family, with the lag of each cell."""
    snap = snapshots.copy()
    for col in ("cycle_period", "item_id", "period"):
        snap[col] = snap[col].astype(str)
    if "owner" not in snap.columns:
        snap["owner"] = ""
    snap["owner"] = snap["owner"].fillna("").astype(str).str.strip()
    snap["lag"] = _ordinal(snap["period"]) - _ordinal(snap["cycle_period"]) + 1
    snap = snap[snap["lag"] >= 1]
    act = actuals[["item_id", "period", "actual_units"]].copy()
    act["item_id"] = act["item_id"].astype(str)
    act["period"] = act["period"].astype(str)
    act = act.groupby(["item_id", "period"], as_index=False)["actual_units"].sum()
    fam = items[["item_id", "family"]].copy()
    fam["item_id"] = fam["item_id"].astype(str)
    fam = fam.drop_duplicates("item_id")
    cells = snap.merge(act, on=["item_id", "period"], how="inner").merge(fam, on="item_id", how="left")
    cells["family"] = cells["family"].fillna("(no family)").astype(str)
    for col in ("statistical", "consensus", "actual_units"):
        cells[col] = pd.to_numeric(cells[col], errors="coerce").astype(float)
    return cells.dropna(subset=["statistical", "consensus", "actual_units"])


def _measures(g: pd.DataFrame, keys: list[str], prefix_cols: dict[str, str]) -> pd.DataFrame:
    """n, n_zero and prefix_ mape / wape / bias_pct per group `keys` of rows already summed per period."""
    cols: dict[str, np.ndarray] = {}
    for prefix, col in prefix_cols.items():
        m = measures(g, keys, col, "actual_units")
        cols.update({f"{prefix}_{name}": m[name].to_numpy() for name in ("mape", "wape", "bias_pct")})
    return m[[*keys, "n", "n_zero"]].assign(**cols)


def lag_accuracy(
    snapshots: pd.DataFrame, actuals: pd.DataFrame, items: pd.DataFrame, lags: tuple[int, ...] = (1, 2, 3)
) -> pd.DataFrame:
    """Accuracy of the statistical and consensus forecasts by lag, per family and in total.

    Rows: level ('family' | 'total'), family ('' for total), lag, n (periods measured), n_zero
    (periods with zero actual, left out of MAPE), stat_/cons_ mape, wape, bias_pct (percent).
    Each family (total) figure is computed on the units summed over its items per period.
    """
    cells = _cells(snapshots, actuals, items)
    cells = cells[cells["lag"].isin(list(lags))]
    if cells.empty:
        return pd.DataFrame(columns=LAG_COLUMNS)
    val = ["statistical", "consensus", "actual_units"]
    fam = cells.groupby(["family", "lag", "period"], as_index=False)[val].sum()
    tot = cells.groupby(["lag", "period"], as_index=False)[val].sum()
    cols = {"stat": "statistical", "cons": "consensus"}
    rf = _measures(fam, ["family", "lag"], cols).assign(level="family")
    rt = _measures(tot, ["lag"], cols).assign(level="total", family="")
    out = pd.concat([rf, rt], ignore_index=True)[LAG_COLUMNS]
    out["lag"] = out["lag"].astype(int)
    return out.sort_values(["level", "family", "lag"], ignore_index=True)


def forecast_value_added(
    snapshots: pd.DataFrame, actuals: pd.DataFrame, items: pd.DataFrame, lag: int | None = None
) -> pd.DataFrame:
    """Forecast value added: did the consensus adjustments beat the statistical forecast?

    fva_pct = stat_wape - cons_wape (positive = the adjustments helped), over all snapshot cells
    that have an actual (or only those of lag `lag`). Rows:
      * level 'family' / 'total': WAPE on units summed per family (company) and (cycle, period);
      * level 'owner': per owner, over the item cells that owner changed (rows with that owner),
        WAPE = sum |e| / sum A over those cells.
    n = number of (cycle, period) sums, or of cells for owners; actual = sum of the actuals measured.
    """
    cells = _cells(snapshots, actuals, items)
    if lag is not None:
        cells = cells[cells["lag"] == lag]
    if cells.empty:
        return pd.DataFrame(columns=FVA_COLUMNS)
    val = ["statistical", "consensus", "actual_units"]
    fam = cells.groupby(["family", "cycle_period", "period"], as_index=False)[val].sum()
    tot = cells.groupby(["cycle_period", "period"], as_index=False)[val].sum()
    own = cells[cells["owner"] != ""]

    def wape(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        stat = measures(frame, keys, "statistical", "actual_units")
        cons = measures(frame, keys, "consensus", "actual_units")
        res = stat[keys].copy()
        res["n"] = stat["n"].astype(int)
        res["actual"] = stat["sum_actual"].astype(float)
        res["stat_wape"] = stat["wape"].astype(float)
        res["cons_wape"] = cons["wape"].to_numpy(float)
        res["fva_pct"] = res["stat_wape"] - res["cons_wape"]
        return res

    parts = [
        wape(fam, ["family"]).assign(level="family", owner=""),
        wape(tot, []).assign(level="total", family="", owner=""),
    ]
    if not own.empty:
        parts.append(wape(own, ["owner"]).assign(level="owner", family=""))
    return pd.concat(parts, ignore_index=True)[FVA_COLUMNS]
