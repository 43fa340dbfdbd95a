//===- Passes.td - photon -> photon transformations -------------------------===//
#ifndef PHOTON_PASSES_TD
#define PHOTON_PASSES_TD

include "mlir/Pass/PassBase.td"

def PhotonPlanMemory : Pass<"photon-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Plan weight, KV-cache and coarse-state memory of each model";
  let description = [{
    Places every weight in one arena (declaring the `photon.param`s a model
    leaves implicit), records each weight's element offset as
    `photon.offset`, and attaches `photon.memory_plan` to the model: the arena
    size, the KV-cache bytes each encoder level keeps per token of context,
    the coarse-state (top stream) bytes, and the bytes per token a decode step
    reads from caches in HierGen and RecGen. The lowering and the runtime read
    this plan; `-photon-plan-memory=report` also prints it. The activation
    type (`activation-type=bf16` halves the KV caches) is part of the plan.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Print the memory plan of every model to stderr">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Alignment of every weight in the arena, in elements">,
    Option<"activationType", "activation-type", "std::string", "\"f32\"",
           "Element type of activations kept between kernels (the residual "
           "stream, KV caches, latents): f32 or bf16; kernels accumulate in f32">,
  ];
}

#endif // PHOTON_PASSES_TD
