#!/usr/bin/env bash
# GPU correctness checks and benchmarks, in one device call.
#
#   scripts/gpu-check.sh prepare    # here, with MLIR: compiles every artifact into .device/
#   scripts/gpu-check.sh bench      # on the GPU machine: the benchmark alone
#   scripts/gpu-check.sh sanitize   # on the GPU machine: racecheck and initcheck
#   scripts/gpu-check.sh soak       # on the GPU machine: 32768 tokens, 10000 sequences
#   scripts/gpu-check.sh kernels    # on the GPU machine: bench/kernels.py, every kernel of
#                                   # one decode step under Nsight Compute (ncu), by family
#                                   # and shape, against the measured copy and matrix rates
#   scripts/gpu-check.sh profile    # on the GPU machine: ncu's details (occupancy, stalls)
#                                   # of one decode step's kernels (PROFILE_ARTS, _KERNELS)
#   scripts/gpu-check.sh edge       # on the GPU machine: only the agreement's kernel edge
#                                   # shapes (test/E2E/Inputs/edge/; `run` checks them too)
#   scripts/gpu-check.sh demo       # on the GPU machine: the shipped demo models' held-out
#                                   # loss on every window (scripts/demo/score.py) and a sample
#   scripts/gpu-check.sh variants   # on the GPU machine: each benchmark variant (BENCH_VARIANTS)
#                                   # against its model's default compile, on the same seeded
#                                   # weights and prompts: generated tokens and logits, where the
#                                   # NumPy reference is too slow for the 600M models
#   scripts/gpu-check.sh pack tc|f32|bench|kernels|sanitize1|sanitize2
#                                   # here: .device.txz with the artifacts of some phases
#                                   # only (below)
#   scripts/gpu-check.sh run        # on the GPU machine (driver, cmake, a C++ compiler,
#                                   # python3 with numpy; no MLIR; the header-only libraries
#                                   # come in .device/include): builds the runtime-only
#                                   # photon-run, runs the agreement checks against the NumPy
#                                   # reference, compute-sanitizer memcheck and the benchmark.
# With the device tool:  run(command="scripts/gpu-check.sh run", carry=[".device.txz"])
# prepare packs .device into .device.txz (xz -9e finds what the artifacts share: 87 MB -> 11 MB);
# every other phase unpacks it when .device is absent or older. A call carries 64 MiB in all,
# ~63 MB of it the tracked files on disk (mostly the demo weights): where the whole archive does not fit
# beside them, prepare says so, and `pack` rewrites .device.txz with the artifacts of some phases:
#   tc      run and sanitize with AGREEMENT_ARGS=--only=bf16-act (the cases that can reach a
#           tensor-core kernel): their artifacts, those memcheck and the sanitizers check, the
#           demo PHOTON model
#   f32     the same for AGREEMENT_ARGS='--only=^(?!.*bf16-act)' (every other model case).
#           Together they run every model case; --only leaves out the shipped models and the
#           sampling, NaN and bad-input cases, which only a call with the whole archive runs
#   bench   bench and profile: the benchmark's artifacts and the PyTorch peer
#   kernels the kernel benchmark's artifacts (kernels, PROFILE_DIR=kbench profile) and
#           the sanitizers' checked ones with the demo PHOTON model (memcheck, sanitize)
#   sanitize1, sanitize2
#           one half of the sanitizers' artifacts each (RecGen and tiled prefill; tile
#           edges and long caches), for SANITIZE_PART=1 or 2 sanitize: two calls
# PACK_KEEP names (or globs) more agreement artifacts to keep, e.g. an f32 case in `pack tc`;
# with `pack bench` it keeps them and the sanitizers' checked ones, so that one call can run
# `run` on them too: PACK_KEEP='*grouped* tiny-photon*' pack bench, then
# AGREEMENT_ARGS='--only=grouped|tiny-photon' run.
# BENCH_ACTIVATIONS=f32|bf16 (prepare; default bf16) sets the benchmarked activation type;
# BENCH_COMPILE_ARGS (prepare) adds photon-compile options for the benchmarked models,
# e.g. "--gemv-max-rows=0 --no-block-per-row" for the kernels before the decode GEMV.
# BENCH_VARIANTS (prepare) adds, for each benchmarked model, artifacts compiled with other
# options, "suffix=opt,opt" each (e.g. "fused=--fuse-launches"): <model>-<suffix>,
# which BENCH_MODELS then names.
# SCHEDULE_ARGS (prepare) sets the batches, contexts and prompts of each artifact's
# schedule.json (photon-schedule-report options).
# SKIP_BENCH=1 (run) stops after the agreement and memcheck. AGREEMENT_ARGS (prepare, run)
# passes one option to the agreement, e.g. AGREEMENT_ARGS="--only=fused-launches|act-tiled":
# prepare then compiles only those cases, and its whole .device.txz may fit one call.
# MEMCHECK_ONLY (run; a bash regex) runs memcheck only on the artifacts whose names match it.
# BENCH_MODELS (prepare, bench) lists the benchmarked models (default vanilla-600m
# photon-600m); BENCH_ARGS passes options to bench/bench.py; PEER_ARGS, when set, runs
# the PyTorch peer (../shared/peer, copied into .device/peer by prepare) after the
# benchmark with those options. At the largest batch that fits one
# configuration can run for minutes: split the benchmark over device calls
# (--models, --regimes) and cap long ones with --max-batch-limit (docs/perf.md).
# KBENCH_MODELS (prepare, kernels) lists the kernel benchmark's models (default vanilla-600m
# photon-600m; bf16 weights and activations, --max-rows=4096 so that vanilla's 4096-row
# prefill is one stack call), KBENCH_ARGS passes options to bench/kernels.py (e.g.
# --batches 1,16). SKIP_KBENCH=1 (prepare) leaves them out. KBENCH_VARIANTS (prepare) adds,
# for each of them, artifacts compiled with other options, "suffix=opt,opt" each
# (e.g. "k64=--wgmma-k-step=64 wide=--tensor-core-kernel=tile128x128"): <model>-<suffix>;
# the kernels phase then profiles every artifact prepare compiled.
# Results go to $OUT (or .device/results): gpu.txt, agreement.txt, memcheck.txt, bench.txt,
# bench.json, kernels.txt, kernels.json, kernels-csv.tar.xz. The device tool brings back
# only about 8 files of a call: give each phase of one call its own few.
# `run` and `sanitize` end with `summary:` lines (checks clean of run, the agreement's
# verdict), since the device tool returns only the tail of a call's output.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$root/.device"
phase="${1:-}"
bench_models=(${BENCH_MODELS:-vanilla-600m photon-600m})
kbench_models=(${KBENCH_MODELS:-vanilla-600m photon-600m})
kbench_max_rows=4096
# Artifacts of the agreement whose caches pass 256 positions (split attention at
# decode; tiled attention for prefills of more than 64 rows; the splits and
# argmax's partials merged by their last block; four K/V vectors a lane; three
# steps' loads in flight; the splits merged in clusters of 8, or by the combine kernel; grids
# for 2 multiprocessors: one-block clusters, 4-warp tensor-core GEMVs), for the sanitizers.
long_cache_artifacts="tiny-vanilla-wide-bf16-act-split edge-vanilla-gqa3-split tiny-vanilla-bf16-act-tiled
  edge-vanilla-gqa3-split-lastblock edge-vanilla-gqa3-bf16-act-split-v4 edge-vanilla-gqa3-bf16-act-split-p3
  tiny-vanilla-wide-bf16-act-split-cluster8 edge-vanilla-gqa3-bf16-act-split-combine
  edge-vanilla-gqa3-bf16-act-split-sm2"
