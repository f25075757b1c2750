"""The maturity assessment per cycle: stored answers, evidence-based proposals, scores over cycles, the sample
company's two past assessments. Statements and scoring: planning.maturity.

A proposal is an answer the product can back with its own records (the measured MAPE, the horizon, cycles
approved within four weeks, scenarios compared, a budget uploaded, decisions and actions tracked); the person
confirms or overrides it. Stored answers win over proposals.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any

import pandas as pd

from planning import maturity as mm

log = logging.getLogger("sop.maturity")


def _store():
    from services.plan_service import get_store

    return get_store()


def proposals() -> dict[str, tuple[int, str]]:
    """{statement key: (answer 0..2, why)} for the statements the records can speak to."""
    from services.plan_service import get_service
    from services.process_measures import process_measures

    svc = get_service()
    store = svc.store
    out: dict[str, tuple[int, str]] = {}
    settings = svc.plan_settings()
    h = int(settings.horizon)
    out["process_horizon"] = (2 if h >= 12 else 1 if h >= 6 else 0, f"horizon from the settings: {h} months")
    out["process_ibp"] = (2 if h >= 24 else 0, f"horizon from the settings: {h} months (24 or more needed)")
    try:
        per_cycle, overall = process_measures()
    except Exception:
        log.exception("process measures for the maturity proposals failed")
        per_cycle, overall = pd.DataFrame(), {}
    if len(per_cycle):
        approved = per_cycle["cycle_time_days"].notna()
        on_time = int((per_cycle["cycle_time_days"] <= 28).sum())
        n = int(approved.sum())
        out["process_monthly"] = (2 if n >= 3 else 1 if n else 0, f"{n} cycles held with an approved plan")
        out["process_cadence"] = (2 if n >= 3 and on_time == n else 1 if on_time else 0,
                                  f"regular cadence: {on_time} of {n} cycles approved within 4 weeks")
        dec, act = int(overall.get("decisions") or 0), int(overall.get("actions") or 0)
        out["measure_process"] = (2 if dec and act else 1 if dec or act else 0,
                                  f"{dec} decisions and {act} action items tracked")
        dpct, apct = overall.get("decisions_on_time_pct"), overall.get("actions_done_on_time_pct")
        if dpct is not None:
            good = dpct >= 90 and (apct or 0) >= 80
            out["people_decisions"] = (2 if good else 1, f"decisions on time {dpct:.0f} %, actions done on time "
                                                         f"{(apct or 0):.0f} %")
    try:
        mape = svc.current_plan().kpis.get("mape", {}).get("value")
    except Exception:
        mape = None
    if mape is not None:
        out["measure_accuracy"] = (2, f"forecast accuracy from the measured MAPE {mape:.1f} %")
        out["measure_targets"] = (2 if mape < 20 else 1, f"measured MAPE {mape:.1f} % against a target under 20 %")
    data = svc.company_data()
    has_budget = data.budget is not None and len(data.budget) > 0
    out["finance_reconciled"] = (2 if has_budget else 1, "a budget is uploaded and the plan is compared with it"
                                 if has_budget else "the plan is valued in money, but no budget is uploaded")
    out["tools_capacity"] = (2, "the supply review compares demand with capacity per family every cycle")
    cycles = store.list_cycles()
    counts = []
    for cid in cycles["id"].astype(int).tolist()[-2:] if len(cycles) else []:
        counts.append(len(store.list_scenarios(cid)))
    n_sc = max(counts) if counts else 0
    out["tools_scenarios"] = (2 if n_sc >= 2 else 1 if n_sc else 0, f"scenario analysis: {n_sc} scenarios "
                                                                   "compared in the latest cycle")
    return out


def _answers_of(df: pd.DataFrame, cycle_id: int) -> dict[str, int | None]:
    mine = df[df["cycle_id"] == cycle_id]
    return {str(r.statement): (None if pd.isna(r.answer) else int(r.answer)) for r in mine.itertuples()}


def view(cycle_id: int | None = None) -> dict[str, Any]:
    """The assessment of a cycle (default: the current one) and the one before it: {cycle_id, cycle,
    answers (stored; else the proposal; else the previous assessment's), stored (bool), proposals, scores, overall, previous
    {cycle, scores, overall} or None, next {dimension, label, level, steps}}. Read once per store revision
    and day (the proposals read the process measures as of today)."""
    from services.cycle import today

    return copy.deepcopy(_store().cached("maturity.view", (cycle_id, today()), lambda: _view(cycle_id)))


def _view(cycle_id: int | None) -> dict[str, Any]:
    store = _store()
    cur = store.current_cycle() if cycle_id is None else {"id": cycle_id}
    cid = int(cur["id"])
    cycles = store.list_cycles()
    period_of = dict(zip(cycles["id"].astype(int), cycles["period"].astype(str), strict=True))
    df = store.maturity_answers()
    stored = _answers_of(df, cid)
    props = proposals()
    earlier = sorted(c for c in df["cycle_id"].dropna().astype(int).unique() if c != cid and c < cid) \
        if len(df) else []
    pa = _answers_of(df, earlier[-1]) if earlier else {}
    # stored answers; else the records' proposal; else the previous assessment's answer
    answers = {s.key: stored[s.key] if s.key in stored else
               props[s.key][0] if s.key in props else pa.get(s.key) for s in mm.STATEMENTS}
    scores = mm.dimension_scores(answers)
    previous = None
    if earlier:
        ps = mm.dimension_scores(pa)
        previous = {"cycle": period_of.get(earlier[-1], str(earlier[-1])), "scores": ps,
                    "overall": mm.overall_score(ps)}
    weakest, level, steps = mm.next_steps(answers)
    label = next(d.label for d in mm.DIMENSIONS if d.key == weakest)
    return {"cycle_id": cid, "cycle": period_of.get(cid, ""), "answers": answers, "stored": bool(stored),
            "proposals": props, "scores": scores, "overall": mm.overall_score(scores), "previous": previous,
            "next": {"dimension": weakest, "label": label, "level": level, "steps": steps}}


def progress() -> pd.DataFrame:
    """One row per assessed cycle (oldest first): cycle, overall, and a column per dimension (once per store
    revision)."""
    return _store().cached("maturity.progress", None, _progress).copy()


def _progress() -> pd.DataFrame:
    store = _store()
    df = store.maturity_answers()
    cols = ["cycle", "overall", *[d.key for d in mm.DIMENSIONS]]
    if df.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (cid, period), _g in df.groupby(["cycle_id", "cycle_period"], sort=True):
        s = mm.dimension_scores(_answers_of(df, int(cid)))
        rows.append({"cycle": str(period), "overall": mm.overall_score(s), **s})
    return pd.DataFrame(rows, columns=cols)


def save_assessment(answers: dict[str, Any], *, by: str, cycle_id: int | None = None) -> dict[str, Any]:
    """Store the answers (0..2, None = not answered) of a cycle (default: the current one) with the proposals
    they confirm or override; unknown statements or answers are refused. Returns `view` after saving."""
    clean: dict[str, int | None] = {}
    for key, value in answers.items():
        if key not in mm.BY_KEY:
            raise ValueError(f"unknown statement {key!r}")
        if value in (None, ""):
            clean[key] = None
            continue
        v = int(value)
        if v not in mm.ANSWERS:
            raise ValueError(f"answer {value!r} for {key!r} is not one of 0 (no), 1 (partly), 2 (yes)")
        clean[key] = v
    store = _store()
    cid = int(cycle_id) if cycle_id is not None else int(store.current_cycle()["id"])
    props = proposals()
    store.save_maturity_answers(cid, clean, {k: v[0] for k, v in props.items()}, by=by)
    return view(cid)


# The sample company's two past assessments: where it stood three months and one month before the current
# cycle (0 no, 1 partly, 2 yes).
SAMPLE_ASSESSMENTS = {
    "2025-09": {"process_monthly": 2, "process_cadence": 1, "process_horizon": 2, "process_ibp": 0,
                "people_participation": 2, "people_consensus": 1, "people_decisions": 1,
                "data_single": 2, "data_integrated": 1, "measure_accuracy": 2, "measure_targets": 1,
                "measure_process": 0, "finance_aware": 2, "finance_reconciled": 0, "tools_capacity": 2,
                "tools_scenarios": 0},
    "2025-12": {"process_monthly": 2, "process_cadence": 2, "process_horizon": 2, "process_ibp": 0,
                "people_participation": 2, "people_consensus": 2, "people_decisions": 1, "people_external": 0,
                "data_single": 2, "data_integrated": 1, "measure_accuracy": 2, "measure_targets": 2,
                "measure_process": 1, "finance_aware": 2, "finance_reconciled": 1, "tools_capacity": 2,
                "tools_scenarios": 1, "tools_simulation": 1},
}


def seed_sample_assessments(store) -> int:
    """The sample company's two past assessments (cycles 2025-09 and 2025-12), once: nothing when any
    assessment is stored or the data is not the sample's. Returns the number of cycles seeded."""
    from data.store import SAMPLE_SOURCE

    try:
        if store.dataset_info().get("source") != SAMPLE_SOURCE or len(store.maturity_answers()):
            return 0
        cycles = store.list_cycles()
    except LookupError:
        return 0
    n = 0
    for period, answers in SAMPLE_ASSESSMENTS.items():
        row = cycles[cycles["period"] == period]
        if row.empty:
            continue
        full = {s.key: answers.get(s.key, 0) for s in mm.STATEMENTS}
        at = dt.datetime.combine(pd.Period(period, "M").end_time.date(), dt.time(11, 0))
        store.save_maturity_answers(int(row["id"].iloc[0]), full, {}, by="fay", at=at)
        n += 1
    return n
