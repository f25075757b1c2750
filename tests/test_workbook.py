"""Plan workbook round trip: export for people, upload an edited copy as one audited change.

Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pandas as pd
import pytest

from services.plan_service import EditError, PlanService
from data.sample import sample_company
from data.store import ConflictError
from data.workbook import ORIGINAL_SHEET, WORKBOOK_REASON

from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str) -> Iterator[PlanService]:
    service = new_service(db_url)
    yield service
    service.store.engine.dispose()


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def find(ws, key: str, column: str) -> openpyxl.cell.Cell:  # noqa: ANN001
    """The cell of a wide sheet in the row whose first column is `key` and the column headed `column`."""
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value).lstrip("'") == key:
            return row[header.index(column)]
    raise KeyError(key)


def consensus(plan) -> pd.Series:  # noqa: ANN001
    return plan.consensus.set_index(["item_id", "period"])["consensus"]


def test_export_is_formatted_for_people(svc: PlanService) -> None:
    plan = svc.current_plan()
    wb = load(svc.export_workbook())
    assert wb.sheetnames == ["consensus", "capacity", "adjustments", "about", ORIGINAL_SHEET]
    assert wb[ORIGINAL_SHEET].sheet_state == "hidden"
    cons = wb["consensus"]
    assert [c.value for c in cons[1]] == ["item_id", "family", "description", *plan.horizon]
    assert cons.freeze_panes == "D2" and wb["capacity"].freeze_panes == "B2"
    assert cons["A1"].font.bold and cons["D2"].number_format == "#,##0"
    assert cons.max_row == 1 + 47
    assert find(cons, "ELC-101", "2026-03").value == pytest.approx(consensus(plan)[("ELC-101", "2026-03")])
    cap = plan.family_plan.set_index(["family", "period"])["capacity"]
    assert find(wb["capacity"], "Outdoor", "2026-06").value == cap[("Outdoor", "2026-06")]
    adj = wb["adjustments"]
    assert [c.value for c in adj[1]][:4] == ["when", "owner", "kind", "level"]
    assert adj.max_row == 1 + 7
    about = {r[0].value: r[1].value for r in wb["about"].iter_rows(min_row=2)}
    assert about["cycle"] == "2026-01" and about["revision"] == "0"
    # an untouched copy changes nothing
    changes = svc.preview_workbook(svc.export_workbook())
    assert changes.ok and changes.count == 0
    with pytest.raises(EditError, match="no changes"):
        svc.apply_workbook(changes, owner="dana")


def test_round_trip_two_cells_become_one_audited_change(svc: PlanService) -> None:
    before = svc.current_plan()
    wb = load(svc.export_workbook())
    find(wb["consensus"], "ELC-101", "2026-03").value = 1234
    find(wb["consensus"], "KIT-105", "2026-07").value = 0
    changes = svc.preview_workbook(save(wb))
    assert changes.ok and changes.count == 2 and changes.capacity.empty
    preview = changes.preview()
    assert preview[["sheet", "key", "period", "after"]].values.tolist() == [
        ["consensus", "ELC-101", "2026-03", 1234.0],
        ["consensus", "KIT-105", "2026-07", 0.0],
    ]
    c0 = consensus(before)
    assert preview["before"].tolist() == pytest.approx([c0[("ELC-101", "2026-03")], c0[("KIT-105", "2026-07")]])
    assert preview["change"].tolist() == pytest.approx([1234 - c0[("ELC-101", "2026-03")], -c0[("KIT-105", "2026-07")]])
    assert svc.state().revision == 0  # a preview stores nothing

    assert svc.apply_workbook(changes, owner="dana") == 1
    after = consensus(svc.current_plan())
    assert after[("ELC-101", "2026-03")] == 1234 and after[("KIT-105", "2026-07")] == 0
    rest = after.drop([("ELC-101", "2026-03"), ("KIT-105", "2026-07")])
    pd.testing.assert_series_equal(rest, c0.drop([("ELC-101", "2026-03"), ("KIT-105", "2026-07")]))
    audit = svc.audit_trail()
    mine = audit[audit["source"] == "workbook"]
    assert len(mine) == 2 and mine["batch_id"].nunique() == 1
    assert (mine["reason"] == WORKBOOK_REASON).all() and (mine["owner"] == "dana").all()
    assert (mine["type"] == "absolute").all() and sorted(mine["after"]) == [0.0, 1234.0]
    assert svc.undo(by="dana").startswith("undid 2 cells")
    pd.testing.assert_series_equal(consensus(svc.current_plan()), c0)


def test_capacity_cells_come_back_as_capacity_changes(svc: PlanService) -> None:
    wb = load(svc.export_workbook())
    demand = svc.current_plan().family_plan.set_index(["family", "period"])["demand"][("Kitchen", "2026-05")]
    find(wb["capacity"], "Kitchen", "2026-05").value = round(demand * 0.8)
    changes = svc.preview_workbook(save(wb))
    assert changes.adjustments.empty and changes.capacity[["family", "period", "after_value"]].values.tolist() == [
        ["Kitchen", "2026-05", round(demand * 0.8)]]
    svc.apply_workbook(changes, owner="sam")
    fp = svc.current_plan().family_plan.set_index(["family", "period"])
    assert fp.loc[("Kitchen", "2026-05"), "capacity"] == round(demand * 0.8)
    assert fp.loc[("Kitchen", "2026-05"), "status"] == "CONSTRAINED"
    top = svc.audit_trail().iloc[0]
    assert (top["kind"], top["reason"], top["source"], top["owner"]) == ("capacity", WORKBOOK_REASON, "workbook", "sam")


def test_bad_cells_are_refused_with_their_place_and_nothing_is_stored(svc: PlanService) -> None:
    wb = load(svc.export_workbook())
    ws = wb["consensus"]
    find(ws, "ELC-101", "2026-02").value = 500  # a good change in the same file: refused too
    bad = find(ws, "ELC-102", "2026-04")
    bad.value = "lots"
    unknown = find(ws, "APL-103", "item_id")
    unknown.value = "XYZ-999"
    find(ws, "OUT-101", "2026-05").value = -3
    empty = find(wb["capacity"], "Outdoor", "2026-02")
    empty.value = None
    changes = svc.preview_workbook(save(wb))
    assert not changes.ok and changes.count == 0
    assert [str(i) for i in changes.errors] == [
        f"capacity row {empty.row}, column 2026-02: the cell is empty; enter 0 for no units.",
        f"consensus row {unknown.row}, column item_id: “XYZ-999” is not in the plan.",
        f"consensus row {bad.row}, column 2026-04: “lots” is not a number.",
        f"consensus row {find(ws, 'OUT-101', '2026-05').row}, column 2026-05: -3 is negative; units cannot be "
        "below 0.",
    ]
    with pytest.raises(EditError, match=f"the workbook has errors, nothing was stored: capacity row {empty.row}"):
        svc.apply_workbook(changes, owner="dana")
    assert svc.state().revision == 0 and len(svc.audit_trail()) == 7
    # not a workbook at all
    junk = svc.preview_workbook(b"item_id,period\nA,2026-01\n")
    assert not junk.ok and str(junk.errors[0]).startswith("workbook: the file cannot be read as .xlsx")
    # a missing sheet and a renamed month
    wb = load(svc.export_workbook())
    del wb["capacity"]
    wb["consensus"]["D1"].value = "Jan 2026"
    msgs = [str(i) for i in svc.preview_workbook(save(wb)).errors]
    assert "capacity: the workbook has no sheet “capacity”." in msgs
    assert "consensus row 1, column 2026-01: required column(s) missing; download a fresh copy." in msgs


def test_formula_like_text_is_neutralised_on_export(svc: PlanService) -> None:
    data = sample_company()
    items = data.items.copy()
    items.loc[items["item_id"] == "APL-101", "description"] = "=SUM(A1)"
    items.loc[items["item_id"] == "APL-102", "description"] = "@foo"
    svc.store.save_dataset(data.with_(items=items), source="with formulas", user="admin")
    svc.apply_edit(level="item", key="APL-101", period="2026-02", text="+1", reason="+1", owner="-x")
    svc.apply_edit(level="item", key="APL-102", period="2026-02", text="7", reason="=SUM(A1)", owner="@foo")
    exported = svc.export_workbook()
    wb = load(exported)
    cons = wb["consensus"]
    assert find(cons, "APL-101", "description").value == "'=SUM(A1)"
    assert find(cons, "APL-102", "description").value == "'@foo"
    adj = wb["adjustments"]
    header = [c.value for c in adj[1]]
    rows = [[c.value for c in r] for r in adj.iter_rows(min_row=2)]
    owner, reason = header.index("owner"), header.index("reason")
    assert [r[owner] for r in rows[:2]] == ["'@foo", "'-x"]
    assert [r[reason] for r in rows[:2]] == ["'=SUM(A1)", "'+1"]
    for ws in wb.worksheets:  # no formula anywhere
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)
    # and the neutralised copy reads back unchanged
    assert svc.preview_workbook(exported).count == 0


def test_a_stale_copy_never_overwrites_someone_elses_change(svc: PlanService, db_url: str) -> None:
    other = new_service(db_url)
    copy = load(svc.export_workbook())  # dana downloads at revision 0
    other.apply_edit(level="item", key="ELC-101", period="2026-03", text="777", reason="order", owner="erik")
    other.apply_capacity_edits([{"family": "Outdoor", "period": "2026-02", "text": "+100"}], reason="", owner="sam")
    # dana changes one cell erik did not touch: only that cell is a change (erik's stays)
    find(copy["consensus"], "ELC-102", "2026-03").value = 42
    changes = svc.preview_workbook(save(copy))
    assert changes.ok and changes.preview()[["key", "period", "after"]].values.tolist() == [["ELC-102", "2026-03", 42]]
    svc.apply_workbook(changes, owner="dana")
    c = consensus(svc.current_plan())
    assert (c[("ELC-101", "2026-03")], c[("ELC-102", "2026-03")]) == (777, 42)
    # dana also changed erik's cell: a conflict, nothing stored
    find(copy["consensus"], "ELC-101", "2026-03").value = 1
    revision = svc.state().revision
    clash = svc.preview_workbook(save(copy))
    assert not clash.ok
    assert [str(i) for i in clash.errors][0].startswith(
        f"consensus row {find(copy['consensus'], 'ELC-101', '2026-03').row}, column 2026-03: someone else changed "
        "this cell since the copy was downloaded")
    assert "Download a fresh copy" in str(clash.errors[0])
    assert svc.state().revision == revision and consensus(svc.current_plan())[("ELC-101", "2026-03")] == 777
    # a preview made before someone else's change is refused when applied
    fresh = load(svc.export_workbook())
    find(fresh["consensus"], "ELC-103", "2026-03").value = 5
    pending = svc.preview_workbook(save(fresh))
    other.apply_edit(level="item", key="ELC-104", period="2026-03", text="5", reason="", owner="erik")
    with pytest.raises(ConflictError, match="someone else changed this plan"):
        svc.apply_workbook(pending, owner="dana")
    assert consensus(svc.current_plan())[("ELC-103", "2026-03")] != 5
    other.store.engine.dispose()


def test_without_the_hidden_sheet_changes_are_differences_from_the_plan(svc: PlanService) -> None:
    wb = load(svc.export_workbook())
    del wb[ORIGINAL_SHEET]
    find(wb["consensus"], "OUT-104", "2026-06").value = 321
    changes = svc.preview_workbook(save(wb))
    assert changes.ok and changes.preview()[["key", "after"]].values.tolist() == [["OUT-104", 321]]
