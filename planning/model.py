"""The engine's inputs and settings: plain dataclasses of pandas DataFrames.

Every table is in *long* layout with lower-case column names and the dtypes below.
`data/` builds a `CompanyData` from files or from the store; `planning/` only reads it.

items        item_id:str, family:str, unit_price:float, unit_cost:float,
             opening_inventory:float (0 when absent), safety_days:float (NaN = setting),
             description:str
history      item_id:str, period:str 'YYYY-MM', actual_units:float,
             forecast_units:float (NaN where no forecast had been made)
capacity     family:str, period:str, capacity_units:float, resource:str ('' when absent),
             overtime_pct:float (percent, NaN = setting)
forecast     item_id:str, period:str, forecast_units:float, lo80:float, hi80:float (NaN allowed)
             (None when the statistical forecast must be computed)
adjustments  seq:int (file / entry order, 0-based), level:'family'|'item', key:str,
             period:str, type:'percentage'|'additive'|'absolute', value:float,
             reason:str, owner:str, created_at: pandas Timestamp (NaT allowed)
budget       family:str, period:str, revenue:float, units:float (NaN allowed) (None = no budget)
production   family:str, period:str, produced_units:float (optional; None = not uploaded)
inventory_count item_id:str, period:str, counted:float, recorded:float (optional; None = not uploaded)
settings     {Settings field: value} from the optional settings sheet (empty = none)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

ITEM_COLUMNS = ["item_id", "family", "unit_price", "unit_cost", "opening_inventory", "safety_days", "description"]
HISTORY_COLUMNS = ["item_id", "period", "actual_units", "forecast_units"]
CAPACITY_COLUMNS = ["family", "period", "capacity_units", "resource", "overtime_pct"]
FORECAST_COLUMNS = ["item_id", "period", "forecast_units", "lo80", "hi80"]
ADJUSTMENT_COLUMNS = ["seq", "level", "key", "period", "type", "value", "reason", "owner", "created_at"]
BUDGET_COLUMNS = ["family", "period", "revenue", "units"]
PRODUCTION_COLUMNS = ["family", "period", "produced_units"]
INVENTORY_COUNT_COLUMNS = ["item_id", "period", "counted", "recorded"]


def empty_adjustments() -> pd.DataFrame:
    """An adjustments table with no rows and the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ADJUSTMENT_COLUMNS}).astype(
        {"seq": "int64", "value": "float64", "created_at": "datetime64[ns]"}
    )


@dataclass
class CompanyData:
    """One company's planning inputs (see the module docstring for the columns)."""

    items: pd.DataFrame
    history: pd.DataFrame
    capacity: pd.DataFrame
    forecast: pd.DataFrame | None = None
    adjustments: pd.DataFrame = field(default_factory=empty_adjustments)
    budget: pd.DataFrame | None = None
    production: pd.DataFrame | None = None  # PRODUCTION_COLUMNS: units really produced per family and month
    inventory_count: pd.DataFrame | None = None  # INVENTORY_COUNT_COLUMNS: counted vs recorded per item
    # the company's own settings from its optional `settings` sheet (typed overrides of `Settings`
    # fields; see data/settings_sheet.py); empty when the data has none
    settings: dict = field(default_factory=dict)
    # a scenario's price changes (planning.finance.PRICE_COLUMNS: level item|family, key, period_from,
    # type percentage|additive|absolute, value), applied in order to the items' unit prices; None = none
    prices: pd.DataFrame | None = None

    def with_(self, **changes) -> "CompanyData":
        return replace(self, **changes)


@dataclass
class KpiTarget:
    """A KPI target band: status is on target inside [low, high] (None = open end)."""

    low: float | None = None
    high: float | None = None


DEFAULT_TARGETS: dict[str, KpiTarget] = {
    "mape": KpiTarget(None, 20.0),
    "bias_pct": KpiTarget(-5.0, 5.0),
    "plan_attainment": KpiTarget(95.0, None),
    "revenue_attainment": KpiTarget(95.0, 105.0),
    "capacity_utilization": KpiTarget(80.0, 90.0),
    "inventory_turns": KpiTarget(6.0, 12.0),
    "days_of_supply": KpiTarget(30.0, 60.0),
    # the process and operations KPIs (planning.process_kpis)
    "supply_flexibility": KpiTarget(10.0, None),
    "plan_stability": KpiTarget(None, 10.0),
    "cycle_time": KpiTarget(None, 28.0),
    "decisions_on_time": KpiTarget(90.0, None),
    "actions_on_time": KpiTarget(80.0, None),
    "agenda_time_kept": KpiTarget(90.0, None),
    "inventory_accuracy": KpiTarget(95.0, None),
    "production_attainment": KpiTarget(95.0, 105.0),
    "gross_margin_vs_plan": KpiTarget(-1.0, None),
    "working_capital_days": KpiTarget(None, 60.0),
}


@dataclass
class Settings:
    """Everything a planner can change that the engine reads; defaults from SPEC.md."""

    horizon: int = 18
    days_per_month: float = 30.4
    safety_days: float = 30.0
    overtime_pct: float = 15.0
    cost_overtime: float = 15.0
    cost_outsource: float = 20.0
    cost_holding: float = 5.0
    cost_lost_sales: float = 100.0
    # outsourcing per family-month at most this % of its regular capacity (None = no cap)
    outsource_cap_pct: float | None = None
    safety_stock_floor: bool = False
    # exceptions
    mom_change_pct: float = 20.0
    tracking_signal_limit: float = 4.0
    item_mape_target: float = 30.0
    bias_limit_pct: float = 5.0
    # scenarios
    scenario_pct: float = 15.0
    scenario_weights: tuple[float, float, float] = (0.4, 0.3, 0.3)
    # inventory accuracy: a count within this % of the recorded quantity is accurate
    inventory_tolerance_pct: float = 2.0
    # the statistical forecast's candidate models (planning.forecast.CANDIDATE_MODELS names); empty = the
    # standard sets. Saving the company profile sets them from its demand character (services.profile)
    forecast_candidates: tuple[str, ...] = ()
    targets: dict[str, KpiTarget] = field(default_factory=lambda: dict(DEFAULT_TARGETS))

    @property
    def utilization_tight(self) -> float:
        """Utilization above this (but not above 100 %) is TIGHT."""
        return self.targets["capacity_utilization"].high or 90.0
