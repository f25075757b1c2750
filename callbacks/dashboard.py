"""Executive dashboard: KPI cards, demand plan (vs last month and last year), supply & constraints,
money, decisions and actions, KPI trends with target bands.

Live: `dash-poll` ticks every few seconds and reads the plan state (one query) and the cycle's decisions
and action items into `dash-watched` when they changed; the page then re-renders only what changed since
what it shows (`dash-rendered` holds the plan state's ids and a digest of the notes, never the plan)."""

from __future__ import annotations

import logging
import datetime as dt

import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.common import load_plan, per_plan_state
from callbacks.views import constraints_frame, decision_lines, demand_vs_rows, finance_summary
from components import charts, formats
from components.decisions_needed import decisions_needed_list
from components.supply_cost import cost_breakdown_line
from components.empty import empty_state, error_state
from components.kpi_card import kpi_row
from components.layout import Col, summary_table
from planning.kpis import REGISTRY, kpi_names
from planning.supply import constrained_months, cost_lines
from planning.trends import plan_comparison
from services import queries
from services.dashboard import cycle_inputs, notes, notes_digest, watched as watched_now
from services.decisions_needed import decisions_needed

log = logging.getLogger("sop.dashboard")
DASHBOARD_KPIS = kpi_names(headline=True)  # planning.kpis.REGISTRY's order; the process KPIs on /metrics
# KPI trend charts (ids `dash-trend-<name>`, laid out by pages/dashboard.py)
TRENDS = [(name, REGISTRY[name].label) for name in kpi_names(history_only=True)]
# Table type that grows with the window: the theme's size on a laptop, larger on a 1920 px projector.
TABLE_STYLE = {"fontSize": "clamp(.92rem, .5rem + .45vw, 1.06rem)"}
# A dashboard reads at a glance: beyond these, the largest families and the most pressing family-months
# are shown and the rest are one row / one line away on the step pages.
DEMAND_ROWS = 25
SUPPLY_ROWS = 40
PLAN_OUTPUTS = ["dash-subtitle", "dash-kpis", "dash-demand", "dash-finance", "dash-supply", "dash-needed"]
NOTE_OUTPUTS = ["dash-decisions", "dash-actions"]

def comparison(result, inputs: dict) -> pd.DataFrame:
    """planning.trends.plan_comparison of the current plan (once per plan state)."""
    return per_plan_state("dash-comparison", lambda: plan_comparison(
        result.consensus, inputs["previous"], inputs["history"], inputs["items"]))


def _span(months: list[str]) -> str | None:
    if not months:
        return None
    return months[0] if len(months) == 1 else f"{months[0]}–{months[-1][-2:]}"


def demand_table(result, inputs: dict) -> html.Div:
    months = list(result.horizon[:3])
    rows, total = demand_vs_rows(comparison(result, inputs), months, limit=DEMAND_ROWS)
    has_previous = inputs["previous"] is not None
    cols = [Col("family", "Family", "text"), *[Col(m, m) for m in months],
            Col("quarter", "Quarter", "int", "total-col", sub=_span(months)),
            Col("vs_last_month", "vs last month", "pct_signed",
                sub="plan, quarter" if has_previous else "no approved plan"),
            Col("vs_last_year", "vs last year", "pct_signed", sub="actuals, quarter")]
    table = summary_table("dash-demand-table", cols, rows, "family", total, style=TABLE_STYLE)
    families = result.family_plan["family"].nunique()
    if families <= DEMAND_ROWS:
        return table
    return html.Div([table, _more("dash-demand-more",
                                  f"The {DEMAND_ROWS - 1} largest of {formats.integer(families)} families by "
                                  "units in the quarter; the others summed in one row.",
                                  "Every family and item on 2 Demand", "/demand")])


def _more(id: str, text: str, link: str, href: str) -> html.Div:
    """The line under a shortened table: what is shown, and where the rest is."""
    return html.Div([text, " ", dcc.Link(link, href=href)], id=id, className="item-meta mt-1")


