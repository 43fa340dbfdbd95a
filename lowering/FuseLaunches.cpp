//===- FuseLaunches.cpp - Consecutive kernels as one launch ----------------===//
//
// A run of kernel trees (a gpu.launch, or an scf.if whose branches each hold
// at most one tree, e.g. a projection's row buckets) in one host block is
// rewritten in two steps:
//
//   1. unswitch: if every tree's fast path is taken (the conjunction of the
//      conditions that lead to a tree whose launches all have blocks of one
//      size), the fused kernels run; else the original ops;
//   2. fuse: under that branch, the first tree's decision is kept on the host
//      and each of its leaves gets one fused launch whose phases are that
//      leaf and the other trees, simplified by the conditions known on the
//      path (structurally equal ones: every projection's row buckets test
//      the same rows).
//
//===----------------------------------------------------------------------===//

#include "lowering/FuseLaunches.h"
#include "lowering/KernelBuilder.h"
#include "passes/StatePlanning.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::photon {
namespace {

/// The counters of a fused launch, at the end of the semaphores: the next
/// ticket, the tiles finished, the blocks finished.
enum Counter : int64_t { kTicket, kTilesDone, kBlocksDone };
static_assert(kBlocksDone < kFusedLaunchCounters, "the plan holds the counters");

bool isPureLeaf(Operation &op) { return op.getNumRegions() == 0 && isPure(&op); }

/// The non-pure ops of `block` (but its terminator).
SmallVector<Operation *> effects(Block &block) {
  SmallVector<Operation *> ops;
  for (Operation &op : block.without_terminator())
    if (!isPureLeaf(op))
      ops.push_back(&op);
  return ops;
}

/// The one op of `block` that is neither pure nor its terminator: null if
/// none, failure if several.
FailureOr<Operation *> soleEffect(Block &block) {
  SmallVector<Operation *> ops = effects(block);
  if (ops.size() > 1)
    return failure();
  return ops.empty() ? nullptr : ops.front();
}

/// The bytes every workgroup buffer of a fused kernel spans a multiple of:
/// its buffers are laid out one after the other, 4-byte aligned, and the
/// NVPTX backend merges 4 f32 accesses into one 16-byte access (on an H200
/// a 4-byte buffer in front misaligned them).
constexpr int64_t kWorkgroupGranule = 16;

/// The block size of `launch` when it is 1-D and constant and its body one
/// block, with no async tokens, clusters, dynamic or private memory, and
/// workgroup memory of 32-bit scalars in whole granules only (the tensor-core
/// tiles' cp.async and ldmatrix want more alignment than a fused kernel's
/// buffers get).
std::optional<int64_t> threadsOf(gpu::LaunchOp launch) {
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
      launch.hasClusterSize() || launch.getDynamicSharedMemorySize() ||
      !launch.getPrivateAttributions().empty() || !launch.getBody().hasOneBlock() ||
      llvm::any_of(launch.getWorkgroupAttributions(), [](BlockArgument a) {
        auto type = cast<MemRefType>(a.getType());
        Type elt = type.getElementType();
        return (!elt.isF32() && !elt.isInteger(32)) || !type.hasStaticShape() ||
               (type.getNumElements() * 4) % kWorkgroupGranule != 0;
      }))
    return std::nullopt;
  std::optional<int64_t> x = getConstantIntValue(launch.getBlockSizeX());
  if (!x || getConstantIntValue(launch.getBlockSizeY()) != 1 ||
      getConstantIntValue(launch.getBlockSizeZ()) != 1)
    return std::nullopt;
  return x;
}

/// A launch of `threads` threads, or an scf.if without results each of whose
/// branches holds pure ops and at most one such tree.
bool isKernelTree(Operation *op, int64_t threads) {
  if (auto launch = dyn_cast<gpu::LaunchOp>(op))
    return threadsOf(launch) == threads;
  auto ifOp = dyn_cast<scf::IfOp>(op);
  if (!ifOp || ifOp.getNumResults())
    return false;
  for (Region &r : ifOp->getRegions()) {
    if (r.empty())
      continue;
    FailureOr<Operation *> inner = soleEffect(r.front());
    if (failed(inner) || (*inner && !isKernelTree(*inner, threads)))
      return false;
  }
  return true;
}

