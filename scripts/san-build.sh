#!/usr/bin/env bash
# Configures (once) and builds the given targets of the sanitizer build in build-san/ (or
# $PHOTON_SAN_BUILD_DIR): ASan+UBSan (-fno-sanitize-recover=all) everywhere and libFuzzer
# coverage, -DPHOTON_FUZZ=ON (fuzz/). Needs clang-22 and libclang-rt-22-dev (scripts/setup.sh).
#   scripts/san-build.sh photon-run PhotonRuntimeTests photon-fuzz-manifest ...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PHOTON_SAN_BUILD_DIR:-$root/build-san}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPHOTON_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DLLVM_USE_LINKER=lld >/dev/null
fi
cmake --build "$build" --target "$@"
