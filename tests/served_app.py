"""The app as it is deployed, for the concurrency and crash tests of issue 11: gunicorn with 2 sync web
workers (what scripts/serve.sh starts for the web part; Redis and Celery are left out: edits and uploads
do not use them) on a SQLite file or a PostgreSQL database, and clients that sign in and call the pages'
callbacks over HTTP as the browser does (POST /_dash-update-component with the session cookie and the
page's Origin).

- `served_database(kind, tmp_path, seeded_sqlite)`: a store with the sample company (context manager).
- `Gunicorn(url, workdir)`: start / kill9 (SIGKILL of master and workers at once) / stop.
- `Client(base, deps)`: sign_in, `demand` (bench/load/dash_client.DemandPage) and `supply` (SupplyPage).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench" / "load"))

import dash_client as dc  # noqa: E402  (bench/load is not a package)

PASSWORD = "served-pass-1"
START_TIMEOUT = float(os.environ.get("SOP_TEST_SERVER_TIMEOUT", "240"))


@contextmanager
def served_database(kind: str, tmp_path: Path, seeded_sqlite: Path):
    """URL of a store with the sample company: a copy of the seeded SQLite file, or a database of its own
    on the TEST_DATABASE_URL server (dropped afterwards; skipped when it is not set)."""
    if kind == "sqlite":
        shutil.copy(seeded_sqlite, tmp_path / "sop.db")
        yield f"sqlite:///{tmp_path / 'sop.db'}"
        return
    from data.store import Store, make_engine
    from tests.store_fixtures import scratch_postgres

    with scratch_postgres("sop_served") as url:
        engine = make_engine(url)
        Store(engine).ensure_ready(seed=True)
        engine.dispose()
        yield url


def add_users(url: str, users: dict[str, str]) -> None:
    """Store users (name → role) with PASSWORD, as an administrator would add them."""
    from data.store import Store, make_engine

    engine = make_engine(url)
    try:
        store = Store(engine)
        for name, role in users.items():
            store.add_user(name, PASSWORD, role)
    finally:
        engine.dispose()


class Gunicorn:
    """`python -m gunicorn app:server --workers 2` in a process group of its own, sign-in on."""

    def __init__(self, url: str, workdir: Path, workers: int = 2) -> None:
        self.url, self.workdir, self.workers = url, workdir, workers
        self.proc: subprocess.Popen | None = None
        self.base = ""
        self.log = workdir / "gunicorn.log"
        self.secret = uuid.uuid4().hex  # one key for every worker and every restart (as serve.sh keeps it)

    def start(self) -> str:
        from tests.conftest import free_port

        port = free_port()
        env = {**os.environ, "DATABASE_URL": self.url, "SOP_CACHE_DIR": str(self.workdir / "cache"),
               "SOP_INSTANCE_DIR": str(self.workdir / "instance"), "SOP_SECRET_KEY": self.secret,
               "SOP_REQUIRE_LOGIN": "1", "SOP_AUTO_FORECAST": "0", "PYTHONUNBUFFERED": "1"}
        for key in ("REDIS_URL", "SOP_ENV"):
            env.pop(key, None)
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "app:server", "--workers", str(self.workers), "--bind",
                 f"127.0.0.1:{port}", "--timeout", "300", "--graceful-timeout", "5"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"
        import requests

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited {self.proc.returncode}:\n{self.tail()}")
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return self.base
            except requests.RequestException:
                pass
            time.sleep(0.5)
        pytest.fail(f"gunicorn did not answer /healthz in {START_TIMEOUT:.0f} s:\n{self.tail()}")

    def kill9(self) -> None:
        """SIGKILL to the master and every worker at once (a crash: nothing gets to clean up)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # workers are reaped by init; wait until the group is gone
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            pass

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def keep_log(self, name: str) -> None:
        from tests.conftest import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        if self.log.exists():
            shutil.copy(self.log, ARTIFACTS / f"{name}-gunicorn.log")


