"""Step 1 callbacks: upload → validation report (all-or-nothing), dataset, accuracy, exceptions, chart with the
forecast intervals, the statistical forecast as a background job (progress, cancel), the chosen model per
series, lag accuracy and forecast value added."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import plan_workbook  # noqa: F401  (registers the workbook card's callbacks, shown on this page)
from callbacks.common import load_plan, per_plan_state, store
from callbacks.plan_workbook import current_user, require
from callbacks.shell import current_context, state_from_context
from components import charts, formats
from components.empty import empty_state, error_state
from components.forecast_job import HIDDEN, SHOWN, fallback_note, lag_panel_body, models_grid, status_line
from components.grids import grid, num_col, pct_col, records, text_col
from components.layout import Col, summary_table
from components.plan_workbook import note
from components.shell import cycle_badge

UPLOAD_USER = "web upload"
log = logging.getLogger("sop.data")
ROOT = Path(__file__).resolve().parent.parent


def decode_upload(contents: list[str] | None, filenames: list[str] | None) -> tuple[dict[str, bytes], list[str]]:
    """dcc.Upload's data URLs -> {filename: bytes}; unreadable files are reported by name."""
    files, bad = {}, []
    for content, name in zip(contents or [], filenames or [], strict=False):
        try:
            _header, b64 = content.split(",", 1)
            files[name] = base64.b64decode(b64, validate=False)
        except (ValueError, binascii.Error):
            bad.append(name)
    return files, bad


def issue_rows(issues) -> list[dict]:
    rows = []
    for i in issues or []:
        row = getattr(i, "row", None)
        rows.append({
            "severity": str(getattr(i, "severity", "error") or "error"),
            "sheet": str(getattr(i, "sheet", "") or ""),
            "row": "" if row is None else str(row),
            "column": str(getattr(i, "column", "") or ""),
            "message": str(getattr(i, "message", i)),
        })
    return rows


def issues_table(rows: list[dict]) -> html.Div:
    cols = [Col("severity", "Severity", "text"), Col("sheet", "Sheet / file", "text"), Col("row", "Row", "text"),
            Col("column", "Column", "text"), Col("message", "Problem", "text")]
    for n, r in enumerate(rows):
        r["n"] = n
    return html.Div(summary_table("data-issues-table", cols, rows, "n"), style={"maxHeight": "420px",
                                                                                  "overflowY": "auto"})


def upload_report(ok: bool, issues, filenames: list[str]) -> html.Div:
    rows = issue_rows(issues)
    errors = [r for r in rows if r["severity"].lower() == "error"]
    names = ", ".join(filenames)
    if ok:
        head = [html.I(className="bi bi-check-circle-fill me-2 text-success"),
                html.Strong(f"Stored {names}."),
                " The plan was recomputed from the new data; every page now shows it."]
        if rows:
            head.append(html.Div(f"{len(rows)} warning(s):", className="mt-2"))
        return html.Div([html.Div(head), issues_table(rows) if rows else None],
                        className="panel report-ok mb-0", id="data-report-ok")
    head = [html.I(className="bi bi-x-octagon-fill me-2 text-danger"),
            html.Strong(f"Refused: {names}. Nothing was changed"),
            f" — the plan and the data stored before are as they were. {len(errors)} error(s) to fix:"]
    return html.Div([html.Div(head), issues_table(rows)], className="panel report-bad mb-0",
                    id="data-report-refused")


@callback(
    Output("data-upload-report", "children"),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Input("data-upload", "contents"),
    State("data-upload", "filename"),
    prevent_initial_call=True,
)
def on_upload(contents, filenames):
    if not contents:
        return no_update, no_update, no_update
    files, bad = decode_upload(contents, filenames)
    if bad:
        rows = [{"severity": "error", "sheet": n, "row": "", "column": "", "message": "could not read the file"}
                for n in bad]
        return (html.Div([html.Strong(f"Refused: {', '.join(bad)}. Nothing was changed."), issues_table(rows)],
                         className="panel report-bad mb-0", id="data-report-refused"), no_update, no_update)
    from data import plan_service

    try:
        user = require("upload")
    except PermissionError as exc:
        return (html.Div([html.I(className="bi bi-shield-lock me-2 text-danger"),
                          html.Strong(f"{exc} Nothing was changed.")], className="panel report-bad mb-0",
                         id="data-report-denied"), no_update, no_update)
    try:
        ok, issues = plan_service.upload_files(files, user or UPLOAD_USER)
    except Exception as exc:  # a bug, not bad data: say so, nothing was stored (one transaction)
        log.exception("upload failed")
        return (html.Div([html.I(className="bi bi-x-octagon-fill me-2 text-danger"),
                          html.Strong(f"The upload of {', '.join(files)} failed. Nothing was changed."),
                          html.Div(f"{type(exc).__name__}: {exc}", className="item-meta mt-1")],
                         className="panel report-bad mb-0", id="data-report-error"), no_update, no_update)
    report = upload_report(ok, issues, list(files))
    if not ok:
        return report, no_update, no_update
    context = current_context()
    return report, state_from_context(context), cycle_badge(context)


