"""Every number the pages show is formatted here (Python side) or by the d3 formats below (grids).

All helpers accept None / NaN and return an em dash so a missing figure is never shown as "nan".
Percent inputs are already in percent (110.0 means 110 %), as everywhere in the engine.
"""

from __future__ import annotations

import math
from numbers import Number


DASH = "—"
CURRENCY = "$"

# d3-format specifiers used by AG Grid value formatters (components/grids.py).
D3_INT = ",.0f"
D3_DEC1 = ",.1f"
D3_DEC2 = ",.2f"
D3_MONEY = "$,.0f"


def is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, Number):
        try:
            return math.isnan(float(value))
        except (TypeError, ValueError):
            return True
    return False


def number(value, decimals: int = 0, signed: bool = False) -> str:
    """Thousands separators: 11000 -> '11,000'; negative numbers with a real minus sign."""
    if is_missing(value):
        return DASH
    v = float(value)
    if round(v, decimals) == 0:
        v = 0.0  # never show "-0"
    text = f"{abs(v):,.{decimals}f}"
    if v < 0:
        return "\u2212" + text
    return ("+" + text) if signed and v > 0 else text


def integer(value, signed: bool = False) -> str:
    return number(value, 0, signed)


def percent(value, decimals: int = 1, signed: bool = False) -> str:
    """110.0 -> '110.0 %' (the value is already in percent)."""
    if is_missing(value):
        return DASH
    return f"{number(value, decimals, signed)} %"


def money(value, decimals: int = 0, currency: str = CURRENCY) -> str:
    """1100000 -> '$1,100,000'; -500 -> '−$500'."""
    if is_missing(value):
        return DASH
    v = float(value)
    text = f"{currency}{abs(v):,.{decimals}f}"
    return ("\u2212" + text) if round(v, decimals) < 0 else text


def money_short(value, currency: str = CURRENCY) -> str:
    """Compact money for cards and chart labels: 1234567 -> '$1.23M', 45300 -> '$45.3K'."""
    if is_missing(value):
        return DASH
    v = float(value)
    sign = "\u2212" if v < 0 else ""
    a = abs(v)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= size:
            scaled = a / size
            decimals = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{sign}{currency}{scaled:.{decimals}f}{suffix}"
    return f"{sign}{currency}{a:,.0f}"


def by_unit(value, unit: str | None) -> str:
    """Format a KPI value by its unit ('%', 'days', 'turns'/'x', '$' ...)."""
    u = (unit or "").strip().lower()
    if u in ("%", "pct", "percent"):
        return percent(value, 1)
    if u in ("days", "day", "d"):
        return f"{number(value, 1)} days" if not is_missing(value) else DASH
    if u in ("x", "turns", "times", "×"):
        return f"{number(value, 1)}\u00d7" if not is_missing(value) else DASH
    if u in ("$", "money", "currency", "usd"):
        return money(value)
    if u in ("units", "unit"):
        return integer(value)
    return number(value, 1)


def change_text(kind: str, value) -> str:
    """An adjustment or capacity change as a planner would say it: '+10 %', '−500 units', 'set to 2,420'."""
    if is_missing(value):
        return DASH
    if kind == "percentage":
        return percent(value, 1 if float(value) % 1 else 0, signed=True)
    if kind == "additive":
        return f"{integer(value, signed=True)} units"
    return f"set to {integer(value)}"
