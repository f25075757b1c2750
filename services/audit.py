"""The audit trail: every change of the plan, who made it, when, why, and the value before and after.

Rows are append-only in the store (undo marks a change inactive, it never deletes it). This module
reads them into one table for the pages, the workbook export and the minutes: demand adjustments,
capacity changes, and the replacements of the statistical forecast by a new forecast run.
"""

from __future__ import annotations

import pandas as pd

from data.store import Store
from planning.result import PlanResult

AUDIT_COLUMNS = ["when", "owner", "kind", "level", "family", "key", "period", "type", "value", "before", "after",
                 "reason", "source", "active", "batch_id"]


def audit_trail(store: Store, version_id: int) -> pd.DataFrame:
    """Every adjustment and capacity change of a version's chain (undone ones too), and every forecast run
    that replaced the statistical forecast of its cycle, newest first.

    Columns: when, owner, kind ('adjustment'|'capacity'|'forecast'), level, family (the item's family for
    item rows), key, period, type, value, before, after, reason, source, active, batch_id. A forecast row
    is one per family: before and after are the family's statistical total over the horizon.
    """
    adj = store.list_adjustments(version_id)
    cap = store.list_capacity_changes(version_id)
    family_of = store.list_items(version_id).set_index("item_id")["family"]
    parts = []
    if len(adj):
        when = pd.to_datetime(adj["created_at"]).fillna(pd.to_datetime(adj["recorded_at"]))
        parts.append(pd.DataFrame({
            "when": when, "owner": adj["owner"], "kind": "adjustment", "level": adj["level"],
            "family": adj["key"].where(adj["level"] == "family", adj["key"].map(family_of)),
            "key": adj["key"], "period": adj["period"], "type": adj["type"], "value": adj["value"],
            "before": adj["before_value"], "after": adj["after_value"], "reason": adj["reason"],
            "source": adj["source"], "active": adj["active"], "batch_id": adj["batch_id"],
        }))
    if len(cap):
        parts.append(pd.DataFrame({
            "when": pd.to_datetime(cap["created_at"]), "owner": cap["owner"], "kind": "capacity",
            "level": "family", "family": cap["family"], "key": cap["family"], "period": cap["period"],
            "type": cap["type"], "value": cap["value"], "before": cap["before_value"],
            "after": cap["after_value"], "reason": cap["reason"], "source": cap["source"],
            "active": cap["active"], "batch_id": cap["batch_id"],
        }))
    fc = forecast_changes(store, version_id)
    if len(fc):
        parts.append(fc)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in AUDIT_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[AUDIT_COLUMNS]
    out["family"] = out["family"].fillna("")
    out["active"] = out["active"].astype(bool)
    out["when"] = pd.to_datetime(out["when"])
    return out.iloc[::-1].sort_values("when", ascending=False, kind="stable").reset_index(drop=True)


def forecast_changes(store: Store, version_id: int) -> pd.DataFrame:
    """The forecast replacements of the version's cycle as audit rows (one per family)."""
    ch = store.forecast_changes(store.get_version(version_id)["cycle_id"])
    if ch.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    old = ch["old_run_id"].map(lambda r: "interim forecast" if pd.isna(r) else f"run {int(r)}")
    reason = "statistical forecast: " + old + " replaced by run " + ch["new_run_id"].astype(int).astype(str)
    return pd.DataFrame({
        "when": pd.to_datetime(ch["at"]), "owner": ch["by"], "kind": "forecast", "level": "family",
        "family": ch["family"], "key": ch["family"], "period": "horizon", "type": "forecast run",
        "value": ch["new_run_id"].astype(float), "before": ch["before_total"].astype(float),
        "after": ch["after_total"].astype(float), "reason": reason, "source": "forecast",
        "active": True, "batch_id": "forecast-" + ch["new_run_id"].astype(int).astype(str),
    })


def adjustment_summary(plan: PlanResult) -> dict[str, pd.DataFrame]:
    """The adjustments in effect, by owner and by type: {'by_owner', 'by_type'} with count and
    net_change (units added to the plan: after − before as the engine applied them)."""
    applied = plan.adjustments if plan.adjustments is not None else pd.DataFrame()
    cols = ["count", "net_change"]
    if applied.empty or "applied" not in applied:
        return {"by_owner": pd.DataFrame(columns=["owner", *cols]), "by_type": pd.DataFrame(columns=["type", *cols])}
    work = applied[applied["applied"].astype(bool)].assign(
        owner=lambda f: f["owner"].fillna("").replace("", "(unknown)"),
        change=lambda f: f["after"].astype(float) - f["before"].astype(float),
    )

    def by(col: str) -> pd.DataFrame:
        return (work.groupby(col, as_index=False)
                .agg(count=("change", "size"), net_change=("change", "sum"))
                .sort_values(col, ignore_index=True))

    return {"by_owner": by("owner"), "by_type": by("type")}
