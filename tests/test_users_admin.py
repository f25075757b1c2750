"""The administrator's rules for users (services/users.py) and the sessions kept in the store."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from services import users
from services.plan_service import ensure_demo_users
from services.session_guard import idle_timeout, safe_next


@pytest.fixture
def store(tmp_path, seeded_sqlite, monkeypatch):
    from data.store import Store, make_engine

    monkeypatch.delenv("SOP_ENV", raising=False)
    shutil.copy(seeded_sqlite, tmp_path / "sop.db")
    s = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    s.ensure_admin("admin")
    ensure_demo_users(s)
    yield s
    s.engine.dispose()


@pytest.mark.parametrize("name, role, password, message", [
    ("", "executive", "long enough", "Enter a user name."),
    ("two words", "executive", "long enough", "A user name is one word"),
    ("nina", "boss", "long enough", "Unknown role 'boss': choose one of Executive, Demand planner"),
    ("nina", None, "long enough", "Unknown role None"),
    ("nina", "executive", "short", "The password must have at least 8 characters."),
    ("nina", "executive", None, "The password must have at least 8 characters."),
    ("dana", "executive", "long enough", "A user named 'dana' already exists."),
])
def test_adding_a_user_is_refused_with_a_reason(store, name, role, password, message) -> None:
    before = len(store.list_users())
    with pytest.raises(users.UserError, match=message.replace("(", r"\(")):
        users.add_user(store, by="admin", username=name, role=role, password=password)
    assert len(store.list_users()) == before


def test_add_disable_enable_reset_and_role_are_recorded(store) -> None:
    assert users.add_user(store, by="admin", username="nina", role="executive", password="nina-pass-1") == \
        "Added nina (Executive)."
    assert store.check_password("nina", "nina-pass-1")["role"] == "executive"
    sid = store.start_session("nina")
    assert store.session_user(sid, idle_timeout()) == {"username": "nina", "role": "executive"}
    users.set_disabled(store, by="admin", username="nina", disabled=True)
    assert store.session_user(sid, idle_timeout()) is None  # the session ended with the disabling
    assert store.check_password("nina", "nina-pass-1") is None  # and she cannot sign in again
    users.set_disabled(store, by="admin", username="nina", disabled=False)
    assert store.session_user(sid, idle_timeout()) is None  # an ended session stays ended
    sid = store.start_session("nina")
    users.reset_password(store, by="admin", username="nina", password="another-pass")
    assert store.session_user(sid, idle_timeout()) is None
    assert store.check_password("nina", "another-pass") is not None
    users.change_role(store, by="admin", username="nina", role="demand_planner")
    assert store.get_user("nina")["role"] == "demand_planner"
    events = store.user_events()
    assert list(events["event"])[::-1] == ["added", "disabled", "enabled", "password reset", "role changed"]
    assert set(events["by"]) == {"admin"} and set(events["username"]) == {"nina"}
    assert events["detail"].iloc[0] == "executive → demand_planner"
    assert events["at"].notna().all()


def test_the_last_active_admin_stays(store) -> None:
    with pytest.raises(users.UserError, match="admin is the last active administrator and cannot be disabled"):
        users.set_disabled(store, by="admin", username="admin", disabled=True)
    with pytest.raises(users.UserError, match="cannot be given another role"):
        users.change_role(store, by="admin", username="admin", role="executive")
    assert store.get_user("admin") == {**store.get_user("admin"), "role": "admin", "disabled": False}
    users.add_user(store, by="admin", username="root2", role="admin", password="root2-pass")
    users.change_role(store, by="admin", username="admin", role="executive")  # another admin remains
    with pytest.raises(users.UserError, match="root2 is the last active administrator"):
        users.set_disabled(store, by="root2", username="root2", disabled=True)


def test_unknown_users_and_passwords(store) -> None:
    with pytest.raises(users.UserError, match="Choose a user first."):
        users.set_disabled(store, by="admin", username=None, disabled=True)
    with pytest.raises(users.UserError, match="There is no user 'ghost'."):
        users.reset_password(store, by="admin", username="ghost", password="long enough")
    with pytest.raises(users.UserError, match="at least 8"):
        users.reset_password(store, by="admin", username="dana", password="1234567")


def test_demo_accounts_are_listed_while_they_work(store) -> None:
    names = [a["username"] for a in users.demo_accounts(store)]
    assert names == ["admin", "dana", "sam", "erin", "fay"]
    users.set_disabled(store, by="admin", username="dana", disabled=True)
    users.reset_password(store, by="admin", username="sam", password="sams-own-password")
    users.reset_password(store, by="admin", username="admin", password="admins-own-password")
    assert [a["username"] for a in users.demo_accounts(store)] == ["erin", "fay"]


def test_sessions_end_after_the_idle_time(store) -> None:
    sid = store.start_session("dana")
    assert store.session_user(sid, dt.timedelta(hours=12))["username"] == "dana"
    assert store.session_user(sid, dt.timedelta(seconds=-1)) is None  # idle longer than allowed
    assert store.session_user(sid, dt.timedelta(hours=12)) is None  # and ended for good
    sid = store.start_session("dana")
    store.end_session(sid)
    assert store.session_user(sid, dt.timedelta(hours=12)) is None
    assert store.session_user("", dt.timedelta(hours=12)) is None


def test_idle_hours_and_next(monkeypatch) -> None:
    monkeypatch.setenv("SOP_SESSION_IDLE_HOURS", "2")
    assert idle_timeout() == dt.timedelta(hours=2)
    monkeypatch.setenv("SOP_SESSION_IDLE_HOURS", "nonsense")
    assert idle_timeout() == dt.timedelta(hours=12)
    monkeypatch.delenv("SOP_SESSION_IDLE_HOURS")
    assert idle_timeout() == dt.timedelta(hours=12)
    assert safe_next("/meeting") == "/meeting"
    assert safe_next("/demand?item=X") == "/demand?item=X"
    for bad in (None, "", "https://evil.example/", "//evil.example", "/login", "/login?next=/", "/\\evil"):
        assert safe_next(bad) == "/"
