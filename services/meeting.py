"""Step 5: what the executive meeting records — decisions (topic, decision, rationale, owner, financial impact)
and action items (description, owner, due date, priority, status) of the current cycle, validated here and
stored at once (one transaction each), so every open page shows them within seconds."""

from __future__ import annotations

import datetime as dt

from services.edits import EditError
from services.plan_service import get_service

# the reference's agenda of the executive meeting: (key, title, minutes)
AGENDA = [("performance", "Performance review", 15), ("demand", "Demand review", 30), ("supply", "Supply review", 30),
          ("financial", "Financial review", 20), ("scenarios", "Scenarios and trade-offs", 45),
          ("strategic", "Strategic issues", 30), ("decisions", "Decisions and actions", 20)]
TOPICS = ["demand", "supply", "financial", "strategic"]
PRIORITIES = ["high", "medium", "low"]
STATUSES = ["open", "in progress", "done"]
MAX_TEXT = 2000


def _text(value: str | None, what: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise EditError(f"write the {what} first")
    if len(text) > MAX_TEXT:
        raise EditError(f"keep the {what} under {MAX_TEXT} characters (it has {len(text)})")
    return text


def _date(value: str | None, what: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise EditError(f"the {what} “{value}” is not a date (YYYY-MM-DD)") from None


def record_decision(*, topic: str | None, decision: str | None, rationale: str | None, owner: str | None,
                    impact: str | None, by: str) -> int:
    """Store a decision of the current cycle; returns its id. The version it concerns is the plan's current
    version (named in the impact when none is given)."""
    if topic not in TOPICS:
        raise EditError("choose what the decision is about: " + ", ".join(TOPICS))
    svc = get_service()
    version = svc.store.latest_version()
    row = {"topic": topic, "decision": _text(decision, "decision"), "rationale": _text(rationale, "rationale", False),
           "owner": _text(owner, "owner", False) or by, "impact": _text(impact, "impact", False)
           or f"plan v{version['number']}"}
    return svc.store.add_decision(row)


def add_action(*, description: str | None, owner: str | None, due: str | None, priority: str | None) -> int:
    """Store an open action item of the current cycle; returns its id."""
    if priority not in PRIORITIES:
        raise EditError("choose a priority: " + ", ".join(PRIORITIES))
    who = _text(owner, "owner")
    return get_service().store.add_action({"description": _text(description, "action"), "owner": who,
                                           "due_date": _date(due, "due date"), "priority": priority,
                                           "status": "open"})


def set_action_status(action_id: int, status: str) -> None:
    if status not in STATUSES:
        raise EditError("the status is one of: " + ", ".join(STATUSES))
    done_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) if status == "done" else None
    get_service().store.update_action(int(action_id), {"status": status, "done_at": done_at})
