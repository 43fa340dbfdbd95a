//===- Executor.cpp - Prefill and generation over compiled kernels --------===//
//
// How spec §4 maps onto kernel calls (B = meta-context, per = items of a level
// per meta-context):
//
//  * encodeTokens: embed_enc of whole meta-contexts of several sequences at
//    once, then per level l: chunk_l (or nothing for a concat level 1: C1
//    consecutive D0-wide embeddings are one D-wide row) and stack_encoder.l
//    with row (pos = items already encoded, seq = sequence). Used by prefill
//    (all complete prompt meta-contexts in one call per level) and HierGen
//    (the finished meta-context of every sequence).
//  * decodeLatents: one meta-context of every active sequence, top-down. A
//    rollout at level l runs B/span(l) independent chunk instances per
//    sequence (one decoder cache slot each, positions 0..R+C-2): converter_l
//    of the conditioning latents gives R prefix rows per instance (one
//    stack call at positions 0..R-1), then C-1 calls of one row per instance
//    feed each output back. The conditioning latents of level l-1's chunks are
//    [carry, items 1..per-1] of the level below's rollout output.
//  * token phase: the needed token chunks of all sequences (chunks wholly in
//    the prompt or past the end are skipped) run in lockstep through Dec_1:
//    converter_1 + prefix call, then for j = 1..C1-1 one embed_dec row per
//    chunk (the forced prompt token or the sampled one) at position R+j-1.
//    lm_head/argmax run only on rows whose position is generated.
//  * RecGen: chunk_L of the C_L level-(L-1) items of the meta-context, then
//    one stack_encoder.L row per sequence.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>

namespace photon::rt {

Expected<GenMode> parseGenMode(const std::string &s) {
  if (s == "hiergen")
    return GenMode::HierGen;
  if (s == "recgen")
    return GenMode::RecGen;
  return Status::error("mode must be hiergen or recgen, got '" + s + "'");
}

namespace {

constexpr int64_t kMaxStackRows = 1024; // rows per stack call (bounds scratch)
constexpr size_t F4 = sizeof(float);

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct KvCache {
  DeviceBuffer k, v;
  int64_t slots = 0, capacity = 0;
  int64_t elements = 0;
  size_t bytes() const { return k.bytes() + v.bytes(); }
};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

struct Generator::Impl {
  const Artifact &art;
  const ModelConfig &c;
  const Kernels &k;
  Backend &be;
  DeviceBuffer weights;
  int64_t elements = 0;
  DeviceBuffer startLatents; // activations [L+1][D]; row l = start_latent.l
  int64_t D = 0, V = 0, L = 0, B = 0;
  size_t act = 4; // bytes of an activation element (f32 or bf16)

  // Growing staging buffers.
  DeviceBuffer posDev, seqDev, idsDev, uniformsDev, scratch, chunkScratch;

  Impl(const Artifact &a, Backend &b)
      : art(a), c(a.config()), k(a.kernels()), be(b) {
    D = c.dModel;
    act = dtypeSize(a.manifest().activationType);
    V = c.vocabSize;
    L = c.numLevels();
    B = c.metaContext();
  }

  //===--------------------------------------------------------------------===//
  // Buffers and kernel calls
  //===--------------------------------------------------------------------===//

  Status ensure(DeviceBuffer &buf, size_t bytes) {
    if (buf.get() && buf.bytes() >= bytes)
      return Status::success();
    if (buf.get()) // queued kernels may still use it
      PHOTON_RETURN_IF_ERROR(be.synchronize());
    buf.reset();
    return alloc(buf, bytes);
  }

  /// Replaces `buf` by a new buffer of `bytes`.
  Status alloc(DeviceBuffer &buf, size_t bytes) {
    Expected<DeviceBuffer> nb = DeviceBuffer::create(be, bytes);
    if (!nb)
      return nb.takeStatus();
    buf = std::move(*nb);
    return Status::success();
  }

  Status allocCache(KvCache &cache, int64_t slots, int64_t layers, int64_t capacity) {
    cache.slots = std::max<int64_t>(slots, 1);
    cache.capacity = std::max<int64_t>(capacity, 1);
    cache.elements = cacheElements(c, layers, cache.capacity, cache.slots);
    PHOTON_RETURN_IF_ERROR(alloc(cache.k, size_t(cache.elements) * act));
    return alloc(cache.v, size_t(cache.elements) * act);
  }

  Status uploadI32(DeviceBuffer &buf, const int32_t *data, int64_t n) {
    PHOTON_RETURN_IF_ERROR(ensure(buf, size_t(std::max<int64_t>(n, 1)) * 4));
    return be.copyToDevice(buf.get(), data, size_t(n) * 4);
  }

  MemRef1D W() { return memref(weights.get(), elements); }

  void *row(const DeviceBuffer &buf, int64_t r) const { return buf.at(size_t(r * D) * act); }
  void *row(void *p, int64_t r) const { return devOffset(p, size_t(r * D) * act); }

  Status copyRow(void *dst, const void *src) { return be.copyOnDevice(dst, src, size_t(D) * act); }
  /// `n` rows of D floats from src (rows srcStride floats apart) to dst
  /// (dstStride floats apart).
  Status copyRows(void *dst, int64_t dstStride, const void *src, int64_t srcStride, int64_t n) {
    if (n <= 0)
      return Status::success();
    return be.copy2D(dst, size_t(dstStride) * act, src, size_t(srcStride) * act,
                     size_t(D) * act, size_t(n));
  }

