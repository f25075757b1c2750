"""Display shaping shared by several pages: pivots for tables, labels. Figures come from the engine;
these only arrange them (sums of units for a total row, pivoting months into columns)."""

from __future__ import annotations

import pandas as pd

from components import formats
from planning.finance import period_summary


def family_month_pivot(frame: pd.DataFrame, value: str, periods: list[str], with_quarter: bool = True,
                       index: str = "family") -> pd.DataFrame:
    """Rows = family, columns = periods (+ 'quarter' = sum of the given periods)."""
    part = frame[frame["period"].isin(periods)]
    pivot = part.pivot_table(index=index, columns="period", values=value, aggfunc="sum").reindex(columns=periods)
    if with_quarter:
        pivot["quarter"] = pivot[periods].sum(axis=1, min_count=1)
    return pivot


def _units_money(label: str, units: float, money) -> str:
    text = f"{label} {formats.integer(units)} units"
    return text if money is None or formats.is_missing(money) else f"{text} · {formats.money(money)}"


def supply_solution(row: dict) -> str:
    """How the supply plan covers a family-month, in units and money (from the optimizer's figures):
    "Overtime 1,000 units · $15,000".

    Short months list what closes the gap: overtime, outsourcing, stock (opening or built ahead; its
    holding cost is booked in the months it is held), lost sales. Months with spare capacity say so,
    and whether they build ahead for later (with that month's holding cost)."""
    gap = row.get("gap", 0) or 0
    built = (row.get("ending", 0) or 0) - (row.get("opening", 0) or 0)
    overtime, outsource, lost = (row.get(k, 0) or 0 for k in ("overtime", "outsource", "lost_sales"))
    parts = []
    if gap >= 0:
        parts.append("Within capacity")
        if built > 0.5:
            parts.append(f"build ahead +{formats.integer(built)} units")
            if (row.get("cost_holding") or 0) > 0.5:
                parts.append(f"holding {formats.money(row.get('cost_holding'))}")
    for label, units, key in (("overtime", overtime, "cost_overtime"), ("outsourcing", outsource, "cost_outsource")):
        if units > 0.5:
            parts.append(_units_money(label, units, row.get(key)))
    if gap < 0:
        from_stock = -gap - overtime - outsource - lost
        if from_stock > 0.5:
            parts.append(_units_money("from stock", from_stock, None) + " (built ahead or on hand)")
    if lost > 0.5:
        parts.append(_units_money("lost sales", lost, row.get("cost_lost_sales")))
    if not parts:
        return formats.DASH
    text = " · ".join(parts) if gap >= 0 else "; ".join(parts)
    return text[:1].upper() + text[1:]


def solution_cost(frame: pd.DataFrame) -> pd.Series:
    """What a month's solution costs: overtime + outsourcing + lost sales of the month, counting only the
    parts the solution names (more than half a unit), so the figure and the words agree."""
    total = pd.Series(0.0, index=frame.index)
    for units, cost in (("overtime", "cost_overtime"), ("outsource", "cost_outsource"),
                        ("lost_sales", "cost_lost_sales")):
        if cost in frame:
            total = total + frame[cost].where(frame[units] > 0.5, 0.0).fillna(0.0)
    return total


def constraints_frame(result, periods: list[str], only: pd.DataFrame | None = None) -> pd.DataFrame:
    """family_plan of `periods` with the supply plan's options and inventory movement beside it:
    `solution` in units and money, `solution_cost` (overtime + outsourcing + lost sales of the month)
    and `cost` (the month's whole term of the supply plan's cost, holding included). `only`: just these
    family-months (its `family` and `period` columns)."""
    fp = result.family_plan[result.family_plan["period"].isin(periods)]
    if only is not None:
        fp = fp.merge(only[["family", "period"]].drop_duplicates(), on=["family", "period"])
    money = [c for c in ("cost_overtime", "cost_outsource", "cost_holding", "cost_lost_sales")
             if c in result.supply_plan]
    sp = result.supply_plan[["family", "period", "overtime", "outsource", "lost_sales", "shipped", "cost", *money]]
    inv = result.inventory[["family", "period", "opening", "ending"]]
    out = fp.merge(sp, on=["family", "period"], how="left").merge(inv, on=["family", "period"], how="left")
    out = out.sort_values(["period", "family"]).reset_index(drop=True)
    out["solution"] = [supply_solution(r) for r in out.to_dict("records")]
    out["solution_cost"] = solution_cost(out)
    out["key"] = out["family"].astype(str) + "|" + out["period"].astype(str)
    return out


