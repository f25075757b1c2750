"""The app's way to the plan: store → engine → cached result, and validated edits back.

One `PlanService` per process. A plan is recomputed once per plan state (dataset, version,
revision, forecast run, settings: `Store.plan_state`, one query) and cached, so pages that only
read never recompute; what depends on history alone is cached per dataset. Edits are parsed and
validated here and stored as one change (one transaction, one batch id, one revision) with
their before/after values; the next read recomputes. Undo/redo work on whole changes, demand
adjustments and capacity changes alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data.store import SAMPLE_SOURCE, ConflictError, Store, apply_changes, make_engine
from data.workbook import WORKBOOK_REASON, WorkbookChanges, export_plan, read_plan_workbook
from planning.cycle import HistoryView, compare_supply_options, compute_plan, history_view, plan_horizon
from planning.demand import apply_adjustment, compose_consensus, spread_pro_rata
from planning.forecast import baseline_forecast
from planning.model import ADJUSTMENT_COLUMNS, CompanyData, Settings, empty_adjustments
from planning.result import PlanResult
from services.conflicts import capacity_cell_keys, check_view, demand_cell_keys, seen_revision
from services.edits import (  # noqa: F401  (re-exported: the service's edit language)
    DEFAULT_REASON,
    EditError,
    ParsedEdit,
    describe,
    describe_change,
    parse_cells,
    parse_edit,
    checked_reason,
    reason_or_default,
)

CACHE_SIZE = 8  # plan states kept (LRU) …
# … and at most this many MiB of plan tables (a 10,000-item plan is about 25 MiB; the newest is always kept)
PLAN_CACHE_MB = float(os.environ.get("SOP_PLAN_CACHE_MB", "160"))
HISTORY_CACHE_SIZE = 4
BASE_CACHE_SIZE = 2  # uploads + forecast runs kept with compute_plan's memo of each (about 200 MiB at 10,000 items)
DERIVED_CACHE_SIZE = 32  # figures derived from a plan: one plan state per name, this many names at most
LEVELS = ("family", "item")
INTERIM_MODEL = "seasonal_naive (interim)"


@dataclass(frozen=True)
class PlanState:
    """The cache key of a computed plan: changes whenever anything the plan depends on is stored."""

    dataset_id: int
    cycle_id: int
    version_id: int
    revision: int
    forecast_run: int | None
    settings_hash: str
    status: str = "draft"  # draft | approved (an approved version is frozen: edits open the next draft)


class PlanService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._forecast_lock = threading.Lock()
        self._plans: OrderedDict[PlanState, PlanResult] = OrderedDict()
        self._history: OrderedDict[tuple[int, int | None], HistoryView] = OrderedDict()
        self._interim: OrderedDict[tuple[int, tuple[str, ...]], pd.DataFrame] = OrderedDict()
        # the dataset as uploaded + the cycle's forecast run: reloaded only when one of them changes
        self._base: OrderedDict[tuple[int, int, int | None], CompanyData] = OrderedDict()
        self._data: OrderedDict[PlanState, CompanyData] = OrderedDict()
        self._derived: OrderedDict[tuple[str, PlanState], Any] = OrderedDict()
        self._memo: OrderedDict[tuple[int, int, int | None], dict] = OrderedDict()  # compute_plan's, per base
        self._plan_bytes: dict[PlanState, int] = {}

    # ------------------------------------------------------------------ reading

    def settings(self, dataset_id: int | None = None) -> Settings:
        """The settings in force for a dataset (default: the current one)."""
        return self.store.get_settings(dataset_id)

    def plan_settings(self, version_id: int | None = None) -> Settings:
        """The settings a version's plan is made with (frozen at approval, else its data's): what everything
        derived from that plan (option costs, scenarios, colours) must use too."""
        return self.store.version_settings(self.state(version_id).version_id)

    def state(self, version_id: int | None = None) -> PlanState:
        """The plan state of a version (default: the current draft), in one query."""
        s = self.store.plan_state(version_id)
        return PlanState(s["dataset_id"], s["cycle_id"], s["version_id"], s["revision"], s["forecast_run_id"],
                         s["settings_key"], s.get("status", "draft"))

    def current_plan(self, version_id: int | None = None) -> PlanResult:
        """The plan of a version (default: the current draft), computed once per state."""
        return self._plan(self.state(version_id))

    def _plan(self, state: PlanState) -> PlanResult:
        with self._lock:
            if state in self._plans:
                self._plans.move_to_end(state)
                return self._plans[state]
        bkey = (state.dataset_id, state.cycle_id, state.forecast_run)
        with self._lock:
            base = self._base.get(bkey)
        if base is None:
            base = self.store.load_base(state.dataset_id, state.cycle_id, state.forecast_run)
            with self._lock:
                _remember(self._base, bkey, base, BASE_CACHE_SIZE)
        data = apply_changes(base, *self.store.load_changes(state.version_id))
        prices = self.store.scenario_extras(state.version_id)["prices"]
        if prices:  # a named scenario's price changes
            from planning.finance import PRICE_COLUMNS

            data = data.with_(prices=pd.DataFrame(prices).reindex(columns=PRICE_COLUMNS))
        settings = self.store.version_settings(state.version_id)
        hkey = (state.dataset_id, state.cycle_id)
        with self._lock:
            hv = self._history.get(hkey)
        if hv is None:
            hv = history_view(data)

        def forecaster(history: pd.DataFrame, horizon: list[str]) -> pd.DataFrame:  # history alone: cached
            key = (state.dataset_id, tuple(horizon))
            with self._lock:
                fc = self._interim.get(key)
            if fc is None:
                fc = interim_forecast(history, horizon)
                with self._lock:
                    _remember(self._interim, key, fc, HISTORY_CACHE_SIZE)
            return fc.copy()

        with self._lock:
            memo = self._memo.setdefault(bkey, {})
            _remember(self._memo, bkey, memo, BASE_CACHE_SIZE)
        # the memo keeps what depends on the base data alone (forecast frame, consensus grid, exceptions) from
        # one plan state to the next; a state's own consensus is not kept in it (the plan holds it)
        plan = compute_plan(data, settings, forecaster=forecaster, history=hv, memo=memo)
        with self._lock:
            for key in [k for k in list(memo) if k[0] == "consensus"]:
                memo.pop(key, None)
            _remember(self._history, hkey, hv, HISTORY_CACHE_SIZE)
            _remember(self._plans, state, plan, CACHE_SIZE)
            _remember(self._data, state, data, CACHE_SIZE)
            self._plan_bytes[state] = plan_bytes(plan)
            self._trim_plans()
        release_memory()
        return plan

    def _trim_plans(self) -> None:
        """Forget superseded plans, then the least recently used beyond CACHE_SIZE states or PLAN_CACHE_MB
        (under the lock). A version's revision only grows (every change, undo and redo bumps it), so of one
        version's states only the newest two can still be asked for (the newest, and the one an edit in
        flight read before it saved); the older ones are dropped at once, with their company data."""
        newest: dict[tuple, list[int]] = {}
        for k in self._plans:
            newest.setdefault((k.version_id, k.dataset_id, k.cycle_id), []).append(k.revision)
        for k in [k for k in self._plans
                  if k.revision < sorted(newest[(k.version_id, k.dataset_id, k.cycle_id)])[-2:][0]]:
            del self._plans[k]
        for k in [k for k in self._data if k not in self._plans]:
            del self._data[k]
        for gone in [k for k in self._plan_bytes if k not in self._plans]:
            del self._plan_bytes[gone]
        budget = PLAN_CACHE_MB * 1024 * 1024
        while len(self._plans) > 1 and sum(self._plan_bytes.values()) > budget:
            old, _ = self._plans.popitem(last=False)
            self._data.pop(old, None)
            self._plan_bytes.pop(old, None)

    def cache_info(self) -> dict[str, Any]:
        """What the service keeps in memory: plan states and their MiB, and the LP blocks kept."""
        from planning import supply

        with self._lock:
            return {"plans": len(self._plans), "plan_mib": round(sum(self._plan_bytes.values()) / 2**20, 1),
                    "bases": len(self._base), "lp_blocks": len(supply._BLOCKS), "data": len(self._data),
                    "memos": len(self._memo), "histories": len(self._history), "interim": len(self._interim),
                    "derived": len(self._derived)}

    def effective_capacity(self, version_id: int | None = None) -> pd.DataFrame:
        """Capacity per resource as the engine reads it: from the computed plan's data when the current
        state has one (no query), else from the store."""
        state = self.state(version_id)
        with self._lock:
            data = self._data.get(state)
        if data is not None:
            return data.capacity.copy()
        return self.store.effective_capacity(state.version_id)

    def approve(self, *, by: str, expected_revision: int | None = None) -> int:
        """Freeze the current draft as an approved version: who and when, the forecast run and settings its
        plan was made with, and its consensus (with who adjusted each cell, for forecast value added by
        owner). The approved plan never moves again; the next edit opens a new draft from it."""
        state, plan = self._current()
        if state.status != "draft":
            number = self.store.get_version(state.version_id)["number"]
            raise EditError(f"version {number} is already approved; the next change opens a new draft")
        from data.store.users import settings_json

        self.store.approve_version(state.version_id, by=by, snapshot=plan_snapshot(plan),
                                   expected_revision=expected_revision, forecast_run_id=state.forecast_run,
                                   settings_json=settings_json(self.store.version_settings(state.version_id)),
                                   kpis={name: kpi.get("value") for name, kpi in plan.kpis.items()})
        return state.version_id

    def _draft(self, seen: dict[str, Any] | None, version_id: int | None = None
               ) -> tuple[PlanState, PlanResult, dict[str, Any] | None]:
        """The draft an edit goes to (opening draft N+1 when the latest version is approved), its plan, and
        the person's view translated to it (a view of the approved parent has seen none of the draft's
        changes). With `version_id`, a named scenario (the one being edited) instead of the draft."""
        if version_id is not None:
            if self.store.get_version(version_id)["kind"] != "scenario":
                raise EditError("edits go to the draft plan or to a named scenario")
            state = self.state(version_id)
            check_view(seen, state.version_id)
            return state, self._plan(state), seen
        state = self.state()
        if state.status != "draft":
            self.store.current_version()  # the next edit after an approval opens the next draft
            state = self.state()
        plan = self._plan(state)
        if seen and seen.get("version") not in (None, state.version_id):
            parent = self.store.get_version(state.version_id)["parent_id"]
            if seen.get("version") == parent:
                seen = {"version": state.version_id, "revision": -1}
        check_view(seen, state.version_id)
        return state, plan, seen

    def supply_options(self, version_id: int | None = None) -> pd.DataFrame:
        """What each supply option would cost alone beside the optimized plan; computed on first
        request per plan state (four more LPs), not on every edit."""
        state, plan = self._current(version_id)
        if plan.supply_cost_by_option is None:
            with self._lock:
                data = self._data.get(state)
            if data is None:
                data = self.store.load_company(state.version_id)
            plan.supply_cost_by_option = compare_supply_options(data, plan,
                                                                self.store.version_settings(state.version_id))
        return plan.supply_cost_by_option

    def _current(self, version_id: int | None = None) -> tuple[PlanState, PlanResult]:
        state = self.state(version_id)
        return state, self._plan(state)

    def company_data(self, version_id: int | None = None) -> CompanyData:
        """The company data a version's plan is computed from (cached with the plan)."""
        state = self.state(version_id)
        self._plan(state)
        with self._lock:
            data = self._data.get(state)
        return data if data is not None else self.store.load_company(state.version_id)

    def base_data(self, dataset_id: int, cycle_id: int) -> CompanyData:
        """A dataset as uploaded with the cycle's latest forecast run (cached per dataset and run)."""
        state = self.state()
        if (state.dataset_id, state.cycle_id) == (dataset_id, cycle_id):
            bkey = (dataset_id, cycle_id, state.forecast_run)
            with self._lock:
                base = self._base.get(bkey)
            if base is not None:
                return base
        return self.store.load_base(dataset_id, cycle_id)

    def derived(self, name: str, compute: Callable[[], Any], version_id: int | None = None) -> Any:
        """A figure derived from a plan (scenarios, lag views, comparisons), computed once per plan state
        like the plan itself."""
        key = (name, self.state(version_id))
        with self._lock:
            if key in self._derived:
                self._derived.move_to_end(key)
                return self._derived[key]
        value = compute()
        with self._lock:
            for old in [k for k in self._derived if k[0] == name]:  # one plan state per name
                del self._derived[old]
            _remember(self._derived, key, value, DERIVED_CACHE_SIZE)
        release_memory()
        return value

    def plan_context(self) -> dict[str, Any]:
        cycle = self.store.current_cycle()
        version = self.store.latest_version()
        info = self.store.dataset_info()
        state = self.store.plan_state()
        return {"cycle": cycle, "version": version, "dataset": info, "settings_key": state["settings_key"],
                "forecast_run": state["forecast_run_id"]}

    def forecast_status(self) -> dict[str, Any]:
        """What statistical forecast the plan uses: {run (id or None), running: {user, trigger, fraction} or
        None}. While no run is stored the plan uses the interim forecast."""
        from services import forecast_jobs

        state = self.state()
        marker = forecast_jobs.in_flight(state.cycle_id)
        running = None
        if marker:
            p = forecast_jobs.progress(marker["token"])
            running = {"user": marker.get("user"), "trigger": marker.get("trigger"),
                       "fraction": float(p.get("fraction", 0.0))}
        return {"run": state.forecast_run, "running": running}

    # ------------------------------------------------------------------ statistical forecast

    def horizon(self, data: CompanyData) -> list[str]:
        """The plan's months for a company's data under the settings in force."""
        return plan_horizon(data, self.settings())

    def land_forecast_run(self, cycle_id: int, forecast: pd.DataFrame, models: pd.DataFrame | None, *,
                          settings: dict[str, Any], by: str, keep_existing: bool = False) -> dict[str, Any]:
        """Store a finished statistical forecast run as the cycle's forecast, recorded like any other change
        of the plan: one audit row per family with its statistical total over the horizon before (the
        interim forecast or the previous run) and after. Returns {run_id, stored, replaced}.

        With `keep_existing`, a cycle that got a run meanwhile keeps it (nothing is stored).
        """
        with self._forecast_lock:
            state = self.state()
            if state.cycle_id != cycle_id:
                raise LookupError("new data was loaded meanwhile; this run belongs to a cycle that is no longer "
                                  "current and was not stored")
            if keep_existing and state.forecast_run is not None:
                return {"run_id": state.forecast_run, "stored": False, "replaced": None}
            plan = self._plan(state)
            families = plan.consensus[["item_id", "family"]].drop_duplicates("item_id")
            before = plan.consensus.groupby("family")["statistical"].sum()
            fc = forecast.rename(columns={"forecast_units": "forecast"})
            after = (fc[fc["period"].isin(plan.horizon)].merge(families, on="item_id")
                     .groupby("family")["forecast"].sum())
            totals = pd.DataFrame({"before_total": before, "after_total": after}).fillna(0.0)
            totals = totals.rename_axis("family").reset_index()
            run_id = self.store.save_forecast_run(cycle_id, forecast, models, method="auto", settings=settings,
                                                  replaces=state.forecast_run, by=by, family_totals=totals)
        return {"run_id": run_id, "stored": True, "replaced": state.forecast_run}

    # ------------------------------------------------------------------ demand edits

    def cell_value(self, plan: PlanResult, level: str, key: str, period: str) -> float:
        c = plan.consensus
        if level == "family":
            part = c[(c["family"] == key) & (c["period"] == period)]
        else:
            part = c[(c["item_id"] == key) & (c["period"] == period)]
        if part.empty:
            raise EditError(f"there is no {level} “{key}” in {period} in this plan")
        return float(part["consensus"].sum())

    def apply_edits(
        self,
        cells: list[dict[str, Any]],
        *,
        reason: str,
        owner: str,
        source: str = "grid",
        seen: dict[str, Any] | None = None,
        expected_revision: int | None = None,
        version_id: int | None = None,
    ) -> int:
        """Store several typed cells as one change (one transaction, one batch id) of the draft (or, with
        `version_id`, of a named scenario).

        `cells`: dicts with level ('family'|'item'), key, period and text (what was typed). A pasted
        block or a fill is one call. Returns the new revision. Raises EditError (nothing stored) on
        any bad cell. Conflicts: with `seen` ({version, revision} of the view the person typed on) the
        change is refused (`CellConflict`) when someone changed one of these cells after that view, and
        goes through when only other cells changed (the one rule of `services.conflicts`); with
        `expected_revision` (a previewed workbook) any change since refuses it.
        """
        if not cells:
            raise EditError("nothing to change")
        state, plan, seen = self._draft(seen, version_id)
        fam_of = item_families(plan)
        known = {"family": set(fam_of.to_numpy()), "item": fam_of.index}
        horizon = set(plan.horizon)

        def locate(cell: dict[str, Any]) -> tuple[str, str, str]:
            level, key, period = str(cell.get("level", "")), str(cell.get("key", "")), str(cell.get("period", ""))
            if level not in LEVELS:
                raise EditError(f"{key} {period}: edits are made on a family or an item row")
            if period not in horizon:
                raise EditError(f"{period} is not a month of the plan")
            if key not in known[level]:
                raise EditError(f"there is no {level} “{key}” in this plan")
            return level, key, period

        batch = uuid.uuid4().hex[:12]
        rows = [{"level": level, "key": key, "period": period, "type": edit.type, "value": edit.value,
                 "reason": checked_reason(reason), "owner": owner, "source": source, "batch_id": batch}
                for (level, key, period), edit in parse_cells(cells, locate, lambda p: f"{p[1]} {p[2]}")]
        _before_after(plan, rows)
        watch = demand_cell_keys(plan, [(r["level"], r["key"], r["period"]) for r in rows]) if seen else None
        return self.store.add_changes(state.version_id, rows, (), expected_revision=expected_revision,
                                      seen_revision=seen_revision(seen), watch=watch)

    def apply_edit(self, *, level: str, key: str, period: str, text: Any, reason: str, owner: str,
                   expected_revision: int | None = None) -> int:
        return self.apply_edits([{"level": level, "key": key, "period": period, "text": text}],
                                reason=reason, owner=owner, expected_revision=expected_revision)

    # ------------------------------------------------------------------ capacity edits

    def apply_capacity_edits(
        self, cells: list[dict[str, Any]], *, reason: str, owner: str, seen: dict[str, Any] | None = None,
        expected_revision: int | None = None, version_id: int | None = None,
    ) -> int:
        """Store typed capacity cells (family, period, text) as one audited change (of the draft, or with
        `version_id` of a named scenario).

        The text reads like a demand edit: 1200 sets, +10% / -5% scale, +200 / -200 add. Conflicts follow
        the same rule as demand edits (`seen`: the view the person typed on).
        """
        if not cells:
            raise EditError("nothing to change")
        state, plan, seen = self._draft(seen, version_id)
        fp = plan.family_plan.set_index(["family", "period"])["capacity"]

        def locate(cell: dict[str, Any]) -> tuple[str, str]:
            family, period = str(cell.get("family", "")), str(cell.get("period", ""))
            if (family, period) not in fp.index:
                raise EditError(f"there is no family “{family}” in {period} in this plan")
            return family, period

        edits = []
        for (family, period), edit in parse_cells(cells, locate, lambda p: f"{p[0]} {p[1]}"):
            before = float(fp[(family, period)])
            after = float(apply_adjustment(np.array([edit.type]), np.array([edit.value]), np.array([before]))[0])
            edits.append((family, period, edit.type, edit.value, after))
        rows = self._capacity_rows(state.version_id, edits, reason=checked_reason(reason), owner=owner,
                                   source="grid", batch=uuid.uuid4().hex[:12])
        watch = capacity_cell_keys([(f, p) for f, p, *_ in edits]) if seen else None
        return self.store.add_changes(state.version_id, (), rows, expected_revision=expected_revision,
                                      seen_revision=seen_revision(seen), watch=watch)

    def _capacity_rows(self, version_id: int, edits: Iterable[tuple[str, str, str, float, float]], *, reason: str,
                       owner: str, source: str, batch: str) -> list[dict[str, Any]]:
        """Capacity change rows for family totals (family, period, type, value, new total).

        A family-month with several resources is spread over them pro rata (equally when 0)."""
        cap = self.effective_capacity(version_id)
        groups = {k: g for k, g in cap.groupby(["family", "period"], sort=False)}
        rows = []
        for family, period, kind, value, total in edits:
            part = groups.get((family, period))
            if part is None or part.empty:
                resources, before = [""], np.array([0.0])
            else:
                resources, before = part["resource"].tolist(), part["capacity_units"].to_numpy(float)
            for res, b, after in zip(resources, before, spread_pro_rata(before, total)):
                rows.append({"family": family, "period": period, "resource": res, "before_value": float(b),
                             "after_value": round(float(after), 9), "type": kind, "value": float(value),
                             "reason": reason, "owner": owner, "source": source, "batch_id": batch})
        return rows

    # ------------------------------------------------------------------ workbook round trip

    def export_workbook(self, version_id: int | None = None) -> bytes:
        """The plan (consensus by item and month, capacity, audit trail) as a formatted .xlsx."""
        state, plan = self._current(version_id)
        version = self.store.get_version(state.version_id)
        cycles = self.store.list_cycles()
        meta = {
            "cycle": next(iter(cycles.loc[cycles["id"] == state.cycle_id, "period"]), ""),
            "version": f"{version['name']} v{version['number']} ({version['status']})",
            "version_id": state.version_id,
            "revision": state.revision,
            "exported": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        }
        return export_plan(plan, self.store.list_items(state.version_id), self.audit_trail(state.version_id), meta)

    def preview_workbook(self, wb_bytes: bytes) -> WorkbookChanges:
        """What an edited plan workbook would change in the current draft (nothing is stored)."""
        state, plan = self._current()
        changes = read_plan_workbook(wb_bytes, plan)
        changes.version_id, changes.revision = state.version_id, state.revision
        return changes

    def apply_workbook(self, changes: WorkbookChanges, *, owner: str, expected_revision: int | None = None) -> int:
        """Store a previewed workbook as one change (reason "workbook upload", source 'workbook').

        `expected_revision` defaults to the revision the preview was made against, so a plan that
        moved in between is refused (ConflictError) rather than overwritten.
        """
        if not changes.ok:
            shown = "; ".join(str(i) for i in changes.errors[:10])
            more = len(changes.errors) - 10
            raise EditError(f"the workbook has errors, nothing was stored: {shown}" + (f" (+{more} more)" if more > 0
                                                                                        else ""))
        if changes.count == 0:
            raise EditError("the workbook has no changes to apply")
        if expected_revision is None:
            expected_revision = changes.revision
        version_id = changes.version_id if changes.version_id is not None else self.state().version_id
        batch = uuid.uuid4().hex[:12]
        adj = [{**r, "reason": WORKBOOK_REASON, "owner": owner, "source": "workbook", "batch_id": batch}
               for r in changes.adjustments.to_dict("records")]
        cap = self._capacity_rows(
            version_id,
            ((r["family"], r["period"], "absolute", r["after_value"], r["after_value"])
             for r in changes.capacity.to_dict("records")),
            reason=WORKBOOK_REASON, owner=owner, source="workbook", batch=batch,
        ) if len(changes.capacity) else []
        return self.store.add_changes(version_id, adj, cap, expected_revision=expected_revision)

    # ------------------------------------------------------------------ undo / redo

    def undo(self, *, by: str, kind: str | None = None, others: bool = True,
             expected_revision: int | None = None, version_id: int | None = None) -> str:
        """Undo the last change (a whole batch) of the current draft (with `version_id`, of that named
        scenario: its own changes only, never the draft's).

        `kind` ('adjustment' | 'capacity') limits it to that kind of change: the demand page undoes demand
        adjustments, the supply page capacity changes. Without `others`, only the caller's own changes.
        """
        try:
            out = self.store.undo_last(self._scenario_id(version_id), by=by, kind=kind,
                                       owner=None if others else by, expected_revision=expected_revision)
        except LookupError as e:
            text = str(e)
            raise EditError(text.replace("in this draft", "in this scenario") if version_id is not None
                            else text) from None
        return f"undid {describe_change(out['rows'])}"

    def redo(self, *, by: str, kind: str | None = None, others: bool = True,
             expected_revision: int | None = None, version_id: int | None = None) -> str:
        """Redo the most recently undone change (of `kind`; the caller's own without `others`), unless
        newer changes have been made since."""
        try:
            out = self.store.redo_last(self._scenario_id(version_id), by=by, kind=kind,
                                       owner=None if others else by, expected_revision=expected_revision)
        except LookupError as e:
            raise EditError(str(e)) from None
        return f"redid {describe_change(out['rows'])}"

    def _scenario_id(self, version_id: int | None) -> int | None:
        """`version_id` when it is a named scenario (None: the draft); any other version is refused."""
        if version_id is None:
            return None
        if self.store.get_version(int(version_id))["kind"] != "scenario":
            raise EditError("undo and redo act on the draft plan or on a named scenario")
        return int(version_id)

    # ------------------------------------------------------------------ audit

    def audit_trail(self, version_id: int | None = None) -> pd.DataFrame:
        """Every change of a version's chain, newest first (see `services.audit.audit_trail`)."""
        from services.audit import audit_trail

        return audit_trail(self.store, self.state(version_id).version_id)

    def adjustment_summary(self, version_id: int | None = None) -> dict[str, pd.DataFrame]:
        """The adjustments in effect, by owner and by type (see `services.audit.adjustment_summary`)."""
        from services.audit import adjustment_summary

        return adjustment_summary(self.current_plan(version_id))


