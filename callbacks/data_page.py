"""Step 1 callbacks: upload → validation report (all-or-nothing), dataset, accuracy, exceptions, chart."""

from __future__ import annotations

import base64
import binascii
import logging

import pandas as pd
from dash import Input, Output, State, callback, html, no_update

from callbacks.common import load_plan, store
from callbacks.shell import current_context, state_from_context
from components import charts, formats
from components.empty import empty_state, error_state
from components.grids import grid, num_col, pct_col, records, text_col
from components.layout import Col, summary_table
from components.shell import cycle_badge

UPLOAD_USER = "web upload"
log = logging.getLogger("sop.data")


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
        ok, issues = plan_service.upload_files(files, UPLOAD_USER)
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


@callback(Output("data-history-chart", "figure"), Input("data-family", "value"), Input("app-state", "data"))
def history_chart(family, _state):
    title = f"{family or ''} — history and forecast (units)"
    if not family:
        return charts.empty_figure("History and forecast", "Choose a family")
    loaded = load_plan()
    if loaded.result is None:
        return charts.empty_figure(title, "No plan")
    result = loaded.result
    hist = family_history(family)
    plan = result.consensus[result.consensus["family"] == family].groupby("period", as_index=False)[
        ["statistical", "consensus"]].sum()
    frame = pd.concat([hist, plan], ignore_index=True).sort_values("period")
    return charts.line_chart(
        frame, "period",
        {"actual_units": "Actual", "forecast_units": "Forecast made at the time", "statistical": "Statistical forecast",
         "consensus": "Consensus"},
        title, "Month", "Units", dashed=("forecast_units", "statistical"),
        colours={"actual_units": "#2c3e50", "forecast_units": "#95a5a6", "statistical": "#8e44ad",
                 "consensus": "#3498db"})


def family_history(family: str) -> pd.DataFrame:
    """Actual and past-forecast units of one family per month, from the stored company data."""
    data = store().load_company()
    h = data.history.merge(data.items[["item_id", "family"]], on="item_id")
    h = h[h["family"] == family]
    return h.groupby("period", as_index=False).agg(
        actual_units=("actual_units", "sum"),
        forecast_units=("forecast_units", lambda s: s.sum(min_count=1)),
    )
