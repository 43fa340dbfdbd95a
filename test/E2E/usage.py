#!/usr/bin/env -S /usr/bin/python3
"""photon-run for people: --score against the NumPy reference, EOS, prompt files, interactive mode
and their errors.

Scoring (issue #11: held-out loss per token). For the tiny vanilla, Block and PHOTON L=2 / L=3
models (f32, reference weights of seed 1) photon-run --score-ids --output json must give the mean
negative log-likelihood that the reference's logits give, within 1e-4 relative: per window of
(context + scored) tokens, `photon_ref forward` logits (HierGen: the plain teacher-forced forward;
RecGen: --recgen-prompt-len = the context), log-softmax in float64, summed over the scored
positions (hierarchical: row i predicts token i; vanilla: row i-1 does). Contexts around the
meta-context B, several scored lengths, windows split over calls (--batch), and a text file
(--score FILE, byte tokens) equal to its ids.

Generation: --eos-id stops the sequence that generates it (its tokens are the unstopped run's up
to and including the first EOS; the other sequence goes on; the dumped logits are the same rows,
NaN-padded), --ignore-eos does not stop; --prompt-file (and - for stdin) equals --prompt of the
file's text; -i answers each stdin line as --prompt would (text and JSON lines); a step queued
before the previous one's tokens are read (the default) gives what --no-overlap-steps gives. Bad
input: exit code 1 and one "photon-run: error:" line naming the problem.

  /usr/bin/python3 test/E2E/usage.py [--bin build/bin] [--work DIR] [-v]

On a GPU machine without MLIR, as agreement.py: --compile-only --device cuda --work DIR here,
then --precompiled --device cuda --work DIR --bin <photon-run's folder> there (photon-run picks
the GPU itself: --device auto).

Prints one line per case and finally `N passed, N failed`; exits 1 on any failure.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "reference"))
import photonref as pr  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agreement  # noqa: E402

TOL = 1e-4
MODELS = ["tiny-vanilla", "tiny-block", "tiny-photon-l2", "tiny-photon-l3"]


class Harness(agreement.Harness):
    """agreement.py's, with photon-run called by its arguments (and stdin)."""

    def cli(self, *args, stdin=None, check=True):
        return self.run([self.photon_run_path, *args], check=check, timeout=300, stdin=stdin)


def reference_nll(cfg, weights, ids, context, length, mode):
    """(tokens scored, mean NLL) over the windows photon-run --score uses."""
    total, n = 0.0, 0
    for start in range(0, len(ids), length):
        if start + context >= len(ids):
            break
        win = ids[start:start + context + length]
        if mode == "recgen":
            logits = pr.recgen_forward_logits(cfg, weights, win, context)
        else:
            logits = pr.forward_logits(cfg, weights, win)
        lg = np.asarray(logits, np.float64)
        top = lg.max(-1, keepdims=True)
        logp = lg - top - np.log(np.exp(lg - top).sum(-1, keepdims=True))
        shift = 1 if cfg.vanilla else 0  # vanilla: row i predicts token i + 1
        for i in range(context, len(win)):
            total -= logp[i - shift, win[i]]
            n += 1
    return n, total / n


def score_cases(h, name, artifact, cfg, wpath, weights, rng):
    B = 1 if cfg.vanilla else cfg.B
    modes = ["hiergen"] + (["recgen"] if cfg.L >= 2 else [])
    ids = [int(t) for t in rng.integers(0, cfg.vocab_size, 6 * max(B, 4) + 5)]
    cases = sorted({(c, s) for c in (1, B - 1, B, B + 1, 2 * B + 3) if c >= 1
                    for s in (B, 2 * B + 1)})
    for mode in modes:
        for context, length in cases:
            for batch in ("16", "2"):  # every window in one call, or two per call
                tag = f"{name} {mode} --score-context {context} --score-length {length} --batch {batch}"
                try:
                    out = json.loads(h.cli(
                        artifact, "--weights", wpath, "--mode", mode, "--score-ids", ",".join(map(str, ids)),
                        "--score-context", str(context), "--score-length", str(length), "--batch", batch,
                        "--output", "json", "-q").stdout)
                    n, ref = reference_nll(cfg, weights, ids, context, length, mode)
                    err = abs(out["mean_nll"] - ref) / abs(ref)
                    ok = (out["scored_tokens"] == n and err < TOL
                          and abs(out["perplexity"] - np.exp(out["mean_nll"])) <= 1e-9 * out["perplexity"])
                    h.report(ok, tag, f"mean NLL {out['mean_nll']:.6f} vs reference {ref:.6f} "
                             f"(rel {err:.1e}), {out['scored_tokens']} vs {n} tokens")
                except Exception as e:  # noqa: BLE001
                    h.report(False, tag, str(e))


