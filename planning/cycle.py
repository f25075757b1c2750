"""One call that runs the whole recompute of a cycle: consensus → family plan → supply
plan → inventory → money → accuracy → exceptions → KPIs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.accuracy import MeasuredCodes, accuracy_table, family_totals, measured_with_codes
from planning.codes import factorize_sorted, indexer
from planning.demand import (
    ConsensusGrid,
    RowKeys,
    compose_consensus,
    consensus_grid,
    family_demand,
    grid_codes,
    grid_row_keys,
    row_keys,
)
from planning.exceptions import find_exceptions
from planning.finance import financials
from planning.kpis import KpiInputs, compute_kpis, history_kpi_values
from planning.model import CompanyData, Settings
from planning.periods import horizon_after
from planning.result import PlanResult
from planning.supply import family_plan, inventory_plan, option_comparison, safety_stock, supply_plan

FORECAST_COLUMNS = ["item_id", "family", "period", "model", "forecast", "lo80", "hi80"]


def plan_horizon(data: CompanyData, settings: Settings, start: str | None = None) -> list[str]:
    """The periods of the uploaded forecast when given, else `settings.horizon` months after
    the last history month (or starting at `start`)."""
    if data.forecast is not None and len(data.forecast):
        periods = data.forecast["period"].to_numpy()
        if periods.dtype == object:  # every month text: its sorted distinct values, without a str copy of each row
            codes, uniques = factorize_sorted(periods)
            if codes.min() >= 0 and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
                return [str(p) for p in uniques]
        return sorted(data.forecast["period"].astype(str).unique())
    if start:
        return [start, *horizon_after(start, settings.horizon - 1)]
    return horizon_after(str(data.history["period"].max()), settings.horizon)


def uploaded_forecast(data: CompanyData, horizon: list[str], *, own_months: bool = False) -> pd.DataFrame:
    """The `forecast` table in the engine's forecast layout (model 'uploaded' unless given), rows of the
    `horizon` months only. `own_months`: the horizon is the table's own months (`plan_horizon` of it), so no
    row is left out and none is looked up."""
    f = data.forecast
    # every column is a new array already (astype copies; the model column is copied): not copied again
    out = pd.DataFrame({
        "item_id": f["item_id"].astype(str),
        "period": f["period"].astype(str),
        "model": f["model"].copy() if "model" in f else "uploaded",
        "forecast": f["forecast_units"].astype(float, copy=True),
        "lo80": f["lo80"].astype(float, copy=True) if "lo80" in f else np.nan,
        "hi80": f["hi80"].astype(float, copy=True) if "hi80" in f else np.nan,
    }, copy=False)
    if own_months:
        return out
    wanted = pd.Index(horizon)
    keep = (indexer(wanted, out["period"].to_numpy()) >= 0 if wanted.is_unique
            else out["period"].isin(horizon).to_numpy())
    return out if keep.all() else out[keep]  # (every row kept: the same table, not a copy of it)


@dataclass(frozen=True)
class HistoryView:
    """What depends on history alone: computed once per dataset, reused by every edit."""

    measured: pd.DataFrame
    accuracy: pd.DataFrame
    last_measured: str | None
    kpi_values: dict[str, float]


def history_view(data: CompanyData, horizon_start: str | None = None) -> HistoryView:
    history = data.history
    if horizon_start:
        history = history[history["period"] < horizon_start]
    measured, codes = measured_with_codes(history, data.items)
    # the family totals per period are summed once: the accuracy table and the MAPE KPI both read them
    totals = family_totals(measured, codes) if len(measured) else None
    kpi_in = KpiInputs(data.with_(history=history), [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                       Settings(), measured, codes, totals)
    return HistoryView(
        measured=measured,
        accuracy=accuracy_table(history, data.items, measured, codes, totals),
        last_measured=_last_period(measured, codes),
        kpi_values=history_kpi_values(kpi_in),
    )


def _last_period(measured: pd.DataFrame, codes: MeasuredCodes) -> str | None:
    """`str(measured["period"].max())` (None without rows), read off the sorted period codes when every
    period is text: the last of the sorted uniques is the greatest."""
    if not len(measured):
        return None
    per, uniques = codes.period
    if (per >= 0).all() and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        return str(uniques[-1])
    return str(measured["period"].max())


@dataclass(frozen=True)
class SupplySide:
    """Everything downstream of a consensus: gaps, supply plan, inventory, money."""

    family_plan: pd.DataFrame
    supply_plan: pd.DataFrame
    inventory: pd.DataFrame
    financials: pd.DataFrame
    options: pd.DataFrame | None


def supply_side(
    consensus: pd.DataFrame, data: CompanyData, horizon: list[str], settings: Settings, *, with_options: bool = False,
    keys: RowKeys | None = None,
) -> SupplySide:
    """Family plan, least-cost supply plan, inventory plan and financials of a consensus
    (the base plan's or a scenario's)."""
    items = data.items
    keys = keys if keys is not None else row_keys(consensus, items)
    fam_plan = family_plan(family_demand(consensus, keys=keys), data.capacity, horizon, settings)
    opening = items.groupby("family")["opening_inventory"].sum()
    safety = safety_stock(consensus, items, settings, keys)
    supply = supply_plan(fam_plan, data.capacity, opening, settings, safety_stock=safety)
    options = (
        option_comparison(fam_plan, data.capacity, opening, settings, supply, safety_stock=safety)
        if with_options else None
    )
    return SupplySide(
        family_plan=fam_plan,
        supply_plan=supply,
        inventory=inventory_plan(supply, safety, opening),
        financials=financials(consensus, items, supply, settings, data.prices, keys),
        options=options,
    )


def compare_supply_options(data: CompanyData, result: PlanResult, settings: Settings) -> pd.DataFrame:
    """What each supply option would cost alone beside the optimized plan of `result`."""
    opening = data.items.groupby("family")["opening_inventory"].sum()
    safety = safety_stock(result.consensus, data.items, settings)
    return option_comparison(result.family_plan, data.capacity, opening, settings, result.supply_plan,
                             safety_stock=safety)


def _with_family(fc: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """`fc.merge(items[["item_id", "family"]], on="item_id", how="inner")`, by position when item ids are
    unique (the same rows in the same order)."""
    if not items["item_id"].is_unique:
        return fc.merge(items[["item_id", "family"]], on="item_id", how="inner")
    pos = indexer(pd.Index(items["item_id"]), fc["item_id"].to_numpy())
    keep = pos >= 0
    out = fc if keep.all() else fc[keep]
    index = out.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        out = out.copy(deep=False)  # numbered 0..n−1 already: a new frame for the new column, no data copied
    else:
        out = out.reset_index(drop=True)
    out["family"] = items["family"].to_numpy()[pos[keep]]
    return out


def _forecast_frame(fc: pd.DataFrame) -> pd.DataFrame:
    """`fc.reindex(columns=FORECAST_COLUMNS (+ lo95, hi95 when there))`, built as one frame of few blocks, so
    that the copy each plan hands out is a copy of two arrays, not a consolidation of many."""
    columns = FORECAST_COLUMNS + [c for c in ("lo95", "hi95") if c in fc.columns]
    if not fc.columns.is_unique:
        return fc.reindex(columns=columns)
    return pd.DataFrame({c: fc[c] if c in fc.columns else np.nan for c in columns}, index=fc.index)


def _sorted_by_item_period(frame: pd.DataFrame, codes: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """`frame.sort_values(["item_id", "period"]).reset_index(drop=True)`, sorted on integer codes.
    `codes`: integer keys of the rows in the same order as the text (item, period), when the caller has them.
    A frame already in that order with a 0..n−1 index is returned itself (not a copy)."""
    if codes is not None:
        item_code, period_code = codes
    else:
        item_code, _ = pd.factorize(frame["item_id"], sort=True)
        period_code, _ = pd.factorize(frame["period"], sort=True)
    if (item_code < 0).any() or (period_code < 0).any():  # a missing key: let pandas place it
        return frame.sort_values(["item_id", "period"]).reset_index(drop=True)
    key = item_code.astype(np.int64) * (int(period_code.max(initial=0)) + 1) + period_code
    if (key[1:] >= key[:-1]).all():  # already in order (as uploads usually are): no rows to move, no sort
        if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1:
            return frame  # nothing to renumber either (the caller's own frame: it copies what it hands out)
        return frame.reset_index(drop=True)
    return frame.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)


def _source_codes(grid: ConsensusGrid, horizon: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer (item, period) sort keys of the rows of the frame the grid was made from (None when a row is
    not in the grid or text order cannot be had from the grid)."""
    codes = grid_codes(grid, horizon)
    if codes is None or grid.src_rows is None or (grid.src_rows < 0).any() or (grid.src_cols < 0).any():
        return None
    return codes[0][grid.src_rows], codes[1][grid.src_cols]


