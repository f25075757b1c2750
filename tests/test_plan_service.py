"""PlanService: edits become stored, audited changes; undo/redo; conflicts; reload; cache; forecast.

Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set. Expected values are worked
out by hand from the plan before the edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from services import forecast_worker
from services import plan_service as plan_service_module
from services.forecast_jobs import JobFiles
from services.plan_service import EditError, ParsedEdit, PlanService, interim_forecast, parse_edit
from data.sample import sample_company
from data.store import ConflictError, Store, make_engine
from planning import forecast as forecasting
from planning.model import Settings

from tests.store_fixtures import new_service


@pytest.fixture
def svc(db_url: str) -> Iterator[PlanService]:
    service = new_service(db_url)
    yield service
    service.store.engine.dispose()


def consensus(plan) -> pd.Series:  # noqa: ANN001
    return plan.consensus.set_index(["item_id", "period"])["consensus"]


def family_row(plan, family: str, period: str) -> pd.Series:  # noqa: ANN001
    fp = plan.family_plan
    return fp[(fp["family"] == family) & (fp["period"] == period)].iloc[0]


def revenue(plan, family: str, period: str) -> tuple[float, float]:  # noqa: ANN001
    f = plan.financials
    row = f[(f["family"] == family) & (f["period"] == period)].iloc[0]
    return float(row["revenue"]), float(row["revenue_unconstrained"])


def prices(svc: PlanService) -> pd.Series:
    return svc.store.list_items().set_index("item_id")["unit_price"]


# ---------------------------------------------------------------------------- parse_edit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", ParsedEdit("absolute", 1200.0)),
        (" 1,200.5 ", ParsedEdit("absolute", 1200.5)),
        (".5", ParsedEdit("absolute", 0.5)),
        (1200, ParsedEdit("absolute", 1200.0)),
        (0.0, ParsedEdit("absolute", 0.0)),
        ("+10%", ParsedEdit("percentage", 10.0)),
        ("-5%", ParsedEdit("percentage", -5.0)),
        ("+ 12.5 %", ParsedEdit("percentage", 12.5)),
        ("+200", ParsedEdit("additive", 200.0)),
        ("-200", ParsedEdit("additive", -200.0)),
        ("-1,000.5", ParsedEdit("additive", -1000.5)),
    ],
)
def test_parse_edit_forms(text: object, expected: ParsedEdit) -> None:
    assert parse_edit(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10%", "write a percentage with its sign: +10% or -10%"),
        ("abc", "“abc” is not a number: type 1200 (set to), +10% or -5% (percentage), +200 or -200 (add)"),
        ("1.2.3", "“1.2.3” is not a number"),
        ("+10%%", "“+10%%” is not a number"),
        (True, "“True” is not a number"),
        ("", "the cell is empty: type 1200 (set to)"),
        (None, "the cell is empty"),
        (-5, "a forecast cannot be negative; type -200 as text for a decrease of 200"),
        (float("nan"), "enter a finite number"),
        (float("inf"), "enter a finite number"),
    ],
)
def test_parse_edit_errors(text: object, message: str) -> None:
    with pytest.raises(EditError) as err:
        parse_edit(text)
    assert str(err.value).startswith(message)


# ---------------------------------------------------------------------------- demand edits


@pytest.mark.parametrize(("text", "factor_of"), [("+10%", lambda total: 1.1), ("20000", lambda total: 20000 / total)])
def test_family_edit_spreads_pro_rata_and_moves_gap_and_revenue(svc: PlanService, text: str, factor_of) -> None:  # noqa: ANN001
    fam, period = "Electronics", "2026-03"
    p0 = svc.current_plan()
    c0 = p0.consensus[(p0.consensus["family"] == fam) & (p0.consensus["period"] == period)].set_index("item_id")
    total0 = c0["consensus"].sum()
    f = factor_of(total0)
    row0 = family_row(p0, fam, period)
    rev0, unc0 = revenue(p0, fam, period)
    assert row0["status"] != "CONSTRAINED"

    rev = svc.apply_edit(level="family", key=fam, period=period, text=text, reason="promo", owner="dana",
                         expected_revision=0)
    assert rev == 1
    p1 = svc.current_plan()
    c1 = p1.consensus[(p1.consensus["family"] == fam) & (p1.consensus["period"] == period)].set_index("item_id")
    # every item moves by the same factor: pro rata to its share of the family total
    np.testing.assert_allclose(c1["consensus"], c0["consensus"] * f, rtol=1e-9)
    assert c1["consensus"].sum() == pytest.approx(total0 * f)
    row1 = family_row(p1, fam, period)
    assert row1["demand"] == pytest.approx(total0 * f)
    assert row1["capacity"] == row0["capacity"]
    assert row1["gap"] == pytest.approx(row0["gap"] - total0 * (f - 1))
    assert row1["utilization"] == pytest.approx(total0 * f / row0["capacity"] * 100)
    # money: every extra unit ships (lost sales cost more than outsourcing), at the item's price
    extra = ((c0["consensus"] * (f - 1)) * prices(svc).reindex(c0.index)).sum()
    assert revenue(p1, fam, period) == pytest.approx((rev0 + extra, unc0 + extra))
    # nothing else moved
    other = (p0.consensus["family"] != fam) | (p0.consensus["period"] != period)
    pd.testing.assert_series_equal(consensus(p1)[other.to_numpy()], consensus(p0)[other.to_numpy()])
    # the stored change carries what was there before and after
    audit = svc.audit_trail()
    top = audit.iloc[0]
    assert (top["kind"], top["level"], top["family"], top["owner"], top["reason"], top["source"]) == (
        "adjustment", "family", fam, "dana", "promo", "grid")
    assert top["before"] == pytest.approx(total0) and top["after"] == pytest.approx(total0 * f)


def test_item_edit_rolls_up(svc: PlanService) -> None:
    item, fam, period = "ELC-101", "Electronics", "2026-04"
    p0 = svc.current_plan()
    v0 = consensus(p0)[(item, period)]
    row0, (rev0, _) = family_row(p0, fam, period), revenue(p0, fam, period)
    svc.apply_edit(level="item", key=item, period=period, text="+200", reason="", owner="dana")
    p1 = svc.current_plan()
    assert consensus(p1)[(item, period)] == pytest.approx(v0 + 200)
    row1 = family_row(p1, fam, period)
    assert row1["demand"] == pytest.approx(row0["demand"] + 200)
    assert row1["gap"] == pytest.approx(row0["gap"] - 200)
    assert revenue(p1, fam, period)[0] == pytest.approx(rev0 + 200 * prices(svc)[item])
    siblings = p0.consensus[(p0.consensus["family"] == fam) & (p0.consensus["item_id"] != item)]
    key = pd.MultiIndex.from_frame(siblings[["item_id", "period"]])
    pd.testing.assert_series_equal(consensus(p1)[key], consensus(p0)[key])
    top = svc.audit_trail().iloc[0]
    assert (top["family"], top["reason"], top["before"], top["after"]) == (fam, "no reason given", v0, v0 + 200)


def test_bad_cells_store_nothing(svc: PlanService) -> None:
    cells = [
        {"level": "item", "key": "ELC-101", "period": "2026-01", "text": "100"},
        {"level": "item", "key": "NOPE-1", "period": "2026-01", "text": "100"},
        {"level": "item", "key": "ELC-102", "period": "2031-01", "text": "100"},
        {"level": "item", "key": "ELC-103", "period": "2026-01", "text": "ten"},
    ]
    with pytest.raises(EditError) as err:
        svc.apply_edits(cells, reason="x", owner="dana")
    assert str(err.value) == (
        "there is no item “NOPE-1” in this plan; 2031-01 is not a month of the plan; "
        "ELC-103 2026-01: “ten” is not a number: type 1200 (set to), +10% or -5% (percentage), +200 or -200 (add)"
    )
    assert svc.state().revision == 0 and len(svc.store.list_adjustments()) == 7
    with pytest.raises(EditError, match="nothing to change"):
        svc.apply_edits([], reason="x", owner="dana")


def block(items: list[str], periods: list[str], values: list[list[float]]) -> list[dict]:
    return [{"level": "item", "key": i, "period": p, "text": str(values[r][c])}
            for r, i in enumerate(items) for c, p in enumerate(periods)]


def test_pasted_block_is_one_change_undone_and_redone_as_one(svc: PlanService) -> None:
    items, periods = ["ELC-101", "ELC-102"], ["2026-02", "2026-03", "2026-04"]
    values = [[100, 110, 120], [200, 210, 220]]
    p0 = svc.current_plan()
    assert svc.apply_edits(block(items, periods, values), reason="customer plan", owner="dana") == 1
    p1 = svc.current_plan()
    for r, i in enumerate(items):
        for c, p in enumerate(periods):
            assert consensus(p1)[(i, p)] == values[r][c]
    audit = svc.audit_trail()
    mine = audit[audit["source"] == "grid"]
    assert len(mine) == 6 and mine["batch_id"].nunique() == 1 and (mine["reason"] == "customer plan").all()

    assert svc.undo(by="dana").startswith("undid 6 cells (ELC-101 2026-02 set to 100")
    assert svc.state().revision == 2
    pd.testing.assert_series_equal(consensus(svc.current_plan()), consensus(p0))
    assert not svc.audit_trail().query("source == 'grid'")["active"].any()  # kept, marked undone

    assert svc.redo(by="dana").startswith("redid 6 cells")
    pd.testing.assert_series_equal(consensus(svc.current_plan()), consensus(p1))
    with pytest.raises(EditError, match="there is nothing to redo"):
        svc.redo(by="dana")


def test_redo_refused_after_a_new_edit(svc: PlanService) -> None:
    svc.apply_edit(level="item", key="KIT-101", period="2026-05", text="+50", reason="a", owner="dana")
    svc.apply_edit(level="item", key="KIT-102", period="2026-05", text="+60", reason="b", owner="dana")
    assert svc.undo(by="dana") == "undid KIT-102 2026-05 +60"
    svc.apply_edit(level="item", key="KIT-103", period="2026-05", text="-10%", reason="c", owner="erik")
    with pytest.raises(EditError, match="newer changes were made after the undo; redo is no longer possible"):
        svc.redo(by="dana")
    assert svc.undo(by="erik") == "undid KIT-103 2026-05 -10%"
    assert svc.undo(by="erik") == "undid KIT-101 2026-05 +50"
    with pytest.raises(EditError, match="there is nothing to undo in this draft"):
        svc.undo(by="erik")  # the sample file's adjustments are not undone from the grid
    assert len(svc.current_plan().adjustments) == 7


# ---------------------------------------------------------------------------- capacity


def test_capacity_edit_turns_a_family_month_constrained_and_undoes(svc: PlanService) -> None:
    fam, period = "Kitchen", "2026-05"
    p0 = svc.current_plan()
    row0 = family_row(p0, fam, period)
    assert row0["status"] == "OK"
    demand = row0["demand"]
    svc.apply_capacity_edits([{"family": fam, "period": period, "text": f"{demand * 0.9:.2f}"}],
                             reason="line maintenance", owner="sam", expected_revision=0)
    row1 = family_row(svc.current_plan(), fam, period)
    cap = round(demand * 0.9, 2)
    assert (row1["status"], row1["capacity"], row1["demand"]) == ("CONSTRAINED", cap, demand)
    assert row1["gap"] == pytest.approx(cap - demand)
    assert row1["utilization"] == pytest.approx(demand / cap * 100)
    top = svc.audit_trail().iloc[0]
    assert (top["kind"], top["family"], top["key"], top["type"], top["before"], top["after"], top["reason"],
            top["owner"]) == ("capacity", fam, fam, "absolute", row0["capacity"], cap, "line maintenance", "sam")
    assert svc.undo(by="sam") == f"undid capacity {fam} {period} set to {cap:,g}"
    assert family_row(svc.current_plan(), fam, period)["status"] == "OK"
    # a relative capacity edit is kept as typed
    svc.apply_capacity_edits([{"family": fam, "period": period, "text": "-50%"}], reason="", owner="sam")
    top = svc.audit_trail().iloc[0]
    assert (top["type"], top["value"], top["after"], top["reason"]) == (
        "percentage", -50.0, row0["capacity"] / 2, "no reason given")
    with pytest.raises(EditError, match="there is no family “Garden” in 2026-05"):
        svc.apply_capacity_edits([{"family": "Garden", "period": period, "text": "1"}], reason="", owner="sam")


# ---------------------------------------------------------------------------- two people, reload


def test_second_writer_with_a_stale_revision_gets_a_conflict_and_nothing_is_lost(db_url: str) -> None:
    first, second = new_service(db_url), new_service(db_url)
    seen = second.state().revision  # both looked at revision 0
    assert first.state().revision == seen == 0
    first.apply_edit(level="item", key="APL-101", period="2026-03", text="999", reason="order", owner="ann",
                     expected_revision=seen)
    with pytest.raises(ConflictError, match="someone else changed this plan .revision 1, you had 0.; reload"):
        second.apply_edit(level="item", key="APL-101", period="2026-03", text="111", reason="mine", owner="bob",
                          expected_revision=seen)
    with pytest.raises(ConflictError):
        second.apply_capacity_edits([{"family": "Appliances", "period": "2026-03", "text": "1"}], reason="x",
                                    owner="bob", expected_revision=seen)
    with pytest.raises(ConflictError):
        second.undo(by="bob", expected_revision=seen)
    for service in (first, second):
        assert consensus(service.current_plan())[("APL-101", "2026-03")] == 999
    audit = second.audit_trail()
    assert audit.iloc[0][["owner", "after", "active"]].tolist() == ["ann", 999.0, True]
    assert "bob" not in set(audit["owner"])
    # after a reload the second person's change goes through
    second.apply_edit(level="item", key="APL-101", period="2026-03", text="111", reason="mine", owner="bob",
                      expected_revision=second.state().revision)
    assert consensus(first.current_plan())[("APL-101", "2026-03")] == 111
    for service in (first, second):
        service.store.engine.dispose()


def test_a_fresh_service_on_the_same_database_shows_the_same_plan(svc: PlanService, db_url: str) -> None:
    svc.apply_edit(level="family", key="Outdoor", period="2026-06", text="+5%", reason="heat wave", owner="dana")
    svc.apply_capacity_edits([{"family": "Outdoor", "period": "2026-07", "text": "+1000"}], reason="", owner="sam")
    svc.apply_edit(level="item", key="OUT-101", period="2026-07", text="0", reason="delisted", owner="dana")
    svc.undo(by="dana")
    before = svc.current_plan()
    again = new_service(db_url)
    after = again.current_plan()
    assert again.state() == svc.state()
    for name in ("consensus", "family_plan", "supply_plan", "financials", "inventory"):
        pd.testing.assert_frame_equal(getattr(after, name), getattr(before, name))
    assert {k: v["value"] for k, v in after.kpis.items()} == pytest.approx(
        {k: v["value"] for k, v in before.kpis.items()}, nan_ok=True)
    pd.testing.assert_frame_equal(again.audit_trail(), svc.audit_trail())
    again.store.engine.dispose()


# ---------------------------------------------------------------------------- audit and summary


def test_audit_trail_and_adjustment_summary(svc: PlanService) -> None:
    svc.apply_edit(level="item", key="OUT-103", period="2026-04", text="+200", reason="catalogue", owner="dana")
    svc.apply_edit(level="family", key="Kitchen", period="2026-02", text="-5%", reason="destock", owner="dana")
    svc.apply_capacity_edits([{"family": "Kitchen", "period": "2026-02", "text": "+500"}], reason="", owner="sam")
    audit = svc.audit_trail()
    assert list(audit.columns) == ["when", "owner", "kind", "level", "family", "key", "period", "type", "value",
                                   "before", "after", "reason", "source", "active", "batch_id"]
    assert len(audit) == 7 + 3 and audit["when"].is_monotonic_decreasing
    assert (audit["family"] != "").all()
    items = audit[audit["level"] == "item"]
    assert items["family"].tolist() == items["key"].str.slice(0, 3).map(
        {"OUT": "Outdoor", "KIT": "Kitchen", "ELC": "Electronics", "APL": "Appliances"}).tolist()
    kitchen = audit[audit["family"] == "Kitchen"]
    assert sorted(kitchen["kind"]) == ["adjustment", "adjustment", "adjustment", "capacity"]
    assert audit[audit["owner"] == "sam"]["kind"].tolist() == ["capacity"]
    assert set(audit["type"]) == {"percentage", "additive", "absolute"}

    kitchen_total = family_row(svc.current_plan(), "Kitchen", "2026-02")["demand"] / 0.95
    summary = svc.adjustment_summary()
    by_owner = summary["by_owner"].set_index("owner")
    assert by_owner.loc["dana", "count"] == 2
    assert by_owner.loc["dana", "net_change"] == pytest.approx(200 - 0.05 * kitchen_total)
    assert "sam" not in by_owner.index  # capacity is not a demand adjustment
    by_type = summary["by_type"].set_index("type")
    assert by_type["count"].sum() == 9 and by_type.loc["percentage", "count"] == 4
    plan = svc.current_plan()
    applied = plan.adjustments
    assert by_type["net_change"].sum() == pytest.approx((applied["after"] - applied["before"]).sum())


# ---------------------------------------------------------------------------- cache, forecast, start-up


def fake_run(calls: list):  # noqa: ANN201
    def statistical_forecast(history, horizon, progress=None, should_cancel=None, **_):  # noqa: ANN001, ANN202
        calls.append(list(horizon))
        if should_cancel is not None and should_cancel():
            raise forecasting.ForecastCancelled("forecast cancelled")
        if progress is not None:
            progress(1.0, "done")
        fc = interim_forecast(history, horizon).assign(model="FakeETS")
        fc["forecast"] = fc["forecast"] * 1.01
        fc["lo95"], fc["hi95"] = fc["lo80"], fc["hi80"]
        models = pd.DataFrame({"item_id": sorted(history["item_id"].unique()), "model": "FakeETS", "error": 0.8})
        return forecasting.ForecastRun(forecast=fc, models=models, metric="MASE")

    return statistical_forecast


def worker_args(svc: PlanService, tmp_path, token: str, force: bool = False) -> dict:  # noqa: ANN001
    return {"token": token, "cycle_id": svc.state().cycle_id, "user": "dana", "trigger": "manual", "force": force,
            "cache_dir": str(tmp_path)}


def run_forecast(svc: PlanService, tmp_path, token: str = "t", force: bool = False) -> dict:  # noqa: ANN001
    """One forecast worker run, in this process, on the test's store."""
    return forecast_worker.run(worker_args(svc, tmp_path, token, force), service=svc)


