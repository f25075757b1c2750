"""Closing a cycle and starting the next from the month's actuals (services.cycle_close, planning.rollover), on
SQLite and PostgreSQL: the closed cycle is read only, bad actuals change nothing and are named by sheet, row
and column, good ones roll the plan forward one month with open actions carried and last month's approved
plan as the new cycle's "vs last month"."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from data.sample_actuals import example_actuals
from data.store import ConflictError
from planning.rollover import rolled_opening_inventory, roll_capacity
from services import cycle_close, permissions
from services.dashboard import previous_approved_plan
from services.edits import EditError
from services.plan_service import PlanService
from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlanService]:
    service = new_service(db_url)
    monkeypatch.setattr("services.plan_service._service", service)
    monkeypatch.setenv("SOP_AUTO_FORECAST", "0")
    yield service
    service.store.engine.dispose()


def _csv(df: pd.DataFrame) -> bytes:
    return df[["item_id", "period", "actual_units"]].to_csv(index=False).encode()


def test_close_needs_an_approved_plan_and_then_the_cycle_is_read_only(svc: PlanService):
    cycle = svc.store.current_cycle()
    with pytest.raises(EditError, match=r"cannot close yet: approve the plan \(draft v1\) first"):
        cycle_close.close_cycle(by="fay")
    assert svc.store.current_cycle()["status"] == "open"

    svc.approve(by="erin")
    closed = cycle_close.close_cycle(by="fay")
    assert closed == {"period": cycle["period"], "next": "2026-02", "version_id": closed["version_id"]}
    row = svc.store.current_cycle()
    assert (row["status"], row["closed_by"]) == ("closed", "fay") and row["closed_at"] is not None
    revision = svc.state().revision
    with pytest.raises(ConflictError, match="cycle 2026-01 is closed and read only: upload the actuals of 2026-01"):
        svc.apply_edit(level="family", key="Kitchen", period="2026-03", text="100", reason="r", owner="dana")
    with pytest.raises(EditError, match="already approved"):
        svc.approve(by="erin")
    with pytest.raises(EditError, match="is closed"):
        cycle_close.close_cycle(by="fay")
    assert svc.state().revision == revision


def test_bad_actuals_are_named_and_change_nothing(svc: PlanService):
    svc.approve(by="erin")
    cycle_close.close_cycle(by="fay")
    cycles_before = len(svc.store.list_cycles())
    bad = b"item_id,period,actual_units\nNOPE-1,2026-01,5\nKIT-101,2025-12,3\nKIT-102,2026-01,-1\nKIT-103,2026-01,x\n"
    result = cycle_close.upload_month_actuals({"history.csv": bad}, user="fay")
    assert not result.stored
    shown = [str(i) for i in result.issues]
    assert "history row 2, column item_id: unknown item “NOPE-1” (not in the company's items)." in shown
    assert any(s.startswith("history row 3, column period: “2025-12” is not 2026-01") for s in shown)
    assert any(s.startswith("history row 4, column actual_units:") and "negative" in s for s in shown)
    assert any(s.startswith("history row 5, column actual_units:") for s in shown)
    missing = cycle_close.upload_month_actuals({"capacity.csv": b"family,period,capacity_units\n"}, user="fay")
    assert not missing.stored and "the actuals of 2026-01 are missing" in str(missing.issues[0])
    assert len(svc.store.list_cycles()) == cycles_before
    assert svc.store.current_cycle()["status"] == "closed"


def test_actuals_of_an_open_cycle_are_refused(svc: PlanService):
    result = cycle_close.upload_month_actuals({"history.csv": b"item_id,period,actual_units\nKIT-101,2026-01,1\n"},
                                              user="fay")
    assert not result.stored and "cycle 2026-01 is still open: close it on 5 Meeting" in str(result.issues[0])


def test_actuals_roll_the_plan_forward_one_month(svc: PlanService):
    old_version = svc.approve(by="erin")
    old_plan = svc.current_plan(old_version)
    old_data = svc.store.load_company(old_version)
    svc.store.add_action({"description": "Confirm overtime with the plant", "owner": "sam", "status": "open"})
    svc.store.add_action({"description": "Send the minutes", "owner": "fay", "status": "done"})
    started = svc.store.list_actions()  # the sample's own carried actions and the two above
    still_open = started[started["status"] != "done"]
    roots = set(still_open["carried_from"].fillna(still_open["id"]).astype(int))
    kpi_cycles_before = svc.store.kpi_history()["cycle_period"].nunique()
    cycle_close.close_cycle(by="fay")

    actuals = example_actuals(old_data.history, "2026-01")
    actuals = actuals[actuals["item_id"] != "KIT-112"]  # an item without sales in the extract
    result = cycle_close.upload_month_actuals({"history.csv": _csv(actuals)}, user="fay")
    assert result.stored, [str(i) for i in result.issues]
    assert result.cycle == "2026-02"
    assert any("no actuals for 1 item(s) in 2026-01 (KIT-112)" in n for n in result.notes)
    assert any(n.startswith("capacity for 2027-07 copied from 2027-06") for n in result.notes)

    cycle = svc.store.current_cycle()
    assert (cycle["period"], cycle["status"]) == ("2026-02", "open")
    new = svc.store.load_company()
    plan = svc.current_plan()
    assert plan.horizon[0] == "2026-02" and plan.horizon[-1] == "2027-07" and len(plan.horizon) == 18
    got = new.history[new.history["period"] == "2026-01"].set_index("item_id")["actual_units"]
    assert got["KIT-112"] == 0.0
    first = actuals.iloc[0]
    assert got[first["item_id"]] == first["actual_units"]

    # opening inventory: opening + the family's planned supply of 2026-01 split by consensus share − actual
    item = "ELC-101"
    items = old_data.items.set_index("item_id")
    fam = items.loc[item, "family"]
    cons = old_plan.consensus[(old_plan.consensus["period"] == "2026-01")]
    fam_cons = cons.merge(old_data.items[["item_id", "family"]], on="item_id", suffixes=("", "_i"))
    share = (cons.set_index("item_id").loc[item, "consensus"]
             / fam_cons[fam_cons["family"] == fam]["consensus"].sum())
    sp = old_plan.supply_plan.set_index(["family", "period"]).loc[(fam, "2026-01")]
    made = sp["regular"] + sp["overtime"] + sp["outsource"]
    sold = actuals.set_index("item_id").loc[item, "actual_units"]
    expected = max(0.0, items.loc[item, "opening_inventory"] + made * share - sold)
    assert new.items.set_index("item_id").loc[item, "opening_inventory"] == pytest.approx(expected, abs=1e-6)

    # capacity: months ahead as approved, the new last month copied from the one before
    cap = new.capacity.groupby(["family", "period"])["capacity_units"].sum()
    old_cap = old_data.capacity.groupby(["family", "period"])["capacity_units"].sum()
    assert cap[("Kitchen", "2026-05")] == old_cap[("Kitchen", "2026-05")]
    assert cap[("Kitchen", "2027-07")] == old_cap[("Kitchen", "2027-06")]
    assert "2026-01" not in set(new.capacity["period"])

    # adjustments of the approved plan for months ahead carry over, earlier ones do not
    old_adj = old_data.adjustments
    assert len(new.adjustments) == int((old_adj["period"] >= "2026-02").sum()) > 0
    assert (new.adjustments["period"] >= "2026-02").all()

    # open actions carried (the original named), done ones not
    acts = svc.store.list_actions()
    assert set(acts["carried_from"].astype(int)) == roots  # each names the original, however far back
    assert "Confirm overtime with the plant" in set(acts["description"])
    assert "Send the minutes" not in set(acts["description"])
    assert result.carried == len(still_open) == len(acts)

    # last month's approved plan is the new cycle's "vs last month"
    previous = previous_approved_plan(svc.store.plan_snapshots(), "2026-02")
    snap = svc.store.plan_snapshots()
    approved_jan = snap[snap["version_id"] == old_version]
    assert previous is not None and len(previous) == len(approved_jan)
    assert np.allclose(np.sort(previous["consensus"].to_numpy()), np.sort(approved_jan["consensus"].to_numpy()))

    # the new cycle's approval adds its point to the KPI history
    svc.approve(by="erin")
    assert svc.store.kpi_history()["cycle_period"].nunique() == kpi_cycles_before + 1


def test_rolled_capacity_takes_given_rows_and_copies_the_missing_month():
    cap = pd.DataFrame({"family": ["A", "A", "A"], "period": ["2026-01", "2026-02", "2026-03"],
                        "resource": "", "capacity_units": [10.0, 20.0, 30.0], "overtime_pct": np.nan})
    given = pd.DataFrame({"family": ["A"], "period": ["2026-03"], "resource": [""], "capacity_units": [35.0],
                          "overtime_pct": [np.nan]})
    out, notes = roll_capacity(cap, ["2026-02", "2026-03", "2026-04"], given)
    assert out.set_index("period")["capacity_units"].to_dict() == {"2026-02": 20.0, "2026-03": 35.0, "2026-04": 35.0}
    assert notes == ["capacity for 2026-04 copied from 2026-03 (A); upload capacity rows or change it on 3 Supply"]


def test_opening_inventory_after_the_month_is_never_negative_and_splits_by_consensus():
    items = pd.DataFrame({"item_id": ["a", "b", "c"], "family": ["F", "F", "G"],
                          "opening_inventory": [10.0, 0.0, 5.0]})
    cons = pd.DataFrame({"item_id": ["a", "b", "c"], "period": "M", "consensus": [30.0, 10.0, 0.0]})
    supply = pd.DataFrame({"family": ["F", "G"], "period": "M", "regular": [40.0, 4.0], "overtime": [8.0, 0.0],
                           "outsource": [0.0, 0.0]})
    sold = pd.DataFrame({"item_id": ["a", "b", "c"], "actual_units": [50.0, 5.0, 2.0]})
    got = rolled_opening_inventory(items, cons, supply, sold, "M")
    # a: 10 + 48 × 0.75 − 50 = -4 -> 0; b: 0 + 48 × 0.25 − 5 = 7; c: family G has no consensus: all of it, 5 + 4 − 2
    assert got.to_dict() == {"a": 0.0, "b": 7.0, "c": 7.0}


@pytest.mark.parametrize("role", sorted(permissions.ROLE_LABELS))
def test_who_may_close_the_cycle(role: str):
    assert permissions.may(role, "close_cycle") == (role in {"facilitator", "admin"})
