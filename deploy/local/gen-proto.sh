#!/usr/bin/env bash
# Generates the Python protobuf/gRPC stubs (and mypy stubs) from proto/ into the
# zhurnal-contracts package. They are build outputs, never committed (docs/adr/0002).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=services/contracts/src
rm -rf "$out/zhurnal"
mkdir -p "$out"
mapfile -t files < <(cd proto && find zhurnal -name '*.proto' | sort)
uv run --frozen --no-sync python -m grpc_tools.protoc -I proto \
  --python_out="$out" --grpc_python_out="$out" --mypy_out="$out" --mypy_grpc_out="$out" \
  "${files[@]}"
# Make every generated folder a regular package so imports and mypy agree.
find "$out/zhurnal" -type d -exec touch {}/__init__.py \;
touch "$out/zhurnal/py.typed"
echo "zhurnal: generated stubs for ${#files[@]} proto files into $out/zhurnal"
