"""Step 2 callbacks: the demand grid (typed edits, pasted blocks, fill right, undo / redo), the audit trail,
the summary of adjustments, the family chart and the assumptions.

Every change goes through `PlanService` as one change (one transaction, one batch, one revision) against
the revision the grid shows; the grid then gets only the rows that changed. The browser sends one change
at a time (assets/demand_grid.js waits for `demand-ack`), and keeps only ids.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require, require_user
from callbacks.common import load_plan
from components import charts, formats
from components.demand_grid import column_defs, grid_rows, parse_row_id, rows_changed
from components.empty import empty_state
from components.layout import Col, summary_table
from services import assumptions as assumption_service
from services import plan_service, queries
from services.edits import DEFAULT_REASON, EditError, describe, parse_edit
from services.conflicts import MOVED
from services.permissions import may_undo_others
from services.plan_service import ConflictError

log = logging.getLogger("sop.demand")

SOURCES = {"edit": "grid", "paste": "paste", "fill": "fill"}
TYPE_LABELS = {"percentage": "Percentage", "additive": "Additive", "absolute": "Absolute"}
ROWS_CACHE = 6

# ---------------------------------------------------------------------------- the plan, once per state

_cache_lock = threading.Lock()
_rows: OrderedDict[tuple, list[dict]] = OrderedDict()
_by_dataset: OrderedDict[tuple, object] = OrderedDict()


def _remember(cache: OrderedDict, key, value, size: int = ROWS_CACHE) -> None:
    with _cache_lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)


def _cached(cache: OrderedDict, key):
    with _cache_lock:
        return cache.get(key)


def snapshot(svc=None):
    """(state, plan) of the current draft, read so that the plan belongs to the state."""
    svc = svc or plan_service.get_service()
    for _ in range(3):
        state = svc.state()
        plan = svc.current_plan()
        if svc.state() == state:
            return state, plan
    return state, plan


def descriptions(state) -> dict[str, str]:
    key = ("descriptions", state.dataset_id)
    found = _cached(_by_dataset, key)
    if found is None:
        items = queries.items(state.version_id)
        found = dict(zip(items["item_id"].astype(str), items["description"].fillna("").astype(str)))
        _remember(_by_dataset, key, found)
    return found


def plan_rows(state, plan, with_statistical: bool) -> list[dict]:
    """The grid's rows for a plan state (cached: an edit compares the rows before and after)."""
    key = (state, bool(with_statistical))
    rows = _cached(_rows, key)
    if rows is None:
        rows = grid_rows(
            plan.consensus,
            list(plan.horizon),
            adjustments=plan.adjustments,
            family_plan=plan.family_plan,
            descriptions=descriptions(state),
            with_statistical=with_statistical,
        )
        _remember(_rows, key, rows)
    return rows


def last_year(state, plan) -> pd.DataFrame:
    """Family × period actual units 12 months before each plan month (planning.trends), per dataset."""
    key = ("last_year", state.dataset_id, state.cycle_id, tuple(plan.horizon))
    found = _cached(_by_dataset, key)
    if found is None:
        from planning.trends import plan_comparison

        data = queries.company_data(state.version_id)
        found = plan_comparison(plan.consensus, None, data.history, data.items)[
            ["family", "period", "last_year"]
        ]
        _remember(_by_dataset, key, found)
    return found


def grid_rev(state, plan, with_statistical: bool) -> dict:
    """What the grid shows (ids only): the version and revision, the statistical rows flag, the months."""
    return {
        "version": state.version_id,
        "revision": state.revision,
        "stat": bool(with_statistical),
        "horizon": list(plan.horizon),
    }


def shows(rev: dict | None, app_state: dict | None, with_statistical: bool) -> bool:
    """Whether the grid already shows the plan `app-state` points at."""
    if not rev or not app_state:
        return False
    return (
        rev.get("version") == app_state.get("version")
        and rev.get("revision") == app_state.get("revision")
        and rev.get("stat") == bool(with_statistical)
    )


