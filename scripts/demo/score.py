#!/usr/bin/env -S /usr/bin/python3
"""Held-out loss of the shipped demo models (models/demo/) by photon-run --score, cross-checked with the
NumPy reference and with train.py's torch numbers (docs/demo-model.md).

The windows are exactly train.py's: models/demo/heldout-windows.npy holds the held-out token stream's
non-overlapping 256-token windows (957 x 256; documents joined with EOS); each window is scored on its
tokens 128..255 with tokens 0..127 as context. photon-run gets them as --score-ids, many windows per call,
with --score-context 128 --score-length 128 --score-stride 256: one window per 256 ids, nothing shared
between windows. The four settings: PHOTON HierGen, PHOTON RecGen (--mode recgen: the context's
meta-contexts are encoded, every later one comes from the decoder chain, = reference
`recgen_forward(window, 128)` as train.py used), Block, vanilla. f32 compute on the bf16 weights.

  scripts/demo/score.py [--every 16] [--device cpu] [--reference 3] [--json out.json]

The artifacts are compiled into --work (<model>-<device>) unless they are there already
(scripts/gpu-check.sh prepare compiles them for the GPU machine, which has no compiler).

--every K scores windows 0, K, 2K, ... (K = 1: all 957; on a 2-core CPU vanilla runs at ~40 scored
tokens/s, so the default is a 60-window subset; on a GPU use --every 1). --reference N also runs the
reference (float64) on the subset's first N windows and photon-run on exactly those, per setting.
Prints a table and, with --json, writes every number.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "reference"))
import photonref as pr  # noqa: E402

DEMO = os.path.join(ROOT, "models", "demo")
CONTEXT = 128
# (label, model, photon-run mode, key of train.py's results.json "heldout")
SETTINGS = [("PHOTON HierGen", "photon", "hiergen", "hiergen"),
            ("PHOTON RecGen", "photon", "recgen", "recgen"),
            ("Block", "block", "hiergen", "block"),
            ("vanilla", "vanilla", "hiergen", "vanilla")]
IDS_PER_CALL = 64 * 256  # well under the 128 KiB limit of one argument


def photon_run_score(bindir, artifact, weights, windows, mode, device, batch):
    """(total NLL, scored tokens) of `windows` [n, T] by photon-run --score-ids, in calls of
    IDS_PER_CALL ids."""
    total, count = 0.0, 0
    per_call = max(1, IDS_PER_CALL // windows.shape[1])
    for first in range(0, len(windows), per_call):
        ids = ",".join(map(str, windows[first:first + per_call].reshape(-1).tolist()))
        out = subprocess.run(
            [os.path.join(bindir, "photon-run"), artifact, "--weights", weights, "--mode", mode,
             "--device", device, "--score-ids", ids, "--score-context", str(CONTEXT),
             "--score-length", str(windows.shape[1] - CONTEXT), "--score-stride", str(windows.shape[1]),
             "--batch", str(batch), "--output", "json", "-q"],
            capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        total += r["total_nll"]
        count += r["scored_tokens"]
    return total, count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "artifacts", "demo-score"),
                    help="where the artifacts are compiled")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batch", type=int, default=16, help="windows per photon-run call's batch")
    ap.add_argument("--every", type=int, default=16, help="score every K-th window (1: all)")
    ap.add_argument("--reference", type=int, default=3, help="reference windows per setting (0: none)")
    ap.add_argument("--torch-results", default=os.path.join(DEMO, "train-results.json"),
                    help="train.py's results.json, for its column (default: the shipped one)")
    ap.add_argument("--json", help="write the numbers here")
    a = ap.parse_args()

    windows = np.load(os.path.join(DEMO, "heldout-windows.npy")).astype(np.int64)
    subset = windows[::a.every]
    torch_loss = {}
    if a.torch_results:
        with open(a.torch_results) as f:
            torch_loss = {k: v["loss_scored"] for k, v in json.load(f)["heldout"].items()}
    os.makedirs(a.work, exist_ok=True)
    rows = []
    for label, model, mode, key in SETTINGS:
        cfg_path = os.path.join(DEMO, f"demo-{model}.json")
        wpath = os.path.join(DEMO, f"demo-{model}.safetensors")
        artifact = os.path.join(a.work, f"{model}-{a.device}")
        if not os.path.exists(os.path.join(artifact, "model.json")):
            subprocess.run([os.path.join(a.bin, "photon-compile"), cfg_path, "-o", artifact, "-q",
                            f"--target={a.device}"], check=True)
        t0 = time.time()
        nll, n = photon_run_score(a.bin, artifact, wpath, subset, mode, a.device, a.batch)
        row = {"setting": label, "windows": len(subset), "scored_tokens": n, "photon_run": nll / n,
               "photon_run_seconds": round(time.time() - t0, 1), "torch_all_windows": torch_loss.get(key)}
        if a.reference:
            cfg = pr.load_config(cfg_path)
            weights = pr.load_safetensors(wpath)[0]
            few = subset[:a.reference]
            ref = [pr.scored_nll(cfg, weights, w, CONTEXT, mode) for w in few]
            ref_mean = sum(r[0] for r in ref) / sum(r[1] for r in ref)
            mine, m = photon_run_score(a.bin, artifact, wpath, few, mode, a.device, a.batch)
            row.update(reference_windows=len(few), reference=ref_mean, photon_run_same_windows=mine / m,
                       rel_diff=abs(mine / m - ref_mean) / abs(ref_mean))
        rows.append(row)
        print(json.dumps(row), flush=True)

    print(f"\nheld-out loss, nats/token (windows 0, {a.every}, ... of {len(windows)}; "
          f"tokens {CONTEXT}..255 of each):")
    print("| setting | photon-run --score | train.py (torch, all windows) | "
          "reference / photon-run, first windows (rel. diff) |")
    print("|---|---|---|---|")
    for r in rows:
        t = f"{r['torch_all_windows']:.4f}" if r["torch_all_windows"] is not None else "-"
        ref = (f"{r['reference']:.6f} / {r['photon_run_same_windows']:.6f} ({r['rel_diff']:.1e})"
               if "reference" in r else "-")
        print(f"| {r['setting']} | {r['photon_run']:.4f} | {t} | {ref} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"every": a.every, "device": a.device, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
