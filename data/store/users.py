"""Users (hashed passwords, roles from `ROLES`, the default admin) and the planner's settings
(stored as JSON; defaults for anything never saved).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from data.store.engine import _frame, _now
from data.store.tables import ROLES, settings_history, settings_table, user_events, users
from planning.model import DEFAULT_TARGETS, KpiTarget, Settings


class UsersMixin:
    """Users and settings (part of `Store`)."""

    def get_settings(self, dataset_id: int | None = None) -> Settings:
        """The settings in force for a dataset (default: the latest): its newest settings row, else the
        settings an older database kept for every dataset, else the defaults of SPEC.md."""
        with self._read() as conn:
            raw = self._settings_json(conn, dataset_id)
        return settings_from_json(raw)

    def _settings_json(self, conn: sa.Connection, dataset_id: int | None) -> str | None:
        did = dataset_id if dataset_id is not None else self._dataset_id(conn)
        raw = conn.execute(
            select(settings_history.c.value_json).where(settings_history.c.dataset_id == did)
            .order_by(settings_history.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        if raw is None:  # a database from before settings belonged to the data
            raw = conn.execute(
                select(settings_table.c.value_json).where(settings_table.c.key == "settings")
            ).scalar_one_or_none()
        return raw

    def version_settings(self, version_id: int) -> Settings:
        """The settings a version's plan is made with: frozen at approval, else those of its dataset."""
        from data.store.tables import cycles, plan_versions

        with self._read() as conn:
            row = conn.execute(
                select(plan_versions.c.settings_json, plan_versions.c.approved_at, cycles.c.dataset_id)
                .join(cycles, cycles.c.id == plan_versions.c.cycle_id).where(plan_versions.c.id == version_id)
            ).first()
            if row is None:
                raise LookupError(f"no version {version_id}")
            if row.approved_at is not None and row.settings_json is not None:
                return settings_from_json(row.settings_json)
            return settings_from_json(self._settings_json(conn, int(row.dataset_id)))

    def settings_info(self, dataset_id: int | None = None) -> dict[str, Any]:
        """Where the settings in force come from and since when: {source, since, by}."""
        with self._read() as conn:
            did = dataset_id if dataset_id is not None else self._dataset_id(conn)
            row = conn.execute(
                select(settings_history).where(settings_history.c.dataset_id == did)
                .order_by(settings_history.c.id.desc()).limit(1)
            ).mappings().first()
        if row is None:
            return {"source": "defaults", "since": None, "by": None}
        return {"source": row["source"], "since": row["created_at"], "by": row["created_by"]}

    def save_settings(self, settings: Settings, *, by: str = "admin", source: str = "settings form",
                      dataset_id: int | None = None) -> None:
        """Store new settings for a dataset (default: the latest); earlier ones stay as its history."""
        with self._write() as conn:
            did = dataset_id if dataset_id is not None else self._dataset_id(conn)
            self._add_settings(conn, did, settings, by=by, source=source)

    def _add_settings(self, conn: sa.Connection, dataset_id: int, settings: Settings, *, by: str,
                      source: str) -> None:
        conn.execute(settings_history.insert().values(
            dataset_id=dataset_id, value_json=settings_json(settings), source=source, created_at=_now(),
            created_by=by))

    def add_user(self, username: str, password: str, role: str, *, by: str | None = None) -> int:
        """A new user with a hashed password; role is one of ROLES. With `by`, the addition is recorded
        in `user_events` in the same transaction."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not username.strip() or not password:
            raise ValueError("username and password are required")
        now = _now()
        with self._write() as conn:
            new_id = int(
                conn.execute(
                    users.insert().values(
                        username=username.strip(), password_hash=generate_password_hash(password), role=role,
                        disabled=False, created_at=now, password_changed_at=now,
                    )
                ).inserted_primary_key[0]
            )
            if by is not None:
                conn.execute(user_events.insert().values(at=now, by=by, username=username.strip(), event="added",
                                                         detail=f"role {role}"))
            return new_id

    def ensure_admin(self, password: str) -> bool:
        """Create the user 'admin' (role admin) when no admin exists; True when it was created."""
        with self._read() as conn:
            if conn.execute(select(users.c.id).where(users.c.role == "admin").limit(1)).first() is not None:
                return False
        try:
            self.add_user("admin", password, "admin")
        except IntegrityError:  # another worker created it, or a non-admin is called 'admin'
            return False
        return True

    def check_password(self, username: str, password: str) -> dict[str, Any] | None:
        """{id, username, role} when the password is right and the user is not disabled, else None."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.username == username.strip())).mappings().first()
        if row is None:  # the same work as for a real user: user names cannot be told by the time taken
            check_password_hash(_dummy_hash(), password)
            return None
        if not check_password_hash(row["password_hash"], password):
            return None
        if row["disabled"]:
            return None
        return {"id": row["id"], "username": row["username"], "role": row["role"]}

    def has_password(self, username: str, password: str) -> bool:
        """Whether a user exists with exactly this password (disabled or not): for spotting demo and
        default passwords. The answer is cached per stored hash, so it follows password changes."""
        with self._read() as conn:
            stored = conn.execute(select(users.c.password_hash).where(users.c.username == username)
                                  ).scalar_one_or_none()
        return stored is not None and _hash_matches(stored, password)

    def get_user(self, username: str) -> dict[str, Any] | None:
        """{id, username, role, disabled, created_at, password_changed_at} of one user, or None."""
        with self._read() as conn:
            row = conn.execute(
                select(users.c.id, users.c.username, users.c.role, users.c.disabled, users.c.created_at,
                       users.c.password_changed_at).where(users.c.username == username)
            ).mappings().first()
        if row is None:
            return None
        return {**dict(row), "disabled": bool(row["disabled"])}

    def list_users(self) -> pd.DataFrame:
        """id, username, role, disabled, created_at (never the hashes)."""
        with self._read() as conn:
            df = _frame(
                conn.execute(select(users.c.id, users.c.username, users.c.role, users.c.disabled,
                                    users.c.created_at).order_by(users.c.id))
            )
        df["disabled"] = df["disabled"].fillna(False).astype(bool)
        return df


def settings_json(settings: Settings) -> str:
    return json.dumps(dataclasses.asdict(settings), sort_keys=True)


def settings_from_json(raw: str | None) -> Settings:
    """Settings from their stored JSON (defaults for anything missing; unknown names ignored)."""
    if raw is None:
        return Settings()
    stored = json.loads(raw)
    names = {f.name for f in dataclasses.fields(Settings)}
    values = {k: v for k, v in stored.items() if k in names}
    if "targets" in values:
        targets = dict(DEFAULT_TARGETS)
        targets.update({k: KpiTarget(**v) for k, v in values["targets"].items()})
        values["targets"] = targets
    if "scenario_weights" in values:
        values["scenario_weights"] = tuple(values["scenario_weights"])
    if "forecast_candidates" in values:
        values["forecast_candidates"] = tuple(str(c) for c in values["forecast_candidates"] or ())
    return Settings(**values)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, checked against when the user is unknown."""
    import secrets

    return generate_password_hash(secrets.token_hex(16))


@functools.lru_cache(maxsize=256)
def _hash_matches(password_hash: str, password: str) -> bool:
    """check_password_hash, cached: a hash check takes a quarter of a second and the login page asks
    for every demo account on each render."""
    return check_password_hash(password_hash, password)
