"""Sign-in on (the default): a served `python app.py` with SOP_REQUIRE_LOGIN=1, driven by headless Chromium and
by plain HTTP requests as a script (or an attacker) would send them to `/_dash-update-component`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import VIEWPORTS, _new_page, shot, store_of
from tests.permission_matrix import store_fingerprint

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = "admin-chosen-password"


@pytest.fixture(scope="module")
def server(start_app):
    # an administrator with a chosen password: the default one must be changed first (test_browser_security)
    return start_app("signin", require_login=True, env_extra={"SOP_ADMIN_PASSWORD": ADMIN_PASSWORD})


# ---------------------------------------------------------------------------- HTTP as a script sends it


def _deps(server) -> list[dict]:
    with urllib.request.urlopen(server.url + "/_dash-dependencies", timeout=30) as r:
        return json.load(r)


def _dep(server, output_part: str, input_part: str | None = None) -> dict:
    for dep in _deps(server):
        if output_part in dep["output"] and (input_part is None or any(
                f"{i['id']}.{i['property']}" == input_part for i in dep["inputs"])):
            return dep
    raise LookupError(output_part)


def _outputs(key: str):
    def one(part: str) -> dict:
        ident, prop = part.split("@")[0].rsplit(".", 1)
        return {"id": ident, "property": prop}

    if key.startswith(".."):
        return [one(p) for p in key.strip(".").split("...")]
    return one(key)


def post_callback(server, dep: dict, values: dict | None = None, cookie: str | None = None):
    """POST a callback as the Dash renderer does; returns (status, text, headers)."""
    values = values or {}

    def fill(items):
        return [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                for i in items]

    body = {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": fill(dep["inputs"]),
            "state": fill(dep["state"]), "changedPropIds": [k for k in values if any(
                f"{i['id']}.{i['property']}" == k for i in dep["inputs"])]}
    request = urllib.request.Request(server.url + "/_dash-update-component", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def sign_in(server, username: str, password: str = "demo") -> tuple[str, str]:
    """(cookie, raw Set-Cookie) after signing in through the login page's callback."""
    dep = _dep(server, "login-redirect.href", "login-submit.n_clicks")
    status, text, headers = post_callback(server, dep, {
        "login-submit.n_clicks": 1, "login-username.value": username, "login-password.value": password,
        "login-next.data": "/"})
    assert status == 200 and "Signed in as" in text, text
    raw = headers.get("Set-Cookie")
    return raw.split(";")[0], raw


def _refresh_dep(server):
    return _dep(server, "app-state.data", "_pages_location.pathname")


def test_anonymous_requests_are_refused_and_change_nothing(server) -> None:
    with store_of(server) as store:
        before = store_fingerprint(store)
    refused = {
        "demand edit": (_dep(server, "demand-message.children", "demand-action.data"),
                        {"demand-action.data": {"kind": "edit", "nonce": "x", "cells": [
                            {"row_id": "family:Electronics", "period": "2026-03", "value": 1}]}}),
        "approve": (_dep(server, "meeting-approve-msg.children", "meeting-approve.n_clicks"),
                    {"meeting-approve.n_clicks": 1}),
        "plan workbook download": (_dep(server, "workbook-download.data", "workbook-download-btn.n_clicks"),
                                   {"workbook-download-btn.n_clicks": 1}),
        "upload": (_dep(server, "data-upload-report.children", "data-upload.contents"), {"data-upload.contents": ["data:,x"],
                                                                           "data-upload.filename": ["items.csv"]}),
        "header ids": (_refresh_dep(server), {"_pages_location.pathname": "/"}),
    }
    for what, (dep, values) in refused.items():
        status, text, _headers = post_callback(server, dep, values)
        assert status in (401, 403), f"{what}: {status} {text[:200]}"
        assert "Sign in" in text
    with store_of(server) as store:
        assert store_fingerprint(store) == before
    # the same request with a facilitator's cookie is served (what refused it was the missing sign-in)
    cookie, _raw = sign_in(server, "fay")
    dep, values = refused["approve"]
    status, text, _headers = post_callback(server, dep, values, cookie=cookie)
    assert status == 200 and "approved" in text.lower(), text[:300]
    with store_of(server) as store:
        assert store_fingerprint(store) != before


