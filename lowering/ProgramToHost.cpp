//===- ProgramToHost.cpp - photon.program to prefill and step entry points ===//
//
// Each generation program of spec §4 becomes two host functions that the
// runtime calls without knowing anything about the model:
//
//   photon_prefill_<program>(W, S, batch, max_tokens, first, count,
//                            prompt_len, encode_len, prompt)
//       takes `count` prompts of `prompt_len` known tokens (prompt: i32
//       [count][prompt_len]) into sequences first..first+count-1 of the state
//       arena S, encodes their first `encode_len` tokens (generation: all of
//       them; scoring: the context) and prepares their first decode step.
//       Calls cover the batch in order: the one that ends it (first + count
//       = batch) may finish preparing the first step for every sequence
//       (RecGen's latents, when they run a meta-context ahead).
//       The step forces every known token past the encoded ones, so their
//       logits are those a teacher-forced forward would give.
//   photon_step_<program>(W, S, batch, max_tokens, uniforms, out, logits,
//                         temperature, top_k, top_p)
//       decodes one meta-context (vanilla: one token) of every sequence.
//       uniforms: f32 [batch][tokens_per_step], one draw per window token;
//       out: i32 [batch][1 + tokens_per_step], the window's first position
//       and its tokens (forced prompt tokens included); logits: f32
//       [batch][tokens_per_step][V] when non-empty (--dump-logits).
//
// W is the weight arena, S the state arena of the program's state plan
// (model/StatePlan.h: regions laid out from the batch and the decode steps
// max_tokens needs). Everything a step reads — positions, prompt lengths,
// tokens, uniforms — is in device memory, so one step is a fixed sequence of
// kernel launches for a given batch (the runtime captures it as a CUDA
// graph). Levels, chunk sizes and prefix lengths are unrolled here; batches,
// prompt lengths and the number of complete prompt meta-contexts are loop
// bounds computed on the host.
//
// The functions are made of calls to the kernel functions of convert-photon-to-photon-kernel
// (stacks, embeddings, chunkers, converters, LM head, token choice) on
// `memref.view`s of the arena, and of small data-movement kernels emitted
// here (row copies, stack row indices, token commits).
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "lowering/KernelBuilder.h"
#include "lowering/Passes.h"
#include "lowering/Streams.h"
#include "passes/ArtifactDescription.h"
#include "passes/StatePlanning.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::photon {
#define GEN_PASS_DEF_CONVERTPHOTONPROGRAMSTOHOST
#include "lowering/Passes.h.inc"

namespace {

using ::photon::ModelConfig;

/// The stream of RecGen's latent chain when it runs ahead.
constexpr int64_t kLatentStream = 1;

/// Rows of one stack call: row r belongs to cache slot `slot0 + r / perSlot`
/// at position `p0 + r % perSlot`, plus, with a cursor, the slot's cursor
/// divided by `cursorDiv` (the items of that level already encoded).
struct StackRows {
  Value perSlot;
  Value slot0;
  int64_t p0;
  Value cursorSeq0; // null: no cursor term; else the sequence of item 0
  int64_t cursorDiv;
  // With a cursor term and one row an item: each item's row, once it has
  // read the cursor, moves it this many positions on (the step's advance,
  // without a kernel of its own).
  int64_t advance = 0;
  // A local decoder's call whose rows prefill wrote into `local_rows`.
  const LocalRowsLayout::Call *local = nullptr;
};
/// Rows of the token phase's calls: row i is token chunk chunk0 + i % perSeq
/// of the tile's sequence i / perSeq (every chunk in lockstep, or one).
struct TokenRows {
  int64_t perSeq, chunk0;
};
/// Positions p0 + r % perSlot: prefix and rollout calls, and prefill.
StackRows fixedRows(Value perSlot, Value slot0, int64_t p0 = 0) {
  return {perSlot, slot0, p0, Value(), 1};
}
/// Positions after the items already encoded: cursor / span of the level.
StackRows cursorRows(Value perSlot, Value seq0, int64_t span) {
  return {perSlot, seq0, 0, seq0, span};
}

class ProgramEmitter {
public:
  ProgramEmitter(ModuleOp module, ModelOp model, ProgramOp program, Type weightElt,
                 const llvm::StringMap<int64_t> &weightOffsets, bool gpu)
      : module(module), program(program), c(model.getModelConfig()),
        plan(*program.getStatePlan()), weightElt(weightElt),
        actElt(model.getMemoryPlan()->getActivationType()), weightOffsets(weightOffsets),
        gpu(gpu),
        ctx(module.getContext()), loc(program.getLoc()) {
    D = c.dModel;
    V = c.vocabSize;
    L = c.numLevels();
    B = c.metaContext();
    maxRows = plan.getMaxRows();
    localRows = localRowsLayout(c, plan.getDecodeTile());
  }

  LogicalResult emit() {
    // The mode says how the top level advances (spec §4); the verifier
    // holds every step to it.
    recgen = program.getMode() == GenerationMode::recgen;
    // photon-pipeline-latents' form: the latent chain a meta-context ahead.
    lookahead = program.runsLatentsAhead();
    lockstep = program.decodesChunksInLockstep();
    if (lookahead != runsLatentsAhead(plan))
      return program.emitOpError("convert-photon-programs-to-host: the state plan is for ")
             << (lookahead ? "the latent chain in its step" : "the latent chain ahead")
             << ": run photon-plan-memory after photon-pipeline-latents";
    emitPrefill();
    emitStep();
    return failure(failed);
  }

private:
  //===--------------------------------------------------------------------===//
  // Types, functions, the arena
  //===--------------------------------------------------------------------===//

  MemRefType buf(Type elt) { return MemRefType::get({ShapedType::kDynamic}, elt); }
  Type f32() { return Float32Type::get(ctx); }
  Type i32() { return IntegerType::get(ctx, 32); }
  Type idx() { return IndexType::get(ctx); }

  func::FuncOp makeEntry(StringRef name, ArrayRef<Type> args) {
    OpBuilder ob(ctx);
    ob.setInsertionPointToEnd(module.getBody());
    auto fn = func::FuncOp::create(ob, loc, name, FunctionType::get(ctx, args, {}));
    fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    Block *entry = fn.addEntryBlock();
    OpBuilder eb(ctx);
    eb.setInsertionPointToEnd(entry);
    func::ReturnOp::create(eb, loc);
    return fn;
  }

