"""Validate raw input tables and normalise them into a `CompanyData` (SPEC "Data the product reads").

Every check is vectorized over the rows of a table and every problem is reported, not only
the first: the result is a list of `Issue`s naming sheet, row (header = row 1) and column.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.readers import RawTable, cell_text
from data.schema import (
    ADJUSTMENT_TYPES,
    DEFAULT_HORIZON,
    LEVELS,
    MONTHLIKE_RE,
    TABLE_ORDER,
    TABLES,
    TEXT,
    Issue,
    TableSpec,
    index_to_period,
    next_periods,
    parse_periods,
    period_to_index,
)
from planning.model import (
    ADJUSTMENT_COLUMNS,
    BUDGET_COLUMNS,
    INVENTORY_COUNT_COLUMNS,
    PRODUCTION_COLUMNS,
    CAPACITY_COLUMNS,
    FORECAST_COLUMNS,
    HISTORY_COLUMNS,
    ITEM_COLUMNS,
    CompanyData,
    empty_adjustments,
)

OUTPUT_COLUMNS = {
    "items": ITEM_COLUMNS,
    "history": HISTORY_COLUMNS,
    "capacity": CAPACITY_COLUMNS,
    "forecast": FORECAST_COLUMNS,
    "adjustments": ADJUSTMENT_COLUMNS,
    "budget": BUDGET_COLUMNS,
    "production": PRODUCTION_COLUMNS,
    "inventory_count": INVENTORY_COUNT_COLUMNS,
}
SORT_KEYS = {
    "history": ["item_id", "period"],
    "capacity": ["family", "resource", "period"],
    "forecast": ["item_id", "period"],
    "budget": ["family", "period"],
    "production": ["family", "period"],
    "inventory_count": ["item_id", "period"],
}
MAX_VALUE = 1e12  # units or money beyond this are a typing or export error, not a plan
MIN_PRICE = 1e-6  # a unit price below this (or a non-zero unit cost below it) is an error, not a price
TINY = 1e-9  # a non-zero number closer to zero than this is float noise or a typing error
# sane bounds per column beyond MAX_VALUE: (lowest, highest) allowed, with why in words
COLUMN_BOUNDS = {
    "safety_days": (0.0, 3660.0, "days of safety stock (at most 10 years)"),
    "overtime_pct": (0.0, 1000.0, "% of capacity"),
}
PERCENT_BOUNDS = (-100.0, 10000.0)  # a percentage adjustment: -100 % (to zero) .. +10,000 %
FIRST_YEAR, LAST_YEAR = 1900, 2200  # months outside these years are typing errors
TEXT_LIMITS = {"description": 2000, "reason": 500}  # characters; every other text cell (names): MAX_TEXT
MAX_TEXT = 200
ECHO_CHARS = 60  # a refused value is shown with at most this many characters
MONTH = "_month"  # in a wide layout: the heading of the month column a value came from
ROW = "_row"


@dataclass
class Prepared:
    """A table after its header is understood: canonical text columns in long layout."""

    spec: TableSpec
    df: pd.DataFrame  # canonical columns as stripped text (<NA> = empty), plus _row (and _month)
    present: set[str] = field(default_factory=set)
    wide: bool = False
    values: dict[str, pd.Series] = field(default_factory=dict)  # parsed columns (NaN where invalid)
    bad: pd.Series | None = None  # rows with any error in their cells

    @property
    def name(self) -> str:
        return self.spec.name

    def where(self, column: str) -> pd.Series:
        """The column name to report for each row (a month heading for wide cells)."""
        if self.wide and column in ("period", self.spec.wide_value):
            return self.df[MONTH]
        return pd.Series(column, index=self.df.index)


class Collector:
    """Accumulates issues; helpers build them from masks over a prepared table."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(
        self, sheet: str, row: int | None, column: str | None, message: str, severity: str = "error"
    ) -> None:
        self.issues.append(Issue(sheet, None if row is None else int(row), column, message, severity))

    def cells(
        self, prep: Prepared, mask: pd.Series, column: str, messages: pd.Series | str, severity: str = "error"
    ) -> None:
        """One issue per row where mask is true, at `column` of that row."""
        if not mask.any():
            return
        rows = prep.df.loc[mask, ROW]
        cols = prep.where(column)[mask]
        msgs = messages[mask] if isinstance(messages, pd.Series) else pd.Series(messages, index=rows.index)
        self.issues.extend(
            Issue(prep.name, int(r), str(c), str(m), severity) for r, c, m in zip(rows, cols, msgs)
        )

    def result(self) -> list[Issue]:
        order = {name: i for i, name in enumerate(TABLE_ORDER)}
        unique = list(dict.fromkeys(self.issues))
        return sorted(unique, key=lambda i: (order.get(i.sheet, -1), i.row or 0))


