"""The plan as a workbook for people, and an edited copy back as changes.

Export: sheets `consensus` (item × month, wide), `capacity` (family × month, wide),
`adjustments` (the audit trail with reasons) and `about`; frozen header, number formats,
column widths; text that a spreadsheet would run as a formula is neutralised.
Import: the `consensus` and `capacity` sheets are read back and every cell that differs
from the current plan becomes a change (an absolute item adjustment, or a capacity
change) with the reason "workbook upload"; nothing is stored until the preview is
accepted, and a file with any error changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.readers import neutralize
from data.schema import Issue
from planning.result import PlanResult

WORKBOOK_REASON = "workbook upload"
ID_COLUMNS = {"consensus": ["item_id", "family", "description"], "capacity": ["family"]}
TOLERANCE = 0.005  # a cell within half a hundredth of a unit of the plan is unchanged (rounding in Excel)


def export_plan(plan: PlanResult, items: pd.DataFrame, adjustments: pd.DataFrame, meta: dict) -> bytes:
    """The current plan as formatted .xlsx bytes."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cons = plan.consensus.pivot_table(index=["item_id", "family"], columns="period", values="consensus",
                                      aggfunc="sum").reindex(columns=plan.horizon).reset_index()
    desc = items.set_index("item_id")["description"] if "description" in items else pd.Series(dtype=str)
    cons.insert(2, "description", cons["item_id"].map(desc).fillna(""))
    cons = cons.sort_values(["family", "item_id"])
    cap = plan.family_plan.pivot_table(index="family", columns="period", values="capacity", aggfunc="sum"
                                       ).reindex(columns=plan.horizon).reset_index()
    adj_cols = ["created_at", "owner", "level", "key", "period", "type", "value", "before_value", "after_value",
                "reason", "source", "active"]
    adj = adjustments.reindex(columns=adj_cols).copy()
    adj["created_at"] = pd.to_datetime(adj["created_at"]).dt.strftime("%Y-%m-%d %H:%M")
    about = pd.DataFrame({
        "field": ["cycle", "version", "exported", "how to use"],
        "value": [meta.get("cycle", ""), meta.get("version", ""), meta.get("exported", ""),
                  "Change numbers on the consensus or capacity sheet and upload the file on the Demand page. "
                  "Each changed cell becomes an adjustment with the reason 'workbook upload'."],
    })
    sheets = {"consensus": cons, "capacity": cap, "adjustments": adj, "about": about}
    text_cols = {"consensus": ["item_id", "family", "description"], "capacity": ["family"],
                 "adjustments": ["owner", "level", "key", "period", "type", "reason", "source"],
                 "about": ["field", "value"]}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="2C3E50")
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        frame = frame.copy()
        for c in text_cols[name]:
            frame[c] = neutralize(frame[c].astype(object).where(frame[c].notna(), "").astype(str))
        ws.append([str(c) for c in frame.columns])
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None):
            ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
        for cell in ws[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center")
        n_id = len(ID_COLUMNS.get(name, []))
        ws.freeze_panes = ws.cell(row=2, column=n_id + 1) if n_id else "A2"
        for j, col in enumerate(frame.columns, start=1):
            letter = get_column_letter(j)
            numeric = pd.api.types.is_numeric_dtype(frame[col]) and col not in text_cols[name]
            width = max(len(str(col)), *(len(str(v)) for v in frame[col].head(200))) if len(frame) else len(str(col))
            ws.column_dimensions[letter].width = min(60, max(10, width + 2))
            if numeric:
                fmt = "#,##0.0" if col in ("value",) else "#,##0"
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class WorkbookChanges:
    adjustments: pd.DataFrame  # level, key, period, type, value, before_value, after_value
    capacity: pd.DataFrame  # family, period, before_value, after_value
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)

    @property
    def count(self) -> int:
        return len(self.adjustments) + len(self.capacity)


def _read_sheet(wb_bytes: bytes, name: str, issues: list[Issue]) -> pd.DataFrame | None:
    try:
        frame = pd.read_excel(io.BytesIO(wb_bytes), sheet_name=name, dtype=object, engine="openpyxl")
    except ValueError:
        issues.append(Issue(name, None, None, f"the workbook has no sheet “{name}”."))
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.dropna(how="all")


