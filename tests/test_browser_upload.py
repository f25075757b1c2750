"""Upload through the /data page and read the figures back on the dashboard, in a real browser.

The reference example (shared/examples/seed-example) is turned into a workbook with openpyxl. Its figures
are known: consensus Electronics 2025-01 = 11,000 (+10 %), Appliances 2025-02 = 4,600 (−500), Electronics
Q1 = 31,700, gap Electronics 2025-01 = −1,000 at 110 % utilization, CONSTRAINED.
"""

from __future__ import annotations

import pytest
from conftest import (
    kpi_value,
    seed_example_dir,
    shot,
    table_cell,
    upload_file,
    write_workbook_from_csv,
)

pytestmark = pytest.mark.browser


def electronics_uplift(pct: str):
    """An edit for write_workbook_from_csv: the Electronics January adjustment becomes `pct` %."""

    def edit(name, rows):
        if name == "adjustments":
            header = rows[0]
            for r in rows[1:]:
                if r[header.index("key")] == "Electronics":
                    r[header.index("value")] = pct
        return rows

    return edit


def broken(name, rows):
    """Three problems in three sheets: a text price, a negative actual, a family with no items."""
    if name == "items":
        rows[2][rows[0].index("unit_price")] = "abc"  # A-200, spreadsheet row 3
    if name == "history":
        rows[5][rows[0].index("actual_units")] = "-5"  # spreadsheet row 6
    return rows


def test_upload_workbook_changes_the_dashboard(page, tmp_path):
    # A variant first (+20 % on Electronics January), so the seed upload visibly changes the figures.
    variant = write_workbook_from_csv(seed_example_dir(), tmp_path / "variant.xlsx", electronics_uplift("20"))
    report = upload_file(page, variant)
    assert "Stored variant.xlsx" in report
    page.goto("/")
    assert table_cell(page, "dash-demand-table", "Electronics", "2025-01") == ("12,000", "12000.0")
    util_variant = kpi_value(page, "capacity_utilization")
    # Σ demand / Σ capacity of the three months: (12,000 + 10,200 + 10,500 + 14,600) / 47,500
    assert util_variant == pytest.approx(47_300 / 47_500 * 100, abs=0.01)

    seed = write_workbook_from_csv(seed_example_dir(), tmp_path / "seed.xlsx")
    report = upload_file(page, seed)
    assert "Stored seed.xlsx" in report
    assert page.inner_text("#shell-cycle") == "2025-01"
    shot(page, "upload-ok-1920")

    page.goto("/")
    assert table_cell(page, "dash-demand-table", "Electronics", "2025-01") == ("11,000", "11000.0")
    assert table_cell(page, "dash-demand-table", "Appliances", "2025-02") == ("4,600", "4600.0")
    assert table_cell(page, "dash-demand-table", "Electronics", "quarter") == ("31,700", "31700.0")
    util = kpi_value(page, "capacity_utilization")
    assert util == pytest.approx(46_300 / 47_500 * 100, abs=0.01)
    assert util != util_variant
    assert "97.5 %" in page.inner_text("#kpi-capacity_utilization")
    # Supply & constraints: the Electronics January gap and how the plan closes it (1,000 units overtime).
    assert table_cell(page, "dash-supply-table", "Electronics|2025-01", "gap") == ("\u22121,000", "-1000.0")
    assert table_cell(page, "dash-supply-table", "Electronics|2025-01", "utilization")[1] == "110.0"
    assert table_cell(page, "dash-supply-table", "Electronics|2025-01", "status")[0] == "CONSTRAINED"
    assert "Overtime 1,000" in table_cell(page, "dash-supply-table", "Electronics|2025-01", "solution")[0]


def test_broken_upload_is_refused_with_located_errors_and_changes_nothing(page, tmp_path):
    seed = write_workbook_from_csv(seed_example_dir(), tmp_path / "seed.xlsx")
    upload_file(page, seed)
    page.goto("/")
    before = {
        "demand": table_cell(page, "dash-demand-table", "Electronics", "2025-01"),
        "quarter": table_cell(page, "dash-demand-table", "Total", "quarter"),
        "mape": kpi_value(page, "mape"),
        "utilization": kpi_value(page, "capacity_utilization"),
        "version": page.inner_text("#shell-version"),
    }

    bad = write_workbook_from_csv(seed_example_dir(), tmp_path / "broken.xlsx", broken)
    report = upload_file(page, bad, expect_ok=False)
    assert "Refused: broken.xlsx" in report
    assert "Nothing was changed" in report
    shot(page, "upload-refused-1920")
    rows = page.locator("#data-issues-table tbody tr")
    located = {
        tuple(rows.nth(i).locator(f'td[data-col="{c}"]').inner_text().strip() for c in ("sheet", "row", "column"))
        for i in range(rows.count())
    }
    assert ("items", "3", "unit_price") in located
    assert ("history", "6", "actual_units") in located
    assert "is not a number" in page.inner_text("#data-issues-table")

    page.goto("/")
    after = {
        "demand": table_cell(page, "dash-demand-table", "Electronics", "2025-01"),
        "quarter": table_cell(page, "dash-demand-table", "Total", "quarter"),
        "mape": kpi_value(page, "mape"),
        "utilization": kpi_value(page, "capacity_utilization"),
        "version": page.inner_text("#shell-version"),
    }
    assert after == before
    assert after["demand"] == ("11,000", "11000.0")


def test_a_file_that_is_not_a_workbook_is_refused(page, tmp_path):
    junk = tmp_path / "notes.csv"
    junk.write_text("hello,world\n1,2\n")
    report = upload_file(page, junk, expect_ok=False)
    assert "Nothing was changed" in report
    assert "notes.csv" in page.inner_text("#data-issues-table")
