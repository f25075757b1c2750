"""Step 5, live: the cycle's agenda (editable per cycle) with a timer stored on the server, the meeting
(start, the item being discussed, end), attendees, risks, decisions whose money is computed from the plan where
it can be, approval recorded as a decision, and what changed in the plan since the meeting started.

The agenda of a cycle is the reference's seven items until someone edits it or starts its timer: reading never
writes; the first write stores the default rows and changes them in the same transaction. The timer adds the
seconds an item ran to its `actual_seconds` whenever it stops (pause, next item, end); `running_since` marks the
one item that runs. Every screen reads the same rows, so the time survives a reload and shows everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from services.edits import EditError
from services.meeting import AGENDA, TOPICS, _date, _text
from services.plan_service import get_service

MIN_MINUTES, MAX_MINUTES = 1, 240
DECISION_STATUSES = ["proposed", "agreed", "done", "dropped"]
LEVELS = ["high", "medium", "low"]
RISK_STATUSES = ["open", "mitigated", "closed"]
ACTION_STATUSES = ["open", "in progress", "done"]
AMBER_SECONDS = 60  # less than this left: amber


def default_agenda() -> list[dict[str, Any]]:
    return [{"key": k, "title": t, "planned_minutes": float(m), "position": i, "actual_seconds": 0.0,
             "running_since": None} for i, (k, t, m) in enumerate(AGENDA)]


def _rows(agenda: list[dict]) -> list[dict]:
    return [dict(r) for r in agenda] if agenda else default_agenda()


def _ts(value) -> dt.datetime | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------- reading


def spent(row: dict, now: dt.datetime) -> float:
    """Seconds an item has taken so far (stored + the running stretch)."""
    total = float(row.get("actual_seconds") or 0.0)
    since = _ts(row.get("running_since"))
    return total + max(0.0, (now - since).total_seconds()) if since else total


def timer_status(left_seconds: float) -> str:
    """ok (green) · late (amber, under a minute left) · over (red, overrun)."""
    return "over" if left_seconds < 0 else "late" if left_seconds < AMBER_SECONDS else "ok"


def fmt_seconds(seconds: float) -> str:
    s = int(round(abs(seconds)))
    return f"{'+' if seconds < 0 else ''}{s // 60}:{s % 60:02d}"


def state(cycle_id: int | None = None) -> dict[str, Any]:
    """The agenda with live times and the meeting of a cycle (default: current), for pages and the deck:
    {cycle_id, items: [{key, title, planned_minutes, actual_seconds, running, left_seconds, status}],
    meeting: {...} | None, current_key, running_key, now}."""
    cid, agenda, meeting = get_service().store.meeting_snapshot(cycle_id)
    now = _now()
    items = []
    for r in _rows(agenda):
        took = spent(r, now)
        left = float(r["planned_minutes"]) * 60 - took
        items.append({"key": r["key"], "title": r["title"], "planned_minutes": float(r["planned_minutes"]),
                      "actual_seconds": took, "running": r.get("running_since") is not None,
                      "running_since": _ts(r.get("running_since")), "left_seconds": left,
                      "status": timer_status(left)})
    running = next((i["key"] for i in items if i["running"]), None)
    current = (meeting or {}).get("current_key") or running or (items[0]["key"] if items else None)
    return {"cycle_id": cid, "items": items, "meeting": meeting, "current_key": current, "running_key": running,
            "now": now, "open": bool(meeting) and meeting.get("ended_at") is None}


def timer_payload(st: dict[str, Any]) -> dict[str, Any]:
    """What assets/presentation.js needs to draw the clock between polls (times in epoch milliseconds)."""
    def ms(t):
        return None if t is None else int(t.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)

    return {"now": ms(st["now"]), "current": st["current_key"], "running": st["running_key"], "open": st["open"],
            "items": {i["key"]: {"planned": i["planned_minutes"] * 60,
                                 "stored": i["actual_seconds"] - (
                                     (st["now"] - i["running_since"]).total_seconds() if i["running_since"] else 0),
                                 "since": ms(i["running_since"])} for i in st["items"]}}


# ---------------------------------------------------------------------------- agenda edits


def _minutes(value: Any) -> float:
    try:
        minutes = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise EditError(f"the duration “{value}” is not a number of minutes") from None
    if minutes != minutes or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise EditError(f"a duration is {MIN_MINUTES} to {MAX_MINUTES} minutes (not {value})")
    return float(round(minutes))


def _title(value: Any) -> str:
    title = (value or "").strip() if isinstance(value, str) else ""
    if not title:
        raise EditError("give the agenda item a title")
    if len(title) > 200:
        raise EditError("keep the title under 200 characters")
    return title


def slug(title: str, taken: set[str]) -> str:
    """A stable key for a new item from its title, unique within the agenda."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "item"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _index(rows: list[dict], key: str) -> int:
    for i, r in enumerate(rows):
        if r["key"] == key:
            return i
    raise EditError(f"there is no agenda item “{key}”")


