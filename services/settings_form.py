"""Reading the settings form: the typed values become a new `Settings`, or a list of problems that each name
the field (nothing is stored then). KPI targets are a low and a high bound; a blank bound is no bound, but
every KPI keeps at least one. The forecast candidates are a list of models (seasonal naive and the baseline always
among them); ticking the list in force again keeps it as it is (its order and where it came from)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from planning.model import DEFAULT_TARGETS, KpiTarget, Settings
from planning.forecast import CANDIDATE_MODELS, REFERENCES, STANDARD_CANDIDATES
from planning.settings_schema import COST_FIELDS, MEASURE_FIELDS, POLICY_FIELDS, WEIGHT_LABELS

FORM_FIELDS = POLICY_FIELDS + COST_FIELDS + MEASURE_FIELDS  # the number fields of the form, by name


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


def read_candidates(current: Settings, ticked: list[Any] | None) -> tuple[tuple[str, ...], list[str]]:
    """The forecast candidates from the form's ticks (None: not on the form, unchanged) and the problems."""
    now = tuple(current.forecast_candidates)
    if ticked is None:
        return now, []
    names = {str(t) for t in ticked}
    unknown = sorted(names - set(CANDIDATE_MODELS))
    if unknown:
        return now, [f"Forecast candidates: there is no model “{unknown[0]}”."]
    if not names - set(REFERENCES):
        return now, ["Forecast candidates: tick at least one model besides seasonal naive and the baseline."]
    names |= set(REFERENCES)  # the references every model is measured against
    if names == set(now or STANDARD_CANDIDATES):
        return now, []
    return tuple(m for m in CANDIDATE_MODELS if m in names), []


def read_settings_form(current: Settings, values: dict[str, Any], floor: bool, weights: list[Any],
                       targets: list[dict[str, Any]], candidates: list[Any] | None = None
                       ) -> tuple[Settings | None, list[str]]:
    """The new settings from the form, or (None, problems). `values` holds the policy, cost and measure fields
    by name, `weights` the three scenario weights, `targets` rows of name / low / high, `candidates` the ticked
    forecast models (None: unchanged)."""
    problems: list[str] = []
    changes: dict[str, Any] = {"safety_stock_floor": bool(floor)}
    changes["forecast_candidates"], bad = read_candidates(current, candidates)
    problems += bad
    for f in FORM_FIELDS:
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