def shown(text: pd.Series) -> pd.Series:
    """A cell as echoed in a message: at most ECHO_CHARS characters (a 10 MB cell is not sent back)."""
    t = text.astype(TEXT).fillna("")
    long = t.str.len() > ECHO_CHARS
    return t.where(~long, t.str.slice(0, ECHO_CHARS) + "…")


def quoted(text: pd.Series) -> pd.Series:
    return '"' + shown(text) + '"'


def period_in_range(period: pd.Series) -> pd.Series:
    """True where a parsed month ('YYYY-MM' or <NA>) lies within FIRST_YEAR..LAST_YEAR (NA -> True)."""
    year = pd.to_numeric(period.astype(TEXT).str.slice(0, 4), errors="coerce")
    return (year.isna() | year.between(FIRST_YEAR, LAST_YEAR)).astype(bool)


RANGE_TEXT = f"{FIRST_YEAR}-01..{LAST_YEAR}-12"


# ---------------------------------------------------------------------------- header


def _header_label(h: object) -> tuple[str | None, bool]:
    """(label as the user sees it, whether it is a date cell)."""
    if h is None or (isinstance(h, float) and np.isnan(h)):
        return None, False
    if isinstance(h, (dt.datetime, dt.date, pd.Timestamp)):
        return f"{h.year:04d}-{h.month:02d}", True
    label = str(h).strip()
    return (label or None), False


def _drop_point_zero(col: pd.Series) -> pd.Series:
    """Whole numbers read from number cells as text: '1001.0' -> '1001'."""
    whole = col.str.fullmatch(r"-?\d+\.0").fillna(False).astype(bool)
    return col.where(~whole, col.str.slice(0, -2))


def prepare(raw: RawTable, spec: TableSpec, out: Collector) -> Prepared | None:
    """Understand the header (long or wide layout) and return the cells in long layout."""
    if not raw.header:
        out.add(spec.name, None, None, "the table is empty (no heading row).")
        return None
    text = (
        cell_text(raw.body)
        if len(raw.body)
        else pd.DataFrame({j: pd.Series(dtype=TEXT) for j in range(len(raw.header))})
    )
    if raw.kind == "xlsx":  # whole numbers read from number cells: 1001.0 -> 1001
        text = text.apply(_drop_point_zero)
    known: dict[str, int] = {}
    months: dict[str, tuple[int, str]] = {}  # period -> (position, heading)
    monthlike: list[tuple[int, str]] = []
    unknown: list[tuple[int, str]] = []
    for j, h in enumerate(raw.header):
        label, is_date = _header_label(h)
        if label is None:
            if text[j].notna().any():
                out.add(spec.name, None, f"#{j + 1}", "the column has values but no heading.")
            continue
        canonical = re.sub(r"\s+", "_", label.lower())
        canonical = spec.aliases.get(canonical, canonical)
        if canonical in spec.columns:
            if canonical in known:
                out.add(spec.name, None, label, "the column appears more than once.")
            else:
                known[canonical] = j
        elif spec.wide_value and (is_date or re.match(MONTHLIKE_RE, label)):
            monthlike.append((j, label))
        else:
            unknown.append((j, label))

    wide = bool(monthlike) and "period" not in known
    if monthlike and not wide:
        unknown.extend(monthlike)
    for _, label in unknown:
        expected = ", ".join(spec.columns)
        extra = " or one column per month (YYYY-MM)" if spec.wide_value else ""
        out.add(spec.name, None, label, f"unknown column (expected {expected}{extra}).")

    if wide:
        for j, label in monthlike:
            period = parse_periods(pd.Series([label])).iloc[0]
            if pd.isna(period):
                out.add(
                    spec.name,
                    None,
                    label[:ECHO_CHARS],
                    "the heading is not a valid month (expected YYYY-MM, e.g. 2025-01).",
                )
            elif not period_in_range(pd.Series([period])).iloc[0]:
                out.add(spec.name, None, label[:ECHO_CHARS], f"the month is outside {RANGE_TEXT}.")
            elif period in months:
                out.add(spec.name, None, label, "the month appears more than once.")
            else:
                months[period] = (j, label)
        for c in list(known):
            if c not in spec.wide_ids:
                out.add(spec.name, None, c, "this column cannot be combined with one column per month.")
                del known[c]
        needed = [c for c in spec.required if c not in ("period", spec.wide_value)]
    else:
        needed = list(spec.required)
    for c in needed:
        if c not in known:
            out.add(spec.name, None, c, "required column is missing.")

    ids = pd.DataFrame({c: text[j] for c, j in known.items()}, index=text.index)
    ids[ROW] = text.index.astype(int)
    if wide:
        parts = []
        for period, (j, label) in months.items():
            value = text[j]
            keep = value.notna()
            part = ids[keep].copy()
            part["period"] = period
            part[spec.wide_value] = value[keep]
            part[MONTH] = label
            parts.append(part)
        cols = list(ids.columns) + ["period", spec.wide_value, MONTH]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
        df = df.sort_values([ROW], kind="stable").reset_index(drop=True)
        present = set(known) | {"period", spec.wide_value}
    else:
        df = ids.reset_index(drop=True)
        present = set(known)
    for c in spec.columns:
        if c not in df.columns:
            df[c] = pd.Series(pd.NA, index=df.index, dtype=TEXT)
    df[ROW] = df[ROW].astype(int)
    for c in spec.text:
        if c in present:  # undo the apostrophe that exports put before formula-like text
            t = df[c].astype(TEXT)
            quoted_formula = t.str.match(r"'[=+\-@\t\r]").fillna(False).astype(bool)
            df[c] = t.where(~quoted_formula, t.str.slice(1))
    return Prepared(spec, df, present, wide)


