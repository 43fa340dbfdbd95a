//===- ScheduleReport.cpp - Predicted traffic, flops and time of programs --===//
//
// photon-schedule-report: for each generation program of a planned model,
// the kernel calls of its compiled prefill and decode step, each with the
// bytes it must move and the flops it must do, and the time a target with a
// given bandwidth, matrix rate and launch overhead needs for them:
//
//   call time  = max(bytes / bandwidth, flops / rate)
//   step time  = sum of call times + launches x launch overhead
//
// The calls are modelled as convert-photon-programs-to-host schedules them
// (ProgramToHost.cpp). The launches are not modelled: they are counted in a
// copy of the model lowered for the GPU, and the calls counted there check
// the model (a mismatch is reported). docs/scheduling.md has the formulas.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "dialect/kernel/KernelOps.h"
#include "lowering/KernelBuilder.h"
#include "lowering/Passes.h"
#include "lowering/Streams.h"
#include "passes/Passes.h"
#include "passes/StatePlanning.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include "model/ArtifactSchema.h" // nlohmann::json

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONSCHEDULEREPORT
#include "passes/Passes.h.inc"
} // namespace mlir::photon

namespace mlir::photon {
namespace {

using ::photon::ModelConfig;

/// What a target does per second.
struct Target {
  double bytesPerS, flopsPerS, launchS;
  double streamOverlap = 1; // of the shorter stream's time, what the longer hides
};

/// The work of one kernel (or of all calls of one kernel).
struct Cost {
  int64_t calls = 0, rows = 0, launches = 0;
  double weightBytes = 0, kvRead = 0, kvWrite = 0, otherBytes = 0, flops = 0;
  double globalKvRead = 0; // of kvRead: the caches that grow with the context
                           // (encoders; vanilla: its stack)
  double seconds = 0;      // sum over calls of max(bytes/bw, flops/rate)

  double bytes() const { return weightBytes + kvRead + kvWrite + otherBytes; }
  void add(const Cost &o) {
    calls += o.calls;
    rows += o.rows;
    launches += o.launches;
    weightBytes += o.weightBytes;
    kvRead += o.kvRead;
    kvWrite += o.kvWrite;
    otherBytes += o.otherBytes;
    flops += o.flops;
    globalKvRead += o.globalKvRead;
    seconds += o.seconds;
  }
};

/// Costs by kernel name, in the order kernels are first called.
struct KernelCosts {
  std::vector<std::pair<std::string, Cost>> entries;
  llvm::StringMap<size_t> index;

  Cost &operator[](StringRef name) {
    auto [it, inserted] = index.try_emplace(name, entries.size());
    if (inserted)
      entries.emplace_back(name.str(), Cost());
    return entries[it->second].second;
  }
  const Cost *find(StringRef name) const {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &entries[it->second].second;
  }
};

/// The kernel that moves data between the others (row copies, stack row
/// indices, token commits): convert-photon-programs-to-host' own launches.
constexpr const char *kDataMovement = "(data movement)";
constexpr const char *kDataMovementAttr = "photon.data_movement";

//===----------------------------------------------------------------------===//
// The calls of a program, modelled
//===----------------------------------------------------------------------===//

/// Walks the kernel calls of a program's prefill or step in the order
/// convert-photon-programs-to-host emits them, accumulating each call's cost by kernel.
class CallModel {
public:
  /// `lmHeadNorm`: the LM head, not its stack, reads that stack's final norm.
  CallModel(const ModelConfig &c, ProgramOp program, int64_t weightBytes, int64_t actBytes,
            const Target &target, bool lmHeadNorm)
      : c(c), plan(*program.getStatePlan()),
        recgen(program.getMode() == GenerationMode::recgen),
        lockstep(program.decodesChunksInLockstep()), lookahead(program.runsLatentsAhead()),
        lmHeadNorm(lmHeadNorm), w(weightBytes), act(actBytes), target(target) {
    D = c.dModel;
    L = c.numLevels();
    B = c.metaContext();
    kvItem = 2 * c.nKvHeads * c.headDim() * act; // K and V of one item, one layer
  }

  /// One step: one meta-context (vanilla: one token) of `batch` sequences
  /// whose caches hold `context` tokens (the window starts there).
  void step(int64_t batch, int64_t context) {
    for (int64_t t0 = 0; t0 < batch; t0 += plan.getDecodeTile()) {
      int64_t n = std::min(plan.getDecodeTile(), batch - t0);
      if (L == 0) {
        chooseTokens(n);
        // The token's commit gathers its embedding: a data-movement launch,
        // no call of its own.
        Cost gather = embedCost(n, D);
        gather.rows = 0;
        record(kDataMovement, gather, /*calls=*/0);
        stack("model", c.layers, n, /*perSlot=*/1, /*p0=*/context, /*global=*/true);
        continue;
      }
      if (lookahead) { // the next meta-context's latents, then this one's tokens
        latentChain(n, context / B + 1);
        tokenPhase(n);
        continue;
      }
      if (L >= 2)
        decodeLatents(n);
      tokenPhase(n);
      if (recgen) {
        encodeTop(n, context / B);
      } else {
        embed("photon_embed_enc", n * B, c.dEmbed);
        encodeLevels(n * B, B, [&](int64_t l) { return context / c.span(l); });
      }
    }
  }

