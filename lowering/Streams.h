//===- Streams.h - The runtime's stream calls in compiled code --*- C++ -*-===//
#ifndef PHOTON_LOWERING_STREAMS_H
#define PHOTON_LOWERING_STREAMS_H

#include "llvm/ADT/StringRef.h"

namespace mlir::photon {

/// `void photon_use_stream(i32 id)`: the launches after it go to the
/// runtime's stream `id`; a stream other than 0 starts after the work already
/// on stream 0 (runtime/CudaBackend.cpp).
inline constexpr llvm::StringLiteral kUseStreamSymbol = "photon_use_stream";
/// `void photon_join_streams()`: stream 0 waits for every other stream and
/// takes the next launches.
inline constexpr llvm::StringLiteral kJoinStreamsSymbol = "photon_join_streams";

/// On a call of a grouped shape function (photon-group-stack-calls): the
/// two stack functions whose calls it runs, as symbol references.
inline constexpr llvm::StringLiteral kGroupedCallsAttr = "photon.grouped_calls";
/// On the branch of a grouped shape function that runs the calls grouped
/// (the other runs them one after the other, where they decide apart).
inline constexpr llvm::StringLiteral kGroupedPathAttr = "photon.grouped_path";

} // namespace mlir::photon

#endif // PHOTON_LOWERING_STREAMS_H
