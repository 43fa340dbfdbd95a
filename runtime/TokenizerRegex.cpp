//===- TokenizerRegex.cpp - Regexes of HF pre-tokenizers ------------------===//

#include "runtime/TokenizerRegex.h"

#include "runtime/Unicode.h"

#include <algorithm>
#include <limits>

namespace photon::rt {

namespace {

using unicode::Category;

/// One member of a character class.
struct ClassItem {
  enum Kind { Range, Cat, Major, Space, Word, Digit, AnyButNewline } kind;
  char32_t lo = 0, hi = 0;
  Category cat = Category::Cn;
  char major = 0;
  bool negated = false;

  bool test(char32_t c) const {
    bool r = false;
    switch (kind) {
    case Range: r = c >= lo && c <= hi; break;
    case Cat: r = unicode::category(c) == cat; break;
    case Major: r = unicode::majorClass(unicode::category(c)) == major; break;
    case Space: r = unicode::isSpace(c); break;
    case Word: r = unicode::isWordChar(c); break;
    case Digit: r = unicode::category(c) == Category::Nd; break;
    case AnyButNewline: r = c != '\n'; break;
    }
    return r != negated;
  }
};

/// The simple case variants (?i) compares: ASCII letters, and the two
/// non-ASCII code points that fold to ASCII letters.
void caseVariants(char32_t c, char32_t out[3], int &n) {
  n = 0;
  if (c >= 'a' && c <= 'z')
    out[n++] = c - 32;
  else if (c >= 'A' && c <= 'Z')
    out[n++] = c + 32;
  else if (c == 0x17F) { // LATIN SMALL LETTER LONG S folds to s
    out[n++] = 's';
    out[n++] = 'S';
  } else if (c == 0x212A) { // KELVIN SIGN folds to k
    out[n++] = 'k';
    out[n++] = 'K';
  }
}

} // namespace

struct TokenizerRegex::Node {
  enum Kind { Class, Seq, Alt, Repeat, Look, Atomic, LineStart, LineEnd, TextStart, TextEnd };
  Kind kind;
  // Class
  std::vector<ClassItem> items;
  bool negated = false, icase = false;
  // Seq, Alt: children; Repeat, Look, Atomic: children[0]
  std::vector<std::unique_ptr<Node>> children;
  // Repeat
  size_t min = 0, max = 0;
  enum Mode { Greedy, Lazy, Possessive } mode = Greedy;
  // Look
  bool negative = false;

  explicit Node(Kind k) : kind(k) {}

  bool testOne(char32_t c) const {
    bool any = false;
    for (const ClassItem &it : items)
      if (it.test(c)) {
        any = true;
        break;
      }
    return any != negated;
  }
  bool test(char32_t c) const {
    if (testOne(c))
      return true;
    if (!icase)
      return false;
    char32_t v[3];
    int n;
    caseVariants(c, v, n);
    for (int i = 0; i < n; ++i)
      if (testOne(v[i]))
        return true;
    return false;
  }
};

namespace {

using Node = TokenizerRegex::Node;
constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();
/// How often a repeat of a multi-character item may recurse; beyond it the
/// repeat stops early (no real pre-tokenizer pattern comes near it).
constexpr size_t kMaxGroupRepeats = 1000;
/// The matcher's step budget per character of text: real pre-tokenizer
/// patterns take a few dozen steps per character; a pattern that backtracks
/// catastrophically stops matching when the budget is spent (the rest of the
/// text is then left unmatched) instead of running for ever.
constexpr size_t kStepsPerCharacter = 4096;
/// How deeply groups may nest in a pattern.
constexpr int kMaxNesting = 64;

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

class Parser {
public:
  explicit Parser(const std::u32string &p) : p_(p) {}

  Expected<std::unique_ptr<Node>> parse() {
    auto n = parseAlt(false, 0);
    if (!error_.empty())
      return Status::error(error_);
    if (i_ != p_.size())
      return Status::error(at("unbalanced ')'"));
    return n;
  }

private:
  const std::u32string &p_;
  size_t i_ = 0;
  std::string error_;

