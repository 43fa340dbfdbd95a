//===- Norms.cpp - Row reductions and RMSNorm -----------------------------===//
//
// A block per row and its reductions (shared with argmax and sampling), and
// RMSNorm as a kernel of its own.
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelPatterns.h"

namespace mlir::photon {

void KernelEmitter::blockPerRowLaunch(Builder &b, const Twine &kernel, Value rows, int64_t threads,
                                      ArrayRef<Type> shared, RowBlockBodyFn body) {
  Value one = cIdx(b, 1);
  // An empty batch still launches one (idle) block: a zero grid is an error.
  auto launch = gpu::LaunchOp::create(
      b, arith::MaxUIOp::create(b, rows, one), one, one, cIdx(b, threads), one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/ValueRange{}, rowReductionBuffers(shared));
  nameKernel(launch, kernel);
  Builder kb(b.getLoc(), ctx);
  kb.setInsertionPointToStart(&launch.getBody().front());
  Value row = launch.getBlockIds().x;
  // The whole block takes or skips the branch: its barriers stay uniform.
  ifThen(kb, ult(kb, row, rows), [&](Builder &b) {
    body(b, row, launch.getThreadIds().x, launch.getWorkgroupAttributions());
  });
  gpu::TerminatorOp::create(kb);
}

MemRefType KernelEmitter::workgroupBuffer(SmallVector<int64_t> shape, Type elt) {
  int64_t bytes = byteWidth(elt);
  for (int64_t d : shape)
    bytes *= d;
  if (shape.size() == 1)
    shape[0] = llvm::alignTo(shape[0] * byteWidth(elt), 16) / byteWidth(elt);
  else
    assert(bytes % 16 == 0 && "multi-dimensional workgroup buffers are whole 16 bytes");
  (void)bytes;
  return MemRefType::get(shape, elt, MemRefLayoutAttrInterface{},
                         gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
}

Value KernelEmitter::dynamicShared(Builder &b, SmallVector<int64_t> shape, Type elt,
                                   int64_t byteOffset) {
  MemRefType type = workgroupBuffer(std::move(shape), elt);
  auto bytes = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), MemRefLayoutAttrInterface{},
                               type.getMemorySpace());
  return memref::ViewOp::create(b, type, gpu::DynamicSharedMemoryOp::create(b, bytes),
                                cIdx(b, byteOffset), ValueRange{});
}

Value KernelEmitter::sharedAddress(Builder &b, Value workgroupMemref) {
  return arith::IndexCastUIOp::create(
      b, b.getI64Type(), memref::ExtractAlignedPointerAsIndexOp::create(b, workgroupMemref));
}

Value KernelEmitter::sharedPointer(Builder &b, Value address) {
  return LLVM::IntToPtrOp::create(
      b, LLVM::LLVMPointerType::get(ctx, unsigned(NVVM::NVVMMemorySpace::Shared)), address);
}

Value KernelEmitter::sharedClusterPointer(Builder &b, Value address) {
  return LLVM::AddrSpaceCastOp::create(
      b, LLVM::LLVMPointerType::get(ctx, unsigned(NVVM::NVVMMemorySpace::SharedCluster)),
      sharedPointer(b, address));
}

Value KernelEmitter::sharedAddressAt(Builder &b, Value address, Value byteOffset) {
  return arith::AddIOp::create(b, address,
                               arith::IndexCastUIOp::create(b, b.getI64Type(), byteOffset));
}

void KernelEmitter::bulkCopyToShared(Builder &b, Value to, Value mem, Value at, int64_t bytes,
                                     Value barrier) {
  Type elt = cast<MemRefType>(mem.getType()).getElementType();
  NVVM::CpAsyncBulkGlobalToSharedClusterOp::create(
      b, sharedClusterPointer(b, to), globalPointer(b, mem, mulI(b, at, byteWidth(elt))), barrier,
      arith::ConstantIntOp::create(b, b.getI32Type(), bytes), /*multicastMask=*/Value(),
      /*l2CacheHint=*/Value());
}

void KernelEmitter::mbarrierInit(Builder &b, Value barrier, int64_t arrivals) {
  NVVM::MBarrierInitOp::create(b, barrier, arith::ConstantIntOp::create(b, b.getI32Type(), arrivals),
                               /*predicate=*/Value());
}

void KernelEmitter::mbarrierExpectBytes(Builder &b, Value barrier, int64_t bytes) {
  NVVM::MBarrierArriveExpectTxOp::create(b, Type(), barrier,
                                         arith::ConstantIntOp::create(b, b.getI32Type(), bytes),
                                         NVVM::MemScopeKind::CTA, /*relaxed=*/false,
                                         /*predicate=*/Value());
}

void KernelEmitter::mbarrierWaitParity(Builder &b, Value barrier, Value phase) {
  NVVM::MBarrierTryWaitParityOp::create(
      b, barrier, phase, arith::ConstantIntOp::create(b, b.getI32Type(), kTryWaitSuspendNs));
}

