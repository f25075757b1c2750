"""Step 3 callbacks: the editable capacity grid (typed edits stored through the plan service, audited,
undo/redo), the gap grid, utilization heatmap, supply plan and its cost, inventory projection.

The two grids stay mounted; callbacks send them rows (and columns when the horizon changes), so an edit
only moves the numbers. `supply-grid-key` holds the plan state's ids the grids show."""

from __future__ import annotations

import dataclasses
import logging
import uuid

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, ctx, html, no_update

from callbacks.auth import PERMISSIONS, NotAllowed, require_user, signed_in
from services.permissions import may_undo_others
from callbacks.common import current_user, editing, keep_or_first, load_plan, per_plan_state
from callbacks.views import supply_solution
from components import charts, formats
from components.empty import empty_state, error_state
from callbacks.paged_grids import serve_rows
from components.grids import is_paged, records
from components.layout import Col, summary_table
from components.supply_cost import cost_breakdown_table
from planning.supply import cost_lines, family_plan
from services.edits import reason_or_default

log = logging.getLogger("sop.supply")

ROW_PREFIX = "family:"
MONTH_COL = {"type": "rightAligned", "minWidth": 84, "cellDataType": False, "suppressMovable": True}
FAMILY_COL = {"field": "family", "headerName": "Family", "pinned": "left", "minWidth": 130, "width": 150,
              "maxWidth": 220, "suppressMovable": True}
# Cell functions live in assets/supply_grid.js (parse a typed plain number, format units, the gap tooltip).
PARSE_PLAIN_NUMBER = {"function": "sopSupplyParse(params)"}
FORMAT_UNITS = {"function": "sopSupplyUnits(params)"}


# ---------------------------------------------------------------------------- grid rows and columns

def _families(family_plan: pd.DataFrame) -> list[str]:
    return sorted(family_plan["family"].unique())


def capacity_rows(family_plan: pd.DataFrame, horizon: list[str]) -> list[dict]:
    """One row per family (id `family:<family>`), the months' capacity as columns. `_v` changes with
    every answer, so a cell still showing rejected text is always redrawn."""
    pivot = family_plan.pivot(index="family", columns="period", values="capacity").reindex(columns=horizon)
    nonce = uuid.uuid4().hex[:8]
    return [{"id": f"{ROW_PREFIX}{fam}", "family": fam, "_v": nonce, **dict(zip(horizon, _clean(values)))}
            for fam, values in zip(pivot.index, pivot.to_numpy(dtype=float).tolist())]


def _clean(values: list[float]) -> list[float | None]:
    return [None if v != v or v in (float("inf"), float("-inf")) else v for v in values]


GAP_FIELDS = {"gap": "", "status": "status_", "utilization": "util_", "demand": "demand_",
              "capacity": "capacity_"}


def gap_rows(family_plan: pd.DataFrame, horizon: list[str]) -> list[dict]:
    """One row per family (same ids as the capacity grid): the gap of each month, with its status,
    utilization, demand and capacity for colours and tooltips."""
    fp = family_plan[family_plan["period"].isin(horizon)]
    families = sorted(fp["family"].unique())
    rows = {fam: {"id": f"{ROW_PREFIX}{fam}", "family": fam} for fam in families}
    cols = {col: fp[col].tolist() if col == "status" else _clean(fp[col].to_numpy(dtype=float).tolist())
            for col in GAP_FIELDS}
    for i, (fam, period) in enumerate(zip(fp["family"], fp["period"])):
        row = rows[fam]
        for col, prefix in GAP_FIELDS.items():
            row[f"{prefix}{period}"] = cols[col][i]
    return [rows[f] for f in families]


def capacity_columns(horizon: list[str], editable: bool = True) -> list[dict]:
    return [FAMILY_COL, *[{**MONTH_COL, "field": p, "headerName": p, "colId": p, "editable": editable,
                           "valueParser": PARSE_PLAIN_NUMBER, "valueFormatter": FORMAT_UNITS,
                           "cellClass": "num ag-right-aligned-cell", "enableCellChangeFlash": True}
                          for p in horizon]]


