"""Named scenarios through the service: made with quick changes, compared, promoted to the draft cell by cell."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from services import scenario_plans
from services.edits import EditError
from services.plan_service import PlanService
from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str) -> Iterator[PlanService]:
    service = new_service(db_url)
    yield service
    service.store.engine.dispose()


def _second_shift(svc: PlanService, **kw) -> tuple[int, str, str]:
    plan = svc.current_plan()
    fp = plan.family_plan
    fam = fp.loc[fp["status"] == "CONSTRAINED", "family"].iloc[0] if (fp["status"] == "CONSTRAINED").any() \
        else fp["family"].iloc[0]
    start = plan.horizon[2]
    vid = scenario_plans.create("Second shift", by="admin", description="two shifts", service=svc,
                                capacity=[{"family": fam, "pct": 20, "start": start}], **kw)
    return vid, fam, start


def test_create_list_compare(svc: PlanService) -> None:
    draft_before = svc.state()
    vid, fam, start = _second_shift(svc, capacity_cost=3.0)
    assert svc.state().revision == draft_before.revision  # the draft is untouched
    listed = scenario_plans.list_scenarios(svc)
    assert [(s["name"], s["description"], s["owner"]) for s in listed] == [("Second shift", "two shifts", "admin")]
    assert "draft" in listed[0]["base"]
    base, scen = svc.current_plan(), svc.current_plan(vid)
    b = base.family_plan.set_index(["family", "period"])["capacity"]
    s = scen.family_plan.set_index(["family", "period"])["capacity"]
    for p in base.horizon:
        factor = 1.2 if p >= start else 1.0
        assert s[(fam, p)] == pytest.approx(b[(fam, p)] * factor)
    other = [f for f in b.index.get_level_values(0).unique() if f != fam]
    assert all(s[(o, p)] == pytest.approx(b[(o, p)]) for o in other for p in base.horizon)
    cmp = scenario_plans.compare([str(vid)], service=svc)
    assert [r["scenario"] for r in cmp.rows] == ["Base plan", "Second shift"]
    added = sum(b[(fam, p)] * 0.2 for p in base.horizon if p >= start)
    assert cmp.rows[1]["cost_capacity"] == pytest.approx(3.0 * added)
    assert cmp.recommended in {"Base plan", "Second shift"}
    assert cmp.reasons.startswith(cmp.recommended)
    fam_cmp = scenario_plans.compare([str(vid)], family=fam, service=svc)
    assert fam_cmp.rows[0]["demand"] == pytest.approx(base.family_plan.loc[base.family_plan["family"] == fam,
                                                                            "demand"].sum())
    with pytest.raises(EditError):
        scenario_plans.create("second shift", by="admin", service=svc)


def test_builtin_outlooks(svc: PlanService) -> None:
    sel = scenario_plans.default_selection(svc)
    assert sel == ["builtin:up", "builtin:down"]
    cmp = scenario_plans.compare(sel, service=svc)
    up, base, down = (next(r for r in cmp.rows if r["scenario"].startswith(k)) for k in ("Upside", "Base", "Downside"))
    assert up["demand"] > base["demand"] > down["demand"]
    assert cmp.recommended == "Base plan"  # outlooks are not choices


def test_promoted_draft_equals_the_scenario(svc: PlanService) -> None:
    plan = svc.current_plan()
    fam = plan.family_plan["family"].iloc[0]
    vid = scenario_plans.create("Push", by="admin", service=svc,
                                demand=[{"family": fam, "pct": 10, "start": plan.horizon[1], "end": plan.horizon[4]}],
                                capacity=[{"family": fam, "pct": 20, "start": plan.horizon[3]}],
                                settings={"cost_overtime": 12})
    # the draft moves after the scenario was made: promotion still makes it equal to the scenario
    svc.apply_edit(level="family", key=fam, period=plan.horizon[2], text="+5%", reason="late change", owner="admin")
    scen = svc.current_plan(vid)
    msg = scenario_plans.promote(vid, by="admin", service=svc)
    assert "promoted" in msg
    draft = svc.current_plan()
    pd.testing.assert_series_equal(draft.consensus.set_index(["item_id", "period"])["consensus"].sort_index(),
                                   scen.consensus.set_index(["item_id", "period"])["consensus"].sort_index(),
                                   check_exact=False, atol=1e-6)
    pd.testing.assert_series_equal(svc.effective_capacity().set_index(["family", "period", "resource"])
                                   ["capacity_units"].sort_index(),
                                   svc.company_data(vid).capacity.set_index(["family", "period", "resource"])
                                   ["capacity_units"].sort_index(), check_exact=False, atol=1e-6)
    assert svc.settings().cost_overtime == 12
    trail = svc.audit_trail()
    assert trail["reason"].astype(str).str.startswith("promoted from scenario Push").any()
    assert scenario_plans.list_scenarios(svc)[0]["promoted"].startswith("promoted by admin")
    # one change: undo reverts the whole promotion
    svc.undo(by="admin")
    assert svc.current_plan().consensus.set_index(["item_id", "period"])["consensus"][
        lambda s: s.index.get_level_values(1) == plan.horizon[1]].sum() != pytest.approx(
        scen.consensus.set_index(["item_id", "period"])["consensus"][
            lambda s: s.index.get_level_values(1) == plan.horizon[1]].sum())


def test_scenario_from_a_scenario_and_later_changes(svc: PlanService) -> None:
    plan = svc.current_plan()
    fam = plan.family_plan["family"].iloc[0]
    a = scenario_plans.create("A", by="admin", service=svc,
                              demand=[{"family": fam, "pct": 10, "start": plan.horizon[0], "end": plan.horizon[0]}])
    b = scenario_plans.create("B", by="admin", parent=a, service=svc,
                              demand=[{"family": fam, "pct": 10, "start": plan.horizon[0], "end": plan.horizon[0]}])
    listed = {s["name"]: s for s in scenario_plans.list_scenarios(svc)}
    assert listed["B"]["base"] == "A"
    d = {v: svc.current_plan(v).family_plan.set_index(["family", "period"])["demand"][(fam, plan.horizon[0])]
         for v in (None, a, b)}
    assert d[a] == pytest.approx(d[None] * 1.1) and d[b] == pytest.approx(d[None] * 1.21)
    # option costs of a scenario: its plan is recomputed with them, the draft's settings stay
    before = svc.state(a).revision
    text = scenario_plans.change(a, by="admin", settings={"cost_overtime": 99}, service=svc)
    assert "option costs" in text and svc.state(a).revision == before + 1
    assert svc.plan_settings(a).cost_overtime == 99 and svc.plan_settings().cost_overtime != 99
    cmp = scenario_plans.compare([str(a)], service=svc)
    ot = svc.current_plan(a).supply_plan["overtime"].sum()
    assert cmp.rows[1]["cost_overtime"] == pytest.approx(99 * ot)
    with pytest.raises(EditError):
        scenario_plans.change(a, by="admin", settings={"horizon": 3}, service=svc)
    with pytest.raises(EditError):
        scenario_plans.create("C", by="admin", service=svc, capacity=[{"family": "Nowhere", "pct": 5}])


def test_grid_edits_of_a_scenario_leave_the_draft_and_are_promoted(svc: PlanService) -> None:
    plan = svc.current_plan()
    fam, p = plan.family_plan["family"].iloc[0], plan.horizon[1]
    vid = scenario_plans.create("Grid", by="admin", service=svc)
    draft_rev = svc.state().revision
    svc.apply_edits([{"level": "family", "key": fam, "period": p, "text": "+10%"}], reason="what if", owner="admin",
                    version_id=vid)
    svc.apply_capacity_edits([{"family": fam, "period": p, "text": "+25%"}], reason="extra shift", owner="admin",
                             version_id=vid)
    assert svc.state().revision == draft_rev
    fp = plan.family_plan.set_index(["family", "period"])
    sfp = svc.current_plan(vid).family_plan.set_index(["family", "period"])
    assert sfp.loc[(fam, p), "demand"] == pytest.approx(fp.loc[(fam, p), "demand"] * 1.1)
    assert sfp.loc[(fam, p), "capacity"] == pytest.approx(fp.loc[(fam, p), "capacity"] * 1.25)
    with pytest.raises(EditError):
        svc.apply_edits([{"level": "family", "key": fam, "period": p, "text": "+1"}], reason="", owner="admin",
                        version_id=svc.state().version_id)
    scenario_plans.promote(vid, by="admin", service=svc)
    dfp = svc.current_plan().family_plan.set_index(["family", "period"])
    assert dfp.loc[(fam, p), "demand"] == pytest.approx(sfp.loc[(fam, p), "demand"])
    assert dfp.loc[(fam, p), "capacity"] == pytest.approx(sfp.loc[(fam, p), "capacity"])
    # the replayed grid edit keeps its own reason after the promotion's
    trail = svc.audit_trail()
    assert trail["reason"].astype(str).str.contains("promoted from scenario Grid: what if").any()


def test_price_change_and_outsourcing_cap_in_a_stored_scenario(svc: PlanService) -> None:
    """Price +10 % on a family from the first month: the scenario's revenue of that family is 10 % higher, the
    draft's is unchanged; an outsourcing cap of 0 leaves the scenario without outsourcing; both are compared."""
    plan = svc.current_plan()
    fam = plan.family_plan["family"].iloc[0]
    base_rev = plan.financials.groupby("family")["revenue_unconstrained"].sum()
    vid = scenario_plans.create("Dearer", by="admin", service=svc, settings={"outsource_cap_pct": 0},
                                prices=[{"level": "family", "key": fam, "type": "percentage", "value": 10}])
    scen = svc.current_plan(vid)
    # revenue before lost sales (demand × price): the outsourcing cap may move lost sales, the price alone moves this
    rev = scen.financials.groupby("family")["revenue_unconstrained"].sum()
    assert rev[fam] == pytest.approx(1.1 * base_rev[fam], rel=1e-6)
    assert rev.drop(fam).to_numpy() == pytest.approx(base_rev.drop(fam).to_numpy())
    assert scen.supply_plan["outsource"].sum() == pytest.approx(0)
    draft_rev = svc.current_plan().financials.groupby("family")["revenue_unconstrained"].sum()
    pd.testing.assert_series_equal(draft_rev, base_rev)
    cmp = scenario_plans.compare([str(vid)], service=svc)
    table = cmp.table.set_index("metric")
    assert float(table.loc["revenue", "Dearer Δ"]) > 0 and float(table.loc["cost_outsource", "Dearer"]) == 0
    # added later, and refused when wrong (nothing stored)
    text = scenario_plans.change(vid, by="admin", service=svc,
                                 prices=[{"level": "family", "key": fam, "type": "additive", "value": -1,
                                          "start": plan.horizon[2]}])
    assert f"on {fam} from {plan.horizon[2]}" in text
    assert len(svc.store.scenario_extras(vid)["prices"]) == 2
    with pytest.raises(EditError, match="no family"):
        scenario_plans.change(vid, by="admin", service=svc, prices=[{"key": "Nowhere", "value": 5}])
    with pytest.raises(EditError, match="100 %"):
        scenario_plans.change(vid, by="admin", service=svc, prices=[{"key": fam, "value": -100}])
    assert len(svc.store.scenario_extras(vid)["prices"]) == 2
    # a scenario made from it keeps its prices and cap
    child = scenario_plans.create("Dearer still", by="admin", service=svc, parent=vid)
    assert svc.plan_settings(child).outsource_cap_pct == 0
    assert len(svc.store.scenario_extras(child)["prices"]) == 2


