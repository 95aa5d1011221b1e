#!/usr/bin/env bash
# Local Keycloak in dev mode: http on 127.0.0.1:$KEYCLOAK_PORT, health and metrics on
# 127.0.0.1:$KEYCLOAK_MGMT_PORT, the realm from deploy/keycloak/*.json imported at first start.
#   keycloak.sh start|stop|status|reset|env|token USER PASSWORD
# `env` prints the client secrets as shell exports (eval "$(deploy/local/keycloak.sh env)");
# `token` prints an access token from the zhurnal-dev client (password grant, tests only);
# `reset` stops Keycloak and deletes its data, so the next start imports the realm file anew.
# State lives in $RUN_DIR/keycloak (a Keycloak home whose bin/lib/conf/themes/providers link to
# the distribution in $CACHE_DIR; data/ holds the dev-file H2 database and the import folder).
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=deploy/local/lib.sh
source "$ZHURNAL_ROOT/deploy/local/lib.sh"

KC_DIST="$CACHE_DIR/keycloak-$KEYCLOAK_VERSION"
KC_HOME="$RUN_DIR/keycloak/home"
PIDFILE="$RUN_DIR/keycloak.pid"
KLOG="$LOG_DIR/keycloak.log"
SECRETS="$RUN_DIR/secrets"
REALM=zhurnal
BASE="http://127.0.0.1:$KEYCLOAK_PORT"
MGMT="http://127.0.0.1:$KEYCLOAK_MGMT_PORT"
# Local development only: the bootstrap admin of the master realm (see docs/infra-notes.md).
export KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
export KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"
START_TIMEOUT="${KEYCLOAK_START_TIMEOUT:-180}"

