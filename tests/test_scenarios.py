"""Scenarios as plans (engine): computed together = each alone, side by side, hand-worked scores."""

import numpy as np
import pandas as pd
import pytest

from planning.cycle import compute_plan
from planning.model import Settings
from planning.scenarios import (
    BASE,
    Scenario,
    apply_scenario,
    capacity_change,
    compare_rows,
    compute_scenarios,
    demand_change,
    recommend,
    score,
    side_by_side,
)
from tests.engine_fixtures import seed_company


@pytest.fixture(scope="module")
def seed():
    return seed_company()


def _scenarios(data):
    horizon = sorted(data.forecast["period"].unique())
    return [
        Scenario("Second shift", capacity=capacity_change(data.capacity, "Electronics", 20.0, horizon[2]),
                 capacity_cost=2.0),
        Scenario("Promo", adjustments=demand_change("Appliances", 10.0, horizon[1:4], reason="promo")),
        Scenario("Dear overtime", settings={"cost_overtime": 40.0, "overtime_pct": 5.0}),
    ]


def _same(a, b):
    for name in ("consensus", "family_plan", "supply_plan", "inventory", "financials"):
        pd.testing.assert_frame_equal(getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True),
                                      check_exact=False, rtol=1e-9, atol=1e-6)
    assert {k: v["value"] for k, v in a.kpis.items()} == pytest.approx({k: v["value"] for k, v in b.kpis.items()},
                                                                        nan_ok=True)


def test_together_equals_each_alone(seed):
    settings = Settings()
    scs = _scenarios(seed)
    together = compute_scenarios(seed, settings, scs)
    assert list(together) == [BASE, "Second shift", "Promo", "Dear overtime"]
    _same(together[BASE], compute_plan(seed, settings))
    for sc in scs:
        d, s = apply_scenario(seed, settings, sc)
        _same(together[sc.name], compute_plan(d, s))


def test_scenarios_change_what_they_say(seed):
    settings = Settings()
    scs = _scenarios(seed)
    res = compute_scenarios(seed, settings, scs)
    h = res[BASE].horizon
    base_cap = res[BASE].family_plan.set_index(["family", "period"])["capacity"]
    ss_cap = res["Second shift"].family_plan.set_index(["family", "period"])["capacity"]
    assert ss_cap[("Electronics", h[2])] == pytest.approx(base_cap[("Electronics", h[2])] * 1.2)
    assert ss_cap[("Electronics", h[1])] == pytest.approx(base_cap[("Electronics", h[1])])
    assert ss_cap[("Appliances", h[-1])] == pytest.approx(base_cap[("Appliances", h[-1])])
    bd = res[BASE].family_plan.set_index(["family", "period"])["demand"]
    pd_ = res["Promo"].family_plan.set_index(["family", "period"])["demand"]
    assert pd_[("Appliances", h[1])] == pytest.approx(bd[("Appliances", h[1])] * 1.1)
    assert pd_[("Appliances", h[0])] == pytest.approx(bd[("Appliances", h[0])])
    rows = compare_rows(seed, settings, res, scs)
    by = {r["scenario"]: r for r in rows}
    added = sum(base_cap[("Electronics", p)] * 0.2 for p in h[2:])
    assert by["Second shift"]["cost_capacity"] == pytest.approx(2.0 * added)
    assert by["Second shift"]["lost_sales"] <= by[BASE]["lost_sales"]
    table = side_by_side(rows)
    line = table.set_index("metric").loc["revenue"]
    assert line["Promo Δ"] == pytest.approx(by["Promo"]["revenue"] - by[BASE]["revenue"])
    assert line["Promo Δ %"] == pytest.approx((by["Promo"]["revenue"] - by[BASE]["revenue"]) * 100
                                              / by[BASE]["revenue"])
    fam = compare_rows(seed, settings, res, scs, family="Appliances")
    assert fam[0]["demand"] == pytest.approx(bd.loc["Appliances"].sum())


def _row(name, fill, cost, constrained, open_, kind="scenario"):
    return {"scenario": name, "kind": kind, "fill_rate": fill, "total_cost": cost, "constrained": constrained,
            "constrained_open": open_, "gross_margin": 0.0}


