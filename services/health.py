"""`/healthz` for the load balancer: is the database, Redis and the Celery worker each up?

Every part is 'ok', 'error', or 'absent' when the deployment does not use it (Redis and the worker exist
only when REDIS_URL is set). The answer is 200 when every configured part is ok, 503 otherwise.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("sop.health")

WORKER_TIMEOUT = float(os.environ.get("SOP_HEALTH_WORKER_TIMEOUT", "1.5"))


def check_database() -> str:
    import sqlalchemy as sa

    from services import plan_service

    try:
        with plan_service.get_store().engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception:
        log.exception("health: database")
        return "error"


def check_redis(redis_url: str | None) -> str:
    if not redis_url:
        return "absent"
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            return "ok" if client.ping() else "error"
        finally:
            client.close()
    except Exception:
        log.warning("health: redis did not answer PING", exc_info=True)
        return "error"


def check_worker(redis_url: str | None) -> str:
    if not redis_url:
        return "absent"
    try:
        from services.celery_tasks import client

        replies = client().control.inspect(timeout=WORKER_TIMEOUT).ping()
        return "ok" if replies else "error"
    except Exception:
        log.warning("health: celery worker did not answer", exc_info=True)
        return "error"


def health() -> tuple[dict[str, str], int]:
    """({database, redis, worker}, HTTP status)."""
    redis_url = os.environ.get("REDIS_URL")
    parts = {"database": check_database(), "redis": check_redis(redis_url)}
    parts["worker"] = check_worker(redis_url) if parts["redis"] == "ok" else ("absent" if not redis_url else "error")
    ok = all(v in ("ok", "absent") for v in parts.values())
    return parts, 200 if ok else 503
