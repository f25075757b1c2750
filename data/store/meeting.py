"""The S&OP meeting's records per cycle: assumptions (soft-deleted), decisions, action items, and
the KPI values recorded for each cycle.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Table, select

import data.store as pkg  # _bulk/_insert are looked up on the package when called (tests patch them there)
from data.store.engine import _as_date, _float, _frame, _now
from data.store.tables import action_items, assumptions, cycles, decisions, kpi_history


class MeetingMixin:
    """Assumptions, decisions, action items and KPI history (part of `Store`)."""

    def _cycle_id(self, conn: sa.Connection, cycle_id: int | None) -> int:
        return int(cycle_id) if cycle_id is not None else int(self._current_cycle(conn)["id"])

    def _add(self, table: Table, row: dict[str, Any], cycle_id: int | None, defaults: dict[str, Any]) -> int:
        unknown = set(row) - {c.name for c in table.columns}
        if unknown:
            raise ValueError(f"unknown fields for {table.name}: {sorted(unknown)}")
        values = {**defaults, **{k: v for k, v in row.items() if k not in ("id", "cycle_id")}}
        with self._write() as conn:
            values["cycle_id"] = self._cycle_id(conn, row.get("cycle_id", cycle_id))
            return int(conn.execute(table.insert().values(**values)).inserted_primary_key[0])

    def _update(self, table: Table, row_id: int, changes: dict[str, Any]) -> None:
        allowed = {c.name for c in table.columns} - {"id", "cycle_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown fields for {table.name}: {sorted(unknown)}")
        with self._write() as conn:
            res = conn.execute(table.update().where(table.c.id == row_id).values(**changes))
            if res.rowcount != 1:
                raise LookupError(f"no {table.name} row {row_id}")

    def _list(self, table: Table, cycle_id: int | None, *conditions: Any) -> pd.DataFrame:
        with self._read() as conn:
            cid = self._cycle_id(conn, cycle_id)
            return _frame(
                conn.execute(select(table).where(table.c.cycle_id == cid, *conditions).order_by(table.c.id))
            )

    def list_assumptions(self, cycle_id: int | None = None, *, include_deleted: bool = False) -> pd.DataFrame:
        """Assumptions of a cycle (default: current), oldest first."""
        cond = () if include_deleted else (assumptions.c.deleted.is_(False),)
        return self._list(assumptions, cycle_id, *cond)

    def add_assumption(self, row: dict[str, Any], cycle_id: int | None = None) -> int:
        """row: text, category, impact, owner. Returns the id."""
        return self._add(
            assumptions,
            row,
            cycle_id,
            {"category": "", "impact": "", "owner": "", "created_at": _now(), "deleted": False},
        )

    def update_assumption(self, assumption_id: int, changes: dict[str, Any]) -> None:
        self._update(assumptions, assumption_id, changes)

    def delete_assumption(self, assumption_id: int) -> None:
        """Soft delete (the row stays, marked deleted)."""
        self._update(assumptions, assumption_id, {"deleted": True})

    def list_decisions(self, cycle_id: int | None = None) -> pd.DataFrame:
        # once per store revision (the dashboard's poll asks every few seconds in every open tab); a copy each
        return self.cached("decisions", cycle_id, lambda: self._list(decisions, cycle_id)).copy()

    def add_decision(self, row: dict[str, Any], cycle_id: int | None = None) -> int:
        """row: topic, decision, rationale, owner, impact, decided_on (default today). Returns the id."""
        row = {**row, "decided_on": _as_date(row.get("decided_on")) or _now().date()}
        return self._add(decisions, row, cycle_id, {"rationale": "", "owner": "", "impact": ""})

    def list_actions(self, cycle_id: int | None = None) -> pd.DataFrame:
        return self.cached("actions", cycle_id, lambda: self._list(action_items, cycle_id)).copy()

    def add_action(self, row: dict[str, Any], cycle_id: int | None = None) -> int:
        """row: description, owner, due_date, status (default open), priority (default medium)."""
        row = {**row, "due_date": _as_date(row.get("due_date"))}
        return self._add(action_items, row, cycle_id, {"owner": "", "status": "open", "priority": "medium"})

    def update_action(self, action_id: int, changes: dict[str, Any]) -> None:
        if "due_date" in changes:
            changes = {**changes, "due_date": _as_date(changes["due_date"])}
        self._update(action_items, action_id, changes)

    # ------------------------------------------------------------------ KPIs

    def save_kpis(self, cycle_id: int, values: dict[str, float | None]) -> None:
        """Record (replace) the KPI values of a cycle."""
        with self._write() as conn:
            conn.execute(kpi_history.delete().where(kpi_history.c.cycle_id == cycle_id))
            pkg._insert(
                conn,
                kpi_history,
                [
                    {"cycle_id": cycle_id, "name": k, "value": None if v is None or pd.isna(v) else float(v)}
                    for k, v in values.items()
                ],
            )

    def kpi_history(self) -> pd.DataFrame:
        """cycle_period, name, value of every recorded KPI, oldest cycle first."""
        with self._read() as conn:
            df = _frame(
                conn.execute(
                    select(cycles.c.period.label("cycle_period"), kpi_history.c.name, kpi_history.c.value)
                    .join(cycles, cycles.c.id == kpi_history.c.cycle_id)
                    .order_by(cycles.c.id, kpi_history.c.name)
                )
            )
        return _float(df, ["value"])
