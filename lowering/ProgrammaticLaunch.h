//===- ProgrammaticLaunch.h - Overlapping consecutive GPU kernels -*- C++ -*-===//
#ifndef PHOTON_LOWERING_PROGRAMMATICLAUNCH_H
#define PHOTON_LOWERING_PROGRAMMATICLAUNCH_H

#include "mlir/IR/Builders.h"

namespace mlir::photon {

/// Unit attribute of a gpu.launch whose body already waits for the previous
/// grid (photon-programmatic-launch leaves it alone).
inline constexpr llvm::StringLiteral kGridWaitPlaced = "photon.grid_wait_placed";

/// The function a library exports when its kernels wait for the previous
/// grid (the runtime's switch for programmatic dependent launch).
inline constexpr llvm::StringLiteral kProgrammaticLaunchSymbol = "photon_programmatic_launch";

/// griddepcontrol.wait (the previous grid is complete and its writes are
/// visible), then griddepcontrol.launch_dependents (the next grid may be
/// scheduled), at `b`'s insertion point.
void gridDependencyWait(OpBuilder &b, Location loc);

} // namespace mlir::photon

#endif // PHOTON_LOWERING_PROGRAMMATICLAUNCH_H
