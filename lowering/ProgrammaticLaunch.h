//===- ProgrammaticLaunch.h - Overlapping consecutive GPU kernels -*- C++ -*-===//
#ifndef PHOTON_LOWERING_PROGRAMMATICLAUNCH_H
#define PHOTON_LOWERING_PROGRAMMATICLAUNCH_H

#include "mlir/IR/Builders.h"

namespace mlir::photon {

/// Unit attribute of a gpu.launch whose body already waits for the previous
/// grid (photon-programmatic-launch leaves it alone).
inline constexpr llvm::StringLiteral kGridWaitPlaced = "photon.grid_wait_placed";

/// Unit attribute of a gpu.launch that lets its successor be scheduled only
/// at its end: the tensor-core GEMMs and tiled attention, whose grids fill
/// the card (prefill, large batches), where successors resident early only
/// skew how the next grid's blocks spread over the SMs (measured: vanilla-600M
/// prefill 12% slower with the trigger at the start).
inline constexpr llvm::StringLiteral kLaunchDependentsAtEnd = "photon.launch_dependents_at_end";

/// The function a library exports when its kernels wait for the previous
/// grid (the runtime's switch for programmatic dependent launch).
inline constexpr llvm::StringLiteral kProgrammaticLaunchSymbol = "photon_programmatic_launch";

/// griddepcontrol.launch_dependents (the next grid may be scheduled) at
/// `b`'s insertion point.
void launchDependents(OpBuilder &b, Location loc);

/// griddepcontrol.wait (the previous grid is complete and its writes are
/// visible), then, with `thenLaunchDependents`, launchDependents, at `b`'s
/// insertion point.
void gridDependencyWait(OpBuilder &b, Location loc, bool thenLaunchDependents = true);

} // namespace mlir::photon

#endif // PHOTON_LOWERING_PROGRAMMATICLAUNCH_H
