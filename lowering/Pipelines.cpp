//===- Pipelines.cpp - Named pass pipelines of photon-opt -----------------===//

#include "lowering/Passes.h"
#include "lowering/TargetInfo.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// Which program-level rewrites run before the memory plan.
struct ProgramRewrites {
  bool latentLookahead, fuseTokenChunks;
};

/// The options both pipelines share.
template <typename Derived>
struct KernelPipelineOptions : PassPipelineOptions<Derived> {
  detail::PassOptions::Option<photon::ActivationType> activationType{
      *this, "activation-type", llvm::cl::desc("Activations between kernels"),
      llvm::cl::init(photon::PhotonPlanMemoryOptions().activationType),
      photon::activationTypeValues()};
  detail::PassOptions::Option<int64_t> maxRows{
      *this, "max-rows",
      llvm::cl::desc("rows of one stack call (photon-plan-memory's max-rows)"),
      llvm::cl::init(photon::PhotonPlanMemoryOptions().maxRows)};
  detail::PassOptions::Option<int64_t> decodeTile{
      *this, "decode-tile",
      llvm::cl::desc("sequences a decode step processes together "
                     "(photon-plan-memory's decode-tile)"),
      llvm::cl::init(photon::PhotonPlanMemoryOptions().decodeTile)};
  detail::PassOptions::Option<bool> latentLookahead{
      *this, "latent-lookahead",
      llvm::cl::desc("RecGen: a step decodes the next meta-context's latents while it "
                     "samples this one's tokens (runs photon-pipeline-latents)"),
      llvm::cl::init(true)};
  detail::PassOptions::Option<bool> fuseTokenChunks{
      *this, "fuse-token-chunks",
      llvm::cl::desc("a meta-context's token chunks as rows of one Dec_1 call each "
                     "(runs photon-fuse-token-chunks)"),
      llvm::cl::init(true)};
  detail::PassOptions::Option<photon::MatmulInputRounding> matmulInputRounding{
      *this, "matmul-input-rounding",
      llvm::cl::desc("bf16 activations: projections that round their f32 inputs to "
                     "bf16 (one MMA on tensor cores, not a hi + lo pair)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().matmulInputRounding),
      photon::matmulInputRoundingValues()};
  detail::PassOptions::Option<bool> fuseQkv{
      *this, "fuse-qkv", llvm::cl::desc("Q, K and V as one projection (photon-kernel-fusion)"),
      llvm::cl::init(photon::PhotonKernelFusionOptions().fuseQkv)};
  detail::PassOptions::Option<bool> fuseRopeCache{
      *this, "fuse-rope-cache",
      llvm::cl::desc("RoPE and the K/V cache write as the QKV projection's epilogue"),
      llvm::cl::init(photon::PhotonKernelFusionOptions().fuseRopeCache)};
  detail::PassOptions::Option<bool> fuseGateUp{
      *this, "fuse-gate-up",
      llvm::cl::desc("gate and up as one projection with SwiGLU in its epilogue"),
      llvm::cl::init(photon::PhotonKernelFusionOptions().fuseGateUp)};
  detail::PassOptions::Option<bool> fuseNorm{
      *this, "fuse-norm",
      llvm::cl::desc("RMSNorm as the prologue of the projections that read it"),
      llvm::cl::init(photon::PhotonKernelFusionOptions().fuseNorm)};
  detail::PassOptions::Option<bool> fuseResidual{
      *this, "fuse-residual",
      llvm::cl::desc("residual adds as the epilogue of the projections before them"),
      llvm::cl::init(photon::PhotonKernelFusionOptions().fuseResidual)};
  detail::PassOptions::Option<bool> fuseBias{
      *this, "fuse-bias", llvm::cl::desc("biases in the epilogue of their projections"),
      llvm::cl::init(photon::PhotonKernelFusionOptions().fuseBias)};
  detail::PassOptions::Option<bool> lmHeadNorm{
      *this, "lm-head-norm",
      llvm::cl::desc("the final norm of the stack the LM head reads as the LM head's prologue "
                     "(convert-photon-to-photon-kernel)"),
      llvm::cl::init(photon::ConvertPhotonToPhotonKernelOptions().lmHeadNorm)};

  /// The rewrites of the generation programs.
  ProgramRewrites programs() const { return {latentLookahead, fuseTokenChunks}; }
  /// The memory plan the kernels are emitted for.
  photon::PhotonPlanMemoryOptions plan() const {
    photon::PhotonPlanMemoryOptions plan;
    plan.activationType = activationType;
    plan.maxRows = maxRows;
    plan.decodeTile = decodeTile;
    return plan;
  }
  /// The kernel-level functions.
  photon::ConvertPhotonToPhotonKernelOptions building() const { return {lmHeadNorm}; }
  /// The fusions of the kernel-level ops.
  photon::PhotonKernelFusionOptions fusions() const {
    return {fuseQkv, fuseRopeCache, fuseGateUp, fuseNorm, fuseResidual, fuseBias};
  }
};

struct HostPipelineOptions : KernelPipelineOptions<HostPipelineOptions> {};

struct NVVMPipelineOptions : KernelPipelineOptions<NVVMPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_90a, sm_80, ...)"),
                           llvm::cl::init("sm_90a")};
  Option<int64_t> multiprocessors{
      *this, "multiprocessors",
      llvm::cl::desc("multiprocessors the grids should fill (0: the chip's)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().multiprocessors)};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX ISA features; +ptx80 is the oldest that knows sm_90a"),
      llvm::cl::init("+ptx80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("fatbin (SASS + PTX; needs ptxas and fatbinary), bin "
                     "(SASS; needs ptxas) or isa (PTX, JIT-compiled by the "
                     "driver; needs no CUDA toolkit)"),
      llvm::cl::init("fatbin")};
  Option<int64_t> tensorCoreMinRows{
      *this, "tensor-core-min-rows",
      llvm::cl::desc("bf16 projections over at least this many rows run on "
                     "tensor cores; 0 never"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().tensorCoreMinRows)};
  Option<photon::TensorCoreKernel> tensorCoreKernel{
      *this, "tensor-core-kernel", llvm::cl::desc("the tensor-core GEMM"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().tensorCoreKernel),
      photon::tensorCoreKernelValues()};
  Option<int64_t> gemvMaxRows{
      *this, "gemv-max-rows",
      llvm::cl::desc("projections over 1 to this many rows read each weight "
                     "once with vector loads (GEMV); 0 never"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvMaxRows)};
  Option<int64_t> gemvTensorCoreMinRows{
      *this, "gemv-tensor-core-min-rows",
      llvm::cl::desc("bf16: GEMV kernels for up to n >= this many rows "
                     "multiply on tensor cores (default 2: all but batch 1; "
                     "0 never)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvTensorCoreMinRows)};
  Option<int64_t> gemvLoadsInFlight{
      *this, "gemv-loads-in-flight",
      llvm::cl::desc("16-byte weight loads each lane of a GEMV issues before its "
                     "first product (per matrix on CUDA cores)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvLoadsInFlight)};
  Option<int64_t> gemvTensorCoreWarps{
      *this, "gemv-tensor-core-warps",
      llvm::cl::desc("warps of a tensor-core GEMV block (0: 16 for grids of "
                     "fewer blocks than multiprocessors, 4 for the fused-norm "
                     "QKV and 16-row gate/up, else 8)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvTensorCoreWarps)};
  Option<int64_t> gemvTensorCoreTiles{
      *this, "gemv-tensor-core-tiles",
      llvm::cl::desc("output tiles of 16 a tensor-core GEMV block takes, "
                     "sharing each activation fragment (1 to 8; 0: by shape)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvTensorCoreTiles)};
  Option<bool> gemvTensorCorePrefetch{
      *this, "gemv-tensor-core-prefetch",
      llvm::cl::desc("a tensor-core GEMV of one matrix and tile, without a fused norm, "
                     "issues the next K iteration's weight loads before this one's MMAs"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvTensorCorePrefetch)};
  Option<int64_t> gemvNormKernelMinRows{
      *this, "gemv-norm-kernel-min-rows",
      llvm::cl::desc("rows (GEMV bucket) from which a norm kernel writes a tensor-core "
                     "GEMV's normed rows split into bf16 hi + lo (0: the GEMV applies the norm)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvNormKernelMinRows)};
  Option<bool> gemvSplitSwiGLU{
      *this, "gemv-split-swiglu",
      llvm::cl::desc("the gate/up GEMV writes SwiGLU's product split into bf16 hi + lo "
                     "for a tensor-core down GEMV"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvSplitSwiGLU)};
  Option<bool> gemvSplitAttention{
      *this, "gemv-split-attention",
      llvm::cl::desc("attention writes its output split into bf16 hi + lo for a "
                     "tensor-core output-projection GEMV"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvSplitAttention)};
  Option<bool> blockPerRow{
      *this, "block-per-row",
      llvm::cl::desc("RMSNorm and argmax: one block per row (false: one warp)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().blockPerRow)};
  Option<bool> fuseAttention{
      *this, "fuse-attention",
      llvm::cl::desc("attention as one online-softmax kernel per layer; "
                     "false: scores, softmax, output as three kernels"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fuseAttention)};
  Option<bool> parallelVocab{
      *this, "parallel-vocab",
      llvm::cl::desc("argmax over blocks of the vocabulary, sampling a block "
                     "per row (false: block-per-row argmax, a warp per row)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().parallelVocab)};
  Option<int64_t> fusedAttentionMaxCapacity{
      *this, "fused-attention-max-capacity",
      llvm::cl::desc("fuse-attention: caches of at most this many positions attend "
                     "in one pass (split-short-caches), longer ones split over blocks"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fusedAttentionMaxCapacity)};
  Option<bool> tiledAttention{
      *this, "tiled-attention",
      llvm::cl::desc("more than 64 rows on caches past fused-attention-max-"
                     "capacity (prefill): one tiled flash-attention kernel "
                     "(false: split attention or the three kernels)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().tiledAttention)};
  Option<bool> splitAttention{
      *this, "split-attention",
      llvm::cl::desc("fuse-attention: caches longer than fused-attention-max-capacity "
                     "use split (flash-decoding) attention; false: the three kernels"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitAttention)};
  Option<bool> fuseArgmaxCombine{
      *this, "fuse-argmax-combine",
      llvm::cl::desc("parallel-vocab: the last block of a row's argmax partials "
                     "combines them (default: a combine kernel)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fuseArgmaxCombine)};
  Option<bool> fuseAttentionCombine{
      *this, "fuse-attention-combine",
      llvm::cl::desc("split-attention: the splits' last block merges them "
                     "(default: a combine kernel after the splits)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fuseAttentionCombine)};
  Option<bool> splitShortCaches{
      *this, "split-short-caches",
      llvm::cl::desc("fuse-attention: caches of at most fused-attention-max-capacity "
                     "positions take split attention with one split (a block per "
                     "KV head group and row); false: a block per (row, query head)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitShortCaches)};
  Option<int64_t> splitAttentionLaneVectors{
      *this, "split-attention-lane-vectors",
      llvm::cl::desc("split attention: K/V vectors each lane of a cache position loads"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitAttentionLaneVectors)};
  Option<int64_t> splitAttentionPrefetchSteps{
      *this, "split-attention-prefetch-steps",
      llvm::cl::desc("split attention: loop steps whose K/V loads are in flight (1 to 4)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitAttentionPrefetchSteps)};
  Option<int64_t> splitAttentionOneRowPrefetchSteps{
      *this, "split-attention-one-row-prefetch-steps",
      llvm::cl::desc("split attention over long caches: prefetch steps of one-row calls (1 to 4)"),
      llvm::cl::init(
          photon::ConvertPhotonKernelToGPUOptions().splitAttentionOneRowPrefetchSteps)};
  Option<bool> guardRegisterPrefetch{
      *this, "guard-register-prefetch",
      llvm::cl::desc("the loads a loop carries to its next step (split and tiled attention) "
                     "under a branch, so that LLVM keeps them ahead of that step"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().guardRegisterPrefetch)};
  Option<int64_t> splitAttentionOneRowStages{
      *this, "split-attention-one-row-stages",
      llvm::cl::desc("split attention over long caches, one-row calls: shared-memory stages "
                     "of the K/V loads in flight (0: registers; 2 to 8)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitAttentionOneRowStages)};
  Option<bool> splitAttentionL2Prefetch{
      *this, "split-attention-l2-prefetch",
      llvm::cl::desc("programmatic launch: the one-row split-attention kernel prefetches "
                     "its splits' K/V rows into L2 before it waits for the previous kernel"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitAttentionL2Prefetch)};
  Option<int64_t> splitAttentionClusterBlocks{
      *this, "split-attention-cluster-blocks",
      llvm::cl::desc("split attention over long caches, sm_90: the splits of a (row, KV head "
                     "group) as one cluster of at most this many blocks, merged through "
                     "distributed shared memory (0: a combine kernel)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().splitAttentionClusterBlocks)};
  Option<bool> fuseQkvRope{
      *this, "fuse-qkv-rope",
      llvm::cl::desc("decode: RoPE and the K/V cache write in the QKV GEMV's epilogue"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fuseQkvRope)};
  Option<bool> fuseQkvRopeGemm{
      *this, "fuse-qkv-rope-gemm",
      llvm::cl::desc("sm_90a: RoPE and the K/V cache write in the tensor-core QKV GEMM's epilogue"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fuseQkvRopeGemm)};
  Option<bool> ropeApproxTrig{
      *this, "rope-approx-trig",
      llvm::cl::desc("the QKV GEMM's RoPE table by the multifunction unit's approximations"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().ropeApproxTrig)};
  Option<bool> fuseLaunches{
      *this, "fuse-launches",
      llvm::cl::desc("a stack's kernels of one block size that run one after the other "
                     "as one launch (tickets in order)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().fuseLaunches)};
  Option<bool> groupStackCalls{
      *this, "group-stack-calls",
      llvm::cl::desc("RecGen: the latent chain's and the tokens' stack calls of one shape "
                     "as one launch per kernel (photon-group-stack-calls; off: 12% slower "
                     "on an H200, whose graph overlaps the two streams' launches; "
                     "turns lm-head-norm off)"),
      llvm::cl::init(false)};
  Option<bool> prefetchNextWeights{
      *this, "prefetch-next-weights",
      llvm::cl::desc("sm_90 and later: decode GEMVs prefetch the next projection's weights into L2"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().prefetchNextWeights)};
  Option<int64_t> gemvBulkMaxWarpRows{
      *this, "gemv-bulk-max-warp-rows",
      llvm::cl::desc("sm_90 and later: one-row GEMVs whose warps read at most this many "
                     "weight rows bring them into shared memory by bulk copies instead of "
                     "loads into registers (0: none; -1: every one unless RecGen's latent "
                     "chain runs on a second stream)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvBulkMaxWarpRows)};
  Option<int64_t> gemvBulkWarps{
      *this, "gemv-bulk-warps",
      llvm::cl::desc("sm_90 and later: warps of a one-row GEMV block with bulk copies, which "
                     "copies its activation row once for all of them (1 to 32)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvBulkWarps)};
  Option<int64_t> gemvBulkMaxOutputs{
      *this, "gemv-bulk-max-outputs",
      llvm::cl::desc("sm_90 and later: only one-row GEMVs of at most this many outputs take "
                     "bulk copies; larger ones (the LM head) load into registers (0: any)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().gemvBulkMaxOutputs)};
  Option<photon::EarlyTrigger> earlyTrigger{
      *this, "early-trigger",
      llvm::cl::desc("programmatic launch: the kernels that let their successor be "
                     "scheduled at their start instead of after their wait"),
      llvm::cl::init(photon::EarlyTrigger::None), photon::earlyTriggerValues()};
  Option<bool> programmaticLaunch{
      *this, "programmatic-launch",
      llvm::cl::desc("sm_90 and later: each kernel may start while the one before it "
                     "finishes (photon-programmatic-launch); ignored for older chips"),
      llvm::cl::init(true)};
  Option<bool> wgmma{
      *this, "wgmma",
      llvm::cl::desc("chip=sm_90a: the tensor-core GEMMs use warpgroup MMA (wgmma) "
                     "instead of mma.sync; ignored for other chips"),
      llvm::cl::init(true)};
  Option<int64_t> wgmmaKStep{
      *this, "wgmma-k-step",
      llvm::cl::desc("wgmma: K per pipeline step of the tensor-core GEMMs (32 or 64)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaKStep)};
  Option<int64_t> wgmmaStages{
      *this, "wgmma-stages",
      llvm::cl::desc("wgmma: shared-memory stages of the tensor-core GEMMs (3 to 8, "
                     "as many as fit where fewer do)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaStages)};
  Option<bool> wgmmaTma{
      *this, "wgmma-tma",
      llvm::cl::desc("wgmma: the GEMMs load bf16 inputs' and one weight matrix's tiles with TMA"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaTma)};
  Option<int64_t> wgmmaTmaMinTileCols{
      *this, "wgmma-tma-min-tile-cols",
      llvm::cl::desc("wgmma-tma: the narrowest output tile that loads by TMA (0: every tile)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaTmaMinTileCols)};
  Option<bool> wgmmaProducerWarp{
      *this, "wgmma-producer-warp",
      llvm::cl::desc("wgmma-tma: a ninth warp issues the copies (warp specialization)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaProducerWarp)};
  Option<int64_t> wgmmaTileRows{
      *this, "wgmma-tile-rows",
      llvm::cl::desc("wgmma-tma: rows of the GEMM tiles whose operands both come by TMA "
                     "(128, 192, or 0: 192 where fewer waves pay for them)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaTileRows)};
  Option<bool> wgmmaStagedStore{
      *this, "wgmma-staged-store",
      llvm::cl::desc("wgmma: the GEMMs of one weight matrix store their tiles through shared "
                     "memory in 16-byte runs"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaStagedStore)};
  Option<int64_t> wgmmaTileCols{
      *this, "wgmma-tile-cols",
      llvm::cl::desc("wgmma: the widest output tile of a GEMM of up to "
                     "wgmma-wide-tile-max-outputs outputs (a multiple of 8, 64 to 256)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaTileCols)};
  Option<int64_t> wgmmaWideTileMaxOutputs{
      *this, "wgmma-wide-tile-max-outputs",
      llvm::cl::desc("wgmma: projections of up to this many outputs take the wide tiles"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaWideTileMaxOutputs)};
  Option<int64_t> wgmmaWideOutputTileCols{
      *this, "wgmma-wide-output-tile-cols",
      llvm::cl::desc("wgmma: the widest output tile of a GEMM of more than "
                     "wgmma-wide-tile-max-outputs outputs (a multiple of 8, 64 to 256)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaWideOutputTileCols)};
  Option<int64_t> wgmmaWideTileMinRows{
      *this, "wgmma-wide-tile-min-rows",
      llvm::cl::desc("wgmma: the rows from which a call takes the wide tiles "
                     "(0: where they cover 3/4 of the multiprocessors)"),
      llvm::cl::init(photon::ConvertPhotonKernelToGPUOptions().wgmmaWideTileMinRows)};
  Option<std::string> ptxasOptions{
      *this, "ptxas-options",
      llvm::cl::desc("format=bin/fatbin: extra ptxas options, e.g. "
                     "--split-compile=0 to compile the kernels on every core"),
      llvm::cl::init("")};
  Option<int> optLevel{*this, "opt-level",
                       llvm::cl::desc("NVVM optimization level"),
                       llvm::cl::init(3)};
};
} // namespace


/// Rewrite the programs (`programs`), plan memory (`plan`), build the
/// kernel-level functions (`building`), fuse their ops (`fusions`), lower them for
/// `target` (the GPU with `kernels`) and the programs around them, cleaned up.
static void addKernelPasses(OpPassManager &pm, photon::KernelTarget target,
                            const photon::ConvertPhotonKernelToGPUOptions &kernels,
                            ProgramRewrites programs, const photon::PhotonPlanMemoryOptions &plan,
                            const photon::ConvertPhotonToPhotonKernelOptions &building,
                            const photon::PhotonKernelFusionOptions &fusions) {
  if (programs.latentLookahead)
    pm.addPass(photon::createPhotonPipelineLatents());
  if (programs.fuseTokenChunks)
    pm.addPass(photon::createPhotonFuseTokenChunks());
  pm.addPass(photon::createPhotonPlanMemory(plan));
  pm.addPass(photon::createConvertPhotonToPhotonKernel(building));
  pm.addPass(photon::createPhotonKernelFusion(fusions));
  if (target == photon::KernelTarget::GPU)
    pm.addPass(photon::createConvertPhotonKernelToGPU(kernels));
  else
    pm.addPass(photon::createConvertPhotonKernelToSCF({kernels.matmulInputRounding}));
  pm.addPass(photon::createConvertPhotonProgramsToHost(
      photon::ConvertPhotonProgramsToHostOptions{target}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::photon::registerPhotonPipelines() {
  PassPipelineRegistration<HostPipelineOptions>(
      "photon-to-llvm",
      "Lower a photon model to LLVM IR for the host CPU: plan memory, emit "
      "kernels, lower loops, memrefs, math and functions to the LLVM dialect",
      [](OpPassManager &pm, const HostPipelineOptions &options) {
        photon::ConvertPhotonKernelToGPUOptions kernels;
        kernels.matmulInputRounding = options.matmulInputRounding;
        addKernelPasses(pm, photon::KernelTarget::CPU, kernels, options.programs(), options.plan(),
                        options.building(), options.fusions());
        // bf16 <-> f32 conversions as integer code: the host has no bf16
        // instructions and the kernel library links no compiler runtime.
        arith::ArithExpandOpsPassOptions expand;
        expand.includeBf16 = true;
        pm.addPass(arith::createArithExpandOpsPass(expand));
        pm.addPass(createSCFToControlFlowPass());
        pm.addPass(createConvertMathToLLVMPass());
        pm.addPass(memref::createExpandStridedMetadataPass());
        pm.addPass(createFinalizeMemRefToLLVMConversionPass());
        pm.addPass(createArithToLLVMConversionPass());
        pm.addPass(createConvertIndexToLLVMPass());
        pm.addPass(createConvertFuncToLLVMPass());
        pm.addPass(createConvertControlFlowToLLVMPass());
        pm.addPass(createReconcileUnrealizedCastsPass());
      });

  PassPipelineRegistration<NVVMPipelineOptions>(
      "photon-to-nvvm",
      "Lower a photon model to GPU kernels (NVVM -> PTX/cubin) and host code "
      "that launches them through the mgpu* runtime ABI",
      [](OpPassManager &pm, const NVVMPipelineOptions &options) {
        photon::ConvertPhotonKernelToGPUOptions kernels;
        kernels.tensorCoreMinRows = options.tensorCoreMinRows;
        kernels.gemvMaxRows = options.gemvMaxRows;
        kernels.gemvTensorCoreMinRows = options.gemvTensorCoreMinRows;
        kernels.gemvLoadsInFlight = options.gemvLoadsInFlight;
        kernels.gemvTensorCoreWarps = options.gemvTensorCoreWarps;
        kernels.gemvTensorCoreTiles = options.gemvTensorCoreTiles;
        kernels.gemvTensorCorePrefetch = options.gemvTensorCorePrefetch;
        kernels.gemvNormKernelMinRows = options.gemvNormKernelMinRows;
        kernels.gemvSplitSwiGLU = options.gemvSplitSwiGLU;
        kernels.gemvSplitAttention =
            photon::gemvSplitAttentionCompiled(options.gemvSplitAttention, options.groupStackCalls);
        kernels.blockPerRow = options.blockPerRow;
        kernels.fuseAttention = options.fuseAttention;
        kernels.fusedAttentionMaxCapacity = options.fusedAttentionMaxCapacity;
        kernels.tiledAttention = options.tiledAttention;
        kernels.splitAttention = options.splitAttention;
        kernels.splitShortCaches = options.splitShortCaches;
        kernels.splitAttentionLaneVectors = options.splitAttentionLaneVectors;
        kernels.splitAttentionPrefetchSteps = options.splitAttentionPrefetchSteps;
        kernels.splitAttentionOneRowPrefetchSteps = options.splitAttentionOneRowPrefetchSteps;
        kernels.splitAttentionOneRowStages = options.splitAttentionOneRowStages;
        kernels.guardRegisterPrefetch = options.guardRegisterPrefetch;
        kernels.splitAttentionClusterBlocks = options.splitAttentionClusterBlocks;
        kernels.splitAttentionL2Prefetch = options.splitAttentionL2Prefetch;
        kernels.fuseAttentionCombine = options.fuseAttentionCombine;
        kernels.fuseArgmaxCombine = options.fuseArgmaxCombine;
        kernels.fuseQkvRope = options.fuseQkvRope;
        kernels.fuseQkvRopeGemm = options.fuseQkvRopeGemm;
        kernels.ropeApproxTrig = options.ropeApproxTrig;
        kernels.fuseLaunches = options.fuseLaunches;
        kernels.parallelVocab = options.parallelVocab;
        kernels.tensorCoreKernel = options.tensorCoreKernel;
        kernels.matmulInputRounding = options.matmulInputRounding;
        // The conversion turns off what the chip lacks and sizes grids to it.
        kernels.chip = options.chip;
        kernels.multiprocessors = options.multiprocessors;
        kernels.programmaticLaunch = options.programmaticLaunch;
        kernels.gemvEarlyTrigger = options.earlyTrigger != photon::EarlyTrigger::None;
        kernels.prefetchNextWeights = options.prefetchNextWeights;
        kernels.gemvBulkMaxWarpRows = options.gemvBulkMaxWarpRows;
        kernels.gemvBulkWarps = options.gemvBulkWarps;
        kernels.gemvBulkMaxOutputs = options.gemvBulkMaxOutputs;
        kernels.wgmma = options.wgmma;
        kernels.wgmmaKStep = options.wgmmaKStep;
        kernels.wgmmaStages = options.wgmmaStages;
        kernels.wgmmaTma = options.wgmmaTma;
        kernels.wgmmaTmaMinTileCols = options.wgmmaTmaMinTileCols;
        kernels.wgmmaProducerWarp = options.wgmmaProducerWarp;
        kernels.wgmmaTileRows = options.wgmmaTileRows;
        kernels.wgmmaTileCols = options.wgmmaTileCols;
        kernels.wgmmaStagedStore = options.wgmmaStagedStore;
        kernels.wgmmaWideTileMinRows = options.wgmmaWideTileMinRows;
        kernels.wgmmaWideTileMaxOutputs = options.wgmmaWideTileMaxOutputs;
        kernels.wgmmaWideOutputTileCols = options.wgmmaWideOutputTileCols;
        photon::ConvertPhotonToPhotonKernelOptions building = options.building();
        building.lmHeadNorm = photon::lmHeadNormCompiled(building.lmHeadNorm,
                                                         options.groupStackCalls);
        addKernelPasses(pm, photon::KernelTarget::GPU, kernels, options.programs(), options.plan(),
                        building, options.fusions());
        if (options.groupStackCalls) {
          pm.addPass(photon::createPhotonGroupStackCalls());
          pm.addPass(createCanonicalizerPass());
          pm.addPass(createCSEPass());
        }
        if (options.programmaticLaunch &&
            photon::TargetInfo::forChip(options.chip).hasProgrammaticLaunch())
          pm.addPass(photon::createPhotonProgrammaticLaunch(
              {/*triggerAtStart=*/options.earlyTrigger == photon::EarlyTrigger::All}));
        // Outlining turns every value a launch body uses from outside into a
        // kernel argument, constants included: without this the kernels
        // would divide by, loop to and shuffle with runtime parameters
        // (no unrolling, no constant folding).
        pm.addPass(createGpuLaunchSinkIndexComputationsPass());
        gpu::GPUToNVVMPipelineOptions nvvm;
        nvvm.cubinChip = options.chip;
        nvvm.cubinFeatures = options.features;
        nvvm.cubinFormat = options.format;
        nvvm.optLevel = options.optLevel;
        nvvm.cmdOptions = options.ptxasOptions;
        gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
      });
}
