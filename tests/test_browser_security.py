"""Security headers, cookie flags, the Origin check and throttling on a served `python app.py` with sign-in
on, and the pages still render under the Content-Security-Policy (any console error fails the test)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT, shot, store_of
from tests.test_browser_sign_in import _dep, browser_sign_in, post_callback, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(start_app):
    return start_app("security", require_login=True)


def _get(url: str, headers: dict | None = None, method: str = "GET", data: bytes | None = None):
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode(errors="replace")


def test_headers_on_real_responses(server) -> None:
    for path in ("/login", "/", "/_dash-layout", "/assets/app.css", "/no-such-route"):
        status, headers, _body = _get(server.url + path)
        assert headers["X-Frame-Options"] == "DENY", path
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
    secret = ROOT / "instance" / "secret_key"
    if secret.exists():
        assert secret.stat().st_mode & 0o777 == 0o600


def test_cookie_flags_and_origin_check(server) -> None:
    cookie, raw = sign_in(server, "dana")
    flags = [f.strip().lower() for f in raw.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags, raw
    dep = _dep(server, "login-redirect.href", "login-signout.n_clicks")
    body = b'{"output": "x"}'
    status, _h, text = _get(server.url + "/_dash-update-component", method="POST", data=body,
                            headers={"Content-Type": "application/json", "Cookie": cookie,
                                     "Origin": "https://evil.example"})
    assert status == 403 and "another site" in text
    status, text, _h = post_callback(server, dep, {"login-signout.n_clicks": 1}, cookie)
    assert status == 200 and "Signed out" in text


def test_throttled_after_five_failures(server) -> None:
    dep = _dep(server, "login-redirect.href", "login-submit.n_clicks")

    def attempt(password):
        return post_callback(server, dep, {"login-submit.n_clicks": 1, "login-username.value": "erin",
                                           "login-password.value": password, "login-next.data": "/"})

    for _ in range(5):
        status, text, _h = attempt("wrong")
        assert status == 200 and "do not match" in text
    status, text, _h = attempt("demo")
    assert "Too many attempts: try again in 15 minutes" in text and "Signed in" not in text


def test_pages_render_under_the_policy(server, new_page) -> None:
    page = new_page(server.url)
    page.goto("/")
    browser_sign_in(page, "sam")
    page.wait_for_selector("#dash-kpis [id^=kpi-]", timeout=60_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    for path, selector in (("/supply", ".js-plotly-plot"), ("/demand", ".ag-root"),
                           ("/metrics", "#metrics-kpis, .js-plotly-plot"), ("/data", ".js-plotly-plot"),
                           ("/pre-sop", ".js-plotly-plot"), ("/meeting", "#meeting-approve")):
        page.goto(path)
        page.wait_for_selector(selector, timeout=60_000)
    page.wait_for_timeout(1500)
    shot(page, "security-csp-metrics")


def test_the_default_admin_password_is_changed_at_first_sign_in(server, new_page) -> None:
    page = new_page(server.url)
    page.goto("/metrics")
    browser_sign_in(page, "admin", "admin")
    page.wait_for_selector("#login-must-change")
    assert page.is_visible("#login-change-new")
    assert "/login" in page.url  # stays on the sign-in page until the password is changed
    page.fill("#login-change-new", "short")
    page.fill("#login-change-confirm", "short")
    page.click("#login-change-submit")
    assert "at least 8" in page.wait_for_selector("#login-change-refused").inner_text()
    page.fill("#login-change-new", "a-better-password")
    page.fill("#login-change-confirm", "a-better-password")
    page.click("#login-change-submit")
    page.wait_for_url("**/metrics")
    page.wait_for_selector("#shell-user")
    page.wait_for_function("() => document.querySelector('#shell-user').innerText.includes('admin')")
    shot(page, "security-admin-password-changed")
    with store_of(server) as store:
        assert not store.has_password("admin", "admin") and store.has_password("admin", "a-better-password")
