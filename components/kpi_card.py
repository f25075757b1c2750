"""KPI card: value, target band and status colour; the raw value is in `data-value` for tests and tools."""

from __future__ import annotations

from dash import html

from components import formats
from components.status import status_badge, status_tone
from planning.kpis import target_text

# Large type that scales with the window: about 31 px on a 1366 px laptop, 37 px on a 1920 px projector.
LARGE_VALUE_STYLE = {"fontSize": "clamp(1.6rem, 1.05rem + 1vw, 2.6rem)"}
LARGE_LABEL_STYLE = {"fontSize": "clamp(.78rem, .62rem + .22vw, .95rem)"}


def kpi_card(name: str, kpi: dict | None, label: str | None = None, *, large: bool = False) -> html.Div:
    """One KPI from `PlanResult.kpis[name]` ({label, unit, value, target_low, target_high, status}).

    The card's id is `kpi-<name>`; `data-value` holds the unrounded number ('' when missing) and
    `data-status` the status, so the figure can be read back exactly. `large` sizes the value for
    a projector (the executive dashboard). The KPI's definition is the card's tooltip.
    """
    kpi = kpi or {}
    value = kpi.get("value")
    unit = kpi.get("unit")
    status = kpi.get("status") or "no_data"
    raw = "" if formats.is_missing(value) else repr(float(value))
    extra = {"title": kpi["description"]} if kpi.get("description") else {}
    return html.Div(
        [
            html.Div(label or kpi.get("label") or name, className="kpi-label",
                     style=LARGE_LABEL_STYLE if large else None),
            html.Div(formats.by_unit(value, unit), className="kpi-value",
                     style=LARGE_VALUE_STYLE if large else None),
            html.Div(
                [html.Span(target_text(kpi.get("target_low"), kpi.get("target_high"), unit),
                           className="kpi-target"), status_badge(status)],
                className="kpi-foot",
            ),
        ],
        id=f"kpi-{name}",
        className=f"kpi-card kpi-{status_tone(status)}",
        **{"data-value": raw, "data-status": status},
        **extra,
    )


def kpi_row(kpis: dict, names: list[str], *, large: bool = False) -> html.Div:
    """A responsive row of KPI cards in the given order."""
    return html.Div([kpi_card(n, kpis.get(n), large=large) for n in names], className="kpi-grid")
