"""Read-only HTML sent as one component: HTML written here, set as one div's inner HTML in the browser.

Dash's renderer handles every `html.*` component of a callback's answer on its own, and its time grows
faster than the number of components: a 200-row summary table (some 2,000 components) took 12–15 s of
browser work on this machine, the same table as one component holding its HTML 0.2 s
(`bench/renderer.py`). That component is `StaticHtml` (assets/static_html.js, a dozen lines of React). A
`dcc.Markdown` passing the HTML through did the same, but first fetched and ran its Markdown and
highlight.js bundles (some 470 kB, 0.2–0.3 s of every page that had a table) and parsed the HTML as Markdown.

A table nobody clicks has no need of being a tree of React components, so `components.layout.summary_table`
writes its HTML with `element` (every text and attribute escaped here) and sends it with `raw_html`; the
page gets the same elements, ids, classes and `data-*` attributes. `to_html` writes a tree of plain
`dash.html` components the same way (the status badge, the KPI table, the scenario comparison, the
decisions needed, the maturity summary); links in it change page without a reload (assets/static_html.js).
"""

from __future__ import annotations

import html as _html
import re

from dash.development.base_component import Component

_VOID = {"br", "hr", "img", "col", "wbr"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_RENAMED = {"className": "class", "colSpan": "colspan", "rowSpan": "rowspan", "htmlFor": "for"}
_SKIPPED = {"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key", "loading_state"}


def style_text(style: dict) -> str:
    """{'fontSize': '1rem'} -> 'font-size: 1rem'."""
    return "; ".join(f"{_CAMEL.sub('-', k).lower()}: {v}" for k, v in style.items() if v is not None)


def escape(text: str) -> str:
    return _html.escape(text)


def element(tag: str, inner: str = "", **attrs) -> str:
    """`<tag attrs>inner</tag>`: `inner` is HTML already; attribute values are escaped, empty ones left out."""
    shown = "".join(f' {k}="{_html.escape(str(v))}"' for k, v in attrs.items() if v is not None and v != ""
                    or k.startswith("data-") and v == "")
    return f"<{tag}{shown}>{inner}</{tag}>"


def _attrs(node: Component) -> str:
    parts: list[str] = []
    for name, value in node.to_plotly_json()["props"].items():
        if name in _SKIPPED or value is None:
            continue
        if name == "style":
            value = style_text(value)
        elif isinstance(value, bool):
            if not value:
                continue
            value = name
        elif not isinstance(value, (str, int, float)):
            raise TypeError(f"{type(node).__name__}.{name} cannot be written as HTML")
        parts.append(f'{_RENAMED.get(name, name)}="{_html.escape(str(value))}"')
    return (" " + " ".join(parts)) if parts else ""


def to_html(node) -> str:
    """The HTML of a tree of plain `dash.html` components, strings and numbers (TypeError for anything
    else: an interactive component has no place in static HTML)."""
    if node is None or node is False:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(to_html(child) for child in node)
    if isinstance(node, (str, int, float)):
        return _html.escape(str(node))
    if isinstance(node, Component) and node._namespace == "dash_html_components":
        tag = type(node).__name__.lower()
        if tag in _VOID:
            return f"<{tag}{_attrs(node)}>"
        return f"<{tag}{_attrs(node)}>{to_html(getattr(node, 'children', None))}</{tag}>"
    raise TypeError(f"{type(node).__name__} cannot be written as HTML")


class StaticHtml(Component):
    """A div whose inner HTML is `html` (written and escaped by this module; never user text unescaped)."""

    _children_props: list[str] = []
    _base_nodes = ["children"]
    _namespace = "sop_static"  # window.sop_static.StaticHtml in assets/static_html.js
    _type = "StaticHtml"
    _prop_names = ["id", "html", "className", "style"]
    _valid_wildcard_attributes: list[str] = []
    available_properties = _prop_names
    available_wildcard_properties: list[str] = []

    def __init__(self, html: str = "", id: str | dict | None = None, className: str | None = None,
                 style: dict | None = None) -> None:
        given = {"html": html, "id": id, "className": className, "style": style}
        super().__init__(**{k: v for k, v in given.items() if v is not None})


def raw_html(text: str, id: str | None = None) -> StaticHtml:
    """HTML written here (everything in it escaped) as one component."""
    return StaticHtml(text, id=id, className="static-html")
