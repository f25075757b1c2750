"""Forecast accuracy on history: MAPE, WAPE, bias %, MAD, tracking signal.

Definitions (SPEC.md): e = F − A summed over the periods measured; MAPE is the mean of
|e| / A × 100 over periods with A > 0 (periods with A = 0 are left out and counted in
`n_zero`); WAPE = Σ|e| / ΣA × 100; bias % = Σe / ΣA × 100; MAD = mean |e|; tracking
signal = Σe / MAD (0 when MAD = 0). Family and total figures are computed from summed
units per period, never averaged from items. The formulas live in `planning.measures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.codes import factorize_sorted
from planning.demand import RowKeys, family_period_sums
from planning.grid_sums import grid_cell_sums
from planning.measures import MEASURE_COLUMNS, measures

METRIC_COLUMNS = MEASURE_COLUMNS
ACCURACY_COLUMNS = ["level", "item_id", "family", *METRIC_COLUMNS]


def error_metrics(frame: pd.DataFrame, by: list[str], f: str = "forecast", a: str = "actual",
                  codes: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
    """Accuracy metrics of `f` against `a` per group of `by` (one row per period inside a group).

    An empty `by` gives one row over the whole frame. The formulas are `planning.measures`. `codes`: see
    `planning.measures.error_sums`.
    """
    return measures(frame, by, f, a, codes=codes)[[*by, *METRIC_COLUMNS]]


@dataclass(frozen=True)
class MeasuredCodes:
    """`pd.factorize(measured[c], sort=True)` (codes, uniques) of a measured table's item_id, family and
    period, made once so that every grouping of the table (and of its rows filtered by `subset`) runs on
    integers: the same groups, in the same order, with the same sums as grouping on the text."""

    item_id: tuple[np.ndarray, np.ndarray]
    family: tuple[np.ndarray, np.ndarray]
    period: tuple[np.ndarray, np.ndarray]

    def subset(self, mask: np.ndarray) -> MeasuredCodes:
        """The codes of the rows `mask` keeps (uniques unchanged: unused ones form no group)."""
        return MeasuredCodes(*((c[mask], u) for c, u in (self.item_id, self.family, self.period)))

    def by(self, *columns: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {c: getattr(self, c) for c in columns}

    def family_period_keys(self) -> RowKeys:
        """`planning.demand.row_keys(measured)` from these codes."""
        (fam, fams), (per, pers) = self.family, self.period
        width = max(len(pers), 1)
        return RowKeys(fam.astype(np.int64) * width + per, (fam >= 0) & (per >= 0), np.asarray(fams, dtype=object),
                       np.asarray(pers, dtype=object), np.full(len(fam), -1), pd.DataFrame({"item_id": []}))


def measured_with_codes(history: pd.DataFrame, items: pd.DataFrame) -> tuple[pd.DataFrame, MeasuredCodes]:
    """`measured_history` and its `MeasuredCodes`: each item id is hashed once; an item's family and its
    family code are looked up once per item, not once per row."""
    has_forecast = history["forecast_units"].notna().to_numpy()
    rows = history if has_forecast.all() else history[has_forecast]  # (every column is copied out below)
    family_of = items.drop_duplicates("item_id").set_index("item_id")["family"]
    item_code, item_u = factorize_sorted(rows["item_id"].to_numpy())
    fam_of_u = pd.Series(item_u, dtype=object).map(family_of).to_numpy()
    fam_u_code, fam_u = pd.factorize(fam_of_u, sort=True)
    missing = item_code < 0  # a missing item id: its family is what mapping a missing key gives
    family = np.append(fam_of_u, pd.Series([np.nan], dtype=object).map(family_of).to_numpy())[item_code] \
        if missing.any() else fam_of_u[item_code]
    fam_code = np.where(missing, -1, np.append(fam_u_code, -1)[item_code])
    if missing.any() and not pd.isna(family[missing]).all():  # a family for the missing key: the general path
        fam_code, fam_u = pd.factorize(family, sort=True)
    # each column copied once (the history's own arrays are not shared) and not stacked into blocks again
    measured = pd.DataFrame(
        {
            "item_id": rows["item_id"].to_numpy(copy=True),
            "family": family if family.base is None else family.copy(),
            "period": rows["period"].to_numpy(copy=True),
            "forecast": np.array(rows["forecast_units"].to_numpy(float), copy=True),
            "actual": np.array(rows["actual_units"].to_numpy(float), copy=True),
        },
        copy=False,
    )
    return measured, MeasuredCodes((item_code, item_u), (fam_code, fam_u),
                                   factorize_sorted(measured["period"].to_numpy()))


def measured_history(history: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """History rows that carry a forecast, with their family: item_id, family, period, forecast, actual."""
    return measured_with_codes(history, items)[0]


def family_totals(measured: pd.DataFrame, codes: MeasuredCodes | None = None) -> pd.DataFrame:
    """Forecast and actual summed per family and period (sorted; rows without a family left out).
    `codes`: the table's `MeasuredCodes`, when the caller has them."""
    if codes is not None:
        blocks = _block_family_totals(measured, codes)
        if blocks is not None:
            return blocks
    return family_period_sums(measured, {"forecast": measured["forecast"].to_numpy(float),
                                         "actual": measured["actual"].to_numpy(float)},
                              codes.family_period_keys() if codes is not None else None)