def test_grid_edit_and_undo_inside_a_scenario_leave_the_draft(svc: PlanService) -> None:
    """An edit of a demand cell with a scenario being edited changes the scenario's consensus, not the draft's;
    undo in the scenario reverts that edit only (the draft's own later change stays, and the draft's undo
    never reaches into the scenario)."""
    plan = svc.current_plan()
    fam, p, q = plan.family_plan["family"].iloc[0], plan.horizon[1], plan.horizon[2]

    def fam_demand(vid, period):
        fp = svc.current_plan(vid).family_plan.set_index(["family", "period"])
        return float(fp.loc[(fam, period), "demand"])

    before_p, before_q = fam_demand(None, p), fam_demand(None, q)
    vid = scenario_plans.create("What if", by="admin", service=svc)
    svc.apply_edits([{"level": "family", "key": fam, "period": p, "text": "+10%"}], reason="scenario edit",
                    owner="admin", version_id=vid)
    assert fam_demand(vid, p) == pytest.approx(before_p * 1.1)
    assert fam_demand(None, p) == pytest.approx(before_p)
    # the draft gets its own change after the scenario's
    svc.apply_edits([{"level": "family", "key": fam, "period": q, "text": "+5%"}], reason="draft edit",
                    owner="admin")
    done = svc.undo(by="admin", kind="adjustment", version_id=vid)
    assert done.startswith("undid")
    assert fam_demand(vid, p) == pytest.approx(before_p)
    assert fam_demand(None, q) == pytest.approx(before_q * 1.05)  # the draft's change is untouched
    with pytest.raises(EditError, match="nothing.*to undo in this scenario"):
        svc.undo(by="admin", kind="adjustment", version_id=vid)  # the scenario's copied rows are not its changes
    svc.redo(by="admin", kind="adjustment", version_id=vid)
    assert fam_demand(vid, p) == pytest.approx(before_p * 1.1)
    svc.undo(by="admin", kind="adjustment")  # the draft's undo: its own change only
    assert fam_demand(None, q) == pytest.approx(before_q)
    assert fam_demand(vid, p) == pytest.approx(before_p * 1.1)
    with pytest.raises(EditError):
        svc.undo(by="admin", kind="adjustment", version_id=svc.state().version_id)
