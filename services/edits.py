"""The edit language of the grids: what a person types in a cell, read into a change of the plan.

`1200` sets the cell, `+10%` / `-5%` scale it, `+200` / `-200` add to it. The same language serves the
demand grid (families and items) and the capacity grid. Every problem of every cell of a paste is
reported at once and nothing is stored then. Also here: the short descriptions of a change that the
pages and the audit trail show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_REASON = "no reason given"
MAX_REASON = 500  # characters of a typed reason
MAX_NAME = 200  # characters of a name (scenario, family, item, owner)
MAX_DESCRIPTION = 2000  # characters of a description
MAX_UNITS = 1e12  # beyond this a typed number is a mistake, not a plan
MAX_PERCENT = 1e6
_EDIT = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<pct>%)?\s*$")
HOW = "type 1200 (set to), +10% or -5% (percentage), +200 or -200 (add)"


class EditError(ValueError):
    """An edit that cannot be applied, with a message for the person who typed it."""


@dataclass(frozen=True)
class ParsedEdit:
    type: str  # percentage | additive | absolute
    value: float


def parse_edit(text: Any) -> ParsedEdit:
    """'1200' → absolute; '+10%' / '-5%' → percentage; '+200' / '-200' → additive."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not np.isfinite(text):
            raise EditError("enter a finite number")
        if text < 0:
            raise EditError("a forecast cannot be negative; type -200 as text for a decrease of 200")
        return _checked(ParsedEdit("absolute", float(text)))
    if text is None or not str(text).strip():
        raise EditError(f"the cell is empty: {HOW}")
    m = _EDIT.match(str(text))
    if not m:
        raise EditError(f"“{_echo(text)}” is not a number: {HOW}")
    value = float(m["num"].replace(",", ""))
    if m["pct"]:
        if not m["sign"]:
            raise EditError("write a percentage with its sign: +10% or -10%")
        return _checked(ParsedEdit("percentage", value if m["sign"] == "+" else -value))
    if m["sign"]:
        return _checked(ParsedEdit("additive", value if m["sign"] == "+" else -value))
    return _checked(ParsedEdit("absolute", value))


ECHO_CHARS = 60  # a refused typed value is shown with at most this many characters


def _echo(text: Any) -> str:
    shown = str(text)
    return shown if len(shown) <= ECHO_CHARS else shown[:ECHO_CHARS] + "…"


def _checked(edit: ParsedEdit) -> ParsedEdit:
    limit = MAX_PERCENT if edit.type == "percentage" else MAX_UNITS
    if abs(edit.value) > limit:
        unit = "%" if edit.type == "percentage" else " units"
        raise EditError(f"{edit.value:,.0f}{unit} is too large to plan with (at most {limit:,.0f}{unit})")
    return edit


def parse_cells(cells: Iterable[dict[str, Any]], locate: Callable[[dict[str, Any]], tuple],
                label: Callable[[tuple], str]) -> list[tuple[tuple, ParsedEdit]]:
    """(place, parsed edit) per typed cell; every problem of every cell in one EditError, nothing parsed.

    `locate(cell)` gives the cell's place in the plan or raises EditError saying why it has none;
    `label(place)` names the place in a message about what was typed there."""
    parsed, problems = [], []
    for cell in cells:
        try:
            place = locate(cell)
        except EditError as e:
            problems.append(str(e))
            continue
        try:
            parsed.append((place, parse_edit(cell.get("text"))))
        except EditError as e:
            problems.append(f"{label(place)}: {e}")
    if problems:
        raise EditError("; ".join(problems))
    return parsed


def reason_or_default(reason: str | None) -> str:
    return (reason or "").strip() or DEFAULT_REASON


def checked_text(text: str | None, what: str, limit: int) -> str:
    """The text stripped; EditError when it is longer than `limit` characters (it would be stored and sent
    to every browser that shows it)."""
    text = (text or "").strip()
    if len(text) > limit:
        raise EditError(f"keep the {what} under {limit:,} characters (it has {len(text):,}); nothing was changed")
    return text


def checked_reason(reason: str | None) -> str:
    """The reason an edit is recorded with (the default when none), at most MAX_REASON characters."""
    return checked_text(reason, "reason", MAX_REASON) or DEFAULT_REASON


def describe(adjustment: pd.Series | dict) -> str:
    """A short human description of one adjustment: 'Electronics 2026-01 +10%'."""
    v = float(adjustment["value"])
    kind = adjustment["type"]
    text = f"{v:+g}%" if kind == "percentage" else f"{v:+,g}" if kind == "additive" else f"set to {v:,g}"
    return f"{adjustment['key']} {adjustment['period']} {text}"


def describe_change(rows: list[dict[str, Any]]) -> str:
    """'Electronics 2026-01 +10%' for one row; '6 cells (ELC-101 2026-01 set to 120, …)' for more."""
    if not rows:
        return "nothing"
    first = dict(rows[0])
    if first.get("kind") == "capacity":
        first = {**first, "key": f"capacity {first['family']}", "type": first.get("type") or "absolute",
                 "value": first["after_value"] if first.get("value") is None else first["value"]}
    text = describe(first)
    return text if len(rows) == 1 else f"{len(rows)} cells ({text}, …)"
