"""Company data: storing an upload (with the sample's past cycles when seeding) and reading it back.

`save_dataset` writes a dataset and opens its cycle and first draft; `dataset_info`, `list_items`,
`plan_state` (what a computed plan depends on), `load_base` (the upload as stored, cacheable),
`load_changes` (a version's active adjustments and capacity changes), `load_company` (the two
combined, as the engine reads it) and the effective capacity of a version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import func, select

import data.store as pkg  # _bulk/_insert are looked up on the package when called (tests patch them there)
from data.schema import next_periods
from data.settings_sheet import apply_settings
from data.store.changes import apply_changes, with_capacity_changes
from data.store.engine import _float, _frame, _now, _records, _text
from data.store.tables import (
    adjustments,
    budget,
    capacity,
    capacity_changes,
    cycles,
    datasets,
    forecast_runs,
    history,
    inventory_count,
    items,
    plan_snapshots,
    production,
    plan_versions,
    settings_history,
    settings_table,
)
from planning.model import (
    ADJUSTMENT_COLUMNS,
    BUDGET_COLUMNS,
    CAPACITY_COLUMNS,
    FORECAST_COLUMNS,
    HISTORY_COLUMNS,
    INVENTORY_COUNT_COLUMNS,
    ITEM_COLUMNS,
    PRODUCTION_COLUMNS,
    CompanyData,
    Settings,
    empty_adjustments,
)


class DatasetsMixin:
    """Saving and loading company data (part of `Store`)."""

    # ------------------------------------------------------------------ saving an upload

    def save_dataset(self, data: CompanyData, *, source: str, user: str = "admin", settings: Settings | None = None,
                     settings_source: str | None = None, warnings: Iterable[tuple[str, str]] = ()) -> int:
        """Store an upload in one transaction: dataset, its settings, new current cycle, new draft base version,
        and the upload's warnings ((key, message) pairs) as the new cycle's data-quality log.

        The file's adjustments become adjustment rows (source 'upload') of the new version; a row without
        a time enters the plan at the upload's time (file order among them), so later grid edits apply
        after it. A given forecast becomes a forecast run (method 'upload'). `settings` are the settings
        the data is planned with (default: SPEC.md's defaults with the data's own settings sheet).
        Returns the dataset id.
        """
        with self._write() as conn:
            dataset_id = self._save_dataset(conn, data, source=source, user=user, settings=settings,
                                            settings_source=settings_source)
            warnings = list(warnings)
            if warnings:
                self._log_quality(conn, int(self._current_cycle(conn)["id"]), "upload", warnings, dataset_id)
            return dataset_id

    def _save_dataset(
        self,
        conn: sa.Connection,
        data: CompanyData,
        *,
        source: str,
        user: str,
        past_cycles: pd.DataFrame | None = None,
        settings: Settings | None = None,
        settings_source: str | None = None,
    ) -> int:
        now = _now()
        dataset_id = conn.execute(
            datasets.insert().values(source=source, created_by=user, created_at=now)
        ).inserted_primary_key[0]
        if settings is None:
            settings = apply_settings(Settings(), data.settings)
            settings_source = settings_source or ("the data's settings sheet" if data.settings else "defaults")
        self._add_settings(conn, int(dataset_id), settings, by=user, source=settings_source or "upload")
        it = data.items.assign(position=np.arange(len(data.items)))
        pkg._bulk(conn, items, it, ITEM_COLUMNS + ["position"], dataset_id=dataset_id)
        pkg._bulk(conn, history, data.history, HISTORY_COLUMNS, dataset_id=dataset_id)
        pkg._bulk(conn, capacity, data.capacity, CAPACITY_COLUMNS, dataset_id=dataset_id)
        if data.budget is not None:
            pkg._bulk(conn, budget, data.budget, BUDGET_COLUMNS, dataset_id=dataset_id)
        if getattr(data, "production", None) is not None and len(data.production):
            pkg._bulk(conn, production, data.production, PRODUCTION_COLUMNS, dataset_id=dataset_id)
        if getattr(data, "inventory_count", None) is not None and len(data.inventory_count):
            pkg._bulk(conn, inventory_count, data.inventory_count, INVENTORY_COUNT_COLUMNS, dataset_id=dataset_id)

        if past_cycles is not None:
            self._store_past_cycles(conn, past_cycles, dataset_id, now)

        period = next_periods(str(data.history["period"].max()), 1)[0]
        conn.execute(
            cycles.update()
            .where(cycles.c.period == period, cycles.c.status.in_(["open", "approved"]))
            .values(status="superseded")
        )
        cycle_id = conn.execute(
            cycles.insert().values(period=period, status="open", dataset_id=dataset_id, created_at=now)
        ).inserted_primary_key[0]
        version_id = self._new_version(
            conn, cycle_id, number=1, kind="base", name="Base plan", parent_id=None, by=user
        )
        adj = data.adjustments
        if len(adj):
            adj = adj.sort_values("seq", kind="stable").assign(seq=np.arange(len(adj)))
            adj["created_at"] = pd.to_datetime(adj["created_at"]).fillna(pd.Timestamp(now))
            pkg._insert(
                conn,
                adjustments,
                _records(
                    adj,
                    ["seq", "level", "key", "period", "type", "value", "reason", "owner", "created_at"],
                    version_id=version_id,
                    recorded_at=now,
                    before_value=None,
                    after_value=None,
                    source="upload",
                    batch_id=f"upload-{dataset_id}",
                    active=True,
                ),
            )
        if data.forecast is not None and len(data.forecast):
            fc = data.forecast.rename(columns={"forecast_units": "forecast"})
            self._save_forecast_run(
                conn, cycle_id, fc.assign(model="upload"), None, method="upload", settings={}
            )
        return int(dataset_id)

    def _store_past_cycles(
        self, conn: sa.Connection, past: pd.DataFrame, dataset_id: int, now: dt.datetime
    ) -> None:
        """Approved versions of earlier cycles with their plan snapshots (the sample's history of plans)."""
        for cycle_period, rows in past.groupby("cycle_period", sort=True):
            approved_at = pd.Timestamp(str(cycle_period) + "-20 10:00").to_pydatetime()
            cycle_id = conn.execute(
                cycles.insert().values(
                    period=str(cycle_period), status="closed", dataset_id=dataset_id, created_at=approved_at
                )
            ).inserted_primary_key[0]
            version_id = self._new_version(
                conn,
                cycle_id,
                number=1,
                kind="base",
                name="Base plan",
                parent_id=None,
                by="system",
                created_at=approved_at,
            )
            conn.execute(
                plan_versions.update()
                .where(plan_versions.c.id == version_id)
                .values(status="approved", approved_at=approved_at, approved_by="executive", revision=1)
            )
            pkg._bulk(
                conn,
                plan_snapshots,
                rows.assign(owner=rows["owner"].fillna("")) if "owner" in rows else rows.assign(owner=""),
                ["item_id", "period", "statistical", "consensus", "owner"],
                version_id=version_id,
            )

    def _dataset_id(self, conn: sa.Connection, version_id: int | None = None) -> int:
        if version_id is None:
            did = conn.execute(select(func.max(datasets.c.id))).scalar_one()
        else:
            did = conn.execute(
                select(cycles.c.dataset_id)
                .join(plan_versions, plan_versions.c.cycle_id == cycles.c.id)
                .where(plan_versions.c.id == version_id)
            ).scalar_one_or_none()
        if did is None:
            raise LookupError(
                "no data has been stored yet" if version_id is None else f"no version {version_id}"
            )
        return int(did)

    # ------------------------------------------------------------------ reading

    def dataset_info(self) -> dict[str, Any]:
        """The latest dataset: id, source, created_by, created_at, n_items, n_families, first/last period."""
        with self._read() as conn:
            did = self._dataset_id(conn)
            row = conn.execute(select(datasets).where(datasets.c.id == did)).mappings().one()
            n_items, n_fam = conn.execute(
                select(func.count(), func.count(sa.distinct(items.c.family))).where(items.c.dataset_id == did)
            ).one()
            first, last = conn.execute(
                select(func.min(history.c.period), func.max(history.c.period)).where(
                    history.c.dataset_id == did
                )
            ).one()
        return {
            **dict(row),
            "n_items": int(n_items),
            "n_families": int(n_fam),
            "first_period": first,
            "last_period": last,
        }

    def plan_state(self, version_id: int | None = None) -> dict[str, Any]:
        """What a computed plan depends on: dataset_id, cycle_id, version_id, revision, forecast_run_id
        (latest done run of the cycle, or None) and settings_key (a digest of the stored settings, '' for
        defaults). Any stored change moves at least one of them. Every callback of a page asks for it: read
        once per store revision (`Store.cached`)."""
        return dict(self.cached("plan_state", version_id, lambda: self._plan_state(version_id)))

    def _plan_state(self, version_id: int | None = None) -> dict[str, Any]:
        """`plan_state` from the tables, in one query."""
        pv, cy = plan_versions, cycles
        if version_id is None:  # the latest base version of the current cycle
            current_cycle = select(func.max(cy.c.id)).correlate(None).scalar_subquery()
            target = (
                select(pv.c.id)
                .where(pv.c.cycle_id == current_cycle, pv.c.kind == "base")
                .order_by(pv.c.number.desc())
                .limit(1)
                .correlate(None)
                .scalar_subquery()
            )
        else:
            target = sa.literal(int(version_id))
        latest_run = (
            select(func.max(forecast_runs.c.id))
            .where(forecast_runs.c.cycle_id == pv.c.cycle_id, forecast_runs.c.status == "done")
            .correlate(pv)
            .scalar_subquery()
        )
        frozen = pv.c.approved_at.is_not(None) & pv.c.settings_json.is_not(None)  # what approval froze
        run = sa.case((frozen, pv.c.forecast_run_id), else_=latest_run)
        legacy = (
            select(settings_table.c.value_json)
            .where(settings_table.c.key == "settings")
            .correlate(None)
            .scalar_subquery()
        )
        per_dataset = (
            select(settings_history.c.value_json)
            .where(settings_history.c.dataset_id == cy.c.dataset_id)
            .order_by(settings_history.c.id.desc())
            .limit(1)
            .correlate(cy)
            .scalar_subquery()
        )
        stored = sa.case((frozen, pv.c.settings_json), else_=func.coalesce(per_dataset, legacy))
        stmt = (
            select(pv.c.id, pv.c.cycle_id, pv.c.revision, pv.c.status, cy.c.dataset_id, run.label("run"),
                   stored.label("settings"))
            .join(cy, cy.c.id == pv.c.cycle_id)
            .where(pv.c.id == target)
        )
        with self._read() as conn:
            row = conn.execute(stmt).first()
        if row is None and version_id is None:
            return self._plan_state(self.current_version()["id"])  # a cycle without a version yet: its first draft
        if row is None:
            raise LookupError(f"no version {version_id}")
        digest = hashlib.sha1(row.settings.encode()).hexdigest() if row.settings else ""
        return {
            "dataset_id": int(row.dataset_id),
            "cycle_id": int(row.cycle_id),
            "version_id": int(row.id),
            "revision": int(row.revision),
            "forecast_run_id": None if row.run is None else int(row.run),
            "settings_key": digest,
            "status": str(row.status),
        }

    def list_items(self, version_id: int | None = None) -> pd.DataFrame:
        """The items of a version's dataset (default: the latest dataset), in file order."""
        with self._read() as conn:
            did = self._dataset_id(conn, version_id)
            it = _frame(
                conn.execute(
                    select(*[items.c[c] for c in ITEM_COLUMNS])
                    .where(items.c.dataset_id == did)
                    .order_by(items.c.position)
                )
            )
        return _text(
            _float(it, ["unit_price", "unit_cost", "opening_inventory", "safety_days"]),
            ["item_id", "family", "description"],
        )

    def _base_capacity(self, conn: sa.Connection, dataset_id: int) -> pd.DataFrame:
        ca = _frame(
            conn.execute(
                select(*[capacity.c[c] for c in CAPACITY_COLUMNS])
                .where(capacity.c.dataset_id == dataset_id)
                .order_by(capacity.c.family, capacity.c.resource, capacity.c.period)
            )
        )
        return _text(_float(ca, ["capacity_units", "overtime_pct"]), ["family", "period", "resource"])

    def _capacity(self, conn: sa.Connection, dataset_id: int, chain: list[int]) -> pd.DataFrame:
        """The dataset's capacity with the chain's latest active change per family/period/resource."""
        return with_capacity_changes(self._base_capacity(conn, dataset_id),
                                     self._chain_rows(conn, capacity_changes, chain, active_only=True))

    def effective_capacity(self, version_id: int | None = None) -> pd.DataFrame:
        """Capacity of a version (default: the current draft) as the engine reads it, per resource."""
        if version_id is None:
            version_id = self.latest_version()["id"]
        with self._read() as conn:
            return self._capacity(conn, self._dataset_id(conn, version_id), self._chain(conn, version_id))

    def load_base(self, dataset_id: int, cycle_id: int, run_id: int | None | str = "latest") -> CompanyData:
        """A dataset as uploaded, with a forecast run of its cycle (default: the latest; None: no run, the
        interim forecast): no adjustments and no capacity changes (those change with every edit; see
        `load_changes`). Cacheable per (dataset, forecast run)."""
        with self._read() as conn:
            it = _frame(conn.execute(select(*[items.c[c] for c in ITEM_COLUMNS])
                                     .where(items.c.dataset_id == dataset_id).order_by(items.c.position)))
            hi = _frame(conn.execute(select(*[history.c[c] for c in HISTORY_COLUMNS])
                                     .where(history.c.dataset_id == dataset_id)
                                     .order_by(history.c.item_id, history.c.period)))
            ca = self._base_capacity(conn, dataset_id)
            bu = _frame(conn.execute(select(*[budget.c[c] for c in BUDGET_COLUMNS])
                                     .where(budget.c.dataset_id == dataset_id)
                                     .order_by(budget.c.family, budget.c.period)))
            pr = _frame(conn.execute(select(*[production.c[c] for c in PRODUCTION_COLUMNS])
                                     .where(production.c.dataset_id == dataset_id)
                                     .order_by(production.c.family, production.c.period)))
            ic = _frame(conn.execute(select(*[inventory_count.c[c] for c in INVENTORY_COUNT_COLUMNS])
                                     .where(inventory_count.c.dataset_id == dataset_id)
                                     .order_by(inventory_count.c.item_id, inventory_count.c.period)))
            fc = self._latest_forecast(conn, cycle_id) if run_id == "latest" else (
                None if run_id is None else self._run_forecast(conn, int(run_id)))
        it = _text(_float(it, ["unit_price", "unit_cost", "opening_inventory", "safety_days"]),
                   ["item_id", "family", "description"])
        hi = _text(_float(hi, ["actual_units", "forecast_units"]), ["item_id", "period"])
        bu = _text(_float(bu, ["revenue", "units"]), ["family", "period"]) if len(bu) else None
        pr = _text(_float(pr, ["produced_units"]), ["family", "period"]) if len(pr) else None
        ic = _text(_float(ic, ["counted", "recorded"]), ["item_id", "period"]) if len(ic) else None
        forecast = None
        if fc is not None:
            # the chosen model per series travels with a computed run (an uploaded one has none)
            cols = FORECAST_COLUMNS + (["model"] if (fc["model"] != "upload").any() else [])
            forecast = fc.rename(columns={"forecast": "forecast_units"})[cols].reset_index(drop=True)
        return CompanyData(items=it[ITEM_COLUMNS], history=hi[HISTORY_COLUMNS], capacity=ca[CAPACITY_COLUMNS],
                           forecast=forecast, adjustments=empty_adjustments(), budget=bu, production=pr,
                           inventory_count=ic)

    def load_changes(self, version_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The active adjustments (engine layout, seq renumbered 0..n-1) and capacity changes of a
        version's chain, parents first."""
        with self._read() as conn:
            chain = self._chain(conn, version_id)
            adj = self._chain_rows(conn, adjustments, chain, active_only=True)
            cap = self._chain_rows(conn, capacity_changes, chain, active_only=True)
        if len(adj):
            adj = adj.assign(seq=np.arange(len(adj), dtype="int64"))[ADJUSTMENT_COLUMNS]
            adj = _text(_float(adj, ["value"]), ["level", "key", "period", "type", "reason", "owner"])
            adj["created_at"] = pd.to_datetime(adj["created_at"]).astype("datetime64[ns]")
        else:
            adj = empty_adjustments()
        return adj, cap

    def load_company(self, version_id: int | None = None) -> CompanyData:
        """The company data of a version (default: the current draft) as the engine reads it.

        Adjustments are the active ones of the version's chain (parents first) in order, renumbered
        0..n-1; capacity has the latest active capacity change per family/period/resource applied;
        forecast is the cycle's latest forecast run, or None.
        """
        if version_id is None:
            version_id = self.latest_version()["id"]
        state = self.plan_state(version_id)
        base = self.load_base(state["dataset_id"], state["cycle_id"], state["forecast_run_id"])
        return apply_changes(base, *self.load_changes(version_id))
