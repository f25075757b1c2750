"""The plan as a workbook for people, and an edited copy back as changes.

Export: sheets `consensus` (item × month, wide), `capacity` (family × month, wide),
`adjustments` (the audit trail: adjustments and capacity changes with reasons) and `about`;
frozen header, number formats, column widths; text that a spreadsheet would run as a formula
(=, +, -, @) is neutralised with a leading apostrophe. A hidden sheet `_exported` keeps the
numbers as they were when the copy was made.

Import: the `consensus` and `capacity` sheets are read back. A cell is a change when it differs
from the number exported in it (or, without the hidden sheet, from the current plan); it becomes
an absolute item adjustment or a capacity change with the reason "workbook upload". When someone
else changed the same cell since the copy was downloaded, the cell is reported as a conflict and
the file is refused: nothing is overwritten. Nothing is stored until the preview is accepted,
and a file with any error changes nothing.
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
ORIGINAL_SHEET = "_exported"
TOLERANCE = 0.005  # a cell within half a hundredth of a unit is unchanged (rounding in Excel)
AUDIT_COLUMNS = ["when", "owner", "kind", "level", "family", "key", "period", "type", "value", "before", "after",
                 "reason", "source", "active"]
AUDIT_TEXT = ["owner", "kind", "level", "family", "key", "period", "type", "reason", "source"]


def _wide(plan: PlanResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    cons = plan.consensus.pivot_table(index=["item_id", "family"], columns="period", values="consensus",
                                      aggfunc="sum").reindex(columns=plan.horizon).reset_index()
    cons = cons.sort_values(["family", "item_id"], ignore_index=True)
    cap = plan.family_plan.pivot_table(index="family", columns="period", values="capacity", aggfunc="sum"
                                       ).reindex(columns=plan.horizon).reset_index()
    cons.columns.name = cap.columns.name = None
    return cons, cap


def _audit_sheet(audit: pd.DataFrame) -> pd.DataFrame:
    """The audit trail (PlanService.audit_trail) or a raw adjustments table, in the sheet's columns."""
    adj = audit.rename(columns={"created_at": "when", "before_value": "before", "after_value": "after"})
    adj = adj.reindex(columns=AUDIT_COLUMNS).copy()
    if "kind" not in audit.columns:
        adj["kind"] = "adjustment"
    when = pd.to_datetime(adj["when"], errors="coerce")
    adj["when"] = when.dt.strftime("%Y-%m-%d %H:%M").where(when.notna(), "")
    adj["active"] = adj["active"].map({True: "yes", False: "no (undone)"}).fillna("")
    return adj


