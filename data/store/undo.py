"""Undo and redo: whole changes (a batch of adjustment and capacity rows) are deactivated and
reactivated, never deleted, and every flip is recorded as an event (`change_events`, and
`adjustment_events` row by row); also the row-level `set_adjustments_active`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import select

import data.store as pkg  # _bulk/_insert are looked up on the package when called (tests patch them there)
from data.store.engine import _frame, _now
from data.store.tables import adjustment_events, adjustments_table, capacity_changes, change_events

NOT_UNDOABLE = ("upload-", "copy-")  # batch ids of rows that came with a file or with a scenario copy


class UndoMixin:
    """Undo/redo of changes and their events (part of `Store`)."""

    # ------------------------------------------------------------------ single adjustments

    def set_adjustments_active(
        self, adjustment_ids: list[int], active: bool, *, by: str, expected_revision: int | None = None
    ) -> int:
        """Undo (active=False) or redo (True) single adjustments of one draft version; returns its new revision.

        Row-level; the undo/redo of the product works on whole changes (`undo_last`, `redo_last`).
        """
        ids = [int(i) for i in adjustment_ids]
        with self._write() as conn:
            rows = conn.execute(
                select(adjustments_table.c.id, adjustments_table.c.version_id, adjustments_table.c.active).where(
                    adjustments_table.c.id.in_(ids)
                )
            ).all()
            if len(rows) != len(set(ids)):
                raise LookupError(f"unknown adjustments: {sorted(set(ids) - {r.id for r in rows})}")
            versions = {r.version_id for r in rows}
            if len(versions) != 1:
                raise ValueError("undo/redo works on the adjustments of one version at a time")
            version_id = versions.pop()
            revision = self._bump(conn, version_id, expected_revision)
            change = [r.id for r in rows if bool(r.active) != active]
            if change:
                conn.execute(
                    adjustments_table.update().where(adjustments_table.c.id.in_(change)).values(active=active)
                )
                now = _now()
                pkg._insert(
                    conn,
                    adjustment_events,
                    [
                        {"adjustment_id": i, "event": "redo" if active else "undo", "at": now, "by": by}
                        for i in change
                    ],
                )
        return revision

    # ------------------------------------------------------------------ whole changes (the product's undo and redo)

    def _batches(self, conn: sa.Connection, version_id: int) -> pd.DataFrame:
        """The version's own undoable changes, oldest first: batch_id, at, n_rows, n_active,
        n_adjustments, n_capacity (rows that came with a file or a scenario copy are not changes)."""
        a, c = adjustments_table, capacity_changes
        adj = _frame(
            conn.execute(
                select(a.c.batch_id, a.c.recorded_at.label("at"), a.c.active, a.c.owner).where(
                    a.c.version_id == version_id, a.c.batch_id.is_not(None), a.c.source != "upload"
                )
            )
        ).assign(kind="adjustment")
        cap = _frame(
            conn.execute(
                select(c.c.batch_id, c.c.created_at.label("at"), c.c.active, c.c.owner).where(
                    c.c.version_id == version_id, c.c.batch_id.is_not(None)
                )
            )
        ).assign(kind="capacity")
        cols = ["batch_id", "at", "n_rows", "n_active", "n_adjustments", "n_capacity", "owner"]
        parts = [f for f in (adj, cap) if len(f)]
        if not parts:
            return pd.DataFrame(columns=cols)
        rows = pd.concat(parts, ignore_index=True)
        rows = rows[~rows["batch_id"].astype(str).str.startswith(NOT_UNDOABLE)]
        rows = rows.assign(
            active=rows["active"].astype(bool),
            is_adj=rows["kind"].eq("adjustment"),
            at=pd.to_datetime(rows["at"]),
        )
        out = rows.groupby("batch_id", as_index=False).agg(
            at=("at", "max"),
            n_rows=("kind", "size"),
            n_active=("active", "sum"),
            n_adjustments=("is_adj", "sum"),
            owner=("owner", "first"),
        )
        out["n_capacity"] = out["n_rows"] - out["n_adjustments"]
        return out.sort_values(["at", "batch_id"], kind="stable", ignore_index=True)[cols]

    def _flip(
        self, conn: sa.Connection, version_id: int, batch_id: str, active: bool, by: str,
        revision: int | None = None,
    ) -> list[dict[str, Any]]:
        """Set the rows of one change active/inactive and record the events; returns the rows flipped."""
        now = _now()
        flipped: list[dict[str, Any]] = []
        for table, kind in ((adjustments_table, "adjustment"), (capacity_changes, "capacity")):
            rows = (
                conn.execute(
                    select(table)
                    .where(
                        table.c.version_id == version_id,
                        table.c.batch_id == batch_id,
                        table.c.active.is_(not active),
                    )
                    .order_by(table.c.id)
                )
                .mappings()
                .all()
            )
            if not rows:
                continue
            ids = [r["id"] for r in rows]
            conn.execute(table.update().where(table.c.id.in_(ids)).values(active=active))
            if table is adjustments_table:
                pkg._insert(
                    conn,
                    adjustment_events,
                    [{"adjustment_id": i, "event": "redo" if active else "undo", "at": now, "by": by} for i in ids],
                )
            flipped.extend({**dict(r), "kind": kind, "active": active} for r in rows)
        if flipped:
            conn.execute(
                change_events.insert().values(
                    version_id=version_id,
                    batch_id=batch_id,
                    event="redo" if active else "undo",
                    at=now,
                    by=by,
                    n_rows=len(flipped),
                    revision=revision,
                )
            )
        return flipped

    def _version_or_current(self, version_id: int | None) -> int:
        return int(self.latest_version()["id"] if version_id is None else version_id)

    def set_batch_active(
        self,
        version_id: int,
        batch_id: str,
        active: bool,
        *,
        by: str,
        expected_revision: int | None = None,
    ) -> int:
        """Undo (False) or redo (True) one whole change of a draft version; returns the new revision."""
        with self._write() as conn:
            revision = self._bump(conn, version_id, expected_revision)
            if not self._flip(conn, version_id, batch_id, active, by, revision):
                raise LookupError(f"change {batch_id} has no {'inactive' if active else 'active'} rows")
        return revision

    def undo_last(
        self, version_id: int | None = None, *, by: str, kind: str | None = None, owner: str | None = None,
        expected_revision: int | None = None,
    ) -> dict[str, Any]:
        """Deactivate the latest active change of a draft (adjustments and capacity changes of its batch).

        `kind` ('adjustment' | 'capacity') takes only changes made of that kind alone (the demand page
        never undoes a capacity change, nor the supply page an adjustment); `owner` only that person's.
        Returns {batch_id, revision, rows: [flipped rows, each with 'kind']}; raises LookupError
        with a message for people when there is nothing to undo.
        """
        vid = self._version_or_current(version_id)
        with self._write() as conn:
            revision = self._bump(conn, vid, expected_revision)  # locks the version first
            batches = _only(self._batches(conn, vid), kind, owner)
            active = batches[batches["n_active"] > 0]
            if active.empty:
                raise LookupError(f"there is nothing{_whose(kind, owner)} to undo in this draft")
            batch = str(active.iloc[-1]["batch_id"])
            rows = self._flip(conn, vid, batch, False, by, revision)
        return {"batch_id": batch, "revision": revision, "rows": rows}

    def redo_last(
        self, version_id: int | None = None, *, by: str, kind: str | None = None, owner: str | None = None,
        expected_revision: int | None = None,
    ) -> dict[str, Any]:
        """Reactivate the most recently undone change (of `kind`, by `owner`), unless a newer change of the
        same kind and owner has been made since.

        Returns like `undo_last`; raises LookupError with a message for people when refused.
        """
        vid = self._version_or_current(version_id)
        with self._write() as conn:
            revision = self._bump(conn, vid, expected_revision)
            batches = _only(self._batches(conn, vid), kind, owner).set_index("batch_id")
            undone = conn.execute(
                select(change_events.c.batch_id)
                .where(change_events.c.version_id == vid, change_events.c.event == "undo")
                .order_by(change_events.c.id.desc())
            ).scalars()
            candidate = next(
                (b for b in undone if b in batches.index and batches.at[b, "n_active"] == 0), None
            )
            if candidate is None:
                raise LookupError(f"there is nothing{_whose(kind, owner)} to redo")
            newer = batches[(batches["at"] > batches.at[candidate, "at"]) & (batches["n_active"] > 0)]
            if len(newer):
                raise LookupError("newer changes were made after the undo; redo is no longer possible")
            rows = self._flip(conn, vid, candidate, True, by, revision)
        return {"batch_id": candidate, "revision": revision, "rows": rows}

    # ------------------------------------------------------------------ reading the changes and their events

    def change_batches(self, version_id: int | None = None) -> pd.DataFrame:
        """The version's own changes, oldest first: batch_id, at, n_rows, n_active, n_adjustments, n_capacity."""
        vid = self._version_or_current(version_id)
        with self._read() as conn:
            return self._batches(conn, vid)

    def change_events(self, version_id: int | None = None) -> pd.DataFrame:
        """Undo/redo of whole changes of a version, oldest first: batch_id, event, at, by, n_rows."""
        vid = self._version_or_current(version_id)
        with self._read() as conn:
            return _frame(
                conn.execute(
                    select(change_events).where(change_events.c.version_id == vid).order_by(change_events.c.id)
                )
            )

    def adjustment_events(self, version_id: int | None = None) -> pd.DataFrame:
        """The undo/redo events of a version's adjustments, row by row, oldest first."""
        if version_id is None:
            version_id = self.latest_version()["id"]
        with self._read() as conn:
            return _frame(
                conn.execute(
                    select(adjustment_events)
                    .join(adjustments_table, adjustments_table.c.id == adjustment_events.c.adjustment_id)
                    .where(adjustments_table.c.version_id == version_id)
                    .order_by(adjustment_events.c.id)
                )
            )


def _only(batches: pd.DataFrame, kind: str | None, owner: str | None) -> pd.DataFrame:
    """The changes of one kind only (no mixed workbook change) and, with `owner`, of that person."""
    if kind == "adjustment":
        batches = batches[(batches["n_adjustments"] > 0) & (batches["n_capacity"] == 0)]
    elif kind == "capacity":
        batches = batches[(batches["n_capacity"] > 0) & (batches["n_adjustments"] == 0)]
    if owner is not None:
        batches = batches[batches["owner"] == owner]
    return batches


def _whose(kind: str | None, owner: str | None) -> str:
    what = {"adjustment": " of your demand changes", "capacity": " of your capacity changes"}.get(kind or "", "")
    if owner is None:
        what = what.replace(" of your", " among the")
    return what
