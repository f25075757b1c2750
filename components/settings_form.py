"""The targets and planning settings form on /metrics (filled from the stored settings)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from planning.forecast import REFERENCES
from planning.settings_schema import (CANDIDATE_LABELS, COST_FIELDS, MEASURE_FIELDS, POLICY_FIELDS, WEIGHT_LABELS,
                                      Field, target_rows)
from planning.model import Settings


def _unit(unit: str) -> str:
    return {"%": "%", "turns": "turns a year", "days": "days"}.get(unit, unit)


def _number_input(id_, value, step="any") -> dbc.Input:
    return dbc.Input(id=id_, type="number", value=value, step=step, size="sm", className="settings-input",
                     debounce=True)


def _field_row(f: Field, value) -> html.Tr:
    return html.Tr([
        html.Th(html.Label(f.label, htmlFor=f"metrics-set-{f.name}"), scope="row"),
        html.Td(_number_input(f"metrics-set-{f.name}", value)),
        html.Td(f.unit, className="item-meta"),
    ])


def candidates_checklist(ticked: list[str], note: str) -> html.Div:
    """The forecast's candidate models as ticks (seasonal naive and the baseline always in, so not untickable)
    and where the list in force comes from ("from your company profile …")."""
    return html.Div([
        dbc.Checklist(id="metrics-set-forecast-candidates", value=list(ticked), className="small",
                      options=[{"label": label, "value": name, "disabled": name in REFERENCES}
                               for name, label in CANDIDATE_LABELS.items()]),
        html.Div(note, className="item-meta mt-1", id="metrics-forecast-candidates-source"),
    ])


def settings_form(settings: Settings, source: dict | None = None,
                  candidates: tuple[list[str], str] | None = None) -> html.Div:
    """KPI targets (low / high), safety stock and overtime, supply option costs, scenario weights, the
    measures' settings and the forecast candidates (`candidates`: the ticked models and where they come from)."""
    targets = html.Table([
        html.Thead(html.Tr([html.Th("KPI"), html.Th("Low"), html.Th("High"), html.Th("Unit")])),
        html.Tbody([
            html.Tr([
                html.Th(r["label"], scope="row"),
                html.Td(_number_input({"type": "metrics-target", "kpi": r["name"], "side": "low"}, r["low"])),
                html.Td(_number_input({"type": "metrics-target", "kpi": r["name"], "side": "high"}, r["high"])),
                html.Td(_unit(r["unit"]), className="item-meta"),
            ], id=f"metrics-target-row-{r['name']}")
            for r in target_rows(settings)
        ]),
    ], className="table table-sm settings-table mb-0", id="metrics-target-table")
    policy = html.Table(html.Tbody(
        [_field_row(f, getattr(settings, f.name)) for f in POLICY_FIELDS]
        + [html.Tr([html.Th("Safety stock floor", scope="row"),
                    html.Td(dbc.Checkbox(id="metrics-set-floor", value=bool(settings.safety_stock_floor),
                                         label="inventory may not fall below it"), colSpan=2)])]
    ), className="table table-sm settings-table mb-0")
    costs = html.Table(html.Tbody([_field_row(f, getattr(settings, f.name)) for f in COST_FIELDS]),
                       className="table table-sm settings-table mb-0")
    measures = html.Table(html.Tbody([_field_row(f, getattr(settings, f.name)) for f in MEASURE_FIELDS]),
                          className="table table-sm settings-table mb-0")
    ticked, cand_note = candidates or (list(settings.forecast_candidates), "")
    weights = html.Table(html.Tbody([
        html.Tr([html.Th(label, scope="row"), html.Td(_number_input(f"metrics-set-w{i}", w, step=0.05)),
                 html.Td("weight", className="item-meta")])
        for i, (label, w) in enumerate(zip(WEIGHT_LABELS, settings.scenario_weights))
    ]), className="table table-sm settings-table mb-0")
    block = lambda title, body, hint, cols: html.Div([  # noqa: E731
        html.H3(title, className="settings-block-title"), html.Div(hint, className="item-meta mb-1"), body,
    ], className=f"{cols} col-12 mb-3")
    return html.Div([
        in_force(source),
        html.Div([
            block("KPI targets", targets, "A blank bound is no bound. Statuses on every page follow these.",
                  "col-xxl-4 col-lg-6"),
            block("Inventory and capacity", policy, "Used by the supply plan and the inventory projection.",
                  "col-xxl-3 col-lg-6"),
            block("Supply option costs", costs, "What the least-cost supply plan weighs, in money.",
                  "col-xxl-3 col-lg-6"),
            block("Scenario weights", weights, "Scored 0–1 and weighted; saved as shares that add up to 1.",
                  "col-xxl-2 col-lg-6"),
            block("Measures", measures, "Inventory accuracy: the share of counted items within this tolerance.",
                  "col-xxl-4 col-lg-6"),
            block("Forecast candidates", candidates_checklist(ticked, cand_note),
                  "The models the statistical forecast compares per series on its backtest.", "col-xxl-4 col-lg-6"),
        ], className="row"),
    ])


def who_may_save(may_edit: bool, who: str) -> str:
    """The note beside the save button: empty for whoever may save."""
    return "" if may_edit else f"{who} may read these; an administrator changes them."


def save_bar() -> html.Div:
    """The save button and its note, in the page's layout under the form (callbacks.settings enables it).
    Not part of the form the callback draws: Dash calls a callback whose input arrives inside another
    callback's answer as that answer arrives, and the save would have been one more round trip per load."""
    save = dbc.Button([html.I(className="bi bi-save me-2"), "Save settings"], id="metrics-settings-save",
                      color="primary", disabled=True)
    return html.Div([save, html.Span("", className="item-meta ms-3", id="metrics-settings-who")],
                    className="d-flex align-items-center")


def in_force(source: dict | None) -> html.Div:
    """'Settings in force: the upload's settings sheet, since 2026-11-27 14:03 (by admin).'"""
    source = source or {}
    since = str(source.get("since") or "")[:16]
    text = [html.I(className="bi bi-sliders me-2"), html.Strong("Settings in force: "),
            str(source.get("source") or "defaults")]
    if since:
        text.append(f", since {since}")
    if source.get("by"):
        text.append(f" (by {source['by']})")
    return html.Div(text + ["."], className="item-meta mb-2", id="metrics-settings-source")
