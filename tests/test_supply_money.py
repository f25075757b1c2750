"""Supply cost a person can read and money against plan (issue 9): the LP's hand-solved cases where each
option wins, the option table's figures and reasons, the chosen solution in units and money, the
family-months to watch, and the budget variance split (volume + price + mix = variance, exactly)."""

import numpy as np
import pandas as pd
import pytest

from callbacks.views import constraints_frame, supply_solution
from planning.cycle import compare_supply_options, compute_plan
from planning.finance import (budget_comparison, family_summaries, family_unit_cost, period_summary, variance_drivers,
                              working_capital)
from planning.model import Settings
from planning.supply import constrained_months, cost_lines, family_plan, option_comparison, supply_plan
from tests.engine_fixtures import capacity, seed_company

P = ["2025-01", "2025-02", "2025-03"]


def solve(demand, cap, settings=None, opening=0.0):
    settings = settings or Settings()
    periods = P[: len(demand)]
    cap_frame = capacity([("F", p, c) for p, c in zip(periods, cap)])
    fp = family_plan(pd.DataFrame({"family": "F", "period": periods, "demand": [float(d) for d in demand]}),
                     cap_frame, periods, settings)
    return fp, cap_frame, supply_plan(fp, cap_frame, pd.Series({"F": opening}), settings)


# ---------------------------------------------------------------------------- the LP, hand-solved


def test_reference_example_overtime_1000_at_15000_in_units_and_money():
    r = compute_plan(seed_company())
    s = r.supply_plan.set_index(["family", "period"]).loc[("Electronics", "2025-01")]
    assert s["overtime"] == 1_000 and s["cost_overtime"] == 15_000 and s["cost"] == 15_000
    frame = constraints_frame(r, list(r.horizon)).set_index("key")
    assert frame.at["Electronics|2025-01", "solution"] == "Overtime 1,000 units · $15,000"
    assert frame.at["Electronics|2025-01", "solution_cost"] == 15_000
    assert frame.at["Electronics|2025-01", "cost"] == 15_000


def test_building_ahead_wins():
    """Demand 80/120 on capacity 100: short 20 in February. Building 20 in January and holding them one
    month costs 5 each (100); overtime in February 15 each (300), outsourcing 20 each (400)."""
    _, _, s = solve([80, 120], [100, 100])
    assert list(s["regular"]) == pytest.approx([100, 100])
    assert list(s["inventory_end"]) == pytest.approx([20, 0])
    assert s["overtime"].sum() == 0 and s["outsource"].sum() == 0 and s["lost_sales"].sum() == 0
    assert list(s["cost"]) == pytest.approx([100, 0])
    assert list(s["cost_holding"]) == pytest.approx([100, 0])


def test_outsourcing_wins():
    """Demand 100/110 on capacity 100 with overtime at 25: February's 10 short units cost 20 each
    outsourced, 25 on overtime, 30 built on January overtime and held; no spare regular capacity."""
    _, _, s = solve([100, 110], [100, 100], Settings(cost_overtime=25))
    assert list(s["outsource"]) == pytest.approx([0, 10])
    assert s["overtime"].sum() == 0 and s["inventory_end"].sum() == 0 and s["lost_sales"].sum() == 0
    assert s["cost"].sum() == pytest.approx(200) and s["cost_outsource"].sum() == pytest.approx(200)


def test_lost_sales_win():
    """Lost sales at 12 a unit are cheaper than overtime (15) and outsourcing (20): February loses 30."""
    _, _, s = solve([100, 130], [100, 100], Settings(cost_lost_sales=12))
    assert list(s["lost_sales"]) == pytest.approx([0, 30])
    assert list(s["shipped"]) == pytest.approx([100, 100])
    assert s["overtime"].sum() == 0 and s["outsource"].sum() == 0
    assert s["cost"].sum() == pytest.approx(360) and s["cost_lost_sales"].sum() == pytest.approx(360)


def test_cost_lines_add_up_to_the_plan_cost():
    r = compute_plan(seed_company(), Settings(safety_stock_floor=True))
    lines = {line["key"]: line for line in cost_lines(r.supply_plan)}
    assert list(lines) == ["regular", "overtime", "outsource", "holding", "lost_sales"]
    assert lines["regular"]["cost"] == 0
    assert sum(line["cost"] for line in lines.values()) == pytest.approx(r.supply_plan["cost"].sum(), rel=1e-12)
    assert lines["holding"]["units"] == pytest.approx(r.supply_plan["inventory_end"].sum())


