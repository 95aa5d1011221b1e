# Environment of the local service processes (sourced after env.sh by up.sh).
for svc in $ZHURNAL_SERVICES; do
  upper=$(echo "$svc" | tr '[:lower:]' '[:upper:]')
  export "ZHURNAL_${upper}_DATABASE_URL=postgresql+asyncpg://${PG_USER}@127.0.0.1:${PG_PORT}/zhurnal_${svc}"
  export "ZHURNAL_${upper}_KAFKA_BOOTSTRAP=127.0.0.1:${KAFKA_PORT}"
  export "ZHURNAL_${upper}_KEYCLOAK_URL=http://127.0.0.1:${KEYCLOAK_PORT}"
done
# The journal runs as its own login role (postgres.sh creates it); its migrations run as the
# owner, so the role the service runs as cannot rewrite the history (ADR 13).
export ZHURNAL_JOURNAL_MIGRATIONS_DATABASE_URL="$ZHURNAL_JOURNAL_DATABASE_URL"
export ZHURNAL_JOURNAL_DATABASE_URL="postgresql+asyncpg://zhurnal_journal@127.0.0.1:${PG_PORT}/zhurnal_journal"
export ZHURNAL_GATEWAY_KEYCLOAK_URL="http://127.0.0.1:${KEYCLOAK_PORT}"
export ZHURNAL_GATEWAY_HTTP_PORT="$GATEWAY_PORT"
# The gateway's OIDC client secret: keycloak.sh generates it at `infra.sh up` (after this file
# is sourced), so the gateway reads the file at its start.
export ZHURNAL_GATEWAY_CLIENT_SECRET_FILE="$RUN_DIR/secrets/gateway-client-secret"
# Keycloak accepts the realm's http://localhost:* redirect pattern (not 127.0.0.1 with a port),
# so logins go through this address; /login on 127.0.0.1 forwards there.
export ZHURNAL_GATEWAY_PUBLIC_URL="http://localhost:${GATEWAY_PORT}"
# Scrape targets of the local processes (Procfile ports), for Prometheus' file_sd.
write_prometheus_targets() {
  mkdir -p "$RUN_DIR/prometheus/targets"
  cat > "$RUN_DIR/prometheus/targets/local.json" <<JSON
[
  {"targets": ["127.0.0.1:9101"], "labels": {"service": "identity", "process": "grpc"}},
  {"targets": ["127.0.0.1:9111"], "labels": {"service": "identity", "process": "relay"}},
  {"targets": ["127.0.0.1:9131"], "labels": {"service": "identity", "process": "scheduler"}},
  {"targets": ["127.0.0.1:9102"], "labels": {"service": "curriculum", "process": "grpc"}},
  {"targets": ["127.0.0.1:9122"], "labels": {"service": "curriculum", "process": "consumers"}},
  {"targets": ["127.0.0.1:9112"], "labels": {"service": "curriculum", "process": "relay"}},
  {"targets": ["127.0.0.1:9103"], "labels": {"service": "journal", "process": "grpc"}},
  {"targets": ["127.0.0.1:9104"], "labels": {"service": "reporting", "process": "grpc"}},
  {"targets": ["127.0.0.1:9105"], "labels": {"service": "backup", "process": "grpc"}},
  {"targets": ["127.0.0.1:${GATEWAY_PORT}"], "labels": {"service": "gateway", "process": "http"}}
]
JSON
}
