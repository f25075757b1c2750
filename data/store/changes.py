"""Adjustments and capacity changes: writing them (one change = one transaction, one revision) and
reading the audit rows back; `apply_changes`/`with_capacity_changes` put a version's changes on its
base data (also used by the plan service on cached base data). Undo and redo live in `undo.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

import data.store as pkg  # _bulk/_insert are looked up on the package when called (tests patch them there)
from data.schema import ADJUSTMENT_TYPES, LEVELS
from data.store.engine import _float, _frame, _now, _records, _text
from data.store.tables import (
    adjustments_table,
    capacity_changes,
    capacity_table,
    change_events,
    forecast_changes,
)
from data.store.versions import ConflictError
from planning.model import CAPACITY_COLUMNS, CompanyData

ADJUSTMENT_ROW_COLUMNS = [
    "seq",
    "level",
    "key",
    "period",
    "type",
    "value",
    "reason",
    "owner",
    "created_at",
    "before_value",
    "after_value",
    "source",
    "batch_id",
]
CAPACITY_ROW_COLUMNS = [
    "family",
    "period",
    "resource",
    "before_value",
    "after_value",
    "reason",
    "owner",
    "batch_id",
    "type",
    "value",
    "source",
]


def _with_defaults(df: pd.DataFrame, defaults: dict[str, Any]) -> pd.DataFrame:
    for c, v in defaults.items():
        if c not in df.columns:
            df[c] = v
    return df


def _adjustment_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Adjustment rows checked and completed with defaults (seq and timestamps come at the write)."""
    df = pd.DataFrame(list(rows))
    missing = {"level", "key", "period", "type", "value"} - set(df.columns)
    if missing:
        raise ValueError(f"adjustments need {', '.join(sorted(missing))}")
    bad_level = set(df["level"]) - set(LEVELS)
    bad_type = set(df["type"]) - set(ADJUSTMENT_TYPES)
    if bad_level or bad_type:
        raise ValueError(f"invalid level/type: {sorted(map(str, bad_level | bad_type))}")
    df = _with_defaults(
        df,
        {
            "reason": "",
            "owner": "",
            "before_value": np.nan,
            "after_value": np.nan,
            "source": "grid",
            "batch_id": None,
            "created_at": pd.NaT,
        },
    )
    df["value"] = df["value"].astype(float)
    if not np.isfinite(df["value"]).all():
        raise ValueError("adjustment values must be finite numbers")
    df[["reason", "owner"]] = df[["reason", "owner"]].fillna("")
    return df


