#!/usr/bin/env bash
# The sanitizer part of CI (scripts/test.sh runs it after the normal suite): builds the
# runtime, photon-run, the runtime unit tests and the fuzz targets with ASan+UBSan
# (scripts/san-build.sh, build-san/ or $PHOTON_SAN_BUILD_DIR) and runs
#   * unittests/Runtime (PhotonRuntimeTests),
#   * agreement.py --quick with the instrumented photon-run; photon-compile and the kernel
#     libraries come from the normal build (build/ or $PHOTON_BUILD_DIR) uninstrumented,
#   * each fuzz target for $PHOTON_CI_FUZZ_SECONDS (default 20) s (scripts/fuzz.sh).
# Any sanitizer report aborts the process, so it fails its test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PHOTON_BUILD_DIR:-$root/build}"
san="${PHOTON_SAN_BUILD_DIR:-$root/build-san}"
start=$(date +%s)
"$root/scripts/san-build.sh" photon-run PhotonRuntimeTests \
  photon-fuzz-safetensors photon-fuzz-manifest photon-fuzz-config photon-fuzz-tokenizer
echo "sanitize: built in $(( $(date +%s) - start )) s"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
symbolizer=/usr/lib/llvm-22/bin/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
"$san/unittests/PhotonRuntimeTests" --gtest_brief=1
echo "sanitize: agreement.py --quick with $san/bin/photon-run"
/usr/bin/python3 "$root/test/E2E/agreement.py" --bin "$build/bin" --run-bin "$san/bin" --quick |
  awk '!/^PASS/'
"$root/scripts/fuzz.sh" "${PHOTON_CI_FUZZ_SECONDS:-20}"
echo "sanitize: done in $(( $(date +%s) - start )) s"
