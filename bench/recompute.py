"""Recompute speed: the engine against a true vectorized pass of the same stages, the LP on its own,
the growth from 10,000 to 100,000 items, the edit round trip through the service and its memory.

Company (bench/synthetic.py): 10,000 items in 200 families, 24 history months, an 18-month uploaded
forecast, capacity 85-125 % of demand, 5 % of the item-month cells adjusted (one adjustment in five on
a family). Printed:

(a) `planning.cycle.compute_plan` (consensus, family plan, LP supply plan, inventory, money,
    accuracy, exceptions, KPIs) — median and min-max of `--repeat` runs;
(b) the reference: one vectorized numpy/pandas pass of consensus (adjustments applied in order, rank by
    rank on the items × months matrix), family plan and gaps, safety stock, inventory, money, history
    accuracy and the KPIs, fed with the engine's LP result (the LP is not part of either side's ratio);
(c) the LP on its own: solves, seconds, milliseconds per family-month;
ratio (engine − its LP) / reference (goal ≤ 3) and engine / (reference + the same LP).
The two passes are checked to agree (consensus, gaps, status, inventory, money, KPIs) before any time
is printed.

    python bench/recompute.py                 # 10k items: engine, reference, LP, edit round trip, memory
    python bench/recompute.py --scale         # also 30k and 100k items (50 items a family): growth exponent
    python bench/recompute.py --edits 200     # more edits in the memory run (RSS after every 10)
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_company  # noqa: E402
from planning import supply as supply_mod  # noqa: E402
from planning.cycle import compute_plan  # noqa: E402
from planning.model import CompanyData, Settings  # noqa: E402


# ---------------------------------------------------------------------------- the reference pass


def _apply(kind: np.ndarray, value: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.where(kind == "percentage", x * (1 + value / 100.0),
                                    np.where(kind == "additive", x + value, value)))


def reference_pass(c: CompanyData, s: Settings, lp: dict[str, np.ndarray]) -> dict:
    """Every stage but the LP as plain array work (items sorted by family; matrices items × months and
    families × months). `lp`: the supply plan's regular, overtime, outsource, lost_sales, inventory_end as
    families × months arrays (families sorted)."""
    items = c.items.sort_values(["family", "item_id"], kind="stable")
    ids = items["item_id"].to_numpy(object)
    fams, fam_of = np.unique(items["family"].to_numpy(str), return_inverse=True)
    n_i, n_f = len(ids), len(fams)
    starts = np.searchsorted(fam_of, np.arange(n_f))
    size = np.bincount(fam_of, minlength=n_f).astype(float)
    horizon = np.array(sorted(c.forecast["period"].unique()), dtype=object)
    n_t = len(horizon)
    id_ix, per_ix = pd.Index(ids), pd.Index(horizon)
    stat = np.zeros((n_i, n_t))
    stat[id_ix.get_indexer(c.forecast["item_id"]), per_ix.get_indexer(c.forecast["period"])] = \
        c.forecast["forecast_units"].to_numpy(float)

    # consensus: adjustments in created_at, seq order; the k-th of every family-month in one step
    x = stat.copy()
    a = c.adjustments.sort_values(["created_at", "seq"], kind="stable")
    on_item = (a["level"] == "item").to_numpy()
    row = id_ix.get_indexer(a["key"].where(on_item, ""))
    fam = np.where(on_item, fam_of[row], pd.Index(fams).get_indexer(a["key"]))
    col = per_ix.get_indexer(a["period"])
    ok = (fam >= 0) & (col >= 0) & (~on_item | (row >= 0))
    kind, value = a["type"].to_numpy(object)[ok], a["value"].to_numpy(float)[ok]
    on_item, row, fam, col = on_item[ok], row[ok], fam[ok], col[ok]
    cell = fam * n_t + col
    order = np.argsort(cell, kind="stable")  # stable: keeps the time order inside a family-month
    first = np.r_[True, cell[order][1:] != cell[order][:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank = np.empty(len(order), int)
    rank[order] = np.arange(len(order)) - run_start
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        step = rank == k
        it = step & on_item
        x[row[it], col[it]] = _apply(kind[it], value[it], x[row[it], col[it]])
        fm = step & ~on_item
        if fm.any():
            old = np.add.reduceat(x, starts, axis=0)[fam[fm], col[fm]]
            new = _apply(kind[fm], value[fm], old)
            factor = np.ones((n_f, n_t))
            factor[fam[fm], col[fm]] = np.where(old > 0, new / np.where(old > 0, old, 1.0), 1.0)
            x *= factor[fam_of]
            zero = old <= 0
            for f, t, v in zip(fam[fm][zero], col[fm][zero], new[zero]):  # rare: a family-month at 0
                x[starts[f]:starts[f] + int(size[f]), t] = v / size[f]
    x = np.round(np.maximum(x, 0.0), 9)

    # family plan and gaps
    demand = np.add.reduceat(x, starts, axis=0)
    cap = np.zeros((n_f, n_t))
    np.add.at(cap, (pd.Index(fams).get_indexer(c.capacity["family"]), per_ix.get_indexer(c.capacity["period"])),
              c.capacity["capacity_units"].to_numpy(float))
    gap = cap - demand
    status = np.where(demand > cap + 1e-9 * np.maximum(1, cap), "CONSTRAINED",
                      np.where(demand * 100 > s.utilization_tight * cap + 1e-7 * np.maximum(1, cap), "TIGHT", "OK"))

    # safety stock and inventory (the LP's plan)
    days = items["safety_days"].to_numpy(float)
    days = np.where(np.isnan(days), s.safety_days, days)
    safety = np.add.reduceat(x * (days / s.days_per_month)[:, None], starts, axis=0)
    opening = np.add.reduceat(items["opening_inventory"].to_numpy(float), starts)
    inv = lp["inventory_end"]
    supply = lp["regular"] + lp["overtime"] + lp["outsource"]
    shipped = demand - lp["lost_sales"]
    inv_open = np.concatenate([opening[:, None], inv[:, :-1]], axis=1)
    target = safety + demand / 2.0

    # money
    price, cost = items["unit_price"].to_numpy(float), items["unit_cost"].to_numpy(float)
    rev_unc = np.add.reduceat(x * price[:, None], starts, axis=0)
    std = np.add.reduceat(x * cost[:, None], starts, axis=0)
    fill = np.where(demand > 0, shipped / np.where(demand > 0, demand, 1.0), 1.0)
    revenue = rev_unc * fill
    cogs = std * fill + s.cost_overtime * lp["overtime"] + s.cost_outsource * lp["outsource"]
    units = demand.sum(axis=1)
    plain = np.add.reduceat(cost, starts) / size
    unit_cost = np.where(units > 0, std.sum(axis=1) / np.where(units > 0, units, 1.0), plain)
    inv_value = inv * unit_cost[:, None]

    # history accuracy (items, families, company) and the KPIs
    h = c.history[c.history["forecast_units"].notna()]
    hp = np.array(sorted(h["period"].unique()), dtype=object)
    hr, hc = id_ix.get_indexer(h["item_id"]), pd.Index(hp).get_indexer(h["period"])
    A = np.full((n_i, len(hp)), np.nan)
    F = np.full((n_i, len(hp)), np.nan)
    A[hr, hc], F[hr, hc] = h["actual_units"].to_numpy(float), h["forecast_units"].to_numpy(float)

    def acc(f: np.ndarray, a_: np.ndarray) -> dict[str, np.ndarray]:
        seen = ~np.isnan(a_) & ~np.isnan(f)
        e = np.where(seen, f - a_, 0.0)
        pos = seen & (a_ > 0)
        n_pos = pos.sum(axis=1)
        ape = np.where(pos, np.abs(e) / np.where(pos, a_, 1.0) * 100.0, 0.0).sum(axis=1)
        sa = np.where(seen, a_, 0.0).sum(axis=1)
        mad = np.abs(e).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"mape": np.where(n_pos > 0, ape / np.maximum(n_pos, 1), np.nan),
                    "bias_pct": np.where(sa > 0, e.sum(axis=1) * 100.0 / sa, np.nan),
                    "tracking_signal": np.where(mad > 0, e.sum(axis=1) / np.where(mad > 0, mad, 1), 0.0)}

    An, Fn = np.nan_to_num(A), np.nan_to_num(F)
    item_acc = acc(F, A)
    fam_acc = acc(np.add.reduceat(Fn, starts, axis=0), np.add.reduceat(An, starts, axis=0))
    last12, last3 = slice(max(0, len(hp) - 12), None), slice(max(0, len(hp) - 3), None)
    famA, famF = np.add.reduceat(An[:, last12], starts, axis=0), np.add.reduceat(Fn[:, last12], starts, axis=0)
    mape = acc(famF.reshape(1, -1), famA.reshape(1, -1))["mape"][0]
    bias = (Fn[:, last12].sum() - An[:, last12].sum()) * 100.0 / An[:, last12].sum()
    attain = An[:, last3].sum() * 100.0 / Fn[:, last3].sum()
    rev_attain = (An[:, last3] * price[:, None]).sum() * 100.0 / (Fn[:, last3] * price[:, None]).sum()
    kpis = {
        "mape": mape, "bias_pct": bias, "plan_attainment": attain, "revenue_attainment": rev_attain,
        "capacity_utilization": demand[:, :3].sum() * 100.0 / cap[:, :3].sum(),
        "inventory_turns": cogs.sum() * 12.0 / n_t / inv_value.sum(axis=0).mean(),
        "days_of_supply": inv[:, 0].sum() / (demand[:, :3].sum() / (3 * s.days_per_month)),
    }
    return {"ids": ids, "fams": fams, "horizon": horizon, "consensus": x, "demand": demand, "gap": gap,
            "status": status, "safety": safety, "opening": inv_open, "supply": supply, "target": target,
            "revenue": revenue, "cogs": cogs, "inventory_value": inv_value, "item_mape": item_acc["mape"],
            "family_bias": fam_acc["bias_pct"], "kpis": kpis}


def lp_arrays(result) -> dict[str, np.ndarray]:
    sp_ = result.supply_plan.sort_values(["family", "period"])
    n_f = sp_["family"].nunique()
    return {k: sp_[k].to_numpy(float).reshape(n_f, -1)
            for k in ("regular", "overtime", "outsource", "lost_sales", "inventory_end")}


def check_agree(result, ref: dict) -> None:
    """The engine and the reference give the same plan (else their times mean nothing)."""
    n_f, n_t = len(ref["fams"]), len(ref["horizon"])
    cons = result.consensus.set_index(["item_id", "period"])["consensus"]
    want = pd.Series(ref["consensus"].reshape(-1), index=pd.MultiIndex.from_arrays(
        [np.repeat(ref["ids"], n_t), np.tile(ref["horizon"], len(ref["ids"]))]))
    assert np.allclose(cons.reindex(want.index).to_numpy(), want.to_numpy(), atol=1e-6), "consensus differs"

    def fam(frame: pd.DataFrame, col: str) -> np.ndarray:
        return frame.sort_values(["family", "period"])[col].to_numpy().reshape(n_f, n_t)

    fp, inv, fin = result.family_plan, result.inventory, result.financials
    assert np.allclose(fam(fp, "gap").astype(float), ref["gap"], atol=1e-6), "gaps differ"
    assert (fam(fp, "status") == ref["status"]).all(), "status differs"
    for col, key in (("safety_stock", "safety"), ("opening", "opening"), ("supply", "supply"),
                     ("target_inventory", "target")):
        assert np.allclose(fam(inv, col).astype(float), ref[key], atol=1e-6), f"inventory {col} differs"
    for col in ("revenue", "cogs", "inventory_value"):
        assert np.allclose(fam(fin, col).astype(float), ref[col], rtol=1e-9, atol=1e-4), f"{col} differs"
    acc = result.accuracy
    item = acc[acc["level"] == "item"].set_index("item_id")["mape"].reindex(ref["ids"]).to_numpy(float)
    assert np.allclose(item, ref["item_mape"], equal_nan=True), "item MAPE differs"
    fb = acc[acc["level"] == "family"].set_index("family")["bias_pct"].reindex(ref["fams"]).to_numpy(float)
    assert np.allclose(fb, ref["family_bias"], equal_nan=True), "family bias differs"
    for name, value in ref["kpis"].items():
        got = result.kpis[name]["value"]
        assert got is not None and math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-6), f"KPI {name}: {got} vs {value}"


# ---------------------------------------------------------------------------- timing

LP = {"solves": 0, "seconds": 0.0}
_linprog = supply_mod.linprog


def _timed_linprog(*args, **kwargs):
    """The engine's HiGHS calls, counted and timed (the LP is reported on its own)."""
    t0 = time.perf_counter()
    try:
        return _linprog(*args, **kwargs)
    finally:
        LP["solves"] += 1
        LP["seconds"] += time.perf_counter() - t0


