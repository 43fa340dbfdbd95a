#!/usr/bin/env bash
# Installs the Debian packages Photon builds and tests with. Idempotent: packages that are
# already installed are reported and skipped; nothing else on the machine is changed.
set -euo pipefail

packages=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools   # LLVM/MLIR 22.1 (libMLIR.so, lit, FileCheck)
  clang-22 lld-22                                          # compiler + fast linker
  cmake ninja-build                                        # build
  libgtest-dev                                             # GoogleTest (runtime and analysis unit tests)
  nlohmann-json3-dev                                       # JSON in the runtime (header-only)
  libcli11-dev                                             # CLI11, photon-run's option parser (header-only)
  libclang-rt-22-dev                                       # ASan, UBSan and libFuzzer (scripts/sanitize.sh, fuzz.sh)
  python3-numpy                                            # independent NumPy reference (reference/)
  zlib1g-dev libzstd-dev libedit-dev libcurl4-openssl-dev libxml2-dev  # libLLVM's cmake config requires them
)

missing=()
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    :
  else
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
