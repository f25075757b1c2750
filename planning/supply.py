"""Supply review: gaps and utilization, the least-cost supply plan (LP), inventory plan.

Supply plan of a family over months t = 1..H (SPEC.md, Definitions):
regular_t ≤ capacity_t, overtime_t ≤ overtime % × capacity_t, outsource_t ≥ 0,
0 ≤ lost_t ≤ demand_t, inventory_t = inventory_{t−1} + regular_t + overtime_t +
outsource_t − (demand_t − lost_t) ≥ 0, inventory_0 = opening inventory; minimise
Σ_t (c_ot × overtime_t + c_out × outsource_t + c_hold × inventory_t + c_lost × lost_t).

All families are solved in one block-diagonal LP with HiGHS (scipy.optimize.linprog).
Where several plans cost the same, a second solve at that cost picks the one with the
least inventory and the least non-regular supply (just in time, regular shifts first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from planning.model import Settings

OPTIONS = ("regular", "overtime", "outsource", "lost_sales", "inventory_end")
SUPPLY_COLUMNS = [
    "family", "period", "demand", "capacity", "regular", "overtime", "outsource",
    "inventory_end", "lost_sales", "shipped", "cost",
]


def family_plan(demand: pd.DataFrame, capacity: pd.DataFrame, horizon: list[str], settings: Settings) -> pd.DataFrame:
    """Demand vs capacity per family and month: gap, gap %, utilization and status.

    `demand`: family, period, demand. `capacity`: family, period, capacity_units (summed over
    resources). Status: CONSTRAINED when demand > capacity, TIGHT when utilization is above
    the utilization target's upper bound, OK otherwise.
    """
    fams = sorted(set(demand["family"]) | set(capacity["family"]))
    grid = pd.MultiIndex.from_product([fams, horizon], names=["family", "period"]).to_frame(index=False)
    cap = capacity.groupby(["family", "period"], as_index=False)["capacity_units"].sum()
    plan = grid.merge(demand, on=["family", "period"], how="left").merge(cap, on=["family", "period"], how="left")
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


def overtime_limits(capacity: pd.DataFrame, plan: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Overtime units allowed per plan row: overtime % (row's, else the setting) × capacity."""
    cap = capacity.copy()
    cap["overtime_pct"] = cap.get("overtime_pct", pd.Series(np.nan, index=cap.index)).fillna(settings.overtime_pct)
    cap["ot_units"] = cap["capacity_units"] * cap["overtime_pct"] / 100.0
    ot = cap.groupby(["family", "period"], as_index=False)["ot_units"].sum()
    merged = plan[["family", "period"]].merge(ot, on=["family", "period"], how="left")
    return merged["ot_units"].fillna(0.0).to_numpy(float)


def _solve(
    demand: np.ndarray,
    cap: np.ndarray,
    ot_cap: np.ndarray,
    opening: np.ndarray,
    inv_floor: np.ndarray,
    costs: np.ndarray,
    *,
    allow: dict[str, bool],
) -> np.ndarray:
    """Solve the family LPs; arrays are families × months. Returns families × months × 5
    (regular, overtime, outsource, lost, inventory)."""
    n_f, n_t = demand.shape
    n = n_f * n_t
    # variable blocks: [regular | overtime | outsource | lost | inventory], each family-major
    blocks = 5
    eye = sp.identity(n, format="csr")
    # inventory_{t-1} coefficient: -1 on the previous month of the same family
    prev = sp.diags([np.ones(n - 1)], [-1], shape=(n, n), format="lil")
    for f in range(1, n_f):  # break the chain at family boundaries (H-1 rows only)
        prev[f * n_t, f * n_t - 1] = 0.0
    prev = prev.tocsr()
    # inv_t - inv_{t-1} - reg - ot - out - lost = -d  (t = 1 gets + opening on the right)
    a_eq = sp.hstack([-eye, -eye, -eye, -eye, eye - prev], format="csr")
    b_eq = -demand.reshape(-1).copy()
    b_eq[np.arange(n_f) * n_t] += opening
    a_ub = None
    b_ub = None
    if not allow.get("build_ahead", True):
        # no building ahead: inventory rises only as far as its floor rises
        # (inv_t - inv_{t-1} <= max(0, floor_t - floor_{t-1}); inv_1 <= max(opening, floor_1))
        a_ub = sp.hstack([sp.csr_matrix((n, 4 * n)), eye - prev], format="csr")
        prev_floor = np.concatenate([opening[:, None], inv_floor[:, :-1]], axis=1)
        b_ub = np.maximum(0.0, inv_floor - prev_floor).reshape(-1)
        b_ub[np.arange(n_f) * n_t] += opening
    d = demand.reshape(-1)
    upper = np.concatenate([
        cap.reshape(-1),
        ot_cap.reshape(-1) if allow.get("overtime", True) else np.zeros(n),
        np.full(n, np.inf) if allow.get("outsource", True) else np.zeros(n),
        d,
        np.full(n, np.inf),
    ])
    lower = np.concatenate([np.zeros(4 * n), inv_floor.reshape(-1)])
    cost = np.repeat(costs, n)
    bounds = np.column_stack([lower, upper])
    first = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if first.status != 0:
        raise ValueError(f"supply plan LP failed: {first.message}")
    # tie-break at the optimal cost: least inventory, then least non-regular supply
    best = float(first.fun)
    cap_row = sp.csr_matrix(cost)
    a2 = cap_row if a_ub is None else sp.vstack([a_ub, cap_row], format="csr")
    b2 = np.array([best + max(1e-6, 1e-9 * abs(best))]) if b_ub is None else np.append(
        b_ub, best + max(1e-6, 1e-9 * abs(best))
    )
    secondary = np.repeat(np.array([0.0, 1.0, 1.0, 1.0, 2.0]), n)
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
) -> pd.DataFrame:
    """Least-cost supply plan per family and month (columns SUPPLY_COLUMNS).

    `plan` is the family_plan table; `opening` the opening inventory units by family;
    `safety_stock` (family, period, safety_stock) is used as an inventory floor only when
    `settings.safety_stock_floor` is on.
    """
    allow = allow or {}
    plan = plan.sort_values(["family", "period"]).reset_index(drop=True)
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
    x = _solve(demand, cap, ot_cap, open_units, floor, costs, allow=allow)
    out = plan[["family", "period", "demand", "capacity"]].copy()
    for k, name in enumerate(["regular", "overtime", "outsource", "lost_sales", "inventory_end"]):
        out[name] = x[:, :, k].reshape(-1)
    out["shipped"] = out["demand"] - out["lost_sales"]
    out["cost"] = (
        settings.cost_overtime * out["overtime"]
        + settings.cost_outsource * out["outsource"]
        + settings.cost_holding * out["inventory_end"]
        + settings.cost_lost_sales * out["lost_sales"]
    )
    return out[SUPPLY_COLUMNS]


