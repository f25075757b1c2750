"""Every page renders its main table with the expected numbers and no browser errors.

The module uploads the reference example (shared/examples/seed-example) once through the /data page,
so the expected figures are the example's worked figures.
"""

from __future__ import annotations

import pytest
from conftest import (
    VIEWPORTS,
    grid_row,
    kpi_value,
    seed_example_dir,
    shot,
    table_cell,
    upload_file,
    write_workbook_from_csv,
)

pytestmark = pytest.mark.browser

PAGES = {
    "dashboard": ("/", "#dash-demand-table"),
    "data": ("/data", "#data-accuracy-grid .ag-row"),
    "demand": ("/demand", "#demand-grid .ag-row"),
    "supply": ("/supply", "#supply-gap-grid .ag-row"),
    "pre-sop": ("/pre-sop", "#presop-scenarios-table"),
    "meeting": ("/meeting", "#meeting-agenda-list"),
    "metrics": ("/metrics", "#metrics-kpi-table"),
}


@pytest.fixture(scope="module")
def seeded(browser, app_server, tmp_path_factory):
    """The reference example (no settings sheet: SPEC's default settings) is the current data of the app."""
    path = write_workbook_from_csv(seed_example_dir(), tmp_path_factory.mktemp("seed") / "seed.xlsx")
    context = browser.new_context(base_url=app_server.url, viewport=VIEWPORTS["1920"])
    page = context.new_page()
    report = upload_file(page, path)
    context.close()
    assert "Stored seed.xlsx" in report
    return app_server


def test_dashboard(page, seeded):
    page.goto("/")
    expected_kpis = ["mape", "bias_pct", "inventory_turns", "days_of_supply", "plan_attainment",
                     "revenue_attainment", "capacity_utilization"]
    for name in expected_kpis:
        card = page.locator(f"#kpi-{name}")
        card.wait_for()
        assert card.get_attribute("data-status") in ("on_target", "at_risk", "off_target", "no_data")
    assert kpi_value(page, "capacity_utilization") == pytest.approx(46_300 / 47_500 * 100, abs=0.01)
    mape = kpi_value(page, "mape")
    assert mape is not None and 0 < mape < 20
    assert page.locator("#kpi-mape").get_attribute("data-status") == "on_target"
    # Demand plan: months, quarter and total row.
    assert table_cell(page, "dash-demand-table", "Electronics", "2025-03") == ("10,500", "10500.0")
    assert table_cell(page, "dash-demand-table", "Total", "quarter") == ("46,300", "46300.0")
    # Financial summary: January ships everything (overtime covers the gap): 11,000 × 100 + 5,000 × 80.
    assert table_cell(page, "dash-finance-table", "revenue", "this_month") == ("$1.50M", "1500000.0")
    assert table_cell(page, "dash-finance-table", "revenue_at_risk", "this_month")[1] == "0.0"
    # Supply & constraints: Electronics January is short (110 %), Appliances January full (100 %),
    # Electronics February has room (85 %); each status in its colour.
    for key, status, tone in (("Electronics|2025-01", "CONSTRAINED", "status-bad"),
                              ("Appliances|2025-01", "TIGHT", "status-warn"),
                              ("Electronics|2025-02", "OK", "status-good")):
        assert table_cell(page, "dash-supply-table", key, "status")[0] == status
        badge = page.locator(f'#dash-supply-table tr[data-key="{key}"] .status-badge')
        assert tone in badge.get_attribute("class")
    assert page.inner_text("#shell-cycle") == "2025-01"