# ---------------------------------------------------------------------------- cells


def check_cells(prep: Prepared, out: Collector) -> None:
    """Required values, numbers, non-negative numbers, months, enumerations, timestamps."""
    spec, df = prep.spec, prep.df
    bad = pd.Series(False, index=df.index)
    for c in spec.columns:
        if c not in prep.present:
            continue
        t = df[c].astype(TEXT)
        blank = t.isna()
        if c in spec.required:
            out.cells(prep, blank, c, "a value is required.")
            bad |= blank
        if c in spec.numeric:
            num = pd.to_numeric(t, errors="coerce").astype(float)
            notnum = ~blank & ~np.isfinite(num)
            out.cells(prep, notnum, c, quoted(t) + " is not a number.")
            num = num.where(~notnum)
            bad |= notnum
            huge = num.abs() > MAX_VALUE
            out.cells(prep, huge, c, shown(t) + f" is too large to plan with (at most {MAX_VALUE:,.0f}).")
            num = num.where(~huge)
            bad |= huge
            tiny = (num != 0) & (num.abs() < TINY)
            out.cells(prep, tiny, c, shown(t) + f" is too close to zero: write 0 or at least {TINY:g}.")
            num = num.where(~tiny)
            bad |= tiny
            if c in spec.nonnegative:
                neg = num < 0
                out.cells(prep, neg, c, shown(t) + " is negative; it must be zero or more.")
                bad |= neg
            if c == "unit_price":
                cheap = (num >= 0) & (num < MIN_PRICE)
                out.cells(prep, cheap, c, shown(t) + f" is not a price: it must be at least {MIN_PRICE:g}.")
                num = num.where(~cheap)
                bad |= cheap
            elif c == "unit_cost":
                cheap = (num > 0) & (num < MIN_PRICE)
                out.cells(prep, cheap, c, shown(t) + f" is not a cost: write 0 or at least {MIN_PRICE:g}.")
                num = num.where(~cheap)
                bad |= cheap
            if c in COLUMN_BOUNDS:
                lo, hi, what = COLUMN_BOUNDS[c]
                beyond = (num < lo) | (num > hi)
                out.cells(prep, beyond, c, shown(t) + f" is out of range: {lo:g}..{hi:g} {what}.")
                num = num.where(~beyond)
                bad |= beyond
            prep.values[c] = num
        elif c in spec.periods:
            period = parse_periods(t)
            wrong = ~blank & period.isna()
            out.cells(prep, wrong, c, quoted(t) + " is not a valid month (expected YYYY-MM, e.g. 2025-01).")
            bad |= wrong
            far = ~period_in_range(period)
            out.cells(prep, far, c, quoted(t) + f" is outside {RANGE_TEXT}.")
            period = period.mask(far)
            bad |= far
            prep.values[c] = period
        elif c == "created_at":
            ts = _parse_timestamps(t)
            wrong = ~blank & ts.isna()
            out.cells(prep, wrong, c, quoted(t) + " is not a date and time (expected e.g. 2025-12-05 10:00).")
            bad |= wrong
            prep.values[c] = ts
        elif c in ("level", "type"):
            low = t.str.lower()
            allowed = LEVELS if c == "level" else ADJUSTMENT_TYPES
            wrong = ~blank & ~low.isin(allowed)
            names = " or ".join(", ".join(allowed).rsplit(", ", 1))
            out.cells(prep, wrong, c, quoted(t) + f" is not a valid {c} (expected {names}).")
            bad |= wrong
            prep.values[c] = low.where(~wrong)
        else:
            limit = TEXT_LIMITS.get(c, MAX_TEXT)
            long = (t.str.len() > limit).fillna(False).astype(bool)
            if long.any():
                counts = t[long].str.len().astype(int).astype(str).astype(TEXT)
                msg = (quoted(t[long]) + " has " + counts + f" characters; at most {limit:,} are allowed.")
                out.cells(prep, long, c, msg.reindex(t.index))
                bad |= long
            prep.values[c] = t.mask(long)
    prep.bad = _check_row_rules(prep, out, bad)


