"""The company profile: the initial assessment of the company (how it plans today, its context, its objectives),
stored per company, validated, and used.

Uses:
- the objectives' priorities (0 none .. 3 top) set the default scenario weights (service, cost, feasibility):
  service ∝ 1 + service + growth, cost ∝ 1 + margin + inventory, feasibility ∝ 2, normalised to sum 1;
- the objectives' targets set KPI targets: service level → plan attainment ≥ target; inventory days →
  days of supply and working capital days ≤ target;
- the horizon is proposed from the cycle frequency and the maturity level reached (12–18 months standard,
  24 from level 4 up);
- the industry character picks the statistical forecast's candidate models (`CANDIDATES`): seasonal and
  promotional demand the seasonal models, project-based demand the intermittent-demand models (Croston, ADIDA,
  IMAPA), stable demand the level and trend models.
Saving a profile writes the weights, targets and forecast candidates into the settings ("from your company
profile"); they stay overridable on /metrics (and the weights on /pre-sop). The next forecast run uses the
candidates (services.forecast_worker).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from planning.forecast import ADIDA, BASELINE, CROSTON, IMAPA, SHORT_NAMES, SNAIVE
from planning.model import KpiTarget, Settings

PROCESSES = {"informal": "Informal (conversations, no fixed meeting)", "spreadsheet": "Spreadsheets",
             "system": "A planning system"}
FREQUENCIES = {"monthly": "Monthly", "weekly": "Weekly", "quarterly": "Quarterly"}
FUNCTIONS = ("sales", "operations", "finance", "executive")
SIZES = {"small": "Small (under 250 people)", "medium": "Medium (250–5,000)", "large": "Large (over 5,000)"}
SCOPES = {"single_site": "Single site", "regional": "Regional", "global": "Global"}
CHARACTERS = {"stable": "Stable demand", "seasonal": "Seasonal", "promotional": "Promotional",
              "project_based": "Project-based"}
OBJECTIVES = ("growth", "margin", "service", "inventory")
OBJECTIVE_UNITS = {"growth": "% revenue growth a year", "margin": "% gross margin", "service": "% of demand served",
                   "inventory": "days of inventory"}
FORECAST_HINTS = {
    "stable": "level and trend models (exponential smoothing) are enough",
    "seasonal": "seasonal models first (seasonal naive, Holt-Winters, seasonal ARIMA)",
    "promotional": "seasonal models, with promotions entered as demand adjustments",
    "project_based": "intermittent-demand models (Croston) and order-backed adjustments",
}

# the forecast candidates each industry character gives (planning.forecast.CANDIDATE_MODELS names; seasonal
# naive and the baseline, the references, are always among them)
CANDIDATES: dict[str, tuple[str, ...]] = {
    "stable": ("AutoETS", "AutoTheta", SNAIVE, BASELINE),
    "seasonal": (SNAIVE, "AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", BASELINE),
    "promotional": (SNAIVE, "AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", BASELINE),
    "project_based": (CROSTON, ADIDA, IMAPA, SNAIVE, "AutoETS", "AutoTheta", BASELINE),
}


def candidates_text(names: tuple[str, ...] | list[str]) -> str:
    """'Croston, ADIDA, IMAPA, SNaive, …' (the short names), or 'the standard set' for an empty list."""
    return ", ".join(SHORT_NAMES.get(n, n) for n in names) if names else "the standard set"


SAMPLE_PROFILE: dict[str, Any] = {
    "process": "spreadsheet", "frequency": "monthly",
    "participants": {"sales": 2, "operations": 2, "finance": 1, "executive": 1},
    "pain_points": "Stock-outs of the fast movers in peak season while slow items pile up; the numbers of sales "
                   "and operations differ until the meeting.",
    "size": "medium", "scope": "regional", "character": "seasonal",
    "objectives": {"growth": {"priority": 2, "target": 8.0}, "margin": {"priority": 2, "target": 35.0},
                   "service": {"priority": 3, "target": 95.0}, "inventory": {"priority": 1, "target": 45.0}},
    "decision_authority": "The managing director approves the plan; the operations director decides overtime "
                          "and outsourcing up to the budget.",
}


class ProfileError(ValueError):
    """A field of the profile is not valid; the message names it."""


def validate(raw: dict[str, Any]) -> dict[str, Any]:
    """A clean profile from form values; raises ProfileError naming every bad field."""
    problems: list[str] = []
    out: dict[str, Any] = {}

    def choice(name: str, options: dict[str, str]) -> None:
        v = raw.get(name)
        if v not in options:
            problems.append(f"{name}: choose one of {', '.join(options)}")
        out[name] = v

    choice("process", PROCESSES)
    choice("frequency", FREQUENCIES)
    choice("size", SIZES)
    choice("scope", SCOPES)
    choice("character", CHARACTERS)
    parts = {}
    for f in FUNCTIONS:
        v = (raw.get("participants") or {}).get(f)
        try:
            n = int(v or 0)
            if n < 0 or n > 100:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"participants from {f}: a whole number from 0 to 100")
            n = 0
        parts[f] = n
    out["participants"] = parts
    objectives = {}
    for o in OBJECTIVES:
        given = (raw.get("objectives") or {}).get(o) or {}
        try:
            p = int(given.get("priority") or 0)
            if p not in (0, 1, 2, 3):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{o} priority: 0 (none) to 3 (top)")
            p = 0
        t = given.get("target")
        if t in (None, ""):
            t = None
        else:
            try:
                t = float(t)
                if not -100 <= t <= 1000:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(f"{o} target: a number ({OBJECTIVE_UNITS[o]})")
                t = None
        objectives[o] = {"priority": p, "target": t}
    out["objectives"] = objectives
    for text in ("pain_points", "decision_authority"):
        v = str(raw.get(text) or "").strip()
        if len(v) > 2000:
            problems.append(f"{text}: at most 2,000 characters")
        out[text] = v[:2000]
    if problems:
        raise ProfileError("; ".join(problems))
    return out


def weights_from(profile: dict[str, Any]) -> tuple[float, float, float]:
    """The scenario weights (service, cost, feasibility) the objectives' priorities give."""
    pr = {o: int(((profile.get("objectives") or {}).get(o) or {}).get("priority") or 0) for o in OBJECTIVES}
    raw = (1.0 + pr["service"] + pr["growth"], 1.0 + pr["margin"] + pr["inventory"], 2.0)
    total = sum(raw)
    return tuple(round(x / total, 4) for x in raw)  # type: ignore[return-value]