# ---------------------------------------------------------------------------- helpers


def plan_bytes(plan: PlanResult) -> int:
    """The bytes of a plan's tables (columns as stored; text shared with the base data is not counted)."""
    total = 0
    for value in vars(plan).values():
        if isinstance(value, pd.DataFrame):
            total += int(value.memory_usage(index=True, deep=False).sum())
    return total


_LIBC: list = []


def release_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim) after a recompute: the plan's
    temporaries are freed but glibc keeps them mapped, so without this the server's resident memory only
    grows (about 100 MiB a recompute at 10,000 items). A no-op where glibc is not the allocator."""
    if not _LIBC:
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            _LIBC.append(libc.malloc_trim if hasattr(libc, "malloc_trim") else None)
        except OSError:
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0](0)


def limit_malloc_arenas(n: int = 2) -> None:
    """At most `n` glibc malloc arenas (unless MALLOC_ARENA_MAX is set): a threaded server otherwise gets up
    to 8 per core, each keeping its own freed pages. Call before the server starts its threads."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        if hasattr(libc, "mallopt"):
            libc.mallopt(-8, int(n))  # M_ARENA_MAX
    except OSError:
        pass


def _remember(cache: OrderedDict, key: Any, value: Any, size: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)



_ITEM_FAMILIES: list = [None, None]  # the last plan's consensus table and its item → family series


