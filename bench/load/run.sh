#!/usr/bin/env bash
# The load test: for each store (sqlite, postgresql), start a fresh multi-user deployment (scripts/serve.sh:
# Redis, a Celery worker, gunicorn with 2 web workers) on loopback, record the dashboard's callback requests
# in headless Chromium, run Locust headless with 20 users (executives, 5 planners, one upload, one forecast
# run) and then 1 user as the baseline, check that no accepted edit was lost, and write the figures to
# bench/load/results/<store>.md. The simulated users do not sign in: the deployment runs with SOP_REQUIRE_LOGIN=0.
#
#   bench/load/run.sh [sqlite] [postgresql]        (default: both; PostgreSQL from scripts/test_postgres.sh)
#   SOP_LOAD_USERS [20]  SOP_LOAD_TIME [2m]  SOP_LOAD_BASELINE_TIME [same]  SOP_WEB_WORKERS [2]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=${VENV:-.venv}
PY="$ROOT/$VENV/bin/python"
[ -x "$PY" ] || PY="$VENV/bin/python"
USERS=${SOP_LOAD_USERS:-20}
TIME=${SOP_LOAD_TIME:-2m}
BASE_TIME=${SOP_LOAD_BASELINE_TIME:-$TIME}
OUT="$ROOT/bench/load/results"
mkdir -p "$OUT"
"$PY" -c "import locust" 2>/dev/null || "$VENV/bin/pip" install --quiet -r requirements-load.txt

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVE_PID=""
PG_STARTED=""
cleanup() {
    if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
        kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true
    fi
    SERVE_PID=""
    if [ -n "$PG_STARTED" ]; then pg_stop; PG_STARTED=""; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_one() {
    local store=$1 work port redis_port base
    work=$(mktemp -d /tmp/sop-load.XXXXXX)
    port=$(free_port); redis_port=$(free_port)
    base="http://127.0.0.1:$port"
    if [ "$store" = postgresql ]; then
        # shellcheck source=scripts/test_postgres.sh
        source scripts/test_postgres.sh
        pg_start; PG_STARTED=1
        export DATABASE_URL=$TEST_DATABASE_URL
    else
        unset DATABASE_URL
    fi
    echo "== load test on $store: deployment in $work, $base"
    SOP_INSTANCE_DIR="$work/instance" SOP_PORT=$port SOP_REDIS_PORT=$redis_port SOP_AUTO_FORECAST=0 SOP_REQUIRE_LOGIN=0 \
        SOP_WEB_WORKERS=${SOP_WEB_WORKERS:-2} VENV=$VENV bash scripts/serve.sh start >"$work/serve.out" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 1 180); do
        curl -fsS "$base/healthz" >/dev/null 2>&1 && break
        kill -0 "$SERVE_PID" 2>/dev/null || { cat "$work/serve.out"; exit 1; }
        sleep 1
    done
    curl -fsS "$base/healthz"; echo
    export SOP_LOAD_CAPTURE_DIR="$work/load"
    mkdir -p "$SOP_LOAD_CAPTURE_DIR"
    "$PY" bench/load/capture.py "$base" / "$SOP_LOAD_CAPTURE_DIR/dashboard.json"

    echo "== $USERS users for $TIME"
    SOP_LOAD_RESULTS="$work/load/edits-20.json" "$PY" -m locust -f bench/load/locustfile.py --headless \
        -H "$base" -u "$USERS" -r 5 -t "$TIME" --csv "$work/load/u20" --only-summary \
        ExecutiveUser PlannerUser UploadUser ForecastUser >"$work/load/u20.log" 2>&1 || true
    # the forecast run may still be going: let it land before reading the grid
    for _ in $(seq 1 300); do
        ls "$work/instance/cache/forecast-jobs"/run-*.json >/dev/null 2>&1 || break
        sleep 1
    done
    "$PY" bench/load/report.py "$base" "$work/load/u20" "$work/load/edits-20.json" "$work/instance/cache" \
        "$store, $USERS users, $TIME, ${SOP_WEB_WORKERS:-2} gunicorn workers" >"$OUT/$store.md"

    echo "== 1 user for $BASE_TIME (baseline)"
    SOP_LOAD_RESULTS="$work/load/edits-1.json" "$PY" -m locust -f bench/load/locustfile.py --headless \
        -H "$base" -u 1 -r 1 -t "$BASE_TIME" --csv "$work/load/u1" --only-summary SoloUser \
        >"$work/load/u1.log" 2>&1 || true
    echo >>"$OUT/$store.md"
    "$PY" bench/load/report.py "$base" "$work/load/u1" "$work/load/edits-1.json" "$work/instance/cache" \
        "$store, 1 user (baseline), $BASE_TIME" >>"$OUT/$store.md"
    cat "$OUT/$store.md"
    rm -rf "$OUT/$store-raw" && cp -r "$work/load" "$OUT/$store-raw" 2>/dev/null || true
    kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true
    SERVE_PID=""
    if [ -n "$PG_STARTED" ]; then pg_stop; PG_STARTED=""; fi
    rm -rf "$work"
}

for store in "${@:-sqlite postgresql}"; do
    for s in $store; do run_one "$s"; done
done
