"""The end of a cycle: "Close cycle and start the next", then the month's actuals start the next cycle.

1. `close_cycle` (facilitator or administrator): the current cycle must hold an approved plan; it is
   closed and becomes read only. Its approved plan's KPIs stay its point of the KPI history.
2. `upload_month_actuals`: the actuals of the closed month (validated as any upload: sheet, row and
   column named, nothing stored on an error) roll the company forward one month (planning.rollover):
   history + the month, opening inventory after the month, capacity for the new last month, the approved
   plan's adjustments for the months ahead. Stored as the next cycle in one transaction, with the closed
   cycle's open action items carried over. The closed cycle's approved plan is then the new cycle's
   "last month" (services.dashboard.previous_approved_plan), and the statistical forecast starts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from data.actuals import read_month_actuals
from data.schema import Issue
from data.store import ConflictError
from planning.cycle import compute_plan
from planning.periods import horizon_after
from planning.rollover import next_month, roll_forward
from services import forecast_jobs
from services.edits import EditError
from services.plan_service import get_service, interim_forecast
from services.uploads import auto_forecast

log = logging.getLogger("sop.cycle_close")


@dataclass
class ActualsResult:
    stored: bool
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cycle: str | None = None  # the new cycle's month
    carried: int = 0  # open action items carried into it
    forecast: dict | None = None


def cycle_phase() -> dict[str, Any]:
    """Where the cycle stands: {period, status, closed, awaiting (the month whose actuals start the next
    cycle, when closed), next}."""
    cycle = get_service().store.current_cycle()
    closed = cycle["status"] == "closed"
    return {"period": cycle["period"], "status": cycle["status"], "closed": closed,
            "awaiting": cycle["period"] if closed else None, "next": next_month(cycle["period"]),
            "closed_at": cycle.get("closed_at"), "closed_by": cycle.get("closed_by")}


def close_cycle(*, by: str) -> dict[str, Any]:
    """Close the current cycle (EditError when it has no approved plan or is closed already)."""
    from services.cycle import record_exceptions

    svc = get_service()
    try:
        cycle = svc.store.close_cycle(by=by)
    except ConflictError as exc:
        raise EditError(str(exc)) from None
    try:  # the closed cycle's log keeps the exceptions it ends with (reviewed or not)
        record_exceptions(int(cycle["id"]))
    except Exception:  # noqa: BLE001 - the log is a record, not a condition of closing
        log.exception("the exceptions could not be kept in the closed cycle's log")
    return {"period": cycle["period"], "next": next_month(cycle["period"]),
            "version_id": cycle["approved_version_id"]}


def upload_month_actuals(files: dict[str, bytes], *, user: str) -> ActualsResult:
    """Start the next cycle from the closed month's actuals; nothing is stored on any error."""
    svc = get_service()
    cycle = svc.store.current_cycle()
    if cycle["status"] != "closed":
        return ActualsResult(False, [Issue("upload", None, None, f"cycle {cycle['period']} is still open: close it "
                                           "on 5 Meeting (after approving its plan) before uploading the actuals "
                                           f"of {cycle['period']}; a whole new company file goes in the upload "
                                           "box above.")])
    month = cycle["period"]
    approved = svc.store.list_versions(cycle["id"])
    approved = approved[(approved["kind"] == "base") & (approved["status"] == "approved")]
    version_id = int(approved.sort_values("number")["id"].iloc[-1])
    state = svc.state(version_id)
    plan = svc.current_plan(version_id)
    data = svc.store.load_company(version_id)
    settings = svc.store.version_settings(version_id)
    horizon_len = len(plan.horizon)
    nxt = next_month(month)
    next_horizon = [nxt, *horizon_after(nxt, horizon_len - 1)]
    actuals, issues = read_month_actuals(files, month=month, items=data.items,
                                         families=set(data.items["family"].astype(str)), next_horizon=next_horizon)
    if actuals is None:
        return ActualsResult(False, issues)
    run = svc.store.forecast_run(state.forecast_run) if state.forecast_run is not None else None
    uploaded = data.forecast if run is not None and run.get("method") == "upload" else None
    rolled = roll_forward(data, month=month, actuals=actuals.history, consensus=plan.consensus,
                          supply_plan=plan.supply_plan, horizon_len=horizon_len, capacity=actuals.capacity,
                          uploaded_forecast=uploaded)
    try:
        compute_plan(rolled.data, settings, forecaster=interim_forecast)
    except Exception as exc:  # noqa: BLE001 - valid cells that still make no plan: refuse and say why
        log.exception("the next cycle's plan could not be computed")
        return ActualsResult(False, issues + [Issue("upload", None, None, "the next cycle's plan could not be "
                                                    f"computed ({type(exc).__name__}: {exc}); nothing was stored.")])
    name = ", ".join(sorted(files)) or "actuals"
    try:
        started = svc.store.start_next_cycle(rolled.data, closed_cycle_id=int(cycle["id"]), by=user,
                                             source=f"{name} (actuals {month})", settings=settings)
    except ConflictError as exc:
        return ActualsResult(False, issues + [Issue("upload", None, None, str(exc))])
    job = None
    if rolled.data.forecast is None and auto_forecast():
        try:
            job = forecast_jobs.start_run(started["cycle_id"], user=user, trigger="new cycle")
        except Exception:  # noqa: BLE001 - the cycle is stored; the run can be started from 1 Data
            log.exception("the forecast run could not be started for the new cycle")
    return ActualsResult(True, issues, rolled.notes, started["period"], started["carried"], job)
