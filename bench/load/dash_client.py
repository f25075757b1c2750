"""Talk to the running app the way its pages do: replay the Dash callback requests a browser made
(recorded by bench/load/capture.py) and send demand-grid edits through the demand page's own callback
(`callbacks.demand.act`), with no browser. Used by the load test and tests/test_deploy.py.

`post(path, body) -> (status, json)` is the caller's HTTP function (requests, urllib, a Locust client).
"""

from __future__ import annotations

import copy
import json
import urllib.request
from typing import Any, Callable

Post = Callable[[str, dict], tuple[int, Any]]


def urllib_post(base: str, timeout: float = 120.0) -> Post:
    def post(path: str, body: dict) -> tuple[int, Any]:
        req = urllib.request.Request(base.rstrip("/") + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)

    return post


def _parse_output(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, _, prop = part.rpartition(".")
        out.append({"id": ident, "property": prop})
    return out


def calls_from_dependencies(deps: list[dict]) -> list[dict]:
    """Callback requests (as capture.py records them, every value empty) built from GET /_dash-dependencies,
    for callbacks whose ids are plain strings: enough to drive a callback without a browser."""
    calls = []
    for dep in deps:
        if "{" in dep["output"] or any(isinstance(e["id"], dict) for e in dep["inputs"] + dep.get("state", [])):
            continue
        body = {"output": dep["output"], "outputs": _parse_output(dep["output"]),
                "inputs": [{"id": e["id"], "property": e["property"]} for e in dep["inputs"]],
                "changedPropIds": [], "state": [{"id": e["id"], "property": e["property"]}
                                                for e in dep.get("state", [])]}
        calls.append({"path": "/_dash-update-component", "body": body})
    return calls


def find(calls: list[dict], output_part: str) -> dict:
    """The recorded call whose output names `output_part` (e.g. 'demand-grid.rowData...')."""
    for call in calls:
        if output_part in call["body"]["output"]:
            return copy.deepcopy(call)
    raise KeyError(f"no recorded callback writes {output_part!r}")


def _set(entries: list[dict], ident: str, prop: str, value: Any) -> None:
    for entry in entries:
        if entry["id"] == ident and entry["property"] == prop:
            entry["value"] = value
            return
    raise KeyError(f"{ident}.{prop}")


class DemandPage:
    """The demand grid's read (render_grid) and write (act) callbacks, from a capture of /demand."""

    def __init__(self, calls: list[dict]) -> None:
        self.read_call = find(calls, "..demand-grid.rowData...demand-grid.columnDefs")
        self.edit_call = find(calls, "..demand-grid.rowTransaction")
        self.edit_call["body"]["changedPropIds"] = ["demand-action.data"]
        self.app_state = next((e.get("value") for e in self.read_call["body"]["inputs"] if e["id"] == "app-state"),
                              None) or {}

    def read(self, post: Post) -> tuple[list[dict], dict]:
        """(rows, rev {version, revision, ...}) as the page draws them."""
        call = copy.deepcopy(self.read_call)
        _set(call["body"]["inputs"], "app-state", "data", self.app_state)
        status, answer = post(call["path"], call["body"])
        if status != 200:
            raise RuntimeError(f"grid read answered {status}")
        res = answer["response"]
        return res["demand-grid"]["rowData"], res["demand-grid-rev"]["data"]

    def edit(self, post: Post, rev: dict, row_id: str, period: str, text: str, nonce: str,
             reason: str = "load test") -> tuple[str, str, dict | None]:
        """Type `text` into one cell as seen at `rev`: (kind saved|conflict|error|info, message, new rev)."""
        call = copy.deepcopy(self.edit_call)
        body = call["body"]
        action = {"kind": "edit", "nonce": nonce, "cells": [{"row_id": row_id, "period": period, "text": text}]}
        _set(body["inputs"], "demand-action", "data", action)
        _set(body["state"], "demand-grid-rev", "data", rev)
        _set(body["state"], "app-state", "data", {**self.app_state, "version": rev.get("version"),
                                                  "revision": rev.get("revision")})
        _set(body["state"], "demand-reason", "value", reason)
        status, answer = post(call["path"], body)
        if status != 200 or not answer:
            return "error", f"HTTP {status}", None
        res = answer["response"]
        msg = res.get("demand-message", {}).get("children") or {}
        kind = (msg.get("props") or {}).get("data-kind", "error") if isinstance(msg, dict) else "error"
        new_rev = None
        for key, val in res.get("demand-grid-rev", {}).items():
            if key.startswith("data"):
                new_rev = val
        return kind, json.dumps(msg)[:400], new_rev


def value(rows: list[dict], row_id: str, period: str) -> float | None:
    for row in rows:
        if row.get("row_id") == row_id:
            return row.get(period)
    return None