  /// Offsets and sizes of the state regions for this call's batch and steps.
  void layoutRegions(Builder &b) {
    Value at = cIdx(b, 0);
    for (StateRegionAttr r : plan.getRegions()) {
      Value n = r.getTile() ? Value(arith::MinUIOp::create(b, batch, cIdx(b, r.getTile())))
                            : batch;
      Value perStep = addI(b, mulI(b, n, r.getPerStep()), cIdx(b, r.getFixedPerStep()));
      Value size = addI(b, addI(b, cIdx(b, r.getFixed()), mulI(b, n, r.getPerSeq())),
                        mulI(b, steps, perStep));
      at = mulI(b, arith::CeilDivUIOp::create(b, at, cIdx(b, ::photon::kRegionAlignment)),
                ::photon::kRegionAlignment);
      regionAt[r.getName()] = at;
      regionBytes[r.getName()] = size;
      at = addI(b, at, size);
    }
  }

  /// A typed view of region `name`, starting `first` elements in.
  Value view(Builder &b, StringRef name, Type elt, Value first, Value count) {
    auto it = regionAt.find(name);
    if (it == regionAt.end()) {
      program.emitOpError("convert-photon-programs-to-host: the state plan has no region '")
          << name << "'";
      failed = true;
      return memref::ViewOp::create(b, buf(elt), S, cIdx(b, 0), ValueRange{cIdx(b, 0)});
    }
    int64_t bytes = elt.getIntOrFloatBitWidth() / 8;
    return memref::ViewOp::create(b, buf(elt), S, addI(b, it->second, mulI(b, first, bytes)),
                                  ValueRange{count});
  }
  /// The whole region `name` as elements of `elt`.
  Value view(Builder &b, StringRef name, Type elt) {
    auto it = regionBytes.find(name);
    Value bytes = it == regionBytes.end() ? cIdx(b, 0) : it->second;
    return view(b, name, elt, cIdx(b, 0), divU(b, bytes, elt.getIntOrFloatBitWidth() / 8));
  }
  /// Rows of D activations of a region, from row `row`.
  Value actRows(Builder &b, StringRef name, Value row, Value rows, int64_t width = 0) {
    int64_t w = width ? width : D;
    return view(b, name, actElt, mulI(b, row, w), mulI(b, rows, w));
  }

  int64_t weightOffset(const std::string &name) {
    auto it = weightOffsets.find(name);
    if (it != weightOffsets.end())
      return it->second;
    program.emitOpError("convert-photon-programs-to-host: no planned weight '") << name << "'";
    failed = true;
    return 0;
  }

  void call(Builder &b, StringRef fn, ValueRange args) {
    func::CallOp::create(b, SymbolRefAttr::get(ctx, fn), TypeRange{}, args);
  }

  void parallel(Builder &b, const Twine &kernel, ArrayRef<Value> ubs, BodyFn body) {
    parallelWork(b, gpu, kernel, ubs, body);
  }

  void forRange(Builder &b, Value lb, Value ub, Value step,
                function_ref<void(Builder &, Value)> body) {
    scf::ForOp::create(b, lb, ub, step, ValueRange{},
                       [&](OpBuilder &ob, Location l, Value iv, ValueRange) {
                         Builder nb(l, ob);
                         body(nb, iv);
                         scf::YieldOp::create(nb);
                       });
  }

  void storeI(Builder &b, Value v, Value mem, Value i) {
    Value x = arith::IndexCastOp::create(b, i32(), v);
    memref::StoreOp::create(b, x, mem, ValueRange{i});
  }

  //===--------------------------------------------------------------------===//
  // Data-movement kernels
  //===--------------------------------------------------------------------===//

  /// Calls the function `name`(args), emitting it with `body` (over its
  /// arguments) on first use. The data-movement kernels live in such
  /// functions, their sizes and strides arguments, so that every call site
  /// shares one kernel instead of one specialised to its constants.
  void callShared(Builder &b, const Twine &name, ValueRange args,
                  function_ref<void(Builder &, ValueRange)> body) {
    std::string symbol = name.str();
    auto fn = module.lookupSymbol<func::FuncOp>(symbol);
    if (!fn) {
      OpBuilder ob(ctx);
      ob.setInsertionPointToEnd(module.getBody());
      fn = func::FuncOp::create(ob, loc, symbol, FunctionType::get(ctx, args.getTypes(), {}));
      fn.setPrivate();
      fn->setAttr("photon.data_movement", UnitAttr::get(ctx)); // photon-schedule-report
      fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
      Builder fb(loc, ctx);
      fb.setInsertionPointToEnd(fn.addEntryBlock());
      func::ReturnOp::create(fb);
      fb.setInsertionPoint(fn.getBody().front().getTerminator());
      body(fb, fn.getArguments());
    }
    func::CallOp::create(b, fn, args);
  }
  static std::string typeName(Value mem) {
    std::string s;
    llvm::raw_string_ostream os(s);
    cast<MemRefType>(mem.getType()).getElementType().print(os);
    return s;
  }

  /// dst[i·dstStride + k] = src[i·srcStride + k] for i < n, k < width
  /// (element types may differ: values pass through f32).
  void copyRows(Builder &b, Buf dst, int64_t dstStride, Buf src, int64_t srcStride,
                int64_t width, Value n) {
    callShared(b, "photon_copy_rows_" + typeName(dst.mem) + "_" + typeName(src.mem),
               {dst.mem, dst.base, cIdx(b, dstStride), src.mem, src.base, cIdx(b, srcStride),
                cIdx(b, width), n},
               [&](Builder &b, ValueRange a) {
                 Buf dst{a[0], a[1]}, src{a[3], a[4]};
                 Value dstStride = a[2], srcStride = a[5], width = a[6], n = a[7];
                 parallel(b, "photon_copy_rows", {n, width}, [&](Builder &b, ValueRange iv) {
                   dst.store(b, src.load(b, addI(b, mulI(b, iv[0], srcStride), iv[1])),
                             addI(b, mulI(b, iv[0], dstStride), iv[1]));
                 });
               });
  }
  /// Region `region` as activations, from its start.
  Buf rowsOf(Builder &b, StringRef region) { return Buf{view(b, region, actElt), cIdx(b, 0)}; }
  Buf at(Buf x, Builder &b, Value elements) { return Buf{x.mem, addI(b, x.base, elements)}; }
  Buf startLatent(Builder &b, int64_t l) {
    return Buf{W, cIdx(b, weightOffset("start_latent." + std::to_string(l)))};
  }