def _check_row_rules(prep: Prepared, out: Collector, bad: pd.Series) -> pd.Series:
    """Rules across the cells of a row: the 80 % interval holds the forecast; a percentage adjustment
    within PERCENT_BOUNDS."""
    v = prep.values
    if prep.name == "forecast" and "forecast_units" in v:
        fc = v["forecast_units"]
        for c, wrong_side, words in (("lo80", lambda x: x > fc, "above"), ("hi80", lambda x: x < fc, "below")):
            if c not in v:
                continue
            wrong = wrong_side(v[c]).fillna(False).astype(bool) & v[c].notna() & fc.notna()
            out.cells(prep, wrong, c, shown(prep.df[c]) + f" is {words} forecast_units "
                      + shown(prep.df["forecast_units"]) + " (expected lo80 ≤ forecast_units ≤ hi80).")
            bad = bad | wrong
    if prep.name == "adjustments" and {"type", "value"} <= set(v):
        lo, hi = PERCENT_BOUNDS
        pct = (v["type"] == "percentage").fillna(False).astype(bool)
        beyond = pct & ((v["value"] < lo) | (v["value"] > hi)).fillna(False).astype(bool)
        out.cells(prep, beyond, "value", shown(prep.df["value"])
                  + f" is out of range for a percentage ({lo:g}..{hi:g}).")
        v["value"] = v["value"].where(~beyond)
        bad = bad | beyond
    return bad


def _parse_timestamps(t: pd.Series) -> pd.Series:
    if t.notna().sum() == 0:
        return pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    ts = pd.to_datetime(t, errors="coerce", format="mixed", utc=True)
    return ts.dt.tz_localize(None).astype("datetime64[ns]")


def check_duplicates(prep: Prepared, out: Collector) -> None:
    """Rows whose key (e.g. item_id + period) repeats an earlier row."""
    spec = prep.spec
    if not spec.key or not all(k in prep.present or k in spec.defaults for k in spec.key):
        return
    keys = pd.DataFrame(
        {k: prep.values[k] if k in prep.values else pd.Series("", index=prep.df.index) for k in spec.key}
    ).astype(TEXT)
    required = [k for k in spec.key if k in spec.required]
    keys = keys[keys[required].notna().all(axis=1)].fillna("")  # rows whose key cells are valid
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return
    rows = prep.df.loc[keys.index, ROW]
    first = rows.groupby([keys[k] for k in spec.key]).transform("first")
    label = pd.Series("", index=keys.index, dtype=TEXT)
    for k in spec.key:
        shown = keys[k] != ""
        label = label + (", " + pd.Series(k, index=keys.index) + " " + keys[k]).where(shown, "")
    msg = "duplicate of row " + first.astype(str) + " (" + label.str.slice(2) + ")."
    hits = pd.DataFrame({"row": rows[dup], "msg": msg[dup]})
    if prep.wide:
        hits = hits.drop_duplicates("row")
    for r, m in zip(hits["row"], hits["msg"]):
        out.add(spec.name, int(r), None, m)


# ---------------------------------------------------------------------------- whole company


