"""The cycle's own records: the five-week checklist (who ticked what, when), the data-quality log (upload
warnings and reviewed exceptions, with who reviewed them, when and why), and the per-cycle records the
process measures are computed from (approvals, decisions, action items, checklist ticks).

Rules (which items exist, who may tick, what counts as open) live in `services.cycle`; this module only
reads and writes rows, each write in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from data.store.engine import _frame, _now
from data.store.tables import (
    action_items,
    assumptions,
    cycle_checklist,
    cycles,
    data_quality_log,
    datasets,
    decisions,
    forecast_runs,
    plan_versions,
)

QUALITY_COLUMNS = ["id", "cycle_id", "dataset_id", "source", "key", "message", "created_at", "reviewed_by",
                   "reviewed_at", "comment"]


class CycleMixin:
    """Checklist, data-quality log and process records (part of `Store`)."""

    # ------------------------------------------------------------------ the cycle

    def get_cycle(self, cycle_id: int | None = None) -> dict[str, Any]:
        """A cycle (default: the current one) with its dataset's upload time as `dataset_created_at`."""
        with self._read() as conn:
            cid = self._cycle_id(conn, cycle_id)
            row = conn.execute(
                select(cycles, datasets.c.created_at.label("dataset_created_at"))
                .join(datasets, datasets.c.id == cycles.c.dataset_id)
                .where(cycles.c.id == cid)
            ).mappings().first()
        if row is None:
            raise LookupError(f"no cycle {cycle_id}")
        return dict(row)

    def cycle_evidence(self, cycle_id: int | None = None) -> dict[str, Any]:
        """What the store already proves about a cycle, in one read: a done forecast run, an approved base
        version (first approval time), and how many decisions, action items and live assumptions it has."""
        with self._read() as conn:
            cid = self._cycle_id(conn, cycle_id)

            def count(table: sa.Table, *cond: Any) -> int:
                return int(conn.execute(
                    select(func.count()).select_from(table).where(table.c.cycle_id == cid, *cond)).scalar_one())

            approved_at = conn.execute(
                select(func.min(plan_versions.c.approved_at)).where(
                    plan_versions.c.cycle_id == cid, plan_versions.c.kind == "base",
                    plan_versions.c.status == "approved")
            ).scalar_one()
            return {
                "cycle_id": cid,
                "forecast_runs": count(forecast_runs, forecast_runs.c.status == "done"),
                "approved_at": approved_at,
                "decisions": count(decisions),
                "actions": count(action_items),
                "assumptions": count(assumptions, assumptions.c.deleted.is_(False)),
            }

    # ------------------------------------------------------------------ checklist

    def checklist(self, cycle_id: int | None = None) -> pd.DataFrame:
        """The stored ticks of a cycle: step, item, done, by, at (one row per item ever ticked)."""
        with self._read() as conn:
            cid = self._cycle_id(conn, cycle_id)
            df = _frame(conn.execute(
                select(cycle_checklist.c.step, cycle_checklist.c.item, cycle_checklist.c.done,
                       cycle_checklist.c.by, cycle_checklist.c.at)
                .where(cycle_checklist.c.cycle_id == cid).order_by(cycle_checklist.c.id)))
        if len(df):
            df["done"] = df["done"].astype(bool)
        return df

    def set_checklist_item(self, step: str, item: str, done: bool, *, by: str,
                           cycle_id: int | None = None, at: dt.datetime | None = None) -> None:
        """Tick (or untick) one item of a step: who and when are kept on the item's row."""
        values = {"done": bool(done), "by": by, "at": at or _now()}
        for _ in range(2):
            try:
                with self._write() as conn:
                    cid = self._cycle_id(conn, cycle_id)
                    where = (cycle_checklist.c.cycle_id == cid, cycle_checklist.c.step == step,
                             cycle_checklist.c.item == item)
                    res = conn.execute(cycle_checklist.update().where(*where).values(**values))
                    if res.rowcount == 0:
                        conn.execute(cycle_checklist.insert().values(cycle_id=cid, step=step, item=item, **values))
                return
            except IntegrityError:  # someone ticked the same item at the same moment: update theirs
                continue
        raise RuntimeError("the checklist item could not be saved; try again")

    # ------------------------------------------------------------------ data-quality log

    def quality_log(self, cycle_id: int | None = None) -> pd.DataFrame:
        """Every stored row of a cycle's data-quality log, oldest first."""
        with self._read() as conn:
            cid = self._cycle_id(conn, cycle_id)
            df = _frame(conn.execute(
                select(data_quality_log).where(data_quality_log.c.cycle_id == cid).order_by(data_quality_log.c.id)))
        return df if len(df) else pd.DataFrame(columns=QUALITY_COLUMNS)

    def _log_quality(self, conn: sa.Connection, cycle_id: int, source: str,
                     entries: Iterable[tuple[str, str]], dataset_id: int | None = None) -> int:
        """Add (key, message) entries to a cycle's log inside the caller's transaction; keys already logged
        for that cycle and source are left as they are (a recomputation never duplicates). Returns how many
        were added."""
        entries = list(dict(entries).items())  # one per key, the last message wins
        if not entries:
            return 0
        have = set(conn.execute(select(data_quality_log.c.key).where(
            data_quality_log.c.cycle_id == cycle_id, data_quality_log.c.source == source)).scalars())
        now = _now()
        rows = [{"cycle_id": cycle_id, "dataset_id": dataset_id, "source": source, "key": k[:300], "message": m,
                 "created_at": now} for k, m in entries if k[:300] not in have]
        if rows:
            conn.execute(data_quality_log.insert(), rows)
        return len(rows)

    def log_quality(self, source: str, entries: Iterable[tuple[str, str]], *, cycle_id: int | None = None,
                    dataset_id: int | None = None) -> int:
        """Keep (key, message) entries in a cycle's data-quality log (one transaction; no duplicates)."""
        with self._write() as conn:
            cid = self._cycle_id(conn, cycle_id)
            return self._log_quality(conn, cid, source, entries, dataset_id)

    def review_quality_item(self, source: str, key: str, *, message: str, by: str, comment: str,
                            cycle_id: int | None = None, at: dt.datetime | None = None) -> None:
        """Mark one entry of the log reviewed with a comment (who, when); an exception computed from the plan
        that was not stored yet is stored with its review."""
        self.review_quality_items([(source, key, message)], by=by, comment=comment, cycle_id=cycle_id, at=at)

    def review_quality_items(self, entries: Iterable[tuple[str, str, str]], *, by: str, comment: str,
                             cycle_id: int | None = None, at: dt.datetime | None = None) -> int:
        """Mark (source, key, message) entries reviewed with one comment, in one transaction. Returns how many."""
        entries = list({(s, k): m for s, k, m in entries}.items())
        at = at or _now()
        review = {"reviewed_by": by, "reviewed_at": at, "comment": comment}
        for _ in range(2):
            try:
                with self._write() as conn:
                    cid = self._cycle_id(conn, cycle_id)
                    for (source, key), message in entries:
                        res = conn.execute(data_quality_log.update().where(
                            data_quality_log.c.cycle_id == cid, data_quality_log.c.source == source,
                            data_quality_log.c.key == key).values(**review))
                        if res.rowcount == 0:
                            conn.execute(data_quality_log.insert().values(
                                cycle_id=cid, source=source, key=key, message=message, created_at=at, **review))
                return len(entries)
            except IntegrityError:
                continue
        raise RuntimeError("the review could not be saved; try again")

    # ------------------------------------------------------------------ the process over cycles

    def process_records(self) -> dict[str, pd.DataFrame]:
        """What the process measures read, for every cycle: `cycles` (id, period, status, created_at,
        closed_at, dataset_created_at, approved_at = first approval of a base version), `decisions`,
        `actions` and `checklist` (cycle_id, step, item, done)."""
        first_approval = (
            select(plan_versions.c.cycle_id, func.min(plan_versions.c.approved_at).label("approved_at"))
            .where(plan_versions.c.kind == "base", plan_versions.c.status == "approved")
            .group_by(plan_versions.c.cycle_id)
            .subquery()
        )
        with self._read() as conn:
            cy = _frame(conn.execute(
                select(cycles.c.id, cycles.c.period, cycles.c.status, cycles.c.created_at, cycles.c.closed_at,
                       datasets.c.created_at.label("dataset_created_at"), first_approval.c.approved_at)
                .join(datasets, datasets.c.id == cycles.c.dataset_id)
                .outerjoin(first_approval, first_approval.c.cycle_id == cycles.c.id)
                .order_by(cycles.c.id)))
            dec = _frame(conn.execute(
                select(decisions.c.id, decisions.c.cycle_id, decisions.c.status, decisions.c.due_date,
                       decisions.c.decided_on, decisions.c.recorded_at).order_by(decisions.c.id)))
            act = _frame(conn.execute(
                select(action_items.c.id, action_items.c.cycle_id, action_items.c.status, action_items.c.due_date,
                       action_items.c.done_at, action_items.c.created_at, action_items.c.carried_from)
                .order_by(action_items.c.id)))
            chk = _frame(conn.execute(
                select(cycle_checklist.c.cycle_id, cycle_checklist.c.step, cycle_checklist.c.item,
                       cycle_checklist.c.done).order_by(cycle_checklist.c.id)))
        return {"cycles": cy, "decisions": dec, "actions": act, "checklist": chk}
