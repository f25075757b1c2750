"""The forecast worker process: `python -m services.forecast_worker '<json args>'` (started by
`services.forecast_jobs.start_run`, or by the Celery task of `services.celery_tasks` when REDIS_URL is set).

It runs the statistical forecast of the cycle's stored history for the plan horizon, reports progress to
the job records, stops when Cancel asks (storing nothing), and stores the run through the plan service,
which records the change of the plan's statistical forecast in the audit trail.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback

from services.forecast_jobs import JobFiles, backtest_text, release

log = logging.getLogger("sop.forecast_worker")


def run(args: dict, service=None) -> dict:
    """Do one run; returns its outcome record (`main` writes it to `last-<cycle_id>`). `service`: a plan
    service to use instead of a new one on DATABASE_URL (in-process runs of tests and scripts)."""
    from pathlib import Path

    from planning.distributed import make_engine as make_forecast_engine
    from planning.forecast import ForecastCancelled, ForecastConfig, statistical_forecast
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    reg = JobFiles(Path(args["cache_dir"]) / "forecast-jobs")
    token, cycle_id = args["token"], int(args["cycle_id"])
    started = time.time()

    def say(fraction: float, stage: str) -> None:
        reg.set(f"progress:{token}", {"fraction": float(fraction), "stage": stage, "started": started})

    def should_cancel() -> bool:
        return reg.file(f"cancel:{token}").exists()

    outcome: dict = {"token": token, "trigger": args.get("trigger"), "user": args.get("user")}
    own_engine = None
    try:
        say(0.0, "reading the history")
        if service is None:  # its own connections, closed at the end (a Celery worker runs many runs)
            own_engine = make_engine()
            service = PlanService(Store(own_engine))
        first = service.store.plan_state()
        if first["cycle_id"] != cycle_id:
            raise RuntimeError("new data was loaded since the run was asked for; run the forecast again")
        if not args.get("force") and first["forecast_run_id"] is not None:
            outcome.update(status="done", run_id=first["forecast_run_id"], stored=False, seconds=0.0)
            return outcome
        data = service.store.load_company(first["version_id"])
        horizon = service.horizon(data)
        n = int(data.history["item_id"].nunique())
        # the candidate models of the settings (the company profile's, or the settings form's); empty: the standard
        candidates = tuple(service.settings().forecast_candidates or ())
        config = ForecastConfig(chunk=max(5, -(-n // 20)),  # about 20 progress steps; results do not change
                                candidates=candidates)
        n_jobs = (os.cpu_count() or 1) if n >= 40 else 1  # a pool pays off beyond a few dozen series
        t0 = time.monotonic()
        engine_name = os.environ.get("SOP_FORECAST_ENGINE", "local")
        engine = make_forecast_engine(engine_name, workers=int(os.environ.get("SOP_FORECAST_WORKERS", "2")))
        if engine is None:
            result = statistical_forecast(data.history, horizon, config=config, should_cancel=should_cancel,
                                          n_jobs=n_jobs, progress=say)
        else:  # SOP_FORECAST_ENGINE=dask: the chunks run on DASK_SCHEDULER_ADDRESS (or a local cluster)
            with engine:
                result = statistical_forecast(data.history, horizon, config=config, should_cancel=should_cancel,
                                              progress=say, engine=engine)
        seconds = time.monotonic() - t0
        if should_cancel():
            raise ForecastCancelled("forecast cancelled")
        say(0.99, "storing the forecast")
        settings = {"horizon": horizon, "metric": result.metric, "seconds": round(seconds, 1), "engine": engine_name,
                    "by": args.get("user"), "series": n, "trigger": args.get("trigger"),
                    "backtest": backtest_text(candidates), "arima_search": getattr(result, "arima_search", None),
                    "candidates": list(candidates)}
        stored = service.land_forecast_run(cycle_id, result.forecast, result.models, settings=settings,
                                           by=str(args.get("user") or "system"), keep_existing=not args.get("force"))
        outcome.update(status="done", run_id=stored["run_id"], stored=stored["stored"], seconds=round(seconds, 1),
                       replaced=stored.get("replaced"))
    except ForecastCancelled:
        outcome.update(status="cancelled")
    except Exception as exc:  # recorded for the page; the previous forecast stays
        traceback.print_exc()
        outcome.update(status="error", message=f"{type(exc).__name__}: {exc}")
    finally:
        if own_engine is not None:
            own_engine.dispose()
    return outcome


def execute(args: dict) -> dict:
    """One run with its bookkeeping: the run's marker names this process (a run queued for Celery has none
    until now), the outcome is written to `last-<cycle_id>` and the cycle is freed, whatever happens."""
    from pathlib import Path

    reg = JobFiles(Path(args["cache_dir"]) / "forecast-jobs")
    token, cycle_id = args["token"], int(args["cycle_id"])
    marker = reg.get(f"run:{cycle_id}")
    if marker and marker.get("token") == token and marker.get("pid") != os.getpid():
        reg.set(f"run:{cycle_id}", {**marker, "pid": os.getpid(), "running": time.time()})
    outcome = {"token": token, "status": "error", "message": "the forecast process stopped unexpectedly"}
    try:
        outcome = run(args)
    finally:
        outcome["at"] = time.time()
        reg.set(f"last:{cycle_id}", outcome)
        release(cycle_id, token, reg)
        for key in (f"progress:{token}", f"cancel:{token}"):
            reg.delete(key)
    log.info("forecast run %s: %s", token, outcome.get("status"))
    return outcome


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    outcome = execute(json.loads(argv[1]))
    return 0 if outcome.get("status") in ("done", "cancelled") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
