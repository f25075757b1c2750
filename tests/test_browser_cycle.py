"""The cycle in the browser: ticking an item of the demand review's checklist on /demand moves the header's
step status (`#shell-step` data-done), and marking an exception reviewed with a comment on /data lowers the
header's open count by one; both are stored with who and when."""

from __future__ import annotations

import pytest
from conftest import shot, store_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("cycle")


def header(page) -> dict:
    el = page.locator("#shell-step")
    el.wait_for()
    return {k: el.get_attribute(f"data-{k}") for k in ("step", "late", "done", "open")}


def wait_header(page, key: str, value: int) -> None:
    page.wait_for_function("([k, v]) => { const e = document.querySelector('#shell-step');"
                           " return e && e.dataset[k] === v; }", arg=[key, str(value)], timeout=20_000)


def test_ticking_on_demand_and_reviewing_on_data_move_the_header(new_page, server):
    page = new_page(server.url)
    page.goto("/demand")
    page.wait_for_selector("#demand-grid .ag-row", timeout=60_000)
    before = header(page)
    assert before["step"] == "1" and before["late"] == "0"  # a fresh cycle starts its week 1 today
    assert "Step 1 of 5 · Data gathering · due" in page.inner_text("#shell-step-status")

    page.click("#checklist-demand summary")
    first = page.locator('#checklist-demand button[data-auto="0"]').first
    first.click()
    wait_header(page, "done", int(before["done"]) + 1)
    page.wait_for_function("() => document.querySelector('#checklist-demand').innerText.includes('ticked by admin')")
    assert "1/5 done" in page.inner_text("#checklist-demand summary")
    with store_of(server) as store:
        rows = store.checklist()
    assert rows[["step", "by", "done"]].to_dict("records") == [{"step": "demand", "by": "admin", "done": True}]
    shot(page, "cycle-demand-checklist", full_page=False)

    first.click()  # unticking moves it back
    wait_header(page, "done", int(before["done"]))

    page.goto("/data")
    page.wait_for_selector("#data-quality-grid .ag-row", timeout=60_000)
    n_open = int(header(page)["open"])
    assert n_open > 0
    assert page.inner_text("#shell-open-exceptions").startswith(f"{n_open} open exception")
    page.locator("#data-quality-grid .ag-row").first.click()
    page.fill("#data-quality-comment", "Seasonal peak, expected <b>not bold</b>")
    page.click("#data-quality-review")
    wait_header(page, "open", n_open - 1)
    assert page.inner_text("#shell-open-exceptions").startswith(f"{n_open - 1} open exception")
    page.get_by_text("Reviewed", exact=True).first.click()
    page.wait_for_function("() => document.querySelector('#data-quality-grid').innerText.includes('not bold')")
    assert "<b>not bold</b>" in page.inner_text("#data-quality-grid")  # typed text stays text
    with store_of(server) as store:
        log = store.quality_log()
    assert log[["source", "reviewed_by"]].to_dict("records") == [{"source": "exception", "reviewed_by": "admin"}]
    shot(page, "cycle-data-quality", full_page=False)

    # the open entries of one item, found with the search box, all reviewed at once with one comment
    page.get_by_text("Open", exact=True).first.click()
    page.wait_for_function("() => !document.querySelector('#data-quality-grid').innerText.includes('not bold')")
    item = page.locator("#data-quality-grid .ag-row [col-id=message]").first.inner_text().split(" ")[0]
    page.fill("#data-quality-search", item)
    page.press("#data-quality-search", "Enter")
    page.wait_for_function("n => document.querySelector('#data-quality-count').innerText.includes(' shown') && "
                           "!document.querySelector('#data-quality-count').innerText.endsWith(n + ' shown')",
                           arg=str(n_open - 1))
    shown = int(page.inner_text("#data-quality-count").split("·")[1].split()[0])
    assert 0 < shown < n_open - 1
    page.fill("#data-quality-comment", f"{item}: seasonal swings, as every year")
    page.click("#data-quality-review-all")
    wait_header(page, "open", n_open - 1 - shown)
    assert f"{shown} entries marked reviewed" in page.inner_text("#data-quality-msg") or shown == 1

    page.goto("/metrics")  # the meeting's own measures, per cycle
    page.wait_for_selector("#metrics-process-table", timeout=60_000)
    assert page.locator("#metrics-process-table tr[data-key]").count() >= 2
