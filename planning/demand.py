"""Consensus demand: adjustments composed on the statistical forecast, and scenarios.

An adjustment is percentage (x × (1 + v/100)), additive (x + v) or absolute (v). An
item adjustment changes that item's cell. A family adjustment changes the family's
current total (the sum of its items as they stand at that point) and spreads the change
to the items pro rata to their current values, equally when that total is zero
(`spread_pro_rata`, which the service layer also uses to spread a family's capacity edit over
its resources).
Adjustments that touch the same family and month apply in `created_at` order, then in
file (`seq`) order. Consensus is never negative: each step's result is floored at 0.

Vectorization: cells of different (family, month) groups never interact, so the k-th
adjustment of every group is applied in one array operation; the only Python loop is
over k (the deepest stack of adjustments on one family-month), not over adjustments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.codes import indexer
from planning.grid_sums import grid_cell_sums
from planning.measures import group_sums

ADJUSTMENT_TYPES = ("percentage", "additive", "absolute")
ROUND_DECIMALS = 9  # float noise such as 10000 × 1.1 = 11000.000000000002 is rounded away


@dataclass
class ConsensusResult:
    consensus: pd.DataFrame  # item_id, family, period, statistical, consensus
    applied: pd.DataFrame  # the adjustments with before/after (family total or item value) and `applied` flag
    warnings: list[str]


def apply_adjustment(kind: np.ndarray, value: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The new value of `current` under adjustments of `kind` and `value` (element-wise), floored at 0."""
    out = np.where(
        kind == "percentage",
        current * (1.0 + value / 100.0),
        np.where(kind == "additive", current + value, value),
    )
    return np.maximum(out, 0.0)


def spread_pro_rata(parts: np.ndarray, new_total, groups: np.ndarray | None = None) -> np.ndarray:
    """`parts` scaled so that they sum to `new_total`: pro rata to their current values, in equal
    shares when they sum to 0 (or less). Used for family adjustments (items of a family) and for
    capacity edits of a family (its resources).

    parts      (n,) or (n, m): axis 0 holds the parts, any further axes are independent totals
               (e.g. items × months: each month is spread on its own).
    new_total  without `groups`: a scalar or an array broadcastable to parts.sum(axis=0).
               With `groups`: one total per group, shape (g,) or (g, m).
    groups     optional int array (n,) of group numbers 0..g−1: each group of parts is spread
               over its own total (all families of a month in one call).

    >>> spread_pro_rata(np.array([300.0, 100.0]), 800.0)
    array([600., 200.])
    >>> spread_pro_rata(np.array([0.0, 0.0]), 10.0)
    array([5., 5.])
    """
    parts = np.asarray(parts, dtype=float)
    new_total = np.asarray(new_total, dtype=float)
    if groups is None:
        new, old, size = new_total, parts.sum(axis=0), float(parts.shape[0])
    else:
        groups = np.asarray(groups, dtype=int)
        n_groups = int(new_total.shape[0])
        flat = parts.reshape(len(parts), -1)  # parts × the independent totals
        width = flat.shape[1]
        cell = (groups[:, None] * width + np.arange(width)).ravel()
        total = np.bincount(cell, weights=flat.ravel(), minlength=n_groups * width).reshape(n_groups, width)
        old = total[groups].reshape(parts.shape)
        new = new_total[groups]
        size = np.bincount(groups, minlength=n_groups)[groups].astype(float).reshape((-1,) + (1,) * (parts.ndim - 1))
    positive = old > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(positive, new / np.where(positive, old, 1.0), 0.0)
        equal = np.broadcast_to(new / size, parts.shape)
    return np.where(positive, parts * factor, equal)