def dataset_panel(info: dict | None, result) -> html.Div:
    """What the current plan is computed from (`Store.dataset_info()`)."""
    info = dict(info or {})
    created = info.get("created_at")
    rows = [
        {"k": "Source", "v": str(info.get("source") or "—")},
        {"k": "Stored", "v": " by ".join(str(x) for x in (str(created)[:16] if created else None,
                                                           info.get("created_by")) if x) or "—"},
        {"k": "Items", "v": f"{formats.integer(info.get('n_items'))} in "
                            f"{formats.integer(info.get('n_families'))} families"},
        {"k": "History", "v": f"{info.get('first_period') or '—'} – {info.get('last_period') or '—'}"},
    ]
    if result is not None:
        h = result.horizon
        rows.append({"k": "Plan horizon", "v": f"{h[0]} – {h[-1]} ({len(h)} months)" if h else "—"})
        if "model" in result.forecast and len(result.forecast):
            per_item = result.forecast.drop_duplicates("item_id")["model"].value_counts()
            rows.append({"k": "Forecast models", "v": ", ".join(f"{m} ({n} items)" for m, n in per_item.items())})
    return summary_table("data-dataset-table", [Col("k", "", "text"), Col("v", "", "text")], rows, "k")


def accuracy_grid(acc: pd.DataFrame):
    order = {"total": 0, "family": 1, "item": 2}
    frame = acc.assign(_o=acc["level"].map(order)).sort_values(["_o", "family", "item_id"]).drop(columns="_o")
    frame = frame.assign(key=frame["level"].astype(str) + ":" + frame["family"].fillna("").astype(str) + ":"
                         + frame["item_id"].fillna("").astype(str))
    cols = [text_col("level", "Level", maxWidth=100), text_col("family", "Family"), text_col("item_id", "Item"),
            num_col("n", "Months"), num_col("n_zero", "Zero months"), pct_col("mape", "MAPE"),
            pct_col("wape", "WAPE"), pct_col("bias_pct", "Bias"), num_col("mad", "MAD", ",.1f"),
            num_col("tracking_signal", "Tracking signal", ",.2f")]
    return grid("data-accuracy-grid", records(frame), cols, row_id="key", height=420,
                grid_options={"pagination": False})


def exceptions_grid(exc: pd.DataFrame):
    if exc is None or exc.empty:
        return empty_state("No exceptions", "Every series is within its limits.", icon="bi-check-circle")
    labels = {"forecast_change": "Forecast change", "tracking_signal": "Tracking signal", "mape": "MAPE",
              "bias": "Bias"}
    frame = exc.assign(
        kind_label=exc["kind"].map(labels).fillna(exc["kind"]),
        item_link=["[" + str(i) + "](/demand?item=" + str(i) + ")" if isinstance(i, str) and i else "" for i in
                   exc["item_id"]],
    )
    cols = [{"field": "item_link", "headerName": "Item", "cellRenderer": "markdown"},
            text_col("family", "Family"), text_col("period", "Month"), text_col("kind_label", "Exception", minWidth=150),
            num_col("value", "Value", ",.1f"), num_col("threshold", "Limit", ",.1f")]
    return grid("data-exceptions-grid", records(frame), cols, height=420)


