# Shared settings for the local run scripts: sourced, never executed.
# Ports are off the usual defaults so a developer's own PostgreSQL or Kafka does not collide.
ZHURNAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ZHURNAL_ROOT
export CACHE_DIR="${ZHURNAL_CACHE_DIR:-$ZHURNAL_ROOT/.cache}"   # downloaded distributions (git-ignored)
export RUN_DIR="${ZHURNAL_RUN_DIR:-$ZHURNAL_ROOT/.run}"         # data, logs and pid files (git-ignored)
export LOG_DIR="$RUN_DIR/log"

export PG_PORT="${PG_PORT:-55432}"
export PG_USER="${PG_USER:-zhurnal}"
export KAFKA_PORT="${KAFKA_PORT:-59092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"
export KEYCLOAK_PORT="${KEYCLOAK_PORT:-58080}"
export KEYCLOAK_MGMT_PORT="${KEYCLOAK_MGMT_PORT:-59000}"
export PROMETHEUS_PORT="${PROMETHEUS_PORT:-59090}"
export GATEWAY_PORT="${GATEWAY_PORT:-8000}"

export KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
export KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.4.7}"
export HELM_VERSION="${HELM_VERSION:-v3.19.5}"
export VEGETA_VERSION="${VEGETA_VERSION:-v12.13.0}"   # the benchmarks' HTTP load generator
export KUBE_VERSION="${KUBE_VERSION:-1.31.0}"   # Kubernetes the chart is rendered and validated for

# One database per service (ARCHITECTURE.md); the gateway's holds its sessions only.
export ZHURNAL_SERVICES="identity curriculum journal reporting backup gateway"

mkdir -p "$LOG_DIR"

die() { echo "zhurnal: $*" >&2; exit 1; }
log() { echo "zhurnal: $*" >&2; }

# wait_for NAME TIMEOUT_S LOGFILE COMMAND...: poll COMMAND until it succeeds or the time is up,
# then fail naming the component and where its log is, instead of hanging.
wait_for() {
  local name="$1" timeout="$2" logfile="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      echo "zhurnal: $name did not come up within ${timeout}s; its log: $logfile" >&2
      [ -f "$logfile" ] && tail -n 20 "$logfile" >&2
      return 1
    fi
    sleep 1
  done
}

# pid_alive PIDFILE: true when the pid file names a live process.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile NAME PIDFILE: TERM the recorded process (and its group), wait, then KILL.
stop_pidfile() {
  local name="$1" pidfile="$2" pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored TERM for 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# stop_group NAME PIDFILE: like stop_pidfile for a process started with setsid, whose process
# group (the pid itself) holds its children: all of them get TERM, then KILL after 30s.
stop_group() {
  local name="$1" pidfile="$2" pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid="$(cat "$pidfile")"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "$name (process group $pid) ignored TERM for 30s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
