"""Crash safety of the served app (issue 11): the web server (gunicorn, master and both workers) is killed
with SIGKILL while signed-in planners paste blocks into the demand and capacity grids over HTTP, and while an
administrator uploads the company's files over HTTP. After a restart: the store's own checks pass (SQLite's
`PRAGMA integrity_check` and foreign keys), no change is there in part (every change's rows are all there,
each change made exactly one revision, and the plan's revision is the last one recorded), every change the
server answered as stored is there, and the restarted app serves the plan with those values. On SQLite, and
on PostgreSQL when TEST_DATABASE_URL is set. Figures are appended to test-artifacts/crash.md."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import ARTIFACTS, seed_example_dir
from tests.served_app import (
    Client,
    Gunicorn,
    add_users,
    capacity_paste,
    demand_paste,
    dependencies,
    served_database,
    upload,
    value_of,
)

pytestmark = pytest.mark.deploy
pytest.importorskip("gunicorn")

USERS = {"cr-d1": "demand_planner", "cr-d2": "demand_planner", "cr-s1": "supply_planner", "cr-admin": "admin"}
BLOCK = 6  # months per pasted block
ROUNDS = int(os.environ.get("SOP_CRASH_ROUNDS", "1"))  # kills per test


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, seeded_sqlite):
    with served_database(request.param, tmp_path, seeded_sqlite) as url:
        add_users(url, USERS)
        yield request.param, url


def _engine(url: str):
    from data.store import make_engine

    return make_engine(url)


def _store_checks(url: str) -> list[str]:
    """What the database itself says about its file (SQLite) and its keys."""
    if not url.startswith("sqlite"):
        return []  # PostgreSQL kept running: a web server's death cannot damage its files
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            problems = [] if conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok" else ["integrity_check"]
            problems += [f"foreign key: {tuple(r)}" for r in conn.exec_driver_sql("PRAGMA foreign_key_check")]
            return problems
    finally:
        engine.dispose()


def _draft(conn) -> dict:
    import sqlalchemy as sa

    from data.store.tables import plan_versions

    return dict(conn.execute(sa.select(plan_versions).where(plan_versions.c.kind == "base")
                             .order_by(plan_versions.c.id.desc()).limit(1)).mappings().one())


def _changes_since(url: str, version_id: int, since: int) -> tuple[list[tuple], int, list[str]]:
    """The draft's changes after revision `since`: [(revision, batch, kind, reason, family, period, value)],
    the version's revision now, and what breaks 'each change whole, one revision each, in order'."""
    import sqlalchemy as sa

    from data.store.tables import adjustments, capacity_changes, change_events, forecast_changes, plan_versions

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            revision = conn.execute(sa.select(plan_versions.c.revision)
                                    .where(plan_versions.c.id == version_id)).scalar_one()
            a, c = adjustments, capacity_changes
            rows = [(r.revision, r.batch_id, "demand", r.reason, r.key, r.period, float(r.value))
                    for r in conn.execute(sa.select(a).where(a.c.version_id == version_id, a.c.revision > since))]
            rows += [(r.revision, r.batch_id, "capacity", r.reason, r.family, r.period, float(r.after_value))
                     for r in conn.execute(sa.select(c).where(c.c.version_id == version_id, c.c.revision > since))]
            others = [r.revision for t in (change_events, forecast_changes)
                      for r in conn.execute(sa.select(t.c.revision).where(t.c.version_id == version_id,
                                                                          t.c.revision > since))]
    finally:
        engine.dispose()
    problems = []
    per_batch = Counter((r[1], r[3], r[0]) for r in rows)
    for (batch, reason, _rev), n in per_batch.items():
        if n != BLOCK and not reason.startswith("cap "):
            problems.append(f"demand change {reason} ({batch}) has {n} of {BLOCK} rows")
        if n != BLOCK - 2 and reason.startswith("cap "):
            problems.append(f"capacity change {reason} ({batch}) has {n} of {BLOCK - 2} rows")
    revisions = sorted([rev for _b, _r, rev in per_batch] + others)
    if revisions != list(range(since + 1, revision + 1)):
        problems.append(f"revisions {since}→{revision}, changes recorded at {revisions}: not one each, in order")
    return rows, revision, problems


def _serves_the_plan(base: str, user: str) -> tuple[list[dict], list[dict]]:
    client = Client(base, dependencies(base))
    client.sign_in(user)
    page = client.http.get(base + "/demand", timeout=120)
    assert page.status_code == 200 and "_dash-config" in page.text
    demand_rows, _ = client.demand.read(client.post)
    supply_rows, _ = client.supply.read(client.post)
    assert demand_rows and supply_rows
    return demand_rows, supply_rows


