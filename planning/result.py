"""What one recompute of a cycle returns (`planning.cycle.compute_plan`).

Every ratio is in percent (110.0 means 110 %). Periods are 'YYYY-MM' strings.

forecast      item_id, family, period, model, forecast, lo80, hi80
consensus     item_id, family, period, statistical, consensus
family_plan   family, period, demand, capacity, gap, gap_pct, utilization, status
              (status: 'CONSTRAINED' | 'TIGHT' | 'OK')
supply_plan   family, period, demand, regular, overtime, outsource, inventory_end,
              lost_sales, shipped, cost
inventory     family, period, opening, supply, shipped, ending, safety_stock,
              cycle_stock, target_inventory
financials    family, period, revenue, revenue_unconstrained, revenue_at_risk, cogs,
              gross_margin, gross_margin_pct, inventory_value
accuracy      level ('item'|'family'|'total'), item_id, family, n, n_zero, mape, wape,
              bias_pct, mad, tracking_signal
exceptions    item_id, family, period, kind, value, threshold
              (kind: 'forecast_change' | 'tracking_signal' | 'mape' | 'bias')
kpis          {name: {name, label, unit, value, target, target_low, target_high,
              direction, status}}; status: 'on_target' | 'at_risk' | 'off_target' | 'no_data'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class PlanResult:
    horizon: list[str]
    forecast: pd.DataFrame
    consensus: pd.DataFrame
    family_plan: pd.DataFrame
    supply_plan: pd.DataFrame
    inventory: pd.DataFrame
    financials: pd.DataFrame
    accuracy: pd.DataFrame
    exceptions: pd.DataFrame
    kpis: dict[str, dict]
    supply_cost_by_option: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    adjustments: pd.DataFrame | None = None  # the applied adjustments with before/after values
