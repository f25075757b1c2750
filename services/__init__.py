"""The application's use cases, between the pages (callbacks) and the engine and store (planning/, data/).

    plan_service     the current plan, computed once per plan state and cached; edits, undo/redo, workbook
    edits            the grids' edit language (1200, +10%, -200), its checks and descriptions
    conflicts        the one conflict rule for demand and capacity edits
    permissions      who may change what: one check, against the stored user, that fails closed
    session_guard    who is asking (sessions kept in the store), cookie flags, the gate for anonymous requests
    users            the administrator's rules for users (add, disable, reset password, role), demo accounts
    production_check what keeps SOP_ENV=production from starting (demo accounts, default password, no key)
    audit            the audit trail (adjustments, capacity changes, forecast replacements)
    forecast_jobs    statistical forecast runs as background jobs: start, follow, cancel, outcome
    forecast_worker  the worker process a run executes in (`python -m services.forecast_worker`)
    uploads          uploads validated whole, planned with their own settings, all or nothing
    settings         the settings in force (per company data) and the settings form
    settings_form    reading the settings form into `Settings`, every problem named by field
    scenarios        upside / downside runs of the plan for Step 4
    lag              lag accuracy and forecast value added of earlier cycles' approved plans
    assumptions      the cycle's assumptions, validated
    dashboard        what the executive dashboard reads besides the plan (last month's approved plan, trends)
    queries          read-only questions the pages ask of the stored data
    cycle            the five-week cycle calendar, its checklist (who ticks), the step status of the header,
                     the data-quality log (upload warnings, exceptions, reviews)
    process_measures the meeting's own measures per cycle (decisions on time, actions, cycle time)

Callbacks call these; they never import SQLAlchemy or the store.
"""