def test_data_page(page, seeded):
    page.goto("/data")
    total = grid_row(page, "data-accuracy-grid", "total::")
    assert total["n"] == 24 and total["n_zero"] == 0
    assert 0 < total["mape"] < 20
    electronics = grid_row(page, "data-accuracy-grid", "family:Electronics:")
    item = grid_row(page, "data-accuracy-grid", "item:Electronics:E-100")
    assert electronics["mape"] == pytest.approx(item["mape"])  # one item in the family
    assert table_cell(page, "data-dataset-table", "Items", "v")[0] == "2 in 2 families"
    assert table_cell(page, "data-dataset-table", "Plan horizon", "v")[0] == "2025-01 – 2025-03 (3 months)"
    # The history chart: category axis, 24 history months plus the 3 plan months.
    page.wait_for_function("() => { const g = document.querySelector('#data-history-chart .js-plotly-plot');"
                           " return g && g._fullData && g._fullData.length >= 3; }")
    axis_type, actual = page.evaluate(
        "() => { const g = document.querySelector('#data-history-chart .js-plotly-plot');"
        " const d = g._fullData.find(t => t.name === 'Actual');"
        " return [g._fullLayout.xaxis.type, Array.from(d.y).filter(v => v !== null && !Number.isNaN(v)).length]; }")
    assert axis_type == "category"
    assert actual == 24


def test_demand_page(page, seeded):
    page.goto("/demand")
    electronics = grid_row(page, "demand-grid", "family:Electronics")
    assert electronics["2025-01"] == 11_000 and electronics["stat"][0] == 10_000
    assert electronics["total"] == 31_700
    assert grid_row(page, "demand-grid", "family:Appliances")["2025-02"] == 4_600
    assert grid_row(page, "demand-grid", "item:E-100")["2025-01"] == 11_000
    cell = page.locator('#demand-grid .ag-row[row-id="family:Electronics"] [col-id="2025-01"]').first
    assert cell.inner_text().strip() == "11,000"
    page.wait_for_function("() => { let n = 0; dash_ag_grid.getApi('demand-audit-grid').forEachNode(() => n++);"
                           " return n === 2; }")
    rows = page.evaluate("() => { const o = []; dash_ag_grid.getApi('demand-audit-grid')"
                         ".forEachNode(n => o.push(n.data)); return o; }")
    by_key = {r["key"]: r for r in rows}
    assert by_key["Electronics"]["reason"] == "New product launch expected to drive 10% uplift"
    assert (by_key["Electronics"]["before"], by_key["Electronics"]["after"]) == (10_000, 11_000)
    assert by_key["Appliances"]["reason"] == "Competitor pricing pressure"
    assert (by_key["Appliances"]["before"], by_key["Appliances"]["after"]) == (5_100, 4_600)


def test_supply_page(page, seeded):
    page.goto("/supply")
    gap = grid_row(page, "supply-gap-grid", "family:Electronics")
    assert gap["2025-01"] == -1_000 and gap["status_2025-01"] == "CONSTRAINED"
    assert gap["util_2025-01"] == pytest.approx(110.0)
    cell = page.locator('#supply-gap-grid .ag-row[row-id="family:Electronics"] [col-id="2025-01"]').first
    assert cell.inner_text().strip() == "\u22121,000"
    assert "status-bad" in cell.get_attribute("class")
    ok_cell = page.locator('#supply-gap-grid .ag-row[row-id="family:Appliances"] [col-id="2025-01"]').first
    assert "status-bad" not in ok_cell.get_attribute("class")
    # The least-cost plan covers the 1,000 units with overtime at 15 per unit.
    plan = grid_row(page, "supply-plan-grid", "Electronics|2025-01")
    assert plan["overtime"] == pytest.approx(1_000) and plan["lost_sales"] == pytest.approx(0)
    assert plan["cost"] == pytest.approx(15_000)
    # Heatmap values are the utilizations (read from the plotted figure).
    page.wait_for_function("() => { const g = document.querySelector('#supply-heatmap .js-plotly-plot');"
                           " return g && g._fullData && g._fullData.length; }")
    z = page.evaluate("() => { const d = document.querySelector('#supply-heatmap .js-plotly-plot')._fullData[0];"
                      " return {y: Array.from(d.y), x: Array.from(d.x), z: d.z.map(r => Array.from(r))}; }")
    assert z["x"] == ["2025-01", "2025-02", "2025-03"]
    assert z["z"][z["y"].index("Electronics")][0] == pytest.approx(110.0)


