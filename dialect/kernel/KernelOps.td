//===- KernelOps.td - The photon_kernel dialect ----------------------------===//
//
// The kernel-level IR between the model (photon) and the hardware (gpu,
// nvgpu, nvvm; scf on the host): the building blocks of a model's functions
// as ops over flat 1-D buffers, one op per kernel family.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_KERNEL_OPS_TD
#define PHOTON_KERNEL_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def PhotonKernel_Dialect : Dialect {
  let name = "photon_kernel";
  let cppNamespace = "::mlir::photon::kernel";
  let summary = "Kernel-level work of a compiled photon model";
  let description = [{
    `convert-photon-to-photon-kernel` turns a planned `photon.model` into one
    function per building block (embeddings, stacks, converters, the LM
    head, token choice); their bodies are made of this dialect's ops, one
    per kernel family, over flat 1-D buffers (`memref<?xT>`) in
    destination-passing style. A buffer operand is a memref and the index of
    its first element (`%scratch[%base]`); weights are offsets into the
    weight arena `%W` (elements), with the power of two known to divide
    them (`*_align`: what vector loads may assume). A stack's layer is
    `qkv`, `attention`, `matmul` (the output projection) and `mlp`; its
    layers are an `scf.for` where they share one layout.

    `convert-photon-kernel-to-gpu` lowers the ops to `gpu.launch` kernels
    (gpu, nvgpu, nvvm), choosing each kernel on the host from the rows of
    the call (GEMV, tensor-core GEMM, split or tiled attention);
    `convert-photon-kernel-to-scf` lowers them to host loops
    (`scf.parallel`). Which fusions a lowering applies inside an op (RMSNorm
    as a GEMV's prologue, RoPE and the cache write as the QKV GEMV's
    epilogue, ...) are its options.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class PhotonKernel_Op<string mnemonic, list<Trait> traits = []>
    : Op<PhotonKernel_Dialect, mnemonic, traits>;

// Buffers are 1-D memrefs of dynamic size and identity layout.
def PK_IsFlat : CPred<"::llvm::cast<::mlir::MemRefType>($_self).isDynamicDim(0) && "
                      "::llvm::cast<::mlir::MemRefType>($_self).getLayout().isIdentity()">;
def PK_Buffer : Type<And<[MemRefRankOf<[F32, BF16, F16], [1]>.predicate, PK_IsFlat]>,
                     "flat buffer of f32, bf16 or f16">;
// Buffers of one element type print without their type.
class PK_FlatBufferOf<Type elt, string eltBuilder>
    : Type<And<[MemRefRankOf<[elt], [1]>.predicate, PK_IsFlat]>, "flat buffer of " # elt.summary>,
      BuildableType<"::mlir::MemRefType::get({::mlir::ShapedType::kDynamic}, " # eltBuilder # ")">;
def PK_IdBuffer : PK_FlatBufferOf<I32, "$_builder.getI32Type()">;
def PK_F32Buffer : PK_FlatBufferOf<F32, "$_builder.getF32Type()">;
def PK_BF16Buffer : PK_FlatBufferOf<BF16, "$_builder.getBF16Type()">;
def PK_Positive : ConfinedAttr<I64Attr, [IntPositive]>;
// An f64 parameter of an attribute, printed so that it round-trips.
class PK_F64Param<string desc> : APFloatParameter<desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double v;
    if ($_parser.parseFloat(v))
      return ::mlir::failure();
    return ::llvm::APFloat(v);
  }() }];
  let printer = "$_printer.printFloat($_self)";
}

//===----------------------------------------------------------------------===//
// Embeddings and projections
//===----------------------------------------------------------------------===//

