"""The sample company: deterministic, believable, and valid input."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from data import load_company, write_workbook
from data.sample import INTERMITTENT, project_family_demand, sample_company, sample_past_cycles
from planning.model import ADJUSTMENT_COLUMNS, CAPACITY_COLUMNS, HISTORY_COLUMNS, ITEM_COLUMNS


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


def test_history_has_forecasts_with_meaningful_error() -> None:
    h = sample_company().history
    with_fc = h.dropna(subset=["forecast_units"])
    assert len(with_fc) > 0.9 * len(h)
    regular = with_fc[~with_fc["item_id"].isin(INTERMITTENT)]
    wape = (
        (regular["forecast_units"] - regular["actual_units"]).abs().sum()
        / regular["actual_units"].sum()
        * 100
    )
    bias = (regular["forecast_units"] - regular["actual_units"]).sum() / regular["actual_units"].sum() * 100
    assert 6 < wape < 16 and 0 < bias < 6


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
