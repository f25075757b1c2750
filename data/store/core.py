"""`Store`, the one entry point: composed of the mixins of the other modules, it holds the engine and
the connections (`_read`, `_write`) and sets a database up (`ensure_ready`: tables, columns added
by later schema versions, the sample company on first start).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

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
from data.store.tables import SAMPLE_SOURCE, datasets, metadata, settings_table, store_revision
from data.store.undo import UndoMixin
from data.store.users import UsersMixin
from data.store.versions import VersionsMixin

T = TypeVar("T")
CACHE_SIZE = 8  # values kept per cached name (a few plan states / dates at once)


class Store(ScenariosMixin, DatasetsMixin, VersionsMixin, ChangesMixin, UndoMixin, ForecastsMixin, MeetingMixin,
            MeetingLiveMixin, UsersMixin, RolloverMixin, CycleMixin, AccountsMixin, MaturityMixin):
    """All reads and writes of the product's data. Each public write is one transaction."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(write=True)
        self._cache: dict[str, OrderedDict[tuple[int, Hashable], Any]] = {}
        self._cache_lock = threading.Lock()

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A write transaction (on SQLite it takes the write lock at BEGIN). Its last statement moves the
        store's revision (see `cached`); a transaction that fails moves nothing."""
        with self._writer.begin() as conn:
            yield conn
            if conn.execute(store_revision.update().where(store_revision.c.id == 1)
                            .values(n=store_revision.c.n + 1)).rowcount == 0:
                conn.execute(store_revision.insert().values(id=1, n=1))

    def revision(self) -> int:
        """The store's revision: moves with every write transaction, from this process or any other. Read on
        the driver's connection (a plain one-row SELECT: 0.01 ms where SQLAlchemy's round trip is 0.8 ms)."""
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SELECT n FROM store_revision WHERE id = 1")
            row = cur.fetchone()
            cur.close()
        finally:
            raw.close()  # back to the pool, which rolls back what the driver began
        return int(row[0]) if row else 0

    def cached(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per (`name`, `key`) and store revision: a read that many callbacks of one page
        load repeat. The revision is read first, so a value is served only while nothing was written since
        (in any process); the newest few values per name are kept. Callers must not change what they get."""
        rev = self.revision()
        with self._cache_lock:
            memo = self._cache.setdefault(name, OrderedDict())
            if (rev, key) in memo:
                memo.move_to_end((rev, key))
                return memo[(rev, key)]
        value = compute()
        with self._cache_lock:
            for old in [k for k in memo if k[0] != rev]:  # older revisions are never asked for again
                del memo[old]
            memo[(rev, key)] = value
            while len(memo) > CACHE_SIZE:
                memo.popitem(last=False)
        return value

    def _read(self) -> Any:
        return self.engine.connect()

    # ------------------------------------------------------------------ reads every page load repeats
    # (the header, the shell and most callbacks ask for them): once per store revision, each caller a copy

    def current_cycle(self) -> dict[str, Any]:
        return dict(self.cached("current_cycle", None, super().current_cycle))

    def latest_version(self) -> dict[str, Any]:
        return dict(self.cached("latest_version", None, super().latest_version))

    def dataset_info(self) -> dict[str, Any]:
        return dict(self.cached("dataset_info", None, super().dataset_info))

    def get_user(self, username: str) -> dict[str, Any] | None:
        user = self.cached("get_user", username, lambda: super(Store, self).get_user(username))
        return None if user is None else dict(user)

    def version_settings(self, version_id: int) -> Any:
        return copy.deepcopy(self.cached("version_settings", int(version_id),
                                         lambda: super(Store, self).version_settings(version_id)))

    # ------------------------------------------------------------------ setup

    def ensure_ready(self, seed: bool = True) -> None:
        """Create the tables; when no dataset exists, store the sample company, its past cycles and their
        meetings."""
        metadata.create_all(self.engine)
        try:
            with self._writer.begin() as conn:
                if conn.execute(select(func.count()).select_from(store_revision)).scalar_one() == 0:
                    conn.execute(store_revision.insert().values(id=1, n=0))
        except IntegrityError:  # another worker inserted it at the same moment
            pass
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