def test_scores_hand_worked():
    rows = [_row(BASE, 96.0, 100_000.0, 4, 2), _row("Second shift", 100.0, 184_000.0, 4, 0),
            _row("Outsource", 98.0, 121_000.0, 4, 1)]
    s = score(rows, (0.4, 0.3, 0.3)).set_index("scenario")
    # service = fill rate; cost = (184k − cost) / (184k − 100k); feasibility = closed / constrained
    assert s.loc[BASE, ["service", "cost", "feasibility"]].tolist() == pytest.approx([0.96, 1.0, 0.5])
    assert s.loc["Second shift", ["service", "cost", "feasibility"]].tolist() == pytest.approx([1.0, 0.0, 1.0])
    assert s.loc["Outsource", ["service", "cost", "feasibility"]].tolist() == pytest.approx([0.98, 0.75, 0.75])
    assert s.loc[BASE, "total"] == pytest.approx(0.4 * 0.96 + 0.3 * 1.0 + 0.3 * 0.5)  # 0.834
    assert s.loc["Second shift", "total"] == pytest.approx(0.4 + 0.0 + 0.3)  # 0.700
    assert s.loc["Outsource", "total"] == pytest.approx(0.4 * 0.98 + 0.3 * 0.75 + 0.3 * 0.75)  # 0.842
    assert recommend(rows, score(rows))[0] == "Outsource"
    # service first: Second shift 1.0; Outsource 0.98; base 0.96
    s2 = score(rows, (1, 0, 0))
    assert s2["scenario"].iloc[0] == "Second shift"
    # weights are normalised: (2, 0, 2) = (0.5, 0, 0.5)
    s3 = score(rows, (2, 0, 2)).set_index("scenario")
    assert s3.loc["Second shift", "total"] == pytest.approx(1.0)
    assert s3.loc[BASE, "total"] == pytest.approx(0.73)
    with pytest.raises(ValueError):
        score(rows, (0, 0, 0))


def test_recommendation_skips_outlooks_and_gives_reasons():
    rows = [_row(BASE, 96.0, 100_000.0, 4, 2), _row("Downside", 100.0, 10_000.0, 0, 0, kind="outlook"),
            _row("Second shift", 100.0, 184_000.0, 4, 0)]
    rows[2]["gross_margin"] = 310_000.0
    name, why = recommend(rows, score(rows, (1, 0, 0)))
    assert name == "Second shift"
    assert why.startswith("Second shift: fill rate 100 % vs 96 %, cost $84k more, margin $310k more")
    assert np.isfinite(score(rows)["total"]).all()


# ---------------------------------------------------------------------------- headless


def _cli(*args):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-m", "planning", *args], cwd=root, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def scenario_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("scn")
    shift = root / "second_shift"
    shift.mkdir()
    (shift / "capacity.csv").write_text("family,period,capacity_units\nElectronics,2025-01,12000\n"
                                        "Electronics,2025-02,15000\n")
    (shift / "settings.csv").write_text("name,value\ncost_overtime,25\n")
    promo = root / "promo"
    promo.mkdir()
    (promo / "adjustments.csv").write_text("level,key,period,type,value,reason,owner\n"
                                           "family,Appliances,2025-02,percentage,10,promo,Sales\n")
    bad = root / "bad"
    bad.mkdir()
    (bad / "adjustments.csv").write_text("level,key,period,type,value,reason,owner\n"
                                         "family,Nowhere,2025-02,percentage,10,x,y\n")
    return root


