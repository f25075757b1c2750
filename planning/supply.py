"""Supply review: gaps and utilization, the least-cost supply plan (LP), inventory plan.

Supply plan of a family over months t = 1..H (SPEC.md, Definitions):
regular_t ≤ capacity_t, overtime_t ≤ overtime % × capacity_t, outsource_t ≥ 0,
0 ≤ lost_t ≤ demand_t, inventory_t = inventory_{t−1} + regular_t + overtime_t +
outsource_t − (demand_t − lost_t) ≥ 0, inventory_0 = opening inventory; minimise
Σ_t (c_ot × overtime_t + c_out × outsource_t + c_hold × inventory_t + c_lost × lost_t).

Families never share a constraint: they are solved with HiGHS (scipy.optimize.linprog) in
block-diagonal LPs of CHUNK_FAMILIES families each (time linear in the number of families), and a
solved block is kept by its exact inputs, so after an edit only the edited family's block is solved
again. Where several plans cost the same, a second solve with each family's cost held at its optimum
picks the one with the least inventory and the least non-regular supply (just in time, regular
shifts first).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from planning.codes import left_positions
from planning.demand import RowKeys, family_period_sums, item_attribute
from planning.model import Settings

OPTIONS = ("regular", "overtime", "outsource", "lost_sales", "inventory_end")
SUPPLY_COLUMNS = [
    "family", "period", "demand", "capacity", "regular", "overtime", "outsource",
    "inventory_end", "lost_sales", "shipped", "cost",
    # month t's cost by option (they add up to `cost`; regular production is free in the model)
    "cost_overtime", "cost_outsource", "cost_holding", "cost_lost_sales",
]


def by_family_period(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame.sort_values(["family", "period"]).reset_index(drop=True)`: a frame already in that order (as the
    family plan and the supply plan are made) is only renumbered, without sorting its text keys again."""
    fam, per = frame["family"].to_numpy(), frame["period"].to_numpy()
    try:
        in_order = len(fam) < 2 or bool(np.all((fam[1:] > fam[:-1]) | ((fam[1:] == fam[:-1]) & (per[1:] >= per[:-1]))))
    except TypeError:  # keys that do not compare (None beside text, ...): the sort decides
        in_order = False
    return frame.reset_index(drop=True) if in_order else frame.sort_values(["family", "period"]).reset_index(drop=True)


def family_plan(demand: pd.DataFrame, capacity: pd.DataFrame, horizon: list[str], settings: Settings) -> pd.DataFrame:
    """Demand vs capacity per family and month: gap, gap %, utilization and status.

    `demand`: family, period, demand. `capacity`: family, period, capacity_units (summed over
    resources). Status: CONSTRAINED when demand > capacity, TIGHT when utilization is above
    the utilization target's upper bound, OK otherwise.
    """
    fams = sorted(set(demand["family"]) | set(capacity["family"]))
    plan = _family_grid_values(fams, horizon, demand, capacity)
    if plan is None:
        grid = pd.MultiIndex.from_product([fams, horizon], names=["family", "period"]).to_frame(index=False)
        cap = capacity.groupby(["family", "period"], as_index=False)["capacity_units"].sum()
        plan = grid.merge(demand, on=["family", "period"], how="left").merge(cap, on=["family", "period"],
                                                                            how="left")
        plan["demand"] = plan["demand"].fillna(0.0)
        plan["capacity"] = plan.pop("capacity_units").fillna(0.0)
    d, c = plan["demand"].to_numpy(float), plan["capacity"].to_numpy(float)
    plan["gap"] = c - d
    with np.errstate(divide="ignore", invalid="ignore"):
        plan["gap_pct"] = np.where(c > 0, (c - d) * 100.0 / c, np.nan)
        plan["utilization"] = np.where(c > 0, d * 100.0 / c, np.where(d > 0, np.inf, 0.0))
    tol = 1e-9 * np.maximum(1.0, np.abs(c))
    constrained = d > c + tol
    tight = d * 100.0 > settings.utilization_tight * c + tol * 100
    plan["status"] = np.where(constrained, "CONSTRAINED", np.where(tight, "TIGHT", "OK"))
    return plan[["family", "period", "demand", "capacity", "gap", "gap_pct", "utilization", "status"]]


