#!/usr/bin/env bash
# Regenerates docs/reference/ (dialect and pass references) from ODS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
cmake --build "$build" --target mlir-doc
cp "$build/docs/dialect/PhotonDialect.md" "$root/docs/reference/PhotonDialect.md"
cp "$build/docs/dialect/PhotonKernelDialect.md" "$root/docs/reference/PhotonKernelDialect.md"
cp "$build/docs/passes/PhotonPasses.md" "$root/docs/reference/PhotonPasses.md"
cp "$build/docs/lowering/PhotonLoweringPasses.md" "$root/docs/reference/PhotonLoweringPasses.md"
echo "gen-docs: docs/reference/ updated"
