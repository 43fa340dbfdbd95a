#!/usr/bin/env bash
# The main job: install what is missing, build, compile the shipped demo
# PHOTON model (models/demo/, trained on the Perl documentation:
# docs/demo-model.md) and generate text with it, on the GPU where there is one
# (nvidia-smi lists one), else on the CPU. Generation stops at the
# tokenizer's EOS (<|endoftext|>) or after 128 tokens.
#
#   scripts/run.sh                                  # PHOTON, HierGen, default prompt
#   scripts/run.sh --mode recgen                    # PHOTON, recursive generation
#   PHOTON_MODEL=block scripts/run.sh               # the Block Transformer baseline
#   PHOTON_MODEL=vanilla scripts/run.sh             # the vanilla (LLaMA) baseline
#   PHOTON_PROMPT="Regular expressions" scripts/run.sh
#
# Extra arguments go to photon-run (e.g. --seed 3 --max-new-tokens 256
# --temperature 0); one that gives a prompt (--prompt, --prompt-ids,
# --prompt-file, -i) replaces the default prompt. PHOTON_MODEL may also be a
# config .json: its weights are the .safetensors of the same name next to it,
# else seeded synthetic weights (e.g. examples/tiny-photon-l2.json).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PHOTON_BUILD_DIR:-$root/build}"
model="${PHOTON_MODEL:-photon}"
prompt="${PHOTON_PROMPT:-The perl interpreter}"
case "$model" in
  photon | block | vanilla) model="$root/models/demo/demo-$model.json" ;;
esac
[ -f "$model" ] || { echo "run.sh: PHOTON_MODEL: no such model: $model (photon, block, vanilla or a config .json)" >&2; exit 1; }
"$root/scripts/setup.sh"
"$root/scripts/build.sh"

target=cpu
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  target=cuda
fi
artifact="$build/artifacts/$(basename "$model" .json)-$target"
"$build/bin/photon-compile" "$model" -o "$artifact" --target=$target

weights="${model%.json}.safetensors"
if [ -f "$weights" ]; then
  # The tokenizer.json next to the weights is found by photon-run.
  weight_args=(--weights "$weights")
  # Sampling that reads best for these small models (docs/demo-model.md).
  sampling=(--temperature 0.7 --top-k 40 --max-new-tokens 128)
else
  weight_args=(--synthetic-weights 1)
  sampling=(--max-new-tokens 64)
fi

# The default prompt unless the arguments give one. It is printed first, so
# that the generated continuation reads on from it.
prompt_args=(--prompt "$prompt")
for a in "$@"; do
  case "$a" in
    --prompt | --prompt=* | -prompt | -prompt=* | --prompt-ids* | -prompt-ids* | \
    --prompt-file* | -prompt-file* | -i | --interactive | -interactive)
      prompt_args=() ;;
    --score* | -score*) prompt_args=() sampling=() ;; # scoring: no prompt, no generation
  esac
done
if [ ${#prompt_args[@]} -gt 0 ]; then
  printf '%s' "$prompt"
fi
"$build/bin/photon-run" "$artifact" --device "$target" "${weight_args[@]}" "${sampling[@]}" \
  "${prompt_args[@]}" "$@"
