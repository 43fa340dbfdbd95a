#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then ctest runs the whole
# lit suite (FileCheck tests, GoogleTest binaries, the NumPy reference and the
# end-to-end agreement of compiled models with the reference).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
ctest --test-dir "${PHOTON_BUILD_DIR:-$root/build}" --output-on-failure
