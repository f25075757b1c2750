"""The "Decisions needed" panel (dashboard and /pre-sop): what the executives must decide this cycle, each
line linked to the page where it is decided. Lines come worded from `callbacks.views.decision_lines`."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html
from dash.development.base_component import Component

from components.empty import empty_state
from components.static_html import raw_html, to_html

ICONS = {"supply": "bi-truck", "scenario": "bi-diagram-3", "budget": "bi-cash-coin"}
LINK_TEXT = {"supply": "Open 3 Supply", "scenario": "Open 4 Pre-S&OP", "budget": "Open 4 Pre-S&OP"}


def decisions_needed_list(id: str, lines: Sequence[dict], limit: int | None = None) -> Component:
    """One `li[data-key][data-kind]` per decision: title, detail and a link to its page. Sent as HTML in one
    component (components.static_html: a 200-family plan has hundreds of lines); its links still change page
    without reloading it (assets/static_html.js)."""
    if not lines:
        return empty_state("Nothing to decide", "No month is constrained, no scenario waits for a decision and "
                           "the plan is within the budget.", icon="bi-check2-circle", id=id)
    shown = list(lines)[:limit] if limit else list(lines)
    items = [
        html.Li([
            html.Div([html.I(className=f"bi {ICONS.get(line['kind'], 'bi-dot')} me-1"),
                      html.Strong(line["title"]), " — ", line["detail"]]),
            html.Div(html.A(LINK_TEXT.get(line["kind"], "Open"), href=line["href"], className="small"),
                     className="item-meta"),
        ], **{"data-key": line["key"], "data-kind": line["kind"]})
        for line in shown
    ]
    more = len(lines) - len(shown)
    if more > 0:
        items.append(html.Li(f"and {more} more", className="item-meta"))
    return raw_html(to_html(html.Ul(items, className="item-list", id=id)))
