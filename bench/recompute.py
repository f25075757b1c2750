"""Recompute speed: the engine against a plain vectorized pandas pass, side by side.

Builds a company of 10,000 items × 18 months in 20 families with 500 adjustments and
times (a) `planning.cycle.compute_plan` (consensus, family plan, LP supply plan,
inventory, money, accuracy, exceptions, KPIs) and (b) a plain pandas pass computing the
same consensus, gaps and revenue, in one process. Prints both and the ratio (goal ≤ 3),
then the round trip of a single-cell edit through the store (write + recompute + figures).

    python bench/recompute.py [--items 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_company  # noqa: E402
from planning.cycle import compute_plan, history_view  # noqa: E402
from planning.model import CompanyData, Settings  # noqa: E402


def plain_pass(c: CompanyData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Consensus, gaps and revenue with plain pandas merges and groupbys (no engine code)."""
    cells = c.forecast[["item_id", "period", "forecast_units"]].merge(c.items[["item_id", "family"]], on="item_id")
    cells = cells.rename(columns={"forecast_units": "value"})
    adj = c.adjustments.sort_values(["created_at", "seq"], kind="stable").copy()
    fam_of = c.items.set_index("item_id")["family"]
    adj["family"] = np.where(adj["level"] == "item", adj["key"].map(fam_of), adj["key"])
    adj["rank"] = adj.groupby(["family", "period"]).cumcount()

    def apply(kind, v, x):
        return np.maximum(0, np.where(kind == "percentage", x * (1 + v / 100), np.where(kind == "additive", x + v, v)))

    for rank in range(adj["rank"].max() + 1):
        step = adj[adj["rank"] == rank]
        it = step[step["level"] == "item"].rename(columns={"key": "item_id"})
        m = cells.merge(it[["item_id", "period", "type", "value"]], on=["item_id", "period"], how="left",
                        suffixes=("", "_adj"))
        hit = m["type"].notna()
        cells.loc[hit.to_numpy(), "value"] = apply(m.loc[hit, "type"].to_numpy(), m.loc[hit, "value_adj"].to_numpy(),
                                                   m.loc[hit, "value"].to_numpy())
        fam = step[step["level"] == "family"].rename(columns={"key": "fam"})
        if len(fam):
            tot = cells.groupby(["family", "period"], as_index=False)["value"].sum().rename(columns={"value": "t"})
            fam = fam.merge(tot, left_on=["fam", "period"], right_on=["family", "period"], suffixes=("_x", ""))
            fam["new"] = apply(fam["type"].to_numpy(), fam["value"].to_numpy(), fam["t"].to_numpy())
            m = cells.merge(fam[["family", "period", "t", "new"]], on=["family", "period"], how="left")
            n = cells.groupby(["family", "period"])["value"].transform("size").to_numpy()
            hit = m["t"].notna().to_numpy()
            t, new = m["t"].to_numpy(), m["new"].to_numpy()
            scaled = np.where(t > 0, m["value"].to_numpy() * new / np.where(t > 0, t, 1), new / n)
            cells.loc[hit, "value"] = scaled[hit]
    demand = cells.groupby(["family", "period"], as_index=False)["value"].sum()
    gaps = demand.merge(c.capacity.groupby(["family", "period"], as_index=False)["capacity_units"].sum(),
                        on=["family", "period"])
    gaps["gap"] = gaps["capacity_units"] - gaps["value"]
    priced = cells.merge(c.items[["item_id", "unit_price"]], on="item_id")
    revenue = (priced.assign(rev=priced["value"] * priced["unit_price"])
               .groupby(["family", "period"], as_index=False)["rev"].sum())
    return cells, gaps, revenue


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def edit_round_trip(company: CompanyData, repeat: int) -> tuple[float, float]:
    """Median seconds of one family-cell edit: store write + recompute + dashboard figures."""
    from services import plan_service
    from data.store import Store, make_engine

    tmp = tempfile.mkdtemp()
    store = Store(make_engine(f"sqlite:///{tmp}/bench.db"))
    store.ensure_ready(seed=False)
    t0 = time.perf_counter()
    store.save_dataset(company.with_(adjustments=company.adjustments), source="bench", user="bench")
    save_s = time.perf_counter() - t0
    service = plan_service.PlanService(store)
    service.current_plan()  # warm: the first read of a plan version computes it
    fam, period = "Family 00", company.forecast["period"].iloc[0]
    times = []
    for k in range(repeat):
        t0 = time.perf_counter()
        service.apply_edit(level="family", key=fam, period=period, text=f"+{k + 1}%", reason="bench", owner="bench")
        plan = service.current_plan()
        fp = plan.family_plan
        _ = fp[(fp["family"] == fam) & (fp["period"] == period)]["gap"].iloc[0]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), save_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--families", type=int, default=20)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--adjustments", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-store", action="store_true", help="skip the store round trip")
    args = parser.parse_args()
    company = synthetic_company(args.items, args.families, 36, args.months, args.adjustments)
    settings = Settings()
    print(f"company: {args.items:,} items × {args.months} months in {args.families} families, "
          f"{args.adjustments} adjustments, 36 history months")
    compute_plan(company, settings)  # warm imports
    engine_s, result = timed(lambda: compute_plan(company, settings), args.repeat)
    hv = history_view(company)
    engine_cached_s, _ = timed(lambda: compute_plan(company, settings, history=hv), args.repeat)
    plain_s, (cells, gaps, revenue) = timed(lambda: plain_pass(company), args.repeat)
    # the two must agree before their times mean anything
    got = result.consensus.set_index(["item_id", "period"])["consensus"]
    want = cells.set_index(["item_id", "period"])["value"].reindex(got.index)
    assert np.allclose(got.to_numpy(), want.to_numpy(), atol=1e-4), "consensus differs from the plain pass"
    fp = result.family_plan.set_index(["family", "period"])["gap"]
    assert np.allclose(fp.to_numpy(), gaps.set_index(["family", "period"])["gap"].reindex(fp.index), atol=1e-3)
    rev = result.financials.set_index(["family", "period"])["revenue_unconstrained"]
    assert np.allclose(rev.to_numpy(), revenue.set_index(["family", "period"])["rev"].reindex(rev.index), rtol=1e-7, atol=0.05)
    print(f"(a) engine full recompute            {engine_s * 1000:8.1f} ms")
    print(f"    engine, history cached per data  {engine_cached_s * 1000:8.1f} ms")
    print(f"(b) plain pandas pass                {plain_s * 1000:8.1f} ms")
    print(f"ratio engine / plain                 {engine_s / plain_s:8.2f}  (goal ≤ 3)")
    print(f"ratio engine (cached) / plain        {engine_cached_s / plain_s:8.2f}")
    if not args.no_store:
        edit_s, save_s = edit_round_trip(company, args.repeat)
        print(f"store: save the whole company        {save_s * 1000:8.1f} ms")
        print(f"single-cell edit round trip          {edit_s * 1000:8.1f} ms  (goal < 1,000 ms)")


if __name__ == "__main__":
    main()