def _record(line: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "crash.md", "a") as f:
        f.write(line + "\n")


def _burst_then_kill(server: Gunicorn, url: str) -> dict:
    """Three planners paste blocks as fast as the server answers; SIGKILL once six are stored."""
    base = server.base
    calls = dependencies(base)
    first = Client(base, calls)
    first.sign_in("cr-d1")
    rows, rev = first.demand.read(first.post)
    families = sorted(r["family"] for r in rows if str(r["row_id"]).startswith("family:"))
    periods = list(rev["horizon"])[:BLOCK]
    engine = _engine(url)
    with engine.connect() as conn:
        draft = _draft(conn)
    engine.dispose()
    acked: list[str] = []  # reasons of the changes the server answered as stored
    failed: list[str] = []
    unanswered = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    tag = uuid.uuid4().hex[:6]

    def writer(who: str, family: str) -> None:
        client = Client(base, calls)
        client.sign_in(who)
        supply = USERS[who] == "supply_planner"
        _rows, view = (client.supply if supply else client.demand).read(client.post)
        n = 0
        while not stop.is_set():
            reason = f"{'cap' if supply else 'dem'} {who} {tag} {n}"
            try:
                if supply:
                    cells = [(family, p, 500.0 + n + i) for i, p in enumerate(periods[: BLOCK - 2])]
                    answer, text, new = capacity_paste(client, view, cells, reason)
                else:
                    cells = [(f"family:{family}", p, str(1000 + n + i)) for i, p in enumerate(periods)]
                    answer, text, new = demand_paste(client, view, cells, nonce=reason, reason=reason)
            except requests.RequestException:
                with lock:
                    unanswered[who] += 1  # killed while this change was on its way: stored whole or not at all
                return
            with lock:
                (acked if answer == "saved" else failed).append(reason if answer == "saved" else f"{reason}: {text}")
            view = new or view
            n += 1

    threads = [threading.Thread(target=writer, args=(w, f)) for w, f in
               (("cr-d1", families[0]), ("cr-d2", families[1]), ("cr-s1", families[-1]))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 240
    while len(acked) < 6 and time.monotonic() < deadline and not failed:
        time.sleep(0.05)
    time.sleep(random.Random().uniform(0.0, 1.5))
    server.kill9()
    stop.set()
    for t in threads:
        t.join(60)
    assert failed == [], failed[:3]
    assert len(acked) >= 6, "the burst never got going"
    return {"draft": draft, "acked": acked, "unanswered": sum(unanswered.values())}


def test_kill_the_web_server_during_an_edit_burst(database, tmp_path):
    """SOP_CRASH_ROUNDS bursts (default 1), each ended by SIGKILL and checked after a restart."""
    kind, url = database
    server = Gunicorn(url, tmp_path)
    server.start()
    totals = Counter()
    try:
        for _round in range(ROUNDS):
            burst = _burst_then_kill(server, url)
            draft, acked = burst["draft"], burst["acked"]
            problems = _store_checks(url)
            rows_after, revision, whole = _changes_since(url, draft["id"], draft["revision"])
            stored = {r[3] for r in rows_after}
            missing = [r for r in acked if r not in stored]
            server.start()  # the same database, as after a reboot
            demand_rows, supply_rows = _serves_the_plan(server.base, "cr-d2")
            last = {}
            for _rev, _b, grid, _reason, family, period, value in sorted(rows_after):
                last[(grid, family, period)] = value
            shown = [(k, v, value_of(demand_rows if k[0] == "demand" else supply_rows, f"family:{k[1]}", k[2]))
                     for k, v in last.items()]
            shown_wrong = [x for x in shown if x[2] is None or abs(float(x[2]) - x[1]) > 0.5]
            assert problems == [], problems
            assert whole == [], whole[:3]
            assert missing == [], missing[:3]
            assert len(stored) <= len(acked) + burst["unanswered"]
            assert shown_wrong == [], shown_wrong[:3]
            totals.update(acked=len(acked), stored=len(stored), in_flight=burst["unanswered"],
                          revisions=revision - draft["revision"])
        _record(f"web server killed (SIGKILL of gunicorn master + 2 workers, {kind}) during an HTTP edit burst, "
                f"{ROUNDS} time(s): {totals['acked']} changes answered stored, {totals['stored']} in the store "
                f"({totals['stored'] - totals['acked']} of {totals['in_flight']} in flight), 0 in part, "
                f"{totals['revisions']} revisions, one per change; integrity ok, the plan served after each restart")
    finally:
        server.stop()
        server.keep_log(f"crash-burst-{kind}")


def _datasets(url: str) -> dict[int, dict]:
    """Each dataset: its rows per table, and the cycles (with a base version) made from it."""
    import sqlalchemy as sa

    from data.store.tables import capacity, cycles, datasets, history, items, plan_versions

    engine = _engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for (dataset_id,) in conn.execute(sa.select(datasets.c.id)):
                counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)
                                               .where(t.c.dataset_id == dataset_id)).scalar_one()
                          for t in (items, history, capacity)}
                made = conn.execute(sa.select(sa.func.count()).select_from(
                    cycles.join(plan_versions, plan_versions.c.cycle_id == cycles.c.id))
                    .where(cycles.c.dataset_id == dataset_id, plan_versions.c.kind == "base")).scalar_one()
                out[int(dataset_id)] = {**counts, "base_versions": made}
    finally:
        engine.dispose()
    return out