/// The then-branches that lead from a host op to kernel trees (the phases
/// it contributes, in order).
struct FastPath {
  SmallVector<scf::IfOp> chain;
  SmallVector<Operation *> trees;
  int64_t threads = 0;
};

/// The block size of the first launch under `op`.
std::optional<int64_t> firstThreads(Operation *op) {
  gpu::LaunchOp first;
  op->walk([&](gpu::LaunchOp l) {
    first = l;
    return WalkResult::interrupt();
  });
  return first ? threadsOf(first) : std::nullopt;
}

std::optional<FastPath> fastPath(Operation *op) {
  FastPath path;
  while (true) {
    if (std::optional<int64_t> t = firstThreads(op); t && isKernelTree(op, *t)) {
      path.trees.push_back(op);
      path.threads = *t;
      return path;
    }
    auto ifOp = dyn_cast<scf::IfOp>(op);
    if (!ifOp || ifOp.getNumResults())
      return std::nullopt;
    path.chain.push_back(ifOp);
    SmallVector<Operation *> inner = effects(ifOp.getThenRegion().front());
    if (inner.size() == 1) {
      op = inner.front();
      continue;
    }
    std::optional<int64_t> t = inner.empty() ? std::nullopt : firstThreads(inner.front());
    if (!t || !llvm::all_of(inner, [&](Operation *e) { return isKernelTree(e, *t); }))
      return std::nullopt;
    path.trees = inner;
    path.threads = *t;
    return path;
  }
}

/// Clones the pure ops of `block` at `b`.
void clonePure(OpBuilder &b, Block &block, IRMapping &m) {
  for (Operation &op : block.without_terminator())
    if (isPureLeaf(op))
      b.clone(op, m);
}

/// `if c {A; B} else {C; D}` as `if c {A} else {C}; if c {B} else {D}`
/// where both branches have as many effects (after their own ifs are
/// split), so that a kernel and the next are trees of their own. Each part
/// takes a copy of its branch's pure ops.
void splitIfs(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (isa<gpu::LaunchOp>(op))
      continue;
    for (Region &r : op.getRegions())
      for (Block &inner : r)
        splitIfs(inner);
    auto ifOp = dyn_cast<scf::IfOp>(op);
    if (!ifOp || ifOp.getNumResults())
      continue;
    SmallVector<Operation *> thenOps = effects(ifOp.getThenRegion().front());
    bool hasElse = !ifOp.getElseRegion().empty();
    SmallVector<Operation *> elseOps =
        hasElse ? effects(ifOp.getElseRegion().front()) : SmallVector<Operation *>();
    if (thenOps.size() < 2 || (hasElse && elseOps.size() != thenOps.size()))
      continue;
    OpBuilder b(ifOp);
    for (size_t i = 0; i < thenOps.size(); ++i) {
      auto part = scf::IfOp::create(b, ifOp.getLoc(), ifOp.getCondition(), hasElse);
      auto fill = [&](Block &from, Block &to, Operation *effect) {
        OpBuilder pb = OpBuilder::atBlockTerminator(&to);
        IRMapping m;
        clonePure(pb, from, m);
        pb.clone(*effect, m);
      };
      fill(ifOp.getThenRegion().front(), part.getThenRegion().front(), thenOps[i]);
      if (hasElse)
        fill(ifOp.getElseRegion().front(), part.getElseRegion().front(), elseOps[i]);
    }
    ifOp.erase();
  }
}

/// Whether `a` and `b` compute the same value: the same value, or pure ops
/// of one kind and attributes over operands that do (constants included).
bool sameValue(Value a, Value b, int depth = 6) {
  if (a == b)
    return true;
  Operation *x = a.getDefiningOp(), *y = b.getDefiningOp();
  if (!x || !y || depth == 0 || x->getName() != y->getName() ||
      x->getAttrDictionary() != y->getAttrDictionary() ||
      x->getNumOperands() != y->getNumOperands() || !isPureLeaf(*x) || !isPureLeaf(*y) ||
      cast<OpResult>(a).getResultNumber() != cast<OpResult>(b).getResultNumber())
    return false;
  for (auto [p, q] : llvm::zip(x->getOperands(), y->getOperands()))
    if (!sameValue(p, q, depth - 1))
      return false;
  return true;
}

