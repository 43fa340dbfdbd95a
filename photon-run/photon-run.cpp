//===- photon-run.cpp - Run a compiled Photon model -----------------------===//
//
//   photon-run <artifact-dir> --weights w.safetensors --prompt "Hello"
//              --max-new-tokens 64 [--mode hiergen|recgen] [--output json]
//   photon-run <artifact-dir> --weights w.safetensors -i      (a prompt a line)
//   photon-run <artifact-dir> --weights w.safetensors --score held-out.txt
//
// Loads an artifact written by photon-compile (model.json + kernels-<target>.so),
// builds the weight arena, and generates (runtime/Executor.h): for the
// prompts given, for each line of stdin (interactive), or teacher-forced over
// a text (--score: held-out loss per token). Text output streams the
// generated text; JSON output prints the token ids and timings.
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
#include <iostream>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

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
    enum Kind { Text, Ids, File } kind;
    std::string value; // the text, the ids, or the file's path
  };
  std::vector<Prompt> prompts;
  bool interactive = false;
  std::optional<int64_t> batch;
  int64_t maxNew = 32;
  std::string mode = "hiergen";
  SamplingParams sampling;
  std::optional<int32_t> eosId;
  bool ignoreEos = false;
  /// --score <file> or --score-ids: the text to score, and its windows.
  std::optional<Prompt> score;
  int64_t scoreContext = 128, scoreLength = 128;
  std::optional<int64_t> scoreStride; // default: scoreLength
  std::string output = "text";
  std::optional<std::string> dumpLogits;
  std::string device = "auto";
  std::optional<std::string> skipKernels;
  bool quiet = false;
  bool progress = false; // --progress: also when stderr is not a terminal
  bool noGraphs = false;
  bool noOverlapSteps = false;
  int64_t profileStep = -1; // --profile-step: -1 none
  bool profilePrefill = false;
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

std::vector<int32_t> parseIds(const std::string &flag, const std::string &v) {
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
      die(flag + ": empty id in '" + v + "' (expected comma-separated integers)");
    bool digits = true;
    for (size_t k = (item[0] == '-' ? 1 : 0); k < item.size(); ++k)
      digits &= bool(std::isdigit(static_cast<unsigned char>(item[k])));
    if (!digits || item == "-")
      die(flag + ": '" + item + "' is not an integer token id");
    errno = 0;
    long long x = std::strtoll(item.c_str(), nullptr, 10);
    if (errno == ERANGE || x < INT32_MIN || x > INT32_MAX)
      die(flag + ": token id " + item + " is out of range");
    ids.push_back(int32_t(x));
    if (j == std::string::npos)
      break;
    i = j + 1;
  }
  return ids;
}

// The long names. LLVM style: --name=value or --name value, and -name too.
const char *const kValued[] = {
    "weights",     "synthetic-weights", "prompt",    "prompt-ids",    "prompt-file",
    "batch",       "max-new-tokens",    "mode",      "temperature",   "top-k",
    "top-p",       "seed",              "eos-id",    "score",         "score-ids",
    "score-context", "score-length",    "score-stride", "output",     "dump-logits",
    "device",        "tokenizer",         "skip-kernels"};
