"""Step 4 callbacks: balance, financial reconciliation, scenarios, executive summary."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback, html

from callbacks.common import load_plan, per_plan_state, store
from components import formats
from components.empty import error_state
from components.grids import grid, num_col, pct_col, records, status_col, text_col
from components.layout import Col, summary_table
from planning.cycle import supply_side
from planning.demand import scenario_consensus
from planning.finance import period_summary

def plan_figures(name: str, fam_plan: pd.DataFrame, supply: pd.DataFrame, fin: pd.DataFrame,
                 horizon: list[str]) -> dict:
    money = period_summary(fin, horizon)
    demand = float(supply["demand"].sum())
    shipped = float(supply["shipped"].sum())
    return {
        "scenario": name,
        "demand": demand,
        "shipped": shipped,
        "service": shipped * 100.0 / demand if demand else float("nan"),
        "lost_sales": float(supply["lost_sales"].sum()),
        "revenue": money["revenue"],
        "gross_margin": money["gross_margin"],
        "supply_cost": float(supply["cost"].sum()),
        "constrained": int((fam_plan["status"] == "CONSTRAINED").sum()),
    }


def scenarios(result) -> list[dict]:
    """Base, upside and downside (± the scenario setting, default 15 %) through the engine's chain:
    consensus → family plan → least-cost supply plan → money. Computed once per plan state."""
    return per_plan_state("scenarios", lambda: _scenarios(result))


def _scenarios(result) -> list[dict]:
    st = store()
    settings = st.get_settings()
    data = st.load_company()
    h = list(result.horizon)
    rows = [plan_figures("Base plan", result.family_plan, result.supply_plan, result.financials, h)]
    pct = settings.scenario_pct
    flat = (("up", f"Upside +{pct:g} %"), ("down", f"Downside \u2212{pct:g} %"))
    for side, label in flat:
        cons = scenario_consensus(result.consensus, pct, side=side)
        side_plan = supply_side(cons, data, h, settings)
        rows.append(plan_figures(label, side_plan.family_plan, side_plan.supply_plan, side_plan.financials, h))
    fc = result.forecast
    if fc is not None and "hi80" in fc and fc["hi80"].notna().any():
        # the statistical forecast's 80 % interval around each cell, judgemental changes kept
        for side, label in (("up", "Upside: 80 % interval"), ("down", "Downside: 80 % interval")):
            cons = scenario_consensus(result.consensus, pct, side=side, forecast=fc)
            side_plan = supply_side(cons, data, h, settings)
            rows.append(plan_figures(label, side_plan.family_plan, side_plan.supply_plan, side_plan.financials,
                                     h))
    return rows


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
        f"supply cost {formats.money(base['supply_cost'])}.",
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
