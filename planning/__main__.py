"""Headless command: `python -m planning compute <workbook-or-folder> [--scenario PATH] --out <dir>`,
`python -m planning compare <workbook-or-folder> --scenario A --scenario B ... --out <dir>` (the base and the
scenarios side by side, with their scores), and `python -m planning minutes --cycle YYYY-MM --out <dir>` (the
meeting minutes, from the store).

Reads the company files, runs the engine and writes the CSV files of SPEC.md. Bad input
exits with status 2 and prints the same located errors the upload page shows.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from planning.cycle import compute_plan
from planning.model import Settings
from planning.result import PlanResult
from planning.scenarios import apply_scenario

OUTPUT_COLUMNS = {
    "forecast": ["item_id", "family", "period", "model", "forecast", "lo80", "hi80"],
    "consensus": ["item_id", "family", "period", "statistical", "consensus"],
    "family_plan": ["family", "period", "demand", "capacity", "gap", "gap_pct", "utilization", "status"],
    "supply_plan": ["family", "period", "demand", "capacity", "regular", "overtime", "outsource", "inventory_end",
                    "lost_sales", "shipped", "cost"],
    "inventory": ["family", "period", "opening", "supply", "shipped", "ending", "safety_stock", "cycle_stock",
                  "target_inventory"],
    "financials": ["family", "period", "revenue", "revenue_unconstrained", "revenue_at_risk", "cogs",
                   "gross_margin", "gross_margin_pct", "inventory_value"],
    "accuracy": ["level", "item_id", "family", "n", "n_zero", "mape", "wape", "bias_pct", "mad", "tracking_signal"],
    "exceptions": ["item_id", "family", "period", "kind", "value", "threshold"],
}


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ±inf written as empty cells: a ratio over zero (utilization of a month
    without capacity) has no value, and the pages show it as '—'."""
    numeric = frame.select_dtypes("number").columns
    out = frame.copy()
    out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)
    return out


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    """One CSV as the command writes them all: 6 decimals, ±inf empty, text that a spreadsheet would run as a
    formula (= + - @ tab CR at the start) prefixed with an apostrophe; numbers stay numbers."""
    from data.readers import neutralize_text_cells

    neutralize_text_cells(_finite(frame)).to_csv(path, index=False, float_format="%.6f")
    return path