# ---------------------------------------------------------------------------- messages


def message(kind: str, *children) -> html.Div:
    """The line above the grid: what was saved, undone or refused, and why.

    kind: saved | error | conflict | info."""
    icon = {
        "saved": "bi-check2-circle",
        "error": "bi-exclamation-triangle",
        "conflict": "bi-people",
        "info": "bi-info-circle",
    }[kind]
    return html.Div(
        [html.I(className=f"bi {icon} me-2"), *children],
        className=f"demand-msg demand-msg-{kind}",
        role="alert" if kind in ("error", "conflict") else "status",
        **{"data-kind": kind},
    )


def _cell_text(row: dict | None, period: str) -> str:
    value = (row or {}).get(period)
    return formats.integer(value) if isinstance(value, (int, float)) else "—"


def saved_text(
    kind: str, edits: list[dict], before: dict, after: dict, reason: str, ignored: int = 0
) -> list:
    """'Saved Electronics 2026-01 +10%: 8,693 → 9,562. Reason: …' and the like for a paste or a fill."""
    parsed = [{"key": e["key"], "period": e["period"], **vars(parse_edit(e["text"]))} for e in edits]
    first = describe(parsed[0])
    rid = edits[0]["row_id"]
    if kind == "edit" and len(edits) == 1:
        p = edits[0]["period"]
        text = f"Saved {first}: {_cell_text(before.get(rid), p)} → {_cell_text(after.get(rid), p)}."
    elif kind == "fill":
        periods = [e["period"] for e in edits]
        text = (
            f"Filled {edits[0]['key']} {periods[0]} – {periods[-1]} ({len(edits)} months) with "
            f"{formats.integer(parsed[0]['value'])} as one change."
        )
    else:
        text = (
            f"Pasted {len(edits)} cells as one change ({first}, …)." if len(edits) > 1 else f"Pasted {first}."
        )
    if ignored:
        text += f" {ignored} value{'s' if ignored != 1 else ''} outside the plan's rows or months left out."
    return [text, " ", html.Span(f"Reason: {reason}.", className="text-muted"), " Undo with Ctrl+Z."]


def to_edits(cells: list[dict]) -> list[dict]:
    """Browser cells {row_id, period, text} -> service cells {level, key, period, text} (+ row_id)."""
    edits, problems = [], []
    for cell in cells or []:
        parsed = parse_row_id(cell.get("row_id"))
        if parsed is None:
            problems.append(f"{cell.get('row_id')}: only family and item rows can be changed")
            continue
        level, key = parsed
        edits.append(
            {
                "level": level,
                "key": key,
                "period": str(cell.get("period", "")),
                "text": cell.get("text"),
                "row_id": cell.get("row_id"),
            }
        )
    if problems:
        raise EditError("; ".join(problems))
    if not edits:
        raise EditError("nothing to change")
    return edits


# ---------------------------------------------------------------------------- the grid


@callback(
    Output("demand-grid", "rowData"),
    Output("demand-grid", "columnDefs"),
    Output("demand-grid-rev", "data"),
    Output("demand-subtitle", "children"),
    Output("demand-load-error", "children"),
    Input("app-state", "data"),
    Input("demand-show-stat", "value"),
    State("demand-grid-rev", "data"),
)
def render_grid(app_state, show_stat, rev):
    """All rows, when the page opens or the plan moved (someone else's change, an upload, an approval)."""
    with_stat = bool(show_stat)
    if ctx.triggered_id == "app-state" and shows(rev, app_state, with_stat):
        return no_update, no_update, no_update, no_update, no_update  # this page's own change: rows are sent
    loaded = load_plan()
    if loaded.result is None:
        return (
            [],
            no_update,
            None,
            "",
            message(
                "error",
                f"The plan could not be computed: {loaded.error}. ",
                html.A("Go to 1 Data", href="/data"),
            ),
        )
    state, plan = snapshot()
    horizon = list(plan.horizon)
    rows = plan_rows(state, plan, with_stat)
    cols = no_update if rev and rev.get("horizon") == horizon else column_defs(horizon)
    n_items = plan.consensus["item_id"].nunique()
    n_fam = plan.consensus["family"].nunique()
    subtitle = (
        f"{formats.integer(n_items)} items in {n_fam} families · {horizon[0]} – {horizon[-1]} · units"
        if horizon
        else ""
    )
    return rows, cols, grid_rev(state, plan, with_stat), subtitle, ""


