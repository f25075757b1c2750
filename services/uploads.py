"""Uploads: a company's workbook or CSV files, validated whole, stored all or nothing, with its settings.

An upload is applied only when it is valid *and* the plan computes from it. Settings belong to the
company's data: the new data starts from SPEC.md's defaults plus its own `settings` sheet, unless the
uploader chooses to keep the settings in force (the sheet's rows, if any, then apply on top of them).
Storing a company's data disables the demo accounts that still have the demo password (the report says
so). A file without a `forecast` table starts the statistical forecast run in the background (unless
automatic runs are turned off with SOP_AUTO_FORECAST=0).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from data.readers import load_company
from data.schema import Issue
from data.settings_sheet import apply_settings
from planning.cycle import compute_plan
from planning.model import Settings
from services import forecast_jobs
from services.cycle import upload_warning_entries  # an upload's warnings: the new cycle's data-quality log
from services.plan_service import get_service, interim_forecast

log = logging.getLogger("sop.uploads")


@dataclass
class UploadResult:
    stored: bool
    issues: list[Issue] = field(default_factory=list)
    settings_source: str | None = None
    forecast: dict | None = None  # the background run started for the new data, if any
    demo_disabled: list[str] = field(default_factory=list)  # demo accounts disabled because real data came


def auto_forecast() -> bool:
    """Whether loading data starts the statistical forecast by itself (SOP_AUTO_FORECAST, default on)."""
    return os.environ.get("SOP_AUTO_FORECAST", "1") != "0"


def settings_for_upload(data, current: Settings, keep_current: bool) -> tuple[Settings, str]:
    """The settings the new data is planned with, and where they come from (shown in the settings panel)."""
    base = current if keep_current else Settings(horizon=current.horizon)
    settings = apply_settings(base, data.settings)
    if keep_current:
        source = "kept from the previous data" + (", with the upload's settings sheet" if data.settings else "")
    else:
        source = "the upload's settings sheet" if data.settings else "defaults (the upload has no settings sheet)"
    return settings, source


def upload_files(files: dict[str, bytes], *, user: str, keep_settings: bool = False) -> UploadResult:
    """Validate, check that the plan computes, store (one transaction), start the forecast run."""
    svc = get_service()
    current = svc.settings()
    data, issues = load_company(files, horizon=current.horizon)
    if data is None:
        return UploadResult(False, issues)
    settings, source = settings_for_upload(data, current, keep_settings)
    try:
        compute_plan(data, settings, forecaster=interim_forecast)
    except Exception as exc:  # valid cells, but no plan can be made from them: refuse, name the cause
        log.exception("the plan could not be computed from an upload")
        cause = str(exc) if len(str(exc)) <= 300 else str(exc)[:300] + "…"
        issues = issues + [Issue("upload", None, None, f"the plan could not be computed from this data "
                                                      f"({type(exc).__name__}: {cause}); nothing was stored.")]
        return UploadResult(False, issues)
    name = ", ".join(sorted(files)) or "upload"
    svc.store.save_dataset(data, source=name, user=user, settings=settings, settings_source=source,
                           warnings=upload_warning_entries(issues))
    demo_disabled: list[str] = []
    try:  # a real company's data: the demo accounts (known passwords) stop working
        from services.users import disable_demo_accounts

        demo_disabled = disable_demo_accounts(svc.store, by=user)
    except Exception:
        log.exception("the demo accounts could not be disabled after an upload")
    job = None
    if data.forecast is None and auto_forecast():
        try:
            job = forecast_jobs.start_run(svc.state().cycle_id, user=user, trigger="upload")
        except Exception:  # the data is stored; the run can be started from /data
            log.exception("the forecast run could not be started after an upload")
    return UploadResult(True, issues, source, job, demo_disabled)


def start_first_forecast() -> dict | None:
    """On the app's start: when the current cycle has no statistical forecast yet (a first start on the
    sample company, or a run that never finished), start it, unless someone cancelled the automatic run."""
    if not auto_forecast():
        return None
    svc = get_service()
    st = svc.state()
    if st.forecast_run is not None or forecast_jobs.auto_skipped(st.cycle_id):
        return None
    return forecast_jobs.start_run(st.cycle_id, user="system", trigger="first start")