def test_a_forecast_run_lands_once_as_an_audited_change(svc: PlanService, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path) -> None:  # noqa: ANN001
    calls: list = []
    monkeypatch.setattr(forecasting, "statistical_forecast", fake_run(calls))
    before = svc.current_plan()
    rev0 = svc.state().revision
    assert set(before.forecast["model"]) <= {"seasonal_naive (interim)", "baseline_ma3_trend"}
    # Cancel asked before the run's first step: nothing stored
    JobFiles(tmp_path / "forecast-jobs").set("cancel:c1", True)
    assert run_forecast(svc, tmp_path, "c1")["status"] == "cancelled"
    assert svc.state().forecast_run is None and svc.state().revision == rev0
    out = run_forecast(svc, tmp_path, "t1")
    assert out["status"] == "done" and out["stored"] and calls[-1] == before.horizon
    run_id = out["run_id"]
    again = run_forecast(svc, tmp_path, "t2")
    assert again["run_id"] == run_id and not again["stored"]
    assert len(calls) == 2  # the cycle already has a run: no second run without force
    state = svc.state()
    assert state.forecast_run == run_id and state.revision == rev0 + 1  # a change of the plan, like an edit
    models = svc.store.forecast_models()
    assert len(models) == 47 and set(models["model"]) == {"FakeETS"}
    after = svc.current_plan()
    assert set(after.forecast["model"]) == {"FakeETS"} and after.horizon == before.horizon
    stat = after.consensus.set_index(["item_id", "period"])["statistical"]
    np.testing.assert_allclose(stat, before.consensus.set_index(["item_id", "period"])["statistical"] * 1.01)
    # the audit trail says which run replaced which, with each family's statistical total before and after
    trail = svc.audit_trail()
    fc = trail[trail["kind"] == "forecast"].set_index("family")
    totals = before.consensus.groupby("family")["statistical"].sum()
    assert sorted(fc.index) == sorted(totals.index) and (fc["owner"] == "dana").all()
    np.testing.assert_allclose(fc.loc[totals.index, "before"], totals)
    np.testing.assert_allclose(fc.loc[totals.index, "after"], totals * 1.01)
    assert fc["reason"].iloc[0] == f"statistical forecast: interim forecast replaced by run {run_id}"
    # a demand edit typed on the view from before the forecast landed is refused, naming it
    with pytest.raises(ConflictError, match=f"statistical forecast run {run_id} stored"):
        svc.apply_edits([{"level": "item", "key": "ELC-101", "period": before.horizon[0], "text": "+5%"}],
                        reason="", owner="dana", seen={"version": state.version_id, "revision": rev0})