def _capacity_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Capacity change rows checked and completed (type 'absolute' / value = after_value when not given)."""
    df = pd.DataFrame(list(rows))
    missing = {"family", "period", "after_value"} - set(df.columns)
    if missing:
        raise ValueError(f"capacity changes need {', '.join(sorted(missing))}")
    df["after_value"] = df["after_value"].astype(float)
    if not (np.isfinite(df["after_value"]) & (df["after_value"] >= 0)).all():
        raise ValueError("capacity must be a finite number of units, not below 0")
    df = _with_defaults(
        df,
        {
            "resource": "",
            "before_value": np.nan,
            "reason": "",
            "owner": "",
            "batch_id": None,
            "type": "absolute",
            "value": np.nan,
            "source": "grid",
        },
    )
    bad_type = set(df["type"].dropna()) - set(ADJUSTMENT_TYPES)
    if bad_type:
        raise ValueError(f"invalid type: {sorted(map(str, bad_type))}")
    df["type"] = df["type"].fillna("absolute")
    df["value"] = df["value"].astype(float).fillna(df["after_value"])
    df[["resource", "reason", "owner", "source"]] = (
        df[["resource", "reason", "owner", "source"]].fillna("").astype(object)
    )
    df.loc[df["source"] == "", "source"] = "grid"
    return df


class ChangesMixin:
    """Adding and listing adjustments and capacity changes (part of `Store`)."""

    # ------------------------------------------------------------------ writing

    def add_changes(
        self,
        version_id: int,
        adjustments: Sequence[dict[str, Any]] = (),
        capacity_changes: Sequence[dict[str, Any]] = (),
        *,
        expected_revision: int | None = None,
        seen_revision: int | None = None,
        watch: set[tuple[str, str, str]] | None = None,
    ) -> int:
        """Store one change: adjustments and/or capacity changes, one transaction, one revision bump.

        Adjustment rows: level, key, period, type, value [, reason, owner, created_at, before_value,
        after_value, source, batch_id]. Capacity rows: family, period, after_value [, resource,
        before_value, reason, owner, type, value, source, batch_id]; a capacity change's created_at is
        the time of the write (what orders the undo stack). Rows without a batch id share one
        new batch id, so the whole call is undone and redone as one change. Returns the new revision;
        raises ConflictError when the version is not a draft at `expected_revision`, or when a change
        recorded after `seen_revision` (the view the person typed on) touched one of the `watch` keys
        ((kind, key, period): 'item' / 'family' / 'capacity' cells, ('forecast', '*', '*') for a new
        statistical forecast), naming who changed what and when. Checked with the version locked.
        """
        adj = _adjustment_frame(adjustments) if len(adjustments) else None
        cap = _capacity_frame(capacity_changes) if len(capacity_changes) else None
        if adj is None and cap is None:
            raise ValueError("no changes to add")
        batch = uuid.uuid4().hex[:12]
        for df in (adj, cap):
            if df is not None:
                df["batch_id"] = df["batch_id"].astype(object).where(df["batch_id"].notna(), batch)
        with self._write() as conn:
            revision = self._bump(conn, version_id, expected_revision)
            if seen_revision is not None and watch:
                stale = self._changed_since(conn, version_id, seen_revision, watch)
                if stale:
                    raise ConflictError(conflict_text(stale))
            now = _now()  # taken with the version row locked: a version's changes are in time order
            if adj is not None:
                start = conn.execute(
                    select(func.max(adjustments_table.c.seq)).where(
                        adjustments_table.c.version_id == version_id
                    )
                ).scalar_one()
                adj["seq"] = np.arange(len(adj)) + (0 if start is None else int(start) + 1)
                adj["created_at"] = pd.to_datetime(adj["created_at"]).fillna(pd.Timestamp(now))
                pkg._insert(
                    conn,
                    adjustments_table,
                    _records(adj, ADJUSTMENT_ROW_COLUMNS, version_id=version_id, recorded_at=now, active=True,
                             revision=revision),
                )
            if cap is not None:
                pkg._insert(
                    conn,
                    capacity_table,
                    _records(cap, CAPACITY_ROW_COLUMNS, version_id=version_id, created_at=now, active=True,
                             revision=revision),
                )
        return revision

    def _changed_since(self, conn, version_id: int, since: int, watch: set[tuple[str, str, str]]
                       ) -> list[dict[str, Any]]:
        """The changes of a version recorded after revision `since` (edits, undo/redo of edits, a new
        statistical forecast) that touch a watched key: [{key, by, at, what}], oldest first. Reads only the
        rows written after `since` and the rows of changes undone or redone after it."""
        a, c, e, f = adjustments_table, capacity_changes, change_events, forecast_changes
        events = _frame(conn.execute(select(e.c.batch_id, e.c.event, e.c.at, e.c.by)
                                     .where(e.c.version_id == version_id, e.c.revision > since)
                                     .order_by(e.c.id)))
        flipped = {b: (ev, at, by) for b, ev, at, by in zip(events["batch_id"], events["event"], events["at"],
                                                              events["by"])} if len(events) else {}
        touched = (a.c.revision > since) | a.c.batch_id.in_(list(flipped)) if flipped else a.c.revision > since
        adj = _frame(conn.execute(select(a.c.level, a.c.key, a.c.period, a.c.owner, a.c.recorded_at, a.c.type,
                                         a.c.value, a.c.batch_id, a.c.revision)
                                  .where(a.c.version_id == version_id, touched)))
        touched = (c.c.revision > since) | c.c.batch_id.in_(list(flipped)) if flipped else c.c.revision > since
        cap = _frame(conn.execute(select(c.c.family, c.c.period, c.c.owner, c.c.created_at, c.c.type, c.c.value,
                                         c.c.after_value, c.c.batch_id, c.c.revision)
                                  .where(c.c.version_id == version_id, touched)))
        found: list[dict[str, Any]] = []
        for frame, kind in ((adj, "adjustment"), (cap, "capacity")):
            if frame.empty:
                continue
            if kind == "adjustment":
                keys = list(zip(frame["level"], frame["key"], frame["period"]))
                at, what = frame["recorded_at"], [_what(t, v) for t, v in zip(frame["type"], frame["value"])]
            else:
                keys = [("capacity", fam, per) for fam, per in zip(frame["family"], frame["period"])]
                at = frame["created_at"]
                what = [_what(t or "absolute", v if v == v and v is not None else after)
                        for t, v, after in zip(frame["type"], frame["value"], frame["after_value"])]
            for key, by, when, text, rev, batch in zip(keys, frame["owner"], at, what, frame["revision"],
                                                        frame["batch_id"]):
                if key not in watch:
                    continue
                if rev == rev and rev is not None and int(rev) > since:
                    found.append({"key": key, "by": by, "at": when, "what": text})
                elif batch in flipped:
                    event, ev_at, ev_by = flipped[batch]
                    found.append({"key": key, "by": ev_by, "at": ev_at, "what": f"{event} of {text}"})
        if ("forecast", "*", "*") in watch:
            fc = conn.execute(select(f.c.new_run_id, f.c.at, f.c.by).where(
                f.c.version_id == version_id, f.c.revision > since).limit(1)).first()
            if fc is not None:
                found.append({"key": ("forecast", "*", "*"), "by": fc.by, "at": fc.at,
                              "what": f"statistical forecast run {fc.new_run_id} stored"})
        return sorted(found, key=lambda r: str(r["at"]))

    def add_adjustments(
        self, version_id: int, rows: list[dict[str, Any]], *, expected_revision: int | None = None
    ) -> int:
        """Append adjustments to a draft version (seq continues) as one change; returns the new revision."""
        if not rows:
            raise ValueError("no adjustments to add")
        return self.add_changes(version_id, rows, (), expected_revision=expected_revision)

    def add_capacity_changes(
        self, version_id: int, rows: list[dict[str, Any]], *, expected_revision: int | None = None
    ) -> int:
        """Append capacity changes (family, period, after_value, ...) to a draft as one change."""
        if not rows:
            raise ValueError("no capacity changes to add")
        return self.add_changes(version_id, (), rows, expected_revision=expected_revision)

    # ------------------------------------------------------------------ audit rows

    def list_adjustments(self, version_id: int | None = None) -> pd.DataFrame:
        """Every adjustment row (active or not) of the version's chain, in order, with every column."""
        if version_id is None:
            version_id = self.latest_version()["id"]
        with self._read() as conn:
            df = self._chain_rows(conn, adjustments_table, self._chain(conn, version_id), active_only=False)
        if df.empty:
            return pd.DataFrame(columns=[c.name for c in adjustments_table.columns])
        df["created_at"] = pd.to_datetime(df["created_at"])
        df["active"] = df["active"].astype(bool)
        return _float(df, ["value", "before_value", "after_value"])

    def list_capacity_changes(self, version_id: int | None = None) -> pd.DataFrame:
        """Every capacity change of the version's chain, oldest first (type/value/source filled for old rows)."""
        if version_id is None:
            version_id = self.latest_version()["id"]
        with self._read() as conn:
            df = self._chain_rows(conn, capacity_changes, self._chain(conn, version_id), active_only=False)
        if df.empty:
            return pd.DataFrame(columns=[c.name for c in capacity_changes.columns])
        df["active"] = df["active"].astype(bool)
        df = _float(df, ["before_value", "after_value", "value"])
        df["value"] = df["value"].fillna(df["after_value"])
        df["type"] = df["type"].where(df["type"].notna(), "absolute")
        df["source"] = df["source"].where(df["source"].notna(), "grid")
        df["created_at"] = pd.to_datetime(df["created_at"])
        return df


