"""The store, on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data import load_company
from data import store as store_module
from data.sample import sample_company, sample_past_cycles, sample_settings
from data.store import ConflictError, Store, make_engine, metadata
from planning.model import CompanyData, KpiTarget, Settings

SEED = Path("/work/shared/examples/seed-example")
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")),
]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    url = f"sqlite:///{tmp_path / 'sop.db'}" if request.param == "sqlite" else PG_URL
    eng = make_engine(url)
    metadata.drop_all(eng)
    yield eng
    if request.param != "sqlite":
        metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def store(engine: sa.Engine) -> Store:
    s = Store(engine)
    s.ensure_ready()
    return s


def seed_example() -> CompanyData:
    data, issues = load_company(SEED)
    assert not issues
    budget = pd.DataFrame(
        {
            "family": ["Appliances", "Electronics"],
            "period": ["2025-01", "2025-01"],
            "revenue": [4e5, 1e6],
            "units": [5000.0, np.nan],
        }
    )
    return data.with_(budget=budget)


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_make_engine_defaults_to_sqlite_under_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    eng = make_engine()
    assert eng.url.get_backend_name() == "sqlite" and eng.url.database.endswith("instance/sop.db")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    assert make_engine().url.database == ":memory:"


def test_first_start_seeds_the_sample_company(store: Store, engine: sa.Engine) -> None:
    data = store.load_company()
    sample = sample_company()
    for name in ("items", "history", "capacity", "adjustments"):
        pd.testing.assert_frame_equal(getattr(sample, name), getattr(data, name))
    assert data.forecast is None and data.budget is None
    info = store.dataset_info()
    assert (info["n_items"], info["n_families"], info["first_period"], info["last_period"]) == (
        47,
        4,
        "2023-01",
        "2025-12",
    )
    assert store.current_cycle()["period"] == "2026-01"
    v = store.current_version()
    assert (v["number"], v["status"], v["kind"], v["revision"]) == (1, "draft", "base", 0)
    snaps = store.plan_snapshots()
    past = sample_past_cycles()
    assert sorted(snaps["cycle_period"].unique()) == sorted(past["cycle_period"].unique())
    merged = past.merge(snaps, on=["cycle_period", "item_id", "period"], suffixes=("", "_db"))
    assert len(merged) == len(past)
    assert np.allclose(merged["consensus"], merged["consensus_db"])
    store.ensure_ready()  # idempotent
    assert count(engine, "datasets") == 1 and count(engine, "cycles") == 7


def test_save_dataset_round_trip(store: Store) -> None:
    data = seed_example()
    dataset_id = store.save_dataset(data, source="seed-example", user="alice")
    assert store.dataset_info()["id"] == dataset_id
    assert store.dataset_info()["created_by"] == "alice"
    back = store.load_company()
    for name in ("items", "history", "capacity", "adjustments", "budget", "forecast"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(back, name), check_like=False)
    assert store.current_cycle()["period"] == "2025-01"
    v = store.current_version()
    assert (v["number"], v["status"]) == (1, "draft")
    adj = store.list_adjustments()
    assert adj["source"].tolist() == ["upload", "upload"] and adj["active"].all()
    assert store.forecast_models() is None
    fc = store.latest_forecast()
    assert fc["model"].eq("upload").all() and len(fc) == 6


def test_failed_upload_rolls_back_everything(
    store: Store, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.dataset_info()
    before_version = store.current_version()
    tables = ("datasets", "items", "history", "capacity", "cycles", "plan_versions", "adjustments")
    counts = {t: count(engine, t) for t in tables}

    # 1. the database refuses a row in the middle (duplicate key in history)
    bad = seed_example()
    bad = bad.with_(history=pd.concat([bad.history, bad.history.iloc[[3]]], ignore_index=True))
    with pytest.raises(sa.exc.IntegrityError):
        store.save_dataset(bad, source="bad")
    # 2. the code fails after items and history are written
    real_bulk = store_module._bulk

    def failing_bulk(conn, table, *args, **kwargs):  # noqa: ANN001, ANN202
        if table.name == "capacity":
            raise RuntimeError("disk full")
        return real_bulk(conn, table, *args, **kwargs)

    monkeypatch.setattr(store_module, "_bulk", failing_bulk)
    with pytest.raises(RuntimeError):
        store.save_dataset(seed_example(), source="bad")
    monkeypatch.undo()

    assert store.dataset_info() == before
    assert store.current_version() == before_version
    assert {t: count(engine, t) for t in tables} == counts
    pd.testing.assert_frame_equal(store.load_company().history, sample_company().history)


ROW = {
    "level": "family",
    "key": "Electronics",
    "period": "2026-02",
    "type": "percentage",
    "value": 5.0,
    "reason": "promo",
    "owner": "dana",
    "before_value": 100.0,
    "after_value": 105.0,
}


def test_revision_conflict(store: Store) -> None:
    v = store.current_version()
    assert store.add_adjustments(v["id"], [ROW], expected_revision=0) == 1
    with pytest.raises(ConflictError, match="someone else changed this plan"):
        store.add_adjustments(v["id"], [{**ROW, "value": 7.0}], expected_revision=0)
    adj = store.list_adjustments()
    assert len(adj) == 8 and adj["value"].iloc[-1] == 5.0  # 7 from the sample file + 1
    assert adj["seq"].tolist() == list(range(8))
    assert adj["source"].iloc[-1] == "grid" and adj["before_value"].iloc[-1] == 100.0
    assert store.add_adjustments(v["id"], [{**ROW, "value": 7.0}], expected_revision=1) == 2
    assert store.add_adjustments(v["id"], [{**ROW, "value": 1.0}]) == 3  # no check asked
    data = store.load_company()
    assert data.adjustments["value"].tolist()[-3:] == [5.0, 7.0, 1.0]
    assert data.adjustments["seq"].tolist() == list(range(10))
    with pytest.raises(ValueError):
        store.add_adjustments(v["id"], [{**ROW, "type": "multiply"}])


def test_undo_redo_are_events(store: Store) -> None:
    v = store.current_version()
    store.add_adjustments(v["id"], [ROW, {**ROW, "value": 3.0}], expected_revision=0)
    adj = store.list_adjustments()
    ids = adj["id"].tolist()[-2:]
    rev = store.set_adjustments_active(ids[:1], False, by="dana")
    assert rev == 2
    data = store.load_company()
    assert len(data.adjustments) == 8 and data.adjustments["value"].iloc[-1] == 3.0
    adj = store.list_adjustments()
    assert adj.set_index("id").loc[ids, "active"].tolist() == [False, True]
    store.set_adjustments_active(ids[:1], True, by="erik")
    assert len(store.load_company().adjustments) == 9
    events = store.adjustment_events()
    assert events[["adjustment_id", "event", "by"]].values.tolist() == [
        [ids[0], "undo", "dana"],
        [ids[0], "redo", "erik"],
    ]
    with pytest.raises(ConflictError):
        store.set_adjustments_active(ids, False, by="x", expected_revision=0)


def test_approve_freezes_and_starts_a_new_draft(store: Store) -> None:
    v = store.current_version()
    store.add_adjustments(v["id"], [ROW])
    snapshot = pd.DataFrame(
        {
            "item_id": ["ELC-101", "ELC-101"],
            "period": ["2026-01", "2026-02"],
            "statistical": [100.0, 110.0],
            "consensus": [108.0, 115.0],
        }
    )
    store.approve_version(v["id"], by="exec", snapshot=snapshot)
    approved = store.get_version(v["id"])
    assert approved["status"] == "approved" and approved["approved_by"] == "exec"
    assert store.current_cycle()["status"] == "approved"
    with pytest.raises(ConflictError, match="is approved"):
        store.add_adjustments(v["id"], [ROW])
    snaps = store.plan_snapshots()
    mine = snaps[snaps["cycle_period"] == "2026-01"]
    assert mine[["item_id", "period", "consensus"]].values.tolist() == [
        ["ELC-101", "2026-01", 108.0],
        ["ELC-101", "2026-02", 115.0],
    ]
    draft = store.current_version()
    assert (draft["number"], draft["status"], draft["parent_id"], draft["revision"]) == (
        2,
        "draft",
        v["id"],
        0,
    )
    assert store.current_version()["id"] == draft["id"]
    assert store.current_cycle()["status"] == "open"
    # the new draft starts from the approved plan: it inherits its adjustments
    assert len(store.load_company(draft["id"]).adjustments) == 8
    store.add_adjustments(draft["id"], [{**ROW, "value": 2.0}], expected_revision=0)
    assert len(store.load_company(draft["id"]).adjustments) == 9
    assert len(store.load_company(v["id"]).adjustments) == 8


def test_capacity_changes_apply_latest(store: Store) -> None:
    v = store.current_version()
    base = store.load_company().capacity.set_index(["family", "period"])["capacity_units"]
    change = {
        "family": "Outdoor",
        "period": "2026-06",
        "before_value": base[("Outdoor", "2026-06")],
        "after_value": 9999.0,
        "reason": "extra shift",
        "owner": "sam",
    }
    rev = store.add_capacity_changes(v["id"], [change], expected_revision=0)
    store.add_capacity_changes(v["id"], [{**change, "after_value": 12345.0}], expected_revision=rev)
    cap = store.load_company().capacity.set_index(["family", "period"])["capacity_units"]
    assert cap[("Outdoor", "2026-06")] == 12345.0
    assert cap.drop(("Outdoor", "2026-06")).equals(base.drop(("Outdoor", "2026-06")))
    assert store.list_capacity_changes()["after_value"].tolist() == [9999.0, 12345.0]
    with pytest.raises(ConflictError):
        store.add_capacity_changes(v["id"], [change], expected_revision=0)


def test_forecast_runs(store: Store) -> None:
    cycle = store.current_cycle()
    fc = pd.DataFrame(
        {
            "item_id": ["ELC-101", "ELC-101"],
            "family": "Electronics",
            "period": ["2026-01", "2026-02"],
            "model": ["ets", "ets"],
            "forecast": [10.0, 11.0],
            "lo80": [8.0, 9.0],
            "hi80": [12.0, 13.0],
        }
    )
    models = pd.DataFrame(
        {
            "item_id": ["ELC-101"],
            "model": ["ets"],
            "error": [12.5],
            "runner_up": ["theta"],
            "runner_up_error": [13.0],
            "snaive_error": [20.0],
            "note": [""],
        }
    )
    store.save_forecast_run(cycle["id"], fc, models, method="auto", settings={"horizon": 18})
    data = store.load_company()
    assert data.forecast.values.tolist() == [
        ["ELC-101", "2026-01", 10.0, 8.0, 12.0, "ets"],
        ["ELC-101", "2026-02", 11.0, 9.0, 13.0, "ets"],
    ]
    m = store.forecast_models()
    assert m.iloc[0][["item_id", "model", "error", "runner_up"]].tolist() == ["ELC-101", "ets", 12.5, "theta"]


def test_meeting_records_settings_users_kpis(store: Store) -> None:
    aid = store.add_assumption(
        {"text": "Promo in Q1", "category": "demand", "impact": "high", "owner": "dana"}
    )
    store.update_assumption(aid, {"impact": "medium"})
    other = store.add_assumption(
        {"text": "<b>not html</b>", "category": "supply", "impact": "low", "owner": "sam"}
    )
    store.delete_assumption(other)
    a = store.list_assumptions()
    assert a[["text", "impact"]].values.tolist() == [["Promo in Q1", "medium"]]
    assert len(store.list_assumptions(include_deleted=True)) == 2
    store.add_decision(
        {
            "topic": "Outdoor June",
            "decision": "Add a shift",
            "rationale": "cheaper than lost sales",
            "owner": "exec",
            "impact": "+2,000 units",
            "decided_on": "2026-01-20",
        }
    )
    d = store.list_decisions()
    assert d.iloc[0]["decision"] == "Add a shift" and str(d.iloc[0]["decided_on"]) == "2026-01-20"
    act = store.add_action({"description": "Hire temps", "owner": "sam", "due_date": "2026-02-01"})
    store.update_action(act, {"status": "done"})
    acts = store.list_actions().set_index("id")  # beside the sample's actions carried from 2025-12
    assert acts.loc[act, ["status", "priority"]].tolist() == ["done", "medium"]
    with pytest.raises(ValueError):
        store.add_action({"nonsense": 1})

    assert store.get_settings() == sample_settings()  # seeded with the sample company
    assert sample_settings().safety_stock_floor and not Settings().safety_stock_floor
    s = Settings(horizon=12, cost_overtime=17.5, scenario_weights=(0.5, 0.25, 0.25))
    s.targets["mape"] = KpiTarget(None, 18.0)
    store.save_settings(s)
    assert store.get_settings() == s

    uid = store.add_user("alice", "s3cret!", "demand_planner")
    assert store.check_password("alice", "s3cret!") == {
        "id": uid,
        "username": "alice",
        "role": "demand_planner",
    }
    assert store.check_password("alice", "wrong") is None and store.check_password("bob", "x") is None
    with pytest.raises(sa.exc.IntegrityError):
        store.add_user("alice", "x", "admin")
    with pytest.raises(ValueError):
        store.add_user("carl", "x", "king")
    assert "password_hash" not in store.list_users().columns

    store.save_kpis(store.current_cycle()["id"], {"mape": 14.2, "bias_pct": None})
    k = store.kpi_history()
    k = k[k["cycle_period"] == "2026-01"]  # the sample's past cycles have their own points
    assert k[["cycle_period", "name"]].values.tolist() == [["2026-01", "bias_pct"], ["2026-01", "mape"]]


def test_scenarios_are_copies(store: Store) -> None:
    base = store.current_version()
    store.add_capacity_changes(base["id"], [{"family": "Outdoor", "period": "2026-06", "after_value": 1.0}])
    sc = store.create_scenario("Upside", by="dana")
    assert (sc["kind"], sc["parent_id"], sc["number"], sc["status"]) == ("scenario", base["id"], 2, "draft")
    copied = store.list_adjustments(sc["id"])
    assert len(copied) == 7 and copied["batch_id"].eq(f"copy-{base['id']}").all()
    store.add_adjustments(sc["id"], [ROW])
    store.add_adjustments(base["id"], [ROW, ROW])
    assert len(store.load_company(sc["id"]).adjustments) == 8
    assert len(store.load_company().adjustments) == 9
    cap = store.load_company(sc["id"]).capacity.set_index(["family", "period"])["capacity_units"]
    assert cap[("Outdoor", "2026-06")] == 1.0
    assert store.current_version()["id"] == base["id"]
    assert store.list_versions()["kind"].tolist() == ["base", "scenario"]


CAP = {"family": "Outdoor", "period": "2026-06", "after_value": 20000.0, "reason": "extra shift", "owner": "sam"}


def test_add_changes_is_one_transaction_and_one_revision(
    store: Store, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = store.current_version()
    n_adj, n_cap = count(engine, "adjustments"), count(engine, "capacity_changes")
    assert store.add_changes(v["id"], [ROW, {**ROW, "value": 3.0}], [CAP], expected_revision=0) == 1
    adj, cap = store.list_adjustments(), store.list_capacity_changes()
    batch = adj["batch_id"].iloc[-1]
    assert adj["batch_id"].iloc[-2] == batch and cap["batch_id"].tolist() == [batch]
    assert cap[["type", "value", "source"]].iloc[0].tolist() == ["absolute", 20000.0, "grid"]
    assert np.isnan(cap["before_value"].iloc[0])
    # a failure half way (after the adjustments are written) leaves nothing behind
    real_insert = store_module._insert

    def failing_insert(conn, table, rows):  # noqa: ANN001, ANN202
        if table.name == "capacity_changes":
            raise RuntimeError("disk full")
        return real_insert(conn, table, rows)

    monkeypatch.setattr(store_module, "_insert", failing_insert)
    with pytest.raises(RuntimeError):
        store.add_changes(v["id"], [ROW], [CAP])
    monkeypatch.undo()
    assert (count(engine, "adjustments"), count(engine, "capacity_changes")) == (n_adj + 2, n_cap + 1)
    with pytest.raises(ConflictError, match="someone else changed this plan"):
        store.add_changes(v["id"], [ROW], [CAP], expected_revision=0)
    with pytest.raises(ValueError):
        store.add_changes(v["id"], [], [])
    with pytest.raises(ValueError, match="not below 0"):
        store.add_changes(v["id"], [], [{**CAP, "after_value": -1.0}])
    with pytest.raises(ValueError, match="invalid type"):
        store.add_changes(v["id"], [], [{**CAP, "type": "times"}])
    assert store.get_version(v["id"])["revision"] == 1
    # the typed form of a capacity edit is kept
    store.add_changes(v["id"], [], [{**CAP, "type": "percentage", "value": 10.0, "source": "workbook"}])
    assert store.list_capacity_changes()[["type", "value", "source"]].iloc[-1].tolist() == [
        "percentage",
        10.0,
        "workbook",
    ]


def test_undo_redo_whole_changes(store: Store) -> None:
    v = store.current_version()
    base_cap = store.load_company().capacity.set_index(["family", "period"])["capacity_units"]

    def state() -> tuple[int, float]:
        data = store.load_company()
        cap = data.capacity.set_index(["family", "period"])["capacity_units"]
        return len(data.adjustments), float(cap[("Outdoor", "2026-06")])

    store.add_changes(v["id"], [ROW], [])  # change 1: an adjustment
    store.add_changes(v["id"], [{**ROW, "value": 3.0}], [CAP])  # change 2: adjustment + capacity
    store.add_capacity_changes(v["id"], [{**CAP, "after_value": 1.0}])  # change 3: capacity only
    assert state() == (9, 1.0)
    assert store.change_batches()["n_rows"].tolist() == [1, 2, 1]

    out = store.undo_last(by="dana")
    assert [r["kind"] for r in out["rows"]] == ["capacity"] and out["revision"] == 4
    assert state() == (9, 20000.0)
    second = store.undo_last(by="dana", expected_revision=4)
    assert sorted(r["kind"] for r in second["rows"]) == ["adjustment", "capacity"]
    assert state() == (8, base_cap[("Outdoor", "2026-06")])
    with pytest.raises(ConflictError):
        store.redo_last(by="erik", expected_revision=4)
    assert store.redo_last(by="erik")["batch_id"] == second["batch_id"]  # the most recent undo first
    assert state() == (9, 20000.0)
    store.undo_last(by="dana")
    store.add_adjustments(v["id"], [{**ROW, "value": 1.0}])  # change 4 clears what could be redone
    with pytest.raises(LookupError, match="newer changes were made after the undo"):
        store.redo_last(by="erik")
    assert store.change_events()[["event", "by", "n_rows"]].values.tolist() == [
        ["undo", "dana", 1],
        ["undo", "dana", 2],
        ["redo", "erik", 2],
        ["undo", "dana", 2],
    ]
    assert store.adjustment_events()["event"].tolist() == ["undo", "redo", "undo"]
    store.undo_last(by="x")  # change 4
    store.undo_last(by="x")  # change 1
    with pytest.raises(LookupError, match="nothing to undo"):
        store.undo_last(by="x")  # the sample file's adjustments are not changes of this draft
    assert state() == (7, base_cap[("Outdoor", "2026-06")])
    rev = store.get_version(v["id"])["revision"]
    with pytest.raises(LookupError):
        store.set_batch_active(v["id"], "no-such-batch", True, by="x")
    assert store.get_version(v["id"])["revision"] == rev  # a refused undo/redo stores nothing
    store.set_batch_active(v["id"], second["batch_id"], True, by="x")
    assert state() == (8, 20000.0)


def test_plan_state_moves_on_every_stored_change(store: Store) -> None:
    seen = [store.plan_state()]
    v = store.current_version()
    assert seen[0] == {
        "dataset_id": 1,
        "cycle_id": store.current_cycle()["id"],
        "version_id": v["id"],
        "revision": 0,
        "forecast_run_id": None,
        "settings_key": seen[0]["settings_key"],
        "status": "draft",
    }
    assert store.plan_state(v["id"]) == seen[0]
    steps = [
        lambda: store.add_adjustments(v["id"], [ROW]),
        lambda: store.add_capacity_changes(v["id"], [CAP]),
        lambda: store.undo_last(by="x"),
        lambda: store.redo_last(by="x"),
        lambda: store.save_forecast_run(
            v["cycle_id"],
            pd.DataFrame({"item_id": ["ELC-101"], "period": ["2026-01"], "forecast": [1.0]}),
            None,
            method="auto",
        ),
        lambda: store.save_settings(Settings(horizon=12)),
        lambda: store.save_dataset(seed_example(), source="seed"),
    ]
    for step in steps:
        step()
        seen.append(store.plan_state())
    assert len({tuple(s.items()) for s in seen}) == len(seen)
    assert seen[-1]["dataset_id"] == 2 and seen[-1]["revision"] == 0
    # an approved version's state is its own, and what the pages show until the next edit opens a new draft
    store.approve_version(seen[-1]["version_id"], by="exec", snapshot=pd.DataFrame(
        columns=["item_id", "period", "statistical", "consensus"]))
    approved = store.plan_state(seen[-1]["version_id"])
    assert approved["revision"] == 1 and approved["status"] == "approved"
    assert store.plan_state() == approved  # reading opens no draft
    assert store.current_version()["id"] != seen[-1]["version_id"]  # the draft edits go to
    assert store.plan_state()["version_id"] == store.current_version()["id"]
    with pytest.raises(LookupError):
        store.plan_state(9999)


def test_older_database_gets_the_new_columns(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:
        for col in ("type", "value", "source"):
            conn.exec_driver_sql(f'ALTER TABLE capacity_changes DROP COLUMN "{col}"')
    store = Store(engine)
    store.ensure_ready(seed=False)
    cols = {c["name"] for c in sa.inspect(engine).get_columns("capacity_changes")}
    assert {"type", "value", "source"} <= cols
    store.ensure_ready(seed=False)  # idempotent


def test_default_admin_and_items(store: Store) -> None:
    assert store.ensure_admin("pw") is True
    assert store.check_password("admin", "pw")["role"] == "admin"
    assert store.ensure_admin("other") is False and store.check_password("admin", "other") is None
    items = store.list_items()
    pd.testing.assert_frame_equal(items, sample_company().items)


def test_big_upload_is_fast(engine: sa.Engine) -> None:
    n, periods = 10_000, [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    ids = [f"I{i:05d}" for i in range(n)]
    families = [f"F{i % 20}" for i in range(n)]
    horizon = [f"2026-{m:02d}" for m in range(1, 13)] + [f"2027-{m:02d}" for m in range(1, 7)]
    data = CompanyData(
        items=pd.DataFrame(
            {
                "item_id": ids,
                "family": families,
                "unit_price": 10.0,
                "unit_cost": 5.0,
                "opening_inventory": 0.0,
                "safety_days": np.nan,
                "description": "",
            }
        ),
        history=pd.DataFrame(
            {
                "item_id": np.repeat(ids, 36),
                "period": np.tile(periods, n),
                "actual_units": 1.0,
                "forecast_units": np.nan,
            }
        ),
        capacity=pd.DataFrame(
            {
                "family": np.repeat([f"F{i}" for i in range(20)], 18),
                "period": np.tile(horizon, 20),
                "capacity_units": 1e6,
                "resource": "",
                "overtime_pct": np.nan,
            }
        ),
    )
    store = Store(engine)
    store.ensure_ready(seed=False)
    start = time.perf_counter()
    store.save_dataset(data, source="big")
    back = store.load_company()
    # a generous bound (speed is measured in bench/): catches a row-by-row insert, not a busy machine
    assert time.perf_counter() - start < 60
    assert len(back.history) == 360_000
