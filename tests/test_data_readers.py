"""Readers: CSV folders, uploads, workbooks, wide layouts, normalisation, writing workbooks."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from data import Issue, load_company, write_workbook
from planning.model import (
    ADJUSTMENT_COLUMNS,
    CAPACITY_COLUMNS,
    FORECAST_COLUMNS,
    HISTORY_COLUMNS,
    ITEM_COLUMNS,
)

SEED = Path("/work/shared/examples/seed-example")
if not SEED.exists():  # a copy of the example may live beside the tests in other checkouts
    SEED = Path(__file__).resolve().parent / "fixtures" / "seed-example"

ITEMS = "item_id,family,unit_price,unit_cost\nA1,F1,10,6\nB1,F2,20,12\n"
HISTORY = (
    "item_id,period,actual_units,forecast_units\nA1,2024-01,100,90\nA1,2024-02,110,\nA1,2024-03,120,125\n"
    "B1,2024-01,50,55\nB1,2024-02,60,\nB1,2024-03,70,\n"
)
CAPACITY = "family,period,capacity_units\n" + "".join(
    f"{f},2024-0{m},{c}\n" for f, c in (("F1", 200), ("F2", 100)) for m in (4, 5, 6)
)


def base_files(**changes: str | None) -> dict[str, bytes]:
    files = {"items.csv": ITEMS, "history.csv": HISTORY, "capacity.csv": CAPACITY}
    for name, text in changes.items():
        if text is None:
            files.pop(f"{name}.csv", None)
        else:
            files[f"{name}.csv"] = text
    return {k: v.encode() for k, v in files.items()}


def load(**changes: str | None) -> tuple:
    return load_company(base_files(**changes), horizon=3)


def test_seed_example_loads_without_issues() -> None:
    data, issues = load_company(SEED)
    assert issues == []
    assert data is not None
    assert list(data.items.columns) == ITEM_COLUMNS
    assert list(data.history.columns) == HISTORY_COLUMNS
    assert list(data.capacity.columns) == CAPACITY_COLUMNS
    assert list(data.forecast.columns) == FORECAST_COLUMNS
    assert list(data.adjustments.columns) == ADJUSTMENT_COLUMNS
    assert data.budget is None
    assert len(data.history) == 48 and len(data.capacity) == 6 and len(data.forecast) == 6
    assert data.items["unit_price"].dtype == np.float64
    assert data.capacity["resource"].tolist() == [""] * 6
    assert data.capacity["overtime_pct"].isna().all()
    assert data.forecast["lo80"].isna().all()
    adj = data.adjustments
    assert adj["seq"].tolist() == [0, 1] and adj["seq"].dtype == np.int64
    assert adj["type"].tolist() == ["percentage", "additive"]
    assert adj["value"].tolist() == [10.0, -500.0]
    assert adj["created_at"].iloc[0] == pd.Timestamp("2024-12-05 10:00:00")
    assert str(adj["created_at"].dtype) == "datetime64[ns]"
    assert data.history["period"].str.match(r"^\d{4}-\d{2}$").all()


def test_defaults_and_dtypes() -> None:
    data, issues = load()
    assert issues == []
    assert data.items["opening_inventory"].tolist() == [0.0, 0.0]
    assert data.items["safety_days"].isna().all()
    assert data.items["description"].tolist() == ["", ""]
    assert data.history["forecast_units"].isna().sum() == 3
    assert data.forecast is None and data.budget is None
    assert data.adjustments.empty and list(data.adjustments.columns) == ADJUSTMENT_COLUMNS
    assert str(data.adjustments["created_at"].dtype) == "datetime64[ns]"


def test_folder_upload_and_workbook_agree(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(SEED, folder)
    from_folder, _ = load_company(folder)
    upload = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    from_upload, issues = load_company(upload)
    assert issues == []
    buf = io.BytesIO()
    write_workbook(from_folder, buf)
    from_book, issues = load_company({"plan.xlsx": buf.getvalue()})
    assert issues == []
    book_path = tmp_path / "plan.xlsx"
    book_path.write_bytes(buf.getvalue())
    from_path, issues = load_company(book_path)
    assert issues == []
    for other in (from_upload, from_book, from_path):
        for name in ("items", "history", "capacity", "forecast", "adjustments"):
            pd.testing.assert_frame_equal(getattr(from_folder, name), getattr(other, name))


def test_column_names_case_and_spaces_and_file_names() -> None:
    files = base_files()
    files["ITEMS.CSV"] = b" Item_ID ,FAMILY, unit_price ,Unit_Cost\nA1,F1,10,6\nB1,F2,20,12\n"
    del files["items.csv"]
    data, issues = load_company(files, horizon=3)
    assert issues == []
    assert data.items["item_id"].tolist() == ["A1", "B1"]


def test_semicolon_csv_and_blank_rows_are_ignored() -> None:
    data, issues = load(items="item_id;family;unit_price;unit_cost\nA1;F1;10;6\n\n;;;\nB1;F2;20;12\n\n\n")
    assert issues == []
    assert data.items["item_id"].tolist() == ["A1", "B1"]


def test_blank_rows_keep_row_numbers() -> None:
    _, issues = load(items="item_id,family,unit_price,unit_cost\nA1,F1,10,6\n\nB1,F2,abc,12\n")
    assert [str(i) for i in issues] == ['items row 4, column unit_price: "abc" is not a number.']


def test_wide_layouts() -> None:
    history = "item_id,2024-01,2024-02,2024-03\nA1,100,110,120\nB1,50,,70\n"
    capacity = "family,2024-04,2024-05,2024-06\nF1,200,200,200\nF2,100,100,100\n"
    forecast = "item_id,2024-04,2024-05,2024-06\nA1,1,2,3\nB1,4,5,6\n"
    data, issues = load(history=history, capacity=capacity, forecast=forecast)
    assert issues == []
    assert len(data.history) == 5  # the blank cell is "no data", not zero
    a1 = data.history[data.history["item_id"] == "A1"]
    assert a1["actual_units"].tolist() == [100.0, 110.0, 120.0]
    assert data.history["forecast_units"].isna().all()
    assert sorted(data.capacity["period"].unique()) == ["2024-04", "2024-05", "2024-06"]
    assert data.forecast.set_index(["item_id", "period"]).loc[("B1", "2024-05"), "forecast_units"] == 5.0


def test_wide_layout_errors_name_the_month_column() -> None:
    history = "item_id,2024-01,2024-02,2024-13\nA1,100,x,120\nB1,50,60,70\n"
    _, issues = load(history=history)
    assert [str(i) for i in issues] == [
        "history, column 2024-13: the heading is not a valid month (expected YYYY-MM, e.g. 2025-01).",
        'history row 2, column 2024-02: "x" is not a number.',
        'capacity, column period: family "F1" has no capacity for 2024-03 (the horizon is 2024-03..2024-05).',
        'capacity, column period: family "F2" has no capacity for 2024-03 (the horizon is 2024-03..2024-05).',
    ]


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_dates_numbers_and_wide_headers() -> None:
    jan, feb, mar = (dt.datetime(2024, m, 1) for m in (1, 2, 3))
    book = _workbook(
        {
            "Items": [
                ["item_id", "family", "unit_price", "unit_cost"],
                [1001, "F1", 10, 6],
                ["B1", "F2", 20.5, 12],
            ],
            "History": [["item_id", jan, feb, mar], [1001, 100, 110, 120], ["B1", 50, 60, 70]],
            "Capacity": [["family", "period", "capacity_units"]]
            + [[f, dt.datetime(2024, m, 1), 100] for f in ("F1", "F2") for m in (4, 5, 6)],
            "Adjustments": [
                ["level", "key", "period", "type", "value", "created_at"],
                ["item", 1001, dt.datetime(2024, 4, 1), "Percentage", 10, dt.datetime(2024, 3, 5, 9, 30)],
            ],
            "Notes": [["anything"]],
        }
    )
    data, issues = load_company({"book.xlsx": book}, horizon=3)
    assert [str(i) for i in issues] == [
        "Notes: unknown sheet (expected one of: items, history, capacity, forecast, adjustments, budget, production, inventory_count, settings); "
        "it was not read."
    ]
    assert issues[0].severity == "warning"
    assert data.items["item_id"].tolist() == ["1001", "B1"]
    assert set(data.history["item_id"]) == {"1001", "B1"}
    assert data.history["period"].tolist()[:3] == ["2024-01", "2024-02", "2024-03"]
    assert data.capacity["period"].unique().tolist() == ["2024-04", "2024-05", "2024-06"]
    adj = data.adjustments.iloc[0]
    assert (adj["key"], adj["period"], adj["type"]) == ("1001", "2024-04", "percentage")
    assert adj["created_at"] == pd.Timestamp("2024-03-05 09:30")


def test_write_workbook_neutralises_formulas_and_reads_back(tmp_path: Path) -> None:
    data, _ = load(
        items="item_id,family,unit_price,unit_cost,description\n"
        'A1,F1,10,6,=HYPERLINK("x")\nB1,F2,20,12,@SUM(1)\n'
    )
    path = tmp_path / "out.xlsx"
    write_workbook(data, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["items", "history", "capacity", "forecast", "adjustments", "budget"]
    descriptions = [r[6] for r in wb["items"].iter_rows(min_row=2, values_only=True)]
    assert descriptions == ['\'=HYPERLINK("x")', "'@SUM(1)"]
    assert all(c.data_type != "f" for row in wb["items"].iter_rows() for c in row)
    back, issues = load_company(path, horizon=3)
    assert issues == []
    assert back.items["description"].tolist() == ['=HYPERLINK("x")', "@SUM(1)"]


def test_upload_errors() -> None:
    _, issues = load_company({"a.xlsx": b"x", "b.csv": b"y"})
    assert [str(i) for i in issues] == [
        "upload: upload either one .xlsx workbook or several .csv files, not both or several workbooks."
    ]
    _, issues = load_company({"plan.xlsx": b"not a workbook"})
    assert len(issues) == 1 and str(issues[0]).startswith(
        "plan.xlsx: the file could not be read as an Excel workbook"
    )
    _, issues = load_company({"old.xls": b""})
    assert str(issues[0]) == (
        "old.xls: unsupported file type (old .xls workbooks are not supported: save as "
        ".xlsx); expected one .xlsx or .csv files."
    )


def test_issue_str_and_fields() -> None:
    issue = Issue("history", 7, "actual_units", '"abc" is not a number.')
    assert str(issue) == 'history row 7, column actual_units: "abc" is not a number.'
    assert issue.is_error
    assert str(Issue("items", None, "colour", "unknown column.")) == "items, column colour: unknown column."
    assert str(Issue("budget", None, None, "x.", "warning")) == "budget: x."
    with pytest.raises(AttributeError):
        issue.row = 3  # type: ignore[misc]
