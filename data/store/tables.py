"""The schema: the SQLAlchemy `metadata` with every table of the product, and the store's constants.

Company data per upload (`datasets`, `items`, `history`, `capacity`, `budget`); planning cycles and
their plan versions (`cycles`, `plan_versions`, `plan_snapshots`); the append-only audit rows of
adjustments and capacity changes with their undo/redo events; forecast runs; the meeting records
(assumptions, decisions, action items, KPI history); users and settings. Also `ROLES`,
`SAMPLE_SOURCE` and the aliases `adjustments_table`/`capacity_table` for methods whose arguments
shadow the table names. Nothing here touches a database.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

ROLES = ("executive", "demand_planner", "supply_planner", "facilitator", "admin")
SAMPLE_SOURCE = "sample company"

metadata = MetaData()
ID = 100  # length of identifiers (item ids, families, users)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(255), nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
items = Table(
    "items",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("family", String(ID), nullable=False),
    Column("unit_price", Float, nullable=False),
    Column("unit_cost", Float, nullable=False),
    Column("opening_inventory", Float, nullable=False),
    Column("safety_days", Float),
    Column("description", Text, nullable=False),
    Column("position", Integer, nullable=False),
)
history = Table(
    "history",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("actual_units", Float, nullable=False),
    Column("forecast_units", Float),
)
capacity = Table(
    "capacity",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("family", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("resource", String(ID), primary_key=True),
    Column("capacity_units", Float, nullable=False),
    Column("overtime_pct", Float),
)
budget = Table(
    "budget",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("family", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("revenue", Float, nullable=False),
    Column("units", Float),
)
cycles = Table(
    "cycles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(7), nullable=False, index=True),
    Column("status", String(20), nullable=False),  # open | approved | closed | superseded
    Column("dataset_id", Integer, _fk("datasets.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("closed_at", DateTime),  # "Close cycle and start the next": when and by whom
    Column("closed_by", String(ID)),
)
plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # draft | approved
    Column("kind", String(20), nullable=False),  # base | scenario
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("plan_versions.id")),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("approved_at", DateTime),
    Column("approved_by", String(ID)),
    # frozen at approval: the forecast run (NULL: the interim forecast) and the settings the plan was made with
    Column("forecast_run_id", Integer),
    Column("settings_json", Text),
    UniqueConstraint("cycle_id", "number", name="uq_version_number"),
)
adjustments = Table(
    "adjustments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("level", String(10), nullable=False),
    Column("key", String(ID), nullable=False),
    Column("period", String(7), nullable=False),
    Column("type", String(20), nullable=False),
    Column("value", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("created_at", DateTime),  # when the adjustment was made (as given in a file); NULL allowed
    Column("recorded_at", DateTime, nullable=False),  # when the store received it
    Column("before_value", Float),
    Column("after_value", Float),
    Column("source", String(20), nullable=False),  # upload | grid | workbook
    Column("batch_id", String(64)),
    Column("active", Boolean, nullable=False),
    Column("revision", Integer),  # the version's revision this change made (NULL: older databases)
)
adjustment_events = Table(
    "adjustment_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("adjustment_id", Integer, _fk("adjustments.id"), nullable=False, index=True),
    Column("event", String(10), nullable=False),  # undo | redo
    Column("at", DateTime, nullable=False),
    Column("by", String(ID), nullable=False),
)
capacity_changes = Table(
    "capacity_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False, index=True),
    Column("family", String(ID), nullable=False),
    Column("period", String(7), nullable=False),
    Column("resource", String(ID), nullable=False),
    Column("before_value", Float),
    Column("after_value", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("batch_id", String(64)),
    Column("active", Boolean, nullable=False),
    # what was typed (added later: NULL in older databases = an absolute set to after_value, from the grid)
    Column("type", String(20)),
    Column("value", Float),
    Column("source", String(20)),  # grid | workbook
    Column("revision", Integer),  # the version's revision this change made (NULL: older databases)
)
change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False, index=True),
    Column("batch_id", String(64), nullable=False),
    Column("event", String(10), nullable=False),  # undo | redo
    Column("at", DateTime, nullable=False),
    Column("by", String(ID), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("revision", Integer),  # the version's revision this undo/redo made (NULL: older databases)
)
forecast_runs = Table(
    "forecast_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),  # done | failed | running
    Column("method", String(50), nullable=False),
    Column("settings_json", Text, nullable=False),
)
forecast_values = Table(
    "forecast_values",
    metadata,
    Column("run_id", Integer, _fk("forecast_runs.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("model", String(50), nullable=False),
    Column("forecast", Float, nullable=False),
    Column("lo80", Float),
    Column("hi80", Float),
    Column("lo95", Float),
    Column("hi95", Float),
)
forecast_models = Table(
    "forecast_models",
    metadata,
    Column("run_id", Integer, _fk("forecast_runs.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("model", String(50), nullable=False),
    Column("error", Float),
    Column("runner_up", String(50)),
    Column("runner_up_error", Float),
    Column("snaive_error", Float),
    Column("note", Text),
)
plan_snapshots = Table(
    "plan_snapshots",
    metadata,
    Column("version_id", Integer, _fk("plan_versions.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("statistical", Float),
    Column("consensus", Float),
    Column("owner", String(ID), nullable=True),  # who adjusted the cell ('' or NULL: nobody)
)
assumptions = Table(
    "assumptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("category", String(50), nullable=False),
    Column("impact", String(20), nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("deleted", Boolean, nullable=False),
)
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("topic", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("impact", Text, nullable=False),
    Column("decided_on", Date, nullable=False),
    # `topic` is the decision's category: demand | supply | financial | strategic
    Column("status", String(20)),  # proposed | agreed | done | dropped (NULL: agreed, older databases)
    Column("due_date", Date),
    Column("version_id", Integer),  # the plan version the decision concerns
    Column("impact_amount", Float),  # financial impact in money (given, or computed from the plan)
    Column("recorded_at", DateTime),
    Column("recorded_by", String(ID)),
)
action_items = Table(
    "action_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("due_date", Date),
    Column("status", String(20), nullable=False),  # open | in progress | done
    Column("priority", String(20), nullable=False),  # high | medium | low
    Column("created_at", DateTime),
    Column("created_by", String(ID)),
    Column("done_at", DateTime),
    Column("carried_from", Integer),  # the open action of the previous cycle this one continues
    Column("decision_id", Integer),  # the decision it carries out, if any
)
# The meeting of a cycle: its agenda (editable per cycle; seeded from the reference's seven items), the
# meeting itself (started / ended, the item being discussed), attendees and risks.
meeting_agenda = Table(
    "meeting_agenda",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("key", String(50), nullable=False),  # stable: slides carry it as data-agenda-item
    Column("title", String(200), nullable=False),
    Column("planned_minutes", Float, nullable=False),
    Column("position", Integer, nullable=False),
    Column("actual_seconds", Float),  # time really spent (timer), accumulated
    Column("running_since", DateTime),  # the timer runs for this item since then (NULL: paused)
)
meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("started_at", DateTime, nullable=False),
    Column("started_by", String(ID), nullable=False),
    Column("ended_at", DateTime),
    Column("ended_by", String(ID)),
    Column("current_key", String(50)),  # the agenda item being discussed
    Column("start_revision", Integer),  # the plan's revision when the meeting started (what changed since)
    Column("start_version_id", Integer),
)
attendees = Table(
    "attendees",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("username", String(ID)),  # a user of the product, or NULL for a free name
    Column("function", String(100)),
    Column("added_at", DateTime, nullable=False),
    Column("added_by", String(ID), nullable=False),
)
risks = Table(
    "risks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("likelihood", String(20)),  # high | medium | low
    Column("impact", String(20)),  # high | medium | low
    Column("contingency", Text),
    Column("owner", String(ID)),
    Column("status", String(20)),  # open | mitigated | closed
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(ID), nullable=False),
)
# The five-week cycle calendar: one row per ticked checklist item of a step (who and when); unticking
# keeps the row with done = false.
cycle_checklist = Table(
    "cycle_checklist",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("step", String(30), nullable=False),
    Column("item", String(80), nullable=False),
    Column("done", Boolean, nullable=False),
    Column("by", String(ID), nullable=False),
    Column("at", DateTime, nullable=False),
    UniqueConstraint("cycle_id", "step", "item", name="uq_cycle_checklist_item"),
)
# The data-quality log of a cycle: every upload's warnings and the exceptions list, each reviewable with a
# comment (who, when). `key` identifies the same exception across recomputations.
data_quality_log = Table(
    "data_quality_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("dataset_id", Integer),
    Column("source", String(20), nullable=False),  # upload | exception
    Column("key", String(300), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("reviewed_by", String(ID)),
    Column("reviewed_at", DateTime),
    Column("comment", Text),
    UniqueConstraint("cycle_id", "source", "key", name="uq_data_quality_item"),
)
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(ID), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("disabled", Boolean),  # NULL/false: may sign in
    Column("created_at", DateTime),
    Column("password_changed_at", DateTime),
)
settings_table = Table(
    "settings",
    metadata,
    Column("key", String(ID), primary_key=True),
    Column("value_json", Text, nullable=False),
)
# The settings in force per dataset, newest last: where they came from (defaults, the upload's settings
# sheet, kept from the previous data, the settings form) and since when. Settings belong to the data.
settings_history = Table(
    "settings_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dataset_id", Integer, _fk("datasets.id"), nullable=False, index=True),
    Column("value_json", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(ID), nullable=False),
)
# A new statistical forecast run replacing the cycle's forecast (the interim one, or an earlier run): one row
# per family with its statistical total over the horizon before and after, and the draft revision it made.
forecast_changes = Table(
    "forecast_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cycle_id", Integer, _fk("cycles.id"), nullable=False, index=True),
    Column("version_id", Integer, _fk("plan_versions.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("old_run_id", Integer),
    Column("new_run_id", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("by", String(ID), nullable=False),
    Column("family", String(ID), nullable=False),
    Column("before_total", Float, nullable=False),
    Column("after_total", Float, nullable=False),
)
kpi_history = Table(
    "kpi_history",
    metadata,
    Column("cycle_id", Integer, _fk("cycles.id"), primary_key=True),
    Column("name", String(50), primary_key=True),
    Column("value", Float),
)
Index("ix_adjustments_version_seq", adjustments.c.version_id, adjustments.c.seq)
adjustments_table = adjustments  # for methods whose `adjustments` argument is a list of rows
capacity_table = capacity_changes  # likewise
# Sign-in sessions kept on the server: the cookie only names a session id, so signing out, disabling a user,
# a password reset or the idle timeout end a session even when someone kept a copy of the cookie.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("sid", String(64), primary_key=True),
    Column("username", String(ID), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("ended_at", DateTime),
)
# What administrators did to users (added, disabled, enabled, password reset, role changed): who, when, what.
user_events = Table(
    "user_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("by", String(ID), nullable=False),
    Column("username", String(ID), nullable=False),
    Column("event", String(40), nullable=False),
    Column("detail", Text),
)
# A named scenario's own facts beside its plan_versions row (kind 'scenario'): what it is for, whose it is,
# what it changes besides adjustments and capacity (settings_json: {"settings": {Settings overrides},
# "capacity_cost": money per unit of capacity added}), and when it was promoted to the draft (and which).
scenario_meta = Table(
    "scenario_meta",
    metadata,
    Column("version_id", Integer, _fk("plan_versions.id"), primary_key=True),
    Column("description", Text),
    Column("owner", String(ID)),
    Column("settings_json", Text),
    Column("created_at", DateTime),
    Column("created_by", String(ID)),
    Column("promoted_at", DateTime),
    Column("promoted_by", String(ID)),
    Column("promoted_to", Integer),
)
# Optional operational uploads beside the company data (data.schema PRODUCTION, INVENTORY_COUNT).
production = Table(
    "production",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("family", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("produced_units", Float, nullable=False),
)
inventory_count = Table(
    "inventory_count",
    metadata,
    Column("dataset_id", Integer, _fk("datasets.id"), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("counted", Float, nullable=False),
    Column("recorded", Float, nullable=False),
)
# The S&OP maturity assessment: one answer (level of agreement 0..4, or NULL = not answered) per statement
# and cycle, with the evidence-based proposal the person confirmed or overrode.
maturity_answers = Table(
    "maturity_answers",
    metadata,
    Column("cycle_id", Integer, _fk("cycles.id"), primary_key=True),
    Column("statement", String(50), primary_key=True),
    Column("answer", Integer),
    Column("proposed", Integer),
    Column("answered_at", DateTime, nullable=False),
    Column("answered_by", String(ID), nullable=False),
)
# The company profile (the initial assessment): the newest row is the profile, older rows its history.
company_profile = Table(
    "company_profile",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("profile_json", Text, nullable=False),
    Column("saved_at", DateTime, nullable=False),
    Column("saved_by", String(ID), nullable=False),
)
# One row (id 1): a counter every write transaction moves (`Store._write`), in the same transaction, so any
# process can tell with one cheap read whether anything was stored since it last looked (`Store.cached`).
store_revision = Table(
    "store_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
)
