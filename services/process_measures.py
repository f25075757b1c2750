"""The S&OP process's own measures, per cycle and over the whole history, from the stored records.

- Decisions made on time: of the decisions that are taken (status agreed or done; NULL counts as agreed) or
  whose due date has passed while still proposed, the share taken on or before their due date (a decision
  without a due date counts as taken on time: it was taken in the meeting that asked for it). Dropped
  decisions are left out.
- Action items completed: the share with status done; done on time: done on or before the due date (an
  action without a due date that is done counts as on time); open and late: not done, due date passed.
  Over the whole history an action carried to a later cycle counts once, as its last continuation.
- Cycle time from data to decision: days from the start of the cycle's data gathering (week 1 of its
  calendar, or the day its data was stored if that was earlier) to the first approval of its plan
  (target: under 4 weeks, 28 days).
- Checklist completion: ticked items (by hand or by evidence) / all items of the five steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from services import cycle as cycle_service

CYCLE_TIME_TARGET_DAYS = 28.0
MEASURE_COLUMNS = ["cycle_id", "period", "decisions", "decisions_on_time", "decisions_on_time_pct", "actions",
                   "actions_done", "actions_done_pct", "actions_done_on_time", "actions_done_on_time_pct",
                   "actions_open_late", "cycle_time_days", "checklist_done", "checklist_total", "checklist_pct"]


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").dt.normalize()


def _pct(n: float, d: float) -> float | None:
    return None if not d else 100.0 * n / d


def decision_flags(dec: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """`dec` with `counted` (in the on-time denominator) and `on_time`."""
    status = dec["status"].fillna("agreed").astype(str).str.lower()
    due, decided = _dates(dec["due_date"]), _dates(dec["decided_on"])
    taken = status.isin(["agreed", "done"])
    overdue = (status == "proposed") & due.notna() & (due < pd.Timestamp(today))
    on_time = taken & (due.isna() | (decided <= due))
    return dec.assign(counted=(taken | overdue) & (status != "dropped"), on_time=on_time)


def action_flags(act: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """`act` with `done`, `on_time` (done by the due date) and `open_late`."""
    status = act["status"].fillna("open").astype(str).str.lower()
    due, done_at = _dates(act["due_date"]), _dates(act["done_at"])
    done = status == "done"
    on_time = done & (due.isna() | (done_at.notna() & (done_at <= due)))
    open_late = ~done & due.notna() & (due < pd.Timestamp(today))
    return act.assign(done=done, on_time=on_time, open_late=open_late)


def _checklist_counts(cycles: pd.DataFrame, ticks: pd.DataFrame, evidence: dict[int, dict[str, bool]],
                      today: dt.date) -> dict[int, tuple[int, int]]:
    out = {}
    for c in cycles.to_dict("records"):
        cid = int(c["id"])
        mine = ticks[ticks["cycle_id"] == cid] if len(ticks) else None
        st = cycle_service.assess(str(c["period"]), c.get("created_at"), mine, evidence.get(cid, {}), today)
        out[cid] = (st["done"], st["total"])
    return out


def measures(records: dict[str, pd.DataFrame], evidence: dict[int, dict[str, bool]] | None = None,
             today: dt.date | None = None) -> pd.DataFrame:
    """One row per cycle (oldest first) with MEASURE_COLUMNS, from `Store.process_records()`-like frames;
    `evidence`: {cycle_id: flags of its automatic checklist items}."""
    today = today or cycle_service.today()
    cycles = records["cycles"]
    if cycles is None or cycles.empty:
        return pd.DataFrame(columns=MEASURE_COLUMNS)
    dec = decision_flags(records["decisions"], today) if len(records["decisions"]) else None
    act = action_flags(records["actions"], today) if len(records["actions"]) else None
    checks = _checklist_counts(cycles, records["checklist"], evidence or {}, today)
    rows = []
    for c in cycles.to_dict("records"):
        cid = int(c["id"])
        d = dec[dec["cycle_id"] == cid] if dec is not None else pd.DataFrame(columns=["counted", "on_time"])
        a = act[act["cycle_id"] == cid] if act is not None else pd.DataFrame(columns=["done", "on_time", "open_late"])
        counted = int(d["counted"].sum())
        on_time = int((d["counted"] & d["on_time"]).sum())
        n_act, n_done, n_ontime = len(a), int(a["done"].sum()), int(a["on_time"].sum())
        start = pd.Timestamp(cycle_service.calendar_start(str(c["period"]), c.get("created_at")))
        created = pd.to_datetime(c.get("created_at"), errors="coerce")
        if pd.notna(created) and created.normalize() < start:
            start = created.normalize()
        approved = pd.to_datetime(c.get("approved_at"), errors="coerce")
        cycle_days = None if pd.isna(approved) else float((approved.normalize() - start).days)
        done_items, total_items = checks[cid]
        rows.append({
            "cycle_id": cid, "period": str(c["period"]), "decisions": counted, "decisions_on_time": on_time,
            "decisions_on_time_pct": _pct(on_time, counted), "actions": n_act, "actions_done": n_done,
            "actions_done_pct": _pct(n_done, n_act), "actions_done_on_time": n_ontime,
            "actions_done_on_time_pct": _pct(n_ontime, n_act), "actions_open_late": int(a["open_late"].sum()),
            "cycle_time_days": cycle_days, "checklist_done": done_items, "checklist_total": total_items,
            "checklist_pct": _pct(done_items, total_items),
        })
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def overall(records: dict[str, pd.DataFrame], per_cycle: pd.DataFrame, today: dt.date | None = None) -> dict[str, Any]:
    """The measures over every cycle: shares of all decisions and actions (a carried action once, as its last
    continuation), the median cycle time against the target, and the checklist completion of all cycles."""
    today = today or cycle_service.today()
    dec = decision_flags(records["decisions"], today) if len(records["decisions"]) else None
    act = action_flags(records["actions"], today) if len(records["actions"]) else None
    if act is not None:
        continued = set(pd.to_numeric(act["carried_from"], errors="coerce").dropna().astype(int))
        act = act[~act["id"].astype(int).isin(continued)]
    counted = int(dec["counted"].sum()) if dec is not None else 0
    on_time = int((dec["counted"] & dec["on_time"]).sum()) if dec is not None else 0
    n_act = len(act) if act is not None else 0
    n_done = int(act["done"].sum()) if act is not None else 0
    n_ontime = int(act["on_time"].sum()) if act is not None else 0
    times = pd.to_numeric(per_cycle["cycle_time_days"], errors="coerce").dropna()
    median = float(np.median(times)) if len(times) else None
    done_items, total_items = int(per_cycle["checklist_done"].sum()), int(per_cycle["checklist_total"].sum())
    return {
        "decisions": counted, "decisions_on_time": on_time, "decisions_on_time_pct": _pct(on_time, counted),
        "actions": n_act, "actions_done": n_done, "actions_done_pct": _pct(n_done, n_act),
        "actions_done_on_time": n_ontime, "actions_done_on_time_pct": _pct(n_ontime, n_act),
        "actions_open_late": int(act["open_late"].sum()) if act is not None else 0,
        "cycle_time_days": median, "cycle_time_target_days": CYCLE_TIME_TARGET_DAYS,
        "cycle_time_status": None if median is None else
        ("on_target" if median < CYCLE_TIME_TARGET_DAYS else "off_target"),
        "checklist_pct": _pct(done_items, total_items),
    }


def process_measures(today: dt.date | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(per cycle, overall) from the store: what /metrics shows in "The S&OP process". Reads only. Several
    callbacks of /metrics ask for it: computed once per store revision (any write moves it) and day."""
    from services.plan_service import get_store

    today = today or cycle_service.today()
    per_cycle, overall_ = get_store().cached("process_measures", today, lambda: _process_measures(today))
    return per_cycle.copy(), dict(overall_)


def _process_measures(today: dt.date) -> tuple[pd.DataFrame, dict[str, Any]]:
    from services.plan_service import get_store

    store = get_store()
    records = store.process_records()
    evidence = {}
    current = None
    if len(records["cycles"]):
        current = int(records["cycles"]["id"].max())
    for cid in records["cycles"]["id"].astype(int) if len(records["cycles"]) else []:
        open_n = (cycle_service.open_exception_count(cid) if cid == current else
                  int((store.quality_log(cid)["reviewed_at"].isna()).sum()))
        evidence[cid] = cycle_service.evidence_flags(store.cycle_evidence(cid), open_n)
    per_cycle = measures(records, evidence, today)
    return per_cycle, overall(records, per_cycle, today)
