#!/usr/bin/env -S /usr/bin/python3
"""Command-line front end of the Photon NumPy reference (see README.md). Bad input: message, exit 2."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import photonref as pr  # noqa: E402


def _ids(text, what):
    try:
        return [int(x) for x in text.split(",") if x.strip() != ""]
    except ValueError:
        raise pr.PhotonError(f"{what}: expected comma-separated integer ids, got {text!r}") from None


def _load(args):
    cfg = pr.load_config(args.config)
    weights = pr.load_safetensors(args.weights)[0]
    pr.check_weights(cfg, weights)
    return cfg, weights


def _save_npy(path, arr):
    try:
        np.save(path, arr)
    except OSError as e:
        raise pr.PhotonError(f"{path}: cannot write: {e.strerror or e}") from None


def cmd_init_weights(args):
    cfg = pr.load_config(args.config)
    w = pr.init_weights(cfg, args.seed, args.dtype)
    pr.save_safetensors(args.out, w, args.dtype, {"format": "pt", "generator": "photon_ref init-weights",
                                                  "seed": str(args.seed)})
    print(f"wrote {len(w)} tensors ({args.dtype}) to {args.out}")


def cmd_forward(args):
    cfg, weights = _load(args)
    tokens = _ids(args.tokens, "tokens")
    if args.recgen_prompt_len is None:
        logits = pr.forward_logits(cfg, weights, tokens, args.compute)
    else:
        logits = pr.recgen_forward_logits(cfg, weights, tokens, args.recgen_prompt_len, args.compute)
    _save_npy(args.out, logits)
    print(f"wrote logits {list(logits.shape)} ({logits.dtype}) to {args.out}")


def cmd_generate(args):
    cfg, weights = _load(args)
    prompts = [_ids(p, "prompt-ids") for p in args.prompt_ids]
    toks, logits = pr.generate(cfg, weights, prompts, args.max_new_tokens, args.mode, args.compute)
    try:
        with open(args.out_json, "w") as f:
            json.dump({"tokens": toks}, f)
            f.write("\n")
    except OSError as e:
        raise pr.PhotonError(f"{args.out_json}: cannot write: {e.strerror or e}") from None
    if args.dump_logits:
        _save_npy(args.dump_logits, np.stack(logits).astype(np.float32))
    for t in toks:
        print(",".join(map(str, t)))


def cmd_compare(args):
    arrs = []
    for p in (args.a, args.b):
        try:
            arrs.append(np.load(p, allow_pickle=False))
        except (OSError, ValueError) as e:
            raise pr.PhotonError(f"{p}: cannot load .npy: {e}") from None
    a, b = arrs
    if a.ndim == 0:
        raise pr.PhotonError(f"{args.a}: need an array of logits [..., V]")
    m, row = pr.compare(a, b)
    flat_a, flat_b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    diff = int((flat_a.argmax(-1) != flat_b.argmax(-1)).sum()) if a.size else 0
    print(f"max_rel_err {m:.3e} (worst position {row} of {flat_a.shape[0]}); argmax differs at {diff} positions; "
          f"tol {args.tol:g}: {'OK' if m <= args.tol else 'FAIL'}")
    return 0 if m <= args.tol else 1


def main(argv=None):
    ap = argparse.ArgumentParser(prog="photon_ref", description="NumPy reference for Photon models")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init-weights", help="write deterministic synthetic weights")
    p.add_argument("--config", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", choices=["f32", "bf16", "f16"], default="f32")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_init_weights)
    for name, fn in (("forward", cmd_forward), ("generate", cmd_generate)):
        p = sub.add_parser(name)
        p.add_argument("--config", required=True)
        p.add_argument("--weights", required=True)
        p.add_argument("--compute", choices=["f64", "f32"], default="f64",
                       help="arithmetic precision (weights are used as stored)")
        p.set_defaults(fn=fn)
        if name == "forward":
            p.add_argument("--tokens", required=True, help="comma-separated ids")
            p.add_argument("--out", required=True, help="logits .npy [T, V]")
            p.add_argument("--recgen-prompt-len", type=int, metavar="P",
                           help="teacher-forced RecGen logits: X^L of meta-contexts after the first P tokens "
                                "come from the decoder (photon only)")
        else:
            p.add_argument("--prompt-ids", action="append", required=True, help="comma-separated ids; repeat for batch")
            p.add_argument("--max-new-tokens", type=int, required=True)
            p.add_argument("--mode", choices=["hiergen", "recgen"], default="hiergen")
            p.add_argument("--out-json", required=True)
            p.add_argument("--dump-logits", help="logits .npy [batch, N, V] float32")
    p = sub.add_parser("compare", help="spec §6 measure; B is the reference")
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.add_argument("--tol", type=float, default=1e-4)
    p.set_defaults(fn=cmd_compare)
    args = ap.parse_args(argv)
    try:
        return args.fn(args) or 0
    except (pr.PhotonError, OSError, MemoryError) as e:
        print(f"photon_ref {args.cmd}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
