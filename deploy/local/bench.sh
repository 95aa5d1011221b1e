#!/usr/bin/env bash
# `make bench`: benchmarks under tests/bench (files bench_*.py, never collected by `make test`).
# Results print at the end and land in artifacts/*.json; every figure has a same-run baseline.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ZHURNAL_ROOT"
exec .venv/bin/python -m pytest -p no:cacheprovider -o python_files='bench_*.py' -s -q \
  tests/bench "$@"
