"""Insecure defaults (issue 11, item 10): the demo accounts stop working when a real company is uploaded,
an administrator with the default password must choose a new one before any write."""

from __future__ import annotations

import shutil

import flask
import pytest

from services import plan_service, users
from tests.conftest import seed_example_dir


@pytest.fixture
def svc(tmp_path, seeded_sqlite, monkeypatch):
    from data.store import Store, make_engine
    from services.plan_service import PlanService

    monkeypatch.delenv("SOP_ENV", raising=False)
    monkeypatch.setenv("SOP_AUTO_FORECAST", "0")
    monkeypatch.setenv("SOP_REQUIRE_LOGIN", "1")
    shutil.copy(seeded_sqlite, tmp_path / "sop.db")
    store = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    store.ensure_ready()
    store.ensure_admin("admin")
    plan_service.ensure_demo_users(store)
    service = PlanService(store)
    monkeypatch.setattr(plan_service, "_service", service)
    yield service
    store.engine.dispose()


def test_uploading_a_real_company_disables_the_demo_accounts(svc):
    from callbacks.data_upload import upload_report
    from services.uploads import upload_files

    assert {a["username"] for a in users.demo_accounts(svc.store)} >= {"dana", "sam", "erin", "fay"}
    files = {p.name: p.read_bytes() for p in sorted(seed_example_dir().glob("*.csv"))}
    result = upload_files(files, user="admin")
    assert result.stored and sorted(result.demo_disabled) == ["dana", "erin", "fay", "sam"]
    assert all(svc.store.get_user(n)["disabled"] for n in result.demo_disabled)
    assert svc.store.check_password("dana", "demo") is None
    assert "The demo accounts (dana, sam, erin, fay) were disabled" in str(upload_report(result, list(files)))
    events = svc.store.user_events()
    assert set(events[events["event"] == "disabled"]["username"]) >= {"dana", "sam"}


def test_the_default_admin_password_must_be_changed_before_any_write(svc):
    from callbacks.auth import NotAllowed, require

    app = flask.Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context("/"):
        flask.session["sid"] = svc.store.start_session("admin")
        with pytest.raises(NotAllowed, match="admin still has the default password: change it"):
            require("settings")
    assert users.must_change_password(svc.store, "admin")
    with pytest.raises(users.UserError, match="at least 8"):
        users.change_default_password(svc.store, username="admin", new="short", confirm="short")
    with pytest.raises(users.UserError, match="differ"):
        users.change_default_password(svc.store, username="admin", new="a-new-password", confirm="other-one")
    assert users.change_default_password(svc.store, username="admin", new="a-new-password",
                                         confirm="a-new-password") == "Password changed for admin."
    assert not users.must_change_password(svc.store, "admin")
    with app.test_request_context("/"):
        flask.session["sid"] = svc.store.start_session("admin")
        assert require("settings") == "admin"
    with pytest.raises(users.UserError, match="does not have the default password"):
        users.change_default_password(svc.store, username="admin", new="another-one", confirm="another-one")
