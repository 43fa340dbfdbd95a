#!/usr/bin/env python3
"""Photon benchmark: prefill and decode throughput, memory per sequence, and
the HBM roofline of each decode step, for compiled models on one GPU (or the
CPU). Runs photon-run (no MLIR needed) on artifacts built by photon-compile.

  bench/bench.py --bin build/bin --artifacts .device/artifacts --device cuda \
      --models vanilla-600m block-600m photon-600m --out bench/results.json

Each artifact directory is <artifacts>/<model>; weights are photon-run's seeded
synthetic ones in the artifact's dtype. Regimes (the paper's):
  prefill-heavy  2048-token prompt, 128 generated
  decode-heavy    128-token prompt, 2048 generated
The roofline time of a decode step is the longer of two: the bytes a step
must read at least (every weight the step's stacks touch, amortised over the
tokens it produces, plus the KV entries it attends to) divided by the GPU's HBM
bandwidth, and, where the artifact has a schedule.json, the step's matrix flops
(photon-schedule-report's count, per token) divided by the GPU's dense bf16
matrix rate. "% roof" is that time over the measured one, and "bound" says
which of the two it is (large batches are compute-bound).

Where an artifact has a schedule.json (photon-compile --schedule-report,
written at compile time: this machine needs no MLIR), each row also shows the
predicted decode tok/s of photon-schedule-report for the same batch, at the
compiled context nearest the run's mean context (prompt + generated / 2),
and measured / predicted (docs/scheduling.md).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

REGIMES = {"prefill-heavy": (2048, 128), "decode-heavy": (128, 2048)}


def regime_arg(regime):
    regime_lengths(regime)  # argparse reports a bad one
    return regime


def regime_lengths(regime):
    """(prompt, generated) tokens of a named regime or of 'P+N' (e.g. 1984+256: decode
    time against context, for sweeps)."""
    if regime in REGIMES:
        return REGIMES[regime]
    p, plus, n = regime.partition("+")
    if plus and p.isdigit() and n.isdigit() and int(p) > 0:
        return int(p), int(n)
    raise argparse.ArgumentTypeError(f"unknown regime '{regime}' (expected one of "
                                     f"{', '.join(REGIMES)} or PROMPT+NEW, e.g. 1984+256)")

# HBM bandwidth by device name (bytes/s): the H200's is the device-to-device copy rate
# measured on this workplace's H200s (4.3 TB/s, read + written; the datasheet says 4.8);
# the others are datasheet peaks.
HBM_BANDWIDTH = [("H200", 4.3e12), ("H100 PCIe", 2.0e12), ("H100", 3.35e12),
                 ("A100", 2.0e12)]
# Dense bf16 matrix rate by device name (flop/s): the H200's is what torch.matmul
# of 8192^3 sustains on this workplace's H200s (773-793 TFLOP/s, docs/perf.md; the
# datasheet says 989); the others are datasheet peaks.
MATRIX_RATE = [("H200", 790e12), ("H100 PCIe", 756e12), ("H100", 989e12), ("A100", 312e12)]


def gpu_name():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[0]
    except Exception:
        return "unknown"


def device_memory(device):
    """Bytes of GPU memory (16 GiB assumed for cpu runs; cap them with --max-batch-limit)."""
    if device == "cuda":
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=30)
            return float(out.stdout.strip().splitlines()[0]) * 2**20
        except Exception:
            pass
    return 16 * 2**30


def device_rate(name, table):
    """The rate `table` (HBM_BANDWIDTH, MATRIX_RATE) gives the device `name`."""
    for key, rate in table:
        if key in name:
            return rate
    return None


def roofline(step_bytes, step_flops, bandwidth, matrix_rate, measured_ms):
    """The step's roofline: the longer of its bytes at `bandwidth` and (where
    known) its flops at `matrix_rate`; which bound that is, and the roofline
    time over the measured one. Nothing without a bandwidth (the CPU)."""
    if not bandwidth:
        return {"roofline_memory_ms": None, "roofline_compute_ms": None,
                "roofline_step_ms": None, "roofline_bound": None, "roofline_fraction": None}
    memory_ms = step_bytes / bandwidth * 1e3
    compute_ms = step_flops / matrix_rate * 1e3 if step_flops and matrix_rate else None
    compute = compute_ms is not None and compute_ms > memory_ms
    roof_ms = compute_ms if compute else memory_ms
    return {"roofline_memory_ms": memory_ms, "roofline_compute_ms": compute_ms,
            "roofline_step_ms": roof_ms, "roofline_bound": "compute" if compute else "memory",
            "roofline_fraction": roof_ms / measured_ms if measured_ms else None}


def stack_bytes(cfg, layers, elt):
    d, f = cfg["d_model"], cfg["ffn_dim"]
    kv = cfg["n_kv_heads"] * d // cfg["n_heads"]
    return layers * (2 * d * d + 2 * kv * d + 3 * d * f + 2 * d) * elt + d * elt


def step_bytes(cfg, mode, context, batch, elt):
    """Least bytes one decode step (one new token for each of `batch`
    sequences at `context` tokens) reads: weights once per step, scaled by how
    often their stack runs per token; KV entries per sequence. A PHOTON
    meta-context's chunks at each level are decoded together (their latents
    come first, spec §4), so decoder l and, with decoder 1, the LM head run
    cs[l-1] times per meta-context of span[L] tokens, not once per level-(l-1)
    item."""
    d, v = cfg["d_model"], cfg["vocab_size"]
    kv_item_layer = 2 * cfg["n_kv_heads"] * (d // cfg["n_heads"]) * elt
    if cfg["model_type"] == "vanilla":
        w = stack_bytes(cfg, cfg["layers"], elt) + v * d * elt
        return w + batch * cfg["layers"] * context * kv_item_layer
    cs, rs = cfg["chunk_sizes"], cfg["prefix_lengths"]
    enc, dec = cfg["encoder_layers"], cfg["decoder_layers"]
    L = len(cs)
    span = [1]
    for c in cs:
        span.append(span[-1] * c)
    w = (cs[0] / span[L]) * v * d * elt  # LM head, with decoder 1
    kv = 0.0
    for l in range(1, L + 1):
        per_token = cs[l - 1] / span[L]  # decoder l's steps per meta-context
        w += per_token * stack_bytes(cfg, dec[l - 1], elt)
        w += (1.0 / span[l]) * rs[l - 1] * d * d * elt  # converter per level-l item
        if mode == "hiergen" or l == L:
            w += (1.0 / span[l]) * stack_bytes(cfg, enc[l - 1], elt)
            kv += (1.0 / span[l]) * enc[l - 1] * (context / span[l]) * kv_item_layer
            if l >= 2 or cfg.get("level1_chunker") == "linear":
                w += (1.0 / span[l]) * cs[l - 1] * d * d * elt
    return w + batch * kv


def load_schedule(art):
    """The compile-time predictions of an artifact (its first model), or None."""
    path = os.path.join(art, "schedule.json")
    if not os.path.exists(path):
        return None
    models = json.load(open(path)).get("models") or []
    return models[0] if models else None


def predicted(schedule, mode, batch, prompt_len, new_tokens):
    """photon-schedule-report's decode step for `batch` at the compiled context
    nearest prompt_len + new_tokens / 2, and its prefill of `batch` prompts of
    prompt_len tokens; None where the schedule has neither."""
    if not schedule:
        return None
    prog = next((p for p in schedule["programs"] if p["mode"] == mode), None)
    if prog is None:
        return None
    out = {}
    steps = [s for s in prog["steps"] if s["batch"] == batch]
    if steps:
        context = prompt_len + new_tokens / 2
        s = min(steps, key=lambda s: abs(s["context"] - context))
        out.update({"context": s["context"],
                    "decode_flops_per_token": s["totals"]["flops"] / prog["tokens_per_step"],
                    "decode_tokens_per_s": s["predicted_tokens_per_s"],
                    "decode_step_ms": s["predicted_s"] * 1e3 / prog["tokens_per_step"],
                    "launches_per_step": s["totals"]["launches"]})
    pre = [p for p in prog["prefill"] if p["batch"] == batch and p["prompt"] == prompt_len]
    if pre:
        out["prefill_tokens_per_s"] = pre[0]["predicted_tokens_per_s"]
    return out or None


def run(bin_dir, artifact, device, prompt_len, new_tokens, batch, mode, timeout, graphs=True,
        extra=()):
    rng = random.Random(prompt_len)
    prompt = ",".join(str(rng.randrange(1, 256)) for _ in range(prompt_len))
    cmd = [os.path.join(bin_dir, "photon-run"), artifact, "--device", device,
           "--synthetic-weights", "1", "--prompt-ids", prompt, "--batch", str(batch),
           "--max-new-tokens", str(new_tokens), "--mode", mode, "--output", "json", "-q"]
    if not graphs:
        cmd.append("--no-graphs")
    cmd += extra
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s", "wall_s": time.time() - t0}
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1],
                "wall_s": time.time() - t0}
    return json.loads(p.stdout)


def largest_batch(args, art, prompt_len, new_tokens, mode):
    """The largest batch whose run fits in GPU memory. Peak memory is linear
    in the batch once prefill fills its row chunks: two probe runs (batch 8
    and 16, the regime's lengths) give bytes per sequence and fixed bytes,
    and the estimate fills 95% of the device; a run that fails (out of
    memory) backs off by 5%. --max-batch-limit caps the measured batch (run
    time), not the estimate. Returns [(batch, result)]."""
    probes = {}
    for b in (8, 16):
        probes[b] = run(args.bin, art, args.device, prompt_len, new_tokens, b, mode, args.timeout,
                        extra=args.run_arg)
        if "error" in probes[b]:
            return [(b, probes[b])]
    peak = {b: r["memory"]["peak_bytes"] for b, r in probes.items()}
    per_seq = max((peak[16] - peak[8]) / 8, 1)
    fixed = peak[8] - 8 * per_seq
    estimate = int((0.95 * device_memory(args.device) - fixed) / per_seq)
    batch = min(estimate, args.max_batch_limit) if args.max_batch_limit else estimate
    tried = []
    while batch > 1 and len(tried) < 3:
        res = probes.get(batch) or run(args.bin, art, args.device, prompt_len, new_tokens, batch,
                                       mode, args.timeout, extra=args.run_arg)
        if "error" not in res:
            res["fit"] = {"estimate": estimate, "bytes_per_sequence": per_seq,
                          "fixed_bytes": fixed, "failed": tried}
            return [(batch, res)]
        print(f"  batch {batch}: {res['error']}", flush=True)
        tried.append({"batch": batch, "error": res["error"]})
        if "timed out" in res["error"]:
            break
        batch = int(batch * 0.95)
    return [(batch, {"error": "no batch ran: " + "; ".join(
        f"{t['batch']}: {t['error']}" for t in tried)})] if tried else []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory with photon-run")
    ap.add_argument("--artifacts", required=True, help="directory of compiled models")
    ap.add_argument("--models", nargs="+", default=["vanilla-600m", "block-600m", "photon-600m"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--regimes", nargs="+", default=list(REGIMES), type=regime_arg,
                    help="named regimes or PROMPT+NEW token counts (default: %(default)s)")
    ap.add_argument("--batches", default="1,max",
                    help="comma-separated batch sizes; 'max' = largest that fits")
    ap.add_argument("--modes", nargs="+", default=["hiergen", "recgen"],
                    help="generation programs to run (recgen only where the model has it)")
    ap.add_argument("--compare-graphs", action="store_true",
                    help="also run batch 1 with --no-graphs (launches and host time per step "
                         "with and without CUDA graphs)")
    ap.add_argument("--max-batch-limit", type=int, default=0,
                    help="cap of the measured largest batch (0: none; bounds the run time); "
                         "the table still shows the batch that fits")
    ap.add_argument("--budget-s", type=float, default=1e9,
                    help="start no new configuration after this many seconds")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    ap.add_argument("--scale", type=int, default=1,
                    help="divide the regimes' token counts by this (smoke tests)")
    ap.add_argument("--run-arg", action="append", default=[], metavar="ARG",
                    help="pass ARG to every photon-run (repeatable; e.g. "
                         "--run-arg=--no-overlap-steps), for A/B runs of runtime options")
    ap.add_argument("--out", default="bench/results.json")
    args = ap.parse_args()

    name = gpu_name() if args.device == "cuda" else "cpu"
    bw = device_rate(name, HBM_BANDWIDTH) if args.device == "cuda" else None
    rows = []
    t_start = time.time()
    for model in args.models:
        art = os.path.join(args.artifacts, model)
        manifest = json.load(open(os.path.join(art, "model.json")))
        cfg = manifest["config"]
        elt = {"f32": 4, "bf16": 2, "f16": 2}[manifest["weights"]["dtype"]]
        schedule = load_schedule(art)
        have = {p["mode"] for p in manifest["programs"]}
        modes = [m for m in args.modes if m in have]
        for regime in args.regimes:
            prompt_len, new_tokens = (n // args.scale for n in regime_lengths(regime))
            for mode in modes:
                if time.time() - t_start > args.budget_s:
                    rows.append({"model": model, "mode": mode, "regime": regime,
                                 "batch": None, "error": "skipped: --budget-s reached"})
                    print_row(rows[-1], header=len(rows) == 1)
                    continue
                # The listed batches; 'max' is the largest batch that fits.
                results = []
                for b in args.batches.split(","):
                    if b == "max":
                        if results and "error" not in results[0][1]:
                            results += largest_batch(args, art, prompt_len, new_tokens, mode)
                        continue
                    results.append((int(b), run(args.bin, art, args.device, prompt_len,
                                                new_tokens, int(b), mode, args.timeout,
                                                extra=args.run_arg)))
                    if int(b) == 1 and args.compare_graphs:
                        res = run(args.bin, art, args.device, prompt_len, new_tokens, 1, mode,
                                  args.timeout, graphs=False, extra=args.run_arg)
                        res["no_graphs"] = True
                        results.append((1, res))
                for batch, res in results:
                    row = {"model": model, "mode": mode, "regime": regime, "batch": batch,
                           "prompt": prompt_len, "generated": new_tokens, "device": name,
                           "run_args": args.run_arg,
                           "graphs": not res.get("no_graphs", False)}
                    if "error" in res:
                        row["error"] = res["error"]
                    else:
                        t, m = res["timings"], res["memory"]
                        step_s = t["decode_s"] / max(new_tokens, 1)
                        context = prompt_len + new_tokens / 2
                        rb = step_bytes(cfg, mode, context, batch, elt)
                        pred = predicted(schedule, mode, batch, prompt_len, new_tokens)
                        flops = (pred or {}).get("decode_flops_per_token")
                        row.update({
                            "prefill_tokens_per_s": t["prefill_tokens_per_s"],
                            "decode_tokens_per_s": t["decode_tokens_per_s"],
                            "decode_step_ms": step_s * 1e3,
                            "roofline_step_bytes": rb,
                            "roofline_step_flops": flops,
                            **roofline(rb, flops, bw, device_rate(name, MATRIX_RATE), step_s * 1e3),
                            "launches_per_step": t["launches_per_step"],
                            "host_us_per_step": t["host_s_per_step"] * 1e6,
                            "graphs": t["graphs"],
                            "bytes_per_sequence": m["bytes_per_sequence"],
                            "analytic_bytes_per_sequence": m["analytic_bytes_per_sequence"],
                            "state_bytes": m["state_bytes"],
                            "peak_bytes": m["peak_bytes"],
                        })
                        if "fit" in res:
                            row["fit"] = res["fit"]
                        if pred:
                            row["predicted"] = pred
                    rows.append(row)
                    print_row(row, header=len(rows) == 1)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    json.dump({"device": name, "hbm_bytes_per_s": bw, "date": time.strftime("%Y-%m-%d"),
               "results": rows}, open(args.out, "w"), indent=1)
    print(f"wrote {args.out}")


def print_row(r, header=False):
    if header:
        print(f"{'model':<13} {'mode':<8} {'regime':<14} {'batch':>5} {'graph':>5} {'fits':>6} "
              f"{'prefill tok/s':>13} {'decode tok/s':>12} {'ms/tok':>8} {'roofline':>8} {'% roof':>6} "
              f"{'bound':>7} "
              f"{'launch/step':>11} {'host us/step':>12} {'plan/seq':>10} {'analytic':>10} "
              f"{'peak GiB':>8} {'pred tok/s':>10} {'meas/pred':>9} {'pred launch':>11}")
    if "error" in r:
        print(f"{r['model']:<13} {r['mode']:<8} {r['regime']:<14} {str(r['batch']):>5}  error: {r['error']}")
        return
    roof = f"{r['roofline_step_ms']:.3f}" if r["roofline_step_ms"] is not None else "-"
    frac = r.get("roofline_fraction")
    pct = f"{100 * frac:.0f}" if frac else "-"
    fit = r.get("fit")
    fits = str(fit["estimate"]) if fit else "-"
    pred = r.get("predicted") or {}
    if "decode_tokens_per_s" in pred:
        pred_cols = (f"{pred['decode_tokens_per_s']:>10.1f} "
                     f"{r['decode_tokens_per_s'] / pred['decode_tokens_per_s']:>9.3f} "
                     f"{pred['launches_per_step']:>11}")
    else:
        pred_cols = f"{'-':>10} {'-':>9} {'-':>11}"
    print(f"{r['model']:<13} {r['mode']:<8} {r['regime']:<14} {r['batch']:>5} "
          f"{'yes' if r['graphs'] else 'no':>5} {fits:>6} "
          f"{r['prefill_tokens_per_s']:>13.1f} {r['decode_tokens_per_s']:>12.1f} "
          f"{r['decode_step_ms']:>8.3f} {roof:>8} {pct:>6} {r.get('roofline_bound') or '-':>7} "
          f"{r['launches_per_step']:>11} "
          f"{r['host_us_per_step']:>12.1f} {r['bytes_per_sequence']/2**20:>6.2f} MiB "
          f"{r['analytic_bytes_per_sequence']/2**20:>6.2f} MiB {r['peak_bytes']/2**30:>8.2f} "
          f"{pred_cols}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
