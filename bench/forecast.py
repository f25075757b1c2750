"""Benchmark of the statistical forecast (planning.forecast).

(a) Accuracy on a rolling-origin test, side by side in one run: the product's two paths (a small run,
    at most ForecastConfig.full_search_max series: AutoARIMA's full search and AutoCES; a large run:
    the narrow ARIMA search and the intermittent set), every candidate of each path, a pure
    lowest-error selection and the reference: the plain mean of default AutoETS/AutoARIMA/AutoTheta
    fitted on each whole training window ("ref mean"); on
      * a panel of real monthly series shipped inside installed packages (statsmodels, sktime,
        pmdarima; nothing is downloaded), and
      * a synthetic panel of smooth, intermittent and lumpy series.
    Each origin's training window is the last --train months before it (default 48), the horizon
    12 months, origins 6 months apart. "vs ref %" = the method's mean MASE against the ref mean's.
(b) Time to forecast 1,000 and 10,000 series of 36 months (horizon 18, 2 jobs): cold = a fresh Python
    process (imports included), warm = a second, different panel of the same size in that process.

    python bench/forecast.py [--quick] [--skip-timing] [--skip-accuracy]

Metrics, per method, over all (series, origin) pairs: MASE = mean of MAE / in-sample seasonal naive
MAE (lag 12, lag 1 if that is 0) of the training window; WAPE = sum|F-A| / sum A * 100 and bias % =
sum(F-A) / sum A * 100, both computed per (series, origin) then averaged (the series have different
units); cov80 / cov95 = share of held-out actuals inside the 80 % / 95 % interval.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from planning.forecast import ForecastConfig, statistical_forecast  # noqa: E402

H = 12
END = "2019-12"  # every training slice is relabelled to end here (models only see positions)
SMALL = "product, small run"
LARGE = "product, large run"
REF = "ref mean(ETS,ARIMA,Theta)"
# final_refit='all': every candidate is re-estimated on the whole window, so that each one's accuracy is
# measured as it would be if chosen (the product's own rows are the same either way)
PATHS = {
    SMALL: ("small", ForecastConfig(full_search_max=10**9, final_refit="all")),
    LARGE: ("large", ForecastConfig(full_search_max=0, final_refit="all")),
}


# --------------------------------------------------------------------------------------------------
# data


def _site() -> Path:
    import statsmodels

    return Path(statsmodels.__file__).resolve().parents[1]


def real_panel() -> dict[str, tuple[str, np.ndarray]]:
    """Real monthly series bundled with installed packages: name -> (group, values)."""
    site = _site()
    out: dict[str, tuple[str, np.ndarray]] = {}

    def add(name: str, group: str, values) -> None:
        v = pd.Series(values, dtype=float).dropna().to_numpy()
        if len(v) and (v >= 0).all():
            out[name] = (group, v)

    frbny = site / "statsmodels/tsa/statespace/tests/results/frbny_nowcast/Nowcasting/data/US/2016-07-29.csv"
    if frbny.exists():
        df = pd.read_csv(frbny)
        quarterly = {"GDPC1", "ULCNFB", "A261RX1Q020SBEA"}
        for col in df.columns[1:]:
            if col not in quarterly:
                s = df[col]
                s = s.loc[s.first_valid_index() : s.last_valid_index()]
                if s.notna().all():
                    add(f"frbny:{col}", "US macro (SA)", s)
    house = site / "statsmodels/tsa/holtwinters/tests/results/housing-data.csv"
    if house.exists():
        add("statsmodels:HOUSTNSA", "seasonal / other", pd.read_csv(house)["HOUSTNSA"])
    from statsmodels.datasets import co2, elec_equip, elnino

    add("statsmodels:elec_equip", "seasonal / other", elec_equip.load().data.iloc[:, 0])
    c = co2.load_pandas().data["co2"].interpolate()
    add("statsmodels:co2", "seasonal / other", c.resample("MS").mean())
    el = elnino.load_pandas().data.drop(columns="YEAR")
    add("statsmodels:elnino", "seasonal / other", el.to_numpy().ravel())
    try:
        import sktime
        from sktime.datasets import load_airline, load_PBS_dataset

        add("sktime:airline", "seasonal / other", load_airline())
        add("sktime:PBS", "seasonal / other", load_PBS_dataset())
        sb = Path(sktime.__file__).parent / "datasets/data/seatbelts/seatbelts.csv"
        add("sktime:seatbelts_KSI", "seasonal / other", pd.read_csv(sb)["KSI"])
    except ImportError:
        pass
    try:
        import pmdarima.datasets as pmd

        add("pmdarima:wineind", "seasonal / other", pmd.load_wineind(as_series=True))
        add("pmdarima:sunspots", "seasonal / other", pmd.load_sunspots(as_series=True))
        ms = pmd.load_msft()
        vol = ms.assign(m=pd.to_datetime(ms["Date"]).dt.to_period("M")).groupby("m")["Volume"].sum()
        add("pmdarima:msft_volume", "seasonal / other", vol.iloc[1:-1] / 1e6)
    except ImportError:
        pass
    return out


def synthetic_panel(n: int, T: int, seed: int) -> dict[str, tuple[str, np.ndarray]]:
    """Demand-like series: one third smooth (trend + seasonality), intermittent, lumpy."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    out: dict[str, tuple[str, np.ndarray]] = {}
    for i in range(n):
        kind = i % 3
        if kind == 0:
            level = rng.uniform(50, 500)
            season = rng.uniform(0, 0.4) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
            trend = rng.normal(0, 0.01)
            y = level * (1 + trend * t) * (1 + season) * rng.lognormal(0, rng.uniform(0.05, 0.25), T)
            out[f"smooth{i}"] = ("synthetic smooth", np.maximum(y, 0).round())
        elif kind == 1:
            p = rng.uniform(0.1, 0.6)
            y = (rng.random(T) < p) * rng.poisson(rng.uniform(1, 8), T)
            if y.sum() == 0:
                y[-1] = 1
            out[f"intermittent{i}"] = ("synthetic intermittent", y.astype(float))
        else:
            p = rng.uniform(0.3, 0.8)
            y = (rng.random(T) < p) * rng.lognormal(rng.uniform(2, 5), 1.0, T)
            out[f"lumpy{i}"] = ("synthetic lumpy", y.round())
    return out


