"""Reading the settings form: the typed values become a new `Settings`, or a list of problems that each name
the field (nothing is stored then). KPI targets are a low and a high bound; a blank bound is no bound, but
every KPI keeps at least one."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from planning.model import DEFAULT_TARGETS, KpiTarget, Settings
from planning.settings_schema import COST_FIELDS, POLICY_FIELDS, WEIGHT_LABELS


def _number(value: Any) -> float | None:
    """The typed value as a finite float, None when blank; ValueError when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def read_settings_form(current: Settings, values: dict[str, Any], floor: bool, weights: list[Any],
                       targets: list[dict[str, Any]]) -> tuple[Settings | None, list[str]]:
    """The new settings from the form, or (None, problems). `values` holds the policy and cost fields by
    name, `weights` the three scenario weights, `targets` rows of name / low / high."""
    problems: list[str] = []
    changes: dict[str, Any] = {"safety_stock_floor": bool(floor)}
    for f in POLICY_FIELDS + COST_FIELDS:
        try:
            number = _number(values.get(f.name))
        except (TypeError, ValueError):
            problems.append(f"{f.label} ({f.unit}): “{values.get(f.name)}” is not a number.")
            continue
        if number is None:
            problems.append(f"{f.label} ({f.unit}) is empty.")
        elif number < f.low or (f.high is not None and number > f.high):
            limit = f"between {f.low:g} and {f.high:g}" if f.high is not None else f"at least {f.low:g}"
            problems.append(f"{f.label} ({f.unit}) must be {limit}; it is {number:g}.")
        else:
            changes[f.name] = number
    parsed_weights = []
    for label, raw in zip(WEIGHT_LABELS, weights):
        try:
            w = _number(raw)
        except (TypeError, ValueError):
            problems.append(f"Scenario weight {label}: “{raw}” is not a number.")
            continue
        if w is None or w < 0:
            problems.append(f"Scenario weight {label} must be 0 or more.")
        else:
            parsed_weights.append(w)
    if len(parsed_weights) == 3:
        total = sum(parsed_weights)
        if total <= 0:
            problems.append("The scenario weights add up to 0; give at least one a weight.")
        else:
            changes["scenario_weights"] = tuple(round(w / total, 6) for w in parsed_weights)
    new_targets = dict(current.targets)
    for row in targets:
        name = str(row.get("name"))
        if name not in DEFAULT_TARGETS:
            problems.append(f"There is no KPI “{name}”.")
            continue
        label = row.get("label") or name
        bounds = {}
        for side in ("low", "high"):
            try:
                bounds[side] = _number(row.get(side))
            except (TypeError, ValueError):
                problems.append(f"Target of {label}, {side} bound: “{row.get(side)}” is not a number.")
        if len(bounds) < 2:
            continue
        low, high = bounds["low"], bounds["high"]
        if low is None and high is None:
            problems.append(f"Target of {label}: give a low bound, a high bound or both.")
        elif low is not None and high is not None and low > high:
            problems.append(f"Target of {label}: the low bound ({low:g}) is above the high bound ({high:g}).")
        else:
            new_targets[name] = KpiTarget(low, high)
    if problems:
        return None, problems
    changes["targets"] = new_targets
    return dataclasses.replace(current, **changes), []