@callback(
    Output("data-dataset", "children"),
    Output("data-accuracy", "children"),
    Output("data-exceptions", "children"),
    Output("data-family", "options"),
    Output("data-family", "value"),
    Input("app-state", "data"),
    State("data-family", "value"),
)
def render_data(_state, family):
    loaded = load_plan()
    st = store()
    info = st.dataset_info()
    if loaded.result is None:
        err = error_state(loaded.error or "")
        return dataset_panel(info, None), err, "", [], None
    result = loaded.result
    families = sorted(result.family_plan["family"].astype(str).unique())
    acc = result.accuracy
    accuracy = accuracy_grid(acc) if acc is not None and not acc.empty else empty_state(
        "No accuracy yet", "History rows need forecast_units (the forecast made for that month) to measure "
        "accuracy. Add the column to history and upload again.", icon="bi-bullseye")
    value = family if family in families else (families[0] if families else None)
    return dataset_panel(info, result), accuracy, exceptions_grid(result.exceptions), families, value


@callback(
    Output("data-history-chart", "figure"),
    Output("data-chart-note", "children"),
    Input("data-family", "value"),
    Input("app-state", "data"),
)
def history_chart(family, _state):
    title = f"{family or ''} — history and forecast (units)"
    if not family:
        return charts.empty_figure("History and forecast", "Choose a family"), None
    loaded = load_plan()
    if loaded.result is None:
        return charts.empty_figure(title, "No plan"), None
    result = loaded.result
    hist = family_history(family)
    plan = result.consensus[result.consensus["family"] == family].groupby("period", as_index=False)[
        ["statistical", "consensus"]].sum()
    frame = pd.concat([hist, plan], ignore_index=True).sort_values("period")
    bands = family_bands(family, result.horizon)
    fig = go.Figure()
    for level, colour in ((95, "rgba(142,68,173,0.12)"), (80, "rgba(142,68,173,0.26)")):
        lo, hi = f"lo{level}", f"hi{level}"
        if bands is None or bands[[lo, hi]].isna().any().any():
            continue
        x = bands["period"].astype(str)
        fig.add_trace(go.Scatter(x=x, y=bands[lo], mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip", name=f"{level} % lower", legendgroup=f"band{level}"))
        fig.add_trace(go.Scatter(
            x=x, y=bands[hi], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=colour,
            name=f"{level} % interval", legendgroup=f"band{level}", customdata=bands[lo],
            hovertemplate="%{customdata:,.0f} – %{y:,.0f}"))
    lines = charts.line_chart(
        frame, "period",
        {"actual_units": "Actual", "forecast_units": "Forecast made at the time", "statistical": "Statistical forecast",
         "consensus": "Consensus"},
        title, "Month", "Units", dashed=("forecast_units", "statistical"),
        colours={"actual_units": "#2c3e50", "forecast_units": "#95a5a6", "statistical": "#8e44ad",
                 "consensus": "#3498db"})
    fig.add_traces(lines.data)
    fig.update_layout(lines.layout)
    # the bands are drawn first (under the lines) but cover only the plan months: keep the months in order
    fig.update_xaxes(categoryorder="array", categoryarray=sorted(frame["period"].astype(str).unique()))
    if bands is None:
        text = ("No prediction intervals: the forecast in use has none (an interim forecast until the statistical "
                "forecast is run, or an uploaded forecast without lo80/hi80).")
    else:
        text = ("Shaded: 80 % and 95 % intervals of the statistical forecast. Approx. family band: the sum of the "
                "items' bounds, which is wider than the family's own interval (items rarely all miss the same "
                "way in the same month).")
    return fig, text


def family_bands(family: str, horizon: list[str]) -> pd.DataFrame | None:
    """Approx. family band per month: the sum of the items' lo/hi bounds of the forecast run in use."""
    try:
        from data import plan_service

        st = plan_service.get_service().state()
        if st.forecast_run is None:
            return None
        fc = store().latest_forecast(st.cycle_id)
    except Exception:
        log.exception("forecast bounds could not be read")
        return None
    if fc is None or fc.empty or fc[["lo80", "hi80"]].isna().all().all():
        return None
    items = store().list_items()
    fam = fc.merge(items[["item_id", "family"]], on="item_id")
    fam = fam[(fam["family"] == family) & fam["period"].isin(horizon)]
    if fam.empty:
        return None
    cols = ["lo80", "hi80", "lo95", "hi95"]
    return fam.groupby("period", as_index=False)[cols].agg(lambda v: v.sum(min_count=len(v)))


def family_history(family: str) -> pd.DataFrame:
    """Actual and past-forecast units of one family per month, from the stored company data."""
    data = store().load_company()
    h = data.history.merge(data.items[["item_id", "family"]], on="item_id")
    h = h[h["family"] == family]
    return h.groupby("period", as_index=False).agg(
        actual_units=("actual_units", "sum"),
        forecast_units=("forecast_units", lambda s: s.sum(min_count=1)),
    )


# ---------------------------------------------------------------------------- the statistical forecast job
#
# The run is a Dash background callback (the app's manager: diskcache by default, Celery with REDIS_URL). The
# job itself starts the computation in a fresh Python process (`python -c FORECAST_WORKER`): a forked job
# process must not use the database connections (nor SQLite's in-process lock state) it inherited from the
# web process, so it only relays progress and cancel. A small registry of JSON files beside the cache keeps
# one run per cycle at a time, lets a page opened later follow a run started elsewhere, and carries Cancel:
#   run-<cycle_id>       the run in flight: token, pid, user, trigger, times. Only the job itself claims it,
#                        so a request whose answer the browser dropped (a newer trigger superseded it) cannot
#                        leave the cycle waiting for a job that never starts.
#   req-<token>          what a request asked for (the browser holds only the token)
#   progress-<token>     fraction, stage and start time, for pages following the run
#   cancel-<token>       set by Cancel; the worker stops at its next step (ForecastCancelled), nothing stored
#   skip-auto-<cycle_id> an automatic run of this cycle was cancelled: do not start it again by itself

JOB_TTL = 6 * 3600
WORKER_TAG = "@@sop-forecast "


class JobFiles:
    """get / set / add (only when absent) / delete of small JSON records, one file each, written atomically.
    Plain files, so a forked job process can use them safely."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def file(self, key: str) -> Path:
        return self.path / (key.replace(":", "-").replace("/", "_") + ".json")

    def get(self, key: str):
        try:
            record = json.loads(self.file(key).read_text())
        except (OSError, ValueError):
            return None
        if record.get("expires", float("inf")) < time.time():
            self.delete(key)
            return None
        return record.get("value")

    def set(self, key: str, value, expire: float = JOB_TTL) -> None:
        tmp = self.path / f".{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({"value": value, "expires": time.time() + expire}))
        os.replace(tmp, self.file(key))

    def add(self, key: str, value, expire: float = JOB_TTL) -> bool:
        try:
            fd = os.open(self.file(key), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps({"value": value, "expires": time.time() + expire}))
        return True

    def delete(self, key: str) -> None:
        try:
            self.file(key).unlink()
        except FileNotFoundError:
            pass

    def sweep(self, older_than: float = JOB_TTL) -> None:
        """Remove records nobody will read again (a job ended by Cancel leaves its files behind)."""
        limit = time.time() - older_than
        for f in self.path.iterdir():
            try:
                if f.stat().st_mtime < limit:
                    f.unlink()
            except OSError:
                pass


def jobs() -> JobFiles:
    return JobFiles(Path(os.environ.get("SOP_CACHE_DIR", ROOT / "instance" / "cache")) / "forecast-jobs")


def _pid_alive(pid) -> bool:
    import psutil

    try:
        return bool(pid) and psutil.pid_exists(int(pid)) and psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def in_flight(cycle_id: int) -> dict | None:
    """The run of this cycle that is running, or None (the marker of a dead job is cleared)."""
    key = f"run:{cycle_id}"
    marker = jobs().get(key)
    if not marker:
        return None
    if _pid_alive(marker.get("pid")):
        return marker
    _release(key, marker.get("token"))
    return None


def claim_run(cycle_id: int, marker: dict) -> dict | None:
    """Make `marker` the cycle's run in flight; None when it is, else the run that holds the cycle."""
    key = f"run:{cycle_id}"
    for _ in range(2):  # a second try when the holder turns out to be dead (in_flight clears it)
        if jobs().add(key, marker):
            return None
        holder = in_flight(cycle_id)
        if holder is not None:
            return holder
    return jobs().get(key) or {}


def _release(key: str, token: str | None) -> None:
    if (jobs().get(key) or {}).get("token") == token:
        jobs().delete(key)


def run_info(run_id: int | None) -> dict | None:
    """created_at, method and settings of a forecast run (read-only)."""
    if run_id is None:
        return None
    import sqlalchemy as sa

    from data.store import forecast_runs

    with store().engine.connect() as conn:
        row = conn.execute(sa.select(forecast_runs).where(forecast_runs.c.id == int(run_id))).mappings().first()
    if row is None:
        return None
    try:
        settings = json.loads(row["settings_json"] or "{}")
    except ValueError:
        settings = {}
    return {"id": int(row["id"]), "created_at": row["created_at"], "method": row["method"], "settings": settings}


def backtest_text() -> str:
    from planning.forecast import ForecastConfig

    cfg = ForecastConfig()
    full, short = cfg.full_span // cfg.full_step, cfg.short_span // cfg.short_step
    keep = 1 + cfg.margin
    return (f"candidates chosen per series by MASE on a {full}-origin rolling backtest ({cfg.full_step} months "
            f"apart; {short} origins for series shorter than 3 years); the mean of ETS, ARIMA and Theta is kept "
            f"unless one model's backtest error is below 1/{keep:g} of it")


# Runs in a fresh process (cwd = the repository): the statistical forecast on the stored history for the plan
# horizon, stored with the chosen model per series. Without `force`, a cycle that already has a run keeps it
# (the rule of PlanService.ensure_forecast). Progress and the outcome are printed as tagged JSON lines.
FORECAST_WORKER = r"""
import json, os, sys, time
TAG = "@@sop-forecast "
args = json.loads(sys.argv[1])
parent = os.getppid()
def say(**kw):
    print(TAG + json.dumps(kw, default=str), flush=True)
def should_cancel():
    return os.getppid() != parent or os.path.exists(args["cancel_file"])
try:
    from data.plan_service import PlanService
    from data.store import Store, make_engine
    from planning.cycle import plan_horizon
    from planning.forecast import ForecastCancelled, ForecastConfig, statistical_forecast
    say(fraction=0.0, stage="reading the history")
    engine = make_engine()
    service = PlanService(Store(engine))
    st = service.store
    first = st.plan_state()
    if not args["force"] and first["forecast_run_id"] is not None:
        say(outcome="done", run_id=first["forecast_run_id"], stored=False, seconds=0.0)
        sys.exit(0)
    data = st.load_company(first["version_id"])
    horizon = plan_horizon(data, service.settings())
    n = int(data.history["item_id"].nunique())
    config = ForecastConfig(chunk=max(5, -(-n // 20)))  # about 20 progress steps; the results do not change
    t0 = time.monotonic()
    n_jobs = (os.cpu_count() or 1) if n >= 40 else 1  # a pool pays off beyond a few dozen series
    run = statistical_forecast(data.history, horizon, config=config, should_cancel=should_cancel, n_jobs=n_jobs,
                               progress=lambda f, m: say(fraction=f, stage=m))
    seconds = time.monotonic() - t0
    if should_cancel():
        raise ForecastCancelled("forecast cancelled")
    now = st.plan_state()
    if not args["force"] and now["cycle_id"] == first["cycle_id"] and now["forecast_run_id"] is not None:
        say(outcome="done", run_id=now["forecast_run_id"], stored=False, seconds=seconds)
        sys.exit(0)
    say(fraction=0.99, stage="storing the forecast")
    run_id = st.save_forecast_run(
        first["cycle_id"], run.forecast, run.models, method="auto",
        settings={"horizon": horizon, "metric": run.metric, "seconds": round(seconds, 1), "by": args["user"],
                  "series": n, "trigger": args["trigger"], "backtest": args["backtest"],
                  "arima_search": run.arima_search},
    )
    say(outcome="done", run_id=run_id, stored=True, seconds=seconds)
except ForecastCancelled:
    say(outcome="cancelled")
except Exception as exc:
    import traceback
    traceback.print_exc()
    say(outcome="error", message=f"{type(exc).__name__}: {exc}")
"""


def _die_with_parent() -> None:
    """In the worker, before exec: the kernel ends it when the job process dies (Linux; elsewhere the worker
    notices at its next step)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def run_worker(args: dict, on_line, should_stop, poll: float = 1.0, on_tick=None) -> dict:
    """Start FORECAST_WORKER, pass each tagged line to `on_line`, stop it when `should_stop()`; the outcome."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", FORECAST_WORKER, json.dumps(args)], cwd=str(ROOT),
                            stdout=subprocess.PIPE, text=True, bufsize=1, preexec_fn=_die_with_parent)
    outcome: dict = {}

    def read() -> None:
        for line in proc.stdout:
            if line.startswith(WORKER_TAG):
                msg = json.loads(line[len(WORKER_TAG):])
                if "outcome" in msg:
                    outcome.update(msg)
                else:
                    on_line(msg)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        if should_stop():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            return {"outcome": "cancelled"}
        if on_tick is not None:
            on_tick()
        try:
            proc.wait(poll)
        except subprocess.TimeoutExpired:
            pass
    reader.join(5)
    if not outcome:
        return {"outcome": "error", "message": f"the forecast process ended with code {proc.returncode}"}
    return outcome


