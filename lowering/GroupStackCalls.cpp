//===- GroupStackCalls.cpp - Two streams' stack calls as one launch each ---===//
//
// photon-group-stack-calls: where a step runs RecGen's latent chain on a
// second stream beside its token chunks (convert-photon-programs-to-host
// with the latent lookahead), the k-th stack call of the latent chain and
// the k-th of the tokens, when both run one shape function, become one call
// of that function grouped: each kernel launches once, its blocks along z
// split in two groups, each the kernel of one call. What the latent chain
// does before a pair moves in front of it on the main stream; what follows
// its last pair stays on the second stream.
//
// The grouped function is the shape function with every launch doubled
// this way. Its host decisions (row buckets, alignment, cache length) are
// taken once: a row bucket (`rows <= n`) on the larger call's rows, so both
// run the kernel of the larger bucket (the kernels serve any rows up to
// their bucket's), every other decision on the first call's arguments. A
// trace of those decisions runs first and checks that the second call
// takes each the same way; where it would not, both calls run alone.
//
//===----------------------------------------------------------------------===//

#include "lowering/KernelBuilder.h"
#include "lowering/Passes.h"
#include "lowering/Streams.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONGROUPSTACKCALLS
#include "lowering/Passes.h.inc"

namespace {

/// The stream a `photon_use_stream` call switches to, a join's 0.
std::optional<int64_t> streamSwitch(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  if (!call)
    return std::nullopt;
  if (call.getCallee() == kJoinStreamsSymbol)
    return 0;
  if (call.getCallee() != kUseStreamSymbol)
    return std::nullopt;
  return getConstantIntValue(call.getOperand(0));
}

/// `photon_join_streams()` at `b`. Before a fork of the main stream's work
/// it makes the fork take: the runtime forks a stream only at its first use
/// since the last join (a later tile's, say, would not wait otherwise).
void joinStreams(OpBuilder &b, Location loc) {
  func::CallOp::create(b, loc, kJoinStreamsSymbol, TypeRange{}, ValueRange{});
}

/// A stack call: `scf.for` over chunks of rows whose last effect calls
/// `photon_stack_<name>`, which calls its shape function with its own
/// arguments and constants (the stack's first weight).
struct StackCall {
  scf::ForOp loop;
  func::CallOp call;    // of the stack function, in the loop
  func::CallOp inner;   // of the shape function, in the stack function
  func::FuncOp shape;

  /// Operand `i` of the shape call as seen at `call`: a value at the call
  /// site, or a constant of the stack function.
  Value operand(unsigned i) {
    Value v = inner.getOperand(i);
    if (auto arg = dyn_cast<BlockArgument>(v))
      return call.getOperand(arg.getArgNumber());
    return v;
  }
};

std::optional<StackCall> asStackCall(Operation *op, SymbolTable &symbols) {
  auto loop = dyn_cast<scf::ForOp>(op);
  if (!loop || loop.getNumResults())
    return std::nullopt;
  func::CallOp call;
  for (Operation &inner : loop.getBody()->without_terminator())
    if (!isMemoryEffectFree(&inner))
      call = dyn_cast<func::CallOp>(inner);
  if (!call || !call.getCallee().starts_with("photon_stack_"))
    return std::nullopt;
  auto stack = symbols.lookup<func::FuncOp>(call.getCallee());
  if (!stack || stack.isExternal() || !stack.getBody().hasOneBlock())
    return std::nullopt;
  func::CallOp inner;
  for (Operation &o : stack.getBody().front().without_terminator()) {
    if (isa<arith::ConstantOp>(o))
      continue;
    auto c = dyn_cast<func::CallOp>(o);
    if (!c || inner)
      return std::nullopt;
    inner = c;
  }
  if (!inner)
    return std::nullopt;
  auto shape = symbols.lookup<func::FuncOp>(inner.getCallee());
  if (!shape || shape.isExternal() || !shape.getBody().hasOneBlock())
    return std::nullopt;
  return StackCall{loop, call, inner, shape};
}

/// Two operands are the same argument if they are one value or equal
/// constants.
bool sameOperand(Value a, Value b) {
  if (a == b)
    return true;
  std::optional<int64_t> x = getConstantIntValue(a), y = getConstantIntValue(b);
  return x && y && *x == *y;
}

/// The convention of photon_stack_<name> (lowering/Passes.td): argument 2
/// is the rows of the call.
constexpr unsigned kRowsArg = 2;

//===----------------------------------------------------------------------===//
// The grouped shape function
//===----------------------------------------------------------------------===//

/// What the pairs of a shape pass as each argument: per argument, whether
/// both calls of every pair pass it alike, and the constant they all pass
/// (a local decoder's cache length).
struct SharedArgs {
  llvm::BitVector alike;
  SmallVector<std::optional<int64_t>> constant;
};

/// Builds `<shape>_x2(args of call a, args of call b)`. Arguments the two
/// calls always pass alike are read from a's; one constant everywhere is
/// that constant, so its decisions fold and their other kernels go.
class GroupedShape {
public:
  GroupedShape(func::FuncOp shape, const SharedArgs &shared, int64_t maxRows)
      : shape(shape), shared(shared), n(shape.getNumArguments()), maxRows(maxRows) {}

