#!/usr/bin/env python3
"""Photon kernel benchmark: every kernel of one decode step (or one prefill call)
of a compiled model under Nsight Compute, grouped by kernel family and shape,
against the card's measured copy bandwidth and bf16 matrix rate.

  bench/kernels.py --bin /tmp/photon-rt/bin --artifacts .device/kbench --device-rates \\
      --out bench/results/h200-kernels-<date>.json

Kernels are gpu.launch ops inside the model's building blocks, named by family and
shape (photon_gemv_r<rows>_<M>x<K>, photon_mma_<M>x<K>, photon_rmsnorm_<width>, ...;
lowering/kernels/). For each configuration (model, mode, batch) this runs
photon-run with synthetic weights under

  ncu --profile-from-start off --clock-control none --cache-control all
      --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,...
      photon-run <artifact> --no-graphs --profile-step 1 ...   (or --profile-prefill)

so ncu records exactly the launches of decode step 1 (photon-run brackets it with
cuProfilerStart/cuProfilerStop). Caches are flushed before every kernel (the weights
come from HBM, as in a step that streams every layer) and clocks are not locked.
Decode steps run `decode_tile` rows per call at most (1024 by default), so for a
vanilla model a batch above it is measured on a prefill call instead: prefill_tile
prompts of batch / prefill_tile tokens each (one stack call holds them all with
photon-compile's default --max-rows=4096); for PHOTON it would repeat the decode
tile's kernels and is skipped (its level-1 decoder already runs 4096-row calls at
batch 1024).

Columns (docs/perf.md, "Kernel benchmark"): per group of kernels with one name,
launches, mean rows per launch (modelled from the model's structure, as
passes/ScheduleReport.cpp schedules the calls; pass the artifacts' --max-rows,
--gemv-max-rows and --no-fuse-* options), total and mean time, the bytes
the launches must move (weights once per launch + rows x (K + M) activations;
for the attention of a vanilla decode step, every row's K and V over its
context: at 66.7% of the copy rate it takes 1.5x its K/V bytes' time), the DRAM bytes ncu counted, both as GB/s and % of the measured copy rate, and
for matrix kernels 2 x rows x M x K / time as TFLOP/s and % of the measured
bf16 matrix rate. The copy rate is a 1 GiB device-to-device copy (read + written
bytes / time) and the matrix rate torch.matmul of 8192^3 bf16, both measured in
the same call (torch), unless given by --copy-gbps / --matmul-tflops.

The PyTorch peer's kernels (unless --no-peer), under the same ncu flags (bench/kernels.py
runs itself under ncu with --peer-child): torch.nn.functional.linear (cuBLAS) of each
decode layer's matrices (Q, K and V as one, gate and up as one) and the LM head, bf16, at
every row count one of Photon's matrix kernels ran at, and, for each vanilla decode step,
scaled_dot_product_attention of its rows over its context (head dim padded to a multiple
of 8, as the peer runs it), and a copy kernel (torch's elementwise neg, bf16) moving as
many bytes as each projection, and each such attention (Photon's K and V), must. A second
table sets each Photon kernel beside the peer's doing the same work and beside that copy
(%sized: the copy's time over the kernel's): how far a kernel is from what the vendor
libraries, or a bare copy, do with the same bytes, at sizes where even a copy does not
reach the 1 GiB copy rate.
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

METRICS = ["gpu__time_duration.sum", "dram__bytes_read.sum", "dram__bytes_write.sum",
           "launch__grid_size", "launch__block_size"]

# Matrix kernels by family, in the order they take a projection's row counts
# (photon-compile: GEMV for 1..gemv-max-rows rows, warp-per-output matmul
# between, tensor cores from tensor-core-min-rows on).
MATRIX_FAMILIES = ["gemv", "matmul", "mma", "wgmma"]
# Fused projections (GEMVs up to gemv-max-rows rows, tensor cores above):
# photon_gemv_qkv_r<n>_<D+2KV>x<D> and photon_mma<tile>_qkv_<D+2KV>x<D> are Q, K and V
# in one kernel; photon_gemv_gate_up_r<n>_<F>x<D> and photon_mma<tile>_gate_up_<F>x<D>
# read the gate and the up weights (2 x F x D) and write SwiGLU's F outputs.
WEIGHT_MATRICES = {"": 1, "qkv": 1, "gate_up": 2}

_UNIT_SCALE = {
    "": 1.0, "ns": 1e-9, "nsecond": 1e-9, "us": 1e-6, "usecond": 1e-6, "ms": 1e-3,
    "msecond": 1e-3, "s": 1.0, "second": 1.0,
    "b": 1.0, "byte": 1.0, "kb": 1e3, "kbyte": 1e3, "mb": 1e6, "mbyte": 1e6, "gb": 1e9,
    "gbyte": 1e9, "tb": 1e12, "tbyte": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
}


def _number(text, unit=""):
    """ncu's value text ("1,234.5", "n/a") in base units (seconds, bytes), or None."""
    text = (text or "").strip().replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    scale = _UNIT_SCALE.get(unit.strip().lower())
    if scale is None:
        raise ValueError(f"unknown ncu unit '{unit}'")
    return value * scale