def PhotonKernel_EmbedOp : PhotonKernel_Op<"embed"> {
  let summary = "out[i, :] = table[ids[i], :]";
  let description = [{
    Rows `ids[0 .. rows)` of the `width`-wide table at `table` in the weight
    arena, written to `out` from `out_base`. The kernel is
    `photon_embed_<tag>`.

    ```mlir
    photon_kernel.embed %W[%c0] ids %ids rows %n into %out[%c0] {tag = "tok", width = 64 : i64}
        : memref<?xbf16>, memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "weight arena", [MemRead]>:$weights, Index:$table,
                       Arg<PK_IdBuffer, "token ids", [MemRead]>:$ids, Index:$rows,
                       Arg<PK_Buffer, "", [MemWrite]>:$out, Index:$out_base,
                       PK_Positive:$width, StrAttr:$tag);
  let assemblyFormat = [{
    $weights `[` $table `]` `ids` $ids `rows` $rows `into` $out `[` $out_base `]` attr-dict
    `:` type($weights) `,` type($out)
  }];
}

def PhotonKernel_RmsNormOp : PhotonKernel_Op<"rms_norm", [AttrSizedOperandSegments]> {
  let summary = "out[i, :] = in[i, :] / sqrt(mean(in[i, :]²) + eps) · gain";
  let description = [{
    RMSNorm of `rows` rows of `width` features (spec §3); `in` may be
    `out` (in place). Given `rounded`, the rows go there in bf16 too, where
    wide projections after it read them (bf16 weights and activations).

    ```mlir
    photon_kernel.rms_norm %x[%c0] rows %n gain %W[%g] into %x[%c0]
        {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 64 : i64}
        : memref<?xbf16>, memref<?xbf16>, memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "", [MemRead]>:$in, Index:$in_base, Index:$rows,
                       Arg<PK_Buffer, "weight arena", [MemRead]>:$weights, Index:$gain,
                       Arg<PK_Buffer, "", [MemWrite]>:$out, Index:$out_base,
                       Arg<Optional<PK_BF16Buffer>, "bf16 copy of out", [MemWrite]>:$rounded,
                       Optional<Index>:$rounded_base,
                       PK_Positive:$width, F64Attr:$eps, PK_Positive:$gain_align);
  let assemblyFormat = [{
    $in `[` $in_base `]` `rows` $rows `gain` $weights `[` $gain `]` `into` $out `[` $out_base `]`
    (`rounded` $rounded^ `[` $rounded_base `]`)?
    attr-dict `:` type($in) `,` type($weights) `,` type($out)
  }];
  let hasVerifier = 1;
}

def PhotonKernel_MatmulOp : PhotonKernel_Op<"matmul", [AttrSizedOperandSegments]> {
  let summary = "out[i, j] (+)= sum_k W[j, k] · in[i, k] (+ bias[j])";
  let description = [{
    A projection of `rows` rows of `k` features to `m` outputs, the weight
    matrix row-major at `weight` in the arena, an optional bias of `m`
    elements at `bias`; with `accumulate` the products are added to `out`
    (a residual). `rounded` names a bf16 copy of `in` that its producer
    writes for wide projections (bf16 weights and activations: tensor-core GEMMs read it instead of
    rounding f32 rows themselves). `next` are weights (offsets, with their
    element counts `next_elements`) the projection after this one reads:
    a lowering may prefetch them.

    With `norm`, `in` holds raw rows, RMSNorm'ed (gain at `gain`, `eps`)
    on the way in: a GEMV applies the norm as it reads them; elsewhere a
    norm kernel writes the normed rows to `normed` first (which may be
    `in`, in place). The LM head takes the final norm of the stack it reads
    this way (convert-photon-to-photon-kernel's `lm-head-norm`).

    ```mlir
    photon_kernel.matmul %in[%c0] rows %n weight %W[%w] into %out[%c0]
        {accumulate, k = 64 : i64, m = 32000 : i64, weight_align = 16 : i64}
        : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
    photon_kernel.matmul %x[%c0] rows %n weight %W[%w] into %logits[%c0]
        norm [%g] into %x[%c0]
        {eps = 1.0e-05 : f64, gain_align = 16 : i64, k = 64 : i64, m = 256 : i64,
         weight_align = 64 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>, memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "", [MemRead]>:$in, Index:$in_base,
                       Arg<Optional<PK_BF16Buffer>, "bf16 copy of in", [MemRead]>:$rounded,
                       Optional<Index>:$rounded_base, Index:$rows,
                       Arg<PK_Buffer, "weight arena", [MemRead]>:$weights, Index:$weight,
                       Optional<Index>:$bias,
                       Arg<PK_Buffer, "", [MemRead, MemWrite]>:$out, Index:$out_base,
                       Optional<Index>:$gain,
                       Arg<Optional<PK_Buffer>, "the normed rows", [MemWrite]>:$normed,
                       Optional<Index>:$normed_base,
                       Variadic<Index>:$next,
                       PK_Positive:$m, PK_Positive:$k, PK_Positive:$weight_align,
                       OptionalAttr<PK_Positive>:$bias_align, UnitAttr:$accumulate,
                       OptionalAttr<F64Attr>:$eps, OptionalAttr<PK_Positive>:$gain_align,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$next_elements,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$next_aligns);
  let assemblyFormat = [{
    $in `[` $in_base `]` (`rounded` $rounded^ `[` $rounded_base `]`)?
    `rows` $rows `weight` $weights `[` $weight `]` (`bias` `[` $bias^ `]`)?
    `into` $out `[` $out_base `]`
    (`norm` `[` $gain^ `]` `into` $normed `[` $normed_base `]`)? (`next` `[` $next^ `]`)?
    attr-dict `:` type($in) `,` type($weights) `,` type($out) (`,` type($normed)^)?
  }];
  let hasVerifier = 1;
}

def PhotonKernel_ResidualAddOp : PhotonKernel_Op<"residual_add"> {
  let summary = "x[i, j] += src[i, j]";
  let description = [{
    Adds `rows` rows of `width` f32 features of `src` to the rows of `x` (a
    residual): what a projection's output does when `photon-kernel-fusion`
    does not make the add its epilogue (`fuse-residual`).

    ```mlir
    photon_kernel.residual_add %x[%c0] rows %n add %s[%t] {width = 64 : i64} : memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "", [MemRead, MemWrite]>:$x, Index:$x_base, Index:$rows,
                       Arg<PK_F32Buffer, "", [MemRead]>:$src, Index:$src_base,
                       PK_Positive:$width);
  let assemblyFormat = [{
    $x `[` $x_base `]` `rows` $rows `add` $src `[` $src_base `]` attr-dict `:` type($x)
  }];
}

def PhotonKernel_BiasAddOp : PhotonKernel_Op<"bias_add"> {
  let summary = "out[i, j] += bias[j]";
  let description = [{
    Adds the `width`-element bias at `bias` in the weight arena to `rows`
    rows of `out`: a projection's bias when `photon-kernel-fusion` does not
    make it the projection's epilogue (`fuse-bias`).

    ```mlir
    photon_kernel.bias_add %out[%c0] rows %n bias %W[%b] {bias_align = 16 : i64, width = 64 : i64}
        : memref<?xbf16>, memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "", [MemRead, MemWrite]>:$out, Index:$out_base,
                       Index:$rows, Arg<PK_Buffer, "weight arena", [MemRead]>:$weights,
                       Index:$bias, PK_Positive:$width, PK_Positive:$bias_align);
  let assemblyFormat = [{
    $out `[` $out_base `]` `rows` $rows `bias` $weights `[` $bias `]` attr-dict
    `:` type($out) `,` type($weights)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// A transformer layer: QKV, attention, MLP
//===----------------------------------------------------------------------===//

def PK_LayerShape : AttrDef<PhotonKernel_Dialect, "LayerShape"> {
  let mnemonic = "layer";
  let summary = "the widths of a transformer layer";
  let description = [{
    `d_model` features, `heads` query heads and `kv_heads` K/V heads of
    `d_model / heads` features (GQA: `heads` a multiple of `kv_heads`),
    `ffn` MLP features, RMSNorm's `eps` and RoPE's `rope_theta`.
  }];
  let parameters = (ins "int64_t":$d_model, "int64_t":$heads, "int64_t":$kv_heads,
                        "int64_t":$ffn, PK_F64Param<"">:$eps, PK_F64Param<"">:$rope_theta);
  let assemblyFormat = [{
    `<` `d_model` `=` $d_model `,` `heads` `=` $heads `,` `kv_heads` `=` $kv_heads `,`
    `ffn` `=` $ffn `,` `eps` `=` $eps `,` `rope_theta` `=` $rope_theta `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim() const { return getDModel() / getHeads(); }
  }];
}

def PhotonKernel_QkvOp : PhotonKernel_Op<"qkv", [AttrSizedOperandSegments]> {
  let summary = "Q, K and V of a layer as one projection; its norm and RoPE + cache write";
  let description = [{
    The Q, K and V projections of the rows of `x` (weights at `q_weight`,
    `k_weight`, `v_weight`) into `q`, `k` and `v` of `scratch`: what
    `photon-kernel-fusion` makes of three `photon_kernel.matmul`s of one
    input (`fuse-qkv`). `rounded` is a bf16 copy of the projections' input
    rows for wide projections (bf16 weights and activations), as for
    `photon_kernel.matmul`. Two more fusions are optional parts:

    - `norm` (`fuse-norm`): `x` holds the raw rows, RMSNorm'ed with the gain
      at `gain` on the way in; where a kernel cannot fuse the norm it writes
      the normed rows to `scratch` at `normed_base` (or, for wide
      projections, to `rounded`) first. Without it `x` holds the normed rows.
    - `at ... caches` (`fuse-rope-cache`): RoPE on Q and K at positions
      `pos[i]`, and K and V written to the caches at (slot `seq[i]`,
      `layer` of `layers`, position `pos[i]`), as
      `photon_kernel.rope_cache` does after it otherwise.

    `weight_aligns` are the alignments of Q, K and V; `next` as for
    `photon_kernel.matmul`.

    ```mlir
    photon_kernel.qkv %x[%c0] rows %n weights %W[%q, %k, %v] scratch %s[%qb, %kb, %vb]
        rounded %r[%rb] norm [%g] into [%c0] at %pos, %seq caches %kc, %vc[%l, %cap] next[%o]
        {gain_align = 16 : i64, layers = 2 : i64, shape = #photon_kernel.layer<...>,
         weight_aligns = array<i64: 8, 8, 8>, ...} : memref<?xbf16>, memref<?xbf16>, memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "", [MemRead]>:$x, Index:$x_base, Index:$rows,
                       Arg<PK_Buffer, "weight arena", [MemRead]>:$weights,
                       Index:$q_weight, Index:$k_weight, Index:$v_weight,
                       Arg<PK_F32Buffer, "scratch", [MemRead, MemWrite]>:$scratch,
                       Index:$q_base, Index:$k_base, Index:$v_base,
                       Arg<Optional<PK_BF16Buffer>, "bf16 copy of the input rows",
                           [MemRead, MemWrite]>:$rounded,
                       Optional<Index>:$rounded_base,
                       Optional<Index>:$gain, Optional<Index>:$normed_base,
                       Arg<Optional<PK_IdBuffer>, "", [MemRead]>:$pos,
                       Arg<Optional<PK_IdBuffer>, "", [MemRead]>:$seq,
                       Arg<Optional<PK_Buffer>, "", [MemWrite]>:$k_cache,
                       Arg<Optional<PK_Buffer>, "", [MemWrite]>:$v_cache,
                       Optional<Index>:$layer, Optional<Index>:$capacity,
                       Variadic<Index>:$next,
                       PK_LayerShape:$shape, DenseI64ArrayAttr:$weight_aligns,
                       OptionalAttr<PK_Positive>:$gain_align,
                       OptionalAttr<PK_Positive>:$layers,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$next_elements,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$next_aligns);
  let assemblyFormat = [{
    $x `[` $x_base `]` `rows` $rows
    `weights` $weights `[` $q_weight `,` $k_weight `,` $v_weight `]`
    `scratch` $scratch `[` $q_base `,` $k_base `,` $v_base `]`
    (`rounded` $rounded^ `[` $rounded_base `]`)?
    (`norm` `[` $gain^ `]` `into` `[` $normed_base `]`)?
    (`at` $pos^ `,` $seq `caches` $k_cache `,` $v_cache `[` $layer `,` $capacity `]`)?
    (`next` `[` $next^ `]`)? attr-dict
    `:` type($x) `,` type($weights) (`,` type($k_cache)^ `,` type($v_cache))?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether RoPE and the cache write are this op's epilogue.
    bool hasRopeCache() { return bool(getKCache()); }
  }];
}

def PhotonKernel_RopeCacheOp : PhotonKernel_Op<"rope_cache",
    [AllTypesMatch<["k_cache", "v_cache"]>]> {
  let summary = "RoPE on Q and K; K and V into the cache";
  let description = [{
    RoPE (spec §2) on the `rows` rows of `q` (`heads` heads) and `k`
    (`kv_heads` heads) in place at positions `pos[i]`, then K and V written
    to the caches at (slot `seq[i]`, `layer` of `layers`, position `pos[i]`)
    of caches laid out `[slot][layer][capacity][kv_heads · head_dim]`.

    ```mlir
    photon_kernel.rope_cache %s[%qb, %kb, %vb] rows %n at %pos, %seq caches %kc, %vc[%l, %cap]
        {layers = 2 : i64, shape = #photon_kernel.layer<...>} : memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_F32Buffer, "scratch", [MemRead, MemWrite]>:$scratch,
                       Index:$q_base, Index:$k_base, Index:$v_base, Index:$rows,
                       Arg<PK_IdBuffer, "", [MemRead]>:$pos, Arg<PK_IdBuffer, "", [MemRead]>:$seq,
                       Arg<PK_Buffer, "", [MemWrite]>:$k_cache,
                       Arg<PK_Buffer, "", [MemWrite]>:$v_cache, Index:$layer, Index:$capacity,
                       PK_LayerShape:$shape, PK_Positive:$layers);
  let assemblyFormat = [{
    $scratch `[` $q_base `,` $k_base `,` $v_base `]` `rows` $rows `at` $pos `,` $seq
    `caches` $k_cache `,` $v_cache `[` $layer `,` $capacity `]` attr-dict `:` type($k_cache)
  }];
}

def PhotonKernel_AttentionOp : PhotonKernel_Op<"attention",
    [AttrSizedOperandSegments, AllTypesMatch<["k_cache", "v_cache"]>]> {
  let summary = "causal attention of rows over their cache slots";
  let description = [{
    Row `i` (query `q`, head-major) attends to positions `0 .. pos[i]` of
    cache slot `seq[i]` (GQA: query head `h` reads K/V head
    `h / (heads / kv_heads)`), scaled by `1 / sqrt(head_dim)`; the output
    goes to `out` and, given `rounded` (bf16 weights and activations), in
    bf16 there too, where the wide projection after it reads it. `scores` and `stats` are scratch a lowering may use
    (`heads · capacity` and `heads · 2` f32 per row), `semaphores` the
    plan's counters (zero on entry and exit). `rows_per_slot`, where
    given, says how the call's rows come: runs of that many consecutive
    rows of one slot; 1 (a decode step: every row its own sequence) keeps
    a lowering from attention kernels built for prefill tiles.
  }];
  let arguments = (ins Arg<PK_F32Buffer, "scratch", [MemRead, MemWrite]>:$scratch,
                       Index:$q_base, Index:$out_base, Index:$scores_base, Index:$stats_base,
                       Arg<Optional<PK_BF16Buffer>, "bf16 copy of out", [MemWrite]>:$rounded,
                       Optional<Index>:$rounded_base,
                       Arg<PK_Buffer, "", [MemRead]>:$k_cache,
                       Arg<PK_Buffer, "", [MemRead]>:$v_cache, Index:$layer, Index:$capacity,
                       Index:$rows, Arg<PK_IdBuffer, "", [MemRead]>:$pos,
                       Arg<PK_IdBuffer, "", [MemRead]>:$seq,
                       Arg<PK_IdBuffer, "", [MemRead, MemWrite]>:$semaphores,
                       Optional<Index>:$rows_per_slot,
                       PK_LayerShape:$shape, PK_Positive:$layers);
  let assemblyFormat = [{
    $scratch `[` $q_base `,` $out_base `,` $scores_base `,` $stats_base `]`
    (`rounded` $rounded^ `[` $rounded_base `]`)?
    `caches` $k_cache `,` $v_cache `[` $layer `,` $capacity `]`
    `rows` $rows `at` $pos `,` $seq (`per_slot` $rows_per_slot^)?
    `semaphores` $semaphores attr-dict `:` type($k_cache)
  }];
  let hasVerifier = 1;
}

def PhotonKernel_MlpOp : PhotonKernel_Op<"mlp", [AttrSizedOperandSegments]> {
  let summary = "x += down(silu(gate(h)) · up(h)): gate and up as one projection";
  let description = [{
    The SwiGLU MLP of a layer with its residual: the normed rows h, the gate
    and up projections to `ffn` features as one projection with SwiGLU in
    its epilogue, and the down projection added to `x`: what
    `photon-kernel-fusion` makes of a gate and an up `photon_kernel.matmul`,
    `photon_kernel.swiglu` and the down `matmul` (`fuse-gate-up`).
    `gate` and `up` (f32) are scratch a lowering may use.

    h is in `scratch` at `normed_base`, with its bf16 copy for wide
    projections in `rounded` (bf16 weights and activations). With `norm`
    (`fuse-norm`) h = RMSNorm(x) with the gain at `gain` and `eps`, computed
    on the way in or written there where a kernel cannot fuse it. `rounded`
    is `scratch`'s bytes in bf16 (the stack's convention), so wide kernels
    may leave SwiGLU's output in it over `gate`'s bytes for the down GEMM.
    `weight_aligns`: gate, up, down.

    ```mlir
    photon_kernel.mlp %x[%c0] rows %n weights %W[%g, %u, %d] scratch %s[%c0, %gb, %ub]
        rounded %r[%rb] norm [%gain]
        {d_model = 64 : i64, eps = 1.0e-05 : f64, ffn = 128 : i64, gain_align = 16 : i64,
         weight_aligns = array<i64: 8, 8, 8>} : memref<?xbf16>, memref<?xbf16>
    ```
  }];
  let arguments = (ins Arg<PK_Buffer, "", [MemRead, MemWrite]>:$x, Index:$x_base, Index:$rows,
                       Arg<PK_Buffer, "weight arena", [MemRead]>:$weights,
                       Index:$gate_weight, Index:$up_weight, Index:$down_weight,
                       Arg<PK_F32Buffer, "scratch", [MemRead, MemWrite]>:$scratch,
                       Index:$normed_base, Index:$gate_base, Index:$up_base,
                       Arg<Optional<PK_BF16Buffer>, "the scratch in bf16",
                           [MemRead, MemWrite]>:$rounded,
                       Optional<Index>:$rounded_base, Optional<Index>:$gain,
                       PK_Positive:$d_model, PK_Positive:$ffn,
                       DenseI64ArrayAttr:$weight_aligns,
                       OptionalAttr<F64Attr>:$eps, OptionalAttr<PK_Positive>:$gain_align);
  let assemblyFormat = [{
    $x `[` $x_base `]` `rows` $rows
    `weights` $weights `[` $gate_weight `,` $up_weight `,` $down_weight `]`
    `scratch` $scratch `[` $normed_base `,` $gate_base `,` $up_base `]`
    (`rounded` $rounded^ `[` $rounded_base `]`)? (`norm` `[` $gain^ `]`)? attr-dict
    `:` type($x) `,` type($weights)
  }];
  let hasVerifier = 1;
}

def PhotonKernel_SwigluOp : PhotonKernel_Op<"swiglu"> {
  let summary = "gate[i, j] = silu(gate[i, j]) · up[i, j]";
  let description = [{
    SwiGLU over `rows` rows of `width` features, in place in `gate`.

    ```mlir
    photon_kernel.swiglu %s[%gb, %ub] rows %n {width = 128 : i64}
    ```
  }];
  let arguments = (ins Arg<PK_F32Buffer, "scratch", [MemRead, MemWrite]>:$scratch,
                       Index:$gate_base, Index:$up_base, Index:$rows, PK_Positive:$width);
  let assemblyFormat = [{
    $scratch `[` $gate_base `,` $up_base `]` `rows` $rows attr-dict
  }];
}

//===----------------------------------------------------------------------===//
// Token choice
//===----------------------------------------------------------------------===//

def PhotonKernel_ArgmaxOp : PhotonKernel_Op<"argmax"> {
  let summary = "ids[i] = argmax_j logits[i, j], ties to the lowest j";
  let description = [{
    Over `vocab` logits per row; a NaN logit counts as -inf, and a row with
    nothing above -inf yields id 0. `partial_values` and `partial_ids` are
    the plan's per-block partials (`vocab_partials`), `semaphores` its
    counters.
  }];
  let arguments = (ins Arg<PK_F32Buffer, "", [MemRead]>:$logits, Index:$rows,
                       Arg<PK_IdBuffer, "", [MemWrite]>:$ids,
                       Arg<PK_F32Buffer, "", [MemRead, MemWrite]>:$partial_values,
                       Arg<PK_IdBuffer, "", [MemRead, MemWrite]>:$partial_ids,
                       Arg<PK_IdBuffer, "", [MemRead, MemWrite]>:$semaphores,
                       PK_Positive:$vocab);
  let assemblyFormat = [{
    $logits `rows` $rows `into` $ids `partials` $partial_values `,` $partial_ids
    `semaphores` $semaphores attr-dict
  }];
}

def PhotonKernel_SampleOp : PhotonKernel_Op<"sample"> {
  let summary = "ids[i] drawn from softmax(logits[i] / temperature), top-k, top-p";
  let description = [{
    Restricted to the `top_k` largest logits (0: all), then to the smallest
    set holding `top_p` of that mass, drawn by inverse CDF in index order at
    `uniforms[i]` in [0, 1). NaN and -inf logits are never drawn; a row with
    nothing above -inf yields id 0.
  }];
  let arguments = (ins Arg<PK_F32Buffer, "", [MemRead]>:$logits, Index:$rows,
                       Arg<PK_F32Buffer, "", [MemRead]>:$uniforms, F32:$temperature,
                       Index:$top_k, F32:$top_p, Arg<PK_IdBuffer, "", [MemWrite]>:$ids,
                       PK_Positive:$vocab);
  let assemblyFormat = [{
    $logits `rows` $rows `uniforms` $uniforms `temperature` $temperature `top_k` $top_k
    `top_p` $top_p `into` $ids attr-dict
  }];
}

#endif // PHOTON_KERNEL_OPS_TD