/// Conditions known on a host path: (condition, value).
using Known = SmallVector<std::pair<Value, bool>>;

std::optional<bool> lookup(const Known &known, Value cond) {
  for (auto [c, v] : known)
    if (sameValue(c, cond))
      return v;
  return std::nullopt;
}

/// Builds a tree's branch: `inner` gets the branch's tree (null: none)
/// after its pure ops, and what is known there.
using Inner = function_ref<Value(Builder &, Operation *, IRMapping &, const Known &)>;

/// `ifOp`'s taken branch at `b` where its condition is known, else an scf.if
/// of both (with a result of `type`, if any), each knowing its condition.
Value decide(Builder &b, scf::IfOp ifOp, IRMapping &m, const Known &known, Type type,
             Inner inner) {
  auto branch = [&](Builder &b, Region &r, IRMapping &m, const Known &known) -> Value {
    if (r.empty())
      return inner(b, nullptr, m, known);
    clonePure(b, r.front(), m);
    return inner(b, *soleEffect(r.front()), m, known);
  };
  if (std::optional<bool> v = lookup(known, ifOp.getCondition())) {
    IRMapping inBranch = m;
    return branch(b, *v ? ifOp.getThenRegion() : ifOp.getElseRegion(), inBranch, known);
  }
  TypeRange types = type ? TypeRange(type) : TypeRange();
  auto host = scf::IfOp::create(b, types, m.lookupOrDefault(ifOp.getCondition()),
                                /*withElseRegion=*/true);
  for (bool value : {true, false}) {
    Block &block = (value ? host.getThenRegion() : host.getElseRegion()).front();
    Builder rb(b.getLoc(), b.getContext());
    if (type)
      rb.setInsertionPointToStart(&block);
    else
      rb.setInsertionPoint(block.getTerminator());
    IRMapping inBranch = m;
    Known k = known;
    k.push_back({ifOp.getCondition(), value});
    Value v = branch(rb, value ? ifOp.getThenRegion() : ifOp.getElseRegion(), inBranch, k);
    if (type)
      scf::YieldOp::create(rb, v);
  }
  return type ? host.getResult(0) : Value();
}

/// Builds the fused launch of one leaf of the first tree.
class FusedLaunch {
public:
  explicit FusedLaunch(Value semaphores) : semaphores(semaphores) {}

  /// Host: the tiles of `tree` (its chosen launch's blocks) at `b`.
  Value tiles(Builder &b, Operation *tree, IRMapping &m, const Known &known) {
    if (auto launch = dyn_cast<gpu::LaunchOp>(tree)) {
      gpu::KernelDim3 g = launch.getGridSizeOperandValues();
      return mulI(b, mulI(b, m.lookupOrDefault(g.x), m.lookupOrDefault(g.y)),
                  m.lookupOrDefault(g.z));
    }
    return decide(b, cast<scf::IfOp>(tree), m, known, b.getIndexType(),
                  [&](Builder &b, Operation *inner, IRMapping &m, const Known &known) {
                    return inner ? tiles(b, inner, m, known) : cIdx(b, 0);
                  });
  }

