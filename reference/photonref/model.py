"""Forward pass and generation (spec §2-§4).

Two independent code paths:
  * the teacher-forced full forward (`Model.forward`, `Model.recgen_forward`) recomputes every stack
    from scratch with no KV cache (latent rollouts re-run the whole chunk sequence at every step);
  * generation (`Model.generate_one`) is the incremental algorithm of spec §4: prefill, per-level encoder
    KV caches, decoder carries, per-chunk decoder KV caches, forced prompt tokens, HierGen / RecGen.
"""
import math

import numpy as np

from .config import PhotonError
from .weights import check_weights

DTYPES = {"f64": np.float64, "f32": np.float32}


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(x):
    with np.errstate(over="ignore"):
        return x / (1 + np.exp(-x))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def greedy(logits, pos):
    """Greedy sampler: argmax, ties to the lowest id."""
    return int(np.argmax(logits))


class Stack:
    """n LLaMA layers + final RMSNorm. A cache is a list of per-layer [K, V] ([n_kv, t, head_dim])."""

    def __init__(self, W, name, n_layers, cfg, dt):
        keys = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm")
        self.layers = [tuple(W[f"{name}.layers.{i}.{k}.weight"] for k in keys) for i in range(n_layers)]
        self.norm = W[f"{name}.norm.weight"]
        self.eps, self.dt = cfg.rms_norm_eps, dt
        self.H, self.Hkv, self.hd = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.inv_freq = 1.0 / cfg.rope_theta ** (np.arange(0, self.hd, 2, dtype=np.float64) / self.hd)

    def new_cache(self):
        return [[None, None] for _ in self.layers]

    def __call__(self, x, cache=None):
        """x [n, D] at positions p0..p0+n-1 (p0 = cached length); returns the normed outputs [n, D]."""
        if cache is None:
            cache = self.new_cache()
        n = x.shape[0]
        p0 = 0 if not cache or cache[0][0] is None else cache[0][0].shape[1]
        ang = np.arange(p0, p0 + n, dtype=np.float64)[:, None] * self.inv_freq[None, :]
        ang = np.concatenate([ang, ang], axis=-1)
        cos, sin = np.cos(ang).astype(self.dt), np.sin(ang).astype(self.dt)
        for (wq, wk, wv, wo, wg, wu, wd, n1, n2), kv in zip(self.layers, cache):
            h = rms_norm(x, n1, self.eps)
            q = (h @ wq.T).reshape(n, self.H, self.hd).transpose(1, 0, 2)
            k = (h @ wk.T).reshape(n, self.Hkv, self.hd).transpose(1, 0, 2)
            v = (h @ wv.T).reshape(n, self.Hkv, self.hd).transpose(1, 0, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if kv[0] is not None:
                k, v = np.concatenate([kv[0], k], axis=1), np.concatenate([kv[1], v], axis=1)
            kv[0], kv[1] = k, v
            rep = self.H // self.Hkv                      # HF repeat_kv: head h reads KV head h // rep
            k, v = np.repeat(k, rep, axis=0), np.repeat(v, rep, axis=0)
            s = (q @ k.transpose(0, 2, 1)) / math.sqrt(self.hd)          # [H, n, t]
            masked = np.arange(k.shape[1])[None, :] > (p0 + np.arange(n))[:, None]
            s = np.where(masked, -np.inf, s)
            e = np.exp(s - s.max(axis=-1, keepdims=True))
            a = e / e.sum(axis=-1, keepdims=True)
            x = x + (a @ v).transpose(1, 0, 2).reshape(n, self.H * self.hd) @ wo.T
            h = rms_norm(x, n2, self.eps)
            x = x + (silu(h @ wg.T) * (h @ wu.T)) @ wd.T
        return rms_norm(x, self.norm, self.eps)


def check_tokens(tokens, V, what="tokens", allow_empty=False):
    try:
        toks = [int(t) for t in tokens]
        if any(t != tt for t, tt in zip(toks, tokens)):
            raise ValueError
    except (TypeError, ValueError):
        raise PhotonError(f"{what}: token ids must be integers") from None
    if not toks and not allow_empty:
        raise PhotonError(f"{what}: need at least one token")
    for i, t in enumerate(toks):
        if not 0 <= t < V:
            raise PhotonError(f"{what}: token {i} = {t} is outside the vocabulary [0, {V})")
    return toks


class Model:
    def __init__(self, cfg, weights, dtype="f64"):
        if dtype not in DTYPES:
            raise PhotonError(f"dtype: compute dtype must be f64 or f32, got {dtype!r}")
        self.cfg, self.dt = cfg, DTYPES[dtype]
        W = {k: np.asarray(v, dtype=self.dt) for k, v in check_weights(cfg, weights).items()}
        mk = lambda name, n: Stack(W, name, n, cfg, self.dt)
        if cfg.vanilla:
            self.embed = W["model.embed_tokens.weight"]
            self.lm_head = self.embed if cfg.tie_word_embeddings else W["lm_head.weight"]
            self.stack = mk("model", cfg.layers)
            return
        L = cfg.L
        self.cs, self.R = cfg.chunk_sizes, cfg.prefix_lengths
        self.enc_embed, self.dec_embed, self.lm_head = W["enc_embed.weight"], W["dec_embed.weight"], W["lm_head.weight"]
        self.enc = [None] + [mk(f"encoder.{l}", cfg.encoder_layers[l - 1]) for l in range(1, L + 1)]
        self.dec = [None] + [mk(f"decoder.{l}", cfg.decoder_layers[l - 1]) for l in range(1, L + 1)]
        self.conv = [None] + [(W[f"converter.{l}.weight"], W[f"converter.{l}.bias"]) for l in range(1, L + 1)]
        self.start = [None] + [W[f"start_latent.{l}"] for l in range(1, L + 1)]
        self.chunker = [None] + [
            None if (l == 1 and cfg.level1_chunker == "concat") else
            (W[f"chunker.{l}.norm.weight"], W[f"chunker.{l}.proj.weight"], W[f"chunker.{l}.proj.bias"])
            for l in range(1, L + 1)]

    # ---- building blocks -------------------------------------------------------------------------
    def chunk(self, l, items):
        """items [m, C_l, D_in] -> chunker outputs A [m, D]."""
        m, C, din = items.shape
        x = items.reshape(m, C * din)                    # concat(x_1..x_C), in order
        if self.chunker[l] is None:
            return x
        nw, pw, pb = self.chunker[l]
        return rms_norm(x, nw, self.cfg.rms_norm_eps) @ pw.T + pb

    def convert(self, l, x):
        """One latent [D] -> R_l prefix vectors [R_l, D]."""
        w, b = self.conv[l]
        return (w @ x + b).reshape(self.R[l - 1], self.cfg.d_model)

    def _need(self, T):
        """need[l] = how many X̂^l items (1..) the logits of tokens 1..T read (need[0] = T)."""
        need = [T]
        for C in self.cs:
            need.append(max(0, -(-need[-1] // C) - 1))
        return need

    # ---- teacher-forced full forward (no caches) -----------------------------------------------------
    def _rollout_full(self, l, cond, count):
        """Dec_l (l >= 2) autoregressive rollout of `count` items, recomputing the whole sequence each step."""
        seq, out = self.convert(l, cond), []
        for _ in range(count):
            y = self.dec[l](seq)[-1]
            out.append(y)
            seq = np.concatenate([seq, y[None]])
        return out

    def _down_full(self, l, stream, n_out):
        """X̂^l items 1..len(stream) -> X̂^{l-1} items 1..n_out (item 0 of each level is the start latent)."""
        C, cur, out = self.cs[l - 1], [self.start[l]] + list(stream), []
        for k in range(-(-n_out // C)):
            out.extend(self._rollout_full(l, cur[k], min(C, n_out - k * C)))
        return np.array(out, dtype=self.dt).reshape(n_out, self.cfg.d_model)

    def _tokens_full(self, stream, tokens):
        C, R, cur, rows = self.cs[0], self.R[0], [self.start[1]] + list(stream), []
        for k in range(-(-len(tokens) // C)):
            toks = tokens[k * C:(k + 1) * C]
            seq = np.concatenate([self.convert(1, cur[k]), self.dec_embed[toks[:-1]]])
            rows.append(self.dec[1](seq)[R - 1:])
        return np.concatenate(rows) @ self.lm_head.T

    def _encode_full(self, tokens):
        """Returns (A^L [M_L, D], X^L [M_L, D]) over the complete chunks of `tokens`."""
        x = self.enc_embed[np.asarray(tokens, dtype=np.int64)]
        for l in range(1, self.cfg.L + 1):
            C = self.cs[l - 1]
            m = x.shape[0] // C
            a = self.chunk(l, x[:m * C].reshape(m, C, x.shape[1]))
            x = self.enc[l](a) if m else a
        return a, x

    def _decode_full(self, top, tokens):
        need = self._need(len(tokens))
        assert len(top) >= need[-1]
        stream = top[:need[-1]]
        for l in range(self.cfg.L, 1, -1):
            stream = self._down_full(l, stream, need[l - 1])
        return self._tokens_full(stream, tokens)

    def forward(self, tokens):
        """Logits [T, V]. Hierarchical: row i predicts token i. Vanilla (HF): row i predicts token i+1."""
        tokens = check_tokens(tokens, self.cfg.vocab_size)
        if self.cfg.vanilla:
            return self.stack(self.embed[tokens]) @ self.lm_head.T
        return self._decode_full(self._encode_full(tokens)[1], tokens)

    def recgen_forward(self, tokens, prompt_len):
        """Teacher-forced RecGen semantics: logits [T, V] (row i predicts token i) when X^L_g for
        g > floor(prompt_len / B) is Enc_L(Chunk_L(X̂^{L-1} of meta-context g)). Recomputed from scratch."""
        self._require_recgen()
        tokens = check_tokens(tokens, self.cfg.vocab_size)
        if isinstance(prompt_len, bool) or not isinstance(prompt_len, int) or prompt_len < 1:
            raise PhotonError(f"prompt_len: must be an integer >= 1, got {prompt_len!r}")
        L, CL = self.cfg.L, self.cs[-1]
        gp = min(prompt_len, len(tokens)) // self.cfg.B
        a, top = self._encode_full(tokens[:gp * self.cfg.B])
        a_list = list(a)
        while len(top) < self._need(len(tokens))[-1]:
            g = len(top) + 1
            items = self._down_full(L, top, g * CL)[-CL:]       # X̂^{L-1} of meta-context g
            a_list.append(self.chunk(L, items[None])[0])
            top = self.enc[L](np.array(a_list))
        return self._decode_full(top, tokens)

    def _require_recgen(self):
        if self.cfg.L < 2:
            raise PhotonError(f"mode: recgen needs a photon model with >= 2 levels; this "
                              f"{self.cfg.model_type} model has {self.cfg.L} (use hiergen)")

    # ---- incremental generation (spec §4) ---------------------------------------------------------
    def _rollout_cached(self, l, cond, count):
        cache = self.dec[l].new_cache()
        y = self.dec[l](self.convert(l, cond), cache)[-1]
        out = [y]
        for _ in range(count - 1):
            y = self.dec[l](y[None], cache)[-1]
            out.append(y)
        return np.array(out)

    def _decode_latents(self, top_cond, carries):
        """One meta-context top-down through Dec_L..Dec_2. top_cond = X^L_{g-1} (or s^L); carries[l] =
        last X̂^l item of meta-context g-1 (l < L). Returns (items {l: X̂^l items of meta-context g},
        conditioning latents of its B/C1 token chunks, carries for meta-context g+1)."""
        L, items, conds = self.cfg.L, {}, [top_cond]
        for l in range(L, 1, -1):
            items[l - 1] = np.concatenate([self._rollout_cached(l, c, self.cs[l - 1]) for c in conds])
            conds = [carries[l - 1]] + list(items[l - 1][:-1])
        return items, conds, {l: items[l][-1] for l in range(1, L)}

    def _carries_local(self):
        """True if the last X̂^l item (l < L) of a meta-context depends on no carry of the previous one:
        follow the item index j down the chain, j -> ceil(j / C_{l+1}) - 1, and require j >= 1 below L."""
        L, cs = self.cfg.L, self.cs
        for m in range(1, L):
            j = math.prod(cs[m:])                        # items of X̂^m per meta-context; the last one
            for l in range(m, L - 1):
                j = -(-j // cs[l]) - 1                   # index of the X̂^{l+1} item that conditions it
                if j < 1:
                    return False
        return True

    def _encode_step(self, tokens, caches):
        """Encode whole meta-contexts bottom-up, advancing every encoder cache; returns new X^L items."""
        if not tokens:
            return []
        x = self.enc_embed[np.asarray(tokens, dtype=np.int64)]
        for l in range(1, self.cfg.L + 1):
            C = self.cs[l - 1]
            x = self.enc[l](self.chunk(l, x.reshape(-1, C, x.shape[1])), caches[l])
        return list(x)

    def generate_one(self, prompt, n_new, mode="hiergen", sampler=greedy, trace=None):
        """Generate n_new tokens after prompt. Returns (new token ids, logits [n_new, V]); the logits of a
        generated position are those its token was chosen from. sampler(logits, position) -> id.
        If trace is a dict, trace['top'] receives the top-level latents X^L_1, X^L_2, ..."""
        cfg = self.cfg
        prompt = check_tokens(prompt, cfg.vocab_size, "prompt")
        if mode not in ("hiergen", "recgen"):
            raise PhotonError(f"mode: must be 'hiergen' or 'recgen', got {mode!r}")
        if mode == "recgen":
            self._require_recgen()
        if isinstance(n_new, bool) or not isinstance(n_new, int) or n_new < 0:
            raise PhotonError(f"max_new_tokens: must be an integer >= 0, got {n_new!r}")
        out_toks, out_logits = [], []
        if cfg.vanilla:
            cache = self.stack.new_cache()
            h = self.stack(self.embed[prompt], cache)[-1]
            for i in range(n_new):
                lg = h @ self.lm_head.T
                t = sampler(lg, len(prompt) + i)
                out_toks.append(t)
                out_logits.append(lg)
                if i + 1 < n_new:
                    h = self.stack(self.embed[[t]], cache)[-1]
            return out_toks, np.array(out_logits, dtype=self.dt).reshape(n_new, cfg.vocab_size)

        L, B, C1 = cfg.L, cfg.B, self.cs[0]
        P, N = len(prompt), len(prompt) + n_new
        gp = P // B
        # Prefill: encoder caches over the prompt's complete meta-contexts -> X^L_1..X^L_gp.
        caches = [None] + [self.enc[l].new_cache() for l in range(1, L + 1)]
        top = self._encode_step(prompt[:gp * B], caches)
        # Decoder carries for meta-context gp+1: last X̂^l of meta-context gp (start latents when gp = 0).
        # Normally they depend only on X^L_{gp-1}, so decoding meta-context gp alone suffices (spec §4); with
        # a chunk size of 1 (e.g. [2, 2, 1]) they can read carries of gp-1, so then the chain is replayed.
        carries = {l: self.start[l] for l in range(1, L)}
        first = gp if self._carries_local() else 1
        for g in range(max(first, 1), gp + 1):
            carries = self._decode_latents(top[g - 2] if g >= 2 else self.start[L], carries)[2]
        if mode == "recgen":
            caches[1:L] = [None] * (L - 1)               # only Enc_L's cache survives prefill
        seq = list(prompt)
        for g in range(gp + 1, -(-N // B) + 1):
            items, conds, next_carries = self._decode_latents(top[g - 2] if g >= 2 else self.start[L], carries)
            base = (g - 1) * B
            for ci, cond in enumerate(conds):            # token chunks: independent given the latents
                s0, s1 = base + ci * C1, min(base + (ci + 1) * C1, N)
                if s1 <= P or s0 >= N:                   # wholly forced (no effect) or past the end
                    continue
                cache = self.dec[1].new_cache()
                h = self.dec[1](self.convert(1, cond), cache)[-1]
                for pos in range(s0, s1):
                    if pos < P:
                        t = prompt[pos]                  # forced prompt token (teacher-forced at Dec_1)
                    else:
                        lg = h @ self.lm_head.T
                        t = sampler(lg, pos)
                        seq.append(t)
                        out_toks.append(t)
                        out_logits.append(lg)
                    if pos + 1 < s1:
                        h = self.dec[1](self.dec_embed[[t]], cache)[-1]
            carries = next_carries
            if g * B < N:                                # the next meta-context needs X^L_g
                if mode == "hiergen":
                    top += self._encode_step(seq[base:base + B], caches)
                else:
                    top.append(self.enc[L](self.chunk(L, items[L - 1][None]), caches[L])[0])
        if trace is not None:
            trace["top"] = [np.array(x) for x in top]
        return out_toks, np.array(out_logits, dtype=self.dt).reshape(n_new, cfg.vocab_size)


def forward_logits(cfg, weights, tokens, dtype="f64"):
    return Model(cfg, weights, dtype).forward(tokens)


def recgen_forward_logits(cfg, weights, tokens, prompt_len, dtype="f64"):
    return Model(cfg, weights, dtype).recgen_forward(tokens, prompt_len)


def scored_nll(cfg, weights, tokens, context, mode="hiergen", dtype="f64"):
    """Held-out loss of one window (photon-run --score, scripts/demo/train.py): (summed negative
    log-likelihood in nats of tokens[context:], their count), from teacher-forced logits with a float64
    log-softmax. HierGen: forward(); RecGen: recgen_forward(tokens, context), i.e. the meta-contexts
    after the context's come from the decoder chain. Hierarchical models: logits row i predicts token
    i; vanilla (HF): row i - 1 does."""
    tokens = [int(t) for t in tokens]
    if not 1 <= context < len(tokens):
        raise PhotonError(f"scored_nll: context {context} must be in [1, {len(tokens)})")
    model = Model(cfg, weights, dtype)
    logits = model.recgen_forward(tokens, context) if mode == "recgen" else model.forward(tokens)
    lg = np.asarray(logits, np.float64)
    top = lg.max(-1, keepdims=True)
    logp = lg - top - np.log(np.exp(lg - top).sum(-1, keepdims=True))
    shift = 1 if cfg.vanilla else 0
    rows = np.arange(context, len(tokens))
    return float(-logp[rows - shift, np.asarray(tokens)[rows]].sum()), len(rows)


def generate(cfg, weights, prompts, max_new_tokens, mode="hiergen", dtype="f64", sampler=greedy):
    """Batch generation, each sequence independently. Returns (tokens per sequence, logits per sequence)."""
    if not isinstance(prompts, (list, tuple)) or not prompts:
        raise PhotonError("prompt_ids: need at least one prompt")
    model = Model(cfg, weights, dtype)
    res = [model.generate_one(p, max_new_tokens, mode, sampler) for p in prompts]
    return [r[0] for r in res], [r[1] for r in res]
