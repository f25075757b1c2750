"""Scenarios as plans: named variants of a company's data computed by the same engine, side by side, scored.

A `Scenario` is what changes against the data it starts from, all optional:
- `adjustments` (engine layout) applied *after* the data's own, by the same rules (composition in order);
- `capacity` rows (family, period, capacity_units[, resource]) that replace the rows of the same family and
  period (all of that family-month's resources);
- `settings`: overrides of `Settings` fields (option costs, the overtime cap, ...);
- `prices`: price changes (per item or family, by %, by money per unit or to a price, from a month on),
  applied to the items' unit prices in the plan's money (revenue, margin);
- `capacity_cost`: money per unit of capacity added over the data's own (what a second shift costs; the
  capacity is bought whether used or not, so it is a fixed cost outside the least-cost supply plan).

`compute_scenarios` computes several scenarios in one pass: what depends on history alone (accuracy,
history KPIs), the statistical forecast and the exceptions on it are computed once and shared, and so is the
consensus of scenarios that keep the data's adjustments; each scenario then runs the plan's chain (consensus → family plan → LP supply plan → inventory → money → KPIs). The result of each
is exactly what `compute_plan` gives for that scenario alone.

Scoring (`score`): each compared scenario gets three scores between 0 and 1
- service: the fill rate (units shipped / units demanded over the horizon), 1 = everything ships;
- cost: total cost (supply plan cost + added capacity cost) min-max across the compared scenarios:
  (highest − this) / (highest − lowest), 1 for the cheapest, 0 for the dearest, 1 for all when equal;
- feasibility: the share of the scenario's constrained family-months (demand above capacity) that its
  supply plan closes without lost sales (1 when none is constrained);
and a total = the weighted mean with the settings' scenario weights (service, cost, feasibility).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from planning.cycle import compute_plan, history_view
from planning.finance import PRICE_COLUMNS
from planning.model import ADJUSTMENT_COLUMNS, CompanyData, Settings, empty_adjustments
from planning.result import PlanResult

BASE = "Base plan"


@dataclass
class Scenario:
    name: str
    adjustments: pd.DataFrame | None = None
    capacity: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)
    capacity_cost: float = 0.0
    prices: pd.DataFrame | None = None  # price changes (planning.finance.PRICE_COLUMNS), after the data's own
    description: str = ""
    kind: str = "scenario"  # scenario | outlook (built-in upside/downside: demand outlooks, not choices)


# ---------------------------------------------------------------------------- applying a scenario


def apply_scenario(data: CompanyData, settings: Settings, sc: Scenario) -> tuple[CompanyData, Settings]:
    """The data and settings of a scenario started from `data` and `settings`."""
    out = data
    if sc.adjustments is not None and len(sc.adjustments):
        own = data.adjustments if data.adjustments is not None and len(data.adjustments) else empty_adjustments()
        extra = sc.adjustments.reindex(columns=ADJUSTMENT_COLUMNS).copy()
        extra["seq"] = np.arange(len(own), len(own) + len(extra), dtype="int64")
        extra["created_at"] = pd.to_datetime(extra["created_at"]).astype("datetime64[ns]")
        both = pd.concat([own[ADJUSTMENT_COLUMNS], extra], ignore_index=True) if len(own) else extra
        out = out.with_(adjustments=both.astype({"seq": "int64", "value": "float64"}))
    if sc.capacity is not None and len(sc.capacity):
        out = out.with_(capacity=replace_capacity(data.capacity, sc.capacity))
    if sc.prices is not None and len(sc.prices):
        own = [data.prices] if data.prices is not None and len(data.prices) else []
        out = out.with_(prices=pd.concat([*own, sc.prices[PRICE_COLUMNS]], ignore_index=True))
    if sc.settings:
        changes = dict(sc.settings)
        if "targets" in changes:  # targets merge KPI by KPI, as in the settings sheet
            changes["targets"] = {**settings.targets, **changes["targets"]}
        settings = replace(settings, **changes)
    return out, settings


def replace_capacity(capacity: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Capacity with `rows` replacing every row of the same family and period."""
    rows = rows.copy()
    rows["resource"] = rows["resource"].fillna("").astype(str) if "resource" in rows else ""
    if "overtime_pct" not in rows:
        rows["overtime_pct"] = np.nan
    keys = pd.MultiIndex.from_frame(rows[["family", "period"]].astype(str))
    keep = ~pd.MultiIndex.from_frame(capacity[["family", "period"]].astype(str)).isin(keys)
    out = pd.concat([capacity[keep], rows[capacity.columns]], ignore_index=True)
    out["capacity_units"] = out["capacity_units"].astype(float)
    out["overtime_pct"] = out["overtime_pct"].astype(float)
    return out.sort_values(["family", "resource", "period"], ignore_index=True)