def test_cli_compute_scenario_equals_engine(seed, scenario_dirs, tmp_path):
    from data.scenario_file import load_scenario
    from tests.engine_fixtures import SEED_DIR

    done = _cli("compute", str(SEED_DIR), "--scenario", str(scenario_dirs / "second_shift"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    fp = pd.read_csv(tmp_path / "family_plan.csv").set_index(["family", "period"])
    assert fp.loc[("Electronics", "2025-01"), "capacity"] == 12000
    assert fp.loc[("Electronics", "2025-02"), "capacity"] == 15000
    assert fp.loc[("Appliances", "2025-01"), "capacity"] == seed.capacity.set_index(["family", "period"]).loc[
        ("Appliances", "2025-01"), "capacity_units"]
    sc, issues = load_scenario(scenario_dirs / "second_shift", SEED_DIR, seed, horizon=18)
    assert sc is not None and sc.settings == {"cost_overtime": 25.0}
    d, s = apply_scenario(seed, Settings(), sc)
    expected = compute_plan(d, s)
    got = pd.read_csv(tmp_path / "supply_plan.csv")
    assert got["cost"].sum() == pytest.approx(expected.supply_plan["cost"].sum(), rel=1e-6)


def test_cli_compare_writes_table_and_scores(scenario_dirs, tmp_path):
    from tests.engine_fixtures import SEED_DIR

    done = _cli("compare", str(SEED_DIR), "--scenario", str(scenario_dirs / "second_shift"), "--scenario",
                str(scenario_dirs / "promo"), "--out", str(tmp_path), "--weights", "1,0,0")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "side_by_side.csv").set_index("metric")
    assert {"Base plan", "second shift", "promo", "promo Δ", "promo Δ %"} <= set(table.columns)
    assert float(table.loc["demand", "promo Δ"]) > 0
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert set(scores["scenario"]) == {"Base plan", "second shift", "promo"}
    assert scores["recommended"].sum() == 1
    assert scores[["service", "cost", "feasibility", "total"]].apply(lambda c: c.between(0, 1).all()).all()
    assert (tmp_path / "recommendation.txt").read_text().strip()
    bad = _cli("compare", str(SEED_DIR), "--scenario", str(scenario_dirs / "bad"), "--out", str(tmp_path / "b"))
    assert bad.returncode == 2 and "Nowhere" in bad.stderr


def test_price_rise_on_a_family_raises_its_revenue_by_ten_percent(seed):
    """A scenario's price +10 % on one family from its first month: that family's revenue (and nothing else's)
    is 10 % higher; units, supply and the base plan are unchanged."""
    settings = Settings()
    horizon = sorted(seed.forecast["period"].unique())
    prices = pd.DataFrame([{"level": "family", "key": "Electronics", "period_from": horizon[0],
                            "type": "percentage", "value": 10.0}])
    base_before = compute_plan(seed, settings).financials.copy()
    res = compute_scenarios(seed, settings, [Scenario("Dearer", prices=prices)])
    base, dear = res[BASE].financials, res["Dearer"].financials
    pd.testing.assert_frame_equal(base.reset_index(drop=True), base_before.reset_index(drop=True))
    by = dear.groupby("family")["revenue"].sum() / base.groupby("family")["revenue"].sum()
    assert by["Electronics"] == pytest.approx(1.10)
    assert by.drop("Electronics").to_numpy() == pytest.approx(1.0)
    # margin rises by exactly the extra revenue (costs do not move)
    dm = dear["gross_margin"].sum() - base["gross_margin"].sum()
    assert dm == pytest.approx(0.1 * base.loc[base["family"] == "Electronics", "revenue"].sum())
    pd.testing.assert_frame_equal(res["Dearer"].supply_plan, res[BASE].supply_plan)
    # from a later month on only: the months before keep their price
    later = pd.DataFrame([{"level": "family", "key": "Electronics", "period_from": horizon[1],
                           "type": "percentage", "value": 10.0}])
    d, s = apply_scenario(seed, settings, Scenario("Later", prices=later))
    fin = compute_plan(d, s).financials.set_index(["family", "period"])["revenue"]
    b = base.set_index(["family", "period"])["revenue"]
    assert fin[("Electronics", horizon[0])] == pytest.approx(b[("Electronics", horizon[0])])
    assert fin[("Electronics", horizon[1])] == pytest.approx(1.1 * b[("Electronics", horizon[1])])


def test_price_change_types_item_and_value():
    from planning.finance import apply_price_changes

    work = pd.DataFrame({"item_id": ["A", "A", "B", "B"], "family": ["F", "F", "F", "F"],
                         "period": ["2025-01", "2025-02", "2025-01", "2025-02"], "unit_price": [10.0, 10.0, 20.0, 20.0]})
    changes = pd.DataFrame([
        {"level": "item", "key": "A", "period_from": "2025-02", "type": "absolute", "value": 12.0},
        {"level": "family", "key": "F", "period_from": "2025-01", "type": "additive", "value": -1.0},
    ])
    assert apply_price_changes(work, changes).tolist() == [9.0, 11.0, 19.0, 19.0]


def test_outsourcing_cap_hand_solved():
    """Demand 90 then 130 on capacity 100, no overtime, outsourcing 20, holding 5, lost sales 100.

    No cap: 10 built ahead in January (held one month: 50) and 20 outsourced in February (400) = 450.
    Cap 0 %: the 10 built ahead still, the other 20 are lost (2,000) = 2,050.
    Cap 5 % of capacity (5 units a month): January outsources its 5 too and holds 15 (100 + 75), February
    outsources 5 (100) and loses the last 10 (1,000) = 1,275 (outsourcing held a month, 25, beats losing, 100)."""
    from planning.supply import family_plan, supply_plan
    from tests.engine_fixtures import capacity

    periods = ["2025-01", "2025-02"]
    cap = capacity([("F", p, 100) for p in periods])

    def solve(cap_pct):
        s = Settings(overtime_pct=0.0, outsource_cap_pct=cap_pct)
        fp = family_plan(pd.DataFrame({"family": "F", "period": periods, "demand": [90.0, 130.0]}), cap, periods, s)
        return supply_plan(fp, cap, pd.Series({"F": 0.0}), s)

    free = solve(None)
    assert list(free["outsource"]) == pytest.approx([0, 20]) and free["lost_sales"].sum() == pytest.approx(0)
    assert free["cost"].sum() == pytest.approx(450)
    none = solve(0.0)
    assert none["outsource"].sum() == pytest.approx(0)
    assert list(none["inventory_end"]) == pytest.approx([10, 0])
    assert list(none["lost_sales"]) == pytest.approx([0, 20]) and none["cost"].sum() == pytest.approx(2050)
    five = solve(5.0)
    assert list(five["outsource"]) == pytest.approx([5, 5]) and list(five["inventory_end"]) == pytest.approx([15, 0])
    assert five["lost_sales"].sum() == pytest.approx(10) and five["cost"].sum() == pytest.approx(1275)


def test_outsourcing_cap_in_a_scenario_turns_outsourcing_into_other_options(seed):
    """The seed company's plan with outsourcing made cheaper than overtime: capped at 0 in a scenario, the
    scenario uses no outsourcing and pays more (overtime, building ahead or lost sales instead); the option
    table says why outsourcing alone cannot close the gap."""
    settings = Settings(cost_outsource=10.0, overtime_pct=0.0)
    res = compute_scenarios(seed, settings, [Scenario("No outsourcing", settings={"outsource_cap_pct": 0.0})])
    base, capped = res[BASE].supply_plan, res["No outsourcing"].supply_plan
    assert base["outsource"].sum() > 0
    assert capped["outsource"].sum() == pytest.approx(0)
    assert capped["cost"].sum() > base["cost"].sum()
    covered = capped["inventory_end"].sum() + capped["lost_sales"].sum()
    assert covered > 0
    rows = compare_rows(seed, settings, res, [Scenario("No outsourcing", settings={"outsource_cap_pct": 0.0})])
    assert rows[1]["cost_outsource"] == 0 and rows[1]["total_cost"] > rows[0]["total_cost"]
    from planning.cycle import compare_supply_options

    d, s = apply_scenario(seed, settings, Scenario("x", settings={"outsource_cap_pct": 0.0}))
    opts = compare_supply_options(d, res["No outsourcing"], s).set_index("option")
    if opts.loc["outsource", "lost_sales"] > 0.5:
        assert "outsourcing capped at 0 %" in opts.loc["outsource", "reason"]
    assert "up to 0 %" in opts.loc["outsource", "what"]


def test_cli_scenario_prices_table(seed, tmp_path):
    """A scenario folder with a `prices` table: Electronics +10 % from the first month; the headless compute
    writes Electronics' revenue 10 % above the input's, others unchanged; a bad row is refused at its row and
    column with nothing computed."""
    from tests.engine_fixtures import SEED_DIR

    months = sorted(seed.forecast["period"].unique())
    good = tmp_path / "dearer"
    good.mkdir()
    (good / "prices.csv").write_text(f"family,period_from,change\nElectronics,{months[0]},+10%\n")
    base_out, out = tmp_path / "base", tmp_path / "out"
    assert _cli("compute", str(SEED_DIR), "--out", str(base_out)).returncode == 0
    done = _cli("compute", str(SEED_DIR), "--scenario", str(good), "--out", str(out))
    assert done.returncode == 0, done.stderr
    b = pd.read_csv(base_out / "financials.csv").groupby("family")["revenue_unconstrained"].sum()
    g = pd.read_csv(out / "financials.csv").groupby("family")["revenue_unconstrained"].sum()
    assert g["Electronics"] == pytest.approx(1.1 * b["Electronics"])
    assert g.drop("Electronics").to_numpy() == pytest.approx(b.drop("Electronics").to_numpy())
    bad = tmp_path / "bad_prices"
    bad.mkdir()
    (bad / "prices.csv").write_text(f"family,period_from,change\nElectronics,{months[0]},+10%\n"
                                    "Nowhere,2025-01,5%\nElectronics,Jan,5%\n")
    refused = _cli("compute", str(SEED_DIR), "--scenario", str(bad), "--out", str(tmp_path / "b"))
    assert refused.returncode == 2
    assert "Nowhere" in refused.stderr and "row 3" in refused.stderr and "row 4" in refused.stderr
    assert not (tmp_path / "b" / "financials.csv").exists()


def test_difference_in_percent_of_a_zero_base_is_not_a_figure():
    """A base of the solver's rounding dust ($0.000004 of outsourcing) gives no Δ % (it gave 4,733,675,233 %);
    a real base gives its percentage."""
    from planning.scenarios import METRICS

    keys = [k for k, _, _ in METRICS]
    base = {"scenario": BASE, "open_months": [], **{k: 0.0 for k in keys}}
    other = {"scenario": "Upside", "open_months": [], **{k: 0.0 for k in keys}}
    base["cost_outsource"], other["cost_outsource"] = 0.000004, 193_134.0
    base["revenue"], other["revenue"] = 200.0, 230.0
    line = side_by_side([base, other]).set_index("metric")
    assert line.loc["cost_outsource", "Upside Δ"] == pytest.approx(193_134.0)
    assert pd.isna(line.loc["cost_outsource", "Upside Δ %"])
    assert line.loc["revenue", "Upside Δ %"] == pytest.approx(15.0)