def score_file_case(h, artifact, wpath):
    """--score FILE scores the file's bytes, as --score-ids of them; the default windows apply."""
    text = ("Held-out text, scored a byte at a time: ünïcödé too.\n" * 6).encode()
    path = os.path.join(h.work, "held-out.txt")
    with open(path, "wb") as f:
        f.write(text)
    common = ["--weights", wpath, "--output", "json", "-q", "--score-context", "40"]
    a = json.loads(h.cli(artifact, "--score", path, *common).stdout)
    b = json.loads(h.cli(artifact, "--score-ids", ",".join(str(c) for c in text), *common).stdout)
    c = json.loads(h.cli(artifact, "--score", "-", *common, stdin=text.decode()).stdout)
    h.report(a["mean_nll"] == b["mean_nll"] == c["mean_nll"] and a["scored_tokens"] == len(text) - 40,
             "--score FILE (and -) equals --score-ids of its bytes",
             f"{a['mean_nll']} / {b['mean_nll']} / {c['mean_nll']}, {a['scored_tokens']} tokens")
    plain = h.cli(artifact, "--score", path, "--weights", wpath, "--score-context", "40").stdout
    h.report(plain.startswith(f"scored {len(text) - 40} tokens") and "perplexity" in plain,
             "--score text output", plain.strip())


def eos_cases(h, artifact, wpath):
    """Two prompts, greedy: the EOS id is a token sequence 0 generates at its 4th position and
    sequence 1 never generates early."""
    npy = os.path.join(h.work, "eos-logits.npy")

    def generate(*extra):
        out = json.loads(h.cli(artifact, "--weights", wpath, "--prompt-ids", "1,2,3,4,5",
                                      "--prompt-ids", "9,8,7", "--max-new-tokens", "24", "--output", "json",
                                      "-q", "--dump-logits", npy, *extra).stdout)
        return out, np.load(npy)

    free, free_logits = generate()
    seq0, seq1 = free["tokens"]
    fresh = [t for t in seq0[3:] if t not in seq0[:3]]  # first generated at position >= 3
    eos = next((t for t in fresh if t not in seq1), fresh[0] if fresh else None)
    if eos is None:
        h.report(False, "EOS: a usable EOS id", f"no fresh token in {seq0}")
        return
    cut0 = seq0.index(eos) + 1
    cut1 = seq1.index(eos) + 1 if eos in seq1 else len(seq1)
    out, logits = generate("--eos-id", str(eos))
    toks = out["tokens"]
    want = [seq0[:cut0], seq1[:cut1]]
    h.report(toks == want and out["stopped"] == [True, eos in seq1],
             "EOS: the sequence that generates --eos-id stops after it; the other goes on",
             f"eos {eos}: got {toks}, want {want}, stopped {out['stopped']}")
    rows = max(cut0, cut1)
    same = logits.shape == (2, rows, free_logits.shape[2]) and \
        np.array_equal(logits[0, :cut0], free_logits[0, :cut0]) and \
        np.array_equal(logits[1, :cut1], free_logits[1, :cut1]) and np.isnan(logits[0, cut0:]).all()
    h.report(same, "EOS: --dump-logits keeps the generated rows, NaN after a stop", f"shape {logits.shape}")
    ignored, _ = generate("--ignore-eos")
    h.report(ignored["tokens"] == free["tokens"] and ignored["stopped"] == [False, False],
             "EOS: --ignore-eos generates every token")


def overlap_cases(h, artifact, wpath, modes, vanilla=False):
    """A decode step queued before the previous one's tokens are read (the default) must give
    what reading each step first gives (--no-overlap-steps): tokens, stops and logits, greedy and
    sampled, with and without an EOS that ends one sequence early."""
    npy = os.path.join(h.work, "overlap-logits.npy")

    def generate(mode, *extra):
        out = json.loads(h.cli(artifact, "--weights", wpath, "--mode", mode, "--prompt-ids", "1,2,3,4,5",
                               "--prompt-ids", "9,8,7", "--max-new-tokens", "21", "--output", "json",
                               "-q", "--dump-logits", npy, *extra).stdout)
        return out, np.load(npy)

    for mode in modes:
        greedy, _ = generate(mode, "--no-overlap-steps")
        eos = str(greedy["tokens"][0][6])
        for extra in ([], ["--temperature", "0.8", "--seed", "5"], ["--eos-id", eos]):
            want, want_logits = generate(mode, "--no-overlap-steps", *extra)
            got, got_logits = generate(mode, *extra)
            ahead, steps = got["timings"]["steps_queued_ahead"], got["timings"]["steps"]
            same = (got["tokens"], got["stopped"]) == (want["tokens"], want["stopped"]) and \
                np.array_equal(got_logits, want_logits, equal_nan=True)
            # Without a stop every step but the first is queued ahead where a step is one
            # token per sequence (vanilla); a hierarchy's steps cover several positions.
            queued = ahead == steps - 1 if vanilla and "--eos-id" not in extra else 0 < ahead < steps
            h.report(same and queued and want["timings"]["steps_queued_ahead"] == 0,
                     f"overlapped steps: {mode} {' '.join(extra) or 'greedy'} equals --no-overlap-steps",
                     f"tokens {got['tokens']} vs {want['tokens']}, {ahead} of {steps} steps queued ahead")