  Status runStack(StackFn fn, void *x, int64_t rows, const int32_t *pos,
                  const int32_t *seq, KvCache &cache) {
    const int64_t perRow = stackScratchPerRow(c, cache.capacity);
    for (int64_t r0 = 0; r0 < rows; r0 += kMaxStackRows) {
      int64_t n = std::min(kMaxStackRows, rows - r0);
      for (int64_t i = r0; i < r0 + n; ++i)
        if (pos[i] < 0 || pos[i] >= cache.capacity || seq[i] < 0 || seq[i] >= cache.slots)
          return Status::error("internal error: stack row at position " +
                               std::to_string(pos[i]) + " of slot " + std::to_string(seq[i]) +
                               " outside a cache of " + std::to_string(cache.slots) +
                               " slots x " + std::to_string(cache.capacity) + " positions");
      PHOTON_RETURN_IF_ERROR(uploadI32(posDev, pos + r0, n));
      PHOTON_RETURN_IF_ERROR(uploadI32(seqDev, seq + r0, n));
      PHOTON_RETURN_IF_ERROR(ensure(scratch, size_t(n * perRow) * F4));
      MemRef1D w = W();
      MemRef1D xm = memref(row(x, r0), n * D);
      MemRef1D pm = memref(posDev.get(), n), sm = memref(seqDev.get(), n);
      MemRef1D km = memref(cache.k.get(), cache.elements);
      MemRef1D vm = memref(cache.v.get(), cache.elements);
      MemRef1D scr = memref(scratch.get(), n * perRow);
      fn(&w, &xm, n, &pm, &sm, &km, &vm, cache.capacity, &scr);
    }
    return Status::success();
  }

  Status embed(EmbedFn fn, const std::vector<int32_t> &ids, void *out, int64_t width) {
    int64_t n = int64_t(ids.size());
    if (n == 0)
      return Status::success();
    PHOTON_RETURN_IF_ERROR(uploadI32(idsDev, ids.data(), n));
    MemRef1D w = W(), im = memref(idsDev.get(), n), om = memref(out, n * width);
    fn(&w, &im, n, &om);
    return Status::success();
  }

  /// out[n, D] = Chunk_l(in[n, C_l·Din]) for a linear chunker.
  Status chunk(int64_t l, void *in, int64_t n, void *out) {
    int64_t width = c.chunkSizes[size_t(l - 1)] * c.chunkerInputWidth(l);
    PHOTON_RETURN_IF_ERROR(ensure(chunkScratch, size_t(std::max<int64_t>(n * width, 1)) * F4));
    MemRef1D w = W(), im = memref(in, n * width), om = memref(out, n * D),
             sm = memref(chunkScratch.get(), n * width);
    k.chunk[size_t(l)](&w, &im, n, &om, &sm);
    return Status::success();
  }

  void convert(int64_t l, void *in, int64_t n, void *out) {
    int64_t R = c.prefixLengths[size_t(l - 1)];
    MemRef1D w = W(), im = memref(in, n * D), om = memref(out, n * R * D);
    k.converter[size_t(l)](&w, &im, n, &om);
  }

  void lmHead(void *in, int64_t n, void *out) {
    MemRef1D w = W(), im = memref(in, n * D), om = memref(out, n * V);
    k.lmHead(&w, &im, n, &om);
  }

  Status argmax(void *logits, int64_t n, std::vector<int32_t> &ids) {
    PHOTON_RETURN_IF_ERROR(ensure(idsDev, size_t(std::max<int64_t>(n, 1)) * 4));
    MemRef1D lm = memref(logits, n * V), im = memref(idsDev.get(), n);
    k.argmax(&lm, n, &im);
    ids.resize(size_t(n));
    return be.copyToHost(ids.data(), idsDev.get(), size_t(n) * 4);
  }

  /// Sampled ids of `n` logit rows, one uniform draw each (photon_sample).
  Status sample(void *logits, int64_t n, const std::vector<float> &uniforms,
                const SamplingParams &p, std::vector<int32_t> &ids) {
    PHOTON_RETURN_IF_ERROR(ensure(idsDev, size_t(std::max<int64_t>(n, 1)) * 4));
    PHOTON_RETURN_IF_ERROR(ensure(uniformsDev, size_t(std::max<int64_t>(n, 1)) * 4));
    PHOTON_RETURN_IF_ERROR(be.copyToDevice(uniformsDev.get(), uniforms.data(), size_t(n) * 4));
    MemRef1D lm = memref(logits, n * V), um = memref(uniformsDev.get(), n),
             im = memref(idsDev.get(), n);
    k.sample(&lm, n, &um, float(p.temperature), int64_t(p.top_k), float(p.top_p), &im);
    ids.resize(size_t(n));
    return be.copyToHost(ids.data(), idsDev.get(), size_t(n) * 4);
  }

  void *start(int64_t l) { return row(startLatents, l); }

  /// spec/reference `_carries_local`: the last X̂^l item (l < L) of a
  /// meta-context depends on no carry of the previous meta-context.
  bool carriesLocal() const {
    const std::vector<int64_t> &cs = c.chunkSizes;
    for (int64_t m = 1; m < L; ++m) {
      int64_t j = 1;
      for (int64_t i = m; i < L; ++i)
        j *= cs[size_t(i)];
      for (int64_t l = m; l < L - 1; ++l) {
        j = ceilDiv(j, cs[size_t(l)]) - 1;
        if (j < 1)
          return false;
      }
    }
    return true;
  }

  Expected<GenerationResult> generate(const std::vector<std::vector<int32_t>> &prompts,
                                      const GenerationOptions &opt,
                                      const TokenCallback &onToken);
};

//===----------------------------------------------------------------------===//
// One generate() call
//===----------------------------------------------------------------------===//

namespace {

struct Seq {
  std::vector<int32_t> toks; // prompt + generated, Ntot entries
  std::vector<char> known;
  int64_t P = 0, Ntot = 0;
  int64_t gp = 0;      // complete prompt meta-contexts
  int64_t curG = 0;    // the meta-context being decoded (1-based)
  int64_t lastG = 0;   // the last meta-context with a generated token
  int64_t emitted = 0; // generated tokens passed to the callback
  int64_t topCount = 0;
  std::vector<int64_t> encLen; // items in Enc_l's cache, by level
};

class Run {
public:
  Run(Generator::Impl &g, const GenerationOptions &opt, const TokenCallback &onToken)
      : g(g), c(g.c), opt(opt), onToken(onToken), D(g.D), V(g.V), L(g.L), B(g.B) {}

