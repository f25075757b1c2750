"""The gate on its own: a Flask app with a data route besides Dash's, as a later feature would add one."""

from __future__ import annotations

import flask
import pytest

from services import session_guard


class FakeDash:
    """What the gate reads of a Dash app: its paths and its callbacks."""

    def __init__(self, server: flask.Flask) -> None:
        self.server = server

        def do_sign_in():
            return None

        do_sign_in.__module__ = "callbacks.login"
        self.callback_map = {"login-message.children": {"callback": do_sign_in},
                             "demand-message.children": {"callback": lambda: None}}

    @staticmethod
    def strip_relative_path(path: str) -> str:
        return path.strip("/")

    @staticmethod
    def get_relative_path(path: str) -> str:
        return path


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("SOP_REQUIRE_LOGIN", "1")
    server = flask.Flask(__name__)
    server.secret_key = "test"
    server.add_url_rule("/export.csv", "export", lambda: "item,units\n")
    server.add_url_rule("/", "/", lambda: "index")
    server.add_url_rule("/<path:path>", "/<path:path>", lambda path: "index")
    server.add_url_rule("/_dash-update-component", "/_dash-update-component", lambda: "ran", methods=["POST"])
    server.add_url_rule("/assets/<path:filename>", "assets", lambda filename: "css")
    server.add_url_rule("/healthz", "healthz", lambda: {"database": "ok"})
    server.before_request(session_guard.guard(FakeDash(server)))
    return server.test_client()


def test_anonymous_requests(client) -> None:
    assert client.get("/export.csv").status_code == 401  # any other route that serves data
    page = client.get("/demand?family=Kitchen")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=%2Fdemand%3Ffamily%3DKitchen"
    assert client.get("/login").status_code == 200
    assert client.get("/assets/app.css").status_code == 200
    assert client.get("/healthz").status_code == 200  # the load balancer's health check needs no sign-in
    assert client.post("/_dash-update-component", json={"output": "login-message.children"}).status_code == 200
    refused = client.post("/_dash-update-component", json={"output": "demand-message.children"})
    assert refused.status_code == 401 and "Sign in" in refused.get_json()["message"]
    assert client.post("/_dash-update-component", data="not json").status_code == 401


def test_sign_in_off_lets_everyone_through(client, monkeypatch) -> None:
    monkeypatch.setenv("SOP_REQUIRE_LOGIN", "0")
    assert client.get("/export.csv").status_code == 200
    assert client.post("/_dash-update-component", json={"output": "demand-message.children"}).status_code == 200


def test_secure_cookies(monkeypatch) -> None:
    monkeypatch.delenv("SOP_ENV", raising=False)
    monkeypatch.delenv("SOP_SECURE_COOKIES", raising=False)
    assert not session_guard.secure_cookies()
    monkeypatch.setenv("SOP_SECURE_COOKIES", "1")
    assert session_guard.secure_cookies()
    monkeypatch.delenv("SOP_SECURE_COOKIES")
    monkeypatch.setenv("SOP_ENV", "production")
    assert session_guard.secure_cookies()
