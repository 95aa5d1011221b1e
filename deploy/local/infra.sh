#!/usr/bin/env bash
# The local infrastructure as one: PostgreSQL, Kafka, Keycloak and Prometheus.
#   infra.sh up|down|status
# up: Keycloak (the slowest, and independent of the rest: dev-file database) starts in the
# background while PostgreSQL, Kafka and Prometheus start one after the other; a failure names
# the component and its log. Idempotent: what is up stays up. down: the reverse order.
# status: one line per component; exits non-zero when any is down.
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=deploy/local/lib.sh
source "$ZHURNAL_ROOT/deploy/local/lib.sh"
HERE="$ZHURNAL_ROOT/deploy/local"

up() {
  local t0 kc_out kc_pid failed=()
  t0=$(date +%s)
  # shellcheck disable=SC2086
  reserve_ports $ZHURNAL_INFRA_PORTS
  kc_out="$(mktemp "$LOG_DIR/.keycloak-start.XXXXXX")"
  "$HERE/keycloak.sh" start >"$kc_out" 2>&1 &
  kc_pid=$!
  # The others are quick; keycloak.sh keeps going meanwhile.
  local c
  for c in postgres kafka prometheus; do
    "$HERE/$c.sh" start || failed+=("$c")
  done
  if ! wait "$kc_pid"; then failed+=(keycloak); fi
  cat "$kc_out" >&2; rm -f "$kc_out"
  if ((${#failed[@]})); then
    die "infra up failed for: ${failed[*]} (logs in $LOG_DIR: ${failed[*]/%/.log})"
  fi
  log "infra up in $(( $(date +%s) - t0 ))s"
  status
}

down() {
  local c rc=0
  for c in prometheus keycloak kafka postgres; do
    "$HERE/$c.sh" stop || rc=1
  done
  return $rc
}

status() {
  local c rc=0
  for c in postgres kafka keycloak prometheus; do
    "$HERE/$c.sh" status || rc=1
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 {up|down|status}" >&2; exit 2 ;;
esac
