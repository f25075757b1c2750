"""The store: every cycle, version, audit row and upload, in SQLite (default) or PostgreSQL.

Design (DESIGN.md "The store"):
- company data is stored per upload (`datasets` + items/history/capacity/budget rows);
- a `cycle` is one planning month holding plan `versions` (draft → approved; base or scenario);
- adjustments and capacity changes are append-only audit rows; a version's values are derived
  from the active rows of its chain of versions (a new draft after approval has the approved
  version as parent and starts with no rows of its own); undo/redo are `adjustment_events`;
- every write is one transaction; `plan_versions.revision` detects two people writing at once.

`Store` (in `core.py`) is the one entry point; its methods live in mixins, one module per subject:

- `tables.py`     the schema (`metadata`, every table) and constants (`ROLES`, `SAMPLE_SOURCE`);
- `engine.py`     `make_engine`, `_now` and the DataFrame read/bulk-insert helpers;
- `core.py`       `Store`: connections, transactions, `ensure_ready` (create, upgrade, seed);
- `datasets.py`   saving an upload, loading company data, `plan_state`, effective capacity;
- `versions.py`   cycles, versions, scenarios, the version chain, the revision check, approval;
- `scenarios.py`  named scenarios: description, owner, setting overrides, promotion;
- `changes.py`    adjustments and capacity changes (write, list), `apply_changes`;
- `undo.py`       undo/redo of whole changes and their events;
- `forecasts.py`  forecast runs, values and models;
- `meeting.py`    assumptions, decisions, action items, KPI history;
- `cycle.py`      the five-week checklist, the data-quality log, the records of the process measures;
- `users.py`      users, passwords, roles and the planner's settings.
- `accounts.py`   sign-in sessions kept on the server, the administrator's audited changes to users.

The mixins call one another through `self` (e.g. `DatasetsMixin` uses `VersionsMixin._new_version`),
and look up `_bulk`/`_insert` on this package when they write, so patching `data.store._bulk`
reaches every write. Import from `data.store`, not from the modules.
"""

from __future__ import annotations

from data.store.changes import (
    ADJUSTMENT_ROW_COLUMNS,
    CAPACITY_ROW_COLUMNS,
    apply_changes,
    with_capacity_changes,
)
from data.store.core import Store
from data.store.engine import DEFAULT_URL, FAST_MIN_ROWS, REPO, make_engine
from data.store.engine import _bulk as _bulk  # the mixins write through data.store._bulk/_insert:
from data.store.engine import _insert as _insert  # patch them here (tests do) to reach every write
from data.store.tables import (
    ID,
    ROLES,
    SAMPLE_SOURCE,
    action_items,
    adjustment_events,
    adjustments,
    adjustments_table,
    assumptions,
    budget,
    capacity,
    capacity_changes,
    capacity_table,
    change_events,
    cycle_checklist,
    cycles,
    data_quality_log,
    datasets,
    decisions,
    forecast_changes,
    forecast_models,
    forecast_runs,
    forecast_values,
    history,
    items,
    kpi_history,
    metadata,
    plan_snapshots,
    plan_versions,
    scenario_meta,
    settings_history,
    settings_table,
    user_events,
    user_sessions,
    users,
)
from data.store.undo import NOT_UNDOABLE
from data.store.versions import ConflictError

__all__ = [
    "ADJUSTMENT_ROW_COLUMNS",
    "CAPACITY_ROW_COLUMNS",
    "DEFAULT_URL",
    "FAST_MIN_ROWS",
    "ID",
    "NOT_UNDOABLE",
    "REPO",
    "ROLES",
    "SAMPLE_SOURCE",
    "ConflictError",
    "Store",
    "action_items",
    "adjustment_events",
    "adjustments",
    "adjustments_table",
    "apply_changes",
    "assumptions",
    "budget",
    "capacity",
    "capacity_changes",
    "capacity_table",
    "change_events",
    "cycle_checklist",
    "cycles",
    "data_quality_log",
    "datasets",
    "decisions",
    "forecast_models",
    "forecast_changes",
    "forecast_runs",
    "forecast_values",
    "history",
    "items",
    "kpi_history",
    "make_engine",
    "metadata",
    "plan_snapshots",
    "plan_versions",
    "scenario_meta",
    "settings_history",
    "settings_table",
    "user_events",
    "user_sessions",
    "users",
    "with_capacity_changes",
]