def _plan_state():
    from data import plan_service

    return plan_service.get_service().state()


@callback(
    Output("data-forecast-request", "data"),
    Output("data-forecast-poll", "disabled"),
    Output("data-forecast-message", "children", allow_duplicate=True),
    Input("data-forecast-run", "n_clicks"),
    Input("app-state", "data"),
    State("data-forecast-request", "data"),
    prevent_initial_call="initial_duplicate",
)
def request_forecast(n_clicks, _state, current):
    """Run button → a forced run; opening the page (or new data) without a forecast run → an automatic run."""
    manual = ctx.triggered_id == "data-forecast-run" and bool(n_clicks)
    try:
        st = _plan_state()
    except Exception:
        log.exception("plan state failed")
        return no_update, True, no_update
    marker = in_flight(st.cycle_id)
    if marker:
        if (current or {}).get("token") == marker.get("token"):
            return no_update, True, no_update  # this page started it and follows it
        return no_update, False, following_note(marker.get("user"))
    if manual:
        try:
            user = require("forecast")
        except PermissionError as exc:
            return no_update, True, note("bad", str(exc), id="data-forecast-denied")
        trigger = "manual"
    else:
        if st.forecast_run is not None or jobs().get(f"skip-auto:{st.cycle_id}"):
            return no_update, True, no_update
        user, trigger = current_user(), "auto"
    jobs().sweep()
    token = uuid.uuid4().hex
    jobs().set(f"req:{token}", {"cycle_id": st.cycle_id, "user": user, "force": manual, "trigger": trigger,
                                "created": time.time()})
    return {"token": token, "trigger": trigger}, True, None