def prompt_file_and_interactive_cases(h, artifact, wpath):
    common = ["--weights", wpath, "--max-new-tokens", "12", "-q"]
    text = "Bonjour, ça va?\n"
    path = os.path.join(h.work, "prompt.txt")
    with open(path, "w") as f:
        f.write(text)
    direct = h.cli(artifact, "--prompt", text, *common, "--output", "json").stdout
    direct = json.loads(direct)["tokens"]
    from_file = json.loads(h.cli(artifact, "--prompt-file", path, *common, "--output", "json").stdout)
    from_stdin = json.loads(h.cli(artifact, "--prompt-file", "-", *common, "--output", "json",
                                         stdin=text).stdout)
    h.report(from_file["tokens"] == direct == from_stdin["tokens"]
             and from_file["prompt_tokens"] == [len(text.encode())],
             "--prompt-file (and -) equals --prompt of the file's text")
    mixed = json.loads(h.cli(artifact, "--prompt-file", path, "--prompt-ids", "5,6", *common,
                                    "--output", "json").stdout)
    h.report(mixed["tokens"][0] == direct[0] and mixed["prompt_tokens"] == [len(text.encode()), 2],
             "--prompt-file in a batch with --prompt-ids")

    lines = ["hello there", "", "second prompt"]
    single = [h.cli(artifact, "--prompt", p, *common) for p in lines if p]
    session = h.cli(artifact, "-i", *common, stdin="\n".join(lines) + "\n")
    h.report(session.stdout == "".join(p.stdout for p in single),
             "-i: each stdin line is answered as --prompt would (empty lines skipped)",
             repr(session.stdout[:80]))
    js = h.cli(artifact, "--interactive", *common, "--output", "json", stdin="hello there\nsecond prompt")
    answers = [json.loads(line)["tokens"][0] for line in js.stdout.splitlines()]
    want = [json.loads(h.cli(artifact, "--prompt", p, *common, "--output", "json").stdout)["tokens"][0]
            for p in ("hello there", "second prompt")]
    h.report(answers == want, "-i --output json: one JSON line per prompt (last line without newline too)")
    progress = h.cli(artifact, "--prompt", "hi", "--weights", wpath, "--max-new-tokens", "12",
                            "--progress")
    h.report("photon-run: generated 12 / 12 tokens" in progress.stderr,
             "--progress reports on a pipe, the final count included",
             progress.stderr.splitlines()[0] if progress.stderr else "")


