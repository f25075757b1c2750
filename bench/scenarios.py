"""Scenarios computed together against separately, on the 10,000-item company.

Builds the company of bench/recompute.py (10,000 items × 18 months in 20 families, 500 adjustments) and five
scenarios (a second shift, a promotion, dearer overtime, a line down, demand +10 % everywhere), then times
(a) one recompute of the plan, (b) the five scenarios recomputed one by one (`compute_plan` of each scenario's
data from scratch), (c) the five computed together (`planning.scenarios.compute_scenarios`: history view and
statistical forecast once, then each scenario's consensus → LP supply plan → money → KPIs). Prints the times
and the ratios together / separate and together / one recompute.

    python bench/scenarios.py [--items 10000] [--repeat 3] [--computed-forecast]

With --computed-forecast the company has no uploaded forecast: the plan's interim statistical forecast
(seasonal naive) is computed, once when together, once per scenario when separate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_company  # noqa: E402
from planning.cycle import compute_plan  # noqa: E402
from planning.model import Settings  # noqa: E402
from planning.scenarios import Scenario, apply_scenario, capacity_change, compute_scenarios, demand_change  # noqa: E402


def five_scenarios(company) -> list[Scenario]:
    horizon = sorted(company.forecast["period"].unique()) if company.forecast is not None else None
    if horizon is None:
        from planning.periods import horizon_after

        horizon = horizon_after(str(company.history["period"].max()), 18)
    fams = sorted(company.items["family"].unique())
    import pandas as pd

    all_up = pd.concat([demand_change(f, 10.0, horizon, reason="everything +10 %") for f in fams], ignore_index=True)
    return [
        Scenario("Second shift", capacity=capacity_change(company.capacity, fams[0], 20.0, horizon[3]),
                 capacity_cost=2.0),
        Scenario("Promotion", adjustments=demand_change(fams[1], 15.0, horizon[:6], reason="promotion")),
        Scenario("Dear overtime", settings={"cost_overtime": 25.0, "overtime_pct": 10.0}),
        Scenario("Line down", capacity=capacity_change(company.capacity, fams[2], -30.0, horizon[6], horizon[8])),
        Scenario("Demand +10 %", adjustments=all_up),
    ]


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--computed-forecast", action="store_true")
    args = parser.parse_args()
    company = synthetic_company(args.items)
    forecaster = None
    if args.computed_forecast:
        from services.plan_service import interim_forecast

        company = company.with_(forecast=None)
        forecaster = interim_forecast
    settings = Settings()
    scenarios = five_scenarios(company)
    prepared = [apply_scenario(company, settings, sc) for sc in scenarios]
    compute_plan(company, settings, forecaster=forecaster)  # warm imports

    one = timed(lambda: compute_plan(company, settings, forecaster=forecaster), args.repeat)
    separate = timed(lambda: [compute_plan(d, s, forecaster=forecaster) for d, s in prepared], args.repeat)
    together = timed(lambda: compute_scenarios(company, settings, scenarios, forecaster=forecaster, with_base=False),
                     args.repeat)
    print(f"company: {args.items:,} items × 18 months, 20 families; "
          f"forecast {'computed (interim)' if args.computed_forecast else 'uploaded'}; median of {args.repeat}")
    print(f"one recompute of the plan          {one:8.2f} s")
    print(f"five scenarios, one by one         {separate:8.2f} s")
    print(f"five scenarios together            {together:8.2f} s")
    print(f"together / separate                {together / separate:8.2f}")
    print(f"together / one recompute           {together / one:8.2f}  (5 scenarios; 5.00 = no sharing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
