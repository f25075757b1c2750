"""Accuracy metrics and KPIs against figures worked by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from planning.accuracy import accuracy_table
from planning.cycle import compute_plan
from planning.kpis import KpiTarget, kpi_status
from planning.model import CompanyData, Settings
from planning.periods import horizon_after
from tests.engine_fixtures import adjustments, capacity, forecast, history, items

IT = items([("A", "F", 10, 6), ("B", "F", 20, 12), ("C", "G", 5, 2)])


def test_item_metrics_by_hand_with_zero_actual():
    """F = 110, 90, 50, 0; A = 100, 100, 0, 10: e = 10, −10, 50, −10."""
    h = history([("A", "2024-01", 100, 110), ("A", "2024-02", 100, 90), ("A", "2024-03", 0, 50),
                 ("A", "2024-04", 10, 0), ("A", "2024-05", 40, None)])
    acc = accuracy_table(h, IT)
    a = acc[(acc["level"] == "item") & (acc["item_id"] == "A")].iloc[0]
    assert a["n"] == 4 and a["n_zero"] == 1  # the row without forecast_units is not measured
    assert a["mape"] == pytest.approx(40.0)  # (10 % + 10 % + 100 %) / 3, zero actual left out
    assert a["wape"] == pytest.approx(80 / 210 * 100)
    assert a["bias_pct"] == pytest.approx(40 / 210 * 100)
    assert a["mad"] == pytest.approx(20.0)
    assert a["tracking_signal"] == pytest.approx(2.0)
    assert math.isfinite(a["mape"])  # reference defect: divided by zero actuals


def test_family_and_total_from_summed_units():
    h = history([("A", "2024-01", 100, 110), ("B", "2024-01", 100, 90),
                 ("A", "2024-02", 50, 50), ("B", "2024-02", 50, 70), ("C", "2024-01", 10, 20)])
    acc = accuracy_table(h, IT)
    fam = acc[(acc["level"] == "family") & (acc["family"] == "F")].iloc[0]
    # period 1: F 200 vs A 200 → 0 %; period 2: 120 vs 100 → 20 %
    assert fam["mape"] == pytest.approx(10.0)
    assert fam["wape"] == pytest.approx(20 / 300 * 100)
    assert fam["tracking_signal"] == pytest.approx(20 / 10)
    item_mean = acc[(acc["level"] == "item") & (acc["family"] == "F")]["mape"].mean()
    assert item_mean != pytest.approx(fam["mape"])  # not averaged from items
    total = acc[acc["level"] == "total"].iloc[0]
    # period 1: 220 vs 210, period 2: 120 vs 100
    assert total["mape"] == pytest.approx((10 / 210 + 20 / 100) / 2 * 100)
    assert total["bias_pct"] == pytest.approx(30 / 310 * 100)


def test_tracking_signal_zero_when_mad_zero():
    acc = accuracy_table(history([("C", "2024-01", 10, 10), ("C", "2024-02", 0, 0)]), IT)
    c = acc[acc["level"] == "item"].iloc[0]
    assert c["tracking_signal"] == 0 and c["mad"] == 0 and c["n_zero"] == 1


def _kpi_company():
    """14 history months; A forecasts 10 % over, B exact, C under 20 % in the last 3 months."""
    months = ["2024-%02d" % m for m in range(1, 13)] + ["2025-01", "2025-02"]
    rows = []
    for i, p in enumerate(months):
        rows.append(("A", p, 100, 110))
        rows.append(("B", p, 50, 50))
        rows.append(("C", p, 200, 160 if i >= 11 else 200))
    hz = horizon_after("2025-02", 4)
    fc = forecast([(i, p, q) for p in hz for i, q in (("A", 100), ("B", 50), ("C", 200))])
    cap = capacity([("F", p, 200) for p in hz] + [("G", p, 250) for p in hz])
    it = IT.copy()
    it.loc[it["item_id"] == "C", "opening_inventory"] = 300.0
    return CompanyData(items=it, history=history(rows), capacity=cap, forecast=fc, adjustments=adjustments([]))


def test_kpis_by_hand():
    r = compute_plan(_kpi_company())
    k = {n: v["value"] for n, v in r.kpis.items()}
    # MAPE of family totals, last 12 months: F = 10/150 every month; G = 0 for 9 months, 20 % for 3
    assert k["mape"] == pytest.approx((24 * 0 + 12 * 10 / 150 * 100 + 3 * 20) / 24)
    # bias: company total over 12 months: +10 × 12 − 40 × 3 = 0
    assert k["bias_pct"] == pytest.approx(0.0)
    # plan attainment, last 3 months: actual 350 × 3 / planned (110 + 50 + 160) × 3
    assert k["plan_attainment"] == pytest.approx(350 / 320 * 100)
    # revenue attainment: A 10, B 20, C 5 per unit
    assert k["revenue_attainment"] == pytest.approx((1000 + 1000 + 1000) / (1100 + 1000 + 800) * 100)
    # utilization: demand 350 / capacity 450 in each of the first 3 months
    assert k["capacity_utilization"] == pytest.approx(350 / 450 * 100)
    # G: 300 in stock, demand 200/month on 250 capacity → uses stock first: ends month 1 at 100
    g = r.supply_plan[r.supply_plan["family"] == "G"]
    assert g["inventory_end"].iloc[0] == pytest.approx(100)
    assert k["days_of_supply"] == pytest.approx(100 / (350 * 3 / (3 * 30.4)))
    inv_value = r.financials.groupby("period")["inventory_value"].sum()
    cogs = r.financials["cogs"].sum()
    assert k["inventory_turns"] == pytest.approx(cogs * 12 / 4 / inv_value.mean())
    assert r.kpis["mape"]["status"] == "on_target"
    assert r.kpis["capacity_utilization"]["status"] == "at_risk"  # 77.8 % is within 10 % below the 80 % edge


def test_days_of_supply_is_units_over_units():
    """Reference defect: days of supply divided money by units."""
    c = _kpi_company()
    c.items["unit_cost"] *= 1000
    r1, r2 = compute_plan(_kpi_company()), compute_plan(c)
    assert r1.kpis["days_of_supply"]["value"] == pytest.approx(r2.kpis["days_of_supply"]["value"])


@pytest.mark.parametrize(
    "value, target, expected",
    [(19.9, KpiTarget(None, 20), "on_target"), (21.5, KpiTarget(None, 20), "at_risk"),
     (25, KpiTarget(None, 20), "off_target"), (-5.2, KpiTarget(-5, 5), "at_risk"),
     (96, KpiTarget(95, 105), "on_target"), (80, KpiTarget(95, 105), "off_target"),
     (float("nan"), KpiTarget(1, 2), "no_data")],
)
def test_kpi_status(value, target, expected):
    assert kpi_status(value, target) == expected


def test_targets_are_settings():
    s = Settings()
    s.targets["capacity_utilization"] = KpiTarget(70, 80)
    r = compute_plan(_kpi_company(), s)
    assert r.kpis["capacity_utilization"]["status"] == "on_target"
    assert r.kpis["capacity_utilization"]["target"] == "70–80 %"


def test_exceptions_flag_large_changes_and_bad_items():
    c = _kpi_company()
    c.forecast.loc[(c.forecast["item_id"] == "B") & (c.forecast["period"] == "2025-04"), "forecast_units"] = 80
    r = compute_plan(c)
    ex = r.exceptions
    change = ex[(ex["kind"] == "forecast_change") & (ex["item_id"] == "B")]
    assert list(change["period"]) == ["2025-04", "2025-05"]
    assert change["value"].iloc[0] == pytest.approx(60.0)
    assert change["value"].iloc[1] == pytest.approx(-37.5)
    bias = ex[(ex["kind"] == "bias") & (ex["item_id"] == "A")]
    assert bias["value"].iloc[0] == pytest.approx(10.0)
    assert np.isfinite(ex["value"]).all()
    assert pd.api.types.is_string_dtype(ex["kind"])


def test_one_registry_gives_order_labels_and_default_targets():
    from planning.kpis import REGISTRY, kpi_names
    from planning.model import DEFAULT_TARGETS

    assert kpi_names() == list(REGISTRY) == list(DEFAULT_TARGETS)  # one order
    assert kpi_names(history_only=True) == ["mape", "bias_pct", "plan_attainment", "revenue_attainment"]
    assert REGISTRY["mape"].default_target == KpiTarget(None, 20.0)
    r = compute_plan(_kpi_company())
    assert list(r.kpis) == kpi_names()
    assert [k["label"] for k in r.kpis.values()] == [REGISTRY[n].label for n in kpi_names()]


@pytest.mark.parametrize(
    "low, high, unit, page, short",
    [(80, 90, "%", "target 80 % \u2013 90 %", "80\u201390 %"), (None, 20, "%", "target \u2264 20 %", "< 20 %"),
     (95, None, "%", "target \u2265 95 %", "> 95 %"), (-5, 5, "%", "target \u00b15 %", "\u00b15 %"),
     (6, 12, "turns", "target 6\u00d7 \u2013 12\u00d7", "6\u201312"),
     (30, 60, "days", "target 30 days \u2013 60 days", "30\u201360 days"),
     (-2.5, 10, "%", "target \u22122.5 % \u2013 10 %", "-2.5\u201310 %"),
     (None, float("nan"), "%", "no target set", "")],
)
def test_target_text_pages_and_short(low, high, unit, page, short):
    from components import kpi_card
    from planning.kpis import target_text

    assert target_text(low, high, unit) == page
    assert target_text(low, high, unit, short=True) == short
    assert kpi_card.target_text is target_text  # one formatter, used by the KPI cards
