#!/usr/bin/env -S /usr/bin/python3
"""Tests of the NumPy reference against the invariants of shared/spec/model.md (stdlib unittest).

Run: /usr/bin/python3 reference/test_reference.py [-v]. Prints 'N passed, N failed'; exit 1 on failure."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import photonref as pr  # noqa: E402

EXAMPLES = os.path.join(HERE, "..", "examples")
TINY = ["tiny-vanilla", "tiny-llama-hf", "tiny-block", "tiny-photon-l2", "tiny-photon-l3"]
CLI = os.path.join(HERE, "photon_ref.py")
_MODELS = {}


def model(name, dtype="f64"):
    if (name, dtype) not in _MODELS:
        cfg = pr.load_config(os.path.join(EXAMPLES, name + ".json"))
        w = pr.init_weights(cfg, seed=7)
        _MODELS[name, dtype] = (cfg, w, pr.Model(cfg, w, dtype))
    return _MODELS[name, dtype]


def rel_err(a, b):
    """Spec §6 measure, b the reference."""
    return pr.compare(a, b)[0]


def rand_tokens(cfg, n, seed):
    return [int(t) for t in np.random.default_rng(seed).integers(0, cfg.vocab_size, n)]


def prompt_lengths(cfg):
    B = cfg.B
    return sorted({p for p in (1, B - 1, B, B + 1, 3 * B + 2) if p >= 1} | ({7} if B == 1 else set()))


def n_new(cfg):
    return 2 * cfg.B + 3 if cfg.B > 1 else 8


def gen_rows(cfg, P, n):
    """Rows of the full forward on the final sequence that predict generated tokens P..P+n-1."""
    off = P - 1 if cfg.vanilla else P                 # vanilla row i predicts token i+1
    return slice(off, off + n)


class TestBuildingBlocks(unittest.TestCase):
    def test_stack_matches_naive_loops(self):
        """Stack (vectorised, cached) vs an explicit per-head, per-position, per-pair implementation."""
        cfg = pr.config_from_dict(dict(model_type="vanilla", vocab_size=8, d_model=24, layers=1, n_heads=6,
                                       n_kv_heads=2, ffn_dim=10, rope_theta=500.0, rms_norm_eps=1e-5))
        w = pr.init_weights(cfg, 3)
        W = {k: v.astype(np.float64) for k, v in w.items()}
        x = np.random.default_rng(0).standard_normal((5, 24))
        got = pr.Stack(W, "model", 1, cfg, np.float64)(x)
        H, Hkv, hd, eps = 6, 2, 4, 1e-5
        p = "model.layers.0."

        def norm(v, g):
            return v / math.sqrt(sum(e * e for e in v) / len(v) + eps) * g

        def rope(v, pos):
            out = v.copy()
            for i in range(hd // 2):
                a = pos * 500.0 ** (-2 * i / hd)
                out[i] = v[i] * math.cos(a) - v[i + hd // 2] * math.sin(a)
                out[i + hd // 2] = v[i + hd // 2] * math.cos(a) + v[i] * math.sin(a)
            return out

        want = np.zeros_like(x)
        hs = [norm(x[t], W[p + "input_layernorm.weight"]) for t in range(5)]
        for t in range(5):
            heads = []
            for h in range(H):
                kvh = h // (H // Hkv)
                q = rope((W[p + "self_attn.q_proj.weight"] @ hs[t])[h * hd:(h + 1) * hd], t)
                ks = [rope((W[p + "self_attn.k_proj.weight"] @ hs[s])[kvh * hd:(kvh + 1) * hd], s) for s in range(t + 1)]
                vs = [(W[p + "self_attn.v_proj.weight"] @ hs[s])[kvh * hd:(kvh + 1) * hd] for s in range(t + 1)]
                sc = np.array([q @ k / math.sqrt(hd) for k in ks])
                pw = np.exp(sc - sc.max())
                pw /= pw.sum()
                heads.append(sum(pi * v for pi, v in zip(pw, vs)))
            hh = x[t] + W[p + "self_attn.o_proj.weight"] @ np.concatenate(heads)
            m = norm(hh, W[p + "post_attention_layernorm.weight"])
            g = W[p + "mlp.gate_proj.weight"] @ m
            y = hh + W[p + "mlp.down_proj.weight"] @ (g / (1 + np.exp(-g)) * (W[p + "mlp.up_proj.weight"] @ m))
            want[t] = norm(y, W["model.norm.weight"])
        self.assertLess(np.abs(got - want).max(), 1e-12)
        # the same stack fed one position at a time through its KV cache
        st = pr.Stack(W, "model", 1, cfg, np.float64)
        cache = st.new_cache()
        inc = np.concatenate([st(x[i:i + 1], cache) for i in range(5)])
        self.assertLess(np.abs(inc - want).max(), 1e-12)

    def test_chunker_and_converter_layout(self):
        cfg, w, m = model("tiny-photon-l3")
        items = np.random.default_rng(1).standard_normal((1, 2, 32))
        cat = np.concatenate([items[0, 0], items[0, 1]])
        want = pr.model.rms_norm(cat, w["chunker.1.norm.weight"], 1e-5) @ w["chunker.1.proj.weight"].T.astype(np.float64) \
            + w["chunker.1.proj.bias"]
        self.assertLess(np.abs(m.chunk(1, items)[0] - want).max(), 1e-12)
        x = np.random.default_rng(2).standard_normal(64)
        u = w["converter.3.weight"].astype(np.float64) @ x + w["converter.3.bias"]
        U = m.convert(3, x)
        self.assertEqual(U.shape, (2, 64))
        self.assertTrue(np.array_equal(U[1], u[64:128]))


class TestHierGen(unittest.TestCase):
    def test_greedy_hiergen_equals_full_forward(self):
        for name in TINY:
            cfg, _, m = model(name)
            for P in prompt_lengths(cfg):
                with self.subTest(model=name, prompt_len=P):
                    prompt, n = rand_tokens(cfg, P, P), n_new(cfg)
                    toks, lg = m.generate_one(prompt, n)
                    self.assertEqual(lg.shape, (n, cfg.vocab_size))
                    full = m.forward(prompt + toks)[gen_rows(cfg, P, n)]
                    self.assertLess(rel_err(lg, full), 1e-9)
                    self.assertEqual(toks, [int(i) for i in full.argmax(axis=1)])

    def test_batch_with_different_prompt_lengths(self):
        for name in ("tiny-photon-l2", "tiny-vanilla"):
            cfg, w, m = model(name)
            prompts = [rand_tokens(cfg, 3, 1), rand_tokens(cfg, cfg.B + 2, 2)]
            toks, lgs = pr.generate(cfg, w, prompts, 5)
            for p, t, lg in zip(prompts, toks, lgs):
                t1, lg1 = m.generate_one(p, 5)
                self.assertEqual(t, t1)
                self.assertTrue(np.array_equal(lg, lg1))

    def test_f32_compute_within_spec_bound(self):
        for name in TINY:
            with self.subTest(model=name):
                cfg, _, m64 = model(name)
                _, _, m32 = model(name, "f32")
                prompt, n = rand_tokens(cfg, cfg.B + 1, 5), n_new(cfg)
                t32, lg32 = m32.generate_one(prompt, n)
                self.assertEqual(lg32.dtype, np.float32)
                t64, lg64 = m64.generate_one(prompt, n)
                self.assertEqual(t32, t64)
                self.assertLess(rel_err(lg32, lg64), 1e-4)

    def test_bf16_weights(self):
        cfg = model("tiny-photon-l2")[0]
        w = pr.init_weights(cfg, 7, "bf16")
        for k, v in w.items():
            self.assertTrue(np.array_equal(pr.round_to_dtype(v, "bf16"), v), k)
        m = pr.Model(cfg, w)
        prompt = rand_tokens(cfg, 20, 3)
        toks, lg = m.generate_one(prompt, 12)
        self.assertLess(rel_err(lg, m.forward(prompt + toks)[20:]), 1e-9)

    def test_chunk_size_one_prefill(self):
        """With chunk_sizes [2, 2, 1] the prefill carries read the previous meta-context's carries."""
        d = json.load(open(os.path.join(EXAMPLES, "tiny-photon-l3.json")))
        for cs in ([2, 2, 1], [2, 1, 2], [1, 2, 2]):
            with self.subTest(chunk_sizes=cs):
                cfg = pr.config_from_dict(dict(d, chunk_sizes=cs))
                m = pr.Model(cfg, pr.init_weights(cfg, 1))
                prompt = rand_tokens(cfg, 3 * cfg.B + 1, 4)
                toks, lg = m.generate_one(prompt, 2 * cfg.B)
                self.assertLess(rel_err(lg, m.forward(prompt + toks)[len(prompt):]), 1e-9)

    def test_tied_embeddings(self):
        d = json.load(open(os.path.join(EXAMPLES, "tiny-llama-hf.json")))
        cfg = pr.config_from_dict(dict(d, tie_word_embeddings=True))
        w = pr.init_weights(cfg, 2)
        self.assertNotIn("lm_head.weight", w)
        m = pr.Model(cfg, w)
        self.assertIs(m.lm_head, m.embed)
        toks, lg = m.generate_one([1, 2, 3], 4)
        self.assertLess(rel_err(lg, m.forward([1, 2, 3] + toks)[2:6]), 1e-9)


