"""The cost of a supply plan by option, each on its own line: regular (free in the model), overtime,
outsourcing, holding, lost sales, and their total. Used wherever a supply cost total is shown."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from components import formats
from components.layout import Col, summary_table

UNIT_NOTE = {"regular": "units (free in the model)", "holding": "unit-months held"}


def cost_breakdown_table(id: str, lines: Sequence[dict]) -> html.Div:
    """A small table: option, units, cost; the total row is the plan's cost (`planning.supply.cost_lines`)."""
    rows = [{**line, "unit_note": UNIT_NOTE.get(line["key"], "units")} for line in lines]
    total = {"key": "total", "label": "Supply plan cost", "units": None,
             "cost": sum(line["cost"] for line in lines), "unit_note": ""}
    cols = [Col("label", "Option", "text"), Col("units", "Units"), Col("unit_note", "", "text", "text-muted small"),
            Col("cost", "Cost", "money")]
    return summary_table(id, cols, rows, "key", total)


def cost_breakdown_text(lines: Sequence[dict], short: bool = True) -> str:
    """"$4.47M: overtime $31k · outsourcing $0 · holding $4.43M · lost sales $0 (regular production is
    free in the model)"."""
    money = formats.money_short if short else formats.money
    total = sum(line["cost"] for line in lines)
    parts = " · ".join(f"{line['label'].split(' (')[0].lower()} {money(line['cost'])}" for line in lines
                       if line["key"] != "regular")
    return f"{money(total)}: {parts} (regular production is free in the model)"


def cost_breakdown_line(id: str, lines: Sequence[dict], label: str = "Supply plan cost over the horizon") -> html.Div:
    """One line of text with the total and each option's part, for panels that show a total."""
    return html.Div([html.Strong(f"{label} "), cost_breakdown_text(lines)], id=id, className="small mt-2")