  std::string at(const std::string &msg) const {
    return msg + " at character " + std::to_string(i_) + " of the pattern";
  }
  std::unique_ptr<Node> fail(const std::string &msg) {
    if (error_.empty())
      error_ = at(msg);
    return nullptr;
  }
  bool more() const { return i_ < p_.size(); }
  bool eat(char32_t c) {
    if (more() && p_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  std::unique_ptr<Node> parseAlt(bool icase, int depth) {
    if (depth > kMaxNesting)
      return fail("groups nested too deeply");
    auto alt = std::make_unique<Node>(Node::Alt);
    while (true) {
      auto seq = parseSeq(icase, depth);
      if (!seq)
        return nullptr;
      alt->children.push_back(std::move(seq));
      if (!eat('|'))
        break;
    }
    if (alt->children.size() == 1)
      return std::move(alt->children[0]);
    return alt;
  }

  std::unique_ptr<Node> parseSeq(bool icase, int depth) {
    auto seq = std::make_unique<Node>(Node::Seq);
    bool localIcase = icase;
    while (more() && p_[i_] != '|' && p_[i_] != ')') {
      // (?i) switches case folding on for the rest of the enclosing group.
      if (p_.compare(i_, 4, U"(?i)") == 0) {
        i_ += 4;
        localIcase = true;
        continue;
      }
      auto atom = parseAtom(localIcase, depth);
      if (!atom)
        return nullptr;
      atom = parseQuantifier(std::move(atom));
      if (!atom)
        return nullptr;
      seq->children.push_back(std::move(atom));
    }
    if (seq->children.size() == 1)
      return std::move(seq->children[0]);
    return seq;
  }

  std::unique_ptr<Node> parseQuantifier(std::unique_ptr<Node> atom) {
    while (more()) {
      size_t min, max;
      size_t save = i_;
      char32_t c = p_[i_];
      if (c == '?') { min = 0; max = 1; ++i_; }
      else if (c == '*') { min = 0; max = kUnbounded; ++i_; }
      else if (c == '+') { min = 1; max = kUnbounded; ++i_; }
      else if (c == '{') {
        ++i_;
        if (!parseBounds(min, max)) {
          i_ = save; // Oniguruma reads a '{' that starts no bound as a literal
          return atom;
        }
      } else
        return atom;
      if (atom->kind == Node::LineStart || atom->kind == Node::LineEnd ||
          atom->kind == Node::TextStart || atom->kind == Node::TextEnd ||
          atom->kind == Node::Look)
        return fail("a quantifier after an anchor or lookahead is not supported");
      auto rep = std::make_unique<Node>(Node::Repeat);
      rep->min = min;
      rep->max = max;
      if (eat('?'))
        rep->mode = Node::Lazy;
      else if (eat('+'))
        rep->mode = Node::Possessive;
      rep->children.push_back(std::move(atom));
      atom = std::move(rep);
    }
    return atom;
  }

  bool parseNumber(size_t &v) {
    size_t start = i_;
    v = 0;
    while (more() && p_[i_] >= '0' && p_[i_] <= '9' && i_ - start < 6)
      v = v * 10 + (p_[i_++] - '0');
    return i_ > start;
  }

  // After '{': n}, n,}, n,m}, ,m}.
  bool parseBounds(size_t &min, size_t &max) {
    bool hasMin = parseNumber(min);
    if (!hasMin)
      min = 0;
    if (eat('}')) {
      max = min;
      return hasMin;
    }
    if (!eat(','))
      return false;
    if (!parseNumber(max))
      max = kUnbounded;
    else if (max < min)
      return false;
    if (!hasMin && max == kUnbounded)
      return false;
    return eat('}');
  }

  std::unique_ptr<Node> classNode(ClassItem item, bool icase) {
    auto n = std::make_unique<Node>(Node::Class);
    n->items.push_back(item);
    n->icase = icase;
    return n;
  }

  std::unique_ptr<Node> parseAtom(bool icase, int depth) {
    char32_t c = p_[i_++];
    switch (c) {
    case '(':
      return parseGroup(icase, depth);
    case '[':
      return parseClass(icase);
    case '.':
      return classNode({ClassItem::AnyButNewline}, false);
    case '^':
      return std::make_unique<Node>(Node::LineStart);
    case '$':
      return std::make_unique<Node>(Node::LineEnd);
    case '*': case '+': case '?':
      return fail("a quantifier with nothing to repeat");
    case '\\': {
      if (!more())
        return fail("a pattern ending in '\\'");
      char32_t e = p_[i_];
      if (e == 'A' || e == 'z') {
        ++i_;
        return std::make_unique<Node>(e == 'A' ? Node::TextStart : Node::TextEnd);
      }
      ClassItem item{ClassItem::Range};
      if (!parseEscape(item))
        return nullptr;
      return classNode(item, icase);
    }
    default:
      return classNode({ClassItem::Range, c, c}, icase);
    }
  }

  std::unique_ptr<Node> parseGroup(bool icase, int depth) {
    std::unique_ptr<Node> wrapper;
    if (eat('?')) {
      if (eat(':')) {
      } else if (p_.compare(i_, 2, U"i:") == 0) {
        i_ += 2;
        icase = true;
      } else if (eat('=') || (more() && p_[i_] == '!')) {
        wrapper = std::make_unique<Node>(Node::Look);
        wrapper->negative = eat('!');
      } else if (eat('>')) {
        wrapper = std::make_unique<Node>(Node::Atomic);
      } else {
        return fail("unsupported group syntax '(?'");
      }
    }
    auto inner = parseAlt(icase, depth + 1);
    if (!inner)
      return nullptr;
    if (!eat(')'))
      return fail("missing ')'");
    if (!wrapper)
      return inner;
    wrapper->children.push_back(std::move(inner));
    return wrapper;
  }

  bool hexDigits(size_t maxDigits, char32_t &v, bool braced) {
    size_t start = i_;
    v = 0;
    while (more() && (!braced ? i_ - start < maxDigits : true)) {
      char32_t d = p_[i_];
      int x = d >= '0' && d <= '9' ? int(d - '0')
              : d >= 'a' && d <= 'f' ? int(d - 'a' + 10)
              : d >= 'A' && d <= 'F' ? int(d - 'A' + 10)
                                     : -1;
      if (x < 0)
        break;
      v = v * 16 + x;
      ++i_;
      if (v > 0x10FFFF) {
        fail("a code point above U+10FFFF");
        return false;
      }
    }
    if (i_ == start) {
      fail("an escape without hex digits");
      return false;
    }
    return true;
  }

  bool parseProperty(ClassItem &item, bool negated) {
    std::u32string name;
    if (eat('{')) {
      while (more() && p_[i_] != '}')
        name += p_[i_++];
      if (!eat('}')) {
        fail("missing '}' after \\p{");
        return false;
      }
    } else if (more()) {
      name = p_[i_++];
    }
    if (!name.empty() && name[0] == '^') {
      negated = !negated;
      name.erase(0, 1);
    }
    std::string ascii;
    for (char32_t ch : name)
      ascii += ch < 0x80 ? char(ch) : '?';
    item.negated = negated;
    static const char *const kNames[] = {"Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc",
                                         "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
                                         "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs",
                                         "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
    if (ascii.size() == 1 && std::string("LMNPSZC").find(ascii[0]) != std::string::npos) {
      item.kind = ClassItem::Major;
      item.major = ascii[0];
      return true;
    }
    for (size_t k = 0; k < sizeof(kNames) / sizeof(kNames[0]); ++k)
      if (ascii == kNames[k]) {
        item.kind = ClassItem::Cat;
        item.cat = static_cast<Category>(k);
        return true;
      }
    fail("unsupported Unicode property '" + ascii + "'");
    return false;
  }

  /// After '\': one escape as a class item.
  bool parseEscape(ClassItem &item) {
    char32_t e = p_[i_++];
    item = ClassItem{ClassItem::Range};
    auto literal = [&](char32_t v) {
      item.lo = item.hi = v;
      return true;
    };
    switch (e) {
    case 'n': return literal('\n');
    case 'r': return literal('\r');
    case 't': return literal('\t');
    case 'f': return literal('\f');
    case 'v': return literal('\v');
    case 'e': return literal(0x1B);
    case 'a': return literal(0x07);
    case 's': case 'S': item.kind = ClassItem::Space; item.negated = e == 'S'; return true;
    case 'd': case 'D': item.kind = ClassItem::Digit; item.negated = e == 'D'; return true;
    case 'w': case 'W': item.kind = ClassItem::Word; item.negated = e == 'W'; return true;
    case 'p': case 'P': return parseProperty(item, e == 'P');
    case 'x': {
      char32_t v;
      bool braced = eat('{');
      if (!hexDigits(2, v, braced))
        return false;
      if (braced && !eat('}')) {
        fail("missing '}' after \\x{");
        return false;
      }
      return literal(v);
    }
    case 'u': {
      char32_t v;
      if (!hexDigits(4, v, false))
        return false;
      return literal(v);
    }
    default:
      if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
        --i_;
        fail(std::string("unsupported escape '\\") + char(e) + "'");
        return false;
      }
      return literal(e); // escaped punctuation or a non-ASCII character
    }
  }

  std::unique_ptr<Node> parseClass(bool icase) {
    auto n = std::make_unique<Node>(Node::Class);
    n->icase = icase;
    n->negated = eat('^');
    bool first = true;
    while (true) {
      if (!more())
        return fail("missing ']'");
      char32_t c = p_[i_];
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == '[' || (c == '&' && i_ + 1 < p_.size() && p_[i_ + 1] == '&'))
        return fail("nested classes and class intersections are not supported");
      ClassItem item{ClassItem::Range};
      ++i_;
      if (c == '\\') {
        if (!more())
          return fail("missing ']'");
        if (!parseEscape(item))
          return nullptr;
      } else {
        item.lo = item.hi = c;
      }
      // A range a-b (a '-' before ']' is a literal).
      if (item.kind == ClassItem::Range && more() && p_[i_] == '-' && i_ + 1 < p_.size() &&
          p_[i_ + 1] != ']') {
        ++i_;
        ClassItem hi{ClassItem::Range};
        char32_t h = p_[i_++];
        if (h == '\\') {
          if (!more())
            return fail("missing ']'");
          if (!parseEscape(hi))
            return nullptr;
          if (hi.kind != ClassItem::Range)
            return fail("a range ending in a class escape");
        } else {
          hi.lo = hi.hi = h;
        }
        if (hi.lo < item.lo)
          return fail("a range out of order");
        item.hi = hi.lo;
      }
      n->items.push_back(item);
    }
    return n;
  }
};

//===----------------------------------------------------------------------===//
// Matcher
//===----------------------------------------------------------------------===//

/// A non-owning callable: what must match after the current node.
struct Cont {
  bool (*fn)(const void *, size_t);
  const void *ctx;
  bool operator()(size_t p) const { return fn(ctx, p); }
};
template <class F> Cont makeCont(const F &f) {
  return Cont{[](const void *c, size_t p) { return (*static_cast<const F *>(c))(p); }, &f};
}

class Matcher {
public:
  Matcher(const std::u32string &t, size_t budget) : t_(t), budget_(budget) {}

