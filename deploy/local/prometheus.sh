#!/usr/bin/env bash
# Local Prometheus (Debian's /usr/bin/prometheus) on 127.0.0.1:$PROMETHEUS_PORT, with the config
# rendered from deploy/prometheus/prometheus.yml into $RUN_DIR/prometheus/prometheus.yml.
#   prometheus.sh start|stop|status|reload|check
# Services announce themselves by writing file_sd target files into $RUN_DIR/prometheus/targets/
# (see the template). `reload` re-renders the config and asks Prometheus to reload it (rules too);
# tests can also POST to /-/reload themselves (--web.enable-lifecycle).
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=deploy/local/lib.sh
source "$ZHURNAL_ROOT/deploy/local/lib.sh"

PROMETHEUS="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
PROMTOOL="${PROMTOOL_BIN:-/usr/bin/promtool}"
PDIR="$RUN_DIR/prometheus"
CONFIG="$PDIR/prometheus.yml"
TEMPLATE="$ZHURNAL_ROOT/deploy/prometheus/prometheus.yml"
RULES_DIR="$ZHURNAL_ROOT/deploy/prometheus/rules"
PIDFILE="$RUN_DIR/prometheus.pid"
PLOG="$LOG_DIR/prometheus.log"
URL="http://127.0.0.1:$PROMETHEUS_PORT"

[ -x "$PROMETHEUS" ] || die "prometheus: $PROMETHEUS is missing; run deploy/local/install.sh"

render() {
  mkdir -p "$PDIR/targets" "$PDIR/data" "$RULES_DIR"
  # Only these names are replaced, so $1-style references in relabelling rules survive.
  sed -e "s|\${ZHURNAL_ROOT}|$ZHURNAL_ROOT|g" -e "s|\${RUN_DIR}|$RUN_DIR|g" \
      -e "s|\${PROMETHEUS_PORT}|$PROMETHEUS_PORT|g" -e "s|\${KEYCLOAK_MGMT_PORT}|$KEYCLOAK_MGMT_PORT|g" \
      "$TEMPLATE" >"$CONFIG.tmp"
  local out
  if ! out="$("$PROMTOOL" check config "$CONFIG.tmp" 2>&1)"; then
    rm -f "$CONFIG.tmp"
    echo "$out" >&2
    die "prometheus: promtool check config failed for the config rendered from $TEMPLATE"
  fi
  mv "$CONFIG.tmp" "$CONFIG"
}

ready() { curl -fs -m 5 "$URL/-/ready" >/dev/null 2>&1; }

start() {
  # shellcheck disable=SC2086
  reserve_ports $ZHURNAL_INFRA_PORTS
  render
  if pid_alive "$PIDFILE"; then
    ready || wait_for prometheus 60 "$PLOG" ready
    log "prometheus already up (pid $(cat "$PIDFILE"), $URL)"
    return 0
  fi
  port_open "$PROMETHEUS_PORT" && die "prometheus: port $PROMETHEUS_PORT is taken by another process (not ours: no live $PIDFILE)"
  log "starting prometheus on $URL (log $PLOG)"
  setsid nohup "$PROMETHEUS" --config.file="$CONFIG" --storage.tsdb.path="$PDIR/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-lifecycle --log.level=info \
    </dev/null >>"$PLOG" 2>&1 &
  echo $! >"$PIDFILE"
  local deadline=$(( $(date +%s) + 60 ))
  until ready; do
    if ! pid_alive "$PIDFILE"; then
      tail -n 20 "$PLOG" >&2; rm -f "$PIDFILE"
      die "prometheus exited during start; its log: $PLOG"
    fi
    (( $(date +%s) < deadline )) || break
    sleep 0.5
  done
  wait_for prometheus 1 "$PLOG" ready
  log "prometheus up (pid $(cat "$PIDFILE"), $URL)"
}

stop() {
  if pid_alive "$PIDFILE"; then
    log "stopping prometheus (pid $(cat "$PIDFILE"))"
    stop_pidfile prometheus "$PIDFILE"
  else
    rm -f "$PIDFILE"
    log "prometheus is not running"
  fi
}

status() {
  if pid_alive "$PIDFILE" && ready; then
    echo "prometheus up    pid $(cat "$PIDFILE")  port $PROMETHEUS_PORT"
  else
    echo "prometheus down  port $PROMETHEUS_PORT"
    return 1
  fi
}

reload() {
  render
  pid_alive "$PIDFILE" || die "prometheus is not running"
  curl -fsS -m 30 -X POST "$URL/-/reload" >/dev/null || die "prometheus: reload failed; its log: $PLOG"
  log "prometheus reloaded"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reload) reload ;;
  check) render; log "prometheus config OK: $CONFIG" ;;
  *) echo "usage: $0 {start|stop|status|reload|check}" >&2; exit 2 ;;
esac
