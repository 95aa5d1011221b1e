#!/usr/bin/env bash
# Local PostgreSQL: a cluster of its own in $RUN_DIR/postgres, listening on 127.0.0.1:$PG_PORT only,
# socket in $RUN_DIR/postgres-socket, superuser $PG_USER with trust authentication (local
# development and tests only), one database zhurnal_<service> per service.
#   postgres.sh start|stop|status|psql [ARGS...]|createdb NAME|dropdb NAME|url [DB]
# As root the server runs as the unprivileged system user $PG_OS_USER (postgres refuses root).
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=deploy/local/lib.sh
source "$ZHURNAL_ROOT/deploy/local/lib.sh"

PG_OS_USER="${PG_OS_USER:-zhurnal-pg}"
PGDATA="$RUN_DIR/postgres"
PGSOCK="$RUN_DIR/postgres-socket"
PGLOG="$LOG_DIR/postgres.log"

pg_bindir() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  if [ ! -x "$d/initdb" ]; then
    die "postgres: no server binaries under /usr/lib/postgresql (run deploy/local/install.sh)"
  fi
  echo "$d"
}
PGBIN="$(pg_bindir)"

# as_pg CMD...: run a server-side command as the cluster owner.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

ensure_os_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating system user $PG_OS_USER to own the PostgreSQL cluster"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
  fi
  # The server must reach its data directory: every parent needs search permission for it.
  local d="$RUN_DIR"
  while [ "$d" != "/" ]; do
    if ! runuser -u "$PG_OS_USER" -- test -x "$d"; then
      log "granting search permission on $d to others (so $PG_OS_USER can reach $RUN_DIR)"
      chmod o+x "$d"
    fi
    d="$(dirname "$d")"
  done
}

ready() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres; }
running() { [ -f "$PGDATA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
pid() { head -n1 "$PGDATA/postmaster.pid" 2>/dev/null || true; }

psql_() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"; }

init_cluster() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  log "initialising a PostgreSQL cluster in $PGDATA ($PGBIN)"
  local tmp="$PGDATA.init.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  [ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER:" "$tmp"
  chmod 700 "$tmp"
  as_pg "$PGBIN/initdb" -D "$tmp" -U "$PG_USER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$LOG_DIR/postgres-initdb.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/postgres-initdb.log" >&2; die "postgres: initdb failed; its log: $LOG_DIR/postgres-initdb.log"; }
  cat >>"$tmp/postgresql.conf" <<EOF

# ---- zhurnal local settings (deploy/local/postgres.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGSOCK'
max_connections = 200
shared_buffers = 128MB
fsync = on
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
EOF
  # Local development only: trust on the loopback address and the project's own socket.
  cat >"$tmp/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
  rm -rf "$PGDATA"
  mv "$tmp" "$PGDATA"
}

create_service_dbs() {
  local s
  for s in $ZHURNAL_SERVICES; do createdb_ "zhurnal_$s"; done
}

# The journal runs as the login role zhurnal_journal, a member of zhurnal_journal_app, which
# owns nothing: its migrations (run as $PG_USER, the owner) grant the group what the service may
# do, and nothing that rewrites the history (ADR 13). No password: trust, as for $PG_USER.
create_service_roles() {
  psql_ -d postgres <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhurnal_journal_app') THEN
    CREATE ROLE zhurnal_journal_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhurnal_journal') THEN
    CREATE ROLE zhurnal_journal LOGIN;
  END IF;
  IF NOT pg_has_role('zhurnal_journal', 'zhurnal_journal_app', 'MEMBER') THEN
    GRANT zhurnal_journal_app TO zhurnal_journal;
  END IF;
END
$$;
SQL
}

createdb_() {
  local name="$1"
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "postgres: bad database name '$name'"
  if [ "$(psql_ -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
    psql_ -d postgres -c "CREATE DATABASE \"$name\"" || die "postgres: could not create database $name"
    log "postgres: created database $name"
  fi
}

start() {
  # shellcheck disable=SC2086
  reserve_ports $ZHURNAL_INFRA_PORTS
  ensure_os_user
  mkdir -p "$PGSOCK"
  [ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER:" "$PGSOCK"
  init_cluster
  if running; then
    ready || wait_for postgres 60 "$PGLOG" ready
    log "postgres already up (pid $(pid), 127.0.0.1:$PG_PORT)"
  else
    touch "$PGLOG"
    [ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER:" "$PGLOG"
    log "starting postgres on 127.0.0.1:$PG_PORT (log $PGLOG)"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null \
      || { tail -n 20 "$PGLOG" >&2; die "postgres did not start; its log: $PGLOG"; }
    wait_for postgres 60 "$PGLOG" ready
    log "postgres up (pid $(pid), 127.0.0.1:$PG_PORT)"
  fi
  create_service_dbs
  create_service_roles
}

stop() {
  if running; then
    log "stopping postgres (pid $(pid))"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null \
      || die "postgres did not stop; its log: $PGLOG"
  else
    log "postgres is not running"
  fi
}

status() {
  if running && ready; then
    echo "postgres   up    pid $(pid)  port $PG_PORT"
  else
    echo "postgres   down  port $PG_PORT"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  psql) shift; PGDATABASE="${PGDATABASE:-postgres}" exec "$PGBIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@" ;;
  createdb) [ -n "${2:-}" ] || die "usage: $0 createdb NAME"; ready || die "postgres is not running"; createdb_ "$2" ;;
  dropdb)
    [ -n "${2:-}" ] || die "usage: $0 dropdb NAME"
    [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "postgres: bad database name '$2'"
    psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" ;;
  url) echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/${2:-postgres}" ;;
  *) echo "usage: $0 {start|stop|status|psql [ARGS]|createdb NAME|dropdb NAME|url [DB]}" >&2; exit 2 ;;
esac
