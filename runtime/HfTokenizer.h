//===- HfTokenizer.h - Hugging Face tokenizer.json -------------*- C++ -*-===//
//
// A tokenizer.json of the Hugging Face `tokenizers` library, re-implemented to
// give the same ids (checked against tokenizers 0.23.2 in
// unittests/Runtime/HfTokenizerTest.cpp). Supported:
//
//   model           BPE: vocab, merges ("a b" strings or [a, b] pairs),
//                   byte_fallback, unk_token, fuse_unk, ignore_merges
//                   (dropout, continuing_subword_prefix, end_of_word_suffix
//                   are refused)
//   normalizer      null, Prepend, Replace, NFC, Strip, Sequence
//   pre_tokenizer   null, ByteLevel, Split (String or Regex pattern, every
//                   behavior, invert), Metaspace, Sequence
//   decoder         null, ByteLevel, Replace, ByteFallback, Fuse, Strip,
//                   Metaspace, Sequence
//   post_processor  null, TemplateProcessing (single), ByteLevel,
//                   RobertaProcessing, BertProcessing, Sequence
//   added_tokens    special and not, lstrip, rstrip, single_word, normalized
//
// Anything else is refused when loading, naming its JSON path (e.g.
// "normalizer.normalizers[1].type: unsupported normalizer 'NFKC'"); malformed
// files are errors, never crashes. Regex patterns go through TokenizerRegex.
//
// EOS convention (when no config overrides it, see selectTokenizer): the first
// added token among "</s>", "<|endoftext|>", "<|end_of_text|>", "<|eot_id|>",
// "<|im_end|>", "<eos>". BOS: the first token the post-processor prepends.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_HFTOKENIZER_H
#define PHOTON_RUNTIME_HFTOKENIZER_H

#include "runtime/Tokenizer.h"

namespace photon::rt {

/// Parses the text of a tokenizer.json; `origin` names it in errors.
Expected<std::unique_ptr<Tokenizer>> parseHfTokenizer(std::string_view json,
                                                      const std::string &origin);
/// Reads and parses a tokenizer.json file.
Expected<std::unique_ptr<Tokenizer>> loadHfTokenizer(const std::string &path);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_HFTOKENIZER_H