@dataclass(frozen=True)
class ConsensusGrid:
    """The statistical forecast as a matrix items × horizon (items sorted by family) and the consensus
    table's key columns: what depends on the forecast and the items alone, so a caller can keep it
    while only the adjustments change (`compose_consensus(..., grid=)`)."""

    item_ids: np.ndarray
    families: np.ndarray
    fam_of_item: np.ndarray
    matrix: np.ndarray
    keys: pd.DataFrame  # item_id, family, period in the consensus table's row order
    # each row of the `statistical` frame the grid was made from: its matrix row and column (−1: not in the grid)
    src_rows: np.ndarray | None = None
    src_cols: np.ndarray | None = None
    sort_codes: dict = field(default_factory=dict)  # `grid_codes` by horizon, once made


def consensus_grid(statistical: pd.DataFrame, items: pd.DataFrame, horizon: list[str],
                   column: str = "statistical") -> ConsensusGrid:
    """Items sorted by family, their family index and the statistical matrix items × horizon (the forecast
    units are `statistical[column]`, read as floats)."""
    item_ids, families, fam_of_item = _items_by_family(items)
    rows = indexer(pd.Index(item_ids), statistical["item_id"].to_numpy())
    cols = indexer(pd.Index(horizon), statistical["period"].to_numpy())
    keep = (rows >= 0) & (cols >= 0)
    n_per = len(horizon)
    # the cells' sums, repeated keys added in row order (what np.add.at into zeros gives, far faster)
    matrix = np.bincount(rows[keep].astype(np.int64) * n_per + cols[keep],
                         weights=np.nan_to_num(statistical[column].to_numpy(float)[keep]),
                         minlength=len(item_ids) * n_per).reshape(len(item_ids), n_per)
    keys = pd.DataFrame({
        "item_id": np.repeat(item_ids, n_per),
        "family": np.repeat(families.astype(object)[fam_of_item], n_per),  # one str object per family, not per row
        "period": np.tile(np.asarray(horizon, dtype=object), len(item_ids)),
    })
    matrix.setflags(write=False)
    return ConsensusGrid(item_ids, families, fam_of_item, matrix, keys, rows, cols)


