"""Server memory over many edits: the app runs in this process (one thread serving it), Chromium visits
every page once, then types N demand edits on /demand (each waits for the KPI strip to move), revisiting
the pages every `--visit-every` edits. Printed every 10 edits: the process's resident memory (MiB) and
what the caches hold (plan states, MiB of plan tables, derived figures, grid rows kept).

    python bench/memory.py --items 10000 --edits 60      # the 10,000-item company (goal: < 600 MiB)
    python bench/memory.py --minutes 60 --items 10000    # an hour of edits
    python bench/memory.py --db /tmp/sop-10k.db ...      # reuse a stored company (copied, never changed)
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def deep_mib(value, seen: set | None = None) -> float:
    """Approximate MiB of a cached value: frames by their deep memory usage, containers walked."""
    import pandas as pd

    seen = set() if seen is None else seen
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, pd.DataFrame):
            total += int(v.memory_usage(index=True, deep=True).sum())
        elif isinstance(v, pd.Series):
            total += int(v.memory_usage(index=True, deep=True))
        elif isinstance(v, dict):
            total += sys.getsizeof(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple, set)):
            total += sys.getsizeof(v)
            stack.extend(v)
        elif hasattr(v, "__dict__") and not isinstance(v, type):
            stack.extend(vars(v).values())
        else:
            total += sys.getsizeof(v)
    return total / 2**20


def cache_report() -> dict:
    """What each cache holds (entries, approximate MiB; shared frames are counted once, in order)."""
    from callbacks import demand
    from services import plan_service

    svc = plan_service.get_service()
    seen: set = set()
    out = {}
    with svc._lock:
        for name in ("_plans", "_base", "_data", "_history", "_interim", "_memo"):
            cache = getattr(svc, name)
            out[name.strip("_")] = (len(cache), round(deep_mib(dict(cache), seen), 1))
        shared = set(seen)
        for (name, _state), value in list(svc._derived.items()):
            out[f"derived:{name}"] = (1, round(deep_mib(value, set(shared)), 1))
        out["derived"] = (len(svc._derived), round(deep_mib(dict(svc._derived), seen), 1))
    for name in ("_rows", "_by_dataset"):
        cache = getattr(demand, name, None)
        if cache is not None:
            out["demand" + name] = (len(cache), round(deep_mib(dict(cache), seen), 1))
    return out


def serve() -> None:
    """The child process: the app as `python app.py` runs it; SIGUSR1 writes what the caches hold to
    $SOP_MEMORY_REPORT."""
    import json
    import logging
    import signal

    os.chdir(ROOT)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import app as sop_app

    def report(*_):
        gc.collect()
        Path(os.environ["SOP_MEMORY_REPORT"]).write_text(json.dumps(cache_report()))

    signal.signal(signal.SIGUSR1, report)
    sop_app.warm_up()
    sop_app.app.run(host="127.0.0.1", port=int(os.environ["SOP_PORT"]), debug=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=0, help="edit for this long instead of --edits")
    parser.add_argument("--visit-every", type=int, default=10, help="revisit every page after this many edits")
    parser.add_argument("--db", default="", help="a stored company (SQLite file) to start from (copied)")
    parser.add_argument("--no-pages", action="store_true", help="edits only")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sop-bench-memory-"))
    db = workdir / "sop.db"
    os.environ.update({"DATABASE_URL": f"sqlite:///{db}", "SOP_CACHE_DIR": str(workdir / "cache"),
                       "SOP_AUTO_FORECAST": "0", "SOP_REQUIRE_LOGIN": "0"})
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("SOP_ENV", None)
    from bench.browser import (CHROMIUM, CHROMIUM_ARGS, PAGES, WATCH, Server, load_synthetic, open_demand,
                               ready_ms)

    if args.db and Path(args.db).exists():
        shutil.copy(args.db, db)
    else:
        from services.plan_service import get_store

        get_store()  # the schema and the sample company, as the app's first start makes them
        print("loading", load_synthetic(type("W", (), {"workdir": workdir})(), args.items), flush=True)
        if args.db:
            shutil.copy(db, args.db)
    t0 = time.monotonic()
    report = workdir / "report.json"
    server = Server("memory", [sys.executable, str(Path(__file__).resolve()), "--serve"],
                    {"DATABASE_URL": f"sqlite:///{db}", "SOP_CACHE_DIR": str(workdir / "cache"),
                     "SOP_AUTO_FORECAST": "0", "SOP_REQUIRE_LOGIN": "0", "SOP_MEMORY_REPORT": str(report)})
    server.wait()
    base = server.url
    print(f"started: {server.rss_mib():.0f} MiB", flush=True)

    from playwright.sync_api import sync_playwright

    def line(n: int) -> None:
        import json
        import signal

        report.unlink(missing_ok=True)
        server.process.send_signal(signal.SIGUSR1)
        for _ in range(600):
            if report.exists() and report.stat().st_size:
                time.sleep(0.2)
                break
            time.sleep(0.1)
        held = json.loads(report.read_text()) if report.exists() else {}
        print(f"edits {n:>4} · {time.monotonic() - t0:>6.0f} s · RSS {server.rss_mib():>6.0f} MiB · caches "
              "(entries/MiB): " + " ".join(f"{k} {c}/{m}" for k, (c, m) in held.items()), flush=True)

    def visit(browser) -> None:
        if not args.no_pages:
            for name in PAGES:
                context = browser.new_context(base_url=base, viewport={"width": 1920, "height": 1080})
                context.add_init_script(WATCH)
                try:
                    ready_ms(context.new_page(), PAGES[name][1], PAGES[name][0], timeout_s=60)
                except Exception as exc:  # noted; memory is what this bench measures
                    print(f"  {name}: {type(exc).__name__}: {str(exc)[:160]}", flush=True)
                finally:
                    context.close()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            visit(browser)
            line(0)
            _context, page, row_id, periods = open_demand(browser, base, timeout_ms=180_000)
            n, deadline = 0, (time.monotonic() + args.minutes * 60) if args.minutes else None
            while (n < args.edits) if deadline is None else (time.monotonic() < deadline):
                period = periods[n % len(periods)]
                before = page.locator("#demand-kpi-consensus").get_attribute("data-value")
                cur = page.evaluate("([r, p]) => dash_ag_grid.getApi('demand-grid').getRowNode(r).data[p]",
                                    [row_id, period])
                cell = page.locator(f'#demand-grid .ag-row[row-id="{row_id}"] [col-id="{period}"]').first
                cell.dblclick()
                editor = page.locator("#demand-grid .ag-cell-inline-editing input")
                editor.wait_for()
                editor.fill(str(round(float(cur or 100) * (1.05 if n % 2 == 0 else 0.95)) + 1))
                editor.press("Enter")
                page.wait_for_function(
                    "b => { const e = document.querySelector('#demand-kpi-consensus');"
                    " return e && e.getAttribute('data-value') !== b; }", arg=before, timeout=180_000)
                page.wait_for_timeout(300)
                n += 1
                if n % args.visit_every == 0:
                    visit(browser)
                    ready_ms(page, PAGES["demand"][1], "/demand")
                if n % 10 == 0:
                    line(n)
            if n % 10:
                line(n)
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        raise SystemExit(main())
