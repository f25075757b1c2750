"""Step 5 — executive S&OP meeting: agenda, decisions, action items."""

import dash
from dash import dcc, html

from components.layout import page_header, panel

dash.register_page(__name__, path="/meeting", name="5 Meeting", title="5 Meeting · S&OP Studio", order=5)


def layout(**_query):
    return html.Div(
        [
            page_header("5 · Executive S&OP meeting", "Agenda, decisions and action items of this cycle",
                        id="meeting-subtitle"),
            html.Div(
                [
                    html.Div(panel("Agenda", id="meeting-agenda"), className="col-xl-4 col-12"),
                    html.Div(dcc.Loading(panel("Decisions", id="meeting-decisions"), type="dot"),
                             className="col-xl-8 col-12"),
                ],
                className="row g-3",
            ),
            panel("Action items", id="meeting-actions"),
        ]
    )