  /// Builds the launch of `trees` (phase i: trees[i]) at `b`, `threads` a
  /// block.
  void build(Builder &b, ArrayRef<Operation *> trees, IRMapping &m, const Known &known,
             int64_t threads, StringRef name) {
    SmallVector<Value> count, start;
    Value total = cIdx(b, 0);
    for (Operation *tree : trees) {
      start.push_back(total);
      count.push_back(tiles(b, tree, m, known));
      total = addI(b, total, count.back());
    }
    Value one = cIdx(b, 1);
    launch = gpu::LaunchOp::create(b, total, one, one, cIdx(b, threads), one, one);
    nameKernel(launch, name);
    Type i32 = b.getI32Type();
    Builder kb(b.getLoc(), b.getContext());
    kb.setInsertionPointToStart(&launch.getBody().front());
    tid = launch.getThreadIds().x;
    counters = arith::SubIOp::create(kb, memref::DimOp::create(kb, semaphores, 0),
                                     cIdx(kb, kFusedLaunchCounters));
    // The ticket is built last, so that its buffer follows the kernels'.
    Operation *pending = arith::ConstantIndexOp::create(kb, 0);
    Value ticket = pending->getResult(0);
    for (size_t i = 0; i < trees.size(); ++i) {
      Operation *tree = trees[i];
      Value in = arith::AndIOp::create(
          kb, arith::CmpIOp::create(kb, arith::CmpIPredicate::uge, ticket, start[i]),
          ult(kb, ticket, addI(kb, start[i], count[i])));
      ifThen(kb, in, [&](Builder &b) {
        // Tiles of earlier phases have lower tickets: once start[i] tiles
        // are done, all of theirs are.
        waitFor = i ? start[i] : Value();
        emit(b, tree, arith::SubIOp::create(b, ticket, start[i]), m, known);
        if (i + 1 == trees.size())
          return;
        // The tile's writes, then its count.
        gpu::BarrierOp::create(b);
        onThreadZero(b, [&](Builder &b) {
          NVVM::MembarOp::create(b, NVVM::MemScopeKind::GPU);
          increment(b, kTilesDone);
        });
      });
    }
    // The last block out leaves the counters zero for the next launch.
    onThreadZero(kb, [&](Builder &b) {
      Value before = arith::IndexCastUIOp::create(b, b.getIndexType(), increment(b, kBlocksDone));
      Value last = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, addI(b, before, 1),
                                         launch.getGridSize().x);
      ifThen(b, last, [&](Builder &b) {
        for (int64_t c : {kTicket, kTilesDone, kBlocksDone})
          memref::StoreOp::create(b, arith::ConstantIntOp::create(b, i32, 0), semaphores,
                                  ValueRange{addI(b, counters, c)});
      });
    });
    gpu::TerminatorOp::create(kb);

    // The ticket: this block's tile, in the order blocks arrive. Its
    // buffer is the last: a 4-byte buffer in front of the kernels' moves
    // theirs off the 16 bytes the backend's merged accesses need.
    Value ticketAt = launch.addWorkgroupAttribution(
        MemRefType::get({1}, i32, MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup)),
        b.getLoc());
    Builder tb(b.getLoc(), b.getContext());
    tb.setInsertionPoint(pending);
    Value zero = cIdx(tb, 0);
    onThreadZero(tb, [&](Builder &b) {
      memref::StoreOp::create(b, increment(b, kTicket), ticketAt, ValueRange{zero});
    });
    gpu::BarrierOp::create(tb);
    pending->replaceAllUsesWith(ValueRange{arith::IndexCastUIOp::create(
        tb, tb.getIndexType(), memref::LoadOp::create(tb, ticketAt, zero))});
    pending->erase();
  }

