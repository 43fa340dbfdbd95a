"""Model configuration: spec §1 fields or an HF LlamaConfig, validated field by field."""
import json
import math
from dataclasses import dataclass, field


class PhotonError(ValueError):
    """Bad input (config, weights, tokens, file): the message names the field, tensor or offset."""


@dataclass
class Config:
    model_type: str            # vanilla | block | photon
    vocab_size: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    rope_theta: float
    rms_norm_eps: float
    layers: int = 0            # vanilla only
    d_embed: int = 0           # hierarchical only
    chunk_sizes: list = field(default_factory=list)
    prefix_lengths: list = field(default_factory=list)
    encoder_layers: list = field(default_factory=list)
    decoder_layers: list = field(default_factory=list)
    level1_chunker: str = "concat"
    tie_word_embeddings: bool = False   # vanilla (HF) only

    @property
    def L(self):
        return len(self.chunk_sizes)

    @property
    def B(self):
        """Meta-context length C1*...*CL (1 for vanilla)."""
        return math.prod(self.chunk_sizes)

    @property
    def head_dim(self):
        return self.d_model // self.n_heads

    @property
    def vanilla(self):
        return self.L == 0


def _int(d, name, default=None, minimum=1):
    v = d.get(name, default)
    if v is None:
        raise PhotonError(f"{name}: missing required field")
    if isinstance(v, bool) or not isinstance(v, int):
        raise PhotonError(f"{name}: must be an integer, got {v!r}")
    if v < minimum:
        raise PhotonError(f"{name}: must be >= {minimum}, got {v}")
    return v


def _pos_float(d, name, default):
    v = d.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise PhotonError(f"{name}: must be a finite number, got {v!r}")
    if v <= 0:
        raise PhotonError(f"{name}: must be > 0, got {v}")
    return float(v)


def _int_list(d, name):
    v = d.get(name, [])
    if not isinstance(v, list):
        raise PhotonError(f"{name}: must be a list of integers, got {v!r}")
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, int) or x < 1:
            raise PhotonError(f"{name}: entry {i} must be a positive integer, got {x!r}")
    return list(v)


def _from_hf(d):
    """Map an HF LlamaConfig dict to spec field names (vanilla)."""
    if d.get("model_type", "llama") != "llama":
        raise PhotonError(f"model_type: HF model_type {d['model_type']!r} is not supported (only 'llama')")
    if d.get("rope_scaling") is not None:
        raise PhotonError("rope_scaling: RoPE scaling is not supported yet (remove it or set it to null)")
    act = d.get("hidden_act", "silu")
    if act != "silu":
        raise PhotonError(f"hidden_act: {act!r} is not supported yet (only 'silu')")
    for name in ("attention_bias", "mlp_bias"):
        if d.get(name):
            raise PhotonError(f"{name}: biases are not supported (the model family has none)")
    tie = d.get("tie_word_embeddings", False)
    if not isinstance(tie, bool):
        raise PhotonError(f"tie_word_embeddings: must be true or false, got {tie!r}")
    out = {"model_type": "vanilla", "tie_word_embeddings": tie}
    for hf, ours in (("hidden_size", "d_model"), ("intermediate_size", "ffn_dim"),
                     ("num_hidden_layers", "layers"), ("num_attention_heads", "n_heads"),
                     ("num_key_value_heads", "n_kv_heads"), ("vocab_size", "vocab_size"),
                     ("rms_norm_eps", "rms_norm_eps"), ("rope_theta", "rope_theta")):
        if d.get(hf) is not None:
            out[ours] = d[hf]
    out.setdefault("rms_norm_eps", 1e-6)          # HF LlamaConfig default
    if "head_dim" in d and isinstance(out.get("d_model"), int) and isinstance(out.get("n_heads"), int) \
            and out["n_heads"] > 0 and d["head_dim"] != out["d_model"] // out["n_heads"]:
        raise PhotonError(f"head_dim: {d['head_dim']!r} != hidden_size / num_attention_heads is not supported")
    return out


def config_from_dict(d):
    if not isinstance(d, dict):
        raise PhotonError("config: must be a JSON object")
    hf = d.get("model_type") == "llama" or "hidden_size" in d
    if hf:
        d = _from_hf(d)
    mt = d.get("model_type")
    if mt not in ("vanilla", "block", "photon"):
        raise PhotonError(f"model_type: must be 'vanilla', 'block' or 'photon', got {mt!r}")
    c = dict(model_type=mt)
    c["vocab_size"] = _int(d, "vocab_size")
    c["d_model"] = D = _int(d, "d_model")
    c["n_heads"] = H = _int(d, "n_heads")
    c["n_kv_heads"] = Hkv = _int(d, "n_kv_heads", default=H)
    c["ffn_dim"] = _int(d, "ffn_dim")
    c["rope_theta"] = _pos_float(d, "rope_theta", 10000.0)
    c["rms_norm_eps"] = _pos_float(d, "rms_norm_eps", 1e-5)
    if D % H:
        raise PhotonError(f"n_heads: d_model {D} is not divisible by n_heads {H}")
    if (D // H) % 2:
        raise PhotonError(f"n_heads: head_dim = d_model / n_heads = {D // H} must be even (rotate-half RoPE)")
    if H % Hkv:
        raise PhotonError(f"n_kv_heads: n_heads {H} is not a multiple of n_kv_heads {Hkv}")
    lists = {k: _int_list(d, k) for k in ("chunk_sizes", "prefix_lengths", "encoder_layers", "decoder_layers")}
    L = len(lists["chunk_sizes"])
    if mt == "vanilla":
        for k, v in lists.items():
            if v:
                raise PhotonError(f"model_type: 'vanilla' has no levels, but {k} has {len(v)} entries")
        c["layers"] = _int(d, "layers")
        c["tie_word_embeddings"] = bool(d.get("tie_word_embeddings", False))
        return Config(**c)
    if d.get("tie_word_embeddings"):
        raise PhotonError("tie_word_embeddings: only vanilla models may tie embeddings (lm_head is untied)")
    if L == 0:
        raise PhotonError(f"chunk_sizes: model_type {mt!r} needs at least one level")
    if mt == "block" and L != 1:
        raise PhotonError(f"model_type: 'block' needs exactly 1 level, but chunk_sizes has {L}")
    if mt == "photon" and L < 2:
        raise PhotonError(f"model_type: 'photon' needs at least 2 levels, but chunk_sizes has {L}")
    for k in ("prefix_lengths", "encoder_layers", "decoder_layers"):
        if len(lists[k]) != L:
            raise PhotonError(f"{k}: has {len(lists[k])} entries, but chunk_sizes has {L}")
    c.update(lists)
    c["d_embed"] = D0 = _int(d, "d_embed")
    ch = d.get("level1_chunker", "concat")
    if ch not in ("concat", "linear"):
        raise PhotonError(f"level1_chunker: must be 'concat' or 'linear', got {ch!r}")
    if ch == "concat" and lists["chunk_sizes"][0] * D0 != D:
        raise PhotonError(f"d_embed: level1_chunker 'concat' needs chunk_sizes[0] * d_embed == d_model, "
                          f"got {lists['chunk_sizes'][0]} * {D0} = {lists['chunk_sizes'][0] * D0} != {D}")
    c["level1_chunker"] = ch
    return Config(**c)


def load_config(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            d = json.load(f)
    except OSError as e:
        raise PhotonError(f"{path}: cannot read config: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PhotonError(f"{path}: invalid JSON: {e}") from None
    return config_from_dict(d)
