#!/usr/bin/env bash
# `buf lint` on proto/, then `buf breaking` against proto/ on the main branch.
# Before main has any proto/ there is nothing to break, and that is said rather than hidden.
set -euo pipefail
cd "$(dirname "$0")/../.."
buf() { uv run --frozen buf "$@"; }
buf lint proto
echo "zhurnal: buf lint clean"
against=main
git rev-parse --verify -q origin/main >/dev/null && against=origin/main
if git cat-file -e "$against:proto/buf.yaml" 2>/dev/null; then
  buf breaking proto --against ".git#ref=$against,subdir=proto"
  echo "zhurnal: buf breaking: no breaking change against $against"
else
  echo "zhurnal: buf breaking: $against has no proto/ yet; nothing to compare against"
fi