# Split attention's kernel for calls of one row with its loads staged in shared
# memory (cp.async of 16, 4 and 8 bytes), or carried ahead under a branch (with the
# tiled prefill's), checked at batch 1.
one_row_artifacts="tiny-vanilla-wide-bf16-act-split-stages3 edge-vanilla-gqa3-bf16-act-split-stages3
  edge-vanilla-gqa3-split-stages3 tiny-vanilla-wide-bf16-act-split-guard
  edge-vanilla-gqa3-bf16-act-tiled-guard"
# RecGen on tiny-photon-l2: f32; bf16 with the decode GEMVs and block-per-row
# norms/argmax (the defaults); every projection on tensor cores; unfused (every
# kernel, and the kernel-level ops photon-kernel-fusion would join); fused launches;
# the two streams' stack calls grouped (photon-group-stack-calls); the token chunks
# one after another (no photon-fuse-token-chunks), and so without the latent chain
# ahead too (no photon-pipeline-latents; a model of chunk sizes 2, 2).
recgen_artifacts="tiny-photon-l2 tiny-photon-l2-bf16-act tiny-photon-l2-bf16-act-tc1
  tiny-photon-l2-bf16-act-unfused tiny-photon-l2-bf16-act-unfused-ops
  tiny-photon-l2-bf16-act-fused-launches tiny-photon-l2-bf16-act-grouped
  tiny-photon-l2-bf16-act-sequential-chunks tiny-photon-221-sequential-chunks-no-lookahead"
# The tensor-core GEMMs at tile edges (see `run`), with TMA weight loads (gate/up's
# too), and in 192-row tiles of three warpgroups (up to 256 wide).
tile_edge_artifacts="tiny-vanilla-wide-bf16-act-tc1 tiny-vanilla-wide-bf16-act-tc1-wide
  tiny-vanilla-wide-bf16-act-tc1-x128-round tiny-vanilla-wide-bf16-act-tc1-x128-k64-round
  tiny-vanilla-wide-bf16-act-tc1-tma tiny-vanilla-wide-bf16-act-tc1-producer
  tiny-vanilla-wide-bf16-act-tc1-wide-out-tma tiny-vanilla-wide-bf16-act-tc1-wide-registers
  tiny-vanilla-wide-bf16-act-tc1-tall tiny-vanilla-bf16-act-tc1-tall-256
  tiny-vanilla-bf16-act-tc1-tma-pairs"
# Tensor-core GEMVs of 3 output tiles a block (--gemv-tensor-core-tiles=3), the last
# tiles past the outputs' end: RecGen and a vanilla decode at 4 and 11 rows; of 2
# and 4 tiles by shape (grids for one multiprocessor); reading the norm kernel's
# split rows from 8 rows (--gemv-norm-kernel-min-rows=8); and the next K iteration's
# weight loads issued ahead (gemv-tensor-core-prefetch) at one warp a block.
gemv_tiles_artifacts="edge-photon-gqa4-bf16-act-tiles3 edge-vanilla-gqa3-bf16-act-tiles3
  edge-photon-gqa4-bf16-act-sm1 edge-photon-gqa4-bf16-act-norm8 edge-photon-gqa4-bf16-act-tcprefetch"