def added_capacity(before: pd.DataFrame, after: pd.DataFrame, horizon: Iterable[str]) -> float:
    """Units of capacity the scenario has over its base within the horizon (increases only, per family-month)."""
    h = set(horizon)
    b = before[before["period"].isin(h)].groupby(["family", "period"])["capacity_units"].sum()
    a = after[after["period"].isin(h)].groupby(["family", "period"])["capacity_units"].sum()
    diff = a.sub(b, fill_value=0.0)
    return float(diff.clip(lower=0.0).sum())


# ---------------------------------------------------------------------------- quick changes


def demand_change(family: str, pct: float, periods: Iterable[str], *, reason: str = "", owner: str = "",
                  level: str = "family", kind: str = "percentage") -> pd.DataFrame:
    """Adjustment rows: `pct` (or units with kind='additive') on a family (or item) for each of `periods`."""
    periods = list(periods)
    return pd.DataFrame({
        "seq": np.arange(len(periods), dtype="int64"), "level": level, "key": family, "period": periods,
        "type": kind, "value": float(pct), "reason": reason, "owner": owner,
        "created_at": pd.Series(pd.NaT, index=range(len(periods)), dtype="datetime64[ns]"),
    })


def capacity_change(capacity: pd.DataFrame, family: str, pct: float, start: str, end: str | None = None,
                    *, resource: str | None = None) -> pd.DataFrame:
    """Capacity rows of a family (or one of its resources) from `start` (to `end`) scaled by 1 + pct/100:
    "second shift from April" is +100 % (or +20 %) from 2026-04. Rows keep every resource of the family-month,
    so they can replace the family-month whole."""
    cap = capacity[(capacity["family"] == family) & (capacity["period"] >= start)]
    if end:
        cap = cap[cap["period"] <= end]
    cap = cap.copy()
    hit = cap["resource"] == resource if resource is not None else pd.Series(True, index=cap.index)
    cap.loc[hit, "capacity_units"] = cap.loc[hit, "capacity_units"].astype(float) * (1.0 + pct / 100.0)
    return cap.reset_index(drop=True)


def outlook_adjustments(result: PlanResult, pct: float, side: str) -> pd.DataFrame:
    """Item-level % adjustments that move a plan's consensus to its upside or downside: by the statistical
    forecast's 80 % interval (hi80 / forecast, lo80 / forecast) where the cell has one, else ± `pct`."""
    c = result.consensus[["item_id", "period"]]
    fc = result.forecast
    sign = 1.0 if side == "up" else -1.0
    factor = pd.Series(1.0 + sign * pct / 100.0, index=c.index)
    if fc is not None and {"lo80", "hi80"}.issubset(fc.columns) and fc["hi80"].notna().any():
        b = c.merge(fc[["item_id", "period", "forecast", "lo80", "hi80"]], on=["item_id", "period"], how="left")
        base = b["forecast"].where(b["forecast"] > 0)
        rel = (b["hi80"] if side == "up" else b["lo80"]) / base
        factor = rel.where(rel.notna(), factor).set_axis(c.index)
    label = "upside" if side == "up" else "downside"
    out = demand_change("", 0.0, c["period"], level="item", reason=f"{label} outlook", owner="system")
    out["key"] = c["item_id"].to_numpy()
    out["value"] = (np.maximum(factor.to_numpy(float), 0.0) - 1.0) * 100.0
    return out