def targets_from(profile: dict[str, Any], current: dict[str, KpiTarget]) -> dict[str, KpiTarget]:
    """KPI targets with the objectives' targets applied (the others as they are)."""
    out = dict(current)
    obj = profile.get("objectives") or {}
    service = (obj.get("service") or {}).get("target")
    if service is not None:
        out["plan_attainment"] = KpiTarget(float(service), current.get("plan_attainment", KpiTarget()).high)
    inventory = (obj.get("inventory") or {}).get("target")
    if inventory is not None:
        dos = current.get("days_of_supply", KpiTarget())
        out["days_of_supply"] = KpiTarget(dos.low if dos.low is None or dos.low < inventory else None, float(inventory))
        out["working_capital_days"] = KpiTarget(None, float(inventory))
    return out


def horizon_proposal(profile: dict[str, Any], maturity_level: int) -> tuple[int, str]:
    """(months, why): 24 from maturity level 4, else 18 for a monthly (or weekly) cycle, 12 for quarterly."""
    if maturity_level >= 4:
        return 24, f"maturity level {maturity_level}: an integrated plan looks 24 months ahead"
    if profile.get("frequency") == "quarterly":
        return 12, "a quarterly cycle: 12 months, the standard range's shortest"
    return 18, f"a {profile.get('frequency') or 'monthly'} cycle at maturity level {maturity_level}: 18 months"


def current() -> dict[str, Any]:
    """The stored profile (or the defaults, `saved` False) with the facts from the data: families, items."""
    from services.plan_service import get_service

    svc = get_service()
    stored = svc.store.company_profile()
    data = svc.company_data()
    facts = {"families": int(data.items["family"].nunique()), "items": int(data.items["item_id"].nunique())}
    base = stored or {**SAMPLE_PROFILE, "pain_points": "", "decision_authority": "",
                      "objectives": {o: {"priority": 1, "target": None} for o in OBJECTIVES}}
    return {**base, **facts, "saved": stored is not None}


def save_profile(raw: dict[str, Any], *, by: str) -> dict[str, Any]:
    """Validate and store the profile; write its scenario weights and KPI targets into the settings (source
    "from the company profile"). Returns the clean profile."""
    from services.plan_service import get_service

    clean = validate(raw)
    svc = get_service()
    svc.store.save_company_profile(clean, by=by)
    settings: Settings = svc.settings()
    new = dataclasses.replace(settings, scenario_weights=weights_from(clean),
                              targets=targets_from(clean, dict(settings.targets)),
                              forecast_candidates=CANDIDATES[clean["character"]])
    if new != settings:
        svc.store.save_settings(new, by=by, source=f"from the company profile, saved by {by}")
    return clean


def weights_note() -> str:
    """'from your company profile …' when the weights in force are the saved profile's, else ''."""
    from services.plan_service import get_service

    svc = get_service()
    stored = svc.store.company_profile()
    if stored is None:
        return ""
    from services import scenario_plans

    w = weights_from(stored)
    now = scenario_plans.shown_weights(svc)
    if now != w:
        return ""
    return (f"Weights from your company profile (service {w[0]:g}, cost {w[1]:g}, feasibility {w[2]:g}); "
            "change them here to override.")


def candidates_note() -> str:
    """'… from your company profile (project-based demand) …' when the forecast candidates in force are the saved
    profile's, else ''."""
    from services.plan_service import get_service

    svc = get_service()
    stored = svc.store.company_profile()
    if stored is None or set(svc.settings().forecast_candidates) != set(CANDIDATES.get(stored.get("character"), ())):
        return ""
    return (f"Forecast candidates from your company profile ({CHARACTERS[stored['character']].lower()}); "
            "change them here to override.")


def seed_sample_profile(store) -> bool:
    """The sample company's profile, once (nothing for other data or when a profile exists)."""
    from data.store import SAMPLE_SOURCE

    try:
        if store.dataset_info().get("source") != SAMPLE_SOURCE or store.company_profile() is not None:
            return False
    except LookupError:
        return False
    store.save_company_profile(SAMPLE_PROFILE, by="admin")
    return True