  /// One prefill call of `count` prompts of `P` tokens.
  void prefill(int64_t count, int64_t P) {
    if (L == 0) {
      embed("photon_embed_tok", count * P, D);
      stack("model", c.layers, count * P, P, 0, true);
      return;
    }
    int64_t gp = P / B; // complete prompt meta-contexts
    if (gp == 0)
      return;
    int64_t len = gp * B;
    embed("photon_embed_enc", count * len, c.dEmbed);
    encodeLevels(count * len, len, [](int64_t) { return int64_t(0); });
    if (L < 2)
      return;
    int64_t first = c.decoderCarriesAreLocal() ? gp : 1;
    for (int64_t mc = first; mc <= gp; ++mc)
      decodeLatents(count);
  }
  /// The prefill call that completes a batch of prompts of P tokens: running
  /// ahead, it decodes the first step's latents of every sequence.
  void lastPrefill(int64_t batch, int64_t P) {
    if (!lookahead)
      return;
    for (int64_t t0 = 0; t0 < batch; t0 += plan.getDecodeTile())
      latentChain(std::min(plan.getDecodeTile(), batch - t0), P / B);
  }

  const KernelCosts &byKernel() const { return kernels; }

private:
  int64_t per(int64_t l) const { return B / c.span(l); }
  static std::string encoder(int64_t l) { return "encoder." + std::to_string(l); }
  static std::string decoder(int64_t l) { return "decoder." + std::to_string(l); }

  void record(StringRef kernel, Cost cost, int64_t calls = 1) {
    cost.calls = calls;
    cost.seconds = std::max(cost.bytes() / target.bytesPerS, cost.flops / target.flopsPerS);
    kernels[kernel].add(cost);
  }

  /// Weights of one layer (attention, SwiGLU, two norms), in elements.
  int64_t layerParams() const {
    int64_t kv = c.nKvHeads * c.headDim();
    return 2 * D * D + 2 * kv * D + 3 * D * c.ffnDim + 2 * D;
  }

  /// Stack `name` over `rows` rows, max_rows per call; row r sits at
  /// position p0 + r % perSlot and attends to that many positions + 1.
  void stack(const std::string &name, int64_t layers, int64_t rows, int64_t perSlot,
             int64_t p0, bool global) {
    const int64_t H = c.nHeads, hd = c.headDim(), F = c.ffnDim;
    const int64_t kv = c.nKvHeads * hd;
    const int64_t matmulFlops = 2 * (2 * D * D + 2 * kv * D + 3 * D * F);
    for (int64_t r0 = 0; r0 < rows; r0 += plan.getMaxRows()) {
      int64_t n = std::min(plan.getMaxRows(), rows - r0);
      double attended = 0; // sum over rows of the positions attended
      for (int64_t r = r0; r < r0 + n; ++r)
        attended += double(p0 + r % perSlot + 1);
      Cost cost;
      cost.rows = n;
      const bool norms = !lmHeadNorm || name != lmHeadStack(L);
      cost.weightBytes = double(layers * layerParams() + (norms ? D : 0)) * w;
      cost.kvRead = double(layers) * attended * kvItem;
      if (global)
        cost.globalKvRead = cost.kvRead;
      cost.kvWrite = double(layers * n) * kvItem;
      // The residual row in and out, and per layer the f32 scratch rows
      // (h, q, k, v, attention out, gate, up: written once, read once) and
      // the scores (written, read by the statistics and the output).
      cost.otherBytes = double(n) * 2 * D * act +
                        double(layers) * (double(n) * 8 * (3 * D + 2 * kv + 2 * F) +
                                          attended * H * 4 * 3);
      cost.flops = double(layers) * (double(n) * matmulFlops + attended * 4 * H * hd);
      record(stackKernelName(name), cost);
    }
  }

  /// A projection kernel of `params` weights over n rows of `in` -> `out` widths.
  void projection(StringRef kernel, int64_t n, int64_t params, int64_t in, int64_t outBytes) {
    Cost cost;
    cost.rows = n;
    cost.weightBytes = double(params) * w;
    cost.otherBytes = double(n) * (in * act + outBytes);
    cost.flops = 2.0 * double(n) * double(params);
    record(kernel, cost);
  }

  void converter(int64_t l, int64_t n) {
    int64_t R = c.prefixLengths[l - 1];
    projection("photon_converter_" + std::to_string(l), n, R * D * D + R * D, D, R * D * act);
  }
  void chunk(int64_t l, int64_t rows) {
    if (!c.chunkerIsLinear(l))
      return; // concat: C1 consecutive embeddings already are one row
    int64_t in = c.chunkSizes[l - 1] * c.chunkerInputWidth(l);
    for (int64_t r0 = 0; r0 < rows; r0 += plan.getMaxRows())
      projection("photon_chunk_" + std::to_string(l), std::min(plan.getMaxRows(), rows - r0),
                 D * in + in + D, in, D * act);
  }
  void embed(StringRef kernel, int64_t n, int64_t width) { record(kernel, embedCost(n, width)); }
  Cost embedCost(int64_t n, int64_t width) const {
    Cost cost;
    cost.rows = n;
    cost.weightBytes = double(n) * width * w; // the table rows gathered
    cost.otherBytes = double(n) * (4 + width * act);
    return cost;
  }
  /// The LM head and a greedy choice (argmax) over n rows.
  void chooseTokens(int64_t n) {
    projection("photon_lm_head", n, c.vocabSize * D + (lmHeadNorm ? D : 0), D, c.vocabSize * 4);
    Cost argmax;
    argmax.rows = n;
    argmax.otherBytes = double(n) * (c.vocabSize * 4 + 4);
    record("photon_argmax", argmax);
  }