  /// Whether the step budget ran out (every match attempt then fails).
  bool exhausted() const { return budget_ == 0; }

  bool match(const Node &n, size_t pos, Cont k) const {
    if (budget_ == 0)
      return false;
    --budget_;
    switch (n.kind) {
    case Node::Class:
      return pos < t_.size() && n.test(t_[pos]) && k(pos + 1);
    case Node::Seq:
      return matchSeq(n, 0, pos, k);
    case Node::Alt:
      for (const auto &c : n.children)
        if (match(*c, pos, k))
          return true;
      return false;
    case Node::Repeat:
      return matchRepeat(n, pos, k);
    case Node::Look: {
      auto accept = [](size_t) { return true; };
      bool found = match(*n.children[0], pos, makeCont(accept));
      return found != n.negative && k(pos);
    }
    case Node::Atomic: {
      size_t end;
      if (!firstEnd(*n.children[0], pos, end))
        return false;
      return k(end);
    }
    case Node::LineStart:
      return (pos == 0 || t_[pos - 1] == '\n') && k(pos);
    case Node::LineEnd:
      return (pos == t_.size() || t_[pos] == '\n') && k(pos);
    case Node::TextStart:
      return pos == 0 && k(pos);
    case Node::TextEnd:
      return pos == t_.size() && k(pos);
    }
    return false;
  }

