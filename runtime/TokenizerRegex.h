//===- TokenizerRegex.h - Regexes of HF pre-tokenizers ---------*- C++ -*-===//
//
// HF tokenizers run their Split/Replace patterns through Oniguruma. The
// patterns in real tokenizer.json files (GPT-2, LLaMA-3, Qwen, ...) use
// Unicode classes (\p{L}, \p{N}), lookahead (\s+(?!\S)), case-insensitive
// groups ((?i:'s|'t)) and bounded repeats (\p{N}{1,3}); std::regex has none of
// the Unicode parts. This is a small backtracking matcher over code points
// with Oniguruma's leftmost-first semantics for that subset:
//
//   literals, escapes (\n \r \t \f \v \e \xHH \x{H..} \uHHHH, escaped
//   punctuation), ., ^, $, \A, \z, classes [...] with ranges and negation,
//   \s \S \d \D \w \W \p{X} \P{X} \p{^X} (X a general category or its major
//   class), groups ( ) (?: ) (?i: ) (?> ), lookahead (?= ) (?! ), alternation,
//   and the quantifiers ? * + {n} {n,} {n,m} {,m}, greedy, lazy (?) or
//   possessive (+).
//
// Anything else (backreferences, lookbehind, named groups, class
// intersections, ...) is refused at compile time with the offset. A repeat of
// a single-character item (\p{L}+, \s*) runs iteratively, so long words and
// whitespace runs cost linear time and no stack. A step budget (4096 steps
// per character of text) stops a catastrophically backtracking pattern; the
// text after that point is left unmatched. (?i) folds ASCII letters
// plus U+017F (long s) and U+212A (Kelvin sign), which is what the
// case-insensitive contraction groups of real pre-tokenizers need.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_TOKENIZERREGEX_H
#define PHOTON_RUNTIME_TOKENIZERREGEX_H

#include "runtime/Status.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace photon::rt {

class TokenizerRegex {
public:
  struct Node;

  /// Compiles a UTF-8 pattern.
  static Expected<TokenizerRegex> compile(std::string_view pattern);

  /// Every non-overlapping match, left to right (Oniguruma's search loop):
  /// [start, end) in code point indices of `text`.
  std::vector<std::pair<size_t, size_t>> findAll(const std::u32string &text) const;

  const std::string &pattern() const { return pattern_; }

private:
  std::string pattern_;
  std::shared_ptr<const Node> root_;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_TOKENIZERREGEX_H
