"""Forecasting beyond one machine: the statistical forecast's chunks on a local Dask cluster (two worker
processes) give the same forecasts and model choices as the single-machine path, in the engine and through
`python -m planning forecast --engine dask`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data.sample import sample_company
from planning.distributed import DaskEngine, make_engine
from planning.forecast import ForecastConfig, statistical_forecast

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "seed-example"


def panel(copies: int) -> pd.DataFrame:
    """The sample company's 47 series, each repeated `copies` times at another scale (distinct series)."""
    h = sample_company().history
    return pd.concat([h.assign(item_id=h["item_id"] + f"-{k}", actual_units=(h["actual_units"] * (1 + 0.13 * k)).round())
                      for k in range(copies)], ignore_index=True)


def test_dask_cluster_gives_the_local_forecast():
    history = panel(5)  # 235 series
    horizon = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    cfg = ForecastConfig(chunk=30)
    local = statistical_forecast(history, horizon, config=cfg)
    with DaskEngine(workers=2) as engine:
        assert engine.n_workers == 2
        seen = []
        remote = statistical_forecast(history, horizon, config=cfg, engine=engine,
                                      progress=lambda f, _m: seen.append(f))
    assert history["item_id"].nunique() == 235
    pd.testing.assert_frame_equal(local.forecast, remote.forecast)
    pd.testing.assert_frame_equal(local.models, remote.models)
    assert seen == sorted(seen) and seen[-1] == 1.0  # progress still moves forward to the end


def test_engine_names_are_checked():
    assert make_engine("local") is None
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        make_engine("spark")


def test_forecast_command_on_dask_equals_local(tmp_path: Path):
    outs = {}
    for engine in ("local", "dask"):
        out = tmp_path / engine
        proc = subprocess.run([sys.executable, "-m", "planning", "forecast", str(SEED), "--out", str(out),
                               "--horizon", "6", "--engine", engine, "--workers", "2"],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs[engine] = (pd.read_csv(out / "forecast.csv"), pd.read_csv(out / "models.csv"))
    pd.testing.assert_frame_equal(outs["local"][0], outs["dask"][0])
    pd.testing.assert_frame_equal(outs["local"][1], outs["dask"][1])
    assert outs["local"][0]["period"].nunique() == 6
