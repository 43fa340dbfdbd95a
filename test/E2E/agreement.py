#!/usr/bin/env -S /usr/bin/python3
"""End-to-end agreement: photon-compile + photon-run against the NumPy reference (spec §6).

For every tiny model (examples/tiny-*.json) this compiles the model, makes reference weights
(seed 1), and for each generation mode (hiergen; recgen for L >= 2), batch size (1 and 3) and
prompt length (1, B-1, B, B+1, 3B+2) runs photon-run with --prompt-ids --output json
--dump-logits, then checks against the reference's incremental generation in float64:
  * greedy tokens identical,
  * max|Δlogit| / max|ref logit| < 1e-4 at every generated position.
Kernel edge shapes (test/E2E/Inputs/edge/: widths, FFN and vocabularies off every tile, odd
head counts, GQA 1/3/4, 17 and on the GPU 65 prompts decoded together, 7-row stack chunks) are
checked the same way (--edge-only: only those).
The shipped demo models (models/demo/: trained bf16 weights, a held-out prompt, HierGen and RecGen,
its tokenizer.json, --score of held-out windows) are checked the same way. It also checks that HF
LLaMA names load (tiny-llama-hf, with and without a stored
rotary_emb.inv_freq, and with tied embeddings), a chunk-size-1 model whose decoder carries need
the full latent replay, that NaN logits never yield an invalid token id, and that bad input gives
exit code 1 and one "photon-run: error:" line.

  /usr/bin/python3 test/E2E/agreement.py [--bin build/bin] [--work DIR] [-v]

A sanitizer build of photon-run (scripts/test.sh) takes photon-run from another directory and
runs a subset: the models the sampling, NaN and bad-input cases need, plus bf16 activations:
  agreement.py --bin build/bin --run-bin build-san/bin --quick

On a GPU machine without MLIR, compile first where the compiler is, then run there:
  agreement.py --compile-only --device cuda --work .device/e2e     # here: artifacts only
  agreement.py --precompiled --device cuda --work .device/e2e --bin .device/bin   # there

Prints one line per case and finally `N passed, N failed`; exits 1 on any failure.
"""
import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "reference"))
import photonref as pr  # noqa: E402

TOL = 1e-4
MODELS = ["tiny-vanilla", "tiny-llama-hf", "tiny-block", "tiny-photon-l2", "tiny-photon-l3"]


class Harness:
    def __init__(self, bindir, work, verbose, device="cpu", mode="full", run_bin=None):
        self.bin, self.work, self.verbose = bindir, work, verbose
        self.photon_run_path = os.path.join(run_bin or bindir, "photon-run")
        self.device, self.mode = device, mode  # mode: full, compile-only, precompiled
        self.only = None  # a compiled regular expression: the model cases to run
        self.passed = self.failed = 0

    def report(self, ok, name, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)

    def run(self, args, check=True, timeout=None, stdin=None):
        p = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)
        if self.verbose:
            print("  $ " + " ".join(args), file=sys.stderr)
        if check and p.returncode != 0:
            raise RuntimeError(f"{os.path.basename(args[0])} exited {p.returncode}: {p.stderr.strip()}")
        return p

    def compile(self, cfg_path, name, weight_type="f32", activation_type="f32", extra=()):
        out = os.path.join(self.work, name)
        if self.mode != "precompiled":
            self.run([os.path.join(self.bin, "photon-compile"), cfg_path, "-o", out, "-q",
                      f"--weight-type={weight_type}", f"--activation-type={activation_type}",
                      f"--target={self.device}", *extra])
        return out

    def try_compile(self, cfg_path, name, *args):
        """compile(), or None after reporting the failure as the case `name compile`."""
        try:
            return self.compile(cfg_path, name, *args)
        except Exception as e:  # noqa: BLE001
            self.report(False, f"{name} compile", str(e))
            return None

    def photon_run(self, artifact, weights, prompts, n_new, mode, batch=None):
        """Runs photon-run; returns (tokens per sequence, logits [batch, n_new, V])."""
        npy = os.path.join(self.work, "logits.npy")
        args = [self.photon_run_path, artifact, "--weights", weights,
                "--max-new-tokens", str(n_new), "--mode", mode, "--output", "json",
                "--dump-logits", npy, "-q", "--device", self.device]
        for p in prompts:
            args += ["--prompt-ids", ",".join(map(str, p))]
        if batch is not None:
            args += ["--batch", str(batch)]
        p = self.run(args)
        out = json.loads(p.stdout)
        return out["tokens"], np.load(npy)


def measure(a, b):
    """Spec §6 per position: max|a-b| / max|b| over the vocabulary; the worst position's value."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    num = np.abs(a - b).max(axis=-1)
    den = np.abs(b).max(axis=-1)
    return float(np.max(np.where(num == 0, 0.0, num / np.maximum(den, 1e-300))))


def bf16_agreement(logits, ref_logits, toks, ref_toks, B):
    """Spec §6 for bf16 activations, over the first two generated meta-contexts: at every
    position both runs share, max|Δ|/max|ref| < 1e-1; the greedy tokens must agree unless the
    reference's top-2 gap there is under 5% of max|logit|, where they may diverge (and nothing
    after a divergence is compared). Returns (ok, detail)."""
    span = min(len(ref_toks), 2 * max(B, 4))
    worst = 0.0
    for n in range(span):
        ref = np.asarray(ref_logits[n], np.float64)
        err = measure(logits[n], ref)
        worst = max(worst, err)
        if err >= 1e-1:
            return False, f"position {n}: err {err:.2e} >= 1e-1"
        if toks[n] != ref_toks[n]:
            top2 = np.sort(ref)[-2:]
            if top2[1] - top2[0] < 0.05 * np.abs(ref).max():
                return True, f"err {worst:.2e} over {n + 1} positions; diverged at a near-tie"
            return False, f"position {n}: token {toks[n]} != reference {ref_toks[n]} (no near-tie)"
    return True, f"err {worst:.2e} over {span} positions"


def check_agreement(h, model_name, cfg, artifact, weights_path, weights, prompts_by_len, n_new, worst,
                    bf16=False, row_batches=()):
    """All modes x batch sizes for one compiled model; `bf16`: bf16 activations (spec §6
    bf16 rules instead of the f32 bound); `row_batches`: also decode that many distinct
    prompts together (rows that are no multiple of a kernel's tile)."""
    L = cfg.L
    modes = ["hiergen"] + (["recgen"] if L >= 2 else [])
    ref_model = pr.Model(cfg, weights, "f64")
    lengths = sorted(prompts_by_len)
    for mode in modes:
        ref = {P: ref_model.generate_one(prompts_by_len[P], n_new, mode) for P in lengths}

        def judge(toks, logits, reference):
            """(ok, detail) of one sequence against its reference's (tokens, logits)."""
            rt, rl = reference
            if bf16:
                return bf16_agreement(logits, rl, list(toks), list(rt), 1 if cfg.vanilla else cfg.B)
            err = measure(logits, rl)
            same = list(toks) == list(rt)
            worst[0] = max(worst[0], err)
            detail = f"err {err:.2e}" + ("" if same else f", tokens differ: got {list(toks)[:12]}.. ref {list(rt)[:12]}..")
            return same and err < TOL, detail

        def compare(tag, P, toks, logits):
            ok, detail = judge(toks, logits, ref[P])
            h.report(ok, f"{model_name} {mode} {tag} P={P}", detail)

        # Batch 1: one call per prompt length.
        for P in lengths:
            try:
                toks, logits = h.photon_run(artifact, weights_path, [prompts_by_len[P]], n_new, mode)
                compare("batch=1", P, toks[0], logits[0])
            except Exception as e:  # noqa: BLE001
                h.report(False, f"{model_name} {mode} batch=1 P={P}", str(e))
        # Batch 3: three different prompt lengths per call (every length at least once).
        groups = [lengths[i:i + 3] for i in range(0, len(lengths), 3)]
        for grp in groups:
            grp = (grp + lengths)[:3]
            try:
                toks, logits = h.photon_run(artifact, weights_path, [prompts_by_len[P] for P in grp], n_new, mode)
                for i, P in enumerate(grp):
                    compare(f"batch=3[{i}]", P, toks[i], logits[i])
            except Exception as e:  # noqa: BLE001
                h.report(False, f"{model_name} {mode} batch=3 {grp}", str(e))
        # --batch 3: three copies of one prompt decoded together.
        P = lengths[-1]
        try:
            toks, logits = h.photon_run(artifact, weights_path, [prompts_by_len[P]], n_new, mode, batch=3)
            for i in range(3):
                compare(f"--batch=3[{i}]", P, toks[i], logits[i])
        except Exception as e:  # noqa: BLE001
            h.report(False, f"{model_name} {mode} --batch=3 P={P}", str(e))
        # n distinct prompts of every length in turn, decoded together: the rows of each
        # projection, norm and attention call fill no tile (GEMV up to 16 rows, tensor
        # cores from 17, 64-row tiles), and every row must match its own reference.
        for n in row_batches:
            gen = np.random.default_rng(n)
            picked = [[int(t) for t in gen.integers(0, cfg.vocab_size, lengths[i % len(lengths)])]
                      for i in range(n)]
            name = f"{model_name} {mode} {n} prompts together"
            try:
                toks, logits = h.photon_run(artifact, weights_path, picked, n_new, mode)
                results = [judge(toks[i], logits[i], ref_model.generate_one(p, n_new, mode))
                           for i, p in enumerate(picked)]
                bad = [(i, d) for i, (ok, d) in enumerate(results) if not ok]
                h.report(not bad, name, f"row {bad[0][0]} (P={len(picked[bad[0][0]])}): {bad[0][1]}"
                         if bad else f"{n} rows, P in {sorted({len(p) for p in picked})}")
            except Exception as e:  # noqa: BLE001
                h.report(False, name, str(e))


def model_case(h, cfg_path, name, worst, rng, save=None, extra_lengths=(), weight_type="f32",
               activation_type="f32", compile_args=(), row_batches=()):
    """weight_type: the artifact's weight arena type; the reference weights are drawn exact in
    that type (bf16 / f16 values), so the f32-computing kernels see exactly the reference's
    weights and the f32 bound applies."""
    cfg = pr.load_config(cfg_path)
    B = 1 if cfg.vanilla else cfg.B
    n_new = max(2 * B + 3, 8)
    lengths = sorted({P for P in (1, B - 1, B, B + 1, 3 * B + 2, *(k * B for k in extra_lengths)) if P >= 1})
    # Drawn first: a case's prompts do not depend on which cases ran before it
    # (--only, a failed compile).
    prompts = {P: [int(t) for t in rng.integers(0, cfg.vocab_size, P)] for P in lengths}
    if h.only and not h.only.search(name):
        return None
    artifact = h.try_compile(cfg_path, name, weight_type, activation_type, compile_args)
    if artifact is None or h.mode == "compile-only":
        return None
    weights = pr.init_weights(cfg, seed=1, dtype=weight_type)
    wpath = os.path.join(h.work, name + ".safetensors")
    (save or (lambda p, w: pr.save_safetensors(p, w, weight_type)))(wpath, weights)
    check_agreement(h, name, cfg, artifact, wpath, weights, prompts, n_new, worst,
                    bf16=activation_type == "bf16", row_batches=row_batches)
    return artifact, wpath


def hf_directory_case(h, worst, rng):
    """A checkpoint directory as transformers 5.x save_pretrained writes it: config.json with
    `dtype` and `rope_parameters`, the weights in two shards listed by
    model.safetensors.index.json. photon-compile takes the directory, photon-run --weights too."""
    name = "tiny-llama-hf-dir"
    base = os.path.join(ROOT, "examples", "tiny-llama-hf.json")
    cfg = pr.load_config(base)
    prompts = {P: [int(t) for t in rng.integers(0, cfg.vocab_size, P)] for P in (1, 5)}
    if h.only and not h.only.search(name):
        return
    d = os.path.join(h.work, name + "-checkpoint")
    with open(base) as f:
        config = json.load(f)
    theta = config.pop("rope_theta", 10000.0)
    config.update(dtype="float32", transformers_version="5.17.0",
                  rope_parameters={"rope_type": "default", "rope_theta": theta})
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f)
    artifact = h.try_compile(d, name)
    if artifact is None or h.mode == "compile-only":
        return
    weights = pr.init_weights(cfg, seed=1, dtype="f32")
    names = sorted(weights)
    shards = {f"model-0000{i + 1}-of-00002.safetensors": names[i::2] for i in range(2)}
    for file, part in shards.items():
        pr.save_safetensors(os.path.join(d, file), {n: weights[n] for n in part}, "f32")
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": {n: file for file, part in shards.items()
                                                 for n in part}}, f)
    check_agreement(h, name, cfg, artifact, d, weights, prompts, 8, worst)


