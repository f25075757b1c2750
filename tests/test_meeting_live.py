"""The live meeting's rules (services.meeting_live): the per-cycle agenda (seeded lazily, edited with clear
refusals), the stored timer (accumulates, one item at a time, survives re-reading), decisions with money computed
from the plan, approval recorded as a decision, what changed since the start, and carried actions in the minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from services import meeting_live as live
from services import minutes
from services.edits import EditError
from services.meeting import AGENDA
from services.plan_service import PlanService
from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlanService]:
    service = new_service(db_url)
    for where in ("services.meeting_live.get_service", "services.minutes.get_service",
                  "services.versions.get_service", "services.meeting.get_service"):
        monkeypatch.setattr(where, lambda: service)
    yield service
    service.store.engine.dispose()


def keys() -> list[str]:
    return [i["key"] for i in live.state()["items"]]


def test_the_default_agenda_is_read_without_writing(svc: PlanService) -> None:
    st = live.state()
    assert keys() == [k for k, _t, _m in AGENDA] and svc.store.list_agenda() == []
    assert st["meeting"] is None and st["items"][0]["status"] == "ok"


def test_agenda_edits_and_their_refusals(svc: PlanService) -> None:
    key = live.add_item("Customer escalations", 10, after="demand")
    assert key == "customer-escalations" and keys()[2] == key
    assert live.add_item("Customer escalations", 5) == "customer-escalations-2"  # keys stay unique
    live.move_item(key, -1)
    assert keys()[1] == key
    live.move_item("performance", -1)  # already first: nothing moves
    assert keys()[0] == "performance"
    live.set_item("demand", minutes=25, title="Demand review (consensus)")
    demand = next(i for i in live.state()["items"] if i["key"] == "demand")
    assert demand["planned_minutes"] == 25 and demand["title"] == "Demand review (consensus)"
    live.remove_item("customer-escalations-2")
    assert "customer-escalations-2" not in keys()
    for bad, message in ((lambda: live.add_item("  ", 10), "title"), (lambda: live.add_item("x", 0), "1 to 240"),
                         (lambda: live.add_item("x", 241), "1 to 240"), (lambda: live.add_item("x", "ten"), "not a number"),
                         (lambda: live.set_item("nope", minutes=5), "no agenda item")):
        with pytest.raises(EditError, match=message):
            bad()
    for k in keys()[1:]:
        live.remove_item(k)
    with pytest.raises(EditError, match="at least one item"):
        live.remove_item(keys()[0])
    assert keys() == ["performance"]


def test_the_timer_accumulates_on_the_server(svc: PlanService, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": dt.datetime(2026, 1, 20, 9, 0, 0)}
    monkeypatch.setattr("data.store.meeting_live._now", lambda: clock["now"])
    monkeypatch.setattr("services.meeting_live._now", lambda: clock["now"])

    def tick(seconds: float) -> None:
        clock["now"] += dt.timedelta(seconds=seconds)

    m = live.timer("toggle", by="fay")  # the first press opens the meeting and starts the first item
    assert m["started_by"] == "fay" and m["current_key"] == "performance" and m["start_revision"] is not None
    tick(90)
    live.timer("next", by="fay")  # the clock moves with the agenda
    tick(30)
    st = live.state()
    times = {i["key"]: i["actual_seconds"] for i in st["items"]}
    assert times["performance"] == pytest.approx(90) and times["demand"] == pytest.approx(30)
    assert st["running_key"] == "demand" and sum(i["running"] for i in st["items"]) == 1
    live.timer("toggle", by="fay")  # pause
    tick(600)
    live.timer("toggle", "demand", by="fay")  # run again: accumulates
    tick(15)
    live.timer("goto", "performance", by="fay")
    tick(15 * 60)  # 15 min planned + 90 s already: overrun in red
    st = live.state()
    perf = st["items"][0]
    assert perf["status"] == "over" and perf["left_seconds"] == pytest.approx(-90)
    assert {i["key"]: i["actual_seconds"] for i in st["items"]}["demand"] == pytest.approx(45)
    live.end_meeting(by="fay")
    stored = {r["key"]: r for r in svc.store.list_agenda()}
    assert stored["performance"]["actual_seconds"] == pytest.approx(990) and stored["performance"]["running_since"] is None
    assert svc.store.get_meeting()["ended_by"] == "fay"
    with pytest.raises(EditError, match="no meeting is running"):
        live.end_meeting(by="fay")
    assert live.timer_status(61) == "ok" and live.timer_status(59) == "late" and live.timer_status(-1) == "over"


def test_supply_decisions_carry_the_plans_option_cost(svc: PlanService) -> None:
    plan = svc.current_plan()
    sp = plan.supply_plan
    sp = sp.assign(overtime=sp["overtime"].where(sp["overtime"] >= 0.5, 0.0),  # less than half a unit: dust
                   outsource=sp["outsource"].where(sp["outsource"] >= 0.5, 0.0))
    used = sp[(sp["overtime"] > 0) | (sp["outsource"] > 0)]
    assert len(used), "the sample plan uses overtime or outsourcing somewhere"
    row = used.iloc[0]
    s = svc.plan_settings()
    expected = row["overtime"] * s.cost_overtime + row["outsource"] * s.cost_outsource
    got = live.computed_impact("supply", row["family"], row["period"])
    assert got["amount"] == pytest.approx(expected, abs=0.01) and "computed from plan v1" in got["text"]
    did = live.record_decision(topic="supply", decision="Approve overtime", family=row["family"],
                               period=row["period"], by="fay")
    d = svc.store.list_decisions().set_index("id").loc[did]
    assert d["impact_amount"] == pytest.approx(expected, abs=0.01) and "computed from plan v1" in d["impact"]
    assert d["version_id"] == svc.state().version_id and d["recorded_by"] == "fay" and d["status"] == "agreed"
    given = live.record_decision(topic="financial", decision="Price up", amount="$12,500", by="fay")
    assert svc.store.list_decisions().set_index("id").loc[given, "impact_amount"] == 12500
    with pytest.raises(EditError, match="not an amount of money"):
        live.record_decision(topic="financial", decision="x", amount="lots", by="fay")
    assert live.computed_impact("supply", "No such family", None) is None


def test_approval_is_recorded_as_a_decision_and_changes_are_tracked(svc: PlanService) -> None:
    live.start_meeting(by="fay")
    month = svc.current_plan().horizon[0]
    svc.apply_edits([{"level": "family", "key": "Kitchen", "period": month, "text": "+100"}], reason="",
                    owner="dana")
    changed = live.changed_since_start()
    assert list(changed["family"]) == ["Kitchen"] and changed["net"].iloc[0] == pytest.approx(100)
    version = live.approve_plan(by="fay")
    d = svc.store.list_decisions().iloc[-1]
    assert d["decision"] == f"Plan v{version['number']} approved" and d["topic"] == "strategic"
    assert d["version_id"] == version["id"]


def test_minutes_hold_attendees_real_times_risks_and_carried_actions(svc: PlanService, tmp_path) -> None:
    from pypdf import PdfReader

    svc.store.add_user("erin", "a-long-password-1", "executive")
    live.add_attendee(username="erin", name=None, function="", by="fay")
    live.add_attendee(username=None, name="Plant manager Ola", function="Operations", by="fay")
    with pytest.raises(EditError, match="already listed"):
        live.add_attendee(username=None, name="plant manager ola", function="", by="fay")
    live.timer("toggle", by="fay")
    live.timer("next", by="fay")
    live.end_meeting(by="fay")
    live.add_risk(description="Supplier strike in March", likelihood="medium", impact="high",
                  contingency="second source", owner="sam", by="fay")
    old = svc.store.add_action({"description": "Old open action", "owner": "sam", "priority": "high"})
    svc.store.add_action({"description": "Old open action", "owner": "sam", "priority": "high",
                          "carried_from": old})
    live.record_decision(topic="financial", decision="Hold prices", amount="25000", due="2026-03-01", by="fay")
    m = minutes.build()
    path = tmp_path / "m.pdf"
    path.write_bytes(minutes.to_pdf(m))
    text = "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)
    for expected in ("Plant manager Ola", "Supplier strike in March", "carried", "$25,000", "Hold prices",
                     "Planned", "Real"):
        assert expected in text, expected
    page = minutes.to_html(m)
    assert "Plant manager Ola" in page and "second source" in page and "erin" in page
    assert [a["actual_seconds"] > 0 for a in m.agenda][:3] == [True, True, False]