  Expected<GenerationResult> run(const std::vector<std::vector<int32_t>> &prompts);

private:
  Generator::Impl &g;
  const ModelConfig &c;
  const GenerationOptions &opt;
  const TokenCallback &onToken;
  const int64_t D, V, L, B;

  int64_t N = 0;
  std::vector<Seq> seqs;
  std::vector<Sampler> samplers;
  GenerationResult result;

  // Hierarchical state.
  std::vector<KvCache> enc, dec; // by level
  DeviceBuffer promptTop;        // prefill only: [N][topCap][D], X^L of the prompt's meta-contexts
  int64_t topCap = 0;
  DeviceBuffer topLast;          // [N][D]: the newest X^L item of each sequence
  DeviceBuffer carries;          // [L][N][D]: row (l, s) = last X̂^l of the previous meta-context
  std::vector<DeviceBuffer> items; // by level l < L: [N][B/span(l)][D]
  DeviceBuffer condBuf, preBuf, stepBuf, tokConds, hBuf, lgIn, logitsBuf;
  DeviceBuffer encA, encB;
  std::vector<float> hostLogits;
  std::vector<int32_t> chosen;

  int64_t perLevel(int64_t l) const { return B / c.span(l); }
  void *topRow(int64_t s, int64_t i) { return g.row(promptTop, s * topCap + i); }
  void *carry(int64_t l, int64_t s) { return g.row(carries, (l - 1) * N + s); }
  /// X^L_{gIdx-1} of sequence s from the prompt's items (prefill), or s^L.
  void *promptCond(int64_t s, int64_t gIdx) { return gIdx >= 2 ? topRow(s, gIdx - 2) : g.start(L); }
  /// X^L_{curG-1} of sequence s while decoding (the newest item), or s^L.
  void *decodeCond(int64_t s) {
    return seqs[size_t(s)].curG >= 2 ? g.row(topLast, s) : g.start(L);
  }

  Status checkInputs(const std::vector<std::vector<int32_t>> &prompts);
  Status chooseTokens(int64_t m, const std::vector<int64_t> &rowSeq,
                      const std::vector<int64_t> &rowPos);
  void emitReady(int64_t s);

