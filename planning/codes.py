"""`pd.factorize(values, sort=True)` of long key columns, read off their layout where it repeats.

Tables such as history are usually item-major: the item column is runs of one id, the period column the
same months over and over. Comparing neighbours (or each block of months with the first) is a plain
element-wise comparison, several times cheaper than hashing every row; only the run heads (or the first
block) are then factorized. Any other layout, or values that do not compare as booleans, take
`pd.factorize` itself: the codes and uniques are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

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
    run holds its first occurrence, so the uniques are the same objects). Neighbours that are the very same
    object (compared by address, a plain integer comparison) are tried first, then equal values. None when
    runs are short (seen on the first rows before the whole column is compared)."""
    for same in (_same_object, _equal):
        heads = _run_heads(values, same)
        if heads is not None:
            head_codes, uniques = _factorize(values[heads], sort)
            return np.repeat(head_codes, np.diff(np.r_[heads, len(values)])), uniques
    return None


def _run_heads(values: np.ndarray, same: Callable[[np.ndarray, np.ndarray], np.ndarray | None]
               ) -> np.ndarray | None:
    """The first row of each run of `same` neighbours; None when they are more than a quarter of the rows."""
    m = min(len(values), PREFIX)
    head = same(values[1:m], values[:m - 1])
    if head is None or (~head).sum() > len(head) // 4:
        return None
    change = same(values[1:], values[:-1])
    if change is None:
        return None
    heads = np.flatnonzero(np.r_[True, ~change])
    return heads if len(heads) <= len(values) // 4 else None


def _by_blocks(values: np.ndarray, sort: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """The same block of values over and over (the months of every item): the first block factorized, its
    codes tiled. None unless every block holds the same objects as the first (compared by address) or equal
    values, element by element."""
    n = len(values)
    for same in (_same_object, _equal):
        first = same(values[1:min(n, PREFIX + 1)], values[:1])
        if first is None or not first.any():
            continue
        width = int(np.flatnonzero(first)[0]) + 1
        if n % width or width > n // 4:
            continue
        blocks = same(values.reshape(-1, width), values[:width])
        if blocks is None or not blocks.all():
            continue
        first_codes, uniques = _factorize(values[:width], sort)
        return np.tile(first_codes, n // width), uniques
    return None


def _factorize(values: np.ndarray, sort: bool) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(values, sort=sort)`; distinct text (without NUL) is put in order as numpy text (C
    comparisons in code-point order, Python's order) rather than by comparing Python strings."""
    codes, uniques = pd.factorize(values)
    if not sort or len(uniques) < 2 or pd.api.types.infer_dtype(uniques, skipna=False) != "string" \
            or "\x00" in "".join(uniques):
        return pd.factorize(values, sort=sort) if sort else (codes, uniques)
    order = np.argsort(uniques.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=codes.dtype)
    rank[order] = np.arange(len(order))
    return np.where(codes < 0, -1, rank[np.maximum(codes, 0)]), uniques[order]


def _same_object(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a[i] is b[i] (broadcast), for object arrays: their addresses compared as integers. The same object
    always has the same code (NaN included: missing wherever it is)."""
    return _addresses(a) == _addresses(b)  # (a and b are alive until the comparison is made)


def _addresses(a: np.ndarray) -> np.ndarray:
    """The object pointers an object array holds, as unsigned integers: the same memory read through numpy's
    array interface with the item type changed (numpy does not view object arrays as integers itself)."""
    interface = dict(a.__array_interface__)
    interface["typestr"] = np.dtype(np.uintp).str
    return np.asarray(SimpleNamespace(__array_interface__=interface))


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """a[i] == b[i] (broadcast) when that compares as booleans, else None."""
    out = a == b
    return out if isinstance(out, np.ndarray) and out.dtype == bool else None


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
