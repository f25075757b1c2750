"""How the installed Dash's renderer copes with many components: a page of N plain `html` components (as a
big summary table or a long form makes), its load time and the round trip of a trivial callback beside it.

    python bench/renderer.py [--sizes 300,1500,3000]

Why it exists: on dash 4.2-4.4.1 the load time grows with the square of N (3,000 components: 79 s on this
machine under load, 1.4 s on 4.1.0), so the app sends big read-only tables as one component
(components/static_html.py). 4.1.0 was tried and not kept (at 10,000 items, leaving /data hung the tab).
Run it again before moving the dash pin in requirements.txt.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

APP = """
import os, sys
from dash import Dash, Input, Output, html
n = int(sys.argv[1])
app = Dash(__name__)
app.layout = html.Div([html.Button("go", id="go"), html.Div(id="out"),
                       html.Div([html.Div([html.Span(f"row {i}"), html.Span("cell")]) for i in range(n // 3)])])
@app.callback(Output("out", "children"), Input("go", "n_clicks"), prevent_initial_call=True)
def echo(clicks):
    return f"done {clicks}"
app.run(host="127.0.0.1", port=int(sys.argv[2]))
"""


def measure(n: int, clicks: int = 3) -> tuple[float, list[float]]:
    """(load s, [click round trips s]) of a page of about `n` components."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", APP, str(n), str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            t0 = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#go", timeout=300_000)
            load = time.perf_counter() - t0
            times = []
            for i in range(1, clicks + 1):
                t0 = time.perf_counter()
                page.click("#go")
                page.wait_for_function(f"document.querySelector('#out').innerText == 'done {i}'")
                times.append(time.perf_counter() - t0)
            browser.close()
        return load, times
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    import dash

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1500,3000", help="components per page, comma-separated")
    args = parser.parse_args()
    print(f"dash {dash.__version__} · load {os.getloadavg()[0]:.1f}")
    print(f"{'components':>10}  {'page load':>9}  trivial callback (3 clicks)")
    for n in (int(x) for x in args.sizes.split(",")):
        load, clicks = measure(n)
        print(f"{n:>10}  {load:8.2f}s  " + ", ".join(f"{c * 1000:.0f} ms" for c in clicks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
