"""Dash's page container with the first page already in it.

With `use_pages`, a full page load normally goes: the shell's layout, then the page router's callback (fired
by `dcc.Location` setting its `pathname` as it mounts), then the page's own callbacks. The router's round
trip and the drawing of an empty container cost about a tenth of a second on every load. The layout request
(`/_dash-layout`) is sent by the page itself, so its `Referer` names the page being loaded: the shell puts
that page's layout in the container and gives `dcc.Location` the address as it is, so it has nothing to set
and the router is not called. Navigating inside the app goes through the router as before.

Without a usable `Referer` (a privacy setting, another host) the container starts empty, as Dash's does.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import dash
import flask
from dash import dcc, html

log = logging.getLogger("sop.shell")

# Dash's own ids (dash.page_container): the router's callback reads and writes them.
LOCATION_ID, CONTENT_ID, STORE_ID, DUMMY_ID = "_pages_location", "_pages_content", "_pages_store", "_pages_dummy"


def requested_page() -> tuple[dict, dict, dict, dict] | None:
    """(page of dash.page_registry, its path variables, the query's parameters, Location props) of the page
    that asked for the layout, or None when it cannot be told (no Referer, another host, an unknown path)."""
    from dash._pages import _parse_query_string, _path_to_page  # the router's own matching rules

    referrer = flask.request.referrer if flask.has_request_context() else None
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != flask.request.host:
        return None
    page, path_variables = _path_to_page(dash.strip_relative_path(parts.path) or "")
    if not page:
        return None
    search = f"?{parts.query}" if parts.query else ""
    # every prop dcc.Location would otherwise copy from window.location (and so fire the router)
    location = {"pathname": parts.path, "search": search, "hash": "", "href": referrer.split("#")[0]}
    return page, path_variables or {}, _parse_query_string(search), location


def title(page: dict, path_variables: dict) -> str:
    """The page's title as the router sets it (`document.title` follows `_pages_store`)."""
    value = page.get("title") or dash.get_app().title
    return value(**path_variables) if callable(value) else value


def page_container() -> tuple[html.Div, bool]:
    """(the container, whether the first page is in it)."""
    first = None
    try:
        first = requested_page()
        if first is not None:
            page, path_variables, query, location = first
            layout = page["layout"]
            content = layout(**path_variables, **query) if callable(layout) else layout
    except Exception:  # the router draws it instead (and shows its error the usual way)
        log.exception("the first page could not be put in the layout")
        first = None
    if first is None:
        return dash.page_container, False
    return html.Div([
        dcc.Location(id=LOCATION_ID, refresh="callback-nav", **location),
        html.Div(content, id=CONTENT_ID, disable_n_clicks=True),
        dcc.Store(id=STORE_ID, data={"title": title(page, path_variables)}),
        html.Div(id=DUMMY_ID, disable_n_clicks=True),
    ]), True
