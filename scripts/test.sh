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
echo "== pytest"
python -m pytest -q "$@"
if [ $# -eq 0 ]; then  # the whole suite: the forecast job and an upload/edit round trip again, on `make serve`
    echo "== pytest: browser tests of the forecast job and an upload/edit round trip on scripts/serve.sh"
    SOP_TEST_DEPLOYMENT=serve python -m pytest -q tests/test_browser_forecast.py \
        "tests/test_browser_workbook.py::test_download_edit_upload_accept" \
        "tests/test_browser_upload.py::test_upload_workbook_changes_the_dashboard"
fi
