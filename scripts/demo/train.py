#!/usr/bin/env python3
"""Trains the three demo models of issue #11 (PHOTON L=2, Block L=1, vanilla L=0) on the perl-doc corpus.

Runs on the GPU machine (torch, tokenizers, safetensors, matplotlib, numpy). The model code below computes
exactly spec §2-§3 (shared/spec/model.md) with the spec §5 tensor names, so the saved weights load in
photon-run and in the NumPy reference (reference/photonref), and `--smoke` proves it: the reference's f32
logits and this file's f32 logits must agree to max|Δ|/max|ref| < 1e-4 on the same random weights, for
every model type and for RecGen, before anything is trained.

Objective (paper, research/photon-paper.md §1.1, §1.5): L = L_token + α·L_rec.
  * L_token: mean cross-entropy over tokens 2..T of each window (token 1 has no context). Hierarchical
    models: logits row i predicts token i; vanilla (HF): row i predicts token i+1.
  * L_rec (PHOTON only, L >= 2): mean over items of 1 - cos(X̂^{L-1}, X^{L-1}), the level-(L-1) items the
    top decoder Dec_L reconstructs vs the encoder's. The level-1/token term is ill-defined (D vs D0 wide) and
    is left out, as in the paper's notes. Stop-gradient: the ENCODER TARGET X^{L-1} is detached, so L_rec
    trains Dec_L, Conv_L, s^L and (through X^L) Enc_L, Chunk_L and the encoders below, but cannot pull the
    target towards the reconstruction (no collapse of both sides). α = 0.3 (--alpha). Block/vanilla: L_token.

Training: fixed wall-clock budget per model (--seconds, training time only; evaluation excluded), AdamW
(betas 0.9/0.95, weight decay 0.1 on matrices), linear warmup then cosine decay over the time budget, bf16
autocast with f32 master weights, windows of --ctx tokens sampled uniformly from the train token stream
(documents joined with EOS). The last 2% of the train stream is a validation split, never trained on; the
weights with the best validation loss are kept (the corpus is small: 8M parameters overfit it).

Held-out evaluation (the saved bf16 weights, f32 compute, TF32 off): non-overlapping windows of --ctx
tokens from the start of the held-out stream (docs joined with EOS, every doc followed by EOS); each window
is scored on its last ctx - P tokens (P = --recgen-prompt-len, default ctx/2), i.e. P tokens of context and
ctx - P scored tokens, for vanilla, Block, PHOTON HierGen (teacher-forced full forward) and PHOTON RecGen
(reference `forward --recgen-prompt-len P`: X^L of meta-contexts after the first floor(P/B) come from the
decoder chain). Full-window losses (tokens 2..ctx) are reported too. Loss unit: nats per token.

Usage: train.py --tokenizer DIR/demo-tokenizer.json --corpus data/corpus --out DIR [--seconds 90] [--smoke]
"""
import argparse
import contextlib
import importlib.util
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "reference"))
import photonref as pr  # noqa: E402  (NumPy only)

TOL = 1e-4                      # spec §6 f32 bound
MODEL_NAMES = ("demo-photon", "demo-block", "demo-vanilla")
MAX_WEIGHT_BYTES = 16 * 1024 * 1024 - 64 * 1024   # the device returns files < 16 MiB; keep header room


