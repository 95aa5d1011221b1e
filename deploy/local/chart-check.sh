#!/usr/bin/env bash
# Lint, render and validate the application chart (charts/zhurnal) without a cluster:
#   1. helm lint --strict, with the default values and with values-production.yaml;
#   2. helm template of both into $RUN_DIR/chart/<values>.yaml;
#   3. kubernetes-validate --strict of every rendered object against one fixed Kubernetes
#      version. An object whose kind it has no schema for fails the check too (the tool
#      itself only warns).
# Needs helm in $CACHE_DIR/bin (`make install`) and the uv workspace (`uv sync`).
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# The Kubernetes version the chart is validated against (kubernetes-validate has its schemas).
KUBE_VERSION="${KUBE_VERSION:-1.31.0}"
CHART="$ZHURNAL_ROOT/charts/zhurnal"
OUT="$RUN_DIR/chart"
HELM="$CACHE_DIR/bin/helm"
RELEASE=zhurnal
NAMESPACE=zhurnal

[ -x "$HELM" ] || die "helm is not in $HELM: run \`make install\` first"

# helm keeps its own state out of the developer's home.
export HELM_CACHE_HOME="$RUN_DIR/helm/cache" HELM_CONFIG_HOME="$RUN_DIR/helm/config" \
       HELM_DATA_HOME="$RUN_DIR/helm/data"

rm -rf "$OUT"
mkdir -p "$OUT"
started=$(date +%s)

# name=values file ("" = the chart's defaults only)
declare -A VALUES=([default]="" [production]="$CHART/values-production.yaml")
for name in default production; do
  args=(--kube-version "$KUBE_VERSION")
  [ -n "${VALUES[$name]}" ] && args+=(-f "${VALUES[$name]}")

  log "chart: helm lint --strict ($name values)"
  "$HELM" lint --strict "$CHART" "${args[@]}" >"$OUT/$name.lint.txt" 2>&1 \
    || { cat "$OUT/$name.lint.txt" >&2; die "chart: helm lint failed with the $name values"; }

  log "chart: helm template ($name values) -> $OUT/$name.yaml"
  "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" "${args[@]}" >"$OUT/$name.yaml" \
    || die "chart: helm template failed with the $name values"

  objects=$(grep -c '^kind: ' "$OUT/$name.yaml" || true)
  ((objects > 0)) || die "chart: the $name values render no objects"

  log "chart: kubernetes-validate --strict against Kubernetes $KUBE_VERSION ($objects objects)"
  report="$OUT/$name.validate.txt"
  status=0
  (cd "$ZHURNAL_ROOT" && uv run --frozen kubernetes-validate --strict \
     --kubernetes-version "$KUBE_VERSION" "$OUT/$name.yaml") >"$report" 2>&1 || status=$?
  passed=$(grep -c '^INFO .* passed for resource' "$report" || true)
  if ((status != 0)) || grep -qE '^(WARN|ERROR|FATAL)' "$report" || ((passed != objects)); then
    grep -vE '^INFO ' "$report" >&2 || true
    die "chart: $((objects - passed)) of $objects objects rendered with the $name values did not validate; see $report"
  fi
done

log "chart: lint, render and validation clean in $(($(date +%s) - started))s; manifests in $OUT"