def _edit(change) -> list[dict]:
    def apply(agenda, meeting, now):
        rows = change(_rows(agenda))
        if not rows:
            raise EditError("the agenda needs at least one item")
        return rows, None

    return get_service().store.change_agenda(apply)[0]


def add_item(title: Any, minutes: Any, after: str | None = None) -> str:
    """Add an item (after `after`, default at the end); returns its key."""
    title, mins = _title(title), _minutes(minutes)
    made: list[str] = []

    def change(rows):
        key = slug(title, {r["key"] for r in rows})
        made.append(key)
        at = _index(rows, after) + 1 if after else len(rows)
        rows.insert(at, {"key": key, "title": title, "planned_minutes": mins, "actual_seconds": 0.0,
                         "running_since": None})
        return rows

    _edit(change)
    return made[-1]


def remove_item(key: str) -> None:
    def change(rows):
        i = _index(rows, key)
        if len(rows) == 1:
            raise EditError("the agenda needs at least one item")
        if rows[i].get("running_since") is not None:
            raise EditError("pause the timer of this item before removing it")
        del rows[i]
        return rows

    _edit(change)


def move_item(key: str, step: int) -> None:
    """Move an item up (step −1) or down (+1); at either end nothing moves."""
    def change(rows):
        i = _index(rows, key)
        j = min(max(i + int(step), 0), len(rows) - 1)
        rows.insert(j, rows.pop(i))
        return rows

    _edit(change)


def set_item(key: str, *, title: Any = None, minutes: Any = None) -> None:
    """Change an item's title and/or planned minutes."""
    new_title = _title(title) if title is not None else None
    new_minutes = _minutes(minutes) if minutes is not None else None

    def change(rows):
        r = rows[_index(rows, key)]
        if new_title is not None:
            r["title"] = new_title
        if new_minutes is not None:
            r["planned_minutes"] = new_minutes
        return rows

    _edit(change)


# ---------------------------------------------------------------------------- the timer


def _stop(rows: list[dict], now: dt.datetime) -> str | None:
    """Stop the running item, adding its stretch to actual_seconds; returns its key."""
    stopped = None
    for r in rows:
        since = _ts(r.get("running_since"))
        if since is not None:
            r["actual_seconds"] = float(r.get("actual_seconds") or 0.0) + max(0.0, (now - since).total_seconds())
            r["running_since"] = None
            stopped = r["key"]
    return stopped


def _meeting(meeting: dict | None, now: dt.datetime, by: str, rows: list[dict]) -> dict:
    """The open meeting, or a new one starting now from the plan's current revision."""
    if meeting and meeting.get("ended_at") is None:
        return dict(meeting)
    st = get_service().state()
    return {"started_at": now, "started_by": by, "ended_at": None, "ended_by": None,
            "current_key": rows[0]["key"], "start_revision": int(st.revision), "start_version_id": int(st.version_id)}


def start_meeting(*, by: str) -> dict:
    """Open the cycle's meeting (a no-op while one is open); the agenda is stored with it."""
    def change(agenda, meeting, now):
        rows = _rows(agenda)
        return rows, _meeting(meeting, now, by, rows)

    return get_service().store.change_agenda(change)[1]


def timer(op: str, key: str | None = None, *, by: str) -> dict:
    """The facilitator's timer: `toggle` starts or pauses `key` (default: the current item); `goto` makes
    `key` the current item (the running clock moves with it); `next`/`prev` step through the agenda. The first
    press opens the meeting. Returns the meeting row."""
    if op not in ("toggle", "goto", "next", "prev", "pause"):
        raise EditError(f"unknown timer command {op}")

    def change(agenda, meeting, now):
        rows = _rows(agenda)
        m = _meeting(meeting, now, by, rows)
        keys = [r["key"] for r in rows]
        current = m.get("current_key") if m.get("current_key") in keys else keys[0]
        target = key if key in keys else current
        if key is not None and key not in keys:
            raise EditError(f"there is no agenda item “{key}”")
        if op in ("next", "prev"):
            target = keys[min(max(keys.index(current) + (1 if op == "next" else -1), 0), len(keys) - 1)]
        was_running = _stop(rows, now)
        if op == "toggle":
            if not (was_running == target):  # it was paused, or another item ran: run this one
                rows[keys.index(target)]["running_since"] = now
        elif op in ("goto", "next", "prev") and was_running:
            rows[keys.index(target)]["running_since"] = now
        m["current_key"] = target
        return rows, m

    return get_service().store.change_agenda(change)[1]


