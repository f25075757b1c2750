"""Reading the actuals of the month a closed cycle planned: a `history` table (CSV `history.csv` or a
workbook sheet `history`) with that month's rows, and optionally a `capacity` table for months of the next
horizon. Cells are checked as in any upload (each problem named by sheet, row and column); the rows must
be of the closed month and name items the company has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from data.readers import read_source
from data.schema import CAPACITY, HISTORY, TEXT, Issue
from data.validate import Collector, _assemble, check_cells, check_duplicates, prepare


@dataclass
class MonthActuals:
    history: pd.DataFrame  # item_id, period, actual_units, forecast_units (of the closed month)
    capacity: pd.DataFrame | None  # capacity rows for months of the next horizon, or None


def read_month_actuals(files: Mapping[str, bytes], *, month: str, items: pd.DataFrame, families: set[str],
                       next_horizon: list[str]) -> tuple[MonthActuals | None, list[Issue]]:
    """The month's actuals, or None with the issues that stop them (errors name sheet, row, column)."""
    tables, issues = read_source(files)
    if any(i.is_error for i in issues):
        return None, issues
    out = Collector()
    preps = {}
    for spec in (HISTORY, CAPACITY):
        raw = tables.get(spec.name)
        if raw is None:
            if spec is HISTORY:
                out.add("history", None, None, f"the actuals of {month} are missing: upload history.csv (or a "
                        "workbook with a history sheet) with item_id, period, actual_units.")
            continue
        prep = prepare(raw, spec, out)
        if prep is None:
            continue
        if prep.df.empty and spec is HISTORY:
            out.add("history", None, None, "the table has no data rows.")
        check_cells(prep, out)
        check_duplicates(prep, out)
        preps[spec.name] = prep
    for name in sorted(set(tables) - {"history", "capacity"}):
        out.add(name, None, None, "only history (the month's actuals) and capacity are read with the month's "
                "actuals; this table was ignored.", "warning")

    hist = preps.get("history")
    if hist is not None and not hist.df.empty:
        known = set(items["item_id"].astype(str))
        period = hist.values.get("period")
        item = hist.values.get("item_id")
        if period is not None:
            p = period.astype(TEXT)
            out.cells(hist, p.notna() & (p != month), "period",
                      "“" + p.fillna("") + f"” is not {month}: upload the actuals of the month the closed cycle "
                      "planned, one row per item.")
        if item is not None:
            it = item.astype(TEXT)
            out.cells(hist, it.notna() & ~it.isin(known), "item_id",
                      "unknown item “" + it.fillna("") + "” (not in the company's items).")
    cap = preps.get("capacity")
    if cap is not None and not cap.df.empty:
        fam = cap.values.get("family")
        per = cap.values.get("period")
        if fam is not None:
            f = fam.astype(TEXT)
            out.cells(cap, f.notna() & ~f.isin(families), "family",
                      "unknown family “" + f.fillna("") + "” (not in the company's items).")
        if per is not None:
            p = per.astype(TEXT)
            out.cells(cap, p.notna() & ~p.isin(next_horizon), "period",
                      "“" + p.fillna("") + f"” is not a month of the next horizon ({next_horizon[0]}.."
                      f"{next_horizon[-1]}).")
    issues = issues + out.result()
    if any(i.is_error for i in issues):
        return None, issues
    frames = _assemble(preps)
    return MonthActuals(frames.history, frames.capacity), issues