@callback(
    Output("demand-grid", "rowTransaction"),
    Output("demand-grid", "rowData", allow_duplicate=True),
    Output("demand-grid-rev", "data", allow_duplicate=True),
    Output("app-state", "data", allow_duplicate=True),
    Output("demand-message", "children"),
    Output("demand-ack", "data"),
    Input("demand-action", "data"),
    State("demand-grid-rev", "data"),
    State("app-state", "data"),
    State("demand-reason", "value"),
    State("demand-show-stat", "value"),
    prevent_initial_call=True,
    running=[
        (
            Output("demand-saving", "className"),
            "demand-saving text-muted small",
            "demand-saving text-muted small d-none",
        )
    ],
)
def act(action, rev, app_state, reason, show_stat):
    """One change from the browser: a typed cell, a pasted block, a fill, undo or redo."""
    if not action or not action.get("kind"):
        raise PreventUpdate  # a store announcing itself, not a change
    ack = {"nonce": action.get("nonce")}
    kind = action.get("kind")
    keep = no_update
    if kind == "notice":
        return keep, keep, keep, keep, message("info", str(action.get("text") or "")), ack
    with_stat = bool(show_stat)
    reason = (reason or "").strip() or DEFAULT_REASON
    svc = plan_service.get_service()
    try:
        state, plan = snapshot(svc)
    except Exception as exc:  # the page says why; nothing was stored
        log.exception("demand action: plan unavailable")
        return keep, keep, keep, keep, message("error", f"The plan could not be read: {exc}"), ack
    before = plan_rows(state, plan, with_stat)
    before_by_id = {r["row_id"]: r for r in before}
    cells = action.get("cells") or []
    touched = {str(c.get("row_id")) for c in cells}
    restore = {"update": [before_by_id[r] for r in touched if r in before_by_id], "async": False}
    seen = {"version": (rev or {}).get("version"), "revision": (rev or {}).get("revision")}
    try:
        who = require_user("demand_edit")
        user = who["username"]
        if kind in SOURCES:
            edits = to_edits(cells)
            svc.apply_edits(
                [{k: e[k] for k in ("level", "key", "period", "text")} for e in edits],
                reason=reason,
                owner=user,
                source=SOURCES[kind],
                seen=seen,
            )
        elif kind in ("undo", "redo"):
            if rev and rev.get("version") != state.version_id:
                raise ConflictError(MOVED)
            step = svc.undo if kind == "undo" else svc.redo
            done = step(by=user, kind="adjustment", others=may_undo_others(who["role"]))
        else:
            return keep, keep, keep, keep, message("error", f"Unknown action {kind!r}."), ack
    except NotAllowed as exc:
        return restore, keep, keep, keep, message("conflict", str(exc)), ack
    except EditError as exc:
        return restore, keep, keep, keep, message("error", f"Not saved: {exc}. Nothing was changed."), ack
    except ConflictError as exc:
        state, plan = snapshot(svc)
        rows = plan_rows(state, plan, with_stat)
        new_state = {**(app_state or {}), "version": state.version_id, "revision": state.revision}
        what = "Your change was not saved" if kind in SOURCES else f"{str(kind).capitalize()} was not done"
        return (
            keep,
            rows,
            grid_rev(state, plan, with_stat),
            new_state,
            message(
                "conflict",
                f"{what}: {exc} The grid now shows the current plan; make your change again "
                "if it is still needed.",
            ),
            ack,
        )
    new_state, new_plan = snapshot(svc)
    after = plan_rows(new_state, new_plan, with_stat)
    changed = rows_changed(before, after, touched)
    after_by_id = {r["row_id"]: r for r in after}
    if kind in SOURCES:
        text = saved_text(kind, edits, before_by_id, after_by_id, reason, int(action.get("ignored") or 0))
    else:
        verb, _, what = done.partition(" ")
        text = [f"{verb.capitalize()}: {what}."]
    app = {**(app_state or {}), "version": new_state.version_id, "revision": new_state.revision}
    rev_out = grid_rev(new_state, new_plan, with_stat)
    if changed is None or (rev or {}).get("revision") != state.revision:
        # others changed the plan since this grid was drawn: send every row, so the grid never claims a
        # revision whose changes it does not show
        return keep, after, rev_out, app, message("saved", *text), ack
    return {"update": changed, "async": False}, keep, rev_out, app, message("saved", *text), ack


