#!/usr/bin/env python3
"""Trains the demo tokenizers on data/corpus/train.txt and writes reference encodings (issue #11).

Runs where HF `tokenizers` is installed (the GPU machine). Output dir (argument):
  demo-tokenizer.json  GPT-2-style byte-level BPE, vocab 4096. `<|endoftext|>` is id 0 and is the EOS
                       token the demo models are trained with (documents are joined with it).
  llama2-style.json    LLaMA-2-style SentencePiece BPE (byte_fallback, <unk>=0 <s>=1 </s>=2, the 256
                       <0xNN> byte tokens at ids 3..258, Prepend/Replace normalizer, no pre-tokenizer,
                       post-processor adding <s>), vocab 2000.
  llama3-style.json    LLaMA-3-style byte-level BPE (Split(LLaMA-3 regex, isolated) + ByteLevel(no
                       regex), ignore_merges=true like LLaMA-3), vocab 3000 + added special tokens
                       after the trained vocab (like LLaMA-3's 128000+) and one non-special added
                       token "photon-run"; post-processor adding <|begin_of_text|>.
  refs.jsonl           one line per (tokenizer, test string): {"tokenizer", "text", "ids",
                       "ids_special", "decoded"}: ids = encode(text, add_special_tokens=False).ids,
                       ids_special = encode(text, add_special_tokens=True).ids,
                       decoded = decode(ids, skip_special_tokens=False).
Everything is deterministic for a given corpus and tokenizers version.
Usage: make-tokenizers.py --corpus data/corpus --out OUTDIR
"""
import argparse
import json
import os
import random
import sys
import time

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

DOC_SEP = "<|endoftext|>"          # the separator line make-corpus.sh writes between documents
EOS = "<|endoftext|>"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                  "<|eot_id|>"]
LLAMA3_ADDED = "photon-run"        # a non-special added token