  /// Writes positions and slots of rows r0..r0+n of a stack call into the
  /// `rows` region; positions are clamped into the cache.
  void stackRowIndices(Builder &b, Value r0, Value n, const StackRows &s, Value capacity) {
    Value rows = view(b, inLane("rows"), i32()), positions = view(b, "positions", i32());
    SmallVector<Value> args{rows,    positions,      r0,       n,
                            s.perSlot, s.slot0, cIdx(b, s.p0), capacity, cIdx(b, maxRows)};
    if (s.cursorSeq0)
      args.append({s.cursorSeq0, cIdx(b, s.cursorDiv)});
    assert((!s.advance || (s.cursorSeq0 && getConstantIntValue(s.perSlot) == 1)) &&
           "a cursor is advanced by the one row of its item");
    if (s.advance)
      args.push_back(cIdx(b, s.advance));
    callShared(b, s.advance      ? "photon_stack_rows_cursor_advance"
                  : s.cursorSeq0 ? "photon_stack_rows_cursor"
                                 : "photon_stack_rows",
               args, [&](Builder &b, ValueRange a) {
      Value rows = a[0], positions = a[1], r0 = a[2], n = a[3], perSlot = a[4];
      Value slot0 = a[5], p0 = a[6], capacity = a[7], slots = a[8];
      parallel(b, "photon_stack_rows", {n}, [&](Builder &b, ValueRange iv) {
        Value r = addI(b, r0, iv[0]);
        Value item = arith::DivUIOp::create(b, r, perSlot);
        Value pos = addI(b, arith::RemUIOp::create(b, r, perSlot), p0);
        if (a.size() > 9) { // the cursor term: sequence of item 0, span
          Value at = mulI(b, addI(b, a[9], item), 2);
          Value cursor = loadIndex(b, positions, at);
          pos = addI(b, pos, arith::DivUIOp::create(b, cursor, a[10]));
          if (a.size() > 11) // the advance
            storeI(b, addI(b, cursor, a[11]), positions, at);
        }
        pos = arith::MinUIOp::create(b, pos, addI(b, capacity, cIdx(b, -1)));
        storeI(b, pos, rows, iv[0]);
        storeI(b, addI(b, slot0, item), rows, addI(b, iv[0], slots));
      });
    });
  }

  /// Call j of Dec_l (0: the prefix call; LocalRowsLayout): its rows are
  /// in `local_rows`, so no other field is read.
  StackRows localRowsOf(int64_t l, int64_t j) {
    StackRows rows{};
    rows.local = &localRows.of(l, j);
    return rows;
  }
  /// Writes every local decoder call's rows into `local_rows`: one kernel,
  /// at the start of prefill, for all the steps after it.
  void writeLocalRows(Builder &b) {
    if (localRows.calls.empty())
      return;
    int64_t longest = 0;
    for (const LocalRowsLayout::Call &call : localRows.calls)
      longest = std::max(longest, call.rows);
    Value rows = view(b, "local_rows", i32());
    parallel(b, "photon_local_rows", {cIdx(b, longest)}, [&](Builder &b, ValueRange iv) {
      Value r = iv[0];
      for (const LocalRowsLayout::Call &call : localRows.calls)
        ifThen(b, ult(b, r, cIdx(b, call.rows)), [&](Builder &b) {
          storeI(b, addI(b, remU(b, r, call.perSlot), call.p0), rows, addI(b, r, call.at));
          storeI(b, divU(b, r, call.perSlot), rows, addI(b, r, call.at + call.rows));
        });
    });
  }

  //===--------------------------------------------------------------------===//
  // Kernel calls
  //===--------------------------------------------------------------------===//

  /// Runs stack `name` over `rows` rows of D activations starting at row
  /// `first` of `region`, max_rows at a time, with KV cache `cache`.
  void stack(Builder &b, StringRef name, StringRef region, Value first, Value rows,
             const StackRows &s, StringRef cache, Value capacity) {
    Value step = cIdx(b, maxRows);
    forRange(b, cIdx(b, 0), rows, step, [&](Builder &b, Value r0) {
      Value n = arith::MinUIOp::create(b, step, arith::SubIOp::create(b, rows, r0));
      Value rowsBuf, slots;
      Value perSlot = s.local ? cIdx(b, s.local->perSlot) : s.perSlot;
      if (s.local) {
        rowsBuf = view(b, "local_rows", i32(), addI(b, r0, s.local->at), n);
        slots = view(b, "local_rows", i32(), addI(b, r0, s.local->at + s.local->rows), n);
      } else {
        stackRowIndices(b, r0, n, s, capacity);
        rowsBuf = view(b, inLane("rows"), i32(), cIdx(b, 0), n);
        slots = view(b, inLane("rows"), i32(), cIdx(b, maxRows), n);
      }
      call(b, stackKernelName(name),
           {W, actRows(b, region, addI(b, first, r0), n), n, rowsBuf, slots,
            view(b, (cache + ".k").str(), actElt), view(b, (cache + ".v").str(), actElt),
            capacity, view(b, inLane("stack_scratch"), f32()),
            view(b, inLane("stack_scratch"), actElt), view(b, inLane("semaphores"), i32()),
            perSlot});
    });
  }

  /// Chunk_l of `rows` items (C_l·Din activations each) of `in` into D-wide
  /// rows of `out`, max_rows at a time (the chunker's scratch is the stack's).
  void chunk(Builder &b, int64_t l, StringRef in, Value inRow0, StringRef out,
             Value outRow0, Value rows) {
    int64_t width = c.chunkSizes[l - 1] * c.chunkerInputWidth(l);
    Value step = cIdx(b, maxRows);
    forRange(b, cIdx(b, 0), rows, step, [&](Builder &b, Value r0) {
      Value n = arith::MinUIOp::create(b, step, arith::SubIOp::create(b, rows, r0));
      call(b, "photon_chunk_" + std::to_string(l),
           {W, actRows(b, in, addI(b, inRow0, r0), n, width), n,
            actRows(b, out, addI(b, outRow0, r0), n), view(b, inLane("stack_scratch"), f32())});
    });
  }

  //===--------------------------------------------------------------------===//
  // Decoding (spec §4), one tile of sequences t0..t0+n-1
  //===--------------------------------------------------------------------===//