const char *const kFlags[] = {"quiet",       "no-graphs",  "no-overlap-steps", "help",
                              "version",     "interactive", "ignore-eos",      "progress"};

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
  std::vector<std::string> positional, prompts, promptIds, promptFiles;
  std::string weights, synthetic, batch, maxNew, mode, temperature, topK, topP, seed, eosId,
      score, scoreIds, scoreContext, scoreLength, scoreStride, output, dumpLogits, device, tokenizer,
      profileStep, skipKernels;
  app.add_option("artifact-dir", positional,
                 "the compiled model (model.json, kernels-<target>.so)")
      ->type_name("<dir>");
  const char *kWeights = "WEIGHTS (one is required)",
             *kPrompt = "PROMPT (at least one, or -i, or --score)", *kGen = "GENERATION",
             *kScore = "SCORING (held-out loss)", *kOut = "OUTPUT";
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
  CLI::Option *fileOpt = list("--prompt-file", promptFiles, "<path>",
                              "the text of a file, as it is (- = stdin; repeatable: a batch)");
  opt("--tokenizer", tokenizer, "<tokenizer.json>", kPrompt,
      "HF tokenizer (default: tokenizer.json next to --weights, else bytes as ids 0..255)");
  Options o;
  auto flag = [&](const char *name, bool &into, const char *group, const char *help) {
    return app.add_flag(name, into, help)->group(group);
  };
  flag("-i,--interactive", o.interactive, kPrompt,
       "read a prompt per line from stdin and stream each answer, until end of "
       "input (the model is loaded once)");
  opt("--batch", batch, "<n>", kPrompt,
      "decode n copies of the one prompt together; with --score, windows per call "
      "(default 16)");
  opt("--max-new-tokens", maxNew, "<n>", kGen, "tokens to generate per sequence (default 32)");
  opt("--mode", mode, "<hiergen|recgen>", kGen,
      "hiergen (exact, default) or recgen (photon, L >= 2)");
  opt("--temperature", temperature, "<t>", kGen,
      "0 = greedy (default); so is a t that rounds to 0 in f32 (< 7e-46)");
  opt("--top-k", topK, "<k>", kGen, "keep the k most likely tokens (0 = off)");
  opt("--top-p", topP, "<p>", kGen, "nucleus sampling (1 = off)");
  opt("--seed", seed, "<n>", kGen, "sampling seed (default 0; sequence i uses seed + i)");
  opt("--eos-id", eosId, "<id>", kGen,
      "end of sequence: a sequence that generates this id stops after it (default: the "
      "tokenizer's; the byte tokenizer has none)");
  flag("--ignore-eos", o.ignoreEos, kGen, "never stop before --max-new-tokens");
  opt("--device", device, "<auto|cpu|cuda>", kGen,
      "where to run (default auto: cuda when the artifact has CUDA kernels and a GPU "
      "is present, else cpu)");
  opt("--skip-kernels", skipKernels, "<regex>", kGen,
      "diagnostic, cuda only: never launch the kernels whose names match (e.g. "
      "'gemv_r1_1664x1664'), to time a step without them; tokens and logits are then "
      "meaningless");
  opt("--score", score, "<path>", kScore,
      "teacher-forced loss per token of a text file (- = stdin) instead of generating: "
      "mean negative log-likelihood (nats) and perplexity");
  opt("--score-ids", scoreIds, "<i,j,...>", kScore, "score these token ids instead of a file");
  opt("--score-context", scoreContext, "<n>", kScore,
      "tokens of context before each window's scored tokens (default 128; the file's first "
      "n tokens are context only)");
  opt("--score-length", scoreLength, "<n>", kScore,
      "tokens scored per window (default 128); windows slide by this much");
  opt("--score-stride", scoreStride, "<n>", kScore,
      "start a window every n tokens instead (default: --score-length); n = context + "
      "length scores disjoint windows, as a training script's held-out windows");
  opt("--output", output, "<text|json>", kOut, "text (streamed, default) or JSON");
  opt("--dump-logits", dumpLogits, "<path>", kOut,
      "write the logits of every generated position (.npy float32 [batch, new tokens, "
      "vocab]); the file is replaced only when the run succeeds");
  flag("--no-graphs", o.noGraphs, kGen,
       "on the GPU, launch every step's kernels instead of replaying the step as "
       "a captured CUDA graph");
  flag("--no-overlap-steps", o.noOverlapSteps, kGen,
       "read each decode step's tokens before queueing the next step (by default the "
       "next step is queued first, so the device does not wait for the host)");
  opt("--profile-step", profileStep, "<n>", kGen,
      "record only decode step n (from 0) in a profiler started with profiling off "
      "(ncu --profile-from-start off, nsys --capture-range=cudaProfilerApi)");
  flag("--profile-prefill", o.profilePrefill, kGen,
       "record only the first prefill call (up to prefill_tile prompts) in such a profiler");
  flag("-q,--quiet", o.quiet, kOut, "no summary or progress on stderr");
  flag("--progress", o.progress, kOut,
       "progress lines on stderr (weights loaded, tokens done, tokens/s) even when "
       "stderr is not a terminal");

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
  // --prompt, --prompt-ids and --prompt-file interleave in the order given:
  // the batch order.
  size_t nText = 0, nIds = 0, nFiles = 0;
  for (const CLI::Option *p : app.parse_order()) {
    if (p == textOpt)
      o.prompts.push_back({Options::Prompt::Text, prompts.at(nText++)});
    else if (p == idsOpt)
      o.prompts.push_back({Options::Prompt::Ids, promptIds.at(nIds++)});
    else if (p == fileOpt)
      o.prompts.push_back({Options::Prompt::File, promptFiles.at(nFiles++)});
  }
  if (given("--batch"))
    o.batch = parseInt("--batch", batch, 1, 1 << 20);
  if (given("--max-new-tokens"))
    o.maxNew = parseInt("--max-new-tokens", maxNew, 0, 1 << 24);
  if (given("--profile-step"))
    o.profileStep = parseInt("--profile-step", profileStep, 0, 1 << 24);
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
  if (given("--eos-id"))
    o.eosId = int32_t(parseInt("--eos-id", eosId, 0, INT32_MAX));
  if (given("--score") && given("--score-ids"))
    die("--score and --score-ids are exclusive; give one");
  if (given("--score")) {
    if (score.empty())
      die("--score: empty path");
    o.score = Options::Prompt{Options::Prompt::File, score};
  }
  if (given("--score-ids"))
    o.score = Options::Prompt{Options::Prompt::Ids, scoreIds};
  if (given("--score-context"))
    o.scoreContext = parseInt("--score-context", scoreContext, 1, 1 << 24);
  if (given("--score-length"))
    o.scoreLength = parseInt("--score-length", scoreLength, 1, 1 << 24);
  if (given("--score-stride"))
    o.scoreStride = parseInt("--score-stride", scoreStride, 1, 1 << 24);
  if (!o.score)
    for (const char *flag : {"--score-context", "--score-length", "--score-stride"})
      if (given(flag))
        die(std::string(flag) + " needs --score <file> or --score-ids");
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

  if (given("--skip-kernels")) {
    if (o.device != "cuda")
      die("--skip-kernels needs --device cuda");
    if (Status st = skipCudaKernels(skipKernels); !st.ok())
      die("--skip-kernels: " + st.message());
    o.skipKernels = skipKernels;
  }
  if (o.artifact.empty())
    die("no artifact directory given (usage: photon-run <artifact-dir> [options]; see --help)");
  if (o.weights && o.syntheticSeed)
    die("--weights and --synthetic-weights are exclusive; give one");
  if (!o.weights && !o.syntheticSeed)
    die("no weights: give --weights <file.safetensors> or --synthetic-weights <seed>");
  if (o.eosId && o.ignoreEos)
    die("--eos-id and --ignore-eos are exclusive; give one");
  // What to do: score, read prompts from stdin, or the prompts given.
  const char *action = o.score ? "--score" : o.interactive ? "--interactive" : nullptr;
  if (o.score && o.interactive)
    die("--score and --interactive are exclusive; give one");
  if (action && !o.prompts.empty())
    die(std::string(action) + " takes no --prompt, --prompt-ids or --prompt-file");
  if (action && o.dumpLogits)
    die(std::string(action) + " does not write --dump-logits");
  if (o.interactive && o.batch)
    die("--interactive decodes one prompt at a time; --batch does not apply");
  if (o.score && (given("--max-new-tokens") || given("--temperature") || given("--top-k") ||
                  given("--top-p") || given("--seed") || given("--eos-id") || o.ignoreEos))
    die("--score forces every scored token: generation options (--max-new-tokens, "
        "--temperature, --top-k, --top-p, --seed, --eos-id, --ignore-eos) do not apply");
  if (!action && o.prompts.empty())
    die("no prompt: give --prompt <text>, --prompt-ids <ids> or --prompt-file <path>, or "
        "-i to read prompts from stdin, or --score <file>");
  if (!o.score && o.batch && o.prompts.size() > 1 && size_t(*o.batch) != o.prompts.size())
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

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Text <-> token ids: every conversion goes through here. The tokenizer is
/// --tokenizer, else a tokenizer.json next to the weights, else the bytes
/// (runtime/Tokenizer.h, selectTokenizer).
struct TextCodec {
  std::unique_ptr<Tokenizer> tokenizer;
  std::string source; // the tokenizer.json used; "" for the byte tokenizer