def build_company(
    tables: dict[str, RawTable], *, horizon: int = DEFAULT_HORIZON
) -> tuple[CompanyData | None, list[Issue]]:
    """Validate raw tables against each other and return the normalised company data."""
    out = Collector()
    preps: dict[str, Prepared] = {}
    for name in TABLE_ORDER:
        spec = TABLES[name]
        if name not in tables:
            if spec.required_table:
                out.add(name, None, None, "required table is missing.")
            continue
        prep = prepare(tables[name], spec, out)
        if prep is None:
            continue
        if spec.required_table and prep.df.empty:
            out.add(name, None, None, "the table has no data rows.")
        check_cells(prep, out)
        check_duplicates(prep, out)
        preps[name] = prep

    _check_references(preps, out, horizon)
    overrides = _settings(preps.get("settings"), out)
    issues = out.result()
    if any(i.is_error for i in issues):
        return None, issues
    return _assemble(preps).with_(settings=overrides), issues


def _settings(prep: Prepared | None, out: Collector) -> dict:
    """The settings sheet's rows read into typed overrides; each bad row reported at its cell."""
    from data.settings_sheet import read_settings_rows

    if prep is None or prep.df.empty:
        return {}
    rows = pd.DataFrame({"row": prep.df[ROW].astype(int), "name": prep.df["name"], "value": prep.df["value"]})
    overrides, problems = read_settings_rows(rows)
    for row, column, message in problems:
        out.add("settings", row, column, message)
    return overrides


def _col(prep: Prepared | None, column: str) -> pd.Series:
    if prep is None or column not in prep.values:
        return pd.Series(dtype="object")
    return prep.values[column]


def _check_references(preps: dict[str, Prepared], out: Collector, horizon_len: int) -> None:
    items, history, capacity = preps.get("items"), preps.get("history"), preps.get("capacity")
    forecast, adjustments, budget = preps.get("forecast"), preps.get("adjustments"), preps.get("budget")
    if items is not None and _col(items, "item_id").dropna().empty:
        items = None  # no items at all: already reported; checks against items would only add noise
    item_ids = set(_col(items, "item_id").dropna())
    families = set(_col(items, "family").dropna())
    cap_families = set(_col(capacity, "family").dropna())

    # item references
    for prep in (history, forecast, preps.get("inventory_count")):
        if prep is not None and items is not None and "item_id" in prep.values and "item_id" in items.values:
            ids = prep.values["item_id"]
            unknown = ids.notna() & ~ids.isin(item_ids)
            out.cells(prep, unknown, "item_id", "item " + quoted(ids) + " is not in items.")

    if items is not None and "family" in items.values:
        fam = items.values["family"]
        # families without any capacity (reported once, at the first item of the family)
        if capacity is not None and "family" in capacity.values:
            first = fam.notna() & ~fam.duplicated()
            out.cells(
                items,
                first & ~fam.isin(cap_families),
                "family",
                "family " + quoted(fam) + " has no rows in capacity.",
            )
        if "unit_price" in items.values and "unit_cost" in items.values:
            price, cost = items.values["unit_price"], items.values["unit_cost"]
            below = price < cost
            out.cells(
                items,
                below,
                "unit_price",
                "unit price "
                + items.df["unit_price"].astype(TEXT)
                + " is below unit cost "
                + items.df["unit_cost"].astype(TEXT)
                + ".",
                "warning",
            )
        ids = items.values.get("item_id")
        if ids is not None and history is not None and "item_id" in history.values:
            no_hist = ids.notna() & ~ids.isin(set(history.values["item_id"].dropna()))
            out.cells(items, no_hist, "item_id", "item " + quoted(ids) + " has no history.", "warning")
        if ids is not None and forecast is not None and "item_id" in forecast.values and len(forecast.df):
            no_fc = ids.notna() & ~ids.isin(set(forecast.values["item_id"].dropna()))
            out.cells(items, no_fc, "item_id", "item " + quoted(ids) + " has no rows in forecast.", "warning")

    for prep in (capacity, budget, preps.get("production")):
        if prep is not None and items is not None and "family" in prep.values and "family" in items.values:
            fam = prep.values["family"]
            stray = fam.notna() & ~fam.isin(families) & ~fam.duplicated()
            out.cells(
                prep,
                stray,
                "family",
                "family " + quoted(fam) + " has no items; its rows are not used.",
                "warning",
            )

    # the horizon and capacity covering it
    horizon = _horizon(history, forecast, horizon_len)
    if horizon and capacity is not None and {"family", "period"} <= set(capacity.values):
        have = pd.DataFrame(
            {"family": capacity.values["family"], "period": capacity.values["period"]}
        ).dropna()
        need = pd.MultiIndex.from_product(
            [sorted(families & cap_families), horizon], names=["family", "period"]
        )
        missing = need.difference(pd.MultiIndex.from_frame(have.drop_duplicates()))
        if len(missing):
            gaps = missing.to_frame(index=False).groupby("family")["period"].agg(_month_ranges)
            span = f"{horizon[0]}..{horizon[-1]}"
            for fam_name, months in gaps.items():
                out.add(
                    "capacity",
                    None,
                    "period",
                    f'family "{fam_name}" has no capacity for {months} (the horizon is {span}).',
                )

    # adjustments: keys must exist; periods outside the horizon change nothing
    if adjustments is not None and {"level", "key"} <= set(adjustments.values):
        level, key = adjustments.values["level"], adjustments.values["key"]
        if items is not None:
            bad_item = (level == "item") & key.notna() & ~key.isin(item_ids)
            bad_fam = (level == "family") & key.notna() & ~key.isin(families)
            out.cells(adjustments, bad_item.fillna(False), "key", "item " + quoted(key) + " is not in items.")
            out.cells(
                adjustments, bad_fam.fillna(False), "key", "family " + quoted(key) + " is not in items."
            )
        if horizon and "period" in adjustments.values:
            per = adjustments.values["period"]
            outside = per.notna() & ~per.isin(horizon)
            out.cells(
                adjustments,
                outside,
                "period",
                per.fillna("") + f" is outside the horizon ({horizon[0]}..{horizon[-1]}); "
                "the adjustment changes nothing.",
                "warning",
            )


