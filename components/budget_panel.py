"""Money against plan on /pre-sop: the plan against the budget by family and by month (revenue, COGS,
gross margin, variance in money and %, volume / price / mix), gross margin % against the budget's, and
working capital (inventory value and its days) per month. Figures come from `services.money.budget_view`."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from components.empty import empty_state
from components.layout import Col, summary_table

HOW_TO_ADD = ("Add a sheet (or CSV file) named budget with columns family, period (YYYY-MM) and revenue, and "
              "optionally units (needed to split the variance into volume, price and mix), to the workbook "
              "and upload it on 1 Data.")
DRIVERS_HELP = ("Variance = plan − budget. Volume = (plan units − budget units) × budget average price; "
                "price = (plan price − budget price) × plan units, family by family and month by month; "
                "mix = the rest (selling more of the dearer or cheaper families and months than the budget's "
                "average). Volume + price + mix = the revenue variance. Budget COGS = budget units × the "
                "family's standard unit cost.")

VARIANCE_COLS = [
    Col("revenue", "Revenue", "money"), Col("budget_revenue", "Budget", "money"),
    Col("revenue_variance", "Variance", "money"), Col("revenue_variance_pct", "Var. %", "pct"),
    Col("volume", "Volume", "money"), Col("price", "Price", "money"), Col("mix", "Mix", "money"),
    Col("cogs", "COGS", "money"), Col("budget_cogs", "Budget COGS", "money"),
    Col("gross_margin", "Gross margin", "money"), Col("budget_gross_margin", "Budget GM", "money"),
    Col("gross_margin_pct", "GM %", "pct"), Col("budget_gross_margin_pct", "Budget GM %", "pct"),
    Col("inventory_value", "Inventory value (end)", "money"),
]


def _records(frame: pd.DataFrame | None) -> list[dict]:
    return [] if frame is None else frame.to_dict("records")


def working_capital_table(wc: pd.DataFrame) -> html.Div:
    cols = [Col("period", "Month", "text"), Col("inventory_units", "Inventory", sub="units, month end"),
            Col("inventory_value", "Inventory value", "money"), Col("cogs", "COGS", "money"),
            Col("days_of_inventory", "Days of inventory", "num1", sub="value / daily COGS")]
    return summary_table("presop-working-capital", cols, _records(wc), "period")


def money_against_plan(view: dict[str, Any]) -> html.Div:
    """The panel's body: budget tables (or how to add a budget) and working capital."""
    wc = html.Div([html.H3("Working capital by month", className="h6 mt-3"),
                   working_capital_table(view["working_capital"])])
    if not view.get("has_budget"):
        return html.Div([empty_state("No budget in the data", HOW_TO_ADD, "Go to 1 Data", "/data",
                                     icon="bi-cash-coin", id="presop-budget-empty"), wc])
    total = {"family": "Total", "period": "Total", **_records(view["total"])[0]}
    by_family = summary_table("presop-budget-family", [Col("family", "Family", "text"), *VARIANCE_COLS],
                              _records(view["by_family"]), "family", total)
    by_month = summary_table("presop-budget-month", [Col("period", "Month", "text"), *VARIANCE_COLS],
                             _records(view["by_month"]), "period", total)
    return html.Div([
        html.Div(DRIVERS_HELP, className="panel-sub"),
        html.H3("By family (budgeted months of the horizon)", className="h6 mt-2"), by_family,
        html.H3("By month (company)", className="h6 mt-3"), by_month,
        wc,
    ])