def cost_by_option(supply: pd.DataFrame, settings: Settings) -> dict[str, float]:
    """Total cost of the plan split by option."""
    return {
        "overtime": float(settings.cost_overtime * supply["overtime"].sum()),
        "outsource": float(settings.cost_outsource * supply["outsource"].sum()),
        "build_ahead": float(settings.cost_holding * supply["inventory_end"].sum()),
        "lost_sales": float(settings.cost_lost_sales * supply["lost_sales"].sum()),
    }


ALONE = {
    "do_nothing": {"overtime": False, "outsource": False, "build_ahead": False},
    "overtime": {"overtime": True, "outsource": False, "build_ahead": False},
    "outsource": {"overtime": False, "outsource": True, "build_ahead": False},
    "build_ahead": {"overtime": False, "outsource": False, "build_ahead": True},
}


def option_comparison(
    plan: pd.DataFrame, capacity: pd.DataFrame, opening: pd.Series, settings: Settings,
    optimal: pd.DataFrame, *, safety_stock: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What each supply option would cost alone (with lost sales for what it cannot cover),
    beside the optimized plan: option, cost, lost_sales units, extra supply units.

    Under the same rules as the optimized plan (the safety-stock floor when it is on)."""
    rows = []
    for name, allow in ALONE.items():
        try:
            alone = supply_plan(plan, capacity, opening, settings, safety_stock=safety_stock, allow=allow)
        except ValueError:  # e.g. regular capacity alone cannot hold the safety-stock floor
            rows.append({"option": name, "cost": np.nan, "lost_sales": np.nan, "overtime": np.nan,
                         "outsource": np.nan, "inventory_held": np.nan, "feasible": False})
            continue
        rows.append(_option_row(name, alone))
    rows.append(_option_row("optimized", optimal))
    return pd.DataFrame(rows)


def _option_row(name: str, s: pd.DataFrame) -> dict:
    return {
        "option": name,
        "cost": float(s["cost"].sum()),
        "lost_sales": float(s["lost_sales"].sum()),
        "overtime": float(s["overtime"].sum()),
        "outsource": float(s["outsource"].sum()),
        "inventory_held": float(s["inventory_end"].sum()),
        "feasible": True,
    }


def safety_stock(consensus: pd.DataFrame, items: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Safety stock per family and month: Σ over the family's items of (monthly demand /
    days per month) × the item's safety days (the setting where blank)."""
    days = items.set_index("item_id")["safety_days"] if "safety_days" in items else pd.Series(dtype=float)
    sd = consensus["item_id"].map(days).astype(float).fillna(settings.safety_days)
    ss = consensus["consensus"] / settings.days_per_month * sd
    return (
        consensus[["family", "period"]].assign(safety_stock=ss.to_numpy())
        .groupby(["family", "period"], as_index=False)["safety_stock"].sum()
    )


def inventory_plan(supply: pd.DataFrame, safety: pd.DataFrame, opening: pd.Series) -> pd.DataFrame:
    """Per family and month: opening, supply, shipped, ending inventory, safety stock, cycle
    stock (monthly demand / 2) and target inventory (safety + cycle stock). Families never mix."""
    inv = supply.sort_values(["family", "period"]).reset_index(drop=True)
    out = inv[["family", "period"]].copy()
    out["supply"] = inv["regular"] + inv["overtime"] + inv["outsource"]
    out["shipped"] = inv["shipped"]
    out["ending"] = inv["inventory_end"]
    prev = inv.groupby("family")["inventory_end"].shift(1)
    out["opening"] = prev.fillna(inv["family"].map(opening).fillna(0.0))
    out = out.merge(safety, on=["family", "period"], how="left")
    out["safety_stock"] = out["safety_stock"].fillna(0.0)
    out["cycle_stock"] = inv["demand"].to_numpy(float) / 2.0
    out["target_inventory"] = out["safety_stock"] + out["cycle_stock"]
    return out[["family", "period", "opening", "supply", "shipped", "ending", "safety_stock", "cycle_stock",
                "target_inventory"]]
