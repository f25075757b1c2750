"""The plan in money: revenue on shipped units, unconstrained revenue, COGS, margin,
inventory value, budget variance.

Prices and costs are per item while supply is planned per family, so a family's lost
sales are shared by its items pro rata to their demand: every item of a family ships the
same fraction (shipped / demand) of its demand in a month. COGS = shipped units × unit
cost + the overtime and outsourcing premiums the supply plan pays in that month.
Inventory is valued at the family's unit cost weighted by its demand over the horizon
(the plain mean of its items' costs when it has no demand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning.model import Settings

FINANCE_COLUMNS = [
    "family", "period", "revenue", "revenue_unconstrained", "revenue_at_risk", "cogs", "gross_margin",
    "gross_margin_pct", "inventory_value",
]


def family_unit_cost(consensus: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    """Demand-weighted unit cost per family (plain mean of item costs where demand is zero)."""
    work = consensus[["item_id", "family", "consensus"]].merge(items[["item_id", "unit_cost"]], on="item_id")
    work["value"] = work["consensus"] * work["unit_cost"]
    g = work.groupby("family")[["value", "consensus"]].sum()
    plain = items.groupby("family")["unit_cost"].mean()
    weighted = g["value"] / g["consensus"].where(g["consensus"] > 0)
    return weighted.reindex(plain.index).fillna(plain)


def financials(
    consensus: pd.DataFrame, items: pd.DataFrame, supply: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """financials.csv: per family and month, in money (columns FINANCE_COLUMNS)."""
    work = consensus[["item_id", "family", "period", "consensus"]].merge(
        items[["item_id", "unit_price", "unit_cost"]], on="item_id", how="left"
    )
    work["rev"] = work["consensus"] * work["unit_price"]
    work["std_cost"] = work["consensus"] * work["unit_cost"]
    money = work.groupby(["family", "period"], as_index=False)[["rev", "std_cost"]].sum()
    out = supply[["family", "period", "demand", "shipped", "overtime", "outsource", "inventory_end"]].merge(
        money, on=["family", "period"], how="left"
    )
    out[["rev", "std_cost"]] = out[["rev", "std_cost"]].fillna(0.0)
    d = out["demand"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(d > 0, out["shipped"].to_numpy(float) / np.where(d > 0, d, 1.0), 1.0)
    out["revenue_unconstrained"] = out["rev"]
    out["revenue"] = out["rev"] * fill
    out["revenue_at_risk"] = out["revenue_unconstrained"] - out["revenue"]
    out["cogs"] = (
        out["std_cost"] * fill
        + settings.cost_overtime * out["overtime"]
        + settings.cost_outsource * out["outsource"]
    )
    out["gross_margin"] = out["revenue"] - out["cogs"]
    rev = out["revenue"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gross_margin_pct"] = np.where(rev != 0, out["gross_margin"].to_numpy(float) * 100.0 / rev, np.nan)
    unit_cost = family_unit_cost(consensus, items)
    out["inventory_value"] = out["inventory_end"] * out["family"].map(unit_cost).fillna(0.0)
    return out[FINANCE_COLUMNS]


def period_summary(fin: pd.DataFrame, periods: list[str]) -> dict[str, float]:
    """Company totals over `periods`: revenue, cogs, gross margin (and %), ending inventory value."""
    part = fin[fin["period"].isin(periods)]
    revenue = float(part["revenue"].sum())
    cogs = float(part["cogs"].sum())
    last = part[part["period"] == max(periods)] if len(periods) else part
    return {
        "revenue": revenue,
        "revenue_unconstrained": float(part["revenue_unconstrained"].sum()),
        "revenue_at_risk": float(part["revenue_at_risk"].sum()),
        "cogs": cogs,
        "gross_margin": revenue - cogs,
        "gross_margin_pct": (revenue - cogs) * 100.0 / revenue if revenue else float("nan"),
        "inventory_value": float(last["inventory_value"].sum()),
    }


def budget_variance(fin: pd.DataFrame, budget: pd.DataFrame | None) -> pd.DataFrame | None:
    """Plan revenue against the uploaded budget per family and month."""
    if budget is None or budget.empty:
        return None
    b = budget.groupby(["family", "period"], as_index=False)["revenue"].sum().rename(columns={"revenue": "budget"})
    out = fin[["family", "period", "revenue"]].merge(b, on=["family", "period"], how="inner")
    out["variance"] = out["revenue"] - out["budget"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["variance_pct"] = np.where(out["budget"] != 0, out["variance"] * 100.0 / out["budget"], np.nan)
    return out