def gap_columns(horizon: list[str]) -> list[dict]:
    def col(p: str) -> dict:
        st = f"params.data['status_{p}']"
        return {
            **MONTH_COL, "field": p, "headerName": p, "colId": p, "valueFormatter": FORMAT_UNITS,
            "enableCellChangeFlash": True,
            "cellClassRules": {
                "num": "true",
                "gap-short status-bad text-danger-emphasis bg-danger-subtle fw-bold": "params.value < 0",
                "gap-tight text-warning-emphasis bg-warning-subtle": f"params.value >= 0 && {st} == 'TIGHT'",
            },
            "tooltipValueGetter": {"function": f"sopSupplyGapTip(params, '{p}')"},
        }

    return [FAMILY_COL, *[col(p) for p in horizon]]


# ---------------------------------------------------------------------------- the rest of the page

def heatmap(result) -> dict:
    from services import plan_service

    tight = plan_service.get_service().plan_settings().utilization_tight
    return charts.capacity_heatmap(result.family_plan, list(result.horizon), tight,
                                   "Utilization by family and month (demand / capacity)")


def plan_rows(result) -> list[dict]:
    """The least-cost supply plan by family and month (rows of `supply-plan-grid`, id family|period)."""
    return records(plan_frame(result))


def plan_frame(result) -> pd.DataFrame:
    sp = result.supply_plan.merge(result.inventory[["family", "period", "opening", "ending"]],
                                  on=["family", "period"], how="left")
    sp = sp.merge(result.family_plan[["family", "period", "gap", "status"]], on=["family", "period"],
                  how="left")
    sp["solution"] = [supply_solution(r) for r in sp.to_dict("records")]
    sp["key"] = sp["family"] + "|" + sp["period"]
    return sp.sort_values(["family", "period"])[PLAN_GRID_FIELDS].round(3).reset_index(drop=True)  # integers


# what `supply-plan-grid` shows (pages/supply.py), and nothing more: a 200-family plan's rows are megabytes
PLAN_GRID_FIELDS = ["key", "family", "period", "demand", "regular", "overtime", "outsource", "inventory_end",
                    "lost_sales", "shipped", "cost", "status", "solution"]


OPTION_LABELS = {"do_nothing": "Do nothing", "overtime": "Overtime only",
                 "outsource": "Outsourcing only", "build_ahead": "Build ahead only",
                 "optimized": "Optimized plan"}


def _option_used(r: dict) -> str:
    parts = [f"{label} {formats.integer(r[k])}" for label, k in (("overtime", "overtime"),
                                                               ("outsourcing", "outsource"),
                                                               ("held", "inventory_held")) if (r.get(k) or 0) > 0.5]
    return " · ".join(parts) or "regular capacity only"


def _option_split(r: dict) -> str:
    return " · ".join(f"{label} {formats.money(r.get(k))}" for label, k in (
        ("overtime", "cost_overtime"), ("outsourcing", "cost_outsource"), ("holding", "cost_holding"),
        ("lost sales", "cost_lost_sales")) if k in r)


def options_table(result, version_id: int | None = None):
    """The supply options each alone against the optimized plan (computed on request, once per plan state):
    what each does, its units, its cost by option, whether it closes the gap and why (in words), and the
    optimized plan's cost by option beneath."""
    from services import plan_service

    svc = plan_service.get_service()
    opts = svc.supply_options(version_id) if hasattr(svc, "supply_options") else result.supply_cost_by_option
    if opts is None or opts.empty:
        return empty_state("Not compared", "The option comparison was not computed for this plan.",
                           icon="bi-calculator")
    rows = []
    for r in opts.to_dict("records"):
        closes = r.get("closes_gap")
        rows.append({**r, "label": OPTION_LABELS.get(r["option"], r["option"]), "used": _option_used(r),
                     "split": _option_split(r),
                     "closes": formats.DASH if closes is None else ("Yes" if closes else "No")})
    cols = [Col("label", "Option", "text"), Col("what", "What it does", "text", "small"),
            Col("used", "Units used", "text", "small", sub="held = unit-months"),
            Col("lost_sales", "Lost", sub="units"),
            Col("below_floor", "Below safety stock", sub="units, most in a month"),
            Col("cost", "Total cost", "money"),
            Col("split", "Cost by option", "text", "small"), Col("closes", "Closes the gap?", "text"),
            Col("reason", "Why", "text", "small")]
    return html.Div([
        summary_table("supply-options-table", cols, rows, "option"),
        html.H3("The supply plan's cost by option", className="h6 mt-3"),
        cost_breakdown_table("supply-cost-table", cost_lines(result.supply_plan)),
    ])


