//===- TargetInfo.h - What the lowering knows of a GPU chip -----*- C++ -*-===//
//
// One place for NVIDIA specifics (the pipelines ask it, not the chip name):
// which instructions a chip has and how many multiprocessors the kernels'
// grids should fill.
//
//===----------------------------------------------------------------------===//

#ifndef PHOTON_LOWERING_TARGETINFO_H
#define PHOTON_LOWERING_TARGETINFO_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::photon {

struct TargetInfo {
  /// 90 for sm_90 / sm_90a, 80 for sm_80; 0 for a chip name that is not
  /// sm_<number>[a].
  int smVersion = 0;
  /// The arch-specific variant (sm_90a): wgmma and setmaxnreg exist only there.
  bool archSpecific = false;
  /// Multiprocessors of the chip's flagship part (H100/H200: 132, A100:
  /// 108): grids are sized to fill them.
  int64_t multiprocessors = 132;

  static TargetInfo forChip(llvm::StringRef chip) {
    TargetInfo info;
    if (!chip.consume_front("sm_") || chip.consumeInteger(10, info.smVersion))
      return TargetInfo{};
    info.archSpecific = chip == "a";
    if (info.smVersion == 80 || info.smVersion == 86 || info.smVersion == 89)
      info.multiprocessors = 108;
    return info;
  }

  /// griddepcontrol (programmatic dependent launch): sm_90 and later.
  bool hasProgrammaticLaunch() const { return smVersion >= 90; }
  /// Bulk asynchronous copies and prefetches (cp.async.bulk): sm_90 and later.
  bool hasBulkCopy() const { return smVersion >= 90; }
  /// Thread block clusters and distributed shared memory: sm_90 and later.
  bool hasClusters() const { return smVersion >= 90; }
  /// Warpgroup MMA: sm_90a only.
  bool hasWgmma() const { return smVersion == 90 && archSpecific; }
  /// Shared memory a block may take on sm_90 (227 KB, after the kernel opts
  /// in to more than 48 KB): bounds the wgmma GEMMs' stages.
  static constexpr int64_t kSm90MaxSharedBytesPerBlock = 227 * 1024;
  /// The time a wgmma GEMM block takes besides its tile's MMAs (launch,
  /// the pipeline's first loads, the epilogue), as the K of 128-row MMAs
  /// it equals. H100, ncu at 4,096 rows of vanilla-600M: a 128x208 tile
  /// over K 1,664 takes 24.1 us and over K 4,096 51.6 us (o and down), so
  /// 5.3 us are fixed, as long as K 448 of MMAs.
  static constexpr int64_t kWgmmaTileFixedK = 448;
};

} // namespace mlir::photon

#endif // PHOTON_LOWERING_TARGETINFO_H
