//===- photon-run.cpp - Run a compiled Photon model -----------------------===//
//
//   photon-run <artifact-dir> --weights w.safetensors --prompt "Hello"
//              --max-new-tokens 64 [--mode hiergen|recgen] [--output json]
//
// Loads an artifact written by photon-compile (model.json + kernels-<target>.so),
// builds the weight arena, and generates (runtime/Executor.h). Text output
// streams the generated text; JSON output prints the token ids and timings.
// Every bad input is one "photon-run: error: ..." message and exit code 1.
// Options are parsed by CLI11 (header-only, Debian's libcli11-dev).
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/Backend.h"
#include "runtime/CudaBackend.h"
#include "runtime/Executor.h"
#include "runtime/FileType.h"
#include "runtime/Json.h"
#include "runtime/Npy.h"
#include "runtime/Tokenizer.h"
#include "runtime/Weights.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/stat.h>

using namespace photon;
using namespace photon::rt;

namespace {

constexpr const char *kProg = "photon-run";
constexpr const char *kVersion = "0.1.0";

/// A fatal error: main prints it as "photon-run: error: ..." and exits 1.
/// Thrown rather than exiting on the spot, so that destructors run (a
/// pending --dump-logits file is removed).
struct Fatal {
  std::string message;
};

[[noreturn]] void die(const std::string &msg) { throw Fatal{msg}; }

void reportError(const std::string &msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", kProg, msg.c_str());
}

struct Options {
  std::string artifact;
  std::optional<std::string> weights;
  std::optional<std::string> tokenizer; // tokenizer.json (else found next to the weights)
  std::optional<uint64_t> syntheticSeed;
  struct Prompt {
    bool isText;
    std::string value;
  };
  std::vector<Prompt> prompts;
  std::optional<int64_t> batch;
  int64_t maxNew = 32;
  std::string mode = "hiergen";
  SamplingParams sampling;
  std::string output = "text";
  std::optional<std::string> dumpLogits;
  std::string device = "auto";
  bool quiet = false;
  bool noGraphs = false;
};

int64_t parseInt(const std::string &flag, const std::string &v, int64_t lo, int64_t hi) {
  if (v.empty())
    die(flag + ": expected an integer, got an empty value");
  errno = 0;
  char *end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (*end != '\0' || end == v.c_str() || std::isspace(static_cast<unsigned char>(v[0])))
    die(flag + ": expected an integer, got '" + v + "'");
  if (errno == ERANGE || x < lo || x > hi)
    die(flag + ": " + v + " is out of range [" + std::to_string(lo) + ", " +
        std::to_string(hi) + "]");
  return x;
}

uint64_t parseU64(const std::string &flag, const std::string &v) {
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0])))
    die(flag + ": expected a non-negative integer, got '" + v + "'");
  errno = 0;
  char *end = nullptr;
  unsigned long long x = std::strtoull(v.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE)
    die(flag + ": expected a non-negative integer below 2^64, got '" + v + "'");
  return x;
}

double parseDouble(const std::string &flag, const std::string &v) {
  if (v.empty() || std::isspace(static_cast<unsigned char>(v[0])))
    die(flag + ": expected a number, got '" + v + "'");
  char *end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (*end != '\0' || end == v.c_str())
    die(flag + ": expected a number, got '" + v + "'");
  // strtod sets ERANGE on underflow too (1e-320 is a finite subnormal, 1e-400
  // rounds to 0): only an overflow to +-inf, or inf/nan, is not finite.
  if (!std::isfinite(x))
    die(flag + ": expected a finite number, got '" + v + "'");
  return x;
}

std::vector<int32_t> parseIds(const std::string &v) {
  std::vector<int32_t> ids;
  if (v.empty())
    return ids; // reported as an empty prompt
  size_t i = 0;
  while (true) {
    size_t j = v.find(',', i);
    std::string item = v.substr(i, j == std::string::npos ? std::string::npos : j - i);
    // Allow spaces around ids ("1, 2, 3").
    size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    item = a == std::string::npos ? "" : item.substr(a, b - a + 1);
    if (item.empty())
      die("--prompt-ids: empty id in '" + v + "' (expected comma-separated integers)");
    bool digits = true;
    for (size_t k = (item[0] == '-' ? 1 : 0); k < item.size(); ++k)
      digits &= bool(std::isdigit(static_cast<unsigned char>(item[k])));
    if (!digits || item == "-")
      die("--prompt-ids: '" + item + "' is not an integer token id");
    errno = 0;
    long long x = std::strtoll(item.c_str(), nullptr, 10);
    if (errno == ERANGE || x < INT32_MIN || x > INT32_MAX)
      die("--prompt-ids: token id " + item + " is out of range");
    ids.push_back(int32_t(x));
    if (j == std::string::npos)
      break;
    i = j + 1;
  }
  return ids;
}