  /// Dec_l over m chunk instances: the prefix, then C-1 rollout steps.
  void rollout(int64_t l, int64_t m) {
    int64_t R = c.prefixLengths[l - 1], C = c.chunkSizes[l - 1], M = c.decoderLayers[l - 1];
    converter(l, m);
    stack(decoder(l), M, m * R, R, 0, false);
    for (int64_t j = 1; j < C; ++j)
      stack(decoder(l), M, m, 1, R + j - 1, false);
  }
  void decodeLatents(int64_t n) {
    rollout(L, n);
    for (int64_t l = L - 1; l >= 2; --l)
      rollout(l, n * per(l));
  }
  /// RecGen: X^L of a meta-context from its decoded items, Enc_L at `position`.
  void encodeTop(int64_t n, int64_t position) {
    chunk(L, n);
    stack(encoder(L), c.encoderLayers[L - 1], n, 1, position, true);
  }
  void latentChain(int64_t n, int64_t position) {
    decodeLatents(n);
    encodeTop(n, position);
  }
  /// The token chunks of a meta-context through Dec_1: in lockstep, or one
  /// after another.
  void tokenPhase(int64_t n) {
    int64_t perCall = lockstep ? per(1) : 1, nI = n * perCall;
    int64_t R = c.prefixLengths[0], C = c.chunkSizes[0];
    for (int64_t chunk0 = 0; chunk0 < per(1); chunk0 += perCall) {
      converter(1, nI);
      stack(decoder(1), c.decoderLayers[0], nI * R, R, 0, false);
      for (int64_t j = 0; j < C; ++j) {
        chooseTokens(nI);
        if (j + 1 == C)
          break;
        embed("photon_embed_dec", nI, D);
        stack(decoder(1), c.decoderLayers[0], nI, 1, R + j, false);
      }
    }
  }
  /// Enc_1..Enc_L over `rows0` token rows, `perSlot0` per sequence; the
  /// level-l rows of a sequence start at position p0(l).
  void encodeLevels(int64_t rows0, int64_t perSlot0, function_ref<int64_t(int64_t)> p0) {
    int64_t rows = rows0, perSlot = perSlot0;
    for (int64_t l = 1; l <= L; ++l) {
      rows /= c.chunkSizes[l - 1];
      perSlot /= c.chunkSizes[l - 1];
      chunk(l, rows);
      stack(encoder(l), c.encoderLayers[l - 1], rows, perSlot, p0(l), true);
    }
  }

  const ModelConfig &c;
  StatePlanAttr plan;
  bool recgen, lockstep, lookahead, lmHeadNorm;
  int64_t w, act; // bytes per weight, per activation element
  Target target;
  int64_t D = 0, L = 0, B = 0, kvItem = 0;
  KernelCosts kernels;
};

//===----------------------------------------------------------------------===//
// The launches of a lowered entry point, counted
//===----------------------------------------------------------------------===//

/// Counts the gpu.launch ops one call of a lowered entry point executes, by
/// walking it with its integer arguments known: index arithmetic is folded,
/// scf.for runs its iterations, scf.if takes the known branch (or, when the
/// condition is only known at run time, e.g. an alignment check, the branch
/// with more launches), and func.call descends into the callee. Launches
/// and calls are attributed to the kernel function the entry point calls;
/// the entry point's own launches to kDataMovement. Those made while a
/// stream other than 0 is in use (photon_use_stream) are counted again in
/// `side`.
class LaunchCounter {
public:
  explicit LaunchCounter(ModuleOp module) : module(module) {}

  /// Walks `entry` with `known` integer arguments (by index) and `zeroDims`
  /// (memref arguments of size 0). Fails with a diagnostic on a loop whose
  /// bounds it cannot know.
  LogicalResult count(StringRef entry, ArrayRef<std::pair<unsigned, int64_t>> known,
                      ArrayRef<unsigned> zeroDims, ArrayRef<std::pair<unsigned, double>> floats,
                      llvm::StringMap<Cost> &out, llvm::StringMap<Cost> *sideOut = nullptr) {
    auto fn = module.lookupSymbol<func::FuncOp>(entry);
    if (!fn)
      return module.emitError("photon-schedule-report: the lowered module has no '")
             << entry << "'";
    Block &body = fn.getBody().front();
    for (auto [i, v] : known)
      ints[body.getArgument(i)] = v;
    for (unsigned i : zeroDims)
      emptyMemrefs.insert(body.getArgument(i));
    for (auto [i, v] : floats)
      reals[body.getArgument(i)] = v;
    result = &out;
    side = sideOut;
    if (failed(walk(body, "")))
      return failure();
    return success();
  }

private:
  std::optional<int64_t> get(Value v) const {
    auto it = ints.find(v);
    return it == ints.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }

  /// Folds an integer op whose operands are known.
  void fold(Operation *op) {
    // Buffers start aligned (the runtime's allocations, the planned
    // regions: kRegionAlignment), so the kernels' alignment tests on the
    // host see address 0 plus the element offsets they add.
    if (auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(op)) {
      ints[meta.getOffset()] = 0;
      return;
    }
    if (isa<memref::ExtractAlignedPointerAsIndexOp>(op)) {
      ints[op->getResult(0)] = 0;
      return;
    }
    if (op->getNumResults() != 1)
      return;
    Value res = op->getResult(0);
    if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      if (auto i = dyn_cast<IntegerAttr>(cst.getValue()))
        ints[res] = i.getValue().getSExtValue();
      else if (auto f = dyn_cast<FloatAttr>(cst.getValue()))
        reals[res] = f.getValueAsDouble();
      return;
    }
    if (auto dim = dyn_cast<memref::DimOp>(op)) {
      if (emptyMemrefs.contains(dim.getSource()))
        ints[res] = 0;
      return;
    }
    if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
      auto a = reals.find(cmp.getLhs()), b = reals.find(cmp.getRhs());
      if (a == reals.end() || b == reals.end())
        return;
      using P = arith::CmpFPredicate;
      double x = a->second, y = b->second;
      switch (cmp.getPredicate()) {
      case P::OEQ: case P::UEQ: ints[res] = x == y; break;
      case P::ONE: case P::UNE: ints[res] = x != y; break;
      case P::OGT: case P::UGT: ints[res] = x > y; break;
      case P::OGE: case P::UGE: ints[res] = x >= y; break;
      case P::OLT: case P::ULT: ints[res] = x < y; break;
      case P::OLE: case P::ULE: ints[res] = x <= y; break;
      default: break;
      }
      return;
    }
    SmallVector<int64_t, 3> v;
    for (Value operand : op->getOperands()) {
      std::optional<int64_t> x = get(operand);
      if (!x) {
        // false && unknown, true || unknown are still known.
        if (isa<arith::AndIOp>(op) && llvm::any_of(op->getOperands(), [&](Value o) {
              return get(o) == std::optional<int64_t>(0);
            }))
          ints[res] = 0;
        return;
      }
      v.push_back(*x);
    }
    auto u = [](int64_t x) { return uint64_t(x); };
    std::optional<int64_t> r;
    llvm::TypeSwitch<Operation *>(op)
        .Case([&](arith::AddIOp) { r = v[0] + v[1]; })
        .Case([&](arith::SubIOp) { r = v[0] - v[1]; })
        .Case([&](arith::MulIOp) { r = v[0] * v[1]; })
        .Case([&](arith::DivUIOp) { if (v[1]) r = int64_t(u(v[0]) / u(v[1])); })
        .Case([&](arith::DivSIOp) { if (v[1]) r = v[0] / v[1]; })
        .Case([&](arith::RemUIOp) { if (v[1]) r = int64_t(u(v[0]) % u(v[1])); })
        .Case([&](arith::RemSIOp) { if (v[1]) r = v[0] % v[1]; })
        .Case([&](arith::CeilDivUIOp) { if (v[1]) r = int64_t((u(v[0]) + u(v[1]) - 1) / u(v[1])); })
        .Case([&](arith::MinUIOp) { r = int64_t(std::min(u(v[0]), u(v[1]))); })
        .Case([&](arith::MaxUIOp) { r = int64_t(std::max(u(v[0]), u(v[1]))); })
        .Case([&](arith::MinSIOp) { r = std::min(v[0], v[1]); })
        .Case([&](arith::MaxSIOp) { r = std::max(v[0], v[1]); })
        .Case([&](arith::AndIOp) { r = v[0] & v[1]; })
        .Case([&](arith::OrIOp) { r = v[0] | v[1]; })
        .Case([&](arith::XOrIOp) { r = v[0] ^ v[1]; })
        .Case([&](arith::SelectOp) { r = v[0] ? v[1] : v[2]; })
        .Case<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtUIOp, arith::ExtSIOp,
              arith::TruncIOp>([&](Operation *) { r = v[0]; })
        .Case([&](arith::CmpIOp cmp) {
          using P = arith::CmpIPredicate;
          int64_t a = v[0], b = v[1];
          switch (cmp.getPredicate()) {
          case P::eq: r = a == b; break;
          case P::ne: r = a != b; break;
          case P::slt: r = a < b; break;
          case P::sle: r = a <= b; break;
          case P::sgt: r = a > b; break;
          case P::sge: r = a >= b; break;
          case P::ult: r = u(a) < u(b); break;
          case P::ule: r = u(a) <= u(b); break;
          case P::ugt: r = u(a) > u(b); break;
          case P::uge: r = u(a) >= u(b); break;
          }
        });
    if (r) {
      // i1 results are 0/1.
      if (res.getType().isInteger(1))
        *r &= 1;
      ints[res] = *r;
    }
  }

  void add(StringRef kernel, int64_t launches, int64_t calls) {
    for (llvm::StringMap<Cost> *m : {result, stream && side ? side : nullptr})
      if (m) {
        (*m)[kernel].launches += launches;
        (*m)[kernel].calls += calls;
      }
  }