def _month_ranges(periods: pd.Series) -> str:
    """'2025-01..2025-03, 2025-06' for a set of months."""
    idx = np.unique(period_to_index(list(periods)))
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    runs = []
    for run in np.split(idx, breaks):
        first, last = index_to_period([run[0], run[-1]])
        runs.append(first if run[0] == run[-1] else f"{first}..{last}")
    return ", ".join(runs)


def _horizon(history: Prepared | None, forecast: Prepared | None, n: int) -> list[str]:
    """Forecast periods when a forecast is given, else the n months after the last history month."""
    fc = _col(forecast, "period").dropna()
    if len(fc):
        return sorted(set(fc))
    hist = _col(history, "period").dropna()
    if not len(hist):
        return []
    return next_periods(str(hist.max()), n)


def _assemble(preps: dict[str, Prepared]) -> CompanyData:
    frames: dict[str, pd.DataFrame | None] = {}
    for name in TABLE_ORDER:
        prep = preps.get(name)
        if name not in OUTPUT_COLUMNS or prep is None or prep.df.empty:
            frames[name] = None
            continue
        spec = prep.spec
        cols: dict[str, pd.Series] = {}
        for c in OUTPUT_COLUMNS[name]:
            if c == "seq":
                cols[c] = pd.Series(np.arange(len(prep.df)), index=prep.df.index, dtype="int64")
            elif c in prep.values:
                v = prep.values[c]
                default = spec.defaults.get(c)
                if c in spec.numeric:
                    cols[c] = v.astype("float64").fillna(default if default is not None else np.nan)
                elif c == "created_at":
                    cols[c] = v
                else:
                    cols[c] = v.astype(TEXT).fillna(default if default is not None else "").astype(object)
            else:
                default = spec.defaults.get(c, "")
                if c == "created_at":
                    cols[c] = pd.Series(pd.NaT, index=prep.df.index, dtype="datetime64[ns]")
                elif c in spec.numeric:
                    cols[c] = pd.Series(default, index=prep.df.index, dtype="float64")
                else:
                    cols[c] = pd.Series(default, index=prep.df.index, dtype=object)
        frame = pd.DataFrame(cols)
        if name in SORT_KEYS:
            frame = frame.sort_values(SORT_KEYS[name], kind="stable")
        frames[name] = frame.reset_index(drop=True)

    adjustments = frames["adjustments"]
    if adjustments is None:
        adjustments = empty_adjustments()
    else:
        adjustments = adjustments.astype({"seq": "int64", "value": "float64", "created_at": "datetime64[ns]"})
    return CompanyData(
        items=frames["items"],
        history=frames["history"],
        capacity=frames["capacity"],
        forecast=frames["forecast"],
        adjustments=adjustments,
        budget=frames["budget"],
        production=frames["production"],
        inventory_count=frames["inventory_count"],
    )