private:
  /// Kernel: tile `local` of `tree`.
  void emit(Builder &b, Operation *tree, Value local, IRMapping &m, const Known &known) {
    if (auto ifOp = dyn_cast<scf::IfOp>(tree)) {
      decide(b, ifOp, m, known, Type(),
             [&](Builder &b, Operation *inner, IRMapping &m, const Known &known) {
               if (inner)
                 emit(b, inner, local, m, known);
               return Value();
             });
      return;
    }
    auto leaf = cast<gpu::LaunchOp>(tree);
    gpu::KernelDim3 g = leaf.getGridSizeOperandValues();
    Value gx = m.lookupOrDefault(g.x), gy = m.lookupOrDefault(g.y), gz = m.lookupOrDefault(g.z);
    IRMapping body = m;
    Value rest = arith::DivUIOp::create(b, local, gx);
    gpu::KernelDim3 ids{arith::RemUIOp::create(b, local, gx), arith::RemUIOp::create(b, rest, gy),
                        arith::DivUIOp::create(b, rest, gy)};
    // The first cloned op marks where the tile starts.
    auto start = arith::ConstantIndexOp::create(b, 0);
    cloneLaunchBody(b, leaf, launch, ids, {gx, gy, gz}, body);
    // The previous grid is the previous phase here: where the kernel waited
    // for it, its tiles wait for that phase's (phase 0: the fused launch
    // waits at its start, photon-programmatic-launch).
    bool waited = false;
    SmallVector<NVVM::GriddepcontrolOp> controls;
    for (Operation *op = start->getNextNode(); op; op = op->getNextNode())
      op->walk([&](NVVM::GriddepcontrolOp c) { controls.push_back(c); });
    for (NVVM::GriddepcontrolOp c : controls) {
      if (c.getKind() == NVVM::GridDepActionKind::wait && waitFor) {
        // A GEMV waits inside its K loop, where the first iteration's
        // weight loads are in flight: the spin once, there.
        Builder wb(c.getLoc(), c);
        auto loop = c->getParentOfType<scf::ForOp>();
        if (loop && launch->isProperAncestor(loop))
          ifThen(wb, arith::CmpIOp::create(wb, arith::CmpIPredicate::eq, loop.getInductionVar(),
                                           loop.getLowerBound()),
                 [&](Builder &b) { waitForPhase(b); });
        else
          waitForPhase(wb);
        waited = true;
      }
      c.erase();
    }
    if (waitFor && !waited) {
      Builder wb(start.getLoc(), start);
      wb.setInsertionPointAfter(start);
      waitForPhase(wb);
    }
    start.erase();
  }

  /// Every thread: spin (volatile loads, not cached in L1) until `waitFor`
  /// tiles are done, then order later reads after theirs.
  void waitForPhase(Builder &b) {
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(b.getContext());
    Value base = arith::IndexCastUIOp::create(
        b, i64, memref::ExtractAlignedPointerAsIndexOp::create(b, b.getIndexType(), semaphores));
    Value at = arith::IndexCastUIOp::create(b, i64, addI(b, counters, kTilesDone));
    Value counter = LLVM::GEPOp::create(b, ptr, i32, LLVM::IntToPtrOp::create(b, ptr, base),
                                        ValueRange{at});
    Value need = arith::IndexCastUIOp::create(b, i32, waitFor);
    scf::WhileOp::create(
        b, TypeRange{}, ValueRange{},
        [&](OpBuilder &ob, Location loc, ValueRange) {
          Builder wb(loc, ob);
          Value seen = LLVM::LoadOp::create(wb, i32, counter, /*alignment=*/4, /*isVolatile=*/true);
          scf::ConditionOp::create(wb, ult(wb, seen, need), ValueRange{});
        },
        [&](OpBuilder &ob, Location loc, ValueRange) {
          Builder wb(loc, ob);
          NVVM::NanosleepOp::create(wb, arith::ConstantIntOp::create(wb, i32, 64));
          scf::YieldOp::create(wb);
        });
    NVVM::MembarOp::create(b, NVVM::MemScopeKind::GPU);
  }

  /// atomic semaphores[counters + c] += 1; the value before.
  Value increment(Builder &b, int64_t c) {
    return memref::AtomicRMWOp::create(b, arith::AtomicRMWKind::addi,
                                       arith::ConstantIntOp::create(b, b.getI32Type(), 1),
                                       semaphores, ValueRange{addI(b, counters, c)});
  }

  void onThreadZero(Builder &b, function_ref<void(Builder &)> body) {
    ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, cIdx(b, 0)), body);
  }

  Value semaphores;
  gpu::LaunchOp launch;
  Value tid, counters;
  Value waitFor; // the tiles before this phase's (null in phase 0)
};

/// "photon_fused5_gemv_qkv_norm_r1_4992x1664": the number of kernels fused
/// and the first, so that profiles say what ran.
std::string fusedName(size_t kernels, gpu::LaunchOp first) {
  StringRef kernel = first.getFunction() ? *first.getFunction() : StringRef("kernel");
  kernel.consume_front("photon_");
  return ("photon_fused" + Twine(kernels) + "_" + kernel).str();
}

