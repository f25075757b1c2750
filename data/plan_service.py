"""The app's way to the plan: store → engine → cached result, and validated edits back.

One `PlanService` per process. A plan is recomputed once per plan state (dataset, version,
revision, forecast run, settings) and cached, so pages that only read never recompute;
what depends on history alone is cached per dataset. Edits are parsed and validated
here, stored as one transaction with their before/after values, and the next read
recomputes.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from data import store as store_mod
from data.readers import load_company
from data.schema import Issue
from data.store import ConflictError, Store, make_engine
from planning.cycle import HistoryView, compute_plan, history_view
from planning.demand import apply_adjustment
from planning.forecast import baseline_forecast
from planning.model import Settings
from planning.result import PlanResult

CACHE_SIZE = 8
_EDIT = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<pct>%)?\s*$")


class EditError(ValueError):
    """An edit that cannot be applied, with a message for the person who typed it."""


@dataclass(frozen=True)
class ParsedEdit:
    type: str  # percentage | additive | absolute
    value: float


def parse_edit(text: Any) -> ParsedEdit:
    """'1200' → absolute; '+10%' / '-5%' → percentage; '+200' / '-200' → additive."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not np.isfinite(text):
            raise EditError("enter a finite number")
        if text < 0:
            raise EditError("a forecast cannot be negative; type -200 as text for a decrease of 200")
        return ParsedEdit("absolute", float(text))
    m = _EDIT.match(str(text or ""))
    if not m:
        raise EditError(f"“{text}” is not a number: type 1200 (set to), +10% or -5% (percentage), +200 or -200 (add)")
    value = float(m["num"].replace(",", ""))
    if m["pct"]:
        if not m["sign"]:
            raise EditError("write a percentage with its sign: +10% or -10%")
        return ParsedEdit("percentage", value if m["sign"] == "+" else -value)
    if m["sign"]:
        return ParsedEdit("additive", value if m["sign"] == "+" else -value)
    return ParsedEdit("absolute", value)


@dataclass(frozen=True)
class PlanState:
    dataset_id: int
    cycle_id: int
    version_id: int
    revision: int
    forecast_run: int | None
    settings_hash: str