def _diff_sheet(frame: pd.DataFrame, sheet: str, keys: list[str], plan_values: pd.DataFrame, key_col: str,
                horizon: list[str], issues: list[Issue]) -> pd.DataFrame:
    """Cells of a wide sheet (keys + month columns) that differ from `plan_values` (key_col, period, value)."""
    missing = [k for k in (key_col, *horizon) if k not in frame.columns]
    if missing:
        issues.append(Issue(sheet, 1, ", ".join(missing), "required column(s) missing; download a fresh copy."))
        return pd.DataFrame(columns=[key_col, "period", "before_value", "after_value"])
    unknown = [c for c in frame.columns if c not in keys and c not in horizon]
    for c in unknown:
        issues.append(Issue(sheet, 1, c, f"unknown column “{c}”: months must be those of the plan ({horizon[0]}…"
                                         f"{horizon[-1]})."))
    frame = frame.assign(_row=frame.index.to_numpy() + 2)  # header is row 1
    frame[key_col] = frame[key_col].astype(str).str.strip().str.lstrip("'")
    known = set(plan_values[key_col])
    for r, k in frame.loc[~frame[key_col].isin(known), ["_row", key_col]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), key_col, f"“{k}” is not in the plan."))
    dup = frame[key_col].duplicated(keep=False)
    for r, k in frame.loc[dup, ["_row", key_col]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), key_col, f"“{k}” appears more than once."))
    long = frame.melt(id_vars=["_row", key_col], value_vars=horizon, var_name="period", value_name="raw")
    num = pd.to_numeric(long["raw"], errors="coerce")
    bad_text = long["raw"].notna() & num.isna()
    for r, p, v in long.loc[bad_text, ["_row", "period", "raw"]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), p, f"“{v}” is not a number."))
    negative = num < 0
    for r, p, v in long.loc[negative, ["_row", "period", "raw"]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), p, f"{v} is negative; units cannot be below 0."))
    empty = long["raw"].isna()
    for r, p in long.loc[empty, ["_row", "period"]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), p, "the cell is empty; enter 0 for no units."))
    long["after_value"] = num
    merged = long.merge(plan_values.rename(columns={"value": "before_value"}), on=[key_col, "period"], how="inner")
    changed = (merged["after_value"] - merged["before_value"]).abs() > TOLERANCE
    return merged.loc[changed & merged["after_value"].notna() & (merged["after_value"] >= 0),
                      [key_col, "period", "before_value", "after_value"]].reset_index(drop=True)


def read_plan_workbook(wb_bytes: bytes, plan: PlanResult) -> WorkbookChanges:
    """Compare an edited plan workbook with `plan`; errors are located by sheet, row and column."""
    issues: list[Issue] = []
    try:
        import openpyxl  # noqa: F401

        cons = _read_sheet(wb_bytes, "consensus", issues)
        cap = _read_sheet(wb_bytes, "capacity", issues)
    except Exception as exc:  # not a workbook at all
        return WorkbookChanges(pd.DataFrame(), pd.DataFrame(), [Issue("workbook", None, None,
                                                                      f"the file cannot be read as .xlsx ({exc}).")])
    adj = pd.DataFrame(columns=["item_id", "period", "before_value", "after_value"])
    capc = pd.DataFrame(columns=["family", "period", "before_value", "after_value"])
    if cons is not None:
        pv = plan.consensus.rename(columns={"consensus": "value"})[["item_id", "period", "value"]]
        adj = _diff_sheet(cons, "consensus", ID_COLUMNS["consensus"], pv, "item_id", plan.horizon, issues)
    if cap is not None:
        pv = plan.family_plan.rename(columns={"capacity": "value"})[["family", "period", "value"]]
        capc = _diff_sheet(cap, "capacity", ID_COLUMNS["capacity"], pv, "family", plan.horizon, issues)
    adjustments = pd.DataFrame({
        "level": "item", "key": adj["item_id"], "period": adj["period"], "type": "absolute",
        "value": adj["after_value"].astype(float), "before_value": adj["before_value"].astype(float),
        "after_value": adj["after_value"].astype(float),
    })
    capacity = capc.astype({"before_value": float, "after_value": float})
    issues.sort(key=lambda i: (i.sheet, i.row or 0, str(i.column)))
    if any(i.is_error for i in issues):
        return WorkbookChanges(adjustments.iloc[0:0], capacity.iloc[0:0], issues)
    return WorkbookChanges(adjustments, capacity, issues)
