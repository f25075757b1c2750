"""The app shell: top navbar (the dashboard, the five S&OP steps, metrics), the cycle/version header,
the page container and the `app-state` store (ids only: cycle, version, revision)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

# (href, label, icon) in the order of the monthly cycle.
NAV_ITEMS = [
    ("/", "Dashboard", "bi-speedometer2"),
    ("/data", "1 Data", "bi-database"),
    ("/demand", "2 Demand", "bi-graph-up-arrow"),
    ("/supply", "3 Supply", "bi-boxes"),
    ("/pre-sop", "4 Pre-S&OP", "bi-clipboard-data"),
    ("/meeting", "5 Meeting", "bi-people"),
    ("/metrics", "Metrics", "bi-bullseye"),
]
# Shown to administrators only (the page and its callbacks check the role again).
ADMIN_NAV_ITEMS = [("/admin/users", "Users", "bi-person-gear")]


def nav_links(role: str | None = None) -> dbc.Nav:
    links = [
        dbc.NavItem(dbc.NavLink([html.I(className=f"bi {icon} me-1"), label], href=href, active="exact",
                                id=f"nav-{href.strip('/') or 'dashboard'}"))
        for href, label, icon in NAV_ITEMS
    ]
    if role == "admin":  # the label shows on wide screens only: a laptop's navbar has no room left
        links += [dbc.NavItem(dbc.NavLink([html.I(className=f"bi {icon}", title=label),
                                           html.Span(label, className="ms-1 d-none d-xxl-inline")],
                                          href=href, active="exact", className="nav-admin",
                                          id=f"nav-{href.strip('/').replace('/', '-')}"))
                  for href, label, icon in ADMIN_NAV_ITEMS]
    return dbc.Nav(links, navbar=True, className="sop-nav")


def cycle_badge(context: dict | None) -> list:
    """'Cycle 2025-01 · Plan v3 draft' from `plan_context()`-like ids."""
    context = context or {}
    cycle = context.get("cycle") or "—"
    version = context.get("version_number")
    status = context.get("version_status") or ""
    version_text = "—" if version in (None, "") else f"v{version}"
    return [
        html.Span([html.Span("Cycle ", className="shell-k"), html.Strong(cycle, id="shell-cycle")]),
        html.Span("·", className="shell-sep"),
        html.Span([html.Span("Plan ", className="shell-k"),
                   html.Strong(version_text, id="shell-version",
                               **{"data-version": "" if version in (None, "") else str(version),
                                  "data-status": status}),
                   html.Span(f" {status}" if status else "",
                             className="shell-k" if status != "approved" else "shell-k shell-approved")]),
        html.Span([html.Span("·", className="shell-sep"),
                   html.Span(f"cycle closed · waiting for {cycle} actuals", id="shell-cycle-closed",
                             className="shell-k shell-closed")])
        if context.get("cycle_status") == "closed" else None,
    ]


def step_badge(step: dict | None) -> list:
    """'Step 2 of 5 · Demand review · due 7 Jan', what is late and the open exceptions, from
    `services.cycle.cycle_status()` (nothing when the cycle cannot be read). `#shell-step` carries
    data-step (1–5), data-late (late steps), data-done (ticked items) and data-open (open exceptions)."""
    if not step:
        return []
    late, n_open = int(step.get("late") or 0), int(step.get("open_exceptions") or 0)
    n, due = step.get("n_steps", 5), (f" · due {step['due_text']}" if step.get("due_text") else "")
    if step.get("complete"):
        text = short = f"All {n} steps done"
    else:
        text = f"Step {step['current']} of {n} · {step['current_title']}{due}"
        short = f"Step {step['current']}/{n}{due}"
    # the long and the short form: CSS shows the short one on narrower screens
    title = f"{text}. The step the cycle is in: the first with unticked checklist items."
    children = [dcc.Link([html.Span(text, className="shell-long"), html.Span(short, className="shell-short")],
                         href=step.get("page") or "/", className="shell-step-text", title=title)]
    if late:
        children.append(html.Span(f"{late} late", id="shell-step-late", className="status-badge status-bad ms-2",
                                  title=f"{late} step{'s' if late != 1 else ''} late: due date passed with "
                                        "unticked items"))
    children.append(dcc.Link([html.I(className="bi bi-flag me-1"), str(n_open),
                              html.Span(f" open exception{'s' if n_open != 1 else ''}", className="shell-long")],
                             href="/data#data-quality", id="shell-open-exceptions",
                             className=f"status-badge {'status-warn' if n_open else 'status-good'} ms-2 "
                                       "text-decoration-none",
                             title=f"{n_open} entries of the data-quality log not reviewed yet"))
    return [html.Span(children, id="shell-step",
                      **{"data-step": str(step["current"]), "data-late": str(late),
                         "data-done": str(step.get("done", "")), "data-open": str(n_open)})]


def navbar(context: dict | None = None) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dcc.Link([html.I(className="bi bi-arrow-repeat me-2"), "S&OP Studio"], href="/",
                         className="navbar-brand sop-brand"),
                dbc.NavbarToggler(id="shell-toggler", n_clicks=0),
                dbc.Collapse(nav_links((context or {}).get("user_role")), id="shell-collapse", is_open=False,
                             navbar=True),
                html.Div([  # the cycle and plan version, and the cycle's step (stacked on narrower screens)
                    html.Div(cycle_badge(context), id="shell-context", className="shell-context"),
                    html.Div(step_badge((context or {}).get("step")), id="shell-step-status",
                             className="shell-step-status"),
                ], className="shell-status"),
                html.Div(forecast_badge_children((context or {}).get("forecast_status")), id="shell-forecast",
                         className="shell-forecast ms-2"),
                dcc.Link([html.I(className="bi bi-person-circle me-1"),
                          html.Span((context or {}).get("user_label", ""), id="shell-user")],
                         href="/login", className="shell-user ms-3", title="Sign in or switch user"),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        expand="xl",
        className="sop-navbar",
    )


def signed_out_shell(user_label: str = "Not signed in") -> html.Div:
    """The shell an anonymous visitor gets while sign-in is on: no navigation, no plan in the header, no
    polling; only the page container (which shows the login page) and the sign-in link."""
    return html.Div(
        [
            dbc.Navbar(dbc.Container([
                html.Span([html.I(className="bi bi-arrow-repeat me-2"), "S&OP Studio"], className="navbar-brand sop-brand"),
                dcc.Link([html.I(className="bi bi-person-circle me-1"), html.Span(user_label, id="shell-user")],
                         href="/login", className="shell-user ms-auto", title="Sign in"),
            ], fluid=True), color="primary", dark=True, expand="xl", className="sop-navbar"),
            html.Main(dbc.Container(dash.page_container, fluid=True, className="sop-page"), className="sop-main"),
        ],
        className="sop-app",
    )


def app_shell(context: dict | None = None, state: dict | None = None, container: html.Div | None = None,
              first_page_in: bool = False) -> html.Div:
    """The whole page around the page container (`dash.page_container`, or one with the first page already in
    it: `first_page_in`, components.page_container). `state` seeds the `app-state` store."""
    # True until the first navigation event when that event is the router drawing the first page: the header's
    # step status was computed with this layout, so that `refresh_on_navigation` need not compute it again
    fresh_step = bool((context or {}).get("step")) and not first_page_in
    return html.Div(
        [
            dcc.Store(id="app-state", data=state or {}, storage_type="memory"),
            # moved by a page after a tick or a review: the step badge is read again (callbacks.shell)
            dcc.Store(id="shell-step-refresh", storage_type="memory"),
            dcc.Store(id="shell-step-fresh", data=fresh_step, storage_type="memory"),
            dcc.Store(id="app-scenario", storage_type="session"),  # {id}: the scenario being edited, or None
            dcc.Interval(id="shell-poll", interval=4000),
            navbar(context),
            scenario_band(),
            html.Main(dbc.Container(container or dash.page_container, fluid=True, className="sop-page"),
                      className="sop-main"),
        ],
        className="sop-app",
    )


SCENARIO_COLOUR = "#6f42c1"


def scenario_band() -> html.Div:
    """A band in the scenario colour with its name on every page while a scenario is the one being edited, so
    nobody mistakes it for the plan; 'Back to the plan' ends it. Hidden otherwise."""
    return html.Div(
        [
            html.I(className="bi bi-bezier2 me-2"),
            html.Span("Scenario "),
            html.Strong("", id="shell-scenario-name", className="mx-1"),
            html.Span(" is being edited: the 2 Demand and 3 Supply grids show it and their changes, undo and redo "
                      "go to it; the plan is not touched until it is promoted.", className="me-3 small"),
            dcc.Link("Open it", href="/pre-sop", className="text-white me-3 small"),
            html.Button("Back to the plan", id="shell-scenario-back", n_clicks=0,
                        className="btn btn-sm btn-light py-0"),
        ],
        id="shell-scenario-band",
        hidden=True,
        style={"background": SCENARIO_COLOUR, "color": "#fff", "padding": ".35rem 1rem", "fontSize": ".95rem"},
    )


def forecast_badge_children(status: dict | None) -> list:
    """'Interim forecast · statistical run 45 %' while the plan has no statistical forecast; nothing after."""
    if not status or status.get("run") is not None and not status.get("running"):
        return []
    running = status.get("running")
    if status.get("run") is None:
        text = "Interim forecast"
        title = ("The plan uses an interim forecast (seasonal naive) until the statistical forecast run is "
                 "stored.")
    else:
        text = "Forecast"
        title = "A new statistical forecast run is in progress; the plan keeps the current one until it is stored."
    if running:
        text += f" · statistical run {int(round(100 * float(running.get('fraction') or 0)))} %"
    return [dcc.Link([html.I(className="bi bi-hourglass-split me-1"), text], href="/data", title=title,
                     id="shell-forecast-badge", className="badge rounded-pill text-bg-warning text-decoration-none")]