EDGE = os.path.join(ROOT, "test", "E2E", "Inputs", "edge")
EDGE_MODELS = ["edge-vanilla-mha", "edge-vanilla-gqa3", "edge-block-gqa3", "edge-photon-gqa4"]


def edge_shape_cases(h, worst, rng):
    """Kernel edge shapes (test/E2E/Inputs/edge/, tails of every tile): d_model 70, 88, 90
    and 132, ffn_dim 45, 77, 101 and 130, vocabularies of 201, 263, 300 and 333 (no
    multiple of 16 or 64; most not of 8), head_dim 14, 22 and 30, GQA ratios 1, 3 and 4,
    chunk sizes 3 and 2, a linear level-1 chunker of width 19. Each also decodes distinct
    prompts together: 17 rows (one past the GEMV's 16) and, on the GPU, 65 (one past a
    64-row tile). f32 on every device; on the GPU also bf16 activations (GEMVs up to 16
    rows, tensor cores from 17) and bf16 with every projection on tensor cores (-tc1:
    tails of 1..63 rows), and that with --wgmma-k-step=64; the tensor-core GEMVs also with
    8 and 4 warps a block (--gemv-tensor-core-warps), 3 output tiles a block
    (--gemv-tensor-core-tiles), 2 and 4 by shape on grids for one multiprocessor,
    inputs rounded to bf16 (--matmul-input-rounding=tensor-cores), the next K
    iteration's weight loads ahead at one warp a block, and the norm kernel's
    split rows from 8 rows, or no split rows (--gemv-norm-kernel-min-rows=0,
    --no-gemv-split-swiglu, --no-gemv-split-attention). One more compile splits every
    stack call into 7-row chunks (--max-rows=7): prefill and decode rows end in partial
    chunks."""
    rows = (17, 65) if h.device == "cuda" else (17,)
    for m in EDGE_MODELS:
        path = os.path.join(EDGE, m + ".json")
        model_case(h, path, m, worst, rng, row_batches=rows)
        if h.device == "cuda":
            # 11 rows: the tensor-core GEMV's second n-tile of 8 rows, partly filled.
            model_case(h, path, m + "-bf16-act", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=(11,) + rows)
            # Tensor-core GEMV blocks of 8 warps: these grids have fewer blocks than
            # SMs, so the default gives them 16.
            model_case(h, path, m + "-bf16-act-w8", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=(11,),
                       compile_args=("--gemv-tensor-core-warps=8",))
            # And of 4, which the default gives the fused-norm QKV and the
            # 16-row gate/up on grids of 1 to 3 blocks an SM (600M shapes).
            model_case(h, path, m + "-bf16-act-w4", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=(4, 11),
                       compile_args=("--gemv-tensor-core-warps=4",))
            # Blocks of 3 output tiles sharing each fragment of the rows
            # (--gemv-tensor-core-tiles): the last block of a range holds
            # tiles past it (4 rows: one n-tile; 11: two).
            model_case(h, path, m + "-bf16-act-tiles3", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=(4, 11),
                       compile_args=("--gemv-tensor-core-tiles=3",))
            # Grids sized for one multiprocessor: at 11 rows the split GEMVs take
            # output tiles a block by shape (--gemv-tensor-core-tiles=0). Of these
            # models only edge-photon-gqa4's widths (d_model 88) reach the
            # tensor-core GEMVs: 4 tiles a block for its LM head's 21 (the last
            # block partly past them), 2 for gate/up, o and down.
            model_case(h, path, m + "-bf16-act-sm1", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=(11,),
                       compile_args=("--multiprocessors=1",))
            # The tensor-core GEMVs' f32 inputs rounded to bf16, one MMA a product
            # (--matmul-input-rounding=tensor-cores; the fused norm's too).
            model_case(h, path, m + "-bf16-act-round-tc", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=(4, 11),
                       compile_args=("--matmul-input-rounding=tensor-cores",))
            if m == "edge-photon-gqa4":
                # The one model here whose widths reach the tensor-core GEMVs: the
                # norm kernel's split rows for the 8-row bucket too (4 rows); no
                # split rows at all (11 rows), the GEMVs applying the norm and
                # splitting SwiGLU's product and attention's output themselves; and
                # the weight loads of the next K iteration issued ahead.
                # Prompts from a copy of `rng`, so that later cases keep theirs.
                for suffix, args, batches in (
                        ("norm8", ("--gemv-norm-kernel-min-rows=8",), (4, 11)),
                        ("no-split", ("--gemv-norm-kernel-min-rows=0", "--no-gemv-split-swiglu",
                                      "--no-gemv-split-attention"), (11,)),
                        # The next K iteration's weight loads before this
                        # one's MMAs (gemv-tensor-core-prefetch, where one
                        # matrix and tile and no fused norm): one warp a
                        # block and one or two steps an iteration give 2-3
                        # iterations, the last ragged.
                        ("tcprefetch", ("--gemv-tensor-core-warps=1",
                                        "--gemv-loads-in-flight=2"), (4, 11))):
                    model_case(h, path, f"{m}-bf16-act-{suffix}", worst, copy.deepcopy(rng),
                               weight_type="bf16", activation_type="bf16",
                               row_batches=batches, compile_args=args)
            model_case(h, path, m + "-bf16-act-tc1", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=rows,
                       compile_args=("--tensor-core-min-rows=1", "--gemv-max-rows=0"))
            # The same with the wgmma GEMMs' K steps of 64 (128-byte swizzle; K tails of
            # 6 to 26 past a step).
            model_case(h, path, m + "-bf16-act-tc1-k64", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=rows,
                       compile_args=("--tensor-core-min-rows=1", "--gemv-max-rows=0",
                                     "--wgmma-k-step=64"))
            # And with tiles by TMA (--wgmma-tma; odd widths: boxes past M and K).
            model_case(h, path, m + "-bf16-act-tc1-tma", worst, rng, weight_type="bf16",
                       activation_type="bf16", row_batches=rows,
                       compile_args=("--tensor-core-min-rows=1", "--gemv-max-rows=0",
                                     "--wgmma-tma"))
    if h.device == "cuda":
        # The tiled prefill attention (fused capacity 0: every cache) on head_dim 30 (two
        # MMA steps, padded; 4-byte K/V loads) and 3 query heads per KV head, prompts of
        # 150 and 300 tokens (tiles of 64 rows with tails).
        model_case(h, os.path.join(EDGE, "edge-vanilla-gqa3.json"), "edge-vanilla-gqa3-bf16-act-tiled",
                   worst, rng, weight_type="bf16", activation_type="bf16", extra_lengths=(150, 300),
                   row_batches=(65,), compile_args=("--fused-attention-max-capacity=0",))
    model_case(h, os.path.join(EDGE, "edge-photon-gqa4.json"), "edge-photon-gqa4-rows7", worst,
               rng, compile_args=("--max-rows=7",), row_batches=(17,))
    if h.device == "cuda":
        # GEMVs over 2..16 rows give each warp 2 or 4 outputs once a projection has 1024
        # or more (the LM head's 2051: 4 a warp, the last warp's past 2050 clamped and not
        # stored; QKV's 1024 and gate/up's 1032: 2), the RMSNorm their prologue: 3, 6 and
        # 13 prompts decoded together take the 4-, 8- and 16-row kernels.
        path = os.path.join(EDGE, "edge-vanilla-wide-outputs.json")
        for act in ("bf16", "f32"):
            model_case(h, path, "edge-vanilla-wide-outputs-" + act + "-act", worst, rng,
                       weight_type="bf16", activation_type=act, row_batches=(3, 6, 13))
        # One-row GEMVs with bulk copies in blocks of 8 warps (--gemv-bulk-warps; the LM
        # head's 2051 outputs in 257 blocks, the last one's warps past them) and of 32,
        # which the 64 KB a block cuts to 16 for d_model 512's QKV, gate/up and down
        # (2 KB of rows a warp); d_model 88: blocks of 32 warps, most past the outputs.
        for warps in (8, 32):
            for m in ("edge-vanilla-wide-outputs", "edge-photon-gqa4"):
                model_case(h, os.path.join(EDGE, m + ".json"), f"{m}-bf16-act-bulk{warps}", worst,
                           rng, weight_type="bf16", activation_type="bf16",
                           compile_args=(f"--gemv-bulk-warps={warps}",))