# ---------------------------------------------------------------------------- the option table


def test_option_table_units_costs_and_reasons():
    fp, cap, s = solve([80, 120], [100, 100])
    o = option_comparison(fp, cap, pd.Series({"F": 0.0}), Settings(), s).set_index("option")
    assert list(o.index) == ["do_nothing", "overtime", "outsource", "build_ahead", "optimized"]
    # do nothing: the 20 short units are lost at 100
    assert o.at["do_nothing", "lost_sales"] == pytest.approx(20) and o.at["do_nothing", "cost"] == pytest.approx(2_000)
    assert not o.at["do_nothing", "closes_gap"]
    assert o.at["do_nothing", "reason"] == ("Loses 20 units on a gap of 20; F 2025-02: short 20 with nothing to "
                                            "cover it")
    # overtime alone: capped at 15 % of 100 = 15, the other 5 are lost
    assert o.at["overtime", "overtime"] == pytest.approx(15) and o.at["overtime", "lost_sales"] == pytest.approx(5)
    assert o.at["overtime", "cost"] == pytest.approx(225 + 500)
    assert o.at["overtime", "cost_overtime"] == pytest.approx(225)
    assert o.at["overtime", "cost_lost_sales"] == pytest.approx(500)
    assert "F 2025-02: overtime capped at 15 % of capacity = 15 units, short 20" in o.at["overtime", "reason"]
    # outsourcing alone closes it at 20 each
    assert o.at["outsource", "closes_gap"] and o.at["outsource", "cost"] == pytest.approx(400)
    assert o.at["outsource", "reason"] == "Closes the gap of 20 units in 1 short month with outsourcing 20 units"
    # building ahead alone closes it with January's spare capacity
    assert o.at["build_ahead", "closes_gap"] and o.at["build_ahead", "cost"] == pytest.approx(100)
    assert o.at["optimized", "cost"] == pytest.approx(100)
    for name in o.index:
        row = o.loc[name]
        assert row["cost"] == pytest.approx(row["cost_overtime"] + row["cost_outsource"] + row["cost_holding"]
                                            + row["cost_lost_sales"])


def test_build_ahead_alone_says_there_was_no_spare_capacity_before():
    fp, cap, s = solve([120, 100], [100, 100])
    o = option_comparison(fp, cap, pd.Series({"F": 0.0}), Settings(), s).set_index("option")
    assert o.at["build_ahead", "lost_sales"] == pytest.approx(20)
    assert "F 2025-01: no spare capacity in the months before" in o.at["build_ahead", "reason"]
    fp, cap, s = solve([90, 130], [100, 100])
    o = option_comparison(fp, cap, pd.Series({"F": 0.0}), Settings(), s).set_index("option")
    assert "only 10 units of spare capacity in the months before, short 30" in o.at["build_ahead", "reason"]


def test_options_alone_never_lose_sales_to_fill_safety_stock():
    """Bug found: with the safety-stock floor on and no opening stock, "Overtime only" lost 14,539 units
    on a gap of 1,000 (the LP "lost" sales to put units into safety stock) and "Do nothing" / "Build
    ahead only" had no plan at all (shown "—"). Each option alone now loses only what it cannot supply
    and keeps the floor as far as it can reach it."""
    data = seed_company()
    settings = Settings(safety_stock_floor=True)
    r = compute_plan(data, settings)
    o = compare_supply_options(data, r, settings).set_index("option")
    assert o["feasible"].all() and o["cost"].notna().all()
    assert o.at["overtime", "lost_sales"] == pytest.approx(0, abs=1e-6)
    assert o.at["overtime", "closes_gap"]
    assert o.at["do_nothing", "lost_sales"] == pytest.approx(1_000)
    assert o.at["build_ahead", "lost_sales"] == pytest.approx(1_000)
    assert o.at["do_nothing", "below_floor"] == pytest.approx(10_855.263158, rel=1e-6)
    assert "safety stock not kept: up to 10,855 units below it (Electronics 2025-01)" in o.at["do_nothing", "reason"]
    # the optimized plan is unchanged: it reaches the floor (outsourcing is uncapped)
    assert o.at["optimized", "below_floor"] == 0 and o.at["optimized", "lost_sales"] == 0
    assert o.at["optimized", "cost"] == pytest.approx(r.supply_plan["cost"].sum())
    # without the floor the reference figures hold: overtime alone 1,000 units at 15,000
    plain = compute_plan(data)
    p = compare_supply_options(data, plain, Settings()).set_index("option")
    assert p.at["overtime", "overtime"] == pytest.approx(1_000) and p.at["overtime", "cost"] == pytest.approx(15_000)
    assert p.at["do_nothing", "cost"] == pytest.approx(100_000) and p.at["do_nothing", "lost_sales"] == 1_000
    assert p.at["optimized", "reason"] == "Closes the gap of 1,000 units in 1 short month with overtime 1,000 units"
    assert p.at["overtime", "reason"] == "Closes the gap of 1,000 units in 1 short month with overtime 1,000 units"


