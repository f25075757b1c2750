"""Plan versions of a cycle: list them, approve the draft, compare two versions (or a version and last month's
approved plan) family by family and month by month in units, gaps and money."""

from __future__ import annotations

import pandas as pd

from services.dashboard import previous_approved_plan
from services.plan_service import get_service

MEASURES = ("demand", "capacity", "gap", "revenue")


def listed(cycle_id: int | None = None) -> pd.DataFrame:
    """The base versions of a cycle (default: the current one), newest first: id, number, status, created
    and approved (who and when)."""
    frame = get_service().store.list_versions(cycle_id)
    frame = frame[frame["kind"] == "base"]
    cols = ["id", "number", "status", "created_at", "created_by", "approved_at", "approved_by", "revision"]
    return frame[cols].sort_values("number", ascending=False, ignore_index=True)


def approve(*, by: str) -> dict:
    """Freeze the current draft; returns the approved version (id, number, approved_at, approved_by)."""
    svc = get_service()
    version_id = svc.approve(by=by)
    return svc.store.get_version(version_id)


def figures(version_id: int) -> pd.DataFrame:
    """family, period, demand, capacity, gap, revenue of a version of the current data."""
    plan = get_service().current_plan(version_id)
    fp = plan.family_plan[["family", "period", "demand", "capacity", "gap"]]
    money = plan.financials.groupby(["family", "period"], as_index=False)["revenue"].sum()
    return fp.merge(money, on=["family", "period"], how="left")


def last_month_figures(cycle_period: str) -> tuple[pd.DataFrame, str | None]:
    """Last month's approved plan (`services.dashboard.previous_approved_plan`, the rule the dashboard's "vs
    last month" uses) as family × month demand units (its snapshot holds units only), and that cycle's period."""
    svc = get_service()
    snaps = svc.store.plan_snapshots()
    previous = previous_approved_plan(snaps, cycle_period)
    if previous is None:
        return pd.DataFrame(columns=["family", "period", "demand"]), None
    period = str(snaps.loc[snaps["cycle_period"].astype(str) < str(cycle_period), "cycle_period"].max())
    items = svc.store.list_items()[["item_id", "family"]]
    units = previous.merge(items, on="item_id").groupby(["family", "period"], as_index=False)["consensus"].sum()
    return units.rename(columns={"consensus": "demand"}), period


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Two versions' figures side by side: <measure>_a, <measure>_b and <measure>_diff (b − a) for every
    measure both have, per family and month that either has; `changed` marks rows with any difference."""
    both = a.merge(b, on=["family", "period"], how="outer", suffixes=("_a", "_b"))
    changed = pd.Series(False, index=both.index)
    for m in MEASURES:
        if f"{m}_a" in both and f"{m}_b" in both:
            both[f"{m}_diff"] = both[f"{m}_b"] - both[f"{m}_a"]
            changed |= both[f"{m}_diff"].abs().fillna(0) > 1e-6
    both["changed"] = changed
    return both.sort_values(["family", "period"], ignore_index=True)
