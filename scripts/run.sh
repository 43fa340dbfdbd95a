#!/usr/bin/env bash
# The main job: install what is missing, build, compile the bundled default
# model and generate text with it, on the GPU where there is one, else on the
# CPU. Extra arguments go to photon-run (e.g. --prompt "..." --mode recgen).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PHOTON_BUILD_DIR:-$root/build}"
model="${PHOTON_MODEL:-$root/examples/tiny-photon-l2.json}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"

target=cpu
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  target=cuda
fi
artifact="$build/artifacts/$(basename "$model" .json)-$target"
"$build/bin/photon-compile" "$model" -o "$artifact" --target=$target
# The bundled models have no trained weights: seeded synthetic ones stand in.
"$build/bin/photon-run" "$artifact" --device "$target" --synthetic-weights 1 \
  --prompt "PHOTON decodes hierarchically: " --max-new-tokens 64 "$@"