def split_attention_cases(h, worst, wide_path):
    """cuda: split attention (flash-decoding: blocks over (split of positions, KV head, row),
    merged in their thread block cluster) on every stack, --fused-attention-max-capacity=0
    sending even the short caches there. tiny-photon-l2: encoders and decoders, GQA 2;
    tiny-vanilla-wide (GQA 5, head_dim 40): prompts of 150 and 300 tokens split over up to 4
    blocks per (row, KV head); f32 caches put the 5
    query heads in one block, bf16 a block per query head (16-byte vectors); edge shapes
    with a tail vector (head_dim 30 and 22, GQA 3 and 4), 17 and 65 prompts decoded together,
    the 150-token prompts split in two; the wide and GQA 3 models again with the splits
    and argmax's partials merged by their last block (--fuse-attention-combine,
    --fuse-argmax-combine: counted on the plan's semaphores); four vectors a lane; three
    steps' loads in flight; one-row calls without their deeper-prefetch kernel; thread block
    clusters of 8 blocks instead of 16, and the combine kernel instead of clusters; grids
    sized for 2 multiprocessors (one-block clusters); one-row calls without the L2 prefetch of
    their split's K/V rows before they wait for the previous kernel, and with their loads in
    flight staged in shared memory (cp.async) instead of registers; the steps' loads ahead
    under a branch (split and tiled attention).
    Prompts from their own generator, so the other cases' prompts do not change."""
    rng = np.random.default_rng(4321)
    # (--no-tiled-attention: prefill calls of more than 64 rows would take the tiled kernel.)
    split = ("--fused-attention-max-capacity=0", "--no-tiled-attention")
    model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l2.json"),
               "tiny-photon-l2-bf16-act-split", worst, rng, weight_type="bf16",
               activation_type="bf16", compile_args=split)
    model_case(h, wide_path, "tiny-vanilla-wide-split", worst, rng, extra_lengths=(150, 300),
               compile_args=split)
    model_case(h, wide_path, "tiny-vanilla-wide-bf16-act-split", worst, rng,
               extra_lengths=(150, 300), weight_type="bf16", activation_type="bf16",
               compile_args=split)
    gqa3 = os.path.join(EDGE, "edge-vanilla-gqa3.json")
    model_case(h, gqa3, "edge-vanilla-gqa3-split", worst, rng, extra_lengths=(150,),
               row_batches=(17, 65), compile_args=split)
    model_case(h, gqa3, "edge-vanilla-gqa3-bf16-act-split", worst, rng, extra_lengths=(150,),
               weight_type="bf16", activation_type="bf16", row_batches=(17, 65),
               compile_args=split)
    model_case(h, os.path.join(EDGE, "edge-photon-gqa4.json"), "edge-photon-gqa4-split", worst,
               rng, row_batches=(17, 65), compile_args=split)
    combine = split + ("--fuse-attention-combine", "--fuse-argmax-combine")
    model_case(h, wide_path, "tiny-vanilla-wide-bf16-act-split-lastblock", worst, rng,
               extra_lengths=(150, 300), weight_type="bf16", activation_type="bf16",
               compile_args=combine)
    model_case(h, gqa3, "edge-vanilla-gqa3-split-lastblock", worst, rng, extra_lengths=(150,),
               row_batches=(17, 65), compile_args=combine)
    # Four K/V vectors a lane (--split-attention-lane-vectors=4): a position on fewer lanes,
    # vectors past the head idle in the last lane (bf16 head_dim 40: 5 vectors of 8 on 2
    # lanes; head_dim 30: 15 vectors of 2 on 4 lanes, the 3 query heads in one block;
    # head_dim 22: 11 on 3 of 4 lanes, 4 query heads a block), on split attention and, in
    # PHOTON's short caches, the one-split kernels (a block, or a warp, per KV head group).
    vecs = ("--split-attention-lane-vectors=4",)

    def wide_and_gqa3_bf16(suffix, compile_args):
        model_case(h, wide_path, "tiny-vanilla-wide-bf16-act-split" + suffix, worst, rng,
                   extra_lengths=(150, 300), weight_type="bf16", activation_type="bf16",
                   compile_args=split + compile_args)
        model_case(h, gqa3, "edge-vanilla-gqa3-bf16-act-split" + suffix, worst, rng,
                   extra_lengths=(150,), weight_type="bf16", activation_type="bf16",
                   row_batches=(17, 65), compile_args=split + compile_args)
    wide_and_gqa3_bf16("-v4", vecs)
    model_case(h, os.path.join(EDGE, "edge-photon-gqa4.json"), "edge-photon-gqa4-bf16-act-v4",
               worst, rng, weight_type="bf16", activation_type="bf16", row_batches=(17,),
               compile_args=vecs)
    # Three loop steps' loads in flight (--split-attention-prefetch-steps=3): the splits of
    # the 300-token prompts are 1 to 3 steps of 32 positions, so some blocks load steps past
    # their range (position lo, unused).
    wide_and_gqa3_bf16("-p3", ("--split-attention-prefetch-steps=3",))
    # The default gives calls of one row (each prompt decoded alone) a kernel with four
    # steps' loads in flight; here they take the one of the other calls.
    wide_and_gqa3_bf16("-one-row-p1", ("--split-attention-one-row-prefetch-steps=1",))
    # The splits merge within a thread block cluster of up to 16 blocks (the default on
    # sm_90, a non-portable size the runtime opts in to; at the short prompts most of a
    # cluster's splits are empty); here clusters of 8, and the combine kernel after the splits.
    wide_and_gqa3_bf16("-cluster8", ("--split-attention-cluster-blocks=8",))
    wide_and_gqa3_bf16("-combine", ("--split-attention-cluster-blocks=0",))
    # Grids sized for 2 multiprocessors: 17 and 65 rows fill them without splitting, so
    # their clusters are of one block, which writes the output itself; and the GEMVs
    # of split inputs take 4-warp blocks.
    wide_and_gqa3_bf16("-sm2", ("--multiprocessors=2",))
    # One-row calls prefetch their split's K/V rows into L2 before they wait for the QKV
    # projection (the default under programmatic launch); here without.
    wide_and_gqa3_bf16("-no-l2-prefetch", ("--no-split-attention-l2-prefetch",))
    # One-row calls stage their loads in flight in 3 shared-memory stages
    # (--split-attention-one-row-stages=3), each lane copying its own vectors by cp.async:
    # 16 bytes (wide, bf16: L1 bypassed), 4 (gqa3, bf16) and 8 (gqa3, f32).
    stages = ("--split-attention-one-row-stages=3",)
    wide_and_gqa3_bf16("-stages3", stages)
    model_case(h, gqa3, "edge-vanilla-gqa3-split-stages3", worst, rng, extra_lengths=(150,),
               row_batches=(17, 65), compile_args=split + stages)
    # The loads a step carries ahead issued under a branch (--guard-register-prefetch), so
    # that LLVM keeps them ahead of the step that uses them: split attention at one row
    # (4 steps ahead) and at more (1), and the tiled prefill attention's next K/V tile.
    guard = ("--guard-register-prefetch",)
    wide_and_gqa3_bf16("-guard", guard)
    model_case(h, gqa3, "edge-vanilla-gqa3-bf16-act-tiled-guard", worst, rng, weight_type="bf16",
               activation_type="bf16", extra_lengths=(150, 300), row_batches=(65,),
               compile_args=("--fused-attention-max-capacity=0",) + guard)

DEMO = os.path.join(ROOT, "models", "demo")
# The first 32 tokens of held-out window 1 (models/demo/heldout-windows.npy[1]): " to denial of\n
# service or arbitrary code execution attacks. There are no known exploits\n    in the wild. The problem"
DEMO_PROMPT = [295, 297, 273, 777, 306, 266, 1872, 2978, 382, 3847, 3035, 535, 2915, 1102, 417, 83,
               14, 1205, 397, 617, 2031, 2165, 79, 1026, 266, 292, 272, 284, 751, 14, 393, 1808]
