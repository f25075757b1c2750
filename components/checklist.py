"""A step's checklist of the monthly cycle as a compact collapsible panel (one per step page).

The items are the step's fixed activities and outputs (services.cycle.STEPS); their state (ticked, by whom,
when) is filled by callbacks/checklist.py through pattern-matching ids:

- `{"type": "checklist-item", "step": s, "item": i}`  the button that ticks/unticks an item;
- `{"type": "checklist-meta", "step": s, "item": i}`  who ticked it and when (or "automatic");
- `{"type": "checklist-summary", "step": s}`, `{"type": "checklist-msg", "step": s}`,
  `{"type": "checklist-version", "step": s}` (a counter bumped by each tick, so the panel re-reads).
"""

from __future__ import annotations

from dash import dcc, html

from services.cycle import STEP_BY_KEY, Item


def item_id(step: str, item: str) -> dict:
    return {"type": "checklist-item", "step": step, "item": item}


def item_class(done: bool, auto: bool) -> str:
    return "checklist-item" + (" is-done" if done else "") + (" is-auto" if auto else "")


def item_children(it: Item | dict, done: bool = False) -> list:
    auto = it.auto if isinstance(it, Item) else it.get("auto")
    text = it.text if isinstance(it, Item) else it["text"]
    icon = "bi-check-square-fill text-success" if done else "bi-square"
    return [html.I(className=f"bi {icon}"), html.Span(text, className="checklist-text"),
            html.Span("automatic", className="status-badge status-none ms-1",
                      title="Ticked from what is stored; it cannot be ticked by hand") if auto else None]


def checklist_panel(step_key: str) -> html.Details:
    """The collapsible checklist of one step (closed by default; the summary line says how far it is)."""
    step = STEP_BY_KEY[step_key]
    items = []
    for it in step.items:
        items.append(html.Li([
            html.Button(item_children(it), id=item_id(step.key, it.key), n_clicks=0, disabled=bool(it.auto),
                        className=item_class(False, bool(it.auto)), **{"data-auto": "1" if it.auto else "0"}),
            html.Div(id={"type": "checklist-meta", "step": step.key, "item": it.key}, className="checklist-meta"),
        ], className="list-unstyled"))
    return html.Details(
        [
            html.Summary([
                html.I(className="bi bi-list-check"),
                html.Strong(f"Step {step.number} checklist · {step.title}"),
                html.Span(id={"type": "checklist-summary", "step": step.key}, className="item-meta"),
            ]),
            html.Div([
                html.Div("Objectives: " + "; ".join(step.objectives) + ".", className="panel-sub mt-2"),
                html.Ul(items, className="list-unstyled mb-1 mt-2"),
                html.Div(id={"type": "checklist-msg", "step": step.key}),
                dcc.Store(id={"type": "checklist-version", "step": step.key}, data=0),
            ]),
        ],
        id=f"checklist-{step.key}",
        className="panel checklist-panel",
        **{"data-step": str(step.number)},
    )