def _family_grid_values(fams: list, horizon: list[str], demand: pd.DataFrame, capacity: pd.DataFrame,
                        ) -> pd.DataFrame | None:
    """family, period (every family × every month), demand and capacity (summed over resources), 0 where
    absent: the grid's left merges with `demand` and the grouped capacity, with the rows paired on integer
    codes (`planning.codes.left_positions`). None (the caller merges) unless both value columns are floats
    and the keys are plain text without repeats in `demand`."""
    if not fams or not horizon or demand["demand"].dtype != np.float64 \
            or capacity["capacity_units"].dtype != np.float64:
        return None
    n_t = len(horizon)
    family = np.repeat(np.array(fams, dtype=object), n_t)
    period = np.tile(np.array(horizon, dtype=object), len(fams))
    cap = family_period_sums(capacity, {"capacity_units": capacity["capacity_units"].to_numpy()})
    out = {"family": family, "period": period}
    for name, src, col in (("demand", demand, "demand"), ("capacity", cap, "capacity_units")):
        pos = left_positions([family, period], [src["family"].to_numpy(), src["period"].to_numpy()])
        if pos is None:
            return None
        values = np.append(src[col].to_numpy(), np.nan)[pos]  # −1 (no row) reads the NaN at the end
        out[name] = np.where(np.isnan(values), 0.0, values)
    return pd.DataFrame(out)


def overtime_limits(capacity: pd.DataFrame, plan: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Overtime units allowed per plan row: overtime % (row's, else the setting) × capacity."""
    cap = capacity.copy()
    cap["overtime_pct"] = cap.get("overtime_pct", pd.Series(np.nan, index=cap.index)).fillna(settings.overtime_pct)
    cap["ot_units"] = cap["capacity_units"] * cap["overtime_pct"] / 100.0
    if cap["ot_units"].dtype == np.float64:  # summed and paired on integer codes (see `_family_grid_values`)
        ot = family_period_sums(cap, {"ot_units": cap["ot_units"].to_numpy()})
        pos = left_positions([plan["family"].to_numpy(), plan["period"].to_numpy()],
                             [ot["family"].to_numpy(), ot["period"].to_numpy()])
        if pos is not None:
            values = np.append(ot["ot_units"].to_numpy(), np.nan)[pos]
            return np.where(np.isnan(values), 0.0, values)
    ot = cap.groupby(["family", "period"], as_index=False)["ot_units"].sum()
    merged = plan[["family", "period"]].merge(ot, on=["family", "period"], how="left")
    return merged["ot_units"].fillna(0.0).to_numpy(float)


CHUNK_FAMILIES = 16  # families per LP: the families never interact, and HiGHS grows faster than linearly


@dataclass(frozen=True)
class LpInputs:
    """The inputs of the family LPs, arrays families × months (`opening`: one per family; `costs`: the five
    options' unit costs, shared): the one list of them that `_solve`, its block cache and `_solve_block` read.
    `lost_cap` bounds lost sales per family-month (default: the demand), `out_cap` outsourcing (default: no
    bound)."""

    demand: np.ndarray
    cap: np.ndarray
    ot_cap: np.ndarray
    opening: np.ndarray
    inv_floor: np.ndarray
    costs: np.ndarray
    lost_cap: np.ndarray | None = None
    out_cap: np.ndarray | None = None

    def families(self, sl: slice) -> LpInputs:
        """The same inputs for the families `sl` (costs are shared)."""
        return LpInputs(**{f.name: v if f.name == "costs" or v is None else v[sl]
                           for f in fields(self) for v in [getattr(self, f.name)]})

    def arrays(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self))


def _solve(lp: LpInputs, *, allow: dict[str, bool], soft_floor: float | None = None) -> np.ndarray:
    """Solve the family LPs of `lp`. Returns families × months × 6 (regular, overtime, outsource, lost,
    inventory, below the floor).

    With `soft_floor` (a penalty per unit-month) inventory may stay below `inv_floor`; the shortfall is the
    sixth variable, costed at that penalty (zero and unused otherwise).

    Families never share a constraint, so they are solved in blocks of CHUNK_FAMILIES: the same
    optimum as one block-diagonal LP, in time linear in the number of families (one LP of all
    families grows much faster: 200 families 1 s, 800 families 18 s)."""
    n_f = lp.demand.shape[0]
    parts = []
    flags = repr(sorted((k, bool(v)) for k, v in allow.items())) + repr(soft_floor)
    for lo in range(0, n_f, CHUNK_FAMILIES):
        block = lp.families(slice(lo, min(lo + CHUNK_FAMILIES, n_f)))
        key = _block_key(block.arrays(), flags)
        with _BLOCK_LOCK:
            x = _BLOCKS.get(key)
            if x is not None:
                _BLOCKS.move_to_end(key)
        if x is None:
            x = _solve_block(block, allow=allow, soft_floor=soft_floor)
            x.setflags(write=False)
            with _BLOCK_LOCK:
                _BLOCKS[key] = x
                while len(_BLOCKS) > BLOCK_CACHE_SIZE:
                    _BLOCKS.popitem(last=False)
        parts.append(x)
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, lp.demand.shape[1], 6))