DEMO_PROMPT_TEXT = (" to denial of\n    service or arbitrary code execution attacks. There are no known "
                    "exploits\n    in the wild. The problem")


def shipped_model_cases(h, worst):
    """The trained demo models of models/demo/ (bf16 safetensors, compiled with an f32 weight arena:
    the kernels see the reference's bf16-exact weights, so the f32 bound applies): PHOTON HierGen and
    RecGen, Block and vanilla on a held-out prompt (lengths 17 and 32), greedy; the text of the prompt
    through tokenizer.json found next to the weights gives the same tokens; and photon-run --score of
    held-out windows (train.py's: 128 context + 128 scored tokens, --score-stride 256) equals the
    reference's loss."""
    for model in ("photon", "block", "vanilla"):
        name = f"demo-{model}"
        cfg_path = os.path.join(DEMO, name + ".json")
        wpath = os.path.join(DEMO, name + ".safetensors")
        artifact = h.try_compile(cfg_path, name)
        if artifact is None or h.mode == "compile-only":
            continue
        cfg = pr.load_config(cfg_path)
        weights = pr.load_safetensors(wpath)[0]
        check_agreement(h, name, cfg, artifact, wpath, weights, {17: DEMO_PROMPT[:17], 32: DEMO_PROMPT},
                        24, worst)
        if model != "photon":
            continue
        base = [h.photon_run_path, artifact, "--weights", wpath, "--max-new-tokens", "24", "--output",
                "json", "-q", "--device", h.device]
        by_ids = json.loads(h.run(base + ["--prompt-ids", ",".join(map(str, DEMO_PROMPT))]).stdout)
        by_text = json.loads(h.run(base + ["--prompt", DEMO_PROMPT_TEXT]).stdout)
        h.report(by_text["tokens"] == by_ids["tokens"] and by_text["prompt_tokens"] == [len(DEMO_PROMPT)]
                 and by_text["tokenizer"].endswith("tokenizer.json"),
                 f"{name}: text prompt through the tokenizer.json next to the weights",
                 f"{by_text['prompt_tokens']} prompt tokens, tokenizer {by_text['tokenizer']}")
        windows = np.load(os.path.join(DEMO, "heldout-windows.npy"))
        for mode, picked in (("hiergen", windows[1:3]), ("recgen", windows[1:2])):
            ref = [pr.scored_nll(cfg, weights, w, 128, mode) for w in picked]
            ref_nll = sum(r[0] for r in ref) / sum(r[1] for r in ref)
            out = json.loads(h.run(
                [h.photon_run_path, artifact, "--weights", wpath, "--mode", mode, "--device", h.device,
                 "--score-ids", ",".join(map(str, picked.reshape(-1).tolist())), "--score-context", "128",
                 "--score-length", "128", "--score-stride", "256", "--output", "json", "-q"]).stdout)
            err = abs(out["mean_nll"] - ref_nll) / abs(ref_nll)
            h.report(err < TOL and out["windows"] == len(picked) and out["scored_tokens"] == 128 * len(picked),
                     f"{name} {mode} --score of {len(picked)} held-out windows",
                     f"mean NLL {out['mean_nll']:.6f} vs reference {ref_nll:.6f} (rel {err:.1e}), "
                     f"{out['windows']} windows, {out['scored_tokens']} tokens")


def sampling_cases(h, arts):
    """The compiled sampling kernel: top-k=1 and a tiny top-p equal greedy; a seed reproduces;
    every sampled token lies in its top-k / top-p set (checked on the dumped logits)."""
    art, w = arts["tiny-photon-l2"]
    run = h.photon_run_path
    npy = os.path.join(h.work, "sampled-logits.npy")

    def tokens(*extra, dump=False, art=art, w=w, prompts=("1,2,3,4,5", "9,8,7")):
        args = [run, art, "--weights", w, "--max-new-tokens", "40", "--output", "json", "-q",
                "--device", h.device, *extra]
        for p in prompts:
            args += ["--prompt-ids", p]
        if dump:
            args += ["--dump-logits", npy]
        return json.loads(h.run(args).stdout)["tokens"]

    greedy = tokens()
    h.report(tokens("--temperature", "1", "--top-k", "1") == greedy, "sampling: top-k 1 is greedy")
    # A subnormal temperature is finite; in the kernel's f32 it is 0, i.e. greedy.
    h.report(tokens("--temperature", "1e-320") == greedy, "sampling: --temperature 1e-320 is greedy")
    h.report(tokens("--temperature", "1", "--top-p", "1e-6") == greedy, "sampling: tiny top-p is greedy")
    a = tokens("--temperature", "0.9", "--seed", "7")
    h.report(a == tokens("--temperature", "0.9", "--seed", "7") and
             a != tokens("--temperature", "0.9", "--seed", "8"), "sampling: seeds reproduce and differ")
    # Two sequences, then one (batch 1: on the GPU the kernels' grids shrink
    # to the rows of one sequence; tiny-vanilla chooses one row a step).
    batch1 = [("", {}), (" (batch 1)", {"prompts": ("1,2,3,4,5",)})]
    if "tiny-vanilla" in arts:
        va, vw = arts["tiny-vanilla"]
        batch1.append((" (tiny-vanilla, batch 1)", {"art": va, "w": vw, "prompts": ("1,2,3,4,5",)}))
    for where, how in batch1:
        greedy_here = tokens(**how)
        for name, extra, members in (
                ("top-k 5", ["--top-k", "5"], lambda l: set(np.argsort(-l)[:5])),
                ("top-p 0.6", ["--top-p", "0.6"], lambda l: nucleus(l, 0.6)),
                ("top-k 20 + top-p 0.8", ["--top-k", "20", "--top-p", "0.8"],
                 lambda l: set(np.argsort(-l)[:20]) & nucleus(l, 0.8))):
            toks = tokens("--temperature", "1", "--seed", "3", *extra, dump=True, **how)
            logits = np.load(npy)
            bad = [(s, n) for s, seq in enumerate(toks) for n, t in enumerate(seq)
                   if t not in members(logits[s, n].astype(np.float64))]
            h.report(not bad and toks != greedy_here, f"sampling: {name} tokens stay in the set{where}",
                     f"outside at {bad[:3]}" if bad else "")
        if where:
            h.report(tokens("--temperature", "1", "--top-k", "1", **how) == greedy_here,
                     f"sampling: top-k 1 is greedy{where}")
    # The token chunks one after another draw the uniforms of the same window
    # positions as in lockstep: the same tokens (on the CPU, whose kernels
    # compute a row alike whatever the rows beside it).
    if h.device == "cpu" and "tiny-photon-l3-sequential-chunks" in arts:
        for mode in ("hiergen", "recgen"):
            drawn = [tokens("--temperature", "1", "--seed", "3", "--top-k", "20", "--mode", mode,
                            art=a, w=aw) for a, aw in (arts["tiny-photon-l3"],
                                                       arts["tiny-photon-l3-sequential-chunks"])]
            h.report(drawn[0] == drawn[1], f"sampling: {mode}, token chunks one after another "
                     "draw as in lockstep", f"{drawn[0][0][:12]} vs {drawn[1][0][:12]}")
    left = [f for f in os.listdir(h.work) if f.startswith("sampled-logits.npy.")]
    h.report(not left, "--dump-logits leaves no temporary file", ", ".join(left))
    # LLVM-style spellings: --opt=value, --opt value, -opt value, -opt=value.
    spelled = [run, art, "-weights", w, "--prompt-ids=1,2,3,4,5", "-prompt-ids=9,8,7",
               "-max-new-tokens", "40", "--output=json", "-quiet", "-device=" + h.device]
    h.report(json.loads(h.run(spelled).stdout)["tokens"] == greedy,
             "options: -opt, -opt=value and --opt=value spellings")


def nan_cases(h, arts):
    """NaN logits (docs/design.md): a NaN counts as -inf in the compiled argmax and sampler, so
    no token id is -1 or out of range. One NaN row of lm_head.weight makes that token's logit
    NaN at every position: it is never chosen. An all-NaN lm_head.weight makes every logit NaN:
    greedy and sampled tokens are all 0."""
    art, w = arts["tiny-photon-l2"]
    run = h.photon_run_path
    npy = os.path.join(h.work, "nan-logits.npy")
    weights = pr.load_safetensors(w)[0]
    V = weights["lm_head.weight"].shape[0]
    bad_id = 7

    def tokens(path, *extra):
        args = [run, art, "--weights", path, "--prompt-ids", "1,2,3,4,5", "--prompt-ids", "9,8,7",
                "--max-new-tokens", "20", "--output", "json", "-q", "--device", h.device,
                "--dump-logits", npy, *extra]
        p = h.run(args, check=False)
        if p.returncode != 0:
            return None, p.stderr.strip()[:200]
        return json.loads(p.stdout)["tokens"], ""

    for name, rows in (("one NaN token", [bad_id]), ("all NaN", list(range(V)))):
        nan_w = dict(weights)
        head = np.array(weights["lm_head.weight"], dtype=np.float32)
        head[rows] = np.nan
        nan_w["lm_head.weight"] = head
        path = os.path.join(h.work, f"nan-{len(rows)}.safetensors")
        pr.save_safetensors(path, nan_w, "f32")
        for how, extra in (("greedy", []), ("sampled", ["--temperature", "1", "--seed", "3"]),
                           ("top-k 5", ["--temperature", "1", "--seed", "3", "--top-k", "5"]),
                           ("top-p 0.9", ["--temperature", "1", "--seed", "3", "--top-p", "0.9"])):
            toks, err = tokens(path, *extra)
            if toks is None:
                h.report(False, f"NaN logits: {name}, {how}", err)
                continue
            flat = [t for seq in toks for t in seq]
            exercised = bool(np.isnan(np.load(npy)[..., rows]).all())
            if len(rows) == V:
                ok, want = all(t == 0 for t in flat), "all 0"
            else:
                ok, want = all(0 <= t < V and t != bad_id for t in flat), f"in [0, {V}), never {bad_id}"
            h.report(ok and exercised, f"NaN logits: {name}, {how} tokens {want}",
                     "" if exercised else "the dumped logits are not NaN there")