  int64_t per(int64_t l) const { return B / c.span(l); }
  /// Positions of a level's cache per sequence: running ahead, Enc_L holds
  /// one meta-context more.
  Value capacity(Builder &b, int64_t l) {
    if (L == 0)
      return steps;
    return mulI(b, lookahead && l == L ? addI(b, steps, 1) : steps, per(l));
  }
  Value rowCap(Builder &b) { return mulI(b, steps, B); }

  /// Dec_l rollouts of m chunk instances conditioned on rows cond0.. of
  /// `cond`: rows i·C..i·C+C-1 of `out` are the C items of instance i.
  void rollout(Builder &b, int64_t l, StringRef cond, Value cond0, Value m, StringRef out) {
    const int64_t R = c.prefixLengths[l - 1], C = c.chunkSizes[l - 1];
    std::string dec = "decoder." + std::to_string(l), cache = "dec." + std::to_string(l);
    std::string prefix = inLane("prefix");
    Value cap = cIdx(b, R + C - 1), zero = cIdx(b, 0);
    call(b, "photon_converter_" + std::to_string(l),
         {W, actRows(b, cond, cond0, m), m, actRows(b, prefix, zero, mulI(b, m, R))});
    stack(b, dec, prefix, zero, mulI(b, m, R), localRowsOf(l, 0), cache, cap);
    Buf o = rowsOf(b, out), pre = rowsOf(b, prefix), st = rowsOf(b, "step");
    Buf last = at(pre, b, cIdx(b, (R - 1) * D));
    copyRows(b, o, C * D, last, R * D, D, m);
    // Item j is the input of step j + 1: the stack updates `step` in place,
    // so only the first step's input is copied in.
    if (C > 1)
      copyRows(b, st, D, last, R * D, D, m);
    for (int64_t j = 1; j < C; ++j) {
      stack(b, dec, "step", zero, m, localRowsOf(l, j), cache, cap);
      copyRows(b, at(o, b, cIdx(b, j * D)), C * D, st, D, D, m);
    }
  }

  /// Conditioning latents of the level-(l-1) chunks of a meta-context:
  /// [carry_l, X̂^l items 1..per(l)-1] per sequence, into `dst` from row dst0.
  void gatherConds(Builder &b, int64_t l, Value t0, Value n, StringRef dst, Value dst0) {
    int64_t p = per(l);
    Buf d = at(rowsOf(b, dst), b, mulI(b, dst0, D)), items = rowsOf(b, "items." + std::to_string(l));
    Buf carry = at(rowsOf(b, "carries"), b, mulI(b, addI(b, mulI(b, t0, L - 1), l - 1), D));
    copyRows(b, d, p * D, carry, (L - 1) * D, D, n);
    if (p > 1)
      copyRows(b, at(d, b, cIdx(b, D)), p * D, items, p * D, (p - 1) * D, n);
  }

  /// Dec_L..Dec_2 over one meta-context of sequences t0..t0+n-1, conditioned
  /// on rows cond0.. of `cond` (X^L of the previous meta-context, or s^L):
  /// leaves items.<l>, the token chunks' conditions in `tokCond` from row
  /// tokCond0, and advances the carries.
  void decodeLatents(Builder &b, Value t0, Value n, StringRef cond, Value cond0,
                     StringRef tokCond, Value tokCond0) {
    rollout(b, L, cond, cond0, n, "items." + std::to_string(L - 1));
    for (int64_t l = L - 1; l >= 2; --l) {
      gatherConds(b, l, t0, n, "cond", cIdx(b, 0));
      rollout(b, l, "cond", cIdx(b, 0), mulI(b, n, per(l)), "items." + std::to_string(l - 1));
    }
    gatherConds(b, 1, t0, n, tokCond, tokCond0);
    Buf carries = rowsOf(b, "carries");
    for (int64_t l = 1; l < L; ++l) {
      int64_t p = per(l);
      copyRows(b, at(carries, b, mulI(b, addI(b, mulI(b, t0, L - 1), l - 1), D)), (L - 1) * D,
               at(rowsOf(b, "items." + std::to_string(l)), b, cIdx(b, (p - 1) * D)), p * D, D,
               n);
    }
  }

  /// RecGen: X^L_g = Enc_L-step(Chunk_L(X̂^{L-1} items of g)) into rows t0..
  /// of `top`, at the cache position of the cursor's meta-context + ahead.
  void encodeTop(Builder &b, Value t0, Value n, int64_t ahead) {
    chunk(b, L, "items." + std::to_string(L - 1), cIdx(b, 0), "top", t0, n);
    StackRows rows = cursorRows(cIdx(b, 1), t0, B);
    rows.p0 = ahead;
    stack(b, "encoder." + std::to_string(L), "top", t0, n, rows, "enc." + std::to_string(L),
          capacity(b, L));
  }

  /// RecGen's latent chain over one meta-context (the cursor's + ahead):
  /// Dec_L..Dec_2 conditioned on X^L in `top` (the meta-context before),
  /// the token chunks' conditions into `tokCond` (one row per chunk of each
  /// sequence), then the meta-context's own X^L into `top`.
  void latentChain(Builder &b, Value t0, Value n, StringRef tokCond, int64_t ahead) {
    decodeLatents(b, t0, n, "top", t0, tokCond, mulI(b, t0, per(1)));
    encodeTop(b, t0, n, ahead);
  }

  //===--------------------------------------------------------------------===//
  // Streams (GPU)
  //===--------------------------------------------------------------------===//

  /// The launches after it go to the runtime's stream `id`; another stream
  /// than 0 starts after the work already on stream 0
  /// (runtime/CudaBackend.cpp). MLIR's gpu.wait async cannot say this: its
  /// lowering records a stream's event where the token is defined, and a
  /// token through a loop, a branch or a call is taken for an event.
  void useStream(Builder &b, int64_t id) {
    if (gpu)
      callRuntime(b, kUseStreamSymbol, {arith::ConstantIntOp::create(b, i32(), id)});
  }
  /// Stream 0 waits for the work on every other stream and takes the next
  /// launches.
  void joinStreams(Builder &b) {
    if (gpu)
      callRuntime(b, kJoinStreamsSymbol, {});
  }
  void callRuntime(Builder &b, StringRef name, ValueRange args) {
    if (!module.lookupSymbol<func::FuncOp>(name)) {
      OpBuilder ob(ctx);
      ob.setInsertionPointToEnd(module.getBody());
      func::FuncOp::create(ob, loc, name, FunctionType::get(ctx, args.getTypes(), {}))
          .setPrivate();
    }
    call(b, name, args);
  }

