#!/usr/bin/env bash
# The multi-user deployment (`make serve`): Redis on loopback, a Celery worker for background jobs
# (forecast runs, Dash background callbacks) and gunicorn with several web workers, all configured by
# environment variables, stopped together on Ctrl-C / TERM.
#
#   scripts/serve.sh [start]   installs what is missing, starts everything, stays in the foreground
#   scripts/serve.sh stop      stops a deployment started from the same SOP_INSTANCE_DIR (another shell)
#
# Environment (defaults in brackets):
#   SOP_HOST [127.0.0.1]  SOP_PORT [8050]   where gunicorn listens
#   SOP_WEB_WORKERS [2]                     gunicorn web workers
#   SOP_CELERY_CONCURRENCY [2]              Celery worker processes
#   SOP_REDIS_PORT [6379]                   the loopback Redis this script starts (data in $SOP_INSTANCE_DIR/redis)
#   REDIS_URL                               an existing Redis instead: then none is started
#   DATABASE_URL                            the store (PostgreSQL: postgresql://user@host:port/db);
#                                           without it SQLite at $SOP_INSTANCE_DIR/sop.db
#   SOP_INSTANCE_DIR [<repo>/instance]      data, job records, logs and process ids of this deployment
#   SOP_CACHE_DIR [$SOP_INSTANCE_DIR/cache] forecast job records shared by the web workers and the worker
#   SOP_SECRET_KEY                          session signing key (else one kept in $SOP_INSTANCE_DIR/secret_key)
#   SOP_WEB_TIMEOUT [300]                   gunicorn's request timeout in seconds (uploads)
#   VENV [.venv]                            the virtualenv to run from (requirements-celery.txt is installed in it)
# and every variable the app reads (SOP_REQUIRE_LOGIN, SOP_FORECAST_ENGINE, DASK_SCHEDULER_ADDRESS, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-.venv}
PY="$VENV/bin/python"

SOP_HOST=${SOP_HOST:-127.0.0.1}
SOP_PORT=${SOP_PORT:-8050}
SOP_WEB_WORKERS=${SOP_WEB_WORKERS:-2}
SOP_CELERY_CONCURRENCY=${SOP_CELERY_CONCURRENCY:-2}
SOP_REDIS_PORT=${SOP_REDIS_PORT:-6379}
SOP_INSTANCE_DIR=$(mkdir -p "${SOP_INSTANCE_DIR:-$ROOT/instance}" && cd "${SOP_INSTANCE_DIR:-$ROOT/instance}" && pwd)
RUN_DIR="$SOP_INSTANCE_DIR/serve"
LOG_DIR="$RUN_DIR/logs"
export SOP_HOST SOP_PORT SOP_INSTANCE_DIR
export SOP_CACHE_DIR=${SOP_CACHE_DIR:-$SOP_INSTANCE_DIR/cache}

_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { echo "== serve: $*"; }

# ---------------------------------------------------------------------------- stopping

_stop_one() {  # name: TERM to the process group named in $RUN_DIR/name.pid, KILL after a grace period
    local name=$1 pid i
    [ -f "$RUN_DIR/$name.pid" ] || return 0
    pid=$(cat "$RUN_DIR/$name.pid")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do  # 20 s
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 -- "-$pid" 2>/dev/null; then
            say "$name did not stop in 20 s: killing it"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        say "$name stopped"
    fi
    rm -f "$RUN_DIR/$name.pid"
}

stop_all() {
    _stop_one gunicorn
    _stop_one celery
    _stop_one redis
}

if [ "${1:-start}" = "stop" ]; then
    stop_all
    exit 0
fi
if [ "${1:-start}" != "start" ]; then
    echo "usage: $0 [start|stop]" >&2
    exit 2
fi

# ---------------------------------------------------------------------------- installing

if [ ! -x "$PY" ]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
fi
if ! "$PY" -c "import celery, redis, gunicorn, dash, statsforecast" 2>/dev/null; then
    say "installing requirements-celery.txt (gunicorn, celery[redis] and the app's requirements) into $VENV"
    "$VENV/bin/pip" install --quiet -r requirements-celery.txt
fi
if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
    say "installing Debian redis-server"
    _sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive _sudo apt-get install -y -qq redis-server >/dev/null
fi

# ---------------------------------------------------------------------------- starting

