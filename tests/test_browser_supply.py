"""3 Supply in a real browser: typed capacity edits are stored through the plan service with their reason,
move the gap grid, the heatmap and the supply plan, can be undone, survive a reload; bad entries and a
second person on the same cell store nothing.

The module stores the reference example (shared/examples/seed-example) with the default settings through
the plan service, so its figures are known: Electronics 2025-02 demand 10,200 against capacity 12,000.
"""

from __future__ import annotations

import pytest
from conftest import grid_row, seed_example_dir, shot

pytestmark = pytest.mark.browser

FAMILY, MONTH = "Electronics", "2025-02"
CAP_GRID, GAP_GRID = "supply-capacity-grid", "supply-gap-grid"
ROW = f"family:{FAMILY}"


@pytest.fixture(scope="module")
def svc(app_server):
    """A PlanService of the test process on the server's database, after storing the reference example."""
    from data.readers import load_company
    from services.plan_service import PlanService
    from data.store import Store, make_engine

    engine = make_engine(f"sqlite:///{app_server.workdir}/sop.db")
    service = PlanService(Store(engine))
    files = {p.name: p.read_bytes() for p in seed_example_dir().glob("*.csv")}
    data, issues = load_company(files)
    assert data is not None, issues
    service.store.save_dataset(data, source="seed example", user="test")  # SPEC's default settings
    yield service
    engine.dispose()


def stored(svc, column: str = "capacity", family: str = FAMILY, month: str = MONTH):
    fp = svc.current_plan().family_plan
    return fp.loc[(fp["family"] == family) & (fp["period"] == month), column].iloc[0]


def settle(page) -> None:
    """No callback in flight (Dash shows `._dash-loading-callback` meanwhile), twice in a row."""
    for _ in range(2):
        page.wait_for_function("() => !document.querySelector('._dash-loading-callback')")
        page.wait_for_timeout(100)


def open_supply(page):
    page.goto("/supply")
    page.wait_for_selector(f'#{GAP_GRID} .ag-row[row-id="{ROW}"] [col-id="{MONTH}"]')
    settle(page)


def cell(page, grid: str, month: str = MONTH, row: str = ROW):
    return page.locator(f'#{grid} .ag-row[row-id="{row}"] [col-id="{month}"]').first


def type_capacity(page, text: str, month: str = MONTH) -> str:
    """Type into a capacity cell and press Enter; returns the message the page answers with."""
    settle(page)
    before = page.inner_text("#supply-edit-msg")
    cell(page, CAP_GRID, month).click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function("old => document.querySelector('#supply-edit-msg').innerText !== old", arg=before)
    return page.inner_text("#supply-edit-msg")


def click_and_wait(page, button: str) -> str:
    settle(page)
    before = page.inner_text("#supply-edit-msg")
    page.click(button)
    page.wait_for_function("old => document.querySelector('#supply-edit-msg').innerText !== old", arg=before)
    return page.inner_text("#supply-edit-msg")


def wait_gap(page, expected: float, month: str = MONTH):
    page.wait_for_function(
        "([g, r, m, v]) => { const n = dash_ag_grid.getApi(g).getRowNode(r);"
        " return n && Math.abs(n.data[m] - v) < 1e-6; }", arg=[GAP_GRID, ROW, month, expected])


def heatmap_value(page, family: str, month: str):
    return page.evaluate(
        "([f, m]) => { const d = document.querySelector('#supply-heatmap .js-plotly-plot')._fullData[0];"
        " return d.z[Array.from(d.y).indexOf(f)][Array.from(d.x).indexOf(m)]; }", [family, month])


