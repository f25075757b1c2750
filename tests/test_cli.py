"""The headless command on the reference example and on a broken workbook."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.engine_fixtures import SEED_DIR

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planning", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    done = run("compute", str(SEED_DIR), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_writes_every_file_with_spec_columns(seed_out):
    expected = {
        "forecast.csv": ["item_id", "family", "period", "model", "forecast", "lo80", "hi80"],
        "consensus.csv": ["item_id", "family", "period", "statistical", "consensus"],
        "family_plan.csv": ["family", "period", "demand", "capacity", "gap", "gap_pct", "utilization", "status"],
        "supply_plan.csv": ["family", "period", "regular", "overtime", "outsource", "inventory_end", "lost_sales",
                            "cost"],
        "financials.csv": ["family", "period", "revenue", "revenue_unconstrained", "cogs", "gross_margin",
                           "gross_margin_pct", "inventory_value"],
        "accuracy.csv": ["level", "item_id", "family", "n", "n_zero", "mape", "wape", "bias_pct", "mad",
                         "tracking_signal"],
        "exceptions.csv": ["item_id", "family", "period", "kind", "value", "threshold"],
    }
    for name, cols in expected.items():
        frame = pd.read_csv(seed_out / name)
        assert set(cols) <= set(frame.columns), name


def test_reference_figures(seed_out):
    cons = pd.read_csv(seed_out / "consensus.csv")
    fp = pd.read_csv(seed_out / "family_plan.csv")
    sp = pd.read_csv(seed_out / "supply_plan.csv")
    fin = pd.read_csv(seed_out / "financials.csv")
    e = cons[cons["family"] == "Electronics"]
    assert e.loc[e["period"] == "2025-01", "consensus"].iloc[0] == 11_000
    assert e["consensus"].sum() == 31_700
    a = cons[(cons["family"] == "Appliances") & (cons["period"] == "2025-02")]
    assert a["consensus"].iloc[0] == 4_600
    jan = fp[(fp["family"] == "Electronics") & (fp["period"] == "2025-01")].iloc[0]
    assert (jan["gap"], jan["utilization"], jan["status"]) == (-1_000, 110, "CONSTRAINED")
    s = sp[(sp["family"] == "Electronics") & (sp["period"] == "2025-01")].iloc[0]
    assert s["overtime"] == 1_000 and s["cost"] == 15_000
    f = fin[(fin["family"] == "Electronics") & (fin["period"] == "2025-01")].iloc[0]
    assert f["revenue_unconstrained"] == 1_100_000
    kpis = json.loads((seed_out / "kpis.json").read_text())
    assert set(kpis) >= {"mape", "bias_pct", "plan_attainment", "revenue_attainment", "capacity_utilization",
                         "inventory_turns", "days_of_supply"}
    assert kpis["capacity_utilization"]["value"] == pytest.approx((16_000 + 14_800 + 15_500) * 100 / 47_500)


def test_bad_input_exits_non_zero_with_located_errors(tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(SEED_DIR, bad)
    hist = (bad / "history.csv").read_text().splitlines()
    hist[5] = hist[5].replace(hist[5].split(",")[2], "lots", 1)
    (bad / "history.csv").write_text("\n".join(hist) + "\n")
    out = tmp_path / "out"
    done = run("compute", str(bad), "--out", str(out))
    assert done.returncode == 2
    assert "history row 6, column actual_units" in done.stderr
    assert "nothing was computed" in done.stderr
    assert not out.exists()


def test_zero_capacity_month_writes_empty_ratios_not_inf(tmp_path):
    """A month without capacity but with demand: utilization and gap % have no value (empty cells,
    the page shows "—"), the status is CONSTRAINED, and no CSV carries "inf"."""
    src = tmp_path / "zero-capacity"
    shutil.copytree(SEED_DIR, src)
    cap = pd.read_csv(src / "capacity.csv")
    cap.loc[(cap["family"] == "Electronics") & (cap["period"] == "2025-02"), "capacity_units"] = 0
    cap.to_csv(src / "capacity.csv", index=False)
    out = tmp_path / "out"
    done = run("compute", str(src), "--out", str(out))
    assert done.returncode == 0, done.stderr
    fp = pd.read_csv(out / "family_plan.csv", keep_default_na=False, dtype=str)
    feb = fp[(fp["family"] == "Electronics") & (fp["period"] == "2025-02")].iloc[0]
    assert float(feb["capacity"]) == 0 and float(feb["demand"]) > 0
    assert (feb["utilization"], feb["gap_pct"], feb["status"]) == ("", "", "CONSTRAINED")
    for path in out.glob("*.csv"):
        text = path.read_text()
        assert not re.search(r"(?<![a-z])[-+]?inf(inity)?(?![a-z])", text, re.IGNORECASE), path.name