class PlanService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._plans: OrderedDict[PlanState, PlanResult] = OrderedDict()
        self._history: dict[tuple[int, int | None], HistoryView] = {}

    # ------------------------------------------------------------------ reading

    def settings(self) -> Settings:
        return self.store.get_settings()

    def state(self, version_id: int | None = None) -> PlanState:
        version = self.store.current_version() if version_id is None else self.store.get_version(version_id)
        with self.store.engine.connect() as conn:
            dataset_id = self.store._dataset_id(conn, version["id"])
            run = conn.execute(
                select(func.max(store_mod.forecast_runs.c.id)).where(
                    store_mod.forecast_runs.c.cycle_id == version["cycle_id"])
            ).scalar_one()
        settings = self.settings()
        digest = hashlib.sha1(json.dumps(asdict(settings), default=str, sort_keys=True).encode()).hexdigest()
        return PlanState(int(dataset_id), int(version["cycle_id"]), int(version["id"]), int(version["revision"]),
                         None if run is None else int(run), digest)

    def current_plan(self, version_id: int | None = None) -> PlanResult:
        """The plan of a version (default: the current draft), computed once per state."""
        state = self.state(version_id)
        with self._lock:
            if state in self._plans:
                self._plans.move_to_end(state)
                return self._plans[state]
        data = self.store.load_company(state.version_id)
        settings = self.settings()
        hkey = (state.dataset_id, state.cycle_id)
        if hkey not in self._history:
            self._history[hkey] = history_view(data)
        plan = compute_plan(data, settings, forecaster=baseline_forecast_frame, history=self._history[hkey])
        with self._lock:
            self._plans[state] = plan
            while len(self._plans) > CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan

    def plan_context(self) -> dict[str, Any]:
        cycle = self.store.current_cycle()
        version = self.store.current_version()
        info = self.store.dataset_info()
        return {"cycle": cycle, "version": version, "dataset": info}

    # ------------------------------------------------------------------ uploads

    def upload_files(self, files: dict[str, bytes], user: str) -> tuple[bool, list[Issue]]:
        """Validate and store an upload, all or nothing. Returns (stored, issues)."""
        data, issues = load_company(files, horizon=self.settings().horizon)
        if data is None:
            return False, issues
        name = ", ".join(sorted(files)) or "upload"
        self.store.save_dataset(data, source=name, user=user)
        return True, issues

    # ------------------------------------------------------------------ edits

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
        expected_revision: int | None = None,
    ) -> int:
        """Store several typed cells as one change (one transaction, one batch id).

        `cells`: dicts with level ('family'|'item'), key, period and text (what was typed).
        Returns the new revision. Raises EditError (nothing stored) on any bad cell.
        """
        if not cells:
            raise EditError("nothing to change")
        plan = self.current_plan()
        batch = uuid.uuid4().hex[:12]
        rows = []
        problems = []
        for cell in cells:
            level, key, period = cell["level"], str(cell["key"]), str(cell["period"])
            if period not in plan.horizon:
                problems.append(f"{period} is not a month of the plan")
                continue
            try:
                edit = parse_edit(cell["text"])
                before = self.cell_value(plan, level, key, period)
            except EditError as e:
                problems.append(f"{key} {period}: {e}")
                continue
            after = float(apply_adjustment(np.array([edit.type]), np.array([edit.value]), np.array([before]))[0])
            rows.append({
                "level": level, "key": key, "period": period, "type": edit.type, "value": edit.value,
                "reason": reason.strip() or "no reason given", "owner": owner, "before_value": before,
                "after_value": after, "source": source, "batch_id": batch,
            })
        if problems:
            raise EditError("; ".join(problems))
        version = self.store.current_version()
        return self.store.add_adjustments(version["id"], rows, expected_revision=expected_revision)

    def apply_edit(self, *, level: str, key: str, period: str, text: Any, reason: str, owner: str,
                   expected_revision: int | None = None) -> int:
        return self.apply_edits([{"level": level, "key": key, "period": period, "text": text}],
                                reason=reason, owner=owner, expected_revision=expected_revision)

    def apply_capacity_edits(
        self, cells: list[dict[str, Any]], *, reason: str, owner: str, expected_revision: int | None = None
    ) -> int:
        """Store typed capacity cells (family, period, text) as one audited change.

        The text reads like a demand edit: 1200 sets, +10% / -5% scale, +200 / -200 add.
        """
        if not cells:
            raise EditError("nothing to change")
        plan = self.current_plan()
        fp = plan.family_plan.set_index(["family", "period"])["capacity"]
        batch = uuid.uuid4().hex[:12]
        rows, problems = [], []
        for cell in cells:
            family, period = str(cell["family"]), str(cell["period"])
            if (family, period) not in fp.index:
                problems.append(f"there is no family “{family}” in {period} in this plan")
                continue
            try:
                edit = parse_edit(cell["text"])
            except EditError as e:
                problems.append(f"{family} {period}: {e}")
                continue
            before = float(fp[(family, period)])
            after = float(apply_adjustment(np.array([edit.type]), np.array([edit.value]), np.array([before]))[0])
            rows.append({"family": family, "period": period, "before_value": before, "after_value": after,
                         "reason": reason.strip() or "no reason given", "owner": owner, "batch_id": batch})
        if problems:
            raise EditError("; ".join(problems))
        version = self.store.current_version()
        return self.store.add_capacity_changes(version["id"], rows, expected_revision=expected_revision)

    # ------------------------------------------------------------------ undo / redo

    def _own_adjustments(self) -> tuple[int, pd.DataFrame]:
        version = self.store.current_version()
        adj = self.store.list_adjustments(version["id"])
        if adj.empty:
            return version["id"], adj
        return version["id"], adj[(adj["version_id"] == version["id"]) & (adj["source"] != "upload")]

    def undo(self, *, by: str) -> str:
        """Undo the last change (one batch of adjustments) of the current draft."""
        _, adj = self._own_adjustments()
        active = adj[adj["active"]] if len(adj) else adj
        if active.empty:
            raise EditError("there is nothing to undo in this draft")
        last = active.sort_values("seq").iloc[-1]
        batch = active[active["batch_id"] == last["batch_id"]] if last["batch_id"] else active.tail(1)
        self.store.set_adjustments_active(batch["id"].astype(int).tolist(), False, by=by)
        return f"undid {len(batch)} change(s): {describe(batch.iloc[0])}"

    def redo(self, *, by: str) -> str:
        """Redo the most recently undone change, unless newer changes have been made since."""
        vid, adj = self._own_adjustments()
        if adj.empty:
            raise EditError("there is nothing to redo")
        events = self.store.adjustment_events(vid)
        undone = events[events["event"] == "undo"] if len(events) else events
        inactive_ids = set(adj.loc[~adj["active"], "id"].astype(int))
        candidates = undone[undone["adjustment_id"].astype(int).isin(inactive_ids)] if len(undone) else undone
        if candidates.empty:
            raise EditError("there is nothing to redo")
        last_id = int(candidates.iloc[-1]["adjustment_id"])
        row = adj[adj["id"] == last_id].iloc[0]
        if (adj.loc[adj["active"], "seq"] > row["seq"]).any():
            raise EditError("newer changes were made after the undo; redo is no longer possible")
        batch = adj[(adj["batch_id"] == row["batch_id"]) & ~adj["active"]] if row["batch_id"] else adj[adj["id"] == last_id]
        self.store.set_adjustments_active(batch["id"].astype(int).tolist(), True, by=by)
        return f"redid {len(batch)} change(s): {describe(batch.iloc[0])}"


def describe(adjustment: pd.Series) -> str:
    """A short human description of one adjustment: 'Electronics 2026-01 +10%'."""
    v = float(adjustment["value"])
    kind = adjustment["type"]
    text = f"{v:+g}%" if kind == "percentage" else f"{v:+,g}" if kind == "additive" else f"set to {v:,g}"
    return f"{adjustment['key']} {adjustment['period']} {text}"


def baseline_forecast_frame(history: pd.DataFrame, horizon: list[str]) -> pd.DataFrame:
    """Used only until the cycle's statistical forecast has been run and stored."""
    return baseline_forecast(history, horizon)


_service: PlanService | None = None
_service_lock = threading.Lock()


def get_service() -> PlanService:
    global _service
    with _service_lock:
        if _service is None:
            store = Store(make_engine())
            store.ensure_ready(seed=True)
            _service = PlanService(store)
        return _service


def get_store() -> Store:
    return get_service().store


def current_plan(version_id: int | None = None) -> PlanResult:
    return get_service().current_plan(version_id)


def upload_files(files: dict[str, bytes], user: str) -> tuple[bool, list[Issue]]:
    return get_service().upload_files(files, user)


def plan_context() -> dict[str, Any]:
    return get_service().plan_context()


__all__ = ["ConflictError", "EditError", "PlanService", "current_plan", "get_service", "get_store", "parse_edit",
           "plan_context", "upload_files"]
