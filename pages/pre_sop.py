"""Step 4 — pre-S&OP: demand–supply balance, financial reconciliation, scenarios."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.checklist import checklist_panel
from components.layout import page_header, panel
from components.presop_panels import balance_panel, decisions_needed_panel, money_against_plan_panel
from components.scenarios import SCORING_HELP, scenario_form
from services import scenario_plans

dash.register_page(__name__, path="/pre-sop", name="4 Pre-S&OP", title="4 Pre-S&OP · S&OP Studio", order=4)


def layout(**_query):
    return html.Div(
        [
            page_header("4 · Pre-S&OP", "Balance demand and supply, reconcile the money, compare scenarios",
                        id="presop-subtitle"),
            checklist_panel("pre_sop"),
            dcc.Loading(html.Div(id="presop-summary"), type="dot"),
            decisions_needed_panel(),
            balance_panel(),
            html.Div(
                [
                    html.Div(panel("Financial reconciliation", id="presop-finance",
                                   subtitle="Whole horizon, by family: revenue on units that can ship against "
                                            "unconstrained revenue"), className="col-xxl-7 col-12"),
                    html.Div(panel("Demand outlooks", id="presop-scenarios",
                                   subtitle="Base plan against consensus demand moved up and down"),
                             className="col-xxl-5 col-12"),
                ],
                className="row g-3",
            ),
            money_against_plan_panel(),
            scenarios_section(scenario_weights()),
        ]
    )


def scenario_weights() -> tuple[float | None, float | None, float | None]:
    """The settings' scoring weights (service, cost, feasibility), in the page from the start so the
    comparison does not wait for a callback to fill them (callbacks.pre_sop.fill_weights follows changes)."""
    try:
        return scenario_plans.shown_weights()
    except Exception:  # no data yet: the callbacks say what to do
        return None, None, None


def scenarios_section(weights: tuple) -> html.Div:
    """Named what-if plans: list, make, edit, compare side by side with scores and a recommendation, promote."""
    weight = {"type": "number", "min": 0, "max": 1, "step": 0.05, "size": "sm", "debounce": True}
    return html.Div([
        dcc.Store(id="presop-scn-refresh", data=0),
        # what the scenario buttons write for the shell's stores (callbacks.common.pass_on)
        dcc.Store(id="presop-scenario-out"),
        dcc.Store(id="presop-state-out"),
        html.Div([
            html.Div(panel("Scenarios", [
                html.Div(id="presop-scenario-table-box"),
                dbc.Row([
                    dbc.Col(dcc.Dropdown(id="presop-scenario-pick", placeholder="choose a scenario"), md=6),
                    dbc.Col([
                        dbc.Button([html.I(className="bi bi-pencil me-1"), "Edit"], id="presop-scenario-edit",
                                   size="sm", color="secondary", outline=True, className="me-2"),
                        dbc.Button([html.I(className="bi bi-box-arrow-in-up me-1"), "Promote to draft"],
                                   id="presop-scenario-promote", size="sm", color="warning"),
                    ], md=6),
                ], className="g-2 mt-1"),
                html.Div(id="presop-scenario-msg", className="mt-2"),
            ], id="presop-scenario-listing",
                           subtitle="Named what-if copies of the plan: each is computed by the same engine and "
                                    "never touches the plan until it is promoted"),
                     className="col-xxl-5 col-12"),
            html.Div(panel("Make or change a scenario", scenario_form(), id="presop-scenario-form"),
                     className="col-xxl-7 col-12"),
        ], className="row g-3"),
        html.Section([
            html.H2("Scenarios side by side", className="panel-title"),
            html.Div("The base plan and up to five scenarios: demand, supply, service, cost by option, money and "
                     "the months that stay constrained; differences to the base in units, money and %.",
                     className="panel-sub"),
            dbc.Row([
                dbc.Col([dbc.Label("Compare", className="small mb-0"),
                         dcc.Dropdown(id="presop-compare-pick", multi=True, placeholder="scenarios (up to five)")],
                        md=5),
                dbc.Col([dbc.Label("Family", className="small mb-0"),
                         dcc.Dropdown(id="presop-compare-family", placeholder="all families")], md=2),
                dbc.Col([dbc.Label("Weight: service", className="small mb-0"),
                         dbc.Input(id="presop-w-service", value=weights[0], **weight)], md=1),
                dbc.Col([dbc.Label("cost", className="small mb-0"),
                         dbc.Input(id="presop-w-cost", value=weights[1], **weight)], md=1),
                dbc.Col([dbc.Label("feasibility", className="small mb-0"),
                         dbc.Input(id="presop-w-feas", value=weights[2], **weight)], md=1),
                dbc.Col([dbc.Button("Save weights", id="presop-w-save", size="sm", color="secondary", outline=True,
                                    className="mt-3")], md=2),
            ], className="mb-2 g-2"),
            html.Div(id="presop-w-msg"),
            html.Div(id="presop-w-source", className="item-meta mb-1"),
            dcc.Loading(html.Div(id="presop-recommendation-box"), type="dot"),
            html.Div(id="presop-compare"),
            html.Div([
                html.Div(dcc.Graph(id="presop-compare-chart", config={"displaylogo": False}),
                         className="col-xxl-7 col-12"),
                html.Div([html.Div("Scores (0–1)", className="small fw-semibold"), html.Div(id="presop-scores")],
                         className="col-xxl-5 col-12"),
            ], className="row g-3 mt-1"),
            html.Details([html.Summary("How the scores are made"), html.P(SCORING_HELP, className="small")],
                         id="presop-scoring-help", className="mt-2"),
        ], className="panel"),
    ])