def read_docs(path):
    """Documents of a corpus file: the text between separator lines (the separator itself excluded)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    docs = [d.strip("\n") for d in text.split("\n" + DOC_SEP + "\n")]
    docs = [d for d in docs if d.strip() and d.strip() != DOC_SEP]
    if not docs:
        sys.exit(f"make-tokenizers: no documents in {path}")
    return docs


def train_demo(docs):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)   # as in GPT-2's tokenizer.json
    trainer = trainers.BpeTrainer(vocab_size=4096, min_frequency=2, special_tokens=[EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs, trainer=trainer)
    assert tok.token_to_id(EOS) == 0, "EOS must be id 0"
    return tok


def _merges_of(tok):
    """(vocab, merges as (a, b) tuples) of a trained BPE tokenizer, whatever the JSON merge format."""
    m = json.loads(tok.to_str())["model"]
    merges = [tuple(x) if isinstance(x, list) else tuple(x.split(" ", 1)) for x in m["merges"]]
    return m["vocab"], merges


def train_llama2(docs):
    # SentencePiece pieces never cross a "▁" word start, so the merges are learned with a Metaspace
    # pre-tokenizer; the saved tokenizer then has LLaMA-2's layout (normalizer does the ▁, no pre-tokenizer).
    # limit_alphabet keeps rare characters out of the vocab so they take the byte fallback.
    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    n_fixed = 3 + 256
    trainer = trainers.BpeTrainer(vocab_size=2000 - n_fixed, min_frequency=2, limit_alphabet=120,
                                  special_tokens=[], show_progress=False)
    t.train_from_iterator(docs, trainer=trainer)
    tv, merges = _merges_of(t)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece, _ in sorted(tv.items(), key=lambda kv: kv[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    merges = [(a, b) for a, b in merges if a in vocab and b in vocab and a + b in vocab]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    # no pre-tokenizer (a new Tokenizer has none): the whole normalized text is one BPE word, as in LLaMA-2
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in ("<unk>", "<s>", "</s>")])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", 1)])
    assert [tok.token_to_id(s) for s in ("<unk>", "<s>", "</s>", "<0x00>", "<0xFF>")] == [0, 1, 2, 3, 258]
    return tok


def train_llama3(docs):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=3000, min_frequency=2, special_tokens=[],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs, trainer=trainer)
    j = json.loads(tok.to_str())
    if not j["model"].get("ignore_merges"):           # training must not drop the model option
        j["model"]["ignore_merges"] = True
        tok = Tokenizer.from_str(json.dumps(j))
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in LLAMA3_SPECIAL])
    tok.add_tokens([AddedToken(LLAMA3_ADDED, special=False, normalized=False)])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    return tok


def test_strings(heldout_docs):
    """~300 deterministic test strings: hand-written edge cases, combinations and held-out samples."""
    s = [
        "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t  \n", "a", "A", " a", "a ", " a ",
        "Hello world", "Hello, world!", " Hello world", "Hello world ", "  Hello   world  ",
        "hello\tworld", "hello\nworld", "hello\n\nworld\n", "line one\r\nline two\r\n",
        "The quick brown fox jumps over the lazy dog.",
        "It's, don't, we're, they've, I'm, you'll, he'd", "IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D",
        "'s 't 're 've 'm 'll 'd", "rock'n'roll", "O'Reilly's book", "''quoted''", "it’s (curly)",
        "1", "12", "123", "1234", "12345", "123456789", "3.14159", "1,000,000", "2026-12-01T17:20:50Z",
        "0x1F 0b1010 1e-5 -42", "version 5.36.0", "a1b2c3", "v8", "ipv6 ::1",
        "perl -e 'print \"hello\\n\"'", "my $x = 42; my @a = (1, 2, 3); my %h = (a => 1);",
        "sub foo { my ($self, %args) = @_; return $self->{bar}; }",
        "if ($x =~ /^\\s*(\\d+)\\s*$/) { print $1 }", "#!/usr/bin/perl\nuse strict;\nuse warnings;\n",
        "for (my $i = 0; $i < 10; $i++) {\n\tprint \"$i\\n\";\n}\n",
        "def f(x):\n    return x ** 2\n", "int main(void) { return 0; }", "    indented four", "\tindented tab",
        "x  =  1", "a\u00a0b", "trailing spaces   ", "   leading spaces", "mixed \t \n \t whitespace",
        "caf\u00e9", "cafe\u0301", "na\u00efve r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "stra\u00dfe", "\u0130stanbul",
        "\u00e9\u00e8\u00ea\u00eb", "e\u0301e\u0300e\u0302", "\u1e9b\u0323", "Z\u0351\u0302a\u0308\u0324l\u0357g\u0301o",
        "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\u4e2d\u6587\u5b57\u7b26", "\ud55c\uad6d\uc5b4",
        "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u05e2\u05d1\u05e8\u05d9\u05ea",
        "mixed \u05e2\u05d1\u05e8\u05d9\u05ea and English", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442",
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac", "\u0939\u093f\u0928\u094d\u0926\u0940", "\u0e44\u0e17\u0e22",
        "\U0001F600", "\U0001F44D\U0001F3FD", "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
        "\U0001F3F3\ufe0f\u200d\U0001F308", "\U0001F1EF\U0001F1F5", "I \u2764\ufe0f Perl \U0001F42A",
        "\u2603 \u2615 \u231a", "math: \u2200x\u2208\u211d, x\u00b2 \u2265 0", "\u00bd \u2153 \u2155",
        "\u00a9 \u00ae \u2122 \u20ac \u00a3 \u00a5", "\u201cquotes\u201d \u2018single\u2019 \u2014 dash \u2026",
        "\u200b", "a\u200bb", "\ufeffBOM", "\u00ad", "\ufffd", "\uffff", "\ue000", "\U0010FFFD",
        "\x00", "a\x00b", "\x01\x02\x03", "\x7f", "\x1b[31mred\x1b[0m", "\u0085", "\u2028\u2029",
        "\u3000ideographic space", "\ufb01 ligature", "\uff21\uff22\uff23 fullwidth",
        "<|endoftext|>", "a<|endoftext|>b", "text <|endoftext|> more", "<|endoftext|><|endoftext|>",
        "<|endoftext", "endoftext|>", "< |endoftext|>", "<|ENDOFTEXT|>",
        "<s>", "</s>", "<unk>", "<s>hello</s>", " <s> spaced </s> ", "<0x41>", "<0x0A> literal",
        "<|begin_of_text|>Hello", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
        "<|eot_id|", "photon-run", "run photon-run now", "photon-runs", "xphoton-run", "PHOTON-RUN",
        "a" * 100, "ab" * 50, " " * 17, "\n" * 9, "-" * 40, "=" * 33, "." * 12, "!!!???", "...",
        "http://www.perl.org/ and https://metacpan.org/pod/perlfunc",
        "email: someone@example.com", "C:\\Windows\\path", "/usr/share/perl/5.36/pod/perlfunc.pod",
        "camelCaseWord snake_case_word kebab-case-word", "HTTPServerError", "don't-stop",
        "tab\there", "__init__", "$_ @_ %ENV $0 $@ $! $/", "=head1 NAME\n\nperlfunc - Perl builtin functions\n",
    ]
    words = ["perl", " the", "\u00e9", "\U0001F600", "\t", "\n", "  ", "42", "'s", "<|endoftext|>", "<s>",
             "photon-run", "\u65e5\u672c", "x", " ", "::", "$x", "\u0301"]
    rng = random.Random(20261201)
    for _ in range(60):
        s.append("".join(rng.choice(words) for _ in range(rng.randint(1, 8))))
    for _ in range(70):
        d = heldout_docs[rng.randrange(len(heldout_docs))]
        n = rng.choice([8, 20, 60, 200, 800])
        i = rng.randrange(max(1, len(d) - n))
        s.append(d[i:i + n])
    s.append(heldout_docs[0][:4000])
    out, seen = [], set()
    for x in s:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="data/corpus", help="folder with train.txt and heldout.txt")
    ap.add_argument("--out", required=True, help="output folder")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    train_docs = read_docs(os.path.join(args.corpus, "train.txt"))
    held_docs = read_docs(os.path.join(args.corpus, "heldout.txt"))
    print(f"make-tokenizers: {len(train_docs)} train docs, {len(held_docs)} held-out docs", flush=True)
    toks = {}
    for name, fn, fname in (("demo", train_demo, "demo-tokenizer.json"), ("llama2", train_llama2, "llama2-style.json"),
                            ("llama3", train_llama3, "llama3-style.json")):
        t1 = time.time()
        try:
            tok = fn(train_docs)
        except Exception as e:  # the test-only styles must not cost the demo model its run
            if name == "demo":
                raise
            print(f"make-tokenizers: {name}: FAILED: {type(e).__name__}: {e}", flush=True)
            continue
        path = os.path.join(args.out, fname)
        tok.save(path)
        toks[name] = Tokenizer.from_file(path)       # encode with what was saved, exactly as a reader sees it
        print(f"make-tokenizers: {name}: vocab {toks[name].get_vocab_size()} -> {path} ({time.time() - t1:.1f} s)",
              flush=True)
    strings = test_strings(held_docs)
    n = 0
    with open(os.path.join(args.out, "refs.jsonl"), "w", encoding="utf-8") as f:
        for name, tok in toks.items():
            for text in strings:
                ids = tok.encode(text, add_special_tokens=False).ids
                rec = {"tokenizer": name, "text": text, "ids": ids,
                       "ids_special": tok.encode(text, add_special_tokens=True).ids,
                       "decoded": tok.decode(ids, skip_special_tokens=False)}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    demo = toks["demo"]
    sample = held_docs[0][:200]
    enc = demo.encode(sample, add_special_tokens=False)
    print(f"make-tokenizers: {len(strings)} test strings, {n} reference lines; demo round trip "
          f"{'OK' if demo.decode(enc.ids) == sample else 'DIFFERS'}; {len(sample)} chars -> {len(enc.ids)} tokens; "
          f"{time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