SmallVector<Type> KernelEmitter::rowReductionBuffers(ArrayRef<Type> types) {
  SmallVector<Type> buffers;
  for (Type t : types)
    buffers.push_back(workgroupBuffer({kWarpSize}, t));
  return buffers;
}

SmallVector<Value> KernelEmitter::laneCombine(Builder &b, ValueRange values, CombineFn combine) {
  SmallVector<Value> v(values.begin(), values.end());
  if (!gpu)
    return v;
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    SmallVector<Value> other;
    for (Value x : v)
      other.push_back(
          gpu::ShuffleOp::create(b, x, offset, kWarpSize, gpu::ShuffleMode::XOR).getShuffleResult());
    v = combine(b, v, other);
  }
  return v;
}

SmallVector<Value> KernelEmitter::blockReduce(Builder &b, Value tid, int64_t threads,
                                              ValueRange values, ValueRange shared,
                                              CombineFn combine) {
  SmallVector<Value> v = laneCombine(b, values, combine);
  Value warp = divU(b, tid, kWarpSize);
  onLaneZero(b, remU(b, tid, kWarpSize), [&](Builder &b) {
    for (auto [x, buf] : llvm::zip(v, shared))
      memref::StoreOp::create(b, x, buf, ValueRange{warp});
  });
  gpu::BarrierOp::create(b);
  auto fromWarp = [&](int64_t w) {
    SmallVector<Value> r;
    for (Value buf : shared)
      r.push_back(memref::LoadOp::create(b, buf, ValueRange{cIdx(b, w)}));
    return r;
  };
  SmallVector<Value> total = fromWarp(0);
  for (int64_t w = 1; w < threads / kWarpSize; ++w)
    total = combine(b, total, fromWarp(w));
  return total;
}

Value KernelEmitter::blockReduceOne(Builder &b, Value tid, int64_t threads, Value v, Value buf,
                                    function_ref<Value(Builder &, Value, Value)> op) {
  return blockReduce(b, tid, threads, ValueRange{v}, ValueRange{buf},
                     [&](Builder &b, ValueRange x, ValueRange y) {
                       return SmallVector<Value>{op(b, x[0], y[0])};
                     })[0];
}

void KernelEmitter::rmsNorm(Builder &b, Buf in, Buf out, Value rows, int64_t width,
                            WeightRef weight) {
  Value w = weight.at;
  if (gpu && options.blockPerRow)
    return rmsNormBlock(b, in, out, rows, width, w);
  parallelLanes(b, "photon_rmsnorm_" + Twine(width), {rows},
                [&](Builder &b, ValueRange iv, Value lane) {
    Value row = mulI(b, iv[0], width);
    Value ss = laneLoop(b, lane, cIdx(b, width), cF32(b, 0),
                        [&](Builder &b, Value k, Value acc) {
                          Value x = in.load(b, addI(b, row, k));
                          return addF(b, acc, mulF(b, x, x));
                        });
    ss = laneSum(b, ss);
    Value mean = divF(b, ss, cF32(b, double(width)));
    Value inv = math::RsqrtOp::create(b, addF(b, mean, cF32(b, c.rmsNormEps)));
    scf::ForOp::create(b, lane, cIdx(b, width), cIdx(b, laneCount()), ValueRange{},
                       [&](OpBuilder &ob, Location loc, Value k, ValueRange) {
                         Builder b(loc, ob);
                         Value idx = addI(b, row, k);
                         Value y = mulF(b, mulF(b, in.load(b, idx), inv),
                                        loadWeight(b, w, k));
                         out.store(b, y, idx);
                         scf::YieldOp::create(b);
                       });
  });
}

/// The elements of `x`: itself, or a vector's.
static SmallVector<Value> elementsOf(Builder &b, Value x) {
  auto type = dyn_cast<VectorType>(x.getType());
  if (!type)
    return {x};
  SmallVector<Value> elements;
  for (int64_t e = 0; e < type.getNumElements(); ++e)
    elements.push_back(vector::ExtractOp::create(b, x, e));
  return elements;
}

