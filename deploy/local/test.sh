#!/usr/bin/env bash
# `make test` after lint and buf: every pytest suite (unit, integration, end-to-end, deployment).
# The suites start the real components they need through infra.sh and stop them afterwards
# (unless they were already running, e.g. from `make infra-up`).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ZHURNAL_ROOT"
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