// The long names. LLVM style: --name=value or --name value, and -name too.
const char *const kValued[] = {"weights",     "synthetic-weights", "prompt", "prompt-ids",
                               "batch",       "max-new-tokens",    "mode",   "temperature",
                               "top-k",       "top-p",             "seed",   "output",
                               "dump-logits", "device",            "tokenizer"};
const char *const kFlags[] = {"quiet", "no-graphs", "help", "version"};

/// argv in the form CLI11 reads as LLVM tools do: -name[=value] becomes
/// --name[=value] for the long names (CLI11 reads "-name" as the short flags
/// -n -a -m -e), and --name=value of an option becomes "--name" "value"
/// (CLI11 would read an empty inline value as none and take the next
/// argument). Nothing after "--" changes.
std::vector<std::string> llvmStyleArgs(int argc, char **argv) {
  auto isIn = [](const auto &names, const std::string &name) {
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
  };
  std::vector<std::string> args;
  bool options = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--")
      options = false;
    if (options && a.size() > 1 && a[0] == '-') {
      size_t dashes = a[1] == '-' ? 2 : 1, eq = a.find('=');
      std::string name = a.substr(dashes, eq == std::string::npos ? eq : eq - dashes);
      if (isIn(kValued, name) && eq != std::string::npos) {
        args.push_back("--" + name);
        args.push_back(a.substr(eq + 1));
        continue;
      }
      if (dashes == 1 && name.size() > 1 && (isIn(kValued, name) || isIn(kFlags, name)))
        a = "-" + a;
    }
    args.push_back(a);
  }
  std::reverse(args.begin(), args.end()); // CLI11 takes the vector back to front
  return args;
}

