"""Statistical forecast runs as background jobs: start, follow, cancel, and what the last one did.

A run is started by loading data (an upload, the first start of the app) or by the "Run forecast"
action, never by viewing a page. It runs in its own process (`python -m services.forecast_worker`),
so a long run never holds a web worker, survives the request that started it, and never shares the
web process's database connections. A few small JSON records beside the cache coordinate the
web workers of one machine:

    run-<cycle_id>       the run in flight: token, pid, user, trigger, times (one run per cycle)
    progress-<token>     fraction, stage and start time, for every page that follows the run
    cancel-<token>       set by Cancel; the worker stops at its next step and stores nothing
    last-<cycle_id>      how the cycle's latest run ended (done / cancelled / error), with its message

A marker whose process has died is cleared by the next reader, so a crash never wedges a cycle.

With REDIS_URL set (`make serve`) the run is sent to the Celery worker instead of a new process
(services.celery_tasks): the marker says `via: celery` and gets the forecast process's id when the task
starts it (a queued run counts as in flight for QUEUE_GRACE). The records stay files, so the web workers and
the Celery worker must share one machine (or one SOP_CACHE_DIR).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger("sop.forecast_jobs")

ROOT = Path(__file__).resolve().parent.parent
JOB_TTL = 6 * 3600
START_GRACE = 60.0  # seconds a freshly started run may take to show its process id
QUEUE_GRACE = float(os.environ.get("SOP_FORECAST_QUEUE_GRACE", "900"))  # a run queued for the Celery worker


class JobFiles:
    """get / set / add (only when absent) / delete of small JSON records, one file each, written atomically.
    Plain files, so every process of the machine can use them safely."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def file(self, key: str) -> Path:
        return self.path / (key.replace(":", "-").replace("/", "_") + ".json")

    def get(self, key: str) -> Any:
        try:
            record = json.loads(self.file(key).read_text())
        except (OSError, ValueError):
            return None
        if record.get("expires", float("inf")) < time.time():
            self.delete(key)
            return None
        return record.get("value")

    def set(self, key: str, value: Any, expire: float = JOB_TTL) -> None:
        tmp = self.path / f".{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({"value": value, "expires": time.time() + expire}, default=str))
        os.replace(tmp, self.file(key))

    def add(self, key: str, value: Any, expire: float = JOB_TTL) -> bool:
        try:
            fd = os.open(self.file(key), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps({"value": value, "expires": time.time() + expire}, default=str))
        return True

    def delete(self, key: str) -> None:
        try:
            self.file(key).unlink()
        except FileNotFoundError:
            pass

    def sweep(self, older_than: float = JOB_TTL) -> None:
        """Remove records nobody will read again."""
        limit = time.time() - older_than
        for f in self.path.iterdir():
            try:
                if f.stat().st_mtime < limit:
                    f.unlink()
            except OSError:
                pass


def cache_dir() -> Path:
    return Path(os.environ.get("SOP_CACHE_DIR", ROOT / "instance" / "cache"))


def jobs() -> JobFiles:
    return JobFiles(cache_dir() / "forecast-jobs")


def _pid_alive(pid: Any) -> bool:
    import psutil

    try:
        return bool(pid) and psutil.pid_exists(int(pid)) and \
            psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, ValueError, TypeError):
        return False


def in_flight(cycle_id: int) -> dict | None:
    """The run of this cycle that is running (or starting), or None (the marker of a dead run is cleared)."""
    key = f"run:{cycle_id}"
    marker = jobs().get(key)
    if not marker:
        return None
    if _pid_alive(marker.get("pid")):
        return marker
    grace = QUEUE_GRACE if marker.get("via") == "celery" else START_GRACE
    if not marker.get("pid") and time.time() - float(marker.get("created") or 0) < grace:
        return marker  # the worker process is starting (or the run waits for the Celery worker)
    release(cycle_id, marker.get("token"))
    return None


def release(cycle_id: int, token: str | None, reg: JobFiles | None = None) -> None:
    """Free the cycle when `token`'s run holds it (`reg`: the worker's own records, else this process's)."""
    reg = reg or jobs()
    key = f"run:{cycle_id}"
    if (reg.get(key) or {}).get("token") == token:
        reg.delete(key)


def progress(token: str) -> dict:
    return jobs().get(f"progress:{token}") or {}


def last_outcome(cycle_id: int) -> dict | None:
    """How the cycle's latest run ended: {token, status: done|cancelled|error, run_id, seconds, message, at}."""
    return jobs().get(f"last:{cycle_id}")