gemv_tiles_mode() { [[ "$1" != *photon* ]] || echo --mode recgen; }
# Every artifact that memcheck (run) and the sanitizers check: `pack tc` and
# `pack f32` keep them.
checked_artifacts="$recgen_artifacts $tile_edge_artifacts tiny-photon-l3-bf16-act-tiled
  edge-vanilla-wide-outputs-bf16-act edge-vanilla-gqa3-bf16-act-split $long_cache_artifacts
  $one_row_artifacts $gemv_tiles_artifacts"
# Their prompt (run's memcheck, sanitize): 299 tokens.
tile_edge_prompt="$(seq 0 298 | awk '{printf "%s%d", (NR > 1 ? "," : ""), $1 % 250 + 1}')"
# The sanitizers' sampled runs: temperature, top-k and top-p all in play.
sampled="--temperature 1 --top-k 5 --top-p 0.9 --seed 3"

prepare() {
  local bin="$root/build/bin"
  [ -x "$bin/photon-compile" ] || "$root/scripts/build.sh"
  rm -rf "$dev"; mkdir -p "$dev/bench"
  # The runtime's header-only libraries (nlohmann-json, CLI11): the GPU machine gets a copy.
  mkdir -p "$dev/include" && cp -r /usr/include/nlohmann /usr/include/CLI "$dev/include/"
  echo "gpu-check: compiling the tiny models for cuda (f32, bf16, f16 arenas)"
  /usr/bin/python3 "$root/test/E2E/agreement.py" --compile-only --device cuda \
    --work "$dev/e2e" --bin "$bin" ${AGREEMENT_ARGS:+"$AGREEMENT_ARGS"}
  echo "gpu-check: compiling the demo models (models/demo/) for cuda"
  for m in photon block vanilla; do
    "$bin/photon-compile" "$root/models/demo/demo-$m.json" -o "$dev/demo/$m-cuda" --target=cuda -q
    rm -f "$dev/demo/$m-cuda/model.mlir"
  done
  local act="${BENCH_ACTIVATIONS:-bf16}"
  for m in "${bench_models[@]}"; do
    echo "gpu-check: compiling $m (bf16 weights, $act activations) for cuda"
    # schedule.json (photon-schedule-report) travels with the artifact: the GPU
    # machine has no photon-opt; bench.py prints its predictions next to the
    # measurements (batches and the mean contexts and prompts of both regimes).
    "$bin/photon-compile" "$root/examples/$m.json" -o "$dev/bench/$m" --target=cuda \
      --weight-type=bf16 --activation-type="$act" -q ${BENCH_COMPILE_ARGS:-} \
      --schedule-report="${SCHEDULE_ARGS:-batch=1,1024 context=1152,2112 prompt=128,2048}"
    rm -f "$dev/bench/$m/model.mlir"
    for v in ${BENCH_VARIANTS:-}; do
      local variant="$m-${v%%=*}" opts="${v#*=}"
      echo "gpu-check: compiling $variant for the benchmark (${opts//,/ })"
      "$bin/photon-compile" "$root/examples/$m.json" -o "$dev/bench/$variant" --target=cuda \
        --weight-type=bf16 --activation-type="$act" -q ${BENCH_COMPILE_ARGS:-} ${opts//,/ } \
        --schedule-report="${SCHEDULE_ARGS:-batch=1,1024 context=1152,2112 prompt=128,2048}"
      rm -f "$dev/bench/$variant/model.mlir"
    done
  done
  if [ "${SKIP_KBENCH:-0}" != 1 ]; then
    for m in "${kbench_models[@]}"; do
      echo "gpu-check: compiling $m for the kernel benchmark (bf16, --max-rows=$kbench_max_rows)"
      # A launch per kernel (--no-fuse-launches): ncu times each kernel family.
      "$bin/photon-compile" "$root/examples/$m.json" -o "$dev/kbench/$m" --target=cuda \
        --weight-type=bf16 --activation-type=bf16 --max-rows=$kbench_max_rows -q --no-fuse-launches
      rm -f "$dev/kbench/$m/model.mlir"
      echo "$m" >> "$dev/kbench/models.txt"
      for v in ${KBENCH_VARIANTS:-}; do
        local variant="$m-${v%%=*}" opts="${v#*=}"
        echo "gpu-check: compiling $variant for the kernel benchmark (${opts//,/ })"
        "$bin/photon-compile" "$root/examples/$m.json" -o "$dev/kbench/$variant" --target=cuda \
          --weight-type=bf16 --activation-type=bf16 --max-rows=$kbench_max_rows -q \
          --no-fuse-launches ${opts//,/ }
        rm -f "$dev/kbench/$variant/model.mlir"
        echo "$variant" >> "$dev/kbench/models.txt"
      done
    done
  fi
  # The PyTorch peer (never committed): it runs in the same call as the benchmark.
  if [ -f "$root/../shared/peer/photon_torch.py" ]; then
    mkdir -p "$dev/peer" && cp "$root/../shared/peer/photon_torch.py" "$dev/peer/"
  fi
  du -sh "$dev"
  # -9e: its 64 MB window spans the fatbins, which share most of their bytes
  # (-6: 12 MB, -9e: 7.7 MB of 70 MB); the call carries 64 MiB in all.
  tar -C "$root" -cf - .device | xz -T0 -9e > "$root/.device.txz"
  du -sh "$root/.device.txz"
  local tracked archive
  # The device tool counts the tracked files' disk blocks, not their bytes
  # (63.5 MB against 61.6 MB on 2026-12-06: a 5.0 MB archive was refused).
  tracked="$(git -C "$root" ls-files -z | (cd "$root" && xargs -0 du -c -B1) | tail -1 | cut -f1)"
  archive="$(stat -c %s "$root/.device.txz")"
  if (( tracked + archive > 64 * 1024 * 1024 - 512 * 1024 )); then
    echo "gpu-check: .device.txz ($archive bytes) and the tracked files ($tracked) pass a" \
      "device call's 64 MiB: carry 'scripts/gpu-check.sh pack tc|f32|bench|kernels' archives" >&2
  fi
}

pack() {
  local what="${1:-}" ex=(--exclude=model.mlir)
  [ -d "$dev" ] || { echo "gpu-check: no $dev (run prepare first)" >&2; exit 1; }
  # Agreement artifacts kept beside a phase's own: the checked ones and
  # PACK_KEEP's names or globs (bench: only where PACK_KEEP is set).
  local keep=() d tc pattern kept
  [[ "$what" == bench && -z "${PACK_KEEP:-}" ]] || keep=($checked_artifacts ${PACK_KEEP:-})
  case "$what" in
    sanitize1|sanitize2)
      keep=($(sanitize_part "${what#sanitize}"))
      ex+=(--exclude=.device/bench --exclude=.device/kbench --exclude=.device/peer
           --exclude=.device/demo) ;;
    tc|f32)
      ex+=(--exclude=.device/bench --exclude=.device/kbench --exclude=.device/peer
           --exclude=.device/demo/block-cuda --exclude=.device/demo/vanilla-cuda) ;;
    bench) ex+=(--exclude=.device/kbench) ;;
    kernels)
      ex+=(--exclude=.device/bench --exclude=.device/peer --exclude=.device/demo/block-cuda
           --exclude=.device/demo/vanilla-cuda) ;;
    *) echo "usage: $0 pack tc|f32|bench|kernels|sanitize1|sanitize2" >&2; exit 2 ;;
  esac
  for d in "$dev"/e2e/*/; do
    d="$(basename "$d")"
    tc=f32; [[ "$d" != *bf16-act* ]] || tc=tc
    kept=0; [[ "$tc" != "$what" ]] || kept=1
    for pattern in "${keep[@]}"; do [[ "$d" != $pattern ]] || kept=1; done
    [ $kept = 1 ] || ex+=(--exclude=".device/e2e/$d")
  done
  tar -C "$root" "${ex[@]}" -cf - .device | xz -T0 -9e > "$root/.device.txz"
  du -sh "$root/.device.txz"
}

# One line per check, printed last by each phase: the device tool returns only
# the tail of a call's output and a few of its files.
summary() {  # summary <label> <file> <pattern of a clean run> <pattern of a run>
  local label="$1" file="$2" clean="$3" runs="$4"
  [ -f "$file" ] || { echo "summary: $label: no $file"; return; }
  echo "summary: $label: $(grep -cE "$clean" "$file") of $(grep -cE "$runs" "$file") clean"
}

# On the GPU machine: the carried archive becomes .device, unless this
# archive was unpacked there already (a warm machine keeps ignored folders).
unpack() {
  local stamp="$dev/.unpacked"
  if [ -f "$root/.device.txz" ] && { [ ! -f "$stamp" ] || [ "$root/.device.txz" -nt "$stamp" ]; }; then
    rm -rf "$dev"
    xz -dc "$root/.device.txz" | tar -C "$root" -xf -
    touch "$stamp"
  fi
}

build_runtime() {
  echo "gpu-check: building the runtime-only photon-run"
  local headers=(-DPHOTON_HEADER_LIBS_DIR="$dev/include")
  cmake -G Ninja -S "$root" -B /tmp/photon-rt -DPHOTON_RUNTIME_ONLY=ON "${headers[@]}" \
    -DCMAKE_BUILD_TYPE=Release > /tmp/photon-rt.log 2>&1 \
    || cmake -S "$root" -B /tmp/photon-rt -DPHOTON_RUNTIME_ONLY=ON "${headers[@]}" \
         -DCMAKE_BUILD_TYPE=Release >> /tmp/photon-rt.log 2>&1
  cmake --build /tmp/photon-rt --target photon-run -j 16 >> /tmp/photon-rt.log 2>&1 \
    || { tail -30 /tmp/photon-rt.log; exit 1; }
}

run() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  { date -u; nvidia-smi; } > "$out/gpu.txt" 2>&1 || true
  head -12 "$out/gpu.txt"
  build_runtime

  echo "gpu-check: agreement with the NumPy reference (spec §6)"
  python3 "$root/test/E2E/agreement.py" --precompiled --device cuda --work "$dev/e2e" \
    --bin "$bin" ${AGREEMENT_ARGS:+"$AGREEMENT_ARGS"} > "$out/agreement.txt" 2>&1 || true
  grep -E "FAIL|worst|passed" "$out/agreement.txt" | tail -8

  echo "gpu-check: compute-sanitizer memcheck"
  local sanitizer
  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  if [ -x "$sanitizer" ]; then
    # f32; bf16 with the decode GEMVs and block-per-row norms/argmax (the
    # defaults); bf16 with every projection on tensor cores (cp.async, ldmatrix).
    : > "$out/memcheck.txt"
    # Greedy (argmax) at batch 2, with and without the step's CUDA graph;
    # then sampling (temperature, top-k, top-p) at batch 1 and 2 (f32 and
    # bf16 activations: the token choice does not depend on tensor cores).
    memcheck() {  # memcheck <artifact dir> <photon-run args...>
      local art="$1"; shift
      [[ -z "${MEMCHECK_ONLY:-}" || "$(basename "$art")" =~ $MEMCHECK_ONLY ]] || return 0
      echo "== $(basename "$art") $*" >> "$out/memcheck.txt"
      local rc=0
      "$sanitizer" --tool memcheck --leak-check full --error-exitcode 3 \
        "$bin/photon-run" "$art" --device cuda --synthetic-weights 1 "$@" >> "$out/memcheck.txt" 2>&1 \
        || rc=$?
      echo "exit $rc" >> "$out/memcheck.txt"
    }
    local prompt="--prompt-ids 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20 --max-new-tokens 24 --mode recgen"
    for art in $recgen_artifacts; do
      for graphs in "" --no-graphs; do
        memcheck "$dev/e2e/$art" $prompt --batch 2 $graphs
      done
    done
    for art in tiny-photon-l2 tiny-photon-l2-bf16-act; do
      for batch in 1 2; do
        memcheck "$dev/e2e/$art" $prompt --batch $batch $sampled
      done
    done
    # The demo PHOTON model's 4,096-token vocabulary: the argmax over 32
    # blocks of 128 and sampling with 1,024 threads a row, at batch 1.
    for choice in "" "$sampled"; do
      memcheck "$dev/demo/photon-cuda" --prompt-ids 1,2,3,4,5,6,7,8 --max-new-tokens 16 --batch 1 $choice
    done
    # The tensor-core GEMMs at tile edges: 299 prompt tokens (3 row tiles of 128, the last
    # partial), widths of 200, 300 and 328 (partial output tiles, K tails of 8); 128x64 tiles
    # with f32 inputs split (hi + lo), the same on wgmma's wide tiles (1 x 200 and 2 x 152
    # outputs, W's rows past them zero-filled), 128x128 tiles with f32 inputs rounded (K
    # steps of 32 and of 64); 192-row tiles (3 full and one of 22 rows at batch 2). Token
    # ids 1..250 over again: tiny-vanilla's vocabulary is 256.
    for art in $tile_edge_artifacts; do
      memcheck "$dev/e2e/$art" --prompt-ids "$tile_edge_prompt" --max-new-tokens 4 --batch 2
    done
    # Attention over caches past 256 positions: split over blocks and merged
    # (decode), tiled on tensor cores (a prefill of 3 x 150 rows); GEMVs with
    # 2 or 4 outputs a warp at 6 rows.
    for art in $long_cache_artifacts; do
      memcheck "$dev/e2e/$art" --prompt-ids "$(seq -s, 1 150)" --max-new-tokens 8 --batch 3
    done
    for art in $one_row_artifacts; do
      memcheck "$dev/e2e/$art" --prompt-ids "$(seq -s, 1 150)" --max-new-tokens 8 --batch 1
    done
    # A decode step of 65 rows (one past a tiled-attention tile): split attention.
    memcheck "$dev/e2e/edge-vanilla-gqa3-bf16-act-split" --prompt-ids "$(seq -s, 1 150)" \
      --max-new-tokens 6 --batch 65
    memcheck "$dev/e2e/edge-vanilla-wide-outputs-bf16-act" --prompt-ids 1,2,3,4,5 --max-new-tokens 8 --batch 6
    for art in $gemv_tiles_artifacts; do
      for batch in 4 11; do
        memcheck "$dev/e2e/$art" $(gemv_tiles_mode "$art") --prompt-ids "$(seq -s, 1 20)" \
          --max-new-tokens 12 --batch $batch
      done
    done
  else
    echo "compute-sanitizer not found" > "$out/memcheck.txt"
  fi
  grep -E "^==|ERROR SUMMARY|LEAK SUMMARY|^exit" "$out/memcheck.txt"
  [ "${SKIP_BENCH:-0}" = 1 ] || bench
  # Clean: the run exited 0 (memcheck's errors exit 3; a run that failed, an
  # artifact missing from a pack among them, is not clean either).
  summary memcheck "$out/memcheck.txt" "^exit 0$" "^== "
  echo "summary: agreement: $(grep -E "worst|passed" "$out/agreement.txt" | tr '\n' ' ')"
}

bench() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  [ -x "$bin/photon-run" ] || build_runtime
  echo "gpu-check: benchmark"
  python3 "$root/bench/bench.py" --bin "$bin" --artifacts "$dev/bench" --device cuda \
    --models "${bench_models[@]}" ${BENCH_ARGS:-} --out "$out/bench.json" 2>&1 | tee "$out/bench.txt"
  if [ -n "${PEER_ARGS:-}" ] && [ -f "$dev/peer/photon_torch.py" ]; then
    echo "gpu-check: the PyTorch peer"
    python3 "$dev/peer/photon_torch.py" bench $PEER_ARGS --out "$out/peer.json" 2>&1 \
      | tee "$out/peer.txt" | tail -25
  fi
}

# The agreement's kernel edge shapes alone (odd widths, GQA 1/3/4, 17 and 65
# rows; f32, bf16 activations, tensor cores from 1 row).
edge() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  [ -x "$bin/photon-run" ] || build_runtime
  python3 "$root/test/E2E/agreement.py" --edge-only --precompiled --device cuda --work "$dev/e2e" \
    --bin "$bin" > "$out/agreement-edge.txt" 2>&1 || true
  grep -E "FAIL|worst|passed" "$out/agreement-edge.txt" | tail -12
}

# Every kernel of one decode step of each model at 1, 16 and 256 rows (vanilla: and
# a 4096-row prefill call) under Nsight Compute: bench/kernels.py, docs/perf.md
# ("Kernel benchmark"). About 3 minutes on an H200.
kernels() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  [ -x "$bin/photon-run" ] || build_runtime
  [ -d "$dev/kbench" ] || { echo "gpu-check: no $dev/kbench (prepare without SKIP_KBENCH)" >&2; exit 1; }
  echo "gpu-check: kernel benchmark (ncu)"
  # The artifacts are PTX: keep every JIT-compiled module between the profiled runs.
  export CUDA_CACHE_MAXSIZE="${CUDA_CACHE_MAXSIZE:-4294967296}"
  # Every artifact prepare compiled (variants included), unless KBENCH_MODELS names some.
  [ -n "${KBENCH_MODELS:-}" ] || [ ! -f "$dev/kbench/models.txt" ] \
    || kbench_models=($(cat "$dev/kbench/models.txt"))
  python3 "$root/bench/kernels.py" --bin "$bin" --artifacts "$dev/kbench" \
    --models "${kbench_models[@]}" --max-rows $kbench_max_rows --keep-csv "$out/kernels-csv" \
    ${KBENCH_ARGS:-} --out "$out/kernels.json"
  # One archive instead of a CSV per configuration: the device tool returns
  # only a few files of a call, which kernels.txt and kernels.json must be.
  if [ -d "$out/kernels-csv" ]; then
    tar -C "$out" -cJf "$out/kernels-csv.tar.xz" kernels-csv && rm -rf "$out/kernels-csv"
  fi
}

# Why one kernel is slower than another: ncu's detail sections (launch,
# occupancy, throughput, warp stalls; PROFILE_SECTIONS adds more, e.g.
# MemoryWorkloadAnalysis) of decode step 1 at batch PROFILE_BATCH (default 1) after prompts of
# PROFILE_PROMPT tokens (default 128), for each artifact in
# PROFILE_ARTS (default photon-600m) of PROFILE_DIR (default bench; kbench for
# the kernel benchmark's), of the kernels whose names match PROFILE_KERNELS (an
# ncu regex; default all), in PROFILE_MODE (default recgen). PROFILE_PREFILL=NxP
# profiles instead the first prefill call of N prompts of P tokens (one stack
# call of N·P rows with kbench's artifacts). Caches flushed before each kernel,
# as in `kernels`.
profile() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  [ -x "$bin/photon-run" ] || build_runtime
  local ncu
  ncu="$(command -v ncu || echo /usr/local/cuda/bin/ncu)"
  local what=(--batch "${PROFILE_BATCH:-1}" --max-new-tokens 48 --profile-step 1
              --prompt-ids "$(seq -s, 1 "${PROFILE_PROMPT:-128}")")
  if [ -n "${PROFILE_PREFILL:-}" ]; then
    what=(--batch "${PROFILE_PREFILL%x*}" --max-new-tokens 1 --profile-prefill
          --prompt-ids "$(seq -s, 1 "${PROFILE_PREFILL#*x}")")
  fi
  for art in ${PROFILE_ARTS:-photon-600m}; do
    echo "gpu-check: ncu details of $art"
    "$ncu" --profile-from-start off --clock-control none --cache-control all \
      ${PROFILE_KERNELS:+--kernel-name "regex:$PROFILE_KERNELS"} \
      --section LaunchStats --section Occupancy --section SpeedOfLight --section WarpStateStats \
      $(for s in ${PROFILE_SECTIONS:-}; do echo "--section $s"; done) \
      "$bin/photon-run" "$dev/${PROFILE_DIR:-bench}/$art" --device cuda --synthetic-weights 1 \
      --no-graphs -q --mode "${PROFILE_MODE:-recgen}" "${what[@]}" \
      > "$out/profile-$art.txt" 2>&1 || true
    grep -E "^  photon_|^    Duration|Registers Per Thread|Achieved Occupancy|Waves Per SM" \
      "$out/profile-$art.txt" | head -120 || true
  done
}

# The demo models on the GPU: held-out loss of all 957 windows by photon-run
# --score (docs/demo-model.md's table), and scripts/run.sh's sample.
demo() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  [ -x "$bin/photon-run" ] || build_runtime
  python3 "$root/scripts/demo/score.py" --every 1 --device cuda --batch 64 --work "$dev/demo" \
    --bin "$bin" --json "$out/demo-score.json" 2>&1 | tee "$out/demo-score.txt"
  for m in photon block vanilla; do
    echo "== demo-$m" >> "$out/demo-sample.txt"
    "$bin/photon-run" "$dev/demo/$m-cuda" --device cuda --weights "$root/models/demo/demo-$m.safetensors" \
      --temperature 0.7 --top-k 40 --max-new-tokens 128 --prompt "The perl interpreter" \
      >> "$out/demo-sample.txt" 2>&1
  done
  cat "$out/demo-sample.txt"
}

# compute-sanitizer racecheck and initcheck on the tiny models: f32, bf16 with
# the decode GEMVs and block reductions, and bf16 with every projection on
# tensor cores (the kernels that share memory); the
# step runs as its CUDA graph (memcheck, in `run`, covers both ways).
# SANITIZE_ONLY (a bash regex) checks only the artifacts whose names match it;
# SANITIZE_PART=1 or 2 only those of one half (sanitize_part), which
# `pack sanitize1|sanitize2` packs alone: the whole set's archive does not
# fit one call beside the tracked files.
sanitize_part() {  # the artifacts of half $1 of the sanitizers' runs
  case "$1" in
    1) echo $recgen_artifacts tiny-photon-l3-bf16-act-tiled $gemv_tiles_artifacts ;;
    2) echo $tile_edge_artifacts $long_cache_artifacts $one_row_artifacts edge-vanilla-gqa3-bf16-act-split ;;
    *) echo "gpu-check: SANITIZE_PART is 1 or 2, not '$1'" >&2; exit 2 ;;
  esac
}
sanitize() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin" sanitizer part=""
  [ -z "${SANITIZE_PART:-}" ] || part="$(sanitize_part "$SANITIZE_PART")"
  [ -x "$bin/photon-run" ] || build_runtime
  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  : > "$out/sanitize.txt"
  check() {  # check <tool> <artifact> <label> <photon-run args...>
    local tool="$1" art="$2" label="$3"; shift 3
    [[ -z "${SANITIZE_ONLY:-}" || "$art" =~ $SANITIZE_ONLY ]] || return 0
    [[ -z "$part" || " $part " == *" $art "* ]] || return 0
    echo "== $tool $art $label" >> "$out/sanitize.txt"
    local rc=0
    "$sanitizer" --tool "$tool" --error-exitcode 3 "$bin/photon-run" "$dev/e2e/$art" \
      --device cuda --synthetic-weights 1 -q "$@" >> "$out/sanitize.txt" 2>&1 || rc=$?
    echo "exit $rc" >> "$out/sanitize.txt"
  }
  # Greedy at batch 2 (and, f32, at batch 1: the argmax's per-block
  # partials), sampling at batch 1 and 2 (f32: a block per row, barriers
  # between its reductions).
  for tool in racecheck initcheck; do
    for art in $recgen_artifacts; do
      local choices=("--batch 2")
      [ "$art" != tiny-photon-l2 ] || choices+=("--batch 1" "--batch 1 $sampled" "--batch 2 $sampled")
      for choice in "${choices[@]}"; do
        check "$tool" "$art" "$choice" --prompt-ids 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20 \
          --max-new-tokens 20 --mode recgen $choice
      done
    done
    # The tensor-core GEMMs over 3 row tiles and partial output tiles (see `run`).
    for art in $tile_edge_artifacts; do
      check "$tool" "$art" "(299-token prompt)" --prompt-ids "$tile_edge_prompt" \
        --max-new-tokens 4 --batch 2
    done
    # Split and tiled attention (see `run`).
    for art in $long_cache_artifacts; do
      check "$tool" "$art" "(150-token prompt)" --prompt-ids "$(seq -s, 1 150)" \
        --max-new-tokens 8 --batch 3
    done
    for art in $one_row_artifacts; do
      check "$tool" "$art" "(150-token prompt, one row)" --prompt-ids "$(seq -s, 1 150)" \
        --max-new-tokens 8 --batch 1
    done
    check "$tool" edge-vanilla-gqa3-bf16-act-split "(a 65-row decode)" \
      --prompt-ids "$(seq -s, 1 150)" --max-new-tokens 6 --batch 65
    # PHOTON's tiled prefill over 640 tokens (every level's encoder over more
    # than one 64-row tile), RecGen.
    check "$tool" tiny-photon-l3-bf16-act-tiled "(640-token prompt)" --mode recgen --batch 1 \
      --prompt-ids "$(seq 0 639 | awk '{printf "%s%d", (NR > 1 ? "," : ""), $1 % 250 + 1}')" \
      --max-new-tokens 24
    for art in $gemv_tiles_artifacts; do
      check "$tool" "$art" "(11 rows)" $(gemv_tiles_mode "$art") --prompt-ids "$(seq -s, 1 20)" \
        --max-new-tokens 12 --batch 11
    done
  done
  grep -E "^==|ERROR SUMMARY|RACECHECK SUMMARY|^exit" "$out/sanitize.txt"
  summary "racecheck and initcheck" "$out/sanitize.txt" "^exit 0$" "^== "
}

# Long and wide runs: device memory must stay flat after warm-up (sampled by
# nvidia-smi while the run goes on) and greedy output must equal a shorter
# run's on their common prefix. SOAK_ART (default photon-600m) runs 32768
# tokens at batch 1; the f32 tiny PHOTON model runs 10000 sequences at once.
soak() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin"
  [ -x "$bin/photon-run" ] || build_runtime
  local prompt=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20
  run_sampled() {  # run_sampled <name> <photon-run args...>: JSON to $out/<name>.json
    local name="$1"; shift
    "$bin/photon-run" "$@" --device cuda --synthetic-weights 1 --prompt-ids "$prompt" \
      --mode recgen --output json -q > "$out/$name.json" &
    local pid=$!
    : > "$out/$name.mem"
    while kill -0 $pid 2>/dev/null; do
      nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits >> "$out/$name.mem"
      sleep 1
    done
    wait $pid
  }
  local art="$dev/bench/${SOAK_ART:-photon-600m}" tiny="$dev/e2e/tiny-photon-l2"
  run_sampled long "$art" --max-new-tokens 32768
  run_sampled short "$art" --max-new-tokens 2048
  run_sampled wide "$tiny" --max-new-tokens 64 --batch 10000
  run_sampled narrow "$tiny" --max-new-tokens 64
  python3 - "$out" <<'PY' | tee "$out/soak.txt"
import json, sys
out = sys.argv[1]
def load(n):
    return json.load(open(f"{out}/{n}.json"))
def mem(n):
    # Warm-up ends when the process first reaches its largest footprint
    # (weights uploaded, state allocated); from then on it must not move.
    v = [int(x) for x in open(f"{out}/{n}.mem").read().split()]
    after = v[v.index(max(v)):]
    return (f"device memory {max(v)} MiB, {'flat' if min(after) == max(after) else 'NOT flat'} "
            f"over the {len(after)} samples (1 s apart) after warm-up")
long, short = load("long"), load("short")
n = len(short["tokens"][0])
same = long["tokens"][0][:n] == short["tokens"][0]
print(f"32768 tokens at batch 1: {long['timings']['decode_tokens_per_s']:.0f} tok/s, "
      f"peak {long['memory']['peak_bytes'] / 2**30:.2f} GiB; {mem('long')}; "
      f"first {n} tokens {'identical to' if same else 'DIFFER from'} a {n}-token run")
wide, narrow = load("wide"), load("narrow")
ref = narrow["tokens"][0]
bad = sum(1 for t in wide["tokens"] if t != ref)
print(f"10000 sequences at once: {wide['timings']['decode_tokens_per_s']:.0f} tok/s, "
      f"peak {wide['memory']['peak_bytes'] / 2**30:.2f} GiB; {mem('wide')}; "
      f"{len(wide['tokens']) - bad} of {len(wide['tokens'])} sequences identical to batch 1")
sys.exit(0 if same and bad == 0 else 1)
PY
}

# Each benchmark variant (<model>-<suffix> in .device/bench) against <model>:
# greedy decode of seeded synthetic weights at 1, 4 and 16 rows (PHOTON:
# RecGen), the generated tokens and the largest logit difference over the
# positions before the first differing token (later ones see other inputs).
variants() {
  local out="${OUT:-$dev/results}"; mkdir -p "$out"
  local bin="/tmp/photon-rt/bin" art base mode batch
  [ -x "$bin/photon-run" ] || build_runtime
  : > "$out/variants.txt"
  for art in "$dev"/bench/*-*/; do
    art="$(basename "$art")"; base="${art%-*}"
    [ -d "$dev/bench/$base" ] && [ "$base" != "$art" ] || continue
    mode=""; [[ "$base" != *photon* ]] || mode="--mode recgen"
    for batch in 1 4 16; do
      for a in "$base" "$art"; do
        "$bin/photon-run" "$dev/bench/$a" --device cuda --synthetic-weights 7 -q $mode \
          --batch $batch --prompt-ids "$(seq -s, 1 24)" --max-new-tokens 16 --ignore-eos \
          --dump-logits "/tmp/variants-$a.npy" > /dev/null
      done
      python3 - "$art" "$base" "$batch" >> "$out/variants.txt" <<'PY'
