"""The store's revision and the reads cached on it (`Store.cached`): the plan state, the cycle status, the
data-quality log, the process measures. A cached read is served only while nothing was written, by this
process or by another one (a second Store on its own engine, or another Python process, on the same
database): every figure below changes at the first read after a write."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.store import Store, make_engine
from planning.model import Settings
from services import cycle as cs
from services import plan_service as plan_service_module
from services import process_measures as pm
from tests.store_fixtures import new_service

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"username": "admin", "role": "admin"}


@pytest.fixture
def svc(db_url: str, monkeypatch: pytest.MonkeyPatch):
    service = new_service(db_url)
    monkeypatch.setattr(plan_service_module, "_service", service)
    yield service
    service.store.engine.dispose()


@pytest.fixture
def other(db_url: str, svc):
    """Another worker's view of the same database: its own engine, connections and cache."""
    store = Store(make_engine(db_url))
    yield store
    store.engine.dispose()


def test_every_write_moves_the_revision_once_and_a_failed_one_not_at_all(svc, other) -> None:
    store = svc.store
    r0 = store.revision()
    assert other.revision() == r0
    store.set_checklist_item("demand", "baseline", True, by="dana")
    assert store.revision() == other.revision() == r0 + 1
    with pytest.raises(RuntimeError, match="boom"):
        with store._write() as conn:
            conn.execute(store_checklist_insert(store))
            raise RuntimeError("boom")
    assert store.revision() == r0 + 1  # rolled back: nothing stored, nothing moved
    assert len(store.checklist()) == 1


def store_checklist_insert(store: Store):
    from data.store import cycle_checklist

    return cycle_checklist.insert().values(cycle_id=int(store.get_cycle()["id"]), step="demand", item="x",
                                           done=True, by="x", at=dt.datetime(2025, 1, 1))


def test_plan_state_follows_a_write_in_another_worker_and_another_process(svc, other, db_url) -> None:
    store = svc.store
    first = store.plan_state()
    assert store.plan_state() == first  # served from the cache: the same figures
    other.save_settings(Settings(horizon=12))
    second = store.plan_state()
    assert second["settings_key"] != first["settings_key"]
    assert second["settings_key"] == other.plan_state()["settings_key"]
    # a write by another Python process (another gunicorn worker) on the same database
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from data.store import Store, make_engine; "
            "from planning.model import Settings; Store(make_engine(sys.argv[1])).save_settings(Settings(horizon=9))")
    subprocess.run([sys.executable, "-c", code, db_url, str(ROOT)], check=True, cwd=ROOT, env=os.environ.copy(),
                   timeout=120)
    third = store.plan_state()
    assert third["settings_key"] not in {first["settings_key"], second["settings_key"]}
    assert svc.plan_settings().horizon == 9


def test_a_tick_changes_the_cycle_status_at_once_here_and_from_another_worker(svc, other) -> None:
    before = cs.cycle_status()
    head = cs.header_status()
    assert head["done"] == before["done"]
    demand = lambda st: next(s for s in st["steps"] if s["key"] == "demand")  # noqa: E731

    cs.tick_item("demand", "baseline", True, user=ADMIN)
    after = cs.cycle_status()
    assert after["done"] == before["done"] + 1
    assert demand(after)["done"] == demand(before)["done"] + 1
    assert cs.header_status()["done"] == head["done"] + 1
    assert cs.step_status("demand")["items"][0]["by"] == "admin"

    other.set_checklist_item("demand", "baseline", False, by="fran")  # another worker unticks it
    again = cs.cycle_status()
    assert again["done"] == before["done"]
    assert cs.step_status("demand")["items"][0]["by"] == "fran"
    assert cs.header_status()["done"] == head["done"]


