"""Background jobs on Celery, for deployments that set REDIS_URL (`make serve`).

The web workers send a forecast run to the Celery worker by task name (`client().send_task`), so a run
outlives the request and the web process that started it; the worker (`celery -A app:celery_app worker`,
the same app that runs Dash's background callbacks) runs it in a `python -m services.forecast_worker` process
of its own, exactly as the default deployment does (`run_in_process`). Progress,
Cancel and the outcome stay in the job records of services.forecast_jobs (files under SOP_CACHE_DIR, shared
by every process of the machine).
"""

from __future__ import annotations

import os
from functools import lru_cache

FORECAST_TASK = "sop.forecast_run"


@lru_cache(maxsize=4)
def _client(redis_url: str):
    from celery import Celery

    return Celery("sop-client", broker=redis_url, backend=redis_url)


def client():
    """A Celery app on REDIS_URL that sends tasks and asks the workers (it defines no task)."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise RuntimeError("REDIS_URL is not set: there is no Celery worker")
    return _client(redis_url)


def send_forecast_run(args: dict) -> str:
    """Queue one forecast run; returns the Celery task id."""
    return client().send_task(FORECAST_TASK, args=[args], ignore_result=True).id


def register(celery_app) -> None:
    """Add the background-job tasks to the worker's Celery app (app.py calls this with its `celery_app`)."""
    celery_app.conf.worker_prefetch_multiplier = 1  # long jobs: a worker takes one at a time
    celery_app.conf.broker_connection_retry_on_startup = True

    @celery_app.task(name=FORECAST_TASK, ignore_result=True)
    def forecast_run(args: dict) -> str:
        return run_in_process(args)


def run_in_process(args: dict) -> str:
    """The run in its own `python -m services.forecast_worker` process, supervised by the Celery task: a Celery
    prefork child is a daemon process, which may not start the forecast's process pool or a local Dask cluster,
    so the run gets a process of its own (as in the default deployment) and uses every core. When that process
    dies without writing its outcome, the task writes it and frees the cycle."""
    import json
    import subprocess
    import sys
    import time
    from pathlib import Path

    from services.forecast_jobs import ROOT, JobFiles, release

    reg = JobFiles(Path(args["cache_dir"]) / "forecast-jobs")
    token, cycle_id = args["token"], int(args["cycle_id"])
    log_path = Path(args["cache_dir"]) / "forecast-jobs" / f"worker-{token}.log"
    with open(log_path, "ab") as out:
        code = subprocess.call([sys.executable, "-m", "services.forecast_worker", json.dumps(args)], cwd=str(ROOT),
                               stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    if (reg.get(f"run:{cycle_id}") or {}).get("token") == token:  # it died before its own bookkeeping
        reg.set(f"last:{cycle_id}", {"token": token, "status": "error", "at": time.time(),
                                     "message": f"the forecast process stopped unexpectedly (exit {code})"})
        release(cycle_id, token, reg)
    last = reg.get(f"last:{cycle_id}") or {}
    return str(last.get("status") if last.get("token") == token else "unknown")
