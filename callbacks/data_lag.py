"""Lag accuracy and forecast value added, on /data and /metrics (the same panel, page-prefixed ids)."""

from __future__ import annotations

from dash import Input, Output, callback, html

from components.forecast_job import lag_panel_body
from services.lag import lag_and_fva


def lag_views(prefix: str) -> html.Div:
    lag, fva, problem = lag_and_fva()
    return lag_panel_body(prefix, lag, fva, problem)


@callback(Output("data-lag", "children"), Input("app-state", "data"))
def render_lag(_state):
    return lag_views("data")