class TestCausality(unittest.TestCase):
    def test_logits_ignore_future_tokens(self):
        for name in TINY:
            cfg, _, m = model(name)
            T = 3 * cfg.B + 3 if cfg.B > 1 else 12
            toks = rand_tokens(cfg, T, 11)
            base = m.forward(toks)
            for i in range(T):
                with self.subTest(model=name, i=i):
                    cut = i + 1 if cfg.vanilla else i     # row i must not read tokens[cut:]
                    if cut >= T:
                        continue
                    alt = toks[:cut] + [(t + 1 + j) % cfg.vocab_size for j, t in enumerate(toks[cut:])]
                    out = m.forward(alt)
                    self.assertLess(rel_err(out[:i + 1], base[:i + 1]), 1e-12)
                    c1 = cfg.chunk_sizes[0] if cfg.chunk_sizes else T
                    if i + 1 < T and (i + 1) // c1 == cut // c1:   # row i+1 reads token cut: the test can fail
                        self.assertGreater(np.abs(out[i + 1] - base[i + 1]).max(), 1e-6)

    def test_prefix_forward_is_consistent(self):
        for name in TINY:
            cfg, _, m = model(name)
            toks = rand_tokens(cfg, 2 * cfg.B + 5, 12)
            base = m.forward(toks)
            for n in (1, cfg.B, cfg.B + 1, len(toks) - 1):
                with self.subTest(model=name, n=n):
                    self.assertLess(rel_err(m.forward(toks[:n]), base[:n]), 1e-12)


