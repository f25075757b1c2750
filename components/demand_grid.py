"""The demand review grid: family rows, each followed by its item rows, one editable column per horizon month.

AG Grid's tree data and row grouping are Enterprise features, so the hierarchy is flat rows in order
(family, its items, next family ...) and expand / collapse is an external filter in the browser
(assets/demand_grid.js). Row ids: `family:<family>` and `item:<item_id>`; with statistical rows shown,
`stat:<row id>` and `diff:<row id>` follow the row they belong to. Column ids are the periods.

Month cells hold the consensus as a number. A typed text ("+10%") stays text in the row until the server
answers (the value parser keeps the raw string), so the server parses it with `plan_service.parse_edit`.
Family rows also carry the family's capacity and gap per month (for the tooltip); every row carries the
statistical forecast per month (`stat`, in horizon order) and the months that have adjustments (`adj`).
"""

from __future__ import annotations

import dash_ag_grid as dag
import numpy as np
import pandas as pd

from components.grids import GRID_THEME

GRID_ID = "demand-grid"
EDITABLE_LEVELS = ("family", "item")
DECIMALS = 3  # units; enough for every figure shown, keeps the rows small for big companies


def family_row_id(family: str) -> str:
    return f"family:{family}"


def item_row_id(item_id: str) -> str:
    return f"item:{item_id}"


def parse_row_id(row_id: str) -> tuple[str, str] | None:
    """'family:Electronics' -> ('family', 'Electronics'); None for anything that is not editable."""
    level, sep, key = str(row_id or "").partition(":")
    if not sep or level not in EDITABLE_LEVELS or not key:
        return None
    return level, key


def _matrix(frame: pd.DataFrame, index: list, horizon: list[str], value: str, by: str) -> np.ndarray:
    return (
        frame.pivot_table(index=by, columns="period", values=value, aggfunc="sum")
        .reindex(index=index, columns=horizon)
        .fillna(0.0)
        .to_numpy(float)
    )


