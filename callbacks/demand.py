"""Step 2 callbacks: the demand grid (family → item, statistical and consensus), adjustments."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback

from callbacks.common import load_plan
from components import charts, formats
from components.empty import empty_state, error_state
from components.grids import grid, num_col, records, text_col
from components.layout import Col, summary_table
from planning.demand import adjustment_summary

MEASURES = {"statistical": "Statistical", "consensus": "Consensus"}


def demand_rows(consensus: pd.DataFrame, horizon: list[str], measures: list[str]) -> pd.DataFrame:
    """One row per (family or item, measure) with the months as columns; each family is followed by its
    items. Family rows are the sums of their items."""
    long = consensus.melt(id_vars=["item_id", "family", "period"], value_vars=measures, var_name="measure")
    items = long.pivot_table(index=["family", "item_id", "measure"], columns="period", values="value",
                             aggfunc="sum").reindex(columns=horizon).reset_index()
    items["level"] = "item"
    fams = long.pivot_table(index=["family", "measure"], columns="period", values="value",
                            aggfunc="sum").reindex(columns=horizon).reset_index()
    fams["level"] = "family"
    fams["item_id"] = ""
    rows = pd.concat([fams, items], ignore_index=True)
    rows["total"] = rows[horizon].sum(axis=1)
    rows["_lvl"] = (rows["level"] == "item").astype(int)
    rows["_m"] = rows["measure"].map({m: i for i, m in enumerate(measures)})
    rows = rows.sort_values(["family", "_lvl", "item_id", "_m"]).drop(columns=["_lvl", "_m"])
    rows["key"] = rows["level"] + "|" + rows["family"].where(rows["level"] == "family", rows["item_id"]) + "|" \
        + rows["measure"]
    rows["measure"] = rows["measure"].map(MEASURES)
    return rows.reset_index(drop=True)


def demand_grid(rows: pd.DataFrame, horizon: list[str]):
    cols = [
        text_col("family", "Family", pinned="left", minWidth=130, width=140, maxWidth=220),
        text_col("item_id", "Item", pinned="left", minWidth=100, width=110, maxWidth=180),
        text_col("measure", "Measure", pinned="left", minWidth=110, width=115, maxWidth=150),
        *[num_col(p, p, minWidth=84, width=92) for p in horizon],
        num_col("total", "Horizon total", minWidth=120, width=125, cellClass="num total-col ag-right-aligned-cell"),
    ]
    return grid(
        "demand-grid", records(rows), cols, row_id="key", height=560,
        columnSize="responsiveSizeToFit" if len(horizon) <= 9 else None,
        grid_options={
            "rowClassRules": {"row-family": "params.data.level == 'family'",
                              "row-consensus": "params.data.measure == 'Consensus'"},
            "suppressColumnVirtualisation": True,
        },
    )


@callback(
    Output("demand-grid-box", "children"),
    Output("demand-chart", "figure"),
    Output("demand-adjustments", "children"),
    Output("demand-adj-summary", "children"),
    Output("demand-subtitle", "children"),
    Input("app-state", "data"),
    Input("demand-measure", "value"),
    Input("demand-search", "value"),
    Input("demand-focus", "data"),
)
def render_demand(_state, measure, search, focus):
    loaded = load_plan()
    if loaded.result is None:
        err = error_state(loaded.error or "")
        return err, charts.empty_figure("Demand", "No plan"), "", "", ""
    result = loaded.result
    horizon = list(result.horizon)
    measures = ["consensus"] if measure == "consensus" else ["statistical", "consensus"]
    rows = demand_rows(result.consensus, horizon, measures)
    query = (search or focus or "").strip().lower()
    if query:
        fams = rows.loc[rows["item_id"].str.lower().str.contains(query, regex=False)
                        | rows["family"].str.lower().str.contains(query, regex=False), "family"].unique()
        match = rows["family"].isin(fams) & ((rows["level"] == "family")
                                            | rows["item_id"].str.lower().str.contains(query, regex=False)
                                            | rows["family"].str.lower().str.contains(query, regex=False))
        rows = rows[match]
    fam = result.family_plan.pivot_table(index="period", columns="family", values="demand", aggfunc="sum")
    fam = fam.reindex(horizon).reset_index()
    fig = charts.line_chart(fam, "period", {c: c for c in fam.columns if c != "period"},
                            "Consensus demand by family", "Month", "Units")
    subtitle = (f"{result.consensus['item_id'].nunique()} items in {result.consensus['family'].nunique()} families, "
                f"{horizon[0]} – {horizon[-1]}") if horizon else ""
    return demand_grid(rows, horizon), fig, adjustments_table(result), summary_block(result), subtitle


def change_text(kind: str, value: float) -> str:
    """An adjustment as a planner would say it: '+10 %', '−500 units', 'set to 2,420'."""
    if kind == "percentage":
        return formats.percent(value, 1 if float(value) % 1 else 0, signed=True)
    if kind == "additive":
        return f"{formats.integer(value, signed=True)} units"
    return f"set to {formats.integer(value)}"


def adjustments_table(result):
    adj = getattr(result, "adjustments", None)
    if adj is None or adj.empty:
        return empty_state("No adjustments", "Where a month has no adjustment, consensus equals the statistical "
                           "forecast. Adjustments come with the uploaded data (sheet adjustments).",
                           icon="bi-sliders")
    frame = adj.sort_values("seq") if "seq" in adj else adj
    frame = frame.assign(
        change=[change_text(t, v) for t, v in zip(frame["type"], frame["value"], strict=True)],
        when=frame["created_at"].astype(str).replace({"NaT": ""}) if "created_at" in frame else "",
        applied_text=frame["applied"].map({True: "applied", False: "not applied"}) if "applied" in frame else "",
    )
    cols = [Col("level", "Level", "text"), Col("key", "Family / item", "text"), Col("period", "Month", "text"),
            Col("type", "Type", "text"), Col("change", "Change", "text", "num"), Col("before", "Before"),
            Col("after", "After"), Col("reason", "Reason", "text"), Col("owner", "Owner", "text"),
            Col("when", "Made", "text"), Col("applied_text", "", "text")]
    return summary_table("demand-adjustments-table", cols, frame.to_dict("records"), "seq")


def summary_block(result):
    adj = getattr(result, "adjustments", None)
    if adj is None or adj.empty:
        return empty_state("Nothing to summarize", "No adjustments in this plan.", icon="bi-pie-chart")
    summary = adjustment_summary(adj).assign(key=lambda d: d["owner"] + "|" + d["type"])
    cols = [Col("owner", "Owner", "text"), Col("type", "Type", "text"), Col("count", "Count"),
            Col("net_change", "Net change (units)")]
    return summary_table("demand-adj-summary-table", cols, summary.to_dict("records"), "key")