@callback(
    Output("data-forecast-done", "data"),
    Input("data-forecast-request", "data"),
    background=True,
    running=[
        (Output("data-forecast-run", "disabled"), True, False),
        (Output("data-forecast-cancel", "disabled"), False, True),
        (Output("data-forecast-progress-wrap", "style"), SHOWN, HIDDEN),
    ],
    cancel=[Input("data-forecast-cancel", "n_clicks")],
    progress=[Output("data-forecast-progress", "value"), Output("data-forecast-progress", "label"),
              Output("data-forecast-stage", "children")],
    progress_default=[0, "", ""],
    interval=500,
    prevent_initial_call=True,
)
def run_forecast_job(set_progress, request):
    """The whole company's statistical forecast, in a background job with progress, elapsed time and cancel."""
    token = (request or {}).get("token")
    if not token:
        raise PreventUpdate
    reg = jobs()
    req = reg.get(f"req:{token}")
    if req is None:
        return {"token": token, "status": "refused", "message": "This run request is unknown or has expired."}
    key = f"run:{req['cycle_id']}"
    started = time.time()
    holder = claim_run(req["cycle_id"], {"token": token, "pid": os.getpid(), "created": req.get("created", started),
                                         "started": started, "user": req["user"], "trigger": req["trigger"]})
    if holder is not None:  # another page's run got there first: this page follows it
        reg.delete(f"req:{token}")
        return {"token": token, "status": "following", "user": holder.get("user")}
    shown = {"fraction": 0.0, "stage": "starting"}
    lock = threading.Lock()

    def show() -> None:  # also on every tick, so the elapsed time moves during a long step
        with lock:
            pct = int(round(100 * shown["fraction"]))
            set_progress((pct, f"{pct} %", f"{pct} % · {shown['stage']} · {time.time() - started:.0f} s elapsed"))
            reg.set(f"progress:{token}", {**shown, "started": started})

    def on_line(msg: dict) -> None:
        shown.update(fraction=float(msg.get("fraction", shown["fraction"])), stage=str(msg.get("stage", "")))
        show()

    cancel_file = reg.file(f"cancel:{token}")
    args = {"force": bool(req["force"]), "user": req["user"], "trigger": req["trigger"],
            "backtest": backtest_text(), "cancel_file": str(cancel_file)}
    try:
        out = run_worker(args, on_line, should_stop=cancel_file.exists, on_tick=show)
    finally:
        _release(key, token)
        for k in (f"progress:{token}", f"req:{token}", f"cancel:{token}"):
            reg.delete(k)
    if out.get("outcome") == "done":
        return {"token": token, "status": "done", "run_id": out.get("run_id"), "stored": bool(out.get("stored")),
                "seconds": round(float(out.get("seconds") or 0.0), 1)}
    if out.get("outcome") == "cancelled":
        return {"token": token, "status": "cancelled"}
    log.error("forecast run failed: %s", out.get("message"))
    return {"token": token, "status": "error", "message": out.get("message")}


