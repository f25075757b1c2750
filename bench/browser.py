"""How fast the pages answer in a real browser, beside an empty Dash page measured in the same run.

Starts the app (`python app.py`: its own SQLite file and cache, no automatic forecast, no sign-in, a free
port) and, as the reference, bench/empty_app.py (one div and a trivial echo callback). Then, with Debian's
Chromium driven by Playwright:

- every page's **cold** ready time (a new browser context: nothing cached) and **warm** ready time (the same
  page loaded again in that context), beside the empty page's cold and warm times;
- the **demand edit round trip**: Enter in a `#demand-grid` cell → `#demand-kpi-consensus`'s `data-value`
  changes, beside the trivial echo (Enter in the empty page's input → its echo shown);
- the **demand paste round trip**: a 10 × 10 block of new values pasted at the first month of the first row
  (every family expanded) → `#demand-kpi-consensus` changes (goal: under 2 s);
- the server's **memory** (resident set, with its child processes) after all pages and edits, beside the
  empty app's.

"Ready" is measured in the page, from the navigation's start: the page's main content is present (a
selector per page), no Dash callback is in flight (requests to `_dash-update-component`, except those of
poll timers, are counted by a wrapper around `fetch`) and no component is marked loading (except the
header's forecast badge, which a poll fills every 4 s). The
time reported is when that state began and then held for `QUIET_MS` (so a gap between two chained callbacks
does not count as ready).

    python bench/browser.py [--items 10000] [--runs 5] [--edits 5] [--quick]

--items N loads a synthetic company of N items (bench/synthetic.py: 200 families, 24 history months, an
18-month forecast, 5 % of the horizon's cells adjusted) through the upload path (`data.readers.load_company`
of CSV files, then `Store.save_dataset`) before measuring; without it the app's sample company is measured.
Prints each goal with its reference and ratio, and writes the figures to test-artifacts/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("SOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage"]
QUIET_MS = 400
PAGES = {  # path → what must be on screen for the page to be ready
    "dashboard": ("/", "#dash-demand-table"),
    "data": ("/data", "#data-accuracy-grid .ag-row:not(.ag-row-loading)"),  # a paged grid's rows, loaded
    "demand": ("/demand", "#demand-grid .ag-row"),
    "supply": ("/supply", "#supply-gap-grid .ag-row"),
    "pre-sop": ("/pre-sop", "#presop-scenarios-table"),
    "metrics": ("/metrics", "#metrics-kpi-table"),
}
EMPTY = ("/", "#ref-main")

# Runs in every page before its scripts: counts Dash callbacks in flight and stamps when the page became ready.
WATCH = """
(() => {
  window.__pending = 0; window.__readySince = null; window.__readySel = null;
  const orig = window.fetch;
  window.fetch = function(input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    const body = init && typeof init.body === 'string' ? init.body : '';
    const counted = url.includes('_dash-update-component') && !body.includes('n_intervals');
    if (!counted) return orig.apply(this, arguments);
    window.__pending++;
    return orig.apply(this, arguments).finally(() => { window.__pending--; });
  };
  const check = () => {
    const sel = window.__readySel;
    // a poll (the header's forecast badge every 4 s) in flight is not the page loading: Dash's global
    // `_dash-loading-callback` marker counts it too, so only the counted callbacks and the components they
    // are filling are looked at (a busy 10,000-item server can always have one poll waiting)
    const loading = [...document.querySelectorAll('[data-dash-is-loading="true"]')]
      .some(e => !e.closest('#shell-forecast'));
    const ok = sel && document.querySelector(sel) && window.__pending === 0 && !loading;
    if (ok) { if (window.__readySince === null) window.__readySince = performance.now(); }
    else window.__readySince = null;
  };
  setInterval(check, 10);
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on a free port with its own work directory."""

    def __init__(self, name: str, command: list[str], env_extra: dict[str, str]) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"sop-bench-{name}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SOP_PORT": str(self.port), "SOP_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1",
               **{k: v.replace("{workdir}", str(self.workdir)) for k, v in env_extra.items()}}
        env.pop("REDIS_URL", None)
        env.pop("SOP_ENV", None)
        self.log = open(self.workdir / "server.log", "w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.workdir / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("server did not answer")

    def rss_mib(self) -> float:
        """Resident memory of the server and its children (MiB)."""
        import psutil

        p = psutil.Process(self.process.pid)
        procs = [p, *p.children(recursive=True)]
        return sum(q.memory_info().rss for q in procs if q.is_running()) / 2**20

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        out = ROOT / "test-artifacts"
        out.mkdir(exist_ok=True)
        shutil.copy(self.workdir / "server.log", out / f"bench-{self.workdir.name.split('-')[2]}.log")
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_app(profile: bool = False) -> Server:
    command = [sys.executable, str(ROOT / "bench" / "profile_server.py")] if profile else [sys.executable, "app.py"]
    return Server("app", command, {
        "DATABASE_URL": "sqlite:///{workdir}/sop.db", "SOP_CACHE_DIR": "{workdir}/cache",
        "SOP_AUTO_FORECAST": "0", "SOP_REQUIRE_LOGIN": "0",
    })


def start_empty() -> Server:
    return Server("empty", [sys.executable, str(ROOT / "bench" / "empty_app.py")], {})


def load_synthetic(app: Server, n_items: int) -> dict:
    """Upload a synthetic company of `n_items` through the reader (CSV files) and the store, as an upload does."""
    os.environ.setdefault("SOP_MAX_UPLOAD_MB", "500")
    from bench.synthetic import synthetic_company
    from data.readers import load_company
    from data.store import Store, make_engine

    n_horizon, n_families = 18, 200
    company = synthetic_company(n_items, n_families=min(n_families, n_items), n_history=24, n_horizon=n_horizon,
                                n_adjustments=int(0.05 * n_items * n_horizon))
    files = {}
    for name in ("items", "history", "capacity", "forecast", "adjustments"):
        frame = getattr(company, name)
        if name == "adjustments":
            frame = frame.drop(columns=["seq", "created_at"])
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        files[f"{name}.csv"] = buf.getvalue().encode()
    t0 = time.perf_counter()
    data, issues = load_company(files)
    if data is None:
        raise RuntimeError("synthetic company refused: " + "; ".join(str(i) for i in issues if i.is_error)[:2000])
    engine = make_engine(f"sqlite:///{app.workdir}/sop.db")
    Store(engine).save_dataset(data, source=f"synthetic {n_items} items", user="bench")
    engine.dispose()
    return {"items": n_items, "families": n_families, "history_rows": len(company.history),
            "forecast_rows": len(company.forecast), "adjustments": len(company.adjustments),
            "upload_s": round(time.perf_counter() - t0, 1)}


def ready_ms(page, selector: str, path: str, timeout_s: float = 180) -> float:
    """Go to `path` and return the in-page time (ms since the navigation started) the page became ready."""
    page.goto(path, wait_until="commit")
    page.evaluate("s => { window.__readySel = s; }", selector)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        since, now = page.evaluate("() => [window.__readySince, performance.now()]")
        if since is not None and now - since >= QUIET_MS:
            return float(since)
        time.sleep(0.05)
    why = page.evaluate("s => ({present: !!document.querySelector(s), pending: window.__pending, loading: "
                        "!!document.querySelector('._dash-loading-callback, [data-dash-is-loading=\"true\"]')})",
                        selector)
    raise TimeoutError(f"{path} not ready ({selector}) within {timeout_s:.0f} s: {why}")


def finish(page) -> None:
    """Let the page finish what it does after it is ready (the charts: plotly.js is loaded once the page's
    callbacks are answered, assets/plotly_later.js) before the next load, which it would otherwise slow."""
    page.wait_for_load_state("networkidle")
    try:  # a page with charts has loaded plotly.js by now (one without never does)
        page.wait_for_function("() => typeof (window.Plotly || {}).react === 'function'", timeout=5_000)
    except Exception:  # Playwright's TimeoutError: a page without charts
        pass
    page.wait_for_timeout(200)


def page_times(browser, base: str, path: str, selector: str) -> tuple[float, float]:
    """(cold ms, warm ms) of one page: a fresh context, then the same page again."""
    context = browser.new_context(base_url=base, viewport={"width": 1920, "height": 1080})
    context.add_init_script(WATCH)
    page = context.new_page()
    try:
        cold = ready_ms(page, selector, path)
        finish(page)
        warm = ready_ms(page, selector, path)
    finally:
        context.close()
    return cold, warm


ARM = """([selector, attr]) => {
  window.__t0 = null; window.__t1 = null;
  const read = () => { const el = document.querySelector(selector);
    return el ? (attr ? el.getAttribute(attr) : (el.innerText ?? el.textContent)) : null; };
  const before = read();
  const stamp = e => { if (e.key !== 'Enter') return; window.__t0 = performance.now();
    window.removeEventListener('keydown', stamp, true); };
  window.addEventListener('keydown', stamp, true);
  const obs = new MutationObserver(() => { if (window.__t0 !== null && window.__t1 === null && read() !== before) {
    window.__t1 = performance.now(); obs.disconnect(); } });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def round_trip(page, selector: str, attr: str | None, act) -> float:
    """In-page ms from the Enter key until `selector` (its `attr`, else its text) changes."""
    page.evaluate(ARM, [selector, attr])
    act()
    page.wait_for_function("() => window.__t1 !== null", timeout=120_000)
    return float(page.evaluate("() => window.__t1 - window.__t0"))


def settle(page) -> None:
    page.wait_for_function("() => window.__pending === 0", timeout=120_000)
    page.wait_for_timeout(300)


def echo_times(browser, base: str, n: int) -> list[float]:
    context = browser.new_context(base_url=base)
    context.add_init_script(WATCH)
    page = context.new_page()
    ready_ms(page, "#ref-out", "/")
    out = []
    for i in range(n):
        box = page.locator("#ref-in")
        box.fill(f"value {i}")
        out.append(round_trip(page, "#ref-out", None, lambda: box.press("Enter")))
        settle(page)
    context.close()
    return out


def open_demand(browser, base: str, timeout_ms: int = 120_000):
    """/demand in a new watched context, ready: (context, page, the first family row's id, the month columns)."""
    context = browser.new_context(base_url=base, viewport={"width": 1920, "height": 1080})
    context.add_init_script(WATCH)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    ready_ms(page, PAGES["demand"][1], "/demand")
    row_id = page.evaluate("() => { let id = null; dash_ag_grid.getApi('demand-grid').forEachNode(n => {"
                           " if (!id && n.id && n.id.startsWith('family:')) id = n.id; }); return id; }")
    periods = page.evaluate("() => dash_ag_grid.getApi('demand-grid').getColumns()"
                            ".map(c => c.getColId()).filter(c => /^\\d{4}-\\d{2}$/.test(c))")
    return context, page, row_id, periods


def edit_times(browser, base: str, n: int) -> list[float]:
    """Type a new absolute value in the first family's first month, n times; each must move the consensus."""
    context, page, row_id, periods = open_demand(browser, base)
    period = periods[0]
    current = page.evaluate("([r, p]) => dash_ag_grid.getApi('demand-grid').getRowNode(r).data[p]", [row_id, period])
    out = []
    for i in range(n):
        text = str(round(float(current) * (1.05 + 0.03 * i)))
        cell = page.locator(f'#demand-grid .ag-row[row-id="{row_id}"] [col-id="{period}"]').first

        def act(cell=cell, text=text):
            cell.dblclick()
            editor = page.locator("#demand-grid .ag-cell-inline-editing input")
            editor.wait_for()
            editor.fill(text)
            editor.press("Enter")

        out.append(round_trip(page, "#demand-kpi-consensus", "data-value", act))
        settle(page)
    context.close()
    return out


PASTE = """([rows, cols, base]) => {
  const api = dash_ag_grid.getApi('demand-grid');
  const periods = api.getColumns().map(c => c.getColId()).filter(c => /^\\d{4}-\\d{2}$/.test(c));
  const block = [];
  for (let i = 0; i < rows; i++) {
    block.push(periods.slice(0, cols).map((p, j) => String(base + 10 * i + j)).join('\\t'));
  }
  const dt = new DataTransfer(); dt.setData('text/plain', block.join('\\n'));
  window.__t0 = performance.now();
  document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true,
                                                                    cancelable: true}));
}"""


def paste_times(browser, base: str, n: int, rows: int = 10, cols: int = 10) -> tuple[list[float], int]:
    """Paste a `rows` × `cols` block of new values at the first row's first month (every family expanded, so
    the block covers families and items), n times; each must move the consensus. Returns (ms, cells)."""
    context, page, first, periods = open_demand(browser, base)
    period = periods[0]
    page.click("#demand-expand-all")
    settle(page)
    out = []
    for i in range(n):
        page.locator(f'#demand-grid .ag-row[row-id="{first}"] [col-id="{period}"]').first.click()
        page.evaluate(ARM, ["#demand-kpi-consensus", "data-value"])
        page.evaluate(PASTE, [rows, cols, 5000 + 700 * i])
        page.wait_for_function("() => window.__t1 !== null", timeout=120_000)
        out.append(float(page.evaluate("() => window.__t1 - window.__t0")))
        settle(page)
    context.close()
    return out, rows * cols


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(s: dict, unit: str = "ms") -> str:
    if unit == "s":
        return f"{s['median'] / 1000:.2f} s ({s['min'] / 1000:.2f}–{s['max'] / 1000:.2f})"
    return f"{s['median']:.0f} ms ({s['min']:.0f}–{s['max']:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=0, help="a synthetic company of N items (default: the sample)")
    parser.add_argument("--runs", type=int, default=None, help="runs per page (default 5, --quick 2)")
    parser.add_argument("--edits", type=int, default=None, help="demand edits (default 5, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a first look")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages to measure")
    parser.add_argument("--profile", action="store_true",
                        help="run the app under cProfile (bench/profile_server.py → test-artifacts/server-profile.txt)")
    parser.add_argument("--label", default="", help="a label for the artifact's file name")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    n_edits = args.edits or (3 if args.quick else 5)
    pages = [p for p in args.pages.split(",") if p]

    from playwright.sync_api import sync_playwright

    app, empty = start_app(args.profile), start_empty()
    result: dict = {"items": args.items or "sample", "runs": runs, "edits": n_edits, "pages": {}}
    try:
        app.wait()
        empty.wait()
        if args.items:
            result["company"] = load_synthetic(app, args.items)
            print("loaded", result["company"], flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            # one unmeasured pass: the server computes the plan once, imports, the browser's first start
            for name in pages:
                page_times(browser, app.url, *PAGES[name])
            page_times(browser, empty.url, *EMPTY)
            cold: dict[str, list[float]] = {n: [] for n in [*pages, "empty"]}
            warm: dict[str, list[float]] = {n: [] for n in [*pages, "empty"]}
            for _ in range(runs):  # interleaved: each run of a page has an empty-page run beside it
                for name in pages:
                    c, w = page_times(browser, app.url, *PAGES[name])
                    cold[name].append(c)
                    warm[name].append(w)
                    c, w = page_times(browser, empty.url, *EMPTY)
                    cold["empty"].append(c)
                    warm["empty"].append(w)
            echo = echo_times(browser, empty.url, n_edits + 1)[1:]
            edits = edit_times(browser, app.url, n_edits)
            pastes, pasted_cells = paste_times(browser, app.url, max(2, n_edits // 2))
            echo += echo_times(browser, empty.url, n_edits + 1)[1:]
            browser.close()
        result["memory_mib"] = {"app": round(app.rss_mib(), 1), "empty": round(empty.rss_mib(), 1)}
    finally:
        app.stop()
        empty.stop()

    factor = 3.0 if args.items >= 10_000 else 2.0
    e_cold, e_warm = summary(cold["empty"]), summary(warm["empty"])
    lines = [f"bench/browser.py · company: {result['items']} · {runs} runs per page, {n_edits} edits "
             f"(medians, min–max) · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"empty Dash page: cold {fmt(e_cold, 's')}, warm {fmt(e_warm, 's')}",
             f"goal: every page ready within {factor:g}× the empty page", ""]
    lines.append(f"{'page':<10} {'cold':>26} {'×empty':>7} {'warm':>26} {'×empty':>7}")
    ok_all = True
    for name in pages:
        c, w = summary(cold[name]), summary(warm[name])
        rc, rw = c["median"] / e_cold["median"], w["median"] / e_warm["median"]
        ok_all &= rc <= factor and rw <= factor
        result["pages"][name] = {"cold": c, "warm": w, "cold_ratio": rc, "warm_ratio": rw}
        lines.append(f"{name:<10} {fmt(c, 's'):>26} {rc:>6.1f}× {fmt(w, 's'):>26} {rw:>6.1f}×")
    result["empty"] = {"cold": e_cold, "warm": e_warm}
    s_edit, s_echo = summary(edits), summary(echo)
    ratio = s_edit["median"] / s_echo["median"]
    result["edit"], result["echo"], result["edit_ratio"] = s_edit, s_echo, ratio
    s_paste = summary(pastes)
    result["paste"] = {**s_paste, "cells": pasted_cells}
    edit_goal = ("< 1 s", s_edit["median"] < 1000) if args.items >= 10_000 else ("≤ 2× the echo", ratio <= 2.0)
    lines += ["", f"demand edit → KPI strip: {fmt(s_edit)} = {ratio:.1f}× a trivial echo callback {fmt(s_echo)}"
              f" (goal {edit_goal[0]}: {'met' if edit_goal[1] else 'not met'})",
              f"demand paste of {pasted_cells} cells → KPI strip: {fmt(s_paste)} (goal < 2 s: "
              f"{'met' if s_paste['median'] < 2000 else 'not met'})",
              f"server memory after the pages and {n_edits} edits: {result['memory_mib']['app']:.0f} MiB "
              f"(the empty Dash app: {result['memory_mib']['empty']:.0f} MiB)",
              f"pages goal (≤ {factor:g}× empty, cold and warm): {'met' if ok_all else 'not met'}"]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    stem = f"browser-speed-{args.items or 'sample'}{('-' + args.label) if args.label else ''}"
    (out / f"{stem}.txt").write_text(text + "\n")
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1, default=float))
    print(f"written: test-artifacts/{stem}.txt, .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