  FailureOr<func::FuncOp> build() {
    Block &body = shape.getBody().front();
    if (n <= kRowsArg || !body.getArgument(kRowsArg).getType().isIndex())
      return failure();
    // Which of the shape function's values differ between the two calls.
    for (unsigned i = 0; i < n; ++i)
      if (!shared.alike[i])
        varying.insert(body.getArgument(i));
    WalkResult walked = shape.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (llvm::any_of(op->getOperands(), [&](Value v) { return varying.contains(v); }))
        for (Value r : op->getResults())
          varying.insert(r);
      if (auto loop = dyn_cast<scf::ForOp>(op))
        if (varying.contains(loop.getLowerBound()) || varying.contains(loop.getUpperBound()) ||
            varying.contains(loop.getStep()) || loop.getNumResults())
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return failure();

    OpBuilder ob(shape);
    ob.setInsertionPointAfter(shape);
    SmallVector<Type> types(shape.getArgumentTypes());
    llvm::append_range(types, shape.getArgumentTypes());
    auto fn = func::FuncOp::create(ob, shape.getLoc(), (shape.getSymName() + "_x2").str(),
                                   FunctionType::get(shape.getContext(), types, {}));
    fn.setPrivate();
    if (Attribute linkage = shape->getAttr("llvm.linkage"))
      fn->setAttr("llvm.linkage", linkage);
    Block *entry = fn.addEntryBlock();
    Builder b(shape.getLoc(), shape.getContext());
    b.setInsertionPointToStart(entry);
    // The first call's arguments; each emission below maps from a copy.
    IRMapping args;
    for (unsigned i = 0; i < n; ++i) {
      Value a = entry->getArgument(i);
      if (shared.constant[i] && a.getType().isIndex())
        a = cIdx(b, *shared.constant[i]);
      args.map(body.getArgument(i), a);
      argsB.push_back(shared.alike[i] ? a : entry->getArgument(n + i));
    }
    Value rowsA = entry->getArgument(kRowsArg);
    rowsMax = arith::MaxUIOp::create(b, rowsA, argsB[kRowsArg]);

    // Calls of 1 to maxRows rows: the trace (does the second call decide
    // as the first?), then grouped if so; else one after the other.
    Value rowsMin = arith::MinUIOp::create(b, rowsA, argsB[kRowsArg]);
    auto small = scf::IfOp::create(
        b,
        arith::AndIOp::create(
            b, arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rowsMax, cIdx(b, maxRows)),
            arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rowsMin, cIdx(b, 1))),
        /*withElseRegion=*/true);
    Builder sb(b.getLoc(), b.getContext());
    sb.setInsertionPoint(small.thenBlock()->getTerminator());
    ok = memref::AllocaOp::create(sb, MemRefType::get({}, sb.getI1Type()));
    memref::StoreOp::create(sb, arith::ConstantOp::create(sb, sb.getBoolAttr(true)), ok);
    IRMapping traced = args;
    if (failed(emit(sb, body, traced, /*trace=*/true)))
      return fn.erase(), failure();
    auto same = scf::IfOp::create(sb, memref::LoadOp::create(sb, ok), /*withElseRegion=*/true);
    same->setAttr(kGroupedPathAttr, sb.getUnitAttr());
    Builder tb(b.getLoc(), b.getContext());
    tb.setInsertionPoint(same.thenBlock()->getTerminator());
    IRMapping grouped = args;
    if (failed(emit(tb, body, grouped, /*trace=*/false)))
      return fn.erase(), failure();
    for (Block *apart : {same.elseBlock(), small.elseBlock()}) {
      Builder eb(b.getLoc(), b.getContext());
      eb.setInsertionPoint(apart->getTerminator());
      func::CallOp::create(eb, shape, entry->getArguments().take_front(n));
      func::CallOp::create(eb, shape, argsB);
    }
    func::ReturnOp::create(b);
    return fn;
  }