def _csv_rows(path: Path) -> int:
    return len([line for line in path.read_text().splitlines()[1:] if line.strip()])


def _upload_then_kill(server: Gunicorn, files: dict[str, bytes]) -> dict:
    """An administrator uploads again and again; SIGKILL inside the third upload (a file is stored after it
    is checked and planned, so in the second half of the request)."""
    client = Client(server.base, dependencies(server.base))
    client.sign_in("cr-admin")
    took: list[float] = []
    failed: list[str] = []
    counts = Counter()
    started = threading.Event()

    def loop() -> None:
        while True:
            t0 = time.monotonic()
            started.set()
            try:
                answer, text = upload(client, files)
            except requests.RequestException:
                counts["unanswered"] += 1
                return
            if answer != "ok":
                failed.append(text)
                return
            started.clear()
            counts["acked"] += 1
            took.append(time.monotonic() - t0)

    thread = threading.Thread(target=loop)
    thread.start()
    deadline = time.monotonic() + 300
    while len(took) < 2 and time.monotonic() < deadline and not failed:
        time.sleep(0.05)
    assert took, f"no upload was answered: {failed}"
    started.wait(60)  # the next upload is on its way: kill in its second half, where it is stored
    time.sleep(random.Random().uniform(0.5, 1.0) * took[-1])
    server.kill9()
    thread.join(60)
    assert failed == [], failed[:1]
    return {"acked": counts["acked"], "unanswered": counts["unanswered"], "took": took[-1]}


def test_kill_the_web_server_during_an_upload(database, tmp_path):
    """SOP_CRASH_ROUNDS upload loops (default 1), each ended by SIGKILL and checked after a restart."""
    kind, url = database
    folder = seed_example_dir()
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}
    expected = {"items": _csv_rows(folder / "items.csv"), "history": _csv_rows(folder / "history.csv"),
                "capacity": _csv_rows(folder / "capacity.csv"), "base_versions": 1}
    server = Gunicorn(url, tmp_path)
    server.start()
    totals, took = Counter(), []
    try:
        for _round in range(ROUNDS):
            before = _datasets(url)
            done = _upload_then_kill(server, files)
            problems = _store_checks(url)
            after = _datasets(url)
            new = {k: v for k, v in after.items() if k not in before}
            partial = {k: v for k, v in new.items() if v != expected}
            server.start()
            demand_rows, _supply = _serves_the_plan(server.base, "cr-d1")
            engine = _engine(url)
            try:
                from data.store import Store

                current = Store(engine).plan_state()
            finally:
                engine.dispose()
            assert problems == [], problems
            assert partial == {}, partial
            assert done["acked"] <= len(new) <= done["acked"] + done["unanswered"]
            assert current["dataset_id"] == max(after), (current, max(after))  # the newest upload is the plan's
            assert demand_rows
            totals.update(acked=done["acked"], stored=len(new), in_flight=done["unanswered"])
            took.append(done["took"])
        _record(f"web server killed (SIGKILL, {kind}) during an HTTP upload ({min(took):.1f}-{max(took):.1f} s "
                f"each), {ROUNDS} time(s): {totals['acked']} uploads answered stored, {totals['stored']} datasets "
                f"stored ({totals['stored'] - totals['acked']} of {totals['in_flight']} in flight), 0 in part; "
                "integrity ok, the plan served after each restart")
    finally:
        server.stop()
        server.keep_log(f"crash-upload-{kind}")
