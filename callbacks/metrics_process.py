"""/metrics, "The S&OP process": the meeting's own measures over every cycle and per cycle
(services.process_measures holds the definitions)."""

from __future__ import annotations

import logging

from dash import Input, Output, callback, html

from components import formats
from components.empty import error_state
from components.layout import Col, summary_table
from components.status import status_badge

log = logging.getLogger("sop.metrics")


def _ratio(n, d) -> str:
    return f"{formats.integer(n)} of {formats.integer(d)}" if d else "—"


def overall_cards(o: dict) -> html.Div:
    def card(key: str, label: str, value: str, detail: str, status: str | None = None):
        return html.Div(html.Div([
            html.Div(label, className="item-meta"),
            html.Div(value, className="fs-4 fw-bold", id=f"metrics-process-{key}",
                     **{"data-value": "" if o.get(f"{key}") is None else repr(float(o[key]))}),
            html.Div([detail, " ", status_badge(status) if status else None], className="small"),
        ], className="p-2 border rounded h-100"), className="col")

    return html.Div([
        card("decisions_on_time_pct", "Decisions made on time", formats.percent(o["decisions_on_time_pct"]),
             _ratio(o["decisions_on_time"], o["decisions"])),
        card("actions_done_pct", "Action items completed", formats.percent(o["actions_done_pct"]),
             _ratio(o["actions_done"], o["actions"])),
        card("actions_done_on_time_pct", "Action items done on time", formats.percent(o["actions_done_on_time_pct"]),
             _ratio(o["actions_done_on_time"], o["actions"])),
        card("actions_open_late", "Open action items late", formats.integer(o["actions_open_late"]),
             "not done, due date passed"),
        card("cycle_time_days", "Cycle time, data to decision",
             "—" if o["cycle_time_days"] is None else f"{o['cycle_time_days']:.0f} days",
             f"median over cycles; target under {o['cycle_time_target_days']:.0f} days", o["cycle_time_status"]),
        card("checklist_pct", "Checklist completed", formats.percent(o["checklist_pct"]), "all cycles' items"),
    ], className="row row-cols-2 row-cols-md-3 row-cols-xxl-6 g-2 mb-3")


def cycle_table(per_cycle) -> html.Div:
    rows = []
    for r in per_cycle.iloc[::-1].to_dict("records"):  # newest first
        rows.append({**r,
                     "decisions_text": _ratio(r["decisions_on_time"], r["decisions"]),
                     "actions_text": _ratio(r["actions_done"], r["actions"]),
                     "checklist_text": f"{r['checklist_done']} of {r['checklist_total']}"})
    cols = [Col("period", "Cycle", "text"),
            Col("decisions_on_time_pct", "Decisions on time", "pct"), Col("decisions_text", "", "text"),
            Col("actions_done_pct", "Actions done", "pct"), Col("actions_text", "", "text"),
            Col("actions_done_on_time_pct", "Done on time", "pct"),
            Col("actions_open_late", "Open and late", "int"),
            Col("cycle_time_days", "Cycle time (days)", "int"),
            Col("checklist_pct", "Checklist", "pct"), Col("checklist_text", "", "text")]
    return summary_table("metrics-process-table", cols, rows, "period")


@callback(Output("metrics-process", "children"), Input("app-state", "data"))
def render_process(_state):
    from services.process_measures import process_measures

    try:
        per_cycle, overall = process_measures()
    except Exception as exc:
        log.exception("process measures failed")
        return error_state(f"{type(exc).__name__}: {exc}")
    return html.Div([overall_cards(overall), cycle_table(per_cycle),
                     html.Div("Decisions: taken by their due date (dropped ones left out). Actions: a carried "
                              "action counts once over all cycles. Cycle time: from week 1 of the cycle (or its "
                              "data, if earlier) to the first approval of its plan.", className="item-meta mt-1")])
