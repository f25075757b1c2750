"""`Store`, the one entry point: composed of the mixins of the other modules, it holds the engine and
the connections (`_read`, `_write`) and sets a database up (`ensure_ready`: tables, columns added
by later schema versions, the sample company on first start).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from data.store.accounts import AccountsMixin
from data.store.changes import ChangesMixin
from data.store.cycle import CycleMixin
from data.store.datasets import DatasetsMixin
from data.store.engine import _now
from data.store.forecasts import ForecastsMixin
from data.store.maturity import MaturityMixin
from data.store.meeting import MeetingMixin
from data.store.rollover import RolloverMixin
from data.store.scenarios import ScenariosMixin
from data.store.meeting_live import MeetingLiveMixin
from data.store.tables import SAMPLE_SOURCE, datasets, metadata, settings_table
from data.store.undo import UndoMixin
from data.store.users import UsersMixin
from data.store.versions import VersionsMixin


class Store(ScenariosMixin, DatasetsMixin, VersionsMixin, ChangesMixin, UndoMixin, ForecastsMixin, MeetingMixin,
            MeetingLiveMixin, UsersMixin, RolloverMixin, CycleMixin, AccountsMixin, MaturityMixin):
    """All reads and writes of the product's data. Each public write is one transaction."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(write=True)

    def _write(self) -> Any:
        """A write transaction (on SQLite it takes the write lock at BEGIN)."""
        return self._writer.begin()

    def _read(self) -> Any:
        return self.engine.connect()

    # ------------------------------------------------------------------ setup

    def ensure_ready(self, seed: bool = True) -> None:
        """Create the tables; when no dataset exists, store the sample company, its past cycles and their
        meetings."""
        metadata.create_all(self.engine)
        self._add_missing_columns()
        if not seed:
            return
        with self._read() as conn:
            if conn.execute(select(func.count()).select_from(datasets)).scalar_one():
                return
        from data.sample import sample_company, sample_meeting_records, sample_past_cycles, sample_settings
        from data.store.sample_seed import store_sample_meetings

        data, past, meetings = sample_company(), sample_past_cycles(), sample_meeting_records()
        try:
            with self._write() as conn:
                # a marker row: a second worker seeding at the same time fails here and rolls back
                conn.execute(
                    settings_table.insert(), {"key": "_seeded", "value_json": json.dumps(_now().isoformat())}
                )
                # the sample company's own settings (safety stock kept as a floor) belong to its data
                dataset_id = self._save_dataset(conn, data, source=SAMPLE_SOURCE, user="system", past_cycles=past,
                                                settings=sample_settings(),
                                                settings_source="the sample company's settings")
                # the past cycles' meetings: agenda, attendees, decisions, actions (open ones carried), KPIs
                store_sample_meetings(conn, meetings, dataset_id)
        except IntegrityError:
            with self._read() as conn:
                if not conn.execute(select(func.count()).select_from(datasets)).scalar_one():
                    raise

    def _add_missing_columns(self) -> None:
        """Add the nullable columns that later versions of the schema added to existing tables."""
        inspector = sa.inspect(self.engine)
        present = set(inspector.get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for col in table.columns:
                if col.name in have or not col.nullable or col.primary_key:
                    continue
                try:
                    with self._write() as conn:
                        q = conn.dialect.identifier_preparer
                        conn.exec_driver_sql(
                            f"ALTER TABLE {q.quote(table.name)} ADD COLUMN {q.quote(col.name)} "
                            f"{col.type.compile(dialect=conn.dialect)}"
                        )
                except sa.exc.DBAPIError:  # another worker added it at the same moment
                    if col.name not in {c["name"] for c in sa.inspect(self.engine).get_columns(table.name)}:
                        raise
