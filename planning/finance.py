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

from planning.codes import left_positions
from planning.demand import RowKeys, family_period_sums, item_attribute, row_keys
from planning.model import Settings

FINANCE_COLUMNS = [
    "family", "period", "revenue", "revenue_unconstrained", "revenue_at_risk", "cogs", "gross_margin",
    "gross_margin_pct", "inventory_value",
]


def family_unit_cost(consensus: pd.DataFrame, items: pd.DataFrame, keys: RowKeys | None = None) -> pd.Series:
    """Demand-weighted unit cost per family (plain mean of item costs where demand is zero)."""
    cost = item_attribute(consensus, items, "unit_cost", keys)
    known = ~np.isnan(cost)  # the inner merge of old: rows of unknown items are left out
    units = consensus["consensus"].to_numpy(float)[known]
    sums = pd.DataFrame({"value": units * cost[known], "consensus": units})
    if keys is not None and keys.valid.all():  # grouped on the rows' family codes (sorted families), not text
        g = sums.groupby(keys.code[known] // max(len(keys.periods), 1), sort=True).sum()
        g.index = pd.Index(keys.families[g.index.to_numpy()], dtype=object)
    else:
        g = sums.groupby(consensus["family"].to_numpy()[known], sort=True).sum()
    plain = items.groupby("family")["unit_cost"].mean()
    weighted = g["value"] / g["consensus"].where(g["consensus"] > 0)
    return weighted.reindex(plain.index).fillna(plain)


PRICE_COLUMNS = ["level", "key", "period_from", "type", "value"]
PRICE_TYPES = ("percentage", "additive", "absolute")


def apply_price_changes(work: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """The unit price of each row of `work` (item_id, family, period, unit_price) after the price changes,
    in order: each hits the item (level 'item') or every item of the family (level 'family') from month
    `period_from` on, by `value` % ('percentage'), by `value` money per unit ('additive') or to `value`
    ('absolute'). Never below 0."""
    price = work["unit_price"].astype(float).to_numpy().copy()
    item = work["item_id"].astype(str).to_numpy()
    fam = work["family"].astype(str).to_numpy()
    period = work["period"].astype(str).to_numpy()
    for r in prices[PRICE_COLUMNS].itertuples(index=False):
        hit = (item if r.level == "item" else fam) == str(r.key)
        hit &= period >= str(r.period_from or "")
        v = float(r.value)
        if r.type == "percentage":
            price[hit] *= 1.0 + v / 100.0
        elif r.type == "additive":
            price[hit] += v
        else:
            price[hit] = v
    return pd.Series(np.maximum(price, 0.0), index=work.index)


def financials(
    consensus: pd.DataFrame, items: pd.DataFrame, supply: pd.DataFrame, settings: Settings,
    prices: pd.DataFrame | None = None,
    keys: RowKeys | None = None,
) -> pd.DataFrame:
    """financials.csv: per family and month, in money (columns FINANCE_COLUMNS). `prices`: price changes
    (PRICE_COLUMNS, a scenario's) applied in order to the items' unit prices (see `apply_price_changes`).
    `keys`: the consensus rows' `row_keys`, when the caller has them."""
    keys = keys if keys is not None else row_keys(consensus, items)
    units = consensus["consensus"].to_numpy(float)
    price = item_attribute(consensus, items, "unit_price", keys)
    if prices is not None and len(prices):
        work = consensus[["item_id", "family", "period"]].assign(unit_price=price)
        price = apply_price_changes(work, prices).to_numpy()
    money = family_period_sums(consensus, {"rev": units * price,
                                           "std_cost": units * item_attribute(consensus, items, "unit_cost", keys)},
                               keys)
    out = _with_money(supply[["family", "period", "demand", "shipped", "overtime", "outsource", "inventory_end"]],
                      money)
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
    unit_cost = family_unit_cost(consensus, items, keys)
    out["inventory_value"] = out["inventory_end"] * out["family"].map(unit_cost).fillna(0.0)
    return out[FINANCE_COLUMNS]


def _with_money(supply: pd.DataFrame, money: pd.DataFrame) -> pd.DataFrame:
    """`supply.merge(money, on=["family", "period"], how="left")` with rev and std_cost 0 where a family-month
    has no money row; paired on integer codes when the keys allow (`planning.codes.left_positions`)."""
    pos = left_positions([supply["family"].to_numpy(), supply["period"].to_numpy()],
                         [money["family"].to_numpy(), money["period"].to_numpy()])
    if pos is None or not isinstance(supply.index, pd.RangeIndex) or supply.index.start != 0 \
            or supply.index.step != 1 or any(money[c].dtype != np.float64 for c in ("rev", "std_cost")):
        out = supply.merge(money, on=["family", "period"], how="left")
        out[["rev", "std_cost"]] = out[["rev", "std_cost"]].fillna(0.0)
        return out
    out = supply.copy()
    for c in ("rev", "std_cost"):
        values = np.append(money[c].to_numpy(), np.nan)[pos]  # −1 (no money row) reads the NaN at the end
        out[c] = np.where(np.isnan(values), 0.0, values)
    return out


def family_summaries(fin: pd.DataFrame, periods: list[str], families: list[str] | None = None) -> pd.DataFrame:
    """Per family over `periods` (one row each; `families`, default every family of `fin` sorted), in one
    grouped pass: revenue, unconstrained revenue, revenue at risk, cogs, gross margin (and %), the last
    month's inventory value. A family without rows in those months gets zeros."""
    families = sorted(fin["family"].unique()) if families is None else families
    part = fin[fin["period"].isin(periods)]
    sums = (part.groupby("family")[["revenue", "revenue_unconstrained", "revenue_at_risk", "cogs"]].sum()
            .reindex(families, fill_value=0.0))
    last = part[part["period"] == max(periods)] if len(periods) else part
    out = sums.astype(float)
    out["gross_margin"] = out["revenue"] - out["cogs"]
    rev = out["revenue"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gross_margin_pct"] = np.where(rev != 0, out["gross_margin"].to_numpy(float) * 100.0 / rev, np.nan)
    out["inventory_value"] = last.groupby("family")["inventory_value"].sum().reindex(families, fill_value=0.0)
    return out.rename_axis("family").reset_index()


def period_summary(fin: pd.DataFrame, periods: list[str]) -> dict[str, float]:
    """Company totals over `periods`: revenue, cogs, gross margin (and %), ending inventory value."""
    whole = family_summaries(fin.assign(family="all"), periods, families=["all"])
    return {k: float(v) for k, v in whole.drop(columns="family").iloc[0].items()}


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


# ---------------------------------------------------------------------------- money against the budget

BUDGET_COMPARISON_COLUMNS = [
    "family", "period", "units", "budget_units", "price", "budget_price", "revenue", "budget_revenue",
    "revenue_variance", "revenue_variance_pct", "cogs", "budget_cogs", "cogs_variance", "gross_margin",
    "budget_gross_margin", "gross_margin_variance", "gross_margin_pct", "budget_gross_margin_pct",
    "inventory_value",
]
DRIVER_COLUMNS = [
    "revenue", "budget_revenue", "revenue_variance", "revenue_variance_pct", "volume", "price", "mix",
    "units", "budget_units", "cogs", "budget_cogs", "gross_margin", "budget_gross_margin", "gross_margin_pct",
    "budget_gross_margin_pct", "inventory_value",
]


def budget_comparison(
    fin: pd.DataFrame, supply: pd.DataFrame, budget: pd.DataFrame | None, unit_cost: pd.Series
) -> pd.DataFrame | None:
    """The plan against the budget per family and month of the budget that the plan covers
    (columns BUDGET_COMPARISON_COLUMNS), or None without a budget.

    Plan units are the units that ship (demand − lost sales); plan price = plan revenue / plan units;
    budget price = budget revenue / budget units (the plan's price where the budget has no units).
    Budget COGS = budget units × the family's standard unit cost (`family_unit_cost`), so the COGS
    variance is volume and the overtime/outsourcing premiums; budget gross margin = budget revenue −
    budget COGS. Variances are plan − budget (positive = above budget); % of the budget figure.
    """
    if budget is None or budget.empty:
        return None
    b = budget.copy()
    if "units" not in b:
        b["units"] = np.nan
    b = b.groupby(["family", "period"], as_index=False).agg(
        budget_revenue=("revenue", "sum"), budget_units=("units", lambda s: s.sum(min_count=1)))
    plan = fin[["family", "period", "revenue", "cogs", "gross_margin", "gross_margin_pct", "inventory_value"]].merge(
        supply[["family", "period", "shipped"]], on=["family", "period"], how="left")
    out = plan.merge(b, on=["family", "period"], how="inner").rename(columns={"shipped": "units"})
    units = out["units"].to_numpy(float)
    b_units = out["budget_units"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["price"] = np.where(units > 0, out["revenue"].to_numpy(float) / np.where(units > 0, units, 1.0), np.nan)
        b_price = np.where(b_units > 0, out["budget_revenue"].to_numpy(float) / np.where(b_units > 0, b_units, 1.0),
                           np.nan)
    out["budget_price"] = np.where(np.isnan(b_price), out["price"], b_price)
    out["budget_cogs"] = out["budget_units"] * out["family"].map(unit_cost).astype(float)
    out["budget_gross_margin"] = out["budget_revenue"] - out["budget_cogs"]
    out["revenue_variance"] = out["revenue"] - out["budget_revenue"]
    out["revenue_variance_pct"] = _pct(out["revenue_variance"], out["budget_revenue"])
    out["cogs_variance"] = out["cogs"] - out["budget_cogs"]
    out["gross_margin_variance"] = out["gross_margin"] - out["budget_gross_margin"]
    out["budget_gross_margin_pct"] = _pct(out["budget_gross_margin"], out["budget_revenue"])
    return out.sort_values(["family", "period"]).reset_index(drop=True)[BUDGET_COMPARISON_COLUMNS]


def _pct(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    n, d = np.asarray(num, float), np.asarray(den, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d != 0, n * 100.0 / np.where(d != 0, d, 1.0), np.nan)


def variance_drivers(comparison: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Revenue variance against budget split into volume, price and mix, summed up by `by` (e.g.
    ["family"], ["period"], or [] for the company total), as finance teams split it:

    - volume = (plan units − budget units) × budget average price, both summed over the group
      (budget average price = Σ budget revenue / Σ budget units of the group);
    - price  = Σ over the group's family-months of (plan price − budget price) × plan units;
    - mix    = the rest: revenue variance − volume − price = Σ plan units × budget price − Σ plan units ×
      budget average price, i.e. what the plan earns by selling more of the dearer (or cheaper)
      family-months than the budget's average.

    volume + price + mix = revenue variance, by construction. In one family-month mix is 0. Where the
    budget has no units the variance cannot be split: volume, price and mix are NaN.
    Also: units, COGS, gross margin (and %) and the inventory value at the end of the group's last month.
    """
    c = comparison.copy()
    c["_price_effect"] = (c["price"].fillna(0.0) - c["budget_price"].fillna(0.0)) * c["units"]
    c["_split"] = c["budget_units"].notna()
    sums = ["revenue", "budget_revenue", "units", "budget_units", "cogs", "budget_cogs", "gross_margin",
            "budget_gross_margin", "_price_effect"]
    keys = by or None
    if keys:
        g = c.groupby(keys, sort=True)
        out = g[sums].sum(min_count=1)
        out["_split"] = g["_split"].all()
        last = c.groupby(keys)["period"].transform("max") == c["period"]
        out["inventory_value"] = c[last].groupby(keys)["inventory_value"].sum()
        out = out.reset_index()
    else:
        out = pd.DataFrame([{**{k: c[k].sum(min_count=1) for k in sums}, "_split": bool(c["_split"].all())}])
        out["inventory_value"] = float(c.loc[c["period"] == c["period"].max(), "inventory_value"].sum()) \
            if len(c) else np.nan
    out["revenue_variance"] = out["revenue"] - out["budget_revenue"]
    out["revenue_variance_pct"] = _pct(out["revenue_variance"], out["budget_revenue"])
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = out["budget_revenue"] / out["budget_units"].where(out["budget_units"] > 0)
    volume = (out["units"] - out["budget_units"]) * avg.fillna(0.0)
    split = out["_split"].astype(bool)
    out["volume"] = np.where(split, volume, np.nan)
    out["price"] = np.where(split, out["_price_effect"], np.nan)
    out["mix"] = np.where(split, out["revenue_variance"] - volume - out["_price_effect"], np.nan)
    out["gross_margin_pct"] = _pct(out["gross_margin"], out["revenue"])
    out["budget_gross_margin_pct"] = _pct(out["budget_gross_margin"], out["budget_revenue"])
    return out[[*by, *DRIVER_COLUMNS]]


def working_capital(fin: pd.DataFrame, supply: pd.DataFrame, days_per_month: float = 30.4) -> pd.DataFrame:
    """Per month, company: inventory units and value at the month's end, COGS, and days of inventory =
    inventory value / (the month's COGS / days in a month) (money with money; NaN without COGS)."""
    f = fin.groupby("period", as_index=False)[["inventory_value", "cogs"]].sum()
    u = supply.groupby("period", as_index=False)["inventory_end"].sum().rename(columns={"inventory_end": "inventory_units"})
    out = f.merge(u, on="period", how="left")
    daily = out["cogs"].to_numpy(float) / days_per_month
    with np.errstate(divide="ignore", invalid="ignore"):
        out["days_of_inventory"] = np.where(daily > 0, out["inventory_value"].to_numpy(float) / np.where(
            daily > 0, daily, 1.0), np.nan)
    return out[["period", "inventory_units", "inventory_value", "cogs", "days_of_inventory"]]
