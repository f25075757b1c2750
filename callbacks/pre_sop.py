"""Step 4 callbacks: balance, financial reconciliation, scenarios, executive summary."""

from __future__ import annotations

import logging

from dash.exceptions import PreventUpdate
from dash import Input, Output, State, callback, ctx, html, no_update

from callbacks.auth import NotAllowed, require
from callbacks.common import load_plan, pass_on
from components import formats
from components.empty import error_state
from components.grids import records
from components.layout import Col, summary_table
from components.supply_cost import cost_breakdown_text
from planning.finance import family_summaries, period_summary
from planning.supply import cost_lines
from components.charts import empty_figure
from components.scenarios import (
    comparison_chart,
    comparison_table,
    message,
    recommendation,
    scenario_list,
    scores_table,
)
from services import scenario_plans
from services.edits import EditError
from services.scenarios import scenarios

log = logging.getLogger("sop.pre_sop")

def scenario_table(rows: list[dict]):
    cols = [Col("scenario", "Scenario", "text"), Col("demand", "Demand"), Col("service", "Service", "pct"),
            Col("lost_sales", "Lost units"), Col("revenue", "Revenue", "money_short"),
            Col("supply_cost", "Supply cost", "money_short"), Col("constrained", "Constrained months")]
    return summary_table("presop-scenarios-table", cols, rows, "scenario")


def balance_rows(result) -> list[dict]:
    """The rows of `presop-balance-grid` (components.presop_panels.balance_panel): family × month."""
    frame = result.family_plan.merge(
        result.supply_plan[["family", "period", "regular", "overtime", "outsource", "shipped", "lost_sales",
                            "inventory_end"]], on=["family", "period"], how="left")
    frame["key"] = frame["family"] + "|" + frame["period"]
    return records(frame.sort_values(["family", "period"])[BALANCE_GRID_FIELDS].round(3))  # shown as integers


# what the grid shows and nothing more (a 200-family plan's rows are megabytes)
BALANCE_GRID_FIELDS = ["key", "family", "period", "demand", "capacity", "gap", "utilization", "regular", "overtime",
                       "outsource", "shipped", "lost_sales", "inventory_end", "status"]


def finance_table(result):
    fin, h = result.financials, list(result.horizon)
    rows = family_summaries(fin, h).to_dict("records")
    total = {"family": "Total", **period_summary(fin, h)}
    cols = [Col("family", "Family", "text"), Col("revenue", "Revenue", "money"),
            Col("revenue_unconstrained", "Unconstrained", "money"), Col("revenue_at_risk", "At risk", "money"),
            Col("cogs", "COGS", "money"), Col("gross_margin", "Gross margin", "money"),
            Col("gross_margin_pct", "GM %", "pct"), Col("inventory_value", "Inventory value (end)", "money")]
    return summary_table("presop-finance-table", cols, rows, "family", total)


def executive_summary(result, scen: list[dict]) -> html.Div:
    base = scen[0]
    fp = result.family_plan
    constrained = fp[fp["status"] == "CONSTRAINED"].sort_values(["period", "family"])
    points = [
        f"Demand over the horizon {formats.integer(base['demand'])} units; the supply plan ships "
        f"{formats.integer(base['shipped'])} ({formats.percent(base['service'])}).",
        f"Revenue {formats.money(base['revenue'])}, gross margin {formats.money(base['gross_margin'])}, "
        f"supply cost {cost_breakdown_text(cost_lines(result.supply_plan), short=False)}.",
    ]
    if len(constrained):
        listed = ", ".join(f"{r.family} {r.period} ({formats.integer(r.gap)})" for r in constrained.head(6).itertuples())
        more = f" and {formats.integer(len(constrained) - 6)} more" if len(constrained) > 6 else ""
        noun = "family-month is" if len(constrained) == 1 else "family-months are"
        points.append(f"{formats.integer(len(constrained))} {noun} constrained: {listed}{more}.")
        decide = "Decide how to close the constrained months: approve the overtime, outsourcing and build-ahead " \
                 "of the supply plan, or accept the lost sales."
    else:
        points.append("No month is constrained: capacity covers demand everywhere.")
        decide = "Confirm the plan as it stands."
    return html.Div(
        [html.H2("Executive summary", className="panel-title"),
         html.Ul([html.Li(p) for p in points], className="mb-2"),
         html.Div([html.Strong("For the executive meeting: "), decide])],
        className="panel", id="presop-exec-summary",
    )


