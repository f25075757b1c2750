"""Forecast runs of a cycle: storing a statistical (or uploaded) forecast with the chosen model per
series, and reading the latest run's values and models back.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import select

import data.store as pkg  # _bulk/_insert are looked up on the package when called (tests patch them there)
from data.store.engine import _float, _frame, _now, _text
from data.store.tables import forecast_changes, forecast_models, forecast_runs, forecast_values, plan_versions


class ForecastsMixin:
    """Forecast runs, values and models (part of `Store`)."""

    def save_forecast_run(
        self,
        cycle_id: int,
        forecast: pd.DataFrame,
        models: pd.DataFrame | None,
        *,
        method: str,
        settings: dict[str, Any] | None = None,
        replaces: int | None = None,
        by: str = "system",
        family_totals: pd.DataFrame | None = None,
    ) -> int:
        """Store a statistical forecast (item_id, period, forecast[, model, lo80, hi80, lo95, hi95]).

        With `family_totals` (family, before_total, after_total), the replacement of the cycle's forecast
        (`replaces`: the previous run, None for the interim forecast) is recorded like any change of the
        plan: audit rows per family, and a new revision of the cycle's current draft (so a view of the
        plan from before is known to be stale), in the same transaction.
        """
        with self._write() as conn:
            run_id = self._save_forecast_run(
                conn, cycle_id, forecast, models, method=method, settings=settings or {}
            )
            if family_totals is not None:
                self._record_forecast_change(conn, cycle_id, run_id, replaces, by, family_totals)
            return run_id

    def _record_forecast_change(self, conn: sa.Connection, cycle_id: int, run_id: int, replaces: int | None,
                                by: str, totals: pd.DataFrame) -> None:
        draft = conn.execute(
            select(plan_versions.c.id).where(plan_versions.c.cycle_id == cycle_id, plan_versions.c.kind == "base",
                                             plan_versions.c.status == "draft")
            .order_by(plan_versions.c.number.desc()).limit(1)
        ).scalar_one_or_none()
        if draft is None:
            return  # the cycle's plan is approved: the next draft starts from the new forecast
        revision = self._bump(conn, int(draft), None)
        now = _now()
        rows = [{"cycle_id": cycle_id, "version_id": int(draft), "revision": revision, "old_run_id": replaces,
                 "new_run_id": run_id, "at": now, "by": by, "family": str(r.family),
                 "before_total": float(r.before_total), "after_total": float(r.after_total)}
                for r in totals.itertuples()]
        if rows:
            conn.execute(forecast_changes.insert(), rows)

    def forecast_changes(self, cycle_id: int) -> pd.DataFrame:
        """Every replacement of the cycle's statistical forecast, oldest first: old_run_id, new_run_id,
        at, by, family, before_total, after_total, version_id, revision."""
        with self._read() as conn:
            df = _frame(conn.execute(select(forecast_changes).where(forecast_changes.c.cycle_id == cycle_id)
                                     .order_by(forecast_changes.c.id)))
        if df.empty:
            return pd.DataFrame(columns=[c.name for c in forecast_changes.columns])
        return _float(df, ["before_total", "after_total"])

    def forecast_run(self, run_id: int) -> dict[str, Any] | None:
        """One forecast run: id, cycle_id, created_at, status, method, settings_json."""
        with self._read() as conn:
            row = conn.execute(select(forecast_runs).where(forecast_runs.c.id == int(run_id))).mappings().first()
        return None if row is None else dict(row)

    def _save_forecast_run(
        self,
        conn: sa.Connection,
        cycle_id: int,
        forecast: pd.DataFrame,
        models: pd.DataFrame | None,
        *,
        method: str,
        settings: dict[str, Any],
    ) -> int:
        fc = (
            forecast.rename(columns={"forecast_units": "forecast"})
            if "forecast" not in forecast
            else forecast
        )
        fc = fc.copy()
        for c in ("lo80", "hi80", "lo95", "hi95"):
            if c not in fc.columns:
                fc[c] = np.nan
        if "model" not in fc.columns:
            fc["model"] = method
        run_id = int(
            conn.execute(
                forecast_runs.insert().values(
                    cycle_id=cycle_id,
                    created_at=_now(),
                    status="done",
                    method=method,
                    settings_json=json.dumps(settings, default=str),
                )
            ).inserted_primary_key[0]
        )
        pkg._bulk(
            conn,
            forecast_values,
            fc,
            ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"],
            run_id=run_id,
        )
        if models is not None and len(models):
            m = models.copy()
            for c in ("error", "runner_up", "runner_up_error", "snaive_error", "note"):
                if c not in m.columns:
                    m[c] = None
            pkg._bulk(
                conn,
                forecast_models,
                m,
                ["item_id", "model", "error", "runner_up", "runner_up_error", "snaive_error", "note"],
                run_id=run_id,
            )
        return run_id

    def _latest_run(self, conn: sa.Connection, cycle_id: int) -> int | None:
        return conn.execute(
            select(forecast_runs.c.id)
            .where(forecast_runs.c.cycle_id == cycle_id, forecast_runs.c.status == "done")
            .order_by(forecast_runs.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def _latest_forecast(self, conn: sa.Connection, cycle_id: int) -> pd.DataFrame | None:
        run_id = self._latest_run(conn, cycle_id)
        if run_id is None:
            return None
        return self._run_forecast(conn, run_id)

    def _run_forecast(self, conn: sa.Connection, run_id: int) -> pd.DataFrame:
        cols = ["item_id", "period", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
        df = _frame(
            conn.execute(
                select(*[forecast_values.c[c] for c in cols])
                .where(forecast_values.c.run_id == run_id)
                .order_by(forecast_values.c.item_id, forecast_values.c.period)
            )
        )
        return _text(_float(df, ["forecast", "lo80", "hi80", "lo95", "hi95"]), ["item_id", "period", "model"])

    def latest_forecast(self, cycle_id: int | None = None) -> pd.DataFrame | None:
        """The latest forecast run of a cycle (default: current): item_id, period, model, forecast, lo/hi."""
        with self._read() as conn:
            cid = cycle_id if cycle_id is not None else self._current_cycle(conn)["id"]
            return self._latest_forecast(conn, cid)

    def forecast_models(self, cycle_id: int | None = None) -> pd.DataFrame | None:
        """The chosen model per item of the cycle's latest forecast run, or None."""
        with self._read() as conn:
            cid = cycle_id if cycle_id is not None else self._current_cycle(conn)["id"]
            run_id = self._latest_run(conn, cid)
            if run_id is None:
                return None
            df = _frame(
                conn.execute(
                    select(forecast_models)
                    .where(forecast_models.c.run_id == run_id)
                    .order_by(forecast_models.c.item_id)
                )
            )
        if df.empty:
            return None
        return _float(df.drop(columns="run_id"), ["error", "runner_up_error", "snaive_error"])
