"""The end of a cycle in a real browser: approve on /meeting, "Close cycle and start the next" (confirmed), the
header says the cycle waits for its actuals, a bad actuals file is refused with its row and column named, the
example actuals start cycle 2026-02 (header, draft v1), and the dashboard's "vs last month" compares the new
plan with the approved plan of 2026-01."""

from __future__ import annotations

import pytest
from conftest import shot, store_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("cycle-close")


def test_close_the_cycle_and_start_the_next_from_the_months_actuals(new_page, server, tmp_path):
    page = new_page(server.url)
    page.goto("/meeting")
    page.wait_for_selector("#meeting-versions-table")
    page.click("#meeting-approve")
    page.wait_for_function("() => document.querySelector('#shell-version').dataset.status === 'approved'")
    with store_of(server) as store:
        approved_jan = store.latest_version()["id"]
        store.add_action({"description": "Confirm the overtime with the plant", "owner": "sam", "status": "open"})

    page.wait_for_function("() => (document.querySelector('#meeting-close-status') || {}).textContent"
                           " === 'Cycle 2026-01 is open.'")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#meeting-close-cycle")
    ok = page.wait_for_selector("#meeting-close-ok")
    assert "Cycle 2026-01 closed." in ok.inner_text()
    assert "waiting for 2026-01 actuals" in page.wait_for_selector("#shell-cycle-closed").inner_text()

    page.goto("/data")
    assert "Upload the actuals of 2026-01 to start cycle 2026-02" in page.wait_for_selector(
        "#data-actuals-waiting").inner_text()
    bad = tmp_path / "history.csv"
    bad.write_text("item_id,period,actual_units\nKIT-101,2026-01,12\nZZZ-9,2026-01,4\n")
    page.set_input_files("#data-actuals-upload input[type=file]", str(bad))
    refused = page.wait_for_selector("#data-actuals-refused").inner_text()
    assert "Nothing was changed" in refused and "unknown item “ZZZ-9”" in refused
    bad_row = page.locator("#data-actuals-refused tr", has_text="ZZZ-9")
    assert bad_row.locator('td[data-col="row"]').inner_text().strip() == "3"
    assert bad_row.locator('td[data-col="column"]').inner_text().strip() == "item_id"

    with page.expect_download() as dl:
        page.click("#data-actuals-example")
    example = tmp_path / "example" / "history.csv"
    example.parent.mkdir()
    dl.value.save_as(example)
    assert example.read_text().splitlines()[0] == "item_id,period,actual_units"
    page.set_input_files("#data-actuals-upload input[type=file]", str(example))
    started = page.wait_for_selector("#data-actuals-ok", timeout=120_000).inner_text()
    with store_of(server) as store:
        carried = store.list_actions()
    assert "Cycle 2026-02 started." in started and f"{len(carried)} open action item(s) carried over" in started
    assert "Confirm the overtime with the plant" in set(carried["description"])
    page.wait_for_function("() => document.querySelector('#shell-cycle').textContent === '2026-02'")
    loc = page.locator("#shell-version")
    assert (loc.get_attribute("data-version"), loc.get_attribute("data-status")) == ("1", "draft")
    assert page.locator("#shell-cycle-closed").count() == 0
    page.wait_for_function("() => document.querySelector('#data-dataset').textContent.includes('2026-02 – 2027-07')")
    assert "2023-01 – 2026-01" in page.locator("#data-dataset").inner_text()  # the month's actuals are history
    shot(page, "cycle-next-started")

    page.goto("/")
    cell = page.locator('#dash-demand-table tr[data-key="Total"] td[data-col="vs_last_month"]')
    cell.wait_for()
    with store_of(server) as store:
        from services.dashboard import previous_approved_plan
        from services.plan_service import PlanService

        previous = previous_approved_plan(store.plan_snapshots(), "2026-02")
        assert set(store.plan_snapshots().query("cycle_period == '2026-01'")["version_id"]) == {approved_jan}
        plan = PlanService(store).current_plan()
    months = plan.horizon[:3]
    assert months == ["2026-02", "2026-03", "2026-04"]
    now = plan.consensus[plan.consensus["period"].isin(months)]["consensus"].sum()
    before = previous[previous["period"].isin(months)]["consensus"].sum()
    assert float(cell.get_attribute("data-value")) == pytest.approx((now - before) * 100 / before, rel=1e-6)