  static TextCodec select(const Options &o) {
    TextCodec codec;
    Expected<std::unique_ptr<Tokenizer>> t = selectTokenizer(o.tokenizer, o.weights, &codec.source);
    if (!t)
      die((o.tokenizer ? "--tokenizer: " : "") + t.status().message());
    codec.tokenizer = std::move(*t);
    return codec;
  }
  /// The ids of `text`; a prompt gets the post-processor's tokens (a BOS),
  /// scored text does not.
  Expected<std::vector<int32_t>> encode(std::string_view text, bool addSpecialTokens) const {
    return tokenizer->encode(text, addSpecialTokens);
  }
  std::string decode(const std::vector<int32_t> &ids) const { return tokenizer->decode(ids); }
  /// Turns ids into printable text piece by piece.
  std::unique_ptr<TokenTextStream> streamer() const { return tokenizer->streamDecoder(); }
  /// The tokenizer's end-of-sequence id, if it defines one.
  std::optional<int32_t> eosId() const { return tokenizer->eosId(); }
  std::string description() const { return tokenizer->description(); }
};

/// The whole of a file, or of stdin for "-". `flag` names the option in
/// errors.
std::string readInputFile(const std::string &flag, const std::string &path) {
  if (path.empty())
    die(flag + ": empty path");
  FILE *f = stdin;
  if (path != "-") {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      die(flag + ": " + path + ": cannot open: " + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
      die(flag + ": " + path + " is a directory, not a text file");
    f = std::fopen(path.c_str(), "rb");
    if (!f)
      die(flag + ": " + path + ": cannot open: " + std::strerror(errno));
  }
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  if (f != stdin)
    std::fclose(f);
  if (failed)
    die(flag + ": " + (path == "-" ? std::string("stdin") : path) +
        ": read error: " + std::strerror(err));
  return text;
}

/// A prompt's (or the scored text's) token ids, checked against the
/// vocabulary. `which` tells several apart in errors.
std::vector<int32_t> tokenIds(const Options::Prompt &p, const char *flag, const TextCodec &codec,
                              int64_t vocab, const std::string &which = "", bool scored = false) {
  std::vector<int32_t> ids;
  std::string what = flag + which;
  auto encode = [&](std::string_view text) {
    // A prompt starts as the tokenizer's post-processor says (a BOS); a
    // scored text is scored as it is.
    Expected<std::vector<int32_t>> enc = codec.encode(text, /*addSpecialTokens=*/!scored);
    if (!enc)
      die(what + ": " + enc.status().message());
    return std::move(*enc);
  };
  switch (p.kind) {
  case Options::Prompt::Text:
    ids = encode(p.value);
    break;
  case Options::Prompt::Ids:
    ids = parseIds(flag, p.value);
    break;
  case Options::Prompt::File:
    what += " " + (p.value == "-" ? std::string("(stdin)") : p.value);
    ids = encode(readInputFile(flag, p.value));
    break;
  }
  if (ids.empty())
    die(what + ": the " + (p.kind == Options::Prompt::File ? "file" : "prompt") +
        " is empty (need at least one token)");
  for (size_t j = 0; j < ids.size(); ++j)
    if (ids[j] < 0 || ids[j] >= vocab)
      die(what + ": token " + std::to_string(j) + " = " + std::to_string(ids[j]) +
          " is outside the model's vocabulary [0, " + std::to_string(vocab) + ")" +
          (p.kind == Options::Prompt::Ids ? "" : " (tokenizer: " + codec.description() + ")"));
  return ids;
}

/// One progress line on stderr, redrawn in place on a terminal (at most
/// five times a second), or a line at most once a second elsewhere
/// (--progress into a file or pipe). Off: nothing.
class ProgressLine {
public:
  ProgressLine(bool enabled, bool terminal) : enabled_(enabled), terminal_(terminal) {}

  void update(const std::string &text) {
    if (!enabled_)
      return;
    pending_ = text;
    auto now = Clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(terminal_ ? 200 : 1000))
      return;
    last_ = now;
    shown_ = true;
    show();
  }
  /// A terminal's line is erased, so that what comes next starts clean;
  /// elsewhere the last state is written if it was not.
  void done() {
    if (enabled_ && terminal_ && shown_)
      std::fprintf(stderr, "\r\033[K");
    else if (enabled_ && !terminal_ && !pending_.empty())
      show();
    shown_ = false;
  }

private:
  void show() {
    if (terminal_)
      std::fprintf(stderr, "\r\033[K%s: %s", kProg, pending_.c_str());
    else
      std::fprintf(stderr, "%s: %s\n", kProg, pending_.c_str());
    std::fflush(stderr);
    pending_.clear();
  }

  bool enabled_, terminal_;
  bool shown_ = false;
  std::string pending_; // the latest state, until it is written
  Clock::time_point last_;
};

