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

} // namespace mlir::photon

#endif // PHOTON_LOWERING_STREAMS_H
