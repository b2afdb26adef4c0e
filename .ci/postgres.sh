#!/usr/bin/env bash
# Install (Debian package), start a local PostgreSQL and create a test database/user.
#
#   eval "$(.ci/postgres.sh)"      # sets PIPELINE_TEST_PG_URL for the store tests
#
# Only the export line goes to stdout; progress goes to stderr. Idempotent: safe
# to run when PostgreSQL is already installed / running / provisioned.
# Env overrides: PG_TEST_DB (pipeline_test), PG_TEST_USER (pipeline),
# PG_TEST_PASSWORD (pipeline), PGPORT (5432).
set -euo pipefail

DB="${PG_TEST_DB:-pipeline_test}"
USER_="${PG_TEST_USER:-pipeline}"
PASS="${PG_TEST_PASSWORD:-pipeline}"
PORT="${PGPORT:-5432}"

log() { echo "[postgres.sh] $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo" || { log "need root or sudo"; exit 1; }
fi
as_pg() { $SUDO runuser -u postgres -- "$@"; }

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  log "installing postgresql (apt)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql >&2
fi

VER="$(ls /usr/lib/postgresql | sort -V | tail -1)"
BIN="/usr/lib/postgresql/$VER/bin"

if command -v pg_lsclusters >/dev/null 2>&1; then
  # Debian's wrapper scripts (postgresql-common); no systemd needed.
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VER main"; then
    log "creating cluster $VER/main on port $PORT"
    $SUDO pg_createcluster "$VER" main --port "$PORT" >&2
  fi
  PORT="$(pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $3}')"
  if ! pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting cluster $VER/main (port $PORT)"
    $SUDO pg_ctlcluster "$VER" main start >&2
  fi
else
  DATA="${PGDATA:-/var/lib/postgresql/$VER/ci}"
  if [ ! -s "$DATA/PG_VERSION" ]; then
    $SUDO mkdir -p "$DATA" && $SUDO chown postgres:postgres "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres >&2
  fi
  as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || \
    as_pg "$BIN/pg_ctl" -D "$DATA" -o "-p $PORT -k /tmp" -l "$DATA/server.log" -w start >&2
fi

# wait until it accepts connections
for _ in $(seq 1 60); do
  if as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then break; fi
  sleep 0.5
done
as_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" >&2

SOCK_ARGS=()
[ -n "${DATA:-}" ] && SOCK_ARGS=(-h /tmp)
# local socket, peer authentication as the postgres superuser
psql_pg() { (cd / && as_pg "$BIN/psql" "${SOCK_ARGS[@]}" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"); }

if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname='$USER_'")" != "1" ]; then
  log "creating role $USER_"
  psql_pg -c "CREATE ROLE \"$USER_\" LOGIN PASSWORD '$PASS'" >&2
else
  psql_pg -c "ALTER ROLE \"$USER_\" LOGIN PASSWORD '$PASS'" >&2
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != "1" ]; then
  log "creating database $DB"
  psql_pg -c "CREATE DATABASE \"$DB\" OWNER \"$USER_\"" >&2
fi

URL="postgresql://$USER_:$PASS@127.0.0.1:$PORT/$DB"
log "ready: $URL"
echo "export PIPELINE_TEST_PG_URL=$URL"
