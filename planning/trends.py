"""Comparisons across time: the plan against last month's approved plan and last year's
actuals, and history-based KPIs month by month (for trend charts with target bands)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planning.measures import SUM_COLUMNS, error_sums, from_sums
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
    attainment over the 3 months ending at p (the same rules and `planning.measures` formulas
    as the KPI cards).

    `measured`: item_id, family, period, forecast, actual (planning.accuracy.measured_history).
    """
    cols = ["period", "mape", "bias_pct", "plan_attainment", "revenue_attainment"]
    if measured.empty:
        return pd.DataFrame(columns=cols)
    price = measured["item_id"].map(items.drop_duplicates("item_id").set_index("item_id")["unit_price"])
    m = measured.assign(f_money=measured["forecast"] * price, a_money=measured["actual"] * price)
    periods = sorted(m["period"].unique())
    fam = m.groupby(["family", "period"], as_index=False)[["forecast", "actual"]].sum()
    tot = m.groupby("period", as_index=False)[["forecast", "actual", "f_money", "a_money"]].sum()

    def rolled(frame: pd.DataFrame, months: int, f: str = "forecast", a: str = "actual") -> pd.DataFrame:
        """The measures of the `months` measured months ending at each period (sums rolled, then measured)."""
        sums = error_sums(frame, ["period"], f, a).set_index("period")[SUM_COLUMNS]
        return from_sums(sums.reindex(periods).fillna(0.0).rolling(months, min_periods=1).sum())

    out = pd.DataFrame({
        "period": periods,
        "mape": rolled(fam, 12)["mape"].to_numpy(),
        "bias_pct": rolled(tot, 12)["bias_pct"].to_numpy(),
        "plan_attainment": rolled(tot, 3)["attainment"].to_numpy(),
        "revenue_attainment": rolled(tot, 3, "f_money", "a_money")["attainment"].to_numpy(),
    })
    return out.tail(last_n).reset_index(drop=True)