def item_families(plan: PlanResult) -> pd.Series:
    """item_id → family of a plan's items (kept for the last plan read: every edit of it looks them up)."""
    seen, fam_of = _ITEM_FAMILIES
    if seen is not plan.consensus:
        fam_of = plan.consensus[["item_id", "family"]].drop_duplicates("item_id").set_index("item_id")["family"]
        _ITEM_FAMILIES[:] = [plan.consensus, fam_of]
    return fam_of


def _before_after(plan: PlanResult, rows: list[dict[str, Any]]) -> None:
    """Fill before_value/after_value of new adjustment rows as the engine will apply them: after the
    plan's adjustments and after the earlier rows of the same change (a family and one of its
    items in one paste compose, as they will in the recompute)."""
    existing = plan.adjustments if plan.adjustments is not None and len(plan.adjustments) else empty_adjustments()
    existing = existing[ADJUSTMENT_COLUMNS]
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)  # what the store will record (UTC, naive)
    new = pd.DataFrame(rows).assign(seq=np.arange(len(existing), len(existing) + len(rows)), created_at=now)
    new = new.reindex(columns=ADJUSTMENT_COLUMNS)
    # families never mix in the consensus, so only the families the new rows touch are composed: the
    # same before/after values as composing the whole plan
    cons = plan.consensus
    fam_of = item_families(plan)
    touched = {r["key"] if r["level"] == "family" else fam_of.get(r["key"]) for r in rows}
    part = cons[cons["family"].isin(touched)]
    items = part[["item_id", "family"]].drop_duplicates("item_id")
    stat = part[["item_id", "period", "statistical"]]
    if len(existing):
        on_item = existing["level"].astype(str).str.lower() == "item"
        fam = existing["key"].astype(str).map(fam_of).where(on_item, existing["key"].astype(str))
        existing = existing[fam.isin(touched).to_numpy()]
    both = pd.concat([existing, new], ignore_index=True) if len(existing) else new
    applied = compose_consensus(stat, items, both, plan.horizon).applied.iloc[len(existing):]
    for row, before, after in zip(rows, applied["before"], applied["after"]):
        row["before_value"], row["after_value"] = float(before), float(after)


