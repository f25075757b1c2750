"""Metrics callbacks: KPI table against targets, KPI history with target band (the maturity assessment:
callbacks/metrics_maturity.py)."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import Input, Output, callback, html, no_update

from callbacks.common import keep_or_first, load_plan
from components import charts, formats
from components.static_html import raw_html, to_html
from components.empty import error_state
from components.status import status_badge
from services import process_kpis, queries
from planning.kpis import kpi_names, target_text

KPI_ORDER = kpi_names()  # planning.kpis.REGISTRY's order


def kpi_table(kpis: dict):
    """One row per KPI of the registry (`tr[data-key=name]`), `data-value` on the row holding the figure;
    a KPI without a figure has no `data-value` and says what would give it. Sent as HTML in one component
    (components.static_html: Dash's renderer is slow with many small components)."""
    head = html.Thead(html.Tr([html.Th("KPI"), html.Th("Value", className="num"), html.Th("Target"),
                               html.Th("Status"), html.Th("How it is measured")]))
    rows = []
    for name in KPI_ORDER + [k for k in kpis if k not in KPI_ORDER]:
        k = kpis.get(name)
        if not k:
            continue
        value = k.get("value")
        attrs = {"data-key": name}
        if value is not None:
            attrs["data-value"] = repr(float(value))
            how = k.get("description") or ""
        else:
            how = html.Span([html.Span(k.get("description") or ""), html.Br(),
                             html.Em(k.get("needs") or "no data yet", className="text-muted")],
                            className="metrics-kpi-needs")
        rows.append(html.Tr([
            html.Td(k.get("label") or name, **{"data-col": "label"}),
            html.Td(formats.by_unit(value, k.get("unit")), className="num",
                    **{"data-col": "value_text", "data-value": attrs.get("data-value", "")}),
            html.Td(target_text(k.get("target_low"), k.get("target_high"), k.get("unit")), **{"data-col": "target"}),
            html.Td(status_badge(k.get("status")), **{"data-col": "status", "data-value": k.get("status") or ""}),
            html.Td(how, className="small", **{"data-col": "description"}),
        ], **attrs))
    table = html.Table([head, html.Tbody(rows)], id="metrics-kpi-table",
                       className="table table-hover table-sm sop-table")
    return raw_html(to_html(html.Div(table, className="table-responsive")))


@callback(
    Output("metrics-kpis", "children"),
    Output("metrics-kpi-choice", "options"),
    Input("app-state", "data"),
)
def render_metrics(_state):
    loaded = load_plan()
    if loaded.result is None:
        return error_state(loaded.error or ""), []
    kpis = process_kpis.with_process_kpis(loaded.result.kpis)
    options = [{"label": kpis[n].get("label") or n, "value": n} for n in KPI_ORDER if n in kpis]
    return kpi_table(kpis), options


@callback(
    Output("metrics-trend", "figure"),
    Output("metrics-kpi-choice", "value", allow_duplicate=True),
    Input("metrics-kpi-choice", "value"),
    Input("app-state", "data"),
    prevent_initial_call="initial_duplicate",
)
def kpi_trend(chosen, state):
    """The chosen KPI's history; a KPI this plan does not report (or none) becomes the first one. Chosen here,
    not by render_metrics: Dash would wait for that callback before drawing."""
    loaded = load_plan()
    kpis = process_kpis.with_process_kpis(loaded.result.kpis) if loaded.result is not None else {}
    name, value = keep_or_first(chosen, [n for n in KPI_ORDER if n in kpis])  # the chooser's options
    if not name:
        return charts.empty_figure("KPI history", "Choose a KPI"), no_update
    return kpi_figure(name, kpis, state), value


def kpi_figure(name: str, kpis: dict, state: dict | None):
    """The KPI recorded at each cycle, the current draft's figure, and the target band."""
    kpi = kpis.get(name) or {}
    label = kpi.get("label") or name
    unit = kpi.get("unit") or ""
    hist = process_kpis.combined_history(queries.kpi_history())
    hist = hist[hist["name"] == name] if len(hist) else hist
    points = [] if hist is None or hist.empty else list(zip(hist["cycle_period"].astype(str), hist["value"],
                                                            strict=True))
    cycle = (state or {}).get("cycle")
    # the current draft's point, not recorded until approved (a process KPI's figure is an earlier cycle's)
    if cycle and kpi.get("value") is not None and kpi.get("source") != "process" and cycle not in {p for p, _ in points}:
        points.append((f"{cycle}", kpi["value"]))  # the current draft, not recorded until approved
    if not points:
        return charts.empty_figure(f"{label} by cycle", "No KPI has been recorded yet")
    x, y = [p for p, _ in points], [v for _, v in points]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers", name=label, marker={"size": 8},
                               hovertemplate="%{y:,.1f}" + (" %" if unit == "%" else "")))
    low, high = kpi.get("target_low"), kpi.get("target_high")
    if low is not None or high is not None:
        values = [float(v) for v in y if v is not None]
        y0 = low if low is not None else min([0.0, *values])
        y1 = high if high is not None else max([v * 1.1 for v in values] + [y0])
        fig.add_hrect(y0=y0, y1=y1, fillcolor="rgba(24,188,156,0.12)", line_width=0,
                      annotation_text="target", annotation_position="top left")
    y_title = {"%": "Percent", "days": "Days", "turns": "Turns per year"}.get(unit, unit)
    fig = charts.style(fig, f"{label} by cycle", "Cycle", y_title, legend=False)
    fig.update_yaxes(rangemode="normal")
    return fig


@callback(Output("metrics-lag", "children"), Input("app-state", "data"))
def render_lag(_state):
    from callbacks.data_lag import lag_views

    return lag_views("metrics")
