"""Independent NumPy reference for the Photon model family (vanilla / block / photon), spec: shared/spec/model.md."""
from .config import Config, PhotonError, config_from_dict, load_config
from .model import (Model, Stack, check_tokens, forward_logits, generate, greedy, recgen_forward_logits,
                    scored_nll)
from .safetensors import (bf16_bits_to_f32, f32_to_bf16_bits, load_safetensors, parse_safetensors,
                          round_to_dtype, save_safetensors)
from .weights import LM_HEAD_GAIN, check_weights, expected_shapes, init_weights


def compare(a, b):
    """Spec §6 measure: max over positions of max|a - b| / max|b| (b is the reference), and the worst row."""
    import numpy as np
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise PhotonError(f"compare: shapes differ: {list(a.shape)} vs {list(b.shape)}")
    if a.size == 0:
        return 0.0, 0
    a2, b2 = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    num, den = np.abs(a2 - b2).max(axis=1), np.abs(b2).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(num == 0, 0.0, num / den)
    r = np.where(np.isnan(r), np.inf, r)
    return float(r.max()), int(r.argmax())