clientside_callback(
    ClientsideFunction(namespace="sopDemand", function_name="dispatch"),
    Output("demand-js-sink", "data"),
    Input("demand-undo", "n_clicks"),
    Input("demand-redo", "n_clicks"),
    Input("demand-fill-right", "n_clicks"),
    Input("demand-expand-all", "n_clicks"),
    Input("demand-collapse-all", "n_clicks"),
    Input("demand-ack", "data"),
    Input("demand-search", "value"),
)


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


def summary_tables(svc) -> list:
    summary = svc.adjustment_summary()
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
    Output("demand-chart-family", "value"),
    Output("demand-audit-family", "options"),
    Output("demand-audit-owner", "options"),
    Input("app-state", "data"),
    State("demand-chart-family", "value"),
)
def render_overview(_state, family):
    loaded = load_plan()
    if loaded.result is None:
        return [], "", [], None, [], []
    plan = loaded.result
    families = sorted(plan.consensus["family"].unique())
    svc = plan_service.get_service()
    trail = svc.audit_trail()
    trail = trail[trail["kind"] == "adjustment"]
    owners = sorted(o for o in trail["owner"].fillna("").unique() if o)
    audit_families = sorted(f for f in trail["family"].fillna("").unique() if f)
    value = family if family in families else (families[0] if families else None)
    return (
        kpi_strip(plan),
        summary_tables(svc),
        families,
        value,
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
    Input("app-state", "data"),
    Input("demand-chart-family", "value"),
)
def render_chart(_state, family):
    if not family:
        return charts.empty_figure("Consensus vs statistical vs last year", "Choose a family")
    try:
        state, plan = snapshot()
    except Exception as exc:
        return charts.empty_figure("Consensus vs statistical vs last year", f"No plan: {exc}")
    if family not in set(plan.consensus["family"]):
        return charts.empty_figure(
            "Consensus vs statistical vs last year", f"No family “{family}” in this plan"
        )
    return family_figure(plan, family, last_year(state, plan))


# ---------------------------------------------------------------------------- audit trail


def audit_rows(
    trail: pd.DataFrame, applied: pd.DataFrame | None, family=None, owner=None, kind=None
) -> list[dict]:
    """The adjustments of the audit trail (newest first) for the grid. Uploaded adjustments have no stored
    before/after: they are shown as the engine applied them."""
    t = trail[trail["kind"] == "adjustment"].copy()
    if family:
        t = t[t["family"] == family]
    if owner:
        t = t[t["owner"] == owner]
    if kind:
        t = t[t["type"] == kind]
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
)
def render_audit(_state, family, owner, kind):
    svc = plan_service.get_service()
    try:
        trail = svc.audit_trail()
        plan = svc.current_plan()
    except Exception as exc:
        log.exception("audit trail")
        return [], f"The audit trail could not be read: {exc}"
    rows = audit_rows(trail, plan.adjustments, family, owner, kind)
    total = int((trail["kind"] == "adjustment").sum())
    undone = sum(r["status"] == "undone" for r in rows)
    shown = f"{len(rows)} of {total} adjustments" if (family or owner or kind) else f"{total} adjustments"
    return rows, shown + (f", {undone} undone" if undone else "") + " · newest first"