  /// The end of the first (leftmost-first) match of `n` at pos, if any.
  bool firstEnd(const Node &n, size_t pos, size_t &end) const {
    auto record = [&end](size_t p) {
      end = p;
      return true;
    };
    return match(n, pos, makeCont(record));
  }

private:
  const std::u32string &t_;
  mutable size_t budget_;

  bool matchSeq(const Node &n, size_t i, size_t pos, Cont k) const {
    if (i == n.children.size())
      return k(pos);
    auto next = [&](size_t p) { return matchSeq(n, i + 1, p, k); };
    return match(*n.children[i], pos, makeCont(next));
  }

  bool matchRepeat(const Node &n, size_t pos, Cont k) const {
    const Node &body = *n.children[0];
    if (body.kind == Node::Class) {
      // One character per repeat: count the run, then back off without recursion.
      size_t run = 0;
      while (run < n.max && pos + run < t_.size() && body.test(t_[pos + run]))
        ++run;
      budget_ -= std::min(budget_, run); // the scan is work too
      if (run < n.min)
        return false;
      switch (n.mode) {
      case Node::Possessive:
        return k(pos + run);
      case Node::Greedy:
        for (size_t c = run + 1; c-- > n.min;)
          if (k(pos + c))
            return true;
        return false;
      case Node::Lazy:
        for (size_t c = n.min; c <= run; ++c)
          if (k(pos + c))
            return true;
        return false;
      }
    }
    if (n.mode == Node::Possessive) {
      size_t count = 0, p = pos, end;
      while (count < n.max && firstEnd(body, p, end) && (end != p || count < n.min)) {
        p = end;
        ++count;
      }
      return count >= n.min && k(p);
    }
    return repeatFrom(n, 0, pos, k);
  }

