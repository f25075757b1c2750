"""The /pre-sop panels of money and decisions (filled by callbacks.pre_sop_money)."""

from __future__ import annotations

from components.grids import grid, num_col, pct_col, status_col, text_col
from components.layout import panel


def balance_panel():
    """The demand–supply balance grid, in the layout without rows: the page's callback sends only its
    `rowData` (a family × month row each: 3,600 rows at 200 families), not a component tree."""
    cols = [text_col("family", "Family", pinned="left", minWidth=120), text_col("period", "Month", minWidth=95),
            num_col("demand", "Demand"), num_col("capacity", "Capacity"), num_col("gap", "Gap"),
            pct_col("utilization", "Utilization"), num_col("regular", "Regular"), num_col("overtime", "Overtime"),
            num_col("outsource", "Outsource"), num_col("shipped", "Shipped"), num_col("lost_sales", "Lost sales"),
            num_col("inventory_end", "Inventory end"), status_col("status")]
    return panel("Demand–supply balance",
                 grid("presop-balance-grid", [], cols, row_id="key", height=430, keep_height=True),
                 id="presop-balance",
                 subtitle="Per family and month: consensus demand, capacity, what the supply plan produces "
                          "and ships")


def decisions_needed_panel():
    return panel("Decisions needed", id="presop-needed",
                 subtitle="What the executive meeting must decide this cycle: each constrained month's supply "
                          "solution with its cost, scenarios waiting for a decision, budget gaps")


def money_against_plan_panel():
    return panel("Money against budget", id="presop-budget",
                 subtitle="Revenue, COGS, gross margin and inventory value against the budget, the variance "
                          "split into volume, price and mix; working capital by month")