# Solved blocks by their exact inputs (a digest of every array's bytes and the flags): an edit changes one
# family, so the next plan re-solves only that family's block and takes the others as they were solved —
# the very numbers a full solve gives, since a block's solution depends on its inputs alone. LRU-bounded:
# a block of 16 families × 18 months is 14 KB, so the cache stays under 20 MB.
BLOCK_CACHE_SIZE = 1200
_BLOCKS: OrderedDict[bytes, np.ndarray] = OrderedDict()
_BLOCK_LOCK = threading.Lock()


def _block_key(arrays: tuple, flags: str) -> bytes:
    h = hashlib.blake2b(flags.encode(), digest_size=20)
    for a in arrays:
        if a is None:
            h.update(b"none")
        else:
            a = np.ascontiguousarray(a, dtype=float)
            h.update(repr(a.shape).encode())
            h.update(a.tobytes())
    return h.digest()


@functools.lru_cache(maxsize=16)
def _block_structure(n_f: int, n_t: int) -> tuple:
    """The constraint matrices of a block that depend on its shape alone (made once per shape; callers do not
    change them and hand the solver a copy): identity, zero, the previous-month matrix and the balance rows'
    matrix."""
    n = n_f * n_t
    eye = sp.identity(n, format="csr")
    zero = sp.csr_matrix((n, n))
    # inventory_{t-1} coefficient: -1 on the previous month of the same family
    prev = sp.diags([np.ones(n - 1)], [-1], shape=(n, n), format="lil")
    for f in range(1, n_f):  # break the chain at family boundaries (H-1 rows only)
        prev[f * n_t, f * n_t - 1] = 0.0
    prev = prev.tocsr()
    # inv_t - inv_{t-1} - reg - ot - out - lost = -d  (t = 1 gets + opening on the right)
    a_eq = sp.hstack([-eye, -eye, -eye, -eye, eye - prev, zero], format="csr")
    return eye, zero, prev, a_eq


