"""The executive meeting of a cycle, live: its agenda (per cycle, with the stored timer), the meeting itself
(started, ended, the item being discussed, the plan revision it started from), attendees and risks.

The rules (validation, how the timer accumulates) live in `services.meeting_live`; the store applies them
inside one write transaction (`change_agenda` hands the rows to a function and writes back what it returns),
so two screens pressing at once never lose a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import select

from data.store.engine import _frame, _now
from data.store.tables import action_items, attendees, cycles, meeting_agenda, meetings, risks

AGENDA_COLUMNS = ["key", "title", "planned_minutes", "position", "actual_seconds", "running_since"]
MEETING_COLUMNS = ["id", "cycle_id", "started_at", "started_by", "ended_at", "ended_by", "current_key",
                   "start_revision", "start_version_id"]


class MeetingLiveMixin:
    """Agenda with timer, meetings, attendees, risks (part of `Store`)."""

    # ------------------------------------------------------------------ agenda and meeting

    def _agenda_rows(self, conn, cycle_id: int) -> list[dict[str, Any]]:
        rows = conn.execute(select(meeting_agenda).where(meeting_agenda.c.cycle_id == cycle_id)
                            .order_by(meeting_agenda.c.position, meeting_agenda.c.id)).mappings().all()
        return [{c: r[c] for c in AGENDA_COLUMNS} for r in rows]

    def _meeting_row(self, conn, cycle_id: int) -> dict[str, Any] | None:
        row = conn.execute(select(meetings).where(meetings.c.cycle_id == cycle_id)
                           .order_by(meetings.c.id.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def list_agenda(self, cycle_id: int | None = None) -> list[dict[str, Any]]:
        """The stored agenda of a cycle (default: current) in order; [] when it was never written."""
        with self._read() as conn:
            return self._agenda_rows(conn, self._cycle_id(conn, cycle_id))

    def get_meeting(self, cycle_id: int | None = None) -> dict[str, Any] | None:
        """The latest meeting of a cycle (default: current), or None."""
        with self._read() as conn:
            return self._meeting_row(conn, self._cycle_id(conn, cycle_id))

    def meeting_snapshot(self, cycle_id: int | None = None) -> tuple[int, list[dict[str, Any]], dict | None]:
        """(cycle_id, agenda rows, meeting) read together."""
        with self._read() as conn:
            cid = self._cycle_id(conn, cycle_id)
            return cid, self._agenda_rows(conn, cid), self._meeting_row(conn, cid)

    def change_agenda(self, change: Callable[[list[dict], dict | None, Any], tuple[list[dict], dict | None]],
                      cycle_id: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One transaction: read the cycle's agenda and meeting, call `change(agenda, meeting, now)` (which
        returns the new agenda and the meeting's new values, or raises to refuse), write them back.

        The agenda is rewritten whole (the rows are few); a meeting dict without `id` starts a new meeting.
        Returns what was written."""
        with self._write() as conn:
            cid = self._cycle_id(conn, cycle_id)
            # one writer per cycle at a time (PostgreSQL: row lock; SQLite holds the write lock from BEGIN)
            conn.execute(select(cycles.c.id).where(cycles.c.id == cid).with_for_update())
            now = _now()
            agenda, meeting = change(self._agenda_rows(conn, cid), self._meeting_row(conn, cid), now)
            conn.execute(meeting_agenda.delete().where(meeting_agenda.c.cycle_id == cid))
            if agenda:
                conn.execute(meeting_agenda.insert(), [{**{c: r.get(c) for c in AGENDA_COLUMNS}, "cycle_id": cid,
                                                        "position": i} for i, r in enumerate(agenda)])
            if meeting is not None:
                values = {c: meeting.get(c) for c in MEETING_COLUMNS if c not in ("id", "cycle_id") and c in meeting}
                if meeting.get("id"):
                    conn.execute(meetings.update().where(meetings.c.id == meeting["id"]).values(**values))
                else:
                    meeting = {**meeting, "id": int(conn.execute(meetings.insert().values(cycle_id=cid, **values))
                                                    .inserted_primary_key[0])}
            return agenda, meeting

    # ------------------------------------------------------------------ attendees and risks

    def list_attendees(self, cycle_id: int | None = None) -> pd.DataFrame:
        return self._list(attendees, cycle_id)

    def add_attendee(self, row: dict[str, Any], cycle_id: int | None = None) -> int:
        """row: name, username (or None), function, added_by. Returns the id."""
        return self._add(attendees, row, cycle_id, {"added_at": _now(), "function": ""})

    def delete_attendee(self, attendee_id: int) -> None:
        with self._write() as conn:
            conn.execute(attendees.delete().where(attendees.c.id == int(attendee_id)))

    def list_risks(self, cycle_id: int | None = None) -> pd.DataFrame:
        return self._list(risks, cycle_id)

    def add_risk(self, row: dict[str, Any], cycle_id: int | None = None) -> int:
        """row: description, likelihood, impact, contingency, owner, status, created_by. Returns the id."""
        return self._add(risks, row, cycle_id, {"created_at": _now(), "status": "open"})

    def update_risk(self, risk_id: int, changes: dict[str, Any]) -> None:
        self._update(risks, risk_id, changes)

    def action_cycles(self, action_ids: list[int]) -> dict[int, str]:
        """{action id: its cycle's period} (for "carried from" in the minutes)."""
        if not action_ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(select(action_items.c.id, cycles.c.period)
                                .join(cycles, cycles.c.id == action_items.c.cycle_id)
                                .where(action_items.c.id.in_([int(i) for i in action_ids]))).all()
        return {int(i): str(p) for i, p in rows}

    def list_meetings(self) -> pd.DataFrame:
        with self._read() as conn:
            return _frame(conn.execute(select(meetings).order_by(meetings.c.id)))
