"""View pieces of the statistical forecast: the run card on /data (status line, Run / Cancel, progress bar,
per-series models grid) and the lag-accuracy / forecast-value-added tables shared by /data and /metrics."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import formats
from components.empty import empty_state
from components.grids import grid, num_col, pct_col, records, text_col
from components.layout import panel

HIDDEN = {"display": "none"}
SHOWN = {"display": "block"}
FVA_SIGN = ("Forecast value added (FVA) = WAPE of the statistical forecast − WAPE of the consensus, in "
            "percentage points: positive means the adjustments helped (the consensus was closer to what was "
            "sold), negative means they made the forecast worse.")


def forecast_card() -> html.Section:
    """The "Statistical forecast" card of /data (ids `data-forecast-*`, `data-models-*`)."""
    buttons = html.Div(
        [
            dbc.Button([html.I(className="bi bi-play-fill me-1"), "Run forecast"], id="data-forecast-run",
                       color="primary", size="sm", n_clicks=0),
            dbc.Button([html.I(className="bi bi-x-circle me-1"), "Cancel"], id="data-forecast-cancel",
                       color="danger", outline=True, size="sm", n_clicks=0, disabled=True),
        ],
        className="d-flex gap-2 flex-shrink-0",
    )
    progress = html.Div(
        [
            dbc.Progress(id="data-forecast-progress", value=0, label="", striped=True, animated=True,
                         style={"height": "1.3rem"}, className="mb-1"),
            html.Div(id="data-forecast-stage", className="item-meta"),
        ],
        id="data-forecast-progress-wrap",
        style=HIDDEN,
        className="mt-2",
    )
    return panel("Statistical forecast", [
        dcc.Store(id="data-forecast-request"),
        dcc.Store(id="data-forecast-done"),
        dcc.Interval(id="data-forecast-poll", interval=1000, disabled=True),
        html.Div(
            [html.Div(id="data-forecast-status", className="flex-grow-1", style={"minWidth": 0}), buttons],
            className="d-flex justify-content-between align-items-start gap-3 flex-wrap",
        ),
        progress,
        html.Div(id="data-forecast-message", className="mt-2"),
        html.Div(id="data-forecast-fallbacks", className="mt-2"),
        html.Div(
            [
                html.Strong("Models per series", className="me-3"),
                dcc.RadioItems(
                    id="data-models-filter", value="all", inline=True, inputClassName="me-1",
                    labelClassName="me-3",
                    options=[{"label": " All series", "value": "all"},
                             {"label": " Fell back (too short, no demand, a model left out or replaced)",
                              "value": "fallback"}],
                ),
            ],
            className="d-flex align-items-center flex-wrap mt-3 mb-2",
        ),
        dcc.Loading(html.Div(id="data-models"), type="dot"),
    ], subtitle="Per series: candidate models compared on a rolling-origin backtest; the chosen model, its "
                "error, the runner-up and seasonal naive for comparison. The ensemble is kept unless one model's "
                "backtest MASE is below a third of it; the runner-up is the other side of that comparison")


def status_line(info: dict | None, cycle: str | None, n_models: int | None, auto_stopped: bool = False
                ) -> html.Div:
    """What the plan's statistical forecast is: when and how it was made (info from the forecast run)."""
    if not info:
        how = ("The automatic run was cancelled: press Run forecast to start it." if auto_stopped else
               "It starts by itself when data is loaded; press Run forecast to start it now.")
        return html.Div([
            html.Div([html.I(className="bi bi-hourglass-split me-2 text-warning"),
                      html.Strong(f"No statistical forecast has been run for cycle {cycle or '—'} yet.")]),
            html.Div("Until it is, the plan uses an interim forecast (seasonal naive: the same month last "
                     f"year). {how}", className="item-meta mt-1"),
        ], id="data-forecast-none")
    when = str(info.get("created_at") or "")[:16]
    if info.get("method") == "upload":
        return html.Div([
            html.Div([html.I(className="bi bi-file-earmark-arrow-up me-2"),
                      html.Strong("The statistical forecast came with the uploaded data"),
                      f" (forecast table, stored {when})."]),
            html.Div("It is used as given. Run the forecast to replace it with a forecast chosen per series by "
                     "backtest.", className="item-meta mt-1"),
        ], id="data-forecast-info")
    settings = info.get("settings") or {}
    seconds = settings.get("seconds")
    bits = [f"Run {when}"]
    if settings.get("by"):
        bits.append(f"by {settings['by']}")
    if seconds is not None:
        bits.append(f"in {formats.number(seconds, 1)} s")
    series = settings.get("series") or n_models
    method = settings.get("backtest") or "chosen per series on a rolling-origin backtest"
    search = {"default": "; AutoARIMA searched its full model space and AutoCES joined the ensemble",
              "narrow": "; AutoARIMA used its narrow search (a large run: no seasonal AR/MA terms)"}
    method += search.get(settings.get("arima_search"), "")
    return html.Div([
        html.Div([html.I(className="bi bi-check-circle-fill me-2 text-success"),
                  html.Strong(" ".join(bits)),
                  f" · {formats.integer(series)} series" if series else ""]),
        html.Div(f"Method: {method}. Metric: {settings.get('metric') or 'MASE'} (mean absolute scaled error; "
                 "below 1 beats last year's same month). In the backtest every model's form and parameters come from "
                 "the months before its first origin only, so no month it scores informs them; 80 % and 95 % "
                 "intervals calibrated on the backtest errors.", className="item-meta mt-1"),
    ], id="data-forecast-info")


