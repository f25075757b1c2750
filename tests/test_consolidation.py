"""The defects of the consolidation issue, each with a test that failed on the landed product; on SQLite and on
PostgreSQL (TEST_DATABASE_URL) where the store is involved.

1. uploaded adjustments enter the plan at the upload's time (a later edit is applied after them);
2. settings belong to the data: an upload starts from the defaults plus its settings sheet, and the app gives
   the same figures as the headless command on the same input, cell by cell;
5. the permission check fails closed;
7. one conflict rule for demand and capacity edits: a stale view of the changed cells is refused, naming
   who changed them; edits to other cells go through.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.readers import load_company
from data.store import ConflictError
from planning.__main__ import main as cli
from planning.model import Settings
from services import permissions
from services.plan_service import EditError, PlanService
from services.uploads import settings_for_upload
from tests.store_fixtures import new_service

SEED = Path(__file__).resolve().parent / "fixtures" / "seed-example"


@pytest.fixture
def svc(db_url: str) -> Iterator[PlanService]:
    service = new_service(db_url)
    yield service
    service.store.engine.dispose()


def upload(svc: PlanService, source: Path, keep: bool = False) -> None:
    """What services.uploads.upload_files does, on this test's service."""
    data, issues = load_company(source)
    assert data is not None, issues
    settings, origin = settings_for_upload(data, svc.settings(), keep)
    svc.store.save_dataset(data, source=source.name, user="admin", settings=settings, settings_source=origin)


def family_cell(plan, family: str, period: str) -> float:
    c = plan.consensus
    return float(c.loc[(c["family"] == family) & (c["period"] == period), "consensus"].sum())


# ---------------------------------------------------------------------------- 1. adjustments from a file


def test_a_file_adjustment_without_time_enters_the_plan_at_the_upload(svc: PlanService, tmp_path: Path) -> None:
    folder = tmp_path / "no-times"
    shutil.copytree(SEED, folder)
    adj = pd.read_csv(folder / "adjustments.csv").drop(columns="created_at")
    adj.to_csv(folder / "adjustments.csv", index=False)
    upload(svc, folder)
    stored = svc.store.list_adjustments()
    info = svc.store.dataset_info()
    assert stored["created_at"].notna().all()
    assert (stored["created_at"] == pd.Timestamp(info["created_at"])).all()  # the upload's time, file order kept
    assert family_cell(svc.current_plan(), "Electronics", "2025-01") == pytest.approx(11_000)  # +10 %
    svc.apply_edits([{"level": "family", "key": "Electronics", "period": "2025-01", "text": "12000"}],
                    reason="agreed with sales", owner="dana")
    assert family_cell(svc.current_plan(), "Electronics", "2025-01") == pytest.approx(12_000)  # not 13,200
    edit = svc.audit_trail().iloc[0]
    assert (edit["before"], edit["after"]) == (pytest.approx(11_000), pytest.approx(12_000))


# ---------------------------------------------------------------------------- 2. settings belong to the data