void KernelEmitter::rmsNormBlocks(Builder &b, const Twine &kernel, Value rows, int64_t width,
                                  int64_t unit, int64_t threads, RmsNormUnitLoad load,
                                  RmsNormUnitStore store) {
  const int64_t units = width / unit, per = llvm::divideCeil(units, threads);
  Type f32 = b.getF32Type();
  blockPerRowLaunch(b, kernel, rows, threads, {f32},
                    [&](Builder &b, Value r, Value tid, ValueRange shared) {
    Value row = mulI(b, r, width);
    SmallVector<Value> ats, inside, xs, gains;
    Value ss = cF32(b, 0);
    for (int64_t i = 0; i < per; ++i) {
      Value u = addI(b, tid, i * threads);
      // Only the last round can pass the row's end.
      Value ok = (i + 1) * threads > units ? ult(b, u, cIdx(b, units)) : Value();
      Value at = mulI(b, ok ? arith::SelectOp::create(b, ok, u, cIdx(b, 0)).getResult() : u, unit);
      // The gain is loaded with the row, so its latency hides behind the
      // reduction.
      auto [x, gain] = load(b, addI(b, row, at), at);
      if (ok)
        x = orZero(b, ok, x);
      for (Value xe : elementsOf(b, x))
        ss = addF(b, ss, mulF(b, xe, xe));
      ats.push_back(at);
      inside.push_back(ok);
      xs.push_back(x);
      gains.push_back(gain);
    }
    Value total = blockReduceOne(b, tid, threads, ss, shared[0], addF);
    Value mean = divF(b, total, cF32(b, double(width)));
    Value inv = math::RsqrtOp::create(b, addF(b, mean, cF32(b, c.rmsNormEps)));
    for (int64_t i = 0; i < per; ++i) {
      auto storeUnit = [&, i](Builder &b) {
        Value scale = isa<VectorType>(xs[i].getType())
                          ? vector::BroadcastOp::create(b, xs[i].getType(), inv).getResult()
                          : inv;
        store(b, addI(b, row, ats[i]), mulF(b, mulF(b, xs[i], scale), gains[i]));
      };
      if (inside[i])
        ifThen(b, inside[i], storeUnit);
      else
        storeUnit(b);
    }
  });
}

void KernelEmitter::rmsNormBlock(Builder &b, Buf in, Buf out, Value rows, int64_t width, Value w) {
  // About four elements a thread, coalesced (element tid + T·i).
  const int64_t threads = std::clamp<int64_t>(
      llvm::alignTo(llvm::divideCeil(width, 4), kWarpSize), kWarpSize, 1024);
  rmsNormBlocks(
      b, "photon_rmsnorm_" + Twine(width), rows, width, /*unit=*/1, threads,
      [&](Builder &b, Value i, Value k) {
        return std::pair{in.load(b, i), loadWeight(b, w, k)};
      },
      [&](Builder &b, Value i, Value y) { out.store(b, y, i); });
}

Buf KernelEmitter::rmsNormSplit(Builder &b, Buf in, Buf out, Value rows, int64_t width, Value w) {
  assert(gpu && width % 8 == 0 && out.elementType().isF32() && "chunks of 8 over f32 rows");
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
  auto vec = [](int64_t n, Type t) { return VectorType::get({n}, t); };
  auto load8 = [&](Builder &b, Value mem, Value at, Type elt) -> Value {
    if (elt.isF32())
      return loadF32x8(b, mem, at);
    Value v = vector::LoadOp::create(b, vec(8, elt), mem, ValueRange{at}, /*nontemporal=*/false,
                                     llvm::MaybeAlign(16));
    return arith::ExtFOp::create(b, vec(8, f32), v);
  };
  rmsNormBlocks(
      b, "photon_rmsnorm_split_" + Twine(width), rows, width, /*unit=*/8,
      std::clamp<int64_t>(llvm::alignTo(width / 8, kWarpSize), kWarpSize, 1024),
      [&](Builder &b, Value i, Value k) {
        return std::pair{load8(b, in.mem, addI(b, in.base, i), in.elementType()),
                         load8(b, weights, addI(b, w, k), bf16)};
      },
      [&](Builder &b, Value i, Value y) {
        auto [hi, lo] = splitBF16(b, y, /*withLo=*/true);
        Value at = addI(b, out.base, i);
        for (auto [part, v] : {std::pair{0, hi}, std::pair{4, lo}})
          vector::StoreOp::create(b, vector::BitCastOp::create(b, vec(4, f32), v), out.mem,
                                  ValueRange{addI(b, at, part)}, /*nontemporal=*/false,
                                  llvm::MaybeAlign(16));
      });
  out.splitChunks = true;
  return out;
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
struct RmsNormLowering : KernelOpLowering<kernel::RmsNormOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::RmsNormOp op) const override {
    KernelDims dims;
    dims.rmsNormEps = op.getEps().convertToDouble();
    KernelEmitter e = emitter(op, dims, elementTypeOf(op.getWeights()), elementTypeOf(op.getOut()),
                              op.getWeights());
    Buf out{op.getOut(), op.getOutBase(), op.getRounded(), op.getRoundedBase()};
    e.rmsNorm(b, Buf{op.getIn(), op.getInBase()}, out,
              op.getRows(), op.getWidth(), WeightRef{op.getGain(), int64_t(op.getGainAlign())});
  }
};
} // namespace

void populateNormPatterns(RewritePatternSet &patterns, const KernelLoweringOptions &options) {
  patterns.add<RmsNormLowering>(patterns.getContext(), options);
}

} // namespace mlir::photon