@callback(
    Output("presop-summary", "children"),
    Output("presop-balance-grid", "rowData"),
    Output("presop-finance", "children"),
    Output("presop-scenarios", "children"),
    Input("app-state", "data"),
)
def render_pre_sop(_state):
    loaded = load_plan()
    if loaded.result is None:
        return error_state(loaded.error or ""), [], "", ""
    result = loaded.result
    scen = scenarios(result)
    return executive_summary(result, scen), balance_rows(result), finance_table(result), scenario_table(scen)


# ---------------------------------------------------------------------------- named scenarios


def _weights(*values) -> tuple[float, float, float] | None:
    try:
        w = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return None
    if any(x < 0 for x in w) or sum(w) <= 0:
        return None
    return w  # type: ignore[return-value]


@callback(
    Output("presop-scenario-table-box", "children"),
    Output("presop-scenario-pick", "options"),
    Output("presop-new-from", "options"),
    Output("presop-compare-family", "options"),
    Output("presop-dem-family", "options"),
    Output("presop-cap-family", "options"),
    Output("presop-dem-start", "options"),
    Output("presop-dem-end", "options"),
    Output("presop-cap-start", "options"),
    Output("presop-price-family", "options"),
    Output("presop-price-start", "options"),
    Input("app-state", "data"),
    Input("presop-scn-refresh", "data"),
)
def render_scenario_lists(_state, _refresh):
    loaded = load_plan()
    if loaded.result is None:
        return (error_state(loaded.error or ""),) + ([],) * 10
    listed = scenario_plans.list_scenarios()
    named = [{"label": s["name"], "value": str(s["id"])} for s in listed]
    families = [{"label": f, "value": f} for f in sorted(loaded.result.family_plan["family"].unique())]
    months = [{"label": p, "value": p} for p in loaded.result.horizon]
    return (scenario_list(listed), named, named, families, families, families, months, months, months, families,
            months)


@callback(
    Output("presop-w-service", "value"),
    Output("presop-w-cost", "value"),
    Output("presop-w-feas", "value"),
    Input("app-state", "data"),
    State("presop-w-service", "value"),
    State("presop-w-cost", "value"),
    State("presop-w-feas", "value"),
    prevent_initial_call=True,  # the page's layout puts them in (pages/pre_sop.py)
)
def fill_weights(_state, *shown):
    """The settings' weights again after a change elsewhere (unchanged ones not sent: each would redo the
    comparison)."""
    w = scenario_plans.shown_weights()
    if w == tuple(shown):
        raise PreventUpdate
    return w


@callback(
    Output("presop-recommendation-box", "children"),
    Output("presop-compare", "children"),
    Output("presop-compare-chart", "figure"),
    Output("presop-scores", "children"),
    Output("presop-compare-pick", "options"),
    Output("presop-compare-pick", "value", allow_duplicate=True),
    Input("presop-compare-pick", "value"),
    Input("presop-compare-family", "value"),
    Input("presop-w-service", "value"),
    Input("presop-w-cost", "value"),
    Input("presop-w-feas", "value"),
    Input("presop-scn-refresh", "data"),
    Input("app-state", "data"),
    prevent_initial_call="initial_duplicate",
)
def render_comparison(chosen, family, ws, wc, wf, _refresh, _state):
    """The comparison, its chooser's options, and what it compares: what was chosen, or, when the page opens,
    the plan changed or a scenario was made or changed, `scenario_plans.default_selection()` again. The
    chooser is filled here and not by render_scenario_lists: Dash would wait for that callback first."""
    try:
        options = scenario_plans.options()
        picked = (list(chosen or []) if ctx.triggered_id not in (None, "presop-scn-refresh", "app-state")
                  else scenario_plans.default_selection())
    except Exception as exc:  # no plan yet: shown on the page with what went wrong
        log.exception("scenario options failed")
        return (error_state(f"{type(exc).__name__}: {exc}"), "", empty_figure("Scenarios", "No comparison"), "",
                [], no_update)
    value = no_update if picked == list(chosen or []) else picked
    return (*_comparison(picked, family, ws, wc, wf), options, value)


