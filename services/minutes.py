"""Minutes of a cycle's executive meeting, as HTML and PDF: the plan version they concern (approved, or the draft
said as such), agenda, KPIs against targets, the process KPIs as of the cycle (plan stability, cycle time,
decisions and actions on time, agenda time kept, and the upload measures: the figures of that cycle, or what
would give them), the plan by family, constraints with the supply plan's solution
and cost, the financial summary, decisions (with impact) and action items, and the charts as images.

Charts are drawn with matplotlib (PNG) and the PDF is written with fpdf2 in the DejaVu font matplotlib ships,
so no browser is needed. Text that people typed is escaped in the HTML and written as plain text in the PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
from dataclasses import dataclass, field

import pandas as pd

from planning.kpis import REGISTRY, kpi_names, kpi_status, target_text
from services import meeting_live
from services.plan_service import get_service

CHART_DEMAND = "Consensus demand by family (units per month)"
CHART_GAP = "Capacity gap by family (units per month; below 0 is short)"


@dataclass
class Minutes:
    cycle: str
    version: str  # "v3 approved 2026-01-20 by erin" or "v4 draft (not approved)"
    approved: bool
    written: str
    kpis: list[dict] = field(default_factory=list)
    process: list[dict] = field(default_factory=list)  # the process KPIs of this cycle (name, value, …)
    family_plan: pd.DataFrame | None = None  # family × month consensus units
    constraints: pd.DataFrame | None = None
    finance: dict[str, float] = field(default_factory=dict)
    decisions: pd.DataFrame | None = None
    actions: pd.DataFrame | None = None
    agenda: list[dict] = field(default_factory=list)  # key, title, planned_minutes, actual_seconds
    attendees: pd.DataFrame | None = None
    risks: pd.DataFrame | None = None
    meeting: dict | None = None  # started/ended (who, when)
    version_numbers: dict[int, int] = field(default_factory=dict)  # version id -> number (decisions)
    carried: dict[int, str] = field(default_factory=dict)  # action id it continues -> that action's cycle
    charts: dict[str, bytes] = field(default_factory=dict)  # title -> PNG


def build(cycle: str | None = None) -> Minutes:
    """The minutes of a cycle (default: the current one), from the store and the cycle's plan version."""
    svc = get_service()
    store = svc.store
    cycles = store.list_cycles()
    row = cycles[cycles["period"] == cycle] if cycle else cycles.tail(1)
    if cycle and row.empty:
        known = ", ".join(sorted(cycles["period"].astype(str).unique()))
        raise LookupError(f"there is no cycle {cycle} (the cycles stored: {known})")
    row = row[row["status"] != "superseded"].tail(1) if len(row[row["status"] != "superseded"]) else row.tail(1)
    cycle_id, period = int(row["id"].iloc[0]), str(row["period"].iloc[0])
    versions = store.list_versions(cycle_id)
    versions = versions[versions["kind"] == "base"].sort_values("number")
    approved = versions[versions["status"] == "approved"]
    chosen = approved.iloc[-1] if len(approved) else versions.iloc[-1]
    label = (f"v{chosen['number']} approved {pd.Timestamp(chosen['approved_at']):%Y-%m-%d %H:%M} by "
             f"{chosen['approved_by']}" if chosen["status"] == "approved" else
             f"v{chosen['number']} draft (not approved)")
    m = Minutes(cycle=period, version=label, approved=chosen["status"] == "approved",
                written=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                decisions=store.list_decisions(cycle_id), actions=store.list_actions(cycle_id),
                attendees=store.list_attendees(cycle_id), risks=store.list_risks(cycle_id),
                meeting=store.get_meeting(cycle_id))
    m.agenda = meeting_live.state(cycle_id)["items"]
    m.version_numbers = {int(i): int(n) for i, n in zip(versions["id"], versions["number"], strict=True)}
    carried = m.actions["carried_from"].dropna() if "carried_from" in m.actions else []
    m.carried = store.action_cycles([int(v) for v in carried]) if len(carried) else {}
    current = store.current_cycle()["id"] == cycle_id
    if current:
        plan = svc.current_plan(int(chosen["id"]))
        _from_plan(m, plan)
    else:  # an earlier cycle: its approved snapshot (units) and its KPI history point
        _from_snapshot(m, store, int(chosen["id"]), period)
    m.process = process_rows(period)
    return m


# the KPIs measured per cycle from the records (services.process_kpis.history), in the minutes' order
PROCESS_KPIS = ("plan_stability", "cycle_time", "decisions_on_time", "actions_on_time", "agenda_time_kept",
                "inventory_accuracy", "production_attainment")
