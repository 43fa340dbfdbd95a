#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then ctest runs the whole
# lit suite (FileCheck tests, GoogleTest binaries, the NumPy reference and the
# end-to-end agreement of compiled models with the reference), then the sanitizer build
# (scripts/sanitize.sh: ASan+UBSan runtime tests, photon-run end to end, 20 s per fuzz target).
# PHOTON_SKIP_SANITIZERS=1 skips that part.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
ctest --test-dir "${PHOTON_BUILD_DIR:-$root/build}" --output-on-failure
if [ "${PHOTON_SKIP_SANITIZERS:-0}" != 1 ]; then
  "$root/scripts/sanitize.sh"
fi
