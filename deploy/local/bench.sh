#!/usr/bin/env bash
# `make bench`: benchmarks under tests/bench (files bench_*.py, never collected by `make test`).
# Results print at the end and land in artifacts/*.json; every figure has a same-run baseline.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ZHURNAL_ROOT"

# vegeta drives HTTP load from Go: a Python client on these 2 cores saturates long before the
# gateway does, so its figures would measure the client. Built once into the cache.
VEGETA="$CACHE_DIR/bin/vegeta"
if [ ! -x "$VEGETA" ] || [ "$(cat "$VEGETA.version" 2>/dev/null)" != "$VEGETA_VERSION" ]; then
  command -v go >/dev/null 2>&1 || die "vegeta: go is not installed (needed to build it)"
  log "building vegeta $VEGETA_VERSION with go install"
  work="$(mktemp -d)"
  GOBIN="$work" go install -trimpath -ldflags "-s -w" \
    "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" || die "vegeta: go install failed"
  mkdir -p "$CACHE_DIR/bin"
  mv -f "$work/vegeta" "$VEGETA"
  echo "$VEGETA_VERSION" >"$VEGETA.version"
  rm -rf "$work"
fi
export ZHURNAL_VEGETA="$VEGETA"

exec .venv/bin/python -m pytest -p no:cacheprovider -o python_files='bench_*.py' -s -q \
  tests/bench "$@"
