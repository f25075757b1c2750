"""Forecast accuracy measures, written once (SPEC.md Definitions).

With F the forecast (or plan) and A the actual of the same cell, one row per period measured:
  e = F − A; bias % = Σe / ΣA × 100 (positive = over-forecast); MAPE = mean of |e| / A × 100
  over the rows with A > 0 (rows with A = 0 are left out and counted in `n_zero`);
  WAPE = Σ|e| / ΣA × 100; MAD = mean |e|; tracking signal = Σe / MAD (0 when MAD = 0);
  attainment = ΣA / ΣF × 100.
A ratio whose denominator is not positive (ΣA = 0, no A > 0, ΣF = 0) is NaN.

Family and total figures come from summed units: sum the rows to one row per family (company)
and period first, then measure those rows (see `planning.accuracy.family_totals`).

The work is split in two so that windows can be rolled or combined: `error_sums` gives additive
sums per group, and `from_sums` turns sums into measures. Sums of several groups added together
are the sums of their union, so `from_sums(rolling sums)` measures rolling windows exactly as
`measures` would measure each window on its own. `measures` = `from_sums(error_sums(...))`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

SUM_COLUMNS = ["n", "n_zero", "sum_ape", "sum_e", "sum_abs_e", "sum_actual", "sum_forecast"]
MEASURE_COLUMNS = ["n", "n_zero", "mape", "wape", "bias_pct", "mad", "tracking_signal"]


def ratio(num, den, scale: float = 1.0) -> np.ndarray:
    """num / den × scale element-wise, NaN where den is not positive (or missing)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = den > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, num / np.where(ok, den, 1.0) * scale, np.nan)


