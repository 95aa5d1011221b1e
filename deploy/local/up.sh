#!/usr/bin/env bash
# `make up`: the whole system as supervised local processes, with demo data.
# Ctrl-C (or `make down` from another terminal) stops the services and the components.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$(dirname "$0")/services-env.sh"
source "$(dirname "$0")/lib.sh"
cd "$ZHURNAL_ROOT"

if pid_alive "$RUN_DIR/honcho.pid"; then
  die "the system is already running (honcho pid $(cat "$RUN_DIR/honcho.pid")); 'make down' stops it"
fi

stopping=0
shutdown() {
  (( stopping )) && return; stopping=1
  trap '' INT TERM  # a second Ctrl-C must not cut the clean-up short
  log "stopping the services"
  [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2>/dev/null
  stop_group services "$RUN_DIR/honcho.pid"
  "$ZHURNAL_ROOT/deploy/local/infra.sh" down
  log "stopped"
}
trap shutdown EXIT
trap 'exit 130' INT TERM

"$ZHURNAL_ROOT/deploy/local/infra.sh" up
# The services' gRPC ports (5005x) lie in the ephemeral range too: keep them free.
reserve_ports 50051 50052 50053 50054 50055
write_prometheus_targets

log "starting the services (logs: $LOG_DIR/services.log)"
# setsid: honcho and its children form their own process group, stopped as one. It writes to
# the log file itself, so nothing between it and the file can die first and take it along.
setsid .venv/bin/honcho -f deploy/local/Procfile -d "$ZHURNAL_ROOT" start \
  >> "$LOG_DIR/services.log" 2>&1 < /dev/null &
echo $! > "$RUN_DIR/honcho.pid"
tail -n 0 -F "$LOG_DIR/services.log" &
tail_pid=$!

ready() { curl -fsS "http://127.0.0.1:$GATEWAY_PORT/readyz" >/dev/null; }
wait_for "the gateway and every service behind it (/readyz)" 90 "$LOG_DIR/services.log" ready

.venv/bin/python deploy/local/seed.py

cat <<INFO

  Zhurnal is running.
    web and REST API   http://127.0.0.1:$GATEWAY_PORT/api/v1/docs
    readiness          http://127.0.0.1:$GATEWAY_PORT/readyz
    Keycloak console   http://127.0.0.1:$KEYCLOAK_PORT/admin/  (admin / admin, local only)
    Prometheus         http://127.0.0.1:$PROMETHEUS_PORT/
    demo logins        $RUN_DIR/demo-credentials.txt
$(sed 's/^/      /' "$RUN_DIR/demo-credentials.txt")

  Ctrl-C stops everything.
INFO
wait "$(cat "$RUN_DIR/honcho.pid")" || true