def test_pre_sop_page(page, seeded):
    page.goto("/pre-sop")
    base = table_cell(page, "presop-scenarios-table", "Base plan", "demand")
    up = table_cell(page, "presop-scenarios-table", "Upside +15 %", "demand")
    down = table_cell(page, "presop-scenarios-table", "Downside \u221215 %", "demand")
    assert float(base[1]) == pytest.approx(46_300)
    assert float(up[1]) == pytest.approx(46_300 * 1.15)
    assert float(down[1]) == pytest.approx(46_300 * 0.85)
    assert table_cell(page, "presop-finance-table", "Electronics", "revenue_unconstrained")[1] == "3170000.0"
    row = grid_row(page, "presop-balance-grid", "Electronics|2025-01")
    assert row["demand"] == 11_000 and row["capacity"] == 10_000 and row["status"] == "CONSTRAINED"
    assert "constrained" in page.inner_text("#presop-exec-summary").lower()


def test_meeting_page_shows_stored_decisions_and_actions_as_text(page, seeded):
    import datetime as dt

    from data.store import Store, make_engine

    store = Store(make_engine(f"sqlite:///{seeded.workdir}/sop.db"))
    store.add_decision({"topic": "Electronics capacity", "decision": "Approve <b>overtime</b> for January",
                        "rationale": "Cheaper than outsourcing", "owner": "COO", "impact": "15,000",
                        "decided_on": dt.date(2025, 1, 20)})
    store.add_action({"description": "Book overtime shifts", "owner": "Plant manager",
                      "due_date": dt.date(2025, 1, 25), "status": "open", "priority": "high"})
    page.goto("/meeting")
    page.wait_for_selector("#meeting-decisions-table")
    agenda = page.locator("#meeting-agenda-list li")
    assert [agenda.nth(i).get_attribute("data-key") for i in range(agenda.count())] == [
        "performance", "demand", "supply", "financial", "scenarios", "strategic", "decisions"]
    assert "190 minutes in all" in page.inner_text("#meeting-agenda")  # the reference's durations
    decisions = page.inner_text("#meeting-decisions-table")
    assert "Approve <b>overtime</b> for January" in decisions  # typed text stays text
    assert page.locator("#meeting-decisions-table b").count() == 0
    assert "Book overtime shifts" in page.inner_text("#meeting-actions-table")
    page.goto("/")
    assert "Book overtime shifts" in page.inner_text("#dash-actions-list")
    assert "Electronics capacity" in page.inner_text("#dash-decisions-list")


def test_metrics_page(page, seeded):
    page.goto("/metrics")
    text, _ = table_cell(page, "metrics-kpi-table", "capacity_utilization", "value_text")
    assert text == "97.5 %"
    assert table_cell(page, "metrics-kpi-table", "capacity_utilization", "target")[0] == "target 80 % \u2013 90 %"
    assert table_cell(page, "metrics-kpi-table", "capacity_utilization", "status")[1] == "at_risk"
    # the maturity level reached by this cycle's assessment is highlighted, with the next steps
    page.wait_for_selector(".maturity-level.current")
    assert "Next steps for the weakest dimension" in page.inner_text("#metrics-next-steps")


@pytest.mark.parametrize("size", ["1920", "1366"])
def test_every_page_renders_at_both_sizes(new_page, seeded, size):
    page = new_page(seeded.url, size)
    for name, (path, main) in PAGES.items():
        page.goto(path)
        page.wait_for_selector(main)
        page.wait_for_load_state("networkidle")
        # Nothing wider than the window: no horizontal scrolling of the page itself.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {size}px window"
        shot(page, f"{name}-{size}")
