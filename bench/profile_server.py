"""The app under a profiler, for bench/browser.py --profile: each Dash callback request is timed (by its
output) and profiled with cProfile; on SIGTERM the per-callback times and the top functions are written to
test-artifacts/server-profile.txt."""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import signal
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import app as sop_app  # noqa: E402

PROFILE = cProfile.Profile()
LOCK = threading.Lock()
TIMES: dict[str, list[float]] = defaultdict(list)


class Timed:
    def __init__(self, wsgi):
        self.wsgi = wsgi

    def __call__(self, environ, start_response):
        if "_dash-update-component" not in environ.get("PATH_INFO", ""):
            return self.wsgi(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            output = json.loads(body).get("output", "?")[:90]
        except ValueError:
            output = "?"
        with LOCK:  # one at a time: cProfile is not re-entrant across threads
            t = time.perf_counter()
            PROFILE.enable()
            try:
                out = list(self.wsgi(environ, start_response))
            finally:
                PROFILE.disable()
                TIMES[output].append(time.perf_counter() - t)
        return out


def dump(*_):
    lines = ["callback output | calls | total s | median ms"]
    for k, v in sorted(TIMES.items(), key=lambda kv: -sum(kv[1])):
        v = sorted(v)
        lines.append(f"{k} | {len(v)} | {sum(v):.2f} | {v[len(v) // 2] * 1000:.0f}")
    s = io.StringIO()
    pstats.Stats(PROFILE, stream=s).sort_stats("cumulative").print_stats(60)
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "server-profile.txt").write_text("\n".join(lines) + "\n\n" + s.getvalue())
    os._exit(0)


signal.signal(signal.SIGTERM, dump)
server = sop_app.app.server
server.wsgi_app = Timed(server.wsgi_app)
sop_app.warm_up()
sop_app.app.run(host="127.0.0.1", port=int(os.environ["SOP_PORT"]), debug=False)
