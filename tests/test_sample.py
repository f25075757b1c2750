"""The sample company: deterministic, believable, and valid input."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from data import load_company, write_workbook
from data.sample import (
    INTERMITTENT,
    PAST_CYCLES,
    project_family_demand,
    sample_company,
    sample_meeting_records,
    sample_past_cycles,
    sample_settings,
)
from data.store import Store, make_engine
from planning.accuracy import accuracy_table
from planning.cycle import compute_plan
from planning.kpis import kpi_names
from planning.lag_accuracy import forecast_value_added, lag_accuracy
from planning.model import ADJUSTMENT_COLUMNS, CAPACITY_COLUMNS, HISTORY_COLUMNS, ITEM_COLUMNS
from services.plan_service import interim_forecast


def test_deterministic() -> None:
    a, b = sample_company(), sample_company()
    for name in ("items", "history", "capacity", "adjustments"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(sample_past_cycles(), sample_past_cycles())
    assert not sample_company(seed=8).history.equals(a.history)


def test_shapes() -> None:
    data = sample_company()
    assert list(data.items.columns) == ITEM_COLUMNS
    assert list(data.history.columns) == HISTORY_COLUMNS
    assert list(data.capacity.columns) == CAPACITY_COLUMNS
    assert list(data.adjustments.columns) == ADJUSTMENT_COLUMNS
    assert data.forecast is None and data.budget is None
    assert data.items["family"].nunique() >= 4 and len(data.items) >= 40
    assert data.items.groupby("family").size().between(10, 14).all()
    periods = sorted(data.history["period"].unique())
    assert len(periods) == 36 and periods[0] == "2023-01" and periods[-1] == "2025-12"
    assert len(data.history) == 36 * len(data.items)
    assert data.items["unit_price"].between(20, 900).all()
    ratio = data.items["unit_cost"] / data.items["unit_price"]
    assert ratio.between(0.445, 0.755).all()
    assert sorted(data.capacity["period"].unique())[0] == "2026-01"
    assert data.capacity["period"].nunique() == 18 and data.capacity["overtime_pct"].isna().all()
    assert 5 <= len(data.adjustments) <= 8
    assert set(data.adjustments["level"]) == {"family", "item"}
    assert set(data.adjustments["type"]) == {"percentage", "additive", "absolute"}
    assert (data.adjustments["reason"] != "").all() and (data.adjustments["owner"] != "").all()
    assert data.adjustments["created_at"].between("2025-12-01", "2025-12-31 23:59").all()


def test_history_forecasts_err_as_real_ones_do() -> None:
    """Family MAPE of the last 12 history months in 10–35 % for every family (the product's own accuracy
    table), items err more than families, the bias stays moderate, intermittent items are forecast at
    their rate."""
    data = sample_company()
    h = data.history
    with_fc = h.dropna(subset=["forecast_units"])
    assert len(with_fc) > 0.9 * len(h)
    last12 = h[h["period"] >= "2025-01"]
    acc = accuracy_table(last12, data.items)
    family = acc[acc["level"] == "family"].set_index("family")
    assert set(family.index) == {"Electronics", "Appliances", "Outdoor", "Kitchen"}
    assert family["mape"].between(10, 35).all(), family["mape"]
    regular = acc[(acc["level"] == "item") & ~acc["item_id"].isin(INTERMITTENT)]
    assert regular["mape"].median() > family["mape"].mean()
    total = acc[acc["level"] == "total"].iloc[0]
    assert -8 < total["bias_pct"] < 8
    # the dashboard's MAPE card: family totals over the last 12 history months
    plan = compute_plan(data, sample_settings(), forecaster=interim_forecast)
    assert 10 <= plan.kpis["mape"]["value"] <= 35
    # intermittent items: forecast near their average rate, never far off in total
    inter = with_fc[with_fc["item_id"].isin(INTERMITTENT)].groupby("item_id")[["forecast_units", "actual_units"]].sum()
    assert (inter["forecast_units"] / inter["actual_units"]).between(0.6, 1.6).all()


def test_next_three_months_hold_a_constraint_the_supply_plan_solves() -> None:
    """The engine's plan of the first start (interim forecast, the sample's settings): a CONSTRAINED
    family-month in the first three horizon months, closed by overtime at a cost; later constraints too."""
    data = sample_company()
    plan = compute_plan(data, sample_settings(), forecaster=interim_forecast)
    fp = plan.family_plan.merge(plan.supply_plan[["family", "period", "overtime", "lost_sales", "cost"]],
                                on=["family", "period"])
    early = fp[(fp["period"] <= "2026-03") & (fp["status"] == "CONSTRAINED")]
    assert list(zip(early["family"], early["period"])) == [("Electronics", "2026-01")]
    row = early.iloc[0]
    assert row["utilization"] > 100 and row["overtime"] > 0 and row["lost_sales"] == 0
    assert row["overtime"] <= 0.15 * row["capacity"] + 1e-6
    later = fp[(fp["period"] > "2026-03") & (fp["status"] == "CONSTRAINED")]
    assert len(later) >= 2


def test_intermittent_items_exist() -> None:
    h = sample_company().history
    zero_share = h.assign(z=h["actual_units"] == 0).groupby("item_id")["z"].mean()
    assert (zero_share > 0.4).sum() >= 5
    assert set(zero_share[zero_share > 0.4].index) == INTERMITTENT


def test_seasonality_and_opening_inventory() -> None:
    data = sample_company()
    fam = (
        data.history.merge(data.items[["item_id", "family"]])
        .groupby(["family", "period"])["actual_units"]
        .sum()
    )
    outdoor = fam["Outdoor"]
    assert outdoor["2025-06"] > 2 * outdoor["2025-01"]
    last3 = data.history[data.history["period"] >= "2025-10"].groupby("item_id")["actual_units"].mean()
    months = data.items.set_index("item_id")["opening_inventory"] / last3
    assert months[last3 > 0].between(0.45, 1.55).all()


def test_some_family_months_bind() -> None:
    data = sample_company()
    proj = project_family_demand(data.history, data.items)
    m = proj.merge(data.capacity, on=["family", "period"])
    binding = m[m["demand"] > m["capacity_units"]]
    assert 2 <= len(binding) <= 4
    assert (m["demand"] / m["capacity_units"]).between(0.3, 1.3).all()


def test_passes_validation_as_a_workbook() -> None:
    data = sample_company()
    buf = io.BytesIO()
    write_workbook(data, buf)
    back, issues = load_company({"sample.xlsx": buf.getvalue()})
    assert issues == []
    for name in ("items", "history", "capacity", "adjustments"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(back, name))


def test_past_cycles() -> None:
    past = sample_past_cycles()
    assert list(past.columns) == ["cycle_period", "item_id", "period", "statistical", "consensus", "owner"]
    assert sorted(past["cycle_period"].unique()) == [
        "2025-07",
        "2025-08",
        "2025-09",
        "2025-10",
        "2025-11",
        "2025-12",
    ]
    first = past[past["cycle_period"] == "2025-07"]
    assert sorted(first["period"].unique()) == [
        "2025-07",
        "2025-08",
        "2025-09",
        "2025-10",
        "2025-11",
        "2025-12",
    ]
    assert not past.duplicated(["cycle_period", "item_id", "period"]).any()
    assert (past[["statistical", "consensus"]] >= 0).all().all()
    changed = past["consensus"] != past["statistical"]
    assert 0.1 < changed.mean() < 0.4
    assert (past.loc[changed, "owner"] != "").all() and (past.loc[~changed, "owner"] == "").all()
    # the judgement adds value on the whole: consensus beats statistical where actuals exist
    actual = sample_company().history.set_index(["item_id", "period"])["actual_units"]
    known = past[past["period"] <= "2025-12"]
    a = actual.reindex(pd.MultiIndex.from_frame(known[["item_id", "period"]])).to_numpy()
    err_stat = np.abs(known["statistical"].to_numpy() - a).sum()
    err_cons = np.abs(known["consensus"].to_numpy() - a).sum()
    assert err_cons < err_stat


def test_past_plans_err_like_real_ones_and_judgement_mostly_helps() -> None:
    """The past cycles' approved plans, measured as /data and /metrics measure them (planning.lag_accuracy):
    family MAPE of the statistical forecast 10–35 %, growing with the lag; consensus beats statistical on
    the whole (forecast value added positive in total and for most families) but not for every family."""
    data, past = sample_company(), sample_past_cycles()
    lag = lag_accuracy(past, data.history, data.items)
    fam = lag[lag["level"] == "family"]
    per_family = fam.groupby("family")["stat_mape"].mean()
    assert len(per_family) == 4 and per_family.between(10, 35).all(), per_family
    assert fam["stat_mape"].between(5, 40).all()
    by_lag = fam.groupby("lag")["stat_mape"].mean()
    assert list(by_lag.index) == [1, 2, 3] and by_lag.is_monotonic_increasing and by_lag[3] > by_lag[1] + 2
    fva = forecast_value_added(past, data.history, data.items)
    families = fva[fva["level"] == "family"].set_index("family")["fva_pct"]
    total = fva[fva["level"] == "total"]["fva_pct"].iloc[0]
    assert total > 0 and families.mean() > 0
    assert (families > 0).sum() == 3 and families["Outdoor"] < 0


def test_past_meeting_records() -> None:
    rec = sample_meeting_records()
    pd.testing.assert_frame_equal(rec["decisions"], sample_meeting_records()["decisions"])
    assert list(rec["cycles"]["period"]) == PAST_CYCLES
    assert (rec["cycles"]["closed_at"] > rec["cycles"]["approved_at"]).all()
    dec, act = rec["decisions"], rec["actions"]
    assert set(dec["cycle_period"]) == set(act["cycle_period"]) == set(PAST_CYCLES)
    assert set(dec["topic"]) <= {"demand", "supply", "financial", "strategic"} and dec["topic"].nunique() == 4
    assert set(dec["status"]) <= {"agreed", "done", "dropped"} and (dec["recorded_by"] == "fay").all()
    assert dec["impact_amount"].notna().sum() >= 12
    # an overtime decision quotes the cost the cycle's supply plan computed: units × the overtime cost
    overtime = dec[dec["decision"].str.startswith("Approve overtime for ")]
    assert len(overtime) >= 2
    units = overtime["decision"].str.extract(r": ([\d,]+) units")[0].str.replace(",", "").astype(float)
    assert (abs(overtime["impact_amount"] - units * sample_settings().cost_overtime) <= 15).all()
    # actions: done on time, done late, late and open; the open ones of the last cycle are carried
    due = pd.to_datetime(act["due_date"])
    done = act["status"] == "done"
    assert (done & (act["done_at"] <= due + pd.Timedelta(days=1))).any()
    assert (done & (act["done_at"] > due + pd.Timedelta(days=1))).any()
    assert (~done).any() and set(act.loc[~done, "cycle_period"]) == {"2025-12"}
    assert (~done & (due < pd.Timestamp("2025-12-31"))).any()  # passed its due date, not done: late
    assert act["carry"].equals(~done)
    # the agenda: the reference's seven items with their minutes, and the time each really took
    ag = rec["agenda"]
    first = ag[ag["cycle_period"] == "2025-07"]
    assert list(first["key"]) == ["performance", "demand", "supply", "financial", "scenarios", "strategic",
                                  "decisions"]
    assert list(first["planned_minutes"]) == [15, 30, 30, 20, 45, 30, 20]
    ratio = ag["actual_seconds"] / (ag["planned_minutes"] * 60)
    assert ratio.between(0.4, 2.5).all() and ratio.std() > 0.1
    att = rec["attendees"]
    assert att.groupby("cycle_period").size().min() >= 5 and {"erin", "fay"} <= set(att["username"].dropna())
    assert set(rec["kpis"]["name"]) == set(kpi_names())


def test_seeded_store_holds_the_past_meetings(tmp_path) -> None:  # noqa: ANN001
    store = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    store.ensure_ready()
    cycles = store.list_cycles()
    past = cycles[cycles["period"].isin(PAST_CYCLES)]
    assert list(past["status"]) == ["closed"] * 6 and past["closed_at"].notna().all()
    assert (past["closed_by"] == "fay").all()
    current = store.current_cycle()
    assert current["period"] == "2026-01" and current["status"] == "open"
    snaps = store.plan_snapshots()
    approved = snaps.groupby("cycle_period")["version_id"].first()
    assert list(approved.index) == PAST_CYCLES
    for cid, period in zip(past["id"], past["period"]):
        dec, act = store.list_decisions(int(cid)), store.list_actions(int(cid))
        assert len(dec) >= 1 and len(act) >= 1
        assert (dec["version_id"] == approved[period]).all()
    # the open actions of 2025-12 are carried into the current cycle, naming the original
    last = int(past["id"].iloc[-1])
    open_last = store.list_actions(last)
    open_last = open_last[open_last["status"] != "done"]
    carried = store.list_actions()
    assert len(carried) == len(open_last) >= 2
    assert sorted(carried["carried_from"].astype(int)) == sorted(open_last["id"].astype(int))
    assert list(carried["description"]) == list(open_last["description"])
    # the KPI history: a point per past cycle for every KPI, forecast accuracy among them
    hist = store.kpi_history()
    mape = hist[hist["name"] == "mape"]
    assert list(mape["cycle_period"]) == PAST_CYCLES and mape["value"].between(10, 35).all()
    assert hist.groupby("cycle_period").size().eq(len(kpi_names())).all()