def _solve_block(lp: LpInputs, *, allow: dict[str, bool], soft_floor: float | None = None) -> np.ndarray:
    """One block of families of `_solve`: the least-cost plan, then at that cost (family by family) the
    plan with the least inventory and the least non-regular supply."""
    demand, cap, ot_cap, opening, inv_floor, costs = lp.demand, lp.cap, lp.ot_cap, lp.opening, lp.inv_floor, lp.costs
    lost_cap, out_cap = lp.lost_cap, lp.out_cap
    n_f, n_t = demand.shape
    n = n_f * n_t
    # variable blocks: [regular | overtime | outsource | lost | inventory | below floor], each family-major
    blocks = 6
    eye, zero, prev, a_eq = _block_structure(n_f, n_t)  # shared: only new matrices are built from them
    a_eq = a_eq.copy()  # (the one handed to the solver)
    b_eq = -demand.reshape(-1).copy()
    b_eq[np.arange(n_f) * n_t] += opening
    ub_rows: list = []
    ub_rhs: list[np.ndarray] = []
    if not allow.get("build_ahead", True):
        # no building ahead: inventory rises only as far as its floor rises
        # (inv_t - inv_{t-1} <= max(0, floor_t - floor_{t-1}); inv_1 <= max(opening, floor_1))
        ub_rows.append(sp.hstack([sp.csr_matrix((n, 4 * n)), eye - prev, zero], format="csr"))
        prev_floor = np.concatenate([opening[:, None], inv_floor[:, :-1]], axis=1)
        rhs = np.maximum(0.0, inv_floor - prev_floor).reshape(-1)
        rhs[np.arange(n_f) * n_t] += opening
        ub_rhs.append(rhs)
    if soft_floor is not None:
        # inventory + below >= floor
        ub_rows.append(sp.hstack([sp.csr_matrix((n, 4 * n)), -eye, -eye], format="csr"))
        ub_rhs.append(-inv_floor.reshape(-1))
    a_ub = sp.vstack(ub_rows, format="csr") if ub_rows else None
    b_ub = np.concatenate(ub_rhs) if ub_rhs else None
    d = demand.reshape(-1)
    upper = np.concatenate([
        cap.reshape(-1),
        ot_cap.reshape(-1) if allow.get("overtime", True) else np.zeros(n),
        (np.full(n, np.inf) if out_cap is None else np.maximum(out_cap.reshape(-1), 0.0))
        if allow.get("outsource", True) else np.zeros(n),
        d if lost_cap is None else np.minimum(d, np.maximum(lost_cap.reshape(-1), 0.0)),
        np.full(n, np.inf),
        np.full(n, np.inf) if soft_floor is not None else np.zeros(n),
    ])
    lower = np.concatenate([np.zeros(4 * n), np.zeros(n) if soft_floor is not None else inv_floor.reshape(-1),
                            np.zeros(n)])
    cost = np.repeat(np.append(costs, soft_floor or 0.0), n)
    bounds = np.column_stack([lower, upper])
    first = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if first.status != 0:
        raise ValueError(f"supply plan LP failed: {first.message}")
    # tie-break at the optimal cost: least inventory, then least non-regular supply. Each family's cost is
    # held at its own optimum (one sparse row per family): the same set of plans as the total cost held at
    # the total optimum, since no family can go below its own optimum, and far easier for the solver
    fam_of_var = np.tile(np.repeat(np.arange(n_f), n_t), blocks)
    best = np.bincount(fam_of_var, weights=cost * first.x, minlength=n_f)
    cap_rows = sp.csr_matrix((cost, (fam_of_var, np.arange(blocks * n))), shape=(n_f, blocks * n))
    limit = best + np.maximum(1e-6, 1e-9 * np.abs(best))
    a2 = cap_rows if a_ub is None else sp.vstack([a_ub, cap_rows], format="csr")
    b2 = limit if b_ub is None else np.concatenate([b_ub, limit])
    secondary = np.repeat(np.array([0.0, 1.0, 1.0, 1.0, 2.0, 0.0]), n)
    second = linprog(secondary, A_ub=a2, b_ub=b2, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    x = second.x if second.status == 0 else first.x
    x = np.clip(x, lower, upper)
    return np.round(x.reshape(blocks, n_f, n_t).transpose(1, 2, 0), 6)


def supply_plan(
    plan: pd.DataFrame,
    capacity: pd.DataFrame,
    opening: pd.Series,
    settings: Settings,
    *,
    safety_stock: pd.DataFrame | None = None,
    allow: dict[str, bool] | None = None,
    lost_cap: pd.DataFrame | None = None,
    soft_floor: float | None = None,
) -> pd.DataFrame:
    """Least-cost supply plan per family and month (columns SUPPLY_COLUMNS).

    `plan` is the family_plan table; `opening` the opening inventory units by family;
    `safety_stock` (family, period, safety_stock) is used as an inventory floor only when
    `settings.safety_stock_floor` is on.

    For the option comparison only: `lost_cap` (family, period, lost_sales) bounds lost sales per
    family-month, and `soft_floor` (a penalty per unit-month, not part of `cost`) lets inventory stay
    below the floor where the allowed options cannot reach it; the shortfall is added as `below_floor`.
    """
    allow = allow or {}
    plan = by_family_period(plan)
    fams = plan["family"].drop_duplicates().to_list()
    n_f = len(fams)
    if n_f == 0:
        return pd.DataFrame(columns=SUPPLY_COLUMNS)
    n_t = len(plan) // n_f
    shape = (n_f, n_t)
    demand = plan["demand"].to_numpy(float).reshape(shape)
    cap = plan["capacity"].to_numpy(float).reshape(shape)
    ot_cap = overtime_limits(capacity, plan, settings).reshape(shape)
    open_units = opening.reindex(fams).fillna(0.0).to_numpy(float)
    floor = np.zeros(shape)
    if settings.safety_stock_floor and safety_stock is not None:
        floor = (
            plan[["family", "period"]]
            .merge(safety_stock, on=["family", "period"], how="left")["safety_stock"]
            .fillna(0.0)
            .to_numpy(float)
            .reshape(shape)
        )
    costs = np.array([0.0, settings.cost_overtime, settings.cost_outsource, settings.cost_lost_sales,
                      settings.cost_holding])
    cap_lost = None
    if lost_cap is not None:
        cap_lost = (plan[["family", "period"]].merge(lost_cap, on=["family", "period"], how="left")["lost_sales"]
                    .fillna(0.0).to_numpy(float).reshape(shape))
    out_cap = None if settings.outsource_cap_pct is None else cap * float(settings.outsource_cap_pct) / 100.0
    x = _solve(LpInputs(demand, cap, ot_cap, open_units, floor, costs, lost_cap=cap_lost, out_cap=out_cap),
               allow=allow, soft_floor=soft_floor)
    # the table in one go (the same arithmetic as column by column, without a frame rebuilt per column)
    col = {c: plan[c] for c in ("family", "period", "demand", "capacity")}
    for k, name in enumerate(["regular", "overtime", "outsource", "lost_sales", "inventory_end"]):
        col[name] = x[:, :, k].reshape(-1)
    col["shipped"] = col["demand"] - col["lost_sales"]
    col["cost_overtime"] = settings.cost_overtime * col["overtime"]
    col["cost_outsource"] = settings.cost_outsource * col["outsource"]
    col["cost_holding"] = settings.cost_holding * col["inventory_end"]
    col["cost_lost_sales"] = settings.cost_lost_sales * col["lost_sales"]
    col["cost"] = col["cost_overtime"] + col["cost_outsource"] + col["cost_holding"] + col["cost_lost_sales"]
    names = SUPPLY_COLUMNS
    if soft_floor is not None:
        col["below_floor"] = x[:, :, 5].reshape(-1)
        names = SUPPLY_COLUMNS + ["below_floor"]
    return pd.DataFrame({c: col[c] for c in names}, index=plan.index)


COST_LINES = (  # (key, label, units column, cost setting): the terms of the LP's objective
    ("regular", "Regular", "regular", None),
    ("overtime", "Overtime", "overtime", "cost_overtime"),
    ("outsource", "Outsourcing", "outsource", "cost_outsource"),
    ("holding", "Holding (inventory)", "inventory_end", "cost_holding"),
    ("lost_sales", "Lost sales", "lost_sales", "cost_lost_sales"),
)


def cost_lines(supply: pd.DataFrame, settings: Settings | None = None) -> list[dict]:
    """The cost of a supply plan by option, one line each: key, label, units (unit-months for holding)
    and cost. Regular production is free in the model; the costs add up to `supply['cost'].sum()`.

    Read from the plan's `cost_<option>` columns; `settings` prices the units of a frame without them."""
    out = []
    for key, label, col, setting in COST_LINES:
        units = float(supply[col].sum()) if col in supply else 0.0
        if setting and setting in supply:
            cost = float(supply[setting].sum())
        else:
            cost = units * float(getattr(settings or Settings(), setting)) if setting else 0.0
        out.append({"key": key, "label": label, "units": units, "cost": cost})
    return out


def cost_by_option(supply: pd.DataFrame, settings: Settings) -> dict[str, float]:
    """Total cost of the plan split by option (overtime, outsource, holding, lost_sales; regular is free)."""
    return {line["key"]: line["cost"] for line in cost_lines(supply, settings) if line["key"] != "regular"}


ALONE = {
    "do_nothing": {"overtime": False, "outsource": False, "build_ahead": False},
    "overtime": {"overtime": True, "outsource": False, "build_ahead": False},
    "outsource": {"overtime": False, "outsource": True, "build_ahead": False},
    "build_ahead": {"overtime": False, "outsource": False, "build_ahead": True},
}
OPTION_WHAT = {
    "do_nothing": "Regular capacity and the stock on hand only; what they cannot cover is lost",
    "overtime": "Regular capacity plus overtime up to its cap, nothing built ahead",
    "outsource": "Regular capacity plus outsourcing (no cap), nothing built ahead",
    "build_ahead": "Regular capacity, building ahead in earlier months with spare capacity",
    "optimized": "All options together at least cost (the supply plan)",
}
OPTION_COLUMNS = [
    "option", "what", "overtime", "outsource", "inventory_held", "lost_sales", "below_floor", "cost",
    "cost_overtime", "cost_outsource", "cost_holding", "cost_lost_sales", "gap_units", "closes_gap", "reason",
    "feasible",
]


def _units(x: float) -> str:
    return f"{x:,.0f}"


def option_comparison(
    plan: pd.DataFrame, capacity: pd.DataFrame, opening: pd.Series, settings: Settings,
    optimal: pd.DataFrame, *, safety_stock: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What each supply option would cost alone (with lost sales for what it cannot cover), beside the
    optimized plan: one row per option (columns OPTION_COLUMNS) with its units, its cost split by
    option, whether it closes every gap and, where it does not, why in words.

    Each option alone is solved in two steps so that lost sales are only the sales the option cannot
    supply: (1) the option alone without the safety-stock floor gives the lost sales it cannot avoid;
    (2) with the floor on, the same option is solved again with lost sales capped at those and the floor
    kept wherever the option can reach it (a large penalty per unit-month below it, not part of the
    cost); `below_floor` is the largest shortfall under the floor in a family-month. Without (2)'s cap
    the LP would "lose" sales to put units into safety stock, and an option that cannot reach the floor
    in the first month (opening stock below it) would have no plan at all."""
    fp = by_family_period(plan)
    ot_cap = overtime_limits(capacity, fp, settings)
    info = fp[["family", "period", "demand", "capacity"]].assign(ot_cap=ot_cap)
    floor_on = bool(settings.safety_stock_floor and safety_stock is not None)
    rows = []
    for name, allow in ALONE.items():
        bare = supply_plan(fp, capacity, opening, settings, allow=allow)
        alone = bare
        if floor_on:
            penalty = 10.0 * max(settings.cost_lost_sales, settings.cost_overtime, settings.cost_outsource,
                                 settings.cost_holding, 1.0)
            alone = supply_plan(fp, capacity, opening, settings, safety_stock=safety_stock, allow=allow,
                                lost_cap=bare[["family", "period", "lost_sales"]], soft_floor=penalty)
        rows.append(_option_row(name, alone, settings, info, opening))
        if name == "outsource" and settings.outsource_cap_pct is not None:
            rows[-1]["what"] = (f"Regular capacity plus outsourcing up to {settings.outsource_cap_pct:g} % of "
                                "capacity, nothing built ahead")
    rows.append(_option_row("optimized", optimal, settings, info, opening))
    best = rows[-1]["cost"]
    for row in rows[:-1]:
        if row["below_floor"] > 0.5 and row["cost"] < best - 0.5:
            row["reason"] += "; that is why it costs less than the optimized plan, which keeps the safety stock"
    return pd.DataFrame(rows, columns=OPTION_COLUMNS)


def _option_row(name: str, s: pd.DataFrame, settings: Settings, info: pd.DataFrame, opening: pd.Series) -> dict:
    lines = {line["key"]: line for line in cost_lines(s, settings)}
    short = np.maximum(info["demand"].to_numpy(float) - info["capacity"].to_numpy(float), 0.0)
    lost = float(s["lost_sales"].sum())
    below = float(s["below_floor"].max()) if "below_floor" in s and len(s) else 0.0
    row = {
        "option": name,
        "what": OPTION_WHAT[name],
        "overtime": float(s["overtime"].sum()),
        "outsource": float(s["outsource"].sum()),
        "inventory_held": float(s["inventory_end"].sum()),
        "lost_sales": lost,
        "below_floor": below if below > 0.5 else 0.0,
        "cost": float(s["cost"].sum()),
        "cost_overtime": lines["overtime"]["cost"],
        "cost_outsource": lines["outsource"]["cost"],
        "cost_holding": lines["holding"]["cost"],
        "cost_lost_sales": lines["lost_sales"]["cost"],
        "gap_units": float(short.sum()),
        "closes_gap": lost < 0.5,
        "feasible": True,
    }
    row["reason"] = option_reason(name, s, settings, info, opening, row)
    return row


def option_reason(name: str, s: pd.DataFrame, settings: Settings, info: pd.DataFrame, opening: pd.Series,
                  row: dict) -> str:
    """Why an option closes the gaps or cannot, in words (units with thousands separators)."""
    merged = s.merge(info[["family", "period", "ot_cap"]], on=["family", "period"], how="left")
    merged = merged.sort_values(["family", "period"]).reset_index(drop=True)
    short_months = int((merged["demand"] > merged["capacity"] + 1e-9).sum())
    gap = row["gap_units"]
    parts: list[str] = []
    short_rows = merged[merged["demand"] > merged["capacity"] + 1e-9]
    stock = float(np.maximum(short_rows["demand"] - short_rows["capacity"] - short_rows["overtime"]
                             - short_rows["outsource"] - short_rows["lost_sales"], 0.0).sum())
    if row["closes_gap"]:
        if gap < 0.5:
            parts.append("no month is short of capacity")
        else:
            used = {"overtime": f"overtime {_units(row['overtime'])} units",
                    "outsource": f"outsourcing {_units(row['outsource'])} units",
                    "build_ahead": "stock built ahead in months with spare capacity",
                    "do_nothing": "stock on hand",
                    "optimized": ", ".join(
                        [f"{k} {_units(row[c])} units" for k, c in (("overtime", "overtime"),
                                                                    ("outsourcing", "outsource"))
                         if row[c] > 0.5]
                        + ([f"{_units(stock)} units from stock (on hand or built ahead)"] if stock > 0.5 else []))
                    or "stock on hand"}[name]
            parts.append(f"closes the gap of {_units(gap)} units in {short_months} short "
                         f"month{'s' if short_months != 1 else ''} with {used}")
    else:
        lost_rows = merged[merged["lost_sales"] > 0.5].sort_values("lost_sales", ascending=False)
        parts.append(f"loses {_units(row['lost_sales'])} units on a gap of {_units(gap)}")
        for r in lost_rows.head(2).itertuples():
            where = f"{r.family} {r.period}"
            fam = merged[merged["family"] == r.family]
            before = fam[fam["period"] < r.period]
            spare = float(np.maximum(before["capacity"] - before["demand"], 0.0).sum())
            short = max(r.demand - r.capacity, 0.0)
            if name == "overtime" and r.ot_cap > 0.5:
                pct = r.ot_cap * 100.0 / r.capacity if r.capacity else settings.overtime_pct
                parts.append(f"{where}: overtime capped at {pct:g} % of capacity = {_units(r.ot_cap)} units, "
                             f"short {_units(short)}")
            elif name == "overtime":
                parts.append(f"{where}: no overtime allowed (0 % of capacity)")
            elif name == "outsource" and settings.outsource_cap_pct is not None:
                cap_units = r.capacity * float(settings.outsource_cap_pct) / 100.0
                parts.append(f"{where}: outsourcing capped at {settings.outsource_cap_pct:g} % of capacity = "
                             f"{_units(cap_units)} units, short {_units(short)}")
            elif name == "build_ahead":
                if spare < 0.5:
                    parts.append(f"{where}: no spare capacity in the months before")
                else:
                    parts.append(f"{where}: only {_units(spare)} units of spare capacity in the months before, "
                                 f"short {_units(short)}")
            else:
                parts.append(f"{where}: short {_units(short)} with nothing to cover it")
    if row["below_floor"] > 0.5:
        r = merged.loc[merged["below_floor"].idxmax()]
        parts.append(f"safety stock not kept: up to {_units(row['below_floor'])} units below it "
                     f"({r['family']} {r['period']})")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def safety_stock(consensus: pd.DataFrame, items: pd.DataFrame, settings: Settings,
                 keys: RowKeys | None = None) -> pd.DataFrame:
    """Safety stock per family and month: Σ over the family's items of (monthly demand /
    days per month) × the item's safety days (the setting where blank)."""
    if "safety_days" in items:
        sd = item_attribute(consensus, items, "safety_days", keys)
    else:
        sd = np.full(len(consensus), np.nan)
    sd = np.where(np.isnan(sd), settings.safety_days, sd)
    ss = consensus["consensus"].to_numpy(float) / settings.days_per_month * sd
    return family_period_sums(consensus, {"safety_stock": ss}, keys)


def inventory_plan(supply: pd.DataFrame, safety: pd.DataFrame, opening: pd.Series) -> pd.DataFrame:
    """Per family and month: opening, supply, shipped, ending inventory, safety stock, cycle
    stock (monthly demand / 2) and target inventory (safety + cycle stock). Families never mix."""
    inv = by_family_period(supply)
    out = inv[["family", "period"]].copy()
    out["supply"] = inv["regular"] + inv["overtime"] + inv["outsource"]
    out["shipped"] = inv["shipped"]
    out["ending"] = inv["inventory_end"]
    prev = inv.groupby("family")["inventory_end"].shift(1)
    out["opening"] = prev.fillna(inv["family"].map(opening).fillna(0.0))
    pos = left_positions([out["family"].to_numpy(), out["period"].to_numpy()],
                         [safety["family"].to_numpy(), safety["period"].to_numpy()])
    if pos is not None and safety["safety_stock"].dtype == np.float64:  # paired on integer codes, as merged
        values = np.append(safety["safety_stock"].to_numpy(), np.nan)[pos]
        out["safety_stock"] = np.where(np.isnan(values), 0.0, values)
    else:
        out = out.merge(safety, on=["family", "period"], how="left")
        out["safety_stock"] = out["safety_stock"].fillna(0.0)
    out["cycle_stock"] = inv["demand"].to_numpy(float) / 2.0
    out["target_inventory"] = out["safety_stock"] + out["cycle_stock"]
    return out[["family", "period", "opening", "supply", "shipped", "ending", "safety_stock", "cycle_stock",
                "target_inventory"]]


def constrained_months(family_plan: pd.DataFrame, horizon: list[str], first: int = 3) -> pd.DataFrame:
    """The family-months to watch, in reading order: every family-month of the first `first` months
    (whatever its status), then every CONSTRAINED or TIGHT family-month of the rest of the horizon,
    month by month (families alphabetically within a month)."""
    fp = family_plan[family_plan["period"].isin(horizon)]
    head = set(horizon[:first])
    keep = fp["period"].isin(head) | fp["status"].isin(["CONSTRAINED", "TIGHT"])
    return fp[keep].sort_values(["period", "family"]).reset_index(drop=True)
