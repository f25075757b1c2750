"""SOP_ENV=production refuses to start while demo accounts, the default administrator password or a missing
SOP_SECRET_KEY remain: the check as a function, and `python app.py` as an operator would start it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from services import production_check
from services.plan_service import ensure_demo_users

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path, seeded_sqlite, monkeypatch):
    from data.store import Store, make_engine

    monkeypatch.delenv("SOP_ENV", raising=False)
    shutil.copy(seeded_sqlite, tmp_path / "sop.db")
    s = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    s.ensure_admin("admin")
    ensure_demo_users(s)
    yield s
    s.engine.dispose()


def test_each_problem_is_named(store, monkeypatch) -> None:
    monkeypatch.delenv("SOP_SECRET_KEY", raising=False)
    monkeypatch.setenv("SOP_REQUIRE_LOGIN", "0")
    found = production_check.problems(store)
    text = "\n".join(found)
    assert "SOP_SECRET_KEY is not set" in text
    assert "SOP_REQUIRE_LOGIN=0" in text
    for name in ("dana", "sam", "erin", "fay"):
        assert f"The demo account '{name}' still has the demo password" in text
    assert "The administrator 'admin' still has the default password 'admin'" in text
    assert len(found) == 7


def test_nothing_left_nothing_said(store, monkeypatch) -> None:
    from services import users

    monkeypatch.setenv("SOP_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("SOP_REQUIRE_LOGIN", raising=False)
    users.set_disabled(store, by="admin", username="dana", disabled=True)
    for name in ("sam", "erin"):
        users.reset_password(store, by="admin", username=name, password=f"{name}-real-password")
    users.change_role(store, by="admin", username="fay", role="executive")  # still the demo password
    admin_default = ("The administrator 'admin' still has the default password 'admin': change it on /admin/users "
                     "(or start with SOP_ADMIN_PASSWORD on a new database).")
    assert production_check.problems(store) == [
        admin_default, "The demo account 'fay' still has the demo password: disable it on /admin/users."]
    users.reset_password(store, by="admin", username="fay", password="fay-real-password")
    assert production_check.problems(store) == [admin_default]
    users.reset_password(store, by="admin", username="admin", password="a-long-admin-password")
    assert production_check.problems(store) == []


def test_enforce_does_nothing_outside_production(store, monkeypatch) -> None:
    monkeypatch.delenv("SOP_ENV", raising=False)
    production_check.enforce()  # no exit


def _run_app(db: Path, tmp_path: Path, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOP_SECRET_KEY", "SOP_ADMIN_PASSWORD", "SOP_REQUIRE_LOGIN", "REDIS_URL")}
    env.update({"SOP_ENV": "production", "DATABASE_URL": f"sqlite:///{db}", "SOP_CACHE_DIR": str(tmp_path / "cache"),
                "SOP_AUTO_FORECAST": "0", "SOP_PORT": "1", "PYTHONUNBUFFERED": "1", **extra})
    return subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_python_app_py_refuses_a_fresh_database_with_defaults(tmp_path) -> None:
    done = _run_app(tmp_path / "sop.db", tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refuses to start with SOP_ENV=production" in done.stderr
    assert "SOP_SECRET_KEY is not set" in done.stderr
    assert "The administrator 'admin' still has the default password 'admin'" in done.stderr
    assert "demo account" not in done.stderr  # production never creates them


def test_python_app_py_refuses_demo_accounts(tmp_path, store) -> None:
    db = Path(store.engine.url.database)
    done = _run_app(db, tmp_path, SOP_SECRET_KEY="k" * 40)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "The demo account 'dana' still has the demo password" in done.stderr
    assert "SOP_SECRET_KEY" not in done.stderr


@pytest.mark.browser
def test_a_safe_production_start_serves(start_app) -> None:
    server = start_app("production", require_login=True,
                       env_extra={"SOP_ENV": "production", "SOP_SECRET_KEY": "s" * 40,
                                  "SOP_ADMIN_PASSWORD": "a-long-admin-password"})
    with urllib.request.urlopen(server.url + "/login", timeout=10) as r:
        assert r.status == 200
