"""What every page's callbacks share: reading the current plan and the store, and small
display-only shaping (no planning formula lives here)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, clientside_callback, no_update

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


def load_plan(version_id: int | None = None) -> Loaded:
    """The cached plan of the current version (or of the named scenario `version_id`; a page that only reads
    never recomputes)."""
    from services import plan_service

    try:
        return Loaded(plan_service.current_plan(version_id))
    except Exception as exc:  # shown on the page with what to do next
        log.exception("current_plan failed")
        return Loaded(None, f"{type(exc).__name__}: {exc}")


def per_plan_state(name: str, compute: Callable[[], object], version_id: int | None = None):
    """A figure derived from the current plan (or from the scenario `version_id`), computed once per plan state
    (the plan service's cache)."""
    from services import plan_service

    return plan_service.get_service().derived(name, compute, version_id)


def editing(selected) -> tuple[int | None, str | None]:
    """(id, name) of the scenario being edited (`app-scenario`), or (None, None) for the plan: an id that is
    no longer a scenario of this cycle counts as the plan."""
    vid = selected.get("id") if isinstance(selected, dict) else None
    if not vid:
        return None, None
    from services.scenario_plans import scenario_name

    try:
        name = scenario_name(int(vid))
    except Exception:  # the store cannot be read: the plan, as the band shows
        log.exception("scenario being edited")
        return None, None
    return (int(vid), name) if name else (None, None)


def audit_trail(version_id: int | None = None):
    """The audit trail of the current draft (services.audit), read once per plan state: every change that
    shows in it bumps the version's revision; a scenario's (`version_id`) is read as it is. Shared between
    pages: callers filter it, never change it in place."""
    from services import plan_service

    svc = plan_service.get_service()
    if version_id is not None:
        return svc.audit_trail(version_id)
    return svc.derived("audit-trail", svc.audit_trail)


def keep_or_first(chosen: Any, choices: Sequence[Any]) -> tuple[Any, Any]:
    """What a chart shows and what its chooser is sent: the chosen value while it is one of `choices`
    (the chooser left as it is: `no_update`), else the first choice (None when there is none), sent to it."""
    shown = chosen if chosen in choices else next(iter(choices), None)
    return shown, (no_update if shown == chosen else shown)


def pass_on(store_id: str, target: str = "app-state") -> None:
    """Register the callback that copies `{"value": v}` written to a page's store `store_id` into the shell's
    store `target` (`app-state`, `app-scenario`).

    A callback whose input arrives with a page and that writes anything outside the page is called by Dash as
    the page arrives, prevent_initial_call or not, and the page's callbacks that read what it writes wait
    for it: one more round trip before the page is ready. A writing callback of a page therefore writes to a
    store of the page, and this (called once on arrival, doing nothing) passes the value on.

    In the browser (a clientside callback): its call on arrival costs no request.
    """
    clientside_callback(
        """function(wrapped) {
            if (!wrapped || typeof wrapped !== 'object' || !('value' in wrapped)) {
                return window.dash_clientside.no_update;  // the page just arrived
            }
            return wrapped.value;
        }""",
        Output(target, "data", allow_duplicate=True), Input(store_id, "data"), prevent_initial_call=True)
