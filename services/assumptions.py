"""Assumptions of the cycle (Step 2): what the demand plan takes for granted, with category and impact.
Validated here; stored as rows of the cycle (deleting marks a row deleted, the text is kept)."""

from __future__ import annotations

import pandas as pd

from services.edits import EditError
from services.plan_service import get_service

CATEGORIES = ["promotion", "market", "competitive", "economic", "other"]
IMPACTS = ["low", "medium", "high"]
MAX_LENGTH = 1000


def listed() -> pd.DataFrame:
    return get_service().store.list_assumptions()


def checked(text: str | None, category: str | None, impact: str | None) -> dict:
    """The assumption's fields, or EditError naming what to fix."""
    text = (text or "").strip()
    if not text:
        raise EditError("write the assumption first")
    if len(text) > MAX_LENGTH:
        raise EditError(f"keep an assumption under {MAX_LENGTH} characters (this one has {len(text)})")
    if category not in CATEGORIES:
        raise EditError("choose a category: " + ", ".join(CATEGORIES))
    if impact not in IMPACTS:
        raise EditError("choose an impact level: " + ", ".join(IMPACTS))
    return {"text": text, "category": category, "impact": impact}


def add(text: str | None, category: str | None, impact: str | None, *, owner: str) -> int:
    return get_service().store.add_assumption({**checked(text, category, impact), "owner": owner})


def update(assumption_id: int, text: str | None, category: str | None, impact: str | None) -> None:
    get_service().store.update_assumption(assumption_id, checked(text, category, impact))


def delete(assumption_id: int) -> None:
    get_service().store.delete_assumption(assumption_id)
