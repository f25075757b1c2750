"""Roles × writing callbacks, against stored users (tests/permission_matrix.py holds the table).

1. The table covers every callback in callbacks/ that asks for a role, with the actions it asks for.
2. Permission level: for every writing callback and every role (plus anonymous, a disabled user and a
   deleted one), the stored user may or may not, as the table says; the role claimed by the session never
   counts. The matrix is written to test-artifacts/permission-matrix.md.
3. Through the callbacks themselves: each refused caller gets a message and the store is unchanged
   (every row of every table compared before and after).
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import flask
import pytest

from services import permissions
from tests import permission_matrix as pm

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "matrix-pass-1"
OTHERS = ["anonymous", "disabled", "deleted"]  # callers that may never write


@pytest.fixture(scope="module")
def matrix_store(tmp_path_factory, seeded_sqlite):
    """The sample company with one stored user per role (`m-<role>`), a disabled admin and a deleted user;
    the process's plan service reads it."""
    from data.store import Store, make_engine
    from services import plan_service
    from services.plan_service import PlanService

    path = tmp_path_factory.mktemp("matrix") / "sop.db"
    shutil.copy(seeded_sqlite, path)
    store = Store(make_engine(f"sqlite:///{path}"))
    store.ensure_ready()
    for role in pm.ROLES:
        store.add_user(f"m-{role}", PASSWORD, role)
    store.add_user("m-disabled", PASSWORD, "admin")
    store.set_user_disabled("m-disabled", True, by="test")
    store.add_user("m-deleted", PASSWORD, "admin")  # signed in, then removed from the store
    store.deleted_sid = store.start_session("m-deleted")
    from data.store import users as users_table

    with store.engine.begin() as conn:
        conn.execute(users_table.delete().where(users_table.c.username == "m-deleted"))
    saved = plan_service._service
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", f"sqlite:///{path}")
    mp.setenv("SOP_CACHE_DIR", str(path.parent / "cache"))
    mp.setenv("SOP_REQUIRE_LOGIN", "1")
    mp.setenv("SOP_AUTO_FORECAST", "0")
    plan_service._service = PlanService(store)
    yield store
    plan_service._service = saved
    mp.undo()
    store.engine.dispose()


def _session_user(caller: str) -> dict | None:
    """What a request would claim: the session's user with a forged admin role (never trusted)."""
    if caller == "anonymous":
        return None
    name = {"disabled": "m-disabled", "deleted": "m-deleted"}.get(caller, f"m-{caller}")
    return {"username": name, "role": "admin"}


def _expected(caller: str, action: str) -> bool:
    return caller in pm.ALLOWED[action]


def test_the_table_covers_every_writing_callback() -> None:
    """A new callback that asks for a role fails here until it is added to tests/permission_matrix.py."""
    found = pm.callbacks_in_source()
    assert sorted(set(found) - set(pm.WRITING_CALLBACKS)) == [], "add these to WRITING_CALLBACKS"
    assert sorted(set(pm.WRITING_CALLBACKS) - set(found)) == [], "these no longer ask for a role"
    for name, actions in found.items():
        assert set(actions) == set(pm.WRITING_CALLBACKS[name]), name
    assert set(pm.ALLOWED) == set(permissions.PERMISSIONS)
    assert set(pm.WRITING_CALLBACKS) == set(pm.calls())


def test_roles_by_writing_callbacks(matrix_store) -> None:
    rows, wrong = [], []
    callers = pm.ROLES + OTHERS
    for name, actions in sorted(pm.WRITING_CALLBACKS.items()):
        cells = []
        for caller in callers:
            results = []
            for action in actions:
                try:
                    user = permissions.authorize(action, _session_user(caller))
                    ok, why = True, ""
                    if user["role"] != caller:
                        wrong.append(f"{name} {caller}: authorized with role {user['role']}")
                except permissions.NotAllowed as exc:
                    ok, why = False, str(exc)
                    if not why:
                        wrong.append(f"{name} {caller}: refused without a message")
                if ok != _expected(caller, action):
                    wrong.append(f"{name} {action} {caller}: {'allowed' if ok else 'refused'} ({why})")
                results.append((action, ok))
            if len(results) == 1:
                cells.append("allowed" if results[0][1] else "refused")
            else:
                cells.append(" / ".join(f"{a}: {'allowed' if ok else 'refused'}" for a, ok in results))
        rows.append((name, ", ".join(actions), cells))
    _write_markdown(rows, callers)
    assert wrong == []


