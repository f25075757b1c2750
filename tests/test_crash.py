"""Crash safety (issue 11): a process writing to the store is killed with SIGKILL in the middle of an edit
burst and of an upload loop; afterwards the SQLite file passes `PRAGMA integrity_check`, every edit that the
process reported as stored is there, and no edit is there in part (each is one transaction of 6 cells)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from tests.conftest import ARTIFACTS, ROOT, seed_example_dir

BURST = textwrap.dedent("""
    import sys
    from data.store import Store, make_engine
    from services.plan_service import PlanService
    svc = PlanService(Store(make_engine(sys.argv[1])))
    plan = svc.current_plan()
    fams = sorted(plan.family_plan["family"].unique())
    periods = sorted(plan.family_plan["period"].unique())
    cells = [{"level": "family", "key": f, "period": p, "text": "+1"} for f in fams for p in periods]
    print("ready", flush=True)
    n = 0
    while True:
        block = [cells[(n * 6 + k) % len(cells)] for k in range(6)]
        svc.apply_edits(block, reason=f"burst {n}", owner="crash")
        n += 1
        print("stored", n, flush=True)
""")

UPLOADS = textwrap.dedent("""
    import sys, os
    os.environ["SOP_AUTO_FORECAST"] = "0"
    from pathlib import Path
    from services import plan_service
    from data.store import Store, make_engine
    plan_service._service = plan_service.PlanService(Store(make_engine(sys.argv[1])))
    from services.uploads import upload_files
    files = {p.name: p.read_bytes() for p in sorted(Path(sys.argv[2]).glob("*.csv"))}
    print("ready", flush=True)
    n = 0
    while True:
        assert upload_files(files, user="admin").stored
        n += 1
        print("stored", n, flush=True)
""")


def _kill_after(script: str, args: list[str], seconds: float) -> int:
    """Run `script`, SIGKILL it `seconds` after it says ready; the number of writes it reported done."""
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    done = [int(line.split()[1]) for line in out.splitlines() if line.startswith("stored")]
    return max(done) if done else 0


def _integrity(path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_kill_during_an_edit_burst(tmp_path, seeded_sqlite):
    shutil.copy(seeded_sqlite, tmp_path / "sop.db")
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    reported = _kill_after(BURST, [url], 4.0)
    assert reported > 0
    assert _integrity(tmp_path / "sop.db") == "ok"
    with sqlite3.connect(tmp_path / "sop.db") as conn:
        rows = conn.execute("SELECT reason, COUNT(*) FROM adjustments WHERE owner = 'crash' GROUP BY reason").fetchall()
    sizes = {reason: n for reason, n in rows}
    assert all(n == 6 for n in sizes.values()), "an edit was stored in part"
    assert len(sizes) >= reported, f"{reported} edits reported stored, {len(sizes)} in the store"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crash.md").write_text(f"edit burst killed: {reported} edits reported, {len(sizes)} stored whole, "
                                        "0 in part, integrity ok\n")
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    PlanService(Store(make_engine(url))).current_plan()  # the plan still computes from what is stored


def test_kill_during_uploads(tmp_path, seeded_sqlite):
    shutil.copy(seeded_sqlite, tmp_path / "sop.db")
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    with sqlite3.connect(tmp_path / "sop.db") as conn:
        before = conn.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
    reported = _kill_after(UPLOADS, [url, str(seed_example_dir())], 6.0)
    assert reported > 0
    assert _integrity(tmp_path / "sop.db") == "ok"
    with sqlite3.connect(tmp_path / "sop.db") as conn:
        after = conn.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
        latest = conn.execute("SELECT MAX(id) FROM datasets").fetchone()[0]
        items = conn.execute("SELECT COUNT(*) FROM items WHERE dataset_id = ?", (latest,)).fetchone()[0]
    assert after - before >= reported
    assert items == 2  # the newest dataset is whole (the reference example has two items)
    with open(ARTIFACTS / "crash.md", "a") as f:
        f.write(f"upload loop killed: {reported} uploads reported, {after - before} datasets stored, newest whole, "
                "integrity ok\n")
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    PlanService(Store(make_engine(url))).current_plan()
