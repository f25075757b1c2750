"""Page furniture: page header, panels and plain summary tables with machine-readable cells."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from dash import html

from components import formats
from components.static_html import element, escape, raw_html, style_text, to_html
from components.status import status_badge


def page_header(title: str, subtitle: str | None = None, id: str | None = None, extra=None) -> html.Div:
    kwargs = {"id": id} if id else {}
    return html.Div(
        [html.Div([html.H1(title), html.Div(subtitle or "", className="page-sub", **kwargs)]), extra],
        className="page-head",
    )


OUTCOME_ICONS = {"ok": "bi-check-circle-fill", "info": "bi-info-circle", "warn": "bi-exclamation-circle",
                 "conflict": "bi-people-fill", "bad": "bi-x-octagon-fill"}


def outcome(kind: str, *children, id: str | None = None, data_kind: str | None = None) -> html.Div:
    """The one-line answer to an action (saved, refused, conflicting, for information): an icon and the text
    on a band coloured by status. kind: ok | info | warn | conflict | bad. `data_kind` (default: kind) is the
    `data-kind` attribute tests and scripts read."""
    body = [c for child in children for c in (child if isinstance(child, (list, tuple)) else [child])]
    attrs = {"data-kind": data_kind or kind, "role": "alert" if kind in ("bad", "conflict") else "status"}
    if id:
        attrs["id"] = id
    return html.Div([html.I(className=f"bi {OUTCOME_ICONS[kind]} me-2"), *body], className=f"outcome outcome-{kind}",
                    **attrs)


def panel(title: str, children=None, subtitle: str | None = None, id: str | None = None,
          className: str = "") -> html.Section:
    """A white card with a title; `id` goes on the body so callbacks can fill it."""
    body_kwargs = {"id": id} if id else {}
    return html.Section(
        [
            html.H2(title, className="panel-title"),
            html.Div(subtitle, className="panel-sub") if subtitle else None,
            html.Div(children, **body_kwargs),
        ],
        className=f"panel {className}".strip(),
    )


@dataclass(frozen=True)
class Col:
    """A column of a summary table: `kind` is int | pct | money | text | status | num1."""

    key: str
    header: str
    kind: str = "int"
    className: str = ""
    sub: str | None = None  # a second, smaller header line (e.g. the months a total covers)


_FORMATTERS: dict[str, Callable] = {
    "int": formats.integer,
    "num1": lambda v: formats.number(v, 1),
    "pct": formats.percent,
    "money": formats.money,
    "money_short": formats.money_short,
    "pct_signed": lambda v: formats.percent(v, 1, signed=True),  # +3.2 %
}


def _cell(col: Col, value, row_kind: str | None = None) -> str:
    """A cell's HTML; numeric columns take the row's `_kind` when it has one (e.g. a % line in a money
    table)."""
    numeric = col.kind in _FORMATTERS
    if numeric:
        kind = row_kind if row_kind in _FORMATTERS else col.kind
        raw = "" if formats.is_missing(value) else repr(float(value))
        neg = raw != "" and float(value) < 0 and kind not in ("pct", "pct_signed")
        cls = f"num {col.className}{' neg' if neg else ''}".strip()
        return element("td", escape(_FORMATTERS[kind](value)), **{"class": cls, "data-col": col.key,
                                                                   "data-value": raw})
    if col.kind == "status":
        return element("td", _badge(value), **{"class": col.className, "data-col": col.key,
                                               "data-value": value or ""})
    return element("td", escape("" if value is None else str(value)),
                   **{"class": col.className, "data-col": col.key})


@lru_cache(maxsize=64)
def _badge(value) -> str:
    return to_html(status_badge(value))


def summary_table(id: str, columns: Sequence[Col], rows: Sequence[dict], row_key: str,
                  total: dict | None = None, responsive: bool = True, style: dict | None = None):
    """A compact read-only table. Each `tr` has `data-key` (the row's `row_key` value) and each
    `td` `data-col` and, for numbers, `data-value` with the unrounded figure.

    Written as HTML and sent as one component (`components.static_html`): a table of a few hundred rows as a
    tree of Dash components costs seconds to build on the server and seconds more in the browser."""
    head = "".join(
        element("th", escape(c.header) + (element("span", escape(c.sub), **{"class": "th-sub"}) if c.sub else ""),
                **{"class": f"{'num' if c.kind in _FORMATTERS else ''} {c.className}".strip()})
        for c in columns)
    body = [element("tr", "".join(_cell(c, r.get(c.key), r.get("_kind")) for c in columns),
                    **{"data-key": str(r.get(row_key, ""))})
            for r in rows]
    if total is not None:
        body.append(element("tr", "".join(_cell(c, total.get(c.key), total.get("_kind")) for c in columns),
                            **{"class": "total-row", "data-key": str(total.get(row_key, "Total"))}))
    table = element("table", element("thead", element("tr", head)) + element("tbody", "".join(body)),
                    **{"class": "table table-hover table-sm sop-table", "id": id,
                       "style": style_text(style) if style else None})
    return raw_html(element("div", table, **{"class": "table-responsive"}) if responsive else table)
