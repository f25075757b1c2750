#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test run, on loopback, in a temporary directory.
#
#   source scripts/test_postgres.sh
#   pg_start      # installs Debian's postgresql if needed, starts it, exports TEST_DATABASE_URL
#   pg_stop       # stops it and removes its directory (safe to call twice)
#
# As root the server runs as the `postgres` user (or `sopci`, created when neither exists),
# because PostgreSQL refuses to run as root.

_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

_pg_bindir() {
    local d
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return 0
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

_pg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
    local bindir
    if ! bindir=$(_pg_bindir); then
        echo "== installing PostgreSQL (Debian package postgresql)"
        _sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive _sudo apt-get install -y -qq postgresql >/dev/null
        bindir=$(_pg_bindir) || { echo "PostgreSQL binaries not found after install" >&2; return 1; }
    fi
    PG_RUN_AS=""
    if [ "$(id -u)" -eq 0 ]; then
        if id postgres >/dev/null 2>&1; then
            PG_RUN_AS=postgres
        else
            id sopci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin sopci
            PG_RUN_AS=sopci
        fi
    fi
    PG_DIR=$(mktemp -d /tmp/sop-pg.XXXXXX)
    PG_PORT=$(_pg_free_port)
    [ -n "$PG_RUN_AS" ] && chown "$PG_RUN_AS" "$PG_DIR"
    _pg_as() { if [ -n "$PG_RUN_AS" ]; then runuser -u "$PG_RUN_AS" -- "$@"; else "$@"; fi; }
    echo "== starting PostgreSQL ($bindir) on 127.0.0.1:$PG_PORT in $PG_DIR"
    _pg_as "$bindir/initdb" -D "$PG_DIR/data" -U sop --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    _pg_as "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; return 1; }
    PG_BINDIR=$bindir
    "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U sop sop_test
    export TEST_DATABASE_URL="postgresql://sop@127.0.0.1:$PG_PORT/sop_test"
    echo "== TEST_DATABASE_URL=$TEST_DATABASE_URL"
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
        _pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
        echo "== PostgreSQL stopped"
    fi
    PG_DIR=""
}
