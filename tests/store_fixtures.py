"""Helpers shared by the store-backed tests (the `db_url` fixture itself is in conftest.py)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

from services.plan_service import PlanService
from data.store import Store, make_engine



def _database_sql(base: str, *statements: str) -> None:
    """Run CREATE/DROP DATABASE statements on the server of `base` (outside a transaction, as they must be)."""
    import sqlalchemy as sa

    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        admin.dispose()


def _sibling(base: str, name: str) -> str:
    """The URL of database `name` on the server of `base`."""
    return base.rsplit("/", 1)[0] + "/" + name


def _worker_database() -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (`<db>_gw0`, …), made here before any
    test module reads TEST_DATABASE_URL, so workers that drop and create tables never meet."""
    base, worker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker or os.environ.get("SOP_TEST_WORKER_DB") == worker:
        return
    name = f"{base.rsplit('/', 1)[1].split('?')[0]}_{worker}"
    _database_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    os.environ["TEST_DATABASE_URL"] = _sibling(base, name)
    os.environ["SOP_TEST_WORKER_DB"] = worker


_worker_database()
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")),
]


@contextmanager
def scratch_postgres(prefix: str):
    """URL of a new, empty database on the TEST_DATABASE_URL server, dropped afterwards (the test is skipped
    when TEST_DATABASE_URL is not set): for tests whose servers need a database of their own."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _database_sql(base, f"CREATE DATABASE {name}")
    try:
        yield _sibling(base, name)
    finally:
        _database_sql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def new_service(url: str) -> PlanService:
    store = Store(make_engine(url))
    store.ensure_ready()
    return PlanService(store)
