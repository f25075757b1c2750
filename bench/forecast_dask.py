"""Seconds per 1,000 series of the statistical forecast on one machine and on a local Dask cluster, side by
side in one run: the local path with 1 and 2 processes, and Dask with 1 and 2 workers, on the same panel of
36-month series (horizon 18). From the figures it extrapolates what 100,000 series would take on N workers
(the chunks are independent, so the time falls with the number of workers until the scheduler's overhead,
measured here as Dask-1 against local-1, matters).

    python bench/forecast_dask.py [--series 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    from forecast import demand_panel

    from planning.distributed import DaskEngine
    from planning.forecast import statistical_forecast
    from planning.periods import horizon_after

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    args = parser.parse_args()
    history = demand_panel(args.series, 36, seed=5)
    horizon = horizon_after(str(history["period"].max()), 18)
    n = history["item_id"].nunique()
    rows, reference = [], None

    def timed(label: str, run) -> None:
        nonlocal reference
        t0 = time.perf_counter()
        out = run()
        seconds = time.perf_counter() - t0
        if reference is None:
            reference = out.forecast
        same = out.forecast.equals(reference)
        rows.append((label, seconds, seconds * 1000 / n, same))
        print(f"{label:<22} {seconds:8.1f} s  {seconds * 1000 / n:8.1f} s per 1,000 series  same forecast: {same}",
              flush=True)

    print(f"{n:,} series × 36 months, horizon 18")
    timed("local, 1 process", lambda: statistical_forecast(history, horizon, n_jobs=1))
    timed("local, 2 processes", lambda: statistical_forecast(history, horizon, n_jobs=2))
    for workers in (1, 2):
        with DaskEngine(workers=workers) as engine:
            timed(f"dask, {workers} worker(s)", lambda e=engine: statistical_forecast(history, horizon, engine=e))
    per_worker = rows[2][2]  # dask, 1 worker: seconds per 1,000 series
    two = rows[3][2]
    efficiency = per_worker / (2 * two)
    print(f"\nDask overhead vs local (1 worker): {rows[2][1] / rows[0][1]:.2f}×; "
          f"speed-up 1 → 2 workers: {per_worker / two:.2f}× (efficiency {efficiency:.0%})")
    for workers in (2, 8, 32):
        minutes = 100 * per_worker / (workers * efficiency) / 60
        print(f"100,000 series on {workers:>2} workers ≈ {minutes:6.1f} min (at the measured efficiency)")


if __name__ == "__main__":
    main()
