#!/usr/bin/env bash
# Builds the demo-model corpus (issue #11): the core Perl documentation of Debian bookworm's
# perl-doc 5.36 (licence: GPL-1+ or Artistic, like Perl itself), one document per .pod file,
# rendered to plain text with pod2text, in sorted file-name order.
#   data/corpus/train.txt    every document not held out
#   data/corpus/heldout.txt  every k-th document (k = 20 unless that holds out < 300 KB; see below)
# Documents are separated by a line holding exactly DOC_SEP ("<|endoftext|>"); the tokenizer
# script maps that line to the EOS token. The text is generated, not committed (.gitignore).
# Usage: scripts/demo/make-corpus.sh [path/to/perl-doc_*.deb]
set -euo pipefail
export LC_ALL=C.UTF-8
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/data/corpus"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

deb="${1:-}"
if [[ -z "$deb" ]]; then
  deb="$(ls /tmp/perl-doc_5.36*_all.deb 2>/dev/null | sort | tail -n 1 || true)"
fi
if [[ -z "$deb" || ! -f "$deb" ]]; then
  (cd "$work" && apt-get download perl-doc)
  deb="$(ls "$work"/perl-doc_*_all.deb | head -n 1)"
fi
version="$(dpkg-deb -f "$deb" Version)"
case "$version" in
  5.36*) ;;
  *) echo "make-corpus: expected perl-doc 5.36, got $version ($deb)" >&2; exit 1 ;;
esac
echo "make-corpus: perl-doc $version from $deb"
dpkg -x "$deb" "$work/x"

mapfile -t pods < <(cd "$work/x" && find usr/share/perl/5.36*/pod -name '*.pod' -type f | LC_ALL=C sort)
if (( ${#pods[@]} < 100 )); then
  echo "make-corpus: only ${#pods[@]} .pod files found under usr/share/perl/5.36*/pod" >&2
  exit 1
fi

# Render every pod once (pod2text: UTF-8 output whatever the pod's =encoding, fixed width, so the output does not depend on the terminal;
# POD syntax complaints go to stderr and do not stop the conversion). Empty renders are dropped.
mkdir -p "$work/txt"
docs=() names=()
for i in "${!pods[@]}"; do
  f="$work/txt/$(printf '%04d' "$i").txt"
  pod2text --utf8 -w 76 "$work/x/${pods[$i]}" > "$f" 2>/dev/null || true
  if grep -q '[^[:space:]]' "$f"; then docs+=("$f"); names+=("$(basename "${pods[$i]}" .pod)"); fi
done

# Split by document: every k-th document (index % k == k/2) is held out, with k the largest of
# 20, 15, 12, 10 that holds out at least 300 KB. Deterministic for a given perl-doc version.
DOC_SEP='<|endoftext|>'
min_held=300000
for k in 20 15 12 10; do
  held=0
  for i in "${!docs[@]}"; do
    if (( i % k == k / 2 )); then held=$((held + $(stat -c %s "${docs[$i]}"))); fi
  done
  (( held >= min_held )) && break
done
mkdir -p "$out"
: > "$out/train.txt"
: > "$out/heldout.txt"
n_train=0 n_held=0 held_names=""
for i in "${!docs[@]}"; do
  if (( i % k == k / 2 )); then dest="$out/heldout.txt"; n_held=$((n_held + 1)); held_names+=" ${names[$i]}"
  else dest="$out/train.txt"; n_train=$((n_train + 1)); fi
  { cat "${docs[$i]}"; printf '%s\n' "$DOC_SEP"; } >> "$dest"
done
echo "make-corpus: held out every ${k}th document:$held_names"
for f in "$out/train.txt" "$out/heldout.txt"; do
  iconv -f UTF-8 -t UTF-8 "$f" > /dev/null || { echo "make-corpus: $f is not valid UTF-8" >&2; exit 1; }
done
echo "make-corpus: ${#pods[@]} pod files -> $n_train train docs, $n_held held-out docs"
ls -l "$out/train.txt" "$out/heldout.txt"
wc -c "$out/train.txt" "$out/heldout.txt"
sha256sum "$out/train.txt" "$out/heldout.txt"