def _comparison(selected, family, ws, wc, wf) -> tuple:
    weights = _weights(ws, wc, wf)
    note = None
    if weights is None and any(v is not None for v in (ws, wc, wf)):
        note = message("Weights must be three numbers of 0 or more, not all 0; the settings' weights are used.",
                       "warning")
    try:
        cmp = scenario_plans.compare(list(selected or [])[:scenario_plans.MAX_COMPARED], weights=weights,
                                     family=family or None)
    except Exception as exc:  # shown on the page with what went wrong
        log.exception("scenario comparison failed")
        return error_state(f"{type(exc).__name__}: {exc}"), "", empty_figure("Scenarios", "No comparison"), ""
    names = [r["scenario"] for r in cmp.rows]
    rec = recommendation(cmp.recommended, cmp.reasons, cmp.weights)
    return ([note, rec] if note else rec), comparison_table(cmp.table, names), comparison_chart(cmp.rows, family), \
        scores_table(cmp.scores)


def _quick(dem_family, dem_pct, dem_start, dem_end, cap_family, cap_pct, cap_start):
    demand = [{"family": dem_family, "pct": dem_pct, "start": dem_start, "end": dem_end}] \
        if dem_family and dem_pct not in (None, "") else []
    capacity = [{"family": cap_family, "pct": cap_pct, "start": cap_start}] \
        if cap_family and cap_pct not in (None, "") else []
    return demand, capacity


QUICK_STATES = [State("presop-dem-family", "value"), State("presop-dem-pct", "value"),
                State("presop-dem-start", "value"), State("presop-dem-end", "value"),
                State("presop-cap-family", "value"), State("presop-cap-pct", "value"),
                State("presop-cap-start", "value"), State("presop-cost-capacity", "value"),
                State("presop-cost-overtime", "value"), State("presop-cost-outsource", "value"),
                State("presop-cost-holding", "value"), State("presop-cost-lost", "value"),
                State("presop-cost-otpct", "value")]


def _costs(ot, out, hold, lost, otpct, outcap=None) -> dict:
    return {k: v for k, v in {"cost_overtime": ot, "cost_outsource": out, "cost_holding": hold,
                              "cost_lost_sales": lost, "overtime_pct": otpct,
                              "outsource_cap_pct": outcap}.items() if v not in (None, "")}


pass_on("presop-scenario-out", "app-scenario")
pass_on("presop-state-out")


