"""Plan comparisons and KPI trends: the last point of a trend equals the KPI card."""

import pandas as pd
import pytest

from planning.accuracy import measured_history
from planning.cycle import compute_plan
from planning.trends import history_kpi_trend, plan_comparison
from tests.engine_fixtures import history, items
from tests.test_engine_accuracy_kpis import _kpi_company


def test_trend_last_point_matches_kpi_cards():
    c = _kpi_company()
    r = compute_plan(c)
    trend = history_kpi_trend(measured_history(c.history, c.items), c.items)
    last = trend.iloc[-1]
    assert last["period"] == "2025-02"
    for name in ("mape", "bias_pct", "plan_attainment", "revenue_attainment"):
        assert last[name] == pytest.approx(r.kpis[name]["value"], abs=1e-6)
    # a year earlier the under-forecast of C had not started: bias was +10/350 of units
    first = trend.iloc[0]
    assert first["period"] == "2024-03"
    assert first["bias_pct"] == pytest.approx(10 / 350 * 100)


def test_plan_comparison_vs_last_month_and_last_year():
    it = items([("A", "F", 1, 1), ("B", "F", 1, 1)])
    cons = pd.DataFrame({"item_id": ["A", "B"], "family": ["F", "F"], "period": ["2025-01"] * 2,
                         "consensus": [60.0, 50.0]})
    prev = pd.DataFrame({"item_id": ["A", "B"], "period": ["2025-01"] * 2, "consensus": [50.0, 50.0]})
    hist = history([("A", "2024-01", 40), ("B", "2024-01", 60), ("A", "2024-02", 99)])
    out = plan_comparison(cons, prev, hist, it).iloc[0]
    assert out["plan"] == 110 and out["last_month"] == 100 and out["last_year"] == 100
    assert out["vs_last_month_pct"] == pytest.approx(10) and out["vs_last_year_pct"] == pytest.approx(10)
    none = plan_comparison(cons, None, hist, it).iloc[0]
    assert pd.isna(none["last_month"]) and pd.isna(none["vs_last_month_pct"])
