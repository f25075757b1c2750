"""S&OP Studio: the Dash app. `python app.py` serves it on http://127.0.0.1:8050
(SOP_HOST / SOP_PORT override; DATABASE_URL picks the store; REDIS_URL switches background jobs to Celery).

Only one `Dash(use_pages=True)` app can exist per process, so it is built once, at import.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from dash import CeleryManager, Dash, DiskcacheManager

from components.shell import app_shell, signed_out_shell

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"
VENDOR_CSS = ["vendor/bootstrap.min.css", "vendor/bootstrap-icons.min.css", "vendor/lato.css"]

log = logging.getLogger("sop.app")
celery_app = None  # set when REDIS_URL is given: `celery -A app:celery_app worker`


def background_manager():
    """Celery + Redis when REDIS_URL is set (several web workers share jobs), diskcache otherwise."""
    global celery_app
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        from celery import Celery  # only needed for this deployment: requirements-celery.txt

        from services.celery_tasks import register

        celery_app = Celery(__name__, broker=redis_url, backend=redis_url)
        register(celery_app)  # the forecast runs (services.forecast_jobs sends them here)
        return CeleryManager(celery_app)
    import diskcache

    cache_dir = Path(os.environ.get("SOP_CACHE_DIR", INSTANCE / "cache"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(cache_dir)))


def serve_layout():
    """The shell, evaluated on every full page load so the header and `app-state` start current, with the
    page being loaded already in it (components.page_container). An anonymous visitor while sign-in is on
    gets the bare shell around the login page (no plan data)."""
    from callbacks.shell import current_context, state_from_context
    from components.page_container import page_container
    from services import session_guard

    if session_guard.login_required() and session_guard.request_user() is None:
        return signed_out_shell()
    context = current_context(with_step=True)
    container, first_page_in = page_container()
    return app_shell(context, state_from_context(context), container, first_page_in)


def create_app() -> Dash:
    """The Dash app with every page and callback registered."""
    prefix = os.environ.get("SOP_URL_PREFIX", "/")
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        # The vendored theme is linked first, so assets/app.css (added after it) can override it.
        external_stylesheets=[f"{prefix.rstrip('/')}/assets/{p}" for p in VENDOR_CSS],
        assets_path_ignore=["vendor"],
        suppress_callback_exceptions=True,
        background_callback_manager=background_manager(),
        title="S&OP Studio",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    import callbacks  # noqa: F401  (registers every page's callbacks)
    from pages.login import layout as login_layout
    from services import security_headers, session_guard

    app.layout = serve_layout
    session_guard.install(app, login_layout)  # cookie flags, idle timeout, the gate for anonymous requests
    security_headers.install(app)  # X-Frame-Options, CSP, nosniff, Referrer-Policy; Origin check on writes
    return app


def secret_key() -> str:
    """Signs the session cookie: SOP_SECRET_KEY, else a random key kept in instance/ across restarts."""
    key = os.environ.get("SOP_SECRET_KEY")
    if key:
        return key
    path = INSTANCE / "secret_key"
    INSTANCE.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        import secrets

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by the app's user only
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a key file written by an older version
    return path.read_text().strip()


def add_health_route(server) -> None:
    """`GET /healthz` for the load balancer: {database, redis, worker} each ok / absent / error; 200 when every
    configured part is ok, else 503. Public: it is in services.public_paths.PUBLIC_PATHS, which any sign-in
    guard must let through."""
    from flask import jsonify

    from services.health import health
    from services.public_paths import PUBLIC_PATHS

    assert "/healthz" in PUBLIC_PATHS

    @server.route("/healthz")
    def healthz():
        parts, status = health()
        response = jsonify(parts)
        response.headers["Cache-Control"] = "no-store"
        return response, status


def release_memory_after_callbacks(server) -> None:
    """Bound the server's memory: few malloc arenas, and after each Dash callback request the heap's freed
    pages go back to the system (services.plan_service.release_memory; a millisecond or two)."""
    from flask import request

    from services.plan_service import limit_malloc_arenas, release_memory

    limit_malloc_arenas()

    @server.teardown_request
    def _release(_exc=None) -> None:
        if request.path.endswith("_dash-update-component"):
            release_memory()


app = create_app()
server = app.server
release_memory_after_callbacks(server)
server.secret_key = secret_key()
add_health_route(server)


def refuse_unsafe_production() -> None:
    """With SOP_ENV=production, stop (exit status 2, each problem on stderr) while a demo account, the
    default administrator password or a missing SOP_SECRET_KEY remains. Runs at import, so gunicorn
    (`app:server`) is stopped too."""
    from services import production_check

    production_check.enforce()


refuse_unsafe_production()


def warm_up() -> None:
    """Create the store (with the sample company on first start) and compute the current plan once,
    so the first page a user opens reads a cached plan."""
    from services import plan_service

    from services.uploads import start_first_forecast

    plan_service.get_store()
    try:
        plan_service.current_plan()
    except Exception:  # the pages show the error and how to fix it; the server still starts
        log.exception("The current plan could not be computed at start-up")
    try:  # a first start (or a run that never finished): the statistical forecast starts in the background
        started = start_first_forecast()
        if started:
            log.info("statistical forecast run started in the background (%s)", started.get("status"))
    except Exception:
        log.exception("The statistical forecast could not be started")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    warm_up()
    host = os.environ.get("SOP_HOST", "127.0.0.1")
    port = int(os.environ.get("SOP_PORT", "8050"))
    log.info("S&OP Studio on http://%s:%s", host, port)
    app.run(host=host, port=port, debug=os.environ.get("SOP_DEBUG") == "1")
