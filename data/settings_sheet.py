"""The optional `settings` sheet of a company's workbook: name, value rows that set the planning settings.

Settings belong to the company's data: an upload (and the headless command) starts from the defaults of
SPEC.md's Definitions and applies the sheet's rows. The names are the settings form's fields:

    safety_days, overtime_pct, safety_stock_floor (true/false), cost_overtime, cost_outsource,
    cost_holding, cost_lost_sales, outsource_cap_pct (blank = no cap), scenario_pct, scenario_weight_service, scenario_weight_cost,
    scenario_weight_feasibility, mom_change_pct, tracking_signal_limit, item_mape_target,
    bias_limit_pct, inventory_tolerance_pct, and target_<kpi>_low / target_<kpi>_high for each KPI (blank = no bound)

Names are case-insensitive (spaces and hyphens read as underscores). Every bad row is reported with its
row and column, and then nothing is stored.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from planning.settings_schema import COST_FIELDS, MEASURE_FIELDS, POLICY_FIELDS, WEIGHT_LABELS, Field
from planning.model import DEFAULT_TARGETS, KpiTarget, Settings

SHEET = "settings"
TRUE = {"true", "yes", "y", "1", "on"}
FALSE = {"false", "no", "n", "0", "off"}
MAX_NUMBER = 1e12

NUMBER_FIELDS: dict[str, Field] = {f.name: f for f in POLICY_FIELDS + COST_FIELDS}
NUMBER_FIELDS.update({
    "scenario_pct": Field("scenario_pct", "Upside / downside", "%", 0, 100),
    "mom_change_pct": Field("mom_change_pct", "Forecast change exception", "%", 0, 1000),
    "tracking_signal_limit": Field("tracking_signal_limit", "Tracking signal limit", "", 0, 100),
    "item_mape_target": Field("item_mape_target", "Item MAPE target", "%", 0, 1000),
    "bias_limit_pct": Field("bias_limit_pct", "Bias limit", "%", 0, 1000),
    **{f.name: f for f in MEASURE_FIELDS},
})
WEIGHT_NAMES = tuple(f"scenario_weight_{label.lower()}" for label in WEIGHT_LABELS)
TARGET_NAMES = {f"target_{kpi}_{side}": (kpi, side) for kpi in DEFAULT_TARGETS for side in ("low", "high")}
OUTSOURCE_CAP = "outsource_cap_pct"  # % of capacity per family-month; blank or "none" = no cap
NAMES = (*NUMBER_FIELDS, "safety_stock_floor", OUTSOURCE_CAP, *WEIGHT_NAMES, *TARGET_NAMES)


def _canonical(name: Any) -> str:
    return str(name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise ValueError
    return value


def read_settings_rows(rows: pd.DataFrame) -> tuple[dict[str, Any], list[tuple[int, str, str]]]:
    """Overrides from the sheet's rows and the problems as (row, column, message).

    `rows` has columns row (as the user counts, header = 1), name and value (text; NA when blank).
    The overrides are typed: floats, a bool, `scenario_weights` (normalised to sum 1) and `targets`
    ({kpi: KpiTarget}), ready for `apply_settings`.
    """
    out: dict[str, Any] = {}
    problems: list[tuple[int, str, str]] = []
    weights: dict[str, float] = {}
    targets: dict[str, dict[str, float | None]] = {}
    for row, raw_name, raw_value in zip(rows["row"], rows["name"], rows["value"]):
        name = _canonical(raw_name)
        text = "" if raw_value is None or (isinstance(raw_value, float) and math.isnan(raw_value)) \
            or raw_value is pd.NA else str(raw_value).strip()
        if name not in NAMES:
            problems.append((row, "name", f"unknown setting “{raw_name}” (known: {', '.join(NAMES[:8])}, …, "
                                          "target_<kpi>_low / _high)."))
            continue
        if name == "safety_stock_floor":
            if text.lower() in TRUE | FALSE:
                out[name] = text.lower() in TRUE
            else:
                problems.append((row, "value", f"safety_stock_floor must be true or false, not “{text}”."))
            continue
        if name == OUTSOURCE_CAP:
            try:
                cap = None if text.lower() in ("", "none") else _number(text)
            except ValueError:
                problems.append((row, "value", f"{name}: “{text}” is not a number (blank or none = no cap)."))
                continue
            if cap is not None and not 0 <= cap <= 1000:
                problems.append((row, "value", f"{name} (% of capacity) must be between 0 and 1000; it is {cap:g}."))
                continue
            out[name] = cap
            continue
        if name in TARGET_NAMES:
            kpi, side = TARGET_NAMES[name]
            try:
                targets.setdefault(kpi, {})[side] = None if not text else _number(text)
            except ValueError:
                problems.append((row, "value", f"{name}: “{text}” is not a number."))
            continue
        try:
            value = _number(text)
        except ValueError:
            problems.append((row, "value", f"{name}: “{text}” is not a number." if text else f"{name} is empty."))
            continue
        if name in WEIGHT_NAMES:
            if value < 0:
                problems.append((row, "value", f"{name} must be 0 or more; it is {value:g}."))
            weights[name] = value
            continue
        f = NUMBER_FIELDS[name]
        if value < f.low or (f.high is not None and value > f.high):
            limit = f"between {f.low:g} and {f.high:g}" if f.high is not None else f"at least {f.low:g}"
            problems.append((row, "value", f"{name} ({f.unit}) must be {limit}; it is {value:g}."))
            continue
        out[name] = value
    if weights:
        full = [weights.get(n, Settings().scenario_weights[i]) for i, n in enumerate(WEIGHT_NAMES)]
        if sum(full) <= 0:
            problems.append((int(rows["row"].iloc[0]), "value", "the scenario weights add up to 0."))
        else:
            out["scenario_weights"] = tuple(round(w / sum(full), 6) for w in full)
    if targets:
        bands = {}
        for kpi, sides in targets.items():
            default = DEFAULT_TARGETS[kpi]
            low = sides.get("low", default.low)
            high = sides.get("high", default.high)
            if low is None and high is None:
                problems.append((int(rows["row"].iloc[0]), "value", f"target of {kpi}: give a low or a high bound."))
            elif low is not None and high is not None and low > high:
                problems.append((int(rows["row"].iloc[0]), "value",
                                 f"target of {kpi}: the low bound ({low:g}) is above the high bound ({high:g})."))
            else:
                bands[kpi] = KpiTarget(low, high)
        out["targets"] = bands
    return out, problems


def apply_settings(base: Settings, overrides: dict[str, Any] | None) -> Settings:
    """`base` with the sheet's overrides (targets merged KPI by KPI)."""
    if not overrides:
        return base
    changes = dict(overrides)
    if "targets" in changes:
        changes["targets"] = {**base.targets, **changes["targets"]}
    return dataclasses.replace(base, **changes)


def settings_rows(settings: Settings) -> pd.DataFrame:
    """The settings as the sheet's name/value rows (for exports and for documenting the format)."""
    rows: list[tuple[str, Any]] = [(n, getattr(settings, n)) for n in NUMBER_FIELDS]
    rows.append(("safety_stock_floor", "true" if settings.safety_stock_floor else "false"))
    rows.append((OUTSOURCE_CAP, "" if settings.outsource_cap_pct is None else settings.outsource_cap_pct))
    rows += list(zip(WEIGHT_NAMES, settings.scenario_weights))
    for name, (kpi, side) in TARGET_NAMES.items():
        t = settings.targets.get(kpi, DEFAULT_TARGETS[kpi])
        value = getattr(t, side)
        rows.append((name, "" if value is None else value))
    return pd.DataFrame(rows, columns=["name", "value"])