# ---------------------------------------------------------------------------- what the dashboard lists


def test_constrained_months_first_three_then_the_rest_by_month():
    fp = pd.DataFrame({
        "family": ["A", "B"] * 5,
        "period": [p for p in ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"] for _ in range(2)],
        "status": ["OK", "OK", "OK", "TIGHT", "OK", "OK", "OK", "OK", "CONSTRAINED", "TIGHT"],
    })
    h = sorted(fp["period"].unique())
    out = constrained_months(fp, h)
    assert list(out["family"] + "|" + out["period"]) == [
        "A|2025-01", "B|2025-01", "A|2025-02", "B|2025-02", "A|2025-03", "B|2025-03", "A|2025-05", "B|2025-05"]


def test_solution_words_name_units_and_money():
    row = {"gap": -1_500, "overtime": 1_000, "outsource": 300, "lost_sales": 100, "opening": 200, "ending": 100,
           "cost_overtime": 15_000, "cost_outsource": 6_000, "cost_lost_sales": 10_000}
    assert supply_solution(row) == ("Overtime 1,000 units · $15,000; outsourcing 300 units · $6,000; "
                                    "from stock 100 units (built ahead or on hand); lost sales 100 units · $10,000")
    assert supply_solution({"gap": 10, "opening": 0, "ending": 50, "cost_holding": 250}) == (
        "Within capacity · build ahead +50 units · holding $250")


# ---------------------------------------------------------------------------- money against the budget


def budgeted():
    """The reference example with a budget for January: Electronics 10,000 units for $950,000 (price 95),
    Appliances 6,000 units for $420,000 (price 70)."""
    data = seed_company()
    r = compute_plan(data)
    budget = pd.DataFrame({"family": ["Electronics", "Appliances"], "period": ["2025-01", "2025-01"],
                           "revenue": [950_000.0, 420_000.0], "units": [10_000.0, 6_000.0]})
    comp = budget_comparison(r.financials, r.supply_plan, budget, family_unit_cost(r.consensus, data.items))
    return r, comp


def test_budget_variance_hand_worked():
    """Plan January: Electronics ships 11,000 at 100 ($1.1M), Appliances 5,000 at 80 ($400k).
    Electronics: volume 1,000 × 95 = 95,000, price 5 × 11,000 = 55,000, variance 150,000.
    Appliances: volume −1,000 × 70 = −70,000, price 10 × 5,000 = 50,000, variance −20,000.
    Company: units 16,000 = budget 16,000, so volume 0; price 105,000; variance 130,000; mix 25,000
    (11,000 × 95 + 5,000 × 70 − 16,000 × 85.625: more of the dearer family than the budget)."""
    _, comp = budgeted()
    fam = variance_drivers(comp, ["family"]).set_index("family")
    assert fam.at["Electronics", "revenue_variance"] == pytest.approx(150_000)
    assert fam.at["Electronics", "volume"] == pytest.approx(95_000)
    assert fam.at["Electronics", "price"] == pytest.approx(55_000)
    assert fam.at["Electronics", "mix"] == pytest.approx(0, abs=1e-6)
    assert fam.at["Appliances", "volume"] == pytest.approx(-70_000)
    assert fam.at["Appliances", "price"] == pytest.approx(50_000)
    assert fam.at["Appliances", "revenue_variance_pct"] == pytest.approx(-20_000 * 100 / 420_000)
    total = variance_drivers(comp, []).iloc[0]
    assert total["revenue_variance"] == pytest.approx(130_000)
    assert total["volume"] == pytest.approx(0, abs=1e-6)
    assert total["price"] == pytest.approx(105_000)
    assert total["mix"] == pytest.approx(25_000)
    # COGS and margin against budget: budget COGS = budget units × standard cost (60 and 50)
    assert fam.at["Electronics", "budget_cogs"] == pytest.approx(600_000)
    assert fam.at["Electronics", "cogs"] == pytest.approx(11_000 * 60 + 15_000)  # + the overtime premium
    assert fam.at["Electronics", "budget_gross_margin_pct"] == pytest.approx(350_000 * 100 / 950_000)


def test_budget_variance_split_adds_up_exactly():
    rng = np.random.default_rng(3)
    n = 40
    comp = pd.DataFrame({
        "family": rng.choice(["A", "B", "C"], n), "period": rng.choice([f"2025-{m:02d}" for m in range(1, 7)], n),
        "units": rng.integers(0, 5_000, n).astype(float), "budget_units": rng.integers(1, 5_000, n).astype(float),
        "revenue": 0.0, "budget_revenue": rng.uniform(1e4, 1e6, n), "cogs": 0.0, "budget_cogs": 0.0,
        "gross_margin": 0.0, "budget_gross_margin": 0.0, "inventory_value": 0.0,
    })
    comp["price"] = rng.uniform(5, 150, n)
    comp["revenue"] = comp["units"] * comp["price"]
    comp["budget_price"] = comp["budget_revenue"] / comp["budget_units"]
    for by in (["family"], ["period"], ["family", "period"], []):
        d = variance_drivers(comp, by)
        parts = d["volume"] + d["price"] + d["mix"]
        np.testing.assert_allclose(parts, d["revenue_variance"], rtol=1e-12, atol=1e-6)
    fp = variance_drivers(comp.drop_duplicates(["family", "period"]), ["family", "period"])
    np.testing.assert_allclose(fp["mix"], 0.0, atol=1e-6)  # one family-month: volume and price explain it


def test_working_capital_days_are_money_over_daily_cogs():
    r, _ = budgeted()
    wc = working_capital(r.financials, r.supply_plan).set_index("period")
    cogs = r.financials.groupby("period")["cogs"].sum()
    value = r.financials.groupby("period")["inventory_value"].sum()
    for p in r.horizon:
        assert wc.at[p, "days_of_inventory"] == pytest.approx(value[p] / (cogs[p] / 30.4))


def test_family_summaries_equal_the_period_summary_of_each_family():
    """The finance table's grouped pass gives each family's period_summary (whole horizon, its first three
    months, its last month; a family with no row in the months gives zeros)."""
    fin = pd.DataFrame({
        "family": ["A", "A", "B", "B", "C"], "period": ["2026-01", "2026-02", "2026-01", "2026-02", "2026-03"],
        "revenue": [100.0, 50.0, 0.0, 0.0, 7.0], "revenue_unconstrained": [120.0, 50.0, 10.0, 0.0, 7.0],
        "revenue_at_risk": [20.0, 0.0, 10.0, 0.0, 0.0], "cogs": [60.0, 20.0, 0.0, 0.0, 3.0],
        "inventory_value": [5.0, 8.0, 1.0, 2.0, 4.0],
    })
    for periods in (["2026-01", "2026-02"], ["2026-01"], ["2026-02"]):
        got = family_summaries(fin, periods).set_index("family")
        assert list(got.index) == ["A", "B", "C"]
        for fam in "ABC":
            want = period_summary(fin[fin["family"] == fam], periods)
            for key, value in want.items():
                assert got.loc[fam, key] == pytest.approx(value, nan_ok=True), (periods, fam, key)
    whole = family_summaries(fin, ["2026-01", "2026-02"]).set_index("family")
    assert whole.loc["A", "gross_margin_pct"] == pytest.approx(70 * 100 / 150)  # (150 − 80) / 150
    assert whole.loc["A", "inventory_value"] == 8.0  # the last month's
    assert np.isnan(whole.loc["B", "gross_margin_pct"])  # no revenue
    company = period_summary(fin, ["2026-01", "2026-02"])  # hand-worked company totals
    assert company == pytest.approx({"revenue": 150.0, "revenue_unconstrained": 180.0, "revenue_at_risk": 30.0,
                                     "cogs": 80.0, "gross_margin": 70.0, "gross_margin_pct": 70 * 100 / 150,
                                     "inventory_value": 10.0})  # 2026-02's: A 8 + B 2
    assert period_summary(fin.iloc[:0], ["2026-01"])["revenue"] == 0.0  # no rows: zeros, not an error