def audit_table(limit: int = 10, version_id: int | None = None):
    """The latest capacity changes of the plan (service.audit_trail(), kind 'capacity'), one line per
    family-month of a change (resources summed)."""
    from callbacks.common import audit_trail

    trail = audit_trail(version_id)
    cap = trail[trail["kind"] == "capacity"]
    if cap.empty:
        return empty_state("No capacity changes yet",
                           "Changes typed in the capacity grid appear here with their reason.",
                           icon="bi-clock-history")
    lines = (cap.groupby(["batch_id", "family", "period"], as_index=False, sort=False)
             .agg(when=("when", "max"), owner=("owner", "first"), type=("type", "first"),
                  value=("value", "first"), before=("before", "sum"), after=("after", "sum"),
                  reason=("reason", "first"), active=("active", "all"))
             .sort_values("when", ascending=False, kind="stable").head(limit))
    lines = lines.assign(
        key=lines["batch_id"] + "|" + lines["family"] + "|" + lines["period"],
        when_text=pd.to_datetime(lines["when"]).dt.strftime("%Y-%m-%d %H:%M"),
        change=[formats.change_text(t, v) for t, v in zip(lines["type"], lines["value"])],
        state=lines["active"].map({True: "in effect", False: "undone"}),
    )
    cols = [Col("when_text", "When", "text"), Col("owner", "Who", "text"), Col("family", "Family", "text"),
            Col("period", "Month", "text"), Col("change", "Change", "text", "num"), Col("before", "Before"),
            Col("after", "After"), Col("reason", "Reason", "text"), Col("state", "", "text")]
    return summary_table("supply-audit-table", cols, lines.to_dict("records"), "key")


def state_key(version_id: int | None = None) -> list | None:
    from services import plan_service

    try:
        return list(dataclasses.astuple(plan_service.get_service().state(version_id)))
    except Exception:
        return None


def app_state_now() -> dict:
    """The ids for `app-state` (cycle, version, revision) as they are now."""
    from callbacks.shell import current_context, state_from_context

    return state_from_context(current_context())


def _can_edit() -> bool:
    user = signed_in()
    return bool(user and user["role"] in PERMISSIONS["capacity_edit"])


# ---------------------------------------------------------------------------- callbacks

def grid_height(rows: int, most: int = 480) -> dict:
    """A grid's style: just its rows' height when they are few, else `most` px that scroll (AG Grid then
    draws only the rows in view: a 200-family company's grids drawn whole took seconds)."""
    return {"width": "100%", "height": f"{min(most, 54 + 37 * rows)}px"}