  Status runVanilla();
  Status runHierarchical();
  Status encodeTokens(const std::vector<std::array<int64_t, 3>> &spans, bool keepAll);
  Status rollout(int64_t l, int64_t n, void *out);
  Status decodeLatents(const std::vector<int64_t> &A, const std::vector<void *> &conds);
  Status tokenPhase(const std::vector<int64_t> &A);
  Status recgenStep(const std::vector<std::pair<int64_t, int64_t>> &advance);
};

Status Run::checkInputs(const std::vector<std::vector<int32_t>> &prompts) {
  if (prompts.empty())
    return Status::error("no prompt given");
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::string which = prompts.size() > 1 ? "prompt " + std::to_string(i) : "the prompt";
    if (prompts[i].empty())
      return Status::error(which + " is empty (need at least one token)");
    for (size_t j = 0; j < prompts[i].size(); ++j) {
      int32_t t = prompts[i][j];
      if (t < 0 || t >= V)
        return Status::error(which + ": token " + std::to_string(j) + " = " +
                             std::to_string(t) + " is outside the vocabulary [0, " +
                             std::to_string(V) + ")");
    }
  }
  if (opt.maxNewTokens < 0)
    return Status::error("max new tokens must be >= 0, got " + std::to_string(opt.maxNewTokens));
  for (const auto &p : prompts)
    if (int64_t(p.size()) + opt.maxNewTokens > (int64_t(1) << 30))
      return Status::error("prompt length + max new tokens is too large (limit 2^30)");
  if (opt.mode == GenMode::RecGen && L < 2)
    return Status::error(std::string("recgen needs a photon model with >= 2 levels; this ") +
                         toString(c.kind) + " model has " + std::to_string(L) +
                         " (use hiergen)");
  return opt.sampling.validate();
}

void Run::emitReady(int64_t s) {
  Seq &q = seqs[size_t(s)];
  while (q.emitted < opt.maxNewTokens && q.known[size_t(q.P + q.emitted)]) {
    int32_t t = q.toks[size_t(q.P + q.emitted)];
    if (onToken)
      onToken(size_t(s), q.emitted, t);
    ++q.emitted;
  }
}

/// Picks the tokens of `m` logit rows in logitsBuf; row i belongs to
/// sequence rowSeq[i] at position rowPos[i] (>= its P). Stores them.
Status Run::chooseTokens(int64_t m, const std::vector<int64_t> &rowSeq,
                         const std::vector<int64_t> &rowPos) {
  if (m == 0)
    return Status::success();
  // Tokens are chosen on the device (argmax or photon_sample); sequence s
  // draws its uniforms from its own seeded stream.
  if (opt.sampling.greedy()) {
    PHOTON_RETURN_IF_ERROR(g.argmax(logitsBuf.get(), m, chosen));
  } else {
    std::vector<float> uniforms(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i)
      uniforms[size_t(i)] = samplers[size_t(rowSeq[size_t(i)])].nextUniform();
    PHOTON_RETURN_IF_ERROR(g.sample(logitsBuf.get(), m, uniforms, opt.sampling, chosen));
  }
  if (opt.collectLogits) {
    hostLogits.resize(size_t(m * V));
    PHOTON_RETURN_IF_ERROR(g.be.copyToHost(hostLogits.data(), logitsBuf.get(),
                                           size_t(m * V) * F4));
  }
  chosen.resize(size_t(m));
  for (int64_t i = 0; i < m; ++i) {
    Seq &q = seqs[size_t(rowSeq[size_t(i)])];
    int64_t pos = rowPos[size_t(i)];
    const float *lg = hostLogits.empty() ? nullptr : hostLogits.data() + i * V;
    q.toks[size_t(pos)] = chosen[size_t(i)];
    q.known[size_t(pos)] = 1;
    if (opt.collectLogits)
      std::memcpy(result.logits[size_t(rowSeq[size_t(i)])].data() + (pos - q.P) * V, lg,
                  size_t(V) * F4);
  }
  return Status::success();
}

Expected<GenerationResult> Run::run(const std::vector<std::vector<int32_t>> &prompts) {
  PHOTON_RETURN_IF_ERROR(checkInputs(prompts));
  N = int64_t(prompts.size());
  seqs.resize(size_t(N));
  result.tokens.resize(size_t(N));
  if (opt.collectLogits)
    result.logits.resize(size_t(N));
  for (int64_t s = 0; s < N; ++s) {
    Seq &q = seqs[size_t(s)];
    q.P = int64_t(prompts[size_t(s)].size());
    q.Ntot = q.P + opt.maxNewTokens;
    q.toks.assign(size_t(q.Ntot), 0);
    q.known.assign(size_t(q.Ntot), 0);
    std::copy(prompts[size_t(s)].begin(), prompts[size_t(s)].end(), q.toks.begin());
    std::fill(q.known.begin(), q.known.begin() + q.P, 1);
    q.gp = q.P / B;
    q.curG = q.gp + 1;
    q.lastG = ceilDiv(q.Ntot, B);
    q.encLen.assign(size_t(L + 1), 0);
    result.promptTokens += q.P;
    if (opt.collectLogits)
      result.logits[size_t(s)].assign(size_t(opt.maxNewTokens * V), 0.f);
    SamplingParams sp = opt.sampling;
    sp.seed = opt.sampling.seed + uint64_t(s);
    Expected<Sampler> smp = Sampler::create(sp);
    if (!smp)
      return smp.takeStatus();
    samplers.push_back(std::move(*smp));
  }
  Status st = c.kind == ModelKind::Vanilla ? runVanilla() : runHierarchical();
  if (!st.ok())
    return st;
  for (int64_t s = 0; s < N; ++s) {
    Seq &q = seqs[size_t(s)];
    result.tokens[size_t(s)].assign(q.toks.begin() + q.P, q.toks.end());
    result.generatedTokens += opt.maxNewTokens;
  }
  result.memory.weightBytes = g.weights.bytes();
  result.memory.peakBytes = g.be.peakBytes();
  size_t perSeq = size_t(N) * (result.memory.kvBytesPerSequence +
                               result.memory.stateBytesPerSequence);
  size_t fixed = result.memory.weightBytes + perSeq;
  result.memory.workingBytes = result.memory.peakBytes > fixed ? result.memory.peakBytes - fixed : 0;
  return std::move(result);
}

//===----------------------------------------------------------------------===//
// Vanilla: one global KV cache, one token per step
//===----------------------------------------------------------------------===//

Status Run::runVanilla() {
  auto t0 = Clock::now();
  int64_t cap = 1, total = 0;
  for (const Seq &q : seqs) {
    cap = std::max(cap, q.Ntot);
    total += q.P;
  }
  KvCache cache;
  PHOTON_RETURN_IF_ERROR(g.allocCache(cache, N, c.layers, cap));
  result.memory.kvBytesPerSequence = cache.bytes() / size_t(N);
  PHOTON_RETURN_IF_ERROR(g.ensure(encA, size_t(total * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(hBuf, size_t(N * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(logitsBuf, size_t(N * V) * F4));
  result.memory.stateBytesPerSequence = 0;

  // Prefill: every prompt token of every sequence in one (split) stack call.
  std::vector<int32_t> ids, pos, sq;
  for (int64_t s = 0; s < N; ++s) {
    const Seq &q = seqs[size_t(s)];
    for (int64_t i = 0; i < q.P; ++i) {
      ids.push_back(q.toks[size_t(i)]);
      pos.push_back(int32_t(i));
      sq.push_back(int32_t(s));
    }
  }
  PHOTON_RETURN_IF_ERROR(g.embed(g.k.embedTok, ids, encA.get(), D));
  PHOTON_RETURN_IF_ERROR(g.runStack(g.k.model, encA.get(), total, pos.data(), sq.data(), cache));
  int64_t off = 0;
  for (int64_t s = 0; s < N; ++s) {
    off += seqs[size_t(s)].P;
    PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(hBuf, s), g.row(encA, off - 1)));
  }
  PHOTON_RETURN_IF_ERROR(g.be.synchronize());
  result.prefillSeconds = secondsSince(t0);

  // Decode: row i of the stack predicts token i+1.
  auto t1 = Clock::now();
  std::vector<int64_t> rowSeq(static_cast<size_t>(N)), rowPos(static_cast<size_t>(N));
  for (int64_t i = 0; i < opt.maxNewTokens; ++i) {
    g.lmHead(hBuf.get(), N, logitsBuf.get());
    for (int64_t s = 0; s < N; ++s) {
      rowSeq[size_t(s)] = s;
      rowPos[size_t(s)] = seqs[size_t(s)].P + i;
    }
    PHOTON_RETURN_IF_ERROR(chooseTokens(N, rowSeq, rowPos));
    for (int64_t s = 0; s < N; ++s)
      emitReady(s);
    if (i + 1 == opt.maxNewTokens)
      break;
    ids.assign(size_t(N), 0);
    pos.assign(size_t(N), 0);
    sq.assign(size_t(N), 0);
    for (int64_t s = 0; s < N; ++s) {
      const Seq &q = seqs[size_t(s)];
      ids[size_t(s)] = q.toks[size_t(q.P + i)];
      pos[size_t(s)] = int32_t(q.P + i);
      sq[size_t(s)] = int32_t(s);
    }
    PHOTON_RETURN_IF_ERROR(g.embed(g.k.embedTok, ids, hBuf.get(), D));
    PHOTON_RETURN_IF_ERROR(g.runStack(g.k.model, hBuf.get(), N, pos.data(), sq.data(), cache));
  }
  PHOTON_RETURN_IF_ERROR(g.be.synchronize());
  result.decodeSeconds = secondsSince(t1);
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Hierarchical models
//===----------------------------------------------------------------------===//

/// Encodes whole meta-contexts bottom-up. spans: (sequence, first token,
/// token count, a multiple of B). Advances Enc_1..Enc_L and appends the new
/// X^L item of each span to topLast (and, with keepAll, every one to
/// promptTop).
Status Run::encodeTokens(const std::vector<std::array<int64_t, 3>> &spans, bool keepAll) {
  int64_t T = 0;
  std::vector<int32_t> ids;
  for (const auto &sp : spans) {
    const Seq &q = seqs[size_t(sp[0])];
    for (int64_t i = sp[1]; i < sp[1] + sp[2]; ++i)
      ids.push_back(q.toks[size_t(i)]);
    T += sp[2];
  }
  if (T == 0)
    return Status::success();
  const int64_t C1 = c.chunkSizes[0];
  size_t bytes = size_t(std::max(T * c.dEmbed, (T / C1) * D)) * g.act;
  PHOTON_RETURN_IF_ERROR(g.ensure(encA, bytes));
  PHOTON_RETURN_IF_ERROR(g.ensure(encB, bytes));
  PHOTON_RETURN_IF_ERROR(g.embed(g.k.embedEnc, ids, encA.get(), c.dEmbed));
  DeviceBuffer *cur = &encA, *other = &encB;
  int64_t rows = T; // items of level l-1
  std::vector<int32_t> pos, sq;
  for (int64_t l = 1; l <= L; ++l) {
    int64_t C = c.chunkSizes[size_t(l - 1)];
    rows /= C;
    if (c.chunkerIsLinear(l)) {
      PHOTON_RETURN_IF_ERROR(g.chunk(l, cur->get(), rows, other->get()));
      std::swap(cur, other);
    } // concat: C1 embeddings of D0 are already one D-wide row
    pos.clear();
    sq.clear();
    for (const auto &sp : spans) {
      Seq &q = seqs[size_t(sp[0])];
      int64_t n = sp[2] / c.span(l);
      for (int64_t i = 0; i < n; ++i) {
        pos.push_back(int32_t(q.encLen[size_t(l)] + i));
        sq.push_back(int32_t(sp[0]));
      }
      q.encLen[size_t(l)] += n;
    }
    PHOTON_RETURN_IF_ERROR(g.runStack(g.k.encoder[size_t(l)], cur->get(), rows, pos.data(),
                                      sq.data(), enc[size_t(l)]));
  }
  int64_t r = 0;
  for (const auto &sp : spans) {
    Seq &q = seqs[size_t(sp[0])];
    int64_t n = sp[2] / B;
    if (keepAll) {
      if (q.topCount + n > topCap)
        return Status::error("internal error: top-level state overflow");
      PHOTON_RETURN_IF_ERROR(g.copyRows(topRow(sp[0], q.topCount), D, g.row(*cur, r), D, n));
    }
    PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(topLast, sp[0]), g.row(*cur, r + n - 1)));
    q.topCount += n;
    r += n;
  }
  return Status::success();
}

/// Dec_l rollouts of n independent instances conditioned on condBuf[0..n):
/// out[i][j] (j < C_l) = item j+1 of instance i's chunk.
Status Run::rollout(int64_t l, int64_t n, void *out) {
  const int64_t R = c.prefixLengths[size_t(l - 1)], C = c.chunkSizes[size_t(l - 1)];
  StackFn fn = g.k.decoder[size_t(l)];
  KvCache &cache = dec[size_t(l)];
  g.convert(l, condBuf.get(), n, preBuf.get()); // [n·R, D]
  std::vector<int32_t> pos(size_t(n * R)), sq(size_t(n * R));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < R; ++r) {
      pos[size_t(i * R + r)] = int32_t(r);
      sq[size_t(i * R + r)] = int32_t(i);
    }
  PHOTON_RETURN_IF_ERROR(g.runStack(fn, preBuf.get(), n * R, pos.data(), sq.data(), cache));
  PHOTON_RETURN_IF_ERROR(g.copyRows(out, C * D, g.row(preBuf, R - 1), R * D, n));
  pos.resize(size_t(n));
  sq.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i)
    sq[size_t(i)] = int32_t(i);
  for (int64_t j = 1; j < C; ++j) {
    PHOTON_RETURN_IF_ERROR(g.copyRows(stepBuf.get(), D, g.row(out, j - 1), C * D, n));
    std::fill(pos.begin(), pos.end(), int32_t(R + j - 1));
    PHOTON_RETURN_IF_ERROR(g.runStack(fn, stepBuf.get(), n, pos.data(), sq.data(), cache));
    PHOTON_RETURN_IF_ERROR(g.copyRows(g.row(out, j), C * D, stepBuf.get(), D, n));
  }
  return Status::success();
}

/// One meta-context of the sequences A (conds[i] = X^L_{g-1} of A[i], or
/// s^L) through Dec_L..Dec_2. Leaves items[l] ([|A|][B/span(l)][D]), the
/// token chunks' conditioning latents in tokConds ([|A|][B/C1][D]) and
/// updates the carries.
Status Run::decodeLatents(const std::vector<int64_t> &A, const std::vector<void *> &conds) {
  const int64_t n = int64_t(A.size());
  if (n == 0)
    return Status::success();
  if (L == 1) { // block: one token chunk per meta-context, conditioned on X^1_{g-1}
    for (int64_t i = 0; i < n; ++i)
      PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(tokConds, i), conds[size_t(i)]));
    return Status::success();
  }
  for (int64_t i = 0; i < n; ++i)
    PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(condBuf, i), conds[size_t(i)]));
  PHOTON_RETURN_IF_ERROR(rollout(L, n, items[size_t(L - 1)].get()));
  // Conditioning latents of level l-1 chunks: [carry_l, X̂^l items 1..per-1].
  auto gatherConds = [&](int64_t l, void *dst) -> Status {
    int64_t per = perLevel(l);
    for (int64_t i = 0; i < n; ++i) {
      PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(dst, i * per), carry(l, A[size_t(i)])));
      PHOTON_RETURN_IF_ERROR(g.copyRows(g.row(dst, i * per + 1), D,
                                        g.row(items[size_t(l)], i * per), D, per - 1));
    }
    return Status::success();
  };
  for (int64_t l = L - 1; l >= 2; --l) {
    PHOTON_RETURN_IF_ERROR(gatherConds(l, condBuf.get()));
    PHOTON_RETURN_IF_ERROR(rollout(l, n * perLevel(l), items[size_t(l - 1)].get()));
  }
  PHOTON_RETURN_IF_ERROR(gatherConds(1, tokConds.get()));
  for (int64_t l = 1; l < L; ++l) {
    int64_t per = perLevel(l);
    for (int64_t i = 0; i < n; ++i)
      PHOTON_RETURN_IF_ERROR(g.copyRow(carry(l, A[size_t(i)]),
                                       g.row(items[size_t(l)], i * per + per - 1)));
  }
  return Status::success();
}

