"""/profile: fill the form from the stored profile, save it (administrators), and show what it sets
(services.profile holds the rules)."""

from __future__ import annotations

import logging

from dash import Input, Output, State, callback, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require, signed_in
from components.empty import error_state
from components.scenarios import message
from services.profile import FUNCTIONS, OBJECTIVES

log = logging.getLogger("sop.profile")

CHOICES = ["process", "frequency", "size", "scope", "character"]
FIELDS = ([Output(f"profile-{c}", "value") for c in CHOICES]
          + [Output(f"profile-part-{f}", "value") for f in FUNCTIONS]
          + [Output(f"profile-prio-{o}", "value") for o in OBJECTIVES]
          + [Output(f"profile-target-{o}", "value") for o in OBJECTIVES]
          + [Output("profile-pain", "value"), Output("profile-authority", "value")])
STATES = ([State(f"profile-{c}", "value") for c in CHOICES]
          + [State(f"profile-part-{f}", "value") for f in FUNCTIONS]
          + [State(f"profile-prio-{o}", "value") for o in OBJECTIVES]
          + [State(f"profile-target-{o}", "value") for o in OBJECTIVES]
          + [State("profile-pain", "value"), State("profile-authority", "value")])


def _uses(p: dict) -> html.Div:
    from services import maturity
    from services import profile as svc
    from services.plan_service import get_service
    from planning.maturity import level_of

    w = svc.weights_from(p)
    settings = get_service().plan_settings()
    level = level_of(maturity.view()["overall"])
    months, why = svc.horizon_proposal(p, level)
    keys = ("plan_attainment", "days_of_supply", "working_capital_days")
    mine = svc.targets_from(p, dict(settings.targets))
    current_w = tuple(round(float(x), 4) for x in settings.scenario_weights)
    cands = svc.CANDIDATES.get(p.get("character"), ())
    settings_cands = tuple(get_service().settings().forecast_candidates)
    in_force = set(settings_cands) == set(cands)
    hint = svc.FORECAST_HINTS.get(p.get("character"), svc.FORECAST_HINTS["stable"])

    def bound(t) -> str:
        if t is None:
            return "—"
        parts = ([f"≥ {t.low:g}"] if t.low is not None else []) + ([f"≤ {t.high:g}"] if t.high is not None else [])
        return " and ".join(parts) or "none"

    same = all(mine.get(k) == settings.targets.get(k) for k in keys)
    targets = "; ".join(f"{n} {bound(mine.get(k))}" for k, n in zip(
        keys, ("plan attainment %", "days of supply", "working capital days"), strict=True))

    return html.Ul([
        html.Li([f"Scenario weights from your profile: service {w[0]:.2f}, cost {w[1]:.2f}, feasibility "
                 f"{w[2]:.2f}", html.Span(" (in force)" if current_w == w else
                                          f" (in force now: {current_w[0]:.2f} / {current_w[1]:.2f} / "
                                          f"{current_w[2]:.2f}, changed since)", className="item-meta")],
                id="profile-weights", **{"data-value": ",".join(f"{x:g}" for x in w)}),
        html.Li([f"KPI targets from your profile: {targets}",
                 html.Span(" (in force)" if same else " (not in force: saved settings differ)",
                           className="item-meta")], id="profile-targets"),
        html.Li(f"Horizon proposed: {months} months ({why}); the settings hold {settings.horizon}.",
                id="profile-horizon"),
        html.Li([f"Forecast candidates for {p.get('character', 'stable').replace('_', '-')} demand: "
                 f"{svc.candidates_text(cands)} ({hint})",
                 html.Span(" (in force: the next forecast run compares them)" if in_force else
                           f" (in force now: {svc.candidates_text(settings_cands)}; saving the profile sets them, "
                           "the settings on /metrics override them)", className="item-meta")],
                id="profile-candidates", **{"data-value": ",".join(cands)}),
    ])


@callback(*FIELDS, Output("profile-facts", "children"), Output("profile-uses", "children"),
          Output("profile-save", "disabled"),
          Input("app-state", "data"), Input("profile-saved", "data"))
def show_profile(_state, _saved):
    from services import profile as svc
    from services.permissions import may

    user = signed_in()
    read_only = not may(user.get("role") if user else None, "profile")  # the server checks again on save
    try:
        p = svc.current()
    except Exception as exc:
        log.exception("profile failed")
        return (*([no_update] * len(FIELDS)), error_state(f"{type(exc).__name__}: {exc}"), "", read_only)
    obj = p.get("objectives") or {}
    values = ([p.get(c) for c in CHOICES] + [(p.get("participants") or {}).get(f, 0) for f in FUNCTIONS]
              + [(obj.get(o) or {}).get("priority", 0) for o in OBJECTIVES]
              + [(obj.get(o) or {}).get("target") for o in OBJECTIVES]
              + [p.get("pain_points", ""), p.get("decision_authority", "")])
    saved = (f"saved {p['saved_at']:%Y-%m-%d %H:%M} by {p['saved_by']}" if p.get("saved") and p.get("saved_at")
             else "not saved yet")
    facts = f"From the data: {p['families']} product families, {p['items']} items · profile {saved}"
    try:
        uses = _uses(p)
    except Exception as exc:
        log.exception("profile uses failed")
        uses = error_state(f"{type(exc).__name__}: {exc}")
    return (*values, facts, uses, read_only)


@callback(Output("profile-msg", "children"), Output("profile-saved", "data"),
          Input("profile-save", "n_clicks"), *STATES, State("profile-saved", "data"), prevent_initial_call=True)
def save(n, *values):
    from services import profile as svc

    if not n:
        raise PreventUpdate
    try:
        by = require("profile")
    except NotAllowed as exc:
        return message(str(exc), "danger"), no_update
    *vals, saved = values
    nc, nf, no = len(CHOICES), len(FUNCTIONS), len(OBJECTIVES)
    raw = dict(zip(CHOICES, vals[:nc], strict=True))
    raw["participants"] = dict(zip(FUNCTIONS, vals[nc:nc + nf], strict=True))
    prios, targets = vals[nc + nf:nc + nf + no], vals[nc + nf + no:nc + nf + 2 * no]
    raw["objectives"] = {o: {"priority": p, "target": t} for o, p, t in zip(OBJECTIVES, prios, targets, strict=True)}
    raw["pain_points"], raw["decision_authority"] = vals[-2], vals[-1]
    try:
        svc.save_profile(raw, by=by)
    except ValueError as exc:
        return message(f"Not saved: {exc}", "danger"), no_update
    return message("Profile saved; its scenario weights and targets are now the defaults.", "success"), \
        (saved or 0) + 1


@callback(Output("presop-w-source", "children"), Input("app-state", "data"), Input("presop-w-service", "value"))
def weights_source(_state, _w):
    """On 4 Pre-S&OP: say when the weights in force come from the company profile."""
    from services import profile as svc

    try:
        return svc.weights_note()
    except Exception:
        log.exception("profile weights note failed")
        return ""