def with_settings(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    folder = tmp_path / "company"
    shutil.copytree(SEED, folder)
    pd.DataFrame(rows, columns=["name", "value"]).to_csv(folder / "settings.csv", index=False)
    return folder


def test_an_upload_starts_from_the_defaults_not_the_previous_company(svc: PlanService) -> None:
    assert svc.settings().safety_stock_floor  # the sample company's own setting
    upload(svc, SEED)
    assert svc.settings() == Settings()
    assert svc.store.settings_info()["source"] == "defaults (the upload has no settings sheet)"
    sp = svc.current_plan().supply_plan.set_index(["family", "period"])
    assert sp.loc[("Electronics", "2025-01"), "overtime"] == pytest.approx(1_000)
    assert sp.loc[("Electronics", "2025-01"), "outsource"] == pytest.approx(0)
    assert sp.loc[("Electronics", "2025-01"), "cost"] == pytest.approx(15_000)


def test_the_settings_sheet_and_keep_current(svc: PlanService, tmp_path: Path) -> None:
    folder = with_settings(tmp_path, [("cost_overtime", "12"), ("safety_stock_floor", "true"),
                                      ("target_mape_high", "25")])
    upload(svc, folder)
    s = svc.settings()
    assert (s.cost_overtime, s.safety_stock_floor, s.targets["mape"].high) == (12.0, True, 25.0)
    assert s.cost_outsource == Settings().cost_outsource  # the rest from the defaults
    assert svc.store.settings_info()["source"] == "the upload's settings sheet"
    upload(svc, SEED, keep=True)  # "keep the current settings"
    assert svc.settings() == s and svc.store.settings_info()["source"] == "kept from the previous data"


def test_a_bad_settings_row_is_refused_with_its_cell(tmp_path: Path) -> None:
    folder = with_settings(tmp_path, [("cost_overtime", "cheap"), ("overtime_pct", "150"), ("colour", "red")])
    data, issues = load_company(folder)
    assert data is None
    assert [str(i) for i in issues] == [
        "settings row 2, column value: cost_overtime: “cheap” is not a number.",
        "settings row 3, column value: overtime_pct (% of capacity) must be between 0 and 100; it is 150.",
        "settings row 4, column name: unknown setting “colour” (known: safety_days, overtime_pct, cost_overtime, "
        "cost_outsource, cost_holding, cost_lost_sales, scenario_pct, mom_change_pct, …, "
        "target_<kpi>_low / _high).",
    ]


def test_the_app_and_the_headless_command_agree_cell_by_cell(svc: PlanService, tmp_path: Path) -> None:
    folder = with_settings(tmp_path, [("cost_holding", "4"), ("safety_stock_floor", "true"),
                                      ("safety_days", "20")])
    assert cli(["compute", str(folder), "--out", str(tmp_path / "out")]) == 0
    upload(svc, folder)
    plan = svc.current_plan()
    keys = {"consensus": ["item_id", "period"], "family_plan": ["family", "period"],
            "supply_plan": ["family", "period"], "financials": ["family", "period"],
            "inventory": ["family", "period"]}
    for name, on in keys.items():
        written = pd.read_csv(tmp_path / "out" / f"{name}.csv")
        app = getattr(plan, name)
        numbers = [c for c in written.columns if c not in on and pd.api.types.is_numeric_dtype(written[c])
                   and c in app.columns]
        both = written.merge(app, on=on, suffixes=("_cli", "_app"))
        assert len(both) == len(written) == len(app), name
        for c in numbers:
            np.testing.assert_allclose(both[f"{c}_cli"].astype(float), both[f"{c}_app"].astype(float),
                                       rtol=1e-9, atol=1e-5, err_msg=f"{name}.{c}")


# ---------------------------------------------------------------------------- 5. permissions fail closed


def test_the_permission_check_refuses_when_the_user_lookup_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_name: str):  # noqa: ANN202
        raise RuntimeError("database is locked")

    monkeypatch.setattr(permissions, "stored_user", broken)
    with pytest.raises(permissions.NotAllowed, match="could not be checked"):
        permissions.authorize("upload", {"username": "admin", "role": "admin"})