  /// Region `name` of the lane the stack calls being emitted run in.
  std::string inLane(StringRef name) const { return (name + lane).str(); }
  SmallVector<StringRef, 2> lanes() const {
    if (lookahead)
      return {"", kLatentLane};
    return {""};
  }

  /// Token j of the tile's token chunks in `rows` is final: the prompt's
  /// where the position is inside the prompt, else the chosen id. Records it
  /// in `tokens` and `out` and leaves it in `ids` (the next Dec_1 input), or
  /// with `embedInto` (vanilla: the step's input) writes its embedding
  /// there instead, a thread per feature, and leaves `ids` as it was.
  void commitTokens(Builder &b, Value t0, Value nI, int64_t j, TokenRows rows,
                    Value embedInto = Value()) {
    const int64_t C1 = L == 0 ? 1 : c.chunkSizes[0];
    Value positions = view(b, "positions", i32()), tokens = view(b, "tokens", i32());
    Value ids = view(b, "ids", i32()), cap = rowCap(b);
    SmallVector<Value> space{nI};
    if (embedInto)
      space.push_back(cIdx(b, D));
    parallel(b, embedInto ? "photon_commit_embed_tokens" : "photon_commit_tokens", space,
             [&](Builder &b, ValueRange iv) {
      Value i = iv[0];
      Value s = addI(b, t0, divU(b, i, rows.perSeq)), ci = remU(b, i, rows.perSeq);
      if (rows.chunk0)
        ci = addI(b, ci, rows.chunk0);
      Value cursor = loadIndex(b, positions, mulI(b, s, 2));
      Value promptLen = loadIndex(b, positions, addI(b, mulI(b, s, 2), 1));
      Value p = addI(b, addI(b, cursor, mulI(b, ci, C1)), j);
      Value inside = ult(b, p, cap);
      Value at = addI(b, mulI(b, s, cap), arith::SelectOp::create(b, inside, p, cIdx(b, 0)));
      Value forced = ult(b, p, promptLen);
      Value prompt = memref::LoadOp::create(b, tokens, ValueRange{at});
      Value chosen = memref::LoadOp::create(b, ids, ValueRange{i});
      Value tok = arith::SelectOp::create(b, forced, prompt, chosen);
      auto record = [&](Builder &b) {
        ifThen(b, arith::AndIOp::create(b, inside, arith::XOrIOp::create(
                                                       b, forced, arith::ConstantOp::create(
                                                                      b, b.getBoolAttr(true)))),
               [&](Builder &b) { memref::StoreOp::create(b, tok, tokens, ValueRange{at}); });
        if (!embedInto)
          memref::StoreOp::create(b, tok, ids, ValueRange{i});
        Value row = mulI(b, s, B + 1);
        memref::StoreOp::create(b, tok, out,
                                ValueRange{addI(b, addI(b, row, 1 + j), mulI(b, ci, C1))});
        if (j == 0)
          ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, ci, cIdx(b, 0)),
                 [&](Builder &b) { storeI(b, cursor, out, row); });
      };
      if (!embedInto)
        return record(b);
      // Feature 0's thread records the token; every thread copies its
      // feature of the token's embedding.
      Value d = iv[1];
      ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, d, cIdx(b, 0)), record);
      Buf table{W, cIdx(b, weightOffset("model.embed_tokens.weight"))};
      Value row = mulI(b, arith::IndexCastOp::create(b, b.getIndexType(), tok), D);
      Buf{embedInto, cIdx(b, 0)}.store(b, table.load(b, addI(b, row, d)),
                                       addI(b, mulI(b, i, D), d));
    });
  }

  /// The LM head over `nI` rows of `hidden` from row hidden0, then token j of each row's
  /// chunk (`rows`): argmax, or a draw at the row's uniform.
  void chooseTokens(Builder &b, StringRef hidden, Value hidden0, Value t0, Value nI,
                    int64_t j, TokenRows rows, Value embedInto = Value()) {
    const int64_t C1 = L == 0 ? 1 : c.chunkSizes[0];
    // Window position of row i's token j: a chunk of C1 tokens a row, or a
    // sequence of B tokens a row (one chunk per sequence).
    const int64_t window0 = rows.chunk0 * C1 + j, stride = rows.perSeq == 1 ? B : C1;
    Value zero = cIdx(b, 0);
    Value logitsBuf = view(b, "logits", f32(), zero, mulI(b, nI, V));
    call(b, "photon_lm_head", {W, actRows(b, hidden, hidden0, nI), nI, logitsBuf});
    Value collect = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt,
                                          memref::DimOp::create(b, dump, 0), zero);
    ifThen(b, collect, [&](Builder &b) {
      copyRows(b, Buf{dump, mulI(b, addI(b, mulI(b, t0, B), window0), V)}, stride * V,
               Buf{logitsBuf, cIdx(b, 0)}, V, V, nI);
    });
    Value idsBuf = view(b, "ids", i32(), zero, nI);
    Value greedy = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, temperature, cF32(b, 0));
    auto ifOp = scf::IfOp::create(b, greedy, /*withElseRegion=*/true);
    Builder tb(loc, ctx), eb(loc, ctx);
    tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    eb.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    // The argmax's per-block partials: nI·parts f32 maxima, then their ids.
    Value partials = mulI(tb, nI, vocabPartition(V).parts);
    call(tb, "photon_argmax",
         {logitsBuf, nI, idsBuf, view(tb, "vocab_partials", f32(), zero, partials),
          view(tb, "vocab_partials", i32(), partials, partials), view(tb, "semaphores", i32())});
    Value draws = view(eb, "uniforms", f32(), cIdx(eb, 0), nI);
    copyRows(eb, Buf{draws, cIdx(eb, 0)}, 1, Buf{uniforms, addI(eb, mulI(eb, t0, B), window0)},
             stride, 1, nI);
    call(eb, "photon_sample", {logitsBuf, nI, draws, temperature, topK, topP, idsBuf});
    commitTokens(b, t0, nI, j, rows, embedInto);
  }

  /// The token chunks of one meta-context of the tile through Dec_1,
  /// conditioned on rows cond0.. of `cond` (one per chunk of each sequence):
  /// in lockstep, each call taking every chunk; else one chunk after another.
  void tokenPhase(Builder &b, Value t0, Value n, StringRef cond, Value cond0) {
    const int64_t C1 = c.chunkSizes[0], R1 = c.prefixLengths[0], per1 = per(1);
    const int64_t perCall = lockstep ? per1 : 1;
    Value zero = cIdx(b, 0), cap = cIdx(b, R1 + C1 - 1);
    for (int64_t chunk0 = 0; chunk0 < per1; chunk0 += perCall) {
      TokenRows rows{perCall, chunk0};
      Value nI = mulI(b, n, perCall), condRows = actRows(b, cond, cond0, nI);
      if (perCall != per1) { // chunk chunk0 of every sequence, gathered
        Value first = mulI(b, addI(b, cond0, chunk0), D);
        copyRows(b, rowsOf(b, "hidden"), D, at(rowsOf(b, cond), b, first), per1 * D, D, n);
        condRows = actRows(b, "hidden", zero, nI);
      }
      call(b, "photon_converter_1",
           {W, condRows, nI, actRows(b, "prefix", zero, mulI(b, nI, R1))});
      stack(b, "decoder.1", "prefix", zero, mulI(b, nI, R1), localRowsOf(1, 0), "dec.1", cap);
      copyRows(b, rowsOf(b, "hidden"), D, at(rowsOf(b, "prefix"), b, cIdx(b, (R1 - 1) * D)),
               R1 * D, D, nI);
      for (int64_t j = 0; j < C1; ++j) {
        chooseTokens(b, "hidden", zero, t0, nI, j, rows);
        if (j + 1 == C1)
          break;
        call(b, "photon_embed_dec",
             {W, view(b, "ids", i32(), zero, nI), nI, actRows(b, "hidden", zero, nI)});
        stack(b, "decoder.1", "hidden", zero, nI, localRowsOf(1, j + 1), "dec.1", cap);
      }
    }
  }

  /// Encodes `rows0` level-0 items (token embeddings, width D0) of `cur`,
  /// `perSlot0` per sequence, bottom-up through Enc_1..Enc_L. Returns the
  /// region holding X^L (one row per meta-context).
  std::string encodeLevels(Builder &b, std::string cur, std::string other, Value rows0,
                           Value perSlot0, function_ref<StackRows(Builder &, int64_t, Value)> rowsAt,
                           function_ref<std::string(int64_t)> cacheOf) {
    Value rows = rows0, perSlot = perSlot0, zero = cIdx(b, 0);
    for (int64_t l = 1; l <= L; ++l) {
      int64_t C = c.chunkSizes[l - 1];
      rows = divU(b, rows, C);
      perSlot = divU(b, perSlot, C);
      if (c.chunkerIsLinear(l)) {
        chunk(b, l, cur, zero, other, zero, rows);
        std::swap(cur, other);
      } // concat: C1 consecutive D0-wide embeddings are one D-wide row
      stack(b, "encoder." + std::to_string(l), cur, zero, rows, rowsAt(b, l, perSlot),
            cacheOf(l), capacity(b, l));
    }
    return cur;
  }

  void advanceCursor(Builder &b, Value t0, Value n) {
    Value positions = view(b, "positions", i32());
    parallel(b, "photon_advance_cursor", {n}, [&](Builder &b, ValueRange iv) {
      Value i = mulI(b, addI(b, t0, iv[0]), 2);
      storeI(b, addI(b, loadIndex(b, positions, i), B), positions, i);
    });
  }

  //===--------------------------------------------------------------------===//
  // The entry points
  //===--------------------------------------------------------------------===//

  /// Binds the arguments every entry point shares and lays out the arena.
  Builder enter(func::FuncOp fn) {
    Builder b(loc, ctx);
    b.setInsertionPoint(fn.getBody().front().getTerminator());
    W = fn.getArgument(0);
    S = fn.getArgument(1);
    batch = fn.getArgument(2);
    Value maxTokens = fn.getArgument(3);
    steps = addI(b, arith::CeilDivUIOp::create(b, maxTokens, cIdx(b, B)), 1);
    regionAt.clear();
    regionBytes.clear();
    layoutRegions(b);
    return b;
  }

  void emitPrefill() {
    auto fn = makeEntry(program.getPrefillSymbol(),
                        {buf(weightElt), buf(IntegerType::get(ctx, 8)), idx(), idx(), idx(),
                         idx(), idx(), idx(), buf(i32())});
    Builder b = enter(fn);
    Value first = fn.getArgument(4), count = fn.getArgument(5), P = fn.getArgument(6);
    Value E = fn.getArgument(7), prompt = fn.getArgument(8), zero = cIdx(b, 0);
    Value gp = divU(b, E, B); // complete meta-contexts among the encoded tokens

    // Token history, cursor (first position of the next window), and the
    // known length: the step forces every token before it.
    Value positions = view(b, "positions", i32()), tokens = view(b, "tokens", i32());
    Value cap = rowCap(b);
    parallel(b, "photon_load_prompt", {count, P}, [&](Builder &b, ValueRange iv) {
      Value s = addI(b, first, iv[0]);
      Value t = memref::LoadOp::create(b, prompt, ValueRange{addI(b, mulI(b, iv[0], P), iv[1])});
      memref::StoreOp::create(b, t, tokens, ValueRange{addI(b, mulI(b, s, cap), iv[1])});
      ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, iv[1], cIdx(b, 0)),
             [&](Builder &b) {
               storeI(b, L == 0 ? E : mulI(b, gp, B), positions, mulI(b, s, 2));
               storeI(b, P, positions, addI(b, mulI(b, s, 2), 1));
             });
    });

    writeLocalRows(b);
    // The semaphores start at zero (kernels that count their blocks there
    // leave them so).
    for (StringRef lane : lanes()) {
      Value semaphores = view(b, ("semaphores" + lane).str(), i32());
      parallel(b, "photon_zero_semaphores", {memref::DimOp::create(b, semaphores, 0)},
               [&](Builder &b, ValueRange iv) {
                 memref::StoreOp::create(b, arith::ConstantIntOp::create(b, i32(), 0), semaphores,
                                         iv);
               });
    }

    if (L == 0) { // the encoded tokens through the global stack
      Value rows = mulI(b, count, E);
      Value x0 = actRows(b, "prefill.x0", zero, rows);
      auto whole = scf::IfOp::create(
          b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, E, P), /*withElseRegion=*/true);
      Builder tb(loc, ctx), eb(loc, ctx);
      tb.setInsertionPoint(whole.thenBlock()->getTerminator());
      eb.setInsertionPoint(whole.elseBlock()->getTerminator());
      call(tb, "photon_embed_tok", {W, prompt, rows, x0});
      // Fewer than the known tokens: each sequence's first E, from its history.
      forRange(eb, zero, count, cIdx(eb, 1), [&](Builder &b, Value i) {
        call(b, "photon_embed_tok", {W, view(b, "tokens", i32(), mulI(b, addI(b, first, i), cap), E),
                                     E, actRows(b, "prefill.x0", mulI(b, i, E), E)});
      });
      stack(b, "model", "prefill.x0", zero, rows, fixedRows(E, first), "kv", capacity(b, 0));
      // The hidden state of the last encoded token predicts the next one.
      copyRowsStrided(b, at(rowsOf(b, "top"), b, mulI(b, first, D)), D,
                      at(rowsOf(b, "prefill.x0"), b, mulI(b, addI(b, E, -1), D)), E, count);
      return;
    }

    // Before any complete meta-context: start latents.
    Buf top = rowsOf(b, "top");
    copyRows(b, at(top, b, mulI(b, first, D)), D, startLatent(b, L), 0, D, count);
    for (int64_t l = 1; l < L; ++l)
      copyRows(b, at(rowsOf(b, "carries"), b, mulI(b, addI(b, mulI(b, first, L - 1), l - 1), D)),
               (L - 1) * D, startLatent(b, l), 0, D, count);

    Value any = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, gp, zero);
    ifThen(b, any, [&](Builder &b) {
      // Encoder caches over the complete meta-contexts, all levels at once.
      Value len = mulI(b, gp, B), rows = mulI(b, count, len);
      Value ids = view(b, "prefill.ids", i32());
      parallel(b, "photon_prompt_ids", {count, len}, [&](Builder &b, ValueRange iv) {
        Value t = memref::LoadOp::create(b, prompt, ValueRange{addI(b, mulI(b, iv[0], P), iv[1])});
        memref::StoreOp::create(b, t, ids, ValueRange{addI(b, mulI(b, iv[0], len), iv[1])});
      });
      call(b, "photon_embed_enc", {W, view(b, "prefill.ids", i32(), zero, rows), rows,
                                   actRows(b, "prefill.x0", zero, rows, c.dEmbed)});
      // A RecGen program keeps only Enc_L: the lower caches hold this call's
      // sequences at slots 0..count-1.
      std::string xL = encodeLevels(
          b, "prefill.x0", "prefill.x1", rows, len,
          [&](Builder &b, int64_t l, Value perSlot) {
            return fixedRows(perSlot, (recgen && l < L) ? cIdx(b, 0) : first);
          },
          [&](int64_t l) { return "enc." + std::to_string(l); });
      // X^L_1..X^L_gp of sequence first+i are rows i·gp.. of xL.
      Buf x = rowsOf(b, xL);
      copyRowsStrided(b, at(top, b, mulI(b, first, D)), D,
                      at(x, b, mulI(b, addI(b, gp, -1), D)), gp, count);
      if (L < 2)
        return;
      // The carries of meta-context gp+1: Dec_L..Dec_2 over meta-context gp
      // (conditioned on X^L_{gp-1}, or s^L); with a chunk size of 1 they read
      // the carries of gp-1, and then the whole chain is replayed.
      Value mc0 = c.decoderCarriesAreLocal() ? gp : cIdx(b, 1);
      forRange(b, mc0, addI(b, gp, 1), cIdx(b, 1), [&](Builder &b, Value mc) {
        Buf cond = rowsOf(b, "hidden");
        Value fromTop = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, mc, cIdx(b, 2));
        auto ifOp = scf::IfOp::create(b, fromTop, /*withElseRegion=*/true);
        Builder tb(loc, ctx), eb(loc, ctx);
        tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
        eb.setInsertionPoint(ifOp.elseBlock()->getTerminator());
        copyRowsStrided(tb, cond, D, at(x, tb, mulI(tb, addI(tb, mc, -2), D)), gp, count);
        copyRows(eb, cond, D, startLatent(eb, L), 0, D, count);
        decodeLatents(b, first, count, "hidden", cIdx(b, 0), "tok_cond",
                      lookahead ? mulI(b, first, per(1)) : cIdx(b, 0));
      });
    });
    // Running ahead, the first step finds its meta-context's latents ready:
    // the call that completes the batch (prefill calls cover it in order)
    // decodes them for every sequence, a decode tile at a time, rather than
    // each call for its few prompts.
    if (lookahead) {
      Value last = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, addI(b, first, count), batch);
      ifThen(b, last, [&](Builder &b) {
        Value tile = cIdx(b, plan.getDecodeTile());
        forRange(b, cIdx(b, 0), batch, tile, [&](Builder &b, Value t0) {
          Value n = arith::MinUIOp::create(b, tile, arith::SubIOp::create(b, batch, t0));
          latentChain(b, t0, n, "tok_cond", /*ahead=*/0);
        });
      });
    }
  }

  /// dst[i] = src[i·stride] for rows of D, with a run-time row stride.
  void copyRowsStrided(Builder &b, Buf dst, int64_t dstStride, Buf src, Value srcStrideRows,
                       Value n) {
    parallel(b, "photon_copy_rows_strided", {n, cIdx(b, D)}, [&](Builder &b, ValueRange iv) {
      Value from = addI(b, mulI(b, mulI(b, iv[0], srcStrideRows), D), iv[1]);
      dst.store(b, src.load(b, from), addI(b, mulI(b, iv[0], dstStride), iv[1]));
    });
  }

  void emitStep() {
    auto fn = makeEntry(program.getStepSymbol(),
                        {buf(weightElt), buf(IntegerType::get(ctx, 8)), idx(), idx(),
                         buf(f32()), buf(i32()), buf(f32()), f32(), idx(), f32()});
    Builder b = enter(fn);
    uniforms = fn.getArgument(4);
    out = fn.getArgument(5);
    dump = fn.getArgument(6);
    temperature = fn.getArgument(7);
    topK = fn.getArgument(8);
    topP = fn.getArgument(9);
    Value tile = cIdx(b, plan.getDecodeTile()), zero = cIdx(b, 0);
    if (lookahead) {
      // Tokens of this meta-context from the conditions the previous call
      // left; meanwhile (on a stream of its own) the next meta-context's
      // latents. The cursor and conditions advance once both are done.
      forRange(b, zero, batch, tile, [&](Builder &b, Value t0) {
        Value n = arith::MinUIOp::create(b, tile, arith::SubIOp::create(b, batch, t0));
        useStream(b, kLatentStream);
        lane = kLatentLane;
        latentChain(b, t0, n, kNextTokenConditions, /*ahead=*/1);
        lane = "";
        useStream(b, 0);
        tokenPhase(b, t0, n, "tok_cond", mulI(b, t0, per(1)));
      });
      joinStreams(b);
      copyRows(b, rowsOf(b, "tok_cond"), D, rowsOf(b, kNextTokenConditions), D, D,
               mulI(b, batch, per(1)));
      advanceCursor(b, zero, batch);
      return;
    }
    forRange(b, zero, batch, tile, [&](Builder &b, Value t0) {
      Value n = arith::MinUIOp::create(b, tile, arith::SubIOp::create(b, batch, t0));
      if (L == 0) {
        // One token: logits from the last hidden state, then that token
        // through the global stack at the cursor's position. The token's
        // commit embeds it, and the stack's rows advance the cursor: two
        // launches fewer a step than their own kernels.
        chooseTokens(b, "top", t0, t0, n, 0, TokenRows{1, 0}, actRows(b, "top", t0, n));
        StackRows rows = cursorRows(cIdx(b, 1), t0, 1);
        rows.advance = B;
        stack(b, "model", "top", t0, n, rows, "kv", capacity(b, 0));
        return;
      }
      if (L >= 2) {
        decodeLatents(b, t0, n, "top", t0, "tok_cond", zero);
        tokenPhase(b, t0, n, "tok_cond", zero);
      } else {
        tokenPhase(b, t0, n, "top", t0);
      }
      if (recgen) {
        encodeTop(b, t0, n, /*ahead=*/0);
      } else { // HierGen: encode the meta-context's tokens
        Value ids = view(b, "ids", i32()), tokens = view(b, "tokens", i32());
        Value positions = view(b, "positions", i32()), cap = rowCap(b);
        parallel(b, "photon_window_ids", {n, cIdx(b, B)}, [&](Builder &b, ValueRange iv) {
          Value s = addI(b, t0, iv[0]);
          Value from = addI(b, addI(b, mulI(b, s, cap), loadIndex(b, positions, mulI(b, s, 2))), iv[1]);
          Value t = memref::LoadOp::create(b, tokens, ValueRange{from});
          memref::StoreOp::create(b, t, ids, ValueRange{addI(b, mulI(b, iv[0], B), iv[1])});
        });
        Value rows = mulI(b, n, B);
        call(b, "photon_embed_enc", {W, view(b, "ids", i32(), zero, rows), rows,
                                     actRows(b, "encode.x0", zero, rows, c.dEmbed)});
        std::string xL = encodeLevels(
            b, "encode.x0", "encode.x1", rows, cIdx(b, B),
            [&](Builder &b, int64_t l, Value perSlot) {
              return cursorRows(perSlot, t0, c.span(l));
            },
            [&](int64_t l) { return "enc." + std::to_string(l); });
        copyRows(b, at(rowsOf(b, "top"), b, mulI(b, t0, D)), D, rowsOf(b, xL), D, D, n);
      }
      advanceCursor(b, t0, n);
    });
  }

  ModuleOp module;
  ProgramOp program;
  const ModelConfig c;
  StatePlanAttr plan;
  Type weightElt, actElt;
  const llvm::StringMap<int64_t> &weightOffsets;
  bool gpu;
  MLIRContext *ctx;
  Location loc;
  int64_t D = 0, V = 0, L = 0, B = 0, maxRows = 0;
  bool recgen = false, failed = false;
  // RecGen's step decodes the next meta-context's latents, on a stream and
  // with scratch of their own, while it samples this one's tokens.
  bool lookahead = false;
  bool lockstep = false; // a meta-context's token chunks as rows of one call
  StringRef lane; // suffix of the scratch regions of the stack calls emitted
  LocalRowsLayout localRows;

  // The entry point being emitted.
  Value W, S, batch, steps;
  Value uniforms, out, dump, temperature, topK, topP;
  llvm::StringMap<Value> regionAt, regionBytes;
};

