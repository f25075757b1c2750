"""Long read-only grids get their rows from the server a block at a time (components.grids.paged_grid,
callbacks.paged_grids), on an app that pages every grid of more than 10 rows (SOP_GRID_PAGED_FROM=10), so
the sample company's /data grids are paged:

- the accuracy grid holds as many rows as the plan's accuracy table, the total row first; sorted by MAPE
  (highest first) its first row is the highest MAPE of the whole table, not of the first block;
- the data-quality log, filtered, marks every open entry the filters show reviewed ("Mark all shown
  reviewed" reads them on the server, not from the rows the browser has), and the store says so;
- /supply's plan grid (72 family-months) is paged too, and shows a capacity edit's new plan: the rows in
  view are asked for again when the plan moves.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import store_of

from callbacks.paged_grids import rows_block

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("paged", env_extra={"SOP_GRID_PAGED_FROM": "10"})


def plan_accuracy(server) -> pd.DataFrame:
    from services.plan_service import PlanService

    with store_of(server) as store:
        return PlanService(store).current_plan().accuracy


def test_the_accuracy_grid_is_paged_and_sorted_on_the_server(new_page, server):
    page = new_page(server.url)
    page.goto("/data")
    page.wait_for_selector("#data-accuracy-grid .ag-row", timeout=60_000)
    acc = plan_accuracy(server)
    api = "dash_ag_grid.getApi('data-accuracy-grid')"
    assert page.evaluate(f"() => {api}.getGridOption('rowModelType')") == "infinite"
    page.wait_for_function(f"n => {api}.getDisplayedRowCount() === n && !!({api}.getDisplayedRowAtIndex(0) || {{}}).data",
                           arg=len(acc), timeout=30_000)  # a row of a block still loading has no data yet
    first = page.evaluate(f"() => {api}.getDisplayedRowAtIndex(0).data")
    assert first["key"] == "total::"
    assert first["mape"] == pytest.approx(float(acc.loc[acc["level"] == "total", "mape"].iloc[0]))

    header = page.locator("#data-accuracy-grid .ag-header-cell[col-id=mape]")
    header.click()  # ascending
    header.click()  # descending
    page.wait_for_function(
        f"m => {{ const r = {api}.getDisplayedRowAtIndex(0); return r && r.data && Math.abs(r.data.mape - m) < 1e-9; }}",
        arg=float(acc["mape"].max()), timeout=30_000)
    top = page.evaluate(f"() => {api}.getDisplayedRowAtIndex(0).data")
    assert top["key"] != "total::" and top["mape"] == pytest.approx(float(acc["mape"].max()))


def test_mark_all_shown_reviewed_reads_the_filters_on_the_server(new_page, server):
    page = new_page(server.url)
    page.goto("/data")
    page.wait_for_selector("#data-quality-grid .ag-row", timeout=60_000)
    assert page.evaluate("() => dash_ag_grid.getApi('data-quality-grid').getGridOption('rowModelType')") == "infinite"
    page.fill("#data-quality-search", "Forecast change")
    page.press("#data-quality-search", "Enter")
    page.wait_for_function("() => /· \\d+ shown/.test(document.querySelector('#data-quality-count').innerText)")
    page.wait_for_timeout(500)
    shown = int(page.inner_text("#data-quality-count").split("·")[1].split()[0])
    assert shown > 10  # more than the grid's first block would need to be paged
    page.fill("#data-quality-comment", "Forecast changes checked with sales")
    page.click("#data-quality-review-all")
    page.wait_for_selector("#data-quality-msg :text('marked reviewed')")
    assert f"{shown} entries marked reviewed" in page.inner_text("#data-quality-msg")
    with store_of(server) as store:
        stored = store.quality_log()
    done = stored[stored["comment"] == "Forecast changes checked with sales"]
    assert len(done) == shown


def test_the_supply_plan_grid_follows_an_edit(new_page, server):
    page = new_page(server.url)
    page.goto("/supply")
    page.wait_for_selector("#supply-plan-grid .ag-row", timeout=60_000)
    api = "dash_ag_grid.getApi('supply-plan-grid')"
    assert page.evaluate(f"() => {api}.getGridOption('rowModelType')") == "infinite"
    page.wait_for_function(f"() => !!({api}.getDisplayedRowAtIndex(0) || {{}}).data", timeout=30_000)
    family, month = "Electronics", page.evaluate(f"() => {api}.getDisplayedRowAtIndex(0).data.period")
    key = f"{family}|{month}"
    page.wait_for_function(f"k => !!({api}.getRowNode(k) || {{}}).data", arg=key, timeout=30_000)
    before = page.evaluate(f"k => {api}.getRowNode(k).data.regular", key)
    page.wait_for_function("() => !document.querySelector('._dash-loading-callback')")
    page.locator(f'#supply-capacity-grid .ag-row[row-id="family:{family}"] [col-id="{month}"]').first.click()
    page.keyboard.type("100")
    page.keyboard.press("Enter")
    page.wait_for_function(f"k => {{ const n = {api}.getRowNode(k); return n && n.data && n.data.regular <= 100.001; }}",
                           arg=key, timeout=30_000)
    assert before > 100  # the sample's capacity: the regular output fell to the new capacity


def test_rows_block_sorts_the_whole_table_then_cuts_the_block():
    frame = pd.DataFrame({"key": list("abcde"), "mape": [3.0, None, 9.0, 1.0, 5.0]})
    block = rows_block(frame, {"startRow": 0, "endRow": 2, "sortModel": [{"colId": "mape", "sort": "desc"}]})
    assert block["rowCount"] == 5 and [r["key"] for r in block["rowData"]] == ["c", "e"]
    tail = rows_block(frame, {"startRow": 3, "endRow": 10, "sortModel": [{"colId": "mape", "sort": "asc"}]})
    assert [r["key"] for r in tail["rowData"]] == ["c", "b"]  # a missing value last, as null
    assert tail["rowData"][1]["mape"] is None
    unknown = rows_block(frame, {"startRow": 1, "endRow": 3, "sortModel": [{"colId": "nope", "sort": "asc"}]})
    assert [r["key"] for r in unknown["rowData"]] == ["b", "c"]  # a column it does not have is not sorted on
