"""The multi-user deployment (`make serve` = scripts/serve.sh) comes up, answers /healthz, runs a forecast
job through Celery, serves an edit made through one gunicorn worker to reads through the other, and stops
without leaving a process behind. On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (its own
database, dropped afterwards). Skipped when redis-server, celery or gunicorn is missing (scripts/test.sh
installs them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench" / "load"))

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]
pytest.importorskip("celery")
pytest.importorskip("gunicorn")
psutil = pytest.importorskip("psutil")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'instance' / 'sop.db'}"
        return
    from tests.store_fixtures import scratch_postgres

    with scratch_postgres("sop_deploy") as url:
        yield url


@pytest.fixture
def deployment(tmp_path, database_url):
    instance = tmp_path / "instance"
    port, redis_port = free_port(), free_port()
    env = {**os.environ, "SOP_INSTANCE_DIR": str(instance), "SOP_HOST": "127.0.0.1", "SOP_PORT": str(port),
           "SOP_REDIS_PORT": str(redis_port), "SOP_WEB_WORKERS": "2", "SOP_CELERY_CONCURRENCY": "1",
           "DATABASE_URL": database_url, "SOP_AUTO_FORECAST": "0", "SOP_REQUIRE_LOGIN": "0", "VENV": str(Path(sys.executable).parent.parent)}
    env.pop("REDIS_URL", None)
    out = open(tmp_path / "serve.out", "w")
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve.sh"), "start"], cwd=ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    dep = {"proc": proc, "base": base, "instance": instance, "env": env, "redis_port": redis_port,
           "out": tmp_path / "serve.out", "tree": set()}
    try:
        yield dep
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                subprocess.run(["bash", str(ROOT / "scripts" / "serve.sh"), "stop"], env=env, timeout=60)
                proc.kill()
        out.close()
        logs = instance / "serve" / "logs"
        artifacts = ROOT / "test-artifacts" / "deploy"
        if logs.exists():
            shutil.copytree(logs, artifacts / Path(database_url.split(":")[0]), dirs_exist_ok=True)


def processes_of(dep) -> set[int]:
    """Every process the deployment runs: its process groups (redis, celery, gunicorn) and their children."""
    pids = set()
    for f in (dep["instance"] / "serve").glob("*.pid"):
        try:
            p = psutil.Process(int(f.read_text()))
            pids |= {p.pid, *(c.pid for c in p.children(recursive=True))}
        except (psutil.Error, ValueError):
            pass
    return pids


def wait_healthy(dep, timeout: float = 150.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if dep["proc"].poll() is not None:
            pytest.fail(f"serve.sh exited {dep['proc'].returncode}:\n{dep['out'].read_text()[-3000:]}")
        try:
            status, body = get(dep["base"] + "/healthz", timeout=5)
            last = (status, body)
            if status == 200:
                return json.loads(body)
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"/healthz never answered 200 (last: {last}):\n{dep['out'].read_text()[-3000:]}")


def test_make_serve_runs_forecasts_on_celery_shares_edits_and_stops_clean(deployment, monkeypatch):
    import dash_client as dc

    dep = deployment
    health = wait_healthy(dep)
    assert health == {"database": "ok", "redis": "ok", "worker": "ok"}
    dep["tree"] = processes_of(dep)
    assert len(dep["tree"]) >= 5  # redis, celery master + child, gunicorn master + 2 workers

    # a forecast run started by the service layer (as "Run forecast" does) goes to the Celery worker
    for key in ("DATABASE_URL", "SOP_CACHE_DIR"):
        monkeypatch.setenv(key, dep["env"][key] if key in dep["env"] else str(dep["instance"] / "cache"))
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{dep['redis_port']}/0")
    from data.store import Store, make_engine
    from services import forecast_jobs

    engine = make_engine(dep["env"]["DATABASE_URL"])
    try:
        store = Store(engine)
        cycle_id = store.plan_state()["cycle_id"]
        started = forecast_jobs.start_run(cycle_id, user="admin", trigger="manual", force=True)
        assert started["status"] == "started"
        marker = forecast_jobs.in_flight(cycle_id)
        assert marker and marker["via"] == "celery"
        outcome = forecast_jobs.wait_for(cycle_id, timeout=120)
        assert outcome and outcome["status"] == "done", outcome
        assert store.plan_state()["forecast_run_id"] == outcome["run_id"]
    finally:
        engine.dispose()
    celery_log = (dep["instance"] / "serve" / "logs" / "celery.log").read_text()
    assert f"Task sop.forecast_run[{marker.get('task_id', '')}" in celery_log  # the worker ran it
    run_log = dep["instance"] / "cache" / "forecast-jobs" / f"worker-{started['token']}.log"
    assert f"forecast run {started['token']}: done" in run_log.read_text()  # in the process the task started

    # an edit through one web worker is read through the others
    deps = json.loads(get(dep["base"] + "/_dash-dependencies")[1])
    page = dc.DemandPage(dc.calls_from_dependencies(deps))
    post = dc.urllib_post(dep["base"])
    rows, rev = page.read(post)
    row = next(r for r in rows if r["row_id"].startswith("item:"))
    period = rev["horizon"][2]
    target = round(float(row[period]) + 123.0)
    access = dep["instance"] / "serve" / "logs" / "gunicorn.log"

    def served_by(lines: list[str]) -> list[str]:
        return [m.group(1) for m in (re.search(r"pid=<?(\d+)>? \"POST /_dash-update-component", x) for x in lines)
                if m]

    before = len(access.read_text().splitlines())
    kind, text, _ = page.edit(post, rev, row["row_id"], period, str(target), nonce="deploy-test")
    assert kind == "saved", text
    time.sleep(0.3)  # the access log line is written after the answer
    lines = access.read_text().splitlines()
    editor = served_by(lines[before:])[-1]
    with ThreadPoolExecutor(4) as pool:  # concurrent reads keep both workers busy
        seen = list(pool.map(lambda _: dc.value(page.read(post)[0], row["row_id"], period), range(32)))
    assert seen == [float(target)] * len(seen)
    time.sleep(0.3)
    readers = served_by(access.read_text().splitlines()[len(lines):])
    assert len(readers) == 32 and set(readers) - {editor}, readers  # read through the other worker too

    # Ctrl-C / TERM stops everything
    dep["proc"].send_signal(signal.SIGTERM)
    assert dep["proc"].wait(60) == 0
    time.sleep(0.5)
    left = [p for p in dep["tree"] if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not left, [psutil.Process(p).cmdline() for p in left]
    assert not list((dep["instance"] / "serve").glob("*.pid"))
    with pytest.raises(OSError):
        get(dep["base"] + "/healthz", timeout=2)


def test_healthz_is_public_and_names_absent_parts(monkeypatch):
    """Without REDIS_URL the default deployment answers database ok, redis and worker absent."""
    from services.health import health
    from services.public_paths import PUBLIC_PATHS, is_public

    assert "/healthz" in PUBLIC_PATHS and is_public("/healthz")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr("services.health.check_database", lambda: "ok")
    assert health() == ({"database": "ok", "redis": "absent", "worker": "absent"}, 200)
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    parts, status = health()
    assert status == 503 and parts["redis"] == "error" and parts["worker"] == "error"


def test_with_redis_url_a_run_is_queued_for_celery_not_spawned(tmp_path, monkeypatch):
    """start_run sends the run to the Celery worker (no process of its own) and any web worker follows it."""
    from services import celery_tasks, forecast_jobs

    monkeypatch.setenv("SOP_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    sent = []
    monkeypatch.setattr(celery_tasks, "send_forecast_run", lambda args: sent.append(args) or "task-1")
    started = forecast_jobs.start_run(9, user="dana", trigger="manual", force=True)
    assert started["status"] == "started" and sent and sent[0]["token"] == started["token"]
    assert not list((tmp_path / "forecast-jobs").glob("worker-*.log"))  # no process was started here
    marker = forecast_jobs.in_flight(9)
    assert marker["via"] == "celery" and marker["task_id"] == "task-1" and marker["pid"] is None
    assert forecast_jobs.start_run(9, user="sam", trigger="manual")["status"] == "following"
    forecast_jobs.jobs().set("run:9", {**marker, "created": time.time() - forecast_jobs.QUEUE_GRACE - 1})
    assert forecast_jobs.in_flight(9) is None  # a run no worker ever took does not hold the cycle for ever
