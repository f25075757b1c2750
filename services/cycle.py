"""The monthly cycle as a five-week calendar, and its data-quality log (exception-based review).

**Calendar.** A cycle (`2026-01`) runs through the five S&OP steps; each step has a window of working days
(Monday to Friday; no public-holiday calendar), an owner, its objectives and a checklist of the activities
and outputs that close it. Week 1 starts on the first working day of the cycle's month. A cycle whose data
was stored after its whole calendar would already be over (a company loaded out of season, e.g. the demo)
starts its week 1 on the first working day on or after the day its data was stored instead. Windows, in
working days from that start: step 1 days 1–2 and step 2 days 3–5 (both in week 1, as data gathering and
the demand review share the first week), step 3 week 2, step 4 week 3, step 5 weeks 4–5 (the executive
meeting in week 4, following up its actions in week 5). A step is due on the last day of its window.

- The step the cycle is in: the first step (in order) that still has unticked items; a team that finishes
  a step early moves on. When every item is ticked the cycle is complete (shown as step 5, done).
- Late: a step whose due date has passed while it still has unticked items.
- Automatic items are ticked by evidence in the store (the data is stored, a statistical forecast run is
  done, no open entry in the data-quality log, an assumption, a decision, an action item, an approved
  version) and cannot be ticked by hand.
- Who may tick: the step's owner roles, the facilitator and the administrator.

**Data-quality log.** Every upload's warnings are stored with the cycle the upload opened (at upload time,
in the upload's transaction). The exceptions list (forecast change, tracking signal, MAPE, bias) is computed
with the plan and read from it: it is never written when someone looks at it. Reviewing an entry (a planner,
with a comment) stores the entry with who and when. An entry is open until reviewed; its key (kind, item,
month) is stable, so a recomputed plan raising the same exception finds the same review.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from services.permissions import ROLE_LABELS, NotAllowed

log = logging.getLogger("sop.cycle")

# the roles that may tick any step's items besides its owners
COORDINATORS = ("facilitator", "admin")
MAX_COMMENT = 1000


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    kind: str = "activity"  # activity | output
    auto: str | None = None  # the evidence that ticks it (see `evidence_flags`); None: ticked by hand


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str
    page: str
    week: str
    first_day: int  # working days from the cycle's start (0-based), inclusive
    last_day: int
    owners: tuple[str, ...]
    objectives: tuple[str, ...]
    items: tuple[Item, ...]

    def item(self, key: str) -> Item:
        for it in self.items:
            if it.key == key:
                return it
        raise KeyError(key)


# The five steps, their objectives and what closes them, in our own words after the reference's monthly cycle.
STEPS: tuple[Step, ...] = (
    Step(1, "data", "Data gathering", "/data", "Week 1", 0, 1, ("demand_planner",),
         ("Bring last month's actual sales, production and stock in", "Produce a statistical baseline forecast",
          "Find the exceptions and anomalies before anyone reviews the plan"),
         (Item("actuals", "Last month's actuals loaded and validated", "activity", "data"),
          Item("forecast", "Statistical forecast run for every series", "activity", "forecast"),
          Item("accuracy", "Forecast accuracy (MAPE, bias) looked at by family", "output"),
          Item("exceptions", "Every exception and data warning reviewed", "output", "no_open_quality"),
          Item("quality_owner", "Data-quality issues handed to an owner", "output"))),
    Step(2, "demand", "Demand review", "/demand", "Week 1", 2, 4, ("demand_planner",),
         ("Challenge the statistical forecast", "Bring in what sales and marketing know",
          "Agree one consensus demand plan"),
         (Item("baseline", "Statistical forecast reviewed with sales and marketing"),
          Item("intelligence", "Promotions, launches and market moves discussed"),
          Item("adjusted", "Adjustments entered, each with its reason"),
          Item("assumptions", "Assumptions and risks written down", "output", "assumptions"),
          Item("consensus", "Consensus demand plan agreed", "output"))),
    Step(3, "supply", "Supply review", "/supply", "Week 2", 5, 9, ("supply_planner",),
         ("Check that capacity can meet the demand plan", "Find the constraints and gaps",
          "Work out the supply alternatives"),
         (Item("capacity", "Capacity compared with demand for every family"),
          Item("constraints", "Bottlenecks and supplier limits identified"),
          Item("inventory", "Inventory positions checked"),
          Item("options", "Supply options costed and a supply plan proposed", "output"))),
    Step(4, "pre_sop", "Pre-S&OP", "/pre-sop", "Week 3", 10, 14, ("facilitator",),
         ("Reconcile demand with supply", "Prepare scenarios and their trade-offs",
          "Bring a recommendation to the executives"),
         (Item("balance", "Demand and supply balanced per family"),
          Item("scenarios", "Scenarios prepared with pros, cons and costs"),
          Item("financials", "Plan reconciled in money (revenue, margin, budget)", "output"),
          Item("recommendation", "Recommendation and the decisions needed written up", "output"))),
    Step(5, "meeting", "Executive meeting", "/meeting", "Weeks 4–5", 15, 24, ("executive", "facilitator"),
         ("Decide on the plan", "Settle the gaps and trade-offs", "Commit resources and align priorities"),
         (Item("held", "Executive meeting held on its agenda"),
          Item("decisions", "Decisions recorded with an owner", "output", "decisions"),
          Item("approved", "Plan approved", "output", "approved"),
          Item("actions", "Action items assigned", "output", "actions"),
          Item("follow_up", "Actions followed up and results watched (week 5)"))),
)
STEP_BY_KEY = {s.key: s for s in STEPS}
STEP_BY_PAGE = {s.page: s for s in STEPS}


def get_step(key: str) -> Step:
    if key not in STEP_BY_KEY:
        raise KeyError(f"no step {key!r}")
    return STEP_BY_KEY[key]


# ---------------------------------------------------------------------------- dates


def _as_date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def first_working_day(day: dt.date) -> dt.date:
    """The day itself when it is Monday–Friday, else the next Monday."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def add_working_days(day: dt.date, n: int) -> dt.date:
    return np.busday_offset(np.datetime64(day, "D"), n, roll="forward").astype(dt.date)