def test_anonymous_page_visits_go_to_the_login_page(server) -> None:
    for path in ("/", "/demand", "/admin/users", "/no/such/page"):
        request = urllib.request.Request(server.url + path)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(request, timeout=30)
            raise AssertionError(f"{path} was served")
        except urllib.error.HTTPError as e:
            assert e.code == 302, path
            assert e.headers["Location"].startswith("/login?next="), e.headers["Location"]
    with urllib.request.urlopen(server.url + "/_dash-layout", timeout=30) as r:
        layout = r.read().decode()
    assert "shell-context" not in layout and "app-state" not in layout  # no plan ids in the bare shell


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_cookie_flags_and_a_cookie_kept_after_sign_out(server) -> None:
    cookie, raw = sign_in(server, "dana")
    flags = [f.strip().lower() for f in raw.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags, raw
    assert any(f.startswith("expires=") for f in flags)  # lives for the idle time, refreshed on each request
    status, _text, _h = post_callback(server, _refresh_dep(server), {"_pages_location.pathname": "/"}, cookie)
    assert status == 200
    dep = _dep(server, "login-redirect.href", "login-signout.n_clicks")
    status, text, _h = post_callback(server, dep, {"login-signout.n_clicks": 1}, cookie)
    assert status == 200 and "Signed out" in text
    status, text, _h = post_callback(server, _refresh_dep(server), {"_pages_location.pathname": "/"}, cookie)
    assert status == 401, "a cookie kept from before signing out still works"


# ---------------------------------------------------------------------------- in the browser


def browser_sign_in(page, username: str, password: str = "demo") -> None:
    page.wait_for_selector("#login-username")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def test_anonymous_sees_the_login_page_only(server, new_page) -> None:
    page = new_page(server.url)
    page.goto("/")
    page.wait_for_selector("#login-username")
    assert "/login?next=%2F" in page.url
    page.wait_for_selector("#login-demo-accounts")
    assert "fay" in page.inner_text("#login-demo-accounts")
    page.wait_for_timeout(1500)  # anything the page would fetch has had time to come
    assert page.locator("#dash-kpis, .js-plotly-plot, #shell-context, #nav-demand").count() == 0
    shot(page, "signin-anonymous")


def test_fay_signs_in_and_lands_where_she_was_going(server, new_page) -> None:
    page = new_page(server.url)
    page.goto("/meeting")
    assert "/login?next=%2Fmeeting" in page.url
    browser_sign_in(page, "fay")
    page.wait_for_url("**/meeting")
    page.wait_for_selector("#meeting-approve")
    page.wait_for_function("() => document.querySelector('#shell-user').innerText.includes('fay')")
    assert "Facilitator" in page.inner_text("#shell-user")
    assert page.locator("#nav-admin-users").count() == 0  # the users page is for administrators
    session = [c for c in page.context.cookies() if c["name"] == "session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"
    shot(page, "signin-fay-meeting")
    page.goto("/admin/users")  # typed by hand: the page itself refuses her
    assert "fay (Facilitator) may not manage users" in page.wait_for_selector("#admin-users-refused").inner_text()
    assert page.locator("#admin-users-table").count() == 0


def pick(page, dropdown: str, value: str) -> None:
    page.click(f"#{dropdown}")
    page.click(f'[role=option]:has(input[value="{value}"])')


def test_a_user_disabled_by_the_admin_can_no_longer_act(server, new_page, browser) -> None:
    # sam's page is not checked for console errors: once he is disabled its polls are refused (401), which
    # Chromium logs as failed loads, and that is the point
    sam_context, sam, _errors = _new_page(browser, server.url, VIEWPORTS["1920"])
    sam.goto("/supply")
    browser_sign_in(sam, "sam")
    sam.wait_for_url("**/supply")
    sam.wait_for_selector("#shell-user")
    sam_cookie = "session=" + next(c["value"] for c in sam.context.cookies() if c["name"] == "session")
    refresh = _refresh_dep(server)
    assert post_callback(server, refresh, {"_pages_location.pathname": "/"}, sam_cookie)[0] == 200

    admin = new_page(server.url)
    admin.goto("/admin/users")
    browser_sign_in(admin, "admin", ADMIN_PASSWORD)
    admin.wait_for_url("**/admin/users")
    admin.wait_for_selector("#nav-admin-users")
    admin.wait_for_selector('#admin-users-table tr[data-key="sam"]')
    pick(admin, "admin-user-select", "admin")  # the last active administrator cannot disable themselves
    admin.click("#admin-disable")
    assert "last active administrator" in admin.wait_for_selector("#admin-users-refused").inner_text()
    pick(admin, "admin-user-select", "sam")
    admin.click("#admin-disable")
    assert "Disabled sam" in admin.wait_for_selector("#admin-users-done").inner_text()
    cell = admin.locator('#admin-users-table tr[data-key="sam"] td[data-col="status"]')
    assert cell.inner_text() == "disabled"
    admin.fill("#admin-add-username", "nina")
    pick(admin, "admin-add-role", "executive")
    admin.fill("#admin-add-password", "short")
    admin.click("#admin-add-submit")
    assert "at least 8 characters" in admin.wait_for_selector("#admin-users-refused").inner_text()
    assert admin.input_value("#admin-add-password") == ""  # a typed password never stays on the page
    admin.fill("#admin-add-password", "nina-password")
    admin.click("#admin-add-submit")
    assert "Added nina (Executive)." in admin.wait_for_selector("#admin-users-done").inner_text()
    admin.wait_for_selector('#admin-users-table tr[data-key="nina"]')
    shot(admin, "signin-admin-users")

    assert post_callback(server, refresh, {"_pages_location.pathname": "/"}, sam_cookie)[0] == 401
    # his open page is refused at its next poll and goes to the login page by itself
    sam.wait_for_url("**/login?next=%2Fsupply", timeout=15_000)
    sam.wait_for_selector("#login-username")
    browser_sign_in(sam, "sam")
    sam.wait_for_selector("#login-message .alert-danger")  # and he cannot sign in
    with store_of(server) as store:
        events = store.user_events()
        assert store.get_user("sam")["disabled"] is True
    row = events[(events["username"] == "sam") & (events["event"] == "disabled")]
    assert list(row["by"]) == ["admin"]
    sam_context.close()


def test_the_admin_nav_fits_a_laptop(server, new_page) -> None:
    page = new_page(server.url, "1366")
    page.goto("/")
    browser_sign_in(page, "admin", ADMIN_PASSWORD)
    page.wait_for_selector("#dash-kpis .kpi-card, #dash-kpis [id^=kpi-]", timeout=60_000)
    assert page.is_visible("#nav-admin-users")
    shot(page, "signin-admin-1366", full_page=False)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard is {overflow}px wider than a 1366px window"
    shot(page, "signin-admin-1366", full_page=False)
