"""KPIs of the S&OP process itself and of the optional operational uploads: pure pandas, no store.

- Plan stability: for each pair of successive approved plans (one per cycle, the cycle's last approved
  version), the consensus of a family for a month is compared between the two; the change is
  |new − old| / old × 100. Only the later plan's first `lags` months count (lag 1 = the later plan's first
  month). The KPI is the mean of those changes over family-months (lower = steadier plans).
- Agenda time kept: planned minutes / max(actual minutes, planned minutes) × 100 over the agenda items
  that were timed: 100 % when the meeting kept to (or finished inside) its time, less when it overran.
- Inventory accuracy: the share of counted items whose count is within `tolerance_pct` % of the recorded
  quantity (a recorded 0 needs a count of 0), per count period.
- Production attainment: Σ produced units / Σ planned units (the history's `forecast_units`, the plan made
  for the month) over the family-months that have both, × 100.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planning.periods import period_index, shift_period

STABILITY_COLUMNS = ["cycle_period", "family", "period", "lag", "previous", "consensus", "change_pct"]


def _last_approved(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Keep each cycle's last approved version only."""
    last = snapshots.groupby("cycle_period")["version_id"].transform("max")
    return snapshots[snapshots["version_id"] == last]


def plan_stability_changes(snapshots: pd.DataFrame, item_family: pd.Series, lags: int = 3) -> pd.DataFrame:
    """One row per cycle (the later of a successive pair), family and month at lag 1..`lags`, with the
    previous and new consensus and the absolute % change (NaN where the previous consensus was 0).

    `snapshots`: cycle_period, version_id, item_id, period, consensus (Store.plan_snapshots());
    `item_family`: family by item_id."""
    if snapshots is None or snapshots.empty:
        return pd.DataFrame(columns=STABILITY_COLUMNS)
    s = _last_approved(snapshots)
    s = s.assign(family=s["item_id"].map(item_family)).dropna(subset=["family"])
    fam = s.groupby(["cycle_period", "family", "period"], as_index=False)["consensus"].sum()
    cycles = sorted(fam["cycle_period"].unique())
    if len(cycles) < 2:
        return pd.DataFrame(columns=STABILITY_COLUMNS)
    previous_of = dict(zip(cycles[1:], cycles[:-1], strict=True))
    first = fam.groupby("cycle_period")["period"].min()
    new = fam[fam["cycle_period"].isin(previous_of)].copy()
    new["lag"] = period_index(new["period"]) - period_index(new["cycle_period"].map(first)) + 1
    new = new[(new["lag"] >= 1) & (new["lag"] <= lags)]
    new["previous_cycle"] = new["cycle_period"].map(previous_of)
    old = fam.rename(columns={"cycle_period": "previous_cycle", "consensus": "previous"})
    out = new.merge(old, on=["previous_cycle", "family", "period"], how="inner")
    prev = out["previous"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(prev > 0, np.abs(out["consensus"].to_numpy(float) - prev) * 100.0
                                     / np.where(prev > 0, prev, 1.0), np.nan)
    out["lag"] = out["lag"].astype(int)
    return out.sort_values(["cycle_period", "family", "period"]).reset_index(drop=True)[STABILITY_COLUMNS]


def plan_stability(changes: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """The mean absolute % change of `plan_stability_changes` by `by` (e.g. ["cycle_period"],
    ["cycle_period", "family"]) as column `plan_stability`."""
    by = by or ["cycle_period"]
    if changes is None or changes.empty:
        return pd.DataFrame(columns=[*by, "plan_stability"])
    return (changes.dropna(subset=["change_pct"]).groupby(by, as_index=False)["change_pct"].mean()
            .rename(columns={"change_pct": "plan_stability"}))


def agenda_time_kept(agenda: pd.DataFrame) -> pd.DataFrame:
    """Per cycle_id: planned and actual minutes of the timed agenda items and `agenda_time_kept_pct`.

    `agenda`: cycle_id, planned_minutes, actual_seconds (NaN = not timed)."""
    cols = ["cycle_id", "planned_minutes", "actual_minutes", "agenda_time_kept_pct"]
    if agenda is None or agenda.empty:
        return pd.DataFrame(columns=cols)
    a = agenda.dropna(subset=["actual_seconds"])
    if a.empty:
        return pd.DataFrame(columns=cols)
    a = a.assign(actual_minutes=a["actual_seconds"].astype(float) / 60.0)
    g = a.groupby("cycle_id", as_index=False)[["planned_minutes", "actual_minutes"]].sum()
    spent = np.maximum(g["actual_minutes"].to_numpy(float), g["planned_minutes"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        g["agenda_time_kept_pct"] = np.where(spent > 0, g["planned_minutes"].to_numpy(float) * 100.0
                                             / np.where(spent > 0, spent, 1.0), np.nan)
    return g[cols]


def inventory_accuracy(counts: pd.DataFrame | None, tolerance_pct: float = 2.0) -> pd.DataFrame:
    """Per count period: items counted, items within tolerance and `inventory_accuracy` (%).

    `counts`: item_id, period, counted, recorded."""
    cols = ["period", "items", "within", "inventory_accuracy"]
    if counts is None or counts.empty:
        return pd.DataFrame(columns=cols)
    rec = counts["recorded"].to_numpy(float)
    diff = np.abs(counts["counted"].to_numpy(float) - rec)
    within = diff <= np.abs(rec) * float(tolerance_pct) / 100.0 + 1e-9
    g = (counts.assign(within=within).groupby("period", as_index=False)
         .agg(items=("item_id", "size"), within=("within", "sum")))
    g["inventory_accuracy"] = g["within"] * 100.0 / g["items"]
    return g[cols]


def production_attainment(production: pd.DataFrame | None, history: pd.DataFrame,
                          item_family: pd.Series) -> pd.DataFrame:
    """Per period: produced units, planned units and `production_attainment` (%), over the family-months
    that have both production and a plan (the history's forecast_units summed per family)."""
    cols = ["period", "produced_units", "planned_units", "production_attainment"]
    if production is None or production.empty or history is None or history.empty:
        return pd.DataFrame(columns=cols)
    h = history.dropna(subset=["forecast_units"])
    h = h.assign(family=h["item_id"].map(item_family))
    plan = h.groupby(["family", "period"], as_index=False)["forecast_units"].sum()
    prod = production.groupby(["family", "period"], as_index=False)["produced_units"].sum()
    both = prod.merge(plan, on=["family", "period"], how="inner")
    if both.empty:
        return pd.DataFrame(columns=cols)
    g = both.groupby("period", as_index=False).agg(produced_units=("produced_units", "sum"),
                                                   planned_units=("forecast_units", "sum"))
    p = g["planned_units"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["production_attainment"] = np.where(p > 0, g["produced_units"].to_numpy(float) * 100.0
                                              / np.where(p > 0, p, 1.0), np.nan)
    return g[cols]


def gross_margin_vs_plan(comparison: pd.DataFrame | None) -> float:
    """Plan gross margin % − budget gross margin % (percentage points) over the family-months of the
    budget the plan covers (`planning.finance.budget_comparison`); NaN without a budget."""
    if comparison is None or comparison.empty:
        return math.nan
    rev, brev = comparison["revenue"].sum(), comparison["budget_revenue"].sum()
    if not rev or not brev:
        return math.nan
    return float(comparison["gross_margin"].sum() * 100.0 / rev
                 - comparison["budget_gross_margin"].sum() * 100.0 / brev)


def working_capital_days(wc: pd.DataFrame, periods: list[str]) -> float:
    """Days of inventory over `periods`: average inventory value / (Σ COGS / days), from
    `planning.finance.working_capital`'s rows (days = 30.4 × months, the rows' own convention is per
    month: the mean of the months' days_of_inventory)."""
    if wc is None or wc.empty:
        return math.nan
    w = wc[wc["period"].isin(periods)]["days_of_inventory"].dropna()
    return float(w.mean()) if len(w) else math.nan


def count_period_to_cycle(period: str) -> str:
    """A month's counts (or production) are reviewed in the cycle of the month after."""
    return shift_period(period, 1)
