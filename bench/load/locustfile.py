"""Load test of the multi-user deployment (bench/load/run.sh starts it and runs this headless, on loopback).

Users (20 by default: run.sh passes the classes and -u):
- ExecutiveUser: opens the dashboard: GET / and the callback requests the browser makes for it (recorded by
  capture.py into $SOP_LOAD_CAPTURE_DIR/dashboard.json), then reads it again every few seconds.
- PlannerUser (fixed 5): each edits its own item's cells on the demand grid through the grid's own callback
  (callbacks.demand.act), one month after the other, and reads the grid; every accepted edit is recorded so
  run.sh can check afterwards that none was lost; refused edits are counted with their reason.
- UploadUser (fixed 1): downloads the plan workbook and uploads it back (validated and compared with the plan).
- ForecastUser (fixed 1): presses "Run forecast" once (the run goes to the Celery worker).
- SoloUser: the 1-user baseline: dashboard, grid read and an edit in turn.

Request names are the actions the report lists ("dashboard: GET /", "dashboard: callbacks", "grid: read",
"grid: edit", "upload: workbook", "forecast: start").
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dash_client as dc  # noqa: E402

CAPTURES = Path(os.environ.get("SOP_LOAD_CAPTURE_DIR", "instance/load"))
RESULTS = Path(os.environ.get("SOP_LOAD_RESULTS", CAPTURES / "edits.json"))
_lock = threading.Lock()
ACCEPTED: list[dict] = []  # {row_id, period, value, at}
SENT: list[dict] = []  # every edit as it is sent: one cut off by the end of the run may still be stored
REFUSED: list[str] = []
ERRORS: list[str] = []
_planner_ids = itertools.count()
_ITEMS: list[str] = []


def _calls(name: str) -> list[dict]:
    return json.loads((CAPTURES / f"{name}.json").read_text())


DASHBOARD = _calls("dashboard") if (CAPTURES / "dashboard.json").exists() else []


def _post_as(user: HttpUser, name: str):
    def post(path: str, body: dict):
        with user.client.post(path, json=body, name=name, catch_response=True) as r:
            if r.status_code not in (200, 204):
                r.failure(f"HTTP {r.status_code}")
                return r.status_code, None
            r.success()
            return r.status_code, (r.json() if r.status_code == 200 and r.content else None)

    return post


def _deps(user: HttpUser) -> list[dict]:
    return user.client.get("/_dash-dependencies", name="page: dependencies").json()


class Dashboard:
    def open(self, user: HttpUser) -> None:
        user.client.get("/", name="dashboard: GET /")
        post = _post_as(user, "dashboard: callbacks")
        for call in DASHBOARD:
            post(call["path"], call["body"])


class Planner:
    def setup(self, user: HttpUser, item_index: int) -> None:
        self.page = dc.DemandPage(dc.calls_from_dependencies(_deps(user)))
        rows, self.rev = self.page.read(_post_as(user, "grid: read"))
        with _lock:
            if not _ITEMS:
                _ITEMS.extend(r["row_id"] for r in rows if str(r["row_id"]).startswith("item:"))
        self.row_id = _ITEMS[item_index % len(_ITEMS)]
        self.months = itertools.cycle(self.rev["horizon"][1:])
        self.values = {r["row_id"]: r for r in rows}

    def edit(self, user: HttpUser) -> None:
        period = next(self.months)
        value = random.randint(100, 2000)
        with _lock:
            SENT.append({"row_id": self.row_id, "period": period, "value": value, "at": time.time()})
        kind, text, new_rev = self.page.edit(_post_as(user, "grid: edit"), self.rev, self.row_id, period, str(value),
                                             nonce=f"{id(self)}-{time.time()}", reason="load test")
        with _lock:
            if kind == "saved":
                ACCEPTED.append({"row_id": self.row_id, "period": period, "value": value, "at": time.time()})
            elif kind == "conflict":
                REFUSED.append(text)
            else:
                ERRORS.append(text)
        if new_rev:
            self.rev = new_rev
        if kind != "saved":  # the grid now shows the current plan: read it as the page does
            self.read(user)

    def read(self, user: HttpUser) -> None:
        _rows, self.rev = self.page.read(_post_as(user, "grid: read"))


class ExecutiveUser(HttpUser):
    wait_time = between(2, 5)

    def on_start(self):
        self.dashboard = Dashboard()

    @task
    def read_dashboard(self):
        self.dashboard.open(self)


class PlannerUser(HttpUser):
    fixed_count = 5
    wait_time = between(2, 5)

    def on_start(self):
        self.planner = Planner()
        self.planner.setup(self, next(_planner_ids))

    @task(3)
    def edit(self):
        self.planner.edit(self)

    @task(1)
    def read(self):
        self.planner.read(self)


class UploadUser(HttpUser):
    fixed_count = 1
    wait_time = between(5, 10)
    done = False

    @task
    def upload(self):
        if self.done:
            return
        self.done = True
        time.sleep(20)
        calls = dc.calls_from_dependencies(_deps(self))
        down = dc.find(calls, "workbook-download.data")
        for e in down["body"]["inputs"]:
            e["value"] = 1
        down["body"]["changedPropIds"] = ["workbook-download-btn.n_clicks"]
        status, answer = _post_as(self, "upload: download workbook")(down["path"], down["body"])
        if status != 200:
            return
        content = answer["response"]["workbook-download"]["data"]["content"]
        up = dc.find(calls, "..workbook-token.data")
        data_url = "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + content
        base64.b64decode(content)  # a real workbook came back
        for e in up["body"]["inputs"]:
            e["value"] = data_url if e["property"] == "contents" else None
        for e in up["body"]["state"]:
            e["value"] = "plan.xlsx" if e["property"] == "filename" else None
        up["body"]["changedPropIds"] = ["workbook-upload.contents"]
        _post_as(self, "upload: workbook")(up["path"], up["body"])


class ForecastUser(HttpUser):
    fixed_count = 1
    wait_time = between(5, 10)
    done = False

    @task
    def forecast(self):
        if self.done:
            return
        self.done = True
        time.sleep(10)
        calls = dc.calls_from_dependencies(_deps(self))
        run = dc.find(calls, "data-forecast-request.data")
        for e in run["body"]["inputs"]:
            e["value"] = 1
        run["body"]["changedPropIds"] = ["data-forecast-run.n_clicks"]
        _post_as(self, "forecast: start")(run["path"], run["body"])


class SoloUser(HttpUser):
    """The 1-user baseline: every action in turn."""
    wait_time = between(1, 2)

    def on_start(self):
        self.dashboard = Dashboard()
        self.planner = Planner()
        self.planner.setup(self, next(_planner_ids))

    @task
    def round(self):
        self.dashboard.open(self)
        self.planner.read(self)
        self.planner.edit(self)


@events.test_stop.add_listener
def _write_results(**_kw):
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        RESULTS.write_text(json.dumps({"accepted": ACCEPTED, "sent": SENT, "refused": REFUSED, "errors": ERRORS}, indent=1))
