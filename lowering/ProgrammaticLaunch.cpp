//===- ProgrammaticLaunch.cpp - Overlapping consecutive GPU kernels --------===//
//
// photon-programmatic-launch: every gpu.launch waits for the previous grid
// (griddepcontrol.wait) before it touches memory and then lets its successor
// be scheduled (griddepcontrol.launch_dependents); the library says so with
// photon_programmatic_launch(), which the runtime checks before it launches
// with programmatic stream serialization (runtime/CudaBackend.cpp).
//
//===----------------------------------------------------------------------===//

#include "lowering/Passes.h"
#include "lowering/ProgrammaticLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONPROGRAMMATICLAUNCH
#include "lowering/Passes.h.inc"

void launchDependents(OpBuilder &b, Location loc) {
  NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::launch_dependents);
}

void gridDependencyWait(OpBuilder &b, Location loc, bool thenLaunchDependents) {
  NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
  if (thenLaunchDependents)
    launchDependents(b, loc);
}

namespace {
struct ProgrammaticLaunch : impl::PhotonProgrammaticLaunchBase<ProgrammaticLaunch> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    module.walk([&](gpu::LaunchOp launch) {
      if (launch->hasAttr(kGridWaitPlaced))
        return;
      bool atEnd = launch->hasAttr(kLaunchDependentsAtEnd);
      OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
      if (triggerAtStart && !atEnd)
        launchDependents(b, launch.getLoc());
      gridDependencyWait(b, launch.getLoc(), /*thenLaunchDependents=*/!atEnd && !triggerAtStart);
      if (atEnd) {
        b.setInsertionPoint(launch.getBody().back().getTerminator());
        launchDependents(b, launch.getLoc());
      }
    });
    MLIRContext *ctx = module.getContext();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto i32 = IntegerType::get(ctx, 32);
    auto fn = func::FuncOp::create(b, module.getLoc(), kProgrammaticLaunchSymbol,
                                   FunctionType::get(ctx, {}, {i32}));
    b.setInsertionPointToEnd(fn.addEntryBlock());
    func::ReturnOp::create(b, module.getLoc(),
                           ValueRange{arith::ConstantIntOp::create(b, module.getLoc(), i32, 1)});
  }
};
} // namespace
} // namespace mlir::photon
