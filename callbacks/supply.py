"""Step 3 callbacks: gap grid, utilization heatmap, supply plan and its cost, inventory projection."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, callback

from callbacks.common import load_plan
from callbacks.views import supply_solution
from components import charts
from components.empty import empty_state, error_state
from components.grids import grid, money_col, num_col, records, status_col, text_col
from components.layout import Col, summary_table

MEASURES = [("demand", "Demand"), ("capacity", "Capacity"), ("gap", "Gap"), ("utilization", "Utilization %")]


def gap_rows(family_plan: pd.DataFrame, horizon: list[str]) -> list[dict]:
    """Per family four rows (demand, capacity, gap, utilization) with the months as columns; each row also
    carries `status_<period>` so the grid can colour gap and utilization cells by status."""
    rows = []
    status = family_plan.pivot(index="family", columns="period", values="status").reindex(columns=horizon)
    for measure, label in MEASURES:
        pivot = family_plan.pivot(index="family", columns="period", values=measure).reindex(columns=horizon)
        for fam in pivot.index:
            row = {"key": f"{fam}|{measure}", "family": fam, "measure": label, "m": measure}
            row.update({p: pivot.at[fam, p] for p in horizon})
            row.update({f"status_{p}": status.at[fam, p] for p in horizon})
            rows.append(row)
    order = {m: i for i, (m, _) in enumerate(MEASURES)}
    rows.sort(key=lambda r: (r["family"], order[r["m"]]))
    return records(pd.DataFrame(rows))


def gap_grid(family_plan: pd.DataFrame, horizon: list[str]):
    def month_col(p: str) -> dict:
        st = f"params.data['status_{p}']"
        coloured = "(params.data.m == 'gap' || params.data.m == 'utilization')"
        return {
            "field": p, "headerName": p, "type": "rightAligned", "minWidth": 92, "width": 96,
            "valueFormatter": {"function": "params.value == null ? '' : (params.data.m == 'utilization' ? "
                                           "d3.format(',.1f')(params.value) + ' %' : d3.format(',.0f')(params.value))"},
            "cellClassRules": {
                "num": "true",
                "cell-status status-bad": f"{coloured} && {st} == 'CONSTRAINED'",
                "cell-status status-warn": f"{coloured} && {st} == 'TIGHT'",
            },
            "tooltipValueGetter": {"function": f"{st} ? params.data.family + ' {p}: ' + {st} : ''"},
            "cellDataType": False,
        }

    cols = [text_col("family", "Family", pinned="left", minWidth=130, width=140, maxWidth=220),
            text_col("measure", "Measure", pinned="left", minWidth=120, width=125, maxWidth=160),
            *[month_col(p) for p in horizon]]
    return grid("supply-gap-grid", gap_rows(family_plan, horizon), cols, row_id="key", height=520,
                columnSize="responsiveSizeToFit" if len(horizon) <= 9 else None,
                grid_options={"rowClassRules": {"row-family": "params.data.m == 'gap'"},
                              "suppressColumnVirtualisation": True})


def heatmap(family_plan: pd.DataFrame, horizon: list[str]) -> go.Figure:
    pivot = family_plan.pivot(index="family", columns="period", values="utilization").reindex(columns=horizon)
    return charts.utilization_heatmap(pivot, "Utilization by family and month (demand / capacity)")


def plan_grid(result):
    sp = result.supply_plan.merge(result.inventory[["family", "period", "opening", "ending"]],
                                  on=["family", "period"], how="left")
    sp = sp.merge(result.family_plan[["family", "period", "gap", "status"]], on=["family", "period"], how="left")
    sp["solution"] = [supply_solution(r) for r in sp.to_dict("records")]
    sp["key"] = sp["family"] + "|" + sp["period"]
    cols = [text_col("family", "Family", pinned="left", minWidth=120), text_col("period", "Month", minWidth=95),
            num_col("demand", "Demand"), num_col("regular", "Regular"), num_col("overtime", "Overtime"),
            num_col("outsource", "Outsource"), num_col("inventory_end", "Inventory end"),
            num_col("lost_sales", "Lost sales"), num_col("shipped", "Shipped"), money_col("cost", "Cost"),
            status_col("status"), text_col("solution", "How the gap is closed", minWidth=280)]
    return grid("supply-plan-grid", records(sp.sort_values(["family", "period"])), cols, row_id="key", height=420)


OPTION_LABELS = {"do_nothing": "Do nothing", "overtime": "Overtime only",
                 "outsource": "Outsourcing only", "build_ahead": "Build ahead only", "optimized": "Optimized plan"}


def option_costs(result) -> pd.DataFrame | None:
    """The engine's comparison of supply options (each alone vs optimized)."""
    return result.supply_cost_by_option


def options_table(result):
    opts = option_costs(result)
    if opts is None or opts.empty:
        return empty_state("Not compared", "The option comparison was not computed for this plan.",
                           icon="bi-calculator")
    frame = opts.assign(label=opts["option"].map(OPTION_LABELS).fillna(opts["option"]))
    cols = [Col("label", "Option", "text"), Col("cost", "Total cost", "money"),
            Col("lost_sales", "Lost", sub="units"), Col("overtime", "Overtime", sub="units"),
            Col("outsource", "Outsourced", sub="units")]
    return summary_table("supply-options-table", cols, frame.to_dict("records"), "option")


def inventory_chart(result) -> go.Figure:
    inv = result.inventory
    fig = go.Figure()
    for i, fam in enumerate(sorted(inv["family"].unique())):
        part = inv[inv["family"] == fam]
        colour = charts.SERIES_COLOURS[i % len(charts.SERIES_COLOURS)]
        fig.add_trace(go.Scatter(x=part["period"], y=part["ending"], name=f"{fam} ending", mode="lines+markers",
                                 line={"color": colour, "width": 2}, hovertemplate="%{y:,.0f}"))
        fig.add_trace(go.Scatter(x=part["period"], y=part["safety_stock"], name=f"{fam} safety stock",
                                 mode="lines", line={"color": colour, "dash": "dot", "width": 1},
                                 hovertemplate="%{y:,.0f}"))
    charts.style(fig, "Projected ending inventory and safety stock by family", "Month", "Units")
    return charts.thin_ticks(fig, sorted(inv["period"].unique()), max_ticks=7)


@callback(
    Output("supply-gap-box", "children"),
    Output("supply-heatmap", "figure"),
    Output("supply-plan", "children"),
    Output("supply-options", "children"),
    Output("supply-inventory-chart", "figure"),
    Input("app-state", "data"),
)
def render_supply(_state):
    loaded = load_plan()
    if loaded.result is None:
        empty = charts.empty_figure("Supply", "No plan")
        return error_state(loaded.error or ""), empty, "", "", empty
    r = loaded.result
    h = list(r.horizon)
    return gap_grid(r.family_plan, h), heatmap(r.family_plan, h), plan_grid(r), options_table(r), inventory_chart(r)