def plan_snapshot(plan: PlanResult) -> pd.DataFrame:
    """item_id, period, statistical, consensus, owner: the owner of the last adjustment that touched
    the cell (directly or through its family), '' where none did."""
    snap = plan.consensus[["item_id", "family", "period", "statistical", "consensus"]].copy()
    adj = plan.adjustments
    if adj is None or adj.empty or "applied" not in adj:
        return snap.drop(columns="family").assign(owner="")
    adj = adj[adj["applied"].astype(bool)].reset_index(drop=True).reset_index(names="order")
    items = plan.consensus[["item_id", "family"]].drop_duplicates()
    on_item = adj[adj["level"] == "item"].rename(columns={"key": "item_id"})[["item_id", "period", "owner", "order"]]
    on_family = adj[adj["level"] == "family"].merge(items, left_on="key", right_on="family")[
        ["item_id", "period", "owner", "order"]]
    touched = pd.concat([on_item, on_family]).sort_values("order").drop_duplicates(["item_id", "period"],
                                                                                     keep="last")
    snap = snap.merge(touched[["item_id", "period", "owner"]], on=["item_id", "period"], how="left")
    return snap.drop(columns="family").assign(owner=snap["owner"].fillna(""))


def interim_forecast(history: pd.DataFrame, horizon: list[str]) -> pd.DataFrame:
    """The statistical forecast used until the cycle's forecast run is stored (`ensure_forecast`).

    Seasonal naive (the same month of the last history year) for items with a year of history, the
    reference 3-month average plus trend for shorter ones: fast, and not misled by a seasonal peak
    at the end of the history the way a trend of the last months is.
    """
    base = baseline_forecast(history, horizon)
    if base.empty:
        return base
    last = pd.Period(str(history["period"].max()), freq="M")
    steps = [(pd.Period(p, freq="M") - last).n for p in horizon]  # 1 = the month after the history
    source = pd.DataFrame({"period": horizon,
                           "source": [str(last - (11 - (k - 1) % 12)) if k >= 1 else None for k in steps]})
    actual = history[["item_id", "period", "actual_units"]].rename(columns={"period": "source"})
    months = history.groupby("item_id")["period"].nunique()
    out = base.merge(source, on="period", how="left").merge(actual, on=["item_id", "source"], how="left")
    use = (out["item_id"].map(months) >= 12).to_numpy() & out["actual_units"].notna().to_numpy()
    out["forecast"] = np.where(use, np.maximum(out["actual_units"].astype(float), 0.0), out["forecast"])
    out["model"] = np.where(use, INTERIM_MODEL, out["model"])
    return out[base.columns]