def calendar_start(period: str, created_at: Any = None) -> dt.date:
    """Week 1's first day (see the module's rule)."""
    start = first_working_day(dt.date(int(period[:4]), int(period[5:7]), 1))
    created = _as_date(created_at)
    if created is not None and created > add_working_days(start, STEPS[-1].last_day):
        start = first_working_day(created)
    return start


def step_dates(period: str, created_at: Any = None) -> dict[str, tuple[dt.date, dt.date]]:
    """{step key: (first day, due day)} of a cycle."""
    start = calendar_start(period, created_at)
    return {s.key: (add_working_days(start, s.first_day), add_working_days(start, s.last_day)) for s in STEPS}


def short_date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%b}"


# ---------------------------------------------------------------------------- status


def assess(period: str, created_at: Any, ticks: pd.DataFrame | None, evidence: dict[str, bool],
           today: dt.date) -> dict[str, Any]:
    """The calendar of a cycle with every item's state, the current step and what is late.

    `ticks`: the stored rows (step, item, done, by, at); `evidence`: {evidence name: true/false}."""
    dates = step_dates(period, created_at)
    stored: dict[tuple[str, str], dict] = {}
    if ticks is not None and len(ticks):
        for r in ticks.to_dict("records"):
            stored[(str(r["step"]), str(r["item"]))] = r
    steps = []
    for s in STEPS:
        start, due = dates[s.key]
        items = []
        for it in s.items:
            row = stored.get((s.key, it.key)) if it.auto is None else None
            done = bool(evidence.get(it.auto)) if it.auto else bool(row and row.get("done"))
            items.append({"key": it.key, "text": it.text, "kind": it.kind, "auto": it.auto is not None,
                          "done": done, "by": (row or {}).get("by") if row else None,
                          "at": (row or {}).get("at") if row else None})
        n_done = sum(i["done"] for i in items)
        complete = n_done == len(items)
        steps.append({
            "number": s.number, "key": s.key, "title": s.title, "page": s.page, "week": s.week,
            "owners": list(s.owners), "objectives": list(s.objectives), "start": start, "due": due,
            "items": items, "done": n_done, "total": len(items), "complete": complete,
            "started": start <= today, "late": (not complete) and due < today,
        })
    open_steps = [s for s in steps if not s["complete"]]
    current = open_steps[0] if open_steps else steps[-1]
    return {
        "period": period, "steps": steps, "current": current["number"], "current_key": current["key"],
        "current_title": current["title"], "due": current["due"], "complete": not open_steps,
        "late": sum(s["late"] for s in steps), "late_steps": [s["number"] for s in steps if s["late"]],
        "done": sum(s["done"] for s in steps), "total": sum(s["total"] for s in steps), "today": today,
    }