  bool repeatFrom(const Node &n, size_t count, size_t pos, Cont k) const {
    const Node &body = *n.children[0];
    bool canStop = count >= n.min;
    bool canGo = count < n.max && count < kMaxGroupRepeats;
    auto again = [&](size_t p) {
      if (p == pos && canStop)
        return false; // an empty iteration would loop forever
      return repeatFrom(n, count + 1, p, k);
    };
    if (n.mode == Node::Lazy) {
      if (canStop && k(pos))
        return true;
      return canGo && match(body, pos, makeCont(again));
    }
    if (canGo && match(body, pos, makeCont(again)))
      return true;
    return canStop && k(pos);
  }
};

} // namespace

Expected<TokenizerRegex> TokenizerRegex::compile(std::string_view pattern) {
  std::u32string p;
  size_t bad;
  if (!unicode::decodeUtf8(pattern, p, &bad))
    return Status::error("the pattern is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  Expected<std::unique_ptr<Node>> root = Parser(p).parse();
  if (!root)
    return root.status();
  TokenizerRegex r;
  r.pattern_ = std::string(pattern);
  r.root_ = std::move(*root);
  return r;
}

std::vector<std::pair<size_t, size_t>>
TokenizerRegex::findAll(const std::u32string &text) const {
  std::vector<std::pair<size_t, size_t>> out;
  Matcher m(text, kStepsPerCharacter * (text.size() + 1));
  size_t pos = 0;
  while (pos <= text.size() && !m.exhausted()) {
    size_t start = pos, end = 0;
    bool found = false;
    for (; start <= text.size(); ++start)
      if (m.firstEnd(*root_, start, end)) {
        found = true;
        break;
      }
    if (!found)
      break;
    out.emplace_back(start, end);
    pos = end > start ? end : end + 1; // step past an empty match
  }
  return out;
}

} // namespace photon::rt