def demand_panel(n: int, T: int, seed: int) -> pd.DataFrame:
    """`n` synthetic series of `T` months as a history table (for timing)."""
    series = synthetic_panel(n, T, seed)
    periods = pd.period_range(end=END, periods=T, freq="M").astype(str)
    return pd.DataFrame(
        {
            "item_id": np.repeat(list(series), T),
            "period": np.tile(periods, n),
            "actual_units": np.concatenate([v for _, v in series.values()]),
        }
    )


# --------------------------------------------------------------------------------------------------
# rolling-origin evaluation


def _slices(series: dict[str, tuple[str, np.ndarray]], train: int, origins: int, step: int):
    """Yield (origin k, history table, actuals dict) with every slice relabelled to end at END."""
    for k in range(origins):
        back = H + k * step  # months between the cutoff and the end of the series
        rows, actual = [], {}
        for name, (_, v) in series.items():
            if len(v) < back + train:
                continue
            cut = len(v) - back
            tr = v[cut - train : cut]
            actual[name] = (tr, v[cut : cut + H])
            rows.append(pd.DataFrame({"item_id": name, "period": pd.period_range(end=END, periods=train,
                                                                                  freq="M").astype(str),
                                      "actual_units": tr}))
        yield k, pd.concat(rows, ignore_index=True), actual