  /// Launches of `block` (and what it calls), attributed to `kernel`.
  FailureOr<int64_t> walk(Block &block, StringRef kernel) {
    int64_t launches = 0;
    for (Operation &op : block) {
      if (isa<gpu::LaunchOp>(op)) {
        ++launches;
        add(kernel.empty() ? kDataMovement : kernel, 1, 0);
        continue;
      }
      if (auto call = dyn_cast<func::CallOp>(op)) {
        if (call.getCallee() == kUseStreamSymbol)
          stream = get(call.getOperand(0)).value_or(0);
        if (call.getCallee() == kJoinStreamsSymbol)
          stream = 0;
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee || callee.isExternal())
          continue;
        Block &body = callee.getBody().front();
        for (auto [arg, operand] : llvm::zip(body.getArguments(), call.getOperands())) {
          if (std::optional<int64_t> v = get(operand))
            ints[arg] = *v;
          else
            ints.erase(arg);
        }
        // A grouped call (photon-group-stack-calls) is a call of each
        // stack it runs; its launches are the pair's.
        if (auto pair = call->getAttrOfType<ArrayAttr>(kGroupedCallsAttr); pair && kernel.empty()) {
          std::string joined;
          for (auto [i, name] : llvm::enumerate(pair.getAsRange<FlatSymbolRefAttr>())) {
            add(name.getValue(), 0, 1);
            StringRef part = name.getValue();
            if (i)
              part.consume_front("photon_stack_");
            joined += (i ? "+" : "") + part.str();
          }
          FailureOr<int64_t> n = walk(body, joined);
          if (failed(n))
            return failure();
          launches += *n;
          continue;
        }
        // A data-movement function (lowering/ProgramToHost.cpp) counts as
        // data movement, a kernel function as itself.
        bool movement = callee->hasAttr(kDataMovementAttr);
        StringRef attributed = !kernel.empty() ? kernel
                               : movement      ? StringRef(kDataMovement)
                                               : call.getCallee();
        if (kernel.empty() && !movement)
          add(attributed, 0, 1);
        FailureOr<int64_t> n = walk(body, attributed);
        if (failed(n))
          return failure();
        launches += *n;
        continue;
      }
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        std::optional<int64_t> lb = get(loop.getLowerBound()), ub = get(loop.getUpperBound()),
                               st = get(loop.getStep());
        if (!lb || !ub || !st || *st <= 0) {
          if (!containsLaunches(loop))
            continue;
          return loop.emitError("photon-schedule-report: cannot count the launches of a "
                                "loop whose bounds depend on data");
        }
        for (int64_t iv = *lb; iv < *ub; iv += *st) {
          ints[loop.getInductionVar()] = iv;
          FailureOr<int64_t> n = walk(*loop.getBody(), kernel);
          if (failed(n))
            return failure();
          launches += *n;
        }
        continue;
      }
      if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
        std::optional<int64_t> cond = get(ifOp.getCondition());
        // A grouped function runs its calls grouped unless they decide
        // apart (not with the planned buffers).
        if (ifOp->hasAttr(kGroupedPathAttr))
          cond = 1;
        if (cond) {
          Region &taken = *cond ? ifOp.getThenRegion() : ifOp.getElseRegion();
          if (!taken.empty()) {
            FailureOr<int64_t> n = walk(taken.front(), kernel);
            if (failed(n))
              return failure();
            launches += *n;
          }
          continue;
        }
        // Known only at run time: the branch with more launches.
        llvm::StringMap<Cost> emptySide, &sideMap = side ? *side : emptySide;
        llvm::StringMap<Cost> saved = *result, savedSide = sideMap;
        FailureOr<int64_t> thenN = walk(ifOp.getThenRegion().front(), kernel);
        if (failed(thenN))
          return failure();
        llvm::StringMap<Cost> afterThen = *result, afterThenSide = sideMap;
        *result = saved;
        sideMap = savedSide;
        int64_t elseN = 0;
        if (!ifOp.getElseRegion().empty()) {
          FailureOr<int64_t> n = walk(ifOp.getElseRegion().front(), kernel);
          if (failed(n))
            return failure();
          elseN = *n;
        }
        if (*thenN > elseN) {
          *result = std::move(afterThen);
          sideMap = std::move(afterThenSide);
          launches += *thenN;
        } else {
          launches += elseN;
        }
        continue;
      }
      if (op.getNumRegions() && containsLaunches(&op))
        return op.emitError("photon-schedule-report: cannot count the launches inside '")
               << op.getName() << "'";
      fold(&op);
    }
    return launches;
  }

  static bool containsLaunches(Operation *op) {
    return op->walk([](Operation *inner) {
                return isa<gpu::LaunchOp, func::CallOp>(inner) ? WalkResult::interrupt()
                                                               : WalkResult::advance();
              })
        .wasInterrupted();
  }

  ModuleOp module;
  DenseMap<Value, int64_t> ints;
  DenseMap<Value, double> reals;
  DenseSet<Value> emptyMemrefs;
  llvm::StringMap<Cost> *result = nullptr, *side = nullptr;
  int64_t stream = 0;
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// KV bytes read per generated token (per sequence) at a context of T tokens
/// by a vanilla model of `layers` layers with KV items of `kvItem` bytes per
/// layer: its one new token attends to T + 1 positions in every layer.
double vanillaKvReadPerToken(int64_t layers, int64_t kvItem, int64_t T) {
  return double(layers) * double(T + 1) * double(kvItem);
}

/// The paper's asymptotic ratio of KV reads (vanilla / this program) as the
/// context grows: every level-l encoder step reads T/span(l) items, and
/// there are B/span(l) of them per B tokens (HierGen); RecGen keeps Enc_L only.
double asymptoticKvRatio(const ModelConfig &c, int64_t vanillaLayers, bool recgen) {
  const int64_t L = c.numLevels();
  double perT = 0; // KV items read per token, divided by T
  for (int64_t l = recgen ? L : 1; l <= L; ++l)
    perT += double(c.encoderLayers[l - 1]) / (double(c.span(l)) * double(c.span(l)));
  return perT > 0 ? double(vanillaLayers) / perT : 0;
}

struct Prediction {
  KernelCosts kernels; // modelled, with counted launches
  Cost total;
  double seconds = 0; // call times + launches x overhead (the longer stream, at least all calls)
  double sideSeconds = 0; // of that, what runs beside stream 0
  std::vector<std::string> mismatches;
};

