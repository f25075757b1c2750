"""View pieces of the scenario comparison on 4 Pre-S&OP: the form to make a scenario, the side-by-side table,
the chart, the scores and the recommendation."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.static_html import raw_html, to_html
from components import formats
from components.charts import style
from components.layout import Col, outcome, summary_table

SCORING_HELP = (
    "Each compared plan is scored from 0 to 1 three ways. Service: its fill rate (units shipped ÷ units "
    "demanded over the horizon). Cost: its total cost (overtime, outsourcing, holding, lost sales and any "
    "added capacity) placed between the dearest (0) and the cheapest (1) of the plans compared. Feasibility: "
    "the share of its constrained family-months (demand above capacity) that its supply plan closes without "
    "lost sales (1 when none is constrained). The total is the weighted mean with the weights below. The "
    "built-in upside and downside are demand outlooks: scored, never recommended."
)


def _field(label: str, control, width: int = 3) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=width, className="mb-2")


def _num(id: str, placeholder: str = "", value=None) -> dbc.Input:
    return dbc.Input(id=id, type="number", placeholder=placeholder, value=value, size="sm", debounce=True)


def _dd(id: str, placeholder: str = "", clearable: bool = True) -> dcc.Dropdown:
    return dcc.Dropdown(id=id, placeholder=placeholder, clearable=clearable, className="sop-dd")


def scenario_form() -> html.Div:
    """Name, description, where from; quick changes of demand, capacity and price; option cost and cap
    overrides."""
    return html.Div([
        dbc.Row([
            _field("Name", dbc.Input(id="presop-new-name", placeholder="e.g. Second shift", size="sm"), 3),
            _field("Description", dbc.Input(id="presop-new-desc", placeholder="what it tries", size="sm"), 5),
            _field("Made from", _dd("presop-new-from", "the draft plan"), 4),
        ]),
        html.Div("Demand change", className="small fw-semibold mt-1"),
        dbc.Row([
            _field("Family", _dd("presop-dem-family", "family"), 3),
            _field("Change %", _num("presop-dem-pct", "+10"), 2),
            _field("From month", _dd("presop-dem-start", "first"), 3),
            _field("To month", _dd("presop-dem-end", "last"), 3),
        ]),
        html.Div("Capacity change (from a month on)", className="small fw-semibold"),
        dbc.Row([
            _field("Family", _dd("presop-cap-family", "family"), 3),
            _field("Change %", _num("presop-cap-pct", "+20"), 2),
            _field("From month", _dd("presop-cap-start", "first"), 3),
            _field("Cost per unit added", _num("presop-cost-capacity", "0"), 3),
        ]),
        html.Div("Price change (from a month on; revenue and margin only)", className="small fw-semibold"),
        dbc.Row([
            _field("Family", _dd("presop-price-family", "family"), 3),
            _field("Change %", _num("presop-price-pct", "+10"), 2),
            _field("From month", _dd("presop-price-start", "first"), 3),
        ]),
        html.Div("Option costs and caps (empty = the plan's)", className="small fw-semibold"),
        dbc.Row([
            _field("Overtime / unit", _num("presop-cost-overtime"), 2),
            _field("Outsourcing / unit", _num("presop-cost-outsource"), 2),
            _field("Holding / unit / month", _num("presop-cost-holding"), 3),
            _field("Lost sales / unit", _num("presop-cost-lost"), 2),
            _field("Overtime cap % of capacity", _num("presop-cost-otpct"), 3),
            _field("Outsourcing cap % of capacity (empty = none)", _num("presop-cost-outcap"), 4),
        ]),
        html.Div([
            dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Create scenario"], id="presop-new-create",
                       color="primary", size="sm", className="me-2"),
            dbc.Button("Add these changes to the scenario being edited", id="presop-add-change", color="secondary",
                       outline=True, size="sm"),
        ], className="mt-1"),
        html.Div(id="presop-new-msg", className="mt-2"),
    ])


def scenario_list(rows: list[dict]):
    cols = [Col("name", "Scenario", "text"), Col("description", "Description", "text"),
            Col("owner", "Owner", "text"), Col("base", "Made from", "text"), Col("promoted", "Promoted", "text")]
    if not rows:
        return html.Div("No named scenario yet: make one below (it never touches the plan until promoted).",
                        className="item-meta", id="presop-scenario-list")
    return summary_table("presop-scenario-list", cols, rows, "name")


UNIT_KIND = {"units": "int", "money": "money", "pct": "pct", "days": "num1", "count": "int"}


FORMAT = {"units": formats.integer, "money": formats.money, "pct": formats.percent,
          "days": lambda v: formats.number(v, 1), "count": formats.integer}


# Read-only tables go as HTML in one component (components.static_html: Dash's renderer is slow with many
# small components); the classes dbc.Table(size="sm", hover=True) gave them.
TABLE_CLASS = "table table-sm table-hover sop-table"


def _td(value, fmt, col: str) -> html.Td:
    missing = formats.is_missing(value)
    if not missing and abs(float(value)) < 1e-6:
        value = 0.0  # no "−0" from rounding noise
    neg = not missing and float(value) < 0
    return html.Td(fmt(value), className=f"num{' neg' if neg else ''}",
                   **{"data-col": col, "data-value": "" if missing else repr(float(value))})


def comparison_table(table, names: list[str]):
    """One line per measure (`tr[data-key=<metric>]`): each plan's value (`td[data-col=v<i>]`), then each
    scenario's difference to the base (`d<i>`) and in % (`p<i>`); the months that stay constrained below."""
    base = names[0]
    head = [html.Th("Measure")] + [html.Th(n, className="num") for n in names]
    head += [h for n in names[1:] for h in (html.Th(f"{n} − {base}", className="num"), html.Th("Δ %", className="num"))]
    body, months = [], None
    for r in table.to_dict("records"):
        if r["unit"] == "text":
            months = r
            continue
        fmt = FORMAT.get(r["unit"], formats.integer)
        diff_fmt = (lambda v, f=fmt: f(v)) if r["unit"] != "pct" else (lambda v: formats.number(v, 1) + " pt")
        cells = [html.Td(r["label"], **{"data-col": "label"})]
        cells += [_td(r.get(n), fmt, f"v{i}") for i, n in enumerate(names)]
        for i, n in enumerate(names[1:], 1):
            cells += [_td(r.get(f"{n} Δ"), diff_fmt, f"d{i}"), _td(r.get(f"{n} Δ %"), formats.percent, f"p{i}")]
        body.append(html.Tr(cells, **{"data-key": r["metric"]}))
    table_el = html.Div(html.Table([html.Thead(html.Tr(head)), html.Tbody(body)], id="presop-compare-table",
                                   className=TABLE_CLASS), className="table-responsive")
    listed = html.Ul([html.Li([html.Strong(f"{n}: "), str(months.get(n, ""))]) for n in names],
                     className="small mb-0", id="presop-compare-months") if months else None
    return raw_html(to_html(html.Div([table_el, html.Div("Months that stay constrained (lost sales remain)",
                                                         className="small fw-semibold mt-2"), listed])))