def end_meeting(*, by: str) -> dict:
    """Stop the clock and close the meeting (ended_at, ended_by)."""
    def change(agenda, meeting, now):
        if not meeting or meeting.get("ended_at") is not None:
            raise EditError("no meeting is running; start it first")
        rows = _rows(agenda)
        _stop(rows, now)
        return rows, {**meeting, "ended_at": now, "ended_by": by}

    return get_service().store.change_agenda(change)[1]


# ---------------------------------------------------------------------------- capture


def add_attendee(*, username: str | None, name: str | None, function: str | None, by: str) -> int:
    """An attendee: a user of the product (by user name) or a free name, with the function they attend for."""
    store = get_service().store
    function = _text(function, "function", False)[:100]
    if username:
        users = store.list_users()
        row = users[users["username"] == username]
        if row.empty:
            raise EditError(f"there is no user {username}")
        shown = _text(name, "name", False) or str(username)
        if not function:
            function = str(row["role"].iloc[0]).replace("_", " ")
    else:
        shown = _text(name, "attendee's name")
    if len(shown) > 200:
        raise EditError("keep the name under 200 characters")
    present = store.list_attendees()
    if len(present) and ((present["name"].str.lower() == shown.lower()).any()
                         or (username and (present["username"] == username).any())):
        raise EditError(f"{shown} is already listed")
    return store.add_attendee({"name": shown, "username": username or None, "function": function, "added_by": by})


def remove_attendee(attendee_id: int) -> None:
    get_service().store.delete_attendee(int(attendee_id))


def add_risk(*, description: str | None, likelihood: str | None, impact: str | None, contingency: str | None,
             owner: str | None, status: str | None = "open", by: str) -> int:
    if likelihood not in LEVELS or impact not in LEVELS:
        raise EditError("choose the likelihood and the impact: " + ", ".join(LEVELS))
    if (status or "open") not in RISK_STATUSES:
        raise EditError("the status is one of: " + ", ".join(RISK_STATUSES))
    return get_service().store.add_risk({
        "description": _text(description, "risk"), "likelihood": likelihood, "impact": impact,
        "contingency": _text(contingency, "contingency", False), "owner": _text(owner, "owner", False) or by,
        "status": status or "open", "created_by": by})


def set_risk_status(risk_id: int, status: str) -> None:
    if status not in RISK_STATUSES:
        raise EditError("the status is one of: " + ", ".join(RISK_STATUSES))
    get_service().store.update_risk(int(risk_id), {"status": status})


def _amount(value: Any) -> float | None:
    if value in (None, ""):
        return None
    text = str(value).strip().replace("$", "").replace(",", "").replace(" ", "")
    try:
        amount = float(text)
    except ValueError:
        raise EditError(f"the financial impact “{value}” is not an amount of money") from None
    if amount != amount or abs(amount) > 1e13:
        raise EditError(f"the financial impact “{value}” is not an amount of money")
    return amount


def computed_impact(topic: str | None, family: str | None, period: str | None = None,
                    version_id: int | None = None) -> dict[str, Any] | None:
    """The money a decision about a family (and month; default: the whole horizon) carries in the plan:
    supply → the supply plan's overtime and outsourcing cost; demand/financial → revenue at risk (lost sales).
    {amount, text} or None when the plan has nothing to cost there."""
    if not family or topic not in TOPICS:
        return None
    svc = get_service()
    plan = svc.current_plan(version_id)
    number = svc.store.get_version(svc.state(version_id).version_id)["number"]
    where = f"{family} {period}" if period else f"{family}, whole horizon"
    if topic == "supply":
        sp = plan.supply_plan[plan.supply_plan["family"] == family]
        if period:
            sp = sp[sp["period"] == period]
        s = svc.plan_settings(version_id)
        ot, osrc = float(sp["overtime"].sum()), float(sp["outsource"].sum())
        ot, osrc = (v if v >= 0.5 else 0.0 for v in (ot, osrc))  # below half a unit: solver dust
        if ot <= 0 and osrc <= 0:
            return None
        parts = []
        if ot > 0:
            parts.append(f"overtime {ot:,.0f} u × ${s.cost_overtime:,.2f}")
        if osrc > 0:
            parts.append(f"outsourcing {osrc:,.0f} u × ${s.cost_outsource:,.2f}")
        amount = ot * s.cost_overtime + osrc * s.cost_outsource
    else:
        fin = plan.financials[plan.financials["family"] == family]
        if period:
            fin = fin[fin["period"] == period]
        amount = float(fin["revenue_at_risk"].sum())
        if amount <= 0:
            return None
        parts = ["revenue at risk (lost sales)"]
    return {"amount": round(float(amount), 2),
            "text": f"computed from plan v{number} ({where}): " + " + ".join(parts) + f" = ${amount:,.0f}"}


