#!/usr/bin/env bash
# Everything `make test` does after the virtualenv is installed: Chromium for the browser tests, Redis for
# the deployment test, a throwaway PostgreSQL, ruff, and the whole pytest suite. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"

_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing Debian chromium and chromium-driver"
    _sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive _sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! command -v redis-server >/dev/null 2>&1; then  # tests/test_deploy.py starts the multi-user deployment
    echo "== installing Debian redis-server"
    _sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive _sudo apt-get install -y -qq redis-server >/dev/null
fi

# shellcheck source=scripts/test_postgres.sh
source scripts/test_postgres.sh
trap pg_stop EXIT
trap 'exit 130' INT TERM
pg_start

mkdir -p test-artifacts
echo "== ruff check ."
ruff check .
# Two workers by default (SOP_TEST_WORKERS=0 runs in one process): a test file stays on one worker, so its
# module-scoped app server starts once; each worker has its own PostgreSQL database (tests/store_fixtures.py).
WORKERS=${SOP_TEST_WORKERS:-2}
XDIST=()
if [ "$WORKERS" != "0" ]; then XDIST=(-n "$WORKERS" --dist loadfile); fi
echo "== pytest (${WORKERS} workers)"
python -m pytest -q --durations=20 "${XDIST[@]}" "$@"
if [ $# -eq 0 ]; then  # the whole suite: the forecast job and an upload/edit round trip again, on `make serve`
    echo "== pytest: browser tests of the forecast job and an upload/edit round trip on scripts/serve.sh"
    SOP_TEST_DEPLOYMENT=serve python -m pytest -q \
        "tests/test_browser_forecast.py::test_the_first_start_runs_the_forecast_in_the_background" \
        "tests/test_browser_forecast.py::test_an_upload_without_a_forecast_starts_the_run_and_cancel_stops_it" \
        "tests/test_browser_workbook.py::test_download_edit_upload_accept" \
        "tests/test_browser_upload.py::test_upload_workbook_changes_the_dashboard"
fi
