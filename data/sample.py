"""The embedded sample company: what the first start of the product shows.

Four families, 47 items, 36 months of history (2023-01..2025-12) with trend, yearly
seasonality, noise and five intermittent items; a past forecast on the history that errs as real
ones do (a family-wide miss each month and a drifting bias: family MAPE 10–35 %); capacity for the
18-month horizon 2026-01..2027-06 with four binding family-months, one of them in the first month
(Electronics 2026-01: a line changeover during the post-holiday promotion, closed by overtime); a
few adjustments. Six past cycles (2025-07..2025-12) with their approved plans (`sample_past_cycles`)
and what their executive meetings left behind (`sample_meeting_records`: agenda and real times,
attendees, decisions quoting each cycle's computed plan, action items, the KPI history).
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from data.schema import index_to_period, period_to_index
from planning.model import (
    ADJUSTMENT_COLUMNS,
    CAPACITY_COLUMNS,
    HISTORY_COLUMNS,
    ITEM_COLUMNS,
    CompanyData,
    Settings,
)

FIRST_MONTH = "2023-01"
N_MONTHS = 36  # history 2023-01..2025-12
HORIZON = 18  # 2026-01..2027-06
PAST_CYCLES = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]

# family: (prefix, price range, monthly base units range, seasonality Jan..Dec, item names)
FAMILIES: dict[str, tuple[str, tuple[float, float], tuple[float, float], list[float], list[str]]] = {
    "Electronics": (
        "ELC",
        (150, 900),
        (250, 1800),
        [0.85, 0.8, 0.9, 0.9, 0.95, 0.95, 0.95, 1.0, 1.0, 1.05, 1.3, 1.5],
        [
            "Bluetooth speaker",
            "Noise-cancelling headphones",
            "Smart watch",
            "Tablet 10in",
            "E-reader",
            "Action camera",
            "Wireless earbuds",
            "Smart home hub",
            "Portable projector",
            "Gaming headset",
            "Dash camera",
            "Drone mini",
        ],
    ),
    "Appliances": (
        "APL",
        (200, 800),
        (150, 1200),
        [0.85, 0.85, 0.95, 1.05, 1.1, 1.2, 1.2, 1.15, 1.0, 0.95, 0.9, 0.8],
        [
            "Washing machine",
            "Tumble dryer",
            "Dishwasher",
            "Fridge-freezer",
            "Chest freezer",
            "Induction hob",
            "Built-in oven",
            "Cooker hood",
            "Air conditioner",
            "Dehumidifier",
            "Robot vacuum",
            "Water heater",
        ],
    ),
    "Outdoor": (
        "OUT",
        (20, 300),
        (200, 2000),
        [0.5, 0.55, 0.8, 1.1, 1.4, 1.7, 1.65, 1.35, 1.0, 0.75, 0.6, 0.6],
        [
            "Gas barbecue",
            "Charcoal grill",
            "Garden lounger",
            "Patio parasol",
            "Hose reel",
            "Lawn trimmer",
            "Camping tent 4p",
            "Sleeping bag",
            "Cool box",
            "Solar lantern",
            "Garden bench",
        ],
    ),
    "Kitchen": (
        "KIT",
        (20, 150),
        (400, 3000),
        [0.95, 0.85, 0.9, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.2, 1.3],
        [
            "Chef knife",
            "Non-stick pan 28cm",
            "Stock pot",
            "Blender",
            "Toaster",
            "Kettle",
            "Coffee grinder",
            "Cutting board set",
            "Stand mixer",
            "Food storage set",
            "Cast iron skillet",
            "Espresso machine",
        ],
    ),
}
# the last item of each family, and one more Outdoor item, sell only now and then
INTERMITTENT = {"ELC-112", "APL-112", "OUT-111", "KIT-112", "OUT-110"}
FORECAST_BIAS = {"Electronics": 0.05, "Appliances": 0.02, "Outdoor": -0.03, "Kitchen": 0.03}
# the family-months where capacity is short of demand: (family, period) → capacity / projected demand.
# Electronics 2026-01: Line 2 is retooled for the new earbuds during the post-holiday promotion.
BINDING = {("Electronics", "2026-01"): 0.82, ("Electronics", "2026-12"): 0.93, ("Appliances", "2026-08"): 0.82, ("Outdoor", "2026-06"): 0.9}
FAMILY_MISS = 0.18  # spread of a family's monthly forecast miss (history forecasts)
PAST_MISS = 0.13  # size of a family's miss at lag 1 in the past cycles' plans ...
LAG_STEP = 0.06  # ... and the spread of what each further month of lag adds
JUDGEMENT_HELPS = {"Electronics": 0.85, "Appliances": 0.85, "Kitchen": 0.85, "Outdoor": 0.15}
CAPACITY_HEADROOM = {"Electronics": 1.12, "Appliances": 1.18, "Outdoor": 1.15, "Kitchen": 1.2}
CAPACITY_FLOOR = 0.8  # share of the family's peak demand that is always staffed


def sample_settings() -> Settings:
    """The settings stored with the sample company: safety stock kept as a floor on inventory.

    Without the floor the optimizer runs inventory down to almost nothing (holding costs), which
    makes inventory turns and days of supply of a demo company implausible; with it they come out
    near 11 turns and 31 days. The engine's own default (headless command) stays off.
    """
    return Settings(safety_stock_floor=True)


def history_periods() -> list[str]:
    start = int(period_to_index([FIRST_MONTH])[0])
    return index_to_period(np.arange(start, start + N_MONTHS))


def horizon_periods() -> list[str]:
    start = int(period_to_index([FIRST_MONTH])[0]) + N_MONTHS
    return index_to_period(np.arange(start, start + HORIZON))


def sample_company(seed: int = 7) -> CompanyData:
    """The sample company's planning inputs (no forecast table: the engine forecasts)."""
    rng = np.random.default_rng(seed)
    items = _items(rng)
    history = _history(rng, items, np.random.default_rng(seed + 500))
    last3 = history[history["period"] >= "2025-10"].groupby("item_id")["actual_units"].mean()
    months_cover = rng.uniform(0.5, 1.5, len(items))
    items["opening_inventory"] = np.round(items["item_id"].map(last3).to_numpy() * months_cover)
    capacity = _capacity(history, items)
    adjustments = _adjustments(history, items)
    return CompanyData(
        items=items[ITEM_COLUMNS],
        history=history[HISTORY_COLUMNS],
        capacity=capacity[CAPACITY_COLUMNS],
        forecast=None,
        adjustments=adjustments[ADJUSTMENT_COLUMNS],
        budget=None,
    )