struct ScheduleReport : impl::PhotonScheduleReportBase<ScheduleReport> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (bandwidthGBs <= 0 || matrixTflops <= 0 || launchUs < 0)
      return fail(module, "bandwidth and tflops must be positive and launch-us non-negative");
    if (streamOverlap < 0 || streamOverlap > 1)
      return fail(module, "stream-overlap must lie in [0, 1]");
    // The lists, with their defaults (the options themselves stay as given).
    auto orDefault = [](const ListOption<int64_t> &list, int64_t value) {
      return list.empty() ? SmallVector<int64_t>{value} : llvm::to_vector(list);
    };
    promptList = orDefault(prompts, 2048);
    batchList = orDefault(batches, 1);
    contextList = orDefault(contexts, 2048);
    for (int64_t p : promptList)
      if (p < 1)
        return fail(module, "every prompt must be at least 1 token, got " + std::to_string(p));
    for (int64_t b : batchList)
      if (b < 1)
        return fail(module, "every batch must be at least 1, got " + std::to_string(b));
    for (int64_t t : contextList)
      if (t < 0)
        return fail(module, "every context must be non-negative, got " + std::to_string(t));
    target = {bandwidthGBs * 1e9, matrixTflops * 1e12, launchUs * 1e-6, streamOverlap};

    // convert-photon-programs-to-host erases the model: the report needs it (and
    // lowers its own copy to count launches).
    if (module.getOps<ModelOp>().empty())
      return fail(module, "no photon.model: run it on a planned model, before "
                          "convert-photon-programs-to-host");
    nlohmann::ordered_json models = nlohmann::ordered_json::array();
    for (ModelOp model : llvm::to_vector(module.getOps<ModelOp>())) {
      FailureOr<nlohmann::ordered_json> j = report(model);
      if (failed(j))
        return signalPassFailure();
      models.push_back(std::move(*j));
    }
    if (!jsonPath.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(jsonPath, ec, llvm::sys::fs::OF_Text);
      if (ec)
        return fail(module, "cannot write '" + jsonPath + "': " + ec.message());
      nlohmann::ordered_json doc = {
          {"target",
           {{"bandwidth_gb_per_s", double(bandwidthGBs)},
            {"matrix_tflop_per_s", double(matrixTflops)},
            {"launch_us", double(launchUs)},
            {"stream_overlap", double(streamOverlap)}}},
          {"models", models}};
      os << doc.dump(1) << "\n";
    }
  }

  void fail(Operation *op, const std::string &message) {
    op->emitError("photon-schedule-report: ") << message;
    signalPassFailure();
  }

  /// Whether the lowering puts the final norm in the LM head.
  bool lmHeadNormLowered() const { return lmHeadNormCompiled(lmHeadNorm, groupStackCalls); }

  /// The model lowered for the GPU, in a module nested in the one the pass
  /// runs on (erased after counting).
  FailureOr<ModuleOp> lowerCopy(ModelOp model) {
    OpBuilder b(&getContext());
    b.setInsertionPointToEnd(getOperation().getBody());
    auto copy = ModuleOp::create(b, model.getLoc());
    copy.getBody()->push_back(model->clone());
    OpPassManager pm(ModuleOp::getOperationName());
    ConvertPhotonKernelToGPUOptions kernels;
    kernels.tensorCoreMinRows = tensorCoreMinRows;
    std::unique_ptr<Pass> fuse = createPhotonKernelFusion();
    std::unique_ptr<Pass> lower = createConvertPhotonKernelToGPU(kernels);
    auto configure = [&](Pass &pass, StringRef option, const std::string &value) {
      return pass.initializeOptions(value, [&](const Twine &message) {
        fail(model, "bad " + option.str() + " options '" + value + "': " + message.str());
        return failure();
      });
    };
    // The kernel options as photon-to-nvvm compiles them (the last of an
    // option's values counts).
    std::string loweringOptions = kernelOptions;
    if (!gemvSplitAttentionCompiled(true, groupStackCalls))
      loweringOptions += " gemv-split-attention=false";
    if (failed(configure(*fuse, "fusions", fusionOptions)) ||
        failed(configure(*lower, "kernels", loweringOptions))) {
      copy.erase();
      return failure();
    }
    pm.addPass(createConvertPhotonToPhotonKernel({lmHeadNormLowered()}));
    pm.addPass(std::move(fuse));
    pm.addPass(std::move(lower));
    ConvertPhotonProgramsToHostOptions programs;
    programs.target = KernelTarget::GPU;
    pm.addPass(createConvertPhotonProgramsToHost(programs));
    if (groupStackCalls)
      pm.addPass(createPhotonGroupStackCalls());
    if (failed(runPipeline(pm, copy))) {
      copy.erase();
      return failure();
    }
    return copy;
  }

  /// Joins the modelled calls with the launches (and calls) counted in the
  /// lowered entry point.
  Prediction predict(const CallModel &model, const llvm::StringMap<Cost> &counted,
                     const llvm::StringMap<Cost> &side = {}) {
    Prediction p;
    p.kernels = model.byKernel();
    for (auto &[name, cost] : p.kernels.entries) {
      auto it = counted.find(name);
      int64_t calls = it == counted.end() ? 0 : it->second.calls;
      if (calls != cost.calls)
        p.mismatches.push_back(name + ": " + std::to_string(cost.calls) + " modelled, " +
                               std::to_string(calls) + " in the lowered code");
      cost.launches = it == counted.end() ? 0 : it->second.launches;
    }
    for (const auto &entry : counted) {
      if (p.kernels.find(entry.getKey()))
        continue;
      if (entry.getKey() != kDataMovement && entry.getValue().calls)
        p.mismatches.push_back(entry.getKey().str() + ": 0 modelled, " +
                               std::to_string(entry.getValue().calls) +
                               " in the lowered code");
      Cost moves;
      moves.launches = entry.getValue().launches;
      moves.calls = entry.getValue().calls;
      p.kernels[entry.getKey()] = moves;
    }
    for (auto &[name, cost] : p.kernels.entries)
      p.total.add(cost);
    p.seconds = p.total.seconds + double(p.total.launches) * target.launchS;
    // Work on another stream overlaps the rest's launches, not its bytes:
    // both streams share the card's bandwidth (and matrix rate), so the
    // step takes the longer stream plus what it does not hide of the
    // shorter (stream-overlap), and at least all calls' time.
    for (const auto &entry : side) {
      const Cost &all = counted.find(entry.getKey())->second;
      const Cost *cost = p.kernels.find(entry.getKey());
      if (cost && all.calls)
        p.sideSeconds += cost->seconds * double(entry.getValue().calls) / double(all.calls);
      p.sideSeconds += double(entry.getValue().launches) * target.launchS;
    }
    double main = p.seconds - p.sideSeconds;
    p.seconds = std::max(std::max(p.sideSeconds, main) +
                             (1 - target.streamOverlap) * std::min(p.sideSeconds, main),
                         p.total.seconds);
    return p;
  }

  FailureOr<nlohmann::ordered_json> report(ModelOp model) {
    if (!model.getMemoryPlan()) {
      model.emitOpError("has no memory plan: run -photon-plan-memory first");
      return failure();
    }
    const ModelConfig c = model.getModelConfig();
    MemoryPlanAttr memory = *model.getMemoryPlan();
    Type weightType;
    for (ParamOp p : model.getBody().front().getOps<ParamOp>())
      weightType = p.getTensorType().getElementType();
    int64_t w = weightType ? weightType.getIntOrFloatBitWidth() / 8 : 4;
    int64_t act = memory.getActivationType().getIntOrFloatBitWidth() / 8;
    int64_t kvItem = 2 * c.nKvHeads * c.headDim() * act;
    int64_t vanillaLayers = c.layers;
    for (int64_t l = 0; l < c.numLevels(); ++l)
      vanillaLayers += c.encoderLayers[l] + c.decoderLayers[l];

    FailureOr<ModuleOp> lowered = lowerCopy(model);
    if (failed(lowered))
      return failure();
    llvm::scope_exit erase([&] { lowered->erase(); });

    llvm::raw_ostream &os = llvm::errs();
    auto mb = [](double bytes) { return bytes / 1e6; };
    if (print)
      os << "schedule report of @" << model.getSymName() << ": "
         << llvm::format("%.0f GB/s, %.0f TFLOP/s, %.2f us per launch", double(bandwidthGBs),
                         double(matrixTflops), double(launchUs))
         << "; weights " << (weightType ? weightType : Type(Float32Type::get(&getContext())))
         << ", activations " << memory.getActivationType() << "\n";

    nlohmann::ordered_json programs = nlohmann::ordered_json::array();
    for (ProgramOp program : model.getBody().front().getOps<ProgramOp>()) {
      if (!program.getStatePlan()) {
        program.emitOpError("has no state plan: run -photon-plan-memory first");
        return failure();
      }
      StatePlanAttr plan = *program.getStatePlan();
      bool recgen = program.getMode() == GenerationMode::recgen;
      int64_t tps = plan.getTokensPerStep();
      if (print)
        os << "  program @" << program.getSymName() << " ("
           << stringifyGenerationMode(program.getMode()) << ", " << tps
           << (tps == 1 ? " token" : " tokens") << " per sequence per step)\n";
      nlohmann::ordered_json steps = nlohmann::ordered_json::array();
      nlohmann::ordered_json prefills = nlohmann::ordered_json::array();
      for (int64_t batch : batchList) {
        for (int64_t P : promptList) {
          // Prefill: ceil(batch / prefill_tile) calls of up to prefill_tile prompts.
          CallModel pre(c, program, w, act, target, lmHeadNormLowered());
          llvm::StringMap<Cost> preCounted;
          for (int64_t first = 0; first < batch; first += plan.getPrefillTile()) {
            int64_t count = std::min(plan.getPrefillTile(), batch - first);
            pre.prefill(count, P);
            LaunchCounter counter(*lowered);
            // (W, S, batch, max_tokens, first, count, prompt_len, encode_len,
            // prompt): generation encodes the whole prompt.
            if (failed(counter.count(program.getPrefillSymbol(),
                                     {{2, batch}, {3, P + tps}, {4, first},
                                      {5, count}, {6, P}, {7, P}},
                                     {}, {}, preCounted)))
              return failure();
          }
          pre.lastPrefill(batch, P);
          Prediction prefill = predict(pre, preCounted);
          double prefillTokPerS = double(batch * P) / prefill.seconds;
          if (print)
            printEntry(os, "prefill of " + std::to_string(P) + " tokens, batch " +
                               std::to_string(batch),
                       prefill, mb);
          if (print)
            os << llvm::format("      predicted: %.3f ms, %.0f prompt tok/s\n",
                               prefill.seconds * 1e3, prefillTokPerS);
          prefills.push_back({{"batch", batch},
                              {"prompt", P},
                              {"predicted_s", prefill.seconds},
                              {"predicted_tokens_per_s", prefillTokPerS},
                              {"totals", costJson(prefill.total)},
                              {"mismatches", nlohmann::ordered_json(prefill.mismatches)}});
        }

        for (int64_t context : contextList) {
          // The window of a step starts at a meta-context boundary.
          int64_t T = context / tps * tps;
          CallModel stepModel(c, program, w, act, target, lmHeadNormLowered());
          stepModel.step(batch, T);
          llvm::StringMap<Cost> counted, side;
          LaunchCounter counter(*lowered);
          // (W, S, batch, max_tokens, uniforms, out, logits, temperature, top_k, top_p):
          // greedy, no logits dump.
          if (failed(counter.count(program.getStepSymbol(), {{2, batch}, {3, T + 2 * tps}},
                                   {6}, {{7, 0.0}}, counted, &side)))
            return failure();
          Prediction step = predict(stepModel, counted, side);
          double tokPerS = double(batch * tps) / step.seconds;
          // Per generated token of one sequence (KV reads are per sequence).
          double kvPerToken = step.total.kvRead / double(batch * tps);
          double globalPerToken = step.total.globalKvRead / double(batch * tps);
          double vanillaPerToken = vanillaKvReadPerToken(vanillaLayers, kvItem, T);
          PerSequenceBytes state = perSequenceBytes(plan, T);
          if (print) {
            printEntry(os, "step at context " + std::to_string(T) + ", batch " +
                               std::to_string(batch),
                       step, mb);
            os << llvm::format("      predicted: %.4f ms per step (calls %.4f ms + %lld "
                               "launches x %.2f us), %.1f tok/s, %.4f ms per token position\n",
                               step.seconds * 1e3, step.total.seconds * 1e3,
                               (long long)step.total.launches, double(launchUs), tokPerS,
                               step.seconds * 1e3 / double(tps));
            if (step.sideSeconds > 0)
              os << llvm::format("      streams: %.4f ms of it on a second stream (RecGen's "
                                 "latent chain) beside %.4f ms; the step takes the longer "
                                 "and %.0f%% of the shorter, at least the calls' %.4f ms "
                                 "(one bandwidth)\n",
                                 step.sideSeconds * 1e3,
                                 (step.total.seconds + double(step.total.launches) *
                                                           target.launchS -
                                  step.sideSeconds) * 1e3,
                                 (1 - target.streamOverlap) * 100, step.total.seconds * 1e3);
            os << llvm::format("      state per sequence at %lld tokens: %lld bytes "
                               "allocated, %lld analytic (KV of the kept caches + coarse "
                               "state)\n",
                               (long long)T, (long long)state.allocated,
                               (long long)state.analytic);
            os << llvm::format("      KV read per generated token: %.0f bytes (global "
                               "caches %.0f, local decoder caches %.0f)\n",
                               kvPerToken, globalPerToken, kvPerToken - globalPerToken);
            if (c.numLevels() > 0)
              os << llvm::format("      vs vanilla of %lld layers (same width, %lld KV "
                                 "bytes per item and layer): %.0f bytes; vanilla / this "
                                 "%.1fx (global caches only %.1fx; paper's asymptote "
                                 "%.1fx)\n",
                                 (long long)vanillaLayers, (long long)kvItem,
                                 vanillaPerToken, vanillaPerToken / kvPerToken,
                                 vanillaPerToken / globalPerToken,
                                 asymptoticKvRatio(c, vanillaLayers, recgen));
          }
          nlohmann::ordered_json kernels = nlohmann::ordered_json::object();
          for (const auto &[name, cost] : step.kernels.entries)
            kernels[name] = costJson(cost);
          steps.push_back(
              {{"batch", batch},
               {"context", T},
               {"predicted_s", step.seconds},
               {"calls_s", step.total.seconds},
               {"launch_s", double(step.total.launches) * target.launchS},
               {"second_stream_s", step.sideSeconds},
               {"predicted_tokens_per_s", tokPerS},
               {"totals", costJson(step.total)},
               {"kernels", kernels},
               {"state_bytes_per_sequence",
                {{"allocated", state.allocated}, {"analytic", state.analytic}}},
               {"kv_read_per_token", kvPerToken},
               {"global_kv_read_per_token", globalPerToken},
               {"vanilla_kv_read_per_token", vanillaPerToken},
               {"mismatches", nlohmann::ordered_json(step.mismatches)}});
        }
      }
      programs.push_back({{"name", program.getSymName().str()},
                          {"mode", stringifyGenerationMode(program.getMode()).str()},
                          {"tokens_per_step", tps},
                          {"vanilla_layers", vanillaLayers},
                          {"asymptotic_kv_ratio",
                           c.numLevels() ? asymptoticKvRatio(c, vanillaLayers, recgen) : 1.0},
                          {"prefill", prefills},
                          {"steps", steps}});
    }
    return nlohmann::ordered_json{{"model", model.getSymName().str()},
                                  {"weight_bytes_per_element", w},
                                  {"activation_bytes_per_element", act},
                                  {"programs", programs}};
  }

  static nlohmann::ordered_json costJson(const Cost &c) {
    return {{"calls", c.calls},         {"rows", c.rows},
            {"launches", c.launches},   {"weight_bytes", c.weightBytes},
            {"kv_read_bytes", c.kvRead}, {"kv_write_bytes", c.kvWrite},
            {"other_bytes", c.otherBytes}, {"flops", c.flops},
            {"seconds", c.seconds}};
  }

  /// One entry point: a row per kernel, then the totals.
  void printEntry(llvm::raw_ostream &os, const std::string &title, const Prediction &p,
                  function_ref<double(double)> mb) {
    os << "    " << title << ":\n"
       << llvm::format("      %-28s %6s %7s %8s %10s %9s %9s %9s %10s %10s %4s\n", "kernel",
                       "calls", "rows", "launches", "weights MB", "KV rd MB", "KV wr MB",
                       "other MB", "GFLOP", "time us", "by");
    auto row = [&](const std::string &name, const Cost &k) {
      bool compute = k.flops / target.flopsPerS > k.bytes() / target.bytesPerS;
      os << llvm::format("      %-28s %6lld %7lld %8lld %10.3f %9.3f %9.3f %9.3f %10.4f "
                         "%10.2f %4s\n",
                         name.c_str(), (long long)k.calls, (long long)k.rows,
                         (long long)k.launches, mb(k.weightBytes), mb(k.kvRead), mb(k.kvWrite),
                         mb(k.otherBytes), k.flops / 1e9, k.seconds * 1e6,
                         k.bytes() == 0 ? "-" : compute ? "flop" : "mem");
    };
    for (const auto &[name, k] : p.kernels.entries)
      row(name, k);
    row("total", p.total);
    for (const std::string &m : p.mismatches)
      os << "      warning: calls of " << m << "\n";
  }

  Target target{};
  SmallVector<int64_t> batchList, contextList, promptList;
};

} // namespace
} // namespace mlir::photon