/// A loaded model: backend, artifact and the generator with its weights.
/// Made once, used for every prompt (interactive mode). Not movable: the
/// generator refers to the artifact and the backend.
struct LoadedModel {
  std::string device;
  std::unique_ptr<Backend> backend;
  std::optional<Artifact> artifact;
  std::unique_ptr<Generator> generator;
  double loadSeconds = 0;

  LoadedModel() = default;
  LoadedModel(const LoadedModel &) = delete;
  LoadedModel &operator=(const LoadedModel &) = delete;
  const Manifest &manifest() const { return artifact->manifest(); }
};

/// Opens the artifact on its device and loads the weights. The backend comes
/// first: a CUDA kernel library loads its modules into the backend's context
/// as soon as it is opened.
void loadModel(const Options &o, LoadedModel &lm) {
  lm.device = o.device;
  if (lm.device == "auto") {
    Expected<Manifest> manifest = loadManifest(o.artifact);
    if (!manifest)
      die(manifest.status().message());
    lm.device = "cpu";
    if (manifest->kernelLibraries.count("cuda")) {
      if (createBackend("cuda"))
        lm.device = "cuda";
      else if (!o.quiet)
        std::fprintf(stderr, "%s: no usable GPU; running on the CPU\n", kProg);
    }
  }
  Expected<std::unique_ptr<Backend>> backend = createBackend(lm.device);
  if (!backend)
    die(backend.status().message());
  if (o.skipKernels && !o.quiet)
    std::fprintf(stderr, "%s: warning: kernels matching '%s' are not launched: tokens and "
                         "logits are meaningless, timings only\n",
                 kProg, o.skipKernels->c_str());
  lm.backend = std::move(*backend);
  Expected<Artifact> artifact = Artifact::load(o.artifact, lm.device);
  if (!artifact)
    die(artifact.status().message());
  lm.artifact.emplace(std::move(*artifact));
  if (Status st = lm.backend->synchronize(); !st.ok()) // kernel modules loaded?
    die(st.message());
  if (Expected<Program> program = lm.artifact->program(o.mode); !program)
    die("--mode " + o.mode + ": " + program.status().message());
  if (Status s = o.sampling.validate(); !s.ok())
    die(s.message());
  if (o.eosId && *o.eosId >= lm.manifest().vocabSize)
    die("--eos-id: " + std::to_string(*o.eosId) + " is outside the model's vocabulary [0, " +
        std::to_string(lm.manifest().vocabSize) + ")");
}