def dependencies(base: str) -> list[dict]:
    import requests

    return dc.calls_from_dependencies(requests.get(base + "/_dash-dependencies", timeout=60).json())


def find_by_input(calls: list[dict], ident: str, prop: str) -> dict:
    for call in calls:
        if any(e["id"] == ident and e["property"] == prop for e in call["body"]["inputs"]):
            return copy.deepcopy(call)
    raise KeyError(f"no callback takes {ident}.{prop}")


def _set(entries: list[dict], ident: str, prop: str, value: Any) -> None:
    dc._set(entries, ident, prop, value)


def _prop(response: dict, ident: str, prop: str) -> Any:
    """A property of an answer (allow_duplicate outputs come back as 'prop@hash')."""
    for key, value in (response.get(ident) or {}).items():
        if key == prop or key.startswith(prop + "@"):
            return value
    return None


class Client:
    """One browser: its own cookie jar, the page's Origin on every POST."""

    def __init__(self, base: str, calls: list[dict]) -> None:
        import requests

        self.base, self.calls = base, calls
        self.http = requests.Session()
        self.demand = dc.DemandPage(calls)
        self.supply = SupplyPage(calls)

    def post(self, path: str, body: dict, timeout: float = 300.0) -> tuple[int, Any]:
        r = self.http.post(self.base + path, json=body, headers={"Origin": self.base}, timeout=timeout)
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        call = find_by_input(self.calls, "login-submit", "n_clicks")
        body = call["body"]
        _set(body["inputs"], "login-submit", "n_clicks", 1)
        _set(body["state"], "login-username", "value", username)
        _set(body["state"], "login-password", "value", password)
        body["changedPropIds"] = ["login-submit.n_clicks"]
        status, answer = self.post(call["path"], body)
        assert status == 200 and "login-ok" in json.dumps(answer), f"sign-in of {username}: {status} {answer}"


class SupplyPage:
    """The capacity grid's read (render_supply) and write (change_capacity) callbacks."""

    def __init__(self, calls: list[dict]) -> None:
        self.read_call = dc.find(calls, "..supply-capacity-grid.rowData...supply-capacity-grid.columnDefs")
        self.edit_call = find_by_input(calls, "supply-capacity-grid", "cellValueChanged")
        self.edit_call["body"]["changedPropIds"] = ["supply-capacity-grid.cellValueChanged"]

    def read(self, post) -> tuple[list[dict], list]:
        """(capacity rows, supply-grid-key [cycle, dataset, version, revision, ...]) as the page draws them."""
        call = copy.deepcopy(self.read_call)
        _set(call["body"]["inputs"], "app-state", "data", {})
        status, answer = post(call["path"], call["body"])
        if status != 200:
            raise RuntimeError(f"supply read answered {status}")
        res = answer["response"]
        return _prop(res, "supply-capacity-grid", "rowData"), _prop(res, "supply-grid-key", "data")

    def edit(self, post, key: list, family: str, period: str, value: float, old: float | None,
             reason: str) -> tuple[str, str, list | None]:
        """Type `value` into a capacity cell seen at grid key `key`: (saved|conflict|error, message, new key)."""
        call = copy.deepcopy(self.edit_call)
        body = call["body"]
        change = {"rowId": f"family:{family}", "colId": period, "value": value, "oldValue": old}
        _set(body["inputs"], "supply-capacity-grid", "cellValueChanged", [change])
        _set(body["state"], "supply-reason", "value", reason)
        _set(body["state"], "app-state", "data", {"version": key[2], "revision": key[3]})
        _set(body["state"], "supply-grid-key", "data", key)
        status, answer = post(call["path"], body)
        if status != 200 or not answer:
            return "error", f"HTTP {status}", None
        res = answer["response"]
        msg = _prop(res, "supply-edit-msg", "children") or {}
        color = (msg.get("props") or {}).get("color") if isinstance(msg, dict) else None
        kind = {"success": "saved", "warning": "conflict"}.get(color, "error")
        return kind, json.dumps(msg)[:600], _prop(res, "supply-grid-key", "data")