def most_pressing(watch: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The `limit` family-months of `watch` to show first: CONSTRAINED, then TIGHT, then OK; earlier months
    first, then the largest shortfall; back in reading order (month, family)."""
    rank = watch["status"].map({"CONSTRAINED": 0, "TIGHT": 1}).fillna(2)
    order = watch.assign(_rank=rank, _short=-watch["gap"].abs()).sort_values(
        ["_rank", "period", "_short", "family"], kind="stable")
    return order.head(limit).drop(columns=["_rank", "_short"]).sort_values(["period", "family"])


def supply_table(result):
    """Every family-month of the next three months, then every CONSTRAINED or TIGHT family-month of the rest of
    the horizon by month (`planning.supply.constrained_months`), with the chosen solution in units and money
    and the plan's cost by option over the horizon beneath."""
    h = list(result.horizon)
    watch = constrained_months(result.family_plan, h, first=3)
    if watch.empty:
        return empty_state("No capacity in the horizon", "Upload a capacity table on 1 Data.", "Go to 1 Data",
                           "/data")
    total = len(watch)
    if total > SUPPLY_ROWS:
        watch = most_pressing(watch, SUPPLY_ROWS)
    frame = constraints_frame(result, h, only=watch)
    frame = watch[["family", "period"]].merge(frame, on=["family", "period"], how="left")
    cols = [Col("period", "Month", "text"), Col("family", "Family", "text"), Col("demand", "Demand"),
            Col("capacity", "Capacity"), Col("gap", "Gap"), Col("utilization", "Util.", "pct"),
            Col("status", "Status", "status"), Col("solution", "Chosen solution", "text", "solution-col"),
            Col("solution_cost", "Cost", "money", sub="overtime, outsourcing, lost sales")]
    table = summary_table("dash-supply-table", cols, frame.to_dict("records"), "key", style=TABLE_STYLE)
    more = None if total <= SUPPLY_ROWS else _more(
        "dash-supply-more", f"The {SUPPLY_ROWS} most pressing of {formats.integer(total)} family-months to watch "
        "(constrained first, earliest months first).", "Every family and month on 3 Supply", "/supply")
    return html.Div([table, more, cost_breakdown_line("dash-supply-cost", cost_lines(result.supply_plan))])


def needed_list(result):
    """The "Decisions needed" panel: each constrained month's solution, scenarios waiting, budget gaps."""
    try:
        lines = decision_lines(decisions_needed(result))
    except Exception:
        log.exception("decisions needed")
        return error_state("The decisions needed could not be listed.")
    return decisions_needed_list("dash-needed-list", lines, limit=12)


def finance_table(result):
    h = list(result.horizon)
    groups = [("this_month", "This month", h[:1]), ("next_month", "Next month", h[1:2]),
              ("quarter", "Quarter", h[:3])]
    groups = [g for g in groups if g[2]]
    rows = finance_summary(result, groups)
    for r in rows:
        if r["_kind"] == "money":
            r["_kind"] = "money_short"
    cols = [Col("line", "", "text"), *[Col(key, label, "money", sub=_span(p)) for key, label, p in groups]]
    return summary_table("dash-finance-table", cols, rows, "metric", style=TABLE_STYLE)


def decisions_list(decisions: pd.DataFrame) -> html.Div:
    """The five latest decisions of the cycle (`Store.list_decisions()`)."""
    if decisions.empty:
        return empty_state("No decisions yet",
                           "Decisions are recorded during the executive meeting on 5 Meeting.",
                           "Go to 5 Meeting", "/meeting", icon="bi-check2-square")
    items = [
        html.Li([
            html.Div([html.Strong(r["topic"]), " — ", r["decision"]]),
            html.Div(" · ".join(str(x) for x in (r.get("owner"), r.get("decided_on")) if x),
                     className="item-meta"),
        ])
        for r in decisions.sort_values(["decided_on", "id"], ascending=False).head(5).to_dict("records")
    ]
    return html.Ul(items, className="item-list", id="dash-decisions-list")


def _due(day) -> str:
    return f"due {day}" if day and not formats.is_missing(day) else ""


def actions_list(actions: pd.DataFrame) -> html.Div:
    """Open action items (not done), soonest due first (`Store.list_actions()`)."""
    open_items = actions[actions["status"] != "done"] if not actions.empty else actions
    if open_items.empty:
        return empty_state("No open action items",
                           "Action items are captured during the meetings on 5 Meeting.",
                           "Go to 5 Meeting", "/meeting", icon="bi-list-check")
    items = [
        html.Li([
            html.Div(r["description"]),
            html.Div(" · ".join(str(x) for x in (r.get("owner"), _due(r.get("due_date")), r.get("status"))
                                if x), className="item-meta"),
        ])
        for r in open_items.sort_values("due_date", na_position="last").head(8).to_dict("records")
    ]
    return html.Ul(items, className="item-list", id="dash-actions-list")


def trend_figures(result, inputs: dict) -> list:
    trend = inputs["trend"]
    figs = []
    for name, label in TRENDS:
        kpi = result.kpis.get(name, {})
        if trend.empty or trend[name].notna().sum() == 0:
            figs.append(charts.empty_figure(label, "No history with forecasts to measure"))
            continue
        figs.append(charts.kpi_trend(trend, "period", name, label, kpi.get("target_low"),
                                     kpi.get("target_high")))
    return figs


def forecast_line(cycle_id: int | None) -> html.Span | None:
    """' · Statistical forecast run 7 replaced the interim forecast at 14:03: Kitchen 55,677 → 63,466, …'"""
    if cycle_id is None:
        return None
    try:
        change = queries.latest_forecast_change(cycle_id)
    except Exception:
        log.exception("forecast change")
        return None
    if change is None:
        return None
    old = "the interim forecast" if change["old_run_id"] is None else f"run {change['old_run_id']}"
    fams = change["families"].assign(delta=lambda f: (f["after_total"] - f["before_total"]).abs())
    fams = fams.sort_values("delta", ascending=False).head(3)
    moves = ", ".join(f"{r.family} {formats.integer(r.before_total)} → {formats.integer(r.after_total)}"
                      for r in fams.itertuples())
    when = pd.Timestamp(change["at"]).strftime("%Y-%m-%d %H:%M")
    return html.Span(f" · Statistical forecast run {change['new_run_id']} replaced {old} at {when} "
                     f"(units over the horizon: {moves}{', …' if len(change['families']) > 3 else ''}).",
                     id="dash-forecast-change")


@callback(
    Output("dash-watched", "data"),
    Input("app-state", "data"),
    Input("dash-poll", "n_intervals"),
    State("dash-watched", "data"),
    prevent_initial_call=True,  # the page's layout puts what to show in `dash-watched` (pages/dashboard.py)
)
def watch_dashboard(_state, _tick, watched):
    """The poll: what the page should show (plan state ids, digest of the notes), written only when it
    changed. Kept apart from the rendering so a tick never cancels a render still under way (Dash drops the
    answer of a callback fired again before it answered: a render slower than the poll would never show)."""
    now = watched_now()
    if now == watched:
        raise PreventUpdate
    return now


@callback(
    [Output(i, "children") for i in PLAN_OUTPUTS],
    [Output(f"dash-trend-{n}", "figure") for n, _ in TRENDS],
    [Output(i, "children") for i in NOTE_OUTPUTS],
    Output("dash-live", "children"),
    Output("dash-rendered", "data"),
    Input("dash-watched", "data"),
    State("dash-rendered", "data"),
)
def render_dashboard(watched, rendered):
    """Re-render what changed since the page last rendered: the plan (state key) and/or the notes."""
    if not watched:
        raise PreventUpdate
    rendered = rendered or {}
    key = watched["plan"]
    decisions, actions = notes()
    digest = notes_digest(decisions, actions)
    plan_changed = key is None or rendered.get("plan") != key
    notes_changed = rendered.get("notes") != digest
    if not plan_changed and not notes_changed:
        raise PreventUpdate
    now = dt.datetime.now().strftime("%H:%M:%S")
    live = [html.I(className="bi bi-broadcast me-1"), f"Live · updated {now}",
            forecast_line(key[1] if key else None)]
    notes_out = [decisions_list(decisions), actions_list(actions)] if notes_changed else [no_update] * 2
    if not plan_changed:
        return ([no_update] * (len(PLAN_OUTPUTS) + len(TRENDS)) + notes_out
                + [live, {"plan": key, "notes": digest}])
    loaded = load_plan()
    if loaded.result is None:
        err = error_state(f"{loaded.error}. Upload valid data on 1 Data.")
        empty = charts.empty_figure("", "No plan")
        return (["", err, "", "", "", ""] + [empty] * len(TRENDS) + notes_out
                + [live, {"plan": None, "notes": digest}])
    result = loaded.result
    inputs = cycle_inputs(key[0], key[1])
    h = result.horizon
    families = result.family_plan["family"].nunique()
    subtitle = (f"Cycle {inputs['cycle'] or '—'} · horizon {h[0]} – {h[-1]} ({len(h)} months) · "
                f"{families} families · revision {formats.integer(key[3])}") if h else ""
    # the same for everyone until the plan moves: drawn once per plan state, then sent as drawn
    kpis, demand, finance, supply, *trends = per_plan_state("dashboard-plan-view",
                                                            lambda: plan_view(result, inputs))
    # the decisions needed name the scenarios waiting for one, which come and go without the plan moving
    return [subtitle, kpis, demand, finance, supply, needed_list(result), *trends, *notes_out, live,
            {"plan": key, "notes": digest}]


def plan_view(result, inputs: dict) -> list:
    """What the page draws from the plan alone: the KPIs, the demand, money and supply tables, the trend
    figures."""
    return [
        kpi_row(result.kpis, DASHBOARD_KPIS, large=True).children,
        demand_table(result, inputs),
        finance_table(result),
        supply_table(result),
        *trend_figures(result, inputs),
    ]
