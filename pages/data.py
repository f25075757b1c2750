"""Step 1 — data gathering and forecasting: upload, validation report, the plan workbook round trip, the
statistical forecast (background run with progress and cancel, chosen model per series), history and
forecast with intervals, accuracy, exceptions, lag accuracy and forecast value added."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.cycle_close import actuals_panel
from components.checklist import checklist_panel
from components.forecast_job import forecast_card
from components.layout import page_header, panel
from components.plan_workbook import plan_workbook_card
from components.quality_log import quality_log_body
from components.upload import upload_box
from services import plan_service

dash.register_page(__name__, path="/data", name="1 Data", title="1 Data · S&OP Studio", order=1)


def layout(**_query):
    families = plan_service.plan_families()  # the chart's family chosen from the start
    return html.Div(
        [
            page_header("1 · Data and forecast", "Upload the company's data, check it, forecast it, and see how "
                        "good the forecasts have been", id="data-subtitle"),
            checklist_panel("data"),
            html.Div(
                [
                    html.Div(
                        [
                            panel("Upload data", [
                                upload_box("data-upload"),
                                dbc.Checkbox(id="data-keep-settings", value=False, className="mt-2",
                                             label="Keep the current settings (otherwise the new data starts "
                                                   "from the defaults and its own settings sheet)"),
                                dcc.Loading(html.Div(id="data-upload-report", className="mt-3"), type="dot"),
                            ]),
                            plan_workbook_card(),
                            actuals_panel(),
                        ],
                        className="col-xl-7 col-12",
                    ),
                    html.Div(panel("Data in the current plan", id="data-dataset"), className="col-xl-5 col-12"),
                ],
                className="row g-3",
            ),
            forecast_card(),
            panel("History and forecast by family", [
                dcc.Dropdown(families, families[0] if families else None,
                             id="data-family", clearable=False, placeholder="Choose a family",
                             style={"maxWidth": "320px"}, className="mb-2"),
                dcc.Loading(dcc.Graph(id="data-history-chart", config={"displaylogo": False}), type="dot"),
                html.Div(id="data-chart-note", className="item-meta"),
            ]),
            html.Div(
                [
                    html.Div(panel("Forecast accuracy", id="data-accuracy",
                                   subtitle="Over the history months that carry a forecast; family and total "
                                            "figures from summed units"), className="col-xxl-7 col-12"),
                    html.Div(panel("Exceptions", id="data-exceptions",
                                   subtitle="Forecast change month over month, tracking signal, MAPE and bias "
                                            "beyond their limits"), className="col-xxl-5 col-12"),
                ],
                className="row g-3",
            ),
            panel("Data-quality log", quality_log_body(), id="data-quality",
                  subtitle="This cycle's upload warnings and exceptions: review each one with a comment; what is "
                           "still open is counted in the header"),
            panel("Lag accuracy and forecast value added", dcc.Loading(html.Div(id="data-lag"), type="dot"),
                  subtitle="How good the plans of earlier cycles were, 1, 2 and 3 months ahead, and whether the "
                           "adjustments made them better"),
        ]
    )
