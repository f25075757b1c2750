"""The planning settings in force: which they are, where they come from and since when, and saving the
settings form (validated whole; nothing stored on any problem). Settings belong to the company's data:
each upload starts from the defaults plus its own settings sheet (see services.uploads)."""

from __future__ import annotations

from typing import Any

from planning.settings_schema import target_rows
from services.settings_form import read_settings_form
from planning.model import Settings
from services.plan_service import get_service


def current() -> Settings:
    return get_service().settings()


def in_force() -> dict[str, Any]:
    """{source, since, by} of the settings in force for the current data."""
    return get_service().store.settings_info()


def candidates_in_force() -> tuple[list[str], str]:
    """(the forecast models the next run compares, where they come from) for the settings form."""
    from planning.forecast import STANDARD_CANDIDATES
    from services.profile import candidates_note

    now = tuple(current().forecast_candidates)
    if not now:
        return list(STANDARD_CANDIDATES), ("The standard set (saving the company profile on /profile sets them from "
                                           "its demand character); the next forecast run compares the ticked models.")
    return list(now), candidates_note() or "Set on the settings form; the next forecast run compares the ticked models."


def save_form(values: dict[str, Any], floor: bool, weights: list[Any], targets: dict[str, dict], *,
              by: str, candidates: list[Any] | None = None) -> tuple[bool, list[str]]:
    """Validate the settings form and store it for the current data. Returns (changed, problems): with
    problems nothing is stored; (False, []) when the form equals what is stored."""
    settings = current()
    labels = {r["name"]: r["label"] for r in target_rows(settings)}
    rows = [{**row, "name": name, "label": labels.get(name, name)} for name, row in targets.items()]
    new, problems = read_settings_form(settings, values, bool(floor), weights, rows, candidates)
    if new is None:
        return False, problems
    if new == settings:
        return False, []
    get_service().store.save_settings(new, by=by, source=f"changed on the settings form by {by}")
    return True, []