def following_note(user: str | None) -> html.Div:
    return note("info", f"A forecast run started by {user or 'someone'} is in progress; this page follows it and "
                "updates when it is done.", id="data-forecast-following")


@callback(
    Output("data-forecast-message", "children", allow_duplicate=True),
    Output("app-state", "data", allow_duplicate=True),
    Output("data-forecast-poll", "disabled", allow_duplicate=True),
    Input("data-forecast-done", "data"),
    prevent_initial_call=True,
)
def forecast_finished(done):
    """The outcome of a run; a stored run refreshes every figure (the plan keys on the forecast run)."""
    done = done or {}
    if done.get("status") == "following":  # another page's run held the cycle: follow it
        return following_note(done.get("user")), no_update, False
    message, state = finished_message(done)
    return message, state, no_update


def finished_message(done: dict):
    """The page's note for a run that ended, and the new app-state (no_update when nothing was stored)."""
    status = done.get("status")
    if status == "done":
        if done.get("stored"):
            text = [html.Strong("Statistical forecast stored"),
                    f" ({formats.number(done.get('seconds'), 1)} s). The plan on every page now uses it."]
        else:
            text = "This cycle already had a statistical forecast run; it is kept."
        return note("ok", text, id="data-forecast-done-msg"), state_from_context(current_context())
    if status == "followed":
        return (note("ok", "The forecast run has finished; the page shows its result.", id="data-forecast-done-msg"),
                state_from_context(current_context()))
    if status == "cancelled":
        return cancelled_note(), no_update
    if status in ("error", "refused"):
        return note("bad", f"The forecast was not run: {done.get('message')} The previous forecast is kept.",
                    id="data-forecast-error"), no_update
    raise PreventUpdate


