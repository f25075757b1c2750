"""`pd.factorize(values, sort=True)` of long key columns, read off their layout where it repeats.

Tables such as history are usually item-major: the item column is runs of one id, the period column the
same months over and over. Comparing neighbours (or each block of months with the first) is a plain
element-wise comparison, several times cheaper than hashing every row; only the run heads (or the first
block) are then factorized. Any other layout, or values that do not compare as booleans, take
`pd.factorize` itself: the codes and uniques are the same either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_ROWS = 64  # below this the plain factorize is as cheap as the checks
PREFIX = 4096  # rows looked at first to tell the layout


def factorize_sorted(values: np.ndarray, *, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) exactly as `pd.factorize(values, sort=sort)` gives them for a 1-D object array (unsorted:
    uniques in order of first appearance, which the run heads and the first block keep)."""
    values = np.asarray(values)
    if values.dtype == object and values.ndim == 1 and len(values) >= MIN_ROWS:
        try:
            fast = _by_runs(values, sort)
            if fast is None:
                fast = _by_blocks(values, sort)
        except (TypeError, ValueError):  # values that cannot be compared element by element
            fast = None
        if fast is not None:
            return fast
    return pd.factorize(values, sort=sort)


def indexer(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """`index.get_indexer(values)` (`index` unique): the distinct values looked up once each, their positions
    spread back by their codes. A missing value (which get_indexer would match to a missing label) takes
    get_indexer itself."""
    values = np.asarray(values)
    if values.dtype == object and values.ndim == 1 and len(values) >= MIN_ROWS and index.is_unique:
        codes, uniques = factorize_sorted(values, sort=False)
        if len(codes) and codes.min() >= 0:
            return index.get_indexer(uniques)[codes]
    return index.get_indexer(values)


def _by_runs(values: np.ndarray, sort: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """Runs of equal neighbours: each run's head factorized, its code repeated over the run (a value's first
    run holds its first occurrence, so the uniques are the same objects). None when runs are short (seen
    on the first rows before the whole column is compared)."""
    m = min(len(values), PREFIX)
    head = values[1:m] != values[:m - 1]
    if head.dtype != bool or head.sum() > len(head) // 4:
        return None
    change = values[1:] != values[:-1]
    if change.dtype != bool:
        return None
    heads = np.flatnonzero(np.r_[True, change])
    if len(heads) > len(values) // 4:
        return None
    head_codes, uniques = pd.factorize(values[heads], sort=sort)
    return np.repeat(head_codes, np.diff(np.r_[heads, len(values)])), uniques


def _by_blocks(values: np.ndarray, sort: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """The same block of values over and over (the months of every item): the first block factorized, its
    codes tiled. None unless every block equals the first element by element."""
    n = len(values)
    equal_first = values[1:min(n, PREFIX + 1)] == values[0]
    if not isinstance(equal_first, np.ndarray) or equal_first.dtype != bool or not equal_first.any():
        return None
    again = np.flatnonzero(equal_first)
    width = int(again[0]) + 1
    if n % width or width > n // 4:
        return None
    same = values.reshape(-1, width) == values[:width]
    if same.dtype != bool or not same.all():
        return None
    first_codes, uniques = pd.factorize(values[:width], sort=sort)
    return np.tile(first_codes, n // width), uniques


def left_positions(left: list[np.ndarray], right: list[np.ndarray]) -> np.ndarray | None:
    """For each row of the key columns `left`, the row of `right` with the same keys (−1: none): the pairs a
    left merge on those keys makes when `right`'s keys are unique. None (the caller merges) unless every key
    column is an object array without missing values (a merge pairs missing keys with each other) and
    `right`'s keys are unique."""
    n = len(left[0]) if left else 0
    code = np.zeros(n + (len(right[0]) if right else 0), dtype=np.int64)
    for lcol, rcol in zip(left, right):
        if lcol.dtype != object or rcol.dtype != object:
            return None
        c, uniques = pd.factorize(np.concatenate([lcol, rcol]))
        if len(c) and c.min() < 0:
            return None
        code = code * max(len(uniques), 1) + c
    keys = pd.Index(code[n:])
    if not keys.is_unique:
        return None
    return keys.get_indexer(code[:n])
