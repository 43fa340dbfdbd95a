//===- FuseLaunches.h - Consecutive kernels as one launch -------*- C++ -*-===//
#ifndef PHOTON_LOWERING_FUSELAUNCHES_H
#define PHOTON_LOWERING_FUSELAUNCHES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::photon {

/// convert-photon-kernel-to-gpu's fuse-launches: in `fn`, every run of
/// kernels that follow each other on the host with blocks of one size (a
/// decode layer's QKV, attention, output, gate/up and down GEMVs) becomes one
/// gpu.launch where the host would have taken the runs' single-kernel
/// branches (the rest stays as it was, in the else branch). Its blocks take
/// tickets in order from a counter; ticket t runs tile t of the kernels laid
/// end to end, and the tiles of one kernel wait (where that kernel waited
/// for the previous grid) until every tile of the kernel before has
/// finished. A block only waits for tickets that running blocks hold, so no
/// block needs another to be resident: unlike a grid barrier this cannot
/// hang beside other grids (the second stream, programmatic launch). The
/// counters are the last kFusedLaunchCounters i32 of `semaphores`, zero
/// before and after. The fused kernel is specialised to each branch of the
/// first kernel's decision (the row buckets): the others' same conditions
/// are known there.
void fuseLaunches(func::FuncOp fn, Value semaphores);

} // namespace mlir::photon

#endif // PHOTON_LOWERING_FUSELAUNCHES_H