/// Step 2 at `b`: the first tree's decision on the host, a fused launch at
/// each of its leaves.
void fuseUnder(Builder &b, ArrayRef<Operation *> trees, IRMapping &m, const Known &known,
               int64_t threads, Value semaphores) {
  if (auto launch = dyn_cast<gpu::LaunchOp>(trees.front())) {
    FusedLaunch(semaphores).build(b, trees, m, known, threads, fusedName(trees.size(), launch));
    return;
  }
  // The first tree continues with the branch's own (if any).
  decide(b, cast<scf::IfOp>(trees.front()), m, known, Type(),
         [&](Builder &b, Operation *inner, IRMapping &m, const Known &known) {
           SmallVector<Operation *> rest(trees.drop_front());
           if (inner)
             rest.insert(rest.begin(), inner);
           if (!rest.empty())
             fuseUnder(b, rest, m, known, threads, semaphores);
           return Value();
         });
}

/// Steps 1 and 2 for the ops of `run` (kernel trees' roots, in order, in one
/// block, with only pure ops between them).
void fuseRun(ArrayRef<std::pair<Operation *, FastPath>> run, Value semaphores) {
  Operation *first = run.front().first, *last = run.back().first;
  // Pure ops between the trees first: they compute offsets, never from a
  // tree (trees have no results).
  for (Operation *op = first->getNextNode(); op != last;) {
    Operation *next = op->getNextNode();
    if (isPureLeaf(*op))
      op->moveBefore(first);
    op = next;
  }
  Builder b(first->getLoc(), first);
  IRMapping top;
  Value all;
  for (const auto &[root, path] : run)
    for (scf::IfOp ifOp : path.chain) {
      Value c = top.lookupOrDefault(ifOp.getCondition());
      all = all ? arith::AndIOp::create(b, all, c) : c;
      clonePure(b, ifOp.getThenRegion().front(), top);
    }
  // Where no condition chooses, the fused launches replace the run.
  Builder tb(b.getLoc(), b.getContext());
  scf::IfOp unswitched;
  if (all) {
    unswitched = scf::IfOp::create(b, all, /*withElseRegion=*/true);
    Operation *elseEnd = unswitched.getElseRegion().front().getTerminator();
    for (const auto &entry : run)
      entry.first->moveBefore(elseEnd);
    tb.setInsertionPoint(unswitched.getThenRegion().front().getTerminator());
  } else {
    tb.setInsertionPoint(first);
  }
  IRMapping m;
  SmallVector<Operation *> trees;
  for (const auto &[root, path] : run) {
    for (scf::IfOp ifOp : path.chain)
      clonePure(tb, ifOp.getThenRegion().front(), m);
    llvm::append_range(trees, path.trees);
  }
  fuseUnder(tb, trees, m, Known(), run.front().second.threads, semaphores);
  if (!all)
    for (const auto &entry : run)
      entry.first->erase();
}

/// Finds the runs of `block` (and of the blocks nested in its other ops).
void fuseBlock(Block &block, Value semaphores) {
  SmallVector<std::pair<Operation *, FastPath>> run;
  auto flush = [&] {
    size_t kernels = 0;
    for (const auto &entry : run)
      kernels += entry.second.trees.size();
    if (kernels > 1)
      fuseRun(run, semaphores);
    run.clear();
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (isPureLeaf(op) || op.hasTrait<OpTrait::IsTerminator>())
      continue;
    std::optional<FastPath> path = fastPath(&op);
    if (path && !run.empty() && run.front().second.threads != path->threads)
      flush();
    if (path) {
      run.push_back({&op, *path});
      continue;
    }
    flush();
    if (!isa<gpu::LaunchOp>(op))
      for (Region &r : op.getRegions())
        for (Block &inner : r)
          fuseBlock(inner, semaphores);
  }
  flush();
}

} // namespace

void fuseLaunches(func::FuncOp fn, Value semaphores) {
  for (Block &block : fn.getBody()) {
    splitIfs(block);
    fuseBlock(block, semaphores);
  }
}

} // namespace mlir::photon