# find_jdk: the newest JDK under /usr/lib/jvm with major version >= 21 (Keycloak 26 needs 21+);
# KEYCLOAK_JAVA_HOME overrides.
find_jdk() {
  if [ -n "${KEYCLOAK_JAVA_HOME:-}" ]; then echo "$KEYCLOAK_JAVA_HOME"; return; fi
  local best="" best_major=0 d v major
  for d in /usr/lib/jvm/*/; do
    d="${d%/}"
    if [ ! -x "$d/bin/java" ] || [ -L "$d" ]; then continue; fi
    v="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$d/release" 2>/dev/null)"
    [ -n "$v" ] || v="$("$d/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
    major="${v%%[.+-]*}"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if (( major >= 21 && major > best_major )); then best="$d"; best_major=$major; fi
  done
  [ -n "$best" ] || die "keycloak: Keycloak $KEYCLOAK_VERSION needs Java 21 or newer; none under /usr/lib/jvm (set KEYCLOAK_JAVA_HOME)"
  echo "$best"
}

# ensure_secret NAME: a random client secret kept in $SECRETS/NAME (git-ignored run state).
ensure_secret() {
  local f="$SECRETS/$1"
  if [ ! -s "$f" ]; then
    (umask 077; mkdir -p "$SECRETS"; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f.tmp"; mv "$f.tmp" "$f")
  fi
  cat "$f"
}
load_secrets() {
  ZHURNAL_GATEWAY_CLIENT_SECRET="$(ensure_secret gateway-client-secret)"
  ZHURNAL_IDENTITY_CLIENT_SECRET="$(ensure_secret identity-client-secret)"
  export ZHURNAL_GATEWAY_CLIENT_SECRET ZHURNAL_IDENTITY_CLIENT_SECRET
}

health_ready() { curl -fs -m 5 "$MGMT/health/ready" 2>/dev/null | grep -q '"UP"'; }
realm_ready() { curl -fs -m 5 "$BASE/realms/$REALM/.well-known/openid-configuration" 2>/dev/null | grep -q '"issuer"'; }
ready() { health_ready && realm_ready; }

prepare_home() {
  mkdir -p "$KC_HOME/data/import"
  local d
  for d in bin lib conf themes providers; do
    if [ "$(readlink "$KC_HOME/$d" 2>/dev/null)" != "$KC_DIST/$d" ]; then
      rm -rf "${KC_HOME:?}/$d"
      ln -s "$KC_DIST/$d" "$KC_HOME/$d"
    fi
  done
  # The import folder mirrors deploy/keycloak/*.json on every start (only new realms are imported).
  rm -f "$KC_HOME"/data/import/*.json
  cp "$ZHURNAL_ROOT"/deploy/keycloak/*.json "$KC_HOME/data/import/"
}

admin_token() {
  curl -fsS -m 10 "$BASE/realms/master/protocol/openid-connect/token" \
    --data-urlencode grant_type=password --data-urlencode client_id=admin-cli \
    --data-urlencode "username=$KC_BOOTSTRAP_ADMIN_USERNAME" \
    --data-urlencode "password=$KC_BOOTSTRAP_ADMIN_PASSWORD" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# secret_matches CLIENT SECRET: Keycloak authenticates the client before it looks at the grant:
# a client_credentials request with a wrong secret answers "Invalid client credentials", with
# the right one a token or (no service account) "Client not enabled to retrieve service account".
secret_matches() {
  ! curl -sS -m 10 "$BASE/realms/$REALM/protocol/openid-connect/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$1" \
    --data-urlencode "client_secret=$2" | grep -q 'Invalid client credentials'
}

# sync_secret CLIENT SECRET: put the kept secret into Keycloak when they differ (for example when
# $RUN_DIR/secrets was deleted but the Keycloak data was not).
sync_secret() {
  local client="$1" secret="$2" token id
  secret_matches "$client" "$secret" && return 0
  log "keycloak: client $client has another secret than $SECRETS; setting it through the Admin API"
  token="$(admin_token)" || die "keycloak: cannot log in as the bootstrap admin to fix the $client secret"
  id="$(curl -fsS -m 10 -H "Authorization: Bearer $token" "$BASE/admin/realms/$REALM/clients?clientId=$client" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
  curl -fsS -m 10 -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    "$BASE/admin/realms/$REALM/clients/$id" \
    -d "{\"clientId\": \"$client\", \"secret\": \"$secret\"}" >/dev/null
  secret_matches "$client" "$secret" || die "keycloak: could not set the $client secret"
}

# apply_realm: bring the running realm in line with deploy/keycloak/zhurnal-realm.json (the
# import only creates a missing realm) as the bootstrap admin, with the secrets load_secrets
# exported; idempotent, prints one summary line.
apply_realm() {
  local out
  out="$("$ZHURNAL_ROOT/.venv/bin/python" "$ZHURNAL_ROOT/deploy/keycloak/apply_realm.py" --url "$BASE" 2>&1)" \
    || die "keycloak: applying deploy/keycloak/zhurnal-realm.json failed: $out"
  log "keycloak: $out"
}

start() {
  # shellcheck disable=SC2086
  reserve_ports $ZHURNAL_INFRA_PORTS
  [ -x "$KC_DIST/bin/kc.sh" ] || die "keycloak: $KC_DIST is missing; run deploy/local/install.sh"
  load_secrets
  if pid_alive "$PIDFILE"; then
    ready || wait_for keycloak "$START_TIMEOUT" "$KLOG" ready
    sync_secret zhurnal-gateway "$ZHURNAL_GATEWAY_CLIENT_SECRET"
    sync_secret zhurnal-identity "$ZHURNAL_IDENTITY_CLIENT_SECRET"
    apply_realm
    log "keycloak already up (pid $(cat "$PIDFILE"), $BASE)"
    return 0
  fi
  port_open "$KEYCLOAK_PORT" && die "keycloak: port $KEYCLOAK_PORT is taken by another process (not ours: no live $PIDFILE)"
  port_open "$KEYCLOAK_MGMT_PORT" && die "keycloak: management port $KEYCLOAK_MGMT_PORT is taken by another process"
  prepare_home
  local jdk; jdk="$(find_jdk)"
  log "starting keycloak $KEYCLOAK_VERSION (start-dev, $(basename "$jdk")) on $BASE, health on $MGMT (log $KLOG)"
  : >>"$KLOG"
  echo "==== $(date -Is) keycloak.sh start" >>"$KLOG"
  # -Dkc.home.dir comes after kc.sh's own and wins: data (H2 dev-file, import, tmp) stays in $RUN_DIR.
  (
    cd "$KC_HOME"
    export JAVA_HOME="$jdk"
    unset JAVA_OPTS
    export JAVA_OPTS_KC_HEAP="${JAVA_OPTS_KC_HEAP:--Xms256m -Xmx768m}"
    exec setsid nohup "$KC_DIST/bin/kc.sh" "-Dkc.home.dir=$KC_HOME" start-dev \
      --http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT" --hostname="$BASE" \
      --http-management-port="$KEYCLOAK_MGMT_PORT" \
      --health-enabled=true --metrics-enabled=true \
      --import-realm --log-console-color=false \
      </dev/null >>"$KLOG" 2>&1
  ) &
  echo $! >"$PIDFILE"
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  until ready; do
    if ! pid_alive "$PIDFILE"; then
      tail -n 30 "$KLOG" >&2
      rm -f "$PIDFILE"
      die "keycloak exited during start; its log: $KLOG"
    fi
    (( $(date +%s) < deadline )) || break
    sleep 1
  done
  wait_for keycloak 1 "$KLOG" ready
  sync_secret zhurnal-gateway "$ZHURNAL_GATEWAY_CLIENT_SECRET"
  sync_secret zhurnal-identity "$ZHURNAL_IDENTITY_CLIENT_SECRET"
  apply_realm
  log "keycloak up (pid $(cat "$PIDFILE"), $BASE, realm $REALM)"
}

stop() {
  if pid_alive "$PIDFILE"; then
    log "stopping keycloak (pid $(cat "$PIDFILE"))"
    # kc.sh forwards TERM to its java child and waits for it.
    stop_pidfile keycloak "$PIDFILE"
  else
    rm -f "$PIDFILE"
    log "keycloak is not running"
  fi
}

status() {
  if pid_alive "$PIDFILE" && health_ready; then
    echo "keycloak   up    pid $(cat "$PIDFILE")  port $KEYCLOAK_PORT (management $KEYCLOAK_MGMT_PORT)"
  else
    echo "keycloak   down  port $KEYCLOAK_PORT"
    return 1
  fi
}

token() {
  [ $# -eq 2 ] || die "usage: $0 token USERNAME PASSWORD"
  curl -fsS -m 10 "$BASE/realms/$REALM/protocol/openid-connect/token" \
    --data-urlencode grant_type=password --data-urlencode client_id=zhurnal-dev \
    --data-urlencode "username=$1" --data-urlencode "password=$2" --data-urlencode scope=openid \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; log "deleting keycloak data in $RUN_DIR/keycloak"; rm -rf "$RUN_DIR/keycloak" ;;
  env)
    load_secrets
    echo "export ZHURNAL_GATEWAY_CLIENT_SECRET='$ZHURNAL_GATEWAY_CLIENT_SECRET'"
    echo "export ZHURNAL_IDENTITY_CLIENT_SECRET='$ZHURNAL_IDENTITY_CLIENT_SECRET'"
    echo "export ZHURNAL_KEYCLOAK_URL='$BASE'"
    echo "export ZHURNAL_KEYCLOAK_REALM='$REALM'"
    ;;
  token) shift; token "$@" ;;
  *) echo "usage: $0 {start|stop|status|reset|env|token USER PASSWORD}" >&2; exit 2 ;;
esac
