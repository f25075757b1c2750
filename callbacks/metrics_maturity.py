"""/metrics, "S&OP maturity": the five levels with the one reached highlighted, the radar of this cycle's
assessment against the previous one, the next steps for the weakest dimension, progress over cycles, and the
form that answers the assessment (services.maturity holds the rules; saving needs the `assess` permission)."""

from __future__ import annotations

import logging

import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.auth import NotAllowed, require, signed_in
from components.static_html import raw_html, to_html
from components import charts
from components.empty import error_state
from components.layout import Col, summary_table
from components.scenarios import message
from planning import maturity as mm

log = logging.getLogger("sop.metrics")
ANSWER = {"type": "metrics-maturity-answer", "key": ALL}

# Our own short descriptions of the five levels.
LEVEL_TEXT = {
    1: "Each function plans with its own numbers; problems are found when they happen.",
    2: "A monthly meeting exists, but it looks a few months ahead and the data is patched together.",
    3: "Five steps every month end in one approved plan, in units and money, with scenarios.",
    4: "One integrated business plan over 24 months, tied to strategy, re-planned as events happen.",
    5: "Planning is continuous and predictive, shared with customers and suppliers.",
}


def level_cards(level: int) -> html.Div:
    cards = [html.Div(html.Div([
        html.Div([html.Span(str(n), className="maturity-num me-2"), html.Strong(mm.LEVEL_NAMES[n])]),
        html.Div(LEVEL_TEXT[n], className="small mt-1"),
    ], className=f"maturity-level{' current' if n == level else ''}", id=f"metrics-maturity-{n}"), className="col")
        for n in range(1, 6)]
    return html.Div(cards, className="row row-cols-1 row-cols-md-5 g-2")


def radar(view: dict) -> go.Figure:
    """One trace per assessment shown: this cycle's and the previous one's."""
    labels = [d.label for d in mm.DIMENSIONS]
    fig = go.Figure()
    prev = view.get("previous")
    if prev:
        r = [prev["scores"][d.key] for d in mm.DIMENSIONS]
        fig.add_trace(go.Scatterpolar(r=r + r[:1], theta=labels + labels[:1], name=f"{prev['cycle']} "
                                      f"({prev['overall']:.1f})", fill="toself", opacity=0.55,
                                      line={"color": "#95a5a6"}))
    r = [view["scores"][d.key] for d in mm.DIMENSIONS]
    state = "" if view["stored"] else ", proposed"
    fig.add_trace(go.Scatterpolar(r=r + r[:1], theta=labels + labels[:1], name=f"{view['cycle']} "
                                  f"({view['overall']:.1f}{state})", fill="toself", line={"color": "#18bc9c"}))
    fig.update_layout(polar={"radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5]}},
                      margin={"l": 40, "r": 40, "t": 40, "b": 30}, height=360, showlegend=True,
                      legend={"orientation": "h", "y": -0.1}, title="Maturity by dimension (1–5)")
    return fig


def form(view: dict) -> html.Div:
    blocks = []
    for d in mm.DIMENSIONS:
        rows = []
        for s in [s for s in mm.STATEMENTS if s.dimension == d.key]:
            prop = view["proposals"].get(s.key)
            note = (html.Div(f"Proposed: {mm.ANSWERS[prop[0]].lower()} — {prop[1]}", className="item-meta")
                    if prop else None)
            rows.append(html.Div([
                html.Div([html.Span(f"L{s.level} ", className="badge bg-light text-dark me-1"), s.text]),
                dcc.RadioItems(id={"type": "metrics-maturity-answer", "key": s.key}, value=view["answers"][s.key],
                               options=[{"label": f" {v}", "value": k} for k, v in mm.ANSWERS.items()],
                               inline=True, inputClassName="me-1", labelClassName="me-3"),
                note,
            ], className="mb-2", **{"data-statement": s.key}))
        blocks.append(html.Div([html.H6(f"{d.label} · {view['scores'][d.key]:.1f}", className="mt-3"), *rows],
                               **{"data-dimension": d.key}))
    return html.Div(blocks)


def progress_table(df) -> html.Div:
    if df is None or df.empty:
        return html.Div("No assessment saved yet.", className="item-meta")
    cols = [Col("cycle", "Cycle", "text"), Col("overall", "Overall", "num")] + \
        [Col(d.key, d.label.split(" ")[0], "num") for d in mm.DIMENSIONS]
    return html.Div([html.Strong("Progress over cycles"),
                     summary_table("metrics-maturity-progress-table", cols,
                                   df.iloc[::-1].round(1).to_dict("records"), "cycle")])


@callback(
    Output("metrics-maturity", "children"),
    Output("metrics-maturity-radar", "figure"),
    Output("metrics-next-steps", "children"),
    Output("metrics-maturity-progress", "children"),
    Output("metrics-maturity-form", "children"),
    Output("metrics-maturity-save", "disabled"),
    Input("app-state", "data"),
    Input("metrics-maturity-saved", "data"),
)
def render_maturity(_state, _saved):
    from services import maturity
    from services.permissions import may

    user = signed_in()
    read_only = not may(user.get("role") if user else None, "assess")  # the server checks again on save

    try:
        view = maturity.view()
        prog = maturity.progress()
    except Exception as exc:
        log.exception("maturity view failed")
        err = error_state(f"{type(exc).__name__}: {exc}")
        return err, charts.empty_figure("Maturity", "Not available"), "", "", "", read_only
    level = mm.level_of(view["overall"])
    nxt = view["next"]
    summary = html.Div([
        html.Div([html.Strong(f"Cycle {view['cycle']}: overall {view['overall']:.1f} of 5, level {level} "
                              f"({mm.LEVEL_NAMES[level]})"),
                  html.Span(" · saved" if view["stored"] else " · proposed from the records and the last "
                            "assessment; not saved yet", className="item-meta")],
                 id="metrics-maturity-overall", **{"data-value": repr(float(view["overall"]))}),
        html.Div(level_cards(level), className="mt-2"),
    ])
    steps = html.Div([
        html.Strong(f"Next steps for the weakest dimension, {nxt['label']} (to level {nxt['level']}):"),
        html.Ul([html.Li(s) for s in nxt["steps"]] or [html.Li("Keep it there and review it each year.")]),
    ], **{"data-dimension": nxt["dimension"]})
    # read-only parts as HTML in one component each (components.static_html); the form stays components
    return raw_html(to_html(summary)), radar(view), raw_html(to_html(steps)), progress_table(prog), form(view), \
        read_only


@callback(
    Output("metrics-maturity-msg", "children"),
    Output("metrics-maturity-saved", "data"),
    Input("metrics-maturity-save", "n_clicks"),
    State(ANSWER, "value"),
    State(ANSWER, "id"),
    State("metrics-maturity-saved", "data"),
    prevent_initial_call=True,
)
def save_maturity(n, values, ids, saved):
    from services import maturity

    if not n:
        raise PreventUpdate
    try:
        by = require("assess")
    except NotAllowed as exc:
        return message(str(exc), "danger"), no_update
    answers = {i["key"]: v for i, v in zip(ids or [], values or [], strict=True)}
    try:
        view = maturity.save_assessment(answers, by=by)
    except ValueError as exc:
        return message(str(exc), "danger"), no_update
    return (message(f"Assessment of {view['cycle']} saved: overall {view['overall']:.1f} of 5.", "success"),
            (saved or 0) + 1)
