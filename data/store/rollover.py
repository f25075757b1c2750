"""Closing a cycle and starting the next one from the month's actuals (part of `Store`).

A closed cycle is read only: no draft opens in it, nothing is approved in it. The next cycle is stored
like an upload (a new dataset and cycle, one transaction) and, in the same transaction, the closed cycle's
open action items are carried into it (a copy each, `carried_from` naming the original).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from data.store.engine import _now
from data.store.tables import action_items, cycles, plan_versions
from data.store.versions import ConflictError
from planning.model import CompanyData, Settings

OPEN_ACTION = ("open", "in progress")


class CycleClosed(ConflictError):
    """A change was asked of a closed cycle."""


class RolloverMixin:
    """Close a cycle; start the next from its actuals (part of `Store`)."""

    def cycle_is_closed(self, cycle_id: int | None = None) -> bool:
        with self._read() as conn:
            row = (self._current_cycle(conn) if cycle_id is None else
                   conn.execute(select(cycles).where(cycles.c.id == cycle_id)).mappings().first())
        return row is not None and row["status"] == "closed"

    def _refuse_closed(self, conn: sa.Connection, cycle: dict[str, Any]) -> None:
        if cycle["status"] == "closed":
            from planning.rollover import next_month

            raise CycleClosed(f"cycle {cycle['period']} is closed and read only: upload the actuals of "
                              f"{cycle['period']} on 1 Data to start cycle {next_month(cycle['period'])}")

    def close_cycle(self, *, by: str) -> dict[str, Any]:
        """Close the current cycle (it must hold an approved plan and no draft after it). Returns the cycle."""
        with self._write() as conn:
            cycle = self._current_cycle(conn)
            self._refuse_closed(conn, cycle)
            latest = self._latest_base(conn, cycle["id"])
            if latest is None or latest["status"] != "approved":
                approved = conn.execute(
                    select(sa.func.max(plan_versions.c.number)).where(
                        plan_versions.c.cycle_id == cycle["id"], plan_versions.c.kind == "base",
                        plan_versions.c.status == "approved")
                ).scalar_one()
                n = latest["number"] if latest is not None else 1
                hint = (f"draft v{n} has changes made after v{approved} was approved: approve it"
                        if approved else f"approve the plan (draft v{n}) first")
                raise ConflictError(f"cycle {cycle['period']} cannot close yet: {hint}, so the next cycle "
                                    "starts from an approved plan")
            conn.execute(cycles.update().where(cycles.c.id == cycle["id"])
                         .values(status="closed", closed_at=_now(), closed_by=by))
            return {**cycle, "status": "closed", "approved_version_id": int(latest["id"])}

    def start_next_cycle(self, data: CompanyData, *, closed_cycle_id: int, by: str, source: str,
                         settings: Settings) -> dict[str, Any]:
        """Store the next cycle's data (a dataset, cycle and draft v1) and carry the closed cycle's open
        action items into it, in one transaction. Returns {cycle_id, dataset_id, carried}."""
        with self._write() as conn:
            current = self._current_cycle(conn)
            if current["id"] != closed_cycle_id or current["status"] != "closed":
                raise ConflictError("the cycle changed while the actuals were read (someone else started the next "
                                    "cycle or uploaded data); look at 1 Data and try again")
            dataset_id = self._save_dataset(conn, data, source=source, user=by, settings=settings,
                                            settings_source=f"kept from cycle {current['period']}")
            new_cycle = self._current_cycle(conn)
            now = _now()
            carried = 0
            for row in conn.execute(select(action_items).where(
                    action_items.c.cycle_id == closed_cycle_id,
                    action_items.c.status.in_(OPEN_ACTION))).mappings().all():
                values = {k: v for k, v in row.items() if k not in ("id", "cycle_id")}
                values.update(cycle_id=new_cycle["id"], carried_from=row["carried_from"] or row["id"],
                              created_at=row["created_at"] or now, created_by=row["created_by"] or by)
                conn.execute(action_items.insert().values(**values))
                carried += 1
            return {"cycle_id": int(new_cycle["id"]), "dataset_id": int(dataset_id), "carried": carried,
                    "period": new_cycle["period"]}