def test_a_review_changes_the_open_count_at_once(svc) -> None:
    log_ = cs.quality_log()
    open_before = cs.cycle_status()["open_exceptions"]
    assert open_before == int((log_["status"] == "open").sum()) > 0
    first = log_[log_["status"] == "open"].iloc[0]
    cs.review_entry(first["source"], first["key"], "looked at", by="dana")
    assert cs.cycle_status()["open_exceptions"] == open_before - 1
    assert cs.open_exception_count() == open_before - 1
    assert cs.quality_log().set_index("key").loc[first["key"], "status"] == "reviewed"


def test_process_measures_follow_a_decision_and_a_tick_from_another_worker(svc, other) -> None:
    per_cycle, overall = pm.process_measures()
    current = int(per_cycle["cycle_id"].iloc[-1])
    row = per_cycle.set_index("cycle_id").loc[current]
    other.add_decision({"topic": "supply", "decision": "add a shift", "status": "agreed", "due_date": None,
                        "decided_on": dt.date.today()}, cycle_id=current)
    other.set_checklist_item("supply", "capacity", True, by="sam", cycle_id=current)
    per_cycle2, overall2 = pm.process_measures()
    row2 = per_cycle2.set_index("cycle_id").loc[current]
    assert row2["decisions"] == row["decisions"] + 1
    assert row2["decisions_on_time"] == row["decisions_on_time"] + 1
    # the tick, and the automatic "decisions recorded" item the decision ticks when it was the first
    assert row2["checklist_done"] - row["checklist_done"] == (2 if row["decisions"] == 0 else 1)
    assert overall2["decisions"] == overall["decisions"] + 1
    # what a caller does with its copy does not reach the next reader
    per_cycle2.loc[:, "decisions"] = -1
    overall2["decisions"] = -1
    again, overall3 = pm.process_measures()
    assert again.set_index("cycle_id").loc[current, "decisions"] == row2["decisions"]
    assert overall3["decisions"] == overall["decisions"] + 1


def test_the_shells_reads_follow_writes_from_another_worker(svc, other) -> None:
    """The current cycle, the latest version, the dataset, a user and a version's settings: what every page's
    header and callbacks read, each changed by another worker and seen at the next read."""
    import pandas as pd

    from data.sample import sample_company

    store = svc.store
    assert store.get_user("reviewer") is None
    other.add_user("reviewer", "pw-123456789", "executive")
    assert store.get_user("reviewer")["role"] == "executive"
    other.set_user_role("reviewer", "facilitator", by="admin")
    assert store.get_user("reviewer")["role"] == "facilitator"

    vid = store.plan_state()["version_id"]
    settings = store.version_settings(vid)
    settings.horizon = 99  # a caller changing its copy does not change the next reader's
    assert store.version_settings(vid).horizon != 99
    other.save_settings(Settings(horizon=7))
    assert store.version_settings(vid).horizon == 7

    version = store.latest_version()
    assert version["status"] == "draft"
    other.approve_version(version["id"], by="exec", snapshot=pd.DataFrame(
        columns=["item_id", "period", "statistical", "consensus"]))
    assert store.latest_version()["status"] == "approved"

    before, cycle = store.dataset_info(), store.current_cycle()
    other.save_dataset(sample_company(), source="another upload", user="sam")
    after = store.dataset_info()
    assert after["id"] == before["id"] + 1 and after["source"] == "another upload"
    assert store.current_cycle()["id"] > cycle["id"]


def test_decisions_and_actions_are_read_again_after_any_write(svc, other):
    """The dashboard polls the decisions and action items every few seconds: once per revision, and a
    decision or action recorded by another worker shows at the next read."""
    store = svc.store
    before = len(store.list_decisions())
    listed = store.list_decisions()
    listed.drop(listed.index, inplace=True)  # a caller changing its copy changes nothing cached
    assert len(store.list_decisions()) == before
    other.add_decision({"topic": "Overtime in March", "decision": "Approve 600 units", "owner": "COO"})
    decisions = store.list_decisions()
    assert len(decisions) == before + 1 and decisions["topic"].iloc[-1] == "Overtime in March"
    other.add_action({"description": "Book the second shift", "owner": "Plant"})
    assert store.list_actions()["description"].iloc[-1] == "Book the second shift"
