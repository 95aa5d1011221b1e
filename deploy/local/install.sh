#!/usr/bin/env bash
# Install what the project needs on a fresh Debian 12 machine, skipping what is already there:
# Debian packages, uv and the Python workspace, Kafka (jars from Maven Central), Keycloak
# (keycloak-quarkus-dist from Maven Central) and helm (built with `go install`).
# Every download lands in a temporary directory first and is moved into place whole, so an
# interrupted run is simply retried. Idempotent; fast when everything is there.
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

export UV_PYTHON_DOWNLOADS=never
export UV_PYTHON=python3.11
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$CACHE_DIR"
# Leftovers of runs that were killed (the EXIT trap never ran); recent ones may be a parallel run.
find "$CACHE_DIR" -maxdepth 1 -name '.install.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
WORK="$(mktemp -d "$CACHE_DIR/.install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- Debian packages
DEB_PACKAGES=(postgresql prometheus chromium fonts-dejavu-core)
deb_missing=()
for p in "${DEB_PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || deb_missing+=("$p")
done
if ((${#deb_missing[@]})); then
  log "installing Debian packages: ${deb_missing[*]}"
  SUDO=(); [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${deb_missing[@]}"
  # Debian's postinst may start a system-wide PostgreSQL/Prometheus where an init system runs;
  # the project runs its own instances on its own ports (postgres.sh, prometheus.sh).
else
  log "Debian packages present: ${DEB_PACKAGES[*]}"
fi

# ---------------------------------------------------------------- uv and the Python workspace
if ! command -v uv >/dev/null 2>&1; then
  log "installing uv with pip"
  python3.11 -m pip install --quiet uv || python3 -m pip install --quiet uv
fi
log "uv sync --frozen ($(uv --version))"
(cd "$ZHURNAL_ROOT" && uv sync --frozen --quiet)

# ---------------------------------------------------------------- Maven helpers
MVN=(mvn -B -q -ntp -Dstyle.color=never)
# Maven 3.8 prints stray colour resets even in batch mode: strip escape codes (exit status kept by pipefail).
mvn_() { "${MVN[@]}" "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'; }
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# ---------------------------------------------------------------- Kafka (KRaft) from jars
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
if [ -f "$KAFKA_HOME/.complete" ]; then
  log "Kafka $KAFKA_VERSION present in $KAFKA_HOME"
else
  log "downloading Kafka $KAFKA_VERSION jars with mvn into $KAFKA_HOME"
  LOG4J_VERSION=2.24.3 SLF4J_VERSION=2.0.17
  mkdir -p "$WORK/kafka-pom" "$WORK/kafka/libs"
  cat >"$WORK/kafka-pom/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.zhurnal</groupId>
  <artifactId>kafka-dist</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- slf4j 2 (as Kafka's own distribution ships): mediation would otherwise pick a 1.7 API
         from a transitive dependency, which cannot see the log4j2 binding and logs nothing -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  mvn_ -f "$WORK/kafka-pom/pom.xml" "$DEP_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$WORK/kafka/libs" \
    || die "Kafka $KAFKA_VERSION: mvn could not resolve the jars (is KAFKA_VERSION served? see env.sh)"
  # Any other slf4j binding would fight log4j-slf4j2-impl for the logs.
  rm -f "$WORK"/kafka/libs/slf4j-reload4j-*.jar "$WORK"/kafka/libs/slf4j-log4j12-*.jar \
        "$WORK"/kafka/libs/logback-classic-*.jar
  ls "$WORK"/kafka/libs/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "Kafka: kafka_2.13 jar missing after mvn"
  ls "$WORK"/kafka/libs/slf4j-api-2.*.jar >/dev/null || die "Kafka: slf4j-api 2.x missing after mvn (Kafka would log nothing)"
  echo "$KAFKA_VERSION" >"$WORK/kafka/.complete"
  rm -rf "$KAFKA_HOME"
  mv "$WORK/kafka" "$KAFKA_HOME"
  log "Kafka $KAFKA_VERSION: $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars"
fi

# ---------------------------------------------------------------- Keycloak
KEYCLOAK_HOME="$CACHE_DIR/keycloak-$KEYCLOAK_VERSION"
if [ -f "$KEYCLOAK_HOME/.complete" ]; then
  log "Keycloak $KEYCLOAK_VERSION present in $KEYCLOAK_HOME"
else
  log "downloading Keycloak $KEYCLOAK_VERSION (keycloak-quarkus-dist) with mvn into $KEYCLOAK_HOME"
  mkdir -p "$WORK/kc-dl" "$WORK/kc-unpack"
  mvn_ "$DEP_PLUGIN:copy" \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
    -DoutputDirectory="$WORK/kc-dl" \
    || die "Keycloak $KEYCLOAK_VERSION: mvn could not fetch keycloak-quarkus-dist (is KEYCLOAK_VERSION served? see env.sh)"
  tar -xzf "$WORK"/kc-dl/keycloak-quarkus-dist-"$KEYCLOAK_VERSION".tar.gz -C "$WORK/kc-unpack"
  src="$(find "$WORK/kc-unpack" -mindepth 1 -maxdepth 1 -type d | head -n1)"
  [ -x "$src/bin/kc.sh" ] || die "Keycloak: no bin/kc.sh in the unpacked archive"
  echo "$KEYCLOAK_VERSION" >"$src/.complete"
  rm -rf "$KEYCLOAK_HOME"
  mv "$src" "$KEYCLOAK_HOME"
  log "Keycloak $KEYCLOAK_VERSION unpacked"
fi

# ---------------------------------------------------------------- helm
HELM="$CACHE_DIR/bin/helm"
helm_version() { "$HELM" version --template '{{.Version}}' 2>/dev/null || true; }
if [ -x "$HELM" ] && [ "$(helm_version)" = "$HELM_VERSION" ]; then
  log "helm $HELM_VERSION present in $HELM"
else
  command -v go >/dev/null 2>&1 || die "helm: go is not installed (needed to build helm $HELM_VERSION)"
  log "building helm $HELM_VERSION with go install (a few minutes when the Go caches are cold)"
  mkdir -p "$WORK/gobin" "$CACHE_DIR/bin"
  # `go install` leaves helm's version string at its default ("v3.19"): stamp the real one, as
  # helm's own Makefile does; -s -w drops the debug symbols (100 MB -> 60 MB).
  GOBIN="$WORK/gobin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    || die "helm $HELM_VERSION: go install failed"
  mv -f "$WORK/gobin/helm" "$HELM"
  [ "$(helm_version)" = "$HELM_VERSION" ] || die "helm: built binary reports '$(helm_version)', expected $HELM_VERSION"
  log "helm built: $(helm_version)"
fi

log "install complete"