mkdir -p "$RUN_DIR" "$LOG_DIR" "$SOP_CACHE_DIR"
for name in gunicorn celery redis; do
    if [ -f "$RUN_DIR/$name.pid" ] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
        echo "A deployment already runs from $SOP_INSTANCE_DIR ($name, pid $(cat "$RUN_DIR/$name.pid")):" \
             "stop it with '$0 stop' first." >&2
        exit 1
    fi
done

if [ -z "${SOP_SECRET_KEY:-}" ]; then  # one key for every web worker, kept across restarts
    [ -s "$SOP_INSTANCE_DIR/secret_key" ] || "$PY" -c "import secrets; print(secrets.token_hex(32))" \
        >"$SOP_INSTANCE_DIR/secret_key"
    SOP_SECRET_KEY=$(cat "$SOP_INSTANCE_DIR/secret_key")
fi
export SOP_SECRET_KEY

if [ -n "${DATABASE_URL:-}" ]; then
    say "store: DATABASE_URL (${DATABASE_URL%%://*})"
else
    export DATABASE_URL="sqlite:///$SOP_INSTANCE_DIR/sop.db"
    say "store: SQLite at $SOP_INSTANCE_DIR/sop.db (no DATABASE_URL given; set it for PostgreSQL)"
fi

trap 'trap - INT TERM EXIT; say "stopping"; stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

_spawn() {  # name command...: runs in its own process group (stopped as one), output to $LOG_DIR/name.log
    local name=$1
    shift
    setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/$name.pid"
}

if [ -z "${REDIS_URL:-}" ]; then
    mkdir -p "$SOP_INSTANCE_DIR/redis"
    say "Redis on 127.0.0.1:$SOP_REDIS_PORT (data in $SOP_INSTANCE_DIR/redis)"
    _spawn redis redis-server --bind 127.0.0.1 --port "$SOP_REDIS_PORT" --dir "$SOP_INSTANCE_DIR/redis" \
        --daemonize no --protected-mode yes --save 60 1 --appendonly no --logfile ""
    export REDIS_URL="redis://127.0.0.1:$SOP_REDIS_PORT/0"
    for i in $(seq 1 50); do
        redis-cli -p "$SOP_REDIS_PORT" ping >/dev/null 2>&1 && break
        kill -0 "$(cat "$RUN_DIR/redis.pid")" 2>/dev/null || { cat "$LOG_DIR/redis.log" >&2; exit 1; }
        sleep 0.2
    done
else
    say "Redis: REDIS_URL (not started here)"
fi

say "Celery worker ($SOP_CELERY_CONCURRENCY processes)"
_spawn celery "$PY" -m celery -A app:celery_app worker --loglevel INFO --concurrency "$SOP_CELERY_CONCURRENCY" \
    --hostname "sop-$SOP_PORT@%h" --without-gossip --without-mingle

say "preparing the store and the current plan"
"$PY" -c "import logging, app; logging.basicConfig(level=logging.INFO); app.warm_up()" >>"$LOG_DIR/warmup.log" 2>&1 \
    || { echo "The app could not start: see $LOG_DIR/warmup.log" >&2; tail -20 "$LOG_DIR/warmup.log" >&2; exit 1; }

say "gunicorn, $SOP_WEB_WORKERS web workers, on http://$SOP_HOST:$SOP_PORT (logs in $LOG_DIR)"
_spawn gunicorn "$PY" -m gunicorn app:server --workers "$SOP_WEB_WORKERS" --bind "$SOP_HOST:$SOP_PORT" \
    --timeout "${SOP_WEB_TIMEOUT:-300}" --graceful-timeout 15 --access-logfile - --error-logfile - \
    --access-logformat '%(h)s pid=%(p)s "%(r)s" %(s)s %(b)s %(L)ss'

say "running; Ctrl-C stops everything (or '$0 stop' from another shell); health: http://$SOP_HOST:$SOP_PORT/healthz"
# Stay in the foreground until one part exits (or a signal arrives), then stop the others.
declare -A PIDS
for name in gunicorn celery redis; do
    [ -f "$RUN_DIR/$name.pid" ] && PIDS[$name]=$(cat "$RUN_DIR/$name.pid")
done
while :; do
    for name in "${!PIDS[@]}"; do
        if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
            if [ -f "$RUN_DIR/$name.pid" ]; then
                say "$name exited (see $LOG_DIR/$name.log): stopping the rest"
                exit 1
            fi
            say "stopped from another shell"
            exit 0
        fi
    done
    sleep 1 &
    wait $! || true
done
