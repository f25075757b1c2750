"""The registry that keeps one forecast run per cycle (services.forecast_jobs): a run in flight is followed, never
started twice; a dead run's marker is cleared so a crash never wedges a cycle; Cancel asks the run to stop and
keeps an automatic run from starting again by itself. (The worker process itself runs in
tests/test_plan_service.py, in process, and in the browser tests of the forecast job.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest


@pytest.fixture
def fj(tmp_path, monkeypatch):
    monkeypatch.setenv("SOP_CACHE_DIR", str(tmp_path))
    from services import forecast_jobs

    return forecast_jobs


def test_a_run_in_flight_is_followed_not_started_again(fj, tmp_path):
    fj.jobs().set("run:7", {"token": "a", "pid": os.getpid(), "user": "dana", "trigger": "upload",
                            "created": time.time()})
    started = fj.start_run(7, user="sam", trigger="manual", force=True)
    assert started["status"] == "following" and started["user"] == "dana" and started["token"] == "a"
    assert not list((tmp_path / "forecast-jobs").glob("worker-*.log"))  # no second worker process
    assert fj.in_flight(8) is None  # another cycle is free


def test_a_dead_runs_marker_is_cleared(fj, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    fj.jobs().set("run:3", {"token": "dead", "pid": gone.pid, "created": time.time()})
    assert fj.in_flight(3) is None  # the run died: nobody holds the cycle
    assert not (tmp_path / "forecast-jobs" / "run-3.json").exists()


def test_a_starting_run_counts_only_within_its_grace(fj):
    fj.jobs().set("run:4", {"token": "s", "pid": None, "created": time.time()})
    assert fj.in_flight(4)["token"] == "s"  # its process is starting
    fj.jobs().set("run:4", {"token": "s", "pid": None, "created": time.time() - fj.START_GRACE - 1})
    assert fj.in_flight(4) is None


def test_cancel_asks_the_run_to_stop_and_no_automatic_restart(fj, tmp_path):
    fj.jobs().set("run:5", {"token": "r", "pid": os.getpid(), "user": "system", "trigger": "first start",
                            "created": time.time()})
    assert fj.cancel_run(5)["token"] == "r"
    assert (tmp_path / "forecast-jobs" / "cancel-r.json").exists()  # the worker stops at its next step
    assert fj.auto_skipped(5)
    assert fj.cancel_run(6) is None  # nothing in flight: nothing to cancel
