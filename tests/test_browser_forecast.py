"""The statistical forecast in the app, in a real browser, on a fresh start (the sample company, no forecast run
in the current cycle): the first start runs it as a background job (never the opening of a page); /data follows
it with a moving progress bar while the rest of the app stays usable and every page's header says the plan
uses an interim forecast; when it is done the models grid lists every item with its chosen model and the
chart draws the 80 % / 95 % intervals; a second run cancelled keeps the first; lag accuracy and forecast value
added show the engine's numbers on /data and /metrics."""

from __future__ import annotations

import math
import time

import pytest
from conftest import shot, store_of

pytestmark = pytest.mark.browser

PROGRESS_VALUE = ("() => { const b = document.querySelector('#data-forecast-progress .progress-bar');"
                  " return b ? Number(b.getAttribute('aria-valuenow')) : -1; }")


@pytest.fixture(scope="module")
def fresh(start_app):
    return start_app("forecast", auto_forecast=True)


@pytest.fixture(scope="module")
def store(fresh):
    with store_of(fresh) as s:
        yield s


def wait_running(page, timeout: int = 120_000) -> None:
    """Until the page shows a job at work: the bar shown and the elapsed time ticking (not a compute speed)."""
    page.wait_for_function("() => { const w = document.querySelector('#data-forecast-progress-wrap');"
                           " const s = document.querySelector('#data-forecast-stage');"
                           " return w && w.offsetParent !== null && s && s.innerText.includes('elapsed'); }",
                           timeout=timeout)


def run_ids(store) -> list[int]:
    import sqlalchemy as sa

    from data.store import forecast_runs

    with store.engine.connect() as conn:
        return [int(r) for r in conn.execute(sa.select(forecast_runs.c.id).order_by(forecast_runs.c.id)).scalars()]


def grid_rows(page, grid_id: str) -> list[dict]:
    page.wait_for_function(
        "g => { try { const a = dash_ag_grid.getApi(g); return !!a && a.getDisplayedRowCount() > 0; }"
        " catch (e) { return false; } }", arg=grid_id, timeout=60_000)
    return page.evaluate("g => { const out = []; dash_ag_grid.getApi(g).forEachNode(n => out.push(n.data));"
                         " return out; }", grid_id)


def chart_traces(page) -> list[dict]:
    page.wait_for_function("() => { const g = document.querySelector('#data-history-chart .js-plotly-plot');"
                           " return g && g._fullData && g._fullData.some(t => t.name === '80 % interval'); }",
                           timeout=60_000)
    return page.evaluate(
        "() => document.querySelector('#data-history-chart .js-plotly-plot')._fullData.map("
        "t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || []), fill: t.fill}))")


