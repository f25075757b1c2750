"""Small hand-built companies for the engine tests (no files, no store)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planning.model import CompanyData

# a copy of shared/examples/seed-example, so the tests run wherever the repository is cloned
SEED_DIR = Path(__file__).resolve().parent / "fixtures" / "seed-example"


def items(rows: list[tuple]) -> pd.DataFrame:
    """rows: (item_id, family, price, cost[, opening_inventory])."""
    out = pd.DataFrame(
        [(r[0], r[1], float(r[2]), float(r[3]), float(r[4]) if len(r) > 4 else 0.0) for r in rows],
        columns=["item_id", "family", "unit_price", "unit_cost", "opening_inventory"],
    )
    out["safety_days"] = np.nan
    out["description"] = ""
    return out


def capacity(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["family", "period", "capacity_units"])
    out["capacity_units"] = out["capacity_units"].astype(float)
    out["resource"] = ""
    out["overtime_pct"] = np.nan
    return out


def forecast(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["item_id", "period", "forecast_units"])
    out["forecast_units"] = out["forecast_units"].astype(float)
    out["lo80"] = np.nan
    out["hi80"] = np.nan
    return out


def adjustments(rows: list[tuple]) -> pd.DataFrame:
    """rows: (level, key, period, type, value[, created_at[, owner]])."""
    out = pd.DataFrame(
        [
            {
                "seq": i, "level": r[0], "key": r[1], "period": r[2], "type": r[3], "value": float(r[4]),
                "reason": "test", "owner": r[6] if len(r) > 6 else "tester",
                "created_at": pd.Timestamp(r[5]) if len(r) > 5 and r[5] else pd.NaT,
            }
            for i, r in enumerate(rows)
        ],
        columns=["seq", "level", "key", "period", "type", "value", "reason", "owner", "created_at"],
    )
    out["created_at"] = pd.to_datetime(out["created_at"])
    return out


def history(rows: list[tuple]) -> pd.DataFrame:
    """rows: (item_id, period, actual[, forecast])."""
    out = pd.DataFrame(
        [(r[0], r[1], float(r[2]), float(r[3]) if len(r) > 3 and r[3] is not None else np.nan) for r in rows],
        columns=["item_id", "period", "actual_units", "forecast_units"],
    )
    return out


def seed_company() -> CompanyData:
    """The reference example (shared/examples/seed-example) read with plain pandas."""
    it = pd.read_csv(SEED_DIR / "items.csv")
    it["safety_days"] = np.nan
    hist = pd.read_csv(SEED_DIR / "history.csv")
    cap = pd.read_csv(SEED_DIR / "capacity.csv")
    cap["resource"] = ""
    cap["overtime_pct"] = np.nan
    fc = pd.read_csv(SEED_DIR / "forecast.csv")
    fc["lo80"] = np.nan
    fc["hi80"] = np.nan
    adj = pd.read_csv(SEED_DIR / "adjustments.csv")
    adj.insert(0, "seq", range(len(adj)))
    adj["created_at"] = pd.to_datetime(adj["created_at"])
    return CompanyData(items=it, history=hist, capacity=cap, forecast=fc, adjustments=adj)
