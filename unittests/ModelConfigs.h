//===- ModelConfigs.h - Model configurations the unit tests share -*- C++ -*-===//
#ifndef PHOTON_UNITTESTS_MODELCONFIGS_H
#define PHOTON_UNITTESTS_MODELCONFIGS_H

#include "model/ModelConfig.h"

namespace photon::testing {

/// PHOTON-600M (examples/photon-600m.json).
inline ModelConfig photon600M() {
  ModelConfig c;
  c.kind = ModelKind::Photon;
  c.vocabSize = 32000;
  c.dModel = 1664;
  c.dEmbed = 416;
  c.chunkSizes = {4, 4};
  c.prefixLengths = {2, 2};
  c.encoderLayers = {4, 4};
  c.decoderLayers = {4, 4};
  c.nHeads = 32;
  c.nKvHeads = 32;
  c.ffnDim = 4096;
  return c;
}

} // namespace photon::testing

#endif // PHOTON_UNITTESTS_MODELCONFIGS_H
