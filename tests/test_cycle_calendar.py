"""The monthly cycle: the five-week calendar (dates, current step, late steps), the checklist (who ticks, who
may not), the data-quality log (upload warnings, reviews, open count, no duplicates, no write on reading) and
the meeting's own measures computed from stored records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.store import cycle_checklist, data_quality_log
from services import cycle as cs
from services import plan_service as plan_service_module
from services import process_measures as pm
from services.permissions import NotAllowed
from tests.store_fixtures import new_service

D = dt.date
NO_EVIDENCE: dict[str, bool] = {}
ALL_EVIDENCE = {"data": True, "forecast": True, "no_open_quality": True, "assumptions": True, "decisions": True,
                "actions": True, "approved": True}


# ---------------------------------------------------------------------------- calendar (no store)


def test_step_dates_from_the_first_working_day_of_the_month() -> None:
    # 1 January 2025 is a Wednesday: the five working days of week 1 run to Tuesday 7 January
    assert cs.step_dates("2025-01") == {
        "data": (D(2025, 1, 1), D(2025, 1, 2)),
        "demand": (D(2025, 1, 3), D(2025, 1, 7)),
        "supply": (D(2025, 1, 8), D(2025, 1, 14)),
        "pre_sop": (D(2025, 1, 15), D(2025, 1, 21)),
        "meeting": (D(2025, 1, 22), D(2025, 2, 4)),
    }
    assert cs.calendar_start("2025-03") == D(2025, 3, 3)  # 1 March 2025 is a Saturday


def test_a_cycle_stored_after_its_calendar_starts_when_its_data_arrived() -> None:
    assert cs.calendar_start("2025-01", dt.datetime(2025, 1, 20, 9)) == D(2025, 1, 1)  # within: month's rule
    assert cs.calendar_start("2025-01", dt.datetime(2025, 6, 14, 9)) == D(2025, 6, 16)  # Saturday → Monday


def ticks_for(*steps: str, by: str = "dana") -> pd.DataFrame:
    rows = [{"step": s, "item": it.key, "done": True, "by": by, "at": dt.datetime(2025, 1, 2, 9)}
            for s in steps for it in cs.get_step(s).items if it.auto is None]
    return pd.DataFrame(rows, columns=["step", "item", "done", "by", "at"])


def test_current_step_and_late_steps_on_a_given_date() -> None:
    st = cs.assess("2025-01", None, None, NO_EVIDENCE, D(2025, 1, 10))
    assert (st["current"], st["current_title"], st["due"]) == (1, "Data gathering", D(2025, 1, 2))
    assert st["late"] == 2 and st["late_steps"] == [1, 2]  # due 2 and 7 January, nothing ticked
    assert cs.short_date(st["due"]) == "2 Jan"

    st = cs.assess("2025-01", None, ticks_for("data"), {"data": True, "forecast": True, "no_open_quality": True},
                   D(2025, 1, 10))
    assert (st["current"], st["current_key"], st["late"], st["late_steps"]) == (2, "demand", 1, [2])

    # before anything is due nothing is late; a team that finishes early moves on
    st = cs.assess("2025-01", None, ticks_for("data", "demand"), ALL_EVIDENCE, D(2025, 1, 2))
    assert (st["current"], st["late"]) == (3, 0)

    st = cs.assess("2025-01", None, ticks_for("data", "demand", "supply", "pre_sop", "meeting"), ALL_EVIDENCE,
                   D(2025, 3, 1))
    assert st["complete"] and st["current"] == 5 and st["late"] == 0 and st["done"] == st["total"]


def test_unticked_item_counts_as_not_done_and_automatic_items_follow_evidence() -> None:
    ticks = ticks_for("data")
    ticks.loc[ticks["item"] == "accuracy", "done"] = False  # ticked, then unticked
    st = cs.assess("2025-01", None, ticks, {"data": True, "forecast": True, "no_open_quality": True},
                   D(2025, 1, 2))
    data = st["steps"][0]
    assert st["current"] == 1 and data["done"] == data["total"] - 1
    accuracy = next(i for i in data["items"] if i["key"] == "accuracy")
    assert accuracy == {**accuracy, "done": False, "by": "dana", "auto": False}
    st = cs.assess("2025-01", None, ticks_for("data"), {"data": True, "forecast": False, "no_open_quality": True},
                   D(2025, 1, 2))
    assert st["current"] == 1  # the forecast has not run: step 1 is not done, whatever was ticked


# ---------------------------------------------------------------------------- with a store


@pytest.fixture
def svc(db_url: str, monkeypatch: pytest.MonkeyPatch):
    service = new_service(db_url)
    monkeypatch.setattr(plan_service_module, "_service", service)
    return service


def count(store, table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_ticking_stores_who_and_when_and_the_wrong_role_stores_nothing(svc) -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=1)
    cs.tick_item("demand", "baseline", True, user={"username": "dana", "role": "demand_planner"})
    rows = svc.store.checklist()
    assert rows[["step", "item", "done", "by"]].to_dict("records") == [
        {"step": "demand", "item": "baseline", "done": True, "by": "dana"}]
    assert rows["at"].iloc[0] >= before
    step = cs.step_status("demand")
    item = next(i for i in step["items"] if i["key"] == "baseline")
    assert item["done"] and item["by"] == "dana" and step["done"] == 1

    cs.tick_item("demand", "baseline", False, user={"username": "fran", "role": "facilitator"})  # untick
    assert svc.store.checklist()[["done", "by"]].to_dict("records") == [{"done": False, "by": "fran"}]

    for user in ({"username": "sam", "role": "supply_planner"}, {"username": "erin", "role": "executive"}):
        with pytest.raises(NotAllowed, match="may not tick the demand review checklist"):
            cs.tick_item("demand", "intelligence", True, user=user)
    with pytest.raises(ValueError, match="automatically"):  # automatic items are not ticked by hand
        cs.tick_item("demand", "assumptions", True, user={"username": "dana", "role": "demand_planner"})
    assert count(svc.store, cycle_checklist) == 1  # nothing else stored


def test_late_steps_of_a_stored_cycle(svc) -> None:
    cycle = svc.store.get_cycle()
    start = cs.calendar_start(cycle["period"], cycle["created_at"])
    on = cs.add_working_days(start, 3)  # step 1 (due day 2) is over
    st = cs.cycle_status(on=on)
    assert st["current"] == 1 and st["late"] == 1  # data gathering has manual items nobody ticked
    for it in cs.get_step("data").items:
        if it.auto is None:
            cs.tick_item("data", it.key, True, user={"username": "admin", "role": "admin"})
    st = cs.cycle_status(on=on)
    # the statistical forecast has not run and the exceptions are open: step 1 stays open, and late
    assert st["current"] == 1 and st["late"] == 1 and st["open_exceptions"] > 0


def upload(tmp_path: Path, extra: dict[str, bytes]) -> dict[str, bytes]:
    from conftest import seed_example_dir

    files = {p.name: p.read_bytes() for p in sorted(seed_example_dir().glob("*.csv"))}
    return {**files, **extra}


def test_upload_warnings_are_kept_with_the_new_cycle_and_reviewed_with_a_comment(svc, tmp_path, monkeypatch) -> None:
    from services import uploads

    monkeypatch.setenv("SOP_AUTO_FORECAST", "0")
    first_cycle = svc.store.get_cycle()["id"]
    res = uploads.upload_files(upload(tmp_path, {"notes.csv": b"a,b\n1,2\n"}), user="admin")
    assert res.stored
    warnings = [i for i in res.issues if not i.is_error]
    assert warnings, "the unknown table is a warning"
    cycle = svc.store.get_cycle()
    assert cycle["id"] != first_cycle
    stored = svc.store.quality_log()
    assert list(stored["source"]) == ["upload"] * len(warnings)
    assert list(stored["message"]) == [str(w) for w in warnings]
    assert svc.store.quality_log(first_cycle).empty  # kept per cycle

    log_ = cs.quality_log()
    n_open = cs.open_exception_count()
    assert n_open == int((log_["status"] == "open").sum()) == len(log_)
    n_exc = cs.open_exception_count(source="exception")
    assert cs.open_exception_count(source="upload") == len(warnings) and n_open == n_exc + len(warnings)

    key = stored["key"].iloc[0]
    with pytest.raises(ValueError, match="comment"):
        cs.review_entry("upload", key, "  ", by="dana")
    cs.review_entry("upload", key, "Notes sheet is ours, not planning data", by="dana")
    assert cs.open_exception_count() == n_open - 1
    row = cs.quality_log().query("key == @key").iloc[0]
    assert (row["status"], row["reviewed_by"], row["comment"]) == ("reviewed", "dana",
                                                                  "Notes sheet is ours, not planning data")
    assert pd.notna(row["reviewed_at"])


def test_exceptions_are_read_from_the_plan_and_reviews_survive_a_recompute(svc) -> None:
    n_rows = count(svc.store, data_quality_log)
    log_ = cs.quality_log()
    exc = log_[log_["source"] == "exception"]
    plan_exc = svc.current_plan().exceptions
    assert len(exc) == len(plan_exc.drop_duplicates(["kind", "item_id", "period"])) > 0
    assert cs.open_exception_count() == len(log_)
    assert count(svc.store, data_quality_log) == n_rows  # reading (the page, the header) writes nothing

    first = exc.iloc[0]
    cs.review_entry("exception", first["key"], "Known promotion", by="dana")
    with pytest.raises(ValueError, match="already reviewed"):  # the first review stands
        cs.review_entry("exception", first["key"], "Known promotion, confirmed", by="sam")
    with pytest.raises(ValueError, match="no longer in the log"):
        cs.review_entry("exception", "forecast_change|NO-SUCH-ITEM|2099-01", "x", by="sam")
    assert count(svc.store, data_quality_log) == n_rows + 1

    # a planner's edit recomputes the plan: the same exceptions keep their keys, the review still holds
    svc.apply_edit(level="item", key=str(plan_exc["item_id"].iloc[-1]), period=svc.current_plan().horizon[-1],
                   text="+1", reason="test", owner="dana")
    again = cs.quality_log()
    assert again["key"].is_unique
    reviewed = again[again["status"] == "reviewed"]
    assert list(reviewed["key"]) == [first["key"]] and reviewed["comment"].iloc[0] == "Known promotion"
    assert reviewed["reviewed_by"].iloc[0] == "dana"
    assert cs.open_exception_count() == len(again) - 1
    assert count(svc.store, data_quality_log) == n_rows + 1


def test_header_status_reads_only(svc) -> None:
    state = svc.store.plan_state()
    n = count(svc.store, data_quality_log), count(svc.store, cycle_checklist)
    head = cs.header_status()
    assert head["current"] == 1 and head["n_steps"] == 5 and head["open_exceptions"] == cs.open_exception_count()
    assert svc.store.plan_state() == state and (count(svc.store, data_quality_log),
                                                count(svc.store, cycle_checklist)) == n


# ---------------------------------------------------------------------------- the meeting's own measures


def test_meeting_measures_from_stored_records(svc) -> None:
    """Records inserted through the store, read back by `process_records`; the measures are computed over
    exactly those rows (whatever else the sample company ships), with the cycle's dates fixed here."""
    store = svc.store
    cycles = store.list_cycles()
    past, current = int(cycles["id"].iloc[-2]), int(cycles["id"].iloc[-1])
    day = lambda d: dt.date(2025, 1, d)  # noqa: E731
    # decisions: on time, late, without due date (on time), proposed and overdue (late), dropped (left out)
    dec_ids = [store.add_decision({"topic": "supply", "decision": "d", "status": status, "due_date": due,
                                   "decided_on": decided}, cycle_id=past)
               for status, due, decided in [("done", day(25), day(20)), ("agreed", day(15), day(20)),
                                            ("agreed", None, day(20)), ("proposed", day(10), day(20)),
                                            ("dropped", day(10), day(20))]]
    # actions: done on time, done late, open and late, open not yet due, one carried to the next cycle
    act_ids = [store.add_action({"description": "a", "status": s, "due_date": due,
                                 "done_at": None if done is None else dt.datetime.combine(done, dt.time(12))},
                                cycle_id=past)
               for s, due, done in [("done", day(22), day(21)), ("done", day(22), day(26)), ("open", day(24), None),
                                    ("open", day(30), None), ("open", day(21), None)]]
    act_ids.append(store.add_action({"description": "a (carried)", "status": "done", "due_date": day(27),
                                     "done_at": dt.datetime(2025, 1, 27, 9), "carried_from": act_ids[-1]},
                                    cycle_id=current))
    store.set_checklist_item("supply", "capacity", True, by="sam", cycle_id=past)
    store.set_checklist_item("supply", "inventory", False, by="sam", cycle_id=past)

    rec = store.process_records()
    mine = {
        "cycles": rec["cycles"][rec["cycles"]["id"] == past].assign(
            period="2025-01", created_at=dt.datetime(2025, 1, 2, 8), approved_at=dt.datetime(2025, 1, 20, 10)),
        "decisions": rec["decisions"][rec["decisions"]["id"].isin(dec_ids)],
        "actions": rec["actions"][rec["actions"]["id"].isin(act_ids)].assign(cycle_id=past),
        "checklist": rec["checklist"][(rec["checklist"]["cycle_id"] == past)
                                      & rec["checklist"]["item"].isin(["capacity", "inventory"])],
    }
    flags = {**ALL_EVIDENCE, "forecast": False, "assumptions": False}  # 5 of the 7 automatic items
    today = day(28)
    per_cycle = pm.measures(mine, {past: flags}, today)
    row = per_cycle.iloc[0]
    assert (row["decisions"], row["decisions_on_time"], row["decisions_on_time_pct"]) == (4, 2, 50.0)
    assert (row["actions"], row["actions_done"], row["actions_done_on_time"], row["actions_open_late"]) == (6, 3, 2, 2)
    assert row["actions_done_pct"] == pytest.approx(50.0)
    assert row["actions_done_on_time_pct"] == pytest.approx(100 / 3)
    assert row["cycle_time_days"] == 19.0  # Wednesday 1 January (week 1) to the approval on the 20th
    assert (row["checklist_done"], row["checklist_total"]) == (5 + 1, 23)
    assert row["checklist_pct"] == pytest.approx(600 / 23)

    overall = pm.overall(mine, per_cycle, today)
    # over every cycle the carried action counts once, as its continuation (done on time)
    assert (overall["actions"], overall["actions_done"], overall["actions_done_on_time"],
            overall["actions_open_late"]) == (5, 3, 2, 1)
    assert (overall["decisions"], overall["decisions_on_time"]) == (4, 2)
    assert overall["cycle_time_days"] == 19.0 and overall["cycle_time_status"] == "on_target"

    # the whole store's measures include the inserted records and read only
    n = count(store, cycle_checklist), count(store, data_quality_log)
    full, _ = pm.process_measures(today=today)
    assert full.set_index("cycle_id").loc[past, "decisions"] >= 4
    assert (count(store, cycle_checklist), count(store, data_quality_log)) == n