def parse_ncu_csv(text):
    """Kernels of `ncu --import R --csv --page raw [--print-units base]`: a header row
    ("ID", ..., "Kernel Name", ..., metric names), optionally a units row, then one
    row per kernel launch. Also reads `--page details` (one row per metric, with
    "Metric Name", "Metric Unit", "Metric Value"). Returns [{id, name, seconds,
    dram_read, dram_write, grid, block}] in launch order; lines before the header
    (ncu's ==PROF== messages) are skipped."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith('"ID"')), None)
    if start is None:
        raise ValueError("no ncu CSV header (a line starting with \"ID\") in the output")
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header = rows[0]
    col = {h: i for i, h in enumerate(header)}
    if "Kernel Name" not in col:
        raise ValueError("the ncu CSV has no \"Kernel Name\" column")
    by_id = {}

    def kernel(row):
        kid = row[col["ID"]]
        if kid not in by_id:
            by_id[kid] = {"id": int(kid), "name": row[col["Kernel Name"]]}
        return by_id[kid]

    def store(k, metric, value):
        key = {"gpu__time_duration.sum": "seconds", "dram__bytes_read.sum": "dram_read",
               "dram__bytes_write.sum": "dram_write", "launch__grid_size": "grid",
               "launch__block_size": "block"}.get(metric)
        if key and value is not None:
            k[key] = value

    if "Metric Name" in col:  # --page details: long format
        for row in rows[1:]:
            if len(row) < len(header):
                continue
            store(kernel(row), row[col["Metric Name"]],
                  _number(row[col["Metric Value"]], row[col.get("Metric Unit", 0)]
                          if "Metric Unit" in col else ""))
    else:  # --page raw: wide format, maybe a units row first
        data = rows[1:]
        units = [""] * len(header)
        if data and data[0] and data[0][col["ID"]] == "":
            units, data = data[0], data[1:]
        for row in data:
            if len(row) < len(header) or not row[col["ID"]].strip():
                continue
            k = kernel(row)
            for metric in METRICS:
                if metric in col:
                    store(k, metric, _number(row[col[metric]], units[col[metric]]))
    kernels = sorted(by_id.values(), key=lambda k: k["id"])
    for k in kernels:
        if "seconds" not in k:
            raise ValueError(f"kernel {k['name']} (ID {k['id']}) has no gpu__time_duration.sum")
    return kernels


_DUP = r"(?:_kernel)?(?:_\d+)?$"  # gpu-kernel-outlining's _kernel, a duplicate's _<n>
# A GEMV with the RMSNorm as its prologue (fuse-norm) carries _norm; one on tensor
# cores (gemv-tensor-core-min-rows) mma_.
_GEMV = re.compile(r"^photon_gemv_(mma_)?(?:(qkv|gate_up)_)?(norm_)?r(\d+)_(\d+)x(\d+)" + _DUP)
# Tensor-core kernels may carry their tile and a fusion: photon_mma128x64_<M>x<K>,
# photon_mma128x128_qkv_<M>x<K>, photon_wgmma128x128_<M>x<K> (warpgroup MMA, sm_90a),
# photon_wgmma128x208_qkv_rope_<M>x<K> (RoPE and the cache write in its epilogue).
_MATMUL = re.compile(r"^photon_(wgmma|mma|matmul)(\d+x\d+)?_(?:(qkv|gate_up)_)?(rope_)?(\d+)x(\d+)" + _DUP)
# Families whose one number is a width (photon_rmsnorm_1664, photon_rmsnorm_split_1664,
# photon_swiglu_4096); in other names a lone number is a duplicate's suffix.
_WIDTH = re.compile(r"^photon_(rmsnorm_split|rmsnorm|swiglu)_(\d+)" + _DUP)
_FAMILY = re.compile(r"^photon_([A-Za-z][A-Za-z_]*?)" + _DUP)


def classify(name):
    """(family, shape, group label) of a kernel name. Matrix kernels have shape (M, K)
    (M outputs of K inputs: photon_gemv_r<rows>_<M>x<K>, photon_mma[<tile>]_<M>x<K>,
    photon_matmul_<M>x<K>); photon_rmsnorm_<width> and photon_swiglu_<width> have
    (width,); other photon_<family> names have (). The label is the name without a duplicate's
    numeric suffix (or gpu-kernel-outlining's _kernel): duplicates group together.
    Names not starting with photon_ are family "other", labelled as they are."""
    base = name.split("(")[0].strip()
    m = _GEMV.match(base)
    if m:
        mma, fused, norm = m.group(1) or "", m.group(2) or "", m.group(3) or ""
        r, M, K = (int(x) for x in m.groups()[3:])
        family = "gemv_" + fused if fused else "gemv"
        return family, (M, K), f"photon_gemv_{mma}{fused + '_' if fused else ''}{norm}r{r}_{M}x{K}"
    m = _MATMUL.match(base)
    if m:
        M, K = int(m.group(5)), int(m.group(6))
        family = m.group(1) + ("_" + m.group(3) if m.group(3) else "")
        fused = (m.group(3) + "_" if m.group(3) else "") + (m.group(4) or "")
        return family, (M, K), f"photon_{m.group(1)}{m.group(2) or ''}_{fused}{M}x{K}"
    m = _WIDTH.match(base)
    if m:
        return m.group(1), (int(m.group(2)),), f"photon_{m.group(1)}_{m.group(2)}"
    m = _FAMILY.match(base)
    if m:
        return m.group(1), (), "photon_" + m.group(1)
    return "other", (), base


def matrix_family(family):
    """"gemv", "matmul", "mma" or "wgmma" of a matrix family (gemv_qkv, mma_gate_up, ...);
    else None."""
    base = family.split("_")[0]
    return base if base in MATRIX_FAMILIES else None


def fusion(family):
    """"qkv", "gate_up" or "" of a matrix family (gemv_qkv, mma_gate_up; the rest)."""
    return family.partition("_")[2] if matrix_family(family) else ""


def gemv_bucket(label):
    m = re.match(r"^photon_gemv_(?:[a-z_]+_)?r(\d+)_", label)
    return int(m.group(1)) if m else 0


# --------------------------------------------------------------------------
# Rows per projection launch, as the step's calls are scheduled
# (passes/ScheduleReport.cpp, CallModel).
# --------------------------------------------------------------------------

def _chunks(rows, size):
    return [min(size, rows - r0) for r0 in range(0, rows, size)]


class RowModel:
    """The projections one decode step (or one prefill call) launches, as
    {(fusion, M, K): [rows of each launch]} (fusion: "", "qkv" or "gate_up"), for a
    model config (spec §1 fields) compiled for tensor cores (bf16) with photon-compile's
    defaults or the given --max-rows, --gemv-max-rows, --tensor-core-min-rows,
    --no-fuse-qkv, --no-fuse-gate-up."""

    def __init__(self, cfg, decode_tile=1024, max_rows=4096, gemv_max_rows=16,
                 fuse_qkv=True, fuse_gate_up=True, tensor_core_min_rows=16):
        self.c, self.decode_tile, self.max_rows = cfg, decode_tile, max_rows
        self.gemv_max_rows, self.fuse_qkv, self.fuse_gate_up = gemv_max_rows, fuse_qkv, fuse_gate_up
        self.tensor_core_min_rows = tensor_core_min_rows
        self.D = cfg["d_model"]
        self.kv = cfg["n_kv_heads"] * (self.D // cfg["n_heads"])
        self.launches = {}

    def _add(self, shape, rows, times=1, fused=""):
        self.launches.setdefault((fused, *shape), []).extend([rows] * times)

    def stack(self, layers, rows):
        D, F, kv = self.D, self.c["ffn_dim"], self.kv
        for n in _chunks(rows, self.max_rows):
            # The fused kernels are GEMVs or tensor-core kernels; rows between take
            # the warp-per-output kernels, one per projection.
            fusable = (1 <= n <= self.gemv_max_rows
                       or 0 < self.tensor_core_min_rows <= n)
            if fusable and self.fuse_qkv:
                self._add((D + 2 * kv, D), n, layers, "qkv")
            else:
                self._add((D, D), n, layers)
                self._add((kv, D), n, 2 * layers)
            self._add((D, D), n, layers)  # o
            if fusable and self.fuse_gate_up:
                self._add((F, D), n, layers, "gate_up")
            else:
                self._add((F, D), n, 2 * layers)
            self._add((D, F), n, layers)  # down

    def lm_head(self, n):
        self._add((self.c["vocab_size"], self.D), n)

    def converter(self, l, n):
        self._add((self.c["prefix_lengths"][l - 1] * self.D, self.D), n)

    def step(self, batch, mode="hiergen"):
        c = self.c
        if c["model_type"] == "vanilla" or not c.get("chunk_sizes"):
            for n in _chunks(batch, self.decode_tile):
                self.lm_head(n)
                self.stack(c["layers"], n)
            return self.launches
        if mode != "recgen":
            raise ValueError("rows are modelled for vanilla decode and RecGen only")
        cs, rs = c["chunk_sizes"], c["prefix_lengths"]
        L = len(cs)
        span = [1]
        for x in cs:
            span.append(span[-1] * x)
        B = span[L]

        def per(l):
            return B // span[l]

        def rollout(l, m):
            self.converter(l, m)
            self.stack(c["decoder_layers"][l - 1], m * rs[l - 1])
            for _ in range(1, cs[l - 1]):
                self.stack(c["decoder_layers"][l - 1], m)

        for n in _chunks(batch, self.decode_tile):
            if L >= 2:
                rollout(L, n)
                for l in range(L - 1, 1, -1):
                    rollout(l, n * per(l))
            nI = n * per(1)
            self.converter(1, nI)
            self.stack(c["decoder_layers"][0], nI * rs[0])
            for j in range(cs[0]):
                self.lm_head(nI)
                if j + 1 == cs[0]:
                    break
                self.stack(c["decoder_layers"][0], nI)
            if L >= 2 or c.get("level1_chunker") == "linear":
                width = self.D if L >= 2 else c["d_embed"]
                for m in _chunks(n, self.max_rows):
                    self._add((self.D, cs[L - 1] * width), m)
            self.stack(c["encoder_layers"][L - 1], n)
        return self.launches

    def prefill(self, count, prompt):
        if self.c["model_type"] != "vanilla":
            raise ValueError("prefill rows are modelled for vanilla models only")
        self.stack(self.c["layers"], count * prompt)
        return self.launches


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

def attention_family(family):
    """Whether a family reads a layer's K/V cache once per launch (the fused, split,
    short and tiled attention kernels; not the split's combine nor the unfused
    scores/softmax/output kernels)."""
    return family.startswith("attention") and family not in (
        "attention_combine", "attention_scores", "attention_softmax", "attention_output")


def kv_bytes_per_layer(cfg, rows, context, cache_bytes):
    """K and V bytes one decode step's attention must read per layer of a vanilla model:
    every row's `context` positions of K and V, each KV head once (GQA groups share it)."""
    kv_width = cfg["n_kv_heads"] * (cfg["d_model"] // cfg["n_heads"])
    return 2 * rows * context * kv_width * cache_bytes


def summarize(kernels, launches_by_shape, weight_bytes, act_bytes, copy_bps, matmul_fps,
              kv_bytes=None):
    """Groups `kernels` (parse_ncu_csv) by name; matrix groups of one shape take that
    shape's modelled row counts in the order gemv (smallest), matmul, mma (largest),
    as many as they have launches. `kv_bytes` (K/V bytes a layer's attention must read,
    where every layer's is the same: vanilla decode) gives attention groups their
    must-move bytes. Returns the groups, in first-launch order."""
    groups = {}
    for k in kernels:
        family, shape, label = classify(k["name"])
        g = groups.setdefault(label, {"kernel": label, "family": family, "shape": list(shape),
                                      "launches": 0, "seconds": 0.0, "dram_bytes": 0.0,
                                      "first": k["id"], "grid": k.get("grid"),
                                      "block": k.get("block")})
        g["launches"] += 1
        g["seconds"] += k["seconds"]
        g["dram_bytes"] += k.get("dram_read", 0.0) + k.get("dram_write", 0.0)
    # Row counts for matrix kernels, by fusion and shape.
    by_shape = {}
    for g in groups.values():
        if matrix_family(g["family"]):
            by_shape.setdefault((fusion(g["family"]), *g["shape"]), []).append(g)
    for key, gs in by_shape.items():
        rows = sorted(launches_by_shape.get(key, []))
        shape = key[1:]
        gs.sort(key=lambda g: (MATRIX_FAMILIES.index(matrix_family(g["family"])),
                               gemv_bucket(g["kernel"])))
        measured = sum(g["launches"] for g in gs)
        at = 0
        for g in gs:
            take = rows[at:at + g["launches"]]
            at += g["launches"]
            if len(rows) == measured:
                g["rows"] = sum(take)
                g["row_counts"] = sorted(set(take))
            else:  # the model and the step disagree: no FLOP/s claimed
                g["rows"] = None
                g["note"] = (f"{len(rows)} launches of {(key[0] + ' ') if key[0] else ''}"
                             f"{shape[0]}x{shape[1]} modelled, {measured} measured")
    out = []
    for g in sorted(groups.values(), key=lambda g: g["first"]):
        t = g["seconds"]
        g["mean_us"] = t / g["launches"] * 1e6
        g["dram_gbps"] = g["dram_bytes"] / t / 1e9 if t else None
        g["dram_pct_copy"] = 100 * g["dram_bytes"] / t / copy_bps if t and copy_bps else None
        if g.get("rows") is not None:
            M, K = g["shape"]
            rows = g["rows"]
            mats = WEIGHT_MATRICES[fusion(g["family"])]
            g["mean_rows"] = rows / g["launches"]
            g["must_move_bytes"] = (g["launches"] * mats * M * K * weight_bytes
                                    + rows * (K + M) * act_bytes)
            g["must_move_gbps"] = g["must_move_bytes"] / t / 1e9
            g["must_move_pct_copy"] = (100 * g["must_move_bytes"] / t / copy_bps
                                       if copy_bps else None)
            g["flops"] = 2.0 * mats * rows * M * K
            g["tflops"] = g["flops"] / t / 1e12
            g["pct_matmul"] = 100 * g["flops"] / t / matmul_fps if matmul_fps else None
        elif kv_bytes and attention_family(g["family"]):
            g["must_move_bytes"] = g["launches"] * kv_bytes
            g["must_move_gbps"] = g["must_move_bytes"] / t / 1e9
            g["must_move_pct_copy"] = (100 * g["must_move_bytes"] / t / copy_bps
                                       if copy_bps else None)
        del g["first"]
        out.append(g)
    return out


def _fmt(v, spec, width):
    return f"{'-':>{width}}" if v is None else f"{v:{width}{spec}}"


def format_table(title, groups, copy_bps, matmul_fps):
    lines = [title,
             f"{'kernel':<34} {'launch':>6} {'rows':>7} {'total us':>9} {'mean us':>8} "
             f"{'need GB/s':>9} {'%copy':>6} {'DRAM GB/s':>9} {'%copy':>6} "
             f"{'TFLOP/s':>8} {'%mma':>6}"]
    for g in groups:
        lines.append(
            f"{g['kernel'][:34]:<34} {g['launches']:>6} {_fmt(g.get('mean_rows'), '.0f', 7)} "
            f"{g['seconds'] * 1e6:>9.1f} {g['mean_us']:>8.2f} "
            f"{_fmt(g.get('must_move_gbps'), '.0f', 9)} {_fmt(g.get('must_move_pct_copy'), '.1f', 6)} "
            f"{_fmt(g['dram_gbps'], '.0f', 9)} {_fmt(g['dram_pct_copy'], '.1f', 6)} "
            f"{_fmt(g.get('tflops'), '.2f', 8)} {_fmt(g.get('pct_matmul'), '.1f', 6)}"
            + (f"  ({g['note']})" if g.get("note") else ""))
    total = sum(g["seconds"] for g in groups)
    lines.append(f"{'all kernels':<34} {sum(g['launches'] for g in groups):>6} {'':>7} "
                 f"{total * 1e6:>9.1f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The PyTorch peer's projections at the same shapes
# --------------------------------------------------------------------------

# The kernel (torch's fill of a one-element tensor) that opens each case of the
# peer's run, so that the kernels between two markers are one case's.
PEER_MARKER = "FillFunctor"


def peer_cases(cfg, rows_list):
    """The projections of a decode layer and the LM head of a model (spec §1 fields) as
    one weight matrix each, for every row count: Q, K and V as one (D + 2 KV) x D matrix,
    gate and up as one 2F x D, as Photon's fused kernels read them (the peer's model
    concatenates them likewise)."""
    D, F = cfg["d_model"], cfg["ffn_dim"]
    kv = cfg["n_kv_heads"] * (D // cfg["n_heads"])
    shapes = [("qkv", D + 2 * kv, D), ("o", D, D), ("gate_up", 2 * F, D), ("down", D, F),
              ("lm_head", cfg["vocab_size"], D)]
    return [{"kind": "linear", "name": name, "M": M, "K": K, "rows": rows}
            for rows in rows_list for name, M, K in shapes]


def projection_bytes(case, elt_bytes=2):
    """The bytes a projection case must move: its M x K weights once and rows x (K + M)
    activations."""
    return (case["M"] * case["K"] + case["rows"] * (case["K"] + case["M"])) * elt_bytes


def copy_cases(cases):
    """For each projection and attention case, a copy kernel (run_peer_child) moving as many
    DRAM bytes (half of them read, half written, in 16-byte units): what the card does
    with those bytes at that size, launch and first round trip included, for a kernel's
    time to be set against. The 1 GiB copy rate is reached only by far larger copies.
    An attention's bytes are Photon's K and V (`kv_bytes`: its unpadded head_dim)."""
    out = []
    for c in cases:
        if c["kind"] == "linear":
            out.append({"kind": "copy", "name": c["name"], "M": c["M"], "K": c["K"],
                        "rows": c["rows"], "bytes": projection_bytes(c) // 32 * 16})
        elif c["kind"] == "attention":
            out.append({"kind": "copy", "name": "attention", "rows": c["rows"],
                        "context": c["context"], "bytes": c["kv_bytes"] // 32 * 16})
    return out


def peer_attention_case(cfg, rows, context):
    """Decode attention of `rows` sequences over `context` cached positions, as the peer
    runs it: torch's scaled_dot_product_attention with the head dim zero-padded to a
    multiple of 8 (its `+pad`: head_dim 52 -> 56, so that SDPA's fused kernels take it)."""
    hd = cfg["d_model"] // cfg["n_heads"]
    return {"kind": "attention", "name": "attention", "heads": cfg["n_heads"],
            "kv_heads": cfg["n_kv_heads"], "head_dim": -(-hd // 8) * 8, "context": context,
            "rows": rows, "kv_bytes": kv_bytes_per_layer(cfg, rows, context, 2)}


def split_peer_kernels(kernels, count):
    """The peer run's kernels (parse_ncu_csv), one list per case: each case opens with
    a PEER_MARKER kernel."""
    cases = []
    for k in kernels:
        if PEER_MARKER in k["name"]:
            cases.append([])
        elif not cases:
            raise ValueError(f"kernel {k['name']} before the first case's marker")
        else:
            cases[-1].append(k)
    if len(cases) != count:
        raise ValueError(f"{len(cases)} marked cases in the profile, {count} run")
    return cases


def peer_summary(cases, kernels_by_case, copy_bps, matmul_fps, elt_bytes=2):
    """Per case: the time of its kernels, their names and the bytes it must move (bf16)
    against the copy rate: a projection's M x K weights + rows x (K + M) activations (and
    its FLOP/s against the matrix rate), an attention's K and V of every row's context."""
    out = []
    for case, ks in zip(cases, kernels_by_case):
        t = sum(k["seconds"] for k in ks)
        rows = case["rows"]
        entry = dict(case, seconds=t, kernels=[k["name"].split("(")[0].strip() for k in ks])
        if case["kind"] == "attention":
            need = 2 * rows * case["context"] * case["kv_heads"] * case["head_dim"] * elt_bytes
            entry["pct_matmul"] = None
        elif case["kind"] == "copy":
            need = 2 * case["bytes"]
            entry["pct_matmul"] = None
        else:
            M, K = case["M"], case["K"]
            need = projection_bytes(case, elt_bytes)
            entry["pct_matmul"] = 100 * 2.0 * rows * M * K / t / matmul_fps if t and matmul_fps else None
        entry["pct_copy"] = 100 * need / t / copy_bps if t and copy_bps else None
        out.append(entry)
    return out


def photon_against_peer(runs, peer):
    """Photon's kernels next to the peer's doing the same work: a matrix kernel pairs with
    the projection of its outputs (x 2 for gate and up), K and rows when all of its
    launches have one row count; in a decode step with a `context`, an attention kernel
    pairs with the peer's attention of the step's rows over that context. A matrix or
    attention kernel also gets the copy of as many bytes (copy_cases): `pct_sized_copy`,
    its time against that copy's."""
    linear = {(p["M"], p["K"], p["rows"]): p for p in peer if p["kind"] == "linear"}
    copies = {(p["M"], p["K"], p["rows"]): p for p in peer if p["kind"] == "copy" and "M" in p}
    kv_copies = {(p["rows"], p["context"]): p for p in peer
                 if p["kind"] == "copy" and "context" in p}
    attention = {(p["rows"], p["context"]): p for p in peer if p["kind"] == "attention"}
    pairs = []
    for run in runs:
        for g in run.get("groups", []):
            counts = g.get("row_counts") or []
            copy = None
            if matrix_family(g["family"]) and len(counts) == 1:
                M, K = g["shape"]
                rows = counts[0]
                key = (M * WEIGHT_MATRICES[fusion(g["family"])], K, rows)
                p, copy = linear.get(key), copies.get(key)
            elif attention_family(g["family"]) and run.get("context"):
                rows = run["batch"]
                key = (rows, run["context"])
                p, copy = attention.get(key), kv_copies.get(key)
            else:
                continue
            if copy and not copy["seconds"]:
                copy = None  # no kernel profiled: nothing to set the kernel against
            if p:
                pairs.append({"model": run["model"], "kernel": g["kernel"], "rows": rows,
                              "photon_us": g["mean_us"], "peer_us": p["seconds"] * 1e6,
                              "peer_projection": p["name"],
                              "ratio": g["mean_us"] / (p["seconds"] * 1e6) if p["seconds"] else None,
                              "copy_us": copy["seconds"] * 1e6 if copy else None,
                              "pct_sized_copy": (100 * copy["seconds"] * 1e6 / g["mean_us"]
                                                 if copy and g["mean_us"] else None)})
    return pairs


def format_peer(peer, pairs):
    def shape(p):
        if p["kind"] == "attention":
            return f"{p['heads']}/{p['kv_heads']}x{p['head_dim']}@{p['context']}"
        if p["kind"] == "copy":
            return f"{p['bytes']}B"
        return f"{p['M']}x{p['K']}"

    lines = ["\n== the PyTorch peer's kernels (bf16: torch.nn.functional.linear; "
             "scaled_dot_product_attention over heads/KV heads x padded head dim @ context; "
             "copy: a copy kernel moving a projection's or attention's bytes), "
             "same ncu conditions",
             f"{'case':<10} {'shape':>15} {'rows':>5} {'us':>8} {'%copy':>6} {'%mma':>6}  kernels"]
    for p in peer:
        lines.append(f"{p['name']:<10} {shape(p):>15} {p['rows']:>5} "
                     f"{p['seconds'] * 1e6:>8.2f} {_fmt(p['pct_copy'], '.1f', 6)} "
                     f"{_fmt(p['pct_matmul'], '.1f', 6)}  {', '.join(k[:48] for k in p['kernels'])}")
    lines += ["\n== Photon's kernel against the peer's doing the same work (mean us a launch; "
              "Photon's may carry a norm, RoPE or SwiGLU the peer runs apart), and against "
              "a copy of its bytes (copy us; %sized: the copy's time / Photon's)",
              f"{'model':<14} {'kernel':<40} {'rows':>5} {'Photon us':>9} {'peer us':>8} "
              f"{'Photon/peer':>11} {'copy us':>8} {'%sized':>6}"]
    for q in pairs:
        lines.append(f"{q['model'][:14]:<14} {q['kernel'][:40]:<40} {q['rows']:>5} "
                     f"{q['photon_us']:>9.2f} {q['peer_us']:>8.2f} {_fmt(q['ratio'], '.2f', 11)} "
                     f"{_fmt(q.get('copy_us'), '.2f', 8)} {_fmt(q.get('pct_sized_copy'), '.1f', 6)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# On the GPU
# --------------------------------------------------------------------------

def measure_rates():
    """(copy bytes/s, bf16 matmul FLOP/s) of this GPU, by torch: a 1 GiB device-to-device
    copy (read + written bytes) and an 8192^3 bf16 matmul, best of 20 after warm-up."""
    import torch
    src = torch.empty(2**30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)

    def best(fn, n=20):
        fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(n):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b) / 1e3)
        return min(times)

    copy_bps = 2 * src.numel() / best(lambda: dst.copy_(src))
    del src, dst
    n = 8192
    x = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    y = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    matmul_fps = 2 * n**3 / best(lambda: torch.matmul(x, y))
    return copy_bps, matmul_fps


class SkipRun(Exception):
    """A configuration that measures nothing new."""


def under_ncu(args, cmd, rep):
    """Runs `cmd` under ncu (profiling from its cuProfilerStart, clocks not locked, caches
    flushed before every kernel), exports the report to `rep` and returns its raw page as
    CSV (kept in --keep-csv as <rep's name>.csv)."""
    ncu = [args.ncu, "--profile-from-start", "off", "--metrics", ",".join(METRICS),
           "--clock-control", "none", "--cache-control", "all", "--export", rep,
           "--force-overwrite"]
    p = subprocess.run(ncu + cmd, capture_output=True, text=True, timeout=args.timeout)
    if p.returncode != 0:
        tail = (p.stderr.strip() or p.stdout.strip()).splitlines()[-3:]
        raise RuntimeError(f"ncu/{os.path.basename(cmd[0])} exited {p.returncode}: "
                           f"{' | '.join(tail)}")
    q = subprocess.run([args.ncu, "--import", rep + ".ncu-rep", "--csv", "--page", "raw",
                        "--print-units", "base"], capture_output=True, text=True,
                       timeout=args.timeout)
    if q.returncode != 0:
        raise RuntimeError(f"ncu --import exited {q.returncode}: {q.stderr.strip()[-300:]}")
    if args.keep_csv:
        with open(os.path.join(args.keep_csv, os.path.basename(rep) + ".csv"), "w") as f:
            f.write(q.stdout)
    return q.stdout


def profile(args, art, manifest, batch, mode, workdir):
    """ncu over one decode step (or, for a vanilla batch above the decode tile, the
    first prefill call) of `batch` sequences. Returns (kernels of parse_ncu_csv, what
    was profiled in words, whether it was the prefill, the prompt length, seconds)."""
    prog = next(p for p in manifest["programs"] if p["mode"] == mode)
    tps = prog["tokens_per_step"]
    decode_tile = max([r["tile"] for r in prog["regions"]] + [1])
    prefill = batch > decode_tile
    if prefill and manifest["config"]["model_type"] != "vanilla":
        # Every decode tile repeats the first one's launches: a larger batch adds
        # nothing (the level-1 decoder already runs tile x B/C1 x R1 rows per call).
        raise SkipRun(f"batch {batch} > the decode tile {decode_tile}: the same kernels "
                      f"as batch {decode_tile}")
    cmd = [os.path.join(args.bin, "photon-run"), art, "--device", "cuda",
           "--synthetic-weights", "1", "--mode", mode, "--no-graphs", "-q", "--output", "json"]
    if prefill:
        count = prog["prefill_tile"]
        prompt = batch // count
        cmd += ["--batch", str(count), "--max-new-tokens", "1", "--profile-prefill"]
        what = f"prefill of {count} x {prompt} tokens"
    else:
        prompt = args.prompt
        # Step 1 (the second): the first one after prefill has warmed the JIT'd modules.
        cmd += ["--batch", str(batch), "--max-new-tokens", str(3 * tps), "--profile-step", "1"]
        what = f"decode step 1 at {batch} rows, context ~{prompt + tps}"
    cmd += ["--prompt-ids", ",".join(str(1 + i % 250) for i in range(prompt))]
    t0 = time.time()
    text = under_ncu(args, cmd, os.path.join(workdir, f"{os.path.basename(art)}-{mode}-{batch}"))
    return parse_ncu_csv(text), what, prefill, prompt, time.time() - t0


def run_peer_child(path):
    """Under ncu (profile_peer): each case once (torch.nn.functional.linear,
    scaled_dot_product_attention of one query position a row, or an elementwise copy
    kernel), opened by a marker kernel, between cudaProfilerStart and Stop; every case runs
    once before, so that cuBLAS's handle and heuristics are not what is profiled."""
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    bf16 = dict(device="cuda", dtype=torch.bfloat16)
    weights, calls = {}, []
    for case in json.load(open(path)):
        rows = case["rows"]
        if case["kind"] == "copy":
            # A kernel that reads and writes the bytes once (torch's elementwise neg):
            # ncu times kernels only, and copy_ between like tensors is a cudaMemcpy.
            src = torch.empty(case["bytes"] // 2, **bf16)
            call = lambda src=src, dst=torch.empty_like(src): torch.neg(src, out=dst)  # noqa: E731
        elif case["kind"] == "attention":
            H, KV, hd, T = case["heads"], case["kv_heads"], case["head_dim"], case["context"]
            q = torch.randn(rows, H, 1, hd, **bf16)
            k, v = torch.randn(rows, KV, T, hd, **bf16), torch.randn(rows, KV, T, hd, **bf16)
            gqa = {"enable_gqa": True} if H != KV else {}
            call = (lambda q=q, k=k, v=v, gqa=gqa:
                    F.scaled_dot_product_attention(q, k, v, **gqa))
        else:
            M, K = case["M"], case["K"]
            if (M, K) not in weights:
                weights[M, K] = torch.randn(M, K, **bf16) * 0.02
            x = torch.randn(rows, K, **bf16)
            call = lambda x=x, w=weights[M, K]: F.linear(x, w)  # noqa: E731
        call()
        calls.append(call)
    marker = torch.zeros(1, device="cuda")
    torch.cuda.synchronize()
    torch.cuda.cudart().cudaProfilerStart()
    for i, call in enumerate(calls):
        marker.fill_(float(i))
        call()
    torch.cuda.synchronize()
    torch.cuda.cudart().cudaProfilerStop()


def profile_peer(args, cases, workdir):
    """ncu over the peer's projections (run_peer_child): one kernel list per case."""
    spec = os.path.join(workdir, "peer-cases.json")
    with open(spec, "w") as f:
        json.dump(cases, f)
    text = under_ncu(args, [sys.executable, os.path.abspath(__file__), "--peer-child", spec],
                     os.path.join(workdir, "peer"))
    return split_peer_kernels(parse_ncu_csv(text), len(cases))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--peer-child":
        run_peer_child(sys.argv[2])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory with photon-run")
    ap.add_argument("--artifacts", required=True, help="directory of compiled models (<dir>/<model>)")
    ap.add_argument("--models", nargs="+", default=["vanilla-600m", "photon-600m"])
    ap.add_argument("--batches", default="1,16,256,4096",
                    help="rows per projection: decode batches; above the decode tile, "
                         "a prefill call of that many token rows")
    ap.add_argument("--prompt", type=int, default=64, help="prompt tokens before the decode step")
    ap.add_argument("--max-rows", type=int, default=4096,
                    help="the artifacts' photon-compile --max-rows (rows of one stack call)")
    ap.add_argument("--gemv-max-rows", type=int, default=16,
                    help="the artifacts' photon-compile --gemv-max-rows")
    ap.add_argument("--no-fuse-qkv", action="store_true", help="the artifacts were compiled so")
    ap.add_argument("--no-fuse-gate-up", action="store_true", help="the artifacts were compiled so")
    ap.add_argument("--ncu", default=shutil.which("ncu") or "/usr/local/cuda/bin/ncu")
    ap.add_argument("--copy-gbps", type=float, help="copy rate instead of measuring it")
    ap.add_argument("--matmul-tflops", type=float, help="bf16 matrix rate instead of measuring it")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per profiled run")
    ap.add_argument("--budget-s", type=float, default=1e9,
                    help="start no new profiled run after this many seconds")
    ap.add_argument("--keep-csv", help="directory for ncu's CSV of every run")
    ap.add_argument("--no-peer", action="store_true",
                    help="leave out the PyTorch peer's projections (torch.nn.functional.linear "
                         "at the models' shapes and Photon's row counts, under the same ncu)")
    ap.add_argument("--out", required=True, help="JSON results; the table goes to <out>.txt too")
    args = ap.parse_args()

    if args.copy_gbps and args.matmul_tflops:
        copy_bps, matmul_fps = args.copy_gbps * 1e9, args.matmul_tflops * 1e12
    else:
        copy_bps, matmul_fps = measure_rates()
        copy_bps = args.copy_gbps * 1e9 if args.copy_gbps else copy_bps
        matmul_fps = args.matmul_tflops * 1e12 if args.matmul_tflops else matmul_fps
    try:
        device = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:  # noqa: BLE001
        device = "unknown"
    head = (f"{device}: copy {copy_bps / 1e9:.0f} GB/s (1 GiB device-to-device, read + written), "
            f"bf16 matmul {matmul_fps / 1e12:.0f} TFLOP/s (8192^3)")
    print(head, flush=True)
    text = [head]
    if args.keep_csv:
        os.makedirs(args.keep_csv, exist_ok=True)
    runs, configs = [], {}
    t_start = time.time()
    workdir = tempfile.mkdtemp(prefix="photon-kbench-")
    try:
        for model in args.models:
            art = os.path.join(args.artifacts, model)
            manifest = json.load(open(os.path.join(art, "model.json")))
            cfg = manifest["config"]
            configs[model] = cfg
            wb = {"f32": 4, "bf16": 2, "f16": 2}[manifest["weights"]["dtype"]]
            ab = {"f32": 4, "bf16": 2}[manifest.get("activation_type", "f32")]
            mode = "recgen" if any(p["mode"] == "recgen" for p in manifest["programs"]) else "hiergen"
            for batch in (int(b) for b in args.batches.split(",")):
                run = {"model": model, "mode": mode, "batch": batch}
                try:
                    if time.time() - t_start > args.budget_s:
                        raise SkipRun("--budget-s reached")
                    kernels, what, prefill, prompt, wall = profile(args, art, manifest, batch,
                                                                   mode, workdir)
                    prog = next(p for p in manifest["programs"] if p["mode"] == mode)
                    rm = RowModel(cfg, max([r["tile"] for r in prog["regions"]] + [1]),
                                  args.max_rows, args.gemv_max_rows, not args.no_fuse_qkv,
                                  not args.no_fuse_gate_up)
                    if prefill:
                        launches = rm.prefill(prog["prefill_tile"], prompt) \
                            if cfg["model_type"] == "vanilla" else {}
                    else:
                        launches = rm.step(batch, mode)
                    # Vanilla decode: every layer's attention reads the same K/V bytes.
                    kv = (kv_bytes_per_layer(cfg, batch, prompt + prog["tokens_per_step"], ab)
                          if cfg["model_type"] == "vanilla" and not prefill else None)
                    groups = summarize(kernels, launches, wb, ab, copy_bps, matmul_fps, kv)
                    if not prefill:
                        run["context"] = prompt + prog["tokens_per_step"]
                    run.update({"profiled": what, "wall_s": wall, "groups": groups,
                                "kernel_seconds": sum(k["seconds"] for k in kernels),
                                "launches": len(kernels)})
                    table = format_table(f"\n== {model} {mode}: {what} ({len(kernels)} launches, "
                                         f"{wall:.0f} s under ncu)", groups, copy_bps, matmul_fps)
                except SkipRun as e:
                    run["skipped"] = str(e)
                    table = f"\n== {model} {mode} batch {batch}: skipped: {e}"
                except Exception as e:  # noqa: BLE001
                    run["error"] = str(e)
                    table = f"\n== {model} {mode} batch {batch}: error: {e}"
                print(table, flush=True)
                text.append(table)
                runs.append(run)
        peer, pairs, peer_error = [], [], None
        if not args.no_peer and configs:
            # The peer at every row count a Photon matrix kernel ran at in one launch
            # size, and at the batches (prefill rows) asked for.
            rows = {int(b) for b in args.batches.split(",")}
            rows |= {g["row_counts"][0] for r in runs for g in r.get("groups", [])
                     if len(g.get("row_counts") or []) == 1}
            cases = []
            for cfg in configs.values():
                cases += [c for c in peer_cases(cfg, sorted(rows)) if c not in cases]
            # Vanilla decode steps: the peer's attention of their rows and context.
            for r in runs:
                cfg = configs.get(r["model"])
                if r.get("context") and cfg and cfg["model_type"] == "vanilla":
                    case = peer_attention_case(cfg, r["batch"], r["context"])
                    if case not in cases:
                        cases.append(case)
            cases += [c for c in copy_cases(cases) if c not in cases]
            try:
                peer = peer_summary(cases, profile_peer(args, cases, workdir), copy_bps,
                                    matmul_fps)
                pairs = photon_against_peer(runs, peer)
                table = format_peer(peer, pairs)
            except Exception as e:  # noqa: BLE001
                peer_error = str(e)
                table = f"\n== the PyTorch peer's projections: error: {e}"
            print(table, flush=True)
            text.append(table)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    json.dump({"device": device, "date": time.strftime("%Y-%m-%d"), "copy_bytes_per_s": copy_bps,
               "matmul_flops_per_s": matmul_fps, "runs": runs, "peer": peer,
               "photon_against_peer": pairs, "peer_error": peer_error},
              open(args.out, "w"), indent=1)
    txt = os.path.splitext(args.out)[0] + ".txt"
    with open(txt, "w") as f:
        f.write("\n".join(text) + "\n")
    print(f"wrote {args.out} and {txt}")
    return 1 if any("error" in r for r in runs) or peer_error else 0


if __name__ == "__main__":
    sys.exit(main())
