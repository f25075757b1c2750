"""Read-only HTML sent as one component: HTML written here, in a `dcc.Markdown` that passes it through.

Dash's renderer handles every `html.*` component of a callback's answer on its own, and its time grows
faster than the number of components: a 200-row summary table (some 2,000 components) took 12–15 s of
browser work on this machine, the same table as one `dcc.Markdown` holding its HTML 0.2 s
(`bench/renderer.py`). A table nobody clicks has no need of being a tree of React components, so
`components.layout.summary_table` writes its HTML with `element` (every text and attribute escaped here) and
sends it with `raw_html`; the page gets the same elements, ids, classes and `data-*` attributes. `to_html`
writes a small tree of plain `dash.html` components (a status badge) the same way.
"""

from __future__ import annotations

import html as _html
import re

from dash import dcc
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


def raw_html(text: str, id: str | None = None) -> Component:
    """HTML written here (everything in it escaped) as one component."""
    if not text.startswith(("<div", "<table", "<section", "<ul", "<ol", "<p")):
        text = f"<div>{text}</div>"  # an HTML block to Markdown, so nothing in it is read as Markdown
    kwargs = {"id": id} if id else {}
    return dcc.Markdown(text, dangerously_allow_html=True, className="static-html", **kwargs)
