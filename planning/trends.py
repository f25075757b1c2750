"""Comparisons across time: the plan against last month's approved plan and last year's
actuals, and history-based KPIs month by month (for trend charts with target bands)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning.periods import shift_periods


def plan_comparison(
    consensus: pd.DataFrame,
    previous: pd.DataFrame | None,
    history: pd.DataFrame,
    items: pd.DataFrame,
) -> pd.DataFrame:
    """Family × period: plan (consensus), last_month (the previous cycle's approved consensus
    for the same month), last_year (actual units 12 months earlier) and the % differences.

    `previous`: item_id, period, consensus (a plan snapshot), or None.
    """
    plan = consensus.groupby(["family", "period"], as_index=False)["consensus"].sum().rename(
        columns={"consensus": "plan"})
    family_of = items.drop_duplicates("item_id").set_index("item_id")["family"]
    if previous is not None and len(previous):
        prev = previous.assign(family=previous["item_id"].map(family_of))
        prev = prev.groupby(["family", "period"], as_index=False)["consensus"].sum().rename(
            columns={"consensus": "last_month"})
        plan = plan.merge(prev, on=["family", "period"], how="left")
    else:
        plan["last_month"] = np.nan
    hist = history.assign(family=history["item_id"].map(family_of))
    ly = hist.groupby(["family", "period"], as_index=False)["actual_units"].sum()
    ly["period"] = shift_periods(ly["period"], 12)
    plan = plan.merge(ly.rename(columns={"actual_units": "last_year"}), on=["family", "period"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        plan["vs_last_month_pct"] = (plan["plan"] - plan["last_month"]) * 100.0 / plan["last_month"].where(
            plan["last_month"] > 0)
        plan["vs_last_year_pct"] = (plan["plan"] - plan["last_year"]) * 100.0 / plan["last_year"].where(
            plan["last_year"] > 0)
    return plan


def history_kpi_trend(measured: pd.DataFrame, items: pd.DataFrame, last_n: int = 12) -> pd.DataFrame:
    """For each of the last `last_n` measured months p: MAPE of family totals over the 12
    months ending at p, bias % of the company total over those months, plan and revenue
    attainment over the 3 months ending at p (the same rules as the KPI cards).

    `measured`: item_id, family, period, forecast, actual (planning.accuracy.measured_history).
    """
    cols = ["period", "mape", "bias_pct", "plan_attainment", "revenue_attainment"]
    if measured.empty:
        return pd.DataFrame(columns=cols)
    price = measured["item_id"].map(items.drop_duplicates("item_id").set_index("item_id")["unit_price"])
    m = measured.assign(f_money=measured["forecast"] * price, a_money=measured["actual"] * price)
    periods = sorted(m["period"].unique())
    fam = m.groupby(["family", "period"])[["forecast", "actual"]].sum()
    f = fam["forecast"].unstack("family").reindex(periods)
    a = fam["actual"].unstack("family").reindex(periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = ((f - a).abs() / a.where(a > 0)) * 100.0  # NaN where A = 0 or the family has no row
    ape_sum = ape.sum(axis=1, min_count=1).fillna(0.0).rolling(12, min_periods=1).sum()
    ape_n = ape.notna().sum(axis=1).rolling(12, min_periods=1).sum()
    tot = m.groupby("period")[["forecast", "actual", "f_money", "a_money"]].sum().reindex(periods)
    e12 = (tot["forecast"] - tot["actual"]).rolling(12, min_periods=1).sum()
    a12 = tot["actual"].rolling(12, min_periods=1).sum()
    r3 = tot.rolling(3, min_periods=1).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "period": periods,
            "mape": (ape_sum / ape_n.where(ape_n > 0)).to_numpy(),
            "bias_pct": (e12 * 100.0 / a12.where(a12 != 0)).to_numpy(),
            "plan_attainment": (r3["actual"] * 100.0 / r3["forecast"].where(r3["forecast"] != 0)).to_numpy(),
            "revenue_attainment": (r3["a_money"] * 100.0 / r3["f_money"].where(r3["f_money"] != 0)).to_numpy(),
        })
    return out.tail(last_n).reset_index(drop=True)
