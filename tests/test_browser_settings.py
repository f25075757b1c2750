"""Targets and planning settings on /metrics, in a real browser: an administrator changes a KPI target and
the dashboard's status follows; a bad form is refused with every problem named and nothing stored; a
demand planner sees the settings but may not change them."""

from __future__ import annotations

import pytest
from conftest import kpi_value, shot, store_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("settings")


@pytest.fixture(scope="module")
def store(server):
    with store_of(server) as s:
        yield s


def target_input(page, kpi: str, side: str):
    return page.locator(f"#metrics-target-row-{kpi} input").nth(0 if side == "low" else 1)


def test_a_tighter_mape_target_turns_the_dashboard_card(new_page, server, store):
    page = new_page(server.url)
    page.goto("/")
    mape = kpi_value(page, "mape")
    assert page.get_attribute("#kpi-mape", "data-status") == "on_target"  # sample: 16.7 % against < 20 %

    page.goto("/metrics")
    page.wait_for_selector("#metrics-target-table")
    assert target_input(page, "mape", "high").input_value() == "20"
    tighter = round(mape / 2, 1)
    target_input(page, "mape", "high").fill(str(tighter))
    page.fill("#metrics-set-cost_lost_sales", "120")
    # the inventory accuracy KPI's tolerance and the forecast candidates are on the same form
    assert page.input_value("#metrics-set-inventory_tolerance_pct") == "2"
    page.fill("#metrics-set-inventory_tolerance_pct", "5")
    assert "standard set" in page.inner_text("#metrics-forecast-candidates-source")
    page.locator("#metrics-set-forecast-candidates label", has_text="IMAPA").click()
    page.click("#metrics-settings-save")
    page.wait_for_selector("#metrics-settings-saved")
    saved = store.get_settings()
    assert saved.targets["mape"].high == pytest.approx(tighter) and saved.cost_lost_sales == 120
    assert saved.inventory_tolerance_pct == 5
    assert saved.forecast_candidates == ("SeasonalNaive", "AutoETS", "AutoARIMA", "AutoTheta", "AutoCES",
                                         "CrostonOptimized", "IMAPA", "baseline_ma3_trend")
    page.wait_for_function("() => document.querySelector('#metrics-forecast-candidates-source')"
                           ".innerText.includes('settings form')")
    # the KPI table on the same page follows at once
    page.wait_for_function("t => document.querySelector('#metrics-kpi-table').innerText.includes(t)",
                           arg=f"{tighter:g}")
    shot(page, "metrics-settings-saved")

    page.goto("/")
    page.wait_for_function("() => { const c = document.querySelector('#kpi-mape');"
                           " return c && c.getAttribute('data-status') !== 'on_target'; }")
    assert page.get_attribute("#kpi-mape", "data-status") == "off_target"
    assert kpi_value(page, "mape") == pytest.approx(mape)  # the figure is the same, only its judgement moved


def test_a_bad_form_is_refused_whole(new_page, server, store):
    before = store.get_settings()
    page = new_page(server.url)
    page.goto("/metrics")
    page.wait_for_selector("#metrics-target-table")
    target_input(page, "capacity_utilization", "low").fill("95")  # above the high bound, 90
    page.fill("#metrics-set-overtime_pct", "140")
    page.fill("#metrics-set-cost_holding", "")
    page.fill("#metrics-set-inventory_tolerance_pct", "-1")
    page.click("#metrics-settings-save")
    problems = page.wait_for_selector("#metrics-settings-problems").inner_text()
    assert "Capacity utilization: the low bound (95) is above the high bound (90)" in problems
    assert "Overtime available (% of capacity) must be between 0 and 100; it is 140." in problems
    assert "Holding inventory (per unit per month) is empty." in problems
    assert "Inventory count tolerance (% of the recorded quantity) must be between 0 and 100; it is -1." in problems
    assert "nothing was changed" in page.inner_text("#metrics-settings-refused")
    assert store.get_settings() == before


def test_a_demand_planner_reads_but_may_not_change(new_page, server, store):
    before = store.get_settings()
    page = new_page(server.url)
    page.goto("/login")
    page.fill("#login-username", "dana")
    page.fill("#login-password", "demo")
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)  # signing in goes on to the page (the dashboard)
    page.wait_for_function("() => (document.querySelector('#shell-user') || {}).innerText?.includes('dana')")
    page.goto("/metrics")
    page.wait_for_selector("#metrics-target-table")
    assert page.is_disabled("#metrics-settings-save")
    assert "an administrator changes them" in page.inner_text("#metrics-settings-who")
    # the server refuses it too (a button is no protection): tests/test_auth.py calls the callback as dana
    assert store.get_settings() == before
