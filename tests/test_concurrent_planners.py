"""Planners working at once (issue 11, item 8): eight planners, each with its own PlanService on one store (as
separate web workers), type on the view they read just before, on different cells (four on the demand grid,
four on the capacity grid): none is refused, none is lost. Two on the same cell: every refusal names who
won. The figures are written to test-artifacts/concurrency.md."""

from __future__ import annotations

import random
import threading
import time

from tests.conftest import ARTIFACTS

SECONDS = 8.0


def _run(url: str, jobs: list[tuple[str, list[tuple[str, str]]]], seconds: float) -> dict:
    from data.store import Store, make_engine
    from data.store.versions import ConflictError
    from services.plan_service import PlanService

    stats = {"tried": 0, "refused": 0, "errors": [], "stored": {"demand": 0, "capacity": 0}, "messages": []}
    lock = threading.Lock()

    def planner(i: int, kind: str, cells: list[tuple[str, str]]) -> None:
        svc = PlanService(Store(make_engine(url)))
        rnd = random.Random(i)
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            family, period = cells[n % len(cells)]
            n += 1
            st = svc.state()
            seen = {"version": st.version_id, "revision": st.revision}
            time.sleep(rnd.uniform(0.02, 0.15))  # typing
            with lock:
                stats["tried"] += 1
            try:
                if kind == "demand":
                    svc.apply_edits([{"level": "family", "key": family, "period": period, "text": "+1"}],
                                    reason=f"planner {i}", owner=f"p{i}", seen=seen)
                else:
                    svc.apply_capacity_edits([{"family": family, "period": period, "text": "+1"}],
                                             reason=f"planner {i}", owner=f"p{i}", seen=seen)
                with lock:
                    stats["stored"][kind] += 1
            except ConflictError as exc:
                with lock:
                    stats["refused"] += 1
                    stats["messages"].append(str(exc))
            except Exception as exc:  # noqa: BLE001 - counted and failed on below
                with lock:
                    stats["errors"].append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=planner, args=(i, kind, cells)) for i, (kind, cells) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats


def _store(url):
    """The sample company on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (`db_url`)."""
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    store = Store(make_engine(url))
    store.ensure_ready(seed=True)
    return url, PlanService(store)


def _stored_rows(svc) -> tuple[int, int]:
    vid = svc.state().version_id
    adj = svc.store.list_adjustments(vid)
    cap = svc.store.list_capacity_changes(vid)
    ours = adj["reason"].astype(str).str.startswith("planner ")
    cap_ours = cap["reason"].astype(str).str.startswith("planner ") if len(cap) else cap.index == -1
    return int(ours.sum()), int(cap_ours.sum())


def test_eight_planners_on_different_cells_none_refused_none_lost(db_url):
    url, svc = _store(db_url)
    plan = svc.current_plan()
    families = sorted(plan.family_plan["family"].unique())
    periods = sorted(plan.family_plan["period"].unique())
    demand_cells = [(f, p) for f in families for p in periods[: len(periods) // 2]]
    capacity_cells = [(f, p) for f in families for p in periods[len(periods) // 2:]]
    jobs = [("demand", demand_cells[i::4]) for i in range(4)] + [("capacity", capacity_cells[i::4]) for i in range(4)]
    stats = _run(url, jobs, SECONDS)
    demand_rows, capacity_rows = _stored_rows(svc)
    lost = stats["stored"]["demand"] - demand_rows + stats["stored"]["capacity"] - capacity_rows
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "concurrency.md", "a") as f:
        f.write(
        f"8 planners, different cells, {SECONDS:g} s ({url.split(':')[0]}): tried {stats['tried']}, refused {stats['refused']}, "
        f"stored {stats['stored']}, lost {lost}, errors {len(stats['errors'])}\n")
    assert stats["errors"] == [] and stats["refused"] == 0, stats["messages"][:3] + stats["errors"][:3]
    assert lost == 0 and stats["tried"] > 16


def test_two_planners_on_one_cell_the_loser_is_told_who_won(db_url):
    url, svc = _store(db_url)
    plan = svc.current_plan()
    cell = (sorted(plan.family_plan["family"].unique())[0], sorted(plan.family_plan["period"].unique())[0])
    stats = _run(url, [("demand", [cell]), ("demand", [cell])], 4.0)
    demand_rows, _ = _stored_rows(svc)
    assert stats["errors"] == []
    assert demand_rows == stats["stored"]["demand"]  # nothing lost, nothing half-applied
    assert stats["refused"] > 0
    assert all("changed these cells after your view" in m and " by p" in m for m in stats["messages"])
    with open(ARTIFACTS / "concurrency.md", "a") as f:
        f.write(f"2 planners, one cell, 4 s: tried {stats['tried']}, refused {stats['refused']} (each naming the "
                f"winner), stored {stats['stored']['demand']}, lost 0\n")
