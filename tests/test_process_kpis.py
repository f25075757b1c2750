"""The process and operations KPIs (planning.process_kpis), each hand-worked on a small case and empty; the
optional production and inventory_count uploads validated with located errors; the registry's rows say what
to upload when a KPI has no figure."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from planning import process_kpis as pk
from planning.kpis import REGISTRY, kpi_inventory_accuracy, kpi_names
from planning.model import Settings
from test_data_readers import load

FAMILY = pd.Series({"A": "F", "B": "F", "C": "G"})


def snap(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["cycle_period", "version_id", "item_id", "period", "consensus"])


def test_plan_stability_hand_worked() -> None:
    rows = [
        # cycle 2025-01, an earlier approved version 1 (replaced by version 2 of the same cycle)
        ("2025-01", 1, "A", "2025-02", 999.0),
        # cycle 2025-01, version 2: F = A + B; months 2025-01..2025-04
        ("2025-01", 2, "A", "2025-01", 10.0), ("2025-01", 2, "A", "2025-02", 60.0), ("2025-01", 2, "B", "2025-02", 40.0),
        ("2025-01", 2, "A", "2025-03", 200.0), ("2025-01", 2, "A", "2025-04", 50.0),
        ("2025-01", 2, "C", "2025-02", 0.0), ("2025-01", 2, "C", "2025-03", 40.0),
        # cycle 2025-02, version 3: months 2025-02 (lag 1) .. 2025-05 (lag 4, not counted)
        ("2025-02", 3, "A", "2025-02", 70.0), ("2025-02", 3, "B", "2025-02", 40.0),  # F 100 -> 110: 10 %
        ("2025-02", 3, "A", "2025-03", 180.0),  # F 200 -> 180: 10 %
        ("2025-02", 3, "A", "2025-04", 50.0),  # F 50 -> 50: 0 %
        ("2025-02", 3, "A", "2025-05", 70.0),  # lag 4
        ("2025-02", 3, "C", "2025-02", 10.0),  # G 0 -> 10: no % change
        ("2025-02", 3, "C", "2025-03", 50.0),  # G 40 -> 50: 25 %
    ]
    changes = pk.plan_stability_changes(snap(rows), FAMILY)
    assert list(changes["lag"]) == [1, 2, 3, 1, 2]
    assert changes["change_pct"].tolist()[:3] == pytest.approx([10.0, 10.0, 0.0])
    assert math.isnan(changes["change_pct"].iloc[3])
    overall = pk.plan_stability(changes)
    assert overall.to_dict("records") == [{"cycle_period": "2025-02", "plan_stability": pytest.approx(11.25)}]
    fam = pk.plan_stability(changes, ["cycle_period", "family"]).set_index("family")["plan_stability"]
    assert fam["F"] == pytest.approx(20 / 3) and fam["G"] == pytest.approx(25.0)
    assert pk.plan_stability_changes(snap(rows), FAMILY, lags=1)["change_pct"].dropna().tolist() == [10.0]


def test_plan_stability_empty() -> None:
    assert pk.plan_stability_changes(snap([]), FAMILY).empty
    one = snap([("2025-01", 1, "A", "2025-01", 5.0)])
    assert pk.plan_stability_changes(one, FAMILY).empty
    assert pk.plan_stability(pk.plan_stability_changes(one, FAMILY)).empty


def test_agenda_time_kept() -> None:
    agenda = pd.DataFrame({"cycle_id": [1, 1, 2, 3], "planned_minutes": [10.0, 20.0, 30.0, 15.0],
                           "actual_seconds": [600.0, 1500.0, 1200.0, float("nan")]})
    kept = pk.agenda_time_kept(agenda).set_index("cycle_id")
    assert kept.loc[1, "agenda_time_kept_pct"] == pytest.approx(30 / 35 * 100)  # overran by 5 minutes
    assert kept.loc[2, "agenda_time_kept_pct"] == pytest.approx(100.0)  # finished early
    assert 3 not in kept.index  # never timed
    assert pk.agenda_time_kept(agenda.iloc[0:0]).empty
    assert pk.agenda_time_kept(agenda[agenda["cycle_id"] == 3]).empty


def test_inventory_accuracy() -> None:
    counts = pd.DataFrame({"item_id": ["A", "B", "C", "D", "A"],
                           "period": ["2025-01"] * 4 + ["2025-02"],
                           "counted": [101.0, 103.0, 0.0, 1.0, 50.0], "recorded": [100.0, 100.0, 0.0, 0.0, 50.0]})
    acc = pk.inventory_accuracy(counts, 2.0).set_index("period")
    assert acc.loc["2025-01", "items"] == 4 and acc.loc["2025-01", "within"] == 2
    assert acc.loc["2025-01", "inventory_accuracy"] == pytest.approx(50.0)
    assert acc.loc["2025-02", "inventory_accuracy"] == pytest.approx(100.0)
    assert pk.inventory_accuracy(counts, 5.0).set_index("period").loc["2025-01", "within"] == 3
    assert pk.inventory_accuracy(None).empty and pk.inventory_accuracy(counts.iloc[0:0]).empty


def test_production_attainment() -> None:
    history = pd.DataFrame({"item_id": ["A", "B", "A", "C"], "period": ["2025-01", "2025-01", "2025-02", "2025-01"],
                            "actual_units": [1.0, 1.0, 1.0, 1.0], "forecast_units": [60.0, 40.0, float("nan"), 30.0]})
    production = pd.DataFrame({"family": ["F", "F", "H"], "period": ["2025-01", "2025-02", "2025-01"],
                               "produced_units": [90.0, 10.0, 5.0]})
    att = pk.production_attainment(production, history, FAMILY)
    # F 2025-01: 90 of 100 planned; F 2025-02 has no plan, H no items, G no production: left out
    assert att.to_dict("records") == [{"period": "2025-01", "produced_units": 90.0, "planned_units": 100.0,
                                       "production_attainment": pytest.approx(90.0)}]
    assert pk.production_attainment(None, history, FAMILY).empty
    assert pk.production_attainment(production.iloc[0:0], history, FAMILY).empty


def test_gross_margin_vs_plan_and_working_capital_days() -> None:
    comp = pd.DataFrame({"revenue": [600.0, 400.0], "gross_margin": [200.0, 100.0],
                         "budget_revenue": [500.0, 300.0], "budget_gross_margin": [120.0, 80.0]})
    assert pk.gross_margin_vs_plan(comp) == pytest.approx(30.0 - 25.0)  # 300/1000 vs 200/800, in points
    assert math.isnan(pk.gross_margin_vs_plan(None)) and math.isnan(pk.gross_margin_vs_plan(comp.iloc[0:0]))
    wc = pd.DataFrame({"period": ["p1", "p2", "p3", "p4"], "days_of_inventory": [30.0, 40.0, float("nan"), 100.0]})
    assert pk.working_capital_days(wc, ["p1", "p2", "p3"]) == pytest.approx(35.0)
    assert math.isnan(pk.working_capital_days(wc, ["p9"]))
    assert math.isnan(pk.working_capital_days(wc.iloc[0:0], ["p1"]))


def test_registry_has_the_reference_kpis_and_says_what_to_upload() -> None:
    names = kpi_names()
    for name in ("plan_stability", "cycle_time", "decisions_on_time", "actions_on_time", "inventory_accuracy",
                 "supply_flexibility",
                 "gross_margin_vs_plan", "working_capital_days", "production_attainment", "agenda_time_kept"):
        assert name in names
    assert "inventory_count" in REGISTRY["inventory_accuracy"].needs
    assert "production" in REGISTRY["production_attainment"].needs
    assert "budget" in REGISTRY["gross_margin_vs_plan"].needs
    k = SimpleNamespace(data=SimpleNamespace(inventory_count=None), settings=Settings())
    assert math.isnan(kpi_inventory_accuracy(k))
    counts = pd.DataFrame({"item_id": ["A", "B"], "period": ["2025-01", "2025-01"], "counted": [10.0, 12.0],
                           "recorded": [10.0, 10.0]})
    k = SimpleNamespace(data=SimpleNamespace(inventory_count=counts), settings=Settings())
    assert kpi_inventory_accuracy(k) == pytest.approx(50.0)


def _issues(**changes: str) -> list[str]:
    data, issues = load(**changes)
    assert (data is None) == any(i.is_error for i in issues)
    return [str(i) for i in issues]


def test_production_upload_validated_with_located_errors() -> None:
    assert _issues(production="family,period,produced_units\nF1,2024-01,abc\nF1,2024-02,-5\nF1,2024-13,3\n"
                              "F1,2024-01,4\nF9,2024-01,1\n") == [
        'production row 2, column produced_units: "abc" is not a number.',
        "production row 3, column produced_units: -5 is negative; it must be zero or more.",
        'production row 4, column period: "2024-13" is not a valid month (expected YYYY-MM, e.g. 2025-01).',
        "production row 5: duplicate of row 2 (family F1, period 2024-01).",
        'production row 6, column family: family "F9" has no items; its rows are not used.',
    ]
    data, issues = load(production="family,period,produced_units\nF1,2024-01,90\nF2,2024-01,40\n")
    assert data is not None and not issues
    assert data.production.to_dict("records") == [{"family": "F1", "period": "2024-01", "produced_units": 90.0},
                                                  {"family": "F2", "period": "2024-01", "produced_units": 40.0}]


def test_inventory_count_upload_validated_with_located_errors() -> None:
    assert _issues(inventory_count="item_id,period,counted,recorded\nA1,2024-01,10,x\nZ9,2024-01,1,1\n"
                                   "A1,2024-01,3,3\nB1,2024-01,,4\n") == [
        'inventory_count row 2, column recorded: "x" is not a number.',
        'inventory_count row 3, column item_id: item "Z9" is not in items.',
        "inventory_count row 4: duplicate of row 2 (item_id A1, period 2024-01).",
        "inventory_count row 5, column counted: a value is required.",
    ]
    data, issues = load(inventory_count="item_id,period,counted\nA1,2024-01,10\n")
    assert data is None and issues[0].column == "recorded"
    data, _ = load(inventory_count="item_id,period,counted,recorded\nA1,2024-01,10,10\nB1,2024-01,7,10\n")
    assert pk.inventory_accuracy(data.inventory_count)["inventory_accuracy"].tolist() == [50.0]


def test_the_optional_tables_round_trip_through_a_workbook(tmp_path) -> None:  # noqa: ANN001
    from data import load_company
    from data.readers import write_workbook

    data, _ = load(production="family,period,produced_units\nF1,2024-01,90\n",
                   inventory_count="item_id,period,counted,recorded\nA1,2024-01,10,10\n")
    path = tmp_path / "book.xlsx"
    write_workbook(data, path)
    again, issues = load_company({"book.xlsx": path.read_bytes()}, horizon=3)
    assert again is not None and not [i for i in issues if i.is_error]
    assert again.production.to_dict("records") == data.production.to_dict("records")
    assert again.inventory_count.to_dict("records") == data.inventory_count.to_dict("records")


def test_the_optional_tables_are_stored_with_the_upload(tmp_path) -> None:  # noqa: ANN001
    from data.store import Store, make_engine

    data, _ = load(production="family,period,produced_units\nF1,2024-01,90\n",
                   inventory_count="item_id,period,counted,recorded\nA1,2024-01,10,10\nB1,2024-01,7,10\n")
    store = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    store.ensure_ready(seed=False)
    store.save_dataset(data, source="test")
    loaded = store.load_company()
    assert loaded.production.to_dict("records") == [{"family": "F1", "period": "2024-01", "produced_units": 90.0}]
    assert pk.inventory_accuracy(loaded.inventory_count)["inventory_accuracy"].tolist() == [50.0]
    assert load()[0].production is None


def test_supply_flexibility() -> None:
    from planning.kpis import kpi_supply_flexibility

    cap = pd.DataFrame({"family": ["F", "G", "F", "F"], "period": ["2025-01", "2025-01", "2025-02", "2025-09"],
                        "capacity_units": [100.0, 300.0, 100.0, 999.0], "resource": "",
                        "overtime_pct": [20.0, float("nan"), 10.0, 50.0]})
    k = SimpleNamespace(data=SimpleNamespace(capacity=cap), horizon=["2025-01", "2025-02", "2025-03"],
                        settings=Settings(overtime_pct=15.0))
    # (100 × 20 + 300 × 15 (the setting) + 100 × 10) / 500; 2025-09 is beyond month 3
    assert kpi_supply_flexibility(k) == pytest.approx(7500 / 500)
    k = SimpleNamespace(data=SimpleNamespace(capacity=cap), horizon=[], settings=Settings())
    assert math.isnan(kpi_supply_flexibility(k))


def test_inventory_count_reads_the_spec_headings_too() -> None:
    data, issues = load(inventory_count="item_id,period,Counted units,recorded_units\nA1,2024-01,9,10\n")
    assert data is not None and not issues
    assert data.inventory_count.to_dict("records") == [{"item_id": "A1", "period": "2024-01", "counted": 9.0,
                                                        "recorded": 10.0}]