def _reference_comb(history: pd.DataFrame, n_jobs: int) -> pd.DataFrame:
    """Default AutoETS / AutoARIMA / AutoTheta fitted on the whole window and their plain mean."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive

    df = history.rename(columns={"item_id": "unique_id", "actual_units": "y"})
    df["ds"] = pd.PeriodIndex(df.pop("period"), freq="M").to_timestamp()
    sf = StatsForecast(
        models=[AutoETS(season_length=12, alias="ref AutoETS"), AutoARIMA(season_length=12, alias="ref AutoARIMA"),
                AutoTheta(season_length=12, alias="ref AutoTheta")],
        freq="MS", n_jobs=n_jobs, fallback_model=Naive(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=df, h=H, level=[80, 95]).sort_values(["unique_id", "ds"])
    fc["period"] = fc["ds"].dt.to_period("M").astype(str)
    parts = []
    names = ["ref AutoETS", "ref AutoARIMA", "ref AutoTheta"]
    for name in names:
        parts.append(pd.DataFrame({"item_id": fc["unique_id"].to_numpy(), "period": fc["period"].to_numpy(),
                                   "model": name, "forecast": fc[name].clip(lower=0).to_numpy(),
                                   "lo80": fc[f"{name}-lo-80"].to_numpy(), "hi80": fc[f"{name}-hi-80"].to_numpy(),
                                   "lo95": fc[f"{name}-lo-95"].to_numpy(), "hi95": fc[f"{name}-hi-95"].to_numpy()}))
    comb = parts[0].copy()
    comb["model"] = "ref mean(ETS,ARIMA,Theta)"
    comb["forecast"] = sum(p["forecast"].to_numpy() for p in parts) / 3
    for c in ("lo80", "hi80", "lo95", "hi95"):
        comb[c] = np.nan
    return pd.concat([*parts, comb], ignore_index=True)



def evaluate(series: dict[str, tuple[str, np.ndarray]], *, train: int, origins: int, step: int, n_jobs: int,
             paths: dict[str, tuple[str, ForecastConfig]] | None = None) -> pd.DataFrame:
    """Per (method, series, origin) errors and interval hits; `bt` = the candidate's backtest MASE."""
    records = []
    horizon = pd.period_range(END, periods=H + 1, freq="M")[1:].astype(str).tolist()
    for k, hist, actual in _slices(series, train, origins, step):
        frames = [_reference_comb(hist, n_jobs)]
        for label, (short, cfg) in (paths or PATHS).items():
            run = statistical_forecast(hist, horizon, n_jobs=n_jobs, config=cfg, return_candidates=True)
            cand = run.candidates.rename(columns={"error": "bt"})
            frames.append(run.forecast.assign(model=label))
            frames.append(cand.assign(model=short + ": " + cand["model"]))
            # pure lowest-backtest-error selection, from the same run
            err = run.candidates.groupby(["item_id", "model"])["error"].first().dropna().reset_index()
            best = err.loc[err.groupby("item_id")["error"].idxmin()][["item_id", "model"]]
            frames.append(cand.merge(best, on=["item_id", "model"]).assign(model=f"{short}: argmin selection"))
        allf = pd.concat(frames, ignore_index=True)
        # items without candidates (too short) only appear in the product rows; fine for this test
        for (model, item), g in allf.groupby(["model", "item_id"], sort=False):
            tr, act = actual[item]
            f = g["forecast"].to_numpy()[: len(act)]
            a = act[: len(f)]
            e = f - a
            sc = np.mean(np.abs(tr[12:] - tr[:-12])) if len(tr) > 12 else 0.0
            if not sc > 0:
                sc = np.mean(np.abs(np.diff(tr))) if len(tr) > 1 else 0.0
            sa = a.sum()
            lo80, hi80, lo95, hi95 = (g[c].to_numpy()[: len(a)] for c in ("lo80", "hi80", "lo95", "hi95"))
            records.append({
                "method": model, "item": item, "group": series[item][0], "origin": k,
                "bt": g["bt"].iloc[0] if "bt" in g.columns else np.nan,
                "mase": np.mean(np.abs(e)) / sc if sc > 0 else np.nan,
                "wape": np.abs(e).sum() / sa * 100 if sa > 0 else np.nan,
                "bias": e.sum() / sa * 100 if sa > 0 else np.nan,
                "in80": np.mean((a >= lo80) & (a <= hi80)) if np.isfinite(lo80).all() else np.nan,
                "in95": np.mean((a >= lo95) & (a <= hi95)) if np.isfinite(lo95).all() else np.nan,
            })
    return pd.DataFrame(records)


