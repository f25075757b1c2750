"""The input format of SPEC.md ("Data the product reads") as data: tables, columns, keys.

The readers and the validator are driven by these specs, so a new optional column is a
one-line change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.periods import horizon_after, index_to_period, period_index  # noqa: F401


@dataclass(frozen=True)
class TableSpec:
    """One input table: its columns, which are numbers, which may not be negative, its key."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    nonnegative: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    required_table: bool = False
    # wide layout (one column per YYYY-MM month): the value column the month cells hold and
    # the other columns allowed beside the months
    wide_value: str | None = None
    wide_ids: tuple[str, ...] = ()
    defaults: dict[str, object] = field(default_factory=dict)
    # other headings read as a column (e.g. SPEC.md's counted_units for counted)
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def text(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.numeric and c not in self.periods)


ITEMS = TableSpec(
    "items",
    required=("item_id", "family", "unit_price", "unit_cost"),
    optional=("opening_inventory", "safety_days", "description"),
    numeric=("unit_price", "unit_cost", "opening_inventory", "safety_days"),
    nonnegative=("unit_price", "unit_cost", "opening_inventory", "safety_days"),
    key=("item_id",),
    required_table=True,
    defaults={"opening_inventory": 0.0, "safety_days": np.nan, "description": ""},
)
HISTORY = TableSpec(
    "history",
    required=("item_id", "period", "actual_units"),
    optional=("forecast_units",),
    numeric=("actual_units", "forecast_units"),
    nonnegative=("actual_units", "forecast_units"),
    periods=("period",),
    key=("item_id", "period"),
    required_table=True,
    wide_value="actual_units",
    wide_ids=("item_id",),
    defaults={"forecast_units": np.nan},
)
CAPACITY = TableSpec(
    "capacity",
    required=("family", "period", "capacity_units"),
    optional=("resource", "overtime_pct"),
    numeric=("capacity_units", "overtime_pct"),
    nonnegative=("capacity_units", "overtime_pct"),
    periods=("period",),
    key=("family", "period", "resource"),
    required_table=True,
    wide_value="capacity_units",
    wide_ids=("family", "resource", "overtime_pct"),
    defaults={"resource": "", "overtime_pct": np.nan},
)
FORECAST = TableSpec(
    "forecast",
    required=("item_id", "period", "forecast_units"),
    optional=("lo80", "hi80"),
    numeric=("forecast_units", "lo80", "hi80"),
    nonnegative=("forecast_units",),
    periods=("period",),
    key=("item_id", "period"),
    wide_value="forecast_units",
    wide_ids=("item_id",),
    defaults={"lo80": np.nan, "hi80": np.nan},
)
ADJUSTMENTS = TableSpec(
    "adjustments",
    required=("level", "key", "period", "type", "value"),
    optional=("reason", "owner", "created_at"),
    numeric=("value",),
    periods=("period",),
    defaults={"reason": "", "owner": "", "created_at": pd.NaT},
)
BUDGET = TableSpec(
    "budget",
    required=("family", "period", "revenue"),
    optional=("units",),
    numeric=("revenue", "units"),
    nonnegative=("revenue", "units"),
    periods=("period",),
    key=("family", "period"),
    defaults={"units": np.nan},
)
PRODUCTION = TableSpec(  # optional: units really produced, for production attainment
    "production",
    required=("family", "period", "produced_units"),
    numeric=("produced_units",),
    nonnegative=("produced_units",),
    periods=("period",),
    key=("family", "period"),
)
INVENTORY_COUNT = TableSpec(  # optional: physical counts against the recorded stock, for inventory accuracy
    "inventory_count",
    required=("item_id", "period", "counted", "recorded"),
    numeric=("counted", "recorded"),
    nonnegative=("counted", "recorded"),
    periods=("period",),
    key=("item_id", "period"),
    aliases={"counted_units": "counted", "recorded_units": "recorded"},
)

SETTINGS = TableSpec(  # read by data.settings_sheet: name, value rows of the settings form's fields
    "settings",
    required=("name",),
    optional=("value",),  # blank = no bound, for a KPI target
    key=("name",),
)

TABLES: dict[str, TableSpec] = {
    s.name: s for s in (ITEMS, HISTORY, CAPACITY, FORECAST, ADJUSTMENTS, BUDGET, PRODUCTION, INVENTORY_COUNT,
                        SETTINGS)
}
TABLE_ORDER = list(TABLES)

LEVELS = ("family", "item")
ADJUSTMENT_TYPES = ("percentage", "additive", "absolute")
DEFAULT_HORIZON = 18

try:  # Arrow-backed text: vectorized string operations in C++ (pyarrow ships with pandas here)
    import pyarrow  # noqa: F401

    TEXT = "string[pyarrow]"
except ImportError:  # pragma: no cover
    TEXT = "string"

# A month as users write it: 2024-01, 2024-1, or a first-of-month date (2024-01-01, with an
# optional midnight time, which is what a date cell of a spreadsheet turns into).
PERIOD_RE = r"^\s*(\d{4})-(\d{1,2})(?:-0?1(?:[ T]00:00(?::00)?)?)?\s*$"
# Anything that looks like a month, valid or not: used to recognise wide layouts.
MONTHLIKE_RE = r"^\s*\d{4}-\d{1,2}(?:-\d{1,2})?(?:[ T][\d:]+)?\s*$"


def parse_periods(text: pd.Series) -> pd.Series:
    """'YYYY-MM' for each cell that is a valid month, <NA> otherwise (vectorized).

    A column holds few distinct months, so each distinct text is parsed once.
    """
    codes, uniques = pd.factorize(text.astype(TEXT))
    if len(uniques) == 0:
        return pd.Series(pd.NA, index=text.index, dtype=TEXT)
    parsed = _parse_unique_periods(pd.Series(uniques, dtype=TEXT))
    out = pd.Series(parsed.to_numpy(dtype=object, na_value=None)[codes], index=text.index, dtype=TEXT)
    return out.mask(codes < 0)


def _parse_unique_periods(text: pd.Series) -> pd.Series:
    parts = text.str.extract(PERIOD_RE)
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    ok = year.notna() & month.between(1, 12)
    out = pd.Series(pd.NA, index=text.index, dtype=TEXT)
    if ok.any():
        out[ok] = (
            year[ok].astype(int).astype(str).str.zfill(4)
            + "-"
            + month[ok].astype(int).astype(str).str.zfill(2)
        )
    return out


# Month arithmetic lives in planning.periods; these names are kept for the data layer.
period_to_index = period_index
next_periods = horizon_after


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file.

    `row` counts as the user does in the file (header = row 1, first data row = row 2);
    `column` is the column's name (or the month heading in a wide layout).
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"  # 'error' | 'warning'

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += (
                f", column {self.column}" if self.row is not None or self.sheet else f"column {self.column}"
            )
        return f"{where}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
            "text": str(self),
        }