def test_the_first_start_runs_the_forecast_in_the_background(new_page, fresh, store):
    items = store.list_items()
    state = store.plan_state()
    assert state["forecast_run_id"] is None  # a fresh start: the cycle has no forecast run yet

    page = new_page(fresh.url)
    page.goto("/data")
    page.wait_for_selector("#data-forecast-none")  # the status line says there is none yet
    page.wait_for_selector("#data-forecast-following")  # the page follows the run the start began
    wait_running(page)
    assert "Interim forecast" in page.inner_text("#shell-forecast-badge")  # every page's header says so
    page.wait_for_function(f"() => ({PROGRESS_VALUE})() > 0", timeout=120_000)
    assert page.is_disabled("#data-forecast-run") and page.is_enabled("#data-forecast-cancel")
    first_value = page.evaluate(PROGRESS_VALUE)
    shot(page, "forecast-running-1920", full_page=False)

    # the rest of the app answers while the job runs; another tab on /data follows the same run (no second run)
    other = new_page(fresh.url)
    other.goto("/data")
    seen = other.wait_for_selector("#data-forecast-following, #data-forecast-info", timeout=60_000)
    following = seen.get_attribute("id") == "data-forecast-following"
    print("second tab follows the run:", following)
    if following:
        other.wait_for_selector("#data-forecast-progress-wrap", state="visible")
    dashboard = new_page(fresh.url)
    started = time.monotonic()
    dashboard.goto("/")
    dashboard.wait_for_selector("#dash-demand-table tbody tr")
    assert time.monotonic() - started < 30

    page.wait_for_selector("#data-forecast-done-msg", timeout=180_000)
    assert page.evaluate(PROGRESS_VALUE) >= first_value or page.is_hidden("#data-forecast-progress-wrap")
    run_id = store.plan_state()["forecast_run_id"]
    assert run_id is not None
    assert page.is_enabled("#data-forecast-run") and page.is_disabled("#data-forecast-cancel")
    assert page.is_hidden("#data-forecast-progress-wrap")
    assert len(run_ids(store)) == 1  # one run, however many pages were open
    if following:  # the other tab saw the run end and shows its result too
        other.wait_for_selector("#data-forecast-done-msg", timeout=30_000)
        assert len(grid_rows(other, "data-models-grid")) == len(items)
    info = page.inner_text("#data-forecast-info")
    assert "MASE" in info and "3-origin rolling backtest" in info and "47 series" in info.replace(",", "")

    # every item with its chosen model, as stored
    rows = grid_rows(page, "data-models-grid")
    models = store.forecast_models().set_index("item_id")
    assert {r["item_id"] for r in rows} == set(items["item_id"])
    for r in rows:
        assert r["model"] and r["model"] == models.loc[r["item_id"], "model"]
        assert r["family"] == items.set_index("item_id").loc[r["item_id"], "family"]
        if r["error"] is not None:
            assert r["error"] == pytest.approx(models.loc[r["item_id"], "error"])
    assert page.locator("#data-forecast-fallback-none, #data-forecast-fallback-list").count() == 1

    # the plan on every page now uses the stored forecast
    from services.plan_service import PlanService

    plan = PlanService(store).current_plan()
    chosen = plan.forecast.drop_duplicates("item_id").set_index("item_id")["model"]
    assert (chosen == models["model"].reindex(chosen.index)).all()

    # the chart: 80 % and 95 % bands around the statistical forecast of the chosen family
    traces = {t["name"]: t for t in chart_traces(page)}
    assert {"80 % interval", "95 % interval", "Statistical forecast", "Actual"} <= set(traces)
    title = page.evaluate("() => document.querySelector('#data-history-chart .js-plotly-plot')"
                          "._fullLayout.title.text")
    family = title.split(" \u2014 ")[0]
    fc = store.latest_forecast()
    fam_items = set(items.loc[items["family"] == family, "item_id"]) if family else None
    hi80, hi95 = traces["80 % interval"], traces["95 % interval"]
    assert hi80["fill"] == "tonexty" and hi95["fill"] == "tonexty"
    stat = dict(zip(traces["Statistical forecast"]["x"], traces["Statistical forecast"]["y"]))
    for x, hi in zip(hi80["x"], hi80["y"]):
        assert math.isfinite(hi) and hi >= stat[x] - 1e-6
    for x, hi in zip(hi95["x"], hi95["y"]):
        assert hi >= dict(zip(hi80["x"], hi80["y"]))[x] - 1e-6
    if fam_items:
        expected = fc[fc["item_id"].isin(fam_items)].groupby("period")["hi80"].sum()
        for x, hi in zip(hi80["x"], hi80["y"]):
            assert hi == pytest.approx(expected[x])
    assert "approx. family band" in page.inner_text("#data-chart-note").lower()
    shot(page, "forecast-done-1920")

    # a second run, cancelled: the first run stays the plan's forecast and nothing new is stored
    before = run_ids(store)
    page.click("#data-forecast-run")
    wait_running(page)
    page.click("#data-forecast-cancel")
    cancelled = page.wait_for_selector("#data-forecast-cancelled", timeout=60_000)
    assert "the previous forecast is kept" in cancelled.inner_text()
    page.wait_for_function("() => document.querySelector('#data-forecast-run') &&"
                           " !document.querySelector('#data-forecast-run').disabled", timeout=30_000)
    assert page.is_hidden("#data-forecast-progress-wrap")
    time.sleep(2)  # a job that was not stopped would store its run about now
    assert run_ids(store) == before
    assert store.plan_state()["forecast_run_id"] == run_id
    assert {r["item_id"] for r in grid_rows(page, "data-models-grid")} == set(items["item_id"])

    # reopening the page does not start another run: the cycle has one
    page.goto("/data")
    page.wait_for_selector("#data-forecast-info")
    time.sleep(1.5)
    assert page.is_hidden("#data-forecast-progress-wrap")
    assert run_ids(store) == before