def _order(methods) -> list[str]:
    first = [SMALL, LARGE, REF, "ref AutoETS", "ref AutoARIMA", "ref AutoTheta"]
    rest = sorted((m for m in methods if m not in first), key=lambda m: (not m.startswith("small"), m))
    return [m for m in first if m in methods] + rest


def table(res: pd.DataFrame, title: str) -> pd.DataFrame:
    """Print one accuracy table (rows = methods)."""
    g = res.groupby("method")
    t = pd.DataFrame({
        "n": g["mase"].count(),
        "MASE": g["mase"].mean(),
        "WAPE%": g["wape"].mean(),
        "bias%": g["bias"].mean(),
        "cov80%": g["in80"].mean() * 100,
        "cov95%": g["in95"].mean() * 100,
    })
    if REF in t.index:
        t.insert(2, "vs ref %", (t["MASE"] / t.loc[REF, "MASE"] - 1) * 100)
    t = t.reindex(_order(t.index))
    print(f"\n{title}")
    print(t.round(3).to_string())
    return t


def summary(results: dict[str, pd.DataFrame]) -> None:
    """The two paths against the ref mean, per panel (the headline of the run)."""
    rows = []
    for panel, res in results.items():
        ref = res.loc[res["method"] == REF, "mase"].mean()
        for label in (SMALL, LARGE, REF):
            sub = res[res["method"] == label]
            rows.append({"panel": panel, "method": label, "MASE": sub["mase"].mean(),
                         "vs ref %": (sub["mase"].mean() / ref - 1) * 100,
                         "cov80%": sub["in80"].mean() * 100, "cov95%": sub["in95"].mean() * 100})
    print("\nsummary: each path against the plain mean of AutoETS/AutoARIMA/AutoTheta (same windows)")
    print(pd.DataFrame(rows).set_index(["panel", "method"]).round(3).to_string())


def selection_sweep(res: pd.DataFrame, title: str) -> None:
    """Test MASE of selection rules replayed on the same backtest errors, per path: a single candidate
    replaces the ensemble only when its backtest MASE is lower by more than the margin."""
    for short in ("small", "large"):
        cand = res[res["bt"].notna() & res["method"].str.startswith(short + ": ")
                   & ~res["method"].str.endswith("argmin selection")]
        if cand.empty:
            continue
        ens = cand["method"].str.startswith(short + ": Ensemble(")
        rows = []
        for margin in (0.0, 0.1, 0.3, 0.5, 1.0, 2.0, 4.0, np.inf):
            score = np.where(ens, cand["bt"], cand["bt"] * (1 + margin))
            pick = cand.assign(score=score).sort_values("score", kind="stable").groupby(["item", "origin"]).head(1)
            label = "ensemble only" if margin == np.inf else f"margin {margin:.0%}"
            rows.append({"rule": label + (" (product)" if margin == 2.0 else ""), "MASE": pick["mase"].mean(),
                         "share ensemble %": pick["method"].str.startswith(short + ": Ensemble(").mean() * 100})
        print(f"\n{title}, {short} run: selection rule replayed (a single model must beat the ensemble's "
              "backtest MASE by the margin)")
        print(pd.DataFrame(rows).set_index("rule").round(3).to_string())


# --------------------------------------------------------------------------------------------------
# timing


