"""The upload box: one workbook (.xlsx) or several CSV files at once."""

from __future__ import annotations

from dash import dcc, html


def upload_box(id: str, hint: str | None = None) -> dcc.Upload:
    return dcc.Upload(
        id=id,
        multiple=True,
        accept=".xlsx,.csv",
        className="upload-box",
        children=html.Div(
            [
                html.I(className="bi bi-cloud-arrow-up upload-icon"),
                html.Div([html.Strong("Drop a workbook or CSV files here"), " or ",
                          html.Span("browse", className="upload-link")]),
                html.Div(
                    hint or "One .xlsx with sheets items, history, capacity (forecast, adjustments, budget, "
                    "production, inventory_count optional), or the same tables as .csv files. A file with any "
                    "error changes nothing.",
                    className="upload-hint",
                ),
            ],
            className="upload-inner",
        ),
    )
