"""What every page's callbacks share: reading the current plan and the store, and small
display-only shaping (no planning formula lives here)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass


log = logging.getLogger("sop.callbacks")


def current_user() -> str:
    """The signed-in user's name (see callbacks.auth): what changes are recorded under."""
    from callbacks.auth import current_user as _current_user

    return _current_user()


@dataclass
class Loaded:
    """The current plan (or why it could not be read)."""

    result: object | None
    error: str | None = None


def load_plan() -> Loaded:
    """The cached plan of the current version (a page that only reads never recomputes)."""
    from services import plan_service

    try:
        return Loaded(plan_service.current_plan())
    except Exception as exc:  # shown on the page with what to do next
        log.exception("current_plan failed")
        return Loaded(None, f"{type(exc).__name__}: {exc}")


def per_plan_state(name: str, compute: Callable[[], object]):
    """A figure derived from the current plan, computed once per plan state (the plan service's cache)."""
    from services import plan_service

    return plan_service.get_service().derived(name, compute)


def audit_trail():
    """The current draft's audit trail (services.audit), read once per plan state: every change that shows in
    it bumps the version's revision. Shared between pages: callers filter it, never change it in place."""
    from services import plan_service

    svc = plan_service.get_service()
    return svc.derived("audit-trail", svc.audit_trail)