private:
  /// A row bucket: `scf.if (rows <= n)` or `(rows < n)`.
  bool isRowBucket(Value cond) {
    auto cmp = cond.getDefiningOp<arith::CmpIOp>();
    return cmp && cmp.getLhs() == shape.getArgument(kRowsArg) &&
           (cmp.getPredicate() == arith::CmpIPredicate::ule ||
            cmp.getPredicate() == arith::CmpIPredicate::ult) &&
           getConstantIntValue(cmp.getRhs());
  }

  /// The value of a host condition that holds for every call of 1 to
  /// maxRows rows (comparisons of the rows with constants, and, or; the
  /// predicates are monotone, so the two ends decide).
  std::optional<bool> known(Value cond) {
    Operation *def = cond.getDefiningOp();
    if (auto cmp = dyn_cast_or_null<arith::CmpIOp>(def)) {
      std::optional<int64_t> c = getConstantIntValue(cmp.getRhs());
      if (cmp.getLhs() != shape.getArgument(kRowsArg) || !c)
        return std::nullopt;
      std::optional<bool> all;
      for (int64_t rows : {int64_t(1), maxRows}) {
        bool v;
        switch (cmp.getPredicate()) {
        case arith::CmpIPredicate::ule: v = rows <= *c; break;
        case arith::CmpIPredicate::ult: v = rows < *c; break;
        case arith::CmpIPredicate::uge: v = rows >= *c; break;
        case arith::CmpIPredicate::ugt: v = rows > *c; break;
        default: return std::nullopt;
        }
        if (all && *all != v)
          return std::nullopt;
        all = v;
      }
      return all;
    }
    if (isa_and_nonnull<arith::AndIOp, arith::OrIOp>(def)) {
      bool isAnd = isa<arith::AndIOp>(def);
      std::optional<bool> x = known(def->getOperand(0)), y = known(def->getOperand(1));
      if ((x && *x != isAnd) || (y && *y != isAnd))
        return !isAnd; // false and _, true or _
      if (x && y)
        return isAnd;
      return std::nullopt;
    }
    return std::nullopt;
  }

  /// The host ops of `block`, with `m` the first call's values: decisions
  /// taken as the file comment says; launches skipped (`trace`, which
  /// instead checks the second call's decisions) or grouped.
  LogicalResult emit(Builder &b, Block &block, IRMapping &m, bool trace) {
    for (Operation &op : block.without_terminator()) {
      if (auto launch = dyn_cast<gpu::LaunchOp>(op)) {
        if (!trace && failed(group(b, launch, m)))
          return failure();
        continue;
      }
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        auto copy = scf::ForOp::create(b, m.lookupOrDefault(loop.getLowerBound()),
                                       m.lookupOrDefault(loop.getUpperBound()),
                                       m.lookupOrDefault(loop.getStep()));
        m.map(loop.getInductionVar(), copy.getInductionVar());
        Builder lb(b.getLoc(), b.getContext());
        lb.setInsertionPoint(copy.getBody()->getTerminator());
        if (failed(emit(lb, *loop.getBody(), m, trace)))
          return failure();
        continue;
      }
      if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
        if (ifOp.getNumResults())
          return failure();
        Value cond = ifOp.getCondition();
        // Decided for every call of up to maxRows rows: the branch taken.
        if (std::optional<bool> taken = known(cond)) {
          if (*taken || !ifOp.getElseRegion().empty())
            if (failed(emit(b, *taken ? *ifOp.thenBlock() : *ifOp.elseBlock(), m, trace)))
              return failure();
          continue;
        }
        Value decided;
        if (isRowBucket(cond)) {
          auto cmp = cond.getDefiningOp<arith::CmpIOp>();
          decided = arith::CmpIOp::create(b, cmp.getPredicate(), rowsMax,
                                          m.lookupOrDefault(cmp.getRhs()));
        } else {
          decided = m.lookupOrDefault(cond);
          if (trace && varying.contains(cond)) {
            IRMapping memo;
            Value other = second(b, cond, m, memo);
            if (!other)
              return failure();
            Value agree = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, decided, other);
            memref::StoreOp::create(
                b, arith::AndIOp::create(b, memref::LoadOp::create(b, ok), agree), ok);
          }
        }
        bool hasElse = !ifOp.getElseRegion().empty();
        auto copy = scf::IfOp::create(b, decided, hasElse);
        Builder rb(b.getLoc(), b.getContext());
        rb.setInsertionPoint(copy.thenBlock()->getTerminator());
        if (failed(emit(rb, *ifOp.thenBlock(), m, trace)))
          return failure();
        if (hasElse) {
          rb.setInsertionPoint(copy.elseBlock()->getTerminator());
          if (failed(emit(rb, *ifOp.elseBlock(), m, trace)))
            return failure();
        }
        continue;
      }
      if (op.getNumRegions() || !isMemoryEffectFree(&op))
        return failure();
      b.clone(op, m);
    }
    return success();
  }

  /// `v` as the second call computes it, at `b` (`memo`: what this point
  /// already has). Null where it is not a pure host computation.
  Value second(Builder &b, Value v, IRMapping &m, IRMapping &memo) {
    if (!varying.contains(v))
      return m.lookupOrDefault(v);
    if (Value done = memo.lookupOrNull(v))
      return done;
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &shape.getBody().front() ? argsB[arg.getArgNumber()] : Value();
    Operation *op = v.getDefiningOp();
    if (op->getNumRegions() || !isMemoryEffectFree(op))
      return Value();
    IRMapping operands;
    for (Value o : op->getOperands()) {
      Value x = second(b, o, m, memo);
      if (!x)
        return Value();
      operands.map(o, x);
    }
    Operation *copy = b.clone(*op, operands);
    for (auto [from, to] : llvm::zip(op->getResults(), copy->getResults()))
      memo.map(from, to);
    return memo.lookup(v);
  }

  /// `launch` for both calls: a grid of the larger x and y of the two and
  /// their z one after the other; each block runs the kernel of its group
  /// with that group's values and grid, or nothing where its x or y lies
  /// outside that grid. Launches this cannot express run one after the other.
  LogicalResult group(Builder &b, gpu::LaunchOp launch, IRMapping &m) {
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(launch.getBody(), captured);
    SmallVector<Value> used(launch->getOperands());
    used.append(captured.begin(), captured.end());
    IRMapping memo;
    IRMapping mb;
    for (Value v : used) {
      Value x = second(b, v, m, memo);
      if (!x)
        return failure();
      mb.map(v, x);
    }
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    bool groupable = !launch.getAsyncToken() && launch.getAsyncDependencies().empty() &&
                     !launch.hasClusterSize() && launch.getBody().hasOneBlock() &&
                     launch.getPrivateAttributions().empty() &&
                     getConstantIntValue(block.x) && getConstantIntValue(block.y) &&
                     getConstantIntValue(block.z) &&
                     (!launch.getDynamicSharedMemorySize() ||
                      !varying.contains(launch.getDynamicSharedMemorySize()));
    if (!groupable) {
      b.clone(*launch, m);
      b.clone(*launch, mb);
      return success();
    }
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    Value ax = m.lookupOrDefault(grid.x), ay = m.lookupOrDefault(grid.y),
          az = m.lookupOrDefault(grid.z);
    Value bx = mb.lookup(grid.x), by = mb.lookup(grid.y), bz = mb.lookup(grid.z);
    Value dynamic = launch.getDynamicSharedMemorySize()
                        ? m.lookupOrDefault(launch.getDynamicSharedMemorySize())
                        : Value();
    auto grouped = gpu::LaunchOp::create(
        b, arith::MaxUIOp::create(b, ax, bx), arith::MaxUIOp::create(b, ay, by), addI(b, az, bz),
        m.lookupOrDefault(block.x), m.lookupOrDefault(block.y), m.lookupOrDefault(block.z),
        dynamic);
    for (NamedAttribute attr : launch->getDiscardableAttrs())
      if (attr.getName().strref().starts_with("photon."))
        grouped->setAttr(attr.getName(), attr.getValue());
    nameKernel(grouped, (launch.getFunction() ? *launch.getFunction() : StringRef("kernel")) +
                            "_x2");

    Builder kb(b.getLoc(), b.getContext());
    kb.setInsertionPointToStart(&grouped.getBody().front());
    gpu::KernelDim3 ids = grouped.getBlockIds();
    Value inB = arith::CmpIOp::create(kb, arith::CmpIPredicate::uge, ids.z, az);
    auto pick = [&](Value forB, Value forA) {
      return forB == forA ? forA : arith::SelectOp::create(kb, inB, forB, forA).getResult();
    };
    Value z = pick(arith::SubIOp::create(kb, ids.z, az), ids.z);
    Value gx = pick(bx, ax), gy = pick(by, ay), gz = pick(bz, az);
    IRMapping body;
    for (Value v : captured)
      body.map(v, pick(mb.lookup(v), m.lookupOrDefault(v)));
    Value inside = arith::AndIOp::create(kb, ult(kb, ids.x, gx), ult(kb, ids.y, gy));
    ifThen(kb, inside, [&](Builder &ib) {
      cloneLaunchBody(ib, launch, grouped, {ids.x, ids.y, z}, {gx, gy, gz}, body);
    });
    gpu::TerminatorOp::create(kb);
    return success();
  }

  func::FuncOp shape;
  SharedArgs shared;
  unsigned n;
  DenseSet<Value> varying;
  SmallVector<Value> argsB;
  Value rowsMax, ok;
  int64_t maxRows;
};