/// The token chunks of the current meta-context of every sequence in A,
/// decoded in lockstep through Dec_1.
Status Run::tokenPhase(const std::vector<int64_t> &A) {
  const int64_t C1 = c.chunkSizes[0], R1 = c.prefixLengths[0], per1 = B / C1;
  struct Inst {
    int64_t s, s0, len, cond;
  };
  std::vector<Inst> inst;
  for (size_t i = 0; i < A.size(); ++i) {
    const Seq &q = seqs[size_t(A[i])];
    int64_t base = (q.curG - 1) * B;
    for (int64_t ci = 0; ci < per1; ++ci) {
      int64_t s0 = base + ci * C1, s1 = std::min(s0 + C1, q.Ntot);
      if (s1 <= q.P || s0 >= q.Ntot)
        continue; // wholly forced (affects nothing) or past the end
      inst.push_back({A[i], s0, s1 - s0, int64_t(i) * per1 + ci});
    }
  }
  const int64_t nI = int64_t(inst.size());
  if (nI == 0)
    return Status::success();
  for (int64_t q = 0; q < nI; ++q)
    PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(condBuf, q), g.row(tokConds, inst[size_t(q)].cond)));
  g.convert(1, condBuf.get(), nI, preBuf.get());
  std::vector<int32_t> pos(size_t(nI * R1)), sq(size_t(nI * R1)), ids;
  for (int64_t q = 0; q < nI; ++q)
    for (int64_t r = 0; r < R1; ++r) {
      pos[size_t(q * R1 + r)] = int32_t(r);
      sq[size_t(q * R1 + r)] = int32_t(q);
    }
  KvCache &cache = dec[1];
  PHOTON_RETURN_IF_ERROR(g.runStack(g.k.decoder[1], preBuf.get(), nI * R1, pos.data(),
                                    sq.data(), cache));
  PHOTON_RETURN_IF_ERROR(g.copyRows(hBuf.get(), D, g.row(preBuf, R1 - 1), R1 * D, nI));

  std::vector<int64_t> rowSeq, rowPos, rowInst;
  for (int64_t j = 0; j < C1; ++j) {
    // hBuf[q] is Dec_1's output for token j of chunk q (alive while j < len).
    rowSeq.clear();
    rowPos.clear();
    rowInst.clear();
    for (int64_t q = 0; q < nI; ++q) {
      const Inst &in = inst[size_t(q)];
      if (j < in.len && in.s0 + j >= seqs[size_t(in.s)].P) {
        rowSeq.push_back(in.s);
        rowPos.push_back(in.s0 + j);
        rowInst.push_back(q);
      }
    }
    int64_t m = int64_t(rowInst.size());
    if (m > 0) {
      void *in = hBuf.get();
      if (m != nI) { // compact the rows that need logits
        for (int64_t r = 0; r < m; ++r)
          PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(lgIn, r), g.row(hBuf, rowInst[size_t(r)])));
        in = lgIn.get();
      }
      g.lmHead(in, m, logitsBuf.get());
      PHOTON_RETURN_IF_ERROR(chooseTokens(m, rowSeq, rowPos));
    }
    for (int64_t s : A)
      emitReady(s);
    if (j + 1 >= C1)
      break;
    // Feed token j (forced or chosen) of every chunk that has a token j+1.
    std::vector<int64_t> next;
    for (int64_t q = 0; q < nI; ++q)
      if (j + 1 < inst[size_t(q)].len)
        next.push_back(q);
    if (next.empty())
      break;
    int64_t mn = int64_t(next.size());
    ids.resize(size_t(mn));
    pos.assign(size_t(mn), int32_t(R1 + j));
    sq.resize(size_t(mn));
    for (int64_t r = 0; r < mn; ++r) {
      const Inst &in = inst[size_t(next[size_t(r)])];
      ids[size_t(r)] = seqs[size_t(in.s)].toks[size_t(in.s0 + j)];
      sq[size_t(r)] = int32_t(next[size_t(r)]);
    }
    void *x = mn == nI ? hBuf.get() : stepBuf.get();
    PHOTON_RETURN_IF_ERROR(g.embed(g.k.embedDec, ids, x, D));
    PHOTON_RETURN_IF_ERROR(g.runStack(g.k.decoder[1], x, mn, pos.data(), sq.data(), cache));
    if (mn != nI)
      for (int64_t r = 0; r < mn; ++r)
        PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(hBuf, next[size_t(r)]), g.row(stepBuf, r)));
  }
  return Status::success();
}

