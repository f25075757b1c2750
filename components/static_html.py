"""Read-only component trees sent as one component: the tree's HTML in a `dcc.Markdown`.

Dash's renderer handles every `html.*` component of a callback's answer on its own, and its time grows
faster than the number of components: a 200-row summary table (some 2,000 components) took 12–15 s of
browser work on this machine, the same table as one `dcc.Markdown` holding its HTML 0.2 s
(`bench/browser.py`; the 10,000-item company's dashboard and /pre-sop). A table nobody clicks has no need
of being a tree of React components, so `static` turns it into its HTML (every text and attribute escaped
here; the Markdown component only passes the HTML through) and the page gets the same elements, ids,
classes and `data-*` attributes.

Only plain `dash.html` components, `dbc.Table` and text can be turned into HTML; anything interactive
(`dcc.*`, buttons with callbacks) raises `TypeError`, so a tree with one stays a component tree.
"""

from __future__ import annotations

import html as _html
import re

import dash_bootstrap_components as dbc
from dash import dcc
from dash import html as dhtml
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


def _attrs(node: Component, extra_class: str = "") -> str:
    parts: list[str] = []
    props = node.to_plotly_json()["props"]
    cls = " ".join(c for c in (extra_class, props.get("className") or "") if c)
    if cls:
        parts.append(f'class="{_html.escape(cls)}"')
    for name, value in props.items():
        if name in _SKIPPED or name == "className" or value is None:
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


def _table_class(node: dbc.Table) -> str:
    """The classes dash-bootstrap-components gives a `dbc.Table`."""
    classes = ["table"]
    for flag in ("striped", "bordered", "borderless", "hover"):
        if getattr(node, flag, None):
            classes.append(f"table-{flag}")
    if getattr(node, "size", None):
        classes.append(f"table-{node.size}")
    if getattr(node, "dark", None):
        classes.append("table-dark")
    return " ".join(classes)


def to_html(node) -> str:
    """The HTML of a tree of `dash.html` components (and `dbc.Table`), strings and numbers."""
    if node is None or node is False:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(to_html(child) for child in node)
    if isinstance(node, (str, int, float)):
        return _html.escape(str(node))
    if isinstance(node, dbc.Table):
        props = node.to_plotly_json()["props"]
        keep = {k: v for k, v in props.items()
                if k in ("id", "className", "style") or k.startswith(("data-", "aria-"))}
        shell = dhtml.Table(node.children, **keep)
        return f"<table{_attrs(shell, _table_class(node))}>{to_html(node.children)}</table>"
    if isinstance(node, Component) and node._namespace == "dash_html_components":
        tag = type(node).__name__.lower()
        if tag in _VOID:
            return f"<{tag}{_attrs(node)}>"
        return f"<{tag}{_attrs(node)}>{to_html(getattr(node, 'children', None))}</{tag}>"
    raise TypeError(f"{type(node).__name__} cannot be written as HTML")


def static(node, id: str | None = None) -> Component:
    """`node` as one component (its HTML), or `node` itself when part of it is interactive."""
    try:
        text = to_html(node)
    except TypeError:
        return node
    return raw_html(text, id)


def raw_html(text: str, id: str | None = None) -> Component:
    """HTML written here (everything in it escaped) as one component."""
    if not text.startswith(("<div", "<table", "<section", "<ul", "<ol", "<p")):
        text = f"<div>{text}</div>"  # an HTML block to Markdown, so nothing in it is read as Markdown
    kwargs = {"id": id} if id else {}
    return dcc.Markdown(text, dangerously_allow_html=True, className="static-html", **kwargs)