//===----------------------------------------------------------------------===//
// Pairing the calls of a step
//===----------------------------------------------------------------------===//

/// A fork in a block: `photon_use_stream(s != 0)`, the effects on stream s,
/// `photon_use_stream(0)`, the effects on stream 0 up to the next switch.
struct Fork {
  Operation *toSecond = nullptr, *toMain = nullptr;
  SmallVector<Operation *> second, main;
};

SmallVector<Fork> forksOf(Block &block) {
  SmallVector<Fork> forks;
  Fork *open = nullptr;
  bool onMain = false;
  for (Operation &op : block.without_terminator()) {
    if (std::optional<int64_t> s = streamSwitch(&op)) {
      if (*s != 0) {
        forks.emplace_back();
        open = &forks.back();
        open->toSecond = &op;
        onMain = false;
      } else if (open && !onMain && !open->toMain) {
        open->toMain = &op;
        onMain = true;
      } else {
        open = nullptr;
      }
      continue;
    }
    if (!open || isMemoryEffectFree(&op))
      continue;
    // Effects move within the block: none may define what follows them.
    if (!onMain && op.getNumResults()) {
      open->toMain = nullptr;
      open = nullptr;
      continue;
    }
    (onMain ? open->main : open->second).push_back(&op);
  }
  llvm::erase_if(forks, [](const Fork &f) { return !f.toMain; });
  return forks;
}

