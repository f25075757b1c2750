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


def create(page, name: str, *, family=None, pct=None, start=None, capacity_cost=None, lost_cost=None,
           price_family=None, price_pct=None, outsource_cap=None) -> str:
    settle(page)
    fill(page, "presop-new-name", name)
    if price_family:
        choose(page, "presop-price-family", price_family)
        fill(page, "presop-price-pct", price_pct)
    if outsource_cap is not None:
        fill(page, "presop-cost-outcap", outsource_cap)
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
    page.wait_for_function("() => { const e = document.querySelector('#presop-scenario-list');"
                           " return e && e.textContent.includes('Second shift'); }")
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


GRID = "demand-grid"
READ = "([g, r, p]) => { const n = dash_ag_grid.getApi(g).getRowNode(r); return n ? n.data[p] : undefined; }"


def grid_value(page, row_id: str, period: str, grid: str = GRID):
    return page.evaluate(READ, [grid, row_id, period])


def wait_grid_value(page, row_id: str, period: str, expected: float, grid: str = GRID, tol: float = 0.6) -> None:
    page.wait_for_function(
        "([g, r, p, e, t]) => { const n = dash_ag_grid.getApi(g).getRowNode(r);"
        " return n && typeof n.data[p] === 'number' && Math.abs(n.data[p] - e) <= t; }",
        arg=[grid, row_id, period, expected, tol], timeout=20_000)


def type_in(page, row_id: str, period: str, text: str, grid: str = GRID) -> None:
    page.locator(f'#{grid} .ag-row[row-id="{row_id}"] [col-id="{period}"]').first.dblclick()
    editor = page.locator(f"#{grid} .ag-cell-inline-editing input")
    editor.wait_for()
    editor.fill(text)
    editor.press("Enter")


def _stored(server):
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    engine = make_engine(f"sqlite:///{server.workdir}/sop.db")
    return engine, PlanService(Store(engine))


def test_editing_a_scenario_in_the_plan_grids(server, new_page):
    page = new_page(server.url)
    try:
        _edit_walk(page, server)
    except Exception:
        from conftest import shot

        shot(page, "FAILED-scenario-grids")
        raise


def _edit_walk(page, server):
    engine, svc = _stored(server)
    try:
        draft = svc.current_plan()
        month = draft.horizon[1]
        fam = FAMILY
        fp = draft.family_plan.set_index(["family", "period"])
        before_demand = float(fp.loc[(fam, month), "demand"])
        before_capacity = float(fp.loc[(fam, month), "capacity"])
        draft_rev = svc.state().revision

        page.goto("/pre-sop")
        page.wait_for_selector("#presop-recommendation")
        # made with a price rise and no outsourcing, and chosen for editing
        text = create(page, "Grid what-if", price_family=fam, price_pct=10, outsource_cap=0)
        assert f"price +10 % on {fam}" in text and "outsourcing capped at 0 %" in text
        page.wait_for_selector("#shell-scenario-band:not([hidden])")
        from services.scenario_plans import list_scenarios

        vid = next(int(s["id"]) for s in list_scenarios(svc) if s["name"] == "Grid what-if")
        assert svc.plan_settings(vid).outsource_cap_pct == 0
        rev = svc.current_plan(vid).financials.groupby("family")["revenue_unconstrained"].sum()
        base_rev = draft.financials.groupby("family")["revenue_unconstrained"].sum()
        assert rev[fam] == pytest.approx(1.1 * base_rev[fam], rel=1e-6)
        # compared side by side: its revenue is above the base's
        page.wait_for_function("() => { const t = document.querySelector('#presop-compare-table');"
                               " return t && t.textContent.includes('Grid what-if'); }")
        heads = page.eval_on_selector_all("#presop-compare-table th", "ths => ths.map(t => t.textContent.trim())")
        col = f"v{heads.index('Grid what-if') - 1}"

        def revenue(c: str) -> float:
            return float(page.get_attribute(f'#presop-compare-table tr[data-key="revenue"] td[data-col="{c}"]',
                                            "data-value"))

        assert revenue(col) > revenue("v0")

        # /demand: the band, the grid says it shows the scenario; an edit goes to the scenario only
        page.goto("/demand")
        page.wait_for_selector(f'#{GRID} .ag-row[row-id="family:{fam}"]')
        page.wait_for_selector("#shell-scenario-band:not([hidden])")
        assert page.inner_text("#shell-scenario-name") == "Grid what-if"
        page.wait_for_selector('#demand-scenario-tag[data-scenario="Grid what-if"]')
        assert grid_value(page, f"family:{fam}", month) == pytest.approx(before_demand, abs=0.6)
        type_in(page, f"family:{fam}", month, "+10%")
        wait_grid_value(page, f"family:{fam}", month, before_demand * 1.1)
        page.wait_for_selector('#demand-message [data-kind="saved"]')
        assert "Scenario Grid what-if" in page.inner_text("#demand-message")

        def scen_demand() -> float:
            return float(svc.current_plan(vid).family_plan.set_index(["family", "period"]).loc[(fam, month), "demand"])

        assert scen_demand() == pytest.approx(before_demand * 1.1, rel=1e-6)
        assert svc.state().revision == draft_rev  # the draft is untouched
        # undo inside the scenario reverts the scenario's change; redo brings it back
        page.locator(f'#{GRID} .ag-row[row-id="family:{fam}"] [col-id="{month}"]').first.click()
        page.keyboard.press("Control+z")
        wait_grid_value(page, f"family:{fam}", month, before_demand)
        assert scen_demand() == pytest.approx(before_demand, rel=1e-6)
        page.keyboard.press("Control+y")
        wait_grid_value(page, f"family:{fam}", month, before_demand * 1.1)
        assert svc.state().revision == draft_rev

        # /supply: the capacity grid shows the scenario and a capacity edit goes to it
        page.goto("/supply")
        page.wait_for_selector(f'#supply-capacity-grid .ag-row[row-id="family:{fam}"]')
        page.wait_for_selector("#shell-scenario-band:not([hidden])")
        type_in(page, f"family:{fam}", month, str(int(before_capacity + 500)), grid="supply-capacity-grid")
        page.wait_for_selector("#supply-edit-alert")
        assert "Saved" in page.inner_text("#supply-edit-alert"), page.inner_text("#supply-edit-alert")
        wait_grid_value(page, f"family:{fam}", month, before_capacity + 500, grid="supply-capacity-grid")
        sfp = svc.current_plan(vid).family_plan.set_index(["family", "period"])
        assert float(sfp.loc[(fam, month), "capacity"]) == pytest.approx(before_capacity + 500)
        assert svc.state().revision == draft_rev

        # back on the plan: its figures never moved
        page.click("#shell-scenario-back")
        page.wait_for_selector("#shell-scenario-band[hidden]", state="attached")
        wait_grid_value(page, f"family:{fam}", month, before_capacity, grid="supply-capacity-grid")
        page.goto("/demand")
        page.wait_for_selector(f'#{GRID} .ag-row[row-id="family:{fam}"]')
        wait_grid_value(page, f"family:{fam}", month, before_demand)
        assert page.locator("#demand-scenario-tag").count() == 0
        dfp = svc.current_plan().family_plan.set_index(["family", "period"])
        assert float(dfp.loc[(fam, month), "demand"]) == pytest.approx(before_demand)
        assert float(dfp.loc[(fam, month), "capacity"]) == pytest.approx(before_capacity)
    finally:
        engine.dispose()
