"""Forecasting beyond one machine: the backtest-and-forecast chunks of `planning.forecast` on a Dask cluster.

The statistical forecast cuts the series into chunks, each backtested, selected and forecast on its own
(`planning.forecast._run_chunk`). Locally the chunks run in a pool of processes; with Dask they run on the
cluster's workers: the same function on the same chunks, so the forecasts are the same, only where they
are computed changes. The model selection, calibration and ensembles stay in our code, which is why the
chunks are shipped to Dask rather than a DataFrame to statsforecast's own fugue backend (which would run
statsforecast's `forecast` but not our backtest rule).

`DaskEngine(address)` connects to a running scheduler (`DASK_SCHEDULER_ADDRESS`, e.g.
tcp://10.0.0.5:8786, started with `dask scheduler` and `dask worker ADDRESS` on each machine); without an
address it starts a local cluster of `workers` processes on this machine (one thread each).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

ENGINES = ("local", "dask")


class DaskEngine:
    """Runs forecast chunks on a Dask cluster (a given scheduler, or a local one started and stopped here)."""

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        self.address = address or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        self.workers = max(1, int(workers))
        self._cluster: Any = None
        self._client: Any = None

    def __enter__(self) -> "DaskEngine":
        from dask.distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address)
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, host="127.0.0.1")
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    @property
    def n_workers(self) -> int:
        if self._client is None:
            return self.workers
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], tick: Callable[[Any], None]) -> list[Any]:
        """fn over jobs on the cluster; tick(result) as each finishes; results in the order of `jobs`."""
        from dask.distributed import as_completed

        if self._client is None:
            raise RuntimeError("use DaskEngine as a context manager (with DaskEngine(...) as engine: ...)")
        futures = self._client.map(fn, list(jobs), pure=False)
        where = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        try:
            for future in as_completed(futures):
                res = future.result()
                results[where[future.key]] = res
                tick(res)
        finally:
            self._client.cancel([f for f in futures if not f.done()])
        return results


def make_engine(name: str, *, address: str | None = None, workers: int = 2) -> DaskEngine | None:
    """None for the local engine (the process pool), else a DaskEngine (enter it before use)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    return None if name == "local" else DaskEngine(address, workers)
