"""Named scenarios of the plan: create them with quick changes, compute them with the plan's engine, compare
them side by side with the base, score and recommend, promote one to the draft.

A stored scenario is a version of kind 'scenario' (a copy of the draft's or another scenario's changes, see
`Store.create_scenario`) plus its own adjustments and capacity changes (audited like the plan's) and its
setting overrides (option costs, the overtime cap) and added-capacity cost (`scenario_meta`). Its plan is
`PlanService.current_plan(its id)`: cached per state like the plan, sharing the dataset, the history view and
the statistical forecast with the draft. The built-in upside and downside are demand outlooks: the draft
with every cell moved to its forecast's 80 % interval (± the scenario setting where a cell has none),
computed together in one pass and cached per plan state.

Scores and the recommendation follow `planning.scenarios` (service = fill rate, cost = min-max of total
cost, feasibility = share of constrained family-months closed without lost sales; weighted by the settings'
scenario weights). Outlooks are scored but never recommended: nobody chooses the demand.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from planning.demand import compose_consensus
from planning.model import ADJUSTMENT_COLUMNS
from planning.result import PlanResult
from planning.scenarios import (
    BASE,
    Scenario,
    added_capacity,
    compute_scenarios,
    figures,
    outlook_adjustments,
    has_interval,
    recommend,
    score,
    side_by_side,
)
from services.edits import MAX_DESCRIPTION, MAX_NAME, EditError, checked_text
from services.plan_service import PlanService, _before_after, get_service

OUTLOOK_PREFIX = "builtin:"
MAX_COMPARED = 5  # scenarios besides the base


@dataclass
class Comparison:
    rows: list[dict]  # figures per scenario (planning.scenarios.figures), base first
    table: pd.DataFrame  # side by side: one line per metric
    scores: pd.DataFrame  # scenario, kind, service, cost, feasibility, total (best first)
    recommended: str
    reasons: str
    weights: tuple[float, float, float]
    family: str | None = None


def _svc(service: PlanService | None) -> PlanService:
    return service or get_service()


# ---------------------------------------------------------------------------- listing


def list_scenarios(service: PlanService | None = None) -> list[dict[str, Any]]:
    """The named scenarios of the current cycle: id, name, description, owner, base (what it came from),
    created_by, created_at, promoted (text or '')."""
    svc = _svc(service)
    df = svc.store.list_scenarios()
    out = []
    for r in df.to_dict("records"):
        base = r.get("parent_name") or ""
        if r.get("parent_kind") == "base":
            base = f"{base} (draft)" if base else "draft"
        promoted = ""
        if r.get("promoted_at") is not None and not pd.isna(r.get("promoted_at")):
            promoted = f"promoted by {r.get('promoted_by')} {pd.Timestamp(r['promoted_at']):%Y-%m-%d %H:%M}"
        out.append({"id": int(r["id"]), "name": r["name"], "description": r.get("description") or "",
                    "owner": r.get("owner") or r.get("created_by") or "", "base": base,
                    "created_by": r.get("created_by") or "", "promoted": promoted})
    return out


def options(service: PlanService | None = None) -> list[dict[str, Any]]:
    """What can be compared: the built-in outlooks and every named scenario, as {label, value}."""
    out = [{"label": label, "value": value} for value, label in _outlook_names(_svc(service))]
    out += [{"label": s["name"], "value": str(s["id"])} for s in list_scenarios(service)]
    return out


def _outlook_names(svc: PlanService) -> list[tuple[str, str]]:
    plan = svc.current_plan()
    pct = svc.plan_settings().scenario_pct
    if has_interval(plan):
        return [(f"{OUTLOOK_PREFIX}up", "Upside (80 % interval)"), (f"{OUTLOOK_PREFIX}down", "Downside (80 % interval)")]
    return [(f"{OUTLOOK_PREFIX}up", f"Upside +{pct:g} %"), (f"{OUTLOOK_PREFIX}down", f"Downside \u2212{pct:g} %")]


# ---------------------------------------------------------------------------- creating


def _periods_between(horizon: list[str], start: str | None, end: str | None) -> list[str]:
    start = start or horizon[0]
    end = end or horizon[-1]
    if start > end:
        raise EditError(f"the month range {start} to {end} is empty: the first month is after the last")
    months = [p for p in horizon if start <= p <= end]
    if not months:
        raise EditError(f"no month of the plan ({horizon[0]} to {horizon[-1]}) is between {start} and {end}")
    return months


def _number(value: Any, what: str) -> float:
    try:
        x = float(str(value).replace("%", "").replace("+", "").strip())
    except (TypeError, ValueError):
        raise EditError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise EditError(f"{what} must be a finite number")
    return x


def create(name: str, *, by: str, description: str = "", owner: str | None = None,
           parent: int | None = None, demand: list[dict[str, Any]] | None = None,
           capacity: list[dict[str, Any]] | None = None, settings: dict[str, Any] | None = None,
           capacity_cost: float = 0.0, prices: list[dict[str, Any]] | None = None,
           service: PlanService | None = None) -> int:
    """Store a named scenario made from the draft (or scenario `parent`) with quick changes, and return its id.

    demand: [{family, pct, start, end}] (% on a family from month `start` to `end`, both optional = the
    horizon); capacity: [{family, pct, start, end?}] (% on a family's capacity from `start` on); settings:
    overrides of option costs and caps (cost_overtime, cost_outsource, cost_holding, cost_lost_sales,
    overtime_pct, outsource_cap_pct); capacity_cost: money per unit of capacity added; prices: price changes
    (see `check_prices`), applied to the plan's money in the scenario only. Changes are stored as one audited
    change of the scenario (reason names the scenario); the draft is never touched.
    """
    svc = _svc(service)
    name = checked_text(name, "scenario name", MAX_NAME)
    description = checked_text(description, "description", MAX_DESCRIPTION)
    owner = checked_text(owner, "owner", MAX_NAME) or None
    if not name:
        raise EditError("give the scenario a name")
    taken = {s["name"].lower() for s in list_scenarios(svc)} | {BASE.lower()}
    taken |= {label.lower() for _, label in _outlook_names(svc)}
    if name.lower() in taken:
        raise EditError(f"there is already a scenario named “{name}”; choose another name")
    source = svc.current_plan(parent)
    checked_d, checked_c = _check_quick(source, demand, capacity)
    overrides = _check_settings(settings or {})
    checked_p = check_prices(source, prices)
    cost = _number(capacity_cost or 0, "the cost of added capacity")
    if cost < 0:
        raise EditError("the cost of added capacity cannot be negative")
    if parent is not None:  # made from another scenario: its option costs, caps and prices first
        inherited = svc.store.scenario_extras(parent)
        overrides = {**inherited["settings"], **overrides}
        checked_p = inherited["prices"] + checked_p
        cost = cost or inherited["capacity_cost"]
    import json

    meta = {"description": (description or "").strip(), "owner": (owner or by).strip(),
            "settings_json": json.dumps({"settings": overrides, "capacity_cost": cost, "prices": checked_p},
                                        sort_keys=True)}
    version = svc.store.create_scenario(name, parent_id=parent, by=by, meta=meta)
    vid = int(version["id"])
    if checked_d or checked_c:
        _store_quick(svc, vid, name, checked_d, checked_c, by)
    return vid


def _check_quick(source: PlanResult, demand, capacity) -> tuple[list, list]:
    horizon = list(source.horizon)
    families = set(source.family_plan["family"])
    checked_d, checked_c = [], []
    for d in demand or []:
        fam = str(d.get("family") or "")
        if fam not in families:
            raise EditError(f"there is no family “{fam}” in the plan")
        checked_d.append((fam, _number(d.get("pct"), "the demand change"), _periods_between(
            horizon, d.get("start"), d.get("end"))))
    for c in capacity or []:
        fam = str(c.get("family") or "")
        if fam not in families:
            raise EditError(f"there is no family “{fam}” in the plan")
        pct = _number(c.get("pct"), "the capacity change")
        if pct < -100:
            raise EditError("capacity cannot fall by more than 100 %")
        checked_c.append((fam, pct, _periods_between(horizon, c.get("start"), c.get("end"))))
    return checked_d, checked_c


def _store_quick(svc: PlanService, vid: int, name: str, checked_d: list, checked_c: list, by: str) -> int:
    """The quick changes as one audited change of the scenario (reason names the scenario)."""
    plan = svc.current_plan(vid)
    reason = f"scenario {name}"
    batch = uuid.uuid4().hex[:12]
    adj = []
    for fam, pct, months in checked_d:
        adj += [{"level": "family", "key": fam, "period": p, "type": "percentage", "value": pct,
                 "reason": f"{reason}: demand {pct:+g} % {months[0]} to {months[-1]}", "owner": by,
                 "source": "scenario", "batch_id": batch} for p in months]
    if adj:
        _before_after(plan, adj)
    fp = plan.family_plan.set_index(["family", "period"])["capacity"]
    edits = []
    for fam, pct, months in checked_c:
        edits += [(fam, p, "percentage", pct, float(fp[(fam, p)]) * (1 + pct / 100.0)) for p in months]
    cap = svc._capacity_rows(vid, edits, reason=f"{reason}: capacity", owner=by, source="scenario",
                             batch=batch) if edits else []
    for row in cap:
        row["reason"] = f"{reason}: capacity {row['value']:+g} % from {row['period']}"
    return svc.store.add_changes(vid, adj, cap)


def change(version_id: int, *, by: str, demand: list[dict[str, Any]] | None = None,
           capacity: list[dict[str, Any]] | None = None, settings: dict[str, Any] | None = None,
           capacity_cost: float | None = None, prices: list[dict[str, Any]] | None = None,
           service: PlanService | None = None) -> str:
    """Add quick changes to a stored scenario (and/or change its option costs and caps, add price changes):
    what was done, in words."""
    svc = _svc(service)
    v = svc.store.get_version(version_id)
    if v["kind"] != "scenario":
        raise EditError("only a named scenario can be changed here; the plan is edited on 2 Demand and 3 Supply")
    d, c = _check_quick(svc.current_plan(version_id), demand, capacity)
    overrides = _check_settings(settings or {})
    new_prices = check_prices(svc.current_plan(version_id), prices)
    done = []
    if d or c:
        _store_quick(svc, version_id, v["name"], d, c, by)
        done.append(f"{len(d)} demand and {len(c)} capacity change(s)")
    if overrides or capacity_cost is not None or new_prices:
        current = svc.store.scenario_extras(version_id)
        merged = {**current["settings"], **overrides}
        svc.store.set_scenario_extras(version_id, settings=merged, capacity_cost=capacity_cost, by=by,
                                      prices=current["prices"] + new_prices if new_prices else None)
        if overrides or capacity_cost is not None:
            done.append("option costs and caps")
        done += [price_text(p) for p in new_prices]
    if not done:
        raise EditError("nothing to change: give a demand, capacity or price change, or an option cost or cap")
    return f"{v['name']}: " + " and ".join(done) + " stored."


SETTING_LIMITS = {"cost_overtime": (0, None), "cost_outsource": (0, None), "cost_holding": (0, None),
                  "cost_lost_sales": (0, None), "overtime_pct": (0, 100), "safety_days": (0, 365),
                  "outsource_cap_pct": (0, 1000)}
PRICE_TYPES = {"percentage": "%", "additive": "per unit", "absolute": "price"}


def check_prices(source: PlanResult, prices: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Price changes [{level: item|family, key, start, type: percentage|additive|absolute, value}] checked
    against a plan (known item or family, a month of the plan, a number; a price never below 0), as stored
    rows (planning.finance.PRICE_COLUMNS)."""
    out = []
    items = set(source.consensus["item_id"].astype(str))
    families = set(source.consensus["family"].astype(str))
    horizon = list(source.horizon)
    for n, p in enumerate(prices or [], start=1):
        level = str(p.get("level") or "family")
        key = str(p.get("key") or "")
        if level not in ("item", "family"):
            raise EditError(f"price change {n}: a price changes for an item or a family, not “{level}”")
        if key not in (items if level == "item" else families):
            raise EditError(f"price change {n}: there is no {level} “{key}” in the plan")
        kind = str(p.get("type") or "percentage")
        if kind not in PRICE_TYPES:
            raise EditError(f"price change {n}: the change is a percentage, an amount per unit or a new price, "
                            f"not “{kind}”")
        value = _number(p.get("value"), f"price change {n}")
        if kind == "percentage" and value <= -100:
            raise EditError(f"price change {n}: a price cannot fall by 100 % or more")
        if kind == "absolute" and value < 0:
            raise EditError(f"price change {n}: a price cannot be negative")
        start = _periods_between(horizon, p.get("start"), None)[0]
        out.append({"level": level, "key": key, "period_from": start, "type": kind, "value": value})
    return out


def price_text(p: dict[str, Any]) -> str:
    """'price +10 % on Electronics from 2026-04' and the like."""
    v = p["value"]
    what = {"percentage": f"{v:+g} %", "additive": f"{v:+,.2f} per unit", "absolute": f"to {v:,.2f}"}[p["type"]]
    return f"price {what} on {p['key']} from {p['period_from']}"


def _check_settings(settings: dict[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in settings.items():
        if v is None or v == "":
            continue
        if k not in SETTING_LIMITS:
            raise EditError(f"{k} cannot be changed in a scenario")
        x = _number(v, k.replace("_", " "))
        lo, hi = SETTING_LIMITS[k]
        if x < lo or (hi is not None and x > hi):
            raise EditError(f"{k.replace('_', ' ')} must be between {lo} and {hi if hi is not None else 'any'}")
        out[k] = x
    return out


# ---------------------------------------------------------------------------- computing and comparing


def comparable(plan: PlanResult) -> PlanResult:
    """What a comparison reads of an outlook's plan (`figures`: the family plan, supply plan and financials
    over the horizon, and the KPIs): the item-level tables (forecast, consensus, inventory, accuracy,
    exceptions, the 180,000 outlook adjustments at 10,000 items) are left out, so that the two cached
    outlooks hold a few MiB instead of about 170 MiB each."""
    return replace(plan, forecast=plan.forecast.iloc[:0].copy(), consensus=plan.consensus.iloc[:0].copy(),
                   inventory=plan.inventory.iloc[:0].copy(), accuracy=plan.accuracy.iloc[:0].copy(),
                   exceptions=plan.exceptions.iloc[:0].copy(), adjustments=None)


def _outlooks(svc: PlanService) -> dict[str, PlanResult]:
    """The built-in upside and downside of the draft, computed together and cached per plan state."""

    def compute() -> dict[str, PlanResult]:
        plan = svc.current_plan()
        data, settings = svc.company_data(), svc.plan_settings()
        names = dict(_outlook_names(svc))
        scs = [Scenario(names[f"{OUTLOOK_PREFIX}{side}"],
                        adjustments=outlook_adjustments(plan, settings.scenario_pct, side), kind="outlook")
               for side in ("up", "down")]
        fc = plan.forecast

        def forecaster(_history, horizon):  # the draft's statistical forecast: the same for every scenario
            return fc[fc["period"].isin(horizon)].copy()

        res = compute_scenarios(data, settings, scs, forecaster=forecaster, with_base=False)
        return {f"{OUTLOOK_PREFIX}{side}": comparable(res[sc.name]) for side, sc in zip(("up", "down"), scs)}

    return svc.derived("scenario-outlooks", compute)


def plans(selected: list[str], service: PlanService | None = None) -> list[tuple[str, str, PlanResult, Any, float]]:
    """(key, name, plan, settings, added-capacity cost) of the base and each selected scenario (ids as text,
    or 'builtin:up'/'builtin:down'), base first. Stored scenarios come from the plan service's cache;
    everything shared (dataset, history view, statistical forecast) is computed once."""
    svc = _svc(service)
    base = svc.current_plan()
    settings = svc.plan_settings()
    base_cap = svc.company_data().capacity
    out = [("base", BASE, base, settings, 0.0)]
    names = dict(_outlook_names(svc))
    outlooks = None
    for key in selected[:MAX_COMPARED]:
        key = str(key)
        if key.startswith(OUTLOOK_PREFIX):
            outlooks = outlooks or _outlooks(svc)
            if key in outlooks:
                out.append((key, names[key], outlooks[key], settings, 0.0))
            continue
        vid = int(key)
        v = svc.store.get_version(vid)
        if v["kind"] != "scenario":
            continue
        plan = svc.current_plan(vid)
        extras = svc.store.scenario_extras(vid)
        cost = extras["capacity_cost"] * added_capacity(base_cap, svc.company_data(vid).capacity, plan.horizon) \
            if extras["capacity_cost"] else 0.0
        out.append((key, v["name"], plan, svc.plan_settings(vid), cost))
    return out


def compare(selected: list[str], *, weights: tuple[float, float, float] | None = None, family: str | None = None,
            service: PlanService | None = None) -> Comparison:
    """The base and up to five scenarios side by side (whole company or one family), scored, with the
    recommended scenario and why."""
    svc = _svc(service)
    computed = plans(selected, svc)
    rows = []
    for key, name, plan, settings, cost in computed:
        kind = "outlook" if key.startswith(OUTLOOK_PREFIX) else ("base" if key == "base" else "scenario")
        if family is not None and cost:
            cost = _family_capacity_cost(svc, key, family, plan)
        rows.append(figures(name, plan, settings, family=family, capacity_cost=cost, kind=kind))
    w = tuple(weights) if weights is not None else tuple(svc.plan_settings().scenario_weights)
    scores = score(rows, w)
    best, why = recommend(rows, scores)
    return Comparison(rows, side_by_side(rows), scores, best, why, w, family)


def _family_capacity_cost(svc: PlanService, key: str, family: str, plan: PlanResult) -> float:
    vid = int(key)
    extras = svc.store.scenario_extras(vid)
    b, a = svc.company_data().capacity, svc.company_data(vid).capacity
    return extras["capacity_cost"] * added_capacity(b[b["family"] == family], a[a["family"] == family], plan.horizon)


def shown_weights(service: PlanService | None = None) -> tuple[float, float, float]:
    """The settings' scoring weights (service, cost, feasibility) as the pages show them: 4 decimals."""
    return tuple(round(float(x), 4) for x in _svc(service).plan_settings().scenario_weights)


def default_selection(service: PlanService | None = None) -> list[str]:
    """What /pre-sop compares first: the named scenarios (newest five), else the built-in outlooks."""
    named = [str(s["id"]) for s in list_scenarios(service) if not s["promoted"]]
    if named:
        return named[-MAX_COMPARED:]
    return [value for value, _ in _outlook_names(_svc(service))]


# ---------------------------------------------------------------------------- promoting


def promote(version_id: int, *, by: str, service: PlanService | None = None) -> str:
    """Make the draft equal to a scenario, cell by cell, in one audited change (reason "promoted from
    scenario X"; undo reverts it whole): the scenario's own demand adjustments are replayed on the draft,
    then any cell still different (the draft changed after the scenario was made) is set to the scenario's
    value; every capacity cell that differs is set to the scenario's. Setting overrides become the data's
    settings. Returns what was done, in words."""
    svc = _svc(service)
    v = svc.store.get_version(version_id)
    if v["kind"] != "scenario":
        raise EditError("only a named scenario can be promoted")
    name = v["name"]
    reason = f"promoted from scenario {name}"
    state, draft, _ = svc._draft(None)
    if state.cycle_id != v["cycle_id"]:
        raise EditError(f"scenario {name} belongs to an earlier cycle")
    scen = svc.current_plan(version_id)
    batch = uuid.uuid4().hex[:12]
    # demand: the scenario's own adjustments (not those copied from its parent), in order
    own = svc.store.list_adjustments(version_id)
    own = own[own["active"] & (own["version_id"] == version_id)
              & ~own["batch_id"].astype(str).str.startswith("copy-")] if len(own) else own
    adj = [{"level": r["level"], "key": r["key"], "period": r["period"], "type": r["type"], "value": float(r["value"]),
            "reason": f"{reason}: {r['reason']}" if r.get("reason") else reason, "owner": by, "source": "scenario",
            "batch_id": batch} for r in own.to_dict("records")] if len(own) else []
    if adj:
        _before_after(draft, adj)
    # what the draft's consensus would be with them; cells still different are set to the scenario's
    existing = draft.adjustments if draft.adjustments is not None and len(draft.adjustments) else None
    stat = draft.consensus[["item_id", "period", "statistical"]]
    items = draft.consensus[["item_id", "family"]].drop_duplicates("item_id")
    new = pd.DataFrame(adj).reindex(columns=ADJUSTMENT_COLUMNS) if adj else None
    if new is not None:
        new["created_at"] = pd.Timestamp.now()  # after every existing row: composed last, as they will be
    parts = [f[ADJUSTMENT_COLUMNS] for f in (existing, new) if f is not None]
    if parts:
        both = pd.concat(parts, ignore_index=True)
        both["seq"] = np.arange(len(both))
        both["created_at"] = pd.to_datetime(both["created_at"])
        after = compose_consensus(stat, items, both, draft.horizon).consensus
    else:
        after = draft.consensus
    target = scen.consensus.set_index(["item_id", "period"])["consensus"]
    got = after.set_index(["item_id", "period"])["consensus"].reindex(target.index)
    off = (got - target).abs() > 1e-6
    fix = [{"level": "item", "key": i, "period": p, "type": "absolute", "value": float(target[(i, p)]),
            "reason": f"{reason}: set to the scenario's value", "owner": by, "source": "scenario", "batch_id": batch}
           for i, p in target.index[off.to_numpy()]]
    if fix:
        adj += fix
        _before_after(draft, adj)  # before/after as the engine applies them, in order
    # capacity: every resource-month of the scenario that differs from the draft's
    keys = ["family", "period", "resource"]
    dc = svc.company_data().capacity.set_index(keys)["capacity_units"]
    sc = svc.company_data(version_id).capacity.set_index(keys)["capacity_units"]
    both_c = pd.concat({"before": dc, "after": sc}, axis=1)
    diff = both_c[(both_c["after"].fillna(np.inf) - both_c["before"].fillna(np.inf)).abs().fillna(1.0) > 1e-9]
    diff = diff[diff["after"].notna()]
    cap = [{"family": f, "period": p, "resource": r, "before_value": float(0.0 if pd.isna(b) else b),
            "after_value": float(a), "type": "absolute", "value": float(a), "reason": reason, "owner": by,
            "source": "scenario", "batch_id": batch} for (f, p, r), b, a in
           zip(diff.index, diff["before"], diff["after"])]
    extras = svc.store.scenario_extras(version_id)
    if not adj and not cap and not extras["settings"]:
        if extras["prices"]:
            raise EditError(f"scenario {name} changes prices only; prices come with the data (items' unit "
                            "prices), so there is nothing to promote to the draft")
        raise EditError(f"scenario {name} is the same as the draft: nothing to promote")
    if adj or cap:
        svc.store.add_changes(state.version_id, adj, cap)
    if extras["settings"]:
        import dataclasses

        current = svc.settings()
        svc.store.save_settings(dataclasses.replace(current, **extras["settings"]), by=by, source=reason)
    svc.store.mark_promoted(version_id, by=by, to=state.version_id)
    return (f"{name} promoted to the draft: {len(adj)} demand change(s), {len(cap)} capacity change(s)"
            + (", its option costs" if extras["settings"] else "") + "; undo on /demand or /supply reverts it."
            + (" Its price changes stay in the scenario: prices come with the data." if extras["prices"] else ""))


def save_weights(weights: tuple[float, float, float], *, by: str, service: PlanService | None = None) -> bool:
    """Store the scenario weights in the settings of the current data (the settings path of /metrics). Returns
    False when they are already the settings' weights."""
    import dataclasses

    svc = _svc(service)
    w = tuple(float(x) for x in weights)
    if len(w) != 3 or any(x < 0 for x in w) or sum(w) <= 0:
        raise EditError("weights must be three numbers of 0 or more, not all 0")
    current = svc.settings()
    if tuple(current.scenario_weights) == w:
        return False
    svc.store.save_settings(dataclasses.replace(current, scenario_weights=w), by=by,
                            source=f"scenario weights changed on 4 Pre-S&OP by {by}")
    return True


def scenario_name(version_id: int, service: PlanService | None = None) -> str | None:
    """The name of a named scenario of the current cycle (None when the id is not one: another cycle's, the
    plan's, unknown)."""
    svc = _svc(service)
    try:
        v = svc.store.get_version(int(version_id))
    except (LookupError, TypeError, ValueError):
        return None
    if v["kind"] != "scenario" or v["cycle_id"] != svc.state().cycle_id:
        return None
    return str(v["name"])
