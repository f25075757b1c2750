"""The registry that keeps one forecast run per cycle: only a running job holds the cycle, a dead one frees it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def jobs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SOP_CACHE_DIR", str(tmp_path))
    from callbacks import data_page

    return data_page


def test_first_claim_wins_and_the_second_follows_it(jobs_dir):
    dp = jobs_dir
    mine = {"token": "a", "pid": os.getpid(), "user": "dana", "trigger": "auto"}
    assert dp.claim_run(7, mine) is None
    assert dp.in_flight(7)["token"] == "a"
    holder = dp.claim_run(7, {"token": "b", "pid": os.getpid(), "user": "sam", "trigger": "manual"})
    assert holder is not None and holder["token"] == "a" and holder["user"] == "dana"
    assert dp.claim_run(8, {"token": "c", "pid": os.getpid()}) is None  # another cycle is free


def test_a_dead_jobs_claim_is_cleared(jobs_dir):
    dp = jobs_dir
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert dp.claim_run(3, {"token": "dead", "pid": gone.pid}) is None
    assert dp.in_flight(3) is None  # the job died: nobody holds the cycle
    assert dp.claim_run(3, {"token": "new", "pid": os.getpid()}) is None
    assert dp.in_flight(3)["token"] == "new"
