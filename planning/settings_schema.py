"""The planning settings a person may change, as form fields: name, label, unit and the limits a value must
keep. The settings form, the settings sheet of an upload and their validation all read these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planning.kpis import REGISTRY, kpi_names
from planning.model import DEFAULT_TARGETS, Settings


@dataclass(frozen=True)
class Field:
    name: str  # Settings attribute
    label: str
    unit: str
    low: float = 0.0
    high: float | None = None


POLICY_FIELDS = (
    Field("safety_days", "Safety stock", "days of demand", 0, 365),
    Field("overtime_pct", "Overtime available", "% of capacity", 0, 100),
)
COST_FIELDS = (
    Field("cost_overtime", "Overtime", "per unit"),
    Field("cost_outsource", "Outsourcing", "per unit"),
    Field("cost_holding", "Holding inventory", "per unit per month"),
    Field("cost_lost_sales", "Lost sales", "per unit"),
)
MEASURE_FIELDS = (
    Field("inventory_tolerance_pct", "Inventory count tolerance", "% of the recorded quantity", 0, 100),
)
WEIGHT_LABELS = ("Service", "Cost", "Feasibility")
# the forecast candidate models the settings form offers (planning.forecast.CANDIDATE_MODELS), with labels
CANDIDATE_LABELS = {
    "SeasonalNaive": "Seasonal naive (same month last year)",
    "AutoETS": "Exponential smoothing (ETS, Holt-Winters)",
    "AutoARIMA": "ARIMA (seasonal)",
    "AutoTheta": "Theta",
    "AutoCES": "Complex exponential smoothing (CES)",
    "CrostonOptimized": "Croston (intermittent demand)",
    "ADIDA": "ADIDA (intermittent, aggregated)",
    "IMAPA": "IMAPA (intermittent, multiple aggregation)",
    "DynamicOptimizedTheta": "Dynamic optimised Theta",
    "baseline_ma3_trend": "Baseline (3-month average plus trend)",
}


def target_rows(settings: Settings) -> list[dict[str, Any]]:
    """One row per KPI with a target: name, label, unit, low, high (None = no bound)."""
    rows = []
    for name in kpi_names():  # the registry's order
        if name not in DEFAULT_TARGETS:
            continue
        spec = REGISTRY[name]
        t = settings.targets.get(name, DEFAULT_TARGETS[name])
        rows.append({"name": name, "label": spec.label, "unit": spec.unit, "low": t.low, "high": t.high})
    return rows
