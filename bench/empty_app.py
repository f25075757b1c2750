"""The reference for bench/browser.py: an empty Dash page (one div) with one trivial echo callback.

    SOP_PORT=8060 python bench/empty_app.py
"""

from __future__ import annotations

import os

from dash import Dash, Input, Output, State, dcc, html

app = Dash(__name__)
app.layout = html.Div(
    [
        html.Div("Empty page", id="ref-main"),
        dcc.Input(id="ref-in", value="", debounce=True),
        html.Div(id="ref-out"),
    ]
)


@app.callback(Output("ref-out", "children"), Input("ref-in", "n_submit"), State("ref-in", "value"))
def echo(_n, value):
    """The trivial callback: echoes what was typed once Enter is pressed."""
    return f"echo: {value or ''}"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("SOP_PORT", "8060")), debug=False)