def _block_family_totals(measured: pd.DataFrame, codes: MeasuredCodes) -> pd.DataFrame | None:
    """`family_totals` of a table made of blocks of every period, one block per item (history as uploaded):
    the blocks sorted by family (stably: a cell's rows keep their order) and summed as a grid's rows
    (`planning.grid_sums`), with no sort of the rows into cells. None for any other layout."""
    (item, _), (fam, fams), (per, pers) = codes.item_id, codes.family, codes.period
    width, n = len(pers), len(per)
    if not width or not n or n % width:
        return None
    first = per[:width]
    if first.min() < 0 or not (per.reshape(-1, width) == first).all() or not (item.reshape(-1, width) == item[::width, None]).all() \
            or not (fam.reshape(-1, width) == fam[::width, None]).all():
        return None
    block_fam = fam[::width]
    keep = np.flatnonzero(block_fam >= 0)  # rows without a family are left out
    order = keep[np.argsort(block_fam[keep], kind="stable")]
    values = np.column_stack([measured["forecast"].to_numpy(float), measured["actual"].to_numpy(float)])
    rows = values.reshape(-1, width * 2)[order].reshape(-1, 2)
    total = grid_cell_sums(block_fam[order], first, rows)
    if total is None:
        return None
    present = np.unique(block_fam[order])
    return pd.DataFrame({"family": np.repeat(np.asarray(fams, dtype=object)[present], width),
                         "period": np.tile(np.asarray(pers, dtype=object), len(present)),
                         "forecast": total[:, :, 0].reshape(-1), "actual": total[:, :, 1].reshape(-1)})


def accuracy_table(history: pd.DataFrame, items: pd.DataFrame, measured: pd.DataFrame | None = None,
                   codes: MeasuredCodes | None = None, totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The accuracy.csv table: item, family and total levels over rows with forecast_units. `codes`: the
    `MeasuredCodes` of `measured`, when the caller has them; `totals`: `family_totals(measured)`, likewise."""
    if measured is None:
        measured, codes = measured_with_codes(history, items)
    if measured.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    item = error_metrics(measured, ["item_id", "family"],
                         codes=codes.by("item_id", "family") if codes is not None else None)
    item.insert(0, "level", "item")
    family = error_metrics(totals if totals is not None else family_totals(measured, codes), ["family"])
    family.insert(0, "level", "family")
    family.insert(1, "item_id", "")
    if codes is not None:  # the company total per period (only its sums are read below)
        per = codes.period[0]
        valid = per >= 0
        f, a = measured["forecast"].to_numpy(), measured["actual"].to_numpy()
        both = pd.DataFrame({"forecast": f if valid.all() else f[valid], "actual": a if valid.all() else a[valid]},
                            copy=False)  # (the two columns as they are: grouped, not copied into a block first)
        totals = both.groupby(per if valid.all() else per[valid], sort=True).sum()
    else:
        totals = measured.groupby("period", as_index=False)[["forecast", "actual"]].sum()
    total = error_metrics(totals, [])
    total.insert(0, "level", "total")
    total.insert(1, "item_id", "")
    total.insert(2, "family", "")
    return _stacked([item, family, total])


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """`pd.concat(parts, ignore_index=True)[ACCURACY_COLUMNS]`, each column joined once (numpy's common type
    of the parts' columns, as concat takes), when every part has rows and plain numpy columns."""
    if any(p.empty or not all(isinstance(t, np.dtype) for t in p.dtypes) for p in parts):
        return pd.concat(parts, ignore_index=True)[ACCURACY_COLUMNS]
    return pd.DataFrame({c: np.concatenate([p[c].to_numpy() for p in parts]) for c in ACCURACY_COLUMNS})