def evidence_flags(ev: dict[str, Any], open_quality: int) -> dict[str, bool]:
    """Store evidence (`Store.cycle_evidence`) as the flags automatic items read."""
    return {"data": True,  # a cycle exists only once its data is stored and validated
            "forecast": ev.get("forecast_runs", 0) > 0, "no_open_quality": open_quality == 0,
            "assumptions": ev.get("assumptions", 0) > 0, "decisions": ev.get("decisions", 0) > 0,
            "actions": ev.get("actions", 0) > 0, "approved": ev.get("approved_at") is not None}


def _store():
    from services.plan_service import get_store

    return get_store()


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def cycle_status(cycle_id: int | None = None, *, on: dt.date | None = None) -> dict[str, Any]:
    """`assess` of a stored cycle (default: the current one) as of `on` (default: today), with the open
    count of its data-quality log. Reads only. The header and every step's checklist ask for it on each page
    load: computed once per store revision (any write, in any process, moves it) and day."""
    on = on or today()
    return _store().cached("cycle_status", (cycle_id, on), lambda: _cycle_status(cycle_id, on))


def _cycle_status(cycle_id: int | None, on: dt.date) -> dict[str, Any]:
    store = _store()
    cycle = store.get_cycle(cycle_id)
    open_n = open_exception_count(int(cycle["id"]))
    ev = store.cycle_evidence(int(cycle["id"]))
    status = assess(str(cycle["period"]), cycle.get("created_at"), store.checklist(int(cycle["id"])),
                    evidence_flags(ev, open_n), on)
    return {**status, "cycle_id": int(cycle["id"]), "open_exceptions": open_n}


def step_status(step_key: str, cycle_id: int | None = None) -> dict[str, Any]:
    """One step of `cycle_status` (for a page's checklist panel)."""
    status = cycle_status(cycle_id)
    step = next(s for s in status["steps"] if s["key"] == step_key)
    return {**step, "cycle_id": status["cycle_id"], "period": status["period"],
            "current": status["current"] == step["number"]}


def may_tick(role: str | None, step_key: str) -> bool:
    return role is not None and (role in get_step(step_key).owners or role in COORDINATORS)


def tick_item(step_key: str, item_key: str, done: bool, *, user: dict[str, Any], cycle_id: int | None = None) -> None:
    """Tick or untick one item for `user` ({username, role} as stored, e.g. from `authorize`): refused for a
    role that does not own the step (NotAllowed) and for automatic items (ValueError); nothing is stored then."""
    step = get_step(step_key)
    item = step.item(item_key)
    role = user.get("role")
    if not may_tick(role, step_key):
        who = ", ".join(sorted(ROLE_LABELS.get(r, r) for r in set(step.owners) | set(COORDINATORS)))
        raise NotAllowed(f"{user.get('username')} ({ROLE_LABELS.get(role, role)}) may not tick the "
                         f"{step.title.lower()} checklist; that needs: {who}.")
    if item.auto:
        raise ValueError(f"“{item.text}” is ticked automatically from what is stored")
    _store().set_checklist_item(step.key, item.key, bool(done), by=str(user["username"]), cycle_id=cycle_id)


# ---------------------------------------------------------------------------- data-quality log

KIND_LABELS = {"forecast_change": "Forecast change", "tracking_signal": "Tracking signal", "mape": "MAPE",
               "bias": "Bias"}
LOG_COLUMNS = ["source", "key", "kind", "item_id", "family", "period", "message", "status", "created_at",
               "reviewed_by", "reviewed_at", "comment"]


def exception_key(kind: Any, item_id: Any, period: Any) -> str:
    return f"{kind}|{item_id or ''}|{period or ''}"


