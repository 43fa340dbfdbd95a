//===- photon-run.cpp - Run a compiled Photon model -----------------------===//
//
//   photon-run <artifact-dir> --weights w.safetensors --prompt "Hello"
//              --max-new-tokens 64 [--mode hiergen|recgen] [--output json]
//
// Loads an artifact written by photon-compile (model.json + kernels-<target>.so),
// builds the weight arena, and generates (runtime/Executor.h). Text output
// streams the generated text; JSON output prints the token ids and timings.
// Every bad input is one "photon-run: error: ..." message and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/Backend.h"
#include "runtime/Executor.h"
#include "runtime/CudaBackend.h"
#include "runtime/Json.h"
#include "runtime/Npy.h"
#include "runtime/Tokenizer.h"
#include "runtime/Weights.h"

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

using namespace photon;
using namespace photon::rt;

namespace {

constexpr const char *kProg = "photon-run";
constexpr const char *kVersion = "0.1.0";

[[noreturn]] void die(const std::string &msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", kProg, msg.c_str());
  std::exit(1);
}

void usage(FILE *out) {
  std::fprintf(out, R"(USAGE: photon-run <artifact-dir> [options]

Runs a model compiled by photon-compile (the directory holding model.json and
kernels-<target>.so): prefill, then generation.

WEIGHTS (one is required):
  --weights=<path>             safetensors file (f32, bf16 or f16; converted to
                               the artifact's weight type)
  --synthetic-weights=<seed>   seeded random weights (for tests and benchmarks)

PROMPT (at least one):
  --prompt=<text>              text, byte-level tokens (repeatable: a batch)
  --prompt-ids=<i,j,...>       token ids (repeatable: a batch)
  --batch=<n>                  decode n copies of the one prompt together

GENERATION:
  --max-new-tokens=<n>         tokens to generate per sequence (default 32)
  --mode=<hiergen|recgen>      hiergen (exact, default) or recgen (photon, L >= 2)
  --temperature=<t>            0 = greedy (default)
  --top-k=<k>                  keep the k most likely tokens (0 = off)
  --top-p=<p>                  nucleus sampling (1 = off)
  --seed=<n>                   sampling seed (default 0; sequence i uses seed + i)
  --device=<auto|cpu|cuda>     where to run (default auto: cuda when the artifact
                               has CUDA kernels and a GPU is present, else cpu)
  --no-graphs                  on the GPU, launch every step's kernels instead
                               of replaying the step as a captured CUDA graph

OUTPUT:
  --output=<text|json>         text (streamed, default) or JSON
  --dump-logits=<path>         write the logits of every generated position
                               (.npy float32 [batch, new tokens, vocab])
  -q, --quiet                  no summary on stderr
  -h, --help                   this help
  --version                    print the version

Options take their value as --opt=value or --opt value; -opt works too.
)");
}

struct Options {
  std::string artifact;
  std::optional<std::string> weights;
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
  errno = 0;
  double x = std::strtod(v.c_str(), &end);
  if (*end != '\0' || errno == ERANGE || !std::isfinite(x))
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

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      usage(stdout);
      std::exit(0);
    }
    if (arg == "--version" || arg == "-version") {
      std::printf("%s (Photon) %s\n", kProg, kVersion);
      std::exit(0);
    }
    if (arg == "-q" || arg == "--quiet" || arg == "-quiet") {
      o.quiet = true;
      continue;
    }
    if (arg == "--no-graphs" || arg == "-no-graphs") {
      o.noGraphs = true;
      continue;
    }
    if (arg == "--" ) {
      for (++i; i < argc; ++i) {
        if (!o.artifact.empty())
          die("more than one artifact directory: '" + o.artifact + "' and '" + argv[i] + "'");
        o.artifact = argv[i];
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!o.artifact.empty())
        die("more than one artifact directory: '" + o.artifact + "' and '" + arg + "'");
      o.artifact = arg;
      continue;
    }
    // --name=value, --name value, -name=value, -name value.
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    static const char *kValued[] = {
        "weights", "synthetic-weights", "prompt", "prompt-ids", "batch",
        "max-new-tokens", "mode", "temperature", "top-k", "top-p", "seed",
        "output", "dump-logits", "device"};
    bool known = false;
    for (const char *k : kValued)
      known |= name == k;
    if (!known)
      die("unknown option '" + arg + "' (see --help)");
    if (!value) {
      if (i + 1 >= argc)
        die("--" + name + ": missing value");
      value = argv[++i];
    }
    const std::string flag = "--" + name;
    const std::string &v = *value;
    if (name == "weights") {
      if (v.empty())
        die("--weights: empty path");
      o.weights = v;
    } else if (name == "synthetic-weights") {
      o.syntheticSeed = parseU64(flag, v);
    } else if (name == "prompt") {
      o.prompts.push_back({true, v});
    } else if (name == "prompt-ids") {
      o.prompts.push_back({false, v});
    } else if (name == "batch") {
      o.batch = parseInt(flag, v, 1, 1 << 20);
    } else if (name == "max-new-tokens") {
      o.maxNew = parseInt(flag, v, 0, 1 << 24);
    } else if (name == "mode") {
      if (v != "hiergen" && v != "recgen")
        die("--mode: expected hiergen or recgen, got '" + v + "'");
      o.mode = v;
    } else if (name == "temperature") {
      o.sampling.temperature = parseDouble(flag, v);
      if (o.sampling.temperature < 0)
        die("--temperature: must be >= 0 (0 = greedy), got " + v);
    } else if (name == "top-k") {
      o.sampling.top_k = int(parseInt(flag, v, 0, INT32_MAX));
    } else if (name == "top-p") {
      o.sampling.top_p = parseDouble(flag, v);
      if (!(o.sampling.top_p > 0 && o.sampling.top_p <= 1))
        die("--top-p: must be in (0, 1], got " + v);
    } else if (name == "seed") {
      o.sampling.seed = parseU64(flag, v);
    } else if (name == "output") {
      if (v != "text" && v != "json")
        die("--output: expected text or json, got '" + v + "'");
      o.output = v;
    } else if (name == "dump-logits") {
      if (v.empty())
        die("--dump-logits: empty path");
      o.dumpLogits = v;
    } else if (name == "device") {
      if (v != "auto" && v != "cpu" && v != "cuda")
        die("--device: expected auto, cpu or cuda, got '" + v + "'");
      o.device = v;
    }
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

  // Prompts.
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < o.prompts.size(); ++i) {
    const auto &p = o.prompts[i];
    std::vector<int32_t> ids = p.isText ? ByteTokenizer::encode(p.value) : parseIds(p.value);
    std::string which = o.prompts.size() > 1 ? " " + std::to_string(i) : "";
    if (ids.empty())
      die(std::string(p.isText ? "--prompt" : "--prompt-ids") + which +
          ": the prompt is empty (need at least one token)");
    for (size_t j = 0; j < ids.size(); ++j)
      if (ids[j] < 0 || ids[j] >= vocab)
        die(std::string(p.isText ? "--prompt" : "--prompt-ids") + which + ": token " +
            std::to_string(j) + " = " + std::to_string(ids[j]) +
            " is outside the model's vocabulary [0, " + std::to_string(vocab) + ")");
    prompts.push_back(std::move(ids));
  }
  if (prompts.size() == 1 && o.batch)
    prompts.assign(size_t(*o.batch), prompts[0]);
  Expected<Program> program = artifact->program(o.mode);
  if (!program)
    die("--mode " + o.mode + ": " + program.status().message());
  if (Status s = o.sampling.validate(); !s.ok())
    die(s.message());