def test_capacity_edit_turns_constrained_everywhere_then_undo_and_reload(page, svc):
    open_supply(page)
    assert grid_row(page, CAP_GRID, ROW)[MONTH] == 12_000
    gap = grid_row(page, GAP_GRID, ROW)
    assert gap[MONTH] == pytest.approx(1_800) and gap[f"status_{MONTH}"] == "OK"
    revision = svc.state().revision

    page.fill("#supply-reason", "Line 2 down for maintenance")
    page.keyboard.press("Tab")
    page.wait_for_function("() => document.querySelector('#supply-reason-now').innerText.includes('Line 2')")
    text = type_capacity(page, "9000")
    assert "Saved" in text and "9,000" in text
    # stored once, with reason, owner, before and after
    assert svc.state().revision == revision + 1
    assert stored(svc) == 9_000
    demand = stored(svc, "demand")
    expected_gap = 9_000 - demand
    assert expected_gap == pytest.approx(stored(svc, "gap")) and expected_gap < 0
    audit = svc.audit_trail()
    last = audit[audit["kind"] == "capacity"].iloc[0]
    assert (last["family"], last["period"], last["type"], last["value"]) == (FAMILY, MONTH, "absolute", 9_000)
    assert (last["before"], last["after"]) == (12_000, 9_000)
    assert last["reason"] == "Line 2 down for maintenance" and last["owner"] == "admin"

    # the gap grid: capacity − demand, red; the heatmap above 100 %; the supply plan CONSTRAINED
    wait_gap(page, expected_gap)
    gap = grid_row(page, GAP_GRID, ROW)
    assert gap[f"status_{MONTH}"] == "CONSTRAINED"
    gap_cell = cell(page, GAP_GRID)
    assert gap_cell.inner_text().strip() == f"\u2212{abs(expected_gap):,.0f}"
    assert "gap-short" in gap_cell.get_attribute("class")
    assert "gap-short" not in cell(page, GAP_GRID, "2025-03").get_attribute("class")
    assert cell(page, CAP_GRID).inner_text().strip() == "9,000"
    page.wait_for_function(
        "([f, m, v]) => { const g = document.querySelector('#supply-heatmap .js-plotly-plot');"
        " if (!g || !g._fullData) return false; const d = g._fullData[0];"
        " return Math.abs(d.z[Array.from(d.y).indexOf(f)][Array.from(d.x).indexOf(m)] - v) < 1e-6; }",
        arg=[FAMILY, MONTH, demand * 100 / 9_000])
    page.wait_for_function(
        "k => { const n = dash_ag_grid.getApi('supply-plan-grid').getRowNode(k);"
        " return n && n.data.status === 'CONSTRAINED'; }", arg=f"{FAMILY}|{MONTH}")
    assert "Line 2 down for maintenance" in page.inner_text("#supply-audit-table")
    shot(page, "supply-after-edit-1920")

    # reload: the same plan
    open_supply(page)
    assert grid_row(page, CAP_GRID, ROW)[MONTH] == 9_000
    assert grid_row(page, GAP_GRID, ROW)[f"status_{MONTH}"] == "CONSTRAINED"
    assert heatmap_value(page, FAMILY, MONTH) == pytest.approx(demand * 100 / 9_000)

    # undo restores the capacity and the status; redo brings the change back
    text = click_and_wait(page, "#supply-undo")
    assert "Undid" in text
    wait_gap(page, 12_000 - demand)
    assert stored(svc) == 12_000 and stored(svc, "status") == "OK"
    assert "gap-short" not in cell(page, GAP_GRID).get_attribute("class")
    assert "Redid" in click_and_wait(page, "#supply-redo")
    wait_gap(page, expected_gap)
    assert stored(svc) == 9_000
    assert "Undid" in click_and_wait(page, "#supply-undo")
    wait_gap(page, 12_000 - demand)


def test_bad_entries_store_nothing_and_signed_numbers_add(page, svc):
    open_supply(page)
    revision, capacity = svc.state().revision, stored(svc)
    text = type_capacity(page, "abc")
    assert "not a number" in text and "Nothing was stored" in text
    assert svc.state().revision == revision and stored(svc) == capacity
    page.wait_for_function(  # the cell shows the stored value again, not the rejected text
        "s => document.querySelector(s).innerText.trim() === '12,000'",
        arg=f'#{CAP_GRID} .ag-row[row-id="{ROW}"] [col-id="{MONTH}"]')
    assert page.locator("#supply-edit-alert.alert-danger").count() == 1

    # "-5" is an additive change of −5 units; "+10%" scales
    type_capacity(page, "-5")
    assert stored(svc) == capacity - 5
    last = svc.audit_trail().iloc[0]
    assert (last["kind"], last["type"], last["value"]) == ("capacity", "additive", -5)
    wait_gap(page, capacity - 5 - stored(svc, "demand"))
    type_capacity(page, "+10%", "2025-03")
    assert stored(svc, month="2025-03") == pytest.approx(10_500 * 1.1)
    assert grid_row(page, CAP_GRID, ROW)["2025-03"] == pytest.approx(10_500 * 1.1)
    # Enter on an unchanged cell changes nothing
    revision = svc.state().revision
    cell(page, CAP_GRID, "2025-01").dblclick()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert svc.state().revision == revision


def test_second_person_on_the_same_cell_gets_a_conflict(page, svc):
    open_supply(page)
    # someone else changes the same cell after this page was loaded
    svc.apply_capacity_edits([{"family": FAMILY, "period": "2025-01", "text": "15000"}], reason="other shift",
                             owner="sam")
    revision = svc.state().revision
    text = type_capacity(page, "11000", "2025-01")
    assert "someone else changed" in text.lower() and f"capacity {FAMILY} 2025-01 by sam" in text
    assert "(set to 15,000)" in text and "Nothing was stored" in text
    assert svc.state().revision == revision and stored(svc, month="2025-01") == 15_000
    page.wait_for_function(  # the grid now shows their value
        "([g, r]) => dash_ag_grid.getApi(g).getRowNode(r).data['2025-01'] === 15000", arg=[CAP_GRID, ROW])
    # a change of another cell is not blocked by their change
    type_capacity(page, "13000", "2025-03")
    assert stored(svc, month="2025-03") == 13_000


@pytest.mark.parametrize("size", ["1920", "1366"])
def test_supply_page_fits_the_window(new_page, svc, app_server, size):
    page = new_page(app_server.url, size)
    open_supply(page)
    page.wait_for_selector("#supply-inventory-chart .js-plotly-plot")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/supply is {overflow}px wider than a {size}px window"
    # the heatmap's axes are categories; the inventory chart draws safety stock and target for one family
    axes = page.evaluate("() => { const g = document.querySelector('#supply-heatmap .js-plotly-plot');"
                         " return [g._fullLayout.xaxis.type, g._fullLayout.yaxis.type]; }")
    assert axes == ["category", "category"]
    names = page.evaluate("() => document.querySelector('#supply-inventory-chart .js-plotly-plot')._fullData"
                          ".map(t => t.name)")
    assert names == ["Projected ending inventory", "Safety stock", "Target (safety + cycle stock)"]
    shot(page, f"supply-{size}", full_page=False)
    shot(page, f"supply-{size}-full")
