"""Named scenarios: their own facts (description, owner, setting overrides, promotion) beside their version.

A scenario is a `plan_versions` row of kind 'scenario' (see `VersionsMixin.create_scenario`: a copy of its
parent's changes) with one `scenario_meta` row. Its settings are those of its data with the scenario's
overrides (`version_settings` here wraps the plain one); changing the overrides bumps the scenario's
revision, so a plan cached for the old overrides is never reused.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pandas as pd
from sqlalchemy import select

from data.store.engine import _frame, _now
from data.store.tables import plan_versions, scenario_meta
from planning.model import Settings

SETTING_NAMES = {f.name for f in dataclasses.fields(Settings)} - {"targets", "scenario_weights", "horizon"}


def scenario_extras(raw: str | None) -> dict[str, Any]:
    """{"settings": {name: value}, "capacity_cost": float, "prices": [price change rows]} of a stored
    settings_json (price changes: planning.finance.PRICE_COLUMNS, in order)."""
    out = json.loads(raw) if raw else {}
    return {"settings": {k: v for k, v in (out.get("settings") or {}).items() if k in SETTING_NAMES},
            "capacity_cost": float(out.get("capacity_cost") or 0.0),
            "prices": list(out.get("prices") or [])}


class ScenariosMixin:
    """Scenario descriptions, setting overrides and promotion (part of `Store`)."""

    def version_settings(self, version_id: int) -> Settings:
        settings = super().version_settings(version_id)  # type: ignore[misc]
        extras = self.scenario_extras(version_id)
        return dataclasses.replace(settings, **extras["settings"]) if extras["settings"] else settings

    def scenario_extras(self, version_id: int) -> dict[str, Any]:
        with self._read() as conn:
            raw = conn.execute(select(scenario_meta.c.settings_json)
                               .where(scenario_meta.c.version_id == version_id)).scalar_one_or_none()
        return scenario_extras(raw)

    def list_scenarios(self, cycle_id: int | None = None) -> pd.DataFrame:
        """The scenarios of a cycle (default: the current one), oldest first: id, number, name, status,
        parent_id, parent_name, parent_kind, revision, created_at, created_by, description, owner,
        settings_json, promoted_at, promoted_by, promoted_to."""
        pv, parent, m = plan_versions, plan_versions.alias("parent"), scenario_meta
        with self._read() as conn:
            cid = cycle_id if cycle_id is not None else self._current_cycle(conn)["id"]
            stmt = (
                select(pv.c.id, pv.c.number, pv.c.name, pv.c.status, pv.c.parent_id,
                       parent.c.name.label("parent_name"), parent.c.kind.label("parent_kind"), pv.c.revision,
                       pv.c.created_at, pv.c.created_by, m.c.description, m.c.owner, m.c.settings_json,
                       m.c.promoted_at, m.c.promoted_by, m.c.promoted_to)
                .select_from(pv.outerjoin(parent, parent.c.id == pv.c.parent_id)
                             .outerjoin(m, m.c.version_id == pv.c.id))
                .where(pv.c.cycle_id == cid, pv.c.kind == "scenario")
                .order_by(pv.c.number)
            )
            return _frame(conn.execute(stmt))

    def set_scenario_extras(self, version_id: int, *, settings: dict[str, Any] | None = None,
                            capacity_cost: float | None = None, prices: list[dict[str, Any]] | None = None,
                            by: str = "admin", expected_revision: int | None = None) -> int:
        """Change a scenario's setting overrides, added-capacity cost and/or price changes (one transaction,
        revision + 1)."""
        with self._write() as conn:
            v = self._version(conn, version_id)
            if v["kind"] != "scenario":
                raise ValueError(f"version {v['number']} is not a scenario")
            raw = conn.execute(select(scenario_meta.c.settings_json)
                               .where(scenario_meta.c.version_id == version_id)).scalar_one_or_none()
            extras = scenario_extras(raw)
            if settings is not None:
                extras["settings"] = {k: v for k, v in settings.items() if k in SETTING_NAMES}
            if capacity_cost is not None:
                extras["capacity_cost"] = float(capacity_cost)
            if prices is not None:
                extras["prices"] = list(prices)
            revision = self._bump(conn, version_id, expected_revision)
            text = json.dumps(extras, sort_keys=True)
            done = conn.execute(scenario_meta.update().where(scenario_meta.c.version_id == version_id)
                                .values(settings_json=text))
            if done.rowcount == 0:
                conn.execute(scenario_meta.insert().values(version_id=version_id, settings_json=text,
                                                           created_at=_now(), created_by=by))
            return revision

    def mark_promoted(self, version_id: int, *, by: str, to: int) -> None:
        with self._write() as conn:
            done = conn.execute(scenario_meta.update().where(scenario_meta.c.version_id == version_id)
                                .values(promoted_at=_now(), promoted_by=by, promoted_to=to))
            if done.rowcount == 0:
                conn.execute(scenario_meta.insert().values(version_id=version_id, promoted_at=_now(),
                                                           promoted_by=by, promoted_to=to))
