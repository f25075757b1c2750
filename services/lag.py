"""Lag accuracy and forecast value added of the approved plans of earlier cycles (planning.lag_accuracy on
the stored plan snapshots and history), computed once per plan state."""

from __future__ import annotations

import logging

import pandas as pd

from services import queries
from services.plan_service import get_service

log = logging.getLogger("sop.lag")


def _as_tables(value) -> dict[str, pd.DataFrame]:
    """The engine's FVA result as {'family': …, 'owner': …}: family and total rows, then owner rows."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, pd.DataFrame)}
    if isinstance(value, pd.DataFrame) and "level" in value.columns:
        level = value["level"].astype(str)
        return {"family": value[level.isin(["family", "total"])].reset_index(drop=True),
                "owner": value[level == "owner"].reset_index(drop=True)}
    return {"family": value} if isinstance(value, pd.DataFrame) else {}


def _compute() -> tuple[pd.DataFrame | None, dict[str, pd.DataFrame], str | None]:
    from planning import lag_accuracy as la

    snapshots = queries.plan_snapshots()
    data = queries.company_data()
    if snapshots.empty:
        return None, {}, ("No plan of an earlier cycle has been approved yet: lag accuracy and forecast value "
                          "added need two cycles or more.")
    try:
        lag = la.lag_accuracy(snapshots, data.history, data.items)
        fva = _as_tables(la.forecast_value_added(snapshots, data.history, data.items))
    except Exception as exc:  # shown, with the engine's words
        log.exception("lag accuracy failed")
        return None, {}, f"They could not be computed: {type(exc).__name__}: {exc}"
    return lag, fva, None


def lag_and_fva() -> tuple[pd.DataFrame | None, dict[str, pd.DataFrame], str | None]:
    """(lag accuracy, FVA tables by family and owner, the problem in words when there are none)."""
    return get_service().derived("lag-views", _compute)
