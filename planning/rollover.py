"""Rolling the plan forward one month when a cycle closes and the month's actuals arrive.

Cycle P (its horizon starts at month P) is closed with an approved plan. The next cycle, P+1, plans
from the same company data with:

- history: the old history plus the actuals of month P (the month just lived);
- opening inventory per item: what the approved plan said would be on hand after month P, with the
  real sales instead of the planned ones: opening + supply of P − actual of P (never below zero). The
  family's planned supply of P (regular + overtime + outsourcing) is split over its items by their share
  of the family's consensus in P (equal shares when the family had no consensus);
- capacity: the approved version's capacity (grid changes included) for the months still ahead, the new
  last month of the horizon copied from the month before it unless the actuals bring capacity rows
  (which replace the months they name);
- adjustments: the approved plan's active adjustments for months after P carry over (the planners'
  judgement is not lost), in their order;
- an uploaded forecast keeps its months after P; a computed one is made again on the new history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.model import ADJUSTMENT_COLUMNS, CAPACITY_COLUMNS, HISTORY_COLUMNS, CompanyData
from planning.periods import horizon_after


@dataclass
class Rolled:
    """The next cycle's company data and what the roll did that a planner should know."""

    data: CompanyData
    period: str  # the new cycle's first month (P+1)
    notes: list[str] = field(default_factory=list)


def next_month(period: str) -> str:
    return horizon_after(period, 1)[0]


def rolled_opening_inventory(items: pd.DataFrame, consensus: pd.DataFrame, supply_plan: pd.DataFrame,
                             actuals: pd.DataFrame, month: str) -> pd.Series:
    """Opening inventory per item (indexed by item_id) after `month`: opening + planned supply − actual."""
    item_ids = items["item_id"].astype(str)
    opening = items.set_index("item_id")["opening_inventory"].astype(float).fillna(0.0)
    cons = consensus[consensus["period"] == month].groupby("item_id")["consensus"].sum()
    cons = cons.reindex(item_ids, fill_value=0.0).clip(lower=0.0)
    family = items.set_index("item_id")["family"]
    fam_total = cons.groupby(family).transform("sum")
    fam_size = cons.groupby(family).transform("size")
    share = np.where(fam_total > 0, cons / fam_total.where(fam_total > 0, 1.0), 1.0 / fam_size)
    sp = supply_plan[supply_plan["period"] == month].set_index("family")
    made = (sp["regular"] + sp["overtime"] + sp["outsource"]) if len(sp) else pd.Series(dtype=float)
    supply = family.map(made).fillna(0.0).to_numpy(float) * share
    sold = actuals.groupby("item_id")["actual_units"].sum().reindex(item_ids, fill_value=0.0)
    after = opening.reindex(item_ids).to_numpy(float) + supply - sold.to_numpy(float)
    return pd.Series(np.round(np.clip(after, 0.0, None), 6), index=item_ids)


def roll_capacity(capacity: pd.DataFrame, new_horizon: list[str], given: pd.DataFrame | None) -> tuple[
        pd.DataFrame, list[str]]:
    """Capacity for `new_horizon`: the given rows where they exist, else the stored ones, and a month no one
    gave copied from the latest month before it (per family and resource). Returns (capacity, notes)."""
    notes: list[str] = []
    cap = capacity[capacity["period"].isin(new_horizon)].copy()
    if given is not None and len(given):
        named = set(zip(given["family"], given["period"]))
        keep = [(f, p) not in named for f, p in zip(cap["family"], cap["period"])]
        cap = pd.concat([cap[keep], given[CAPACITY_COLUMNS]], ignore_index=True)
    missing_months = [p for p in new_horizon if p not in set(cap["period"])]
    if missing_months:
        for month in missing_months:  # from the latest month before it, as given or as stored
            source = pd.concat([capacity[capacity["period"] < new_horizon[0]], cap], ignore_index=True)
            earlier = source[source["period"] < month]
            if earlier.empty:
                continue
            last = earlier[earlier["period"] == earlier["period"].max()]
            cap = pd.concat([cap, last.assign(period=month)], ignore_index=True)
            fams = ", ".join(sorted(last["family"].astype(str).unique()))
            notes.append(f"capacity for {month} copied from {last['period'].iloc[0]} ({fams}); upload capacity "
                         "rows or change it on 3 Supply")
    cap = cap.sort_values(["family", "period", "resource"], kind="stable").reset_index(drop=True)
    return cap[CAPACITY_COLUMNS], notes


def carried_adjustments(adjustments: pd.DataFrame, first_month: str) -> pd.DataFrame:
    """The active adjustments for months from `first_month` on, renumbered in their order."""
    adj = adjustments[adjustments["period"].astype(str) >= first_month]
    adj = adj.sort_values("seq", kind="stable").reset_index(drop=True)
    return adj.assign(seq=np.arange(len(adj), dtype="int64"))[ADJUSTMENT_COLUMNS]


def roll_forward(data: CompanyData, *, month: str, actuals: pd.DataFrame, consensus: pd.DataFrame,
                 supply_plan: pd.DataFrame, horizon_len: int, capacity: pd.DataFrame | None = None,
                 uploaded_forecast: pd.DataFrame | None = None) -> Rolled:
    """The next cycle's data from cycle `month`'s data (its approved version's adjustments and capacity),
    the approved plan's consensus and supply plan, and the month's actuals (item_id, period, actual_units,
    forecast_units). `capacity`: capacity rows brought with the actuals (or None)."""
    nxt = next_month(month)
    notes: list[str] = []
    hist = pd.concat([data.history[data.history["period"] != month], actuals[HISTORY_COLUMNS]],
                     ignore_index=True).sort_values(["item_id", "period"], kind="stable").reset_index(drop=True)
    missing = sorted(set(data.items["item_id"]) - set(actuals["item_id"]))
    if missing:
        zero = pd.DataFrame({"item_id": missing, "period": month, "actual_units": 0.0, "forecast_units": np.nan})
        hist = pd.concat([hist, zero], ignore_index=True).sort_values(["item_id", "period"], kind="stable")
        hist = hist.reset_index(drop=True)
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        notes.append(f"no actuals for {len(missing)} item(s) in {month} ({shown}): counted as 0 sold")
    opening = rolled_opening_inventory(data.items, consensus, supply_plan, actuals, month)
    items = data.items.assign(opening_inventory=data.items["item_id"].map(opening).fillna(0.0).to_numpy(float))
    new_horizon = [nxt, *horizon_after(nxt, horizon_len - 1)]
    cap, cap_notes = roll_capacity(data.capacity, new_horizon, capacity)
    notes += cap_notes
    forecast = None
    if uploaded_forecast is not None and len(uploaded_forecast):
        forecast = uploaded_forecast[uploaded_forecast["period"].astype(str) >= nxt].reset_index(drop=True)
        if forecast.empty:
            forecast = None
            notes.append("the uploaded forecast has no month after the closed cycle: the statistical forecast "
                         "is made again")
        else:
            notes.append(f"the uploaded forecast's months from {nxt} on are kept; upload a new forecast to "
                         "extend it")
    adj = carried_adjustments(data.adjustments, nxt)
    if len(adj):
        notes.append(f"{len(adj)} adjustment(s) of the approved plan for months from {nxt} on carried over")
    rolled = data.with_(history=hist, items=items, capacity=cap, forecast=forecast, adjustments=adj)
    return Rolled(rolled, nxt, notes)
