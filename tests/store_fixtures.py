"""Helpers shared by the store-backed tests (the `db_url` fixture itself is in conftest.py)."""

from __future__ import annotations

import os

import pytest

from services.plan_service import PlanService
from data.store import Store, make_engine

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")),
]


def new_service(url: str) -> PlanService:
    store = Store(make_engine(url))
    store.ensure_ready()
    return PlanService(store)