class TestRecGen(unittest.TestCase):
    PHOTON = ["tiny-photon-l2", "tiny-photon-l3"]

    def test_recgen_rejected_for_l_le_1(self):
        for name in ("tiny-vanilla", "tiny-llama-hf", "tiny-block"):
            with self.subTest(model=name):
                cfg, w, m = model(name)
                with self.assertRaisesRegex(pr.PhotonError, "recgen"):
                    m.generate_one([1, 2], 3, mode="recgen")
                with self.assertRaisesRegex(pr.PhotonError, "recgen"):
                    pr.generate(cfg, w, [[1]], 2, mode="recgen")

    def test_incremental_recgen_equals_recomputed_recgen(self):
        for name in self.PHOTON:
            cfg, _, m = model(name)
            for P in prompt_lengths(cfg):
                with self.subTest(model=name, prompt_len=P):
                    prompt, n = rand_tokens(cfg, P, 20 + P), n_new(cfg)
                    toks, lg = m.generate_one(prompt, n, mode="recgen")
                    ref = m.recgen_forward(prompt + toks, P)[P:]
                    self.assertLess(rel_err(lg, ref), 1e-9)
                    self.assertEqual(toks, [int(i) for i in ref.argmax(axis=1)])

    def test_first_meta_context_matches_hiergen(self):
        for name in self.PHOTON:
            cfg, _, m = model(name)
            B = cfg.B
            for P in (B, 2 * B, B + 3):
                with self.subTest(model=name, prompt_len=P):
                    prompt, n = rand_tokens(cfg, P, 30 + P), 3 * B
                    th, lh = m.generate_one(prompt, n)
                    tr, lr = m.generate_one(prompt, n, mode="recgen")
                    k = (P // B + 1) * B - P              # generated positions in meta-context G_p + 1
                    self.assertLess(rel_err(lr[:k], lh[:k]), 1e-9)
                    self.assertEqual(tr[:k], th[:k])
                    self.assertGreater(np.abs(lr[k:k + B] - lh[k:k + B]).max(), 1e-6)   # modes really differ

    def test_latent_chain_ignores_sampled_tokens(self):
        for name in self.PHOTON:
            cfg, _, m = model(name)
            B, V = cfg.B, cfg.vocab_size
            prompt, n, flip = rand_tokens(cfg, B, 40), 3 * B, B          # flip the 1st token of meta-context 2

            def altered(lg, pos):
                return (int(np.argmax(lg)) + 1) % V if pos == flip else int(np.argmax(lg))

            for mode in ("recgen", "hiergen"):
                with self.subTest(model=name, mode=mode):
                    tr0, tr1 = {}, {}
                    t0, l0 = m.generate_one(prompt, n, mode, trace=tr0)
                    t1, l1 = m.generate_one(prompt, n, mode, sampler=altered, trace=tr1)
                    self.assertNotEqual(t0[0], t1[0])
                    same_top = all(np.array_equal(a, b) for a, b in zip(tr0["top"], tr1["top"]))
                    same_next = np.array_equal(l0[B:], l1[B:])       # meta-context 3
                    if mode == "recgen":
                        self.assertTrue(same_top and same_next)
                    else:                                              # HierGen re-encodes the tokens
                        self.assertFalse(same_top or same_next)
                    c1 = cfg.chunk_sizes[0]                            # rest of the flipped token's chunk
                    self.assertGreater(np.abs(l0[1:c1] - l1[1:c1]).max(), 1e-6)

    def test_prompt_tail_affects_only_its_chunks(self):
        for name in self.PHOTON:
            cfg, _, m = model(name)
            B = cfg.B
            prompt = rand_tokens(cfg, B, 50)
            tail = rand_tokens(cfg, 3, 51)
            tr0, tr1 = {}, {}
            t0, l0 = m.generate_one(prompt, 2 * B, "recgen", trace=tr0)
            t1, l1 = m.generate_one(prompt + tail, 2 * B - 3, "recgen", trace=tr1)
            self.assertEqual(len(tr0["top"]), len(tr1["top"]))
            for a, b in zip(tr0["top"], tr1["top"]):
                self.assertTrue(np.array_equal(a, b))
            self.assertTrue(np.array_equal(l0[B:], l1[B - 3:]))       # meta-context 3
            self.assertEqual(t0[B:], t1[B - 3:])


class TestSafetensors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_round_trip(self):
        cfg = model("tiny-photon-l3")[0]
        for dt, st in (("f32", "F32"), ("bf16", "BF16"), ("f16", "F16")):
            with self.subTest(dtype=dt):
                w = pr.init_weights(cfg, 5, dt)
                pr.save_safetensors(self.path("w"), w, dt, {"k": "v"})
                with open(self.path("w"), "rb") as f:
                    self.assertEqual(struct.unpack("<Q", f.read(8))[0] % 8, 0)
                back, dts, meta = pr.load_safetensors(self.path("w"))
                self.assertEqual(meta, {"k": "v"})
                self.assertEqual(list(back), list(w))
                for k in w:
                    self.assertEqual(dts[k], st)
                    self.assertTrue(np.array_equal(back[k], w[k]), k)
                pr.check_weights(cfg, back)

    def test_bf16_round_to_nearest_even(self):
        e = 2.0 ** -8
        x = np.array([1 + e, 1 + 3 * e, -(1 + e), 1 + e + 2.0 ** -20, 3.4028235e38, np.inf, -np.inf, 0.0, -0.0,
                      1e-40], dtype=np.float32)
        want = np.array([1.0, 1 + 4 * e, -1.0, 1 + 2 * e, np.inf, np.inf, -np.inf, 0.0, -0.0, 0.0],
                        dtype=np.float32)
        got = pr.round_to_dtype(x, "bf16")
        self.assertTrue(np.array_equal(got[:-1], want[:-1]), got)
        self.assertEqual(got[-1], np.float32(2.0 ** -133))          # nearest bf16 subnormal
        self.assertTrue(np.isnan(pr.round_to_dtype(np.array([np.nan], np.float32), "bf16")[0]))
        # every random value rounds to one of its two bf16 neighbours, the nearer one
        r = np.random.default_rng(0).standard_normal(10000).astype(np.float32)
        b = pr.round_to_dtype(r, "bf16")
        lo = pr.bf16_bits_to_f32((r.view(np.uint32) >> 16).astype(np.uint16))
        hi = pr.bf16_bits_to_f32(((r.view(np.uint32) >> 16) + 1).astype(np.uint16))
        dl, dh = np.abs(r.astype(np.float64) - lo), np.abs(r.astype(np.float64) - hi)
        self.assertTrue(np.all(np.where(dl < dh, b == lo, np.where(dh < dl, b == hi, True))))

    def raw(self, header, data):
        h = json.dumps(header).encode()
        return struct.pack("<Q", len(h)) + h + data

    def assert_rejects(self, buf, pattern):
        with self.assertRaisesRegex(pr.PhotonError, pattern):
            pr.parse_safetensors(buf)

    def test_rejects_bad_files(self):
        good = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F16", "shape": [2], "data_offsets": [8, 12]}}
        data = bytes(12)
        pr.parse_safetensors(self.raw(good, data))                  # the baseline parses
        buf = self.raw(good, data)
        self.assert_rejects(buf[:-1], "'b'.*truncated")
        self.assert_rejects(buf[:5], "truncated")
        self.assert_rejects(struct.pack("<Q", 1000) + buf[8:], "header length 1000")
        self.assert_rejects(struct.pack("<Q", 5) + b"{bad}" + data, "bad JSON header at byte offset 8")
        self.assert_rejects(self.raw([1, 2], b""), "not a JSON object")
        self.assert_rejects(buf + b"xx", "2 trailing bytes.*byte offset")
        hole = {"a": good["a"], "b": dict(good["b"], data_offsets=[10, 14])}
        self.assert_rejects(self.raw(hole, bytes(14)), "hole before tensor 'b' at byte offset")
        over = {"a": good["a"], "b": dict(good["b"], data_offsets=[6, 10])}
        self.assert_rejects(self.raw(over, bytes(12)), "overlap at tensor 'b'")
        self.assert_rejects(self.raw({"a": dict(good["a"], dtype="F64")}, bytes(8)), "'a'.*unsupported dtype")
        self.assert_rejects(self.raw({"a": dict(good["a"], shape=[3])}, bytes(8)), "'a'.*needs 12")
        self.assert_rejects(self.raw({"a": dict(good["a"], shape="x")}, bytes(8)), "'a'.*bad shape")
        self.assert_rejects(self.raw({"a": {"dtype": "F32"}}, bytes(8)), "'a'.*exactly")
        dup = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
        self.assert_rejects(struct.pack("<Q", len(dup)) + dup + bytes(8), "duplicate")
        with self.assertRaisesRegex(pr.PhotonError, "cannot read"):
            pr.load_safetensors(self.path("missing.safetensors"))

    def test_check_weights_names_the_tensor(self):
        cfg, w, _ = model("tiny-photon-l2")
        bad = dict(w)
        del bad["decoder.2.layers.1.mlp.up_proj.weight"]
        with self.assertRaisesRegex(pr.PhotonError, "missing tensor 'decoder.2.layers.1.mlp.up_proj.weight'"):
            pr.check_weights(cfg, bad)
        bad = dict(w, **{"converter.1.bias": np.zeros(3, np.float32)})
        with self.assertRaisesRegex(pr.PhotonError, "'converter.1.bias' has shape \\[3\\], expected \\[128\\]"):
            pr.check_weights(cfg, bad)
        with self.assertRaisesRegex(pr.PhotonError, "unexpected tensor 'chunker.1.proj.weight'"):
            pr.check_weights(cfg, dict(w, **{"chunker.1.proj.weight": np.zeros(2, np.float32)}))
        vcfg, vw, _ = model("tiny-llama-hf")
        pr.check_weights(vcfg, dict(vw, **{"model.layers.0.self_attn.rotary_emb.inv_freq": np.zeros(8, np.float32)}))

    def test_spec_names(self):
        cfg, w, _ = model("tiny-photon-l2")
        for k in ("enc_embed.weight", "chunker.2.norm.weight", "chunker.2.proj.weight", "chunker.2.proj.bias",
                  "encoder.1.layers.0.self_attn.q_proj.weight", "encoder.2.norm.weight", "decoder.1.norm.weight",
                  "converter.2.weight", "converter.1.bias", "start_latent.1", "start_latent.2",
                  "dec_embed.weight", "lm_head.weight"):
            self.assertIn(k, w)
        self.assertNotIn("chunker.1.proj.weight", w)
        self.assertEqual(w["chunker.2.proj.weight"].shape, (64, 256))
        self.assertEqual(w["encoder.1.layers.1.self_attn.k_proj.weight"].shape, (32, 64))
        l3 = model("tiny-photon-l3")[1]
        self.assertEqual(l3["chunker.1.proj.weight"].shape, (64, 64))
        self.assertEqual(l3["converter.2.weight"].shape, (64, 64))
        hf = model("tiny-llama-hf")[1]
        self.assertIn("model.layers.1.post_attention_layernorm.weight", hf)
        self.assertEqual(set(k for k in hf if not k.startswith("model.layers.")),
                         {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"})
        a, b = pr.init_weights(cfg, 3), pr.init_weights(cfg, 3)
        self.assertTrue(all(np.array_equal(a[k], b[k]) for k in a))
        self.assertFalse(np.array_equal(a["lm_head.weight"], pr.init_weights(cfg, 4)["lm_head.weight"]))


class TestConfig(unittest.TestCase):
    BASE = json.load(open(os.path.join(EXAMPLES, "tiny-photon-l2.json")))
    HF = json.load(open(os.path.join(EXAMPLES, "tiny-llama-hf.json")))

    def test_examples_load(self):
        want = {"tiny-vanilla": (0, 1), "tiny-llama-hf": (0, 1), "tiny-block": (1, 4), "tiny-photon-l2": (2, 16),
                "tiny-photon-l3": (3, 8), "photon-600m": (2, 16), "block-600m": (1, 4), "vanilla-600m": (0, 1)}
        for name, (L, B) in want.items():
            cfg = pr.load_config(os.path.join(EXAMPLES, name + ".json"))
            self.assertEqual((cfg.L, cfg.B), (L, B), name)
        hf = pr.load_config(os.path.join(EXAMPLES, "tiny-llama-hf.json"))
        self.assertEqual((hf.model_type, hf.d_model, hf.ffn_dim, hf.layers, hf.n_heads, hf.n_kv_heads),
                         ("vanilla", 64, 128, 2, 4, 2))

    def bad(self, d, field):
        with self.assertRaisesRegex(pr.PhotonError, "^" + field + ":"):
            pr.config_from_dict(d)

    def test_errors_name_the_field(self):
        B = self.BASE
        self.bad(dict(B, n_heads=3), "n_heads")                      # 64 / 3
        self.bad(dict(B, d_model=60, d_embed=15, n_heads=4, n_kv_heads=4), "n_heads")   # head_dim 15 is odd
        self.bad(dict(B, n_kv_heads=3), "n_kv_heads")
        self.bad(dict(B, d_embed=10), "d_embed")                     # concat with C1*D0 != D
        self.bad(dict(B, prefix_lengths=[2]), "prefix_lengths")
        self.bad(dict(B, decoder_layers=[2, 2, 2]), "decoder_layers")
        self.bad(dict(B, model_type="block"), "model_type")
        self.bad(dict(B, model_type="vanilla", layers=2), "model_type")
        self.bad(dict(B, model_type="transformer"), "model_type")
        self.bad(dict(B, rms_norm_eps=0), "rms_norm_eps")
        self.bad(dict(B, rms_norm_eps=-1e-5), "rms_norm_eps")
        self.bad(dict(B, rope_theta="big"), "rope_theta")
        self.bad(dict(B, chunk_sizes=[4, 0]), "chunk_sizes")
        self.bad(dict(B, chunk_sizes=[], prefix_lengths=[], encoder_layers=[], decoder_layers=[]), "chunk_sizes")
        self.bad(dict(B, encoder_layers=[2, -1]), "encoder_layers")
        self.bad(dict(B, vocab_size=0), "vocab_size")
        self.bad(dict(B, ffn_dim=1.5), "ffn_dim")
        self.bad(dict(B, level1_chunker="conv"), "level1_chunker")
        self.bad({k: v for k, v in B.items() if k != "d_model"}, "d_model")
        self.bad(dict(self.HF, rope_scaling={"type": "linear", "factor": 2.0}), "rope_scaling")
        self.bad(dict(self.HF, hidden_act="gelu"), "hidden_act")
        self.bad(dict(self.HF, num_attention_heads=5), "n_heads")
        self.bad(dict(self.HF, rms_norm_eps=0.0), "rms_norm_eps")
        pr.config_from_dict(dict(self.HF, rope_scaling=None))      # null is fine
        with self.assertRaisesRegex(pr.PhotonError, "invalid JSON"):
            with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
                f.write("{not json")
                f.flush()
                pr.load_config(f.name)


class TestCLI(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, CLI, *args], capture_output=True, text=True)

    def test_end_to_end_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            cfgp = os.path.join(EXAMPLES, "tiny-photon-l2.json")
            w, lo, tj, gl = (os.path.join(d, n) for n in ("w.safetensors", "l.npy", "t.json", "g.npy"))
            r = self.run_cli("init-weights", "--config", cfgp, "--seed", "3", "--dtype", "bf16", "--out", w)
            self.assertEqual(r.returncode, 0, r.stderr)
            cfg = pr.load_config(cfgp)
            weights = pr.load_safetensors(w)[0]
            self.assertTrue(all(np.array_equal(weights[k], v) for k, v in pr.init_weights(cfg, 3, "bf16").items()))
            r = self.run_cli("forward", "--config", cfgp, "--weights", w, "--tokens", "1,2,3,4,5", "--out", lo)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(np.array_equal(np.load(lo), pr.forward_logits(cfg, weights, [1, 2, 3, 4, 5])))
            r = self.run_cli("generate", "--config", cfgp, "--weights", w, "--prompt-ids", "1,2,3", "--prompt-ids",
                             ",".join(map(str, range(20))), "--max-new-tokens", "18", "--mode", "recgen",
                             "--out-json", tj, "--dump-logits", gl)
            self.assertEqual(r.returncode, 0, r.stderr)
            toks = json.load(open(tj))["tokens"]
            lg = np.load(gl)
            self.assertEqual((lg.shape, lg.dtype, [len(t) for t in toks]), ((2, 18, 256), np.float32, [18, 18]))
            want_t, want_l = pr.generate(cfg, weights, [[1, 2, 3], list(range(20))], 18, "recgen")
            self.assertEqual(toks, want_t)
            self.assertLess(rel_err(lg, np.stack(want_l)), 1e-6)
            self.assertEqual(self.run_cli("compare", "--a", lo, "--b", lo).returncode, 0)
            l2 = os.path.join(d, "l2.npy")
            ref = np.load(lo)
            np.save(l2, ref * (1 + 1e-3))
            r = self.run_cli("compare", "--a", l2, "--b", lo)
            self.assertEqual(r.returncode, 1)
            self.assertIn("1.000e-03", r.stdout)
            trunc = os.path.join(d, "trunc.safetensors")
            with open(w, "rb") as f, open(trunc, "wb") as g:
                g.write(f.read()[:-3])
            badcfg = os.path.join(d, "bad.json")
            with open(badcfg, "w") as f:
                json.dump(dict(TestConfig.BASE, d_embed=10), f)
            block = os.path.join(EXAMPLES, "tiny-block.json")
            wb = os.path.join(d, "wb.safetensors")
            self.assertEqual(self.run_cli("init-weights", "--config", block, "--out", wb).returncode, 0)
            for args, msg in (
                    (["forward", "--config", cfgp, "--weights", os.path.join(d, "none"), "--tokens", "1", "--out", lo],
                     "cannot read"),
                    (["forward", "--config", badcfg, "--weights", w, "--tokens", "1", "--out", lo], "d_embed:"),
                    (["forward", "--config", cfgp, "--weights", trunc, "--tokens", "1", "--out", lo], "truncated"),
                    (["forward", "--config", cfgp, "--weights", w, "--tokens", "1,x", "--out", lo], "tokens:"),
                    (["forward", "--config", cfgp, "--weights", w, "--tokens", "300", "--out", lo], "vocabulary"),
                    (["forward", "--config", cfgp, "--weights", w, "--tokens", "", "--out", lo], "at least one"),
                    (["forward", "--config", block, "--weights", w, "--tokens", "1", "--out", lo], "tensor"),
                    (["generate", "--config", block, "--weights", wb, "--prompt-ids", "1", "--max-new-tokens", "2",
                      "--mode", "recgen", "--out-json", tj], "recgen"),
                    (["compare", "--a", lo, "--b", gl], "shapes differ"),
                    (["init-weights", "--config", cfgp, "--dtype", "f8", "--out", w], "invalid choice")):
                with self.subTest(args=args[0:1] + [msg]):
                    r = self.run_cli(*args)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertIn(msg, r.stderr)
                    self.assertNotIn("Traceback", r.stderr)


class _Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed, self.failed_tests = 0, set()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed_tests.add(test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.failed_tests.add(test.id())

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.failed_tests.add(test.id())


if __name__ == "__main__":
    verbosity = 2 if "-v" in sys.argv[1:] else 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    res = unittest.TextTestRunner(sys.stdout, resultclass=_Result, verbosity=verbosity).run(suite)
    failed = len(res.failed_tests) + len(res.unexpectedSuccesses)
    print(f"{res.passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
