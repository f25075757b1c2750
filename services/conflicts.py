"""The one conflict rule for every edit of the plan (demand cells and capacity cells alike).

An edit carries the view it was typed on (`seen`: the plan version and revision the grid showed). The store
refuses it, inside the writing transaction, when a change recorded after that view touched one of the cells
it changes, and names who changed which cell and when; edits to other cells made meanwhile never block it.
A demand cell is touched by a change of the same cell, of its family (which spreads to the item) or, for a
family cell, of any of its items (which moves the family total); a new statistical forecast touches every
demand cell. A capacity cell is touched by a change of the same family and month.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from data.store import ConflictError

MOVED = ("the plan moved to a new version since this page was loaded (an approval or new data); the grid "
         "now shows it: enter your change again.")

Key = tuple[str, str, str]  # (kind: 'item' | 'family' | 'capacity', key, period)


def check_view(seen: dict[str, Any] | None, version_id: int) -> None:
    """Refuse an edit typed on another version of the plan than the current draft."""
    if seen and seen.get("version") not in (None, version_id):
        raise ConflictError(MOVED)


def seen_revision(seen: dict[str, Any] | None) -> int | None:
    if not seen or seen.get("revision") is None:
        return None
    return int(seen["revision"])


def demand_cell_keys(plan, cells: Iterable[tuple[str, str, str]]) -> set[Key]:
    """The keys whose later changes make a view of these demand cells stale."""
    items = plan.consensus[["item_id", "family"]].drop_duplicates("item_id")
    family_of = dict(zip(items["item_id"], items["family"]))
    items_of: dict[str, list[str]] = {}
    for item, fam in family_of.items():
        items_of.setdefault(fam, []).append(item)
    keys: set[Key] = set()
    for level, key, period in cells:
        keys.add((level, key, period))
        if level == "item":
            keys.add(("family", family_of.get(key, ""), period))
        else:
            keys.update(("item", item, period) for item in items_of.get(key, []))
    keys.add(("forecast", "*", "*"))
    return keys


def capacity_cell_keys(cells: Iterable[tuple[str, str]]) -> set[Key]:
    return {("capacity", family, period) for family, period in cells}
