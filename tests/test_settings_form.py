"""Reading the targets and settings form: every problem named by field, nothing half-applied."""

from __future__ import annotations

import pytest

from planning.settings_schema import target_rows
from services.settings_form import read_settings_form
from planning.model import KpiTarget, Settings

VALUES = {"safety_days": 20, "overtime_pct": 10, "cost_overtime": 12, "cost_outsource": 25, "cost_holding": 4,
          "cost_lost_sales": 90, "inventory_tolerance_pct": 3}


def rows(**changes):
    out = [dict(r) for r in target_rows(Settings())]
    for r in out:
        r.update(changes.get(r["name"], {}))
    return out


def test_a_good_form_gives_the_new_settings():
    new, problems = read_settings_form(Settings(), VALUES, True, [2, 1, 1], rows(mape={"high": 15}))
    assert problems == []
    assert new.safety_days == 20 and new.overtime_pct == 10 and new.cost_lost_sales == 90
    assert new.safety_stock_floor is True
    assert new.inventory_tolerance_pct == 3  # the inventory accuracy KPI's tolerance
    assert new.forecast_candidates == ()  # not on the form: the standard set stays
    assert new.scenario_weights == (0.5, 0.25, 0.25)  # shares that add up to 1
    assert new.targets["mape"] == KpiTarget(None, 15.0)
    assert new.targets["capacity_utilization"] == KpiTarget(80.0, 90.0)  # untouched


def test_blank_bound_is_no_bound_but_one_bound_is_needed():
    new, _ = read_settings_form(Settings(), VALUES, False, [1, 1, 1], rows(bias_pct={"low": ""}))
    assert new.targets["bias_pct"] == KpiTarget(None, 5.0)
    new, problems = read_settings_form(Settings(), VALUES, False, [1, 1, 1],
                                       rows(bias_pct={"low": None, "high": ""}))
    assert new is None
    assert problems == ["Target of Forecast bias: give a low bound, a high bound or both."]


def test_every_problem_is_named_and_nothing_is_read():
    bad = {**VALUES, "safety_days": "abc", "overtime_pct": 140, "cost_holding": -1, "cost_outsource": None,
           "inventory_tolerance_pct": 101}
    new, problems = read_settings_form(Settings(), bad, False, [0, 0, 0],
                                       rows(capacity_utilization={"low": 95, "high": 90}))
    assert new is None
    text = "\n".join(problems)
    assert "Safety stock (days of demand): “abc” is not a number." in text
    assert "Overtime available (% of capacity) must be between 0 and 100; it is 140." in text
    assert "Holding inventory (per unit per month) must be at least 0; it is -1." in text
    assert "Outsourcing (per unit) is empty." in text
    assert "The scenario weights add up to 0" in text
    assert "the low bound (95) is above the high bound (90)" in text
    assert "Inventory count tolerance (% of the recorded quantity) must be between 0 and 100; it is 101." in text
    assert len(problems) == 7


@pytest.mark.parametrize("raw", ["1,200", " 1200 ", 1200, 1200.0])
def test_numbers_as_typed(raw):
    new, problems = read_settings_form(Settings(), {**VALUES, "cost_lost_sales": raw}, False, [1, 1, 1], rows())
    assert problems == [] and new.cost_lost_sales == 1200


def test_the_forecast_candidates_ticked():
    from planning.forecast import STANDARD_CANDIDATES

    args = (VALUES, False, [1, 1, 1], rows())
    new, problems = read_settings_form(Settings(), *args, ["AutoETS", "CrostonOptimized", "IMAPA"])
    assert problems == []  # the references are added; the order is the engine's
    assert new.forecast_candidates == ("SeasonalNaive", "AutoETS", "CrostonOptimized", "IMAPA", "baseline_ma3_trend")
    # ticking the list in force again keeps it (the empty list is the standard set; a profile's keeps its order)
    new, _ = read_settings_form(Settings(), *args, list(STANDARD_CANDIDATES))
    assert new.forecast_candidates == ()
    mine = Settings(forecast_candidates=("CrostonOptimized", "SeasonalNaive", "AutoETS", "baseline_ma3_trend"))
    new, _ = read_settings_form(mine, *args, ["AutoETS", "CrostonOptimized", "SeasonalNaive"])
    assert new.forecast_candidates == mine.forecast_candidates
    new, problems = read_settings_form(Settings(), *args, ["SeasonalNaive"])
    assert new is None and problems == ["Forecast candidates: tick at least one model besides seasonal naive and "
                                        "the baseline."]
    new, problems = read_settings_form(Settings(), *args, ["AutoETS", "Prophet"])
    assert new is None and problems == ["Forecast candidates: there is no model “Prophet”."]