def _kinds(notes: pd.Series) -> pd.Series:
    """The engine's note kinds per series (planning.forecast.NOTE_KINDS)."""
    from planning.forecast import note_kinds

    return notes.fillna("").astype(str).map(note_kinds)


def _fell_back(kinds: pd.Series) -> pd.Series:
    """Series whose note says something other than why the model was chosen (a fallback or a substitute)."""
    from planning.forecast import SELECTION_KINDS

    return kinds.map(lambda ks: any(k not in SELECTION_KINDS for k in ks))


def _names(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def fallback_note(models: pd.DataFrame | None) -> html.Div | None:
    """Which series fell back or had a substitute, counted by kind and named (the engine's note per
    series), and how often the ensemble was kept although a single model scored lower."""
    from planning.forecast import NOTE_KINDS, SELECTION_KINDS

    if models is None or models.empty:
        return None
    kinds = _kinds(models["note"])
    ids = models["item_id"].astype(str)
    by_kind = {kind: ids[kinds.map(lambda ks, k=kind: k in ks)].tolist() for kind in NOTE_KINDS}
    fell = int(_fell_back(kinds).sum())
    reasons = [html.Li(f"{len(by_kind[k])} series {NOTE_KINDS[k][1]}", id=f"data-forecast-count-{k}")
               for k in SELECTION_KINDS if by_kind[k]]
    if not fell:
        ok = html.Div([html.I(className="bi bi-check2 me-1"),
                       f"Every one of the {len(models)} series had enough history for the full backtest and every "
                       "model could be fitted; none fell back."], className="item-meta")
        return html.Div([ok, *([html.Ul(reasons, className="mb-0 small item-meta")] if reasons else [])],
                        id="data-forecast-fallback-none")
    lines = [html.Li([html.Strong(f"{len(by_kind[k])} series"), f" {NOTE_KINDS[k][1]}: {_names(by_kind[k])}"],
                     id=f"data-forecast-count-{k}")
             for k in NOTE_KINDS if k not in SELECTION_KINDS and by_kind[k]]
    return html.Div([
        html.Div([html.I(className="bi bi-exclamation-triangle me-1 text-warning"),
                  html.Strong(f"{fell} of {len(models)} series fell back or had a substitute"),
                  " (each series' note says which and why; choose “Fell back” below):"]),
        html.Ul(lines + reasons, className="mb-0 small"),
    ], id="data-forecast-fallback-list")


def models_grid(frame: pd.DataFrame, only_fallback: bool) -> html.Div:
    """The chosen model per series (`data-models-grid`), with the family and the engine's note (why the
    model was chosen when the errors alone do not say it; fallbacks and substitutes)."""
    if frame is None or frame.empty:
        return empty_state("No model selection to show",
                           "The forecast in use was not chosen by backtest (an uploaded forecast, or the interim one "
                           "until the statistical forecast has run). The chosen model per series shows here once it "
                           "has.", icon="bi-diagram-3",
                           id="data-models-empty")
    frame = frame.assign(note=frame["note"].fillna("").astype(str))
    frame = frame.assign(fell_back=_fell_back(_kinds(frame["note"])))
    if only_fallback:
        frame = frame[frame["fell_back"]]
        if frame.empty:
            return empty_state("No series fell back", "Every series had enough history for the full set of "
                               "models and every model could be fitted.", icon="bi-check-circle",
                               id="data-models-empty")
    cols = [
        text_col("item_id", "Item", pinned="left", minWidth=110), text_col("family", "Family", minWidth=110),
        text_col("model", "Chosen model", minWidth=170),
        num_col("error", "Backtest MASE", formats.D3_DEC2, maxWidth=140),
        text_col("runner_up", "Runner-up", minWidth=170,
                 headerTooltip="The other side of the rule: the best single model when the ensemble is kept, the "
                               "ensemble when a single model replaced it"),
        num_col("runner_up_error", "Runner-up MASE", formats.D3_DEC2, maxWidth=140),
        num_col("snaive_error", "Seasonal naive MASE", formats.D3_DEC2, maxWidth=150),
        text_col("note", "Note (why, fallbacks)", minWidth=260, tooltipField="note"),
    ]
    return grid("data-models-grid", records(frame), cols, row_id="item_id", height=430,
                grid_options={"pagination": False})


# ---------------------------------------------------------------------------- lag accuracy and FVA

PCT_WORDS = ("mape", "wape", "bias", "pct", "fva", "accuracy")
LABELS = {
    "level": "Level", "family": "Family", "owner": "Owner", "lag": "Lag (months)", "n": "Count",
    "n_zero": "Zero months", "actual": "Actual units", "item_id": "Item", "fva_pct": "FVA",
    "stat_mape": "Statistical MAPE", "stat_wape": "Statistical WAPE", "stat_bias_pct": "Statistical bias",
    "cons_mape": "Consensus MAPE", "cons_wape": "Consensus WAPE", "cons_bias_pct": "Consensus bias",
}
TOTAL_LABEL = {"function": "params.value || (params.data && params.data.level === 'total' ? 'Total' : '')"}


def _is_pct(col: str) -> bool:
    c = col.lower()
    return any(w in c for w in PCT_WORDS) and not c.startswith("n_") and c not in ("n", "lag")


def _label(col: str) -> str:
    if col in LABELS:
        return LABELS[col]
    out = col.replace("_", " ")
    return out[:1].upper() + out[1:]


def frame_grid(id: str, frame: pd.DataFrame, height: int = 420, labels: dict | None = None,
               hide: tuple[str, ...] = ()):
    """A read-only grid of an engine table as it is (rowData = the engine's rows): text columns as text, ratio
    columns in percent, counts as integers; `hide` leaves columns out of view (not out of the data)."""
    labels = {**LABELS, **(labels or {})}
    frame = frame.reset_index(drop=True)
    frame = frame.assign(_row=[f"r{i}" for i in range(len(frame))])
    cols = []
    for c in frame.columns:
        if c == "_row" or c in hide:
            continue
        s = frame[c]
        header = labels.get(c) or _label(c)
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            col = text_col(c, header, minWidth=100)
            if c == "family" and "level" in frame.columns:
                col["valueFormatter"] = TOTAL_LABEL
            cols.append(col)
        elif c.lower().startswith("fva"):  # a difference of two percentages: signed percentage points
            cols.append(num_col(c, header) | {"valueFormatter": {
                "function": "params.value == null ? '' : d3.format('+,.1f')(params.value) + ' pp'"}})
        elif _is_pct(c):
            cols.append(pct_col(c, header))
        elif pd.api.types.is_integer_dtype(s) or (s.dropna() % 1 == 0).all():
            cols.append(num_col(c, header, maxWidth=140))
        else:
            cols.append(num_col(c, header, formats.D3_DEC1))
    return grid(id, records(frame), cols, row_id="_row", height=height, grid_options={"pagination": False})


def lag_panel_body(prefix: str, lag: pd.DataFrame | None, fva: dict[str, pd.DataFrame] | None,
                   problem: str | None = None) -> html.Div:
    """Lag accuracy (statistical vs consensus at lag 1/2/3) and FVA by family and by owner."""
    if problem:
        return empty_state("Lag accuracy is not available yet", problem, icon="bi-clock-history",
                           id=f"{prefix}-lag-empty")
    parts = []
    if lag is None or lag.empty:
        parts.append(empty_state("No lag accuracy yet", "It needs approved plans of earlier cycles whose months "
                                 "now have actuals (two cycles or more).", icon="bi-clock-history",
                                 id=f"{prefix}-lag-empty"))
    else:
        parts += [html.H3("Lag accuracy", className="h6 fw-bold mt-1"),
                  html.Div("The forecast made 1, 2 and 3 months before each month (lag 1 = made in the cycle of "
                           "that month), statistical vs consensus, by family and in total: percent errors of the "
                           "units summed per family and month.", className="panel-sub"),
                  frame_grid(f"{prefix}-lag-grid", lag, labels={"n": "Months"}, hide=("level",))]
    fva = fva or {}
    parts.append(html.H3("Forecast value added", className="h6 fw-bold mt-3"))
    parts.append(html.Div(FVA_SIGN, className="panel-sub", id=f"{prefix}-fva-sign"))
    family, owner = fva.get("family"), fva.get("owner")
    if family is not None and len(family):
        parts += [html.Div("By family", className="fw-bold small mt-2 mb-1"),
                  frame_grid(f"{prefix}-fva-family-grid", family, height=320,
                             labels={"n": "Cycle-months"}, hide=("level", "owner"))]
    if owner is not None and len(owner):
        parts += [html.Div("By owner of the adjustments", className="fw-bold small mt-2 mb-1"),
                  frame_grid(f"{prefix}-fva-owner-grid", owner, height=320, labels={"n": "Cells"},
                             hide=("level", "family"))]
    elif family is not None and len(family):
        parts.append(html.Div("By owner of the adjustments: no owner is recorded with the approved plans of earlier "
                              "cycles, so FVA by owner cannot be measured yet.", className="item-meta mt-2",
                              id=f"{prefix}-fva-owner-none"))
    if (family is None or family.empty) and (owner is None or owner.empty):
        parts.append(html.Div("No forecast value added yet: it needs approved plans of earlier cycles with "
                              "actuals for their months.", className="item-meta", id=f"{prefix}-fva-empty"))
    return html.Div(parts)
