"""Cycles and plan versions: the current cycle and draft, scenarios, the chain of versions, approval.

`current_version` starts a new draft after an approval; `_chain`/`_chain_rows` give a version's
rows together with those of its approved ancestors; `_bump` is the revision check every write to a
draft goes through (raising `ConflictError`); `approve_version` freezes a draft with its plan
snapshot and `plan_snapshots` reads the snapshots of every approved version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError

import data.store as pkg  # _bulk/_insert are looked up on the package when called (tests patch them there)
from data.store.engine import _float, _frame, _now, _records
from data.store.tables import adjustments, capacity_changes, cycles, kpi_history, plan_snapshots, plan_versions


class ConflictError(Exception):
    """Someone else changed the plan version since it was read (or it is no longer a draft)."""


class VersionsMixin:
    """Cycles, versions, scenarios and approval (part of `Store`)."""

    # ------------------------------------------------------------------ cycles

    def current_cycle(self) -> dict[str, Any]:
        """The latest cycle: id, period, status, dataset_id, created_at."""
        with self._read() as conn:
            return self._current_cycle(conn)

    def _current_cycle(self, conn: sa.Connection) -> dict[str, Any]:
        row = conn.execute(select(cycles).order_by(cycles.c.id.desc()).limit(1)).mappings().first()
        if row is None:
            raise LookupError("no data has been stored yet")
        return dict(row)

    def list_cycles(self) -> pd.DataFrame:
        """Every cycle, oldest first."""
        with self._read() as conn:
            return _frame(conn.execute(select(cycles).order_by(cycles.c.id)))

    # ------------------------------------------------------------------ versions and scenarios

    def latest_version(self) -> dict[str, Any]:
        """The latest base version of the current cycle, draft or approved (what the pages show)."""
        with self._read() as conn:
            cycle = self._current_cycle(conn)
            latest = self._latest_base(conn, cycle["id"])
        return latest if latest is not None else self.current_version()

    def current_version(self) -> dict[str, Any]:
        """The draft base version of the current cycle, where edits go (a new one, parented, if the latest
        is approved: the next edit after an approval opens draft N+1)."""
        for _ in range(3):
            with self._read() as conn:
                cycle = self._current_cycle(conn)
                latest = self._latest_base(conn, cycle["id"])
            if latest is not None and latest["status"] == "draft":
                return latest
            try:
                with self._write() as conn:
                    self._refuse_closed(conn, self._current_cycle(conn))
                    latest = self._latest_base(conn, cycle["id"])
                    if latest is not None and latest["status"] == "draft":
                        return latest
                    number = self._next_number(conn, cycle["id"])
                    vid = self._new_version(
                        conn,
                        cycle["id"],
                        number=number,
                        kind="base",
                        name="Base plan",
                        parent_id=None if latest is None else latest["id"],
                        by="system",
                    )
                    conn.execute(
                        cycles.update()
                        .where(cycles.c.id == cycle["id"], cycles.c.status == "approved")
                        .values(status="open")
                    )
                    return self._version(conn, vid)
            except IntegrityError:  # someone else created it at the same moment: read it
                continue
        raise ConflictError("could not start a new draft version; try again")

    def _latest_base(self, conn: sa.Connection, cycle_id: int) -> dict[str, Any] | None:
        row = (
            conn.execute(
                select(plan_versions)
                .where(plan_versions.c.cycle_id == cycle_id, plan_versions.c.kind == "base")
                .order_by(plan_versions.c.number.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def _next_number(self, conn: sa.Connection, cycle_id: int) -> int:
        n = conn.execute(
            select(func.max(plan_versions.c.number)).where(plan_versions.c.cycle_id == cycle_id)
        ).scalar_one()
        return int(n or 0) + 1

    def _new_version(
        self,
        conn: sa.Connection,
        cycle_id: int,
        *,
        number: int,
        kind: str,
        name: str,
        parent_id: int | None,
        by: str,
        created_at: dt.datetime | None = None,
    ) -> int:
        return int(
            conn.execute(
                plan_versions.insert().values(
                    cycle_id=cycle_id,
                    number=number,
                    status="draft",
                    kind=kind,
                    name=name,
                    parent_id=parent_id,
                    revision=0,
                    created_at=created_at or _now(),
                    created_by=by,
                )
            ).inserted_primary_key[0]
        )

    def _version(self, conn: sa.Connection, version_id: int) -> dict[str, Any]:
        row = conn.execute(select(plan_versions).where(plan_versions.c.id == version_id)).mappings().first()
        if row is None:
            raise LookupError(f"no version {version_id}")
        return dict(row)

    def get_version(self, version_id: int) -> dict[str, Any]:
        """One version: id, cycle_id, number, status, kind, name, parent_id, revision, ..."""
        with self._read() as conn:
            return self._version(conn, version_id)

    def list_versions(self, cycle_id: int | None = None) -> pd.DataFrame:
        """The versions (base and scenarios) of a cycle (default: current)."""
        with self._read() as conn:
            cid = cycle_id if cycle_id is not None else self._current_cycle(conn)["id"]
            return _frame(
                conn.execute(
                    select(plan_versions)
                    .where(plan_versions.c.cycle_id == cid)
                    .order_by(plan_versions.c.number)
                )
            )

    def create_scenario(
        self, name: str, *, parent_id: int | None = None, by: str = "admin", meta: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A named what-if copy of a version (default: the current draft) in the same cycle.

        The parent's effective adjustments and capacity changes are copied into the scenario (in
        order, source and timestamps kept), so later edits of either never touch the other. `meta`
        (description, owner, settings_json) is stored in `scenario_meta` in the same transaction.
        """
        parent = self.get_version(parent_id) if parent_id is not None else self.current_version()
        with self._write() as conn:
            vid = self._new_version(
                conn,
                parent["cycle_id"],
                number=self._next_number(conn, parent["cycle_id"]),
                kind="scenario",
                name=name,
                parent_id=parent["id"],
                by=by,
            )
            chain = self._chain(conn, parent["id"])
            now = _now()
            adj = self._chain_rows(conn, adjustments, chain, active_only=True)
            if len(adj):
                adj = adj.assign(seq=np.arange(len(adj)), version_id=vid, recorded_at=now)
                adj["batch_id"] = f"copy-{parent['id']}"
                cols = [c.name for c in adjustments.columns if c.name != "id"]
                pkg._insert(conn, adjustments, _records(adj, cols))
            cap = self._chain_rows(conn, capacity_changes, chain, active_only=True)
            if len(cap):
                cap = cap.assign(version_id=vid)
                cap["batch_id"] = f"copy-{parent['id']}"
                cols = [c.name for c in capacity_changes.columns if c.name != "id"]
                pkg._insert(conn, capacity_changes, _records(cap, cols))
            if meta is not None:
                from data.store.tables import scenario_meta

                conn.execute(scenario_meta.insert().values(version_id=vid, created_at=now, created_by=by,
                                                           **meta))
            return self._version(conn, vid)

    # ------------------------------------------------------------------ the chain of versions and the revision check

    def _chain(self, conn: sa.Connection, version_id: int) -> list[int]:
        """The version and its approved (frozen) ancestors, root first.

        A draft made after an approval starts from the approved plan; a draft parent (a scenario's
        base) is not followed: scenarios are copies.
        """
        chain: list[int] = [version_id]
        parent = conn.execute(
            select(plan_versions.c.parent_id).where(plan_versions.c.id == version_id)
        ).scalar_one()
        while parent is not None and parent not in chain:
            row = conn.execute(
                select(plan_versions.c.parent_id, plan_versions.c.status).where(plan_versions.c.id == parent)
            ).one()
            if row.status != "approved":
                break
            chain.append(parent)
            parent = row.parent_id
        return chain[::-1]

    def _chain_rows(
        self, conn: sa.Connection, table: Table, chain: list[int], *, active_only: bool
    ) -> pd.DataFrame:
        stmt = select(table).where(table.c.version_id.in_(chain))
        if active_only:
            stmt = stmt.where(table.c.active.is_(True))
        df = _frame(conn.execute(stmt))
        if df.empty:
            return df
        df["_pos"] = df["version_id"].map({v: i for i, v in enumerate(chain)})
        order = ["_pos", "seq", "id"] if "seq" in df.columns else ["_pos", "id"]
        return df.sort_values(order, kind="stable").drop(columns="_pos").reset_index(drop=True)

    def _bump(self, conn: sa.Connection, version_id: int, expected_revision: int | None) -> int:
        """Take the version row, check it is a draft at the expected revision, add 1 to its revision."""
        cond = [plan_versions.c.id == version_id, plan_versions.c.status == "draft"]
        if expected_revision is not None:
            cond.append(plan_versions.c.revision == expected_revision)
        res = conn.execute(plan_versions.update().where(*cond).values(revision=plan_versions.c.revision + 1))
        if res.rowcount != 1:
            v = self._version(conn, version_id)
            if v["status"] != "draft":
                raise ConflictError(f"version {v['number']} is {v['status']}; changes go to a new draft.")
            raise ConflictError(
                f"someone else changed this plan (revision {v['revision']}, you had {expected_revision}); "
                "reload to see their changes, then apply yours again."
            )
        return int(
            conn.execute(
                select(plan_versions.c.revision).where(plan_versions.c.id == version_id)
            ).scalar_one()
        )

    # ------------------------------------------------------------------ approval

    def approve_version(
        self, version_id: int, *, by: str, snapshot: pd.DataFrame, expected_revision: int | None = None,
        forecast_run_id: int | None = None, settings_json: str | None = None,
        kpis: dict[str, float | None] | None = None,
    ) -> None:
        """Freeze a draft: status approved, who and when, the forecast run and settings its plan was made
        with (so the approved plan never moves), and the plan snapshot (item_id, period, statistical,
        consensus[, owner]); with `kpis`, the cycle's point of the KPI history. Later edits go to a new
        draft."""
        snapshot = snapshot.assign(owner=snapshot["owner"].fillna("") if "owner" in snapshot else "")
        with self._write() as conn:
            v = self._version(conn, version_id)
            self._refuse_closed(conn, conn.execute(select(cycles).where(cycles.c.id == v["cycle_id"]))
                                .mappings().one())
            self._bump(conn, version_id, expected_revision)
            conn.execute(
                plan_versions.update()
                .where(plan_versions.c.id == version_id)
                .values(status="approved", approved_at=_now(), approved_by=by, forecast_run_id=forecast_run_id,
                        settings_json=settings_json)
            )
            pkg._bulk(
                conn,
                plan_snapshots,
                snapshot,
                ["item_id", "period", "statistical", "consensus", "owner"],
                version_id=version_id,
            )
            v = self._version(conn, version_id)
            if kpis is not None and v["kind"] == "base":  # the approved plan's KPIs are the cycle's history point
                conn.execute(kpi_history.delete().where(kpi_history.c.cycle_id == v["cycle_id"]))
                rows = [{"cycle_id": v["cycle_id"], "name": k,
                         "value": float(x) if x is not None and np.isfinite(x) else None} for k, x in kpis.items()]
                if rows:
                    conn.execute(kpi_history.insert(), rows)
            if v["kind"] == "base":
                conn.execute(
                    cycles.update()
                    .where(cycles.c.id == v["cycle_id"], cycles.c.status == "open")
                    .values(status="approved")
                )

    def plan_snapshots(self) -> pd.DataFrame:
        """Rows of every approved version: cycle_period, version_id, approved_at, item_id, period,
        statistical, consensus, owner (who adjusted the cell; '' when nobody did)."""
        stmt = (
            select(
                cycles.c.period.label("cycle_period"),
                plan_snapshots.c.version_id,
                plan_versions.c.approved_at,
                plan_snapshots.c.item_id,
                plan_snapshots.c.period,
                plan_snapshots.c.statistical,
                plan_snapshots.c.consensus,
                plan_snapshots.c.owner,
            )
            .join(plan_versions, plan_versions.c.id == plan_snapshots.c.version_id)
            .join(cycles, cycles.c.id == plan_versions.c.cycle_id)
            .where(plan_versions.c.status == "approved")
            .order_by(
                cycles.c.period,
                plan_snapshots.c.version_id,
                plan_snapshots.c.item_id,
                plan_snapshots.c.period,
            )
        )
        with self._read() as conn:
            df = _frame(conn.execute(stmt))
        return _float(df, ["statistical", "consensus"])
