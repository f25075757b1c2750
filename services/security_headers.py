"""Headers on every response and the Origin check on writes (installed by `app.py` with one line).

- Every response carries `X-Frame-Options: DENY`, a Content-Security-Policy (`frame-ancestors 'none'`,
  scripts from this app only plus the hashes of Dash's own inline start-up scripts and `'unsafe-eval'`,
  which Plotly and dash-ag-grid need; styles from this app and inline, since Plotly writes `<style>`
  elements; no plugins, no other site to connect to), `X-Content-Type-Options: nosniff` and
  `Referrer-Policy: same-origin`.
- A write (POST, PUT, PATCH, DELETE) whose `Origin` header names another site than the one it was sent to
  is refused with 403 before anything runs (a page of another site cannot post into the app on behalf of
  a signed-in planner). A request without `Origin` (curl, the tests, old browsers) goes on to the other
  checks: the session cookie is SameSite=Lax, so another site's page cannot send it with a POST anyway.
  `SOP_ALLOWED_ORIGINS` (comma-separated, e.g. `https://sop.example.com`) adds origins behind a proxy
  that rewrites the Host header.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import flask

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def content_security_policy(script_hashes: list[str]) -> str:
    quoted = [h if h.startswith("'") else f"'{h}'" for h in script_hashes]
    scripts = " ".join(["'self'", "'unsafe-eval'", *quoted])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins() -> set[str]:
    """This request's own origin (as the browser addressed it) and SOP_ALLOWED_ORIGINS."""
    allowed = {_origin(flask.request.host_url)}
    forwarded = flask.request.headers.get("X-Forwarded-Host")
    if forwarded:
        proto = flask.request.headers.get("X-Forwarded-Proto", flask.request.scheme)
        allowed.add(f"{proto}://{forwarded.split(',')[0].strip()}".lower())
    for extra in (os.environ.get("SOP_ALLOWED_ORIGINS") or "").split(","):
        if extra.strip():
            allowed.add(_origin(extra))
    return allowed


def check_origin():
    """before_request: refuse (403) a write whose Origin names another site."""
    if flask.request.method not in WRITE_METHODS:
        return None
    origin = flask.request.headers.get("Origin")
    if not origin:
        return None
    if origin.strip().lower() == "null" or _origin(origin) not in allowed_origins():
        return flask.make_response(flask.jsonify(
            {"message": "Refused: this request came from another site's page. Nothing was changed."}), 403)
    return None


def add_headers(policy):
    """`policy` is the CSP string, or a function that returns it (asked on each response)."""

    def _add(response):
        headers = response.headers
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", policy() if callable(policy) else policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return _add


def install(app) -> None:
    """On a Dash app (or a bare Flask app): the Origin check first, then the headers on every response."""
    server = getattr(app, "server", app)
    cache: dict[tuple, str] = {}

    def policy() -> str:
        # Dash's inline scripts are known only once every page and clientside callback is registered
        # (after the first request), so their hashes are read each time (cheap) and the policy cached per set
        hashes: tuple = ()
        if hasattr(app, "csp_hashes"):
            try:
                hashes = tuple(app.csp_hashes())
            except Exception:  # no inline scripts known: the policy still holds without them
                hashes = ()
        if hashes not in cache:
            cache[hashes] = content_security_policy(list(hashes))
        return cache[hashes]

    from data.readers import max_upload_bytes

    # a request may carry an upload of the allowed size as base64 in JSON (4/3 of it), never much more;
    # a bigger one is answered 413 before it is read (data.readers refuses uploads over the limit in words)
    server.config.setdefault("MAX_CONTENT_LENGTH", max_upload_bytes() * 2 + 1024 * 1024)
    server.before_request_funcs.setdefault(None, []).insert(0, check_origin)
    server.after_request(add_headers(policy))
