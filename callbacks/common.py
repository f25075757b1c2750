"""What every page's callbacks share: reading the current plan and the store, and small
display-only shaping (no planning formula lives here)."""

from __future__ import annotations

import logging
import threading
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
    from data import plan_service

    try:
        return Loaded(plan_service.current_plan())
    except Exception as exc:  # shown on the page with what to do next
        log.exception("current_plan failed")
        return Loaded(None, f"{type(exc).__name__}: {exc}")


_derived: dict[tuple, object] = {}
_derived_lock = threading.Lock()


def per_plan_state(name: str, compute: Callable[[], object]):
    """A figure derived from the current plan (scenarios, option comparison), computed once per plan state
    (dataset, version, revision, forecast run, settings) like the plan itself."""
    from data import plan_service

    key = (name, plan_service.get_service().state())
    with _derived_lock:
        if key in _derived:
            return _derived[key]
    value = compute()
    with _derived_lock:
        for old in [k for k in _derived if k[0] == name]:
            del _derived[old]
        _derived[key] = value
    return value


def store():
    from data import plan_service

    return plan_service.get_store()
