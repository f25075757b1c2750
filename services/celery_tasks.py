"""Background jobs on Celery, for deployments that set REDIS_URL (`make serve`).

The web workers send a forecast run to the Celery worker by task name (`client().send_task`), so a run
outlives the request and the web process that started it; the worker (`celery -A app:celery_app worker`,
the same app that runs Dash's background callbacks) executes it with `services.forecast_worker.execute`,
exactly as the `python -m services.forecast_worker` process of the default deployment does. Progress,
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
        from services.forecast_worker import execute

        return str(execute(args).get("status"))
