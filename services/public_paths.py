"""Paths any sign-in guard must let through without a session: the load balancer's health check.

A `before_request` guard (services/session_guard.py, callbacks/auth.py) imports `PUBLIC_PATHS` and skips
requests whose path is in it; `/healthz` is registered in app.py and answers without a user.
"""

PUBLIC_PATHS: frozenset[str] = frozenset({"/healthz"})


def is_public(path: str) -> bool:
    return path.rstrip("/") in PUBLIC_PATHS or path in PUBLIC_PATHS