Options parseArgs(int argc, char **argv) {
  CLI::App app("Runs a model compiled by photon-compile (the directory holding model.json\n"
               "and kernels-<target>.so): prefill, then generation.",
               kProg);
  app.set_version_flag("--version", std::string(kProg) + " (Photon) " + kVersion);
  app.footer("Options take their value as --opt=value or --opt value; -opt works too.");
  app.get_formatter()->column_width(34);
  // Unknown options are reported below, in photon-run's words.
  app.allow_extras();

  // Values are read as text and converted below, so that every error names
  // its flag in one style. A repeated option keeps its last value (as the
  // hand-written parser did); --prompt and --prompt-ids accumulate.
  std::vector<std::string> positional, prompts, promptIds;
  std::string tokenizer;
  std::string weights, synthetic, batch, maxNew, mode, temperature, topK, topP, seed, output,
      dumpLogits, device;
  app.add_option("artifact-dir", positional,
                 "the compiled model (model.json, kernels-<target>.so)")
      ->type_name("<dir>");
  const char *kWeights = "WEIGHTS (one is required)", *kPrompt = "PROMPT (at least one)",
             *kGen = "GENERATION", *kOut = "OUTPUT";
  auto opt = [&](const char *name, std::string &into, const char *type, const char *group,
                 const char *help) {
    return app.add_option(name, into, help)
        ->type_name(type)
        ->group(group)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  auto list = [&](const char *name, std::vector<std::string> &into, const char *type,
                  const char *help) {
    return app.add_option(name, into, help)
        ->type_name(type)
        ->group(kPrompt)
        ->allow_extra_args(false); // one value per occurrence
  };
  opt("--weights", weights, "<path>", kWeights,
      "safetensors file, or a checkpoint directory (model.safetensors or sharded with "
      "model.safetensors.index.json); f32, bf16 or f16, converted to the artifact's type");
  opt("--synthetic-weights", synthetic, "<seed>", kWeights,
      "seeded random weights (for tests and benchmarks)");
  CLI::Option *textOpt =
      list("--prompt", prompts, "<text>", "text, encoded by the tokenizer (repeatable: a batch)");
  CLI::Option *idsOpt =
      list("--prompt-ids", promptIds, "<i,j,...>", "token ids (repeatable: a batch)");
  opt("--tokenizer", tokenizer, "<tokenizer.json>", kPrompt,
      "HF tokenizer (default: tokenizer.json next to --weights, else bytes as ids 0..255)");
  opt("--batch", batch, "<n>", kPrompt, "decode n copies of the one prompt together");
  opt("--max-new-tokens", maxNew, "<n>", kGen, "tokens to generate per sequence (default 32)");
  opt("--mode", mode, "<hiergen|recgen>", kGen,
      "hiergen (exact, default) or recgen (photon, L >= 2)");
  opt("--temperature", temperature, "<t>", kGen,
      "0 = greedy (default); so is a t that rounds to 0 in f32 (< 7e-46)");
  opt("--top-k", topK, "<k>", kGen, "keep the k most likely tokens (0 = off)");
  opt("--top-p", topP, "<p>", kGen, "nucleus sampling (1 = off)");
  opt("--seed", seed, "<n>", kGen, "sampling seed (default 0; sequence i uses seed + i)");
  opt("--device", device, "<auto|cpu|cuda>", kGen,
      "where to run (default auto: cuda when the artifact has CUDA kernels and a GPU "
      "is present, else cpu)");
  opt("--output", output, "<text|json>", kOut, "text (streamed, default) or JSON");
  opt("--dump-logits", dumpLogits, "<path>", kOut,
      "write the logits of every generated position (.npy float32 [batch, new tokens, "
      "vocab]); the file is replaced only when the run succeeds");
  Options o;
  app.add_flag("--no-graphs", o.noGraphs,
               "on the GPU, launch every step's kernels instead of replaying the step as "
               "a captured CUDA graph")
      ->group(kGen);
  app.add_flag("-q,--quiet", o.quiet, "no summary on stderr")->group(kOut);

  try {
    app.parse(llvmStyleArgs(argc, argv));
  } catch (const CLI::Success &e) { // --help, --version
    std::exit(app.exit(e));
  } catch (const CLI::ParseError &e) {
    die(e.what());
  }
  for (const std::string &extra : app.remaining())
    if (extra.size() > 1 && extra[0] == '-' && extra != "--") // "--" ends the options
      die("unknown option '" + extra + "' (see --help)");
  if (positional.size() > 1)
    die("more than one artifact directory: '" + positional[0] + "' and '" + positional[1] +
        "'");
  if (!positional.empty())
    o.artifact = positional[0];

  auto given = [&](const char *name) { return app.count(name) > 0; };
  if (given("--weights")) {
    if (weights.empty())
      die("--weights: empty path");
    o.weights = weights;
  }
  if (given("--tokenizer")) {
    if (tokenizer.empty())
      die("--tokenizer: empty path");
    o.tokenizer = tokenizer;
  }
  if (given("--synthetic-weights"))
    o.syntheticSeed = parseU64("--synthetic-weights", synthetic);
  // --prompt and --prompt-ids interleave in the order given: the batch order.
  size_t nText = 0, nIds = 0;
  for (const CLI::Option *p : app.parse_order()) {
    if (p == textOpt)
      o.prompts.push_back({true, prompts.at(nText++)});
    else if (p == idsOpt)
      o.prompts.push_back({false, promptIds.at(nIds++)});
  }
  if (given("--batch"))
    o.batch = parseInt("--batch", batch, 1, 1 << 20);
  if (given("--max-new-tokens"))
    o.maxNew = parseInt("--max-new-tokens", maxNew, 0, 1 << 24);
  if (given("--mode")) {
    if (mode != "hiergen" && mode != "recgen")
      die("--mode: expected hiergen or recgen, got '" + mode + "'");
    o.mode = mode;
  }
  if (given("--temperature")) {
    o.sampling.temperature = parseDouble("--temperature", temperature);
    if (o.sampling.temperature < 0)
      die("--temperature: must be >= 0 (0 = greedy), got " + temperature);
  }
  if (given("--top-k"))
    o.sampling.top_k = int(parseInt("--top-k", topK, 0, INT32_MAX));
  if (given("--top-p")) {
    o.sampling.top_p = parseDouble("--top-p", topP);
    if (!(o.sampling.top_p > 0 && o.sampling.top_p <= 1))
      die("--top-p: must be in (0, 1], got " + topP);
  }
  if (given("--seed"))
    o.sampling.seed = parseU64("--seed", seed);
  if (given("--output")) {
    if (output != "text" && output != "json")
      die("--output: expected text or json, got '" + output + "'");
    o.output = output;
  }
  if (given("--dump-logits")) {
    if (dumpLogits.empty())
      die("--dump-logits: empty path");
    o.dumpLogits = dumpLogits;
  }
  if (given("--device")) {
    if (device != "auto" && device != "cpu" && device != "cuda")
      die("--device: expected auto, cpu or cuda, got '" + device + "'");
    o.device = device;
  }

  if (o.artifact.empty())
    die("no artifact directory given (usage: photon-run <artifact-dir> [options]; see --help)");
  if (o.weights && o.syntheticSeed)
    die("--weights and --synthetic-weights are exclusive; give one");
  if (!o.weights && !o.syntheticSeed)
    die("no weights: give --weights <file.safetensors> or --synthetic-weights <seed>");
  if (o.prompts.empty())
    die("no prompt: give --prompt <text> or --prompt-ids <ids>");
  if (o.batch && o.prompts.size() > 1 && size_t(*o.batch) != o.prompts.size())
    die("--batch " + std::to_string(*o.batch) + " disagrees with the " +
        std::to_string(o.prompts.size()) + " prompts given (with several prompts, "
        "the batch is one sequence per prompt)");
  return o;
}

/// Refuses a --weights path that is neither a regular file nor a directory
/// (a checkpoint as save_pretrained writes it) before anything opens it:
/// opening a FIFO would wait for a writer forever.
void checkWeightsFile(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    die(path + ": cannot open: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    die("--weights: " + path + " is " + std::string(fileTypeName(st.st_mode)) +
        ", not a regular file (give a .safetensors file or a checkpoint directory)");
}

std::string human(double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

/// `s` with every byte that is not part of a valid UTF-8 character replaced
/// by U+FFFD, so that the JSON output is valid UTF-8 whatever bytes a model
/// generates.
std::string validUtf8(const std::string &s) {
  std::string out;
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      uint32_t cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

/// validUtf8, also replacing control characters other than newline and tab:
/// generated bytes (random weights, byte-level tokens) must not drive the
/// terminal.
std::string terminalSafe(const std::string &s) {
  std::string out;
  for (char ch : validUtf8(s)) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && ch != '\n' && ch != '\t') || c == 0x7F)
      out += "\xEF\xBF\xBD";
    else
      out += ch;
  }
  return out;
}