/// `const char *photon_description()`: the artifact description
/// (passes/ArtifactDescription.h) as a NUL-terminated JSON string.
void emitDescription(ModuleOp module, const std::string &text) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  std::string data = text + '\0';
  auto type = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), data.size());
  LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true, LLVM::Linkage::Internal,
                         "photon_description_text", b.getStringAttr(data));
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto fn = func::FuncOp::create(b, loc, "photon_description",
                                 FunctionType::get(ctx, {}, {ptr}));
  b.setInsertionPointToEnd(fn.addEntryBlock());
  Value at = LLVM::AddressOfOp::create(b, loc, ptr, "photon_description_text");
  func::ReturnOp::create(b, loc, at);
}

struct ConvertPhotonProgramsToHost
    : impl::ConvertPhotonProgramsToHostBase<ConvertPhotonProgramsToHost> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<ModelOp> found = getOnlyModel(module, getArgument());
    if (failed(found))
      return signalPassFailure();
    ModelOp model = *found;
    if (!model.getMemoryPlan()) {
      model.emitOpError("has no memory plan: run -photon-plan-memory first");
      return signalPassFailure();
    }
    llvm::StringMap<int64_t> offsets;
    Type weightElt;
    for (ParamOp p : model.getBody().front().getOps<ParamOp>()) {
      if (std::optional<int64_t> off = p.getOffset())
        offsets[p.getSymName()] = *off;
      weightElt = p.getTensorType().getElementType();
    }
    for (ProgramOp program : model.getBody().front().getOps<ProgramOp>()) {
      if (!program.getStatePlan()) {
        program.emitOpError("has no state plan: run -photon-plan-memory first");
        return signalPassFailure();
      }
      ProgramEmitter emitter(module, model, program, weightElt, offsets, target == KernelTarget::GPU);
      if (failed(emitter.emit()))
        return signalPassFailure();
    }
    // What the library is compiled for, which the runtime checks the
    // manifest (written from the same planned model) against.
    FailureOr<nlohmann::ordered_json> description = describeCompiledModel(model);
    if (failed(description))
      return signalPassFailure();
    emitDescription(module, description->dump());
    // The kernels and the programs' entry points remain.
    module->setAttr("photon.model", model.getSymNameAttr());
    model.erase();
  }
};

} // namespace
} // namespace mlir::photon
