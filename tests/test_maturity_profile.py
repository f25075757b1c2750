"""The maturity scores and next steps (planning.maturity) hand-worked; the company profile validated, its
weights, targets and horizon proposal; the sample company's seeds written once."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planning import maturity as mm
from planning.model import DEFAULT_TARGETS
from services import profile


def test_scores_count_a_level_only_on_the_level_below() -> None:
    assert mm.dimension_scores({}) == {d.key: 1.0 for d in mm.DIMENSIONS}
    # process: L2 yes (1), L3 both partly (0.5), L4 yes (1) → 1 + 1 + 0.5 + 1, L5 no → 3.5
    a = {"process_monthly": 2, "process_cadence": 1, "process_horizon": 1, "process_ibp": 2}
    assert mm.dimension_scores(a)["process"] == pytest.approx(3.5)
    # L3 below half: L4 does not count → 1 + 1 + 0.25
    a = {"process_monthly": 2, "process_cadence": 1, "process_horizon": 0, "process_ibp": 2}
    assert mm.dimension_scores(a)["process"] == pytest.approx(2.25)
    everything = {s.key: 2 for s in mm.STATEMENTS}
    assert set(mm.dimension_scores(everything).values()) == {5.0}
    assert mm.overall_score(mm.dimension_scores(everything)) == 5.0
    assert mm.overall_score({"a": 2.0, "b": 3.0}) == 2.5
    assert [mm.level_of(x) for x in (1.0, 2.99, 3.0, 5.0)] == [1, 2, 3, 5]


def test_next_steps_for_the_weakest_dimension_from_the_level_above() -> None:
    answers = {s.key: 2 for s in mm.STATEMENTS if s.level <= 3}
    answers["tools_scenarios"] = 0  # tools stays at level 2: its next level is 3
    weakest, level, steps = mm.next_steps(answers)
    assert (weakest, level) == ("tools", 3)
    assert steps == [mm.BY_KEY["tools_scenarios"].step]
    weakest, level, steps = mm.next_steps({})
    assert (weakest, level) == ("process", 2) and steps == [mm.BY_KEY["process_monthly"].step]


def test_profile_validation_names_every_bad_field() -> None:
    raw = {**profile.SAMPLE_PROFILE, "frequency": "daily", "participants": {"sales": -1},
           "objectives": {"growth": {"priority": 9, "target": "lots"}}}
    with pytest.raises(profile.ProfileError) as err:
        profile.validate(raw)
    text = str(err.value)
    assert "frequency: choose one of monthly, weekly, quarterly" in text
    assert "participants from sales" in text and "growth priority" in text and "growth target" in text
    clean = profile.validate(profile.SAMPLE_PROFILE)
    assert clean["objectives"]["service"] == {"priority": 3, "target": 95.0}


def test_profile_sets_weights_targets_and_the_horizon() -> None:
    p = profile.validate(profile.SAMPLE_PROFILE)  # growth 2, margin 2, service 3, inventory 1
    assert profile.weights_from(p) == (0.5, pytest.approx(0.3333), pytest.approx(0.1667))
    none = {"objectives": {}}
    assert profile.weights_from(none) == (0.25, 0.25, 0.5)
    t = profile.targets_from(p, dict(DEFAULT_TARGETS))
    assert t["plan_attainment"].low == 95.0
    assert t["days_of_supply"].high == 45.0 and t["days_of_supply"].low == 30.0
    assert t["working_capital_days"].high == 45.0
    assert profile.horizon_proposal(p, 3)[0] == 18
    assert profile.horizon_proposal(p, 4)[0] == 24
    assert profile.horizon_proposal({**p, "frequency": "quarterly"}, 2)[0] == 12


def test_sample_seeds_once(tmp_path) -> None:  # noqa: ANN001
    from data.store import Store, make_engine
    from services.maturity import seed_sample_assessments

    store = Store(make_engine(f"sqlite:///{tmp_path / 'sop.db'}"))
    store.ensure_ready()
    assert seed_sample_assessments(store) == 2
    assert seed_sample_assessments(store) == 0
    answers = store.maturity_answers()
    assert sorted(answers["cycle_period"].unique()) == ["2025-09", "2025-12"]
    assert profile.seed_sample_profile(store) is True and profile.seed_sample_profile(store) is False
    assert store.company_profile()["character"] == "seasonal"


@pytest.fixture
def request_as():
    import flask

    app = flask.Flask(__name__)
    app.secret_key = "test"
    contexts = []

    def _as(username, role):
        ctx = app.test_request_context("/")
        ctx.push()
        from services.plan_service import get_store

        assert get_store().list_users().set_index("username").loc[username, "role"] == role
        flask.session["sid"] = get_store().start_session(username)  # a signed-in session, kept in the store
        contexts.append(ctx)

    yield _as
    for ctx in reversed(contexts):
        ctx.pop()


def test_the_save_callbacks_refuse_other_roles(request_as):
    """The assessment is the facilitator's (and the administrator's), the profile the administrator's: the save
    callbacks check the stored role before anything is written."""
    from dash import no_update

    from callbacks.metrics_maturity import save_maturity
    from callbacks.profile import STATES, save

    request_as("dana", "demand_planner")
    msg, saved = save_maturity(1, [2], [{"type": "metrics-maturity-answer", "key": "tools_scenarios"}], 0)
    assert "dana (Demand planner) may not answer the maturity assessment" in str(msg) and saved is no_update
    request_as("fay", "facilitator")
    msg, saved = save(1, *([None] * len(STATES)), 0)
    assert "fay (Facilitator) may not edit the company profile" in str(msg) and saved is no_update


def test_a_project_based_profile_puts_the_intermittent_models_into_the_next_forecast_run(db_url, tmp_path,
                                                                                          monkeypatch) -> None:
    """Saving the profile sets the forecast candidates from the demand character; the worker's next run (a real
    statistical forecast of four sample items, two of them intermittent) compares those and chooses among them."""
    from data.sample import sample_company
    from planning.forecast import ADIDA, BASELINE, CROSTON, IMAPA, SNAIVE
    from services import forecast_worker
    from services.forecast_jobs import backtest_text
    from tests.store_fixtures import new_service

    svc = new_service(db_url)
    monkeypatch.setattr("services.plan_service.get_service", lambda: svc)
    full = sample_company()
    keep = ["ELC-101", "OUT-111", "APL-112", "KIT-112"]  # a smooth item and three intermittent ones
    items = full.items[full.items["item_id"].isin(keep)].reset_index(drop=True)
    small = full.with_(items=items, history=full.history[full.history["item_id"].isin(keep)],
                       capacity=full.capacity[full.capacity["family"].isin(items["family"])],
                       adjustments=full.adjustments.iloc[0:0])
    svc.store.save_dataset(small, source="four items")
    assert svc.settings().forecast_candidates == ()  # the standard sets until a profile says otherwise

    profile.save_profile({**profile.SAMPLE_PROFILE, "character": "project_based"}, by="admin")
    listed = (CROSTON, ADIDA, IMAPA, SNAIVE, "AutoETS", "AutoTheta", BASELINE)
    assert svc.settings().forecast_candidates == listed
    assert profile.candidates_note().startswith("Forecast candidates from your company profile (project-based)")

    args = {"token": "p1", "cycle_id": svc.state().cycle_id, "user": "admin", "trigger": "manual", "force": True,
            "cache_dir": str(tmp_path)}
    out = forecast_worker.run(args, service=svc)
    assert out["status"] == "done", out
    models = svc.store.forecast_models()
    assert sorted(models["item_id"]) == sorted(keep)
    ensemble = "Ensemble(ETS,Theta,SNaive)"  # the standard ensemble's members that are on the list
    allowed = set(listed) | {ensemble}
    assert set(models["model"]) <= allowed, set(models["model"])
    assert set(models["runner_up"]) <= allowed
    # the run's record names the list it compared (the /data page shows the method)
    settings = json.loads(svc.store.forecast_run(out["run_id"])["settings_json"])
    assert tuple(settings["candidates"]) == listed
    assert settings["backtest"] == backtest_text(listed)
    assert "Croston, ADIDA, IMAPA, SNaive, ETS, Theta, baseline" in settings["backtest"]
    assert "ARIMA" not in settings["backtest"]
    # the same run with every candidate's forecast kept: Croston, ADIDA and IMAPA were compared on the backtest
    from planning.forecast import ForecastConfig, statistical_forecast

    again = statistical_forecast(small.history, svc.horizon(small), return_candidates=True,
                                 config=ForecastConfig(candidates=svc.settings().forecast_candidates))
    compared = again.candidates.groupby("model")["error"].apply(lambda e: e.notna().any())
    assert set(compared.index) == allowed and compared[[CROSTON, ADIDA, IMAPA]].all()
    pd.testing.assert_frame_equal(again.models[["item_id", "model"]], models[["item_id", "model"]]
                                  .sort_values("item_id", ignore_index=True))
    svc.store.engine.dispose()
