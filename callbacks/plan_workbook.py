"""Plan workbook round trip: download the plan as .xlsx, upload an edited copy, preview, accept or discard.

The uploaded copy's changes (`WorkbookChanges`) wait on the server in a diskcache keyed by a random token;
the browser's `workbook-token` store holds only that token. Accepting stores every change as one audited
change (reason "workbook upload") against the revision the preview was made on, so a plan that moved in
between is refused rather than overwritten.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
import uuid
from pathlib import Path

from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from callbacks.auth import NotAllowed, current_user, require  # noqa: F401
from callbacks.shell import current_context, state_from_context
from components.plan_workbook import (
    HIDDEN,
    SHOWN,
    count_text,
    issues_block,
    note,
    preview_rows,
    preview_table,
)
from components.shell import cycle_badge

log = logging.getLogger("sop.workbook")
ROOT = Path(__file__).resolve().parent.parent
PREVIEW_TTL = 4 * 3600  # seconds a preview waits to be accepted

_cache = None
_cache_pid = None
_cache_lock = threading.Lock()


def previews():
    """The server-side store of pending previews (shared by the web workers of one machine)."""
    global _cache, _cache_pid
    with _cache_lock:
        if _cache is None or _cache_pid != os.getpid():
            import diskcache

            base = Path(os.environ.get("SOP_CACHE_DIR", ROOT / "instance" / "cache"))
            path = base / "workbook-previews"
            path.mkdir(parents=True, exist_ok=True)
            _cache, _cache_pid = diskcache.Cache(str(path)), os.getpid()
        return _cache


def workbook_filename(context: dict) -> str:
    cycle = context.get("cycle") or "plan"
    number = context.get("version_number")
    return f"sop-plan-{cycle}-v{number if number is not None else 0}.xlsx"


@callback(
    Output("workbook-download", "data"),
    Output("workbook-message", "children", allow_duplicate=True),
    Input("workbook-download-btn", "n_clicks"),
    prevent_initial_call=True,
)
def download(n_clicks):
    if not n_clicks:
        return no_update, no_update
    from services import plan_service

    try:
        content = plan_service.get_service().export_workbook()
    except Exception as exc:  # shown, not swallowed
        log.exception("workbook export failed")
        return no_update, note("bad", f"The workbook could not be made: {type(exc).__name__}: {exc}",
                               id="workbook-error")
    return dcc.send_bytes(content, workbook_filename(current_context())), no_update


def _decode(contents: str) -> bytes | None:
    try:
        _header, b64 = contents.split(",", 1)
        return base64.b64decode(b64, validate=False)
    except (ValueError, binascii.Error, AttributeError):
        return None


def _cleared(message, token=None):
    """Outputs: token, preview, actions style, message, upload contents, app-state, shell-context."""
    return token, None, HIDDEN, message, None, no_update, no_update


@callback(
    Output("workbook-token", "data"),
    Output("workbook-preview", "children"),
    Output("workbook-actions", "style"),
    Output("workbook-message", "children"),
    Output("workbook-upload", "contents"),
    Output("app-state", "data", allow_duplicate=True),
    Output("shell-context", "children", allow_duplicate=True),
    Input("workbook-upload", "contents"),
    Input("workbook-accept", "n_clicks"),
    Input("workbook-discard", "n_clicks"),
    State("workbook-upload", "filename"),
    State("workbook-token", "data"),
    prevent_initial_call=True,
)
def workbook_flow(contents, _accept, _discard, filename, token):
    trigger = ctx.triggered_id
    if trigger == "workbook-upload":
        if not contents:
            return (no_update,) * 7
        return on_upload(contents, filename or "workbook.xlsx", token)
    if trigger == "workbook-accept" and _accept:
        return on_accept(token)
    if trigger == "workbook-discard" and _discard:
        if token:
            previews().delete(token)
        return _cleared(note("info", "Discarded: nothing was changed.", id="workbook-discarded"))
    return (no_update,) * 7


def on_upload(contents: str, filename: str, old_token: str | None):
    if old_token:
        previews().delete(old_token)
    raw = _decode(contents)
    if raw is None:
        return _cleared(note("bad", f"Refused: {filename} could not be read. Nothing was changed.",
                             id="workbook-refused"))
    from services import plan_service

    service = plan_service.get_service()
    try:
        changes = service.preview_workbook(raw)
    except Exception as exc:  # a bug, not bad data: say so; nothing was stored
        log.exception("workbook preview failed")
        return _cleared(note("bad", f"The workbook {filename} could not be compared with the plan "
                                    f"({type(exc).__name__}: {exc}). Nothing was changed.", id="workbook-error"))
    if not changes.ok:
        return None, issues_block(changes.issues, filename), HIDDEN, None, None, no_update, no_update
    if changes.count == 0:
        return _cleared(note("info", f"{filename} has no changes against the current plan: nothing to apply, "
                                     "nothing was changed.", id="workbook-nochange"))
    plan = service.current_plan()
    family_of = dict(zip(plan.consensus["item_id"].astype(str), plan.consensus["family"].astype(str)))
    rows = preview_rows(changes.adjustments, changes.capacity, family_of)
    token = uuid.uuid4().hex
    previews().set(token, {"changes": changes, "filename": filename, "by": current_user()}, expire=PREVIEW_TTL)
    warnings = [i for i in changes.issues if not i.is_error]
    message = note("info", f"{len(warnings)} warning(s): " + "; ".join(str(w) for w in warnings[:5])) \
        if warnings else None
    return token, preview_table(rows, filename), SHOWN, message, None, no_update, no_update


def on_accept(token: str | None):
    entry = previews().get(token) if token else None
    if entry is None:
        return _cleared(note("bad", "This preview has expired or was already used: upload the workbook again. "
                                    "Nothing was changed.", id="workbook-expired"))
    changes = entry["changes"]
    from services import plan_service
    from services.plan_service import ConflictError, EditError

    owner = current_user()
    try:
        if len(changes.adjustments):
            owner = require("demand_edit")
        if len(changes.capacity):
            owner = require("capacity_edit")
    except PermissionError as exc:
        return (no_update, no_update, no_update, note("bad", f"{exc} Nothing was changed.", id="workbook-denied"),
                None, no_update, no_update)
    try:
        plan_service.get_service().apply_workbook(changes, owner=owner, expected_revision=changes.revision)
    except ConflictError:
        previews().delete(token)
        return _cleared(note("bad", "The plan was changed by someone else after this preview, so nothing was "
                                    "changed. Download a fresh copy, make your changes again and upload it.",
                             id="workbook-conflict"))
    except EditError as exc:
        previews().delete(token)
        return _cleared(note("bad", f"{exc}. Nothing was changed.", id="workbook-error"))
    previews().delete(token)
    context = current_context()
    message = note("ok", [f"{count_text(changes.count)} applied", " from ", entry["filename"],
                          " (reason “workbook upload”). Every page now shows the new plan."], id="workbook-applied")
    return None, None, HIDDEN, message, None, state_from_context(context), cycle_badge(context)


# After the server has read an upload it clears `contents`; clearing the file input too lets the same file be
# chosen again (after Discard, or once it is fixed), which a browser would otherwise ignore as "no change".
clientside_callback(
    """function (contents) {
        const input = document.querySelector('#workbook-upload input[type=file]');
        if (input && contents == null) { input.value = ''; }
        return window.dash_clientside.no_update;
    }""",
    Output("workbook-upload-reset", "data"),
    Input("workbook-upload", "contents"),
    prevent_initial_call=True,
)
