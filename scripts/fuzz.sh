#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/; ASan+UBSan, scripts/san-build.sh) and runs each for
# [seconds] (default 60) from its checked-in seeds (fuzz/corpus/<target>/). New inputs go to
# build-san/fuzz/corpus-<target>/, kept between runs. Stops at the first crash, sanitizer
# report, leak or slow input (>10 s) and exits 1; the input is saved as
# build-san/fuzz/<target>-crash-*. Reproduce: build-san/fuzz/photon-fuzz-<target> <file>.
#   scripts/fuzz.sh [seconds]     PHOTON_FUZZ_TARGETS="manifest tokenizer" to pick targets
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PHOTON_SAN_BUILD_DIR:-$root/build-san}"
seconds="${1:-60}"
targets=(${PHOTON_FUZZ_TARGETS:-safetensors manifest config tokenizer})
"$root/scripts/san-build.sh" "${targets[@]/#/photon-fuzz-}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
symbolizer=/usr/lib/llvm-22/bin/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
for t in "${targets[@]}"; do
  corpus="$build/fuzz/corpus-$t"
  mkdir -p "$corpus"
  log="$build/fuzz/$t.log"
  echo "fuzz: $t for ${seconds} s (log: $log)"
  # -max_len: room above the small valid seeds; longer inputs only slow each run.
  case "$t" in safetensors|tokenizer) max_len=8192 ;; *) max_len=4096 ;; esac
  if ! "$build/fuzz/photon-fuzz-$t" "$corpus" "$root/fuzz/corpus/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -print_final_stats=1 -artifact_prefix="$build/fuzz/$t-" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $t FAILED; reproducer: $(ls -t "$build/fuzz/$t-"* 2>/dev/null | head -1)" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$log" | tr '\n' ' '
  echo
done