def cancelled_note() -> html.Div:
    try:
        had = _plan_state().forecast_run is not None
    except Exception:
        had = True
    tail = ("the previous forecast is kept." if had else
            "the plan keeps the interim forecast until the statistical forecast is run.")
    return note("info", [html.Strong("Cancelled"), f": nothing was stored, {tail}"], id="data-forecast-cancelled")


@callback(
    Output("data-forecast-message", "children", allow_duplicate=True),
    Output("data-forecast-done", "data", allow_duplicate=True),
    Input("data-forecast-cancel", "n_clicks"),
    State("data-forecast-request", "data"),
    prevent_initial_call=True,
)
def cancel_forecast(n_clicks, request):
    """Cancel: Dash ends the job this page started; a run followed from elsewhere stops at its next step."""
    if not n_clicks:
        raise PreventUpdate
    st = _plan_state()
    request = request or {}
    marker = jobs().get(f"run:{st.cycle_id}")
    if marker is None and request.get("token"):  # this page's job has not claimed the cycle yet
        marker = {"token": request["token"], "trigger": request.get("trigger")}
    if marker:
        jobs().set(f"cancel:{marker['token']}", True)
        if marker.get("trigger") == "auto":
            jobs().set(f"skip-auto:{st.cycle_id}", True)
        if marker.get("token") == request.get("token"):  # Dash ends that job now, leaving its files
            _release(f"run:{st.cycle_id}", marker["token"])
            for k in (f"progress:{marker['token']}", f"req:{marker['token']}"):
                jobs().delete(k)
    return cancelled_note(), {"status": "cancelled-shown", "at": time.time()}


@callback(
    Output("data-forecast-progress", "value", allow_duplicate=True),
    Output("data-forecast-progress", "label", allow_duplicate=True),
    Output("data-forecast-stage", "children", allow_duplicate=True),
    Output("data-forecast-progress-wrap", "style", allow_duplicate=True),
    Output("data-forecast-run", "disabled", allow_duplicate=True),
    Output("data-forecast-cancel", "disabled", allow_duplicate=True),
    Output("data-forecast-poll", "disabled", allow_duplicate=True),
    Output("data-forecast-done", "data", allow_duplicate=True),
    Input("data-forecast-poll", "n_intervals"),
    prevent_initial_call=True,
)
def follow_forecast(_n):
    """A run started by another page (or user): show its progress here until it ends."""
    st = _plan_state()
    marker = in_flight(st.cycle_id)
    if not marker:
        return 0, "", "", HIDDEN, False, True, True, {"status": "followed", "at": time.time()}
    p = jobs().get(f"progress:{marker['token']}") or {}
    pct = int(round(100 * float(p.get("fraction", 0.0))))
    elapsed = time.time() - float(p.get("started") or marker.get("created") or time.time())
    stage = f"{pct} % · {p.get('stage', 'waiting to start')} · {elapsed:.0f} s elapsed"
    return pct, f"{pct} %", stage, SHOWN, True, False, no_update, no_update