struct Pair {
  size_t second, main; // indices into the fork's effects
  StackCall a, b;
};

struct GroupStackCalls : impl::PhotonGroupStackCallsBase<GroupStackCalls> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Every fork with the pairs of its stack calls.
    SmallVector<std::pair<Fork, SmallVector<Pair>>> work;
    module.walk([&](func::FuncOp fn) {
      fn.walk([&](Block *block) {
        for (Fork &fork : forksOf(*block)) {
          SmallVector<std::pair<size_t, StackCall>> s, m;
          for (auto [i, op] : llvm::enumerate(fork.second))
            if (std::optional<StackCall> c = asStackCall(op, symbols))
              s.push_back({i, *c});
          for (auto [i, op] : llvm::enumerate(fork.main))
            if (std::optional<StackCall> c = asStackCall(op, symbols))
              m.push_back({i, *c});
          SmallVector<Pair> pairs;
          for (size_t k = 0; k < std::min(s.size(), m.size()); ++k) {
            if (s[k].second.shape != m[k].second.shape)
              break;
            pairs.push_back({s[k].first, m[k].first, s[k].second, m[k].second});
          }
          if (!pairs.empty())
            work.push_back({fork, std::move(pairs)});
        }
      });
    });

    // The arguments every pair of a shape passes alike.
    llvm::MapVector<func::FuncOp, SharedArgs> shared;
    for (auto &[fork, pairs] : work)
      for (Pair &p : pairs) {
        unsigned n = p.a.shape.getNumArguments();
        auto [it, first] = shared.try_emplace(p.a.shape);
        SharedArgs &args = it->second;
        if (first) {
          args.alike.resize(n, true);
          args.constant.resize(n);
        }
        for (unsigned i = 0; i < n; ++i) {
          Value a = p.a.operand(i);
          std::optional<int64_t> c = getConstantIntValue(a);
          if (!sameOperand(a, p.b.operand(i)))
            args.alike.reset(i);
          if (!args.alike[i] || !c || (!first && args.constant[i] != c))
            args.constant[i] = std::nullopt;
          else if (first)
            args.constant[i] = c;
        }
      }
    DenseMap<func::FuncOp, func::FuncOp> groupedOf;
    for (auto &[shape, args] : shared) {
      FailureOr<func::FuncOp> fn = GroupedShape(shape, args, maxRows).build();
      if (succeeded(fn))
        groupedOf[shape] = *fn;
    }

    for (auto &[fork, pairs] : work) {
      llvm::erase_if(pairs, [&](Pair &p) { return !groupedOf.count(p.a.shape); });
      if (!pairs.empty())
        rewrite(fork, pairs, groupedOf);
    }
  }

  /// Moves the fork's second-stream effects onto the main stream in front
  /// of the pair that follows them, turns each pair into a grouped call
  /// (where both are one chunk of rows) and leaves what follows the last
  /// pair on the second stream, forked anew: it reads the last pair's
  /// output, now on the main stream.
  void rewrite(Fork &fork, MutableArrayRef<Pair> pairs,
               const DenseMap<func::FuncOp, func::FuncOp> &groupedOf) {
    size_t next = 0;
    Operation *last = nullptr;
    for (Pair &p : pairs) {
      Operation *at = fork.main[p.main];
      for (; next < p.second; ++next)
        fork.second[next]->moveBefore(at);
      last = groupCall(fork, p, groupedOf.lookup(p.a.shape));
      next = p.second + 1;
    }
    if (next < fork.second.size()) {
      OpBuilder b(last->getContext());
      b.setInsertionPointAfter(last);
      joinStreams(b, last->getLoc());
      Operation *toSecond = b.clone(*fork.toSecond);
      Operation *after = toSecond;
      for (; next < fork.second.size(); ++next) {
        fork.second[next]->moveAfter(after);
        after = fork.second[next];
      }
      b.setInsertionPointAfter(after);
      b.clone(*fork.toMain);
    }
    // The latent chain's work now starts on the main stream: after what the
    // second stream still runs of it (an earlier tile's tail), which shares
    // its lane's scratch.
    OpBuilder b(fork.toSecond);
    joinStreams(b, fork.toSecond->getLoc());
    fork.toSecond->erase();
    fork.toMain->erase();
  }

  /// Where b was: `if (both calls are one chunk of at most max-rows rows)
  /// { grouped call } else { a; b }`, a and b apart as before: on their
  /// two streams, then joined, since what follows on the main stream may
  /// read either.
  Operation *groupCall(Fork &fork, Pair &p, func::FuncOp grouped) {
    Builder b(p.b.loop.getLoc(), p.b.loop.getContext());
    b.setInsertionPoint(p.b.loop);
    auto apart = [&](Operation *end, function_ref<void(OpBuilder &, int)> emitCall) {
      OpBuilder eb(end);
      joinStreams(eb, p.b.loop.getLoc());
      eb.clone(*fork.toSecond);
      emitCall(eb, 0);
      eb.clone(*fork.toMain);
      emitCall(eb, 1);
      joinStreams(eb, p.b.loop.getLoc());
    };
    auto oneChunk = [&](scf::ForOp loop) {
      Value lb = loop.getLowerBound(), ub = loop.getUpperBound();
      return arith::AndIOp::create(
          b, ult(b, lb, ub),
          arith::CmpIOp::create(b, arith::CmpIPredicate::ule, arith::SubIOp::create(b, ub, lb),
                                loop.getStep()));
    };
    Value fits = arith::AndIOp::create(b, oneChunk(p.a.loop), oneChunk(p.b.loop));
    auto ifOp = scf::IfOp::create(b, fits, /*withElseRegion=*/true);
    Builder tb(b.getLoc(), b.getContext());
    tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    SmallVector<Value> operands;
    SmallVector<IRMapping, 2> chunk(2);
    Value small = arith::ConstantOp::create(tb, tb.getBoolAttr(true));
    for (auto [k, c] : llvm::enumerate(SmallVector<StackCall *>{&p.a, &p.b})) {
      IRMapping &m = chunk[k];
      m.map(c->loop.getInductionVar(), c->loop.getLowerBound());
      for (Operation &op : c->loop.getBody()->without_terminator())
        if (&op != c->call.getOperation())
          tb.clone(op, m);
      for (unsigned i = 0; i < c->shape.getNumArguments(); ++i) {
        Value v = c->operand(i);
        // The stack function's constants (its first weight) come along.
        if (Operation *def = v.getDefiningOp(); def && def->getParentOp() == c->inner->getParentOp())
          v = tb.clone(*def)->getResult(0);
        operands.push_back(m.lookupOrDefault(v));
      }
      small = arith::AndIOp::create(
          tb, small,
          arith::CmpIOp::create(tb, arith::CmpIPredicate::ule,
                                m.lookupOrDefault(c->operand(kRowsArg)), cIdx(tb, maxRows)));
    }
    auto grouping = scf::IfOp::create(tb, small, /*withElseRegion=*/true);
    OpBuilder gb(grouping.thenBlock()->getTerminator());
    auto call = func::CallOp::create(gb, p.b.loop.getLoc(), grouped, operands);
    call->setAttr(kGroupedCallsAttr,
                  gb.getArrayAttr({FlatSymbolRefAttr::get(p.a.call.getCalleeAttr().getAttr()),
                                   FlatSymbolRefAttr::get(p.b.call.getCalleeAttr().getAttr())}));
    apart(grouping.elseBlock()->getTerminator(), [&](OpBuilder &eb, int k) {
      eb.clone(*(k ? p.b.call : p.a.call), chunk[k]);
    });
    apart(ifOp.elseBlock()->getTerminator(), [&](OpBuilder &eb, int k) {
      (k ? p.b.loop : p.a.loop)->moveBefore(eb.getInsertionBlock(), eb.getInsertionPoint());
    });
    return ifOp;
  }
};
} // namespace
} // namespace mlir::photon
