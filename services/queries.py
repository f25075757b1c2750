"""Read-only questions the pages ask of the stored data, answered from the store or the plan service's
cache. Callbacks call these instead of reaching into the store; nothing here writes.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from services.plan_service import get_service


def store():
    """The store (for the service layer only; callbacks use the functions of this module)."""
    return get_service().store


def dataset_info() -> dict[str, Any]:
    return store().dataset_info()


def items(version_id: int | None = None) -> pd.DataFrame:
    return store().list_items(version_id)


def cycles() -> pd.DataFrame:
    return store().list_cycles()


def cycle_period(cycle_id: int) -> str | None:
    frame = cycles()
    return next(iter(frame.loc[frame["id"] == cycle_id, "period"]), None)


def company_data(version_id: int | None = None):
    """The company data the current plan is computed from (cached with the plan)."""
    return get_service().company_data(version_id)


def base_data(dataset_id: int, cycle_id: int):
    """A dataset as uploaded, with the cycle's forecast run (cached per dataset and run)."""
    return get_service().base_data(dataset_id, cycle_id)


def plan_snapshots() -> pd.DataFrame:
    return store().plan_snapshots()


def decisions() -> pd.DataFrame:
    return store().list_decisions()


def actions() -> pd.DataFrame:
    return store().list_actions()


def attendees() -> pd.DataFrame:
    return store().list_attendees()


def risks() -> pd.DataFrame:
    return store().list_risks()


def assumptions() -> pd.DataFrame:
    return store().list_assumptions()


def kpi_history() -> pd.DataFrame:
    return store().kpi_history()


def latest_forecast(cycle_id: int | None = None) -> pd.DataFrame | None:
    return store().latest_forecast(cycle_id)


def forecast_models(cycle_id: int | None = None) -> pd.DataFrame | None:
    """The chosen model per series of the cycle's latest run, with the item's family, sorted for the table."""
    models = store().forecast_models(cycle_id)
    if models is None or not len(models):
        return models
    fam = items()[["item_id", "family"]]
    models = models.merge(fam, on="item_id", how="left")
    order = ["item_id", "family", "model", "error", "runner_up", "runner_up_error", "snaive_error", "note"]
    order += [c for c in models.columns if c not in order]
    return models.reindex(columns=order).sort_values(["family", "item_id"], ignore_index=True)


def forecast_run(run_id: int | None) -> dict | None:
    """created_at, method and settings of a forecast run, or None."""
    if run_id is None:
        return None
    row = store().forecast_run(int(run_id))
    if row is None:
        return None
    try:
        settings = json.loads(row.get("settings_json") or "{}")
    except ValueError:
        settings = {}
    return {"id": int(row["id"]), "created_at": row["created_at"], "method": row["method"], "settings": settings}


def latest_forecast_change(cycle_id: int) -> dict | None:
    """The latest replacement of the cycle's statistical forecast: new/old run, when, by whom, and the
    family totals before and after (for the dashboard's live line)."""
    changes = store().forecast_changes(cycle_id)
    if changes.empty:
        return None
    last = changes[changes["new_run_id"] == changes["new_run_id"].max()]
    first = last.iloc[0]
    return {"new_run_id": int(first["new_run_id"]),
            "old_run_id": None if pd.isna(first["old_run_id"]) else int(first["old_run_id"]),
            "at": first["at"], "by": first["by"],
            "families": last[["family", "before_total", "after_total"]].reset_index(drop=True)}


def family_history(family: str) -> pd.DataFrame:
    """Actual and past-forecast units of one family per month (every family's totals are computed once per
    plan state: /data shows one family after another)."""
    def compute() -> pd.DataFrame:
        data = company_data()
        h = data.history.merge(data.items[["item_id", "family"]], on="item_id")
        h = h.assign(_n=h["forecast_units"].notna())
        out = h.groupby(["family", "period"], as_index=False).agg(
            actual_units=("actual_units", "sum"), forecast_units=("forecast_units", "sum"), _n=("_n", "sum"))
        out["forecast_units"] = out["forecast_units"].where(out["_n"] > 0)  # no past forecast: empty, not 0
        return out.drop(columns="_n")

    every = get_service().derived("family-history", compute)
    return every[every["family"] == family].drop(columns="family").reset_index(drop=True)


def family_bands(family: str, horizon: list[str]) -> pd.DataFrame | None:
    """Approx. family band per month: the sum of the items' lo/hi bounds of the forecast run in use (every
    family's, read and summed once per plan state)."""
    cols = ["lo80", "hi80", "lo95", "hi95"]

    def compute() -> pd.DataFrame | None:
        st = get_service().state()
        if st.forecast_run is None:
            return None
        fc = latest_forecast(st.cycle_id)
        if fc is None or fc.empty or fc[["lo80", "hi80"]].isna().all().all():
            return None
        fam = fc.merge(items()[["item_id", "family"]], on="item_id")
        # a month's band is missing when any of its items has no bound (sum with min_count = all rows)
        n = fam.groupby(["family", "period"])["item_id"].size()
        sums = fam.groupby(["family", "period"])[cols].sum(min_count=1)
        counts = fam[["family", "period", *cols]].groupby(["family", "period"]).count()
        return sums.where(counts.eq(n, axis=0)).reset_index()

    every = get_service().derived("family-bands", compute)
    if every is None:
        return None
    fam = every[(every["family"] == family) & every["period"].isin(horizon)]
    if fam.empty:
        return None
    return fam[["period", *cols]].reset_index(drop=True)
