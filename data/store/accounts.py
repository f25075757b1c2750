"""Sign-in sessions kept on the server and the administrator's changes to users, each audited.

A session is a random id in `user_sessions`; the browser's signed cookie holds only that id. So a
session ends for good when its user signs out, is disabled or gets a new password, or stays idle
longer than the idle timeout: a copy of the cookie kept from before is worth nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from data.store.engine import _frame, _now
from data.store.tables import ROLES, user_events, user_sessions, users

TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen is written at most this often per session


class AccountsMixin:
    """Sessions and user administration (part of `Store`)."""

    # ------------------------------------------------------------------ sessions

    def start_session(self, username: str) -> str:
        """A new session for a user; returns its id (what the cookie carries)."""
        sid = secrets.token_urlsafe(32)
        now = _now()
        with self._write() as conn:
            conn.execute(user_sessions.insert().values(sid=sid, username=username, created_at=now, last_seen=now))
        return sid

    def session_user(self, sid: str, idle: dt.timedelta) -> dict[str, Any] | None:
        """{username, role} of a live session whose user exists and is not disabled, else None.
        Touches the session (at most once a minute) so the idle timeout counts from the last request."""
        if not sid:
            return None
        now = _now()
        with self._read() as conn:
            row = conn.execute(
                select(user_sessions.c.username, user_sessions.c.last_seen, user_sessions.c.ended_at,
                       users.c.role, users.c.disabled)
                .join(users, users.c.username == user_sessions.c.username)
                .where(user_sessions.c.sid == sid)
            ).first()
        if row is None or row.ended_at is not None or row.disabled:
            return None
        if now - row.last_seen > idle:
            self.end_session(sid)
            return None
        if now - row.last_seen > TOUCH_EVERY:
            with self._write() as conn:
                conn.execute(update(user_sessions).where(user_sessions.c.sid == sid).values(last_seen=now))
        return {"username": row.username, "role": row.role}

    def end_session(self, sid: str) -> None:
        with self._write() as conn:
            conn.execute(update(user_sessions).where(user_sessions.c.sid == sid, user_sessions.c.ended_at.is_(None))
                         .values(ended_at=_now()))

    def _end_user_sessions(self, conn: Any, username: str) -> None:
        conn.execute(update(user_sessions)
                     .where(user_sessions.c.username == username, user_sessions.c.ended_at.is_(None))
                     .values(ended_at=_now()))

    # ------------------------------------------------------------------ administration (each audited)

    def _event(self, conn: Any, by: str, username: str, event: str, detail: str | None = None) -> None:
        conn.execute(user_events.insert().values(at=_now(), by=by, username=username, event=event, detail=detail))

    def set_user_disabled(self, username: str, disabled: bool, *, by: str) -> None:
        """Disable (ending the user's sessions) or enable a user."""
        with self._write() as conn:
            self._update_user(conn, username, disabled=bool(disabled))
            if disabled:
                self._end_user_sessions(conn, username)
            self._event(conn, by, username, "disabled" if disabled else "enabled")

    def set_user_role(self, username: str, role: str, *, by: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        with self._write() as conn:
            old = conn.execute(select(users.c.role).where(users.c.username == username)).scalar_one_or_none()
            self._update_user(conn, username, role=role)
            self._event(conn, by, username, "role changed", f"{old} → {role}")

    def set_password(self, username: str, password: str, *, by: str) -> None:
        """A new password (hashed); the user's sessions end, so they sign in with it."""
        if not password:
            raise ValueError("a password is required")
        with self._write() as conn:
            self._update_user(conn, username, password_hash=generate_password_hash(password),
                              password_changed_at=_now())
            self._end_user_sessions(conn, username)
            self._event(conn, by, username, "password reset")

    def _update_user(self, conn: Any, username: str, **values: Any) -> None:
        done = conn.execute(update(users).where(users.c.username == username).values(**values)).rowcount
        if not done:
            raise LookupError(f"no user {username}")

    def user_events(self, limit: int = 200) -> pd.DataFrame:
        """The newest user administration events: at, by, username, event, detail."""
        with self._read() as conn:
            return _frame(conn.execute(
                select(user_events.c.at, user_events.c.by, user_events.c.username, user_events.c.event,
                       user_events.c.detail).order_by(user_events.c.id.desc()).limit(limit)))
