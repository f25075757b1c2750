"""What the executive dashboard reads besides the plan: per dataset and cycle, the history and items as
uploaded, the cycle's period, last month's approved plan and the history KPI trend (read once per cycle)."""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import pandas as pd

from planning.accuracy import measured_history
from planning.trends import history_kpi_trend
from services import queries

_cycle_cache: dict[tuple[int, int], dict] = {}
_cycle_lock = threading.Lock()


def previous_approved_plan(snapshots: pd.DataFrame | None, cycle: str | None) -> pd.DataFrame | None:
    """Last month's plan: item_id, period, consensus of the latest approved version of the latest cycle
    before `cycle` (rows of `Store.plan_snapshots()`), or None when there is none."""
    if snapshots is None or snapshots.empty or not cycle:
        return None
    earlier = snapshots[snapshots["cycle_period"].astype(str) < str(cycle)]
    if earlier.empty:
        return None
    last = earlier[earlier["cycle_period"] == earlier["cycle_period"].max()]
    latest = last["version_id"].max()
    return last.loc[last["version_id"] == latest, ["item_id", "period", "consensus"]].reset_index(drop=True)



def cycle_inputs(dataset_id: int, cycle_id: int) -> dict:
    """History, items, the cycle's period, last month's approved plan and the history KPI trend."""
    key = (dataset_id, cycle_id)
    with _cycle_lock:
        if key in _cycle_cache:
            return _cycle_cache[key]
    data = queries.base_data(dataset_id, cycle_id)  # history and items as uploaded
    cycle = queries.cycle_period(cycle_id)
    measured = measured_history(data.history, data.items)
    value = {
        "cycle": cycle,
        "history": data.history,
        "items": data.items,
        "previous": previous_approved_plan(queries.plan_snapshots(), cycle),
        "trend": history_kpi_trend(measured, data.items, last_n=12),
    }
    with _cycle_lock:
        _cycle_cache.clear()
        _cycle_cache[key] = value
    return value


def notes() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cycle's decisions and action items (empty frames when the store cannot be read)."""
    try:
        return queries.decisions(), queries.actions()
    except Exception:
        return pd.DataFrame(), pd.DataFrame()


def notes_digest(decisions: pd.DataFrame, actions: pd.DataFrame) -> str:
    raw = decisions.to_json(date_format="iso") + actions.to_json(date_format="iso")
    return hashlib.sha1(raw.encode()).hexdigest()


def plan_key() -> list | None:
    """The plan state's ids (None when there is no data yet or the store cannot be read)."""
    from services import plan_service

    try:
        return list(dataclasses.astuple(plan_service.get_service().state()))
    except Exception:  # no data yet, or the store is unreachable: the page says so
        return None


def watched() -> dict:
    """What the dashboard should show now: the plan state's ids and a digest of the notes."""
    return {"plan": plan_key(), "notes": notes_digest(*notes())}
