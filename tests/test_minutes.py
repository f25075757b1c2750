"""Meeting minutes (services.minutes, `python -m planning minutes`): HTML and PDF with the approved version,
decisions with their impact, action items, KPIs and the charts; user text escaped in HTML."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from data.sample import sample_meeting_records
from services import minutes
from services.plan_service import PlanService
from tests.store_fixtures import new_service

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def svc(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlanService]:
    service = new_service(db_url)
    monkeypatch.setattr("services.minutes.get_service", lambda: service)
    monkeypatch.setattr("services.plan_service.get_service", lambda: service)  # the process KPIs' records
    yield service
    service.store.engine.dispose()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "m.pdf"
    path.write_bytes(data)
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def test_minutes_hold_the_approved_version_decisions_actions_and_charts(svc: PlanService, tmp_path: Path) -> None:
    vid = svc.approve(by="erin")
    number = svc.store.get_version(vid)["number"]
    svc.store.add_decision({"topic": "supply", "decision": "Approve <b>overtime</b> in March", "owner": "fay",
                            "impact": "overtime 15,000", "rationale": "keeps service at 98 %"})
    svc.store.add_action({"description": "Confirm the overtime with the plant", "owner": "sam",
                          "due_date": "2026-02-15", "priority": "high"})
    m = minutes.build()
    assert m.approved and m.version.startswith(f"v{number} approved") and "by erin" in m.version
    text = pdf_text(minutes.to_pdf(m), tmp_path)
    for expected in ("Approve <b>overtime</b> in March", "overtime 15,000", f"Plan v{number} approved",
                     "Confirm the overtime with the plant", minutes.CHART_DEMAND, "KPIs against targets",
                     "Forecast error (MAPE)"):
        assert expected in text, expected
    page = minutes.to_html(m)
    assert "Approve &lt;b&gt;overtime&lt;/b&gt; in March" in page and "<b>overtime</b>" not in page
    assert page.count("data:image/png;base64,") == len(m.charts) == 2


def test_an_unknown_cycle_is_named(svc: PlanService) -> None:
    with pytest.raises(LookupError, match="there is no cycle 2031-01"):
        minutes.build("2031-01")


def test_the_headless_command_writes_both_files(tmp_path: Path, seeded_sqlite: Path) -> None:
    db = tmp_path / "sop.db"
    db.write_bytes(seeded_sqlite.read_bytes())
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "planning", "minutes", "--cycle", "2025-12", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "minutes.html").exists() and (out / "minutes.pdf").exists()
    text = "\n".join(p.extract_text() for p in PdfReader(str(out / "minutes.pdf")).pages)
    assert "cycle 2025-12" in text and "approved" in text
    # the process KPIs as of that past cycle; agenda time kept worked out by hand from the sample's agenda:
    # planned minutes of the timed items / the larger of their real and planned minutes
    agenda = sample_meeting_records()["agenda"]
    timed = agenda[(agenda["cycle_period"] == "2025-12") & agenda["actual_seconds"].notna()]
    planned, real = timed["planned_minutes"].sum(), timed["actual_seconds"].sum() / 60
    kept = f"{100 * planned / max(planned, real):.1f} %"
    page = (out / "minutes.html").read_text()
    page = page[page.index("Process KPIs of cycle 2025-12"):]
    row = page[page.index("<td>Agenda time kept</td>"):].split("</tr>")[0]
    assert f"<td>{kept}</td>" in row and "<td>target ≥ 90 %</td>" in row
    assert "Process KPIs of cycle 2025-12" in text and kept in text
    for label in ("Plan stability", "Cycle time", "Decisions made on time", "Action items done on time"):
        assert f"<td>{label}</td><td>—" not in page, label  # each has its figure for that cycle
    assert "upload an inventory_count table" in page  # a KPI without its data says what would give it
    bad = subprocess.run([sys.executable, "-m", "planning", "minutes", "--cycle", "2031-01", "--out", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "there is no cycle 2031-01" in bad.stderr
