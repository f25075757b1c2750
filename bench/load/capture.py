"""Record the Dash callback requests a browser makes when it opens a page, to replay them under load.

    python bench/load/capture.py http://127.0.0.1:8050 / out.json

Opens the page in Debian's headless Chromium (Playwright, executable /usr/bin/chromium), waits until the page
stops calling back, and writes every POST /_dash-update-component body in order (with the response's status).
"""

from __future__ import annotations

import json
import sys
import time

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-extensions"]


def capture(base: str, path: str, settle_ms: int = 3000, timeout_ms: int = 120_000) -> list[dict]:
    from playwright.sync_api import sync_playwright

    calls: list[dict] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()

            def on_response(response):
                req = response.request
                if req.method == "POST" and "/_dash-update-component" in req.url:
                    path = "/_dash-update-component" + req.url.split("/_dash-update-component", 1)[1]
                    calls.append({"path": path, "body": json.loads(req.post_data or "{}"), "status": response.status})

            page.on("response", on_response)
            page.goto(base.rstrip("/") + path, wait_until="load", timeout=timeout_ms)
            seen, deadline = -1, time.monotonic() + timeout_ms / 1000
            while seen != len(opening(calls)) and time.monotonic() < deadline:  # quiet: the page is drawn
                seen = len(opening(calls))
                page.wait_for_timeout(settle_ms)
        finally:
            browser.close()
    return opening(calls)


def opening(calls: list[dict]) -> list[dict]:
    """The calls of opening the page: dcc.Interval polls are left out (they go on for ever)."""
    return [c for c in calls if not any(str(p).endswith(".n_intervals") for p in c["body"].get("changedPropIds") or [])]


if __name__ == "__main__":
    base, path, out = sys.argv[1:4]
    calls = capture(base, path)
    with open(out, "w") as f:
        json.dump(calls, f)
    print(f"{len(calls)} callback requests recorded from {path}")
