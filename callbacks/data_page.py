"""Step 1, what the data says: the dataset in use, forecast accuracy, exceptions, and the history and forecast
chart with the statistical forecast's intervals. The upload card, the forecast run and the lag views have
their own modules (data_upload, data_forecast, data_lag)."""

from __future__ import annotations

import logging

import pandas as pd
from dash import Input, Output, callback, html, no_update

from callbacks import data_forecast, data_lag, data_upload, plan_workbook  # noqa: F401  (cards of this page)
from callbacks.common import keep_or_first, load_plan, per_plan_state
from callbacks.paged_grids import serve_rows
from components import charts
from components.empty import empty_state, error_state
from components.grids import frame_grid, num_col, pct_col, text_col
from components.layout import Col, summary_table
from components import formats
from services import queries

log = logging.getLogger("sop.data")


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


ACCURACY_COLUMNS = [text_col("level", "Level", maxWidth=100), text_col("family", "Family"),
                    text_col("item_id", "Item"), num_col("n", "Months"), num_col("n_zero", "Zero months"),
                    pct_col("mape", "MAPE"), pct_col("wape", "WAPE"), pct_col("bias_pct", "Bias"),
                    num_col("mad", "MAD", ",.1f"), num_col("tracking_signal", "Tracking signal", ",.2f")]
EXCEPTION_COLUMNS = [{"field": "item_link", "headerName": "Item", "cellRenderer": "markdown"},
                     text_col("family", "Family"), text_col("period", "Month"),
                     text_col("kind_label", "Exception", minWidth=150), num_col("value", "Value", ",.1f"),
                     num_col("threshold", "Limit", ",.1f")]
EXCEPTION_LABELS = {"forecast_change": "Forecast change", "tracking_signal": "Tracking signal", "mape": "MAPE",
                    "bias": "Bias"}


def accuracy_rows(acc: pd.DataFrame) -> pd.DataFrame:
    """The accuracy grid's rows in order (total, families, items), each with its row id `key`."""
    order = {"total": 0, "family": 1, "item": 2}
    frame = acc.assign(_o=acc["level"].map(order)).sort_values(["_o", "family", "item_id"]).drop(columns="_o")
    return frame.assign(key=frame["level"].astype(str) + ":" + frame["family"].fillna("").astype(str) + ":"
                        + frame["item_id"].fillna("").astype(str)).reset_index(drop=True)


def exception_rows(exc: pd.DataFrame) -> pd.DataFrame:
    return exc.assign(
        kind_label=exc["kind"].map(EXCEPTION_LABELS).fillna(exc["kind"]),
        item_link=["[" + str(i) + "](/demand?item=" + str(i) + ")" if isinstance(i, str) and i else "" for i in
                   exc["item_id"]],
    ).reset_index(drop=True)


def current_accuracy_rows(result=None) -> pd.DataFrame | None:
    """The accuracy rows of `result` (default: the current plan), once per plan state (what the paged grid's
    blocks are cut from)."""
    result = result if result is not None else load_plan().result
    if result is None or result.accuracy is None or result.accuracy.empty:
        return None
    return per_plan_state("data-accuracy-rows", lambda: accuracy_rows(result.accuracy))


def current_exception_rows(result=None) -> pd.DataFrame | None:
    result = result if result is not None else load_plan().result
    if result is None or result.exceptions is None or result.exceptions.empty:
        return None
    return per_plan_state("data-exception-rows", lambda: exception_rows(result.exceptions))


def accuracy_grid(frame: pd.DataFrame):
    return frame_grid("data-accuracy-grid", frame, ACCURACY_COLUMNS, row_id="key", height=420,
                      grid_options={"pagination": False})


def exceptions_grid(frame: pd.DataFrame | None):
    if frame is None or frame.empty:
        return empty_state("No exceptions", "Every series is within its limits.", icon="bi-check-circle")
    return frame_grid("data-exceptions-grid", frame, EXCEPTION_COLUMNS, height=420)


serve_rows("data-accuracy-grid", current_accuracy_rows)
serve_rows("data-exceptions-grid", current_exception_rows)


@callback(
    Output("data-dataset", "children"),
    Output("data-accuracy", "children"),
    Output("data-exceptions", "children"),
    Output("data-family", "options"),
    Input("app-state", "data"),
)
def render_data(_state):
    loaded = load_plan()
    info = queries.dataset_info()
    if loaded.result is None:
        err = error_state(loaded.error or "")
        return dataset_panel(info, None), err, "", []
    result = loaded.result
    families = sorted(result.family_plan["family"].astype(str).unique())
    acc = current_accuracy_rows(result)
    accuracy = accuracy_grid(acc) if acc is not None else empty_state(
        "No accuracy yet", "History rows need forecast_units (the forecast made for that month) to measure "
        "accuracy. Add the column to history and upload again.", icon="bi-bullseye")
    return dataset_panel(info, result), accuracy, exceptions_grid(current_exception_rows(result)), families