def has_interval(result: PlanResult) -> bool:
    fc = result.forecast
    return fc is not None and "hi80" in fc and bool(fc["hi80"].notna().any())


# ---------------------------------------------------------------------------- computing together


def shared_forecaster(forecaster: Callable[[pd.DataFrame, list[str]], pd.DataFrame] | None):
    """A forecaster that computes the statistical forecast once and hands out copies."""
    memo: dict[tuple[str, ...], pd.DataFrame] = {}

    def run(history: pd.DataFrame, horizon: list[str]) -> pd.DataFrame:
        key = tuple(horizon)
        if key not in memo:
            if forecaster is None:
                from planning.forecast import statistical_forecast

                memo[key] = statistical_forecast(history, horizon).forecast
            else:
                memo[key] = forecaster(history, horizon)
        return memo[key].copy()

    return run


def compute_scenarios(data: CompanyData, settings: Settings, scenarios: list[Scenario], *,
                      forecaster: Callable[[pd.DataFrame, list[str]], pd.DataFrame] | None = None,
                      horizon_start: str | None = None, with_base: bool = True) -> dict[str, PlanResult]:
    """{name: plan} of the base (unless `with_base` is off) and each scenario, in one pass: the history view
    and the statistical forecast are computed once and shared."""
    hv = history_view(data, horizon_start)
    fc = shared_forecaster(forecaster)
    memo: dict = {}  # forecast, consensus of the same adjustments, exceptions: computed once (compute_plan)
    out: dict[str, PlanResult] = {}
    if with_base:
        out[BASE] = compute_plan(data, settings, forecaster=fc, horizon_start=horizon_start, history=hv, memo=memo)
    for sc in scenarios:
        d, s = apply_scenario(data, settings, sc)
        out[sc.name] = compute_plan(d, s, forecaster=fc, horizon_start=horizon_start, history=hv, memo=memo)
    return out


# ---------------------------------------------------------------------------- figures, side by side, scores


METRICS = [  # key, label, unit ('units' | 'money' | 'pct' | 'days' | 'count')
    ("demand", "Demand", "units"),
    ("supply", "Supply (regular + overtime + outsourcing)", "units"),
    ("shipped", "Shipped", "units"),
    ("lost_sales", "Lost sales", "units"),
    ("fill_rate", "Fill rate", "pct"),
    ("cost_overtime", "Overtime cost", "money"),
    ("cost_outsource", "Outsourcing cost", "money"),
    ("cost_holding", "Holding cost", "money"),
    ("cost_lost_sales", "Lost-sales cost", "money"),
    ("cost_capacity", "Added capacity cost", "money"),
    ("total_cost", "Total cost", "money"),
    ("revenue", "Revenue", "money"),
    ("gross_margin", "Gross margin", "money"),
    ("gross_margin_pct", "GM %", "pct"),
    ("inventory_value", "Inventory value (end)", "money"),
    ("days_of_supply", "Days of supply (end)", "days"),
    ("constrained", "Constrained family-months", "count"),
    ("constrained_open", "Constrained months with lost sales", "count"),
]