def nucleus(logits, p):
    """The smallest set of largest logits whose softmax mass is at least p."""
    order = np.argsort(-logits)
    prob = np.exp(logits[order] - logits.max())
    prob /= prob.sum()
    keep = int(np.searchsorted(np.cumsum(prob), p * (1 - 1e-6))) + 1
    return set(order[:keep])


def bad_input_cases(h, arts):
    run = h.photon_run_path
    l2, l2w = arts["tiny-photon-l2"]
    block, blockw = arts["tiny-block"]

    def expect_error(name, args, needle=None):
        try:
            p = h.run([run] + args, check=False, timeout=60)
        except subprocess.TimeoutExpired:
            h.report(False, f"bad input: {name}", "photon-run did not finish in 60 s")
            return

        lines = [ln for ln in p.stderr.splitlines() if ln.startswith("photon-run: error:")]
        ok = p.returncode == 1 and len(lines) == 1 and "Traceback" not in p.stderr
        if ok and needle and needle.lower() not in p.stderr.lower():
            ok = False
        h.report(ok, f"bad input: {name}", (lines[0] if lines else f"exit {p.returncode}: {p.stderr.strip()[:200]}"))

    expect_error("missing weights file", [l2, "--weights", os.path.join(h.work, "nope.safetensors"), "--prompt-ids", "1,2"], "nope.safetensors")
    expect_error("weights of another model", [l2, "--weights", blockw, "--prompt-ids", "1,2"], "do not match")
    expect_error("empty --prompt-ids", [l2, "--weights", l2w, "--prompt-ids", ""], "empty")
    expect_error("empty --prompt", [l2, "--weights", l2w, "--prompt", ""], "empty")
    expect_error("out-of-range id", [l2, "--weights", l2w, "--prompt-ids", "1,256"], "256")
    expect_error("negative id", [l2, "--weights", l2w, "--prompt-ids", "-1"], "-1")
    expect_error("non-numeric id", [l2, "--weights", l2w, "--prompt-ids", "1,x"], "'x'")
    expect_error("recgen on block", [block, "--weights", blockw, "--prompt-ids", "1", "--mode", "recgen"], "recgen")
    expect_error("missing artifact", [os.path.join(h.work, "no-such-artifact"), "--weights", l2w, "--prompt-ids", "1"], "no-such-artifact")
    expect_error("unknown flag", [l2, "--weights", l2w, "--prompt-ids", "1", "--frobnicate"], "frobnicate")
    expect_error("bad --max-new-tokens", [l2, "--weights", l2w, "--prompt-ids", "1", "--max-new-tokens", "ten"], "max-new-tokens")
    expect_error("bad --top-p", [l2, "--weights", l2w, "--prompt-ids", "1", "--top-p", "1.5"], "top-p")
    expect_error("--device cuda without CUDA kernels", [l2, "--weights", l2w, "--prompt-ids", "1", "--device", "cuda"], "cuda")
    expect_error("no weights", [l2, "--prompt-ids", "1"], "weights")
    expect_error("--weights and --synthetic-weights", [l2, "--weights", l2w, "--synthetic-weights", "1",
                                                   "--prompt-ids", "1"], "exclusive")
    expect_error("no prompt", [l2, "--weights", l2w], "no prompt")
    expect_error("no artifact directory", ["--weights", l2w, "--prompt-ids", "1"], "no artifact")
    expect_error("two artifact directories", [l2, block, "--weights", l2w, "--prompt-ids", "1"],
                 "more than one")
    expect_error("bad --mode", [l2, "--weights", l2w, "--prompt-ids", "1", "--mode", "beam"], "--mode")
    expect_error("bad --batch", [l2, "--weights", l2w, "--prompt-ids", "1", "--batch", "0"], "--batch")
    expect_error("negative --temperature", [l2, "--weights", l2w, "--prompt-ids", "1",
                                            "--temperature", "-1"], "--temperature")
    expect_error("negative --top-k", [l2, "--weights", l2w, "--prompt-ids", "1", "--top-k", "-1"],
                 "--top-k")
    expect_error("bad --output", [l2, "--weights", l2w, "--prompt-ids", "1", "--output", "xml"],
                 "--output")
    expect_error("bad --device", [l2, "--weights", l2w, "--prompt-ids", "1", "--device", "tpu"],
                 "--device")
    # A header whose shape overflows 64 bits must not wrap around to a match.
    huge = os.path.join(h.work, "shape-overflow.safetensors")
    header = json.dumps({"w": {"dtype": "F32", "shape": [2**32, 2**32, 0], "data_offsets": [0, 0]}})
    with open(huge, "wb") as f:
        f.write(len(header).to_bytes(8, "little") + header.encode())
    expect_error("weights shape overflow", [l2, "--weights", huge, "--prompt-ids", "1"], "overflows")
    trunc = os.path.join(h.work, "truncated.safetensors")
    with open(l2w, "rb") as f:
        data = f.read()
    with open(trunc, "wb") as f:
        f.write(data[: len(data) // 2])
    expect_error("truncated weights file", [l2, "--weights", trunc, "--prompt-ids", "1"], "truncated.safetensors")
    def edited_manifest(name, edit):
        """A copy of the l2 artifact whose model.json `edit` changed."""
        d = os.path.join(h.work, name)
        shutil.copytree(l2, d)
        with open(os.path.join(d, "model.json")) as f:
            m = json.load(f)
        edit(m)
        with open(os.path.join(d, "model.json"), "w") as f:
            json.dump(m, f)
        return d

    bad = edited_manifest("bad-manifest", lambda m: m.update(version=99))
    expect_error("manifest version", [bad, "--weights", l2w, "--prompt-ids", "1"], "version")
    # The library says what it was compiled for; an edited manifest is refused.
    act = edited_manifest("edited-activation", lambda m: m.update(activation_type="bf16"))
    expect_error("edited activation_type", [act, "--weights", l2w, "--prompt-ids", "1"],
                 "compiled for activation_type = f32")
    tps = edited_manifest("edited-tokens-per-step",
                          lambda m: m["programs"][0].update(tokens_per_step=4))
    expect_error("edited tokens_per_step", [tps, "--weights", l2w, "--prompt-ids", "1"],
                 "compiled for programs[0]")
    region = edited_manifest("edited-region",
                             lambda m: m["programs"][1]["regions"][4].update(per_step=1))
    expect_error("edited state region", [region, "--weights", l2w, "--prompt-ids", "1"],
                 "compiled for programs[1].regions[4]")
    fp = edited_manifest("edited-fingerprint", lambda m: m.update(fingerprint=m["fingerprint"] ^ 1))
    expect_error("edited fingerprint", [fp, "--weights", l2w, "--prompt-ids", "1"],
                 "compiled for fingerprint")
    garbage = os.path.join(h.work, "garbage-manifest")
    shutil.copytree(l2, garbage)
    with open(os.path.join(garbage, "model.json"), "w") as f:
        f.write('{"format": "photon-artifact", "version": ')
    expect_error("manifest not JSON", [garbage, "--weights", l2w, "--prompt-ids", "1"], "model.json")
    nolib = os.path.join(h.work, "no-library")
    shutil.copytree(l2, nolib)
    os.remove(os.path.join(nolib, "kernels-cpu.so"))
    expect_error("missing kernel library", [nolib, "--weights", l2w, "--prompt-ids", "1"],
                 "kernels-cpu.so")
    cut = os.path.join(h.work, "truncated-library")  # an interrupted copy of the library
    shutil.copytree(l2, cut)
    lib = os.path.join(cut, "kernels-cpu.so")
    os.truncate(lib, os.path.getsize(lib) // 2)
    expect_error("truncated kernel library", [cut, "--weights", l2w, "--prompt-ids", "1"],
                 "kernels-cpu.so")
    mixed = os.path.join(h.work, "mixed-artifact")  # the l2 manifest with the block's kernels
    shutil.copytree(l2, mixed)
    shutil.copy(os.path.join(block, "kernels-cpu.so"), os.path.join(mixed, "kernels-cpu.so"))
    expect_error("kernels of another model", [mixed, "--weights", l2w, "--prompt-ids", "1"],
                 "compiled for")
    # A FIFO used to block the weights' open() forever.
    fifo = os.path.join(h.work, "weights.fifo")
    os.mkfifo(fifo)
    expect_error("--weights on a FIFO", [l2, "--weights", fifo, "--prompt-ids", "1"], "FIFO")
    expect_error("--weights on a directory", [l2, "--weights", h.work, "--prompt-ids", "1"],
                 "directory")
    expect_error("--weights= (empty)", [l2, "--weights=", "--prompt-ids", "1"], "empty path")
    expect_error("--temperature overflow", [l2, "--weights", l2w, "--prompt-ids", "1",
                                            "--temperature", "1e999"], "finite")
    # A failed run must not truncate an existing --dump-logits file.
    dump_dir = os.path.join(h.work, "dump")
    os.makedirs(dump_dir)
    old = os.path.join(dump_dir, "logits.npy")
    with open(old, "w") as f:
        f.write("previous")
    expect_error("--dump-logits with bad weights", [l2, "--weights", blockw, "--prompt-ids", "1",
                                                    "--dump-logits", old], "do not match")
    with open(old) as f:
        kept = f.read()
    h.report(kept == "previous" and os.listdir(dump_dir) == ["logits.npy"],
             "bad input: a failed run keeps the old --dump-logits file",
             f"now {kept[:20]!r}, files {os.listdir(dump_dir)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("PHOTON_BIN", os.path.join(ROOT, "build", "bin")),
                    help="directory with photon-compile and photon-run (default: build/bin or $PHOTON_BIN)")
    ap.add_argument("--run-bin", help="directory with photon-run, when it is not --bin's (a sanitizer build)")
    ap.add_argument("--quick", action="store_true",
                    help="only tiny-block, tiny-photon-l2 (f32 and bf16 activations) and the "
                         "sampling, NaN and bad-input cases")
    ap.add_argument("--demo-only", action="store_true", help="only the shipped demo models (models/demo/)")
    ap.add_argument("--edge-only", action="store_true",
                    help="only the kernel edge-shape models (test/E2E/Inputs/edge/)")
    ap.add_argument("--only", metavar="REGEX",
                    help="only the model cases whose artifact name matches (no shipped models, "
                         "sampling, NaN or bad-input cases), e.g. 'fused-launches|act-tiled'")
    ap.add_argument("--work", help="scratch directory (default: a temporary one, removed at the end)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="where photon-run runs (artifacts are compiled for it)")
    phase = ap.add_mutually_exclusive_group()
    phase.add_argument("--compile-only", action="store_true",
                       help="only compile every artifact into --work")
    phase.add_argument("--precompiled", action="store_true",
                       help="use the artifacts already in --work (no photon-compile)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if (args.compile_only or args.precompiled) and not args.work:
        print("agreement.py: error: --compile-only/--precompiled need --work", file=sys.stderr)
        return 2
    tools = ("photon-compile",) if args.compile_only else \
        ("photon-run",) if args.precompiled else ("photon-compile", "photon-run")
    for tool in tools:
        where = args.run_bin if tool == "photon-run" and args.run_bin else args.bin
        if not os.access(os.path.join(where, tool), os.X_OK):
            print(f"agreement.py: error: {tool} not found in {where} (use --bin or --run-bin)",
                  file=sys.stderr)
            return 2
    work = args.work or tempfile.mkdtemp(prefix="photon-e2e-")
    os.makedirs(work, exist_ok=True)
    mode = "compile-only" if args.compile_only else "precompiled" if args.precompiled else "full"
    h = Harness(os.path.abspath(args.bin), work, args.verbose, args.device, mode,
                os.path.abspath(args.run_bin) if args.run_bin else None)
    if args.only:
        h.only = re.compile(args.only)
    t0 = time.time()
    worst = [0.0]
    rng = np.random.default_rng(1234)
    arts = {}
    try:
        if args.demo_only or args.edge_only:
            if args.demo_only:
                shipped_model_cases(h, worst)
            else:
                edge_shape_cases(h, worst, rng)
            print(f"worst logit error {worst[0]:.2e} (bound {TOL:g}); {time.time() - t0:.1f} s")
            print(f"{h.passed} passed, {h.failed} failed")
            return 1 if h.failed else 0
        for name in (["tiny-block", "tiny-photon-l2"] if args.quick else MODELS):
            r = model_case(h, os.path.join(ROOT, "examples", name + ".json"), name, worst, rng)
            if r:
                arts[name] = r

        if args.quick:
            model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l2.json"),
                       "tiny-photon-l2-bf16-act", worst, rng, weight_type="bf16",
                       activation_type="bf16")
        else:
            # HF LLaMA checkpoints: a stored rotary_emb.inv_freq is ignored; tied embeddings load
            # without (or with) lm_head.weight.
            def save_with_inv_freq(path, w):
                w = dict(w)
                cfg = pr.load_config(os.path.join(ROOT, "examples", "tiny-llama-hf.json"))
                hd = cfg.head_dim
                for i in range(cfg.layers):
                    w[f"model.layers.{i}.self_attn.rotary_emb.inv_freq"] = (
                        1.0 / cfg.rope_theta ** (np.arange(0, hd, 2) / hd)).astype(np.float32)
                pr.save_safetensors(path, w, "f32")
            model_case(h, os.path.join(ROOT, "examples", "tiny-llama-hf.json"), "tiny-llama-hf-inv-freq", worst, rng,
                       save=save_with_inv_freq)
            with open(os.path.join(ROOT, "examples", "tiny-llama-hf.json")) as f:
                tied = json.load(f)
            tied["tie_word_embeddings"] = True
            tied_path = os.path.join(work, "tiny-llama-hf-tied.json")
            with open(tied_path, "w") as f:
                json.dump(tied, f)
            model_case(h, tied_path, "tiny-llama-hf-tied", worst, rng)
            hf_directory_case(h, worst, rng)
            # Chunk size 1 at the top: the prefill carries need the whole latent chain (reference
            # README, `_carries_local`); it shows with a prompt of >= 2 whole meta-contexts whose
            # first generated token opens a token chunk (P = 2B, 3B).
            with open(os.path.join(ROOT, "examples", "tiny-photon-l3.json")) as f:
                c1 = json.load(f)
            c1["chunk_sizes"] = [2, 2, 1]
            c1_path = os.path.join(work, "tiny-photon-221.json")
            with open(c1_path, "w") as f:
                json.dump(c1, f)
            model_case(h, c1_path, "tiny-photon-221", worst, rng, extra_lengths=(2, 3))
            # RecGen's step decodes the next meta-context's latents beside its tokens by
            # default (on the GPU on a second stream); here it decodes its own first. And
            # the lookahead over decode tiles of 16 sequences: 19 prompts are two tiles whose
            # next conditions wait beside each other until the step ends.
            l3 = os.path.join(ROOT, "examples", "tiny-photon-l3.json")
            model_case(h, l3, "tiny-photon-l3-no-lookahead", worst, rng,
                       compile_args=("--no-latent-lookahead",))
            model_case(h, c1_path, "tiny-photon-221-no-lookahead", worst, rng, extra_lengths=(2, 3),
                       compile_args=("--no-latent-lookahead",))
            # A meta-context's token chunks one after another (--no-fuse-token-chunks): with
            # the latent chain ahead, and in its step. (Their own prompts: the later cases'
            # stay as they were.)
            r = model_case(h, l3, "tiny-photon-l3-sequential-chunks", worst, np.random.default_rng(73),
                           compile_args=("--no-fuse-token-chunks",))
            if r:
                arts["tiny-photon-l3-sequential-chunks"] = r
            model_case(h, c1_path, "tiny-photon-221-sequential-chunks-no-lookahead", worst,
                       np.random.default_rng(74), extra_lengths=(2, 3),
                       compile_args=("--no-fuse-token-chunks", "--no-latent-lookahead"))
            # ... and over two decode tiles of 16 (19 prompts, as below): the second tile's
            # chunks gather their conditions from its own rows.
            model_case(h, os.path.join(EDGE, "edge-photon-gqa4.json"),
                       "edge-photon-gqa4-tile16-sequential-chunks", worst, np.random.default_rng(75),
                       row_batches=(19,), compile_args=("--decode-tile=16", "--no-fuse-token-chunks"))
            # (19 prompts: the second tile's 17 and 18 have complete meta-contexts, so their
            # latents differ from the first tile's and a tile that read another's shows.)
            model_case(h, os.path.join(EDGE, "edge-photon-gqa4.json"), "edge-photon-gqa4-tile16",
                       worst, rng, row_batches=(19,), compile_args=("--decode-tile=16",))

            # A bf16 weight arena (bf16 file; kernels widen to f32) and an f16 one.
            model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l2.json"), "tiny-photon-l2-bf16", worst,
                       rng, weight_type="bf16")
            model_case(h, os.path.join(ROOT, "examples", "tiny-vanilla.json"), "tiny-vanilla-f16", worst,
                       rng, weight_type="f16")
            # bf16 weights and activations (f32 accumulation) against the reference on the same
            # bf16 weights, under spec §6's bf16 rules.
            # On the GPU projections over 1..16 rows are GEMVs (vector loads; 2..16 rows on
            # tensor cores), over more rows tensor-core GEMMs; the "-tc1" variants send every projection
            # to tensor cores (tails of 1..63 rows and outputs), the "-warp" variant keeps the
            # warp-per-output projections, warp-per-row norms, argmax and sampling, plain stream
            # order (no programmatic launch), and the unfused
            # attention (scores, softmax, output) and RoPE / cache-write kernels; the
            # "-unfused" variant keeps the GEMVs with every fusion off (separate Q, K, V
            # and gate, up, SwiGLU kernels, norm kernels, attention and RoPE / cache write
            # unfused).
            for m in ("tiny-vanilla", "tiny-photon-l2", "tiny-photon-l3"):
                model_case(h, os.path.join(ROOT, "examples", m + ".json"), m + "-bf16-act", worst, rng,
                           weight_type="bf16", activation_type="bf16")
                if h.device == "cuda":
                    model_case(h, os.path.join(ROOT, "examples", m + ".json"), m + "-bf16-act-tc1", worst,
                               rng, weight_type="bf16", activation_type="bf16",
                               compile_args=("--tensor-core-min-rows=1", "--gemv-max-rows=0"))
            # photon-group-stack-calls (cuda): RecGen's latent-chain stack calls grouped with
            # the tokens' calls of the same shape, one launch per kernel for both (batch 1:
            # grouped; batch 3: more rows than the grouped function takes, so on their two
            # streams as without it); tiny-photon-l3 pairs Dec_3's calls with Dec_1's and
            # leaves Dec_2's on the second stream. (Their own prompts.)
            if h.device == "cuda":
                for m, elt in (("tiny-photon-l2", "f32"), ("tiny-photon-l2", "bf16"),
                               ("tiny-photon-l3", "bf16")):
                    model_case(h, os.path.join(ROOT, "examples", m + ".json"),
                               m + ("-bf16-act" if elt == "bf16" else "") + "-grouped", worst,
                               np.random.default_rng(71), weight_type=elt, activation_type=elt,
                               compile_args=("--group-stack-calls",))
            # photon-kernel-fusion's fusions off, each alone and all together (a layer's
            # kernel-level ops one by one: the norms, Q, K and V, RoPE with the cache write,
            # the residual adds, gate, up, SwiGLU, down; the converters' bias adds): bf16
            # (the normed rows' bf16 copies for the wide projections) and f32. (Their own
            # prompts: the later cases' stay.)
            fusions = ("qkv", "rope-cache", "gate-up", "norm", "residual", "bias")
            fusions_off = [("-nofuse-" + f, ("--no-fuse-" + f,)) for f in fusions]
            fusions_off.append(("-unfused-ops", tuple("--no-fuse-" + f for f in fusions)))
            for suffix, compile_args in fusions_off:
                for elt in ("bf16", "f32") if suffix == "-unfused-ops" else ("bf16",):
                    model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l2.json"),
                               "tiny-photon-l2" + ("-bf16-act" if elt == "bf16" else "") + suffix,
                               worst, np.random.default_rng(67), weight_type=elt,
                               activation_type=elt, compile_args=compile_args)
            # --no-lm-head-norm: the final norm of vanilla's stack and of Dec_1 as the stack's
            # last op (cuda: a kernel), not the LM head's prologue.
            for m in ("tiny-vanilla", "tiny-photon-l2"):
                for elt in ("bf16", "f32"):
                    model_case(h, os.path.join(ROOT, "examples", m + ".json"),
                               m + ("-bf16-act" if elt == "bf16" else "") + "-stack-norm", worst,
                               np.random.default_rng(73), weight_type=elt, activation_type=elt,
                               compile_args=("--no-lm-head-norm",))
            # The one-row GEMVs' weight rows, the norm's gain and the activation row by bulk copies
            # into shared memory (cuda, sm_90+; QKV's RoPE pairs, gate/up, the residual adds and the
            # LM head's norm among them): by default in vanilla, and in PHOTON with
            # --gemv-bulk-max-warp-rows=2 (by default off beside RecGen's latent chain; the GQA edge
            # model's K/V heads too); vanilla's loads into registers with =0. bf16 and f32.
            if h.device == "cuda":
                for path, name, rows in (
                        (os.path.join(ROOT, "examples", "tiny-vanilla.json"), "tiny-vanilla", 0),
                        (os.path.join(ROOT, "examples", "tiny-photon-l2.json"), "tiny-photon-l2", 2),
                        (os.path.join(EDGE, "edge-photon-gqa4.json"), "edge-photon-gqa4", 2)):
                    for elt in ("bf16", "f32"):
                        model_case(h, path, name + ("-bf16-act" if elt == "bf16" else "") +
                                   ("-gemv-bulk" if rows else "-gemv-loads"),
                                   worst, np.random.default_rng(79), weight_type=elt,
                                   activation_type=elt,
                                   compile_args=("--gemv-bulk-max-warp-rows=%d" % rows,))
            # --matmul-input-rounding=all: every projection rounds its f32 inputs (normed rows,
            # attention and SwiGLU outputs) to bf16 as a bf16 PyTorch model holds them; on the CPU
            # the same rounding as on tensor cores (one MMA there, not hi + lo; by default only
            # the tensor-core GEMMs round), under the same bf16 rules.
            # (tiny-photon-l3: on tiny-photon-l2 the rounding takes RecGen's worst position from
            # 4.7e-2 to 9.2e-2 on the CPU, too near the bound to test kernels with.)
            model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l3.json"),
                       "tiny-photon-l3-bf16-act-round", worst, rng, weight_type="bf16",
                       activation_type="bf16", compile_args=("--matmul-input-rounding=all",))
            # Only the projections on tensor cores round (the GEMMs and the 2-16-row GEMVs,
            # RecGen's local decoders among them). tiny-photon-l3 again: on tiny-photon-l2 this
            # took one RecGen logit to 1.07e-1 on an H100 (docs/perf.md, 2026-12-07). It draws
            # from a copy of `rng`: its prompts stay those it passed with on an H100, and the
            # later cases' those of before it was added. (Advancing `rng`, it gave
            # tiny-photon-l2-bf16-act-gemv-fma a RecGen prompt whose bf16 logit error is 1.2e-1,
            # on the CPU backend as on an H100.)
            if h.device == "cuda":
                model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l3.json"),
                           "tiny-photon-l3-bf16-act-round-tc", worst, copy.deepcopy(rng),
                           weight_type="bf16",
                           activation_type="bf16",
                           compile_args=("--matmul-input-rounding=tensor-cores",))
            # Tile edges of the tensor-core GEMMs: widths that are no multiple of the 128x128 or
            # 128x64 tiles or of their K step of 32 (200, 328 and 300 outputs; K = 200 and 328
            # leave 8), and prompts of 150 and 300 tokens, so prefill covers 2-3 row tiles with a
            # tail; f32 inputs split (hi + lo: --matmul-input-rounding=none) or rounded (the
            # default), each tile width, the earlier kernel.
            wide = {"model_type": "vanilla", "vocab_size": 300, "d_model": 200, "layers": 2,
                    "n_heads": 5, "n_kv_heads": 1, "ffn_dim": 328, "rope_theta": 10000.0,
                    "rms_norm_eps": 1e-5}
            wide_path = os.path.join(work, "tiny-vanilla-wide.json")
            with open(wide_path, "w") as f:
                json.dump(wide, f)
            wide_variants = [("-bf16-act-round", ("--matmul-input-rounding=all",))]
            if h.device == "cuda":
                tc1 = ("--tensor-core-min-rows=1", "--gemv-max-rows=0")
                x128 = ("--tensor-core-kernel=tile128x128",)
                k64 = ("--wgmma-k-step=64",)
                split = ("--matmul-input-rounding=none",)
                wide1 = ("--wgmma-wide-tile-min-rows=1",)
                wide_variants = [("-bf16-act-tc1", tc1 + split),
                                 ("-bf16-act-tc1-x128", tc1 + x128 + split),
                                 ("-bf16-act-tc1-x128-round", tc1 + x128),
                                 # K steps of 64 (128-byte swizzle, 3 stages).
                                 ("-bf16-act-tc1-k64", tc1 + k64 + split),
                                 ("-bf16-act-tc1-x128-k64-round", tc1 + x128 + k64),
                                 # wgmma's wide tiles from the first row (by default only
                                 # calls whose wide grid fills 3/4 of the SMs take them):
                                 # 200 outputs as one tile of 200 and 300 as 2 x 152 (the
                                 # default wgmma-tile-cols 208), 2 x 104 (W's rows past the
                                 # first tile zero-filled) and 3 x 104, 4 x 56.
                                 ("-bf16-act-tc1-wide", tc1 + wide1 + split),
                                 # The same with bf16 inputs: o's and down's 200-wide
                                 # tiles by TMA (wgmma-tma-min-tile-cols, default 192).
                                 ("-bf16-act-tc1-wide-round", tc1 + wide1),
                                 # Past --wgmma-wide-tile-max-outputs (here 200) the
                                 # tiles of --wgmma-wide-output-tile-cols (256): the LM
                                 # head's 300 outputs 2 x 152, gate/up's 656 columns
                                 # 3 x 224 (its 328 features 3 x 112, the last partly
                                 # past F); then every tile by TMA.
                                 ("-bf16-act-tc1-wide-out",
                                  tc1 + wide1 + ("--wgmma-wide-tile-max-outputs=200",)),
                                 ("-bf16-act-tc1-wide-out-tma",
                                  tc1 + wide1 + ("--wgmma-wide-tile-max-outputs=200", "--wgmma-tma")),
                                 ("-bf16-act-tc1-t104-round", tc1 + wide1 + ("--wgmma-tile-cols=104",)),
                                 ("-bf16-act-tc1-t64", tc1 + wide1 + ("--wgmma-tile-cols=64",) + split),
                                 ("-bf16-act-tc1-tile64", tc1 + ("--tensor-core-kernel=tile64",) + split),
                                 ("-bf16-act-tc1-tile64-round", tc1 + ("--tensor-core-kernel=tile64",)),
                                 # Tiles by TMA (--wgmma-tma): the bf16 inputs' (rows
                                 # past the call's read from the buffer, not stored) and
                                 # o's, down's and the LM head's weights (200 and 300
                                 # outputs, wide tiles past them zero-filled), K 200 and
                                 # 328 (tails past the steps of 32 and 64); with split f32
                                 # inputs only the weights'.
                                 # Thread 0 issuing them (--no-wgmma-producer-warp).
                                 ("-bf16-act-tc1-tma",
                                  tc1 + wide1 + ("--wgmma-tma", "--no-wgmma-producer-warp")),
                                 ("-bf16-act-tc1-tma-split", tc1 + ("--wgmma-tma",) + split),
                                 ("-bf16-act-tc1-tma-k64",
                                  tc1 + k64 + ("--wgmma-tma", "--no-wgmma-producer-warp")),
                                 # And a ninth warp issuing them (warp specialization,
                                 # the default).
                                 ("-bf16-act-tc1-producer", tc1 + wide1 + ("--wgmma-producer-warp",)),
                                 ("-bf16-act-tc1-producer-k64",
                                  tc1 + k64 + ("--wgmma-producer-warp",)),
                                 # mma.sync instead of sm_90a's warpgroup MMA (wgmma).
                                 ("-bf16-act-tc1-mma", tc1 + ("--no-wgmma",) + split),
                                 ("-bf16-act-tc1-mma-round", tc1 + ("--no-wgmma",))]
            for suffix, compile_args in wide_variants:
                model_case(h, wide_path, "tiny-vanilla-wide" + suffix, worst, rng, extra_lengths=(150, 300),
                           weight_type="bf16", activation_type="bf16", compile_args=compile_args)
            if h.device == "cuda":
                # RoPE and the cache write as a kernel after the wgmma QKV GEMM instead
                # of its epilogue (the default stages tiles of whole heads: 3 x 120 here,
                # 2 x 160 with -tc1-wide). (Its own prompts: the later cases' stay.)
                model_case(h, wide_path, "tiny-vanilla-wide-bf16-act-tc1-norope-gemm", worst,
                           np.random.default_rng(61), extra_lengths=(150, 300), weight_type="bf16",
                           activation_type="bf16",
                           compile_args=tc1 + split + ("--no-fuse-qkv-rope-gemm",))
                # The wgmma GEMMs store their tiles through shared memory by default
                # (--wgmma-staged-store: o's and down's 200 columns in 16-byte runs with
                # their residuals, gate/up's 328 features as runs of silu(gate) * up, the
                # last tiles partly past F, the LM head's 300, no multiple of 8, element
                # by element); here with K steps of 64 on the wide tiles, and each
                # thread storing its own accumulators instead. (Their own prompts.)
                for suffix, compile_args in [
                        ("-wide-k64", tc1 + wide1 + k64),
                        ("-wide-registers", tc1 + wide1 + ("--no-wgmma-staged-store",))]:
                    model_case(h, wide_path, "tiny-vanilla-wide-bf16-act-tc1" + suffix, worst,
                               np.random.default_rng(71), extra_lengths=(150, 300),
                               weight_type="bf16", activation_type="bf16",
                               compile_args=compile_args)
                # Every GEMM whose operands both come by TMA (--wgmma-tma), with K
                # steps of 32 and 64 (each case its own prompts):
                # - in 192-row tiles of three warpgroups (--wgmma-tile-rows=192): Q/K/V
                #   with RoPE, o and down, the call's rows ending inside a tile's first,
                #   second or third warpgroup; -256: the LM head's 256 outputs as one tile;
                # - gate/up's weights through one map of both matrices (tiny-vanilla's
                #   F = 128: whole groups of 16 features), beside the producer warp.
                tiny_path = os.path.join(ROOT, "examples", "tiny-vanilla.json")
                tma = ("--wgmma-tma",)
                tall, short = ("--wgmma-tile-rows=192",), ("--wgmma-tile-rows=128",)
                for path, name, seed, lengths, compile_args in [
                        (wide_path, "tiny-vanilla-wide-bf16-act-tc1-tall", 73, (150, 300),
                         tc1 + wide1 + tma + tall),
                        (wide_path, "tiny-vanilla-wide-bf16-act-tc1-tall-k64", 73, (150, 300),
                         tc1 + k64 + tma + tall),
                        (tiny_path, "tiny-vanilla-bf16-act-tc1-tall-256", 79, (150,),
                         tc1 + wide1 + tma + tall + ("--wgmma-tile-cols=256",)),
                        (tiny_path, "tiny-vanilla-bf16-act-tc1-tma-pairs", 83, (150,),
                         tc1 + wide1 + tma + short),
                        (tiny_path, "tiny-vanilla-bf16-act-tc1-tma-pairs-k64", 83, (150,),
                         tc1 + k64 + tma + short)]:
                    model_case(h, path, name, worst, np.random.default_rng(seed),
                               extra_lengths=lengths, weight_type="bf16", activation_type="bf16",
                               compile_args=compile_args)
            if h.device == "cuda":
                model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l3.json"),
                           "tiny-photon-l3-bf16-act-tc1-round", worst, rng, weight_type="bf16",
                           activation_type="bf16",
                           compile_args=("--tensor-core-min-rows=1", "--gemv-max-rows=0",
                                         "--matmul-input-rounding=all"))
                # (The smallest model: .device must stay under the device call's 64 MiB.)
                model_case(h, os.path.join(ROOT, "examples", "tiny-vanilla.json"),
                           "tiny-vanilla-bf16-act-warp", worst, rng, weight_type="bf16",
                           activation_type="bf16",
                           compile_args=("--tensor-core-min-rows=0", "--gemv-max-rows=0",
                                         "--no-block-per-row", "--no-fuse-attention",
                                         "--no-fuse-rope-cache", "--no-tiled-attention",
                                         "--no-parallel-vocab", "--no-programmatic-launch"))
                def l2_bf16_act(suffix, *compile_args, row_batches=(), own_rng=None):
                    model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l2.json"),
                               "tiny-photon-l2-bf16-act" + suffix, worst,
                               rng if own_rng is None else own_rng,
                               weight_type="bf16", activation_type="bf16",
                               row_batches=row_batches, compile_args=compile_args)
                # RoPE and the cache write as a kernel after the QKV GEMV (a warp per
                # output) instead of its epilogue (a warp per pair of outputs).
                l2_bf16_act("-norope", "--no-fuse-qkv-rope")
                # GEMVs over 2..16 rows with CUDA-core FMAs instead of mma.sync.
                l2_bf16_act("-gemv-fma", "--no-gemv-tensor-cores", row_batches=(11,))
                # A layer's decode kernels as one launch (--fuse-launches), and fused
                # over 2..16 rows too: tensor-core GEMVs of 4 warps, the block size of
                # the others.
                l2_bf16_act("-fused-launches", "--fuse-launches")
                # Every kernel lets its successor be scheduled before it waits for
                # its predecessor (GEMVs before their weight loads). (Its own
                # prompts: the later cases' stay as they were.)
                l2_bf16_act("-early-trigger", "--early-trigger=all", own_rng=np.random.default_rng(59))
                l2_bf16_act("-mma4", "--fuse-launches", "--gemv-tensor-core-warps=4",
                            row_batches=(11,))
                # The local decoders' short caches through the block-per-(row, query head)
                # kernel instead of photon_attention_short (split attention, one split).
                l2_bf16_act("-fused-short", "--no-split-short-caches")
                # The token chunks one after another: the GEMV buckets see n rows, not 4n.
                l2_bf16_act("-sequential-chunks", "--no-fuse-token-chunks",
                            own_rng=np.random.default_rng(79))
                l2_bf16_act("-unfused", "--no-fuse-qkv", "--no-fuse-gate-up", "--no-fuse-norm",
                            "--no-fuse-attention", "--no-fuse-rope-cache", "--no-tiled-attention")
                # The tiled prefill attention (tiled-attention) on every cache (fused capacity
                # 0): prompts of 150 and 300 tokens are 3 and 5 tiles of 64 rows with a tail
                # (tensor cores with bf16 caches), three prompts prefilled together leave
                # tiles of two sequences (row by row), and 65 prompts decoded together (65
                # rows of different sequences) take split attention, not the tiled kernel;
                # f32 caches go row by row.
                for suffix, types in (("-bf16-act-tiled", ("bf16", "bf16")), ("-tiled", ("f32", "f32"))):
                    model_case(h, os.path.join(ROOT, "examples", "tiny-vanilla.json"),
                               "tiny-vanilla" + suffix, worst, rng, extra_lengths=(150, 300),
                               weight_type=types[0], activation_type=types[1], row_batches=(65,),
                               compile_args=("--fused-attention-max-capacity=0",))
                # PHOTON (B = 8): prompts of 320 and 640 tokens give the encoders 160, 80 and
                # 40 rows (320, 160, 80); the local decoders' rows are many short sequences.
                # (tiny-photon-l3: tensor cores round their inputs to bf16, and on
                # tiny-photon-l2 that alone takes one 640-token RecGen prompt in 8 past the
                # bound, on the CPU too with --matmul-input-rounding=all; see docs/perf.md.)
                model_case(h, os.path.join(ROOT, "examples", "tiny-photon-l3.json"),
                           "tiny-photon-l3-bf16-act-tiled", worst, rng, extra_lengths=(40, 80),
                           weight_type="bf16", activation_type="bf16",
                           compile_args=("--fused-attention-max-capacity=0",))
                split_attention_cases(h, worst, wide_path)

        if not args.quick:
            edge_shape_cases(h, worst, rng)
            if not h.only:
                shipped_model_cases(h, worst)

        if h.mode == "compile-only":
            print(f"compiled the artifacts into {work}")
        elif h.only:
            pass
        elif "tiny-photon-l2" not in arts or "tiny-block" not in arts:
            h.report(False, "bad input and sampling checks", "the artifacts they need failed to build")
        else:
            sampling_cases(h, arts)
            nan_cases(h, arts)
            if h.device == "cpu":  # photon-run's input checks do not depend on the device
                bad_input_cases(h, arts)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"worst logit error {worst[0]:.2e} (bound {TOL:g}); {time.time() - t0:.1f} s")
    print(f"{h.passed} passed, {h.failed} failed")
    return 1 if h.failed else 0


if __name__ == "__main__":
    sys.exit(main())
