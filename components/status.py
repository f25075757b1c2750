"""Status badges. Colour carries status only: green on target / OK, amber at risk / TIGHT,
red off target / CONSTRAINED, grey when there is no data."""

from __future__ import annotations

from dash import html

# status -> (css modifier, label)
KPI_STATUS = {
    "on_target": ("good", "On target"),
    "at_risk": ("warn", "At risk"),
    "off_target": ("bad", "Off target"),
    "no_data": ("none", "No data"),
}
CAPACITY_STATUS = {
    "OK": ("good", "OK"),
    "TIGHT": ("warn", "TIGHT"),
    "CONSTRAINED": ("bad", "CONSTRAINED"),
}


def status_tone(status: str | None) -> str:
    """'good' | 'warn' | 'bad' | 'none' for a KPI or capacity status."""
    if status in KPI_STATUS:
        return KPI_STATUS[status][0]
    if status in CAPACITY_STATUS:
        return CAPACITY_STATUS[status][0]
    return "none"


def status_label(status: str | None) -> str:
    if status in KPI_STATUS:
        return KPI_STATUS[status][1]
    if status in CAPACITY_STATUS:
        return CAPACITY_STATUS[status][1]
    return str(status or "—")


def status_badge(status: str | None, id: str | None = None) -> html.Span:
    """A pill with the status word and its colour (class `status-badge status-<tone>`)."""
    kwargs = {"id": id} if id else {}
    return html.Span(
        status_label(status),
        className=f"status-badge status-{status_tone(status)}",
        **{"data-status": status or ""},
        **kwargs,
    )
