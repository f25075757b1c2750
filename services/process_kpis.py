"""The process KPIs of the registry (planning.kpis, source 'process') from the stored records, and the history
over cycles of every KPI the stored `kpi_history` does not hold (the process KPIs, inventory accuracy and
production attainment from the uploads). Reads only.

The current value of a process KPI is its figure for the newest cycle that has one (plan stability: the
newest approved plan against the one before; cycle time: the newest approved cycle; decisions and actions
on time: the newest approved cycle with decisions / actions; agenda time kept: the newest timed meeting).
"""

from __future__ import annotations

import logging

import pandas as pd

from planning import process_kpis as pk
from planning.kpis import REGISTRY, kpi_status
from planning.model import CompanyData, Settings

log = logging.getLogger("sop.process_kpis")
HISTORY_COLUMNS = ["cycle_period", "name", "value"]


def _item_family(data: CompanyData) -> pd.Series:
    return data.items.drop_duplicates("item_id").set_index("item_id")["family"]


def history(data: CompanyData | None = None, settings: Settings | None = None) -> pd.DataFrame:
    """cycle_period, name, value of the process KPIs per cycle (and of the upload KPIs per count month,
    under the cycle of the month after), oldest first. For the store's own data and settings (no arguments),
    computed once per store revision: /metrics asks for it in several callbacks."""
    from services.plan_service import get_service

    if data is None and settings is None:
        return get_service().store.cached("process_kpis.history", None, _history).copy()
    return _history(data, settings)


def _history(data: CompanyData | None = None, settings: Settings | None = None) -> pd.DataFrame:
    from services.plan_service import get_service
    from services.process_measures import process_measures

    svc = get_service()
    store = svc.store
    data = data if data is not None else svc.company_data()
    settings = settings or svc.plan_settings()
    frames = []
    changes = pk.plan_stability_changes(store.plan_snapshots(), _item_family(data))
    st = pk.plan_stability(changes, ["cycle_period"])
    frames.append(pd.DataFrame({"cycle_period": st["cycle_period"], "name": "plan_stability",
                                "value": st["plan_stability"]}))
    per_cycle, _overall = process_measures()
    # a cycle's meeting measures count once its plan is approved (before, its actions are still under way)
    per_cycle = per_cycle[per_cycle["cycle_time_days"].notna()] if len(per_cycle) else per_cycle
    for name, col in (("cycle_time", "cycle_time_days"), ("decisions_on_time", "decisions_on_time_pct"),
                      ("actions_on_time", "actions_done_on_time_pct")):
        if len(per_cycle):
            frames.append(pd.DataFrame({"cycle_period": per_cycle["period"], "name": name,
                                        "value": pd.to_numeric(per_cycle[col], errors="coerce")}))
    agenda = store.agenda_times()
    kept = pk.agenda_time_kept(agenda)
    if len(kept):
        period_of = agenda.drop_duplicates("cycle_id").set_index("cycle_id")["cycle_period"]
        frames.append(pd.DataFrame({"cycle_period": kept["cycle_id"].map(period_of), "name": "agenda_time_kept",
                                    "value": kept["agenda_time_kept_pct"]}))
    acc = pk.inventory_accuracy(data.inventory_count, settings.inventory_tolerance_pct)
    if len(acc):
        frames.append(pd.DataFrame({"cycle_period": acc["period"].map(pk.count_period_to_cycle),
                                    "name": "inventory_accuracy", "value": acc["inventory_accuracy"]}))
    att = pk.production_attainment(data.production, data.history, _item_family(data))
    if len(att):
        frames.append(pd.DataFrame({"cycle_period": att["period"].map(pk.count_period_to_cycle),
                                    "name": "production_attainment", "value": att["production_attainment"]}))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    return out.sort_values(["cycle_period", "name"]).reset_index(drop=True)[HISTORY_COLUMNS]


def latest_values(hist: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """{name: (the newest cycle's figure, that cycle)} of the process KPIs in `hist`."""
    if hist is None or hist.empty:
        return {}
    names = [n for n, d in REGISTRY.items() if d.source == "process"]
    h = hist[hist["name"].isin(names)].sort_values("cycle_period")
    return {str(n): (float(g["value"].iloc[-1]), str(g["cycle_period"].iloc[-1])) for n, g in h.groupby("name")}


def with_process_kpis(kpis: dict[str, dict], settings: Settings | None = None,
                      hist: pd.DataFrame | None = None) -> dict[str, dict]:
    """`kpis` (planning.kpis.compute_kpis) with the process KPIs' values and status filled in from the records;
    a KPI that still has no figure keeps None (its `needs` says what would give it)."""
    from services.plan_service import get_service

    try:
        hist = history(settings=settings) if hist is None else hist
        settings = settings or get_service().plan_settings()
    except Exception:  # a read-only figure: the page shows the rest without it
        log.exception("process KPIs could not be computed")
        return kpis
    values = latest_values(hist)
    out = dict(kpis)
    for name, (value, period) in values.items():
        if name not in out:
            continue
        t = settings.targets.get(name, REGISTRY[name].default_target)
        out[name] = {**out[name], "value": round(value, 6), "status": kpi_status(value, t), "cycle": period,
                     "description": f"{out[name].get('description') or ''} (cycle {period})"}
    return out


def combined_history(stored: pd.DataFrame, hist: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stored KPI history (cycle_period, name, value) with the computed one added for the KPIs and cycles
    it does not hold."""
    hist = history() if hist is None else hist
    if stored is None or stored.empty:
        return hist
    stored = stored[HISTORY_COLUMNS].dropna(subset=["value"])
    have = set(zip(stored["cycle_period"].astype(str), stored["name"], strict=True))
    extra = hist[[(str(p), n) not in have for p, n in zip(hist["cycle_period"], hist["name"], strict=True)]]
    return pd.concat([stored, extra], ignore_index=True).sort_values(["cycle_period", "name"],
                                                                     ignore_index=True)