@pytest.mark.parametrize("size", ["1920", "1366"])
def test_lag_accuracy_and_fva_show_the_engine_numbers(new_page, fresh, store, size):
    """On /data and /metrics, at both window sizes (nothing wider than the window; screenshots)."""
    la = pytest.importorskip("planning.lag_accuracy", reason="planning.lag_accuracy is not there yet")
    from services.lag import _as_tables

    snapshots = store.plan_snapshots()
    data = store.load_company()
    assert snapshots["cycle_period"].nunique() >= 2  # the sample ships with past cycles
    lag = la.lag_accuracy(snapshots, data.history, data.items)
    fva = _as_tables(la.forecast_value_added(snapshots, data.history, data.items))
    assert len(lag) and fva
    page = new_page(fresh.url, size)
    for prefix, path in (("data", "/data"), ("metrics", "/metrics")):
        page.goto(path)
        assert_grid_equals(page, f"{prefix}-lag-grid", lag)
        for key, frame in fva.items():
            if len(frame):
                assert_grid_equals(page, f"{prefix}-fva-{key}-grid", frame)
        assert "positive means the adjustments helped" in page.inner_text(f"#{prefix}-fva-sign")
        if not len(fva.get("owner", [])):  # Store.plan_snapshots() carries no owner yet: said, not hidden
            assert page.locator(f"#{prefix}-fva-owner-none").is_visible()
        rows = {r["_row"]: r for r in grid_rows(page, f"{prefix}-lag-grid")}
        assert any(r["level"] == "total" for r in rows.values())
        if path == "/data":
            grid_rows(page, "data-models-grid")
            page.wait_for_function("() => { const g = document.querySelector('#data-history-chart .js-plotly-plot');"
                                   " return g && g._fullData && g._fullData.length > 2; }")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {size}px window"
        shot(page, f"forecast{path.replace('/', '-')}-{size}")


def assert_grid_equals(page, grid_id, frame):
    rows = grid_rows(page, grid_id)
    assert len(rows) == len(frame), grid_id
    for got, want in zip(rows, frame.reset_index(drop=True).to_dict("records")):
        for col, value in want.items():
            if isinstance(value, float) and math.isnan(value):
                assert got.get(col) is None, (grid_id, col)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                assert got.get(col) == pytest.approx(value), (grid_id, col)
            else:
                assert str(got.get(col)) == str(value), (grid_id, col)


def test_an_upload_without_a_forecast_starts_the_run_and_cancel_stops_it(new_page, fresh, store, tmp_path):
    """After an upload without a forecast table the new cycle has no run: it starts by itself; cancelled, it
    stays cancelled (the page says so instead of starting it again) and the plan keeps the interim forecast."""
    from data.readers import write_workbook

    path = tmp_path / "no-forecast.xlsx"
    write_workbook(store.load_company().with_(forecast=None), path)
    before = run_ids(store)
    page = new_page(fresh.url)
    page.goto("/data")
    page.wait_for_selector("#data-upload input[type=file]", state="attached")
    page.set_input_files("#data-upload input[type=file]", str(path))
    page.wait_for_selector("#data-report-ok", timeout=120_000)
    wait_running(page)
    assert store.plan_state()["forecast_run_id"] is None
    page.click("#data-forecast-cancel")
    cancelled = page.wait_for_selector("#data-forecast-cancelled", timeout=60_000)
    assert "interim forecast" in cancelled.inner_text()
    page.goto("/data")
    none = page.wait_for_selector("#data-forecast-none")
    assert "automatic run was cancelled" in none.inner_text()
    time.sleep(1.5)
    assert page.is_hidden("#data-forecast-progress-wrap")
    assert run_ids(store) == before and store.plan_state()["forecast_run_id"] is None