def _items_by_family(items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The item ids sorted by family then id (first row per id), the sorted families (as numpy text) and each
    item's family index: `sort_values(["family", "item_id"], kind="stable")` and `np.unique(family)`, sorted
    as numpy text (C comparisons in code-point order, Python's) when every id and family is text without NUL."""
    first = items[["item_id", "family"]].drop_duplicates("item_id")
    ids, fams = first["item_id"].to_numpy(dtype=object), first["family"].to_numpy(dtype=object)
    if len(ids) and all(pd.api.types.infer_dtype(v, skipna=False) == "string" for v in (ids, fams)) \
            and "\x00" not in "".join(ids) + "".join(fams):
        fam_text = fams.astype(str)
        order = np.lexsort((ids.astype(str), fam_text))  # stable: the last key sorts first
        fam_sorted = fam_text[order]
        change = np.r_[True, fam_sorted[1:] != fam_sorted[:-1]]
        return ids[order], fam_sorted[change], np.cumsum(change) - 1
    order = first.sort_values(["family", "item_id"], kind="stable")
    families, fam_of_item = np.unique(order["family"].to_numpy(dtype=str), return_inverse=True)
    return order["item_id"].to_numpy(dtype=object), families, fam_of_item


def grid_codes(grid: ConsensusGrid, horizon: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer sort keys of the grid's items and horizon months: each item's rank by item_id and each month's
    rank by period (text order), so that tables in grid terms are sorted on integers, as
    `pd.factorize(..., sort=True)` codes would sort them. None where text order cannot be had this way (ids
    that are not all text, a month twice): the caller then takes the general path. Kept on the grid."""
    key = tuple(horizon)
    hit = grid.sort_codes.get(key)
    if hit is None:
        hit = grid.sort_codes[key] = (_text_ranks(grid.item_ids), _text_ranks(np.asarray(horizon, dtype=object)))
    item_rank, per_rank = hit
    if item_rank is None or per_rank is None:
        return None
    return item_rank, per_rank


def _text_ranks(values: np.ndarray) -> np.ndarray | None:
    """Each value's rank in text order (values unique Python strings), else None. Sorted as a numpy unicode
    array (C comparisons, the same code-point order as Python's) unless a value holds a NUL, which numpy
    would drop from its end."""
    if pd.api.types.infer_dtype(values, skipna=False) != "string" or len(set(values)) != len(values):
        return None
    text = np.asarray(values, dtype=object)
    order = np.argsort(text, kind="stable") if "\x00" in "".join(text) else np.argsort(text.astype(str), kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def grid_row_keys(grid: ConsensusGrid, horizon: list[str], items: pd.DataFrame) -> RowKeys:
    """`row_keys(grid.keys, items)` read off the grid's layout (items × months, items sorted by family),
    without hashing the table's text keys: the same codes, families, periods and item positions."""
    n_items, n_per = len(grid.item_ids), len(horizon)
    codes = grid_codes(grid, horizon) if n_items and n_per else None
    if codes is None:
        return row_keys(grid.keys, items)
    _, per_rank = codes
    periods = np.empty(n_per, dtype=object)
    periods[per_rank] = np.asarray(horizon, dtype=object)
    code = np.repeat(grid.fam_of_item.astype(np.int64), n_per) * n_per + np.tile(per_rank, n_items)
    first = items.drop_duplicates("item_id")
    pos = np.repeat(pd.Index(first["item_id"]).get_indexer(grid.item_ids), n_per)
    return RowKeys(code, np.ones(len(code), dtype=bool), grid.families.astype(object), periods, pos, first,
                   (grid.fam_of_item, per_rank))


def compose_consensus(
    statistical: pd.DataFrame | None, items: pd.DataFrame, adjustments: pd.DataFrame, horizon: list[str],
    *, grid: ConsensusGrid | None = None,
) -> ConsensusResult:
    """Apply `adjustments` to the statistical forecast (item_id, period, statistical); `grid` is
    `consensus_grid(statistical, items, horizon)` when the caller already has it (`statistical` is then not
    read and may be None)."""
    if grid is None and statistical is None:
        raise ValueError("compose_consensus needs the statistical forecast or its grid")
    g = grid if grid is not None else consensus_grid(statistical, items, horizon)
    item_ids, families, fam_of_item, stat = g.item_ids, g.families, g.fam_of_item, g.matrix
    x = stat.copy()
    n_fam, n_per = len(families), len(horizon)
    fam_starts = np.searchsorted(fam_of_item, np.arange(n_fam))
    warnings: list[str] = []

    adj = adjustments.copy().reset_index(drop=True)
    adj["before"] = np.nan
    adj["after"] = np.nan
    adj["applied"] = False
    if len(adj):
        item_pos = pd.Series(np.arange(len(item_ids)), index=item_ids)
        fam_pos = pd.Series(np.arange(n_fam), index=families)
        per_pos = pd.Series(np.arange(n_per), index=horizon)
        is_item = _lower(adj["level"]) == "item"
        keys = adj["key"].astype(str)
        row = np.where(is_item, keys.map(item_pos).to_numpy(dtype=float), np.nan)
        fam_key = keys.map(fam_pos).to_numpy(dtype=float)
        fam = np.where(is_item, fam_of_item[np.nan_to_num(row, nan=0).astype(int)], fam_key)
        fam = np.where(is_item & np.isnan(row), np.nan, fam)
        col = adj["period"].astype(str).map(per_pos).to_numpy(dtype=float)
        usable = ~np.isnan(fam) & ~np.isnan(col)
        outside = (~np.isnan(fam) & np.isnan(col)).sum()
        if outside:
            warnings.append(f"{outside} adjustment(s) fall outside the horizon and were not applied.")
        unknown = np.isnan(fam).sum()
        if unknown:
            warnings.append(f"{unknown} adjustment(s) name an unknown item or family and were not applied.")
        use = adj[usable].copy()
        use["_row"] = row[usable]
        use["_fam"] = fam[usable].astype(int)
        use["_col"] = col[usable].astype(int)
        use["_item"] = is_item[usable]
        created = (pd.to_datetime(use["created_at"], errors="coerce", cache=False) if "created_at" in use
                   else pd.NaT)
        use["_created"] = created
        use = use.iloc[_time_order(use)] if len(use) else use
        use["_rank"] = _rank_in_cell(use["_fam"].to_numpy() * n_per + use["_col"].to_numpy())
        before = np.full(len(adj), np.nan)
        after = np.full(len(adj), np.nan)
        # the steps as arrays, rank by rank (a stable sort keeps each rank's rows in created_at, seq order)
        by_rank = np.argsort(use["_rank"].to_numpy(), kind="stable")
        rank_of = use["_rank"].to_numpy()[by_rank]
        kinds = _lower(use["type"])[by_rank]
        values = use["value"].to_numpy(float)[by_rank]
        idxs = use.index.to_numpy()[by_rank]
        on_items = use["_item"].to_numpy(bool)[by_rank]
        rows_all = np.nan_to_num(use["_row"].to_numpy(float), nan=-1).astype(np.int64)[by_rank]
        fams_all = use["_fam"].to_numpy()[by_rank]
        cols_all = use["_col"].to_numpy()[by_rank]
        bounds = np.searchsorted(rank_of, np.arange(int(rank_of.max()) + 2 if len(rank_of) else 0))
        fam_size = np.diff(np.r_[fam_starts, len(item_ids)])
        for rank in range(len(bounds) - 1):
            step = slice(bounds[rank], bounds[rank + 1])
            kind, value, idx, on_item = kinds[step], values[step], idxs[step], on_items[step]
            # item-level: change the one cell
            r = rows_all[step][on_item]
            c = cols_all[step][on_item]
            old = x[r, c]
            new = apply_adjustment(kind[on_item], value[on_item], old)
            x[r, c] = new
            before[idx[on_item]] = old
            after[idx[on_item]] = new
            # family-level: change the family total, spread pro rata (equal shares at zero)
            on_fam = ~on_item
            if on_fam.any():
                f = fams_all[step][on_fam]
                c = cols_all[step][on_fam]
                old_t, new_t = _spread_cells(x, fam_starts[f], fam_size[f], c, kind[on_fam], value[on_fam])
                before[idx[on_fam]] = old_t
                after[idx[on_fam]] = new_t
        adj["before"] = np.round(before, ROUND_DECIMALS)
        adj["after"] = np.round(after, ROUND_DECIMALS)
        adj["applied"] = usable

    x = np.round(np.maximum(x, 0.0), ROUND_DECIMALS)
    consensus = g.keys.copy()
    consensus["statistical"] = stat.reshape(-1).copy()
    consensus["consensus"] = x.reshape(-1)
    return ConsensusResult(consensus=consensus, applied=adj, warnings=warnings)


def _lower(column: pd.Series) -> np.ndarray:
    """`column.str.lower().to_numpy()`, lowering each distinct value once (a column holds a few kinds)."""
    codes, uniques = pd.factorize(column)
    out = pd.Series(uniques, dtype=object).str.lower().to_numpy()[np.maximum(codes, 0)] if len(uniques) \
        else np.empty(len(codes), dtype=object)
    missing = codes < 0
    if missing.any():  # (each missing value as str.lower leaves it)
        out[missing] = column[missing].str.lower().to_numpy()
    return out


def _time_order(use: pd.DataFrame) -> np.ndarray:
    """The positions that sort `use` by `_created` then `seq` (missing times last, ties in file order): what
    `sort_values(["_created", "seq"], na_position="last", kind="stable")` takes, by `np.lexsort` on the
    times' integers when they are plain datetimes and `seq` whole numbers."""
    created, seq = use["_created"], use["seq"]
    if created.dtype != np.dtype("datetime64[ns]") or seq.dtype.kind not in "iu":  # the sort itself
        numbered = use.reset_index(drop=True)
        return numbered.sort_values(["_created", "seq"], na_position="last", kind="stable").index.to_numpy()
    missing = created.isna().to_numpy()
    return np.lexsort((seq.to_numpy(), created.to_numpy().view(np.int64), missing))


def _rank_in_cell(cell: np.ndarray) -> np.ndarray:
    """Each row's count of earlier rows with the same cell: `groupby(cell).cumcount()`."""
    order = np.argsort(cell, kind="stable")
    ordered = cell[order]
    start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(cell) else np.zeros(0, np.int64)
    run_start = np.repeat(start, np.diff(np.r_[start, len(cell)]))
    rank = np.empty(len(cell), dtype=np.int64)
    rank[order] = np.arange(len(cell)) - run_start
    return rank


def _spread_cells(x: np.ndarray, start: np.ndarray, size: np.ndarray, col: np.ndarray, kind: np.ndarray,
                  value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Family adjustments on distinct family-month cells of `x` (items × months, items sorted by family; a
    family's items are rows start .. start + size − 1), in place: each cell's total (its items summed in row
    order) set by `apply_adjustment` and spread pro rata (`spread_pro_rata`, equal shares at zero) over its
    items. Only the adjusted cells' items are read and written. Returns the totals before and after."""
    cell = np.repeat(np.arange(len(start)), size)
    offset = np.arange(len(cell)) - np.repeat(np.cumsum(size) - size, size)
    rows, cols = np.repeat(start, size) + offset, col[cell]
    parts = x[rows, cols]
    old_t = np.bincount(cell, weights=parts, minlength=len(start))
    new_t = apply_adjustment(kind, value, old_t)
    old, new = old_t[cell], new_t[cell]
    positive = old > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(positive, new / np.where(positive, old, 1.0), 0.0)
        equal = new / size[cell].astype(float)
    x[rows, cols] = np.where(positive, parts * factor, equal)
    return old_t, new_t


@dataclass(frozen=True)
class RowKeys:
    """Integer codes of a table's rows (consensus layout): the family-period cell of each row (sorted
    families × sorted periods) and the row's item position in `items` (−1 unknown). Computed once per
    key columns, they serve every sum and price lookup on tables with those rows in that order."""

    code: np.ndarray
    valid: np.ndarray
    families: np.ndarray
    periods: np.ndarray
    item_pos: np.ndarray
    items: pd.DataFrame  # the items, first row per item_id
    # rows in a consensus grid's layout: each item's family code (non-decreasing) and each month column's rank
    layout: tuple[np.ndarray, np.ndarray] | None = None


def row_keys(frame: pd.DataFrame, items: pd.DataFrame | None = None) -> RowKeys:
    fam_code, fams = pd.factorize(frame["family"], sort=True)
    per_code, pers = pd.factorize(frame["period"], sort=True)
    width = max(len(pers), 1)
    code = fam_code.astype(np.int64) * width + per_code
    first = items.drop_duplicates("item_id") if items is not None else pd.DataFrame({"item_id": []})
    pos = pd.Index(first["item_id"]).get_indexer(frame["item_id"]) if items is not None and "item_id" in frame \
        else np.full(len(frame), -1)
    return RowKeys(code, (fam_code >= 0) & (per_code >= 0), np.asarray(fams, dtype=object),
                   np.asarray(pers, dtype=object), pos, first)


def family_period_sums(frame: pd.DataFrame, columns: dict[str, np.ndarray], keys: RowKeys | None = None
                       ) -> pd.DataFrame:
    """family, period and the sum of each of `columns` (arrays aligned with `frame`'s rows) per family and
    period present, sorted: what `frame.groupby(["family", "period"], sort=True)[...].sum()` gives, grouped
    on integer codes (the same sums in the same order, several times faster than on two text keys).
    `keys`: `row_keys` of a frame with the same key columns, when the caller has them."""
    k = keys if keys is not None else row_keys(frame)
    floats = all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in columns.values())
    if k.layout is not None and floats and columns:  # a grid's rows: no sort into cells (planning.grid_sums)
        fam_of_item, per_rank = k.layout
        total = grid_cell_sums(fam_of_item, per_rank, _side_by_side(list(columns.values())))
        if total is not None:
            fams, n_per = np.unique(fam_of_item), len(per_rank)
            return pd.DataFrame({"family": np.repeat(k.families[fams], n_per),
                                 "period": np.tile(k.periods[:n_per], len(fams)),
                                 **{name: total[:, :, j].reshape(-1) for j, name in enumerate(columns)}})
    valid = k.valid
    code = k.code if valid.all() else k.code[valid]
    summed = group_sums(code.astype(np.int64, copy=False),
                        _side_by_side([v if valid.all() else v[valid] for v in columns.values()])
                        ) if floats and columns else None
    if summed is not None:
        cell, _, total, _ = summed
        sums = {name: total[:, j] for j, name in enumerate(columns)}
    else:
        work = pd.DataFrame(columns)
        grouped = (work if valid.all() else work[valid]).groupby(code, sort=True).sum()
        cell = grouped.index.to_numpy()
        sums = {name: grouped[name].to_numpy() for name in columns}
    width = max(len(k.periods), 1)
    return pd.DataFrame({"family": k.families[cell // width], "period": k.periods[cell % width], **sums})


def _side_by_side(columns: list[np.ndarray]) -> np.ndarray:
    """`np.column_stack(columns)`; one column is a view as a one-column matrix, not a copy."""
    return columns[0].reshape(-1, 1) if len(columns) == 1 and columns[0].ndim == 1 else np.column_stack(columns)


def item_attribute(frame: pd.DataFrame, items: pd.DataFrame, column: str, keys: RowKeys | None = None
                   ) -> np.ndarray:
    """`items[column]` of each row's item_id in `frame` (NaN for an unknown item), as floats."""
    if keys is None:
        first = items.drop_duplicates("item_id")
        pos = pd.Index(first["item_id"]).get_indexer(frame["item_id"])
    else:
        first, pos = keys.items, keys.item_pos
    values = np.append(first[column].to_numpy(float), np.nan)
    return values[pos]  # pos −1 (unknown) reads the NaN appended at the end


def family_demand(consensus: pd.DataFrame, column: str = "consensus", keys: RowKeys | None = None) -> pd.DataFrame:
    """Family × period totals of a consensus column: family, period, demand."""
    return family_period_sums(consensus, {"demand": consensus[column].to_numpy(float)}, keys)


def scenario_consensus(
    consensus: pd.DataFrame, pct: float, *, forecast: pd.DataFrame | None = None, side: str = "up"
) -> pd.DataFrame:
    """Upside/downside copy of the consensus.

    Without intervals: consensus × (1 ± pct/100). With the forecast's 80 % interval
    (`forecast` with item_id, period, forecast, lo80, hi80): the consensus moved by the
    interval's relative width for that cell, which keeps judgemental changes in place.
    """
    out = consensus.copy()
    sign = 1.0 if side == "up" else -1.0
    factor = pd.Series(1.0 + sign * pct / 100.0, index=out.index)
    if forecast is not None and {"lo80", "hi80"}.issubset(forecast.columns) and forecast["hi80"].notna().any():
        bounds = out[["item_id", "period"]].merge(
            forecast[["item_id", "period", "forecast", "lo80", "hi80"]], on=["item_id", "period"], how="left"
        )
        base = bounds["forecast"].where(bounds["forecast"] > 0)
        rel = (bounds["hi80"] / base) if side == "up" else (bounds["lo80"] / base)
        factor = rel.where(rel.notna(), factor).set_axis(out.index)
    out["consensus"] = np.round(np.maximum(out["consensus"].to_numpy(float) * factor.to_numpy(float), 0), ROUND_DECIMALS)
    return out
