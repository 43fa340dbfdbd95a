#!/usr/bin/env python3
"""Real HF checkpoints through photon-run (issue #11): run where transformers is installed
(the GPU machine). A tiny LlamaForCausalLM (GQA, untied head) with seeded random weights is
saved by transformers' own save_pretrained in several layouts; photon-run loads each
directory with --weights and its greedy tokens and logits are compared with transformers'
(f32 forward on the same stored values).

  scripts/hf-checkpoint-check.py --artifact DIR --bin DIR [--device cuda|cpu] [--work DIR]

DIR is the artifact photon-compile made from CONFIG below written as an HF config.json
(`--write-config PATH` writes it, no transformers needed). Exit 1 on any disagreement.
"""
import argparse, json, os, subprocess, sys, tempfile

CONFIG = dict(vocab_size=384, hidden_size=96, intermediate_size=160, num_hidden_layers=2,
              num_attention_heads=6, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0,
              max_position_embeddings=256, tie_word_embeddings=False, hidden_act="silu",
              attention_bias=False, mlp_bias=False, initializer_range=0.15)
PROMPT = [5, 17, 101, 64, 3, 250, 77, 9, 14, 300, 42]
NEW = 24


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-config", help="write CONFIG as an HF config.json and exit")
    ap.add_argument("--artifact")
    ap.add_argument("--bin")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--work", default=tempfile.mkdtemp())
    a = ap.parse_args()
    if a.write_config:
        with open(a.write_config, "w") as f:
            json.dump(dict(CONFIG, architectures=["LlamaForCausalLM"], model_type="llama",
                           dtype="float32"), f, indent=2)
        return 0
    import torch
    import numpy as np
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(**CONFIG)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).eval()
    layouts = [("f32-single", torch.float32, None), ("bf16-sharded", torch.bfloat16, "200KB"),
               ("f16-sharded", torch.float16, "120KB")]
    worst, ok = 0.0, True
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    for name, dtype, shard in layouts:
        d = os.path.join(a.work, name)
        m = LlamaForCausalLM(cfg).eval()
        m.load_state_dict(model.state_dict())
        m = m.to(dtype)
        kw = {"max_shard_size": shard} if shard else {}
        m.save_pretrained(d, safe_serialization=True, **kw)
        files = sorted(os.listdir(d))
        # The reference: transformers itself, loading the directory in f32 (as stored, widened).
        # Not m.to(float32): .to(bf16) also rounds the rotary inv_freq buffer, which a loaded
        # model recomputes in f32.
        ref = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
        ids = torch.tensor([PROMPT])
        with torch.no_grad():
            out = ref.generate(ids, max_new_tokens=NEW, do_sample=False, output_logits=True,
                               return_dict_in_generate=True, pad_token_id=0)
        hf_tokens = out.sequences[0, len(PROMPT):].tolist()
        hf_logits = torch.stack(out.logits, 1)[0].numpy()
        npy = os.path.join(a.work, name + ".npy")
        r = subprocess.run([os.path.join(a.bin, "photon-run"), a.artifact, "--device", a.device,
                            "--weights", d, "--prompt-ids", ",".join(map(str, PROMPT)),
                            "--max-new-tokens", str(NEW), "--output", "json", "--dump-logits", npy,
                            "-q"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: photon-run: {r.stderr.strip()}")
            ok = False
            continue
        tokens = json.loads(r.stdout)["tokens"][0]
        logits = np.load(npy)[0]
        n = min(len(tokens), len(hf_tokens))
        err = float(np.max(np.abs(logits[:n] - hf_logits[:n]).max(1) / np.abs(hf_logits[:n]).max(1)))
        worst = max(worst, err)
        same = tokens == hf_tokens
        ok &= same and err < 1e-4
        print(f"{'PASS' if same and err < 1e-4 else 'FAIL'} {name}: files {files}; greedy tokens "
              f"{'identical' if same else 'DIFFER'} ({NEW}); max|dlogit|/max|logit| {err:.2e}")
    print(f"worst {worst:.2e}; {'all passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
