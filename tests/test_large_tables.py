"""Big companies on the dashboard and in every summary table: tables written as HTML in one component, the
dashboard's demand table shortened to the largest families (the rest summed), its supply table to the most
pressing family-months."""

from __future__ import annotations

import pandas as pd
import pytest
from callbacks.dashboard import most_pressing
from callbacks.views import demand_vs_rows
from components.layout import Col, summary_table
from components.static_html import StaticHtml


def test_summary_table_is_one_component_with_every_text_escaped():
    table = summary_table("t-table", [Col("family", "Family", "text"), Col("units", "Units"),
                                      Col("status", "Status", "status")],
                          [{"family": '<b>Pots & "Pans"</b>', "units": -1234.5, "status": "TIGHT"}], "family",
                          {"family": "Total", "units": 10})
    assert isinstance(table, StaticHtml)
    html = table.html
    assert '<table class="table table-hover table-sm sop-table" id="t-table">' in html
    assert '<tr data-key="&lt;b&gt;Pots &amp; &quot;Pans&quot;&lt;/b&gt;">' in html
    assert '<td data-col="family">&lt;b&gt;Pots &amp; &quot;Pans&quot;&lt;/b&gt;</td>' in html
    assert 'data-col="units" data-value="-1234.5">−1,234</td>' in html  # the unrounded figure, shown rounded
    assert 'data-value="TIGHT"><span class="status-badge status-warn" data-status="TIGHT">TIGHT</span>' in html
    assert '<tr class="total-row" data-key="Total">' in html
    assert "<b>" not in html


def _comparison() -> pd.DataFrame:
    months = ["2026-01", "2026-02", "2026-03"]
    plan = {"A": 10, "B": 40, "C": 30, "D": 5}
    rows = [{"family": f, "period": m, "plan": plan[f] * (i + 1), "last_month": plan[f] * (i + 1) * 0.5,
             "last_year": None if f == "D" else plan[f]} for f in plan for i, m in enumerate(months)]
    return pd.DataFrame(rows), months


def test_demand_table_keeps_the_largest_families_and_sums_the_rest():
    comparison, months = _comparison()
    full, total_full = demand_vs_rows(comparison, months)
    rows, total = demand_vs_rows(comparison, months, limit=3)
    assert [r["family"] for r in full] == ["A", "B", "C", "D"]
    assert [r["family"] for r in rows] == ["B", "C", "Other 2 families"]  # B 240 and C 180 units largest
    other = rows[-1]
    assert other["2026-02"] == pytest.approx(2 * 10 + 2 * 5)
    assert other["quarter"] == pytest.approx(6 * 10 + 6 * 5)
    assert other["vs_last_month"] == pytest.approx(100.0)  # plan doubled since last month's
    assert pd.isna(other["vs_last_year"])  # D has no actuals last year: no figure for the group
    assert total["quarter"] == total_full["quarter"] == pytest.approx(6 * 85)
    assert sum(r["quarter"] for r in rows) == pytest.approx(total["quarter"])


def test_supply_table_shows_the_most_pressing_family_months_in_reading_order():
    watch = pd.DataFrame([
        {"family": "A", "period": "2026-01", "status": "OK", "gap": 50},
        {"family": "B", "period": "2026-01", "status": "TIGHT", "gap": 5},
        {"family": "C", "period": "2026-01", "status": "CONSTRAINED", "gap": -10},
        {"family": "A", "period": "2026-02", "status": "CONSTRAINED", "gap": -300},
        {"family": "B", "period": "2026-02", "status": "CONSTRAINED", "gap": -20},
        {"family": "C", "period": "2026-03", "status": "CONSTRAINED", "gap": -900},
    ])
    shown = most_pressing(watch, 4)
    assert list(zip(shown["family"], shown["period"])) == [
        ("C", "2026-01"), ("A", "2026-02"), ("B", "2026-02"), ("C", "2026-03")]
    shown = most_pressing(watch, 5)  # then the TIGHT one; never an OK one before a TIGHT one
    assert ("B", "2026-01") in set(zip(shown["family"], shown["period"]))
    assert ("A", "2026-01") not in set(zip(shown["family"], shown["period"]))