@callback(
    Output("supply-capacity-grid", "rowData"),
    Output("supply-capacity-grid", "columnDefs"),
    Output("supply-gap-grid", "rowData"),
    Output("supply-gap-grid", "columnDefs"),
    Output("supply-grid-key", "data"),
    Output("supply-capacity-grid", "style"),
    Output("supply-gap-grid", "style"),
    Output("supply-heatmap", "figure"),
    Output("supply-plan-grid", "rowData"),
    Output("supply-plan-grid", "style"),
    Output("supply-options", "children"),
    Output("supply-audit", "children"),
    Output("supply-inventory-family", "options"),
    Output("supply-inventory-family", "value"),
    Output("supply-inventory-chart", "figure"),
    Output("supply-edit-msg", "children", allow_duplicate=True),
    Output("supply-undo", "disabled"),
    Output("supply-redo", "disabled"),
    Input("app-state", "data"),
    Input("app-scenario", "data"),
    State("supply-grid-key", "data"),
    State("supply-inventory-family", "value"),
    prevent_initial_call="initial_duplicate",
)
def render_supply(_state, selected, grid_key, family):
    """Everything on the page from the current plan (from the scenario being edited, when one is). The grids
    are only sent when they show another plan state than the current one (an edit already sent them)."""
    vid, _name = editing(selected)
    key = state_key(vid)  # read before the plan: the grids never claim a newer state than they show
    loaded = load_plan(vid)
    if loaded.result is None:
        empty = charts.empty_figure("Supply", "No plan")
        err = error_state(loaded.error or "")
        return ([], [], [], [], None, no_update, no_update, empty, [], no_update, "", "", [], None,
                inventory_figure(None, None), err, True, True)
    r = loaded.result
    h = list(r.horizon)
    families = _families(r.family_plan)
    can_edit = _can_edit()
    if grid_key != key or key is None:
        cap_rows, gaps = capacity_rows(r.family_plan, h), gap_rows(r.family_plan, h)
        grids = (cap_rows, capacity_columns(h, can_edit), gaps, gap_columns(h), key,
                 grid_height(len(cap_rows)), grid_height(len(gaps)))
    else:
        grids = (no_update,) * 7
    note = no_update if can_edit else dbc.Alert(
        "You can read this plan; changing capacity needs a supply planner or an administrator "
        "(sign in at the top right).", color="secondary", className="py-2 small mb-2")
    if is_paged(len(r.supply_plan)):  # the grid asks for the rows in view (pages/supply.py made it so)
        plan, plan_style = no_update, no_update
    else:
        plan = plan_rows(r)
        # a row per family and month: scroll inside 420 px, or just the rows' height when they are few
        plan_style = grid_height(len(plan), 420)
    # the inventory chart drawn here, with the rest (the page's layout chose its family): one round trip
    shown, value = keep_or_first(family, families)
    return (*grids, heatmap(r), plan, plan_style, options_table(r, vid), audit_table(version_id=vid),
            [{"label": f, "value": f} for f in families], value, inventory_figure(r, shown), note, not can_edit,
            not can_edit)


def current_plan_frame(selected) -> pd.DataFrame | None:
    """The supply plan grid's rows of the plan (or of the scenario being edited), once per plan state."""
    vid, _name = editing(selected)
    loaded = load_plan(vid)
    if loaded.result is None:
        return None
    return per_plan_state(f"supply-plan-rows:{vid}", lambda: plan_frame(loaded.result), vid)


serve_rows("supply-plan-grid", current_plan_frame, [State("app-scenario", "data")])

# A paged plan grid asks again for the rows in view when the plan it shows moves (an edit, a scenario).
clientside_callback(
    """function(key) {
        let api = null;
        try { api = dash_ag_grid.getApi('supply-plan-grid'); } catch (e) { api = null; }  // not drawn yet
        const seen = window.__supplyPlanKey;
        window.__supplyPlanKey = JSON.stringify(key);
        if (api && seen !== undefined && seen !== window.__supplyPlanKey
                && api.getGridOption('rowModelType') === 'infinite') {
            api.refreshInfiniteCache();
        }
        return window.dash_clientside.no_update;
    }""",
    Output("supply-scroll-sync", "data", allow_duplicate=True), Input("supply-grid-key", "data"),
    prevent_initial_call=True)


# The capacity and gap grids show the same months in the same column widths: scrolling one sideways scrolls
# the other (listeners on their viewports, attached again whenever AG Grid made new ones).
clientside_callback(
    """function(capRows, gapRows) {
        const ids = ['supply-capacity-grid', 'supply-gap-grid'];
        const views = ids.map(id => document.querySelector('#' + id + ' .ag-center-cols-viewport'));
        if (views.some(v => !v)) { return window.dash_clientside.no_update; }
        views.forEach((view, i) => {
            if (view.dataset.sopSync === '1') { return; }
            view.dataset.sopSync = '1';
            view.addEventListener('scroll', () => {
                const other = document.querySelector('#' + ids[1 - i] + ' .ag-center-cols-viewport');
                if (other && Math.abs(other.scrollLeft - view.scrollLeft) > 1) {
                    other.scrollLeft = view.scrollLeft;
                }
            }, {passive: true});
        });
        return window.dash_clientside.no_update;
    }""",
    Output("supply-scroll-sync", "data"),
    Input("supply-capacity-grid", "virtualRowData"),
    Input("supply-gap-grid", "virtualRowData"),
    prevent_initial_call=True,
)