void loadWeightsInto(const Options &o, ProgressLine &progress, LoadedModel &lm) {
  auto t0 = Clock::now();
  const Manifest &m = lm.manifest();
  LoadProgress onBytes = [&](size_t done, size_t total) {
    progress.update((o.weights ? "loading weights " : "seeding synthetic weights ") +
                    human(double(done)) + " / " + human(double(total)));
  };
  WeightArena arena;
  if (o.weights) {
    Expected<WeightArena> w = loadWeights(m, *o.weights, onBytes);
    if (!w)
      die(w.status().message());
    arena = std::move(*w);
  } else {
    arena = syntheticArena(m, *o.syntheticSeed, onBytes);
  }
  Expected<std::unique_ptr<Generator>> gen =
      Generator::create(*lm.artifact, *lm.backend, arena);
  if (!gen)
    die(gen.status().message());
  lm.generator = std::move(*gen);
  progress.done();
  lm.loadSeconds = secondsSince(t0);
}

/// The options every generation uses.
GenerationOptions generationOptions(const Options &o, const TextCodec &codec) {
  GenerationOptions opt;
  opt.mode = o.mode;
  opt.useGraphs = !o.noGraphs;
  opt.overlapSteps = !o.noOverlapSteps;
  opt.profileStep = o.profileStep;
  opt.profilePrefill = o.profilePrefill;
  opt.maxNewTokens = o.maxNew;
  opt.sampling = o.sampling;
  opt.collectLogits = o.dumpLogits.has_value();
  if (!o.ignoreEos)
    opt.stopToken = o.eosId ? o.eosId : codec.eosId();
  return opt;
}