# ---------------------------------------------------------------------------- assumptions


def assumption_rows() -> list[dict]:
    df = assumption_service.listed()
    if df.empty:
        return []
    return [
        {
            "row_id": f"as{int(r['id'])}",
            "id": int(r["id"]),
            "text": str(r["text"]),
            "category": str(r["category"] or ""),
            "impact": str(r["impact"] or ""),
            "owner": str(r["owner"] or ""),
            "created": pd.Timestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M")
            if pd.notna(r["created_at"])
            else "",
        }
        for r in df.to_dict("records")
    ]


def _selected_id(selected) -> int | None:
    if selected and isinstance(selected, list) and selected[0].get("id") is not None:
        return int(selected[0]["id"])
    return None


@callback(
    Output("demand-assumptions-grid", "rowData"),
    Output("demand-assumption-msg", "children"),
    Output("demand-assumption-text", "value"),
    Output("demand-assumptions-grid", "selectedRows"),
    Output("demand-assumption-confirm", "is_open"),
    Input("app-state", "data"),
    Input("demand-assumption-add", "n_clicks"),
    Input("demand-assumption-save", "n_clicks"),
    Input("demand-assumption-delete-yes", "n_clicks"),
    State("demand-assumption-text", "value"),
    State("demand-assumption-category", "value"),
    State("demand-assumption-impact", "value"),
    State("demand-assumptions-grid", "selectedRows"),
)
def assumptions(_state, _add, _save, _delete, text, category, impact, selected):
    trig = ctx.triggered_id
    keep = no_update
    if trig not in ("demand-assumption-add", "demand-assumption-save", "demand-assumption-delete-yes"):
        return assumption_rows(), keep, keep, keep, keep
    try:
        user = require("demand_edit")
        if trig == "demand-assumption-add":
            assumption_service.add(text, category, impact, owner=user)
            return assumption_rows(), message("saved", "Assumption added."), "", [], False
        chosen = _selected_id(selected)
        if chosen is None:
            raise EditError("select an assumption in the table first")
        if trig == "demand-assumption-save":
            assumption_service.update(chosen, text, category, impact)
            rows = assumption_rows()
            again = [r for r in rows if r["id"] == chosen]
            return rows, message("saved", "Assumption saved."), keep, again, False
        assumption_service.delete(chosen)
        return assumption_rows(), message("saved", "Assumption removed."), "", [], False
    except NotAllowed as exc:
        return keep, message("conflict", str(exc)), keep, keep, False
    except (EditError, LookupError) as exc:
        return keep, message("error", f"Not saved: {exc}."), keep, keep, False


@callback(
    Output("demand-assumption-text", "value", allow_duplicate=True),
    Output("demand-assumption-category", "value"),
    Output("demand-assumption-impact", "value"),
    Output("demand-assumption-save", "disabled"),
    Output("demand-assumption-delete", "disabled"),
    Input("demand-assumptions-grid", "selectedRows"),
    prevent_initial_call=True,
)
def assumption_form(selected):
    """Selecting an assumption puts it in the form (Save changes it, Delete removes it)."""
    if not selected:
        return no_update, no_update, no_update, True, True
    row = selected[0]
    return row.get("text", ""), row.get("category") or None, row.get("impact") or None, False, False


@callback(
    Output("demand-assumption-confirm", "is_open", allow_duplicate=True),
    Output("demand-assumption-confirm-text", "children"),
    Input("demand-assumption-delete", "n_clicks"),
    Input("demand-assumption-delete-no", "n_clicks"),
    State("demand-assumptions-grid", "selectedRows"),
    prevent_initial_call=True,
)
def confirm_delete(_ask, _no, selected):
    if ctx.triggered_id == "demand-assumption-delete-no" or not selected:
        return False, no_update
    return True, [
        "Remove this assumption?",
        html.Blockquote(str(selected[0].get("text", "")), className="border-start ps-2 mt-2 text-muted"),
    ]