def auto_skipped(cycle_id: int) -> bool:
    """An automatic run of this cycle was cancelled: it is not started again by itself."""
    return bool(jobs().get(f"skip-auto:{cycle_id}"))


def start_run(cycle_id: int, *, user: str, trigger: str, force: bool = False) -> dict:
    """Start the cycle's statistical forecast in a background process, unless one is running.

    `trigger`: 'upload', 'first start' or 'manual'. Without `force`, a cycle that already has a run keeps
    it (the worker checks). Returns {'status': 'started', 'token'} or {'status': 'following', **marker}
    when a run of this cycle is already in flight (the caller follows it).
    """
    reg = jobs()
    reg.sweep()
    holder = in_flight(cycle_id)
    if holder is not None:
        return {"status": "following", **holder}
    token = uuid.uuid4().hex
    marker = {"token": token, "pid": None, "user": user, "trigger": trigger, "created": time.time()}
    if not reg.add(f"run:{cycle_id}", marker):
        holder = in_flight(cycle_id)
        return {"status": "following", **(holder or marker)}
    if trigger == "manual":
        reg.delete(f"skip-auto:{cycle_id}")
    args = {"token": token, "cycle_id": int(cycle_id), "user": user, "trigger": trigger, "force": bool(force),
            "cache_dir": str(cache_dir())}
    if os.environ.get("REDIS_URL"):
        return _send_to_celery(cycle_id, marker, args)
    log_path = cache_dir() / "forecast-jobs" / f"worker-{token}.log"
    try:
        with open(log_path, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "services.forecast_worker", json.dumps(args)],
                                    cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    except OSError:
        release(cycle_id, token)
        raise
    marker["pid"] = proc.pid
    reg.set(f"run:{cycle_id}", marker)
    log.info("forecast run %s started for cycle %s by %s (%s), pid %s", token, cycle_id, user, trigger, proc.pid)
    return {"status": "started", "token": token}


def _send_to_celery(cycle_id: int, marker: dict, args: dict) -> dict:
    """The run as a Celery task (REDIS_URL): any web worker follows or cancels it through the records."""
    from services.celery_tasks import send_forecast_run

    reg = jobs()
    marker = {**marker, "via": "celery"}
    reg.set(f"run:{cycle_id}", marker)
    try:
        task_id = send_forecast_run(args)
    except Exception:
        release(cycle_id, marker["token"])
        raise
    current = reg.get(f"run:{cycle_id}") or {}
    if current.get("token") == marker["token"] and not current.get("pid"):  # the task has not started yet
        reg.set(f"run:{cycle_id}", {**current, "task_id": task_id})
    log.info("forecast run %s queued for cycle %s by %s (%s), celery task %s", marker["token"], cycle_id,
             marker.get("user"), marker.get("trigger"), task_id)
    return {"status": "started", "token": marker["token"]}


def cancel_run(cycle_id: int) -> dict | None:
    """Ask the cycle's run in flight to stop (it stores nothing). Returns the run's marker, or None."""
    marker = in_flight(cycle_id)
    if not marker:
        return None
    jobs().set(f"cancel:{marker['token']}", True)
    if marker.get("trigger") != "manual":
        jobs().set(f"skip-auto:{cycle_id}", True)
    return marker


def wait_for(cycle_id: int, timeout: float = 600.0, poll: float = 0.5) -> dict | None:
    """Block until the cycle has no run in flight (for tests and scripts); the last outcome."""
    deadline = time.monotonic() + timeout
    while in_flight(cycle_id) is not None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the forecast run of cycle {cycle_id} did not end within {timeout:.0f} s")
        time.sleep(poll)
    return last_outcome(cycle_id)


def backtest_text(candidates: tuple[str, ...] = ()) -> str:
    """The selection method in words, for the run's record and the /data page (`candidates`: the run's list;
    empty = the standard sets)."""
    from planning.forecast import BASELINE, SHORT_NAMES, SNAIVE, ForecastConfig

    cfg = ForecastConfig()
    full, short = cfg.full_span // cfg.full_step, cfg.short_span // cfg.short_step
    keep = 1 + cfg.margin
    listed = ""
    if candidates:
        names = [*candidates, *(r for r in (SNAIVE, BASELINE) if r not in candidates)]
        listed = f" (the settings' list: {', '.join(SHORT_NAMES.get(c, c) for c in names)}, and their ensemble)"
    return (f"candidates{listed} chosen per series by MASE on a {full}-origin rolling backtest ({cfg.full_step} months "
            f"apart; {short} origins for series shorter than 3 years); the combination is kept unless one model's "
            f"backtest error is below 1/{keep:g} of it")