def test_cycle_time_counts_from_data_stored_before_the_month() -> None:
    recs = {"cycles": pd.DataFrame([{"id": 1, "period": "2025-02", "created_at": dt.datetime(2025, 1, 28, 9),
                                     "approved_at": dt.datetime(2025, 2, 21, 15)}]),
            "decisions": pd.DataFrame(), "actions": pd.DataFrame(),
            "checklist": pd.DataFrame(columns=["cycle_id", "step", "item", "done"])}
    row = pm.measures(recs, {}, D(2025, 3, 1)).iloc[0]
    assert row["cycle_time_days"] == 24.0  # from 28 January, when the data arrived
    assert row["decisions_on_time_pct"] is None and row["actions_done_pct"] is None


def test_recording_the_exceptions_keeps_them_once(svc) -> None:
    n_open = cs.open_exception_count()
    added = cs.record_exceptions()
    assert added == n_open - cs.open_exception_count(source="upload") > 0
    assert cs.record_exceptions() == 0  # recorded again: nothing duplicated
    assert cs.open_exception_count() == n_open and cs.quality_log()["key"].is_unique
    assert count(svc.store, data_quality_log) == added


def test_reviewing_every_shown_entry_at_once(svc) -> None:
    log_ = cs.quality_log()
    family = log_["family"].iloc[0]
    shown = log_[(log_["family"] == family) & (log_["status"] == "open")]
    n_open = cs.open_exception_count()
    cs.review_entry("exception", shown["key"].iloc[0], "looked at first", by="dana")
    marked = cs.review_entries(list(zip(shown["source"], shown["key"])), "Seasonal swing of the family", by="sam")
    assert marked == len(shown) - 1  # the one reviewed before keeps its review
    after = cs.quality_log().set_index("key").loc[shown["key"]]
    assert (after["status"] == "reviewed").all()
    assert after["reviewed_by"].tolist() == ["dana"] + ["sam"] * (len(shown) - 1)
    assert cs.open_exception_count() == n_open - len(shown)
    assert count(svc.store, data_quality_log) == len(shown)