def error_sums(
    frame: pd.DataFrame, by: Sequence[str] = (), forecast: str = "forecast", actual: str = "actual",
    *, codes: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Additive error sums of `forecast` against `actual` per group of `by` (one row per period).

    Columns: *by, n (rows), n_zero (rows with A ≤ 0), sum_ape (Σ |e| / A × 100 over A > 0),
    sum_e, sum_abs_e, sum_actual, sum_forecast; groups sorted by `by`, rows with a missing key
    or a missing F or A are not measured. An empty `by` gives one row over the whole frame
    (n = 0 when the frame is empty). `codes`: for a key column, `pd.factorize(frame[c], sort=True)` of the
    frame (or of a table it was filtered from) when the caller has it, so its text is not hashed again.
    """
    by = list(by)
    f = frame[forecast].to_numpy(float)
    a = frame[actual].to_numpy(float)
    keep = ~(np.isnan(f) | np.isnan(a))
    every = bool(keep.all())  # (then no row is taken out: no copies)
    if not every:
        f, a = f[keep], a[keep]
    e = f - a
    abs_e = np.abs(e)
    positive = a > 0
    sum_ape = np.zeros(len(a))  # |e| / A × 100 where A > 0 (the division of `ratio`), else 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        np.divide(abs_e, a, out=sum_ape, where=positive)
        sum_ape *= 100.0

    def work() -> pd.DataFrame:
        return pd.DataFrame({"n": np.ones(len(a), dtype=np.int64), "n_zero": (~positive).astype(np.int64),
                             "sum_ape": sum_ape, "sum_e": e, "sum_abs_e": abs_e, "sum_actual": a, "sum_forecast": f})

    if not by:
        return _whole_sums(positive, sum_ape, e, abs_e, a, f)
    # grouped on one integer code per combination of the keys (each key factorized in sorted order), not on
    # the text keys themselves: the same groups, in the same order, with the same sums, several times faster
    code = np.zeros(len(a), dtype=np.int64)
    uniques = []
    for c in by:
        if codes is not None and c in codes:
            k, u = codes[c][0] if every else codes[c][0][keep], codes[c][1]
        else:
            k, u = pd.factorize(frame[c].to_numpy() if every else frame[c].to_numpy()[keep], sort=True)
        if len(k) and code.min() >= 0 and k.min() >= 0:
            code = code * max(len(u), 1) + k
        else:
            code = np.where((code < 0) | (k < 0), -1, code * max(len(u), 1) + k)
        uniques.append(np.asarray(u, dtype=object) if u.dtype == object else np.asarray(u))
    valid = code >= 0  # rows with a missing key are not measured (as groupby leaves them out)
    summed = _group_sums(code, valid, positive, np.column_stack([sum_ape, e, abs_e, a, f]))
    if summed is not None:
        cell, columns = summed
    else:
        sums = (work() if valid.all() else work()[valid]).groupby(code[valid], sort=True)[SUM_COLUMNS].sum()
        cell = sums.index.to_numpy()
        columns = {c: sums[c].to_numpy() for c in SUM_COLUMNS}
    out = {}
    for c, u in zip(reversed(by), reversed(uniques)):
        out[c] = u[cell % max(len(u), 1)]
        cell = cell // max(len(u), 1)
    return pd.DataFrame({**{c: out[c] for c in by}, **{c: columns[c] for c in SUM_COLUMNS}})


def _whole_sums(positive: np.ndarray, *floats: np.ndarray) -> pd.DataFrame:
    """The one row of `error_sums` without `by`: what summing each column of its work frame with pandas gives
    (a float64 column's `Series.sum` is numpy's pairwise sum of the column with NaN taken as 0), without
    building that frame. `floats`: sum_ape, e, |e|, actual, forecast."""
    row: dict[str, list] = {"n": [np.int64(len(positive))], "n_zero": [np.int64((~positive).sum())]}
    for c, v in zip(FLOAT_SUMS, floats):
        row[c] = [np.nansum(v) if len(v) else np.float64(0.0)]
    return pd.DataFrame(row)


FLOAT_SUMS = ["sum_ape", "sum_e", "sum_abs_e", "sum_actual", "sum_forecast"]
MAX_GROUP_ROWS = 512  # above this many rows in a group the row-by-row loop below costs more than groupby


def _group_sums(code: np.ndarray, valid: np.ndarray, positive: np.ndarray, values: np.ndarray,
                ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """The sorted group codes and the SUM_COLUMNS of `error_sums` (see `group_sums`)."""
    if not valid.all():
        code, positive, values = code[valid], positive[valid], values[valid]
    summed = group_sums(code, values)
    if summed is None:
        return None
    cell, size, total, order = summed
    group = np.repeat(np.arange(len(cell)), size)
    zero = ~(positive if order is None else positive[order])
    columns = {"n": size.astype(np.int64),
               "n_zero": np.bincount(group, weights=zero.astype(float), minlength=len(cell)).astype(np.int64)}
    columns.update({c: total[:, j] for j, c in enumerate(FLOAT_SUMS)})
    return cell, columns


def group_sums(code: np.ndarray, values: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None:
    """`pd.DataFrame(values).groupby(code, sort=True).sum()` bit for bit, without hashing the codes: pandas adds
    a group's floats in row order with Kahan compensation; here the same operations run for the k-th row of
    every group at once. `code`: non-negative int64 group codes; `values`: (rows, columns) float64.
    Returns the sorted codes present, each group's row count, the sums (groups × columns) and the stable
    order that sorts the rows by code (None: already sorted). None (use groupby) when a value is not finite
    (groupby skips NaN), a group has more than MAX_GROUP_ROWS rows, or sorting the codes would cost more."""
    if not np.isfinite(values).all():
        return None
    if not len(code) or (code[1:] >= code[:-1]).all():
        order = None
        ordered = code
    elif code.max() < 2 ** 16:  # small codes: numpy's stable sort of 16-bit integers is a radix sort
        order = np.argsort(code.astype(np.uint16), kind="stable")
        ordered = code[order]
    else:
        return None
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else np.zeros(0, np.int64)
    size = np.diff(np.r_[first, len(ordered)])
    if len(size) and size.max() > MAX_GROUP_ROWS:
        return None
    rows = values if order is None else values[order]
    total, _ = _kahan_rows(rows, first, size)
    return ordered[first], size, total, order


def from_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """The measures of `error_sums` rows (or of sums added over several groups, e.g. rolling).

    Returns the sums with mape, wape, bias_pct, mad, tracking_signal and attainment (percent
    except MAD and tracking signal) added.
    """
    n = sums["n"].to_numpy(float)
    sum_e = sums["sum_e"].to_numpy(float)
    sum_abs_e, sum_actual = sums["sum_abs_e"].to_numpy(float), sums["sum_actual"].to_numpy(float)
    mad = ratio(sum_abs_e, n)
    added = {
        "mape": ratio(sums["sum_ape"], n - sums["n_zero"].to_numpy(float)),
        "wape": ratio(sum_abs_e, sum_actual, 100.0),
        "bias_pct": ratio(sum_e, sum_actual, 100.0),
        "mad": mad,
        "tracking_signal": np.where(mad > 0, ratio(sum_e, mad), 0.0),
        "attainment": ratio(sum_actual, sums["sum_forecast"], 100.0),
    }
    if (any(c in sums.columns for c in added) or not sums.columns.is_unique  # measures again: as assignment does
            or not all(isinstance(t, np.dtype) for t in sums.dtypes)):  # (extension dtypes kept as they are)
        out = sums.copy()
        for c, v in added.items():
            out[c] = v
        return out
    # one new frame (the sums' columns, then the measures), not a copy and six column inserts
    return pd.DataFrame({**{c: sums[c].to_numpy() for c in sums.columns}, **added}, index=sums.index)


def measures(
    frame: pd.DataFrame, by: Sequence[str] = (), forecast: str = "forecast", actual: str = "actual",
    *, codes: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Accuracy measures of `forecast` against `actual` per group of `by` (one row per period
    inside a group; an empty `by` gives one row): *by, the sums of `error_sums` and the
    measures of `from_sums`. Pass family (company) totals per period for family (total) figures."""
    return from_sums(error_sums(frame, by, forecast, actual, codes=codes))


def _kahan_rows(rows: np.ndarray, first: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group (rows first[g] .. first[g] + size[g] - 1 of `rows`), the Kahan sum of each column in row order,
    as pandas' group_sum adds them: y = v − c; t = s + y; c = (t − s) − y; s = t. Step k adds the k-th row of
    every group that has one; groups are taken longest first so that those are a prefix (slices, not masks)."""
    n_groups, width = len(first), rows.shape[1]
    total, compensation = np.zeros((n_groups, width)), np.zeros((n_groups, width))
    if n_groups == 0:
        return total, compensation
    longest = int(size.max())
    if int(size.min()) == longest:  # every group the same length: row k of each group is a strided view
        block = rows.reshape(n_groups, longest, width)
        y, t = np.empty_like(total), np.empty_like(total)
        for k in range(longest):
            np.subtract(block[:, k, :], compensation, out=y)
            np.add(total, y, out=t)
            np.subtract(t, total, out=compensation)
            compensation -= y
            total, t = t, total
        return total, compensation
    by_length = np.argsort(-size, kind="stable")
    start, length = first[by_length], size[by_length]
    active = np.searchsorted(-length, -np.arange(longest), side="left")  # groups with more than k rows
    s, c = np.zeros((n_groups, width)), np.zeros((n_groups, width))
    for k in range(longest):
        m = active[k]
        y = rows[start[:m] + k]
        y -= c[:m]
        t = s[:m] + y
        np.subtract(t, s[:m], out=c[:m])
        c[:m] -= y
        s[:m] = t
    total[by_length], compensation[by_length] = s, c
    return total, compensation
