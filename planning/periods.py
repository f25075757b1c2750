"""Month arithmetic on 'YYYY-MM' period strings, vectorized."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def period_index(periods: Iterable[str] | pd.Series) -> np.ndarray:
    """Months since year 0 for each 'YYYY-MM' string (so differences are month counts)."""
    s = pd.Series(list(periods) if not isinstance(periods, pd.Series) else periods, dtype="object").astype(str)
    year = s.str.slice(0, 4).astype(int).to_numpy()
    month = s.str.slice(5, 7).astype(int).to_numpy()
    return year * 12 + (month - 1)


def index_to_period(index: np.ndarray | Iterable[int]) -> list[str]:
    arr = np.asarray(list(index) if not isinstance(index, np.ndarray) else index, dtype=int)
    return [f"{y:04d}-{m:02d}" for y, m in zip(arr // 12, arr % 12 + 1)]


def shift_period(period: str, months: int) -> str:
    return index_to_period([period_index([period])[0] + months])[0]


def shift_periods(periods: pd.Series, months: int) -> pd.Series:
    return pd.Series(index_to_period(period_index(periods) + months), index=periods.index)


def horizon_after(last_period: str, n: int) -> list[str]:
    """The n months after `last_period`."""
    start = period_index([last_period])[0]
    return index_to_period(np.arange(start + 1, start + 1 + n))


def months_between(start: str, end: str) -> int:
    return int(period_index([end])[0] - period_index([start])[0])
