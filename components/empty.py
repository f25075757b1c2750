"""Empty states: say what is missing and what to do next, never a blank panel."""

from __future__ import annotations

from dash import dcc, html


def empty_state(title: str, message: str, action_label: str | None = None, action_href: str | None = None,
                icon: str = "bi-inbox", id: str | None = None) -> html.Div:
    children = [
        html.I(className=f"bi {icon} empty-icon"),
        html.Div(title, className="empty-title"),
        html.Div(message, className="empty-message"),
    ]
    if action_label and action_href:
        children.append(dcc.Link(action_label, href=action_href, className="btn btn-primary btn-sm mt-2"))
    kwargs = {"id": id} if id else {}
    return html.Div(children, className="empty-state", **kwargs)


def error_state(message: str, id: str | None = None) -> html.Div:
    """Shown when the plan cannot be read; tells the user where to go."""
    return empty_state("The plan could not be computed", message, "Go to 1 Data", "/data",
                       icon="bi-exclamation-triangle", id=id)
