"""The /pre-sop panels of money and decisions (filled by callbacks.pre_sop_money)."""

from __future__ import annotations

from components.layout import panel


def decisions_needed_panel():
    return panel("Decisions needed", id="presop-needed",
                 subtitle="What the executive meeting must decide this cycle: each constrained month's supply "
                          "solution with its cost, scenarios waiting for a decision, budget gaps")


def money_against_plan_panel():
    return panel("Money against budget", id="presop-budget",
                 subtitle="Revenue, COGS, gross margin and inventory value against the budget, the variance "
                          "split into volume, price and mix; working capital by month")
