"""The one registry of KPI definitions that the dashboard, metrics page, CLI and minutes read.

REGISTRY's order is the order KPIs are listed everywhere (`kpi_names()`); each entry has the
name, label, unit, direction and `default_target`. The accuracy and attainment formulas are
`planning.measures`.

History months are those whose rows carry `forecast_units` (later: the approved plan made
for them). Each KPI is computed from units with units and money with money.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Number

import numpy as np
import pandas as pd

from planning import process_kpis as pk
from planning.accuracy import MeasuredCodes, family_totals
from planning.finance import budget_comparison, family_unit_cost, working_capital
from planning.measures import measures
from planning.model import DEFAULT_TARGETS, CompanyData, KpiTarget, Settings

AT_RISK_MARGIN = 0.10  # within 10 % of the target band's edge counts as at risk, beyond as off target


@dataclass(frozen=True)
class KpiInputs:
    data: CompanyData
    horizon: list[str]
    family_plan: pd.DataFrame
    supply_plan: pd.DataFrame
    financials: pd.DataFrame
    settings: Settings
    measured: pd.DataFrame  # planning.accuracy.measured_history of the data
    measured_codes: MeasuredCodes | None = None  # its codes (planning.accuracy.measured_with_codes), when known
    # planning.accuracy.family_totals(measured), when known (with `measured_codes`)
    measured_family_totals: pd.DataFrame | None = None


@dataclass(frozen=True)
class KpiDef:
    name: str
    label: str
    unit: str  # '%', 'turns', 'days'
    direction: str  # 'lower' (better when lower), 'higher', 'band', 'zero' (better near 0)
    compute: Callable[[KpiInputs], float]
    description: str
    from_history: bool = False  # depends on history only (cached per dataset), not on the plan
    # what would give the figure when it cannot be computed ('' = it always can be, given a plan)
    needs: str = ""
    # 'plan': computed here from the plan; 'process': from the stored records of the cycles
    # (services.process_kpis fills them in; here they are missing)
    source: str = "plan"
    # one of the dashboard's headline cards (the process and operations KPIs live on /metrics)
    headline: bool = True

    @property
    def default_target(self) -> KpiTarget:
        """The target before anyone changes it (planning.model.DEFAULT_TARGETS; none when absent)."""
        return DEFAULT_TARGETS.get(self.name, KpiTarget())


_RECENT: list = [None, {}]  # the last measured table seen and its rows of the last n periods (four KPIs read them)


def _last_measured_periods(measured: pd.DataFrame, n: int) -> list[str]:
    return sorted(measured["period"].unique())[-n:]


def _recent_coded(measured: pd.DataFrame, n: int, codes: MeasuredCodes | None = None
                  ) -> tuple[pd.DataFrame, MeasuredCodes | None]:
    """The rows of the last `n` measured periods (`measured[measured.period.isin(last n)]`) and their codes
    (from `codes`, the table's, when given), kept for the last measured table seen: the history KPIs filter
    the same table the same ways."""
    seen, kept = _RECENT
    if seen is not measured:
        kept = {}
        _RECENT[:] = [measured, kept]
    if (n, codes is not None) not in kept:
        per, periods = codes.period if codes is not None else pd.factorize(measured["period"], sort=True)
        first = max(len(periods) - n, 0)  # the codes of the last n periods are first .. len-1
        mask = per >= first if first > 0 else per >= 0
        kept[(n, codes is not None)] = (measured[mask], codes.subset(mask) if codes is not None else None)
    return kept[(n, codes is not None)]


def _recent_values(measured: pd.DataFrame, n: int, codes: MeasuredCodes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forecast, actual and item codes of the rows of the last `n` measured periods: what the whole-row
    measures read of `_recent_coded`'s rows, without taking every column of them (kept like those rows)."""
    seen, kept = _RECENT
    if seen is not measured:
        kept = {}
        _RECENT[:] = [measured, kept]
    if ("values", n) not in kept:
        per, periods = codes.period
        first = max(len(periods) - n, 0)  # the codes of the last n periods are first .. len-1
        mask = per >= first if first > 0 else per >= 0
        kept[("values", n)] = (measured["forecast"].to_numpy(float)[mask], measured["actual"].to_numpy(float)[mask],
                               codes.item_id[0][mask])
    return kept[("values", n)]


def _recent(measured: pd.DataFrame, n: int) -> pd.DataFrame:
    """The rows of the last `n` measured periods (see `_recent_coded`)."""
    return _recent_coded(measured, n)[0]


def kpi_mape(k: KpiInputs) -> float:
    """MAPE of family totals over the last 12 history months."""
    m = k.measured
    if m.empty:
        return math.nan
    totals = k.measured_family_totals
    if totals is not None and k.measured_codes is not None:
        # the family-period groups of the last 12 periods are whole groups of all the periods (the same rows in
        # the same order), so their sums are those rows of the totals
        periods = k.measured_codes.period[1]
        return float(measures(totals[totals["period"].isin(periods[max(len(periods) - 12, 0):])])["mape"].iloc[0])
    m, codes = _recent_coded(m, 12, k.measured_codes)
    return float(measures(family_totals(m, codes))["mape"].iloc[0])


def kpi_bias(k: KpiInputs) -> float:
    """Bias % of the company total over the last 12 history months (Σe / ΣA of all rows is the
    company total's)."""
    m = k.measured
    if m.empty:
        return math.nan
    if k.measured_codes is not None:
        f, a, _ = _recent_values(m, 12, k.measured_codes)
        return float(measures(pd.DataFrame({"forecast": f, "actual": a}))["bias_pct"].iloc[0])
    m = _recent_coded(m, 12, k.measured_codes)[0]
    return float(measures(m)["bias_pct"].iloc[0])


def _attainment(k: KpiInputs, money: bool) -> float:
    m = k.measured
    if m.empty:
        return math.nan
    codes = k.measured_codes
    if codes is not None and not (money and (codes.item_id[0] < 0).any()):  # the two value columns alone
        f, a, item_code = _recent_values(m, 3, codes)
        if money:  # each item's price looked up once, not per row
            price_of = k.data.items.drop_duplicates("item_id").set_index("item_id")["unit_price"]
            price = pd.Series(codes.item_id[1], dtype=object).map(price_of).to_numpy()[item_code]
            f, a = f * price, a * price
        return float(measures(pd.DataFrame({"forecast": f, "actual": a}))["attainment"].iloc[0])
    m, codes = _recent_coded(m, 3, k.measured_codes)
    if money:
        price_of = k.data.items.drop_duplicates("item_id").set_index("item_id")["unit_price"]
        item_code, item_u = codes.item_id if codes is not None else (None, None)
        if codes is not None and not (item_code < 0).any():  # each item's price looked up once, not per row
            price = pd.Series(pd.Series(item_u, dtype=object).map(price_of).to_numpy()[item_code], index=m.index)
        else:
            price = m["item_id"].map(price_of)
        m = m.assign(forecast=m["forecast"] * price, actual=m["actual"] * price)
    return float(measures(m)["attainment"].iloc[0])


def kpi_plan_attainment(k: KpiInputs) -> float:
    """Σ actual units / Σ planned units over the last 3 history months × 100."""
    return _attainment(k, money=False)


def kpi_revenue_attainment(k: KpiInputs) -> float:
    """The same as plan attainment, in money (units × unit price)."""
    return _attainment(k, money=True)


def kpi_capacity_utilization(k: KpiInputs) -> float:
    """Σ demand / Σ capacity over the first 3 horizon months × 100."""
    first = k.family_plan[k.family_plan["period"].isin(k.horizon[:3])]
    cap = first["capacity"].sum()
    return float(first["demand"].sum() * 100.0 / cap) if cap else math.nan


def kpi_inventory_turns(k: KpiInputs) -> float:
    """COGS of the horizon / average projected inventory value, scaled to 12 months."""
    h = len(k.horizon)
    if h == 0:
        return math.nan
    cogs = k.financials["cogs"].sum()
    avg_value = k.financials.groupby("period")["inventory_value"].sum().reindex(k.horizon).fillna(0).mean()
    return float(cogs * 12.0 / h / avg_value) if avg_value > 0 else math.nan


def kpi_days_of_supply(k: KpiInputs) -> float:
    """Inventory units at the end of the first horizon month / average daily demand of the
    first 3 horizon months (a month is `days_per_month` days)."""
    if not k.horizon:
        return math.nan
    first3 = k.horizon[:3]
    inv = k.supply_plan.loc[k.supply_plan["period"] == k.horizon[0], "inventory_end"].sum()
    demand = k.family_plan.loc[k.family_plan["period"].isin(first3), "demand"].sum()
    daily = demand / (len(first3) * k.settings.days_per_month)
    return float(inv / daily) if daily > 0 else math.nan


def _item_family(k: KpiInputs) -> pd.Series:
    return k.data.items.drop_duplicates("item_id").set_index("item_id")["family"]


def kpi_inventory_accuracy(k: KpiInputs) -> float:
    """Share of counted items within the tolerance, in the latest count period of the uploaded counts."""
    acc = pk.inventory_accuracy(k.data.inventory_count, k.settings.inventory_tolerance_pct)
    return float(acc["inventory_accuracy"].iloc[-1]) if len(acc) else math.nan


def kpi_production_attainment(k: KpiInputs) -> float:
    """Σ produced / Σ planned units over the last 3 months with both."""
    production, history = k.data.production, k.data.history
    if production is None or production.empty or history is None or history.empty:
        return math.nan  # (what the empty attainment table gives, without looking up every item's family)
    att = pk.production_attainment(k.data.production, k.data.history, _item_family(k))
    att = att.tail(3)
    planned = att["planned_units"].sum() if len(att) else 0.0
    return float(att["produced_units"].sum() * 100.0 / planned) if planned else math.nan


def kpi_gross_margin_vs_plan(k: KpiInputs) -> float:
    """Plan gross margin % − budget gross margin % over the budgeted horizon months."""
    if k.data.budget is None or k.data.budget.empty or k.financials.empty:
        return math.nan
    no_demand = pd.DataFrame({"item_id": pd.Series(dtype=object), "family": pd.Series(dtype=object),
                              "consensus": pd.Series(dtype=float)})  # plain mean of the items' unit costs
    comp = budget_comparison(k.financials, k.supply_plan, k.data.budget, family_unit_cost(no_demand, k.data.items))
    return pk.gross_margin_vs_plan(comp)


def kpi_working_capital_days(k: KpiInputs) -> float:
    """Days of inventory (inventory value / daily COGS), the mean of the first 3 horizon months."""
    if k.financials.empty or k.supply_plan.empty:
        return math.nan
    # only the first 3 months are read: their rows alone are summed (each month's sums are its own rows')
    first = k.horizon[:3]
    fin, supply = k.financials, k.supply_plan
    wc = working_capital(fin[fin["period"].isin(first)], supply[supply["period"].isin(first)],
                         k.settings.days_per_month)
    return pk.working_capital_days(wc, first)


def kpi_supply_flexibility(k: KpiInputs) -> float:
    """Capacity that can be added within the month (overtime, the capacity row's own % or the setting) as a %
    of regular capacity, weighted by capacity over the first 3 horizon months."""
    cap = k.data.capacity
    cap = cap[cap["period"].isin(k.horizon[:3])]
    total = cap["capacity_units"].sum()
    if not total:
        return math.nan
    pct = cap["overtime_pct"].astype(float).fillna(k.settings.overtime_pct)
    return float((cap["capacity_units"] * pct).sum() / total)


def _from_records(_k: KpiInputs) -> float:
    return math.nan  # services.process_kpis computes these from the cycles' records


REGISTRY: dict[str, KpiDef] = {
    d.name: d
    for d in [
        KpiDef("mape", "Forecast error (MAPE)", "%", "lower", kpi_mape,
               "Mean absolute % error of family totals, last 12 history months", True),
        KpiDef("bias_pct", "Forecast bias", "%", "zero", kpi_bias,
               "Company total (forecast − actual) / actual, last 12 history months; positive = over-forecast", True),
        KpiDef("plan_attainment", "Plan attainment", "%", "higher", kpi_plan_attainment,
               "Actual units / planned units, last 3 history months", True),
        KpiDef("revenue_attainment", "Revenue attainment", "%", "band", kpi_revenue_attainment,
               "Actual revenue / planned revenue, last 3 history months", True),
        KpiDef("capacity_utilization", "Capacity utilization", "%", "band", kpi_capacity_utilization,
               "Demand / capacity, first 3 horizon months"),
        KpiDef("inventory_turns", "Inventory turns", "turns", "band", kpi_inventory_turns,
               "Annualized COGS / average projected inventory value"),
        KpiDef("days_of_supply", "Days of supply", "days", "band", kpi_days_of_supply,
               "Inventory units after month 1 / average daily demand of months 1–3"),
        KpiDef("supply_flexibility", "Supply flexibility", "%", "higher", kpi_supply_flexibility,
               "Capacity that can be added within the month (overtime) / regular capacity, months 1–3; the "
               "lead time to change capacity is not in the data", headline=False),
        KpiDef("plan_stability", "Plan stability", "%", "lower", _from_records,
               "Mean absolute % change of a family's consensus for the same month between successive approved "
               "plans, the later plan's months 1–3",
               needs="approve plans in two successive cycles to measure plan stability", source="process", headline=False),
        KpiDef("cycle_time", "Cycle time", "days", "lower", _from_records,
               "Days from the start of the cycle's data gathering to the first approval of its plan",
               needs="approve a cycle's plan to measure its cycle time", source="process", headline=False),
        KpiDef("decisions_on_time", "Decisions made on time", "%", "higher", _from_records,
               "Decisions taken by their due date / decisions due (dropped ones left out)",
               needs="record decisions in the meeting to measure them", source="process", headline=False),
        KpiDef("actions_on_time", "Action items done on time", "%", "higher", _from_records,
               "Action items done by their due date / all action items of the cycle",
               needs="record action items in the meeting to measure them", source="process", headline=False),
        KpiDef("agenda_time_kept", "Agenda time kept", "%", "higher", _from_records,
               "Planned agenda minutes / the larger of actual and planned minutes, over the timed items",
               needs="time the meeting's agenda items to measure the time kept", source="process", headline=False),
        KpiDef("inventory_accuracy", "Inventory accuracy", "%", "higher", kpi_inventory_accuracy,
               "Counted items whose count is within the tolerance of the recorded quantity, latest count",
               needs="upload an inventory_count table (item_id, period, counted, recorded) to measure "
                     "inventory accuracy", headline=False),
        KpiDef("production_attainment", "Production attainment", "%", "band", kpi_production_attainment,
               "Units produced / units planned for the same family-months, last 3 months",
               needs="upload a production table (family, period, produced_units) to measure production "
                     "attainment", headline=False),
        KpiDef("gross_margin_vs_plan", "Gross margin vs budget", "%", "higher", kpi_gross_margin_vs_plan,
               "Plan gross margin % − budget gross margin % (points), budgeted horizon months",
               needs="upload a budget table (family, period, revenue, units) to compare gross margin with it",
               headline=False),
        KpiDef("working_capital_days", "Working capital days", "days", "lower", kpi_working_capital_days,
               "Inventory value / daily COGS, mean of horizon months 1–3", headline=False),
    ]
}


def kpi_names(*, history_only: bool = False, headline: bool = False) -> list[str]:
    """The KPI names in the one order every page, table and file lists them (REGISTRY's order);
    `history_only`: just those that depend on history only (the ones with a history trend); `headline`: just
    the dashboard's headline cards."""
    return [name for name, d in REGISTRY.items()
            if (d.from_history or not history_only) and (d.headline or not headline)]


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, Number) and math.isnan(float(v)))