def exception_entries(exceptions: pd.DataFrame | None) -> pd.DataFrame:
    """The plan's exceptions (planning.exceptions) as log entries: key, kind, item_id, family, period, message."""
    cols = ["key", "kind", "item_id", "family", "period", "message"]
    if exceptions is None or exceptions.empty:
        return pd.DataFrame(columns=cols)
    e = exceptions.reset_index(drop=True)
    value = pd.to_numeric(e["value"], errors="coerce")
    limit = pd.to_numeric(e["threshold"], errors="coerce")
    kind = e["kind"].astype(str)
    fmt = pd.Series([
        (f"{v:+.1f} % month over month (limit ±{t:g} %)" if k == "forecast_change" else
         f"tracking signal {v:+.2f} (limit ±{t:g})" if k == "tracking_signal" else
         f"MAPE {v:.1f} % (target {t:g} %)" if k == "mape" else
         f"bias {v:+.1f} % (limit ±{t:g} %)" if k == "bias" else f"{k} {v:g} (limit {t:g})")
        for k, v, t in zip(kind, value, limit)
    ], dtype=object)
    where = e["item_id"].astype(str) + " (" + e["family"].astype(str) + ") " + e["period"].astype(str)
    return pd.DataFrame({
        "key": [exception_key(k, i, p) for k, i, p in zip(kind, e["item_id"], e["period"])],
        "kind": kind, "item_id": e["item_id"].astype(str), "family": e["family"].astype(str),
        "period": e["period"].astype(str),
        "message": (where.str.strip() + ": " + kind.map(KIND_LABELS).fillna(kind) + ", " + fmt).to_numpy(),
    }).drop_duplicates("key", keep="last")


def upload_warning_entries(issues) -> list[tuple[str, str]]:
    """An upload's warnings as (key, message) entries of the data-quality log."""
    out = []
    for i in issues or []:
        if getattr(i, "is_error", True):
            continue
        key = "|".join(str(x) for x in (i.sheet, "" if i.row is None else i.row, i.column or "", i.message))
        out.append((key[:300], str(i)))
    return out


def _current_exceptions(cycle_id: int) -> pd.DataFrame | None:
    """The current plan's exceptions when `cycle_id` is the current cycle (read from the cached plan)."""
    from services import plan_service

    svc = plan_service.get_service()
    if svc.state().cycle_id != cycle_id:
        return None
    return svc.current_plan().exceptions


def quality_log(cycle_id: int | None = None) -> pd.DataFrame:
    """The cycle's data-quality log: its upload warnings and its exceptions (those the current plan raises, and
    earlier ones that were reviewed), each open or reviewed (with who, when and the comment). Reads only; once
    per store revision (the plan it reads is itself a function of what is stored)."""
    return _store().cached("quality_log", cycle_id, lambda: _quality_log(cycle_id)).copy()


def _quality_log(cycle_id: int | None) -> pd.DataFrame:
    store = _store()
    cid = int(store.get_cycle(cycle_id)["id"])
    stored = store.quality_log(cid)
    stored = stored.assign(kind="", item_id="", family="", period="")
    try:
        plan_exceptions = _current_exceptions(cid)
    except Exception:  # the plan cannot be computed: the stored entries still show
        log.exception("the exceptions could not be read from the plan")
        plan_exceptions = None
    live = exception_entries(plan_exceptions)
    exc_stored = stored[stored["source"] == "exception"].set_index("key")
    live = live.assign(source="exception", created_at=None, reviewed_by=None, reviewed_at=None, comment=None)
    if len(live) and len(exc_stored):
        hit = live["key"].isin(exc_stored.index)
        for col in ("created_at", "reviewed_by", "reviewed_at", "comment"):
            live.loc[hit, col] = live.loc[hit, "key"].map(exc_stored[col]).to_numpy()
    # stored exceptions the plan no longer raises: the reviewed ones stay in the log; for a past cycle (no live
    # plan) every stored one shows, as kept when it was closed
    gone = stored[(stored["source"] == "exception") & ~stored["key"].isin(live["key"])]
    if plan_exceptions is not None:
        gone = gone[gone["reviewed_at"].notna()]
    frames = [f for f in (stored[stored["source"] != "exception"], live, gone) if len(f)]
    if not frames:
        return pd.DataFrame(columns=LOG_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["status"] = np.where(out["reviewed_at"].notna(), "reviewed", "open")
    for col in ("kind", "item_id", "family", "period"):
        out[col] = out[col].fillna("")
    return out[LOG_COLUMNS].reset_index(drop=True)


def record_exceptions(cycle_id: int | None = None) -> int:
    """Keep the current plan's exceptions in the cycle's log (no duplicates: known keys are left as they are),
    e.g. when the cycle is closed, so a past cycle's log still lists them. Returns how many were added. Never
    called when a page is read."""
    store = _store()
    cid = int(store.get_cycle(cycle_id)["id"])
    live = exception_entries(_current_exceptions(cid))
    return store.log_quality("exception", zip(live["key"], live["message"]), cycle_id=cid)


def open_exception_count(cycle_id: int | None = None, source: str | None = None) -> int:
    """How many entries of the cycle's data-quality log (default: current cycle) are open (not reviewed);
    `source` ('upload' or 'exception') counts only those."""
    log_ = quality_log(cycle_id)
    if source is not None:
        log_ = log_[log_["source"] == source]
    return int((log_["status"] == "open").sum())


def _comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ValueError("write a comment: what was found, or why it needs no action")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"keep the comment under {MAX_COMMENT} characters (this one has {len(comment)})")
    return comment