def figures(name: str, result: PlanResult, settings: Settings, *, family: str | None = None,
            capacity_cost: float = 0.0, kind: str = "scenario") -> dict:
    """The comparison figures of one plan over its horizon (of one family with `family`)."""
    fp, sp_, fin = result.family_plan, result.supply_plan, result.financials
    if family is not None:
        fp, sp_, fin = fp[fp["family"] == family], sp_[sp_["family"] == family], fin[fin["family"] == family]
    demand = float(sp_["demand"].sum())
    shipped = float(sp_["shipped"].sum())
    lost = float(sp_["lost_sales"].sum())
    costs = {
        "cost_overtime": settings.cost_overtime * float(sp_["overtime"].sum()),
        "cost_outsource": settings.cost_outsource * float(sp_["outsource"].sum()),
        "cost_holding": settings.cost_holding * float(sp_["inventory_end"].sum()),
        "cost_lost_sales": settings.cost_lost_sales * lost,
        "cost_capacity": float(capacity_cost),
    }
    revenue, cogs = float(fin["revenue"].sum()), float(fin["cogs"].sum())
    last = max(result.horizon) if result.horizon else None
    end_inv = float(sp_.loc[sp_["period"] == last, "inventory_end"].sum())
    days = len(result.horizon) * settings.days_per_month
    daily = demand / days if days else 0.0
    merged = fp[["family", "period", "status"]].merge(sp_[["family", "period", "lost_sales"]],
                                                       on=["family", "period"], how="left")
    con = merged[merged["status"] == "CONSTRAINED"].sort_values(["period", "family"])
    open_ = con[con["lost_sales"].fillna(0.0) > 1e-6]
    return {
        "scenario": name,
        "kind": kind,
        "demand": demand,
        "supply": float(sp_[["regular", "overtime", "outsource"]].to_numpy(float).sum()),
        "shipped": shipped,
        "lost_sales": lost,
        "fill_rate": shipped * 100.0 / demand if demand else 100.0,
        **costs,
        "total_cost": float(sum(costs.values())),
        "revenue": revenue,
        "gross_margin": revenue - cogs,
        "gross_margin_pct": (revenue - cogs) * 100.0 / revenue if revenue else float("nan"),
        "inventory_value": float(fin.loc[fin["period"] == last, "inventory_value"].sum()),
        "days_of_supply": end_inv / daily if daily else float("nan"),
        "constrained": int(len(con)),
        "constrained_open": int(len(open_)),
        "constrained_months": [f"{r.family} {r.period}" for r in con.itertuples()],
        "open_months": [f"{r.family} {r.period}" for r in open_.itertuples()],
    }


# Below this a base value counts as zero for a difference in % (half a cent, or a thousandth of a unit).
ZERO_BASE = 0.005


def side_by_side(rows: list[dict], base: str = BASE) -> pd.DataFrame:
    """One line per metric: its value per scenario and, per scenario other than the base, the difference
    to the base (`<name> Δ`) and in % (`<name> Δ %`)."""
    by = {r["scenario"]: r for r in rows}
    ref = by.get(base, rows[0] if rows else None)
    out = []
    for key, label, unit in METRICS:
        line: dict = {"metric": key, "label": label, "unit": unit}
        for r in rows:
            line[r["scenario"]] = r[key]
        for r in rows:
            if ref is None or r["scenario"] == ref["scenario"]:
                continue
            d = float(r[key]) - float(ref[key])
            line[f"{r['scenario']} Δ"] = d
            base_value = abs(float(ref[key]))
            # no percentage of nothing: a base of zero, or of the solver's rounding dust (a cost of $0.000004)
            line[f"{r['scenario']} Δ %"] = d * 100.0 / base_value if base_value >= ZERO_BASE else float("nan")
        out.append(line)
    months = {"metric": "constrained_months", "label": "Months that stay constrained", "unit": "text"}
    for r in rows:
        months[r["scenario"]] = ", ".join(r["open_months"]) or "none"
    out.append(months)
    return pd.DataFrame(out)


