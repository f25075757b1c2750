"""The store: every cycle, version, audit row and upload, in SQLite (default) or PostgreSQL.

Design (DESIGN.md "The store"):
- company data is stored per upload (`datasets` + items/history/capacity/budget rows);
- a `cycle` is one planning month holding plan `versions` (draft → approved; base or scenario);
- adjustments and capacity changes are append-only audit rows; a version's values are derived
  from the active rows of its chain of versions (a new draft after approval has the approved
  version as parent and starts with no rows of its own); undo/redo are `adjustment_events`;
- every write is one transaction; `plan_versions.revision` detects two people writing at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from data.schema import ADJUSTMENT_TYPES, LEVELS, next_periods
from planning.model import (
    ADJUSTMENT_COLUMNS,
    BUDGET_COLUMNS,
    CAPACITY_COLUMNS,
    FORECAST_COLUMNS,
    HISTORY_COLUMNS,
    ITEM_COLUMNS,
    DEFAULT_TARGETS,
    CompanyData,
    KpiTarget,
    Settings,
    empty_adjustments,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{REPO / 'instance' / 'sop.db'}"
ROLES = ("executive", "demand_planner", "supply_planner", "facilitator", "admin")
SAMPLE_SOURCE = "sample company"

metadata = MetaData()
ID = 100  # length of identifiers (item ids, families, users)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(255), nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
items = Table(
    "items",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("family", String(ID), nullable=False),
    Column("unit_price", Float, nullable=False),
    Column("unit_cost", Float, nullable=False),
    Column("opening_inventory", Float, nullable=False),
    Column("safety_days", Float),
    Column("description", Text, nullable=False),
    Column("position", Integer, nullable=False),
)
history = Table(
    "history",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("actual_units", Float, nullable=False),
    Column("forecast_units", Float),
)
capacity = Table(
    "capacity",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("family", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("resource", String(ID), primary_key=True),
    Column("capacity_units", Float, nullable=False),
    Column("overtime_pct", Float),
)
budget = Table(
    "budget",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("family", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("revenue", Float, nullable=False),
    Column("units", Float),
)
cycles = Table(
    "cycles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(7), nullable=False, index=True),
    Column("status", String(20), nullable=False),  # open | approved | closed | superseded
    Column("dataset_id", Integer, _fk("datasets.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # draft | approved
    Column("kind", String(20), nullable=False),  # base | scenario
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("plan_versions.id")),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("approved_at", DateTime),
    Column("approved_by", String(ID)),
    UniqueConstraint("cycle_id", "number", name="uq_version_number"),
)
adjustments = Table(
    "adjustments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("level", String(10), nullable=False),
    Column("key", String(ID), nullable=False),
    Column("period", String(7), nullable=False),
    Column("type", String(20), nullable=False),
    Column("value", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("created_at", DateTime),  # when the adjustment was made (as given in a file); NULL allowed
    Column("recorded_at", DateTime, nullable=False),  # when the store received it
    Column("before_value", Float),
    Column("after_value", Float),
    Column("source", String(20), nullable=False),  # upload | grid | workbook
    Column("batch_id", String(64)),
    Column("active", Boolean, nullable=False),
)
adjustment_events = Table(
    "adjustment_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("adjustment_id", Integer, _fk("adjustments.id"), nullable=False, index=True),
    Column("event", String(10), nullable=False),  # undo | redo
    Column("at", DateTime, nullable=False),
    Column("by", String(ID), nullable=False),
)
capacity_changes = Table(
    "capacity_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False, index=True),
    Column("family", String(ID), nullable=False),
    Column("period", String(7), nullable=False),
    Column("resource", String(ID), nullable=False),
    Column("before_value", Float),
    Column("after_value", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("batch_id", String(64)),
    Column("active", Boolean, nullable=False),
    # what was typed (added later: NULL in older databases = an absolute set to after_value, from the grid)
    Column("type", String(20)),
    Column("value", Float),
    Column("source", String(20)),  # grid | workbook
)
change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False, index=True),
    Column("batch_id", String(64), nullable=False),
    Column("event", String(10), nullable=False),  # undo | redo
    Column("at", DateTime, nullable=False),
    Column("by", String(ID), nullable=False),
    Column("n_rows", Integer, nullable=False),
)
forecast_runs = Table(
    "forecast_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),  # done | failed | running
    Column("method", String(50), nullable=False),
    Column("settings_json", Text, nullable=False),
)
forecast_values = Table(
    "forecast_values",
    metadata,
    Column("run_id", Integer, _fk("forecast_runs.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("model", String(50), nullable=False),
    Column("forecast", Float, nullable=False),
    Column("lo80", Float),
    Column("hi80", Float),
    Column("lo95", Float),
    Column("hi95", Float),
)
forecast_models = Table(
    "forecast_models",
    metadata,
    Column("run_id", Integer, _fk("forecast_runs.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("model", String(50), nullable=False),
    Column("error", Float),
    Column("runner_up", String(50)),
    Column("runner_up_error", Float),
    Column("snaive_error", Float),
    Column("note", Text),
)
plan_snapshots = Table(
    "plan_snapshots",
    metadata,
    Column("version_id", Integer, _fk("plan_versions.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("statistical", Float),
    Column("consensus", Float),
    Column("owner", String(ID), nullable=True),  # who adjusted the cell ('' or NULL: nobody)
)
assumptions = Table(
    "assumptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("category", String(50), nullable=False),
    Column("impact", String(20), nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("deleted", Boolean, nullable=False),
)
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("topic", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("impact", Text, nullable=False),
    Column("decided_on", Date, nullable=False),
)
action_items = Table(
    "action_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("due_date", Date),
    Column("status", String(20), nullable=False),  # open | in progress | done
    Column("priority", String(20), nullable=False),  # high | medium | low
)
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(ID), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
)
settings_table = Table(
    "settings",
    metadata,
    Column("key", String(ID), primary_key=True),
    Column("value_json", Text, nullable=False),
)
kpi_history = Table(
    "kpi_history",
    metadata,
    Column("cycle_id", Integer, _fk("cycles.id"), primary_key=True),
    Column("name", String(50), primary_key=True),
    Column("value", Float),
)
Index("ix_adjustments_version_seq", adjustments.c.version_id, adjustments.c.seq)
adjustments_table = adjustments  # for methods whose `adjustments` argument is a list of rows
capacity_table = capacity_changes  # likewise


class ConflictError(Exception):
    """Someone else changed the plan version since it was read (or it is no longer a draft)."""


# ---------------------------------------------------------------------------- engine


def make_engine(url: str | None = None) -> sa.Engine:
    """Engine for `url`, else env DATABASE_URL, else SQLite at <repo>/instance/sop.db."""
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgres://"):  # the Heroku-style scheme
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):  # SQLAlchemy 2.1 means psycopg 3 by this; use what is installed
        import importlib.util

        if importlib.util.find_spec("psycopg") is None:
            url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    db = sa.engine.make_url(url).database
    if db and db != ":memory:":
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, runs transactions
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if db and db != ":memory:":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # writers take the write lock up front, so a read-then-write transaction cannot be
        # invalidated by another writer in between
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def _now() -> dt.datetime:
    """Now, UTC, without tzinfo (what every DateTime column holds)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _records(df: pd.DataFrame, columns: Sequence[str], **constants: Any) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN/NaT -> None), for executemany."""
    out = pd.DataFrame(index=df.index)
    for c in columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = pd.Series(
                [None if pd.isna(v) else v.to_pydatetime() for v in s], index=df.index, dtype=object
            )
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(object)
        else:
            out[c] = s.astype(object).where(s.notna(), None)
    for k, v in constants.items():
        out[k] = v
    return out.to_dict("records")


def _insert(conn: sa.Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)


FAST_MIN_ROWS = 2000  # below this, the plain SQLAlchemy executemany is fast enough


def _bulk(
    conn: sa.Connection, table: Table, df: pd.DataFrame, columns: Sequence[str], **constants: Any
) -> None:
    """Insert a DataFrame's rows inside the caller's transaction, fast for big tables.

    PostgreSQL (psycopg2): COPY FROM STDIN; SQLite: the driver's executemany on tuples. Only
    for tables of text and number columns (no type conversion is needed for those).
    """
    if df.empty:
        return
    simple = all(isinstance(c.type, (String, Text, Float, Integer)) for c in table.columns)
    driver = conn.dialect.driver
    if len(df) < FAST_MIN_ROWS or not simple or driver not in ("psycopg2", "pysqlite"):
        _insert(conn, table, _records(df, columns, **constants))
        return
    frame = df[list(columns)].copy()
    for k, v in constants.items():
        frame[k] = v
    names = list(frame.columns)
    if driver == "psycopg2":
        buf = io.StringIO()
        frame.to_csv(buf, index=False, header=False, na_rep="\\N")
        buf.seek(0)
        cols = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.copy_expert(f"COPY {table.name} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
        return
    values = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in names]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    conn.exec_driver_sql(sql, list(zip(*values)))


def _frame(result: sa.CursorResult) -> pd.DataFrame:
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _float(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for c in columns:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def _text(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for c in columns:
        df[c] = df[c].where(df[c].notna(), "").astype(str).astype(object)
    return df


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


# ---------------------------------------------------------------------------- changes

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
NOT_UNDOABLE = ("upload-", "copy-")  # batch ids of rows that came with a file or with a scenario copy


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


# ---------------------------------------------------------------------------- store


class Store:
    """All reads and writes of the product's data. Each public write is one transaction."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(write=True)

    def _write(self) -> Any:
        """A write transaction (on SQLite it takes the write lock at BEGIN)."""
        return self._writer.begin()

    def _read(self) -> Any:
        return self.engine.connect()

    # ------------------------------------------------------------------ setup

    def ensure_ready(self, seed: bool = True) -> None:
        """Create the tables; when no dataset exists, store the sample company and its past cycles."""
        metadata.create_all(self.engine)
        self._add_missing_columns()
        if not seed:
            return
        with self._read() as conn:
            if conn.execute(select(func.count()).select_from(datasets)).scalar_one():
                return
        from data.sample import sample_company, sample_past_cycles, sample_settings

        data, past = sample_company(), sample_past_cycles()
        try:
            with self._write() as conn:
                # a marker row: a second worker seeding at the same time fails here and rolls back
                conn.execute(
                    settings_table.insert(), {"key": "_seeded", "value_json": json.dumps(_now().isoformat())}
                )
                self._save_dataset(conn, data, source=SAMPLE_SOURCE, user="system", past_cycles=past)
                has_settings = conn.execute(
                    select(settings_table.c.key).where(settings_table.c.key == "settings")
                ).first()
                if has_settings is None:  # the sample company's own settings (safety stock kept as a floor)
                    conn.execute(
                        settings_table.insert().values(
                            key="settings", value_json=json.dumps(dataclasses.asdict(sample_settings()))
                        )
                    )
        except IntegrityError:
            with self._read() as conn:
                if not conn.execute(select(func.count()).select_from(datasets)).scalar_one():
                    raise

    def _add_missing_columns(self) -> None:
        """Add the nullable columns that later versions of the schema added to existing tables."""
        inspector = sa.inspect(self.engine)
        present = set(inspector.get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for col in table.columns:
                if col.name in have or not col.nullable or col.primary_key:
                    continue
                try:
                    with self._write() as conn:
                        q = conn.dialect.identifier_preparer
                        conn.exec_driver_sql(
                            f"ALTER TABLE {q.quote(table.name)} ADD COLUMN {q.quote(col.name)} "
                            f"{col.type.compile(dialect=conn.dialect)}"
                        )
                except sa.exc.DBAPIError:  # another worker added it at the same moment
                    if col.name not in {c["name"] for c in sa.inspect(self.engine).get_columns(table.name)}:
                        raise

    # ------------------------------------------------------------------ datasets

    def save_dataset(self, data: CompanyData, *, source: str, user: str = "admin") -> int:
        """Store an upload in one transaction: dataset, new current cycle, new draft base version.

        The file's adjustments become adjustment rows (source 'upload') of the new version; a
        given forecast becomes a forecast run (method 'upload'). Returns the dataset id.
        """
        with self._write() as conn:
            return self._save_dataset(conn, data, source=source, user=user)

    def _save_dataset(
        self,
        conn: sa.Connection,
        data: CompanyData,
        *,
        source: str,
        user: str,
        past_cycles: pd.DataFrame | None = None,
    ) -> int:
        now = _now()
        dataset_id = conn.execute(
            datasets.insert().values(source=source, created_by=user, created_at=now)
        ).inserted_primary_key[0]
        it = data.items.assign(position=np.arange(len(data.items)))
        _bulk(conn, items, it, ITEM_COLUMNS + ["position"], dataset_id=dataset_id)
        _bulk(conn, history, data.history, HISTORY_COLUMNS, dataset_id=dataset_id)
        _bulk(conn, capacity, data.capacity, CAPACITY_COLUMNS, dataset_id=dataset_id)
        if data.budget is not None:
            _bulk(conn, budget, data.budget, BUDGET_COLUMNS, dataset_id=dataset_id)

        if past_cycles is not None:
            self._store_past_cycles(conn, past_cycles, dataset_id, now)

        period = next_periods(str(data.history["period"].max()), 1)[0]
        conn.execute(
            cycles.update()
            .where(cycles.c.period == period, cycles.c.status.in_(["open", "approved"]))
            .values(status="superseded")
        )
        cycle_id = conn.execute(
            cycles.insert().values(period=period, status="open", dataset_id=dataset_id, created_at=now)
        ).inserted_primary_key[0]
        version_id = self._new_version(
            conn, cycle_id, number=1, kind="base", name="Base plan", parent_id=None, by=user
        )
        adj = data.adjustments
        if len(adj):
            adj = adj.sort_values("seq", kind="stable").assign(seq=np.arange(len(adj)))
            _insert(
                conn,
                adjustments,
                _records(
                    adj,
                    ["seq", "level", "key", "period", "type", "value", "reason", "owner", "created_at"],
                    version_id=version_id,
                    recorded_at=now,
                    before_value=None,
                    after_value=None,
                    source="upload",
                    batch_id=f"upload-{dataset_id}",
                    active=True,
                ),
            )
        if data.forecast is not None and len(data.forecast):
            fc = data.forecast.rename(columns={"forecast_units": "forecast"})
            self._save_forecast_run(
                conn, cycle_id, fc.assign(model="upload"), None, method="upload", settings={}
            )
        return int(dataset_id)

    def _store_past_cycles(
        self, conn: sa.Connection, past: pd.DataFrame, dataset_id: int, now: dt.datetime
    ) -> None:
        """Approved versions of earlier cycles with their plan snapshots (the sample's history of plans)."""
        for cycle_period, rows in past.groupby("cycle_period", sort=True):
            approved_at = pd.Timestamp(str(cycle_period) + "-20 10:00").to_pydatetime()
            cycle_id = conn.execute(
                cycles.insert().values(
                    period=str(cycle_period), status="closed", dataset_id=dataset_id, created_at=approved_at
                )
            ).inserted_primary_key[0]
            version_id = self._new_version(
                conn,
                cycle_id,
                number=1,
                kind="base",
                name="Base plan",
                parent_id=None,
                by="system",
                created_at=approved_at,
            )
            conn.execute(
                plan_versions.update()
                .where(plan_versions.c.id == version_id)
                .values(status="approved", approved_at=approved_at, approved_by="executive", revision=1)
            )
            _bulk(
                conn,
                plan_snapshots,
                rows.assign(owner=rows["owner"].fillna("")) if "owner" in rows else rows.assign(owner=""),
                ["item_id", "period", "statistical", "consensus", "owner"],
                version_id=version_id,
            )

    def _dataset_id(self, conn: sa.Connection, version_id: int | None = None) -> int:
        if version_id is None:
            did = conn.execute(select(func.max(datasets.c.id))).scalar_one()
        else:
            did = conn.execute(
                select(cycles.c.dataset_id)
                .join(plan_versions, plan_versions.c.cycle_id == cycles.c.id)
                .where(plan_versions.c.id == version_id)
            ).scalar_one_or_none()
        if did is None:
            raise LookupError(
                "no data has been stored yet" if version_id is None else f"no version {version_id}"
            )
        return int(did)

    def dataset_info(self) -> dict[str, Any]:
        """The latest dataset: id, source, created_by, created_at, n_items, n_families, first/last period."""
        with self._read() as conn:
            did = self._dataset_id(conn)
            row = conn.execute(select(datasets).where(datasets.c.id == did)).mappings().one()
            n_items, n_fam = conn.execute(
                select(func.count(), func.count(sa.distinct(items.c.family))).where(items.c.dataset_id == did)
            ).one()
            first, last = conn.execute(
                select(func.min(history.c.period), func.max(history.c.period)).where(
                    history.c.dataset_id == did
                )
            ).one()
        return {
            **dict(row),
            "n_items": int(n_items),
            "n_families": int(n_fam),
            "first_period": first,
            "last_period": last,
        }

    def plan_state(self, version_id: int | None = None) -> dict[str, Any]:
        """What a computed plan depends on, in one query: dataset_id, cycle_id, version_id, revision,
        forecast_run_id (latest done run of the cycle, or None) and settings_key (a digest of the
        stored settings, '' for defaults). Any stored change moves at least one of them."""
        pv, cy = plan_versions, cycles
        if version_id is None:  # the latest base version of the current cycle
            current_cycle = select(func.max(cy.c.id)).correlate(None).scalar_subquery()
            target = (
                select(pv.c.id)
                .where(pv.c.cycle_id == current_cycle, pv.c.kind == "base")
                .order_by(pv.c.number.desc())
                .limit(1)
                .correlate(None)
                .scalar_subquery()
            )
        else:
            target = sa.literal(int(version_id))
        run = (
            select(func.max(forecast_runs.c.id))
            .where(forecast_runs.c.cycle_id == pv.c.cycle_id, forecast_runs.c.status == "done")
            .correlate(pv)
            .scalar_subquery()
        )
        stored = (
            select(settings_table.c.value_json)
            .where(settings_table.c.key == "settings")
            .correlate(None)
            .scalar_subquery()
        )
        stmt = (
            select(pv.c.id, pv.c.cycle_id, pv.c.revision, pv.c.status, cy.c.dataset_id, run.label("run"),
                   stored.label("settings"))
            .join(cy, cy.c.id == pv.c.cycle_id)
            .where(pv.c.id == target)
        )
        with self._read() as conn:
            row = conn.execute(stmt).first()
        if version_id is None and (row is None or row.status != "draft"):
            return self.plan_state(self.current_version()["id"])  # starts the new draft (or raises)
        if row is None:
            raise LookupError(f"no version {version_id}")
        digest = hashlib.sha1(row.settings.encode()).hexdigest() if row.settings else ""
        return {
            "dataset_id": int(row.dataset_id),
            "cycle_id": int(row.cycle_id),
            "version_id": int(row.id),
            "revision": int(row.revision),
            "forecast_run_id": None if row.run is None else int(row.run),
            "settings_key": digest,
        }

    def list_items(self, version_id: int | None = None) -> pd.DataFrame:
        """The items of a version's dataset (default: the latest dataset), in file order."""
        with self._read() as conn:
            did = self._dataset_id(conn, version_id)
            it = _frame(
                conn.execute(
                    select(*[items.c[c] for c in ITEM_COLUMNS])
                    .where(items.c.dataset_id == did)
                    .order_by(items.c.position)
                )
            )
        return _text(
            _float(it, ["unit_price", "unit_cost", "opening_inventory", "safety_days"]),
            ["item_id", "family", "description"],
        )

    def _base_capacity(self, conn: sa.Connection, dataset_id: int) -> pd.DataFrame:
        ca = _frame(
            conn.execute(
                select(*[capacity.c[c] for c in CAPACITY_COLUMNS])
                .where(capacity.c.dataset_id == dataset_id)
                .order_by(capacity.c.family, capacity.c.resource, capacity.c.period)
            )
        )
        return _text(_float(ca, ["capacity_units", "overtime_pct"]), ["family", "period", "resource"])

    def _capacity(self, conn: sa.Connection, dataset_id: int, chain: list[int]) -> pd.DataFrame:
        """The dataset's capacity with the chain's latest active change per family/period/resource."""
        return with_capacity_changes(self._base_capacity(conn, dataset_id),
                                     self._chain_rows(conn, capacity_changes, chain, active_only=True))

    def effective_capacity(self, version_id: int | None = None) -> pd.DataFrame:
        """Capacity of a version (default: the current draft) as the engine reads it, per resource."""
        if version_id is None:
            version_id = self.current_version()["id"]
        with self._read() as conn:
            return self._capacity(conn, self._dataset_id(conn, version_id), self._chain(conn, version_id))

    def load_base(self, dataset_id: int, cycle_id: int) -> CompanyData:
        """A dataset as uploaded, with the cycle's latest forecast run: no adjustments and no capacity
        changes (those change with every edit; see `load_changes`). Cacheable per (dataset, forecast run)."""
        with self._read() as conn:
            it = _frame(conn.execute(select(*[items.c[c] for c in ITEM_COLUMNS])
                                     .where(items.c.dataset_id == dataset_id).order_by(items.c.position)))
            hi = _frame(conn.execute(select(*[history.c[c] for c in HISTORY_COLUMNS])
                                     .where(history.c.dataset_id == dataset_id)
                                     .order_by(history.c.item_id, history.c.period)))
            ca = self._base_capacity(conn, dataset_id)
            bu = _frame(conn.execute(select(*[budget.c[c] for c in BUDGET_COLUMNS])
                                     .where(budget.c.dataset_id == dataset_id)
                                     .order_by(budget.c.family, budget.c.period)))
            fc = self._latest_forecast(conn, cycle_id)
        it = _text(_float(it, ["unit_price", "unit_cost", "opening_inventory", "safety_days"]),
                   ["item_id", "family", "description"])
        hi = _text(_float(hi, ["actual_units", "forecast_units"]), ["item_id", "period"])
        bu = _text(_float(bu, ["revenue", "units"]), ["family", "period"]) if len(bu) else None
        forecast = None
        if fc is not None:
            # the chosen model per series travels with a computed run (an uploaded one has none)
            cols = FORECAST_COLUMNS + (["model"] if (fc["model"] != "upload").any() else [])
            forecast = fc.rename(columns={"forecast": "forecast_units"})[cols].reset_index(drop=True)
        return CompanyData(items=it[ITEM_COLUMNS], history=hi[HISTORY_COLUMNS], capacity=ca[CAPACITY_COLUMNS],
                           forecast=forecast, adjustments=empty_adjustments(), budget=bu)

    def load_changes(self, version_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The active adjustments (engine layout, seq renumbered 0..n-1) and capacity changes of a
        version's chain, parents first."""
        with self._read() as conn:
            chain = self._chain(conn, version_id)
            adj = self._chain_rows(conn, adjustments, chain, active_only=True)
            cap = self._chain_rows(conn, capacity_changes, chain, active_only=True)
        if len(adj):
            adj = adj.assign(seq=np.arange(len(adj), dtype="int64"))[ADJUSTMENT_COLUMNS]
            adj = _text(_float(adj, ["value"]), ["level", "key", "period", "type", "reason", "owner"])
            adj["created_at"] = pd.to_datetime(adj["created_at"]).astype("datetime64[ns]")
        else:
            adj = empty_adjustments()
        return adj, cap

    def load_company(self, version_id: int | None = None) -> CompanyData:
        """The company data of a version (default: the current draft) as the engine reads it.

        Adjustments are the active ones of the version's chain (parents first) in order, renumbered
        0..n-1; capacity has the latest active capacity change per family/period/resource applied;
        forecast is the cycle's latest forecast run, or None.
        """
        if version_id is None:
            version_id = self.current_version()["id"]
        state = self.plan_state(version_id)
        base = self.load_base(state["dataset_id"], state["cycle_id"])
        return apply_changes(base, *self.load_changes(version_id))

    # ------------------------------------------------------------------ cycles and versions

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

    def current_version(self) -> dict[str, Any]:
        """The draft base version of the current cycle (a new one, parented, if the latest is approved)."""
        for _ in range(3):
            with self._read() as conn:
                cycle = self._current_cycle(conn)
                latest = self._latest_base(conn, cycle["id"])
            if latest is not None and latest["status"] == "draft":
                return latest
            try:
                with self._write() as conn:
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
        self, name: str, *, parent_id: int | None = None, by: str = "admin"
    ) -> dict[str, Any]:
        """A named what-if copy of a version (default: the current draft) in the same cycle.

        The parent's effective adjustments and capacity changes are copied into the scenario (in
        order, source and timestamps kept), so later edits of either never touch the other.
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
                _insert(conn, adjustments, _records(adj, cols))
            cap = self._chain_rows(conn, capacity_changes, chain, active_only=True)
            if len(cap):
                cap = cap.assign(version_id=vid)
                cap["batch_id"] = f"copy-{parent['id']}"
                cols = [c.name for c in capacity_changes.columns if c.name != "id"]
                _insert(conn, capacity_changes, _records(cap, cols))
            return self._version(conn, vid)

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

    # ------------------------------------------------------------------ changes: adjustments and capacity

    def add_changes(
        self,
        version_id: int,
        adjustments: Sequence[dict[str, Any]] = (),
        capacity_changes: Sequence[dict[str, Any]] = (),
        *,
        expected_revision: int | None = None,
    ) -> int:
        """Store one change: adjustments and/or capacity changes, one transaction, one revision bump.

        Adjustment rows: level, key, period, type, value [, reason, owner, created_at, before_value,
        after_value, source, batch_id]. Capacity rows: family, period, after_value [, resource,
        before_value, reason, owner, type, value, source, batch_id]; a capacity change's created_at is
        the time of the write (what orders the undo stack). Rows without a batch id share one
        new batch id, so the whole call is undone and redone as one change. Returns the new revision;
        raises ConflictError when the version is not a draft at `expected_revision`.
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
            now = _now()  # taken with the version row locked: a version's changes are in time order
            if adj is not None:
                start = conn.execute(
                    select(func.max(adjustments_table.c.seq)).where(
                        adjustments_table.c.version_id == version_id
                    )
                ).scalar_one()
                adj["seq"] = np.arange(len(adj)) + (0 if start is None else int(start) + 1)
                adj["created_at"] = pd.to_datetime(adj["created_at"]).fillna(pd.Timestamp(now))
                _insert(
                    conn,
                    adjustments_table,
                    _records(adj, ADJUSTMENT_ROW_COLUMNS, version_id=version_id, recorded_at=now, active=True),
                )
            if cap is not None:
                _insert(
                    conn,
                    capacity_table,
                    _records(cap, CAPACITY_ROW_COLUMNS, version_id=version_id, created_at=now, active=True),
                )
        return revision

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
                _insert(
                    conn,
                    adjustment_events,
                    [
                        {"adjustment_id": i, "event": "redo" if active else "undo", "at": now, "by": by}
                        for i in change
                    ],
                )
        return revision

    # undo / redo of whole changes

    def _batches(self, conn: sa.Connection, version_id: int) -> pd.DataFrame:
        """The version's own undoable changes, oldest first: batch_id, at, n_rows, n_active,
        n_adjustments, n_capacity (rows that came with a file or a scenario copy are not changes)."""
        a, c = adjustments_table, capacity_changes
        adj = _frame(
            conn.execute(
                select(a.c.batch_id, a.c.recorded_at.label("at"), a.c.active).where(
                    a.c.version_id == version_id, a.c.batch_id.is_not(None), a.c.source != "upload"
                )
            )
        ).assign(kind="adjustment")
        cap = _frame(
            conn.execute(
                select(c.c.batch_id, c.c.created_at.label("at"), c.c.active).where(
                    c.c.version_id == version_id, c.c.batch_id.is_not(None)
                )
            )
        ).assign(kind="capacity")
        cols = ["batch_id", "at", "n_rows", "n_active", "n_adjustments", "n_capacity"]
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
        )
        out["n_capacity"] = out["n_rows"] - out["n_adjustments"]
        return out.sort_values(["at", "batch_id"], kind="stable", ignore_index=True)[cols]

    def _flip(
        self, conn: sa.Connection, version_id: int, batch_id: str, active: bool, by: str
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
                _insert(
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
                )
            )
        return flipped

    def _version_or_current(self, version_id: int | None) -> int:
        return int(self.current_version()["id"] if version_id is None else version_id)

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
            if not self._flip(conn, version_id, batch_id, active, by):
                raise LookupError(f"change {batch_id} has no {'inactive' if active else 'active'} rows")
        return revision

    def undo_last(
        self, version_id: int | None = None, *, by: str, expected_revision: int | None = None
    ) -> dict[str, Any]:
        """Deactivate the latest active change of a draft (adjustments and capacity changes of its batch).

        Returns {batch_id, revision, rows: [flipped rows, each with 'kind']}; raises LookupError
        with a message for people when there is nothing to undo.
        """
        vid = self._version_or_current(version_id)
        with self._write() as conn:
            revision = self._bump(conn, vid, expected_revision)  # locks the version first
            batches = self._batches(conn, vid)
            active = batches[batches["n_active"] > 0]
            if active.empty:
                raise LookupError("there is nothing to undo in this draft")
            batch = str(active.iloc[-1]["batch_id"])
            rows = self._flip(conn, vid, batch, False, by)
        return {"batch_id": batch, "revision": revision, "rows": rows}

    def redo_last(
        self, version_id: int | None = None, *, by: str, expected_revision: int | None = None
    ) -> dict[str, Any]:
        """Reactivate the most recently undone change, unless a newer change has been made since.

        Returns like `undo_last`; raises LookupError with a message for people when refused.
        """
        vid = self._version_or_current(version_id)
        with self._write() as conn:
            revision = self._bump(conn, vid, expected_revision)
            batches = self._batches(conn, vid).set_index("batch_id")
            undone = conn.execute(
                select(change_events.c.batch_id)
                .where(change_events.c.version_id == vid, change_events.c.event == "undo")
                .order_by(change_events.c.id.desc())
            ).scalars()
            candidate = next(
                (b for b in undone if b in batches.index and batches.at[b, "n_active"] == 0), None
            )
            if candidate is None:
                raise LookupError("there is nothing to redo")
            newer = batches[(batches["at"] > batches.at[candidate, "at"]) & (batches["n_active"] > 0)]
            if len(newer):
                raise LookupError("newer changes were made after the undo; redo is no longer possible")
            rows = self._flip(conn, vid, candidate, True, by)
        return {"batch_id": candidate, "revision": revision, "rows": rows}

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

    def list_adjustments(self, version_id: int | None = None) -> pd.DataFrame:
        """Every adjustment row (active or not) of the version's chain, in order, with every column."""
        if version_id is None:
            version_id = self.current_version()["id"]
        with self._read() as conn:
            df = self._chain_rows(conn, adjustments_table, self._chain(conn, version_id), active_only=False)
        if df.empty:
            return pd.DataFrame(columns=[c.name for c in adjustments_table.columns])
        df["created_at"] = pd.to_datetime(df["created_at"])
        df["active"] = df["active"].astype(bool)
        return _float(df, ["value", "before_value", "after_value"])

    def adjustment_events(self, version_id: int | None = None) -> pd.DataFrame:
        """The undo/redo events of a version's adjustments, row by row, oldest first."""
        if version_id is None:
            version_id = self.current_version()["id"]
        with self._read() as conn:
            return _frame(
                conn.execute(
                    select(adjustment_events)
                    .join(adjustments_table, adjustments_table.c.id == adjustment_events.c.adjustment_id)
                    .where(adjustments_table.c.version_id == version_id)
                    .order_by(adjustment_events.c.id)
                )
            )

    def list_capacity_changes(self, version_id: int | None = None) -> pd.DataFrame:
        """Every capacity change of the version's chain, oldest first (type/value/source filled for old rows)."""
        if version_id is None:
            version_id = self.current_version()["id"]
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

    # ------------------------------------------------------------------ forecasts

    def save_forecast_run(
        self,
        cycle_id: int,
        forecast: pd.DataFrame,
        models: pd.DataFrame | None,
        *,
        method: str,
        settings: dict[str, Any] | None = None,
    ) -> int:
        """Store a statistical forecast (item_id, period, forecast[, model, lo80, hi80, lo95, hi95])."""
        with self._write() as conn:
            return self._save_forecast_run(
                conn, cycle_id, forecast, models, method=method, settings=settings or {}
            )

    def _save_forecast_run(
        self,
        conn: sa.Connection,
        cycle_id: int,
        forecast: pd.DataFrame,
        models: pd.DataFrame | None,
        *,
        method: str,
        settings: dict[str, Any],
    ) -> int:
        fc = (
            forecast.rename(columns={"forecast_units": "forecast"})
            if "forecast" not in forecast
            else forecast
        )
        fc = fc.copy()
        for c in ("lo80", "hi80", "lo95", "hi95"):
            if c not in fc.columns:
                fc[c] = np.nan
        if "model" not in fc.columns:
            fc["model"] = method
        run_id = int(
            conn.execute(
                forecast_runs.insert().values(
                    cycle_id=cycle_id,
                    created_at=_now(),
                    status="done",
                    method=method,
                    settings_json=json.dumps(settings, default=str),
                )
            ).inserted_primary_key[0]
        )
        _bulk(
            conn,
            forecast_values,
            fc,
            ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"],
            run_id=run_id,
        )
        if models is not None and len(models):
            m = models.copy()
            for c in ("error", "runner_up", "runner_up_error", "snaive_error", "note"):
                if c not in m.columns:
                    m[c] = None
            _bulk(
                conn,
                forecast_models,
                m,
                ["item_id", "model", "error", "runner_up", "runner_up_error", "snaive_error", "note"],
                run_id=run_id,
            )
        return run_id

    def _latest_run(self, conn: sa.Connection, cycle_id: int) -> int | None:
        return conn.execute(
            select(forecast_runs.c.id)
            .where(forecast_runs.c.cycle_id == cycle_id, forecast_runs.c.status == "done")
            .order_by(forecast_runs.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def _latest_forecast(self, conn: sa.Connection, cycle_id: int) -> pd.DataFrame | None:
        run_id = self._latest_run(conn, cycle_id)
        if run_id is None:
            return None
        cols = ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
        df = _frame(
            conn.execute(
                select(*[forecast_values.c[c] for c in cols])
                .where(forecast_values.c.run_id == run_id)
                .order_by(forecast_values.c.item_id, forecast_values.c.period)
            )
        )
        return _text(_float(df, ["forecast", "lo80", "hi80", "lo95", "hi95"]), ["item_id", "period", "model"])

    def latest_forecast(self, cycle_id: int | None = None) -> pd.DataFrame | None:
        """The latest forecast run of a cycle (default: current): item_id, period, model, forecast, lo/hi."""
        with self._read() as conn:
            cid = cycle_id if cycle_id is not None else self._current_cycle(conn)["id"]
            return self._latest_forecast(conn, cid)

    def forecast_models(self, cycle_id: int | None = None) -> pd.DataFrame | None:
        """The chosen model per item of the cycle's latest forecast run, or None."""
        with self._read() as conn:
            cid = cycle_id if cycle_id is not None else self._current_cycle(conn)["id"]
            run_id = self._latest_run(conn, cid)
            if run_id is None:
                return None
            df = _frame(
                conn.execute(
                    select(forecast_models)
                    .where(forecast_models.c.run_id == run_id)
                    .order_by(forecast_models.c.item_id)
                )
            )
        if df.empty:
            return None
        return _float(df.drop(columns="run_id"), ["error", "runner_up_error", "snaive_error"])

    # ------------------------------------------------------------------ approval

    def approve_version(
        self, version_id: int, *, by: str, snapshot: pd.DataFrame, expected_revision: int | None = None
    ) -> None:
        """Freeze a draft: status approved, plan snapshot (item_id, period, statistical, consensus[, owner])
        stored."""
        snapshot = snapshot.assign(owner=snapshot["owner"].fillna("") if "owner" in snapshot else "")
        with self._write() as conn:
            self._bump(conn, version_id, expected_revision)
            conn.execute(
                plan_versions.update()
                .where(plan_versions.c.id == version_id)
                .values(status="approved", approved_at=_now(), approved_by=by)
            )
            _bulk(
                conn,
                plan_snapshots,
                snapshot,
                ["item_id", "period", "statistical", "consensus", "owner"],
                version_id=version_id,
            )
            v = self._version(conn, version_id)
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

    # ------------------------------------------------------------------ assumptions, decisions, actions

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
        return self._list(decisions, cycle_id)

    def add_decision(self, row: dict[str, Any], cycle_id: int | None = None) -> int:
        """row: topic, decision, rationale, owner, impact, decided_on (default today). Returns the id."""
        row = {**row, "decided_on": _as_date(row.get("decided_on")) or _now().date()}
        return self._add(decisions, row, cycle_id, {"rationale": "", "owner": "", "impact": ""})

    def list_actions(self, cycle_id: int | None = None) -> pd.DataFrame:
        return self._list(action_items, cycle_id)

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
            _insert(
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

    # ------------------------------------------------------------------ settings and users

    def get_settings(self) -> Settings:
        """The planner's settings (defaults for anything never saved)."""
        with self._read() as conn:
            raw = conn.execute(
                select(settings_table.c.value_json).where(settings_table.c.key == "settings")
            ).scalar_one_or_none()
        if raw is None:
            return Settings()
        stored = json.loads(raw)
        names = {f.name for f in dataclasses.fields(Settings)}
        values = {k: v for k, v in stored.items() if k in names}
        if "targets" in values:
            targets = dict(DEFAULT_TARGETS)
            targets.update({k: KpiTarget(**v) for k, v in values["targets"].items()})
            values["targets"] = targets
        if "scenario_weights" in values:
            values["scenario_weights"] = tuple(values["scenario_weights"])
        return Settings(**values)

    def save_settings(self, settings: Settings) -> None:
        value = json.dumps(dataclasses.asdict(settings))
        with self._write() as conn:
            conn.execute(settings_table.delete().where(settings_table.c.key == "settings"))
            conn.execute(settings_table.insert().values(key="settings", value_json=value))

    def add_user(self, username: str, password: str, role: str) -> int:
        """A new user with a hashed password; role is one of ROLES."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not username.strip() or not password:
            raise ValueError("username and password are required")
        with self._write() as conn:
            return int(
                conn.execute(
                    users.insert().values(
                        username=username.strip(), password_hash=generate_password_hash(password), role=role
                    )
                ).inserted_primary_key[0]
            )

    def ensure_admin(self, password: str) -> bool:
        """Create the user 'admin' (role admin) when no admin exists; True when it was created."""
        with self._read() as conn:
            if conn.execute(select(users.c.id).where(users.c.role == "admin").limit(1)).first() is not None:
                return False
        try:
            self.add_user("admin", password, "admin")
        except IntegrityError:  # another worker created it, or a non-admin is called 'admin'
            return False
        return True

    def check_password(self, username: str, password: str) -> dict[str, Any] | None:
        """{id, username, role} when the password is right, else None."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.username == username.strip())).mappings().first()
        if row is None or not check_password_hash(row["password_hash"], password):
            return None
        return {"id": row["id"], "username": row["username"], "role": row["role"]}

    def list_users(self) -> pd.DataFrame:
        """id, username, role (never the hashes)."""
        with self._read() as conn:
            return _frame(
                conn.execute(select(users.c.id, users.c.username, users.c.role).order_by(users.c.id))
            )


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
