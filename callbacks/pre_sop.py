"""Step 4 callbacks: balance, financial reconciliation, scenarios, executive summary."""

from __future__ import annotations

from dash import Input, Output, callback, html

from callbacks.common import load_plan
from components import formats
from components.empty import error_state
from components.grids import grid, num_col, pct_col, records, status_col, text_col
from components.layout import Col, summary_table
from components.supply_cost import cost_breakdown_text
from planning.finance import period_summary
from planning.supply import cost_lines
from services.scenarios import scenarios

def scenario_table(rows: list[dict]):
    cols = [Col("scenario", "Scenario", "text"), Col("demand", "Demand"), Col("service", "Service", "pct"),
            Col("lost_sales", "Lost units"), Col("revenue", "Revenue", "money_short"),
            Col("supply_cost", "Supply cost", "money_short"), Col("constrained", "Constrained months")]
    return summary_table("presop-scenarios-table", cols, rows, "scenario")


def balance_grid(result):
    frame = result.family_plan.merge(
        result.supply_plan[["family", "period", "regular", "overtime", "outsource", "shipped", "lost_sales",
                            "inventory_end"]], on=["family", "period"], how="left")
    frame["key"] = frame["family"] + "|" + frame["period"]
    cols = [text_col("family", "Family", pinned="left", minWidth=120), text_col("period", "Month", minWidth=95),
            num_col("demand", "Demand"), num_col("capacity", "Capacity"), num_col("gap", "Gap"),
            pct_col("utilization", "Utilization"), num_col("regular", "Regular"), num_col("overtime", "Overtime"),
            num_col("outsource", "Outsource"), num_col("shipped", "Shipped"), num_col("lost_sales", "Lost sales"),
            num_col("inventory_end", "Inventory end"), status_col("status")]
    return grid("presop-balance-grid", records(frame.sort_values(["family", "period"])), cols, row_id="key",
                height=430)


def finance_table(result):
    fin, h = result.financials, list(result.horizon)
    rows = [{"family": fam, **period_summary(fin[fin["family"] == fam], h)}
            for fam in sorted(fin["family"].unique())]
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
        more = f" and {len(constrained) - 6} more" if len(constrained) > 6 else ""
        noun = "family-month is" if len(constrained) == 1 else "family-months are"
        points.append(f"{len(constrained)} {noun} constrained: {listed}{more}.")
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
    Output("presop-balance", "children"),
    Output("presop-finance", "children"),
    Output("presop-scenarios", "children"),
    Input("app-state", "data"),
)
def render_pre_sop(_state):
    loaded = load_plan()
    if loaded.result is None:
        return error_state(loaded.error or ""), "", "", ""
    result = loaded.result
    scen = scenarios(result)
    return executive_summary(result, scen), balance_grid(result), finance_table(result), scenario_table(scen)
