"""Callbacks, one module per page (and the shell). Importing this package registers them all."""

from callbacks import (  # noqa: F401
    admin_users,
    cycle_close,
    checklist,
    data_quality,
    dashboard,
    data_page,
    demand,
    demand_assumptions,
    demand_overview,
    login,
    plan_workbook,
    meeting,
    meeting_deck,
    metrics,
    metrics_process,
    pre_sop,
    settings,
    shell,
    supply,
)
