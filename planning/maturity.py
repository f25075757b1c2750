"""The S&OP maturity assessment: statements per dimension and level, scores, next steps. Pure Python.

Five levels (1 reactive, 2 rudimentary, 3 standard, 4 advanced, 5 best in class). Level 1 is where every
company starts, so the statements describe levels 2 to 5, one per dimension and level. Each is answered
0 (no), 1 (partly) or 2 (yes).

Score of a dimension: 1 + the fulfilment of each level above 1 (answer / 2), counted in order and only while
the level below is at least half fulfilled, so a level-4 practice without the level-3 basics does not lift
the score past 3. A dimension scores from 1.0 to 5.0; the overall score is the mean of the dimensions'.
Unanswered statements count as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVEL_NAMES = {1: "Reactive", 2: "Rudimentary", 3: "Standard", 4: "Advanced", 5: "Best in class"}
ANSWERS = {0: "No", 1: "Partly", 2: "Yes"}


@dataclass(frozen=True)
class Statement:
    key: str
    dimension: str
    level: int
    text: str
    step: str  # what to do to make the statement true (the next step when it is not yet)


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str


DIMENSIONS = [
    Dimension("process", "Process and cadence"),
    Dimension("people", "People and collaboration"),
    Dimension("data", "Data and systems"),
    Dimension("measurement", "Performance measurement"),
    Dimension("finance", "Finance and strategy"),
    Dimension("tools", "Analytics and tools"),
]

STATEMENTS = [
    # process and cadence
    Statement("process_monthly", "process", 2, "A planning meeting across functions takes place every month.",
              "Put a monthly meeting of sales, operations and finance in everyone's calendar."),
    Statement("process_cadence", "process", 3,
              "The five steps run on a fixed calendar each month and end with one approved plan.",
              "Fix dates for data, demand review, supply review, pre-meeting and executive meeting."),
    Statement("process_horizon", "process", 3, "The plan looks 12 to 18 months ahead, not only the next quarter.",
              "Extend the plan to at least 12 months per family."),
    Statement("process_ibp", "process", 4, "The plan reaches 24 months or more and is updated when events happen, "
              "not only at month end.", "Extend the horizon to 24 months and re-plan between meetings on triggers."),
    Statement("process_dynamic", "process", 5, "Planning is continuous: exceptions are handled as they arise.",
              "Manage by exception with alerts that start a re-plan the same day."),
    # people and collaboration
    Statement("people_participation", "people", 2, "Sales, operations and finance each send someone to the "
              "meeting.", "Name one accountable participant per function."),
    Statement("people_consensus", "people", 3, "Sales and operations agree on one consensus demand number.",
              "Hold a demand review where sales and operations sign off one number per family."),
    Statement("people_decisions", "people", 4, "Executives take the decisions in the meeting and they are "
              "followed up to closure.", "Record every decision with an owner and a due date, and review them."),
    Statement("people_external", "people", 5, "Key customers and suppliers share plans with the company.",
              "Exchange forecasts and capacity with the main customers and suppliers."),
    # data and systems
    Statement("data_single", "data", 2, "History, items and capacity are gathered in one place before the meeting.",
              "Collect history, items and capacity into one shared file or system each month."),
    Statement("data_integrated", "data", 3, "The planning data comes from the systems without manual "
              "re-keying, and it is checked before use.", "Load the data from the source systems and review "
              "the data-quality exceptions each cycle."),
    Statement("data_realtime", "data", 4, "Plan data is refreshed as events happen, not only monthly.",
              "Refresh actuals and orders weekly or daily."),
    Statement("data_external", "data", 5, "Outside signals (market, customers, suppliers) feed the plan.",
              "Add market and customer signals to the demand inputs."),
    # performance measurement
    Statement("measure_accuracy", "measurement", 2, "Forecast accuracy is measured every month.",
              "Measure MAPE and bias of the plan against actuals every month."),
    Statement("measure_targets", "measurement", 3, "Forecast accuracy is good (error under 20 %) and every key "
              "indicator has a target.", "Set targets for accuracy, bias, service and inventory and review them."),
    Statement("measure_process", "measurement", 4, "The process itself is measured: decisions and actions on "
              "time, plan stability, cycle time.", "Track decisions, actions, plan stability and cycle time."),
    Statement("measure_value", "measurement", 5, "Each step's value added is measured and steps that add none "
              "are changed.", "Measure forecast value added per step and drop the steps that add none."),
    # finance and strategy
    Statement("finance_aware", "finance", 2, "Executives see the plan's volumes before committing.",
              "Show the executives the volume plan each month."),
    Statement("finance_reconciled", "finance", 3, "The plan is reconciled in money against the budget.",
              "Value the plan in revenue, cost and margin and compare it with the budget."),
    Statement("finance_strategy", "finance", 4, "The plan is tied to strategy: portfolio and profitability are "
              "decided in it.", "Review the portfolio and profitability by family in the meeting."),
    Statement("finance_value_chain", "finance", 5, "Plans are optimised for value across the whole chain.",
              "Optimise the plan for margin across suppliers, plants and customers."),
    # analytics and tools
    Statement("tools_capacity", "tools", 2, "Demand is checked against capacity before the meeting.",
              "Compare demand with capacity per family before each meeting."),
    Statement("tools_scenarios", "tools", 3, "Scenarios (upside, downside) are compared in the meeting.",
              "Prepare upside and downside scenarios with their cost for every meeting."),
    Statement("tools_simulation", "tools", 4, "What-if simulation and analytics are used to choose between "
              "options.", "Use what-if simulation and an optimised supply plan to choose options."),
    Statement("tools_predictive", "tools", 5, "Predictive models and optimisation drive the proposals.",
              "Use statistical and machine-learning forecasts and optimisation for proposals."),
]
BY_KEY = {s.key: s for s in STATEMENTS}


def dimension_scores(answers: dict[str, int | None]) -> dict[str, float]:
    """{dimension key: score 1.0..5.0} (see the module docstring)."""
    out = {}
    for d in DIMENSIONS:
        score = 1.0
        for level in range(2, 6):
            mine = [s for s in STATEMENTS if s.dimension == d.key and s.level == level]
            if not mine:
                continue
            fulfilled = sum(min(max(int(answers.get(s.key) or 0), 0), 2) for s in mine) / (2.0 * len(mine))
            score += fulfilled
            if fulfilled < 0.5:
                break
        out[d.key] = round(score, 4)
    return out


def overall_score(scores: dict[str, float]) -> float:
    return round(sum(scores.values()) / len(scores), 4) if scores else 1.0


def level_of(score: float) -> int:
    """The level reached: the whole part of the score (3.7 → 3)."""
    return max(1, min(5, int(score + 1e-9)))


def next_steps(answers: dict[str, int | None]) -> tuple[str, int, list[str]]:
    """(weakest dimension, the level to reach, the steps): the steps of the weakest dimension's statements at
    the level above the one it has reached that are not yet fully true (ties: the listed order)."""
    scores = dimension_scores(answers)
    weakest = min(DIMENSIONS, key=lambda d: scores[d.key]).key
    target = min(level_of(scores[weakest]) + 1, 5)
    steps = [s.step for s in STATEMENTS if s.dimension == weakest and s.level <= target
             and int(answers.get(s.key) or 0) < 2]
    return weakest, target, steps