def _number(v: float, decimals: int) -> str:
    """Thousands separators and a real minus sign; never '-0'."""
    if round(v, decimals) == 0:
        v = 0.0
    text = f"{abs(v):,.{decimals}f}"
    return "\u2212" + text if v < 0 else text


def _bound(v: float, unit: str | None) -> str:
    """One end of a band with its unit, as the pages show it: '80 %', '12.5 %', '30 days', '6×'."""
    u = (unit or "").strip().lower()
    decimals = 0 if float(v).is_integer() else 1
    if u in ("%", "pct", "percent"):
        return f"{_number(v, decimals)} %"
    if u in ("days", "day", "d"):
        return f"{_number(v, 0)} days"
    if u in ("x", "turns", "times", "\u00d7"):
        return f"{_number(v, decimals)}\u00d7"
    return _number(v, 1)


def target_text(low: float | None, high: float | None, unit: str | None, *, short: bool = False) -> str:
    """A target band in words, the one formatter of targets.

    Pages (default): 'target 80 % – 90 %', 'target ≤ 20 %', 'target ≥ 95 %', 'target ±5 %',
    'no target set'. `short` (the `target` of `compute_kpis`, kpis.json): '80–90 %', '< 20 %',
    '> 95 %', '±5 %', ''. None / NaN ends are open.
    """
    lo = None if _missing(low) else float(low)
    hi = None if _missing(high) else float(high)
    if lo is None and hi is None:
        return "" if short else "no target set"
    if short:
        u = unit or ""
        tail = " %" if u == "%" else "" if u == "turns" else f" {u}".rstrip()

        def b(v: float) -> str:
            return f"{v:g}"
        prefix, sep, le, ge = "", "\u2013", "< ", "> "
    else:
        tail = ""

        def b(v: float) -> str:
            return _bound(v, unit)
        prefix, sep, le, ge = "target ", " \u2013 ", "\u2264 ", "\u2265 "
    if lo is not None and hi is not None:
        body = f"\u00b1{b(hi)}" if lo == -hi else f"{b(lo)}{sep}{b(hi)}"
    elif hi is not None:
        body = le + b(hi)
    else:
        body = ge + b(lo)
    return prefix + body + tail


