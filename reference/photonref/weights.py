"""Spec §5 tensor names and shapes, synthetic initialisation and weight-set validation."""
import zlib

import numpy as np

from .config import PhotonError
from .safetensors import round_to_dtype

# Synthetic-weight scales (see README): linear weights N(0, 1/in) keep activations O(1); the LM head
# is LM_HEAD_GAIN times larger so that logits have std ~LM_HEAD_GAIN and the greedy argmax is stable.
LM_HEAD_GAIN = 4.0


def _stack_shapes(cfg, S, n_layers):
    D, F, hd = cfg.d_model, cfg.ffn_dim, cfg.head_dim
    q, kv = cfg.n_heads * hd, cfg.n_kv_heads * hd
    out = {}
    for i in range(n_layers):
        p = f"{S}.layers.{i}."
        out.update({p + "self_attn.q_proj.weight": (q, D), p + "self_attn.k_proj.weight": (kv, D),
                    p + "self_attn.v_proj.weight": (kv, D), p + "self_attn.o_proj.weight": (D, q),
                    p + "mlp.gate_proj.weight": (F, D), p + "mlp.up_proj.weight": (F, D),
                    p + "mlp.down_proj.weight": (D, F),
                    p + "input_layernorm.weight": (D,), p + "post_attention_layernorm.weight": (D,)})
    out[f"{S}.norm.weight"] = (D,)
    return out


def chunker_din(cfg, level):
    return cfg.d_embed if level == 1 else cfg.d_model


def expected_shapes(cfg):
    """{tensor name: shape} of every tensor the model needs, in a fixed order."""
    V, D = cfg.vocab_size, cfg.d_model
    if cfg.vanilla:
        out = {"model.embed_tokens.weight": (V, D)}
        out.update(_stack_shapes(cfg, "model", cfg.layers))
        if not cfg.tie_word_embeddings:
            out["lm_head.weight"] = (V, D)
        return out
    out = {"enc_embed.weight": (V, cfg.d_embed)}
    for l in range(1, cfg.L + 1):
        C = cfg.chunk_sizes[l - 1]
        if l >= 2 or cfg.level1_chunker == "linear":
            cd = C * chunker_din(cfg, l)
            out.update({f"chunker.{l}.norm.weight": (cd,), f"chunker.{l}.proj.weight": (D, cd),
                        f"chunker.{l}.proj.bias": (D,)})
        out.update(_stack_shapes(cfg, f"encoder.{l}", cfg.encoder_layers[l - 1]))
    for l in range(cfg.L, 0, -1):
        R = cfg.prefix_lengths[l - 1]
        out.update(_stack_shapes(cfg, f"decoder.{l}", cfg.decoder_layers[l - 1]))
        out.update({f"converter.{l}.weight": (R * D, D), f"converter.{l}.bias": (R * D,),
                    f"start_latent.{l}": (D,)})
    out.update({"dec_embed.weight": (V, D), "lm_head.weight": (V, D)})
    return out


def init_weights(cfg, seed=0, dtype="f32"):
    """Deterministic synthetic weights: {name: float32 array holding values exact in dtype}.

    Each tensor draws from its own Generator seeded with (seed, crc32(name)), so a tensor's values do not
    depend on which other tensors exist."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise PhotonError(f"seed: must be an integer >= 0, got {seed!r}")
    out = {}
    for name, shape in expected_shapes(cfg).items():
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        z = rng.standard_normal(shape)
        if name.endswith("norm.weight"):
            w = 1.0 + 0.1 * z
        elif name.endswith(".bias"):
            w = 0.1 * z
        elif "embed" in name or name.startswith("start_latent"):
            w = z
        elif name == "lm_head.weight":
            w = z * (LM_HEAD_GAIN / np.sqrt(shape[1]))
        else:                                         # [out, in] linear layer
            w = z / np.sqrt(shape[1])
        out[name] = round_to_dtype(w, dtype)
    return out


def _ignored(cfg, name):
    if name.endswith("rotary_emb.inv_freq"):
        return True                                   # HF checkpoints may store it; RoPE is recomputed
    return cfg.vanilla and cfg.tie_word_embeddings and name == "lm_head.weight"


def check_weights(cfg, weights):
    """Raise PhotonError naming the first missing, extra or mis-shaped tensor; return the used subset."""
    exp = expected_shapes(cfg)
    for name, shape in exp.items():
        if name not in weights:
            raise PhotonError(f"weights: missing tensor {name!r} (shape {list(shape)})")
        got = tuple(np.shape(weights[name]))
        if got != tuple(shape):
            raise PhotonError(f"weights: tensor {name!r} has shape {list(got)}, expected {list(shape)}")
    for name in weights:
        if name not in exp and not _ignored(cfg, name):
            raise PhotonError(f"weights: unexpected tensor {name!r} for this config")
    return {n: weights[n] for n in exp}
