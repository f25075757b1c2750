"""KPI card: value, target band and status colour; the raw value is in `data-value` for tests and tools."""

from __future__ import annotations

from dash import html

from components import formats
from components.status import status_badge, status_tone


def kpi_card(name: str, kpi: dict | None, label: str | None = None) -> html.Div:
    """One KPI from `PlanResult.kpis[name]` ({label, unit, value, target_low, target_high, status}).

    The card's id is `kpi-<name>`; `data-value` holds the unrounded number ('' when missing) and
    `data-status` the status, so the figure can be read back exactly.
    """
    kpi = kpi or {}
    value = kpi.get("value")
    unit = kpi.get("unit")
    status = kpi.get("status") or "no_data"
    raw = "" if formats.is_missing(value) else repr(float(value))
    return html.Div(
        [
            html.Div(label or kpi.get("label") or name, className="kpi-label"),
            html.Div(formats.by_unit(value, unit), className="kpi-value"),
            html.Div(
                [html.Span(formats.target_text(kpi.get("target_low"), kpi.get("target_high"), unit),
                           className="kpi-target"), status_badge(status)],
                className="kpi-foot",
            ),
        ],
        id=f"kpi-{name}",
        className=f"kpi-card kpi-{status_tone(status)}",
        **{"data-value": raw, "data-status": status},
    )


def kpi_row(kpis: dict, names: list[str]) -> html.Div:
    """A responsive row of KPI cards in the given order."""
    return html.Div([kpi_card(n, kpis.get(n)) for n in names], className="kpi-grid")
