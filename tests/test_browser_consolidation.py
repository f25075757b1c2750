"""The consolidation issue's walk-through, in a real browser on a fresh app (sample company first):

- viewing every page in turn changes nothing: no forecast run starts, the plan's revision and every KPI
  card's `data-value` stay as they were;
- the reference example uploaded through /data is planned with SPEC.md's default settings (the sample's
  safety-stock floor does not leak into it): /supply closes Electronics 2025-01 with 1,000 units of overtime
  at 15,000, the same as `supply_plan.csv` of `python -m planning compute` on the same folder, and /metrics
  says which settings are in force;
- the file's adjustment (+10 %) enters the plan at the upload's time, so a later family edit to 12,000 stays
  12,000 (not 13,200) after a reload, and the audit trail says 11,000 → 12,000.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import ROOT, grid_row, seed_example_dir, shot, store_of, upload_file, write_workbook_from_csv

pytestmark = pytest.mark.browser

PAGES = {"/": "#dash-demand-table", "/data": "#data-accuracy-grid .ag-row", "/demand": "#demand-grid .ag-row",
         "/supply": "#supply-gap-grid .ag-row", "/pre-sop": "#presop-scenarios-table",
         "/meeting": "#meeting-agenda-list", "/metrics": "#metrics-kpi-table"}
KPIS = ["mape", "bias_pct", "plan_attainment", "revenue_attainment", "capacity_utilization", "inventory_turns",
        "days_of_supply"]


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("consolidation")


def kpi_values(page) -> dict[str, str | None]:
    page.goto("/")
    page.wait_for_selector("#kpi-mape")
    return {k: page.get_attribute(f"#kpi-{k}", "data-value") for k in KPIS}


def test_viewing_every_page_changes_nothing(new_page, server):
    page = new_page(server.url)
    with store_of(server) as store:
        before = store.plan_state()
    values = kpi_values(page)
    for path, ready in PAGES.items():
        page.goto(path)
        page.wait_for_selector(ready, timeout=60_000)
        page.wait_for_load_state("networkidle")
    time.sleep(3)  # what a page might have started would have shown by now
    assert kpi_values(page) == values
    with store_of(server) as store:
        after = store.plan_state()
    assert after == before and after["forecast_run_id"] is None  # same revision, no forecast run stored
    assert not list((server.workdir / "cache" / "forecast-jobs").glob("run-*.json"))  # and none in flight
    badge = page.locator("#shell-forecast-badge")
    assert "Interim forecast" in badge.inner_text()  # every page says the plan uses the interim forecast


def supply_row(page, key: str) -> dict:
    page.goto("/supply")
    page.wait_for_selector("#supply-plan-grid .ag-row")
    return grid_row(page, "supply-plan-grid", key)


def test_upload_plans_with_its_own_settings_as_the_headless_command(new_page, server, tmp_path):
    page = new_page(server.url)
    with store_of(server) as store:
        assert store.get_settings().safety_stock_floor  # the sample company keeps safety stock as a floor
    book = write_workbook_from_csv(seed_example_dir(), tmp_path / "seed.xlsx")
    report = upload_file(page, book)
    assert "Settings: defaults (the upload has no settings sheet)." in report
    row = supply_row(page, "Electronics|2025-01")
    assert (row["overtime"], row["outsource"], row["lost_sales"]) == (1000, 0, 0)
    assert row["cost"] == pytest.approx(15_000)
    shot(page, "consolidation-supply-seed")
    # the headless command on the same folder gives the same supply plan, cell by cell
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "planning", "compute", str(seed_example_dir()), "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    cli = pd.read_csv(out / "supply_plan.csv")
    with store_of(server) as store:
        from services.plan_service import PlanService

        app_plan = PlanService(store).current_plan().supply_plan
    cols = ["regular", "overtime", "outsource", "inventory_end", "lost_sales", "cost"]
    merged = cli.merge(app_plan, on=["family", "period"], suffixes=("_cli", "_app"))
    assert len(merged) == len(cli) == len(app_plan)
    for c in cols:
        pd.testing.assert_series_equal(merged[f"{c}_cli"], merged[f"{c}_app"], check_names=False, atol=1e-6)
    page.goto("/metrics")
    source = page.locator("#metrics-settings-source")
    source.wait_for()
    assert "defaults (the upload has no settings sheet)" in source.inner_text()


def test_uploaded_adjustment_does_not_overtake_a_later_edit(new_page, server, tmp_path):
    page = new_page(server.url)
    book = write_workbook_from_csv(seed_example_dir(), tmp_path / "seed.xlsx")
    upload_file(page, book)
    page.goto("/demand")
    cell = '#demand-grid .ag-row[row-id="family:Electronics"] [col-id="2025-01"]'
    page.wait_for_selector(cell)
    read = ("() => dash_ag_grid.getApi('demand-grid').getRowNode('family:Electronics').data['2025-01']")
    assert page.evaluate(read) == pytest.approx(11_000)  # 10,000 + 10 % from the file
    page.locator(cell).first.dblclick()
    editor = page.locator("#demand-grid .ag-cell-inline-editing input")
    editor.fill("12000")
    editor.press("Enter")
    page.locator('#demand-message [data-kind="saved"]').wait_for(timeout=20_000)
    page.reload()
    page.wait_for_selector(cell)
    page.wait_for_function(f"() => {{ try {{ return ({read})() !== undefined; }} catch (e) {{ return false; }} }}")
    assert page.evaluate(read) == pytest.approx(12_000)
    with store_of(server) as store:
        from services.plan_service import PlanService

        svc = PlanService(store)
        trail = svc.audit_trail()
        plan = svc.current_plan()
    grid_edit = trail[(trail["source"] == "grid") & (trail["key"] == "Electronics")].iloc[0]
    assert (grid_edit["before"], grid_edit["after"]) == (pytest.approx(11_000), pytest.approx(12_000))
    fp = plan.family_plan.set_index(["family", "period"])
    assert fp.loc[("Electronics", "2025-01"), "demand"] == pytest.approx(12_000)