def inventory_figure(result, family: str | None):
    """The inventory projection of one family of the plan `result`."""
    if result is None or not family:
        return charts.empty_figure("Inventory projection", "Choose a family")
    inv = result.inventory
    part = inv[inv["family"] == family]
    if part.empty:
        return charts.empty_figure("Inventory projection", f"No inventory plan for {family}")
    return charts.inventory_projection(part, family)


@callback(
    Output("supply-inventory-chart", "figure", allow_duplicate=True),
    Input("supply-inventory-family", "value"),
    State("app-scenario", "data"),
    prevent_initial_call=True,  # render_supply draws it with the page, and again on every plan change
)
def render_inventory(family, selected=None):
    """Another family chosen."""
    return inventory_figure(load_plan(editing(selected)[0]).result, family)


@callback(Output("supply-reason-echo", "children"), Input("supply-reason", "value"))
def echo_reason(reason):
    """Says what the next change will be recorded with (also the page's quickest round trip)."""
    text = reason_or_default(reason)
    return ["Next change recorded as “", html.Span(text, id="supply-reason-now"), f"” by {current_user()}."]


def _message(text, color: str, icon: str) -> dbc.Alert:
    return dbc.Alert([html.I(className=f"bi {icon} me-2"), text], color=color, className="py-2 mb-2 small",
                     dismissable=True, id="supply-edit-alert")


@callback(
    Output("supply-capacity-grid", "rowData", allow_duplicate=True),
    Output("supply-gap-grid", "rowData", allow_duplicate=True),
    Output("supply-grid-key", "data", allow_duplicate=True),
    Output("app-state", "data", allow_duplicate=True),
    Output("supply-edit-msg", "children"),
    Output("app-scenario", "data", allow_duplicate=True),
    Input("supply-capacity-grid", "cellValueChanged"),
    Input("supply-undo", "n_clicks"),
    Input("supply-redo", "n_clicks"),
    State("supply-reason", "value"),
    State("app-state", "data"),
    State("supply-grid-key", "data"),
    State("app-scenario", "data"),
    prevent_initial_call=True,
)
def change_capacity(changes, _undo, _redo, reason, app_state, grid_key, selected=None):
    """A typed capacity edit, or undo/redo of the caller's last capacity change, stored through the plan
    service in one transaction. An edit answers with the grids at once (the engine's family plan of the new
    capacity); the heatmap, supply plan and charts follow through `app-state`. A refused change stores
    nothing and the grid shows the stored values again. Conflicts follow the service's one rule: an edit
    made on a stale view of its cells is refused, naming who changed them; other cells never block.

    With a scenario being edited, the edit (and undo/redo) goes to the scenario only: the draft and `app-state`
    stay; the rest of the page follows the scenario's new revision through `app-scenario`."""
    from services.plan_service import ConflictError, EditError, get_service

    vid = editing(selected)[0]
    svc = get_service()
    app_state = app_state or {}
    trigger = ctx.triggered_id
    # Inserting the page counts as a change of these inputs (app-state, an output, lives outside the page):
    # act only on a real edit or click.
    if (trigger == "supply-capacity-grid" and not changes) or (trigger == "supply-undo" and not _undo) \
            or (trigger == "supply-redo" and not _redo):
        return _scenario_answer(vid, (no_update, no_update, no_update, no_update, no_update))
    seen = view_of(grid_key, app_state)
    try:
        user = require_user("capacity_edit")
        if trigger == "supply-capacity-grid":
            cells = [{"family": str(c.get("rowId", "")).removeprefix(ROW_PREFIX), "period": c.get("colId"),
                      "text": c.get("value", c.get("newValue"))}
                     for c in (changes or []) if c.get("colId")]
            if not cells:
                return _scenario_answer(vid, (no_update, no_update, no_update, no_update, no_update))
            before = svc.current_plan(vid)
            svc.apply_capacity_edits(cells, reason=reason or "", owner=user["username"], seen=seen, version_id=vid)
            key = state_key(vid)
            # Quick answer for the grids: a capacity change moves no demand, so the engine's family plan of
            # the stored capacity and the unchanged demand is the new plan's (the rest follows via app-state).
            horizon = list(before.horizon)
            fp = family_plan(before.family_plan[["family", "period", "demand"]], svc.effective_capacity(vid),
                             horizon, svc.plan_settings(vid))
            msg = _message(saved_text(before.family_plan, fp, cells, reason), "success", "bi-check2-circle")
            return _scenario_answer(vid, (capacity_rows(fp, horizon), gap_rows(fp, horizon), key,
                                          app_state_for(key, app_state), msg))
        redo = trigger == "supply-redo"
        others = may_undo_others(user["role"])
        done = (svc.redo if redo else svc.undo)(by=user["username"], kind="capacity", others=others,
                                                version_id=vid)
    except (EditError, ConflictError, NotAllowed) as e:
        conflict = isinstance(e, ConflictError)
        key = state_key(vid)
        after = load_plan(vid).result
        text = str(e).strip()
        if not isinstance(e, NotAllowed):  # those start with a user name
            text = text[:1].upper() + text[1:]
        text += "" if text.endswith(".") else "."
        if conflict and "Nothing was stored" not in text:
            text += " Nothing was stored."
        msg = _message(f"{text} The grid now shows the stored values; enter your change again if it still "
                       "applies." if conflict else f"{text} Nothing was stored.",
                       "warning" if conflict else "danger", "bi-exclamation-triangle")
        if after is None:
            return _scenario_answer(vid, (no_update, no_update, no_update, no_update, msg))
        h = list(after.horizon)
        return _scenario_answer(vid, (capacity_rows(after.family_plan, h), gap_rows(after.family_plan, h), key,
                                      app_state_for(key, app_state) if conflict else no_update, msg))
    key = state_key(vid)
    after = load_plan(vid).result
    if after is None:
        return _scenario_answer(vid, (no_update, no_update, no_update, app_state_for(key, app_state), _message(
            "Stored, but the plan could not be recomputed.", "danger", "bi-x-octagon")))
    h = list(after.horizon)
    msg = _message(done[:1].upper() + done[1:] + ".", "info", "bi-arrow-counterclockwise")
    return _scenario_answer(vid, (capacity_rows(after.family_plan, h), gap_rows(after.family_plan, h), key,
                                  app_state_for(key, app_state), msg))


