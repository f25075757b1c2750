"""Sign-in throttling: 5 failed sign-ins in 15 minutes for one user name, or 20 from one address, and the
next attempts are refused ("too many attempts, try again in N minutes") until the oldest failure is 15
minutes old; the right password is refused too while throttled. A successful sign-in clears the user's
failures.

The failures are kept in memory, per server process (a dict behind a lock): with several web workers an
attacker gets at most the limit per worker, and a restart forgets them. `SOP_LOGIN_MAX_FAILURES`,
`SOP_LOGIN_MAX_FAILURES_PER_ADDRESS` and `SOP_LOGIN_WINDOW_MINUTES` change the limits.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque

_lock = threading.Lock()
_failures: dict[str, deque] = {}
MAX_KEYS = 100_000  # memory bound: the oldest keys are dropped past this many


class Throttled(Exception):
    """Sign-in refused for now; the message says for how long."""


def _int_env(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def limits() -> tuple[int, int, float]:
    """(failures per user, failures per address, window in seconds)."""
    return (_int_env("SOP_LOGIN_MAX_FAILURES", 5), _int_env("SOP_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
            _int_env("SOP_LOGIN_WINDOW_MINUTES", 15) * 60.0)


def _keys(username: str | None, address: str | None) -> list[tuple[str, int]]:
    per_user, per_address, _window = limits()
    keys = []
    if username:
        keys.append(("user:" + username.strip().lower()[:200], per_user))
    if address:
        keys.append(("addr:" + address, per_address))
    return keys


def _recent(key: str, now: float, window: float) -> deque:
    q = _failures.get(key)
    if q is None:
        return deque()
    while q and now - q[0] >= window:
        q.popleft()
    if not q:
        _failures.pop(key, None)
    return q


def retry_after(username: str | None, address: str | None, now: float | None = None) -> float:
    """Seconds until a sign-in may be tried again (0 when it may be tried now)."""
    now = time.monotonic() if now is None else now
    window = limits()[2]
    wait = 0.0
    with _lock:
        for key, limit in _keys(username, address):
            q = _recent(key, now, window)
            if len(q) >= limit:
                wait = max(wait, window - (now - q[-limit]))
    return wait


def message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many attempts: try again in {minutes} minute{'s' if minutes != 1 else ''}."


def failed(username: str | None, address: str | None, now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    with _lock:
        if len(_failures) > MAX_KEYS:
            for key in list(_failures)[: MAX_KEYS // 10]:
                _failures.pop(key, None)
        for key, _limit in _keys(username, address):
            _failures.setdefault(key, deque(maxlen=1000)).append(now)


def succeeded(username: str | None) -> None:
    with _lock:
        for key, _limit in _keys(username, None):
            _failures.pop(key, None)


def reset() -> None:
    """Forget every failure (tests)."""
    with _lock:
        _failures.clear()