def _items(rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for family, (prefix, (p_lo, p_hi), _, _, names) in FAMILIES.items():
        n = len(names)
        price = np.round(np.exp(rng.uniform(np.log(p_lo), np.log(p_hi), n)), 2)
        cost = np.round(price * rng.uniform(0.45, 0.75, n), 2)
        frames.append(
            pd.DataFrame(
                {
                    "item_id": [f"{prefix}-{101 + i}" for i in range(n)],
                    "family": family,
                    "unit_price": price,
                    "unit_cost": cost,
                    "opening_inventory": 0.0,
                    "safety_days": np.where(rng.random(n) < 0.15, 45.0, np.nan),
                    "description": names,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _history(rng: np.random.Generator, items: pd.DataFrame, err_rng: np.random.Generator) -> pd.DataFrame:
    periods = history_periods()
    n_items, n_t = len(items), len(periods)
    t = np.arange(n_t)
    month = period_to_index(periods) % 12
    season = np.vstack([np.asarray(FAMILIES[f][3]) / np.mean(FAMILIES[f][3]) for f in items["family"]])
    base_lo = np.array([FAMILIES[f][2][0] for f in items["family"]])
    base_hi = np.array([FAMILIES[f][2][1] for f in items["family"]])
    base = np.exp(rng.uniform(np.log(base_lo), np.log(base_hi)))
    growth = rng.uniform(-0.004, 0.012, n_items)
    amplitude = rng.uniform(0.8, 1.2, n_items)
    seasonal = 1 + amplitude[:, None] * (season[:, month] - 1)
    level = base[:, None] * (1 + growth[:, None]) ** t[None, :] * seasonal
    actual = level * (1 + rng.normal(0, 0.07, (n_items, n_t)))

    intermittent = items["item_id"].isin(INTERMITTENT).to_numpy()
    occurs = rng.random((n_items, n_t)) < 0.35
    sizes = rng.poisson(rng.uniform(5, 20, n_items)[:, None], (n_items, n_t)) + 1
    actual = np.where(intermittent[:, None], occurs * sizes, actual)
    actual = np.round(np.clip(actual, 0, None))

    # Past forecasts err as real ones do: a family-wide miss each month (a promotion nobody planned, a
    # cold spring) and a bias that drifts over the years, both shared by the family's items, plus the
    # item's own noise. Independent item noise alone would average out to a family error of ~3 %.
    fam_err = _family_forecast_error(err_rng, n_t)
    shared = np.vstack([fam_err[f] for f in items["family"]])
    forecast = actual * np.clip(1 + shared + rng.normal(0, 0.15, (n_items, n_t)), 0.3, None)
    mean_size = np.where(actual > 0, actual, np.nan)
    rate = np.nanmean(mean_size, axis=1) * np.mean(actual > 0, axis=1)
    forecast_int = rate[:, None] * np.clip(1 + 0.5 * shared + rng.normal(0, 0.2, (n_items, n_t)), 0.3, None)
    forecast = np.where(intermittent[:, None], forecast_int, forecast)
    forecast = np.round(np.clip(forecast, 0, None))
    forecast[:, :3] = np.nan  # no forecast had been made for the first three months

    return pd.DataFrame(
        {
            "item_id": np.repeat(items["item_id"].to_numpy(), n_t),
            "period": np.tile(periods, n_items),
            "actual_units": actual.ravel(),
            "forecast_units": forecast.ravel(),
        }
    ).sort_values(["item_id", "period"], ignore_index=True)


def _family_forecast_error(rng: np.random.Generator, n_t: int, sigma: float = FAMILY_MISS) -> dict[str, np.ndarray]:
    """Relative error of a family's forecast per month: its bias, drifting as a random walk, plus a
    month's miss (partly carried into the next month: forecasters react late)."""
    out = {}
    for family, bias in FORECAST_BIAS.items():
        drift = bias + np.cumsum(rng.normal(0, 0.012, n_t))
        miss = rng.normal(0, sigma, n_t)
        miss[1:] += 0.35 * miss[:-1]
        out[family] = drift + miss
    return out


def project_family_demand(history: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """A simple seasonal projection per family for the horizon: last year's month × yearly growth."""
    fam = history.merge(items[["item_id", "family"]], on="item_id")
    fam["year"] = fam["period"].str.slice(0, 4)
    fam["month"] = fam["period"].str.slice(5, 7)
    by_year = fam.groupby(["family", "year"])["actual_units"].sum().unstack()
    growth = (by_year["2025"] / by_year["2024"]).rename("growth")
    last = fam[fam["year"] == "2025"].groupby(["family", "month"])["actual_units"].sum().rename("last")
    rows = pd.DataFrame({"period": horizon_periods()})
    rows["month"] = rows["period"].str.slice(5, 7)
    rows["years"] = rows["period"].str.slice(0, 4).astype(int) - 2025
    out = pd.DataFrame({"family": list(FAMILIES)}).merge(rows, how="cross")
    out = out.merge(last.reset_index(), on=["family", "month"]).merge(growth.reset_index(), on="family")
    out["demand"] = out["last"] * out["growth"] ** out["years"]
    return out[["family", "period", "demand"]].sort_values(["family", "period"], ignore_index=True)


def _capacity(history: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Capacity set per quarter with headroom (never below a floor), short in the BINDING months.

    In the BINDING family-months (a line shutdown, a supplier limit) capacity is set below the
    projected demand, so those months are CONSTRAINED and the rest are OK or TIGHT.
    """
    proj = project_family_demand(history, items)
    peak = proj.groupby("family")["demand"].transform("max")
    headroom = proj["family"].map(CAPACITY_HEADROOM)
    ratio = pd.Series(
        [BINDING.get((f, p), np.nan) for f, p in zip(proj["family"], proj["period"])], index=proj.index
    )
    # staffing changes once a quarter: enough for the quarter's busiest (non-shutdown) month
    quarter = (
        proj["period"].str.slice(0, 4)
        + "Q"
        + ((proj["period"].str.slice(5, 7).astype(int) - 1) // 3).astype(str)
    )
    busiest = proj["demand"].where(ratio.isna()).groupby([proj["family"], quarter]).transform("max")
    normal = np.maximum(busiest * headroom, CAPACITY_FLOOR * peak)
    capacity = normal.where(ratio.isna(), proj["demand"] * ratio)
    return pd.DataFrame(
        {
            "family": proj["family"],
            "period": proj["period"],
            "capacity_units": np.round(capacity / 50) * 50,
            "resource": "",
            "overtime_pct": np.nan,
        }
    )


def _adjustments(history: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    kit_recent = history[(history["item_id"] == "KIT-103") & (history["period"] >= "2025-01")]["actual_units"]
    rows = [
        (
            "family",
            "Electronics",
            "2026-01",
            "percentage",
            8.0,
            "Post-holiday promotion with retail partners",
            "Marketing",
            "2025-12-15 09:30",
        ),
        (
            "family",
            "Appliances",
            "2026-02",
            "additive",
            -400.0,
            "Competitor price cut on washers",
            "Sales",
            "2025-12-16 11:00",
        ),
        (
            "item",
            "OUT-101",
            "2026-04",
            "percentage",
            15.0,
            "Early spring catalogue feature",
            "Marketing",
            "2025-12-17 14:10",
        ),
        (
            "item",
            "KIT-103",
            "2026-03",
            "absolute",
            float(np.round(kit_recent.mean() * 1.5, -1)),
            "Confirmed hotel chain order",
            "Key Accounts",
            "2025-12-18 10:00",
        ),
        (
            "family",
            "Kitchen",
            "2026-01",
            "percentage",
            -5.0,
            "Retailer destocking after the holidays",
            "Sales",
            "2025-12-19 16:45",
        ),
        (
            "item",
            "ELC-104",
            "2026-02",
            "additive",
            250.0,
            "New distributor in the Nordics",
            "Sales",
            "2025-12-22 08:50",
        ),
        (
            "family",
            "Outdoor",
            "2026-05",
            "additive",
            600.0,
            "Garden-centre pre-season orders",
            "Key Accounts",
            "2025-12-22 15:20",
        ),
    ]
    df = pd.DataFrame(
        rows, columns=["level", "key", "period", "type", "value", "reason", "owner", "created_at"]
    )
    df.insert(0, "seq", np.arange(len(df), dtype="int64"))
    df["created_at"] = pd.to_datetime(df["created_at"]).astype("datetime64[ns]")
    return df


def sample_past_cycles(seed: int = 7) -> pd.DataFrame:
    """Approved plans of the six cycles before the first one (2025-07..2025-12).

    Cycle P planned the months P..P+5 (lag 1..6 as planning.lag_accuracy counts). The statistical
    forecast misses by family and month (family MAPE 10–35 %, growing with the lag; successive cycles'
    plans for a month move step by step) plus item noise; the consensus changes a quarter of the
    family-months by judgement, mostly toward what happened (forecast value added positive in total),
    Outdoor's mostly not (negative there). Months after the history are planned around what the
    first cycle's own forecast says, so "vs last month" compares like with like.
    Columns: cycle_period, item_id, period, statistical, consensus, owner.
    """
    data = sample_company(seed)
    rng = np.random.default_rng(seed + 1000)
    items = data.items[["item_id", "family"]]
    cyc = pd.DataFrame({"cycle_period": PAST_CYCLES, "c_idx": period_to_index(PAST_CYCLES)})
    lags = pd.DataFrame({"lag": np.arange(6)})
    df = cyc.merge(lags, how="cross").merge(items, how="cross")
    df["period"] = index_to_period(df["c_idx"] + df["lag"])
    n = len(df)

    hist = data.history.set_index(["item_id", "period"])["actual_units"]
    actual = hist.reindex(pd.MultiIndex.from_frame(df[["item_id", "period"]])).to_numpy()
    # months after the history: what the cycle's own forecast will say (last year's month, as the interim
    # forecast has it), so last month's plan and this month's differ by what was learned, not by a new model
    ly_period = index_to_period(period_to_index(df["period"]) - 12)
    projected = hist.reindex(pd.MultiIndex.from_arrays([df["item_id"], ly_period])).to_numpy()
    truth = np.where(np.isnan(actual), projected, actual)

    # The statistical forecast misses by family and month, a miss shared by the family's items: what could
    # not be known even a month ahead, plus what each month of lag hides and the next cycle learns (so
    # successive plans for a month move step by step), around the family's bias as it stood in the cycle;
    # plus each item's own noise.
    cells = df[["cycle_period", "family", "period", "lag"]].drop_duplicates(ignore_index=True)
    targets = cells[["family", "period"]].drop_duplicates(ignore_index=True)
    n_tg = len(targets)
    steps = np.column_stack([
        rng.choice([-1.0, 1.0], n_tg) * rng.uniform(0.6, 1.4, n_tg) * PAST_MISS,
        rng.normal(0, LAG_STEP, (n_tg, 5)),
    ])
    steps[(targets["period"] > history_periods()[-1]).to_numpy(), 0] = 0.0  # no actual to miss yet
    hidden = pd.DataFrame(np.cumsum(steps, axis=1), index=pd.MultiIndex.from_frame(targets))
    at_lag = hidden.reindex(pd.MultiIndex.from_frame(cells[["family", "period"]])).to_numpy()
    drift = {f: FORECAST_BIAS[f] + np.cumsum(rng.normal(0, 0.015, len(PAST_CYCLES))) for f in FAMILIES}
    cycle_bias = {(c, f): drift[f][k] for k, c in enumerate(PAST_CYCLES) for f in FAMILIES}
    cells["shared"] = np.array([cycle_bias[(c, f)] for c, f in zip(cells["cycle_period"], cells["family"])]) + (
        at_lag[np.arange(len(cells)), cells["lag"].to_numpy()]
    )
    keys = ["cycle_period", "family", "period"]
    shared = df[keys].merge(cells, on=keys, how="left")["shared"].to_numpy()
    intermittent = df["item_id"].isin(INTERMITTENT).to_numpy()
    rate = data.history.groupby("item_id")["actual_units"].mean()
    statistical = np.where(
        intermittent,
        df["item_id"].map(rate).to_numpy() * np.clip(1 + 0.5 * shared + rng.normal(0, 0.15, n), 0.3, None),
        truth * np.clip(1 + shared + rng.normal(0, 0.08, n), 0.3, None),
    )
    statistical = np.round(np.clip(statistical, 0, None))

    # Judgement at family level (a quarter of the family-months): mostly toward what happened, not always;
    # the Outdoor team's calls on the weather mostly went the wrong way. Spread to the items pro rata.
    sums = (
        df[keys].assign(statistical=statistical, truth=truth).groupby(keys, as_index=False)[["statistical", "truth"]].sum()
    )
    cells = cells.merge(sums, on=keys, how="left")
    adjusted = rng.random(len(cells)) < np.where(cells["family"] == "Outdoor", 0.45, 0.25)
    helpful = rng.random(len(cells)) < cells["family"].map(JUDGEMENT_HELPS).to_numpy()
    stat_t, truth_t = cells["statistical"].to_numpy(), cells["truth"].to_numpy()
    toward = stat_t + rng.uniform(0.3, 0.7, len(cells)) * (truth_t - stat_t)
    away = stat_t * (1 + np.sign(stat_t - truth_t + 1e-9) * rng.uniform(0.06, 0.18, len(cells)))
    target = np.where(adjusted, np.where(helpful, toward, away), stat_t)
    cells["factor"] = np.where(stat_t > 0, target / np.where(stat_t > 0, stat_t, 1.0), 1.0)
    cells["who"] = np.where(adjusted, np.array(["Sales", "Marketing", "Key Accounts", "Demand Planning"])[
        rng.integers(0, 4, len(cells))], "")
    per_cell = df[keys].merge(cells[[*keys, "factor", "who"]], on=keys, how="left")
    consensus = np.round(np.clip(statistical * per_cell["factor"].to_numpy(), 0, None))
    owner = np.where(consensus != statistical, per_cell["who"].to_numpy(), "")
    out = pd.DataFrame(
        {
            "cycle_period": df["cycle_period"],
            "item_id": df["item_id"],
            "period": df["period"],
            "statistical": statistical.astype(float),
            "consensus": consensus.astype(float),
            "owner": owner,
        }
    )
    return out.sort_values(["cycle_period", "item_id", "period"], ignore_index=True)


# ---------------------------------------------------------------------------- the past cycles' meetings

# the people at the executive S&OP meeting: (name, username or None for someone without an account, function)
ATTENDEES = [
    ("Erin", "erin", "CEO"),
    ("Fay", "fay", "S&OP facilitator"),
    ("Dana", "dana", "Demand planning"),
    ("Sam", "sam", "Supply planning"),
    ("Marco", None, "Finance director"),
    ("Lena", None, "Sales director"),
    ("Priya", None, "Operations director"),
    ("Tom", None, "Marketing manager"),
]
# the reference's seven agenda items: key, title, planned minutes
AGENDA = [
    ("performance", "Performance review", 15.0),
    ("demand", "Demand review", 30.0),
    ("supply", "Supply review", 30.0),
    ("financial", "Financial review", 20.0),
    ("scenarios", "Scenarios and trade-offs", 45.0),
    ("strategic", "Strategic issues", 30.0),
    ("decisions", "Decisions and actions", 20.0),
]
# months of the past cycles where capacity was short of the plan: (family, period) → capacity / actual demand
PAST_BINDING = {("Electronics", "2025-11"): 0.86, ("Outdoor", "2025-07"): 0.9}
MEETING_DAY = 20  # the executive meeting of cycle P is held on the working day nearest the 20th of P
FACILITATOR = "fay"


def _meeting_day(period: str) -> pd.Timestamp:
    day = pd.Timestamp(f"{period}-{MEETING_DAY:02d}")
    return day - pd.Timedelta(days=max(0, day.dayofweek - 4))  # Saturday/Sunday → the Friday before


def _past_capacity(history: pd.DataFrame, items: pd.DataFrame, capacity: pd.DataFrame) -> pd.DataFrame:
    """Capacity of the months the past cycles planned: before the horizon it was staffed like the sample's
    (per quarter for its busiest month, with headroom, never below a floor), short in PAST_BINDING months;
    from the horizon on it is the sample's capacity."""
    fam = history.merge(items[["item_id", "family"]], on="item_id").groupby(["family", "period"], as_index=False)[
        "actual_units"].sum()
    fam = fam[fam["period"] >= "2025-01"].copy()
    quarter = fam["period"].str.slice(0, 4) + "Q" + ((fam["period"].str.slice(5, 7).astype(int) - 1) // 3).astype(str)
    busiest = fam.groupby(["family", quarter])["actual_units"].transform("max")
    peak = fam.groupby("family")["actual_units"].transform("max")
    normal = np.maximum(busiest * fam["family"].map(CAPACITY_HEADROOM), CAPACITY_FLOOR * peak)
    ratio = pd.Series([PAST_BINDING.get((f, p), np.nan) for f, p in zip(fam["family"], fam["period"])],
                      index=fam.index)
    fam["capacity_units"] = np.round(normal.where(ratio.isna(), fam["actual_units"] * ratio) / 50) * 50
    past = fam[fam["period"] >= PAST_CYCLES[0]].assign(resource="", overtime_pct=np.nan)
    return pd.concat([past[CAPACITY_COLUMNS], capacity[CAPACITY_COLUMNS]], ignore_index=True)


def _past_plans(seed: int) -> dict[str, object]:
    """Each past cycle's plan as the engine computes it from what was known then: the history before the
    cycle, the approved consensus (as the forecast) for its six months, the capacity of those months and an
    opening inventory of the same months of cover as the sample's."""
    from planning.cycle import compute_plan  # the engine, only when the sample's meeting records are made

    data, past = sample_company(seed), sample_past_cycles(seed)
    capacity = _past_capacity(data.history, data.items, data.capacity)
    last3 = data.history[data.history["period"] >= "2025-10"].groupby("item_id")["actual_units"].mean()
    cover = (data.items.set_index("item_id")["opening_inventory"] / last3.replace(0, np.nan)).fillna(1.0)
    plans = {}
    for cycle_period in PAST_CYCLES:
        idx = int(period_to_index([cycle_period])[0])
        before = index_to_period(np.arange(idx - 3, idx))
        hist = data.history[data.history["period"] < cycle_period]
        recent = hist[hist["period"].isin(before)].groupby("item_id")["actual_units"].mean()
        items = data.items.assign(
            opening_inventory=np.round(data.items["item_id"].map(recent * cover).fillna(0.0).to_numpy()))
        snap = past[past["cycle_period"] == cycle_period]
        forecast = snap.rename(columns={"consensus": "forecast_units"})[["item_id", "period", "forecast_units"]]
        periods = sorted(snap["period"].unique())
        cap = capacity[capacity["period"].isin(periods)]
        company = CompanyData(items=items[ITEM_COLUMNS], history=hist[HISTORY_COLUMNS],
                              capacity=cap[CAPACITY_COLUMNS].reset_index(drop=True),
                              forecast=forecast.reset_index(drop=True),
                              adjustments=data.adjustments.iloc[0:0], budget=None)
        plans[cycle_period] = compute_plan(company, sample_settings())
    return plans


def _money(v: float) -> str:
    return f"{v:,.0f}"


def sample_meeting_records(seed: int = 7) -> dict[str, pd.DataFrame]:
    """What the six past cycles' executive meetings left behind, deterministic per seed.

    Frames keyed by table: 'cycles' (period, created_at, approved_at, approved_by, closed_at, closed_by),
    'kpis' (cycle_period, name, value: each cycle's approved plan's KPIs, computed by the engine from what
    was known then), 'meetings', 'agenda', 'attendees', 'decisions' and 'actions' (each with cycle_period;
    decisions and actions carry a `ref` so an action can name the decision it carries out; actions left
    open in the last past cycle have `carry` = True: the current cycle holds a copy of each).
    The decisions quote the figures of that cycle's computed plan.
    """
    return {k: v.copy() for k, v in _meeting_records(seed).items()}


@functools.lru_cache(maxsize=2)
def _meeting_records(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed + 3000)
    data = sample_company(seed)
    past = sample_past_cycles(seed)
    plans = _past_plans(seed)
    family_of = data.items.set_index("item_id")["family"]
    price = data.items.set_index("item_id")["unit_price"]
    settings = sample_settings()

    cycles, kpis, meetings, agenda, attendees, decisions, actions = [], [], [], [], [], [], []
    decided: set[tuple[str, str]] = set()
    last_margin: float | None = None
    for n, cycle_period in enumerate(PAST_CYCLES):
        plan = plans[cycle_period]
        day = _meeting_day(cycle_period)
        start = day + pd.Timedelta(hours=14)
        nxt = index_to_period(period_to_index([cycle_period]) + 1)[0]
        cycles.append({"period": cycle_period, "created_at": pd.Timestamp(f"{cycle_period}-01 08:00"),
                       "approved_at": None, "approved_by": "erin",
                       "closed_at": pd.Timestamp(f"{nxt}-01 17:30") + pd.Timedelta(days=int(rng.integers(0, 3))),
                       "closed_by": FACILITATOR})
        for name, kpi in plan.kpis.items():
            kpis.append({"cycle_period": cycle_period, "name": name, "value": kpi.get("value")})

        # the meeting: the agenda with the time each item really took
        fp = plan.family_plan.merge(plan.supply_plan[["family", "period", "overtime", "outsource", "lost_sales"]],
                                    on=["family", "period"], how="left")
        short = fp[fp["status"] == "CONSTRAINED"].sort_values("utilization", ascending=False)
        spent = 0.0
        for pos, (key, title, minutes) in enumerate(AGENDA):
            factor = rng.lognormal(0.0, 0.22)
            if key == "supply" and len(short):
                factor *= 1.25  # a constraint is argued over
            seconds = float(np.round(minutes * 60 * factor / 15) * 15)
            spent += seconds
            agenda.append({"cycle_period": cycle_period, "key": key, "title": title, "planned_minutes": minutes,
                           "position": pos, "actual_seconds": seconds})
        ended = start + pd.Timedelta(seconds=spent + 60 * int(rng.integers(2, 9)))
        meetings.append({"cycle_period": cycle_period, "started_at": start, "started_by": FACILITATOR,
                         "ended_at": ended, "ended_by": FACILITATOR})
        cycles[-1]["approved_at"] = ended - pd.Timedelta(minutes=6)  # "Approve plan" on the decisions slide
        for name, username, function in ATTENDEES:
            if username is None and rng.random() < 0.2:  # someone is travelling
                continue
            attendees.append({"cycle_period": cycle_period, "name": name, "username": username,
                              "function": function, "added_at": start + pd.Timedelta(minutes=1),
                              "added_by": FACILITATOR})

        # decisions, from this cycle's plan
        latest = n == len(PAST_CYCLES) - 1
        closed_status = "agreed" if latest else "done"
        when = {"decided_on": day.date(), "recorded_by": FACILITATOR}

        def decide(ref: str, topic: str, text: str, why: str, owner: str, impact: str, amount: float | None,
                   due: pd.Timestamp, status: str, minute: int) -> None:
            decisions.append({"cycle_period": cycle_period, "ref": ref, "topic": topic, "decision": text,
                              "rationale": why, "owner": owner, "impact": impact,
                              "impact_amount": None if amount is None else float(np.round(amount, 2)),
                              "status": status, "due_date": due.date(),
                              "recorded_at": start + pd.Timedelta(minutes=minute), **when})

        fresh = short[[(f, p) not in decided for f, p in zip(short["family"], short["period"])]]
        if len(fresh):  # a constraint this cycle's plan shows for the first time
            r = fresh.sort_values("period").iloc[0]
            decided.add((r["family"], r["period"]))
            overtime = float(r["overtime"])
            stock = max(0.0, float(r["demand"] - r["capacity"] - overtime))
            why = (f"Demand of {r['demand']:,.0f} units is {r['utilization']:.0f} % of capacity "
                   f"({r['capacity']:,.0f})")
            if overtime >= 1:
                cost = overtime * settings.cost_overtime
                text = f"Approve overtime for {r['family']} in {r['period']}: {overtime:,.0f} units"
                why += (f"; {stock:,.0f} units come from stock and the rest from Saturday shifts, cheaper than "
                        "outsourcing or lost sales." if stock >= 1 else "; Saturday shifts close the gap, cheaper "
                        "than outsourcing or lost sales.")
                impact = f"Overtime cost {_money(cost)}"
            else:
                cost = stock * settings.cost_holding
                text = f"Cover the {r['family']} shortfall in {r['period']} from stock: {stock:,.0f} units"
                why += "; the stock on hand and built ahead covers it, no overtime needed."
                impact = f"Holding cost about {_money(cost)}"
            decide(f"{cycle_period}-supply", "supply", text, why, "Priya", impact, cost,
                   max(pd.Timestamp(f"{r['period']}-01") - pd.Timedelta(days=10), day + pd.Timedelta(days=3)),
                   closed_status, 95)
        elif len(short):  # the constraints were decided in an earlier cycle: the cover is confirmed
            r = short.sort_values("period").iloc[0]
            overtime = float(r["overtime"])
            stock = max(0.0, float(r["demand"] - r["capacity"] - overtime))
            cost = overtime * settings.cost_overtime + stock * settings.cost_holding
            decide(f"{cycle_period}-supply", "supply",
                   f"Keep the agreed cover for the {r['family']} shortfall in {r['period']}",
                   f"Still {r['utilization']:.0f} % of capacity in this plan: {overtime:,.0f} units of overtime "
                   f"and {stock:,.0f} from stock.",
                   "Priya", f"Overtime and holding about {_money(cost)}", cost,
                   max(pd.Timestamp(f"{r['period']}-01") - pd.Timedelta(days=10), day + pd.Timedelta(days=3)),
                   closed_status, 95)
        else:
            calm = fp[fp["status"] != "CONSTRAINED"].sort_values("utilization", ascending=False).iloc[0]
            decide(f"{cycle_period}-supply", "supply",
                   f"Keep {calm['family']} capacity for {calm['period']} as planned",
                   f"The busiest month without a constraint is at {calm['utilization']:.0f} % "
                   f"({calm['demand']:,.0f} of {calm['capacity']:,.0f} units); no extra shift needed.",
                   "Sam", "No extra cost", 0.0, day + pd.Timedelta(days=30), closed_status, 90)

        snap = past[past["cycle_period"] == cycle_period].assign(family=lambda d: d["item_id"].map(family_of))
        snap = snap.assign(change=(snap["consensus"] - snap["statistical"]) * snap["item_id"].map(price),
                           units=snap["consensus"] - snap["statistical"])
        moves = snap.groupby(["family", "period"], as_index=False)[["units", "change"]].sum()
        moves = moves[moves["units"] != 0]
        if len(moves):
            m = moves.loc[moves["change"].abs().idxmax()]
            owner = snap[(snap["family"] == m["family"]) & (snap["period"] == m["period"]) & (snap["owner"] != "")]
            who = owner["owner"].iloc[0] if len(owner) else "Sales"
            decide(f"{cycle_period}-demand", "demand",
                   f"Set the {m['family']} consensus for {m['period']} {abs(m['units']):,.0f} units "
                   f"{'above' if m['units'] > 0 else 'below'} the statistical forecast",
                   f"{who} expects {'more' if m['units'] > 0 else 'less'} than the model: "
                   f"{'retail orders already confirmed' if m['units'] > 0 else 'retailers are holding back orders'}.",
                   "Lena", f"Revenue {'+' if m['change'] > 0 else '−'}{_money(abs(m['change']))}",
                   float(m["change"]), day + pd.Timedelta(days=10),
                   "agreed" if latest else ("dropped" if n == 2 else "done"), 40)

        fin = plan.financials
        revenue = float(fin["revenue"].sum())
        margin = float(fin["gross_margin"].sum())
        at_risk = float((fin["revenue_unconstrained"] - fin["revenue"]).sum())
        pct = margin / revenue * 100 if revenue else 0.0
        if n % 2 == 0:
            versus = f" against {last_margin:.1f} % in the last plan" if last_margin is not None else ""
            decide(f"{cycle_period}-financial", "financial",
                   f"Confirm the six-month revenue plan of {_money(revenue)} at {pct:.1f} % gross margin",
                   f"Revenue at risk from constraints is {_money(at_risk)}; gross margin {pct:.1f} %{versus}.",
                   "Marco", f"Gross margin {_money(margin)}", margin, day + pd.Timedelta(days=7), closed_status, 125)
        else:
            topics = [
                ("Start a supplier qualification for a second Electronics assembly partner",
                 "Electronics peaks in November and December leave no headroom on our own lines.", "Priya"),
                ("Review the slow-moving Outdoor items (OUT-110, OUT-111) for delisting",
                 "They sell in few months and tie up stock worth more than their margin.", "Tom"),
                ("Move the Kitchen promotion calendar into the demand review",
                 "Promotions entered after the forecast made last quarter's plan miss.", "Lena"),
            ]
            text, why, owner = topics[(n // 2) % len(topics)]
            decide(f"{cycle_period}-strategic", "strategic", text, why, owner, "Not quantified", None,
                   day + pd.Timedelta(days=45), "agreed" if latest else "done", 150)
        last_margin = pct

        # action items: older cycles' are done (one of them late); the last past cycle's are partly open
        due1 = day + pd.Timedelta(days=7)
        due2 = day + pd.Timedelta(days=14)
        made = {"cycle_period": cycle_period, "created_at": ended - pd.Timedelta(minutes=3),
                "created_by": FACILITATOR}
        sup = f"{cycle_period}-supply"
        supply_text = next(d["decision"] for d in decisions if d["ref"] == sup)
        if supply_text.startswith("Approve overtime for "):
            sched = "Schedule the Saturday shifts for " + supply_text.removeprefix("Approve overtime for ")
        else:
            sched, sup = f"Confirm the staffing plan for {nxt} with the plant managers", None
        late_done = rng.random() < 0.5
        acts = [
            (sched, "Sam", due1, "high", sup),
            (f"Send the approved {cycle_period} plan to the plants and the key accounts", "Dana", due1, "medium",
             None),
            ("Report forecast accuracy by family with the reasons for the largest misses", "Dana", due2, "medium",
             None),
        ]
        if n % 3 == 1 or latest:
            acts.append(("Get the outsourcing quote for Appliances peak months", "Priya", due2, "low", None))
        for k, (text, owner, due, priority, ref) in enumerate(acts):
            if latest:
                status, done_at = ["in progress", "done", "open", "open"][k], None
                if status == "done":
                    done_at = due - pd.Timedelta(days=2)
                if k == 2:
                    due = day + pd.Timedelta(days=5)  # due before the cycle closed and not done: late
            else:
                status = "done"
                late = (k == 1 and late_done) or (k == 2 and not late_done)
                done_at = due + pd.Timedelta(days=int(rng.integers(2, 9)) if late else -int(rng.integers(0, 4)),
                                             hours=11)
            actions.append({**made, "description": text, "owner": owner, "due_date": due.date(), "status": status,
                            "priority": priority, "done_at": done_at, "decision_ref": ref,
                            "carry": latest and status != "done"})
    frames = {
        "cycles": pd.DataFrame(cycles), "kpis": pd.DataFrame(kpis), "meetings": pd.DataFrame(meetings),
        "agenda": pd.DataFrame(agenda), "attendees": pd.DataFrame(attendees), "decisions": pd.DataFrame(decisions),
        "actions": pd.DataFrame(actions),
    }
    return frames