def export_plan(plan: PlanResult, items: pd.DataFrame, audit: pd.DataFrame, meta: dict) -> bytes:
    """The plan as formatted .xlsx bytes.

    `audit`: PlanService.audit_trail() (a store adjustments table is accepted too); `meta`: cycle,
    version, version_id, revision, exported (shown on the `about` sheet).
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cons, cap = _wide(plan)
    desc = items.drop_duplicates("item_id").set_index("item_id")["description"] if "description" in items else None
    cons.insert(2, "description", cons["item_id"].map(desc).fillna("") if desc is not None else "")
    about = pd.DataFrame({
        "field": ["cycle", "version", "version id", "revision", "exported", "how to use"],
        "value": [str(meta.get("cycle", "")), str(meta.get("version", "")), str(meta.get("version_id", "")),
                  str(meta.get("revision", "")), str(meta.get("exported", "")),
                  "Change numbers on the consensus or capacity sheet and upload the file on the Demand page. "
                  "Each changed cell becomes an adjustment with the reason 'workbook upload'."],
    })
    original = pd.concat([
        cons.drop(columns=["family", "description"]).rename(columns={"item_id": "key"}).assign(sheet="consensus"),
        cap.rename(columns={"family": "key"}).assign(sheet="capacity"),
    ], ignore_index=True)[["sheet", "key", *plan.horizon]]
    sheets = {"consensus": cons, "capacity": cap, "adjustments": _audit_sheet(audit), "about": about,
              ORIGINAL_SHEET: original}
    text_cols = {"consensus": ["item_id", "family", "description"], "capacity": ["family"],
                 "adjustments": AUDIT_TEXT + ["when", "active"], "about": ["field", "value"],
                 ORIGINAL_SHEET: ["sheet", "key"]}
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
        if name == ORIGINAL_SHEET:
            ws.sheet_state = "hidden"
            continue
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
            ws.column_dimensions[letter].width = min(60, max(10, (12 if numeric else width) + 2))
            if numeric:
                fmt = "#,##0.0" if col in ("value", "before", "after") else "#,##0"
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class WorkbookChanges:
    """What an uploaded plan workbook would change (nothing is stored until it is applied)."""

    adjustments: pd.DataFrame  # level, key, period, type, value, before_value, after_value
    capacity: pd.DataFrame  # family, period, before_value, after_value
    issues: list[Issue] = field(default_factory=list)
    version_id: int | None = None  # the plan version (and revision) the differences were taken against
    revision: int | None = None

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)

    @property
    def count(self) -> int:
        return len(self.adjustments) + len(self.capacity)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    def preview(self) -> pd.DataFrame:
        """One row per change for people: sheet, key, period, before, after, change."""
        a = self.adjustments.rename(columns={"before_value": "before", "after_value": "after"})
        c = self.capacity.rename(columns={"family": "key", "before_value": "before", "after_value": "after"})
        out = pd.concat([a.assign(sheet="consensus").reindex(columns=["sheet", "key", "period", "before", "after"]),
                         c.assign(sheet="capacity").reindex(columns=["sheet", "key", "period", "before", "after"])],
                        ignore_index=True)
        return out.assign(change=out["after"].astype(float) - out["before"].astype(float))


def _read_sheet(book: pd.ExcelFile, name: str, issues: list[Issue], required: bool = True) -> pd.DataFrame | None:
    if name not in book.sheet_names:
        if required:
            issues.append(Issue(name, None, None, f"the workbook has no sheet “{name}”."))
        return None
    frame = book.parse(name, dtype=object)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.dropna(how="all")


def _key(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.removeprefix("'")


def _originals(frame: pd.DataFrame | None, sheet: str, horizon: list[str]) -> pd.DataFrame | None:
    """The numbers of one sheet as exported (key, period, original), from the hidden sheet."""
    if frame is None or not {"sheet", "key", *horizon} <= set(frame.columns):
        return None
    part = frame[_key(frame["sheet"]) == sheet].assign(key=lambda f: _key(f["key"]))
    long = part.melt(id_vars=["key"], value_vars=horizon, var_name="period", value_name="original")
    long["original"] = pd.to_numeric(long["original"], errors="coerce")
    return long.drop_duplicates(["key", "period"])


def _diff_sheet(frame: pd.DataFrame, sheet: str, keys: list[str], plan_values: pd.DataFrame, key_col: str,
                horizon: list[str], issues: list[Issue], original: pd.DataFrame | None) -> pd.DataFrame:
    """Changed cells of a wide sheet (keys + month columns): key_col, period, before_value, after_value.

    `plan_values`: key_col, period, value (the plan now); `original`: key, period, original (as
    exported) or None, in which case a change is any difference from the plan now.
    """
    empty = pd.DataFrame(columns=[key_col, "period", "before_value", "after_value"])
    missing = [k for k in (key_col, *horizon) if k not in frame.columns]
    if missing:
        issues.append(Issue(sheet, 1, ", ".join(missing), "required column(s) missing; download a fresh copy."))
        return empty
    for c in [c for c in frame.columns if c not in keys and c not in horizon]:
        issues.append(Issue(sheet, 1, c, f"unknown column “{c}”: months must be those of the plan ({horizon[0]}…"
                                         f"{horizon[-1]})."))
    frame = frame.assign(_row=frame.index.to_numpy() + 2)  # header is row 1
    frame[key_col] = _key(frame[key_col])
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
    for r, p, v in long.loc[num < 0, ["_row", "period", "raw"]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), p, f"{v} is negative; units cannot be below 0."))
    for r, p in long.loc[long["raw"].isna(), ["_row", "period"]].itertuples(index=False):
        issues.append(Issue(sheet, int(r), p, "the cell is empty; enter 0 for no units."))
    long["after_value"] = num
    merged = long.merge(plan_values.rename(columns={"value": "before_value"}), on=[key_col, "period"], how="inner")
    valid = merged["after_value"].notna() & (merged["after_value"] >= 0)
    if original is None:
        changed = (merged["after_value"] - merged["before_value"]).abs() > TOLERANCE
    else:
        merged = merged.merge(original.rename(columns={"key": key_col}), on=[key_col, "period"], how="left")
        edited = ~((merged["after_value"] - merged["original"]).abs() <= TOLERANCE)  # NaN original: edited
        moved = (merged["before_value"] - merged["original"]).abs() > TOLERANCE
        clash = valid & edited & moved & ((merged["after_value"] - merged["before_value"]).abs() > TOLERANCE)
        for r, p, was, now, mine in merged.loc[clash, ["_row", "period", "original", "before_value",
                                                       "after_value"]].itertuples(index=False):
            issues.append(Issue(sheet, int(r), p, f"someone else changed this cell since the copy was downloaded "
                                                  f"({was:,.0f} → {now:,.0f}); your {mine:,.0f} was not applied. "
                                                  "Download a fresh copy and enter your change again."))
        changed = edited & ((merged["after_value"] - merged["before_value"]).abs() > TOLERANCE)
    return merged.loc[changed & valid, [key_col, "period", "before_value", "after_value"]].reset_index(drop=True)


def read_plan_workbook(wb_bytes: bytes, plan: PlanResult) -> WorkbookChanges:
    """Compare an edited plan workbook with `plan`; errors are located by sheet, row and column."""
    issues: list[Issue] = []
    try:
        book = pd.ExcelFile(io.BytesIO(wb_bytes), engine="openpyxl")
        cons = _read_sheet(book, "consensus", issues)
        cap = _read_sheet(book, "capacity", issues)
        orig = _read_sheet(book, ORIGINAL_SHEET, issues, required=False)
    except Exception as exc:  # not a workbook at all
        return WorkbookChanges(pd.DataFrame(), pd.DataFrame(), [Issue("workbook", None, None,
                                                                      f"the file cannot be read as .xlsx ({exc}).")])
    adj = pd.DataFrame(columns=["item_id", "period", "before_value", "after_value"])
    capc = pd.DataFrame(columns=["family", "period", "before_value", "after_value"])
    if cons is not None:
        pv = plan.consensus.rename(columns={"consensus": "value"})[["item_id", "period", "value"]]
        adj = _diff_sheet(cons, "consensus", ID_COLUMNS["consensus"], pv, "item_id", plan.horizon, issues,
                          _originals(orig, "consensus", plan.horizon))
    if cap is not None:
        pv = plan.family_plan.rename(columns={"capacity": "value"})[["family", "period", "value"]]
        capc = _diff_sheet(cap, "capacity", ID_COLUMNS["capacity"], pv, "family", plan.horizon, issues,
                           _originals(orig, "capacity", plan.horizon))
    adjustments = pd.DataFrame({
        "level": "item", "key": adj["item_id"].astype(object), "period": adj["period"].astype(object),
        "type": "absolute", "value": adj["after_value"].astype(float),
        "before_value": adj["before_value"].astype(float), "after_value": adj["after_value"].astype(float),
    })
    capacity = capc.astype({"before_value": float, "after_value": float}).reset_index(drop=True)
    issues.sort(key=lambda i: (i.sheet, i.row or 0, str(i.column)))
    if any(i.is_error for i in issues):
        return WorkbookChanges(adjustments.iloc[0:0], capacity.iloc[0:0], issues)
    return WorkbookChanges(adjustments, capacity, issues)
