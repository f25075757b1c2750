"""Sign-in hardening on its own: throttling per user and per address, the same work for unknown users,
security headers on every response, writes from another site's page refused (issue 11, item 4)."""

from __future__ import annotations

import time

import flask
import pytest

from services import login_throttle, security_headers


@pytest.fixture(autouse=True)
def _fresh_throttle():
    login_throttle.reset()
    yield
    login_throttle.reset()


# ---------------------------------------------------------------------------- throttling


def test_five_failures_in_fifteen_minutes_refuse_the_user_even_with_the_right_password():
    from callbacks.auth import sign_in

    app = flask.Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        for _ in range(5):
            assert sign_in("dana", "wrong") is None
        with pytest.raises(login_throttle.Throttled, match=r"Too many attempts: try again in 15 minutes"):
            sign_in("dana", "demo")
    # another user from another address is not affected
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.2"}):
        assert sign_in("sam", "demo")["username"] == "sam"


def test_per_address_limit_and_the_window_passes():
    now = 1000.0
    for i in range(20):
        login_throttle.failed(f"user{i}", "10.0.0.9", now=now)
    assert login_throttle.retry_after("someone-else", "10.0.0.9", now=now + 1) > 0
    assert login_throttle.retry_after("someone-else", "10.0.0.10", now=now + 1) == 0
    assert login_throttle.retry_after("someone-else", "10.0.0.9", now=now + 15 * 60) == 0
    assert login_throttle.message(61) == "Too many attempts: try again in 2 minutes."


def test_a_success_clears_the_users_failures():
    for _ in range(4):
        login_throttle.failed("dana", None)
    login_throttle.succeeded("dana")
    login_throttle.failed("dana", None)
    assert login_throttle.retry_after("dana", None) == 0


def test_unknown_user_takes_as_long_as_a_wrong_password():
    from services.plan_service import get_store

    store = get_store()
    store.check_password("nobody-at-all", "x")  # the dummy hash is made once

    def timed(name):
        t0 = time.perf_counter()
        for _ in range(3):
            assert store.check_password(name, "wrong-password") is None
        return time.perf_counter() - t0

    known, unknown = timed("dana"), timed("nobody-at-all")
    assert unknown > 0.3 * known, (known, unknown)  # without the dummy hash: ~4 % of it


# ---------------------------------------------------------------------------- headers and Origin


@pytest.fixture
def client():
    server = flask.Flask(__name__)
    server.add_url_rule("/", "index", lambda: "page")
    server.add_url_rule("/_dash-update-component", "cb", lambda: "ran", methods=["POST"])
    security_headers.install(server)
    return server.test_client()


def test_headers_on_every_response(client):
    for response in (client.get("/"), client.get("/missing"), client.post("/_dash-update-component")):
        h = response.headers
        assert h["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"


def test_writes_from_another_site_are_refused(client, monkeypatch):
    evil = client.post("/_dash-update-component", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "another site" in evil.get_json()["message"]
    assert client.post("/_dash-update-component", headers={"Origin": "null"}).status_code == 403
    assert client.post("/_dash-update-component", headers={"Origin": "http://localhost"}).status_code == 200
    assert client.post("/_dash-update-component").status_code == 200  # no Origin: the other checks decide
    assert client.get("/", headers={"Origin": "https://evil.example"}).status_code == 200  # reads are not writes
    monkeypatch.setenv("SOP_ALLOWED_ORIGINS", "https://sop.example.com")
    assert client.post("/_dash-update-component", headers={"Origin": "https://sop.example.com"}).status_code == 200