def _timing_child(sizes: list[int], n_jobs: int) -> None:
    """Runs in a fresh process: cold and warm time per size, printed as JSON."""
    t0 = time.perf_counter()
    import planning.forecast as pf  # noqa: F401  (import counted in cold)
    import statsforecast  # noqa: F401

    t_import = time.perf_counter() - t0
    import resource

    def cpu() -> float:
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    out = {"import_s": t_import, "load": os.getloadavg()[0]}
    for i, n in enumerate(sizes):
        horizon = pd.period_range(END, periods=19, freq="M")[1:].astype(str).tolist()
        for label, seed in (("cold", 1000 + n), ("warm", 2000 + n)):
            hist = demand_panel(n, 36, seed)
            t1, c1 = time.perf_counter(), cpu()
            statistical_forecast(hist, horizon, n_jobs=n_jobs)
            el, cp = time.perf_counter() - t1, cpu() - c1
            if label == "cold" and i == 0:
                el += t_import
            out[f"{n}_{label}"] = el
            out[f"{n}_{label}_cpu"] = cp
    out["load_after"] = os.getloadavg()[0]
    print(json.dumps(out))


def timing(sizes: list[int], n_jobs: int) -> None:
    """Cold / warm timing: each size in its own fresh process."""
    print(f"\n(b) time to forecast series of 36 months, horizon 18, n_jobs={n_jobs}, {os.cpu_count()} cores")
    print("panel: the synthetic demand mix (1/3 smooth, 1/3 intermittent, 1/3 lumpy); cpu = CPU seconds of")
    print("the process and its workers (other jobs on the machine slow the wall clock, not this)")
    print(f"{'series':>8} {'cold s':>9} {'warm s':>9} {'warm cpu s':>11} {'ms/series warm':>15} {'load 1m':>8}")
    for n in sizes:
        cmd = [sys.executable, __file__, "--timing-child", str(n), "--jobs", str(n_jobs)]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        line = [x for x in r.stdout.splitlines() if x.startswith("{")]
        if not line:
            print(f"{n:>8} failed: {r.stderr[-500:]}")
            continue
        d = json.loads(line[-1])
        print(f"{n:>8} {d[f'{n}_cold']:>9.1f} {d[f'{n}_warm']:>9.1f} {d[f'{n}_warm_cpu']:>11.1f} "
              f"{1000 * d[f'{n}_warm'] / n:>15.1f} {d['load']:>8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller panels and timing sizes")
    ap.add_argument("--skip-timing", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--train", type=int, default=48, help="training window in months")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timing-child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.timing_child:
        _timing_child([args.timing_child], args.jobs)
        return
    warnings.simplefilter("ignore")
    if not args.skip_accuracy:
        origins = 2 if args.quick else 4
        real = real_panel()
        real = {k: v for k, v in real.items() if len(v[1]) >= args.train + H + 6 * (origins - 1)}
        print(f"(a) rolling-origin test: horizon {H}, {origins} origins 6 months apart, training window "
              f"{args.train} months")
        print(f"real panel: {len(real)} series ({', '.join(sorted({g for g, _ in real.values()}))})")
        res = evaluate(real, train=args.train, origins=origins, step=6, n_jobs=args.jobs)
        table(res, f"real monthly series ({len(real)} series x {origins} origins)")
        for grp, sub in res.groupby("group"):
            table(sub, f"  real, group: {grp}")
        selection_sweep(res, "real")
        n_syn = 60 if args.quick else 150
        syn = synthetic_panel(n_syn, args.train + H + 6 * (origins - 1), seed=7)
        res_s = evaluate(syn, train=args.train, origins=origins, step=6, n_jobs=args.jobs)
        table(res_s, f"synthetic panel ({n_syn} series x {origins} origins)")
        for grp, sub in res_s.groupby("group"):
            table(sub, f"  synthetic, group: {grp}")
        selection_sweep(res_s, "synthetic")
        summary({"real": res, "synthetic": res_s})
    if not args.skip_timing:
        timing([200, 1000] if args.quick else [1000, 10000], args.jobs)


if __name__ == "__main__":
    main()