import sys, numpy as np
art, base, batch = sys.argv[1:]
a, b = (np.load(f"/tmp/variants-{x}.npy") for x in (base, art))
ta, tb = a.argmax(-1), b.argmax(-1)
worst = 0.0
for r in range(a.shape[0]):
    n = next((i for i in range(a.shape[1]) if ta[r, i] != tb[r, i]), a.shape[1] - 1) + 1
    worst = max(worst, float(np.abs(a[r, :n] - b[r, :n]).max()))
same = int((ta == tb).all(-1).sum())
print(f"{art} vs {base}, batch {batch}: {same} of {a.shape[0]} sequences' tokens identical, "
      f"largest logit difference {worst:.3g} (logits up to {np.abs(a).max():.3g})")
PY
    done
  done
  cat "$out/variants.txt"
}

case "$phase" in prepare|pack) ;; *) unpack ;; esac
case "$phase" in
  prepare) prepare ;;
  pack) pack "${2:-}" ;;
  run) run ;;
  bench) bench ;;
  sanitize) sanitize ;;
  soak) soak ;;
  demo) demo ;;
  kernels) kernels ;;
  profile) profile ;;
  edge) edge ;;
  variants) variants ;;
  *) echo "usage: $0 prepare|pack|run|bench|kernels|profile|edge|variants|sanitize|soak|demo   (BENCH_ARGS passes options to bench/bench.py)" >&2; exit 2 ;;
esac
