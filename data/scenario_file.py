"""A scenario given as a workbook or CSV folder in the input format (`python -m planning compute/compare
--scenario PATH`): every table optional; `adjustments` are applied after the input's own, `capacity` rows
replace the input's rows of the same family and period, `settings` as in the input's settings sheet, `prices`
(item_id or family, period_from, change, optional type) price changes from a month on: change "+10%" (or a
number with type percentage), type additive (money per unit) or absolute (the new unit price).

Each table is validated by the input's rules against the input's other tables (so an adjustment of an
unknown family, a bad month or a bad setting is reported at its sheet, row and column)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from data.readers import read_source
from data.schema import Issue
from data.schema import TABLE_ORDER, TABLES
from data.validate import Collector, _assemble, _check_references, _settings, check_cells, check_duplicates, prepare
from planning.model import CompanyData
from planning.scenarios import Scenario

SCENARIO_TABLES = ("adjustments", "capacity", "settings", "prices")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def load_scenario(source: Path, input_source: Path, data: CompanyData, *, horizon: int) -> tuple[Scenario | None,
                                                                                                    list[Issue]]:
    """The scenario at `source` over the company read from `input_source` (already loaded as `data`)."""
    theirs, issues = read_source(source)
    try:
        prices_raw = _prices_table(Path(source))
    except Exception as exc:  # noqa: BLE001 - a file the user gave that is not CSV text or a workbook
        return None, [*issues, Issue("prices", None, None, f"the prices table could not be read: {exc}")]
    if prices_raw is not None:  # not an input table: the reader leaves it out with a warning
        issues = [i for i in issues if str(i.sheet).strip().lower() not in ("prices", "prices.csv")]
        theirs = {**theirs, "prices": prices_raw}
    if any(i.is_error for i in issues):
        return None, issues
    unknown = sorted(set(theirs) - set(SCENARIO_TABLES))
    issues += [Issue(name, None, None, "a scenario holds only adjustments, capacity, settings and prices; this "
                                       "table is ignored.", "warning") for name in unknown]
    prices, price_issues = (read_prices(theirs["prices"], data) if "prices" in theirs else (None, []))
    issues += price_issues
    if any(i.is_error for i in price_issues):
        return None, issues
    ours, _ = read_source(input_source)
    own = {k: v for k, v in theirs.items() if k in SCENARIO_TABLES and k != "prices"}
    if not own:
        return Scenario(_name(source), prices=prices), issues
    out = Collector()
    preps = {}
    for name in TABLE_ORDER:  # the input's items and history for the references, the scenario's own tables
        raw = own.get(name) if name in SCENARIO_TABLES else (ours.get(name) if name in ("items", "history") else None)
        if raw is None:
            continue
        prep = prepare(raw, TABLES[name], out)
        if prep is None:
            continue
        check_cells(prep, out)
        check_duplicates(prep, out)
        preps[name] = prep
    _check_references(preps, out, horizon)
    overrides = _settings(preps.get("settings"), out)
    # only what is wrong in the scenario's own tables counts (a capacity table that covers some families only
    # is reported against the items: not an error of a scenario)
    mine = [i for i in out.result() if i.sheet in own and not (i.sheet == "capacity" and "has no capacity for" in i.message)]
    issues += mine
    if any(i.is_error for i in mine):
        return None, issues
    built = _assemble(preps)
    return Scenario(
        _name(source),
        adjustments=built.adjustments if "adjustments" in own else None,
        capacity=built.capacity if "capacity" in own else None,
        settings=dict(overrides),
        prices=prices,
    ), issues


def _name(source: Path) -> str:
    return Path(source).stem.replace("_", " ")


def read_prices(raw, data: CompanyData) -> tuple[pd.DataFrame | None, list[Issue]]:
    """A scenario's `prices` table as price change rows (planning.finance.PRICE_COLUMNS, in file order), or
    None and the problems at their row and column."""
    from planning.finance import PRICE_COLUMNS, PRICE_TYPES

    sheet = "prices"
    names = [str(h or "").strip().lower().replace(" ", "_") for h in raw.header]
    col = {n: i for i, n in enumerate(names) if n}
    issues: list[Issue] = []
    if "period_from" not in col or "change" not in col or not ({"item_id", "family"} & set(col)):
        return None, [Issue(sheet, 1, None, "a prices table needs the columns item_id or family, period_from and "
                                            "change (and optionally type)")]
    items = set(data.items["item_id"].astype(str))
    families = set(data.items["family"].astype(str))

    def cell(row, name):
        if name not in col:
            return ""
        v = row.iloc[col[name]] if col[name] < len(row) else None
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return ""
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m")
        return str(v).strip()

    out = []
    for rownum, row in raw.body.iterrows():
        item, fam = cell(row, "item_id"), cell(row, "family")
        if item and fam:
            issues.append(Issue(sheet, rownum, "item_id", "give an item_id or a family, not both"))
            continue
        level, key = ("item", item) if item else ("family", fam)
        if not key:
            issues.append(Issue(sheet, rownum, "item_id", "give the item_id or the family whose price changes"))
            continue
        if key not in (items if level == "item" else families):
            issues.append(Issue(sheet, rownum, "item_id" if level == "item" else "family",
                                f"there is no {level} “{key}” in the input"))
            continue
        start = cell(row, "period_from")
        if not MONTH.match(start):
            issues.append(Issue(sheet, rownum, "period_from", f"“{start}” is not a month (YYYY-MM)"))
            continue
        text, kind = cell(row, "change"), cell(row, "type").lower() or "percentage"
        if text.endswith("%"):
            text, kind = text[:-1].strip(), "percentage"
        if kind not in PRICE_TYPES:
            issues.append(Issue(sheet, rownum, "type", f"type must be one of {', '.join(PRICE_TYPES)}, not “{kind}”"))
            continue
        try:
            value = float(text.replace(",", "").lstrip("+"))
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            issues.append(Issue(sheet, rownum, "change", f"“{text}” is not a number (e.g. +10% or 2.5)"))
            continue
        if (kind == "percentage" and value <= -100) or (kind == "absolute" and value < 0):
            issues.append(Issue(sheet, rownum, "change", "a price cannot fall to zero or below"
                                if kind == "percentage" else "a price cannot be negative"))
            continue
        out.append({"level": level, "key": key, "period_from": start, "type": kind, "value": value})
    if issues:
        return None, issues
    return pd.DataFrame(out, columns=PRICE_COLUMNS), issues


def _prices_table(source: Path):
    """The raw `prices` table of a scenario folder (prices.csv, or the workbook's prices sheet) or workbook;
    None when there is none."""
    from data.readers import WORKBOOK_EXTENSIONS, _parse_csv, _raw_table

    books = [source] if source.is_file() and source.suffix.lower() in WORKBOOK_EXTENSIONS else []
    if source.is_dir():
        csv = [p for p in source.iterdir() if p.is_file() and p.name.lower() == "prices.csv"]
        if csv:
            return _raw_table("prices", _parse_csv(csv[0].read_bytes()), "csv")
        books = [p for p in source.iterdir() if p.is_file() and p.suffix.lower() in WORKBOOK_EXTENSIONS]
    if len(books) != 1:
        return None
    import openpyxl

    wb = openpyxl.load_workbook(books[0], read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            if ws.title.strip().lower() == "prices":
                grid = pd.DataFrame(list(ws.iter_rows(values_only=True)), dtype=object)
                return _raw_table("prices", grid, "xlsx")
    finally:
        wb.close()
    return None