supply_mod.linprog = _timed_linprog


def runs(fn, repeat: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def fmt(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:9.1f} ms  ({min(times) * 1000:.1f}–{max(times) * 1000:.1f})"


def _forget_lp_blocks() -> None:
    """A full recompute: no LP block solved by an earlier run is reused (the edit path does reuse them)."""
    blocks = getattr(supply_mod, "_BLOCKS", None)
    if blocks is not None:
        blocks.clear()


def engine_run(company: CompanyData, settings: Settings, repeat: int) -> dict:
    """Full recomputes of the engine and reference passes, alternated so both see the same machine load;
    wall and CPU seconds. Then the engine as the service runs it after an edit."""
    from planning.cycle import history_view

    result = compute_plan(company, settings)  # warm imports and caches of the process
    lp = lp_arrays(result)
    check_agree(result, reference_pass(company, settings, lp))
    out: dict = {k: [] for k in ("engine", "engine_cpu", "lp", "reference", "reference_cpu", "edit")}
    solves = 0
    for _ in range(repeat):
        _forget_lp_blocks()
        before = dict(LP)
        t0, c0 = time.perf_counter(), time.process_time()
        result = compute_plan(company, settings)
        out["engine"].append(time.perf_counter() - t0)
        out["engine_cpu"].append(time.process_time() - c0)
        out["lp"].append(LP["seconds"] - before["seconds"])
        solves = LP["solves"] - before["solves"]
        t0, c0 = time.perf_counter(), time.process_time()
        reference_pass(company, settings, lp)
        out["reference"].append(time.perf_counter() - t0)
        out["reference_cpu"].append(time.process_time() - c0)
    out["net"] = [e - x for e, x in zip(out["engine"], out["lp"])]
    # the edit path: history view and memo kept, one more adjustment on one family each time
    hv, memo = history_view(company), {}
    compute_plan(company, settings, history=hv, memo=memo)
    fams = sorted(company.items["family"].unique())
    month = sorted(company.forecast["period"].unique())[2]
    adj = company.adjustments
    for k in range(repeat):
        row = adj.iloc[[0]].assign(seq=len(adj), level="family", key=fams[k % len(fams)], period=month,
                                   type="percentage", value=3.0, created_at=pd.Timestamp("2026-01-01"))
        adj = pd.concat([adj, row], ignore_index=True)
        t0 = time.perf_counter()
        compute_plan(company.with_(adjustments=adj), settings, history=hv, memo=memo)
        out["edit"].append(time.perf_counter() - t0)
    out.update(solves=solves, family_months=len(result.family_plan), result=result)
    return out


def report(label: str, r: dict) -> None:
    med = statistics.median
    print(f"{label}")
    print(f"  (a) engine compute_plan            {fmt(r['engine'])}")
    print(f"      of which the LP                {fmt(r['lp'])}  {r['solves']} HiGHS solves, "
          f"{med(r['lp']) * 1e6 / max(r['family_months'], 1):.1f} µs per family-month")
    print(f"      engine without its LP          {fmt(r['net'])}")
    print(f"  (b) vectorized reference pass      {fmt(r['reference'])}")
    print(f"  ratio (engine − LP) / reference    {med(r['net']) / med(r['reference']):9.2f}  (goal ≤ 3)")
    ratio_all = med(r["engine"]) / (med(r["reference"]) + med(r["lp"]))
    print(f"  ratio engine / (reference + LP)    {ratio_all:9.2f}")
    cpu = med(r["engine_cpu"]) / med(r["reference_cpu"])
    print(f"  ratio of CPU seconds engine / ref  {cpu:9.2f}  (engine with its LP; less sensitive to the load)")
    print(f"  engine after an edit (service)     {fmt(r['edit'])}  (history, forecast, grid kept; one LP block)")


def option_table_run(company: CompanyData, settings: Settings, result, repeat: int) -> None:
    from planning.cycle import compare_supply_options

    before = dict(LP)
    def run():
        _forget_lp_blocks()
        return compare_supply_options(company, result, settings)

    times, _ = runs(run, repeat)
    solves = (LP["solves"] - before["solves"]) // repeat
    print(f"  supply option table (on request)   {fmt(times)}  {solves} HiGHS solves (4 options alone, "
          f"{getattr(supply_mod, 'CHUNK_FAMILIES', 'all')} families a block)")


# ---------------------------------------------------------------------------- the service: edits and memory


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def service_runs(company: CompanyData, repeat: int, n_edits: int) -> None:
    """Store the company in SQLite, then in a fresh process (a server's: nothing but the service) time the
    edit round trip (PlanService.apply_edit + current_plan) and read its RSS while it applies edits."""
    import subprocess

    from data.store import Store, make_engine

    tmp = tempfile.mkdtemp()
    db = f"{tmp}/bench.db"
    store = Store(make_engine(f"sqlite:///{db}"))
    store.ensure_ready(seed=False)
    t0 = time.perf_counter()
    store.save_dataset(company, source="bench", user="bench")
    store.engine.dispose()
    print(f"  store: save the whole company      {(time.perf_counter() - t0) * 1000:9.1f} ms")
    subprocess.run([sys.executable, __file__, "--serve-db", db, "--edits", str(max(repeat, n_edits))], check=True)


def serve_db(db: str, n_edits: int) -> None:
    """The child of `service_runs`: one PlanService on the stored company, `n_edits` random edits (family and
    item cells alternately), each followed by the plan's KPI strip; RSS after every 10 edits."""
    from data.store import Store, make_engine
    from services import plan_service

    service = plan_service.PlanService(Store(make_engine(f"sqlite:///{db}")))
    print(f"  server process at start            {rss_mib():9.0f} MiB")
    t0 = time.perf_counter()
    plan = service.current_plan()
    print(f"  first plan of the stored company   {(time.perf_counter() - t0) * 1000:9.1f} ms (loads, caches history)")
    rng = np.random.default_rng(7)
    fams = sorted(plan.family_plan["family"].unique())
    ids = plan.consensus["item_id"].unique()
    times, cpu, rss = [], [], [(0, rss_mib())]
    for k in range(n_edits):
        if k % 2 == 0:
            level, key = "family", fams[rng.integers(len(fams))]
        else:
            level, key = "item", str(ids[rng.integers(len(ids))])
        period = plan.horizon[rng.integers(len(plan.horizon))]
        t0, c0 = time.perf_counter(), time.process_time()
        service.apply_edit(level=level, key=key, period=period, text=f"+{rng.integers(1, 9)}%", reason="bench",
                           owner="bench")
        plan = service.current_plan()
        _ = {name: kpi["value"] for name, kpi in plan.kpis.items()}
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if (k + 1) % 10 == 0:
            gc.collect()
            rss.append((k + 1, rss_mib()))
    print(f"  edit round trip (apply_edit + current_plan), {len(times)} edits: {fmt(times)}  (goal < 1,000 ms)")
    print(f"      its CPU time in the process    {fmt(cpu)}")
    print("  RSS after N edits (MiB): " + ", ".join(f"{n}: {m:.0f}" for n, m in rss) + "  (goal < 600 MiB)")
    info = getattr(service, "cache_info", None)
    if info is not None:
        print(f"  caches: {info()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--history", type=int, default=24)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--adjusted", type=float, default=0.05, help="share of item-month cells adjusted")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", action="store_true", help="also 30k and 100k items (50 items a family)")
    parser.add_argument("--edits", type=int, default=60, help="edits in the round trip and memory run")
    parser.add_argument("--no-store", action="store_true", help="skip the edit round trip and memory run")
    parser.add_argument("--serve-db", help=argparse.SUPPRESS)  # internal: the server process of service_runs
    args = parser.parse_args()
    if args.serve_db:
        serve_db(args.serve_db, args.edits)
        return
    print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])} (2 cores)")
    settings = Settings()

    def company(n: int, f: int) -> CompanyData:
        return synthetic_company(n, f, args.history, args.months, adjusted_share=args.adjusted)

    base = company(args.items, args.families)
    print(f"company: {args.items:,} items in {args.families} families, {args.history} history months, "
          f"{args.months}-month horizon, {len(base.adjustments):,} adjustments ({args.adjusted:.0%} of cells); "
          f"median (min–max) of {args.repeat}")
    first = engine_run(base, settings, args.repeat)
    report(f"{args.items:,} items (passes agree)", first)
    option_table_run(base, settings, first["result"], max(1, args.repeat // 2))
    if args.scale:
        sizes = [(args.items, args.families, first)]
        for n in (30_000, 100_000):
            f = max(1, n * args.families // args.items)
            r = engine_run(company(n, f), settings, max(3, args.repeat // 2))
            report(f"{n:,} items, {f} families (passes agree)", r)
            sizes.append((n, f, r))
        x = np.log([s[0] for s in sizes])
        for key, label in (("engine", "engine"), ("net", "engine without the LP"), ("lp", "LP"),
                           ("reference", "reference"), ("edit", "engine after an edit")):
            y = np.log([statistics.median(s[2][key]) for s in sizes])
            print(f"  growth exponent {label:24s} {np.polyfit(x, y, 1)[0]:5.2f}  (goal ≤ 1: linear)")
    if not args.no_store:
        print("service (SQLite store):")
        service_runs(base, args.repeat, args.edits)


if __name__ == "__main__":
    main()