def kpi_status(value: float, t: KpiTarget) -> str:
    """on_target inside the band; at_risk when outside by at most 10 % of the edge; else off_target."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "no_data"
    miss = 0.0
    edge = 1.0
    if t.high is not None and value > t.high:
        miss, edge = value - t.high, abs(t.high)
    elif t.low is not None and value < t.low:
        miss, edge = t.low - value, abs(t.low)
    if miss <= 0:
        return "on_target"
    return "at_risk" if miss <= AT_RISK_MARGIN * max(edge, 1e-9) else "off_target"


def history_kpi_values(inputs: KpiInputs) -> dict[str, float]:
    """The values of the KPIs that depend on history only (cacheable per dataset)."""
    return {name: d.compute(inputs) for name, d in REGISTRY.items() if d.from_history}


def compute_kpis(inputs: KpiInputs, known: dict[str, float] | None = None) -> dict[str, dict]:
    """{name: {name, label, unit, value, target, target_low, target_high, direction, status, description}}.

    `known` holds values already computed (see `history_kpi_values`)."""
    out = {}
    known = known or {}
    for name, d in REGISTRY.items():
        t = inputs.settings.targets.get(name, d.default_target)
        value = known[name] if name in known else d.compute(inputs)
        out[name] = {
            "name": name,
            "label": d.label,
            "unit": d.unit,
            "value": None if value is None or not np.isfinite(value) else round(float(value), 6),
            "target": target_text(t.low, t.high, d.unit, short=True),
            "target_low": t.low,
            "target_high": t.high,
            "direction": d.direction,
            "status": kpi_status(value, t),
            "description": d.description,
            "needs": d.needs,
            "source": d.source,
        }
    return out