def _adjusted_cells(
    adjustments: pd.DataFrame | None,
    items: np.ndarray,
    families: np.ndarray,
    family_of_item: np.ndarray,
    horizon: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean matrices (items × months, families × months): which cells an applied adjustment touches.
    A family adjustment touches the family and all its items; an item adjustment the item and its family."""
    item_adj = np.zeros((len(items), len(horizon)), bool)
    fam_adj = np.zeros((len(families), len(horizon)), bool)
    if adjustments is None or adjustments.empty:
        return item_adj, fam_adj
    adj = adjustments
    if "applied" in adj:
        adj = adj[adj["applied"].astype(bool)]
    per = pd.Series(np.arange(len(horizon)), index=horizon)
    fam_pos = pd.Series(np.arange(len(families)), index=families)
    item_pos = pd.Series(np.arange(len(items)), index=items)
    col = adj["period"].map(per)
    is_item = adj["level"].str.lower().eq("item")
    i_rows = adj["key"].where(is_item).map(item_pos)
    ok = is_item & i_rows.notna() & col.notna()
    ir, ic = i_rows[ok].astype(int).to_numpy(), col[ok].astype(int).to_numpy()
    item_adj[ir, ic] = True
    fam_adj[family_of_item[ir], ic] = True
    f_rows = adj["key"].where(~is_item).map(fam_pos)
    ok = ~is_item & f_rows.notna() & col.notna()
    fr, fc = f_rows[ok].astype(int).to_numpy(), col[ok].astype(int).to_numpy()
    fam_adj[fr, fc] = True
    touched = np.zeros((len(families), len(horizon)), bool)
    touched[fr, fc] = True
    item_adj |= touched[family_of_item]
    return item_adj, fam_adj


def _r(values: np.ndarray) -> list:
    return np.round(values, DECIMALS).tolist()


def grid_rows(
    consensus: pd.DataFrame,
    horizon: list[str],
    *,
    adjustments: pd.DataFrame | None = None,
    family_plan: pd.DataFrame | None = None,
    descriptions: dict[str, str] | None = None,
    with_statistical: bool = False,
) -> list[dict]:
    """The grid's rows from a plan: each family (sum of its items) followed by its items, sorted by name.

    `consensus`: item_id, family, period, statistical, consensus. `family_plan`: family, period, capacity,
    gap (for the family tooltip). With `with_statistical`, a Statistical and a Difference row follow
    every row (read-only)."""
    if consensus is None or consensus.empty or not horizon:
        return []
    order = consensus[["item_id", "family"]].drop_duplicates("item_id").sort_values(["family", "item_id"])
    items = order["item_id"].to_numpy(dtype=object)
    families, family_of_item = np.unique(order["family"].to_numpy(dtype=str), return_inverse=True)
    cons = _matrix(consensus, list(items), horizon, "consensus", "item_id")
    stat = _matrix(consensus, list(items), horizon, "statistical", "item_id")
    fam_cons = np.zeros((len(families), len(horizon)))
    fam_stat = np.zeros((len(families), len(horizon)))
    np.add.at(fam_cons, family_of_item, cons)
    np.add.at(fam_stat, family_of_item, stat)
    item_adj, fam_adj = _adjusted_cells(adjustments, items, families, family_of_item, horizon)
    cap = gap = None
    if family_plan is not None and len(family_plan):
        cap = _matrix(family_plan, list(families), horizon, "capacity", "family")
        gap = _matrix(family_plan, list(families), horizon, "gap", "family")
    desc = descriptions or {}
    searchable = (
        pd.Series([f"{i} {desc.get(i, '') or ''}".lower() for i in items], dtype=object)
        .groupby(family_of_item)
        .agg(" ".join)
    )

    def row(row_id, level, family, item_id, label, values, statistical, adjusted, extra) -> list[dict]:
        base = {"row_id": row_id, "level": level, "family": family, "item_id": item_id, "label": label}
        cells = dict(zip(horizon, _r(values)))
        out = [
            {
                **base,
                **extra,
                **cells,
                "total": round(float(values.sum()), DECIMALS),
                "stat": _r(statistical),
                "adj": [p for p, a in zip(horizon, adjusted) if a],
            }
        ]
        if with_statistical:
            diff = values - statistical
            common = {"of": level, "family": family, "item_id": item_id, "desc": extra.get("desc", "")}
            out.append(
                {
                    "row_id": f"stat:{row_id}",
                    "level": "stat",
                    "label": "Statistical",
                    **common,
                    **dict(zip(horizon, _r(statistical))),
                    "total": round(float(statistical.sum()), DECIMALS),
                }
            )
            out.append(
                {
                    "row_id": f"diff:{row_id}",
                    "level": "diff",
                    "label": "Difference",
                    **common,
                    **dict(zip(horizon, _r(diff))),
                    "total": round(float(diff.sum()), DECIMALS),
                }
            )
        return out

    rows: list[dict] = []
    starts = np.searchsorted(family_of_item, np.arange(len(families)))
    ends = np.append(starts[1:], len(items))
    for f, family in enumerate(families):
        family = str(family)
        extra = {"n": int(ends[f] - starts[f]), "desc": "", "items_text": searchable.get(f, "")}
        if cap is not None:
            extra["cap"], extra["gap"] = _r(cap[f]), _r(gap[f])
        rows += row(
            family_row_id(family), "family", family, "", family, fam_cons[f], fam_stat[f], fam_adj[f], extra
        )
        for i in range(starts[f], ends[f]):
            item = str(items[i])
            rows += row(
                item_row_id(item),
                "item",
                family,
                item,
                item,
                cons[i],
                stat[i],
                item_adj[i],
                {"desc": str(desc.get(item, "") or "")},
            )
    return rows


def rows_changed(before: list[dict], after: list[dict], touched: set[str] = frozenset()) -> list[dict] | None:
    """The rows of `after` that differ from `before` (plus the `touched` row ids, whose cells may hold the
    typed text), or None when the rows themselves (ids or order) changed and the grid needs all rows."""
    if [r["row_id"] for r in before] != [r["row_id"] for r in after]:
        return None
    old = {r["row_id"]: r for r in before}
    return [r for r in after if r["row_id"] in touched or old.get(r["row_id"]) != r]


# ---------------------------------------------------------------------------- column definitions


def month_col(period: str, index: int) -> dict:
    return {
        "field": period,
        "colId": period,
        "headerName": period,
        "type": "rightAligned",
        "minWidth": 88,
        "width": 96,
        "editable": {"function": "sopDemandEditable(params)"},
        "valueParser": {"function": "params.newValue"},
        "valueFormatter": {"function": "sopDemandFormat(params)"},
        "tooltipValueGetter": {"function": f"sopDemandTooltip(params, {index})"},
        "cellClass": "num ag-right-aligned-cell",
        "cellClassRules": {
            "cell-adjusted": "sopDemandAdjusted(params)",
            "cell-pending": "sopDemandPending(params)",
        },
        "cellDataType": False,
        "sortable": False,
    }


def column_defs(horizon: list[str]) -> list[dict]:
    return [
        {
            "field": "label",
            "colId": "label",
            "headerName": "Family / item",
            "pinned": "left",
            "minWidth": 210,
            "width": 250,
            "cellRenderer": "SopDemandLabel",
            "tooltipField": "desc",
            "sortable": False,
        },
        *[month_col(p, i) for i, p in enumerate(horizon)],
        {
            "field": "total",
            "colId": "total",
            "headerName": "Horizon total",
            "type": "rightAligned",
            "minWidth": 110,
            "width": 122,
            "valueFormatter": {"function": "sopDemandFormat(params)"},
            "cellClass": "num total-col ag-right-aligned-cell",
            "sortable": False,
        },
    ]


def demand_grid(
    horizon: list[str] | None = None, rows: list[dict] | None = None, height: str = "560px"
) -> dag.AgGrid:
    """The grid (rows and columns are filled by callbacks)."""
    return dag.AgGrid(
        id=GRID_ID,
        rowData=rows or [],
        columnDefs=column_defs(horizon or []),
        defaultColDef={"resizable": True, "sortable": False, "filter": False, "suppressMovable": True},
        getRowId="params.data.row_id",
        dashGridOptions={
            "theme": GRID_THEME,
            "animateRows": False,
            "isExternalFilterPresent": {"function": "true"},
            "doesExternalFilterPass": {"function": "sopDemandPasses(params)"},
            "rowClassRules": {
                "row-family": "params.data.level == 'family'",
                "row-stat": "params.data.level == 'stat' || params.data.level == 'diff'",
            },
            "stopEditingWhenCellsLoseFocus": True,
            "enterNavigatesVerticallyAfterEdit": True,
            "suppressColumnVirtualisation": True,
            "suppressScrollOnNewData": True,
            "tooltipShowDelay": 400,
            "localeText": {"noRowsToShow": "No plan rows yet"},
        },
        eventListeners={
            "cellValueChanged": ["sopDemandCellChanged(params)"],
            "cellKeyDown": ["sopDemandKeyDown(params)"],
            "cellFocused": ["sopDemandFocused(params)"],
        },
        columnSize=None,
        style={"width": "100%", "height": height},
        className="sop-grid demand-grid",
    )


# ---------------------------------------------------------------------------- audit and assumptions grids


def audit_column_defs() -> list[dict]:
    num = {
        "type": "rightAligned",
        "cellClass": "num ag-right-aligned-cell",
        "valueFormatter": {"function": "sopDemandFormat(params)"},
        "minWidth": 80,
        "width": 95,
    }
    return [
        {"field": "when", "headerName": "When (UTC)", "minWidth": 145, "width": 150},
        {"field": "owner", "headerName": "Owner", "minWidth": 95, "width": 120},
        {"field": "family", "headerName": "Family", "minWidth": 95, "width": 110},
        {"field": "key", "headerName": "Family / item", "minWidth": 105, "width": 120},
        {"field": "period", "headerName": "Month", "minWidth": 80, "width": 90},
        {"field": "type_label", "headerName": "Type", "minWidth": 90, "width": 100},
        {"field": "change", "headerName": "Change", "type": "rightAligned", "minWidth": 100, "width": 115},
        {"field": "before", "headerName": "Before", **num},
        {"field": "after", "headerName": "After", **num},
        {"field": "reason", "headerName": "Reason", "minWidth": 160, "flex": 1, "tooltipField": "reason"},
        {"field": "source", "headerName": "Source", "minWidth": 75, "width": 85},
        {
            "field": "status",
            "headerName": "Status",
            "minWidth": 85,
            "width": 95,
            "cellClassRules": {"audit-undone": "params.value == 'undone'"},
        },
    ]


def audit_grid() -> dag.AgGrid:
    return dag.AgGrid(
        id="demand-audit-grid",
        rowData=[],
        columnDefs=audit_column_defs(),
        defaultColDef={
            "resizable": True,
            "sortable": True,
            "filter": False,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowId="params.data.row_id",
        dashGridOptions={
            "theme": GRID_THEME,
            "animateRows": False,
            "domLayout": "autoHeight",
            "pagination": True,
            "paginationPageSize": 10,
            "paginationPageSizeSelector": [10, 25, 50, 100],
            "rowClassRules": {"row-undone": "params.data.status == 'undone'"},
            "enableCellTextSelection": True,
            "ensureDomOrder": True,
            "tooltipShowDelay": 300,
            "localeText": {"noRowsToShow": "No changes match these filters"},
        },
        columnSize="responsiveSizeToFit",
        style={"width": "100%"},
        className="sop-grid",
    )


def assumptions_grid() -> dag.AgGrid:
    cols = [
        {
            "field": "text",
            "headerName": "Assumption",
            "flex": 3,
            "minWidth": 220,
            "wrapText": True,
            "autoHeight": True,
            "cellStyle": {"lineHeight": "1.45", "paddingTop": "6px", "paddingBottom": "6px"},
        },
        {"field": "category", "headerName": "Category", "minWidth": 110, "width": 120},
        {"field": "impact", "headerName": "Impact", "minWidth": 90, "width": 100},
        {"field": "owner", "headerName": "Owner", "minWidth": 100, "width": 110},
        {"field": "created", "headerName": "Added", "minWidth": 120, "width": 130},
    ]
    return dag.AgGrid(
        id="demand-assumptions-grid",
        rowData=[],
        columnDefs=cols,
        defaultColDef={"resizable": True, "sortable": True, "filter": False},
        getRowId="params.data.row_id",
        dashGridOptions={
            "theme": GRID_THEME,
            "animateRows": False,
            "domLayout": "autoHeight",
            "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
            "enableCellTextSelection": True,
            "localeText": {"noRowsToShow": "No assumptions yet: add the first one with the form"},
        },
        columnSize="responsiveSizeToFit",
        style={"width": "100%"},
        className="sop-grid",
    )
