"""Role checks made on the server before any change is stored (the user comes from a session kept in the
store, as after signing in)."""

import flask
import pytest

from callbacks.auth import NotAllowed, require


@pytest.fixture
def request_as():
    app = flask.Flask(__name__)
    app.secret_key = "test"

    def _as(username, role):
        from services.plan_service import get_store

        ctx = app.test_request_context("/")
        ctx.push()
        flask.session["sid"] = get_store().start_session(username)  # the role is the stored one
        return ctx

    contexts = []
    yield lambda u, r: contexts.append(_as(u, r))
    for ctx in reversed(contexts):
        ctx.pop()


def test_executive_may_not_change_capacity(request_as):
    request_as("erin", "executive")
    with pytest.raises(NotAllowed) as err:
        require("capacity_edit")
    assert str(err.value) == ("erin (Executive) may not change capacity; that needs: Administrator, "
                              "Supply planner.")
    assert require("approve") == "erin"


def test_planners_may_change_their_own_plan_only(request_as):
    request_as("dana", "demand_planner")
    assert require("demand_edit") == "dana"
    with pytest.raises(NotAllowed, match="may not upload data"):
        require("upload")
    request_as("sam", "supply_planner")
    assert require("capacity_edit") == "sam"
    with pytest.raises(NotAllowed, match="may not change the demand plan"):
        require("demand_edit")


def test_settings_callback_refuses_a_demand_planner(request_as):
    """The save callback itself checks the role, whatever the page showed."""
    from callbacks.settings import FIELD_NAMES, save_settings

    request_as("dana", "demand_planner")
    values = [1] * len(FIELD_NAMES)
    message, state = save_settings(1, *values, True, 1, 1, 1, [5], [{"kpi": "mape", "side": "high"}], ["AutoETS"])
    text = str(message)
    assert "dana (Demand planner) may not change settings; that needs: Administrator." in text
    assert "Nothing was changed." in text
