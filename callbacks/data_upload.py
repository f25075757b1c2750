"""Step 1, the upload card: files → validation report (all or nothing) → stored data with its settings; a
file without a forecast starts the statistical forecast run, which the forecast card then follows."""

from __future__ import annotations

import base64
import binascii
import logging

from dash import Input, Output, State, callback, html, no_update

from callbacks.auth import NotAllowed, require
from callbacks.shell import current_context, state_from_context
from components.layout import Col, summary_table
from components.shell import cycle_badge
from services.uploads import upload_files

log = logging.getLogger("sop.data.upload")


def decode_upload(contents: list[str] | None, filenames: list[str] | None) -> tuple[dict[str, bytes], list[str]]:
    """dcc.Upload's data URLs -> {filename: bytes}; unreadable files are reported by name."""
    files, bad = {}, []
    for content, name in zip(contents or [], filenames or [], strict=False):
        try:
            _header, b64 = content.split(",", 1)
            files[name] = base64.b64decode(b64, validate=False)
        except (ValueError, binascii.Error):
            bad.append(name)
    return files, bad


def issue_rows(issues) -> list[dict]:
    rows = []
    for i in issues or []:
        row = getattr(i, "row", None)
        rows.append({
            "severity": str(getattr(i, "severity", "error") or "error"),
            "sheet": str(getattr(i, "sheet", "") or ""),
            "row": "" if row is None else str(row),
            "column": str(getattr(i, "column", "") or ""),
            "message": str(getattr(i, "message", i)),
        })
    return rows


def issues_table(rows: list[dict]) -> html.Div:
    cols = [Col("severity", "Severity", "text"), Col("sheet", "Sheet / file", "text"), Col("row", "Row", "text"),
            Col("column", "Column", "text"), Col("message", "Problem", "text")]
    for n, r in enumerate(rows):
        r["n"] = n
    return html.Div(summary_table("data-issues-table", cols, rows, "n"), style={"maxHeight": "420px",
                                                                                  "overflowY": "auto"})


def upload_report(result, filenames: list[str]) -> html.Div:
    rows = issue_rows(result.issues)
    errors = [r for r in rows if r["severity"].lower() == "error"]
    names = ", ".join(filenames)
    if result.stored:
        head = [html.I(className="bi bi-check-circle-fill me-2 text-success"),
                html.Strong(f"Stored {names}."),
                " The plan was recomputed from the new data; every page now shows it.",
                html.Div(f"Settings: {result.settings_source}.", className="item-meta mt-1",
                         id="data-report-settings")]
        demo = getattr(result, "demo_disabled", None)
        if demo:
            head.append(html.Div(f"The demo accounts ({', '.join(demo)}) were disabled: they have a known "
                                 "password and real data is now in use. Add users on /admin/users.",
                                 className="item-meta", id="data-report-demo-disabled"))
        if result.forecast:
            head.append(html.Div("The statistical forecast is running in the background; until it is stored the "
                                 "plan uses an interim forecast.", className="item-meta"))
        if rows:
            head.append(html.Div(f"{len(rows)} warning(s):", className="mt-2"))
        return html.Div([html.Div(head), issues_table(rows) if rows else None],
                        className="panel report-ok mb-0", id="data-report-ok")
    head = [html.I(className="bi bi-x-octagon-fill me-2 text-danger"),
            html.Strong(f"Refused: {names}. Nothing was changed"),
            f" — the plan and the data stored before are as they were. {len(errors)} error(s) to fix:"]
    return html.Div([html.Div(head), issues_table(rows)], className="panel report-bad mb-0",
                    id="data-report-refused")


def _refused(children, id: str) -> html.Div:
    return html.Div(children, className="panel report-bad mb-0", id=id)


@callback(
    Output("data-upload-report", "children"),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Output("data-forecast-poll", "disabled", allow_duplicate=True),
    Input("data-upload", "contents"),
    State("data-upload", "filename"),
    State("data-keep-settings", "value"),
    prevent_initial_call=True,
)
def on_upload(contents, filenames, keep_settings):
    keep = no_update
    if not contents:
        return keep, keep, keep, keep
    files, bad = decode_upload(contents, filenames)
    if bad:
        rows = [{"severity": "error", "sheet": n, "row": "", "column": "", "message": "could not read the file"}
                for n in bad]
        return (_refused([html.Strong(f"Refused: {', '.join(bad)}. Nothing was changed."), issues_table(rows)],
                         "data-report-refused"), keep, keep, keep)
    try:
        user = require("upload")
    except NotAllowed as exc:
        return (_refused([html.I(className="bi bi-shield-lock me-2 text-danger"),
                          html.Strong(f"{exc} Nothing was changed.")], "data-report-denied"), keep, keep, keep)
    try:
        result = upload_files(files, user=user, keep_settings=bool(keep_settings))
    except Exception as exc:  # a bug, not bad data: say so, nothing was stored (one transaction)
        log.exception("upload failed")
        return (_refused([html.I(className="bi bi-x-octagon-fill me-2 text-danger"),
                          html.Strong(f"The upload of {', '.join(files)} failed. Nothing was changed."),
                          html.Div(f"{type(exc).__name__}: {exc}", className="item-meta mt-1")],
                         "data-report-error"), keep, keep, keep)
    report = upload_report(result, list(files))
    if not result.stored:
        return report, keep, keep, keep
    context = current_context()
    return report, state_from_context(context), cycle_badge(context), not bool(result.forecast)