/// RecGen: X^L_g = Enc_L-step(Chunk_L(X̂^{L-1} items of meta-context g)).
/// advance: (index in the round's active list, i.e. into items; sequence).
Status Run::recgenStep(const std::vector<std::pair<int64_t, int64_t>> &advance) {
  int64_t m = int64_t(advance.size());
  if (m == 0)
    return Status::success();
  const int64_t CL = c.chunkSizes[size_t(L - 1)];
  PHOTON_RETURN_IF_ERROR(g.ensure(encA, size_t(m * CL * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(encB, size_t(m * D) * g.act));
  for (int64_t r = 0; r < m; ++r)
    PHOTON_RETURN_IF_ERROR(g.be.copyOnDevice(g.row(encA, r * CL),
                                             g.row(items[size_t(L - 1)], advance[size_t(r)].first * CL),
                                             size_t(CL * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.chunk(L, encA.get(), m, encB.get()));
  std::vector<int32_t> pos(static_cast<size_t>(m)), sq(static_cast<size_t>(m));
  for (int64_t r = 0; r < m; ++r) {
    Seq &q = seqs[size_t(advance[size_t(r)].second)];
    pos[size_t(r)] = int32_t(q.encLen[size_t(L)]);
    sq[size_t(r)] = int32_t(advance[size_t(r)].second);
  }
  PHOTON_RETURN_IF_ERROR(g.runStack(g.k.encoder[size_t(L)], encB.get(), m, pos.data(), sq.data(),
                                    enc[size_t(L)]));
  for (int64_t r = 0; r < m; ++r) {
    int64_t s = advance[size_t(r)].second;
    Seq &q = seqs[size_t(s)];
    PHOTON_RETURN_IF_ERROR(g.copyRow(g.row(topLast, s), g.row(encB, r)));
    ++q.topCount;
    ++q.encLen[size_t(L)];
  }
  return Status::success();
}

Status Run::runHierarchical() {
  auto t0 = Clock::now();
  const bool recgen = opt.mode == GenMode::RecGen;

  // Meta-contexts whose X^L is ever computed (so the encoder caches' item
  // counts): the prompt's, and every decoded one that has a successor.
  int64_t maxTop = 1, maxPromptMc = 0;
  for (const Seq &q : seqs) {
    maxTop = std::max({maxTop, q.gp, q.lastG - 1});
    maxPromptMc = std::max(maxPromptMc, q.gp);
  }
  topCap = std::max<int64_t>(maxPromptMc, 1);
  enc.resize(size_t(L + 1));
  dec.resize(size_t(L + 1));
  size_t kvPerSeq = 0;
  for (int64_t l = 1; l <= L; ++l) {
    int64_t mcs = (recgen && l < L) ? maxPromptMc : maxTop;
    PHOTON_RETURN_IF_ERROR(g.allocCache(enc[size_t(l)], N, c.encoderLayers[size_t(l - 1)],
                                        mcs * perLevel(l)));
    kvPerSeq += enc[size_t(l)].bytes() / size_t(N);
  }
  result.memory.kvBytesPerSequence = kvPerSeq;
  for (int64_t l = 1; l <= L; ++l)
    PHOTON_RETURN_IF_ERROR(g.allocCache(dec[size_t(l)], N * perLevel(l),
                                        c.decoderLayers[size_t(l - 1)],
                                        c.prefixLengths[size_t(l - 1)] +
                                            c.chunkSizes[size_t(l - 1)] - 1));
  PHOTON_RETURN_IF_ERROR(g.alloc(promptTop, size_t(N * topCap * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.alloc(topLast, size_t(N * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.alloc(carries, size_t(std::max<int64_t>(L - 1, 1) * N * D) * g.act));
  result.memory.stateBytesPerSequence = (topLast.bytes() + carries.bytes()) / size_t(N);
  items.resize(size_t(L));
  for (int64_t l = 1; l < L; ++l)
    PHOTON_RETURN_IF_ERROR(g.ensure(items[size_t(l)], size_t(N * perLevel(l) * D) * g.act));
  const int64_t maxInst = N * perLevel(1); // level 1 has the most chunk instances
  int64_t maxPre = 0;
  for (int64_t l = 1; l <= L; ++l)
    maxPre = std::max(maxPre, N * perLevel(l) * c.prefixLengths[size_t(l - 1)]);
  PHOTON_RETURN_IF_ERROR(g.ensure(condBuf, size_t(maxInst * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(preBuf, size_t(maxPre * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(stepBuf, size_t(maxInst * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(tokConds, size_t(maxInst * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(hBuf, size_t(maxInst * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(lgIn, size_t(maxInst * D) * g.act));
  PHOTON_RETURN_IF_ERROR(g.ensure(logitsBuf, size_t(maxInst * V) * F4));

  // ---- Prefill: encoder caches over the complete prompt meta-contexts.
  std::vector<std::array<int64_t, 3>> spans;
  for (int64_t s = 0; s < N; ++s)
    if (seqs[size_t(s)].gp > 0)
      spans.push_back({s, 0, seqs[size_t(s)].gp * B});
  PHOTON_RETURN_IF_ERROR(encodeTokens(spans, /*keepAll=*/true));
  // Carries for meta-context gp+1: the last X̂^l items of meta-context gp.
  for (int64_t l = 1; l < L; ++l)
    for (int64_t s = 0; s < N; ++s)
      PHOTON_RETURN_IF_ERROR(g.copyRow(carry(l, s), g.start(l)));
  if (L >= 2) {
    // Normally the carries depend only on X^L_{gp-1}, so decoding meta-context
    // gp alone suffices (spec §4); with a chunk size of 1 they can read the
    // carries of gp-1, and then the whole chain is replayed.
    bool local = g.carriesLocal();
    for (int64_t mc = local ? maxPromptMc : 1; mc <= maxPromptMc; ++mc) {
      std::vector<int64_t> A;
      std::vector<void *> conds;
      for (int64_t s = 0; s < N; ++s) {
        const Seq &q = seqs[size_t(s)];
        int64_t gIdx = local ? q.gp : mc;
        if (q.gp < 1 || (!local && q.gp < mc))
          continue;
        A.push_back(s);
        conds.push_back(promptCond(s, gIdx));
      }
      PHOTON_RETURN_IF_ERROR(decodeLatents(A, conds));
    }
  }
  promptTop.reset(); // decoding reads only the newest X^L item (topLast)
  if (recgen) // only Enc_L's cache survives prefill
    for (int64_t l = 1; l < L; ++l)
      enc[size_t(l)] = KvCache();
  PHOTON_RETURN_IF_ERROR(g.be.synchronize());
  result.prefillSeconds = secondsSince(t0);

  // ---- Decode, one meta-context per sequence and round.
  auto t1 = Clock::now();
  if (opt.maxNewTokens > 0) {
    while (true) {
      std::vector<int64_t> A;
      std::vector<void *> conds;
      for (int64_t s = 0; s < N; ++s) {
        const Seq &q = seqs[size_t(s)];
        if (q.curG <= q.lastG) {
          A.push_back(s);
          conds.push_back(decodeCond(s));
        }
      }
      if (A.empty())
        break;
      PHOTON_RETURN_IF_ERROR(decodeLatents(A, conds));
      PHOTON_RETURN_IF_ERROR(tokenPhase(A));
      // Advance the top level for sequences with a next meta-context.
      spans.clear();
      std::vector<std::pair<int64_t, int64_t>> rec;
      for (size_t i = 0; i < A.size(); ++i) {
        const Seq &q = seqs[size_t(A[i])];
        if (q.curG * B >= q.Ntot)
          continue;
        if (recgen) {
          rec.push_back({int64_t(i), A[i]});
        } else {
          spans.push_back({A[i], (q.curG - 1) * B, B});
        }
      }
      if (recgen)
        PHOTON_RETURN_IF_ERROR(recgenStep(rec));
      else
        PHOTON_RETURN_IF_ERROR(encodeTokens(spans, /*keepAll=*/false));
      for (int64_t s : A)
        ++seqs[size_t(s)].curG;
    }
  }
  PHOTON_RETURN_IF_ERROR(g.be.synchronize());
  result.decodeSeconds = secondsSince(t1);
  return Status::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Generator
//===----------------------------------------------------------------------===//

Expected<GenerationResult>
Generator::Impl::generate(const std::vector<std::vector<int32_t>> &prompts,
                          const GenerationOptions &opt, const TokenCallback &onToken) {
  Run run(*this, opt, onToken);
  return run.run(prompts);
}

Generator::Generator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Generator::~Generator() = default;

Expected<std::unique_ptr<Generator>>
Generator::create(const Artifact &artifact, Backend &backend, const WeightArena &weights) {
  const Manifest &m = artifact.manifest();
  if (weights.dtype() != m.dtype || weights.elements() != m.elements)
    return Status::error("internal error: the weight arena does not match the manifest");
  auto impl = std::make_unique<Impl>(artifact, backend);
  PHOTON_RETURN_IF_ERROR(impl->alloc(impl->weights, weights.bytes()));
  impl->elements = weights.elements();
  PHOTON_RETURN_IF_ERROR(backend.copyToDevice(impl->weights.get(), weights.data(), weights.bytes()));
  const ModelConfig &c = artifact.config();
  int64_t L = c.numLevels(), D = c.dModel;
  std::vector<float> start(size_t((L + 1) * D), 0.f);
  for (int64_t l = 1; l <= L; ++l) {
    const ArtifactTensor *t = m.find("start_latent." + std::to_string(l));
    if (!t)
      return Status::error("internal error: no start_latent." + std::to_string(l));
    weights.load(t->offset, start.data() + l * D, D);
  }
  // Start latents are activations: stored in the activation type.
  std::vector<uint16_t> startBF16;
  const void *startData = start.data();
  if (artifact.manifest().activationType == DType::BF16) {
    for (float f : start)
      startBF16.push_back(f32ToBF16(f));
    startData = startBF16.data();
  }
  PHOTON_RETURN_IF_ERROR(impl->alloc(impl->startLatents, start.size() * impl->act));
  PHOTON_RETURN_IF_ERROR(
      backend.copyToDevice(impl->startLatents.get(), startData, start.size() * impl->act));
  return std::unique_ptr<Generator>(new Generator(std::move(impl)));
}

Expected<GenerationResult>
Generator::generate(const std::vector<std::vector<int32_t>> &prompts,
                    const GenerationOptions &options, const TokenCallback &onToken) {
  return impl_->generate(prompts, options, onToken);
}

} // namespace photon::rt
