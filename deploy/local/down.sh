#!/usr/bin/env bash
# `make down`: stop what `make up` started (services, then components). Safe to run twice.
set -euo pipefail
source "$(dirname "$0")/env.sh"
stop_group services "$RUN_DIR/honcho.pid"
"$ZHURNAL_ROOT/deploy/local/infra.sh" down
