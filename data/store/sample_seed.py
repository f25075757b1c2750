"""The sample company's past meetings, stored when the sample is seeded (inside the seeding transaction).

`store_sample_meetings` takes `data.sample.sample_meeting_records()` and writes, for each past cycle
(already stored by `_store_past_cycles`, with its approved version): the cycle's dates and who closed
it, who approved the plan and when, the KPI history point, the meeting with its agenda and real times,
the attendees, the decisions (with the approved version they concern) and the action items; the
actions left open in the last past cycle are carried into the current cycle (a copy each, with
`carried_from` naming the original), as closing a cycle does.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import select

import data.store as pkg
from data.store.tables import (
    action_items,
    attendees,
    cycles,
    decisions,
    kpi_history,
    meeting_agenda,
    meetings,
    plan_versions,
)


def _plain(v: Any) -> Any:
    """A value as the driver takes it: NaN/NaT → None, pandas timestamps → datetime."""
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v.item() if hasattr(v, "item") else v


def _rows(df: pd.DataFrame, columns: list[str], **constants: Any) -> list[dict[str, Any]]:
    return [{**{c: _plain(r[c]) for c in columns}, **constants} for r in df.to_dict("records")]


def store_sample_meetings(conn: sa.Connection, records: dict[str, pd.DataFrame], dataset_id: int) -> None:
    """Write the past cycles' meeting records of the sample (see the module's docstring)."""
    found = conn.execute(
        select(cycles.c.id, cycles.c.period, plan_versions.c.id.label("version_id"))
        .join(plan_versions, plan_versions.c.cycle_id == cycles.c.id)
        .where(cycles.c.dataset_id == dataset_id, cycles.c.status == "closed", plan_versions.c.status == "approved")
    ).all()
    cycle_of = {r.period: int(r.id) for r in found}
    version_of = {r.period: int(r.version_id) for r in found}

    for c in records["cycles"].to_dict("records"):
        cid = cycle_of[c["period"]]
        conn.execute(cycles.update().where(cycles.c.id == cid).values(
            created_at=_plain(c["created_at"]), closed_at=_plain(c["closed_at"]), closed_by=c["closed_by"]))
        conn.execute(plan_versions.update().where(plan_versions.c.id == version_of[c["period"]]).values(
            created_at=_plain(c["created_at"] + pd.Timedelta(days=7)),  # the draft after data gathering
            approved_at=_plain(c["approved_at"]), approved_by=c["approved_by"]))

    def per_cycle(name: str) -> pd.DataFrame:
        df = records[name]
        return df.assign(cycle_id=df["cycle_period"].map(cycle_of))

    k = per_cycle("kpis")
    pkg._insert(conn, kpi_history, _rows(k, ["cycle_id", "name", "value"]))
    ag = per_cycle("agenda")
    pkg._insert(conn, meeting_agenda,
                _rows(ag, ["cycle_id", "key", "title", "planned_minutes", "position", "actual_seconds"]))
    me = per_cycle("meetings").assign(version_id=lambda d: d["cycle_period"].map(version_of))
    for r in me.to_dict("records"):
        conn.execute(meetings.insert().values(
            cycle_id=r["cycle_id"], started_at=_plain(r["started_at"]), started_by=r["started_by"],
            ended_at=_plain(r["ended_at"]), ended_by=r["ended_by"], start_revision=0,
            start_version_id=r["version_id"]))
    at = per_cycle("attendees")
    pkg._insert(conn, attendees, _rows(at, ["cycle_id", "name", "username", "function", "added_at", "added_by"]))

    decision_id: dict[str, int] = {}
    dec = per_cycle("decisions").assign(version_id=lambda d: d["cycle_period"].map(version_of))
    cols = ["cycle_id", "topic", "decision", "rationale", "owner", "impact", "decided_on", "status", "due_date",
            "version_id", "impact_amount", "recorded_at", "recorded_by"]
    for r in dec.to_dict("records"):
        decision_id[r["ref"]] = int(conn.execute(
            decisions.insert().values(**{c: _plain(r[c]) for c in cols})).inserted_primary_key[0])

    current = conn.execute(select(sa.func.max(cycles.c.id)).where(cycles.c.dataset_id == dataset_id)).scalar_one()
    act = per_cycle("actions")
    cols = ["cycle_id", "description", "owner", "due_date", "status", "priority", "created_at", "created_by",
            "done_at"]
    for r in act.to_dict("records"):
        values = {c: _plain(r[c]) for c in cols}
        values["decision_id"] = decision_id.get(r["decision_ref"]) if isinstance(r["decision_ref"], str) else None
        aid = int(conn.execute(action_items.insert().values(**values)).inserted_primary_key[0])
        if r["carry"]:
            conn.execute(action_items.insert().values(**{**values, "cycle_id": int(current), "carried_from": aid}))
