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
WEIGHT_LABELS = ("Service", "Cost", "Feasibility")


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