def value_of(rows: list[dict], row_id: str, period: str) -> float | None:
    """A cell of the demand grid (rows keyed `row_id`) or of the capacity grid (keyed `id`)."""
    for row in rows:
        if row.get("row_id", row.get("id")) == row_id:
            return row.get(period)
    return None


def demand_paste(client: Client, rev: dict, cells: list[tuple[str, str, str]], nonce: str,
                 reason: str) -> tuple[str, str, dict | None]:
    """Paste a block into the demand grid seen at `rev` (cells: row_id, period, text), as the browser sends
    it: one change of several cells. (saved|conflict|error|info, message, new rev)."""
    call = copy.deepcopy(client.demand.edit_call)
    body = call["body"]
    action = {"kind": "paste", "nonce": nonce,
              "cells": [{"row_id": r, "period": p, "text": t} for r, p, t in cells]}
    _set(body["inputs"], "demand-action", "data", action)
    _set(body["state"], "demand-grid-rev", "data", rev)
    _set(body["state"], "app-state", "data", {"version": rev.get("version"), "revision": rev.get("revision")})
    _set(body["state"], "demand-reason", "value", reason)
    status, answer = client.post(call["path"], body)
    if status != 200 or not answer:
        return "error", f"HTTP {status}", None
    res = answer["response"]
    msg = _prop(res, "demand-message", "children") or {}
    kind = (msg.get("props") or {}).get("data-kind", "error") if isinstance(msg, dict) else "error"
    return kind, json.dumps(msg)[:400], _prop(res, "demand-grid-rev", "data")


def capacity_paste(client: Client, key: list, cells: list[tuple[str, str, float]],
                   reason: str) -> tuple[str, str, list | None]:
    """Paste a block into the capacity grid seen at grid key `key` (cells: family, period, value): the grid
    reports every changed cell in one cellValueChanged, stored as one change."""
    call = copy.deepcopy(client.supply.edit_call)
    body = call["body"]
    changes = [{"rowId": f"family:{f}", "colId": p, "value": v, "oldValue": None} for f, p, v in cells]
    _set(body["inputs"], "supply-capacity-grid", "cellValueChanged", changes)
    _set(body["state"], "supply-reason", "value", reason)
    _set(body["state"], "app-state", "data", {"version": key[2], "revision": key[3]})
    _set(body["state"], "supply-grid-key", "data", key)
    status, answer = client.post(call["path"], body)
    if status != 200 or not answer:
        return "error", f"HTTP {status}", None
    res = answer["response"]
    msg = _prop(res, "supply-edit-msg", "children") or {}
    color = (msg.get("props") or {}).get("color") if isinstance(msg, dict) else None
    return {"success": "saved", "warning": "conflict"}.get(color, "error"), json.dumps(msg)[:600], \
        _prop(res, "supply-grid-key", "data")


def upload(client: Client, files: dict[str, bytes]) -> tuple[str, str]:
    """Drop files on /data's upload box: (ok|refused|denied|error, the report's text)."""
    import base64

    call = find_by_input(client.calls, "data-upload", "contents")
    body = call["body"]
    names = list(files)
    _set(body["inputs"], "data-upload", "contents",
         ["data:text/csv;base64," + base64.b64encode(files[n]).decode() for n in names])
    _set(body["state"], "data-upload", "filename", names)
    _set(body["state"], "data-keep-settings", "value", [])
    body["changedPropIds"] = ["data-upload.contents"]
    status, answer = client.post(call["path"], body)
    if status != 200 or not answer:
        return "error", f"HTTP {status}"
    text = json.dumps(_prop(answer["response"], "data-upload-report", "children"))
    for kind in ("ok", "refused", "denied", "error"):
        if f'"data-report-{kind}"' in text:
            return kind, text[:600]
    return "error", text[:600]