def record_decision(*, topic: str | None, decision: str | None, rationale: str | None = None,
                    owner: str | None = None, impact: str | None = None, amount: Any = None,
                    due: str | None = None, status: str | None = "agreed", version_id: int | None = None,
                    family: str | None = None, period: str | None = None, by: str) -> int:
    """Store a decision of the current cycle (stored at once). The plan version defaults to the current one;
    without an amount, the money is computed from the plan for the family (and month) where it can be."""
    if topic not in TOPICS:
        raise EditError("choose what the decision is about: " + ", ".join(TOPICS))
    if (status or "agreed") not in DECISION_STATUSES:
        raise EditError("the status is one of: " + ", ".join(DECISION_STATUSES))
    svc = get_service()
    version = svc.store.get_version(int(version_id)) if version_id else svc.store.latest_version()
    money = _amount(amount)
    note = _text(impact, "impact", False)
    computed = computed_impact(topic, family, period, int(version["id"])) if family else None
    if computed and (money is None or abs(money - computed["amount"]) < 1):  # none given, or the prefilled one
        money, note = computed["amount"], note or computed["text"]
    row = {"topic": topic, "decision": _text(decision, "decision"), "rationale": _text(rationale, "rationale", False),
           "owner": _text(owner, "owner", False) or by, "impact": note or f"plan v{version['number']}",
           "impact_amount": money, "due_date": _date(due, "due date"), "status": status or "agreed",
           "version_id": int(version["id"]), "recorded_at": _now(), "recorded_by": by}
    return svc.store.add_decision(row)


def approve_plan(*, by: str) -> dict:
    """Freeze the current draft and record the decision “Plan vN approved” (strategic, version N)."""
    from services import versions

    version = versions.approve(by=by)
    record_decision(topic="strategic", decision=f"Plan v{version['number']} approved",
                    rationale="approved in the executive S&OP meeting", owner=by, status="agreed",
                    version_id=int(version["id"]), impact=f"plan v{version['number']} frozen", amount=None, by=by)
    return version


def add_action(*, description: str | None, owner: str | None, due: str | None, priority: str | None,
               status: str | None = "open", decision_id: int | None = None, by: str) -> int:
    from services.meeting import PRIORITIES

    if priority not in PRIORITIES:
        raise EditError("choose a priority: " + ", ".join(PRIORITIES))
    if (status or "open") not in ACTION_STATUSES:
        raise EditError("the status is one of: " + ", ".join(ACTION_STATUSES))
    now = _now()
    return get_service().store.add_action({
        "description": _text(description, "action"), "owner": _text(owner, "owner"),
        "due_date": _date(due, "due date"), "priority": priority, "status": status or "open",
        "created_at": now, "created_by": by, "done_at": now if status == "done" else None,
        "decision_id": int(decision_id) if decision_id else None})


# ---------------------------------------------------------------------------- what changed since the start


def changed_since_start(cycle_id: int | None = None) -> pd.DataFrame:
    """Families whose consensus moved since the meeting started: family, cells (family-months changed),
    net (units, after − before), by (who). Empty when no meeting runs or nothing moved."""
    svc = get_service()
    meeting = svc.store.get_meeting(cycle_id)
    cols = ["family", "cells", "net", "by"]
    if not meeting:
        return pd.DataFrame(columns=cols)
    adj = svc.store.list_adjustments()
    if adj.empty:
        return pd.DataFrame(columns=cols)
    adj = adj[adj["active"] & (pd.to_datetime(adj["recorded_at"]) >= pd.Timestamp(meeting["started_at"]))]
    if adj.empty:
        return pd.DataFrame(columns=cols)
    items = svc.store.list_items()[["item_id", "family"]]
    fam = adj["key"].where(adj["level"] == "family", adj["key"].map(items.set_index("item_id")["family"]))
    adj = adj.assign(family=fam, net=adj["after_value"].fillna(0) - adj["before_value"].fillna(0),
                     cell=adj["key"] + "|" + adj["period"])
    out = adj.groupby("family", as_index=False).agg(cells=("cell", "nunique"), net=("net", "sum"),
                                                    by=("owner", lambda s: ", ".join(sorted(set(map(str, s))))))
    return out[cols].sort_values("family", ignore_index=True)


def open_exceptions() -> int | None:
    """Open data-quality exceptions of the cycle (services.cycle, built elsewhere), or None while that
    function does not exist."""
    try:
        from services.cycle import open_exception_count  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return int(open_exception_count())
    except Exception:  # the hook must never break the slide
        return None


def users() -> pd.DataFrame:
    """username, role of the product's users (for picking attendees)."""
    return get_service().store.list_users()[["username", "role"]]