/// Generates for `prompts`, streaming the text of a single sequence to
/// stdout as it comes; a progress line counts the tokens.
Expected<GenerationResult> generateWithProgress(const Options &o, LoadedModel &lm,
                                                const TextCodec &codec,
                                                const std::vector<std::vector<int32_t>> &prompts,
                                                bool stream, ProgressLine &progress) {
  GenerationOptions opt = generationOptions(o, codec);
  std::unique_ptr<TokenTextStream> decoder = codec.streamer();
  const int64_t total = int64_t(prompts.size()) * o.maxNew;
  int64_t done = 0;
  auto t0 = Clock::now();
  TokenCallback onToken = [&](size_t, int64_t, int32_t id) {
    if (stream) {
      std::string piece = terminalSafe(decoder->push(id));
      if (!piece.empty()) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
    }
    ++done;
    char line[128];
    std::snprintf(line, sizeof line, "generated %lld / %lld tokens (%.1f tokens/s)",
                  (long long)done, (long long)total, rate(double(done), secondsSince(t0)));
    progress.update(line);
  };
  Expected<GenerationResult> r = lm.generator->generate(prompts, opt, onToken);
  progress.done();
  if (r && stream) {
    std::string rest = terminalSafe(decoder->flush());
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  return r;
}

Json resultJson(const Options &o, const LoadedModel &lm, const TextCodec &codec,
                const std::vector<std::vector<int32_t>> &prompts, const GenerationResult &r,
                double total) {
  Json out;
  out["tokens"] = r.tokens;
  Json &lengths = out["prompt_tokens"] = Json::array();
  for (const auto &p : prompts)
    lengths.push_back(p.size());
  Json &texts = out["text"] = Json::array();
  for (const auto &t : r.tokens)
    texts.push_back(validUtf8(codec.decode(t)));
  out["stopped"] = r.stopped;
  out["tokenizer"] = codec.source.empty() ? "bytes" : codec.source;
  out["model"] = lm.manifest().model;
  out["mode"] = o.mode;
  out["device"] = lm.device;
  out["batch"] = prompts.size();
  out["max_new_tokens"] = o.maxNew;
  out["timings"] = {
      {"load_s", lm.loadSeconds},
      {"prefill_s", r.prefillSeconds},
      {"decode_s", r.decodeSeconds},
      {"total_s", total},
      {"prefill_tokens_per_s", rate(double(r.promptTokens), r.prefillSeconds)},
      {"decode_tokens_per_s", rate(double(r.generatedTokens), r.decodeSeconds)},
      {"steps", r.steps},
      {"launches_per_step", r.launchesPerStep},
      {"host_s_per_step", r.hostSecondsPerStep},
      {"steps_queued_ahead", r.stepsQueuedAhead},
      {"graphs", r.graphs}};
  out["memory"] = {{"weight_bytes", r.memory.weightBytes},
                   {"state_bytes", r.memory.stateBytes},
                   {"bytes_per_sequence", r.memory.bytesPerSequence},
                   {"analytic_bytes_per_sequence", r.memory.analyticBytesPerSequence},
                   {"peak_bytes", r.memory.peakBytes}};
  return out;
}

/// The first summary line: model, program, types, device, mode.
void printModelLine(const Options &o, const LoadedModel &lm, const TextCodec &codec,
                    size_t batch) {
  const Manifest &m = lm.manifest();
  Expected<Program> program = lm.artifact->program(o.mode);
  std::string kind = std::to_string(program->info->tokensPerStep) + " tokens per step";
  std::string device = lm.device;
  if (lm.device == "cuda")
    if (Expected<std::string> gpu = cudaDeviceDescription())
      device += ": " + *gpu;
  std::fprintf(stderr, "%s: %s (%s), %s weights, %s activations, %s, %s, batch %zu\n", kProg,
               m.model.c_str(), kind.c_str(), dtypeName(m.dtype), dtypeName(m.activationType),
               device.c_str(), o.mode.c_str(), batch);
  std::fprintf(stderr, "%s: tokenizer %s\n", kProg, codec.description().c_str());
}

void printSummary(const Options &o, const LoadedModel &lm, const TextCodec &codec, size_t batch,
                  const GenerationResult &r, double total) {
  printModelLine(o, lm, codec, batch);
  std::fprintf(stderr, "%s: prefill %lld tokens in %.3f s (%.1f tokens/s)\n", kProg,
               (long long)r.promptTokens, r.prefillSeconds,
               rate(double(r.promptTokens), r.prefillSeconds));
  int64_t stopped = std::count(r.stopped.begin(), r.stopped.end(), true);
  std::string eos = stopped ? ", " + std::to_string(stopped) + " stopped at EOS" : "";
  std::fprintf(stderr, "%s: decode  %lld tokens in %.3f s (%.1f tokens/s)%s\n", kProg,
               (long long)r.generatedTokens, r.decodeSeconds,
               rate(double(r.generatedTokens), r.decodeSeconds), eos.c_str());
  if (r.steps > 0)
    std::fprintf(stderr,
                 "%s: steps   %lld, %lld launches each, %.1f us host time each%s; %lld "
                 "queued ahead of the step before\n",
                 kProg, (long long)r.steps, (long long)r.launchesPerStep,
                 r.hostSecondsPerStep * 1e6, r.graphs ? " (CUDA graph)" : "",
                 (long long)r.stepsQueuedAhead);
  std::fprintf(stderr, "%s: total   %.3f s (weights loaded in %.3f s)\n", kProg, total,
               lm.loadSeconds);
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

/// The prompts given on the command line, generated together.
int runPrompts(const Options &o, LoadedModel &lm, const TextCodec &codec, ProgressLine &progress,
               Clock::time_point tStart) {
  const int64_t vocab = lm.manifest().vocabSize;
  static const char *const kFlag[] = {"--prompt", "--prompt-ids", "--prompt-file"};
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < o.prompts.size(); ++i) {
    std::string which = o.prompts.size() > 1 ? " " + std::to_string(i) : "";
    prompts.push_back(tokenIds(o.prompts[i], kFlag[o.prompts[i].kind], codec, vocab, which));
  }
  if (prompts.size() == 1 && o.batch)
    prompts.assign(size_t(*o.batch), prompts[0]);

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
  loadWeightsInto(o, progress, lm);

  const bool text = o.output == "text";
  const bool stream = text && prompts.size() == 1;
  Expected<GenerationResult> res = generateWithProgress(o, lm, codec, prompts, stream, progress);
  if (!res)
    die(res.status().message());
  const GenerationResult &r = *res;

  if (logitsFile) {
    // Straight from the per-sequence buffers: no second copy of the logits.
    // A sequence that stopped at EOS is padded with NaN rows.
    const size_t V = size_t(vocab);
    size_t rows = 0;
    for (const auto &t : r.tokens)
      rows = std::max(rows, t.size());
    std::vector<float> pad(rows * V, std::nanf(""));
    std::vector<FloatSpan> parts;
    for (size_t s = 0; s < r.logits.size(); ++s) {
      parts.push_back({r.logits[s].data(), r.logits[s].size()});
      parts.push_back({pad.data(), (rows - r.tokens[s].size()) * V});
    }
    Status st = logitsFile->commit({int64_t(prompts.size()), int64_t(rows), vocab}, parts);
    if (!st.ok())
      die(st.message());
  }

  double total = secondsSince(tStart);
  if (text) {
    if (!stream)
      for (size_t s = 0; s < r.tokens.size(); ++s)
        std::printf("--- sequence %zu ---\n%s\n", s,
                    terminalSafe(codec.decode(r.tokens[s])).c_str());
    std::fflush(stdout);
  } else {
    std::printf("%s\n", resultJson(o, lm, codec, prompts, r, total).dump().c_str());
    std::fflush(stdout);
  }
  if (!o.quiet)
    printSummary(o, lm, codec, prompts.size(), r, total);
  return 0;
}

/// -i: a prompt per line of stdin, each answer streamed (text) or one JSON
/// object per line, until end of input. An empty line is skipped.
int runInteractive(const Options &o, LoadedModel &lm, const TextCodec &codec,
                   ProgressLine &progress) {
  loadWeightsInto(o, progress, lm);
  if (!o.quiet)
    printModelLine(o, lm, codec, 1);
  const bool ask = ::isatty(STDIN_FILENO) && !o.quiet;
  const int64_t vocab = lm.manifest().vocabSize;
  std::string line;
  for (int64_t n = 1;; ++n) {
    if (ask) {
      std::fprintf(stderr, "> ");
      std::fflush(stderr);
    }
    if (!std::getline(std::cin, line))
      break;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      continue;
    std::vector<std::vector<int32_t>> prompts = {
        tokenIds({Options::Prompt::Text, line}, "stdin", codec, vocab,
                 " line " + std::to_string(n))};
    auto t0 = Clock::now();
    Expected<GenerationResult> r =
        generateWithProgress(o, lm, codec, prompts, o.output == "text", progress);
    if (!r)
      die(r.status().message());
    if (o.output == "json") {
      std::printf("%s\n", resultJson(o, lm, codec, prompts, *r, secondsSince(t0)).dump().c_str());
      std::fflush(stdout);
    }
    if (!o.quiet)
      std::fprintf(stderr, "%s: %lld tokens in %.3f s (%.1f tokens/s)%s\n", kProg,
                   (long long)r->generatedTokens, secondsSince(t0),
                   rate(double(r->generatedTokens), r->decodeSeconds),
                   r->stopped[0] ? ", stopped at EOS" : "");
  }
  if (ask)
    std::fputc('\n', stderr);
  return 0;
}

/// --score: windows of context + scored tokens slide over the text by
/// --score-stride (default: the scored length, so every token after the
/// first context is scored once); each scored token's log-probability comes
/// from the teacher-forced logits that predict it.
int runScore(const Options &o, LoadedModel &lm, const TextCodec &codec, ProgressLine &progress,
             Clock::time_point tStart) {
  const char *flag = o.score->kind == Options::Prompt::File ? "--score" : "--score-ids";
  std::vector<int32_t> ids =
      tokenIds(*o.score, flag, codec, lm.manifest().vocabSize, "", /*scored=*/true);
  const int64_t n = int64_t(ids.size()), C = o.scoreContext, S = o.scoreLength;
  if (n <= C)
    die(std::string(flag) + ": " + std::to_string(n) + " tokens leave none to score after " +
        "a context of " + std::to_string(C) + " (give a longer text or a smaller " +
        "--score-context)");
  // Window k starts at k * stride: its first C tokens are context, the next
  // (up to) S are scored.
  const int64_t stride = o.scoreStride.value_or(S);
  std::vector<std::vector<int32_t>> windows;
  int64_t total = 0;
  for (int64_t start = 0; start + C < n; start += stride) {
    int64_t end = std::min(n, start + C + S);
    windows.emplace_back(ids.begin() + start, ids.begin() + end);
    total += end - start - C;
  }
  loadWeightsInto(o, progress, lm);

  GenerationOptions opt = generationOptions(o, codec);
  const size_t perCall = size_t(o.batch.value_or(16));
  int64_t before = 0;
  double logProb = 0, prefill = 0, decode = 0;
  auto t0 = Clock::now();
  for (size_t first = 0; first < windows.size(); first += perCall) {
    std::vector<std::vector<int32_t>> group(
        windows.begin() + first, windows.begin() + std::min(windows.size(), first + perCall));
    Expected<ScoreResult> r =
        lm.generator->score(group, C, opt, [&](int64_t done, int64_t) {
          char line[128];
          std::snprintf(line, sizeof line, "scored %lld / %lld tokens (%.1f tokens/s)",
                        (long long)(before + done), (long long)total,
                        rate(double(before + done), secondsSince(t0)));
          progress.update(line);
        });
    if (!r)
      die(r.status().message());
    for (const auto &w : r->logProbs)
      for (double lp : w)
        logProb += lp;
    before += r->scoredTokens;
    prefill += r->prefillSeconds;
    decode += r->decodeSeconds;
  }
  progress.done();
  const double meanNll = -logProb / double(total), ppl = std::exp(meanNll);
  double seconds = secondsSince(tStart);
  if (o.output == "json") {
    Json out;
    out["scored_tokens"] = total;
    out["context"] = C;
    out["score_length"] = S;
    out["score_stride"] = stride;
    out["windows"] = windows.size();
    out["mean_nll"] = meanNll;
    out["perplexity"] = ppl;
    out["total_nll"] = -logProb;
    out["model"] = lm.manifest().model;
    out["mode"] = o.mode;
    out["device"] = lm.device;
    out["timings"] = {{"load_s", lm.loadSeconds},
                      {"prefill_s", prefill},
                      {"decode_s", decode},
                      {"total_s", seconds},
                      {"scored_tokens_per_s", rate(double(total), prefill + decode)}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("scored %lld tokens (%zu windows, context %lld): mean NLL %.6f nats/token, "
                "perplexity %.4f\n",
                (long long)total, windows.size(), (long long)C, meanNll, ppl);
  }
  std::fflush(stdout);
  if (!o.quiet) {
    printModelLine(o, lm, codec, std::min(perCall, windows.size()));
    std::fprintf(stderr, "%s: scored %lld tokens in %.3f s (%.1f tokens/s); total %.3f s "
                         "(weights loaded in %.3f s)\n",
                 kProg, (long long)total, prefill + decode,
                 rate(double(total), prefill + decode), seconds, lm.loadSeconds);
  }
  return 0;
}

} // namespace

int run(int argc, char **argv) {
  Options o = parseArgs(argc, argv);
  auto tStart = Clock::now();
  if (o.weights)
    checkWeightsFile(*o.weights);
  // Progress on a terminal, unless the streamed answer goes to the same one.
  const bool errTty = ::isatty(STDERR_FILENO);
  const bool streamsToTty = o.output == "text" && ::isatty(STDOUT_FILENO);
  ProgressLine progress(!o.quiet && (o.progress || (errTty && !streamsToTty)), errTty);
  TextCodec codec = TextCodec::select(o);
  LoadedModel lm;
  loadModel(o, lm);
  if (o.score)
    return runScore(o, lm, codec, progress, tStart);
  if (o.interactive)
    return runInteractive(o, lm, codec, progress);
  return runPrompts(o, lm, codec, progress, tStart);
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