def with_capacity_changes(cap: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Capacity (engine layout) with the given active capacity changes applied."""
    if len(changes):
        cap = _apply_capacity_changes(cap, changes)
    return cap[CAPACITY_COLUMNS]


def apply_changes(base: CompanyData, adjustments: pd.DataFrame, capacity_changes: pd.DataFrame) -> CompanyData:
    """A version's data: its base dataset with its adjustments and capacity changes."""
    return base.with_(adjustments=adjustments, capacity=with_capacity_changes(base.capacity, capacity_changes))


def _apply_capacity_changes(cap: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Capacity with the latest change per family/period/resource applied (new rows added)."""
    keys = ["family", "period", "resource"]
    latest = changes.drop_duplicates(keys, keep="last")[keys + ["after_value"]]
    latest["resource"] = latest["resource"].fillna("")
    merged = cap.merge(latest, on=keys, how="outer")
    merged["capacity_units"] = merged["after_value"].where(
        merged["after_value"].notna(), merged["capacity_units"]
    )
    merged = _text(merged.drop(columns="after_value"), keys)
    merged["overtime_pct"] = merged["overtime_pct"].astype("float64")
    return merged.sort_values(["family", "resource", "period"], ignore_index=True)


def _what(kind: str, value: float) -> str:
    v = float(value)
    return f"{v:+g}%" if kind == "percentage" else f"{v:+,g}" if kind == "additive" else f"set to {v:,g}"


def conflict_text(stale: list[dict[str, Any]]) -> str:
    """'someone else changed these cells after your view: Electronics 2025-01 by dana at 14:03 (set to
    12,000); … Nothing was stored.'"""
    parts = []
    for r in stale[:3]:
        kind, key, period = r["key"]
        where = "the statistical forecast" if kind == "forecast" else (
            f"capacity {key} {period}" if kind == "capacity" else f"{key} {period}")
        when = pd.Timestamp(r["at"]).strftime("%Y-%m-%d %H:%M") if r["at"] is not None else "?"
        parts.append(f"{where} by {r['by'] or 'someone'} at {when} UTC ({r['what']})")
    more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
    return ("someone else changed these cells after your view of them: " + "; ".join(parts) + more
            + ". Nothing was stored.")