  // Fail before generating if the logits cannot be written.
  if (o.dumpLogits) {
    FILE *f = std::fopen(o.dumpLogits->c_str(), "wb");
    if (!f)
      die(*o.dumpLogits + ": cannot create: " + std::strerror(errno));
    std::fclose(f);
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
  StreamingDecoder decoder;
  TokenCallback onToken;
  if (stream)
    onToken = [&](size_t, int64_t, int32_t id) {
      std::string piece = terminalSafe(decoder.push(id));
      if (!piece.empty()) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
    };
  Expected<GenerationResult> res = (*gen)->generate(prompts, opt, onToken);
  if (!res)
    die(res.status().message());
  const GenerationResult &r = *res;

  if (o.dumpLogits) {
    std::vector<float> all;
    all.reserve(prompts.size() * size_t(o.maxNew * vocab));
    for (const auto &l : r.logits)
      all.insert(all.end(), l.begin(), l.end());
    Status s = writeNpy(*o.dumpLogits, all.data(),
                        {int64_t(prompts.size()), o.maxNew, vocab});
    if (!s.ok())
      die(s.message());
  }

  double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - tStart).count();
  if (text) {
    if (stream) {
      std::string rest = terminalSafe(decoder.flush());
      std::fwrite(rest.data(), 1, rest.size(), stdout);
      std::fputc('\n', stdout);
    } else {
      for (size_t s = 0; s < r.tokens.size(); ++s)
        std::printf("--- sequence %zu ---\n%s\n", s,
                    terminalSafe(ByteTokenizer::decode(r.tokens[s])).c_str());
    }
    std::fflush(stdout);
  } else {
    JsonWriter w(0);
    w.beginObject();
    w.key("tokens").beginArray();
    for (const auto &t : r.tokens) {
      w.beginArray();
      for (int32_t id : t)
        w.value(id);
      w.endArray();
    }
    w.endArray();
    w.key("prompt_tokens").beginArray();
    for (const auto &p : prompts)
      w.value(int64_t(p.size()));
    w.endArray();
    w.key("text").beginArray();
    for (const auto &t : r.tokens)
      w.value(validUtf8(ByteTokenizer::decode(t)));
    w.endArray();
    w.field("model", m.model).field("mode", o.mode).field("device", o.device);
    w.field("batch", int64_t(prompts.size())).field("max_new_tokens", o.maxNew);
    w.key("timings").beginObject();
    w.field("load_s", loadSeconds)
        .field("prefill_s", r.prefillSeconds)
        .field("decode_s", r.decodeSeconds)
        .field("total_s", total)
        .field("prefill_tokens_per_s", rate(double(r.promptTokens), r.prefillSeconds))
        .field("decode_tokens_per_s", rate(double(r.generatedTokens), r.decodeSeconds))
        .field("steps", r.steps)
        .field("launches_per_step", r.launchesPerStep)
        .field("host_s_per_step", r.hostSecondsPerStep)
        .field("graphs", r.graphs);
    w.endObject();
    w.key("memory").beginObject();
    w.field("weight_bytes", uint64_t(r.memory.weightBytes))
        .field("state_bytes", uint64_t(r.memory.stateBytes))
        .field("bytes_per_sequence", uint64_t(r.memory.bytesPerSequence))
        .field("analytic_bytes_per_sequence", uint64_t(r.memory.analyticBytesPerSequence))
        .field("peak_bytes", uint64_t(r.memory.peakBytes));
    w.endObject();
    w.endObject();
    std::printf("%s\n", w.str().c_str());
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
  // The runtime reports errors as values; this only turns an allocation
  // failure of host-side bookkeeping (e.g. --dump-logits of a huge run) into
  // an error message instead of an abort.
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc &) {
    die("out of host memory (try fewer --max-new-tokens, a smaller --batch, or no --dump-logits)");
  } catch (const std::exception &e) {
    die(std::string("unexpected failure: ") + e.what());
  }
}
