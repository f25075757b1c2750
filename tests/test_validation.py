"""Validation: each error kind with its exact message; all problems at once; refused uploads store nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from data import load_company
from data.store import Store, make_engine
from test_data_readers import CAPACITY, HISTORY, ITEMS, base_files, load

ITEMS_HEAD = "item_id,family,unit_price,unit_cost\n"
HIST_HEAD = "item_id,period,actual_units,forecast_units\n"


def messages(**changes: str | None) -> list[str]:
    data, issues = load(**changes)
    errors = [i for i in issues if i.is_error]
    assert (data is None) == bool(errors)
    return [str(i) for i in issues]


CASES = [
    pytest.param({"history": None}, ["history: required table is missing."], id="missing-table"),
    pytest.param(
        {"items": "item_id,family,unit_price\nA1,F1,10\nB1,F2,20\n"},
        ["items, column unit_cost: required column is missing."],
        id="missing-column",
    ),
    pytest.param(
        {"items": "item_id,family,unit_price,unit_cost,colour,size\nA1,F1,10,6,red,\nB1,F2,20,12,,\n"},
        [
            "items, column colour: unknown column (expected item_id, family, unit_price, unit_cost, "
            "opening_inventory, safety_days, description).",
            "items, column size: unknown column (expected item_id, family, unit_price, unit_cost, "
            "opening_inventory, safety_days, description).",
        ],
        id="unknown-columns",
    ),
    pytest.param(
        {"items": "item_id,family,unit_price,unit_cost,family\nA1,F1,10,6,F1\nB1,F2,20,12,F2\n"},
        ["items, column family: the column appears more than once."],
        id="duplicate-column",
    ),
    pytest.param(
        {"history": HISTORY.replace("A1,2024-02,110,", "A1,2024-02,abc,")},
        ['history row 3, column actual_units: "abc" is not a number.'],
        id="text-in-number",
    ),
    pytest.param(
        {"history": HISTORY.replace("A1,2024-02,110,", "A1,2024-02,-5,")},
        ["history row 3, column actual_units: -5 is negative; it must be zero or more."],
        id="negative",
    ),
    pytest.param(
        {"items": ITEMS.replace("A1,F1,10,6", "A1,F1,-10,6")},
        [
            "items row 2, column unit_price: -10 is negative; it must be zero or more.",
            "items row 2, column unit_price: unit price -10 is below unit cost 6.",
        ],
        id="negative-price",
    ),
    pytest.param(
        {"history": HISTORY.replace("A1,2024-02,110,", "A1,2024-13,110,")},
        ['history row 3, column period: "2024-13" is not a valid month (expected YYYY-MM, e.g. 2025-01).'],
        id="bad-month",
    ),
    pytest.param(
        {"history": HISTORY.replace("A1,2024-02,110,", "A1,Feb 2024,110,")},
        ['history row 3, column period: "Feb 2024" is not a valid month (expected YYYY-MM, e.g. 2025-01).'],
        id="bad-period-text",
    ),
    pytest.param(
        {"items": ITEMS + "A1,F1,11,6\n"},
        ["items row 4: duplicate of row 2 (item_id A1)."],
        id="duplicate-item",
    ),
    pytest.param(
        {"history": HISTORY + "A1,2024-01,100,\n"},
        ["history row 8: duplicate of row 2 (item_id A1, period 2024-01)."],
        id="duplicate-history",
    ),
    pytest.param(
        {"capacity": CAPACITY + "F1,2024-04,5\n"},
        ["capacity row 8: duplicate of row 2 (family F1, period 2024-04)."],
        id="duplicate-capacity",
    ),
    pytest.param(
        {"history": HISTORY + "Z9,2024-01,5,\n"},
        ['history row 8, column item_id: item "Z9" is not in items.'],
        id="unknown-item",
    ),
    pytest.param(
        {"items": ITEMS + "C1,F3,5,4\n", "history": HISTORY + "C1,2024-01,5,\n"},
        ['items row 4, column family: family "F3" has no rows in capacity.'],
        id="family-without-capacity",
    ),
    pytest.param(
        {"capacity": CAPACITY.replace("F2,2024-06,100\n", "")},
        [
            'capacity, column period: family "F2" has no capacity for 2024-06 (the horizon is '
            "2024-04..2024-06)."
        ],
        id="capacity-short-of-horizon",
    ),
    pytest.param(
        {"forecast": "item_id,period,forecast_units\nA1,2024-04,1\nA1,2024-07,1\nB1,2024-04,1\n"},
        [
            'capacity, column period: family "F1" has no capacity for 2024-07 (the horizon is '
            "2024-04..2024-07).",
            'capacity, column period: family "F2" has no capacity for 2024-07 (the horizon is '
            "2024-04..2024-07).",
        ],
        id="horizon-from-forecast",
    ),
    pytest.param(
        {"items": ITEMS.replace("A1,F1,10,6", "A1,,10,6")},
        [
            "items row 2, column family: a value is required.",
            'capacity row 2, column family: family "F1" has no items; its rows are not used.',
        ],
        id="empty-required-cell",
    ),
    pytest.param({"items": ITEMS_HEAD}, ["items: the table has no data rows."], id="empty-items"),
    pytest.param(
        {"items": ITEMS.replace("A1,F1,10,6", "A1,F1,5,6")},
        ["items row 2, column unit_price: unit price 5 is below unit cost 6."],
        id="price-below-cost",
    ),
    pytest.param(
        {
            "adjustments": "level,key,period,type,value,reason,owner,created_at\n"
            "brand,F1,2024-04,percentage,5,,,\n"
            "family,F1,2024-04,multiply,5,,,\n"
            "item,Z9,2024-04,additive,5,,,\n"
            "family,F9,2024-04,absolute,5,,,\n"
            "family,F1,2024-04,absolute,lots,,,\n"
            "family,F1,2024-04,absolute,5,,,someday\n"
            "item,A1,2023-01,additive,5,,,\n"
        },
        [
            'adjustments row 2, column level: "brand" is not a valid level (expected family or item).',
            'adjustments row 3, column type: "multiply" is not a valid type '
            "(expected percentage, additive or absolute).",
            'adjustments row 4, column key: item "Z9" is not in items.',
            'adjustments row 5, column key: family "F9" is not in items.',
            'adjustments row 6, column value: "lots" is not a number.',
            'adjustments row 7, column created_at: "someday" is not a date and time (expected e.g. '
            "2025-12-05 10:00).",
            "adjustments row 8, column period: 2023-01 is outside the horizon (2024-04..2024-06); the "
            "adjustment changes nothing.",
        ],
        id="adjustments",
    ),
    pytest.param(
        {"budget": "family,period,revenue,units\nF1,2024-04,abc,\nF1,2024-04,5,\n"},
        [
            'budget row 2, column revenue: "abc" is not a number.',
            "budget row 3: duplicate of row 2 (family F1, period 2024-04).",
        ],
        id="budget",
    ),
]


@pytest.mark.parametrize("changes, expected", CASES)
def test_error_messages(changes: dict[str, str | None], expected: list[str]) -> None:
    assert messages(**changes) == expected


def test_warnings_only_still_load() -> None:
    data, issues = load(items=ITEMS.replace("A1,F1,10,6", "A1,F1,5,6"))
    assert data is not None
    assert [i.severity for i in issues] == ["warning"]


def test_every_problem_is_reported_at_once() -> None:
    items = ITEMS_HEAD + "A1,F1,x,6\nB1,F2,20,-1\nA1,F1,1,1\n"
    history = HIST_HEAD + "A1,2024-01,abc,\nA1,2024-99,1,\nQ,2024-02,1,\nB1,2024-03,,\n"
    data, issues = load(items=items, history=history)
    assert data is None
    assert [str(i) for i in issues] == [
        'items row 2, column unit_price: "x" is not a number.',
        "items row 3, column unit_cost: -1 is negative; it must be zero or more.",
        "items row 4: duplicate of row 2 (item_id A1).",
        'history row 2, column actual_units: "abc" is not a number.',
        'history row 3, column period: "2024-99" is not a valid month (expected YYYY-MM, e.g. 2025-01).',
        'history row 4, column item_id: item "Q" is not in items.',
        "history row 5, column actual_units: a value is required.",
    ]


def test_wide_duplicates_are_reported_once_per_row() -> None:
    history = "item_id,2024-01,2024-02,2024-03\nA1,1,2,3\nB1,1,2,3\nA1,4,5,6\n"
    assert messages(history=history) == ["history row 4: duplicate of row 2 (item_id A1, period 2024-01)."]


def test_period_forms_accepted() -> None:
    history = HIST_HEAD + "A1,2024-1,1,\nA1,2024-02-01,1,\nA1,2024-03-01 00:00:00,1,\nB1,2024-03,1,\n"
    data, issues = load(history=history)
    assert issues == []
    assert data.history["period"].tolist() == ["2024-01", "2024-02", "2024-03", "2024-03"]


def test_refused_upload_leaves_the_store_unchanged(tmp_path: Path) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    store.ensure_ready()
    before = store.dataset_info()
    before_data = store.load_company()
    data, issues = load_company(base_files(history=HISTORY + "A1,2024-01,-1,\n"), horizon=3)
    assert data is None and issues
    # the page only calls save_dataset with data; nothing was stored
    assert store.dataset_info() == before
    after = store.load_company()
    assert after.history.equals(before_data.history)
    assert store.current_cycle()["period"] == "2026-01"
