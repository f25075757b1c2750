"""Step 2 callbacks: the demand grid (typed edits, pasted blocks, fill right, undo / redo). The KPI strip,
summary, chart and audit trail are in demand_overview; the assumptions in demand_assumptions.

Every change goes through `PlanService` as one change (one transaction, one batch, one revision) against
the revision the grid shows; the grid then gets only the rows that changed. The browser sends one change
at a time (assets/demand_grid.js waits for `demand-ack`), and keeps only ids.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require_user
from callbacks.common import editing, load_plan
from components import formats
from components.layout import outcome
from components.demand_grid import column_defs, grid_rows, parse_row_id, rows_changed
from services import plan_service, queries
from services.edits import DEFAULT_REASON, EditError, describe, parse_edit
from services.conflicts import MOVED
from services.permissions import may_undo_others
from services.plan_service import ConflictError

log = logging.getLogger("sop.demand")

SOURCES = {"edit": "grid", "paste": "paste", "fill": "fill"}
TYPE_LABELS = {"percentage": "Percentage", "additive": "Additive", "absolute": "Absolute"}
ROWS_CACHE = 6  # grids kept (plan state × statistical rows shown), least recently used first out …
ROWS_BUDGET = 25_000  # … and at most this many rows in all (a 10,000-item grid is ~10,200 rows, ~22 MiB);
# the newest two grids are always kept: an edit compares the rows before and after it

# ---------------------------------------------------------------------------- the plan, once per state

_cache_lock = threading.Lock()
_rows: OrderedDict[tuple, list[dict]] = OrderedDict()
_by_dataset: OrderedDict[tuple, object] = OrderedDict()


def _remember(cache: OrderedDict, key, value, size: int = ROWS_CACHE, rows: int | None = None) -> None:
    """Keep `value` under `key` (most recent), then forget the least recently used beyond `size` entries
    or, with `rows`, beyond that many list items in all (the newest two kept whatever their size)."""
    with _cache_lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)
        if rows is not None:
            while len(cache) > 2 and sum(len(v) for v in cache.values()) > rows:
                cache.popitem(last=False)


def _cached(cache: OrderedDict, key):
    with _cache_lock:
        return cache.get(key)


def snapshot(svc=None, version_id: int | None = None):
    """(state, plan) of the current draft (or of the named scenario `version_id`), read so that the plan
    belongs to the state."""
    svc = svc or plan_service.get_service()
    for _ in range(3):
        state = svc.state(version_id)
        plan = svc.current_plan(version_id)
        if svc.state(version_id) == state:
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
        _remember(_rows, key, rows, rows=ROWS_BUDGET)
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

    kind: saved | error | conflict | info (the `data-kind` the tests read)."""
    shown = {"saved": "ok", "error": "bad", "conflict": "conflict", "info": "info"}[kind]
    return outcome(shown, *children, data_kind=kind)


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
    Input("app-scenario", "data"),
    State("demand-grid-rev", "data"),
)
def render_grid(app_state, show_stat, selected, rev):
    """All rows, when the page opens or the plan moved (someone else's change, an upload, an approval), or
    when a scenario is chosen for editing (its rows) or left (the plan's)."""
    with_stat = bool(show_stat)
    vid, name = editing(selected)
    if ctx.triggered_id == "app-state" and vid is None and shows(rev, app_state, with_stat):
        return no_update, no_update, no_update, no_update, no_update  # this page's own change: rows are sent
    if vid is not None:
        try:
            sstate = plan_service.get_service().state(vid)
        except Exception as exc:
            log.exception("scenario grid")
            return [], no_update, None, "", message("error", f"The scenario could not be read: {exc}")
        if ctx.triggered_id in ("app-state", "app-scenario") and rev and rev.get("stat") == with_stat and (
                rev.get("version"), rev.get("revision")) == (sstate.version_id, sstate.revision):
            # the plan moved, not the scenario; or this page's own change of the scenario: rows are sent
            return no_update, no_update, no_update, no_update, no_update
    loaded = load_plan(vid)
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
    state, plan = snapshot(version_id=vid)
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
    if vid is not None:
        subtitle = [html.Span(f"Scenario {name}", className="demand-scenario-tag", id="demand-scenario-tag",
                              **{"data-scenario": name}), f" · {subtitle}"]
    return rows, cols, grid_rev(state, plan, with_stat), subtitle, ""