# ---------------------------------------------------------------------------- the process's service

_service: PlanService | None = None
_service_lock = threading.Lock()


DEMO_USERS = (("dana", "demand_planner"), ("sam", "supply_planner"), ("erin", "executive"),
              ("fay", "facilitator"))


def ensure_demo_users(store: Store) -> None:
    """One user per role (password 'demo') while the sample company is the data in use; never with
    SOP_ENV=production (where services.production_check refuses them)."""
    if os.environ.get("SOP_ENV", "").strip().lower() == "production":
        return
    try:
        if store.dataset_info().get("source") != SAMPLE_SOURCE:
            return
    except LookupError:
        return
    existing = set(store.list_users()["username"]) if len(store.list_users()) else set()
    for name, role in DEMO_USERS:
        if name not in existing:
            try:
                store.add_user(name, "demo", role)
            except Exception:  # another worker created it at the same moment
                pass


def _seed_sample_checklists(store: Store) -> None:
    from services.cycle import seed_sample_checklists

    try:
        seed_sample_checklists(store)
    except Exception:  # a demo nicety: the app starts without it
        logging.getLogger("sop.plan_service").exception("the sample company's past checklists could not be seeded")


def _seed_sample_health(store: Store) -> None:
    """The sample company's two past maturity assessments and its company profile (once; a demo nicety)."""
    from services.maturity import seed_sample_assessments
    from services.profile import seed_sample_profile

    try:
        seed_sample_assessments(store)
        seed_sample_profile(store)
    except Exception:
        logging.getLogger("sop.plan_service").exception("the sample company's assessments could not be seeded")


