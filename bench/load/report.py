"""After a Locust run: were accepted edits lost, how did the forecast run end, and the figures as a table.

    python bench/load/report.py BASE_URL CSV_PREFIX EDITS_JSON CACHE_DIR LABEL

Edits lost: for every cell a planner changed, the value of its last accepted edit must be what the demand
grid shows now (read through the web workers, as the page does).
"""

from __future__ import annotations

import csv
import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dash_client as dc  # noqa: E402


def lost_edits(base: str, accepted: list[dict], sent: list[dict]) -> tuple[int, int, int]:
    """(edits lost, cells edited, cells showing an edit whose answer the end of the run cut off)."""
    last: dict[tuple[str, str], dict] = {}
    for e in sorted(accepted, key=lambda e: e["at"]):
        last[(e["row_id"], e["period"])] = e
    deps = json.load(urllib.request.urlopen(base + "/_dash-dependencies"))
    rows, _rev = dc.DemandPage(dc.calls_from_dependencies(deps)).read(dc.urllib_post(base))
    answered = {(e["row_id"], e["period"], e["value"]) for e in accepted}
    cut_off = {(e["row_id"], e["period"]): float(e["value"]) for e in sent
               if (e["row_id"], e["period"], e["value"]) not in answered}
    lost, late = [], 0
    for (row_id, period), e in last.items():
        got = dc.value(rows, row_id, period)
        if got == float(e["value"]):
            continue
        if cut_off.get((row_id, period)) == got:  # a later edit of the cell, sent as the run stopped, was stored
            late += 1
            continue
        lost.append((row_id, period, e["value"], got))
    for row_id, period, want, got in lost:
        print(f"LOST {row_id} {period}: last accepted {want}, the grid shows {got}", file=sys.stderr)
    return len(lost), len(last), late


def table(csv_prefix: str) -> list[dict]:
    with open(f"{csv_prefix}_stats.csv") as f:
        return list(csv.DictReader(f))


def main(base: str, csv_prefix: str, edits_json: str, cache_dir: str, label: str) -> None:
    edits = json.loads(Path(edits_json).read_text())
    lost, cells, late = lost_edits(base, edits["accepted"], edits.get("sent", []))
    forecast = [json.loads(p.read_text())["value"] for p in Path(cache_dir, "forecast-jobs").glob("last-*.json")]
    print(f"### {label}\n")
    print("| action | requests | failures | req/s | median ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in table(csv_prefix):
        print(f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
              f"{float(row['Requests/s']):.2f} | {float(row['Median Response Time']):.0f} | {float(row['95%']):.0f} |")
    refused = edits["refused"]
    by_forecast = sum(1 for r in refused if "forecast" in r.lower())
    print(f"\nedits accepted {len(edits['accepted'])} on {cells} cells; edits refused {len(refused)} "
          f"({by_forecast} because the forecast run landed after the planner's view); edit errors "
          f"{len(edits['errors'])}; edits lost {lost}"
          + (f" ({late} cell(s) show a later edit whose answer the end of the run cut off)" if late else ""))
    for f in forecast:
        print(f"forecast run: {f.get('status')} in {f.get('seconds')} s (trigger {f.get('trigger')})")
    for r in refused[:3]:
        print(f"  refused: {r[:300]}")
    for r in edits["errors"][:3]:
        print(f"  error: {r[:300]}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