@callback(
    Output("demand-grid", "rowTransaction"),
    Output("demand-grid", "rowData", allow_duplicate=True),
    Output("demand-grid-rev", "data", allow_duplicate=True),
    Output("app-state", "data", allow_duplicate=True),
    Output("demand-message", "children"),
    Output("demand-ack", "data"),
    Output("app-scenario", "data", allow_duplicate=True),
    Output("demand-kpis", "children", allow_duplicate=True),
    Input("demand-action", "data"),
    State("demand-grid-rev", "data"),
    State("app-state", "data"),
    State("demand-reason", "value"),
    State("demand-show-stat", "value"),
    State("app-scenario", "data"),
    prevent_initial_call=True,
    running=[
        (
            Output("demand-saving", "className"),
            "demand-saving text-muted small",
            "demand-saving text-muted small d-none",
        )
    ],
)
def act(action, rev, app_state, reason, show_stat, selected=None):
    """One change from the browser: a typed cell, a pasted block, a fill, undo or redo. With a scenario being
    edited, the change (and undo/redo) goes to that scenario only; the plan and `app-state` stay as they are.
    The KPI strip answers with the edit (`demand-kpis`), not a round trip later."""
    from callbacks.demand_overview import kpi_strip

    if not action or not action.get("kind"):
        raise PreventUpdate  # a store announcing itself, not a change
    ack = {"nonce": action.get("nonce")}
    kind = action.get("kind")
    keep = no_update
    if kind == "notice":
        return keep, keep, keep, keep, message("info", str(action.get("text") or "")), ack, keep, keep
    with_stat = bool(show_stat)
    reason = (reason or "").strip() or DEFAULT_REASON
    svc = plan_service.get_service()
    vid, _name = editing(selected)
    if vid is not None and (rev or {}).get("version") not in (None, vid):
        # the grid shows the plan while a scenario was chosen (in another tab): never edit what is not shown
        return keep, keep, keep, keep, message(
            "conflict", f"Scenario {_name} is now the one being edited; reload the page to edit it. "
            "Nothing was changed."), ack, keep, keep
    try:
        state, plan = snapshot(svc, vid)
    except Exception as exc:  # the page says why; nothing was stored
        log.exception("demand action: plan unavailable")
        return keep, keep, keep, keep, message("error", f"The plan could not be read: {exc}"), ack, keep, keep
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
                version_id=vid,
            )
        elif kind in ("undo", "redo"):
            if rev and rev.get("version") != state.version_id:
                raise ConflictError(MOVED)
            step = svc.undo if kind == "undo" else svc.redo
            done = step(by=user, kind="adjustment", others=may_undo_others(who["role"]), version_id=vid)
        else:
            return keep, keep, keep, keep, message("error", f"Unknown action {kind!r}."), ack, keep, keep
    except NotAllowed as exc:
        return restore, keep, keep, keep, message("conflict", str(exc)), ack, keep, keep
    except EditError as exc:
        return (restore, keep, keep, keep, message("error", f"Not saved: {exc}. Nothing was changed."), ack, keep,
                keep)
    except ConflictError as exc:
        state, plan = snapshot(svc, vid)
        rows = plan_rows(state, plan, with_stat)
        new_state = keep if vid is not None else \
            {**(app_state or {}), "version": state.version_id, "revision": state.revision}
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
            keep if vid is None else {"id": vid, "revision": state.revision},
            kpi_strip(plan),
        )
    new_state, new_plan = snapshot(svc, vid)
    kpis = kpi_strip(new_plan)
    after = plan_rows(new_state, new_plan, with_stat)
    changed = rows_changed(before, after, touched)
    after_by_id = {r["row_id"]: r for r in after}
    if kind in SOURCES:
        text = saved_text(kind, edits, before_by_id, after_by_id, reason, int(action.get("ignored") or 0))
    else:
        verb, _, what = done.partition(" ")
        text = [f"{verb.capitalize()}: {what}."]
    app = keep if vid is not None else \
        {**(app_state or {}), "version": new_state.version_id, "revision": new_state.revision}
    # in a scenario, its new revision (not `app-state`, the draft's) is what the rest of the page follows
    moved = keep if vid is None else {"id": vid, "revision": new_state.revision}
    if vid is not None:
        text = [f"Scenario {_name}: ", *text]
    rev_out = grid_rev(new_state, new_plan, with_stat)
    if changed is None or (rev or {}).get("revision") != state.revision:
        # others changed the plan since this grid was drawn: send every row, so the grid never claims a
        # revision whose changes it does not show
        return keep, after, rev_out, app, message("saved", *text), ack, moved, kpis
    return {"update": changed, "async": False}, keep, rev_out, app, message("saved", *text), ack, moved, kpis


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
