"""Connecting and moving rows: `make_engine` (SQLite by default, PostgreSQL by URL) and the helpers
every part of the store shares: `_now` (naive UTC timestamps), `_records`/`_insert`/`_bulk` to write
DataFrame rows inside the caller's transaction (COPY or raw executemany for big frames), and
`_frame`/`_float`/`_text`/`_as_date` to turn query results into typed DataFrames and values.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Float, Integer, String, Table, Text, event

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_URL = f"sqlite:///{REPO / 'instance' / 'sop.db'}"


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