def review_entry(source: str, key: str, comment: str | None, *, by: str, cycle_id: int | None = None) -> None:
    """Mark an entry of the log reviewed with a comment (who, when). ValueError when there is no comment, or
    no such entry."""
    review_entries([(source, key)], comment, by=by, cycle_id=cycle_id)


def review_entries(entries: list[tuple[str, str]], comment: str | None, *, by: str,
                   cycle_id: int | None = None) -> int:
    """Mark several open entries ((source, key) pairs, e.g. all those a filter shows) reviewed with one comment,
    in one transaction; entries already reviewed keep their review. Returns how many were marked."""
    comment = _comment(comment)
    if not entries:
        raise ValueError("select an entry in the table first")
    store = _store()
    cid = int(store.get_cycle(cycle_id)["id"])
    log_ = quality_log(cid).set_index(["source", "key"])
    wanted = pd.MultiIndex.from_tuples([(str(s), str(k)) for s, k in entries], names=["source", "key"])
    missing = wanted.difference(log_.index)
    if len(missing):
        raise ValueError("that entry is no longer in the log (the plan changed); refresh the list"
                         if len(wanted) == 1 else
                         f"{len(missing)} of these entries are no longer in the log (the plan changed); refresh")
    rows = log_.loc[wanted]
    rows = rows[rows["status"] == "open"]
    if rows.empty:
        raise ValueError("already reviewed" if len(wanted) == 1 else "every one of them is already reviewed")
    return store.review_quality_items([(s, k, str(m)) for (s, k), m in rows["message"].items()], by=by,
                                      comment=comment, cycle_id=cid)


def header_status(cycle_id: int | None = None) -> dict[str, Any]:
    """What the shell's header shows about the cycle: the current step (number, title, page, due date),
    how many steps are late, ticked items and the open entries of the data-quality log."""
    st = cycle_status(cycle_id)
    current = next(s for s in st["steps"] if s["number"] == st["current"])
    return {"current": st["current"], "current_title": st["current_title"], "page": current["page"],
            "due_text": short_date(st["due"]), "late": st["late"], "complete": st["complete"],
            "done": st["done"], "total": st["total"], "open_exceptions": st["open_exceptions"],
            "n_steps": len(STEPS), "cycle_id": st["cycle_id"]}


# ---------------------------------------------------------------------------------------------- sample


SAMPLE_TICKERS = {"demand_planner": "dana", "supply_planner": "sam", "facilitator": "fay", "executive": "erin"}


def seed_sample_checklists(store) -> int:
    """The sample company's closed past cycles with their checklists ticked by the steps' owners (each on its
    step's due day; in one cycle the supply review closed two working days late), so the process measures
    have a history on first start. Does nothing once any past cycle has a tick, or for other data. Returns
    the number of ticks written."""
    from data.store import SAMPLE_SOURCE

    try:
        if store.dataset_info().get("source") != SAMPLE_SOURCE:
            return 0
        cycles = store.list_cycles()
    except LookupError:
        return 0
    closed = cycles[cycles["status"] == "closed"] if len(cycles) else cycles
    if closed.empty or any(len(store.checklist(int(c))) for c in closed["id"]):
        return 0
    written = 0
    for n, row in enumerate(closed.sort_values("period").itertuples()):
        dates = step_dates(str(row.period), row.created_at)
        for step in STEPS:
            due = dates[step.key][1]
            if step.key == "supply" and n == len(closed) - 2:
                due = add_working_days(due, 2)  # one late step in the history
            who = SAMPLE_TICKERS.get(step.owners[0], "admin")
            for item in step.items:
                if item.auto is None:
                    store.set_checklist_item(step.key, item.key, True, by=who, cycle_id=int(row.id),
                                             at=dt.datetime.combine(due, dt.time(16, 0)))
                    written += 1
    return written