def test_plan_cache_follows_every_stored_change(svc: PlanService, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setattr(forecasting, "statistical_forecast", fake_run([]))
    plan = svc.current_plan()
    assert svc.current_plan() is plan  # nothing changed: no recompute
    store = svc.store
    states = [svc.state()]
    steps = [
        lambda: svc.apply_edit(level="item", key="ELC-101", period="2026-01", text="1", reason="", owner="d"),
        lambda: svc.apply_capacity_edits([{"family": "Outdoor", "period": "2026-01", "text": "1"}], reason="",
                                         owner="s"),
        lambda: svc.undo(by="s"),
        lambda: svc.redo(by="s"),
        lambda: run_forecast(svc, tmp_path),
        lambda: store.save_settings(Settings(cost_holding=6.0)),
        lambda: store.save_dataset(sample_company(seed=8), source="new upload"),
    ]
    plans = [plan]
    for step in steps:
        step()
        states.append(svc.state())
        plans.append(svc.current_plan())
    assert len(set(states)) == len(states)
    assert len({id(p) for p in plans}) == len(plans)
    assert plans[1].consensus.set_index(["item_id", "period"]).loc[("ELC-101", "2026-01"), "consensus"] == 1
    assert family_row(plans[2], "Outdoor", "2026-01")["capacity"] == 1
    assert family_row(plans[3], "Outdoor", "2026-01")["capacity"] == family_row(plan, "Outdoor", "2026-01")["capacity"]
    assert set(plans[5].forecast["model"]) == {"FakeETS"}


def test_sample_company_kpis_are_believable(svc: PlanService) -> None:
    assert svc.settings().safety_stock_floor and not Settings().safety_stock_floor
    plan = svc.current_plan()
    k = {name: v["value"] for name, v in plan.kpis.items()}
    assert 6 <= k["inventory_turns"] <= 15
    assert 25 <= k["days_of_supply"] <= 60
    assert 2 <= (plan.family_plan["status"] == "CONSTRAINED").sum() <= 4
    assert (plan.inventory["ending"] >= plan.inventory["safety_stock"] - 1e-6).all()


def test_get_service_seeds_and_creates_the_admin_without_forecasting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_forecast(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("get_service must not run the statistical forecast")

    monkeypatch.setattr(forecasting, "statistical_forecast", no_forecast)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("SOP_ADMIN_PASSWORD", "s3cret")
    monkeypatch.setattr(plan_service_module, "_service", None)
    service = plan_service_module.get_service()
    assert plan_service_module.get_service() is service
    assert service.store.check_password("admin", "s3cret")["role"] == "admin"
    assert service.state().forecast_run is None and service.state().revision == 0
    assert service.store.dataset_info()["source"] == "sample company"
    service.store.engine.dispose()


def test_interim_forecast_is_last_years_month(svc: PlanService) -> None:
    data = svc.store.load_company()
    fc = interim_forecast(data.history, ["2026-01", "2026-12", "2027-01"]).set_index(["item_id", "period"])
    actual = data.history.set_index(["item_id", "period"])["actual_units"]
    for item in ("ELC-101", "OUT-105"):
        assert fc.loc[(item, "2026-01"), "forecast"] == actual[(item, "2025-01")]
        assert fc.loc[(item, "2026-12"), "forecast"] == actual[(item, "2025-12")]
        assert fc.loc[(item, "2027-01"), "forecast"] == actual[(item, "2025-01")]
    assert set(fc["model"]) == {"seasonal_naive (interim)"}
    short = data.history[data.history["period"] >= "2025-07"]  # half a year: the reference baseline
    assert set(interim_forecast(short, ["2026-01"])["model"]) == {"baseline_ma3_trend"}


def test_edits_of_unknown_levels_and_approved_versions_are_refused(svc: PlanService) -> None:
    with pytest.raises(EditError, match="edits are made on a family or an item row"):
        svc.apply_edits([{"level": "region", "key": "North", "period": "2026-01", "text": "1"}], reason="",
                        owner="d")
    v = svc.store.current_version()
    svc.store.approve_version(v["id"], by="exec", snapshot=pd.DataFrame(
        columns=["item_id", "period", "statistical", "consensus"]))
    with pytest.raises(ConflictError, match="is approved"):
        svc.store.add_changes(v["id"], [{"level": "item", "key": "ELC-101", "period": "2026-01",
                                         "type": "absolute", "value": 1.0}])
    # edits now go to the new draft, which starts from the approved plan
    svc.apply_edit(level="item", key="ELC-101", period="2026-01", text="5", reason="", owner="d")
    assert svc.state().version_id != v["id"]
    assert consensus(svc.current_plan())[("ELC-101", "2026-01")] == 5
    assert sa.inspect(svc.store.engine).has_table("change_events")


def test_approve_freezes_the_plan_with_owners_for_fva(tmp_path):
    """Approval stores the consensus and who adjusted each cell; the next edit starts a new draft."""
    from services.plan_service import PlanService

    store = Store(make_engine(f"sqlite:///{tmp_path}/a.db"))
    store.ensure_ready()
    svc = PlanService(store)
    plan = svc.current_plan()
    period = plan.horizon[0]
    family = plan.family_plan["family"].iloc[0]
    item = plan.consensus.loc[plan.consensus["family"] != family, "item_id"].iloc[0]
    svc.apply_edit(level="family", key=family, period=period, text="+5%", reason="promo", owner="dana")
    svc.apply_edit(level="item", key=item, period=period, text="+7", reason="deal", owner="kim")
    approved = svc.approve(by="erin")
    snaps = store.plan_snapshots()
    mine = snaps[snaps["version_id"] == approved]
    fam_items = set(plan.consensus.loc[plan.consensus["family"] == family, "item_id"])
    touched = mine[mine["period"] == period].set_index("item_id")["owner"]
    assert set(touched[touched == "dana"].index) == fam_items
    assert touched[item] == "kim"
    assert store.current_version()["id"] != approved  # a new draft
    assert store.get_version(approved)["status"] == "approved"


def test_effective_capacity_from_the_computed_plan_equals_the_stores(svc: PlanService) -> None:
    """The capacity edit path reads capacity from the cached plan data; it must be what the store says."""
    plan = svc.current_plan()
    family, period = plan.family_plan["family"].iloc[0], plan.horizon[0]
    svc.apply_capacity_edits([{"family": family, "period": period, "text": "+10%"}], reason="test", owner="sam")
    svc.current_plan()  # computed: the cached path
    cached = svc.effective_capacity().sort_values(["family", "period", "resource"], ignore_index=True)
    stored = svc.store.effective_capacity().sort_values(["family", "period", "resource"], ignore_index=True)
    pd.testing.assert_frame_equal(cached[stored.columns], stored, check_dtype=False)
