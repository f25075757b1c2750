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


def factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) exactly as `pd.factorize(values, sort=True)` gives them for a 1-D object array."""
    values = np.asarray(values)
    if values.dtype == object and values.ndim == 1 and len(values) >= MIN_ROWS:
        try:
            fast = _by_runs(values)
            if fast is None:
                fast = _by_blocks(values)
        except (TypeError, ValueError):  # values that cannot be compared element by element
            fast = None
        if fast is not None:
            return fast
    return pd.factorize(values, sort=True)


def _by_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Runs of equal neighbours: each run's head factorized, its code repeated over the run (a value's first
    run holds its first occurrence, so the uniques are the same objects). None when runs are short."""
    change = values[1:] != values[:-1]
    if change.dtype != bool:
        return None
    heads = np.flatnonzero(np.r_[True, change])
    if len(heads) > len(values) // 4:
        return None
    head_codes, uniques = pd.factorize(values[heads], sort=True)
    return np.repeat(head_codes, np.diff(np.r_[heads, len(values)])), uniques


def _by_blocks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The same block of values over and over (the months of every item): the first block factorized, its
    codes tiled. None unless every block equals the first element by element."""
    n = len(values)
    equal_first = values[1:min(n, 4097)] == values[0]
    if not isinstance(equal_first, np.ndarray) or equal_first.dtype != bool or not equal_first.any():
        return None
    again = np.flatnonzero(equal_first)
    width = int(again[0]) + 1
    if n % width or width > n // 4:
        return None
    same = values.reshape(-1, width) == values[:width]
    if same.dtype != bool or not same.all():
        return None
    first_codes, uniques = pd.factorize(values[:width], sort=True)
    return np.tile(first_codes, n // width), uniques