def _scenario_answer(vid: int | None, out: tuple) -> tuple:
    """change_capacity's answer plus `app-scenario`: in a scenario, `app-state` (the draft's ids) stays and the
    scenario's new revision refreshes the rest of the page."""
    if vid is None or out[4] is no_update:
        return (*out, no_update)
    key = state_key(vid)
    return (*out[:3], no_update, out[4], {"id": vid, "revision": key[3] if key else None})


def view_of(grid_key: list | None, app_state: dict) -> dict:
    """The plan view the capacity grid shows: its version and revision (`supply-grid-key`, else app-state)."""
    if grid_key and len(grid_key) >= 4:
        return {"version": grid_key[2], "revision": grid_key[3]}
    return {"version": app_state.get("version"), "revision": app_state.get("revision")}


def app_state_for(key: list | None, app_state: dict) -> dict:
    """`app-state` ids after a change of this page: same cycle, the plan state's version and revision."""
    if key is None:
        return app_state_now()
    return {**(app_state or {}), "version": key[2], "revision": key[3]}


def saved_text(before: pd.DataFrame, after: pd.DataFrame, cells: list[dict], reason: str | None) -> str:
    """'Saved Electronics 2026-01: capacity 10,000 → 11,000, gap 0 (“reason”).' from two family plans."""
    def at(fp, family, period, col):
        v = fp.loc[(fp["family"] == family) & (fp["period"] == period), col]
        return None if v.empty else float(v.iloc[0])

    parts = []
    for c in cells[:3]:
        f, p = c["family"], c["period"]
        parts.append(f"{f} {p}: capacity {formats.integer(at(before, f, p, 'capacity'))} → "
                     f"{formats.integer(at(after, f, p, 'capacity'))}, "
                     f"gap {formats.integer(at(after, f, p, 'gap'))}")
    more = f" and {len(cells) - 3} more" if len(cells) > 3 else ""
    why = reason_or_default(reason)
    return f"Saved {'; '.join(parts)}{more} (“{why}”)."