def _grid_row_codes(grid: ConsensusGrid, horizon: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer (item, period) sort keys of the consensus rows (the grid's layout)."""
    codes = grid_codes(grid, horizon)
    if codes is None:
        return None
    return np.repeat(codes[0], len(horizon)), np.tile(codes[1], len(grid.item_ids))


def _grid_sort_order(grid: ConsensusGrid, horizon: list[str]) -> np.ndarray | None:
    """The order that sorts the consensus rows (the grid's layout: row i × months + j is item i, month j) by
    item then month text: items by their rank, each item's months by theirs (every cell once, so any sort
    of the combined keys gives this order)."""
    codes = grid_codes(grid, horizon)
    if codes is None:
        return None
    item_rank, per_rank = codes
    n_per = len(horizon)
    by_item, by_month = np.argsort(item_rank, kind="stable"), np.argsort(per_rank, kind="stable")
    return (by_item[:, None] * n_per + by_month[None, :]).reshape(-1)


def _recall(memo: dict, key: tuple, sources: tuple):
    hit = memo.get(key)
    if hit is None or len(hit[0]) != len(sources) or any(a is not b for a, b in zip(hit[0], sources)):
        return None
    return hit[1]


def _exception_settings(settings: Settings) -> tuple:
    return (settings.mom_change_pct, settings.tracking_signal_limit, settings.item_mape_target,
            settings.bias_limit_pct)


def compute_plan(
    data: CompanyData,
    settings: Settings | None = None,
    *,
    forecaster: Callable[[pd.DataFrame, list[str]], pd.DataFrame] | None = None,
    horizon_start: str | None = None,
    with_options: bool = False,
    history: HistoryView | None = None,
    memo: dict | None = None,
) -> PlanResult:
    """Recompute everything for one plan version.

    The statistical forecast is `data.forecast` when given; otherwise `forecaster(history,
    horizon)` (default: the backtest-selected statistical forecast) provides it.

    `memo` (a dict shared by several calls on variants of the same data: scenarios) keeps what only
    depends on the forecast and the items (the statistical frame, the exceptions) and the consensus of
    the same adjustments table object, so each variant computes only what it changes.
    """
    settings = settings or Settings()
    items = data.items
    memo = memo if memo is not None else {}
    hzkey = ("horizon", id(data.forecast), id(data.history), settings.horizon, horizon_start)
    horizon = _recall(memo, hzkey, (data.forecast, data.history))
    if horizon is None:
        horizon = plan_horizon(data, settings, horizon_start)
        memo[hzkey] = ((data.forecast, data.history), horizon)
    horizon = list(horizon)
    hv = history if history is not None else history_view(data, horizon_start)
    history = data.history
    if horizon_start:
        history = history[history["period"] < horizon_start]
    # keys name objects by id; each entry keeps the objects it was made from and is used only when they are
    # the very same objects (an id can be reused once an object is gone)
    fkey = ("forecast", id(data.forecast), id(items), tuple(horizon))
    fc = _recall(memo, fkey, (data.forecast, items))
    if fc is None:
        if data.forecast is not None and len(data.forecast):
            fc = uploaded_forecast(data, horizon, own_months=True)  # (the horizon is the forecast's months)
        else:
            if forecaster is None:
                from planning.forecast import statistical_forecast

                def forecaster(h, hz):
                    return statistical_forecast(h, hz).forecast

            fc = forecaster(history, horizon)
        fc = _with_family(fc.drop(columns=["family"]) if "family" in fc.columns else fc, items)
        memo[fkey] = ((data.forecast, items), fc)
    gkey = ("grid", fkey)
    grid = _recall(memo, gkey, (data.forecast, items))
    if grid is None:  # (the forecast column read as floats: the statistical forecast)
        grid = consensus_grid(fc, items, horizon, column="forecast")
        memo[gkey] = ((data.forecast, items), grid)

    ckey = ("consensus", fkey, id(data.adjustments))
    composed = _recall(memo, ckey, (data.forecast, items, data.adjustments))
    if composed is None:
        composed = compose_consensus(None, items, data.adjustments, horizon, grid=grid)
        memo[ckey] = ((data.forecast, items, data.adjustments), composed)
    consensus = composed.consensus
    rkey = ("row_keys", fkey)  # the consensus rows are always in the grid's order
    keys = _recall(memo, rkey, (data.forecast, items))
    if keys is None:
        keys = grid_row_keys(grid, horizon, items)
        memo[rkey] = ((data.forecast, items), keys)
    side = supply_side(consensus, data, horizon, settings, with_options=with_options, keys=keys)
    ekey = ("exceptions", fkey, id(hv), _exception_settings(settings))
    exceptions = _recall(memo, ekey, (data.forecast, items, hv))
    if exceptions is None:
        exceptions = find_exceptions(consensus, hv.accuracy, hv.last_measured, settings,
                                     codes=_grid_row_codes(grid, horizon), order=_grid_sort_order(grid, horizon))
        memo[ekey] = ((data.forecast, items, hv), exceptions)
    kpi_in = KpiInputs(data.with_(history=history), horizon, side.family_plan, side.supply_plan,
                       side.financials, settings, hv.measured)
    kpis = compute_kpis(kpi_in, hv.kpi_values)
    okey = ("forecast_out", fkey)
    forecast = _recall(memo, okey, (data.forecast, items))
    if forecast is None:
        forecast = _forecast_frame(fc)
        forecast = _sorted_by_item_period(forecast, _source_codes(grid, horizon))
        memo[okey] = ((data.forecast, items), forecast)
    return PlanResult(
        horizon=horizon,
        forecast=forecast.copy(),
        consensus=consensus,
        family_plan=side.family_plan,
        supply_plan=side.supply_plan,
        inventory=side.inventory,
        financials=side.financials,
        accuracy=hv.accuracy,
        exceptions=exceptions,
        kpis=kpis,
        supply_cost_by_option=side.options,
        warnings=composed.warnings,
        adjustments=composed.applied,
    )