def bad_input_cases(h, l2, l2w):
    def expect_error(name, args, needle, stdin=None):
        p = h.cli(*args, stdin=stdin, check=False)
        lines = [ln for ln in p.stderr.splitlines() if ln.startswith("photon-run: error:")]
        ok = p.returncode == 1 and len(lines) == 1 and needle.lower() in p.stderr.lower()
        h.report(ok, f"bad input: {name}", lines[0] if lines else f"exit {p.returncode}: {p.stderr.strip()[:200]}")

    empty = os.path.join(h.work, "empty.txt")
    open(empty, "w").close()
    short = os.path.join(h.work, "short.txt")
    with open(short, "w") as f:
        f.write("0123456789")
    missing = os.path.join(h.work, "no-such-file.txt")
    w = ["--weights", l2w]
    expect_error("missing --prompt-file", [l2, *w, "--prompt-file", missing], "no-such-file.txt")
    expect_error("empty --prompt-file", [l2, *w, "--prompt-file", empty], "empty")
    expect_error("--prompt-file on a directory", [l2, *w, "--prompt-file", h.work], "directory")
    expect_error("missing --score file", [l2, *w, "--score", missing], "no-such-file.txt")
    expect_error("empty --score file", [l2, *w, "--score", empty], "empty")
    expect_error("context longer than the file", [l2, *w, "--score", short, "--score-context", "10"],
                 "--score-context")
    expect_error("--score-context 0", [l2, *w, "--score", short, "--score-context", "0"], "--score-context")
    expect_error("--score with --interactive", [l2, *w, "--score", short, "-i"], "exclusive")
    expect_error("--score with a prompt", [l2, *w, "--score", short, "--prompt", "x"], "--score")
    expect_error("--score and --score-ids", [l2, *w, "--score", short, "--score-ids", "1,2"], "exclusive")
    expect_error("--score with --max-new-tokens", [l2, *w, "--score", short, "--max-new-tokens", "3"],
                 "do not apply")
    expect_error("--score with --dump-logits", [l2, *w, "--score", short, "--dump-logits",
                                                os.path.join(h.work, "x.npy")], "dump-logits")
    expect_error("--score-context without --score", [l2, *w, "--prompt", "x", "--score-context", "4"],
                 "needs --score")
    expect_error("bad --score-ids", [l2, *w, "--score-ids", "1,x"], "--score-ids")
    expect_error("--score-ids out of the vocabulary", [l2, *w, "--score-ids", "1,2,300"], "300")
    expect_error("--interactive with a prompt", [l2, *w, "-i", "--prompt", "x"], "--interactive")
    expect_error("--interactive with --batch", [l2, *w, "-i", "--batch", "2"], "--batch")
    expect_error("--eos-id with --ignore-eos", [l2, *w, "--prompt", "x", "--eos-id", "3", "--ignore-eos"],
                 "exclusive")
    expect_error("--eos-id outside the vocabulary", [l2, *w, "--prompt", "x", "--eos-id", "256"], "256")
    expect_error("bad --eos-id", [l2, *w, "--prompt", "x", "--eos-id", "-1"], "--eos-id")
    expect_error("no prompt", [l2, *w], "-i")
    expect_error("--skip-kernels on the CPU", [l2, *w, "--prompt", "x", "--device", "cpu",
                                               "--skip-kernels", "gemv"], "needs --device cuda")
    expect_error("bad --skip-kernels", [l2, *w, "--prompt", "x", "--device", "cuda",
                                        "--skip-kernels", "gemv("], "not a valid regular expression")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("PHOTON_BIN", os.path.join(ROOT, "build", "bin")))
    ap.add_argument("--work", help="scratch directory (default: a temporary one, removed at the end)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="where photon-run runs (artifacts are compiled for it)")
    phase = ap.add_mutually_exclusive_group()
    phase.add_argument("--compile-only", action="store_true", help="only compile the artifacts into --work")
    phase.add_argument("--precompiled", action="store_true", help="use the artifacts already in --work")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if (args.compile_only or args.precompiled) and not args.work:
        print("usage.py: error: --compile-only/--precompiled need --work", file=sys.stderr)
        return 2
    work = args.work or tempfile.mkdtemp(prefix="photon-usage-")
    os.makedirs(work, exist_ok=True)
    mode = "compile-only" if args.compile_only else "precompiled" if args.precompiled else "full"
    h = Harness(os.path.abspath(args.bin), work, args.verbose, args.device, mode)
    rng = np.random.default_rng(11)
    arts = {}
    try:
        for name in MODELS:
            cfg = pr.load_config(os.path.join(ROOT, "examples", name + ".json"))
            try:
                artifact = h.compile(os.path.join(ROOT, "examples", name + ".json"), name)
            except Exception as e:  # noqa: BLE001
                h.report(False, f"{name} compile", str(e))
                continue
            if mode == "compile-only":
                continue
            weights = pr.init_weights(cfg, seed=1)
            wpath = os.path.join(work, name + ".safetensors")
            pr.save_safetensors(wpath, weights, "f32")
            arts[name] = (artifact, wpath)
            score_cases(h, name, artifact, cfg, wpath, weights, rng)
        if "tiny-photon-l2" in arts:
            l2, l2w = arts["tiny-photon-l2"]
            # photon-run's input checks do not depend on the device.
            for cases in (score_file_case, eos_cases, prompt_file_and_interactive_cases,
                          lambda h, a, w: overlap_cases(h, a, w, ["hiergen", "recgen"])) + \
                    ((bad_input_cases,) if args.device == "cpu" else ()):
                try:
                    cases(h, l2, l2w)
                except Exception as e:  # noqa: BLE001
                    h.report(False, cases.__name__, str(e))
        if "tiny-vanilla" in arts:
            try:
                eos_cases(h, *arts["tiny-vanilla"])
                overlap_cases(h, *arts["tiny-vanilla"], ["hiergen"], vanilla=True)
            except Exception as e:  # noqa: BLE001
                h.report(False, "vanilla eos_cases", str(e))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{h.passed} passed, {h.failed} failed")
    return 1 if h.failed else 0


if __name__ == "__main__":
    sys.exit(main())
