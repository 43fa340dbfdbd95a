#!/usr/bin/env bash
# The one command for the GPU machine (repo root as cwd, data/corpus carried, $OUT set):
# trains the demo tokenizers, runs the smoke test (reference agreement + a 20-step run of tiny
# models; aborts on failure), then the real run. Everything that comes back is in $OUT (7 files):
#   demo-photon.safetensors demo-block.safetensors demo-vanilla.safetensors   (bf16, < 16 MiB each)
#   loss.png  results.json  device-train.log
#   demo-bundle.tar: configs demo-*.json, tokenizers (demo-tokenizer.json, llama2-style.json,
#                    llama3-style.json), refs.jsonl, train-log.json, heldout-windows.npy, smoke-results.json
# Usage: scripts/demo/device-train.sh [seconds per model, default 80]
set -euo pipefail
export PYTHONUNBUFFERED=1
: "${OUT:?OUT must name the output folder}"
seconds="${1:-80}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
stage="$(mktemp -d)"
t0=$(date +%s)
step() { echo "=== [$(( $(date +%s) - t0 )) s] $*"; }

main() {
for f in data/corpus/train.txt data/corpus/heldout.txt; do
  [[ -s "$f" ]] || { echo "device-train: $f is missing (run scripts/demo/make-corpus.sh and carry data/corpus)"; exit 1; }
done
nvidia-smi -L || true
python3 -c 'import torch, tokenizers, safetensors, matplotlib, numpy; print("torch", torch.__version__, "tokenizers", tokenizers.__version__, "cuda", torch.cuda.is_available())'

step "tokenizers"
python3 scripts/demo/make-tokenizers.py --corpus data/corpus --out "$stage/bundle"

tar -C "$stage/bundle" -cf "$OUT/demo-bundle.tar" .   # the tokenizers come back even if training fails

step "smoke: reference check + tiny training"
python3 scripts/demo/train.py --smoke --tokenizer "$stage/bundle/demo-tokenizer.json" --corpus data/corpus \
  --out "$stage/smoke"
cp "$stage/smoke/results.json" "$stage/bundle/smoke-results.json"

step "real run: ${seconds} s per model"
python3 scripts/demo/train.py --seconds "$seconds" --tokenizer "$stage/bundle/demo-tokenizer.json" \
  --corpus data/corpus --out "$stage/real"

step "collecting outputs"
for n in demo-photon demo-block demo-vanilla; do
  cp "$stage/real/$n.safetensors" "$OUT/"
  cp "$stage/real/$n.json" "$stage/bundle/"
done
cp "$stage/real/loss.png" "$stage/real/results.json" "$OUT/"
cp "$stage/real/train-log.json" "$stage/real/heldout-windows.npy" "$stage/bundle/"
tar -C "$stage/bundle" -cf "$OUT/demo-bundle.tar" .
ls -l "$OUT"
step "done"
}

# pipefail makes a failure inside main the pipeline's status; tee keeps the whole log in $OUT
main 2>&1 | tee "$OUT/device-train.log"
