"""Family × month sums of a table in a consensus grid's layout (items × months, items sorted by family),
without sorting its rows into cells.

A cell's rows, in row order, are the family's items in order; pandas' groupby sum adds them with Kahan
compensation in that order (`planning.measures.group_sums`). Taking each item's row of months as one wide
row, the same additions run for the k-th item of every family at once: the same operations on the same
numbers in the same order, so the same bits.
"""

from __future__ import annotations

import numpy as np

from planning.measures import MAX_GROUP_ROWS, _kahan_rows


def grid_cell_sums(fam_of_item: np.ndarray, per_rank: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Sums per family and month of `values` (rows: item-major, items × months; columns: what is summed) as
    `groupby(family, month).sum()` gives them: an array families × months (in rank order) × columns.
    `fam_of_item`: each item's family code (non-decreasing); `per_rank`: each month column's rank in text
    order. None (the caller groups) when a value is not finite or a family has more than MAX_GROUP_ROWS
    items."""
    n_items, n_per = len(fam_of_item), len(per_rank)
    if not n_items or not n_per or values.shape[0] != n_items * n_per or not np.isfinite(values).all():
        return None
    first = np.flatnonzero(np.r_[True, fam_of_item[1:] != fam_of_item[:-1]])
    size = np.diff(np.r_[first, n_items])
    if size.max() > MAX_GROUP_ROWS:
        return None
    width = values.shape[1]
    total, _ = _kahan_rows(values.reshape(n_items, n_per * width), first, size)
    return total.reshape(len(first), n_per, width)[:, np.argsort(per_rank), :]