WHY_MISSING = {  # what a cycle without the figure lacked (the registry's `needs` says how to get it)
    "plan_stability": "needs this cycle's approved plan and the previous cycle's",
    "cycle_time": "the cycle's plan is not approved yet",
    "decisions_on_time": "no decision recorded in this cycle, or its plan is not approved yet",
    "actions_on_time": "no action item recorded in this cycle, or its plan is not approved yet",
    "agenda_time_kept": "the meeting's agenda was not timed",
}


def process_rows(period: str) -> list[dict]:
    """The process KPIs of cycle `period` from the records (each cycle's own figure, as /metrics' history has
    it): name, label, value (None when the cycle has none), unit, target, status, and why it is missing."""
    from services.process_kpis import history

    svc = get_service()
    settings = svc.plan_settings()
    hist = history(settings=settings)
    mine = hist[hist["cycle_period"].astype(str) == period]
    rows = []
    for name in PROCESS_KPIS:
        spec = REGISTRY[name]
        t = settings.targets.get(name, spec.default_target)
        value = mine.loc[mine["name"] == name, "value"]
        v = float(value.iloc[0]) if len(value) else None
        missing = "" if v is not None else "; ".join(x for x in (WHY_MISSING.get(name, ""), spec.needs) if x)
        rows.append({"key": name, "name": spec.label, "value": v, "unit": spec.unit,
                     "target": target_text(t.low, t.high, spec.unit),
                     "status": kpi_status(v, t) if v is not None else "", "missing": missing})
    return rows


def _from_plan(m: Minutes, plan) -> None:
    from services.process_kpis import with_process_kpis

    kpis = with_process_kpis(plan.kpis)  # the process KPIs from the cycles' records
    for name in kpi_names():
        k = kpis.get(name)
        if k is None:
            continue
        spec = REGISTRY[name]
        target = target_text(k.get("target_low"), k.get("target_high"), spec.unit)
        if k.get("value") is None and spec.needs:  # say what would give the figure instead of a blank
            target = f"{target}; {spec.needs}"
        m.kpis.append({"name": spec.label, "value": k.get("value"), "unit": spec.unit, "status": k.get("status"),
                       "target": target})
    c = plan.consensus
    m.family_plan = c.pivot_table(index="family", columns="period", values="consensus", aggfunc="sum")
    fp = plan.family_plan.merge(plan.supply_plan[["family", "period", "overtime", "outsource", "lost_sales", "cost"]],
                                on=["family", "period"], how="left")
    m.constraints = fp[fp["status"] != "OK"][["family", "period", "demand", "capacity", "gap", "status",
                                              "overtime", "outsource", "lost_sales", "cost"]].reset_index(drop=True)
    fin = plan.financials
    m.finance = {"Revenue": float(fin["revenue"].sum()), "Revenue at risk": float(fin["revenue_at_risk"].sum()),
                 "COGS": float(fin["cogs"].sum()), "Gross margin": float(fin["gross_margin"].sum()),
                 "Supply cost (overtime, outsourcing, holding, lost sales)": float(plan.supply_plan["cost"].sum())}
    gap = plan.family_plan.pivot_table(index="period", columns="family", values="gap", aggfunc="sum")
    m.charts = {CHART_DEMAND: _line_png(m.family_plan.T, CHART_DEMAND, "Units"),
                CHART_GAP: _line_png(gap, CHART_GAP, "Units", zero_line=True)}


def _from_snapshot(m: Minutes, store, version_id: int, period: str) -> None:
    snaps = store.plan_snapshots()
    snap = snaps[snaps["version_id"] == version_id]
    items = store.list_items()[["item_id", "family"]]
    fam = snap.merge(items, on="item_id")
    if len(fam):
        m.family_plan = fam.pivot_table(index="family", columns="period", values="consensus", aggfunc="sum")
        m.charts = {CHART_DEMAND: _line_png(m.family_plan.T, CHART_DEMAND, "Units")}
    hist = store.kpi_history()
    point = hist[hist["cycle_period"] == period]
    settings = get_service().plan_settings()
    for name in kpi_names():
        spec = REGISTRY[name]
        value = point.loc[point["name"] == name, "value"].dropna()
        if len(value) and name not in PROCESS_KPIS:  # those have their own table, computed from the records
            t = settings.targets.get(name, spec.default_target)  # judged against today's targets
            m.kpis.append({"name": spec.label, "value": float(value.iloc[0]), "unit": spec.unit,
                           "status": kpi_status(float(value.iloc[0]), t), "target": target_text(t.low, t.high, spec.unit)})