def decision_lines(items: list[dict]) -> list[dict]:
    """`services.decisions_needed` records worded for the panel: {kind, key, href, title, detail}."""
    out = []
    for it in items:
        if it["kind"] == "supply":
            title = f"Approve the supply solution for {it['family']} {it['period']}"
            detail = f"short {formats.integer(-(it.get('gap') or 0))} units: {supply_solution(it)}"
            costed = sum((it.get(k) or 0) > 0.5 for k in ("overtime", "outsource", "lost_sales"))
            if costed > 1:
                detail += f"; {formats.money(it.get('solution_cost'))} in all"
        elif it["kind"] == "budget":
            pct = it.get("revenue_variance_pct")
            title = f"{it['family']}: revenue {'above' if (it.get('revenue_variance') or 0) > 0 else 'below'} budget"
            detail = (f"plan {formats.money(it.get('revenue'))} vs budget {formats.money(it.get('budget_revenue'))}: "
                      f"{formats.money(it.get('revenue_variance'))} ({formats.percent(pct, 1, signed=True)}, "
                      f"beyond ±{formats.number(it.get('threshold_pct'), 0)} %)")
        else:
            title = f"Scenario “{it.get('name', '')}” waits for a decision"
            detail = " · ".join(str(x) for x in (it.get("owner"), it.get("description")) if x) or "promote or drop it"
        out.append({"kind": it["kind"], "key": it["key"], "href": it["href"], "title": title, "detail": detail})
    return out


FINANCE_LINES = [
    ("revenue", "Revenue", "money"),
    ("revenue_at_risk", "Revenue at risk", "money"),
    ("cogs", "COGS", "money"),
    ("gross_margin", "Gross margin", "money"),
    ("gross_margin_pct", "Gross margin %", "pct"),
    ("inventory_value", "Inventory value (end)", "money"),
]


def finance_summary(result, columns: list[tuple[str, str, list[str]]]) -> list[dict]:
    """Rows = money lines, columns = named period groups ({key: (label, periods)})."""
    sums = {key: period_summary(result.financials, periods) for key, _label, periods in columns}
    return [{"line": label, "metric": metric, "_kind": kind, **{key: sums[key][metric] for key in sums}}
            for metric, label, kind in FINANCE_LINES]


def _pct_change(new: float, old: float) -> float:
    return (new - old) * 100.0 / old if old and old > 0 and pd.notna(old) else float("nan")


def demand_vs_rows(comparison: pd.DataFrame, months: list[str],
                   limit: int | None = None) -> tuple[list[dict], dict]:
    """Rows of the dashboard's demand table from `planning.trends.plan_comparison`: per family the plan
    of each month, the quarter (their sum), and the quarter against last month's plan and last year's
    actuals in % (units summed over the same months; no figure when a month has none). Returns
    (family rows, total row).

    With more than `limit` families, the `limit - 1` largest by quarter volume get a row each
    (alphabetically) and the rest one row together, "Other N families"."""
    part = comparison[comparison["period"].isin(months)]

    def row(frame: pd.DataFrame, name: str) -> dict:
        plan = frame.groupby("period")["plan"].sum().reindex(months)
        out = {"family": name, **{m: plan[m] for m in months}, "quarter": plan.sum(min_count=1)}
        for col, key in (("last_month", "vs_last_month"), ("last_year", "vs_last_year")):
            by_month = frame.groupby("period")[col].sum(min_count=1).reindex(months)
            complete = frame.groupby("period")[col].apply(lambda s: s.notna().all()).reindex(months)
            known = bool(complete.fillna(False).all())
            out[f"{col}_quarter"] = by_month.sum() if known else float("nan")
            out[key] = _pct_change(out["quarter"], out[f"{col}_quarter"]) if known else float("nan")
        return out

    families = sorted(part["family"].unique())
    if limit is None or len(families) <= limit:
        return [row(g, fam) for fam, g in part.groupby("family", sort=True)], row(part, "Total")
    volume = part.groupby("family")["plan"].sum().reindex(families)
    top = set(volume.sort_values(ascending=False, kind="stable").index[: limit - 1])
    shown = part[part["family"].isin(top)]
    rest = part[~part["family"].isin(top)]
    rows = [row(g, fam) for fam, g in shown.groupby("family", sort=True)]
    rows.append(row(rest, f"Other {len(families) - len(top)} families"))
    return rows, row(part, "Total")