def test_the_role_comes_from_the_store_not_the_session(svc: PlanService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(permissions, "stored_user", lambda name: {"username": name, "role": "executive"}
                        if name == "erin" else None)
    with pytest.raises(permissions.NotAllowed, match="erin \\(Executive\\) may not upload data"):
        permissions.authorize("upload", {"username": "erin", "role": "admin"})  # a forged role in the cookie
    with pytest.raises(permissions.NotAllowed, match="no longer exists"):
        permissions.authorize("approve", {"username": "ghost", "role": "admin"})
    with pytest.raises(permissions.NotAllowed, match="Unknown action"):
        permissions.authorize("drop_tables", {"username": "erin"})
    assert permissions.authorize("approve", {"username": "erin"})["role"] == "executive"


# ---------------------------------------------------------------------------- 7. one conflict rule


def view(svc: PlanService) -> dict:
    st = svc.state()
    return {"version": st.version_id, "revision": st.revision}


def test_demand_edits_on_a_stale_view_of_the_same_cells_are_refused(svc: PlanService) -> None:
    plan = svc.current_plan()
    month, other = plan.horizon[0], plan.horizon[1]
    seen = view(svc)  # both planners loaded the grid here
    svc.apply_edits([{"level": "item", "key": "ELC-101", "period": month, "text": "500"}], reason="",
                    owner="dana", seen=seen)
    # another cell, typed on the same (now older) view: goes through
    svc.apply_edits([{"level": "item", "key": "KIT-101", "period": month, "text": "+5%"}], reason="",
                    owner="erik", seen=seen)
    # the same item, or its family (which moves the item): refused, naming dana
    for cell in ({"level": "item", "key": "ELC-101", "period": month, "text": "600"},
                 {"level": "family", "key": "Electronics", "period": month, "text": "+1%"}):
        with pytest.raises(ConflictError, match=r"ELC-101 \d{4}-\d\d by dana at .* \(set to 500\)"):
            svc.apply_edits([cell], reason="", owner="erik", seen=seen)
    # the family in another month is another cell
    svc.apply_edits([{"level": "family", "key": "Electronics", "period": other, "text": "+1%"}], reason="",
                    owner="erik", seen=seen)
    assert consensus_of(svc, "ELC-101", month) == pytest.approx(500)


def consensus_of(svc: PlanService, item: str, period: str) -> float:
    c = svc.current_plan().consensus
    return float(c.loc[(c["item_id"] == item) & (c["period"] == period), "consensus"].iloc[0])


def test_capacity_edits_follow_the_same_rule_and_undo_acts_on_ones_own_kind(svc: PlanService) -> None:
    plan = svc.current_plan()
    month = plan.horizon[0]
    seen = view(svc)
    svc.apply_capacity_edits([{"family": "Kitchen", "period": month, "text": "13579"}], reason="", owner="sam",
                             seen=seen)
    with pytest.raises(ConflictError, match="capacity Kitchen .* by sam"):
        svc.apply_capacity_edits([{"family": "Kitchen", "period": month, "text": "+10%"}], reason="",
                                 owner="admin", seen=seen)
    svc.apply_capacity_edits([{"family": "Outdoor", "period": month, "text": "+10%"}], reason="", owner="admin",
                             seen=seen)  # another family-month: fine
    svc.apply_edits([{"level": "item", "key": "ELC-101", "period": month, "text": "700"}], reason="", owner="dana")
    # dana's undo on /demand undoes her adjustment, never sam's capacity change
    assert svc.undo(by="dana", kind="adjustment", others=False).startswith("undid ELC-101")
    fp = svc.current_plan().family_plan.set_index(["family", "period"])
    assert fp.loc[("Kitchen", month), "capacity"] == pytest.approx(13_579)
    with pytest.raises(Exception, match="nothing"):
        svc.undo(by="dana", kind="adjustment", others=False)
    # sam may not undo the administrator's capacity change, only his own
    assert "Kitchen" in svc.undo(by="sam", kind="capacity", others=False)


def test_an_undo_after_the_view_is_a_change_of_those_cells(svc: PlanService) -> None:
    month = svc.current_plan().horizon[0]
    svc.apply_edits([{"level": "item", "key": "ELC-101", "period": month, "text": "500"}], reason="", owner="dana")
    seen = view(svc)  # erik's grid shows 500
    svc.undo(by="dana", kind="adjustment", others=False)
    with pytest.raises(ConflictError, match=r"ELC-101 .* by dana at .* \(undo of set to 500\)"):
        svc.apply_edits([{"level": "item", "key": "ELC-101", "period": month, "text": "+10%"}], reason="",
                        owner="erik", seen=seen)


# ---------------------------------------------------------------------------- versions (the meeting issue)


def test_after_approval_an_edit_opens_the_next_draft_and_the_approved_version_stays(svc: PlanService) -> None:
    from services.versions import compare

    def figures(version_id: int) -> pd.DataFrame:
        fp = svc.current_plan(version_id).family_plan
        return fp[["family", "period", "demand", "capacity", "gap"]]

    month = svc.current_plan().horizon[2]
    seen = view(svc)  # a planner's grid on the draft, before the approval
    approved_id = svc.approve(by="erin")
    state = svc.state()
    assert state.version_id == approved_id and state.status == "approved"  # reading opens no draft
    before = figures(approved_id)
    svc.apply_edits([{"level": "item", "key": "ELC-101", "period": month, "text": "+250"}], reason="", owner="dana",
                    seen=seen)
    draft = svc.state()
    assert draft.status == "draft" and draft.version_id != approved_id
    assert svc.store.get_version(draft.version_id)["parent_id"] == approved_id
    assert svc.store.get_version(draft.version_id)["number"] == svc.store.get_version(approved_id)["number"] + 1
    pd.testing.assert_frame_equal(figures(approved_id), before)  # version N is unchanged
    diff = compare(figures(approved_id), figures(draft.version_id))
    changed = diff[diff["changed"]]
    assert list(zip(changed["family"], changed["period"])) == [("Electronics", month)]
    assert changed["demand_diff"].iloc[0] == pytest.approx(250) and changed["gap_diff"].iloc[0] == pytest.approx(-250)
    svc.approve(by="erin")
    with pytest.raises(EditError, match="already approved"):
        svc.approve(by="erin")


def test_approval_adds_the_cycles_point_to_the_kpi_history(svc: PlanService) -> None:
    plan = svc.current_plan()
    before = svc.store.kpi_history()
    svc.approve(by="erin")
    history = svc.store.kpi_history()
    cycle = svc.store.current_cycle()["period"]
    point = history[history["cycle_period"] == cycle].set_index("name")["value"]
    assert len(history) == len(before) + len(plan.kpis)
    assert point["mape"] == pytest.approx(plan.kpis["mape"]["value"])
    assert point["capacity_utilization"] == pytest.approx(plan.kpis["capacity_utilization"]["value"])