def _line_png(frame: pd.DataFrame, title: str, ylabel: str, zero_line: bool = False) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=110)
    for col in frame.columns:
        ax.plot(range(len(frame.index)), frame[col].to_numpy(float), marker="o", markersize=2.5, label=str(col))
    ax.set_xticks(range(len(frame.index)))
    ax.set_xticklabels([str(i) for i in frame.index], rotation=45, ha="right", fontsize=7)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("Month", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    if zero_line:
        ax.axhline(0, color="#c0392b", linewidth=0.8)
    ax.legend(fontsize=7, ncols=4, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


# ---------------------------------------------------------------------------- formats


def _num(v, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    text = f"{float(v):,.1f}" if unit in ("%", "turns", "days") else f"{float(v):,.0f}"
    return text + {"%": " %", "turns": "×", "days": " days"}.get(unit, "")


def _money(v) -> str:
    return "—" if v is None or v != v else f"${float(v):,.0f}"


def _duration(seconds) -> str:
    if not seconds or seconds != seconds:
        return "—"
    s = int(round(float(seconds)))
    return f"{s // 60} min {s % 60:02d} s"


def _over(seconds: float) -> str:
    s = int(round(abs(seconds)))
    return ("+" if seconds > 0 else "−") + f"{s // 60}:{s % 60:02d}" + (" over" if seconds > 0 else " under")


def _version(m: Minutes, version_id) -> str:
    if version_id is None or version_id != version_id:
        return "—"
    number = m.version_numbers.get(int(version_id))
    return f"v{number}" if number is not None else f"version {int(version_id)}"


def _carried(m: Minutes, carried_from) -> str:
    if carried_from is None or carried_from != carried_from:
        return ""
    period = m.carried.get(int(carried_from))
    return f"carried from {period}" if period else "carried"


def _attendance(m: Minutes) -> str:
    n = 0 if m.attendees is None else len(m.attendees)
    names = ", ".join(m.attendees["name"].astype(str)) if n else "not recorded"
    when = ""
    if m.meeting:
        start = pd.Timestamp(m.meeting["started_at"])
        when = f" · meeting {start:%Y-%m-%d %H:%M} UTC"
        if m.meeting.get("ended_at") is not None:
            when += f"–{pd.Timestamp(m.meeting['ended_at']):%H:%M}"
    return f"attendees: {names}{when}"


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def _rows(m: Minutes) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table of the minutes as (header, rows) of plain text (shared by HTML and PDF)."""
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    tables["Agenda"] = (["#", "Item", "Planned", "Real", "Difference"],
                        [[str(n), a["title"], f"{a['planned_minutes']:,.0f} min", _duration(a["actual_seconds"]),
                          _over(a["actual_seconds"] - a["planned_minutes"] * 60) if a["actual_seconds"] else "—"]
                         for n, a in enumerate(m.agenda, start=1)])
    tables["KPIs against targets"] = (["KPI", "Value", "Target", "Status"],
                                      [[k["name"], _num(k["value"], k["unit"]), k["target"], (k["status"] or "").replace("_", " ")]
                                       for k in m.kpis])
    tables[f"Process KPIs of cycle {m.cycle}"] = (
        ["KPI", "Value", "Target", "Status", "How measured / what would give it"],
        [[k["name"], _num(k["value"], k["unit"]) if k["value"] is not None else "—", k["target"],
          (k["status"] or "").replace("_", " "), k["missing"] or REGISTRY[k["key"]].description]
         for k in m.process])
    if m.family_plan is not None and len(m.family_plan):
        months = list(m.family_plan.columns)[:6]
        tables["The plan by family (consensus units, first six months)"] = (
            ["Family", *months], [[str(f), *(_num(m.family_plan.loc[f, p]) for p in months)]
                                  for f in m.family_plan.index])
    if m.constraints is not None:
        tables["Constraints and the supply plan's solution"] = (
            ["Family", "Month", "Demand", "Capacity", "Gap", "Status", "Overtime", "Outsourced", "Lost", "Cost"],
            [[r.family, r.period, _num(r.demand), _num(r.capacity), _num(r.gap), r.status, _num(r.overtime),
              _num(r.outsource), _num(r.lost_sales), _money(r.cost)] for r in m.constraints.itertuples()])
    if m.finance:
        tables["Financial summary (whole horizon)"] = (["Line", "Amount"],
                                                       [[k, _money(v)] for k, v in m.finance.items()])
    at = m.attendees if m.attendees is not None else pd.DataFrame()
    tables["Attendees"] = (["Name", "Function", "User"],
                           [[_text(r.get("name")), _text(r.get("function")), _text(r.get("username")) or "guest"]
                            for r in at.to_dict("records")])
    rk = m.risks if m.risks is not None else pd.DataFrame()
    tables["Risks and contingencies"] = (
        ["Risk", "Likelihood", "Impact", "Contingency", "Owner", "Status"],
        [[_text(r.get("description")), _text(r.get("likelihood")), _text(r.get("impact")),
          _text(r.get("contingency")), _text(r.get("owner")), _text(r.get("status"))] for r in rk.to_dict("records")])
    d = m.decisions if m.decisions is not None else pd.DataFrame()
    tables["Decisions"] = (["Date", "Category", "Decision", "Rationale", "Owner", "Due", "Status", "Impact",
                            "Money", "Version"],
                           [[_text(r.get("decided_on")), _text(r.get("topic")), _text(r.get("decision")),
                             _text(r.get("rationale")), _text(r.get("owner")), _text(r.get("due_date")),
                             _text(r.get("status")) or "agreed", _text(r.get("impact")),
                             _money(r.get("impact_amount")), _version(m, r.get("version_id"))]
                            for r in d.to_dict("records")])
    a = m.actions if m.actions is not None else pd.DataFrame()
    tables["Action items"] = (["Action", "Owner", "Due", "Priority", "Status", "Carried"],
                              [[_text(r.get("description")), _text(r.get("owner")), _text(r.get("due_date")),
                                _text(r.get("priority")), _text(r.get("status")), _carried(m, r.get("carried_from"))]
                               for r in a.to_dict("records")])
    return tables


def to_html(m: Minutes) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>S&amp;OP minutes {esc(m.cycle)}"
             "</title><style>body{font-family:Lato,Helvetica,Arial,sans-serif;margin:2rem;color:#2c3e50}"
             "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;"
             "padding:.25rem .6rem;text-align:left;font-size:.9rem}th{background:#f4f6f7}"
             "img{max-width:100%}</style></head><body>",
             f"<h1>S&amp;OP executive meeting — cycle {esc(m.cycle)}</h1>",
             f"<p>Plan {esc(m.version)} · minutes written {esc(m.written)} · {esc(_attendance(m))}</p>"]
    for title, (head, rows) in _rows(m).items():
        parts.append(f"<h2>{esc(title)}</h2>")
        if not rows:
            parts.append("<p>None recorded.</p>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows]
        parts.append("</tbody></table>")
    for title, png in m.charts.items():
        parts.append(f"<h2>{esc(title)}</h2><img alt='{esc(title)}' "
                     f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _font_path(name: str = "DejaVuSans.ttf") -> str:
    import matplotlib

    return os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf", name)


# relative column widths of the wide tables in the PDF (the typed text gets the room)
PDF_WIDTHS = {"Decisions": (8, 7, 26, 14, 7, 8, 6, 14, 8, 5), "Action items": (40, 10, 9, 7, 8, 12),
              "Risks and contingencies": (30, 8, 8, 30, 10, 8)}
PROCESS_WIDTHS = (16, 7, 9, 7, 45)


def to_pdf(m: Minutes) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("DejaVu", "", _font_path())
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", size=16)
    pdf.multi_cell(0, 8, f"S&OP executive meeting — cycle {m.cycle}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.multi_cell(0, 5, f"Plan {m.version} · minutes written {m.written} · {_attendance(m)}",
                   new_x="LMARGIN", new_y="NEXT")
    for title, (head, rows) in _rows(m).items():
        pdf.ln(3)
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=8)
        if not rows:
            pdf.multi_cell(0, 5, "None recorded.", new_x="LMARGIN", new_y="NEXT")
            continue
        widths = PROCESS_WIDTHS if title.startswith("Process KPIs") else PDF_WIDTHS.get(title)
        with pdf.table(text_align="LEFT", line_height=4.5, col_widths=widths) as table:
            table.row(head)
            for r in rows:
                table.row([str(c) for c in r])
    for title, png in m.charts.items():
        pdf.add_page()
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(png), w=260)
    return bytes(pdf.output())


def write(cycle: str | None, out_dir: str | os.PathLike) -> list[str]:
    """Write minutes.html and minutes.pdf of a cycle into `out_dir`; returns the paths."""
    from pathlib import Path

    m = build(cycle)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "minutes.html").write_text(to_html(m), encoding="utf-8")
    (out / "minutes.pdf").write_bytes(to_pdf(m))
    return [str(out / "minutes.html"), str(out / "minutes.pdf")]