@callback(
    Output("presop-new-msg", "children"),
    Output("presop-scn-refresh", "data"),
    Output("presop-scenario-out", "data"),  # passed on to app-scenario (callbacks.common.pass_on)
    Input("presop-new-create", "n_clicks"),
    Input("presop-add-change", "n_clicks"),
    State("presop-new-name", "value"),
    State("presop-new-desc", "value"),
    State("presop-new-from", "value"),
    *QUICK_STATES,
    State("app-scenario", "data"),
    State("presop-scn-refresh", "data"),
    State("presop-price-family", "value"),
    State("presop-price-pct", "value"),
    State("presop-price-start", "value"),
    State("presop-cost-outcap", "value"),
    prevent_initial_call=True,
)
def make_scenario(_create, _add, name, desc, parent, dfam, dpct, dstart, dend, cfam, cpct, cstart, capcost,
                  ot, out, hold, lost, otpct, editing, refresh, pfam=None, ppct=None, pstart=None, outcap=None):
    if not (_create or _add):
        return no_update, no_update, no_update
    demand, capacity = _quick(dfam, dpct, dstart, dend, cfam, cpct, cstart)
    costs = _costs(ot, out, hold, lost, otpct, outcap)
    prices = [{"level": "family", "key": pfam, "type": "percentage", "value": ppct, "start": pstart}] \
        if pfam and ppct not in (None, "") else []
    try:
        user = require("scenario")
        if ctx.triggered_id == "presop-add-change":
            vid = (editing or {}).get("id") if isinstance(editing, dict) else None
            if not vid:
                raise EditError("no scenario is being edited: choose one and press Edit first")
            text = scenario_plans.change(int(vid), by=user, demand=demand, capacity=capacity, settings=costs,
                                         capacity_cost=capcost if capcost not in (None, "") else None,
                                         prices=prices)
            return message(text, "success", "presop-new-ok"), (refresh or 0) + 1, no_update
        vid = scenario_plans.create(name or "", by=user, description=desc or "",
                                    parent=int(parent) if parent else None, demand=demand, capacity=capacity,
                                    settings=costs, capacity_cost=capcost or 0, prices=prices)
    except (NotAllowed, EditError) as exc:
        return message(f"{exc} Nothing was stored.", "danger", "presop-new-refused"), no_update, no_update
    made = [f"demand {d['pct']:+g} % on {d['family']}" for d in demand]
    made += [f"capacity {c['pct']:+g} % on {c['family']} from {c['start'] or 'the first month'}" for c in capacity]
    made += [f"price {float(p['value']):+g} % on {p['key']} from {p['start'] or 'the first month'}" for p in prices]
    if "outsource_cap_pct" in costs:
        made.append(f"outsourcing capped at {float(costs['outsource_cap_pct']):g} % of capacity")
    text = f"Scenario “{(name or '').strip()}” created" + (f" ({'; '.join(made)})" if made else "") + \
        ". It is now the one being edited; compare it below."
    return message(text, "success", "presop-new-ok"), (refresh or 0) + 1, {"value": {"id": vid}}


@callback(
    Output("presop-scenario-msg", "children"),
    Output("presop-scenario-out", "data", allow_duplicate=True),
    Output("presop-scn-refresh", "data", allow_duplicate=True),
    Output("presop-state-out", "data"),  # passed on to app-state
    Input("presop-scenario-edit", "n_clicks"),
    Input("presop-scenario-promote", "n_clicks"),
    State("presop-scenario-pick", "value"),
    State("presop-scn-refresh", "data"),
    prevent_initial_call=True,
)
def scenario_action(_edit, _promote, picked, refresh):
    if not (_edit or _promote):
        return no_update, no_update, no_update, no_update
    if not picked:
        return message("Choose a scenario first.", "warning"), no_update, no_update, no_update
    if ctx.triggered_id == "presop-scenario-edit":
        return no_update, {"value": {"id": int(picked)}}, no_update, no_update
    try:
        user = require("promote_scenario")
        text = scenario_plans.promote(int(picked), by=user)
    except (NotAllowed, EditError) as exc:
        return message(f"{exc} Nothing was changed.", "danger", "presop-promote-refused"), no_update, no_update, \
            no_update
    from callbacks.shell import current_context, state_from_context

    return message(text, "success", "presop-promote-ok"), {"value": None}, (refresh or 0) + 1, \
        {"value": state_from_context(current_context())}


@callback(
    Output("presop-w-msg", "children"),
    Input("presop-w-save", "n_clicks"),
    State("presop-w-service", "value"),
    State("presop-w-cost", "value"),
    State("presop-w-feas", "value"),
    prevent_initial_call=True,
)
def save_weights(_n, ws, wc, wf):
    weights = _weights(ws, wc, wf)
    if weights is None:
        return message("Weights must be three numbers of 0 or more, not all 0. Nothing was stored.", "danger")
    try:
        user = require("settings")
        changed = scenario_plans.save_weights(weights, by=user)
    except (NotAllowed, EditError) as exc:
        return message(f"{exc} Nothing was stored.", "danger")
    return message("Weights saved in the settings." if changed else "These are already the settings' weights.",
                   "success")