def load_corpus_helpers():
    spec = importlib.util.spec_from_file_location("make_tokenizers", Path(__file__).with_name("make-tokenizers.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------------------------------------
# Configurations (spec §1 fields only: ConfigImport rejects unknown ones)

def demo_configs(vocab_size, smoke):
    common = dict(vocab_size=vocab_size, n_heads=4, n_kv_heads=4, rope_theta=10000.0, rms_norm_eps=1e-5)
    if smoke:
        D, D0, Fd, n = 64, 16, 128, 1
    else:
        D, D0, Fd, n = 256, 64, 512, 2
    photon = dict(model_type="photon", d_model=D, d_embed=D0, chunk_sizes=[4, 4], prefix_lengths=[2, 2],
                  encoder_layers=[n, n], decoder_layers=[n, n], ffn_dim=Fd, level1_chunker="concat", **common)
    block = dict(model_type="block", d_model=D, d_embed=D0, chunk_sizes=[4], prefix_lengths=[2],
                 encoder_layers=[2 * n], decoder_layers=[2 * n], ffn_dim=Fd, level1_chunker="concat", **common)
    # vanilla: one layer more than PHOTON's 4 stacks so that the parameter counts are about equal
    vanilla = dict(model_type="vanilla", d_model=D, layers=4 * n + 1, ffn_dim=Fd, **common)
    order = ("model_type", "vocab_size", "d_model", "d_embed", "layers", "chunk_sizes", "prefix_lengths",
             "encoder_layers", "decoder_layers", "n_heads", "n_kv_heads", "ffn_dim", "rope_theta",
             "rms_norm_eps", "level1_chunker")
    cfgs = {}
    for name, c in zip(MODEL_NAMES, (photon, block, vanilla)):
        cfgs[name] = {k: c[k] for k in order if k in c}
        pr.config_from_dict(cfgs[name])             # validated by the reference's config rules
    return cfgs


# ---------------------------------------------------------------------------------------------------------
# Model (spec §2-§3). Module attribute names are chosen so that state_dict() keys are the spec §5 names.

def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


_ROPE = {}


def rope_tables(n, hd, theta, device):
    """cos, sin [n, hd] for positions 0..n-1 (angles in f64 like the reference, then f32)."""
    key = (n, hd, theta, str(device))
    if key not in _ROPE:
        inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        ang = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]
        ang = torch.cat([ang, ang], dim=-1)
        _ROPE[key] = (ang.cos().float().to(device), ang.sin().float().to(device))
    return _ROPE[key]


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        x = x.float()                                   # statistics in f32 also under autocast
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight.float()


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, self.H, self.Hkv = c["d_model"], c["n_heads"], c.get("n_kv_heads", c["n_heads"])
        self.hd = D // self.H
        self.q_proj = nn.Linear(D, self.H * self.hd, bias=False)
        self.k_proj = nn.Linear(D, self.Hkv * self.hd, bias=False)
        self.v_proj = nn.Linear(D, self.Hkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.H * self.hd, D, bias=False)

    def forward(self, x, cos, sin):
        N, n, _ = x.shape
        q = self.q_proj(x).view(N, n, self.H, self.hd).transpose(1, 2)       # [N, H, n, hd]
        k = self.k_proj(x).view(N, n, self.Hkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(N, n, self.Hkv, self.hd).transpose(1, 2)
        q = (q * cos + rotate_half(q) * sin).to(v.dtype)                      # rotate-half RoPE
        k = (k * cos + rotate_half(k) * sin).to(v.dtype)
        rep = self.H // self.Hkv
        if rep > 1:                                    # HF repeat_kv: query head h reads KV head h // rep
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)          # scale 1/sqrt(hd)
        return self.o_proj(o.transpose(1, 2).reshape(N, n, self.H * self.hd))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, Fd = c["d_model"], c["ffn_dim"]
        self.gate_proj = nn.Linear(D, Fd, bias=False)
        self.up_proj = nn.Linear(D, Fd, bias=False)
        self.down_proj = nn.Linear(Fd, D, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c["rms_norm_eps"]
        self.self_attn, self.mlp = Attention(c), MLP(c)
        self.input_layernorm = RMSNorm(c["d_model"], eps)
        self.post_attention_layernorm = RMSNorm(c["d_model"], eps)

    def forward(self, x, cos, sin):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return h + self.mlp(self.post_attention_layernorm(h))


class Stack(nn.Module):
    """n layers + final RMSNorm over sequences [N, n, D] at RoPE positions 0..n-1, causal."""

    def __init__(self, c, n_layers):
        super().__init__()
        self.layers = nn.ModuleList([Layer(c) for _ in range(n_layers)])
        self.norm = RMSNorm(c["d_model"], c["rms_norm_eps"])
        self.hd, self.theta = c["d_model"] // c["n_heads"], float(c["rope_theta"])

    def forward(self, x):
        x = x.float()                                   # f32 residual stream
        cos, sin = rope_tables(x.shape[1], self.hd, self.theta, x.device)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.norm(x)


class Chunker(nn.Module):
    """A = proj(RMSNorm_{C·Din}(concat(x_1..x_C))) + bias (linear chunker, spec §2)."""

    def __init__(self, cd, D, eps):
        super().__init__()
        self.norm = RMSNorm(cd, eps)
        self.proj = nn.Linear(cd, D, bias=True)

    def forward(self, x):
        return self.proj(self.norm(x))


class Vanilla(nn.Module):
    """HF LLaMA names: model.embed_tokens, model.layers.*, model.norm, lm_head (untied)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Stack(c, c["layers"])
        self.model.embed_tokens = nn.Embedding(c["vocab_size"], c["d_model"])
        self.lm_head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)

    def forward(self, tokens):
        """[b, T] -> logits [b, T, V]; row i predicts token i+1."""
        return self.lm_head(self.model(self.model.embed_tokens(tokens)))


class Photon(nn.Module):
    """Hierarchical model (block: L = 1, photon: L >= 2), spec §3."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        V, D, D0, eps = c["vocab_size"], c["d_model"], c["d_embed"], c["rms_norm_eps"]
        self.cs, self.R, self.L, self.D = c["chunk_sizes"], c["prefix_lengths"], len(c["chunk_sizes"]), D
        self.B = math.prod(self.cs)
        self.enc_embed = nn.Embedding(V, D0)
        self.chunker = nn.ModuleDict()
        for l in range(1, self.L + 1):
            if l >= 2 or c["level1_chunker"] == "linear":
                din = D0 if l == 1 else D
                self.chunker[str(l)] = Chunker(self.cs[l - 1] * din, D, eps)
        self.encoder = nn.ModuleDict({str(l): Stack(c, c["encoder_layers"][l - 1]) for l in range(1, self.L + 1)})
        self.decoder = nn.ModuleDict({str(l): Stack(c, c["decoder_layers"][l - 1]) for l in range(1, self.L + 1)})
        self.converter = nn.ModuleDict({str(l): nn.Linear(D, self.R[l - 1] * D, bias=True)
                                        for l in range(1, self.L + 1)})
        self.start_latent = nn.ParameterDict({str(l): nn.Parameter(torch.zeros(D)) for l in range(1, self.L + 1)})
        self.dec_embed = nn.Embedding(V, D)
        self.lm_head = nn.Linear(D, V, bias=False)

    # building blocks
    def chunk(self, l, x):
        """x [b, m, C·Din] (concatenated items, in order) -> A [b, m, D]."""
        return self.chunker[str(l)](x) if str(l) in self.chunker else x

    def convert(self, l, x):
        """Latents [b, n, D] -> prefixes [b·n, R_l, D] (row r = output elements r·D..(r+1)·D-1)."""
        b, n, _ = x.shape
        return self.converter[str(l)](x).float().reshape(b * n, self.R[l - 1], self.D)

    def start(self, l, b):
        return self.start_latent[str(l)].float().view(1, 1, self.D).expand(b, 1, self.D)

    def need(self, T):
        """need[l] = X̂^l items (1..) the logits of tokens 1..T read (as reference Model._need)."""
        out = [T]
        for C in self.cs:
            out.append(max(0, -(-out[-1] // C) - 1))
        return out

    def rollout(self, l, conds):
        """Dec_l (l >= 2) autoregressive rollout on its own outputs: conds [b, n, D] (one per chunk) ->
        X̂^{l-1} [b, n·C_l, D]. Recomputes the whole (<= R+C-1 long) sequence at each step, like the
        reference; the output at the last position after the final norm is the next item."""
        b, n, _ = conds.shape
        seq = self.convert(l, conds)
        outs = []
        for _ in range(self.cs[l - 1]):
            y = self.decoder[str(l)](seq)[:, -1:]
            outs.append(y)
            seq = torch.cat([seq, y.to(seq.dtype)], dim=1)
        return torch.cat(outs, dim=1).reshape(b, n * self.cs[l - 1], self.D)

    def encode(self, tokens):
        """tokens [b, T] -> ([X^0, X^1, .., X^L], A^L): complete chunks only at every level."""
        b = tokens.shape[0]
        x = self.enc_embed(tokens)
        xs, a = [x], None
        for l in range(1, self.L + 1):
            C = self.cs[l - 1]
            m = x.shape[1] // C
            a = self.chunk(l, x[:, :m * C].reshape(b, m, C * x.shape[2]))
            x = self.encoder[str(l)](a) if m > 0 else a.float()
            xs.append(x)
        return xs, a

    def decode(self, top, tokens):
        """top: X^L items (>= need[L] of them); returns (logits [b, T, V] with row i predicting token i,
        every X̂^{L-1} item Dec_L computed [b, n, D] (None for L = 1))."""
        b, T = tokens.shape
        need = self.need(T)
        stream, hat = top[:, :need[self.L]], None
        for l in range(self.L, 1, -1):
            items = self.rollout(l, torch.cat([self.start(l, b), stream.float()], dim=1))
            if l == self.L:
                hat = items
            stream = items[:, :need[l - 1]]
        C, R = self.cs[0], self.R[0]
        nk = need[1] + 1                                 # token chunks = ceil(T / C1)
        U = self.convert(1, torch.cat([self.start(1, b), stream.float()], dim=1))       # [b·nk, R, D]
        padded = F.pad(tokens, (0, nk * C - T))          # pad ids only reach outputs after them (cut below)
        tin = self.dec_embed(padded.view(b, nk, C)[:, :, :C - 1]).float().reshape(b * nk, C - 1, self.D)
        h = self.decoder["1"](torch.cat([U, tin], dim=1))[:, R - 1:]                  # item j -> token j
        return self.lm_head(h).reshape(b, nk * C, -1)[:, :T], hat

    def forward(self, tokens):
        xs, _ = self.encode(tokens)
        return self.decode(xs[self.L], tokens)[0]

    def forward_train(self, tokens):
        """(logits, X̂^{L-1} reconstructions, X^{L-1} encoder items) for the training objective."""
        xs, _ = self.encode(tokens)
        logits, hat = self.decode(xs[self.L], tokens)
        return logits, hat, xs[self.L - 1]

    def recgen(self, tokens, prompt_len):
        """Teacher-forced RecGen logits, exactly reference Model.recgen_forward: X^L_g for g > floor(P/B)
        is Enc_L(Chunk_L(X̂^{L-1} of meta-context g)), recomputed over the whole top stream each step."""
        assert self.L >= 2, "RecGen needs L >= 2"
        b, T = tokens.shape
        gp = min(prompt_len, T) // self.B
        a_list, top = [], tokens.new_zeros((b, 0, self.D), dtype=torch.float32)
        if gp > 0:
            xs, a = self.encode(tokens[:, :gp * self.B])
            a_list, top = [a], xs[self.L]
        CL, target = self.cs[-1], self.need(T)[self.L]
        while top.shape[1] < target:
            g = top.shape[1] + 1
            cond = top[:, g - 2:g - 1] if g >= 2 else self.start(self.L, b)
            items = self.rollout(self.L, cond.float())                          # X̂^{L-1} of meta-context g
            a_list.append(self.chunk(self.L, items.reshape(b, 1, CL * self.D)))
            top = self.encoder[str(self.L)](torch.cat(a_list, dim=1))
        return self.decode(top, tokens)[0]


def build_model(c):
    return Vanilla(c) if c["model_type"] == "vanilla" else Photon(c)


def n_layers_total(c):
    return c["layers"] if c["model_type"] == "vanilla" else sum(c["encoder_layers"]) + sum(c["decoder_layers"])


def init_params(model, c, seed):
    g = torch.Generator().manual_seed(seed)
    out_std = 0.02 / math.sqrt(2 * n_layers_total(c))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            elif name.startswith("start_latent"):
                p.copy_(torch.randn(p.shape, generator=g))    # like an RMS-normed latent
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                p.copy_(torch.randn(p.shape, generator=g) * out_std)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


def check_names(model, cfg_dict):
    """The state_dict must be exactly the spec §5 tensor set with the spec shapes."""
    exp = pr.expected_shapes(pr.config_from_dict(cfg_dict))
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing, extra = sorted(set(exp) - set(got)), sorted(set(got) - set(exp))
    bad = [k for k in exp if k in got and tuple(exp[k]) != got[k]]
    if missing or extra or bad:
        sys.exit(f"train: tensor names differ from spec §5: missing {missing[:5]}, extra {extra[:5]}, "
                 f"mis-shaped {bad[:5]}")


# ---------------------------------------------------------------------------------------------------------
# Losses and evaluation

def bf16_autocast(enabled):
    """bf16 autocast on CUDA; nothing (f32) when disabled or on the CPU."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


def model_logits(model, tokens, recgen_prompt_len=None):
    if recgen_prompt_len is not None:
        return model.recgen(tokens, recgen_prompt_len)
    return model(tokens)


def token_nll(model, tokens, first, logits=None, recgen_prompt_len=None):
    """Per-window summed NLL of tokens first..T-1 (0-based) and their count, for either row convention."""
    if logits is None:
        logits = model_logits(model, tokens, recgen_prompt_len)
    if isinstance(model, Vanilla):
        lg = logits[:, first - 1:-1]                     # row i predicts token i+1
    else:
        lg = logits[:, first:]                           # row i predicts token i
    tgt = tokens[:, first:]
    nll = F.cross_entropy(lg.float().reshape(-1, lg.shape[-1]), tgt.reshape(-1), reduction="none")
    return nll.view(tgt.shape).sum(1), tgt.shape[1]


def train_loss(model, tokens, alpha):
    if isinstance(model, Vanilla):
        logits, rec = model(tokens), None
    else:
        logits, hat, target = model.forward_train(tokens)
        rec = None
        if model.L >= 2:
            m = min(hat.shape[1], target.shape[1])
            rec = (1 - F.cosine_similarity(hat[:, :m].float(), target[:, :m].detach().float(), dim=-1)).mean()
    nll, n = token_nll(model, tokens, 1, logits=logits)
    tok = nll.sum() / (nll.shape[0] * n)
    loss = tok + alpha * rec if rec is not None else tok
    return loss, tok, rec


@torch.no_grad()
def eval_windows(model, windows, first, batch, recgen_prompt_len=None, autocast=False):
    """Mean NLL per token over windows [n, ctx] scored on positions first..ctx-1; also per-window means."""
    model.eval()
    per = []
    for i in range(0, windows.shape[0], batch):
        w = windows[i:i + batch]
        with bf16_autocast(autocast and w.is_cuda):
            nll, n = token_nll(model, w, first, recgen_prompt_len=recgen_prompt_len)
        per.append((nll / n).float().cpu())
    model.train()
    per = torch.cat(per)
    return float(per.mean()), per.numpy()


def to_numpy_weights(model):
    return {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}


def compare_with_reference(model, cfg_dict, weights_np, cases, device, label):
    """cases: [(tokens list, recgen prompt len or None)]. Torch f32 (no autocast) vs reference f32."""
    cfg = pr.config_from_dict(cfg_dict)
    ref = pr.Model(cfg, weights_np, "f32")
    rows, worst = [], 0.0
    model.eval()
    with torch.no_grad():
        for toks, P in cases:
            t = torch.tensor([toks], dtype=torch.long, device=device)
            got = model_logits(model, t, P)[0].float().cpu().numpy()
            want = ref.forward(toks) if P is None else ref.recgen_forward(toks, P)
            err, row = pr.compare(got, want)
            same = int((got.argmax(-1) == want.argmax(-1)).sum())
            rows.append({"T": len(toks), "recgen_prompt_len": P, "max_rel_err": err, "worst_row": row,
                         "argmax_equal": f"{same}/{len(toks)}"})
            worst = max(worst, err)
            print(f"  check {label}: T={len(toks)} {'recgen P=' + str(P) if P is not None else 'forward'}: "
                  f"max|d|/max|ref| = {err:.3e} (row {row}), argmax equal {same}/{len(toks)}", flush=True)
    model.train()
    return worst, rows


def set_exact_f32():
    """No TF32 in f32 matmuls (the reference checks and the held-out losses are f32); bf16 autocast
    training is unaffected."""
    torch.set_float32_matmul_precision("highest")


def reference_check(device):
    """Spec §6 f32 agreement on the reference's own synthetic weights, every model type, forward and RecGen."""
    print("train: correctness check against the NumPy reference (f32)", flush=True)
    ex = REPO / "examples"
    rng = np.random.default_rng(7)
    worst, results = 0.0, {}
    for name in ("tiny-photon-l2", "tiny-block", "tiny-vanilla", "tiny-photon-l3"):
        with open(ex / f"{name}.json") as f:
            c = json.load(f)
        cfg = pr.config_from_dict(c)
        W = pr.init_weights(cfg, seed=3, dtype="f32")
        model = build_model(c).to(device)
        check_names(model, c)
        model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in W.items()}, strict=True)
        cases = [(rng.integers(0, cfg.vocab_size, T).tolist(), None) for T in (1, 5, 37, 48)]
        if cfg.L >= 2:
            B = cfg.B
            cases += [(rng.integers(0, cfg.vocab_size, T).tolist(), P)
                      for T, P in ((3 * B, B + 4), (2 * B + 5, 5), (40, 16), (4 * B, 2 * B))]
        w, rows = compare_with_reference(model, c, W, cases, device, name)
        worst, results[name] = max(worst, w), rows
    return worst, results


# ---------------------------------------------------------------------------------------------------------
# Data

def token_stream(tok, docs, eos):
    """Documents joined with EOS (each document followed by EOS), as one int64 array."""
    ids = []
    for enc in tok.encode_batch(docs, add_special_tokens=False):
        ids.extend(enc.ids)
        ids.append(eos)
    return np.asarray(ids, dtype=np.int64)


def windows_of(stream, ctx, limit=None):
    n = len(stream) // ctx
    if limit:
        n = min(n, limit)
    return stream[:n * ctx].reshape(n, ctx)


# ---------------------------------------------------------------------------------------------------------
# Training

def param_groups(model, wd):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    return [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]


def lr_at(step, frac, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    return a.lr * (a.min_lr_frac + (1 - a.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def train_one(name, c, data, a, device, seed):
    torch.manual_seed(seed)
    model = build_model(c)
    check_names(model, c)
    init_params(model, c, seed)
    model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    alpha = a.alpha if c["model_type"] == "photon" else 0.0
    print(f"train: {name}: {n_params:,} parameters ({2 * n_params / 2**20:.2f} MiB as bf16), alpha {alpha}, "
          f"budget {a.seconds:.0f} s", flush=True)
    if 2 * n_params > MAX_WEIGHT_BYTES:
        sys.exit(f"train: {name} would be {2 * n_params} bytes as bf16, over the {MAX_WEIGHT_BYTES}-byte limit")
    opt = torch.optim.AdamW(param_groups(model, a.weight_decay), lr=a.lr, betas=(0.9, 0.95), eps=1e-8,
                            fused=(device.type == "cuda"))
    train_ids, val_w, held_w = data["train"], data["val_eval"], data["held_eval"]
    gen = torch.Generator(device="cpu").manual_seed(seed)
    log = {"steps": [], "evals": []}
    best = (float("inf"), None, -1)
    t_train, step, next_eval, tokens_seen = 0.0, 0, 0.0, 0
    use_cuda = device.type == "cuda"
    while True:
        done = t_train >= a.seconds or (a.max_steps and step >= a.max_steps)
        if t_train >= next_eval or done:
            v, _ = eval_windows(model, val_w, 1, a.eval_batch, autocast=True)
            h, _ = eval_windows(model, held_w, 1, a.eval_batch, autocast=True)
            log["evals"].append({"step": step, "time_s": round(t_train, 2), "val": v, "heldout": h})
            print(f"  {name} step {step:5d} t {t_train:6.1f}s  val {v:.4f}  heldout {h:.4f}", flush=True)
            if v < best[0]:
                best = (v, {k: t.detach().clone() for k, t in model.state_dict().items()}, step)
            next_eval += a.eval_every
        if done:
            break
        if use_cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        lr = lr_at(step, t_train / a.seconds, a)
        for gr in opt.param_groups:
            gr["lr"] = lr
        starts = torch.randint(0, len(train_ids) - a.ctx, (a.batch,), generator=gen).to(device)
        batch = train_ids[starts[:, None] + torch.arange(a.ctx, device=device)[None, :]]
        with bf16_autocast(use_cuda):
            loss, tok, rec = train_loss(model, batch, alpha)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += a.batch * a.ctx
        if step % 10 == 0 or step == 1:
            rec_v = float(rec) if rec is not None else None
            log["steps"].append({"step": step, "time_s": round(t_train, 3), "loss": float(loss),
                                 "token_loss": float(tok), "rec_loss": rec_v, "lr": lr, "grad_norm": float(gnorm)})
        if step % 100 == 0:
            print(f"  {name} step {step:5d} t {t_train:6.1f}s  loss {float(loss):.4f}  token {float(tok):.4f}"
                  + (f"  rec {float(rec):.4f}" if rec is not None else "") + f"  lr {lr:.2e}", flush=True)
        if use_cuda:
            torch.cuda.synchronize()
        t_train += time.perf_counter() - t0
    model.load_state_dict(best[1])
    info = {"params": n_params, "steps": step, "train_seconds": round(t_train, 2), "tokens_seen": tokens_seen,
            "epochs": tokens_seen / len(train_ids), "best_val_step": best[2], "best_val_loss": best[0],
            "alpha": alpha, "batch": a.batch, "ctx": a.ctx, "lr": a.lr}
    return model, info, log


def save_weights(model, c, path, name):
    from safetensors.torch import save_file
    sd = {k: v.detach().to(torch.bfloat16).cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(sd, str(path), metadata={"format": "pt", "model": name, "generator": "scripts/demo/train.py"})
    size = os.path.getsize(path)
    if size >= 16 * 1024 * 1024:
        sys.exit(f"train: {path} is {size} bytes, not under 16 MiB")
    return size


def load_saved(c, path, device):
    """The saved file read back by the reference's own safetensors parser (also checks the format)."""
    tensors = pr.load_safetensors(str(path))[0]
    W = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
    pr.check_weights(pr.config_from_dict(c), W)
    model = build_model(c)
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in W.items()}, strict=True)
    return model.to(device), W


def plot(logs, hardware, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colors = {"demo-photon": "tab:red", "demo-block": "tab:blue", "demo-vanilla": "tab:green"}
    for name, log in logs.items():
        st = log["steps"]
        if not st:
            continue
        x = np.array([s["time_s"] for s in st])
        y = np.array([s["token_loss"] for s in st])
        k = max(1, len(y) // 50)
        ys = np.convolve(y, np.ones(k) / k, mode="valid")
        ax.plot(x[k - 1:], ys, color=colors[name], lw=1.5, label=f"{name} train (token loss)")
        ev = log["evals"]
        ax.plot([e["time_s"] for e in ev], [e["heldout"] for e in ev], "o--", color=colors[name], ms=3, lw=1,
                label=f"{name} held-out")
    ax.set_xlabel(f"training time (s, {hardware}, bf16 autocast)")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.set_title("Demo models on Perl 5.36 core docs (4096-token BPE)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


# ---------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", required=True, help="demo-tokenizer.json (EOS <|endoftext|>)")
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=float, default=90.0, help="training wall-clock budget per model")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: time only)")
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--alpha", type=float, default=0.3, help="weight of the recursive (cosine) loss, PHOTON only")
    ap.add_argument("--eval-every", type=float, default=10.0, help="seconds of training between evaluations")
    ap.add_argument("--eval-batch", type=int, default=32)
    ap.add_argument("--eval-windows", type=int, default=64, help="windows of the periodic val/held-out evaluation")
    ap.add_argument("--recgen-prompt-len", type=int, default=0, help="context tokens per held-out window "
                                                                      "(default ctx/2)")
    ap.add_argument("--heldout-windows", type=int, default=0, help="limit the final held-out windows (0: all)")
    ap.add_argument("--smoke", action="store_true", help="tiny models, 20 steps, reference check first")
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    if a.smoke:
        a.ctx, a.batch, a.max_steps, a.seconds, a.warmup = 64, 8, 20, 1e9, 5
        a.eval_every, a.heldout_windows = 1e9, 6
    B = 16
    if a.ctx % B:
        sys.exit(f"train: --ctx {a.ctx} must be a multiple of the meta-context length {B}")
    P = a.recgen_prompt_len or a.ctx // 2
    if not 0 < P < a.ctx:
        sys.exit(f"train: --recgen-prompt-len {P} must be in (0, ctx)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    set_exact_f32()
    t_start = time.time()
    results = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
               "torch": torch.__version__, "smoke": a.smoke}

    # 1. the model code against the reference, before spending time on training
    worst, rows = reference_check(device)
    results["reference_check_random_weights"] = {"worst_max_rel_err": worst, "cases": rows}
    if not worst < TOL:
        print(f"train: FAILED: torch vs reference max|d|/max|ref| = {worst:.3e} >= {TOL}", flush=True)
        (out / "results.json").write_text(json.dumps(results, indent=1))
        sys.exit(1)
    print(f"train: reference check OK (worst {worst:.3e} < {TOL})", flush=True)

    # 2. data
    from tokenizers import Tokenizer
    helpers = load_corpus_helpers()
    tok = Tokenizer.from_file(a.tokenizer)
    eos = tok.token_to_id(helpers.EOS)
    if eos is None:
        sys.exit(f"train: {a.tokenizer} has no {helpers.EOS} token")
    V = tok.get_vocab_size()
    train_all = token_stream(tok, helpers.read_docs(os.path.join(a.corpus, "train.txt")), eos)
    held = token_stream(tok, helpers.read_docs(os.path.join(a.corpus, "heldout.txt")), eos)
    n_val = max(len(train_all) // 50, 4 * a.ctx)
    train_ids, val_ids = train_all[:-n_val], train_all[-n_val:]
    held_win = windows_of(held, a.ctx, a.heldout_windows)
    data = {"train": torch.from_numpy(train_ids).to(device),
            "val_eval": torch.from_numpy(windows_of(val_ids, a.ctx, a.eval_windows)).to(device),
            "held_eval": torch.from_numpy(windows_of(held, a.ctx, a.eval_windows)).to(device)}
    print(f"train: vocab {V}, EOS id {eos}; tokens: train {len(train_ids):,}, val {len(val_ids):,}, "
          f"held-out {len(held):,} ({held_win.shape[0]} windows of {a.ctx})", flush=True)
    np.save(out / "heldout-windows.npy", held_win.astype(np.int32))
    results["data"] = {"train_tokens": int(len(train_ids)), "val_tokens": int(len(val_ids)),
                       "heldout_tokens": int(len(held)), "heldout_windows": int(held_win.shape[0]),
                       "ctx": a.ctx, "scored_from": P, "vocab_size": V, "eos_id": eos}

    # 3. train, save, evaluate
    cfgs = demo_configs(V, a.smoke)
    logs, infos, evals = {}, {}, {}
    hw = torch.from_numpy(held_win).to(device)
    for i, name in enumerate(MODEL_NAMES):
        c = cfgs[name]
        (out / f"{name}.json").write_text(json.dumps(c, indent=2) + "\n")
        t0 = time.time()
        model, info, log = train_one(name, c, data, a, device, a.seed + i)
        wpath = out / f"{name}.safetensors"
        info["weight_bytes"] = save_weights(model, c, wpath, name)
        del model
        model, W = load_saved(c, wpath, device)          # evaluate exactly what was saved (bf16 values)
        ev = {}
        ev["full_window"], _ = eval_windows(model, hw, 1, a.eval_batch)
        ev["scored"], per = eval_windows(model, hw, P, a.eval_batch)
        key = "hiergen" if c["model_type"] == "photon" else c["model_type"]
        evals[key] = {"loss_scored": ev["scored"], "loss_full_window": ev["full_window"]}
        per_rec = None
        if c["model_type"] == "photon":
            evals["recgen"] = {}
            evals["recgen"]["loss_scored"], per_rec = eval_windows(model, hw, P, a.eval_batch, recgen_prompt_len=P)
        # 4. the trained weights against the reference: logits on a short sequence and on window 0, and the
        #    loss of window 0 from the reference's logits
        short = held_win[0, :48].tolist()
        cases = [(short, None), (held_win[0].tolist(), None)]
        if c["model_type"] == "photon":
            cases += [(short, 16), (held_win[0].tolist(), P)]
        wmax, rows = compare_with_reference(model, c, W, cases, device, name + " (trained)")
        ref_model = pr.Model(pr.config_from_dict(c), W, "f32")
        xcheck = {"max_rel_err": wmax, "cases": rows}
        for label, lg_fn, mine in (("window0_loss", lambda: ref_model.forward(held_win[0].tolist()), per[0]),
                                   ("window0_recgen_loss",
                                    lambda: ref_model.recgen_forward(held_win[0].tolist(), P),
                                    None if per_rec is None else per_rec[0])):
            if mine is None:
                continue
            lg = torch.from_numpy(lg_fn()).double()[None]
            t = torch.from_numpy(held_win[:1])
            sl = lg[:, P - 1:-1] if c["model_type"] == "vanilla" else lg[:, P:]
            ref_loss = float(F.cross_entropy(sl.reshape(-1, sl.shape[-1]), t[:, P:].reshape(-1)))
            xcheck[label] = {"reference": ref_loss, "torch": float(mine)}
            print(f"  {name}: {label}: reference {ref_loss:.5f}, torch {float(mine):.5f}", flush=True)
        info["reference_check_trained"] = xcheck
        info["wall_seconds"] = round(time.time() - t0, 1)
        infos[name], logs[name] = info, log
        print(f"train: {name} done: {info['steps']} steps, {info['train_seconds']} s training, best val step "
              f"{info['best_val_step']}, {info['weight_bytes']:,} bytes, held-out scored loss {ev['scored']:.4f}"
              + (f", RecGen {evals['recgen']['loss_scored']:.4f}" if c["model_type"] == "photon" else "")
              + f" ({info['wall_seconds']} s)", flush=True)
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()
        if wmax >= TOL:
            results.update(models=infos, heldout=evals)
            (out / "results.json").write_text(json.dumps(results, indent=1))
            sys.exit(f"train: FAILED: trained {name}: torch vs reference {wmax:.3e} >= {TOL}")

    results["models"] = infos
    results["heldout"] = evals
    results["heldout_definition"] = (
        f"nats/token; non-overlapping {a.ctx}-token windows from the start of the held-out token stream "
        f"(heldout-windows.npy); loss_scored: tokens {P}..{a.ctx - 1} (0-based) of each window, i.e. {P} tokens "
        f"of context; loss_full_window: tokens 1..{a.ctx - 1}. RecGen = reference forward --recgen-prompt-len {P}. "
        "Saved bf16 weights, f32 compute.")
    results["total_seconds"] = round(time.time() - t_start, 1)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "train-log.json").write_text(json.dumps(logs) + "\n")
    plot(logs, results["device"], out / "loss.png")
    print("train: held-out loss per token (scored positions): " +
          ", ".join(f"{k} {v['loss_scored']:.4f}" for k, v in evals.items()), flush=True)
    print(f"train: all done in {results['total_seconds']} s -> {out}", flush=True)


if __name__ == "__main__":
    main()