def score(rows: list[dict], weights: Iterable[float] = (0.4, 0.3, 0.3)) -> pd.DataFrame:
    """scenario, service, cost, feasibility, total (all 0–1; see the module docstring), best first."""
    w = np.asarray(list(weights), dtype=float)
    if w.shape != (3,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be three non-negative numbers, not all zero")
    w = w / w.sum()
    frame = pd.DataFrame(rows)
    service = np.clip(frame["fill_rate"].to_numpy(float) / 100.0, 0.0, 1.0)
    cost = frame["total_cost"].to_numpy(float)
    spread = cost.max() - cost.min()
    cost_score = (cost.max() - cost) / spread if spread > 1e-9 * max(1.0, abs(cost.max())) else np.ones(len(cost))
    con = frame["constrained"].to_numpy(float)
    closed = con - frame["constrained_open"].to_numpy(float)
    feas = np.where(con > 0, closed / np.where(con > 0, con, 1.0), 1.0)
    out = pd.DataFrame({"scenario": frame["scenario"], "kind": frame.get("kind", "scenario"),
                        "service": service, "cost": cost_score, "feasibility": feas})
    out["total"] = w[0] * out["service"] + w[1] * out["cost"] + w[2] * out["feasibility"]
    return out.sort_values("total", ascending=False, kind="stable").reset_index(drop=True)


def recommend(rows: list[dict], scores: pd.DataFrame, base: str = BASE) -> tuple[str, str]:
    """(name, reasons): the best-scored scenario that is a choice (built-in demand outlooks are not: nobody
    chooses next year's demand), and why in one or two sentences against the base (or the runner-up)."""
    choices = scores[scores["kind"] != "outlook"]
    if choices.empty:
        choices = scores
    best = str(choices["scenario"].iloc[0])
    by = {r["scenario"]: r for r in rows}
    b = by[best]
    other_name = base if best != base and base in by else (
        str(choices["scenario"].iloc[1]) if len(choices) > 1 else None)
    if other_name is None:
        return best, (f"{best}: the only plan to choose among those compared; fill rate "
                      f"{b['fill_rate']:.0f} %, total cost {_money(b['total_cost'])}, "
                      f"gross margin {_money(b['gross_margin'])}.")
    o = by[other_name]
    dcost, dmargin = b["total_cost"] - o["total_cost"], b["gross_margin"] - o["gross_margin"]
    text = (f"{best}: fill rate {b['fill_rate']:.0f} % vs {o['fill_rate']:.0f} %, "
            f"cost {_money(abs(dcost))} {'more' if dcost > 0 else 'less'}, "
            f"margin {_money(abs(dmargin))} {'more' if dmargin >= 0 else 'less'} than {other_name}.")
    s = scores.set_index("scenario")
    text += (f" Score {s.loc[best, 'total']:.2f} against {s.loc[other_name, 'total']:.2f} "
             f"(service {s.loc[best, 'service']:.2f}, cost {s.loc[best, 'cost']:.2f}, "
             f"feasibility {s.loc[best, 'feasibility']:.2f}).")
    return best, text


def _money(x: float) -> str:
    a = abs(x)
    if a >= 1e6:
        return f"${x / 1e6:.2f}M"
    if a >= 1e3:
        return f"${x / 1e3:.0f}k"
    return f"${x:.0f}"


def compare_rows(data: CompanyData, settings: Settings, results: dict[str, PlanResult],
                 scenarios: list[Scenario], *, family: str | None = None) -> list[dict]:
    """The figures of the base and each scenario (`results` from `compute_scenarios`), in that order."""
    rows = []
    if BASE in results:
        rows.append(figures(BASE, results[BASE], settings, family=family))
    for sc in scenarios:
        d, s = apply_scenario(data, settings, sc)
        res = results[sc.name]
        cap_before, cap_after = data.capacity, d.capacity
        if family is not None:
            cap_before = cap_before[cap_before["family"] == family]
            cap_after = cap_after[cap_after["family"] == family]
        cost = sc.capacity_cost * added_capacity(cap_before, cap_after, res.horizon) if sc.capacity_cost else 0.0
        rows.append(figures(sc.name, res, s, family=family, capacity_cost=cost, kind=sc.kind))
    return rows
