"""Step 2, around the grid: the KPI strip (consensus, revenue, constrained months, adjustments), the summary of
adjustments by owner and type, the family chart, and the audit trail of demand adjustments."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, html, no_update

from callbacks.common import audit_trail, editing, keep_or_first, load_plan
from components import charts, formats
from components.demand_grid import parse_row_id
from components.empty import empty_state
from components.layout import Col, summary_table
from services import plan_service

from callbacks.demand import TYPE_LABELS, last_year, snapshot

log = logging.getLogger("sop.demand")


# ---------------------------------------------------------------------------- money, summary, chart


def _kpi(name: str, label: str, value, shown: str, sub: str) -> html.Div:
    raw = "" if formats.is_missing(value) else repr(float(value))
    return html.Div(
        [html.Div(label, className="k"), html.Div(shown, className="v"), html.Div(sub, className="s")],
        id=f"demand-kpi-{name}",
        className="demand-kpi",
        **{"data-value": raw},
    )


def kpi_strip(plan) -> list:
    c = plan.consensus
    cons, stat = float(c["consensus"].sum()), float(c["statistical"].sum())
    vs = (cons - stat) * 100.0 / stat if stat > 0 else None
    fin = plan.financials
    revenue = float(fin["revenue_unconstrained"].sum()) if "revenue_unconstrained" in fin else None
    at_risk = float(fin["revenue_at_risk"].sum()) if "revenue_at_risk" in fin else None
    fp = plan.family_plan
    constrained = int((fp["status"] == "CONSTRAINED").sum())
    adj = plan.adjustments if plan.adjustments is not None else pd.DataFrame()
    n_adj = int(adj["applied"].astype(bool).sum()) if len(adj) and "applied" in adj else 0
    owners = adj.loc[adj["applied"].astype(bool), "owner"].nunique() if n_adj else 0
    return [
        _kpi(
            "consensus",
            "Consensus, whole horizon",
            cons,
            f"{formats.integer(cons)} units",
            f"{formats.percent(vs, 1, signed=True)} vs statistical "
            f"({formats.integer(cons - stat, signed=True)})"
            if vs is not None
            else "no statistical forecast",
        ),
        _kpi(
            "revenue",
            "Revenue at consensus",
            revenue,
            formats.money_short(revenue),
            f"{formats.money_short(at_risk)} at risk from capacity",
        ),
        _kpi(
            "constrained",
            "Constrained family-months",
            constrained,
            formats.integer(constrained),
            f"of {formats.integer(len(fp))}: demand above capacity",
        ),
        _kpi(
            "adjustments",
            "Adjustments in the plan",
            n_adj,
            formats.integer(n_adj),
            f"by {owners} owner{'s' if owners != 1 else ''}",
        ),
    ]


def summary_tables(svc, version_id: int | None = None) -> list:
    summary = svc.adjustment_summary(version_id)
    if summary["by_owner"].empty:
        return [
            empty_state(
                "No adjustments",
                "Where a month has no adjustment, consensus equals the statistical forecast.",
                icon="bi-sliders",
            )
        ]
    cols = [Col("count", "Changes"), Col("net_change", "Net change", sub="units")]
    by_type = summary["by_type"].assign(label=lambda d: d["type"].map(TYPE_LABELS).fillna(d["type"]))
    return [
        html.Div("By owner", className="panel-sub mb-1"),
        summary_table(
            "demand-summary-owner",
            [Col("owner", "Owner", "text"), *cols],
            summary["by_owner"].to_dict("records"),
            "owner",
        ),
        html.Div("By type", className="panel-sub mb-1 mt-3"),
        summary_table(
            "demand-summary-type", [Col("label", "Type", "text"), *cols], by_type.to_dict("records"), "type"
        ),
    ]


@callback(
    Output("demand-kpis", "children"),
    Output("demand-summary", "children"),
    Output("demand-chart-family", "options"),
    Output("demand-audit-family", "options"),
    Output("demand-audit-owner", "options"),
    Input("app-state", "data"),
    Input("app-scenario", "data"),
)
def render_overview(_state, selected):
    vid = editing(selected)[0]
    loaded = load_plan(vid)
    if loaded.result is None:
        return [], "", [], [], []
    plan = loaded.result
    families = sorted(plan.consensus["family"].unique())
    svc = plan_service.get_service()
    trail = audit_trail(vid)
    trail = trail[trail["kind"] == "adjustment"]
    owners = sorted(o for o in trail["owner"].fillna("").unique() if o)
    audit_families = sorted(f for f in trail["family"].fillna("").unique() if f)
    return (
        kpi_strip(plan),
        summary_tables(svc, vid),
        families,
        [{"label": f, "value": f} for f in audit_families],
        [{"label": o, "value": o} for o in owners],
    )


@callback(
    Output("demand-chart-family", "value", allow_duplicate=True),
    Input("demand-grid", "cellClicked"),
    State("demand-chart-family", "value"),
    prevent_initial_call=True,
)
def chart_family_from_grid(clicked, current):
    """Clicking a family (or one of its items) shows that family in the chart."""
    row_id = str((clicked or {}).get("rowId") or "")
    parsed = parse_row_id(row_id.split(":", 1)[1] if row_id.startswith(("stat:", "diff:")) else row_id)
    if parsed is None:
        return no_update
    level, key = parsed
    if level == "item":
        loaded = load_plan()
        if loaded.result is None:
            return no_update
        c = loaded.result.consensus
        match = c.loc[c["item_id"] == key, "family"]
        if match.empty:
            return no_update
        key = str(match.iloc[0])
    return key if key != current else no_update


def family_figure(plan, family: str, ly: pd.DataFrame) -> go.Figure:
    horizon = list(plan.horizon)
    c = plan.consensus[plan.consensus["family"] == family]
    by = c.groupby("period")[["consensus", "statistical"]].sum().reindex(horizon)
    cap = (
        plan.family_plan[plan.family_plan["family"] == family]
        .set_index("period")["capacity"]
        .reindex(horizon)
    )
    last = ly[ly["family"] == family].set_index("period")["last_year"].reindex(horizon)
    fig = go.Figure()
    series = [
        ("Consensus", by["consensus"], {"color": "#2c3e50", "width": 3}, "lines+markers"),
        (
            "Statistical forecast",
            by["statistical"],
            {"color": "#3498db", "width": 2, "dash": "dash"},
            "lines+markers",
        ),
        ("Last year (actual)", last, {"color": "#95a5a6", "width": 2, "dash": "dot"}, "lines+markers"),
        ("Capacity", cap, {"color": "#8e44ad", "width": 1.5, "shape": "hv"}, "lines"),
    ]
    for name, values, line, mode in series:
        fig.add_trace(
            go.Scatter(
                x=horizon,
                y=values.to_numpy(dtype=float),
                name=name,
                mode=mode,
                line=line,
                marker={"size": 5},
                hovertemplate="%{y:,.0f}",
                connectgaps=False,
            )
        )
    charts.style(
        fig, f"{family}: consensus vs statistical forecast vs last year", "Month", "Units", height=420
    )
    return charts.thin_ticks(fig, horizon)


@callback(
    Output("demand-family-chart", "figure"),
    Output("demand-chart-family", "value", allow_duplicate=True),
    Input("app-state", "data"),
    Input("demand-chart-family", "value"),
    Input("app-scenario", "data"),
    prevent_initial_call="initial_duplicate",
)
def render_chart(_state, family, selected=None):
    """The chosen family's chart; a family this plan does not have (or none) becomes its first family. The
    family is chosen here, not by render_overview: Dash would wait for that callback before drawing."""
    vid = editing(selected)[0]
    try:
        state, plan = snapshot(version_id=vid)
    except Exception as exc:
        return charts.empty_figure("Consensus vs statistical vs last year", f"No plan: {exc}"), no_update
    shown, value = keep_or_first(family, sorted(plan.consensus["family"].unique()))
    if shown is None:
        return charts.empty_figure("Consensus vs statistical vs last year", "No family in this plan"), None
    return family_figure(plan, shown, last_year(state, plan)), value


# ---------------------------------------------------------------------------- audit trail


AUDIT_ROWS = 1000  # the newest changes sent to the audit grid (a 10,000-item company's upload has thousands)


def audit_rows(
    trail: pd.DataFrame, applied: pd.DataFrame | None, family=None, owner=None, kind=None,
    limit: int | None = AUDIT_ROWS,
) -> list[dict]:
    """The adjustments of the audit trail (newest first, at most `limit`) for the grid. Uploaded adjustments
    have no stored before/after: they are shown as the engine applied them."""
    t = trail[trail["kind"] == "adjustment"]
    if family:
        t = t[t["family"] == family]
    if owner:
        t = t[t["owner"] == owner]
    if kind:
        t = t[t["type"] == kind]
    t = (t.head(limit) if limit else t).copy()
    if t.empty:
        return []
    keys = ["level", "key", "period", "type", "value", "reason"]
    if applied is not None and len(applied) and t["before"].isna().any():
        known = (
            applied[keys + ["before", "after"]]
            .drop_duplicates(keys)
            .rename(columns={"before": "_b", "after": "_a"})
        )
        t = t.reset_index().merge(known, on=keys, how="left").set_index("index")
        upload = t["before"].isna() & (t["source"] == "upload")
        t.loc[upload, "before"] = t.loc[upload, "_b"]
        t.loc[upload, "after"] = t.loc[upload, "_a"]
    out = pd.DataFrame(
        {
            "row_id": [f"a{i}" for i in range(len(t))],
            "when": pd.to_datetime(t["when"]).dt.strftime("%Y-%m-%d %H:%M").fillna("").to_numpy(),
            "owner": t["owner"].fillna("").to_numpy(),
            "family": t["family"].fillna("").to_numpy(),
            "key": t["key"].to_numpy(),
            "level": t["level"].to_numpy(),
            "period": t["period"].to_numpy(),
            "type": t["type"].to_numpy(),
            "type_label": t["type"].map(TYPE_LABELS).fillna(t["type"]).to_numpy(),
            "value": t["value"].astype(float).to_numpy(),
            "change": [formats.change_text(k, v) for k, v in zip(t["type"], t["value"], strict=True)],
            "before": t["before"].astype(float).round(3).to_numpy(),
            "after": t["after"].astype(float).round(3).to_numpy(),
            "reason": t["reason"].fillna("").to_numpy(),
            "source": t["source"].fillna("").to_numpy(),
            "batch": t["batch_id"].fillna("").astype(str).to_numpy(),
            "status": np.where(t["active"].astype(bool), "in plan", "undone"),
        }
    )
    return out.astype(object).where(pd.notna(out), None).to_dict("records")


@callback(
    Output("demand-audit-grid", "rowData"),
    Output("demand-audit-count", "children"),
    Input("app-state", "data"),
    Input("demand-audit-family", "value"),
    Input("demand-audit-owner", "value"),
    Input("demand-audit-type", "value"),
    Input("app-scenario", "data"),
)
def render_audit(_state, family, owner, kind, selected=None):
    vid = editing(selected)[0]
    svc = plan_service.get_service()
    try:
        trail = audit_trail(vid)
        plan = svc.current_plan(vid)
    except Exception as exc:
        log.exception("audit trail")
        return [], f"The audit trail could not be read: {exc}"
    rows = audit_rows(trail, plan.adjustments, family, owner, kind)
    total = int((trail["kind"] == "adjustment").sum())
    undone = sum(r["status"] == "undone" for r in rows)
    shown = f"{len(rows)} of {total} adjustments" if (family or owner or kind) else f"{total} adjustments"
    if len(rows) == AUDIT_ROWS:
        shown += f" (the newest {AUDIT_ROWS:,} listed: filter by family, owner or type for older ones)"
    return rows, shown + (f", {undone} undone" if undone else "") + " · newest first"

