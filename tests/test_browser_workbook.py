"""The plan workbook round trip in a real browser: download the plan as .xlsx, change two consensus cells with
openpyxl, upload the copy, read the preview, accept, and read the new consensus back from the plan and the
dashboard. A copy with text in a month cell is refused with the cell's location and changes nothing."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import shot, table_cell

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(app_server):
    """A PlanService on the session app's database (the test reads and writes what the app sees). The app
    runs without automatic forecast runs (tests/conftest.py), so no run lands and moves the plan meanwhile."""
    from services.plan_service import PlanService
    from data.store import Store, make_engine

    engine = make_engine(f"sqlite:///{app_server.workdir}/sop.db")
    svc = PlanService(Store(engine))
    yield svc
    engine.dispose()


def download(page, service, tmp_path):
    page.goto("/data")
    page.wait_for_selector("#workbook-download-btn")
    with page.expect_download() as info:
        page.click("#workbook-download-btn")
    dl = info.value
    context = service.plan_context()
    assert dl.suggested_filename == f"sop-plan-{context['cycle']['period']}-v{context['version']['number']}.xlsx"
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    return path


def month_columns(ws) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value and str(c.value)[:2] == "20"}


def upload(page, path):
    page.set_input_files("#workbook-upload input[type=file]", str(path))


def consensus_of(plan, item, period) -> float:
    c = plan.consensus
    return float(c.loc[(c["item_id"] == item) & (c["period"] == period), "consensus"].iloc[0])


def test_download_edit_upload_accept(page, service, tmp_path):
    plan0 = service.current_plan()
    items = plan0.consensus.drop_duplicates("item_id").sort_values(["family", "item_id"])
    # a reason that a spreadsheet would run as a formula: the export must keep it as text
    marker_item = str(items["item_id"].iloc[-1])
    service.apply_edit(level="item", key=marker_item, period=plan0.horizon[-1], text="+1",
                       reason="=HYPERLINK(\"http://example.com\")", owner="tester")
    plan0 = service.current_plan()
    rev0 = service.state().revision

    path = download(page, service, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert {"consensus", "capacity", "adjustments", "about"} <= set(wb.sheetnames)
    ws = wb["consensus"]
    assert ws.freeze_panes == "D2"
    assert [c.value for c in ws[1]][:3] == ["item_id", "family", "description"]
    months = month_columns(ws)
    assert list(months) == plan0.horizon
    assert ws.cell(row=2, column=months[plan0.horizon[0]]).number_format == "#,##0"
    reasons = [c.value for c in wb["adjustments"][1]]
    col = reasons.index("reason") + 1
    texts = [wb["adjustments"].cell(row=r, column=col).value for r in range(2, wb["adjustments"].max_row + 1)]
    assert "'=HYPERLINK(\"http://example.com\")" in texts  # neutralised, not a formula

    # two consensus cells of two items in the first two months (both on the dashboard)
    p1, p2 = plan0.horizon[0], plan0.horizon[1]
    item1, item2 = str(ws.cell(row=2, column=1).value), str(ws.cell(row=3, column=1).value)
    old1, old2 = consensus_of(plan0, item1, p1), consensus_of(plan0, item2, p2)
    new1, new2 = float(round(old1) + 250), float(max(0, round(old2) - 120))
    ws.cell(row=2, column=months[p1]).value = new1
    ws.cell(row=3, column=months[p2]).value = new2
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)

    page.goto("/")
    fam1 = str(ws.cell(row=2, column=2).value)
    fam2 = str(ws.cell(row=3, column=2).value)
    before_fam1 = float(table_cell(page, "dash-demand-table", fam1, p1)[1])
    before_fam2 = float(table_cell(page, "dash-demand-table", fam2, p2)[1])

    page.goto("/data")
    upload(page, edited)
    page.wait_for_selector("#workbook-preview-table")
    rows = page.locator("#workbook-preview-table tbody tr")
    assert rows.count() == 2
    keys = {rows.nth(i).get_attribute("data-key") for i in range(2)}
    assert keys == {f"consensus|{item1}|{p1}", f"consensus|{item2}|{p2}"}
    for item, period, old, new in ((item1, p1, old1, new1), (item2, p2, old2, new2)):
        key = f"consensus|{item}|{period}"
        assert float(table_cell(page, "workbook-preview-table", key, "before")[1]) == pytest.approx(old)
        assert float(table_cell(page, "workbook-preview-table", key, "after")[1]) == pytest.approx(new)
        assert table_cell(page, "workbook-preview-table", key, "kind")[0] == "Consensus (item)"
    assert service.state().revision == rev0  # a preview stores nothing
    shot(page, "workbook-preview-1920")

    page.click("#workbook-accept")
    applied = page.wait_for_selector("#workbook-applied")
    assert "2 changes applied" in applied.inner_text()
    assert page.locator("#workbook-preview-table").count() == 0

    # the plan: both cells set, one new revision, audited with the reason "workbook upload"
    assert service.state().revision == rev0 + 1
    plan1 = service.current_plan()
    assert consensus_of(plan1, item1, p1) == pytest.approx(new1)
    assert consensus_of(plan1, item2, p2) == pytest.approx(new2)
    audit = service.audit_trail()
    mine = audit[audit["reason"] == "workbook upload"]
    assert set(zip(mine["key"], mine["period"])) == {(item1, p1), (item2, p2)}
    assert set(mine["owner"]) == {"admin"}

    # the dashboard shows the new family totals
    page.goto("/")
    after_fam1 = float(table_cell(page, "dash-demand-table", fam1, p1)[1])
    after_fam2 = float(table_cell(page, "dash-demand-table", fam2, p2)[1])
    fp = plan1.consensus.groupby(["family", "period"])["consensus"].sum()
    assert after_fam1 == pytest.approx(fp[(fam1, p1)])
    assert after_fam2 == pytest.approx(fp[(fam2, p2)])
    if (fam1, p1) != (fam2, p2):
        assert after_fam1 - before_fam1 == pytest.approx(new1 - old1, abs=0.01)
        assert after_fam2 - before_fam2 == pytest.approx(new2 - old2, abs=0.01)


def test_text_in_a_month_cell_is_refused_and_changes_nothing(page, service, tmp_path):
    path = download(page, service, tmp_path)
    state0 = service.state()
    plan0 = service.current_plan()
    wb = openpyxl.load_workbook(path)
    ws = wb["consensus"]
    months = month_columns(ws)
    period = plan0.horizon[-1]
    ws.cell(row=3, column=months[period]).value = "abc"
    ws.cell(row=2, column=months[plan0.horizon[0]]).value = 123456  # a valid change in the same file
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)

    upload(page, bad)
    refused = page.wait_for_selector("#workbook-refused")
    assert "Nothing was changed" in refused.inner_text()
    rows = page.locator("#workbook-issues-table tbody tr")
    located = [tuple(rows.nth(i).locator(f'td[data-col="{c}"]').inner_text().strip()
                     for c in ("sheet", "row", "column", "message")) for i in range(rows.count())]
    assert ("consensus", "3", period, "\u201cabc\u201d is not a number.") in located
    assert page.locator("#workbook-actions").is_hidden()
    assert page.locator("#workbook-preview-table").count() == 0
    shot(page, "workbook-refused-1920")
    assert service.state() == state0
    assert service.current_plan().consensus["consensus"].sum() == pytest.approx(plan0.consensus["consensus"].sum())


def test_discard_and_conflict_store_nothing(new_page, app_server, service, tmp_path):
    page = new_page(app_server.url, "1366")
    path = download(page, service, tmp_path)
    plan0 = service.current_plan()
    wb = openpyxl.load_workbook(path)
    ws = wb["consensus"]
    months = month_columns(ws)
    ws.cell(row=2, column=months[plan0.horizon[-1]]).value = 4321
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    rev0 = service.state().revision

    upload(page, edited)
    page.wait_for_selector("#workbook-preview-table")
    shot(page, "workbook-preview-1366")
    page.click("#workbook-discard")
    page.wait_for_selector("#workbook-discarded")
    assert service.state().revision == rev0

    # previewed, then someone else changes the plan: accepting is refused, nothing of the copy is stored
    upload(page, edited)
    page.wait_for_selector("#workbook-preview-table")
    item = str(ws.cell(row=3, column=1).value)
    service.apply_edit(level="item", key=item, period=plan0.horizon[0], text="+5", reason="meanwhile",
                       owner="someone")
    page.click("#workbook-accept")
    page.wait_for_selector("#workbook-conflict")
    assert service.state().revision == rev0 + 1
    c = service.current_plan().consensus
    key = str(ws.cell(row=2, column=1).value)
    assert float(c.loc[(c["item_id"] == key) & (c["period"] == plan0.horizon[-1]), "consensus"].iloc[0]) != 4321
