"""Executive dashboard: KPI cards, demand plan, supply & constraints, money, decisions and actions."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback, html

from callbacks.common import load_plan, store
from callbacks.views import constraints_frame, family_month_pivot, finance_summary
from components.empty import empty_state, error_state
from components.kpi_card import kpi_row
from components.layout import Col, summary_table

DASHBOARD_KPIS = ["mape", "bias_pct", "inventory_turns", "days_of_supply", "plan_attainment",
                  "revenue_attainment", "capacity_utilization"]

OUTPUTS = ["dash-subtitle", "dash-kpis", "dash-demand", "dash-finance", "dash-supply", "dash-decisions",
           "dash-actions"]


def demand_table(result) -> html.Div:
    months = list(result.horizon[:3])
    pivot = family_month_pivot(result.family_plan, "demand", months)
    rows = [{"family": fam, **{c: pivot.at[fam, c] for c in pivot.columns}} for fam in pivot.index]
    total = {"family": "Total", **{c: pivot[c].sum() for c in pivot.columns}}
    cols = [Col("family", "Family", "text"), *[Col(m, m) for m in months],
            Col("quarter", "Quarter", "int", "total-col", sub=f"{months[0]}–{months[-1][-2:]}" if months else None)]
    return summary_table("dash-demand-table", cols, rows, "family", total)


def supply_table(result):
    frame = constraints_frame(result, list(result.horizon[:3]))
    if frame.empty:
        return empty_state("No capacity in the horizon", "Upload a capacity table on 1 Data.", "Go to 1 Data", "/data")
    cols = [Col("period", "Month", "text"), Col("family", "Family", "text"), Col("demand", "Demand"),
            Col("capacity", "Capacity"), Col("gap", "Gap"), Col("utilization", "Utilization", "pct"),
            Col("status", "Status", "status"), Col("solution", "Chosen solution", "text")]
    return summary_table("dash-supply-table", cols, frame.to_dict("records"), "key")


def finance_table(result):
    h = list(result.horizon)
    groups = [("this_month", "This month", h[:1]), ("next_month", "Next month", h[1:2]),
              ("quarter", "Quarter", h[:3])]
    groups = [g for g in groups if g[2]]
    rows = finance_summary(result, groups)
    for r in rows:
        if r["_kind"] == "money":
            r["_kind"] = "money_short"
    cols = [Col("line", "", "text"),
            *[Col(key, label, "money", sub=f"{p[0]}–{p[-1][-2:]}" if len(p) > 1 else p[0]) for key, label, p in groups]]
    return summary_table("dash-finance-table", cols, rows, "metric")


def decisions_list(decisions: pd.DataFrame) -> html.Div:
    """The five latest decisions of the cycle (`Store.list_decisions()`)."""
    if decisions.empty:
        return empty_state("No decisions yet", "Decisions are recorded during the executive meeting on 5 Meeting.",
                           "Go to 5 Meeting", "/meeting", icon="bi-check2-square")
    items = [
        html.Li([
            html.Div([html.Strong(r["topic"]), " — ", r["decision"]]),
            html.Div(f"{r['owner']} · {r['decided_on']}", className="item-meta"),
        ])
        for r in decisions.sort_values("decided_on", ascending=False).head(5).to_dict("records")
    ]
    return html.Ul(items, className="item-list", id="dash-decisions-list")


def actions_list(actions: pd.DataFrame) -> html.Div:
    """Open action items (not done), soonest due first (`Store.list_actions()`)."""
    open_items = actions[actions["status"] != "done"] if not actions.empty else actions
    if open_items.empty:
        return empty_state("No open action items", "Action items are captured during the meetings on 5 Meeting.",
                           "Go to 5 Meeting", "/meeting", icon="bi-list-check")
    items = [
        html.Li([
            html.Div(r["description"]),
            html.Div(" · ".join(x for x in (r["owner"], f"due {r['due_date']}" if r.get("due_date") else "",
                                            r["status"]) if x), className="item-meta"),
        ])
        for r in open_items.sort_values("due_date", na_position="last").head(8).to_dict("records")
    ]
    return html.Ul(items, className="item-list", id="dash-actions-list")


@callback([Output(i, "children") for i in OUTPUTS], Input("app-state", "data"))
def render_dashboard(state):
    loaded = load_plan()
    if loaded.result is None:
        err = error_state(f"{loaded.error}. Upload valid data on 1 Data.")
        return ["", err, "", "", "", "", ""]
    result = loaded.result
    st = store()
    h = result.horizon
    families = result.family_plan["family"].nunique()
    subtitle = (f"Cycle {(state or {}).get('cycle') or '—'} · horizon {h[0]} – {h[-1]} ({len(h)} months) · "
                f"{families} families") if h else ""
    return [
        subtitle,
        kpi_row(result.kpis, DASHBOARD_KPIS).children,
        demand_table(result),
        finance_table(result),
        supply_table(result),
        decisions_list(st.list_decisions()),
        actions_list(st.list_actions()),
    ]

