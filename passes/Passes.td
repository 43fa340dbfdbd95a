//===- Passes.td - photon -> photon transformations -------------------------===//
#ifndef PHOTON_PASSES_TD
#define PHOTON_PASSES_TD

include "mlir/Pass/PassBase.td"

def PhotonPlanMemory : Pass<"photon-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Plan weight, KV-cache and coarse-state memory of each model";
  let description = [{
    Places every weight in one arena (declaring the `photon.param`s a model
    leaves implicit), records each weight's element offset as
    `photon.offset`, and attaches a typed `#photon.memory_plan` to the model:
    the arena size, the activation type (`activation-type=bf16` halves the KV
    caches), a fingerprint, and the KV bytes per item of each level.

    Every `photon.program` gets a `#photon.state_plan`: the regions of the
    state arena its compiled prefill and step share (KV caches, coarse state,
    carries, token history, decoder caches and scratch), each sized as
    fixed + per sequence x batch (+ per step where it grows), and the
    analytic bytes of spec §4 to compare with. `report=1` prints both.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Print the memory plan of every model to stderr">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Alignment of every weight in the arena, in elements">,
    Option<"prefillTile", "prefill-tile", "int64_t", "16",
           "Sequences one prefill call encodes (sizes the prefill scratch)">,
    Option<"decodeTile", "decode-tile", "int64_t", "256",
           "Sequences a decode step processes together (sizes the decoder "
           "caches and rows of one tile)">,
    Option<"maxRows", "max-rows", "int64_t", "1024",
           "Rows of one stack call (sizes the stack scratch)">,
    Option<"reportTokens", "report-tokens", "int64_t", "2176",
           "With report: the tokens per sequence (prompt + generated) the "
           "per-sequence bytes are given for">,
    Option<"activationType", "activation-type", "std::string", "\"f32\"",
           "Element type of activations kept between kernels (the residual "
           "stream, KV caches, latents): f32 or bf16; kernels accumulate in f32">,
  ];
}

#endif // PHOTON_PASSES_TD
