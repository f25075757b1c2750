"""Numbers that would break the plan, files that are not what they claim, formula-like text in the outputs
(issue 11, items 5, 6, 9): each refused with a located message or written safely, never a traceback."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import pytest

from data.readers import load_company, neutralize_text_cells
from tests.conftest import ROOT, seed_example_dir

SEED = seed_example_dir()


def seed_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(SEED.glob("*.csv"))}


def set_cell(files: dict[str, bytes], table: str, row: int, column: str, value: str) -> dict[str, bytes]:
    """The files with one cell changed (row as the user counts: header = 1)."""
    text = files[f"{table}.csv"].decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    j = rows[0].index(column) if column in rows[0] else None
    if j is None:
        rows[0].append(column)
        for r in rows[1:]:
            r.append("")
        j = len(rows[0]) - 1
    rows[row - 1][j] = value
    out = dict(files)
    lines = []
    for r in rows:
        lines.append(",".join('"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n\r') else c for c in r))
    out[f"{table}.csv"] = ("\n".join(lines) + "\n").encode("utf-8")
    return out


def errors(files) -> list[str]:
    data, issues = load_company(files)
    errs = [str(i) for i in issues if i.is_error]
    assert data is None and errs, "accepted"
    return errs


@pytest.mark.parametrize("table, column, value, expected", [
    ("items", "opening_inventory", "1e300", "items row 2, column opening_inventory: 1e300 is too large"),
    ("history", "forecast_units", "1e300", "history row 2, column forecast_units: 1e300 is too large"),
    ("adjustments", "value", "1e300", "adjustments row 2, column value: 1e300 is too large"),
    ("items", "unit_price", "1e-320", "items row 2, column unit_price: 1e-320 is too close to zero"),
    ("items", "unit_price", "0.0000001", "items row 2, column unit_price: 0.0000001 is not a price"),
    ("items", "unit_price", "0", "items row 2, column unit_price: 0 is not a price"),
    ("history", "period", "0000-01", 'history row 2, column period: "0000-01" is outside 1900-01..2200-12'),
    ("capacity", "period", "2201-01", 'capacity row 2, column period: "2201-01" is outside 1900-01..2200-12'),
    ("forecast", "lo80", "20000", "forecast row 2, column lo80: 20000 is above forecast_units 10000"),
    ("forecast", "hi80", "5", "forecast row 2, column hi80: 5 is below forecast_units 10000"),
    ("items", "safety_days", "1e9", "items row 2, column safety_days: 1e9 is out of range"),
    ("adjustments", "value", "50000", "adjustments row 2, column value: 50000 is out of range for a percentage"),
])
def test_numbers_that_break_the_plan_are_refused_at_their_cell(table, column, value, expected):
    errs = errors(set_cell(seed_files(), table, 2, column, value))
    assert any(e.startswith(expected) for e in errs), errs


def test_refused_values_are_echoed_short():
    errs = errors(set_cell(seed_files(), "items", 2, "unit_price", "9" * 100_000))
    assert all(len(e) < 300 for e in errs), [len(e) for e in errs]
    assert "…" in errs[0]


@pytest.mark.parametrize("content, says", [
    (bytes(range(256)) * 40, "binary data"),
    (b"\x81\x8d\x8f\x90\x9d" * 50, "not text in UTF-8 or Windows-1252"),
    (b"PK\x03\x04" + b"\x00" * 100, "looks like an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel (.xls)"),
])
def test_files_that_are_not_csv_text_say_what_they_are_not(content, says):
    files = dict(seed_files(), **{"items.csv": content})
    errs = errors(files)
    assert any(e.startswith("items.csv: ") and says in e for e in errs), errs


def test_utf16_csv_with_bom_is_read():
    files = seed_files()
    files["items.csv"] = files["items.csv"].decode("utf-8-sig").encode("utf-16")
    data, issues = load_company(files)
    assert data is not None, [str(i) for i in issues]


def test_headless_command_prints_located_errors_not_a_traceback(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEED, src)
    (src / "items.csv").write_bytes(bytes(range(256)) * 40)
    run = subprocess.run([sys.executable, "-m", "planning", "compute", str(src), "--out", str(tmp_path / "out")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "items.csv: the file is not CSV text" in run.stderr


def test_formula_like_text_is_neutralised_in_every_csv_the_command_writes(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEED, src)
    for name in ("items.csv", "capacity.csv", "adjustments.csv", "history.csv", "forecast.csv"):
        p = src / name
        p.write_text(p.read_text().replace("Electronics", "=cmd|' /C calc'!A0").replace("E-100", "@SUM(1)"))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "planning", "compute", str(src), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    written = sorted(out.glob("*.csv"))
    assert len(written) >= 7
    risky = 0
    for path in written:
        for row in csv.reader(path.read_text().splitlines()):
            for cell in row:
                assert not cell.startswith(("=", "@", "+", "\t", "\r")), (path.name, cell)
                risky += cell.startswith("'=") or cell.startswith("'@")
                if cell.startswith("-"):  # only numbers may start with a minus
                    float(cell)
    assert risky > 0


def test_numbers_stay_numbers_when_neutralising():
    import pandas as pd

    frame = pd.DataFrame({"family": ["=A1", "-x", "ok"], "value": [-5.0, 1.0, 2.0],
                          "mixed": [-3, "+1", None]})
    out = neutralize_text_cells(frame)
    assert list(out["family"]) == ["'=A1", "'-x", "ok"]
    assert list(out["value"]) == [-5.0, 1.0, 2.0]
    assert out["mixed"].iloc[0] == -3 and out["mixed"].iloc[1] == "'+1"


# ---------------------------------------------------------------------------- size limits (item 7)


def test_long_texts_in_files_are_refused_at_their_cell():
    errs = errors(set_cell(seed_files(), "adjustments", 2, "reason", "x" * 10_000_000))
    assert any(e.startswith("adjustments row 2, column reason: ") and "has 10000000 characters; at most 500"
               in e and len(e) < 300 for e in errs), [e[:200] for e in errs]
    errs = errors(set_cell(seed_files(), "items", 3, "description", "d" * 2001))
    assert any(e.startswith("items row 3, column description: ") and "at most 2,000" in e for e in errs)
    errs = errors(set_cell(seed_files(), "items", 2, "family", "F" * 201))
    assert any(e.startswith("items row 2, column family: ") and "at most 200" in e for e in errs)


def test_an_upload_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setenv("SOP_MAX_UPLOAD_MB", "0.0015")
    data, issues = load_company(seed_files())
    assert data is None and str(issues[0]).startswith("upload: the input is ") and "at most 0.0015 MB" in str(issues[0])
    data, issues = load_company(SEED)
    assert data is None and "at most 0.0015 MB is read" in str(issues[0])


def test_typed_reasons_and_scenario_texts_have_limits():
    from services.edits import EditError, checked_reason, checked_text

    assert checked_reason("  ") == "no reason given"
    assert checked_reason("r" * 500) == "r" * 500
    with pytest.raises(EditError, match="keep the reason under 500 characters"):
        checked_reason("r" * 501)
    with pytest.raises(EditError, match="keep the description under 2,000 characters"):
        checked_text("d" * 2001, "description", 2000)


def test_a_long_reason_is_refused_by_the_demand_edit(tmp_path):
    from services.edits import EditError
    from services.plan_service import get_service

    svc = get_service()
    plan = svc.current_plan()
    fam, period = str(plan.family_plan["family"].iloc[0]), str(plan.family_plan["period"].iloc[0])
    with pytest.raises(EditError, match="keep the reason under 500"):
        svc.apply_edits([{"level": "family", "key": fam, "period": period, "text": "+1%"}],
                        reason="x" * 10_000_000, owner="dana")


def test_a_huge_typed_value_is_echoed_short():
    from services.edits import EditError, parse_edit

    with pytest.raises(EditError) as err:
        parse_edit("9" * 10_000_000 + "x")
    assert len(str(err.value)) < 200 and "…" in str(err.value)