def _write_markdown(rows, callers) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    lines = ["# Roles × writing callbacks", "",
             "Checked against users stored in a real store (the role the session claims is never used); "
             "`disabled` is a disabled administrator, `deleted` a session whose user no longer exists.", "",
             "| callback | action | " + " | ".join(callers) + " |",
             "|---|---|" + "---|" * len(callers)]
    for name, actions, cells in rows:
        lines.append(f"| `{name}` | {actions} | " + " | ".join(cells) + " |")
    allowed = sum(c.count("allowed") for _n, _a, cells in rows for c in cells)
    refused = sum(c.count("refused") for _n, _a, cells in rows for c in cells)
    lines += ["", f"{len(rows)} callbacks × {len(callers)} callers: {allowed} allowed, {refused} refused."]
    (ARTIFACTS / "permission-matrix.md").write_text("\n".join(lines) + "\n")


def _call(name: str, spec: dict, monkeypatch):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    module_name, fn_name = name.rsplit(".", 1)
    module = importlib.import_module(module_name)
    if spec.get("patch"):
        attr, value = spec["patch"]
        monkeypatch.setattr(module, attr, value)
    trigger = spec.get("trigger")
    token = context_value.set(AttributeDict(
        triggered_inputs=[{"prop_id": f"{trigger}.n_clicks", "value": 1}] if trigger else []))
    try:
        args = spec["args"] if spec["args"] is not None else pm.settings_args()
        fn = module.CAPTURE[spec["fn"]] if spec.get("fn") else getattr(module, fn_name)  # nested: registered
        return fn(*args)
    finally:
        context_value.reset(token)


REFUSALS = ("may not", "Sign in", "is disabled", "no longer exists")


@pytest.mark.parametrize("caller", ["executive", "demand_planner", "supply_planner", "facilitator", *OTHERS])
def test_refused_callers_change_nothing(matrix_store, caller, monkeypatch) -> None:
    """Every writing callback, called as a caller the table refuses: a message, and the store unchanged."""
    app = flask.Flask(__name__)
    app.secret_key = "matrix"
    problems, shown = [], []
    for kind in ("demand", "capacity"):  # the workbook upload asks for one action or the other
        for name, spec in sorted(pm.calls(kind).items()):
            actions = pm.WRITING_CALLBACKS[name]
            if spec.get("registers"):  # a function that registers callbacks (they have entries of their own)
                continue
            if kind == "capacity" and name != "callbacks.plan_workbook.on_accept":
                continue
            action = actions[0] if kind == "demand" or len(actions) == 1 else actions[1]
            if _expected(caller, action):
                continue
            before = pm.store_fingerprint(matrix_store)
            with app.test_request_context("/"):
                session_user = _session_user(caller)
                if session_user is not None:
                    name_in_store = session_user["username"]
                    sid = matrix_store.deleted_sid if caller == "deleted" \
                        else matrix_store.start_session(name_in_store)
                    flask.session["sid"] = sid
                out = _call(name, spec, monkeypatch)
            text = str(out)
            said = _refusal(text)
            if said is None:
                problems.append(f"{name} as {caller}: no refusal message in {text[:300]}")
            shown.append(f"| `{name}` ({action}) | {caller} | {said} |")
            if pm.store_fingerprint(matrix_store) != before:
                problems.append(f"{name} as {caller}: the store changed")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"permission-refusals-{caller}.md").write_text(
        "| callback | caller | message shown |\n|---|---|---|\n" + "\n".join(shown) + "\n")
    assert problems == []


def _refusal(text: str) -> str | None:
    """The sentence of a callback's answer (its repr) that refuses (None when there is none)."""
    import re

    for marker in REFUSALS:
        at = text.find(marker)
        if at >= 0:
            start = max(text.rfind("'", 0, at), text.rfind('"', 0, at)) + 1
            ends = [e for e in (text.find(q, at) for q in ("',", "')", "']", "'}", '"')) if e >= 0]
            return re.sub(r"\s+", " ", text[start:min(ends) if ends else at + 200])
    return None
