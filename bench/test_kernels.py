#!/usr/bin/env python3
"""Offline tests of bench/kernels.py: the ncu CSV parser, the kernel-name
classifier, the modelled rows per projection and the table's arithmetic, on a
saved sample (bench/testdata/; written in the layout of `ncu --import R --csv
--page raw --print-units base`, one decode step of a one-layer vanilla model).
No GPU needed: test/Bench/kernels.test runs it under lit."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kernels as kb  # noqa: E402

SAMPLE = os.path.join(HERE, "testdata", "ncu-vanilla-b1-raw.csv")
VANILLA_1L = {"model_type": "vanilla", "vocab_size": 32000, "d_model": 1664, "layers": 1,
              "n_heads": 32, "n_kv_heads": 32, "ffn_dim": 4096}
COPY, MMA = 4.0e12, 800e12


def sample():
    with open(SAMPLE) as f:
        return f.read()


class ParseTest(unittest.TestCase):
    def test_raw_page_with_units_row(self):
        ks = kb.parse_ncu_csv(sample())
        self.assertEqual(len(ks), 12)
        self.assertEqual([k["id"] for k in ks], list(range(12)))
        lm = ks[10]
        self.assertEqual(lm["name"], "photon_gemv_r1_32000x1664")
        self.assertAlmostEqual(lm["seconds"], 40960e-9)
        self.assertEqual(lm["dram_read"], 106500000)  # "106,500,000"
        self.assertEqual(lm["grid"], 8000)

    def test_units_scale_values(self):
        text = ('"ID","Kernel Name","gpu__time_duration.sum","dram__bytes_read.sum"\n'
                '"","","usecond","Mbyte"\n'
                '"0","photon_argmax","4.5","1.5"\n')
        (k,) = kb.parse_ncu_csv(text)
        self.assertAlmostEqual(k["seconds"], 4.5e-6)
        self.assertAlmostEqual(k["dram_read"], 1.5e6)

    def test_details_page(self):
        text = ('"ID","Kernel Name","Section Name","Metric Name","Metric Unit","Metric Value"\n'
                '"0","photon_attention","Command line profiler metrics","gpu__time_duration.sum","nsecond","5,120"\n'
                '"0","photon_attention","Command line profiler metrics","dram__bytes_read.sum","byte","430,000"\n'
                '"1","photon_argmax","Command line profiler metrics","gpu__time_duration.sum","msecond","0.004"\n')
        ks = kb.parse_ncu_csv(text)
        self.assertEqual([k["name"] for k in ks], ["photon_attention", "photon_argmax"])
        self.assertAlmostEqual(ks[0]["seconds"], 5.12e-6)
        self.assertAlmostEqual(ks[1]["seconds"], 4e-6)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "no ncu CSV header"):
            kb.parse_ncu_csv("==PROF== No kernels were profiled.\n")
        with self.assertRaisesRegex(ValueError, "unknown ncu unit"):
            kb.parse_ncu_csv('"ID","Kernel Name","gpu__time_duration.sum"\n"","","fortnight"\n'
                             '"0","k","1"\n')
        with self.assertRaisesRegex(ValueError, "no gpu__time_duration"):
            kb.parse_ncu_csv('"ID","Kernel Name","dram__bytes_read.sum"\n"0","k","1"\n')


class ClassifyTest(unittest.TestCase):
    def test_names(self):
        cases = {
            "photon_gemv_r4_1664x1664": ("gemv", (1664, 1664), "photon_gemv_r4_1664x1664"),
            "photon_gemv_r1_32000x1664_3": ("gemv", (32000, 1664), "photon_gemv_r1_32000x1664"),
            "photon_gemv_qkv_r16_4992x1664": ("gemv_qkv", (4992, 1664),
                                              "photon_gemv_qkv_r16_4992x1664"),
            "photon_gemv_gate_up_r1_4096x1664_0": ("gemv_gate_up", (4096, 1664),
                                                   "photon_gemv_gate_up_r1_4096x1664"),
            "photon_gemv_qkv_norm_r4_4992x1664": ("gemv_qkv", (4992, 1664),
                                                  "photon_gemv_qkv_norm_r4_4992x1664"),
            "photon_gemv_gate_up_norm_r8_4096x1664_1": ("gemv_gate_up", (4096, 1664),
                                                        "photon_gemv_gate_up_norm_r8_4096x1664"),
            # Tensor-core GEMVs are GEMVs (weights read once), named apart.
            "photon_gemv_mma_r8_1664x1664_1": ("gemv", (1664, 1664), "photon_gemv_mma_r8_1664x1664"),
            "photon_gemv_mma_qkv_norm_r16_4992x1664": ("gemv_qkv", (4992, 1664),
                                                       "photon_gemv_mma_qkv_norm_r16_4992x1664"),
            "photon_gemv_mma_gate_up_norm_r8_4096x1664": ("gemv_gate_up", (4096, 1664),
                                                          "photon_gemv_mma_gate_up_norm_r8_4096x1664"),
            "photon_mma_4096x1664": ("mma", (4096, 1664), "photon_mma_4096x1664"),
            "photon_mma128x64_1664x1664_2": ("mma", (1664, 1664), "photon_mma128x64_1664x1664"),
            "photon_wgmma128x128_qkv_4992x1664": ("wgmma_qkv", (4992, 1664),
                                                  "photon_wgmma128x128_qkv_4992x1664"),
            "photon_wgmma128x208_qkv_rope_4992x1664_2": ("wgmma_qkv", (4992, 1664),
                                                        "photon_wgmma128x208_qkv_rope_4992x1664"),
            "photon_mma128x128_qkv_4992x1664_1": ("mma_qkv", (4992, 1664),
                                                  "photon_mma128x128_qkv_4992x1664"),
            "photon_mma128x128_gate_up_4096x1664": ("mma_gate_up", (4096, 1664),
                                                    "photon_mma128x128_gate_up_4096x1664"),
            "photon_matmul_1664x4096_1": ("matmul", (1664, 4096), "photon_matmul_1664x4096"),
            "photon_rmsnorm_1664_2": ("rmsnorm", (1664,), "photon_rmsnorm_1664"),
            "photon_rmsnorm_split_1664": ("rmsnorm_split", (1664,), "photon_rmsnorm_split_1664"),
            "photon_rmsnorm_split_1664_0": ("rmsnorm_split", (1664,),
                                            "photon_rmsnorm_split_1664"),
            "photon_rope_cache": ("rope_cache", (), "photon_rope_cache"),
            "photon_swiglu_4096_1": ("swiglu", (4096,), "photon_swiglu_4096"),
            "photon_copy_rows_strided_2": ("copy_rows_strided", (), "photon_copy_rows_strided"),
            "photon_lm_head_kernel": ("lm_head", (), "photon_lm_head"),  # outliner's names
            "photon_attention_12": ("attention", (), "photon_attention"),
            "ampere_sgemm_128x64": ("other", (), "ampere_sgemm_128x64"),
        }
        for name, want in cases.items():
            self.assertEqual(kb.classify(name), want, name)


class RowModelTest(unittest.TestCase):
    def test_vanilla_decode_tiles(self):
        launches = kb.RowModel(VANILLA_1L, decode_tile=256).step(300)
        # Above the GEMV's 16 rows the fused projections are tensor-core kernels.
        self.assertEqual(sorted(launches[("", 1664, 1664)]), [44, 256])  # o
        self.assertEqual(sorted(launches[("qkv", 4992, 1664)]), [44, 256])
        self.assertEqual(sorted(launches[("gate_up", 4096, 1664)]), [44, 256])
        self.assertEqual(sorted(launches[("", 32000, 1664)]), [44, 256])
        self.assertEqual(launches[("", 1664, 4096)], [256, 44])
        # Without tensor cores rows past the GEMV take a kernel per projection.
        lanes = kb.RowModel(VANILLA_1L, decode_tile=256, tensor_core_min_rows=0).step(300)
        self.assertEqual(sorted(lanes[("", 1664, 1664)]), [44] * 4 + [256] * 4)
        self.assertNotIn(("qkv", 4992, 1664), lanes)

    def test_vanilla_decode_fused_gemvs(self):
        launches = kb.RowModel(VANILLA_1L).step(16)
        self.assertEqual(launches[("qkv", 4992, 1664)], [16])
        self.assertEqual(launches[("gate_up", 4096, 1664)], [16])
        self.assertEqual(launches[("", 1664, 1664)], [16])  # o
        unfused = kb.RowModel(VANILLA_1L, fuse_qkv=False, fuse_gate_up=False).step(16)
        self.assertEqual(unfused[("", 1664, 1664)], [16] * 4)
        self.assertEqual(unfused[("", 4096, 1664)], [16] * 2)
        self.assertNotIn(("qkv", 4992, 1664), unfused)

    def test_vanilla_prefill_max_rows(self):
        launches = kb.RowModel(VANILLA_1L, max_rows=1024).prefill(16, 256)
        self.assertEqual(launches[("gate_up", 4096, 1664)], [1024] * 4)

    def test_photon_recgen(self):
        cfg = {"model_type": "photon", "vocab_size": 256, "d_model": 64, "d_embed": 16,
               "chunk_sizes": [4, 4], "prefix_lengths": [2, 2], "encoder_layers": [2, 2],
               "decoder_layers": [2, 2], "n_heads": 4, "n_kv_heads": 2, "ffn_dim": 96,
               "level1_chunker": "concat"}
        launches = kb.RowModel(cfg, gemv_max_rows=8).step(3, "recgen")
        # LM head: 4 tokens per chunk instance, 4 chunk instances per sequence.
        self.assertEqual(launches[("", 256, 64)], [12] * 4)
        # Converters: level 2 over the batch, level 1 over its 4 instances each.
        self.assertEqual(launches[("", 128, 64)], [3, 12])
        # The level-2 chunker (4 latents -> 1) over the batch.
        self.assertEqual(launches[("", 64, 256)], [3])
        # Stack calls of 2 layers: up to 8 rows Q, K and V are one GEMV (64 + 2 x 32
        # outputs), from 16 one tensor-core kernel, between separate K and V
        # projections (GQA: 32 wide).
        dec2 = [6] + [3] * 3   # prefix rows, then 3 rollout steps
        dec1 = [24] + [12] * 3
        enc2 = [3]
        calls = dec2 + dec1 + enc2
        self.assertEqual(sorted(launches[("qkv", 128, 64)]),
                         sorted(r for r in calls if not 8 < r < 16 for _ in range(2)))
        self.assertEqual(sorted(launches[("", 32, 64)]),
                         sorted(r for r in calls if 8 < r < 16 for _ in range(4)))


class SummarizeTest(unittest.TestCase):
    def setUp(self):
        self.kernels = kb.parse_ncu_csv(sample())
        self.launches = kb.RowModel(VANILLA_1L).step(1)
        self.groups = {g["kernel"]: g for g in
                       kb.summarize(self.kernels, self.launches, 2, 2, COPY, MMA)}

    def test_groups_and_duplicates(self):
        g = self.groups
        self.assertEqual(g["photon_gemv_r1_1664x1664"]["launches"], 1)
        self.assertEqual(g["photon_rmsnorm_1664"]["launches"], 3)
        self.assertEqual(list(g)[:3], ["photon_embed_tok", "photon_rmsnorm_1664",
                                       "photon_gemv_qkv_r1_4992x1664"])  # first-launch order
        # Every matrix kernel of the step matches the modelled launches.
        self.assertEqual([x["kernel"] for x in g.values() if x.get("note")], [])
        self.assertEqual(sorted(x["kernel"] for x in g.values() if x.get("rows") is not None),
                         ["photon_gemv_gate_up_r1_4096x1664", "photon_gemv_qkv_r1_4992x1664",
                          "photon_gemv_r1_1664x1664", "photon_gemv_r1_1664x4096",
                          "photon_gemv_r1_32000x1664"])

    def test_bandwidth_and_flops(self):
        qkv = self.groups["photon_gemv_qkv_r1_4992x1664"]
        t = 5120e-9
        need = 4992 * 1664 * 2 + (1664 + 4992) * 2
        self.assertAlmostEqual(qkv["seconds"], t)
        self.assertEqual(qkv["must_move_bytes"], need)
        self.assertAlmostEqual(qkv["must_move_gbps"], need / t / 1e9)
        self.assertAlmostEqual(qkv["must_move_pct_copy"], 100 * need / t / COPY)
        self.assertAlmostEqual(qkv["dram_gbps"], (16620000 + 9984) / t / 1e9)
        self.assertAlmostEqual(qkv["tflops"], 2 * 4992 * 1664 / t / 1e12)
        self.assertAlmostEqual(qkv["pct_matmul"], 100 * 2 * 4992 * 1664 / t / MMA)
        self.assertEqual(qkv["mean_rows"], 1)
        # gate + up: two F x D weight matrices, F outputs.
        gu = self.groups["photon_gemv_gate_up_r1_4096x1664"]
        self.assertEqual(gu["must_move_bytes"], 2 * 4096 * 1664 * 2 + (1664 + 4096) * 2)
        self.assertAlmostEqual(gu["tflops"], 2 * 2 * 4096 * 1664 / 9216e-9 / 1e12)
        head = self.groups["photon_gemv_r1_32000x1664"]
        self.assertAlmostEqual(head["must_move_pct_copy"],
                               100 * (32000 * 1664 * 2 + 33664 * 2) / 40960e-9 / COPY)
        self.assertNotIn("tflops", self.groups["photon_attention"])
        self.assertAlmostEqual(self.groups["photon_argmax"]["dram_pct_copy"],
                               100 * 128004 / 4096e-9 / COPY)

    def test_attention_against_kv_bytes(self):
        # Vanilla decode: a layer's attention launch must read K and V of every row's
        # context (here 2 rows of 100 positions, 1664-wide, bf16).
        kv = kb.kv_bytes_per_layer(VANILLA_1L, 2, 100, 2)
        self.assertEqual(kv, 2 * 2 * 100 * VANILLA_1L["n_kv_heads"] *
                         (VANILLA_1L["d_model"] // VANILLA_1L["n_heads"]) * 2)
        g = {x["kernel"]: x for x in kb.summarize(self.kernels, self.launches, 2, 2, COPY, MMA, kv)}
        att = g["photon_attention"]
        self.assertEqual(att["must_move_bytes"], att["launches"] * kv)
        self.assertAlmostEqual(att["must_move_pct_copy"],
                               100 * att["launches"] * kv / att["seconds"] / COPY)
        self.assertNotIn("must_move_bytes", g["photon_rmsnorm_1664"])
        self.assertTrue(kb.attention_family("attention_split"))
        # The one-row split kernel is the same family of its own.
        self.assertEqual(kb.classify("photon_attention_split_one_row")[0], "attention_split_one_row")
        self.assertTrue(kb.attention_family("attention_split_one_row"))
        self.assertFalse(kb.attention_family("attention_combine"))
        # Without K/V bytes (PHOTON, prefill) attention claims none.
        self.assertNotIn("must_move_bytes", self.groups["photon_attention"])

    def test_rows_split_between_families(self):
        # 2 GEMV launches and 2 tensor-core launches of one shape: the GEMVs take the
        # smallest modelled rows.
        ks = [{"id": i, "name": n, "seconds": 1e-5} for i, n in enumerate(
            ["photon_mma_64x64", "photon_gemv_r8_64x64", "photon_mma_64x64", "photon_gemv_r8_64x64"])]
        g = {x["kernel"]: x for x in kb.summarize(ks, {("", 64, 64): [100, 5, 7, 300]}, 2, 2,
                                                  COPY, MMA)}
        self.assertEqual(g["photon_gemv_r8_64x64"]["rows"], 12)
        self.assertEqual(g["photon_mma_64x64"]["rows"], 400)

    def test_model_mismatch_claims_no_flops(self):
        g = {x["kernel"]: x for x in kb.summarize(self.kernels, {("qkv", 4992, 1664): [1, 1]}, 2,
                                                  2, COPY, MMA)}
        q = g["photon_gemv_qkv_r1_4992x1664"]
        self.assertIsNone(q["rows"])
        self.assertNotIn("tflops", q)
        self.assertIn("2 launches of qkv 4992x1664 modelled, 1 measured", q["note"])

    def test_table(self):
        text = kb.format_table("== t", list(self.groups.values()), COPY, MMA)
        lines = text.splitlines()
        self.assertEqual(len(lines), 2 + len(self.groups) + 1)
        self.assertTrue(lines[-1].startswith("all kernels"))
        self.assertIn(f"{sum(k['seconds'] for k in self.kernels) * 1e6:.1f}", lines[-1])


class PeerTest(unittest.TestCase):
    def test_cases_are_the_fused_matrices(self):
        cases = kb.peer_cases(VANILLA_1L, [1, 4])
        self.assertEqual([(c["name"], c["M"], c["K"], c["rows"]) for c in cases[:5]],
                         [("qkv", 4992, 1664, 1), ("o", 1664, 1664, 1),
                          ("gate_up", 8192, 1664, 1), ("down", 1664, 4096, 1),
                          ("lm_head", 32000, 1664, 1)])
        self.assertEqual(len(cases), 10)
        gqa = dict(VANILLA_1L, n_kv_heads=8)  # 8 KV heads of 52: Q + 2 x 416
        self.assertEqual(kb.peer_cases(gqa, [1])[0]["M"], 1664 + 832)

    def test_copy_cases_move_the_projection_bytes(self):
        o = kb.peer_cases(VANILLA_1L, [1])[1]
        attention = kb.peer_attention_case(VANILLA_1L, 2, 100)
        copy, copy_kv = kb.copy_cases([o, attention])
        # 1664 x 1664 weights + 1 x (1664 + 1664) activations, bf16: half read, half written.
        need = (1664 * 1664 + 1664 + 1664) * 2
        self.assertEqual((copy["kind"], copy["name"], copy["M"], copy["K"], copy["rows"]),
                         ("copy", "o", 1664, 1664, 1))
        self.assertEqual(copy["bytes"], need // 32 * 16)
        self.assertEqual(copy["bytes"] % 16, 0)
        # Attention: K and V of 2 rows x 100 positions x 32 KV heads x 52 (Photon's head,
        # not the peer's padded 56), bf16.
        kv = 2 * 2 * 100 * 32 * 52 * 2
        self.assertEqual((copy_kv["kind"], copy_kv["name"], copy_kv["rows"], copy_kv["context"]),
                         ("copy", "attention", 2, 100))
        self.assertEqual(copy_kv["bytes"], kv // 32 * 16)

    def test_attention_case_pads_the_head(self):
        case = kb.peer_attention_case(VANILLA_1L, 16, 65)
        self.assertEqual((case["heads"], case["kv_heads"], case["head_dim"], case["context"],
                          case["rows"]), (32, 32, 56, 65, 16))  # head_dim 52 -> 56

    def test_split_by_markers(self):
        fill = "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>>"
        ks = [{"id": i, "name": n, "seconds": 1e-6} for i, n in enumerate(
            [fill, "gemv2T_kernel", fill, "sm90_xmma_gemm_bf16", "splitKreduce_kernel"])]
        cases = kb.split_peer_kernels(ks, 2)
        self.assertEqual([[k["name"] for k in c] for c in cases],
                         [["gemv2T_kernel"], ["sm90_xmma_gemm_bf16", "splitKreduce_kernel"]])
        with self.assertRaisesRegex(ValueError, "2 marked cases in the profile, 3 run"):
            kb.split_peer_kernels(ks, 3)
        with self.assertRaisesRegex(ValueError, "before the first case's marker"):
            kb.split_peer_kernels(ks[1:], 2)

    def test_summary_and_pairs(self):
        o, gate_up = kb.peer_cases(VANILLA_1L, [1])[1], kb.peer_cases(VANILLA_1L, [4])[2]
        attention = kb.peer_attention_case(VANILLA_1L, 2, 100)
        copy_o, copy_kv = kb.copy_cases([o, attention])
        ks = [[{"name": "gemv2T_kernel(args)", "seconds": 4e-6}],
              [{"name": "a", "seconds": 6e-6}, {"name": "b", "seconds": 2e-6}],
              [{"name": "fmha", "seconds": 5e-6}],
              [{"name": "copy_kernel", "seconds": 2.5e-6}],
              [{"name": "copy_kernel", "seconds": 3e-6}]]
        peer = kb.peer_summary([o, gate_up, attention, copy_o, copy_kv], ks, COPY, MMA)
        self.assertEqual(peer[0]["kernels"], ["gemv2T_kernel"])
        self.assertAlmostEqual(peer[0]["pct_copy"],
                               100 * (1664 * 1664 * 2 + (1664 + 1664) * 2) / 4e-6 / COPY)
        self.assertAlmostEqual(peer[1]["seconds"], 8e-6)
        self.assertAlmostEqual(peer[1]["pct_matmul"], 100 * 2 * 4 * 8192 * 1664 / 8e-6 / MMA)
        # Attention: K and V of 2 rows x 100 positions x 32 KV heads x 56 (padded), bf16.
        self.assertAlmostEqual(peer[2]["pct_copy"], 100 * 2 * 2 * 100 * 32 * 56 * 2 / 5e-6 / COPY)
        self.assertIsNone(peer[2]["pct_matmul"])
        # The copy: its bytes read and written.
        self.assertAlmostEqual(peer[3]["pct_copy"], 100 * 2 * copy_o["bytes"] / 2.5e-6 / COPY)
        self.assertIsNone(peer[3]["pct_matmul"])
        runs = [{"model": "m", "batch": 2, "context": 100, "groups": [
            {"kernel": "photon_gemv_r1_1664x1664", "family": "gemv", "shape": [1664, 1664],
             "row_counts": [1], "mean_us": 5.0},
            # gate and up: two 4096 x 1664 matrices, the peer's 8192 x 1664.
            {"kernel": "photon_gemv_mma_gate_up_norm_r8_4096x1664", "family": "gemv_gate_up",
             "shape": [4096, 1664], "row_counts": [4], "mean_us": 12.0},
            # Launches of several row counts pair with no one case.
            {"kernel": "photon_gemv_mma_r8_1664x1664", "family": "gemv", "shape": [1664, 1664],
             "row_counts": [1, 4], "mean_us": 6.0},
            {"kernel": "photon_attention_short", "family": "attention_short", "shape": [],
             "mean_us": 7.5},
            {"kernel": "photon_rmsnorm_1664", "family": "rmsnorm", "shape": [1664],
             "mean_us": 2.0}]},
            # A prefill (no context) pairs no attention.
            {"model": "m", "batch": 4096, "groups": [
                {"kernel": "photon_attention_tiled", "family": "attention_tiled", "shape": [],
                 "mean_us": 9.0}]}]
        pairs = kb.photon_against_peer(runs, peer)
        self.assertEqual([(q["kernel"], q["peer_projection"]) for q in pairs],
                         [("photon_gemv_r1_1664x1664", "o"),
                          ("photon_gemv_mma_gate_up_norm_r8_4096x1664", "gate_up"),
                          ("photon_attention_short", "attention")])
        self.assertAlmostEqual(pairs[0]["ratio"], 5.0 / 4.0)
        self.assertAlmostEqual(pairs[1]["ratio"], 12.0 / 8.0)
        self.assertAlmostEqual(pairs[2]["ratio"], 7.5 / 5.0)
        # o's copy of its bytes took 2.5 us against Photon's 5.0; gate/up had none.
        self.assertAlmostEqual(pairs[0]["copy_us"], 2.5)
        self.assertAlmostEqual(pairs[0]["pct_sized_copy"], 50.0)
        self.assertIsNone(pairs[1]["pct_sized_copy"])
        # The attention's copy of its K/V bytes took 3.0 us against Photon's 7.5.
        self.assertAlmostEqual(pairs[2]["copy_us"], 3.0)
        self.assertAlmostEqual(pairs[2]["pct_sized_copy"], 40.0)
        text = kb.format_peer(peer, pairs).splitlines()
        self.assertIn("gemv2T_kernel", text[3])
        self.assertIn("32/32x56@100", text[5])
        self.assertIn(f"{copy_o['bytes']}B", text[6])
        row_o = next(line for line in text if line.startswith("m ") and "r1_1664x1664" in line)
        self.assertEqual(row_o.split()[-3:], ["1.25", "2.50", "50.0"])
        self.assertIn(f"{copy_kv['bytes']}B", text[7])
        # A copy whose run profiled no kernel (seconds 0) sets nothing against the kernel.
        no_copy = [dict(q, seconds=0) if q["kind"] == "copy" else q for q in peer]
        self.assertIsNone(kb.photon_against_peer(runs, no_copy)[0]["pct_sized_copy"])
        self.assertEqual(text[-1].split()[-3:], ["1.50", "3.00", "40.0"])

    def test_summarize_keeps_row_counts(self):
        ks = [{"id": i, "name": "photon_gemv_r8_64x64", "seconds": 1e-5} for i in range(2)]
        (g,) = kb.summarize(ks, {("", 64, 64): [5, 7]}, 2, 2, COPY, MMA)
        self.assertEqual(g["row_counts"], [5, 7])

if __name__ == "__main__":
    unittest.main()