def get_service() -> PlanService:
    """The process's PlanService: tables created, sample company seeded on a first start, an admin
    user ('admin', password SOP_ADMIN_PASSWORD or 'admin') created when there is none. Does not
    run the statistical forecast: the app calls `ensure_forecast` in a background job."""
    global _service
    with _service_lock:
        if _service is None:
            store = Store(make_engine())
            store.ensure_ready(seed=True)
            store.ensure_admin(os.environ.get("SOP_ADMIN_PASSWORD") or "admin")
            ensure_demo_users(store)
            _seed_sample_checklists(store)
            _seed_sample_health(store)
            _service = PlanService(store)
        return _service


def get_store() -> Store:
    return get_service().store


def current_plan(version_id: int | None = None) -> PlanResult:
    return get_service().current_plan(version_id)


def plan_families() -> list[str]:
    """The current plan's families, sorted ([] when there is no plan yet): what a page's family chooser
    starts on, read from the plan cache."""
    try:
        return sorted(current_plan().consensus["family"].unique())
    except Exception:  # no data yet: the page's callbacks say what to do
        return []


def supply_plan_rows() -> int:
    """The current plan's family-months (rows of its supply plan; 0 when there is no plan yet): whether a
    page's supply-plan grid is sent whole or a block at a time."""
    try:
        return len(current_plan().supply_plan)
    except Exception:  # no data yet
        return 0


def plan_context() -> dict[str, Any]:
    return get_service().plan_context()


__all__ = ["ConflictError", "EditError", "PlanService", "PlanState", "WorkbookChanges", "current_plan",
           "describe_change", "get_service", "get_store", "interim_forecast", "parse_edit", "plan_context",
           "plan_families", "supply_plan_rows"]
