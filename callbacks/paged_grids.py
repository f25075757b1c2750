"""The server side of components.grids.paged_grid: a block of rows for AG Grid's infinite row model.

The rows come from `source()`, a DataFrame in display order that the page's module computes once per plan
state (callbacks.common.per_plan_state), so a block costs a sort (when a column is sorted) and a slice. The
grid asks again when it scrolls to rows it has not got, or its sort changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd
from dash import Input, Output, State, callback, no_update

from components.grids import records

log = logging.getLogger("sop.grids")


def rows_block(frame: pd.DataFrame, request: dict) -> dict:
    """{rowData, rowCount} of the rows `request` asks for (startRow, endRow, sortModel: [{colId, sort}])."""
    start = max(0, int(request.get("startRow") or 0))
    end = max(start, int(request.get("endRow") or start))
    sort = [s for s in request.get("sortModel") or [] if s.get("colId") in frame.columns]
    if sort:
        frame = frame.sort_values([s["colId"] for s in sort], ascending=[s.get("sort") != "desc" for s in sort],
                                  kind="stable", na_position="last")
    return {"rowData": records(frame.iloc[start:end]), "rowCount": len(frame)}


def serve_rows(grid_id: str, source: Callable[..., pd.DataFrame | None], states: list[State] | None = None) -> None:
    """Register the callback that answers `grid_id`'s block requests from `source(*values of states)`."""

    @callback(Output(grid_id, "getRowsResponse"), Input(grid_id, "getRowsRequest"), *(states or []),
              prevent_initial_call=True)
    def answer(request, *values):
        if not request:
            return no_update
        try:
            frame = source(*values)
        except Exception:  # the page shows the error where the grid's panel is drawn
            log.exception("rows of %s", grid_id)
            frame = None
        if frame is None:
            return {"rowData": [], "rowCount": 0}
        return rows_block(frame, request)

    answer.__name__ = f"rows_of_{grid_id.replace('-', '_')}"
