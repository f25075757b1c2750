"""What keeps the app from serving real company data (`SOP_ENV=production`).

`problems(store)` lists, in words, every reason the app must not start in production: an enabled demo
account that still has the demo password, an administrator with the default password, no
`SOP_SECRET_KEY` (the cookie key would live in a file beside the app), sign-in turned off. `enforce()`
prints them to stderr and exits with status 2; it does nothing unless `SOP_ENV=production`.
"""

from __future__ import annotations

import os
import sys

from services.users import DEFAULT_ADMIN_PASSWORD, DEMO_PASSWORD, demo_usernames

EXIT_STATUS = 2


def production() -> bool:
    return os.environ.get("SOP_ENV", "").strip().lower() == "production"


def problems(store) -> list[str]:
    """Every reason not to serve in production, one sentence each (empty when none)."""
    found = []
    if not os.environ.get("SOP_SECRET_KEY"):
        found.append("SOP_SECRET_KEY is not set: set it to a long random value (it signs the session cookies).")
    if os.environ.get("SOP_REQUIRE_LOGIN", "1").strip() == "0":
        found.append("SOP_REQUIRE_LOGIN=0 turns sign-in off: remove it.")
    users = store.list_users()
    for row in users.itertuples():
        if row.disabled:
            continue
        name = str(row.username)
        if name in demo_usernames() and store.has_password(name, DEMO_PASSWORD):
            found.append(f"The demo account {name!r} still has the demo password: disable it on /admin/users.")
        elif row.role == "admin" and store.has_password(name, DEFAULT_ADMIN_PASSWORD):
            found.append(f"The administrator {name!r} still has the default password {DEFAULT_ADMIN_PASSWORD!r}: "
                         "change it on /admin/users (or start with SOP_ADMIN_PASSWORD on a new database).")
    return found


def enforce() -> None:
    """Exit (status 2, the problems on stderr) when SOP_ENV=production and anything is unsafe."""
    if not production():
        return
    from services.plan_service import get_store

    try:
        found = problems(get_store())
    except Exception as exc:  # the store cannot be read: that is a problem too
        found = [f"The store could not be checked ({type(exc).__name__}: {exc})."]
    if found:
        print("S&OP Studio refuses to start with SOP_ENV=production:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        sys.stderr.flush()
        raise SystemExit(EXIT_STATUS)