@callback(
    Output("data-forecast-status", "children"),
    Output("data-forecast-fallbacks", "children"),
    Output("data-models", "children"),
    Input("app-state", "data"),
    Input("data-models-filter", "value"),
)
def render_forecast(state, which):
    try:
        st = _plan_state()
    except Exception as exc:
        log.exception("plan state failed")
        return error_state(f"{type(exc).__name__}: {exc}"), None, None
    info = run_info(st.forecast_run)
    models = store().forecast_models(st.cycle_id) if info is not None else None
    if models is not None and len(models):
        items = store().list_items()[["item_id", "family"]]
        models = models.merge(items, on="item_id", how="left")
        order = ["item_id", "family", "model", "error", "runner_up", "runner_up_error", "snaive_error", "note"]
        models = models.reindex(columns=order).sort_values(["family", "item_id"], ignore_index=True)
    cycle = (state or {}).get("cycle")
    stopped = info is None and bool(jobs().get(f"skip-auto:{st.cycle_id}"))
    return (status_line(info, cycle, None if models is None else len(models), stopped), fallback_note(models),
            models_grid(models, which == "fallback"))


# ---------------------------------------------------------------------------- lag accuracy and FVA


def _as_tables(value) -> dict[str, pd.DataFrame]:
    """The engine's FVA result as {'family': …, 'owner': …} whether it comes as a dict, a pair or one table."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, pd.DataFrame)}
    if isinstance(value, (tuple, list)):
        frames = [v for v in value if isinstance(v, pd.DataFrame)]
        return dict(zip(("family", "owner", "other"), frames))
    if isinstance(value, pd.DataFrame):
        if "level" in value.columns:  # planning.lag_accuracy: family and total rows, then owner rows
            level = value["level"].astype(str)
            return {"family": value[level.isin(["family", "total"])].reset_index(drop=True),
                    "owner": value[level == "owner"].reset_index(drop=True)}
        return {"family": value}
    frames = {k: getattr(value, k) for k in ("family", "owner", "by_family", "by_owner")
              if isinstance(getattr(value, k, None), pd.DataFrame)}
    return {k.removeprefix("by_"): v for k, v in frames.items()}


def lag_inputs():
    """What lag accuracy and FVA are computed from: approved plans of earlier cycles, history, items."""
    st = store()
    data = st.load_company()
    return st.plan_snapshots(), data.history, data.items


def compute_lag_views() -> tuple[pd.DataFrame | None, dict[str, pd.DataFrame], str | None]:
    """(lag accuracy, FVA tables, problem) from `planning.lag_accuracy` on the stored snapshots and history."""
    try:
        from planning import lag_accuracy as la
    except ImportError:
        return None, {}, "Lag accuracy and forecast value added arrive with the engine's lag_accuracy module."
    snapshots, history, items = lag_inputs()
    if snapshots.empty:
        return None, {}, ("No plan of an earlier cycle has been approved yet: lag accuracy and forecast value "
                          "added need two cycles or more.")
    try:
        lag = la.lag_accuracy(snapshots, history, items)
        fva = _as_tables(la.forecast_value_added(snapshots, history, items))
    except Exception as exc:  # shown, with the engine's words
        log.exception("lag accuracy failed")
        return None, {}, f"They could not be computed: {type(exc).__name__}: {exc}"
    if isinstance(lag, dict):
        lag = next((v for v in lag.values() if isinstance(v, pd.DataFrame)), None)
    return lag, fva, None


def lag_views(prefix: str) -> html.Div:
    lag, fva, problem = per_plan_state("lag-views", compute_lag_views)
    return lag_panel_body(prefix, lag, fva, problem)


@callback(Output("data-lag", "children"), Input("app-state", "data"))
def render_lag(_state):
    return lag_views("data")