def write_outputs(result: PlanResult, out: Path) -> list[Path]:
    """Write every table of the result as CSV (6 decimals, no ±inf: empty instead) and the KPIs as JSON."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns in OUTPUT_COLUMNS.items():
        frame: pd.DataFrame = getattr(result, name)
        extra = [c for c in frame.columns if c not in columns]
        path = out / f"{name}.csv"
        written.append(_csv(frame[columns + extra], path))
    kpis = {
        name: {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in kpi.items()}
        for name, kpi in result.kpis.items()
    }
    path = out / "kpis.json"
    path.write_text(json.dumps(kpis, indent=2))
    written.append(path)
    if result.supply_cost_by_option is not None:
        p = out / "supply_options.csv"
        written.append(_csv(result.supply_cost_by_option, p))
    return written


def _cycle(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"--cycle must be YYYY-MM, got {text!r}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planning", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    compute = sub.add_parser("compute", help="compute the plan of a company's workbook or CSV folder")
    compute.add_argument("source", type=Path, help="an .xlsx workbook or a folder of CSV files")
    compute.add_argument("--out", type=Path, required=True, help="folder to write the CSV files to")
    compute.add_argument("--cycle", type=_cycle, help="first month of the plan (YYYY-MM); default: after the history")
    compute.add_argument("--horizon", type=int, default=18, help="months to plan when no forecast is given")
    compute.add_argument("--scenario", type=Path, help="a scenario (workbook or folder: adjustments, capacity, "
                                                       "settings, prices; all optional) to compute instead of the "
                                                       "input")
    compare = sub.add_parser("compare", help="compute the input and scenarios together; write them side by side "
                                             "with their scores")
    compare.add_argument("source", type=Path, help="an .xlsx workbook or a folder of CSV files")
    compare.add_argument("--scenario", type=Path, action="append", required=True,
                         help="a scenario workbook or folder (repeat for up to five)")
    compare.add_argument("--out", type=Path, required=True, help="folder to write the CSV files to")
    compare.add_argument("--cycle", type=_cycle, help="first month of the plan (YYYY-MM)")
    compare.add_argument("--horizon", type=int, default=18, help="months to plan when no forecast is given")
    compare.add_argument("--weights", help="service,cost,feasibility weights (default: the settings', 0.4,0.3,0.3)")
    minutes = sub.add_parser("minutes", help="write a cycle's meeting minutes (minutes.html, minutes.pdf) from the "
                                             "store named by DATABASE_URL")
    minutes.add_argument("--cycle", type=_cycle, help="the cycle (YYYY-MM); default: the current one")
    minutes.add_argument("--out", type=Path, required=True, help="folder to write the minutes to")
    fc = sub.add_parser("forecast", help="the statistical forecast of a company's history (forecast.csv, models.csv), "
                                         "on this machine or on a Dask cluster")
    fc.add_argument("source", type=Path, help="an .xlsx workbook or a folder of CSV files")
    fc.add_argument("--out", type=Path, required=True, help="folder to write forecast.csv and models.csv to")
    fc.add_argument("--horizon", type=int, default=18, help="months to forecast after the history")
    fc.add_argument("--engine", choices=["local", "dask"], default="local",
                    help="local: a pool of processes here; dask: the chunks run on a Dask cluster")
    fc.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); default DASK_SCHEDULER_ADDRESS, "
                                        "else a local cluster of --workers processes")
    fc.add_argument("--workers", type=int, default=2, help="processes (local engine) or local Dask workers")
    args = parser.parse_args(argv)
    if args.command == "minutes":
        return _minutes(args.cycle, args.out)
    if args.command == "forecast":
        return _forecast(args)

    from data.readers import load_company
    from data.settings_sheet import apply_settings

    if not args.source.exists():
        print(f"error: {args.source} does not exist", file=sys.stderr)
        return 2
    if args.horizon < 1:
        print("error: --horizon must be at least 1", file=sys.stderr)
        return 2
    data, issues = load_company(args.source, horizon=args.horizon)
    for issue in issues:
        print(f"{issue.severity}: {issue}", file=sys.stderr)
    if data is None:
        print(f"refused: {sum(i.severity == 'error' for i in issues)} error(s); nothing was computed.",
              file=sys.stderr)
        return 2
    # the company's own settings sheet, over SPEC.md's defaults: the same settings an upload starts from
    settings = apply_settings(Settings(horizon=args.horizon), data.settings)
    if args.command == "compare" or args.scenario is not None:
        from data.scenario_file import load_scenario

        paths = args.scenario if isinstance(args.scenario, list) else [args.scenario]
        scenarios = []
        for path in paths:
            sc, sc_issues = load_scenario(path, args.source, data, horizon=args.horizon)
            for issue in sc_issues:
                print(f"{issue.severity}: {path.name}: {issue}", file=sys.stderr)
            if sc is None:
                print(f"refused: the scenario {path} has errors; nothing was computed.", file=sys.stderr)
                return 2
            scenarios.append(sc)
        if args.command == "compare":
            return _compare(data, settings, scenarios, args)
        data, settings = apply_scenario(data, settings, scenarios[0])
    try:
        result = compute_plan(data, settings, horizon_start=args.cycle, with_options=True)
    except Exception as exc:  # valid-looking data the engine cannot plan with: said in words, not a traceback
        return _engine_failed(exc)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for path in write_outputs(result, args.out):
        print(path)
    return 0


def _forecast(args: argparse.Namespace) -> int:
    """Forecast the history of an input (its forecast table, if any, is ignored)."""
    from data.readers import load_company
    from planning.distributed import make_engine
    from planning.forecast import statistical_forecast
    from planning.periods import horizon_after

    if not args.source.exists():
        print(f"error: {args.source} does not exist", file=sys.stderr)
        return 2
    if args.horizon < 1 or args.workers < 1:
        print("error: --horizon and --workers must be at least 1", file=sys.stderr)
        return 2
    data, issues = load_company(args.source, horizon=args.horizon)
    for issue in issues:
        print(f"{issue.severity}: {issue}", file=sys.stderr)
    if data is None:
        print(f"refused: {sum(i.severity == 'error' for i in issues)} error(s); nothing was computed.",
              file=sys.stderr)
        return 2
    horizon = horizon_after(str(data.history["period"].max()), args.horizon)
    engine = make_engine(args.engine, address=args.scheduler, workers=args.workers)
    try:
        if engine is None:
            run = statistical_forecast(data.history, horizon, n_jobs=args.workers)
        else:
            with engine:
                run = statistical_forecast(data.history, horizon, engine=engine)
    except Exception as exc:
        return _engine_failed(exc, "the statistical forecast")
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [_csv(run.forecast, args.out / "forecast.csv"), _csv(run.models, args.out / "models.csv")]
    for path in paths:
        print(path)
    return 0


def _compare(data, settings: Settings, scenarios: list, args: argparse.Namespace) -> int:
    """Write side_by_side.csv (one line per measure: value per scenario, difference to the base in units or
    money and in %), scenarios.csv (one row per scenario) and scores.csv (0–1 scores, total, recommended)."""
    from planning.scenarios import compare_rows, compute_scenarios, recommend, score, side_by_side

    names = [sc.name for sc in scenarios]
    if len(set(names)) != len(names) or "Base plan" in names:
        print("error: scenario names (file or folder names) must differ from each other and from 'Base plan'",
              file=sys.stderr)
        return 2
    weights = settings.scenario_weights
    if args.weights:
        try:
            weights = tuple(float(x) for x in args.weights.split(","))
            score([{"scenario": "x", "fill_rate": 100.0, "total_cost": 0.0, "constrained": 0,
                    "constrained_open": 0}], weights)
        except ValueError:
            print("error: --weights must be three non-negative numbers, e.g. 0.4,0.3,0.3", file=sys.stderr)
            return 2
    try:
        results = compute_scenarios(data, settings, scenarios, horizon_start=args.cycle)
        rows = compare_rows(data, settings, results, scenarios)
    except Exception as exc:
        return _engine_failed(exc)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    table = side_by_side(rows)
    path = args.out / "side_by_side.csv"
    written.append(_csv(table, path))
    flat = pd.DataFrame([{k: (", ".join(v) if isinstance(v, list) else v) for k, v in r.items()} for r in rows])
    path = args.out / "scenarios.csv"
    written.append(_csv(flat, path))
    scores = score(rows, weights)
    best, why = recommend(rows, scores)
    scores["recommended"] = scores["scenario"] == best
    scores["weights"] = ",".join(f"{w:g}" for w in weights)
    path = args.out / "scores.csv"
    written.append(_csv(scores, path))
    path = args.out / "recommendation.txt"
    path.write_text(why + "\n")
    written.append(path)
    for p in written:
        print(p)
    return 0


def _engine_failed(exc: Exception, what: str = "the plan") -> int:
    """Status 2 and one sentence on stderr: the input passed validation but the engine could not use it."""
    text = str(exc).strip() or type(exc).__name__
    if len(text) > 300:
        text = text[:300] + "…"
    print(f"error: {what} could not be computed from this input ({type(exc).__name__}: {text}); "
          "nothing was written. Check the values named above, or very large or very small numbers.",
          file=sys.stderr)
    return 2


def _minutes(cycle: str | None, out: Path) -> int:
    """The one subcommand that reads the store (as the app does) rather than files: it goes through the
    application's service layer, imported here only."""
    from services import minutes

    try:
        paths = minutes.write(cycle, out)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