double rate(double n, double s) { return s > 0 ? n / s : 0; }

} // namespace

int run(int argc, char **argv) {
  Options o = parseArgs(argc, argv);
  auto tStart = std::chrono::steady_clock::now();
  if (o.weights)
    checkWeightsFile(*o.weights);

  // The backend comes first: a CUDA kernel library loads its modules into
  // the backend's context as soon as it is opened.
  if (o.device == "auto") {
    Expected<Manifest> manifest = loadManifest(o.artifact);
    if (!manifest)
      die(manifest.status().message());
    o.device = "cpu";
    if (manifest->kernelLibraries.count("cuda")) {
      if (createBackend("cuda"))
        o.device = "cuda";
      else if (!o.quiet)
        std::fprintf(stderr, "%s: no usable GPU; running on the CPU\n", kProg);
    }
  }
  Expected<std::unique_ptr<Backend>> backend = createBackend(o.device);
  if (!backend)
    die(backend.status().message());

  Expected<Artifact> artifact = Artifact::load(o.artifact, o.device);
  if (!artifact)
    die(artifact.status().message());
  if (Status st = (*backend)->synchronize(); !st.ok()) // kernel modules loaded?
    die(st.message());
  const Manifest &m = artifact->manifest();
  const int64_t vocab = m.vocabSize;

  // The tokenizer: --tokenizer, else tokenizer.json next to the weights, else bytes.
  std::string tokenizerSource;
  Expected<std::unique_ptr<Tokenizer>> tokenizerOr =
      selectTokenizer(o.tokenizer, o.weights, &tokenizerSource);
  if (!tokenizerOr)
    die((o.tokenizer ? "--tokenizer: " : "") + tokenizerOr.status().message());
  const Tokenizer &tokenizer = **tokenizerOr;

  // Prompts. Text gets the tokenizer's post-processor tokens (a BOS).
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < o.prompts.size(); ++i) {
    const auto &p = o.prompts[i];
    std::string which = o.prompts.size() > 1 ? " " + std::to_string(i) : "";
    std::vector<int32_t> ids;
    if (p.isText) {
      Expected<std::vector<int32_t>> enc = tokenizer.encode(p.value, /*addSpecialTokens=*/true);
      if (!enc)
        die("--prompt" + which + ": " + enc.status().message());
      ids = std::move(*enc);
    } else {
      ids = parseIds(p.value);
    }
    if (ids.empty())
      die(std::string(p.isText ? "--prompt" : "--prompt-ids") + which +
          ": the prompt is empty (need at least one token)");
    for (size_t j = 0; j < ids.size(); ++j)
      if (ids[j] < 0 || ids[j] >= vocab)
        die(std::string(p.isText ? "--prompt" : "--prompt-ids") + which + ": token " +
            std::to_string(j) + " = " + std::to_string(ids[j]) +
            " is outside the model's vocabulary [0, " + std::to_string(vocab) + ")" +
            (p.isText ? " (tokenizer: " + tokenizer.description() + ")" : ""));
    prompts.push_back(std::move(ids));
  }
  if (prompts.size() == 1 && o.batch)
    prompts.assign(size_t(*o.batch), prompts[0]);
  Expected<Program> program = artifact->program(o.mode);
  if (!program)
    die("--mode " + o.mode + ": " + program.status().message());
  if (Status s = o.sampling.validate(); !s.ok())
    die(s.message());

  // Fail before generating if the logits cannot be written. The file is
  // written next to the path and replaces it only at the end of a successful
  // run (an unwinding die() removes it).
  std::optional<PendingNpyFile> logitsFile;
  if (o.dumpLogits) {
    Expected<PendingNpyFile> f = PendingNpyFile::create(*o.dumpLogits);
    if (!f)
      die(f.status().message());
    logitsFile = std::move(*f);
  }

  // Weights.
  auto tLoad = std::chrono::steady_clock::now();
  WeightArena arena;
  if (o.weights) {
    Expected<WeightArena> w = loadWeights(m, *o.weights);
    if (!w)
      die(w.status().message());
    arena = std::move(*w);
  } else {
    arena = syntheticArena(m, *o.syntheticSeed);
  }
  Expected<std::unique_ptr<Generator>> gen = Generator::create(*artifact, **backend, arena);
  if (!gen)
    die(gen.status().message());
  double loadSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - tLoad).count();

  GenerationOptions opt;
  opt.mode = o.mode;
  opt.useGraphs = !o.noGraphs;
  opt.maxNewTokens = o.maxNew;
  opt.sampling = o.sampling;
  opt.collectLogits = o.dumpLogits.has_value();

  const bool text = o.output == "text";
  const bool stream = text && prompts.size() == 1;
  std::unique_ptr<TokenTextStream> decoder = tokenizer.streamDecoder();
  TokenCallback onToken;
  if (stream)
    onToken = [&](size_t, int64_t, int32_t id) {
      std::string piece = terminalSafe(decoder->push(id));
      if (!piece.empty()) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
    };
  Expected<GenerationResult> res = (*gen)->generate(prompts, opt, onToken);
  if (!res)
    die(res.status().message());
  const GenerationResult &r = *res;

  if (logitsFile) {
    // Straight from the per-sequence buffers: no second copy of the logits.
    std::vector<FloatSpan> parts;
    for (const auto &l : r.logits)
      parts.push_back({l.data(), l.size()});
    Status s = logitsFile->commit({int64_t(prompts.size()), o.maxNew, vocab}, parts);
    if (!s.ok())
      die(s.message());
  }

  double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - tStart).count();
  if (text) {
    if (stream) {
      std::string rest = terminalSafe(decoder->flush());
      std::fwrite(rest.data(), 1, rest.size(), stdout);
      std::fputc('\n', stdout);
    } else {
      for (size_t s = 0; s < r.tokens.size(); ++s)
        std::printf("--- sequence %zu ---\n%s\n", s,
                    terminalSafe(tokenizer.decode(r.tokens[s])).c_str());
    }
    std::fflush(stdout);
  } else {
    Json out;
    out["tokens"] = r.tokens;
    Json &lengths = out["prompt_tokens"] = Json::array();
    for (const auto &p : prompts)
      lengths.push_back(p.size());
    Json &texts = out["text"] = Json::array();
    for (const auto &t : r.tokens)
      texts.push_back(validUtf8(tokenizer.decode(t)));
    out["tokenizer"] = tokenizerSource.empty() ? "bytes" : tokenizerSource;
    out["model"] = m.model;
    out["mode"] = o.mode;
    out["device"] = o.device;
    out["batch"] = prompts.size();
    out["max_new_tokens"] = o.maxNew;
    out["timings"] = {
        {"load_s", loadSeconds},
        {"prefill_s", r.prefillSeconds},
        {"decode_s", r.decodeSeconds},
        {"total_s", total},
        {"prefill_tokens_per_s", rate(double(r.promptTokens), r.prefillSeconds)},
        {"decode_tokens_per_s", rate(double(r.generatedTokens), r.decodeSeconds)},
        {"steps", r.steps},
        {"launches_per_step", r.launchesPerStep},
        {"host_s_per_step", r.hostSecondsPerStep},
        {"graphs", r.graphs}};
    out["memory"] = {{"weight_bytes", r.memory.weightBytes},
                     {"state_bytes", r.memory.stateBytes},
                     {"bytes_per_sequence", r.memory.bytesPerSequence},
                     {"analytic_bytes_per_sequence", r.memory.analyticBytesPerSequence},
                     {"peak_bytes", r.memory.peakBytes}};
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
  }

  if (!o.quiet) {
    std::string kind = std::to_string(program->info->tokensPerStep) + " tokens per step";
    std::string device = o.device;
    if (o.device == "cuda")
      if (Expected<std::string> gpu = cudaDeviceDescription())
        device += ": " + *gpu;
    std::fprintf(stderr, "%s: %s (%s), %s weights, %s activations, %s, %s, batch %zu\n", kProg,
                 m.model.c_str(), kind.c_str(), dtypeName(m.dtype),
                 dtypeName(m.activationType), device.c_str(), o.mode.c_str(), prompts.size());
    std::fprintf(stderr, "%s: tokenizer %s\n", kProg, tokenizer.description().c_str());
    std::fprintf(stderr, "%s: prefill %lld tokens in %.3f s (%.1f tokens/s)\n", kProg,
                 (long long)r.promptTokens, r.prefillSeconds,
                 rate(double(r.promptTokens), r.prefillSeconds));
    std::fprintf(stderr, "%s: decode  %lld tokens in %.3f s (%.1f tokens/s)\n", kProg,
                 (long long)r.generatedTokens, r.decodeSeconds,
                 rate(double(r.generatedTokens), r.decodeSeconds));
    if (r.steps > 0)
      std::fprintf(stderr, "%s: steps   %lld, %lld launches each, %.1f us host time each%s\n",
                   kProg, (long long)r.steps, (long long)r.launchesPerStep,
                   r.hostSecondsPerStep * 1e6, r.graphs ? " (CUDA graph)" : "");
    std::fprintf(stderr, "%s: total   %.3f s (weights loaded in %.3f s)\n", kProg, total,
                 loadSeconds);
    double analytic = double(r.memory.analyticBytesPerSequence);
    std::fprintf(stderr,
                 "%s: memory  weights %s; state %s, of it per sequence %s (analytic KV + "
                 "coarse state %s, x%.2f); peak %s\n",
                 kProg, human(double(r.memory.weightBytes)).c_str(),
                 human(double(r.memory.stateBytes)).c_str(),
                 human(double(r.memory.bytesPerSequence)).c_str(), human(analytic).c_str(),
                 analytic > 0 ? double(r.memory.bytesPerSequence) / analytic : 0.0,
                 human(double(r.memory.peakBytes)).c_str());
  }
  return 0;
}

int main(int argc, char **argv) {
  // The runtime reports errors as values; bad_alloc only comes from host-side
  // bookkeeping (e.g. --dump-logits of a huge run).
  try {
    return run(argc, argv);
  } catch (const Fatal &f) {
    reportError(f.message);
  } catch (const std::bad_alloc &) {
    reportError("out of host memory (try fewer --max-new-tokens, a smaller --batch, or no "
                "--dump-logits)");
  } catch (const std::exception &e) {
    reportError(std::string("unexpected failure: ") + e.what());
  }
  return 1;
}