def scores_table(scores) -> html.Div:
    """Each plan's three scores and total (0–1, two decimals; `data-value` keeps the exact figure)."""
    head = html.Thead(html.Tr([html.Th("Scenario")] + [html.Th(h, className="num") for h in
                                                        ("Service", "Cost", "Feasibility", "Total")]))
    body = []
    for r in scores.to_dict("records"):
        name = r["scenario"] + (" (outlook)" if r["kind"] == "outlook" else "")
        body.append(html.Tr([html.Td(name, **{"data-col": "scenario"})] + [
            html.Td(f"{r[k]:.2f}", className="num", **{"data-col": k, "data-value": repr(float(r[k]))})
            for k in ("service", "cost", "feasibility", "total")], **{"data-key": r["scenario"]}))
    return raw_html(to_html(html.Table([head, html.Tbody(body)], id="presop-scores-table", className=TABLE_CLASS)))


def comparison_chart(rows: list[dict], family: str | None) -> go.Figure:
    """Revenue, gross margin and total cost of each plan (grouped bars) with the fill rate on a second axis."""
    names = [r["scenario"] for r in rows]
    fig = go.Figure()
    for key, label, colour in (("revenue", "Revenue", "#2c7be5"), ("gross_margin", "Gross margin", "#00a86b"),
                               ("total_cost", "Total cost", "#e63757")):
        fig.add_bar(x=names, y=[r[key] for r in rows], name=label, marker_color=colour,
                    hovertemplate="%{x}<br>" + label + ": $%{y:,.0f}<extra></extra>")
    fig.add_scatter(x=names, y=[r["fill_rate"] for r in rows], name="Fill rate %", yaxis="y2", mode="markers+lines",
                    marker={"size": 10, "color": "#f5803e"}, hovertemplate="%{x}<br>Fill rate %{y:.1f} %<extra></extra>")
    where = f" — {family}" if family else ""
    style(fig, f"Money and service by scenario{where}", "Scenario", "Money ($)")
    fig.update_layout(barmode="group", yaxis2={"title": {"text": "Fill rate (%)"}, "overlaying": "y", "side": "right",
                                               "range": [0, 105], "showgrid": False},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def recommendation(name: str, reasons: str, weights) -> html.Div:
    w = ", ".join(f"{x:.2f}" for x in weights)
    return html.Div([
        html.I(className="bi bi-lightbulb me-2"),
        html.Strong(f"Recommended: {name}. "),
        html.Span(reasons),
        html.Div(f"Weights service, cost, feasibility: {w}.", className="small text-muted"),
    ], id="presop-recommendation", className="alert alert-success py-2 mb-2", **{"data-scenario": name})


OUTCOME_OF_COLOR = {"success": "ok", "info": "info", "secondary": "info", "light": "info", "warning": "warn",
                    "danger": "bad"}


def message(text, color: str, id: str | None = None) -> html.Div:
    """A one-line outcome named by Bootstrap colour (success, info, warning, danger): components.layout.outcome."""
    return outcome(OUTCOME_OF_COLOR.get(color, "info"), text, id=id)

