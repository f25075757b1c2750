"""AG Grid builders: one look for every grid, numbers formatted in the browser with d3.format."""

from __future__ import annotations

import os

import dash_ag_grid as dag
import pandas as pd

from components import formats

GRID_THEME = {
    "function": (
        "themeQuartz.withParams({"
        "fontFamily: 'Lato, -apple-system, \"Segoe UI\", Roboto, Arial, sans-serif',"
        "fontSize: 14, headerFontWeight: 700, headerBackgroundColor: '#f3f5f7',"
        "headerTextColor: '#2c3e50', accentColor: '#2c3e50', spacing: 6,"
        "wrapperBorderRadius: 6, rowHoverColor: '#eef3f8'})"
    )
}


def _fmt_function(spec: str, suffix: str = "") -> dict:
    tail = f" + '{suffix}'" if suffix else ""
    return {"function": f"params.value == null ? '' : d3.format('{spec}')(params.value){tail}"}


def num_col(field: str, header: str | None = None, fmt: str = formats.D3_INT, **kw) -> dict:
    """A right-aligned number column with thousands separators."""
    return {
        "field": field,
        "headerName": header or field,
        "type": "rightAligned",
        "cellClass": "num ag-right-aligned-cell",
        "valueFormatter": _fmt_function(fmt),
        **kw,
    }


def pct_col(field: str, header: str | None = None, decimals: int = 1, **kw) -> dict:
    """A percent column (values already in percent: 110.0 -> '110.0 %')."""
    return num_col(field, header, **kw) | {"valueFormatter": _fmt_function(f",.{decimals}f", " %")}


def money_col(field: str, header: str | None = None, **kw) -> dict:
    return num_col(field, header, fmt=formats.D3_MONEY, **kw)


def text_col(field: str, header: str | None = None, **kw) -> dict:
    return {"field": field, "headerName": header or field, **kw}


def status_col(field: str = "status", header: str = "Status", **kw) -> dict:
    """A status column coloured by value (CONSTRAINED red, TIGHT amber, OK green; KPI statuses too)."""
    return {
        "field": field,
        "headerName": header,
        "minWidth": 135,
        "cellClassRules": {
            "cell-status status-bad": "['CONSTRAINED','off_target'].includes(params.value)",
            "cell-status status-warn": "['TIGHT','at_risk'].includes(params.value)",
            "cell-status status-good": "['OK','on_target'].includes(params.value)",
        },
        **kw,
    }


# Header height without AG Grid's autoHeaderHeight, which measured every header cell of every grid on each
# layout pass (about 120 ms of a /data load): one line for short headers, two when one may wrap.
HEADER_ONE_LINE = 12
TWO_LINE_HEADER = 58


def _leaf_columns(column_defs: list[dict]) -> list[dict]:
    out: list[dict] = []
    for c in column_defs:
        out.extend(_leaf_columns(c["children"]) if "children" in c else [c])
    return out


def records(df: pd.DataFrame | None) -> list[dict]:
    """DataFrame -> JSON-safe row dicts (NaN/NaT become null)."""
    if df is None or df.empty:
        return []
    out = df.astype(object).where(pd.notna(df), None)
    return out.to_dict("records")


def grid(
    id: str,
    rows: list[dict] | pd.DataFrame,
    column_defs: list[dict],
    *,
    row_id: str | None = None,
    height: int | None = None,
    grid_options: dict | None = None,
    keep_height: bool = False,
    **kw,
) -> dag.AgGrid:
    """A read-only grid. Without `height` (or when the rows fit in it) it grows with its rows (autoHeight);
    with it, it scrolls inside that height.

    `row_id` names the field that identifies a row (rendered as the row's `row-id` attribute).
    `keep_height`: keep `height` however few rows there are now (a grid put in the layout empty, whose
    rows a callback sends as `rowData`).
    """
    if isinstance(rows, pd.DataFrame):
        rows = records(rows)
    if height is not None and not keep_height and len(rows) <= max(3, (height - 60) // 42):
        height = None  # few rows: let the grid take only the room they need
    options = _options(column_defs, height)
    options.update(grid_options or {})
    return dag.AgGrid(id=id, rowData=rows, **_props(column_defs, options, row_id, height, kw))


def _options(column_defs: list[dict], height: int | None) -> dict:
    options = {
        "theme": GRID_THEME,
        "animateRows": False,
        "suppressCellFocus": False,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,
        "tooltipShowDelay": 300,
    }
    if height is None:
        options["domLayout"] = "autoHeight"
    if any(len(str(c.get("headerName") or "")) > HEADER_ONE_LINE for c in _leaf_columns(column_defs)):
        options["headerHeight"] = TWO_LINE_HEADER  # wrapped headers: room for two lines
    return options


def _props(column_defs: list[dict], options: dict, row_id: str | None, height: int | None, kw: dict) -> dict:
    """Every prop of a grid but its id and rows: what all grids share, then the caller's `kw` (its
    columnSize and className replace the defaults)."""
    return {
        "columnDefs": column_defs,
        "defaultColDef": {"sortable": True, "resizable": True, "filter": False, "minWidth": 90,
                          "wrapHeaderText": True},
        "dashGridOptions": options,
        "columnSize": "responsiveSizeToFit",
        "style": {"width": "100%"} | ({"height": f"{height}px"} if height else {}),
        "className": "sop-grid",
        **({"getRowId": f"params.data.{row_id}"} if row_id else {}),
        **kw,
    }


# A read-only grid of more rows than this gets them from the server a block at a time (AG Grid's infinite row
# model, callbacks.paged_grids): 10,000 accuracy rows sent whole were 2.7 MB, and the browser built them all.
# SOP_GRID_PAGED_FROM sets it (the tests page the sample company's grids with a low value).
PAGED_FROM = int(os.environ.get("SOP_GRID_PAGED_FROM") or 1000)
BLOCK_ROWS = 200


def paged_grid(id: str, n_rows: int, column_defs: list[dict], *, row_id: str | None = None, height: int = 420,
               grid_options: dict | None = None, **kw) -> dag.AgGrid:
    """A read-only grid of `n_rows` rows that asks the server for the rows in view, sorted as the columns say
    (`callbacks.paged_grids.serve_rows(id, …)` answers). Scrolls inside `height`."""
    options = _options(column_defs, height) | {
        "cacheBlockSize": BLOCK_ROWS,
        "maxBlocksInCache": 50,
        "infiniteInitialRowCount": min(n_rows, BLOCK_ROWS),
        "blockLoadDebounceMillis": 50,
    }
    options.update(grid_options or {})
    return dag.AgGrid(id=id, rowModelType="infinite", **_props(column_defs, options, row_id, height, kw))


def is_paged(n_rows: int) -> bool:
    """Whether a read-only grid of `n_rows` rows gets them a block at a time (`paged_grid`)."""
    return n_rows > PAGED_FROM


def frame_grid(id: str, frame: pd.DataFrame, column_defs: list[dict], *, row_id: str | None = None,
               height: int = 420, grid_options: dict | None = None) -> dag.AgGrid:
    """A read-only grid of `frame`'s rows: sent whole (`grid`), or, when there are many, a block at a time
    (`paged_grid`: register `callbacks.paged_grids.serve_rows(id, …)` to answer it)."""
    if is_paged(len(frame)):
        return paged_grid(id, len(frame), column_defs, row_id=row_id, height=height, grid_options=grid_options)
    return grid(id, records(frame), column_defs, row_id=row_id, height=height, grid_options=grid_options)
