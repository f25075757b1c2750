"""Scenarios in a real browser: make "Second shift" (capacity +20 % on one family from a month on), see its band on
every page, compare it with the base, change a weight and see the recommendation change, promote it and find it
in the audit trail of 3 Supply."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

FAMILY, FROM = "Outdoor", "2026-04"


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("scenarios")  # a fresh database: the sample company


def settle(page) -> None:
    for _ in range(2):
        page.wait_for_function("() => !document.querySelector('._dash-loading-callback')")
        page.wait_for_timeout(150)


def choose(page, dropdown: str, label: str) -> None:
    page.click(f"#{dropdown}")
    page.locator("[role=option]").filter(has_text=label).first.click()
    page.keyboard.press("Escape")


def fill(page, input_id: str, value) -> None:
    page.fill(f"#{input_id}", str(value))
    page.press(f"#{input_id}", "Tab")


def recommended(page) -> str:
    return page.get_attribute("#presop-recommendation", "data-scenario")


def wait_recommendation(page, name: str) -> None:
    page.wait_for_function(
        "n => { const e = document.querySelector('#presop-recommendation'); return e && e.dataset.scenario === n; }",
        arg=name)


def create(page, name: str, *, family=None, pct=None, start=None, capacity_cost=None, lost_cost=None) -> str:
    settle(page)
    fill(page, "presop-new-name", name)
    if family:
        choose(page, "presop-cap-family", family)
        fill(page, "presop-cap-pct", pct)
        choose(page, "presop-cap-start", start)
    if capacity_cost is not None:
        fill(page, "presop-cost-capacity", capacity_cost)
    if lost_cost is not None:
        fill(page, "presop-cost-lost", lost_cost)
    page.click("#presop-new-create")
    page.wait_for_selector("#presop-new-ok")
    page.wait_for_function("n => document.querySelector('#presop-new-ok').textContent.includes(n)", arg=name)
    return page.inner_text("#presop-new-ok")


def test_second_shift_end_to_end(server, new_page):
    page = new_page(server.url)
    try:
        _walk(page)
    except Exception:
        from conftest import shot

        shot(page, "FAILED-scenarios")
        raise


def _walk(page):
    page.goto("/pre-sop")
    page.wait_for_selector("#presop-recommendation")
    # a fresh start: the built-in outlooks are compared and scored, the base plan recommended
    assert recommended(page) == "Base plan"
    assert "Upside" in page.inner_text("#presop-scores-table")
    assert page.is_hidden("#shell-scenario-band")

    text = create(page, "Second shift", family=FAMILY, pct=20, start=FROM, capacity_cost=2)
    assert f"capacity +20 % on {FAMILY} from {FROM}" in text
    # its band, in its own colour with its name, on this page and every other
    page.wait_for_selector("#shell-scenario-band:not([hidden])")
    assert page.inner_text("#shell-scenario-name") == "Second shift"
    assert "Second shift" in page.text_content("#presop-scenario-list")
    # compared with the base: the side-by-side table has both, with the difference in capacity cost
    page.wait_for_function("() => { const t = document.querySelector('#presop-compare-table');"
                           " return t && t.textContent.includes('Second shift'); }")
    cost = page.locator('#presop-compare-table tr[data-key="cost_capacity"] td[data-col="v1"]')
    assert float(cost.get_attribute("data-value")) > 0
    chart = page.evaluate("() => { const g = document.querySelector('#presop-compare-chart .js-plotly-plot');"
                          " return g && g._fullData.map(t => t.name); }")
    assert chart and "Revenue" in chart

    page.goto("/supply")
    page.wait_for_selector("#shell-scenario-band:not([hidden])")
    assert page.inner_text("#shell-scenario-name") == "Second shift"
    # the plan's own figures are untouched by the scenario
    page.goto("/pre-sop")
    page.wait_for_selector("#presop-recommendation")

    # a cheaper plan that accepts lost sales: the weights decide between it and the others
    create(page, "Accept lost sales", lost_cost=1)
    page.wait_for_function("() => document.querySelector('#presop-compare-table').textContent"
                           ".includes('Accept lost sales')")
    settle(page)
    fill(page, "presop-w-service", 0)
    fill(page, "presop-w-feas", 0)
    fill(page, "presop-w-cost", 1)
    wait_recommendation(page, "Accept lost sales")
    assert "Accept lost sales" in page.text_content("#presop-recommendation")
    fill(page, "presop-w-cost", 0)
    fill(page, "presop-w-service", 1)
    page.wait_for_function("() => document.querySelector('#presop-recommendation').dataset.scenario"
                           " !== 'Accept lost sales'")
    assert recommended(page) in {"Base plan", "Second shift"}
    from conftest import shot

    shot(page, "scenarios-side-by-side")
    # "Back to the plan" ends the editing: the band goes
    assert page.inner_text("#shell-scenario-name") == "Accept lost sales"
    page.click("#shell-scenario-back")
    page.wait_for_selector("#shell-scenario-band[hidden]", state="attached")

    # promote Second shift: one action; the band goes, the draft has its capacity, the audit says so
    settle(page)
    choose(page, "presop-scenario-pick", "Second shift")
    page.click("#presop-scenario-promote")
    page.wait_for_selector("#presop-promote-ok")
    assert "Second shift promoted" in page.inner_text("#presop-promote-ok")
    page.wait_for_selector("#shell-scenario-band[hidden]", state="attached")
    page.goto("/supply")
    page.wait_for_selector("#supply-audit-table")
    assert "promoted from scenario Second shift" in page.inner_text("#supply-audit-table")
