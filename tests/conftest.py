"""Shared test fixtures. Browser tests: the app runs as a real `python app.py` in a subprocess on a free
port with its own SQLite file, and headless Debian Chromium drives it through Playwright (sync API).

- `app_server` (session): one server for the browser tests.
- `start_app(name)`: another server with a fresh database (e.g. to see a first start).
- `browser` (session): Chromium at /usr/bin/chromium (never a downloaded browser).
- `page`: a 1920×1080 page that fails the test on any console error or uncaught page error.
- `shot(page, name)`: a screenshot into test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.store_fixtures import BACKENDS as STORE_BACKENDS
from tests.store_fixtures import PG_URL

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("SOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = float(os.environ.get("SOP_TEST_SERVER_TIMEOUT", "240"))
VIEWPORTS = {"1920": {"width": 1920, "height": 1080}, "1366": {"width": 1366, "height": 768}}


def seed_example_dir() -> Path:
    """The reference example as CSV files (shared/examples/seed-example beside the repository)."""
    candidates = [
        ROOT / "tests" / "fixtures" / "seed-example",
        ROOT.parent / "shared" / "examples" / "seed-example",
        Path("/work/shared/examples/seed-example"),
    ]
    for c in candidates:
        if (c / "items.csv").exists():
            return c
    raise FileNotFoundError("seed-example not found in: " + ", ".join(map(str, candidates)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    url: str
    workdir: Path
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60 if os.environ.get("SOP_TEST_DEPLOYMENT") == "serve" else 15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(self.log_path, ARTIFACTS / f"server-{self.workdir.name}.log")
        shutil.rmtree(self.workdir, ignore_errors=True)


LIVE_SERVERS: list[AppServer] = []  # for the server logs in a failed test's report


def launch_app(name: str = "app", *, auto_forecast: bool = False, require_login: bool = False,
               env_extra: dict | None = None) -> AppServer:
    """Start `python app.py` with its own SQLite database and cache; wait until it answers.

    Automatic forecast runs (first start, uploads) are off unless asked for: a run lands while a test
    reads figures and moves them (by design), so only the tests of the forecast job turn them on.
    Sign-in is off (`SOP_REQUIRE_LOGIN=0`, the app acts as admin) unless `require_login=True`: most browser
    tests are about pages, not about who may see them; the sign-in tests turn it on."""
    workdir = Path(tempfile.mkdtemp(prefix=f"sop-{name}-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir}/sop.db",
        "SOP_PORT": str(port),
        "SOP_HOST": "127.0.0.1",
        "SOP_CACHE_DIR": str(workdir / "cache"),
        "PYTHONUNBUFFERED": "1",
        "SOP_AUTO_FORECAST": "1" if auto_forecast else "0",
        "SOP_REQUIRE_LOGIN": "1" if require_login else "0",
    }
    env.pop("REDIS_URL", None)
    env.pop("SOP_ENV", None)
    env.update(env_extra or {})
    log_path = workdir / "server.log"
    command = [sys.executable, "app.py"]
    if os.environ.get("SOP_TEST_DEPLOYMENT") == "serve":  # the multi-user deployment (scripts/test.sh runs
        # the forecast job and upload/edit browser tests a second time this way): Redis, Celery, 2 gunicorn workers
        env.update(SOP_INSTANCE_DIR=str(workdir / "instance"), SOP_REDIS_PORT=str(free_port()),
                   SOP_WEB_WORKERS="2", SOP_CELERY_CONCURRENCY="1", VENV=str(Path(sys.executable).parent.parent))
        command = ["bash", str(ROOT / "scripts" / "serve.sh"), "start"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}", workdir, process, log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            pytest.fail(f"app.py exited with {process.returncode} before answering:\n{tail}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=5) as r:
                if r.status == 200:
                    LIVE_SERVERS.append(server)
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            tail = server.log_tail()
            server.stop()
            pytest.fail(f"app.py did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{tail}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def app_server():
    server = launch_app("browser")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def start_app():
    """Factory for extra servers (each with a fresh database); all stopped at the end of the session."""
    started: list[AppServer] = []

    def _start(name: str, **options) -> AppServer:
        server = launch_app(name, **options)
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class BrowserErrors(list):
    """Console errors and uncaught exceptions seen by a page."""

    def attach(self, page) -> None:
        page.on("console", lambda m: self.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.append(f"pageerror: {e}"))


def _new_page(browser, base_url: str, viewport: dict):
    context = browser.new_context(viewport=viewport, base_url=base_url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = BrowserErrors()
    errors.attach(page)
    return context, page, errors


@pytest.fixture
def page(browser, app_server, request):
    """A 1920×1080 page on the session's app; any console error or page error fails the test."""
    context, pg, errors = _new_page(browser, app_server.url, VIEWPORTS["1920"])
    yield pg
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        shot(pg, f"FAILED-{request.node.name}")
    context.close()
    if errors:
        pytest.fail("browser errors during the test:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def new_page(browser):
    """Factory for pages at another viewport or server: new_page(base_url, '1366'); checked like `page`."""
    opened = []

    def _open(base_url: str, size: str = "1920"):
        context, pg, errors = _new_page(browser, base_url, VIEWPORTS[size])
        opened.append((context, errors))
        return pg

    yield _open
    problems = []
    for context, errors in opened:
        context.close()
        problems.extend(errors)
    if problems:
        pytest.fail("browser errors during the test:\n" + "\n".join(problems), pytrace=False)


def shot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item so fixtures can tell whether the test failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
    if rep.failed and item.get_closest_marker("browser"):  # what the app printed, for a failure seen in CI only
        for server in LIVE_SERVERS:
            lines = [ln for ln in server.log_tail(400).splitlines()
                     if "INFO werkzeug" not in ln]  # the requests themselves say little; errors do
            rep.sections.append((f"server log {server.workdir.name} (last lines)", "\n".join(lines[-40:])))


# ---------------------------------------------------------------------------- helpers for browser tests

SEED_TABLES = ("items", "history", "capacity", "forecast", "adjustments")


def write_workbook_from_csv(csv_dir: Path, out: Path, edit=None) -> Path:
    """Turn a folder of CSV files into one .xlsx (one sheet per table) with openpyxl, cells as text
    or numbers as in the CSV. `edit(sheet_name, rows)` may change the rows (lists) before writing."""
    import csv

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name in SEED_TABLES:
        path = csv_dir / f"{name}.csv"
        if not path.exists():
            continue
        with open(path, newline="") as f:
            rows = [list(r) for r in csv.reader(f)]
        if edit is not None:
            rows = edit(name, rows)
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([_cell_value(v) for v in r])
    wb.save(out)
    return out


def _cell_value(text: str):
    try:
        number = float(text)
    except (TypeError, ValueError):
        return text
    return int(number) if number.is_integer() and "." not in text else number


def upload_file(page, path: Path, expect_ok: bool = True) -> str:
    """Upload through the /data page's upload box; returns the report's text."""
    page.goto("/data")
    page.wait_for_selector("#data-upload input[type=file]", state="attached")
    page.set_input_files("#data-upload input[type=file]", str(path))
    report = page.wait_for_selector("#data-report-ok, #data-report-refused, #data-report-error", timeout=120_000)
    text = report.inner_text()
    expected = "data-report-ok" if expect_ok else "data-report-refused"
    assert report.get_attribute("id") == expected, f"upload of {path.name}: {text}"
    return text


def table_cell(page, table_id: str, row_key: str, col: str):
    """(text, data-value) of a summary-table cell, found by the row's data-key and the cell's data-col."""
    loc = page.locator(f'#{table_id} tr[data-key="{row_key}"] td[data-col="{col}"]')
    loc.wait_for()
    return loc.inner_text().strip(), loc.get_attribute("data-value")


def grid_row(page, grid_id: str, row_id: str) -> dict:
    """The data of one AG Grid row by its row id, read through the grid's API."""
    page.wait_for_function(
        "([g, r]) => { try { const api = dash_ag_grid.getApi(g); return !!(api && api.getRowNode(r)); }"
        " catch (e) { return false; } }",
        arg=[grid_id, row_id],
        timeout=60_000,
    )
    return page.evaluate("([g, r]) => dash_ag_grid.getApi(g).getRowNode(r).data", [grid_id, row_id])


def kpi_value(page, name: str) -> float | None:
    loc = page.locator(f"#kpi-{name}")
    loc.wait_for()
    raw = loc.get_attribute("data-value")
    return float(raw) if raw else None


@contextmanager
def store_of(server: AppServer):
    """A Store on an app server's own SQLite database (to read what the browser stored)."""
    from data.store import Store, make_engine

    engine = make_engine(f"sqlite:///{server.workdir}/sop.db")
    try:
        yield Store(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- store-backed tests

@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the sample company, made once; each SQLite test works on a copy."""
    from data.store import Store, make_engine

    path = tmp_path_factory.mktemp("template") / "sop.db"
    eng = make_engine(f"sqlite:///{path}")
    Store(eng).ensure_ready()
    eng.dispose()
    return path


@pytest.fixture(params=STORE_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, seeded_sqlite: Path):
    """The sample company on SQLite (a copy of one seeded file), and on PostgreSQL too when
    TEST_DATABASE_URL is set (tables dropped before and after)."""
    from data.store import make_engine, metadata

    if request.param == "sqlite":
        shutil.copy(seeded_sqlite, tmp_path / "sop.db")
        yield f"sqlite:///{tmp_path / 'sop.db'}"
        return
    eng = make_engine(PG_URL)
    metadata.drop_all(eng)
    eng.dispose()
    yield PG_URL
    eng = make_engine(PG_URL)
    metadata.drop_all(eng)
    eng.dispose()