@callback(
    Output("data-history-chart", "figure"),
    Output("data-chart-note", "children"),
    Output("data-family", "value", allow_duplicate=True),
    Input("data-family", "value"),
    Input("app-state", "data"),
    prevent_initial_call="initial_duplicate",
)
def history_chart(chosen, _state):
    """The chosen family's history and forecast; a family the plan does not have (or none) becomes its first
    family. Chosen here, not by render_data: Dash would wait for that callback before drawing."""
    loaded = load_plan()
    if loaded.result is None:
        return charts.empty_figure("History and forecast", "No plan"), None, no_update
    result = loaded.result
    family, value = keep_or_first(chosen, sorted(result.family_plan["family"].astype(str).unique()))
    if family is None:
        return charts.empty_figure("History and forecast", "No family in this plan"), None, no_update
    fig, text = family_history_figure(result, family)
    return fig, text, value


def family_history_figure(result, family: str) -> tuple[dict, str]:
    """One family's actuals, the forecasts made at the time, the statistical forecast and the consensus, with
    the statistical forecast's intervals; and the note under the chart."""
    title = f"{family} — history and forecast (units)"
    hist = queries.family_history(family)
    plan = result.consensus[result.consensus["family"] == family].groupby("period", as_index=False)[
        ["statistical", "consensus"]].sum()
    frame = pd.concat([hist, plan], ignore_index=True).sort_values("period")
    try:
        bands = queries.family_bands(family, list(result.horizon))
    except Exception:
        log.exception("forecast bounds could not be read")
        bands = None
    # a plain figure dict: a go.Figure validates every value (seconds for this chart, on every family pick)
    traces: list[dict] = []
    for level, colour in ((95, "rgba(142,68,173,0.12)"), (80, "rgba(142,68,173,0.26)")):
        lo, hi = f"lo{level}", f"hi{level}"
        if bands is None or bands[[lo, hi]].isna().any().any():
            continue
        x = bands["period"].astype(str).tolist()
        traces.append({"type": "scatter", "x": x, "y": charts.numbers(bands[lo]), "mode": "lines",
                       "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip", "name": f"{level} % lower",
                       "legendgroup": f"band{level}"})
        traces.append({"type": "scatter", "x": x, "y": charts.numbers(bands[hi]), "mode": "lines",
                       "line": {"width": 0}, "fill": "tonexty", "fillcolor": colour, "name": f"{level} % interval",
                       "legendgroup": f"band{level}", "customdata": charts.numbers(bands[lo]),
                       "hovertemplate": "%{customdata:,.0f} – %{y:,.0f}"})
    dashed = ("forecast_units", "statistical")
    colours = {"actual_units": "#2c3e50", "forecast_units": "#95a5a6", "statistical": "#8e44ad", "consensus": "#3498db"}
    names = {"actual_units": "Actual", "forecast_units": "Forecast made at the time",
             "statistical": "Statistical forecast", "consensus": "Consensus"}
    x = frame["period"].astype(str).tolist()
    for col, name in names.items():
        if col in frame:
            traces.append({"type": "scatter", "x": x, "y": charts.numbers(frame[col]), "name": name,
                           "mode": "lines+markers", "marker": {"size": 5}, "hovertemplate": "%{y:,.0f}",
                           "line": {"dash": "dash" if col in dashed else "solid", "width": 2, "color": colours[col]}})
    periods = sorted(frame["period"].astype(str).unique())
    # the bands are drawn first (under the lines) but cover only the plan months: keep the months in order
    fig = {"data": traces, "layout": charts.house_layout({
        "title": {"text": title},
        "xaxis": {"title": {"text": "Month"}, "type": "category", "categoryorder": "array",
                  "categoryarray": periods, **charts.ticks(periods, 12)},
        "yaxis": {"title": {"text": "Units"}}})}
    if bands is None:
        text = ("No prediction intervals: the forecast in use has none (an interim forecast until the statistical "
                "forecast is run, or an uploaded forecast without lo80/hi80).")
    else:
        text = ("Shaded: 80 % and 95 % intervals of the statistical forecast. Approx. family band: the sum of the "
                "items' bounds, which is wider than the family's own interval (items rarely all miss the same "
                "way in the same month).")
    return fig, text
