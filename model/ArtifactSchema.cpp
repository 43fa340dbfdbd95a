//===- ArtifactSchema.cpp - The artifact manifest, for writer and reader ---===//

#include "model/ArtifactSchema.h"

#include <tuple>

namespace photon {

bool operator==(const StateRegion &a, const StateRegion &b) {
  return std::tie(a.name, a.tile, a.fixed, a.perSeq, a.fixedPerStep, a.perStep) ==
         std::tie(b.name, b.tile, b.fixed, b.perSeq, b.fixedPerStep, b.perStep);
}

bool ProgramInfo::operator==(const ProgramInfo &o) const {
  return std::tie(name, mode, prefillSymbol, stepSymbol, tokensPerStep, prefillTile,
                  analyticPerSeq, analyticPerStep, regions) ==
         std::tie(o.name, o.mode, o.prefillSymbol, o.stepSymbol, o.tokensPerStep,
                  o.prefillTile, o.analyticPerSeq, o.analyticPerStep, o.regions);
}

nlohmann::ordered_json toJson(const StateRegion &r) {
  return {{field::kName, r.name},   {field::kTile, r.tile},
          {field::kFixed, r.fixed}, {field::kPerSeq, r.perSeq},
          {field::kFixedPerStep, r.fixedPerStep}, {field::kPerStep, r.perStep}};
}

nlohmann::ordered_json toJson(const ProgramInfo &p) {
  nlohmann::ordered_json regions = nlohmann::ordered_json::array();
  for (const StateRegion &r : p.regions)
    regions.push_back(toJson(r));
  return {{field::kName, p.name},
          {field::kMode, p.mode},
          {field::kPrefill, p.prefillSymbol},
          {field::kStep, p.stepSymbol},
          {field::kTokensPerStep, p.tokensPerStep},
          {field::kPrefillTile, p.prefillTile},
          {field::kAnalyticPerSeq, p.analyticPerSeq},
          {field::kAnalyticPerStep, p.analyticPerStep},
          {field::kRegions, regions}};
}

} // namespace photon
