//===- ArtifactTest.cpp - Tests of manifests, weight arenas, backends -----===//
//
// Everything here works without the compiler: manifests are written by the
// test (the same layout photon-compile's --export-manifest writes), weights
// with writeSafetensors. Kernel libraries are covered end to end by
// test/E2E/agreement.py.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "model/ModelConfig.h"
#include "runtime/Artifact.h"
#include "runtime/Backend.h"
#include "runtime/Json.h"
#include "runtime/SyntheticWeights.h"
#include "runtime/Weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>

using namespace photon;
using namespace photon::rt;
using photon::rt::test::TempDir;
using photon::rt::test::writeFile;

namespace {

ModelConfig tinyVanilla(bool tie = false) {
  ModelConfig c;
  c.kind = ModelKind::Vanilla;
  c.vocabSize = 16;
  c.dModel = 8;
  c.layers = 1;
  c.nHeads = 2;
  c.nKvHeads = 1;
  c.ffnDim = 12;
  c.tieWordEmbeddings = tie;
  return c;
}

ModelConfig tinyBlock() {
  ModelConfig c;
  c.kind = ModelKind::Block;
  c.vocabSize = 16;
  c.dModel = 8;
  c.dEmbed = 4;
  c.chunkSizes = {2};
  c.prefixLengths = {1};
  c.encoderLayers = {1};
  c.decoderLayers = {1};
  c.nHeads = 2;
  c.nKvHeads = 2;
  c.ffnDim = 12;
  return c;
}

/// A manifest like photon-compile's: tensors packed in config order with a
/// gap of `gap` elements between them, and one program with a small state
/// plan. `editTensors` changes the tensor list; `programs` replaces the
/// programs' JSON.
struct ManifestSpec {
  ModelConfig config = tinyVanilla();
  std::string format = "photon-artifact";
  int64_t version = kArtifactVersion;
  std::string dtype = "f32";
  int64_t gap = 3;
  std::function<void(std::vector<ArtifactTensor> &)> editTensors;
  int64_t extraElements = 0;
  std::string programs = R"([{"name": "generate_hiergen", "mode": "hiergen",
      "prefill": "_mlir_ciface_photon_prefill_generate_hiergen",
      "step": "_mlir_ciface_photon_step_generate_hiergen", "tokens_per_step": 4,
      "prefill_tile": 16, "analytic_per_seq": 32, "analytic_per_step": 64,
      "regions": [{"name": "top", "per_seq": 32},
                  {"name": "enc.1.k", "per_step": 64},
                  {"name": "logits", "tile": 8, "per_seq": 64},
                  {"name": "scratch", "fixed": 100, "fixed_per_step": 10}]}])";
};

std::string manifestText(const ManifestSpec &s) {
  std::vector<ArtifactTensor> tensors;
  int64_t off = 0;
  for (const photon::TensorSpec &t : s.config.weights()) {
    tensors.push_back({t.name, t.shape, off});
    off += t.numElements() + s.gap;
  }
  if (s.editTensors)
    s.editTensors(tensors);
  Json m;
  m["format"] = s.format;
  m["version"] = s.version;
  m["model"] = "tiny";
  m["kernels"] = {{"cpu", "kernels.so"}};
  m["vocab_size"] = s.config.vocabSize;
  m["activation_type"] = "f32";
  m["fingerprint"] = 42;
  Json list = Json::array();
  for (const ArtifactTensor &t : tensors)
    list.push_back({{"name", t.name}, {"shape", t.shape}, {"offset", t.offset}});
  Json ignored = Json::array();
  if (s.config.tieWordEmbeddings)
    ignored.push_back("lm_head.weight");
  m["weights"] = {{"dtype", s.dtype},
                  {"elements", off + s.extraElements},
                  {"tensors", list},
                  {"ignored", ignored}};
  // The programs go in as written, so tests can edit their text.
  std::string text = m.dump(2);
  text.insert(text.rfind('}'), ",\n  \"programs\": " + s.programs + "\n");
  return text;
}

Expected<Manifest> parse(const ManifestSpec &s) { return parseManifest(manifestText(s), "m.json"); }

::testing::AssertionResult failsWith(const Status &st, const std::string &needle) {
  if (st.ok())
    return ::testing::AssertionFailure() << "succeeded; expected an error containing '" << needle << "'";
  if (st.message().find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "error '" << st.message() << "' lacks '" << needle << "'";
  return ::testing::AssertionSuccess();
}
template <class T>
::testing::AssertionResult failsWith(const Expected<T> &e, const std::string &needle) {
  if (e.ok())
    return ::testing::AssertionFailure() << "succeeded; expected an error containing '" << needle << "'";
  return failsWith(e.status(), needle);
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

TEST(Manifest, ParsesAValidManifest) {
  ManifestSpec s;
  s.config = tinyBlock();
  Expected<Manifest> m = parse(s);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->vocabSize, 16);
  EXPECT_EQ(m->fingerprint, 42);
  EXPECT_EQ(m->dtype, DType::F32);
  EXPECT_EQ(m->activationType, DType::F32);
  EXPECT_EQ(m->kernelLibraries, (std::map<std::string, std::string>{{"cpu", "kernels.so"}}));
  EXPECT_EQ(m->tensors.size(), s.config.weights().size());
  EXPECT_TRUE(m->ignoredTensors.empty());
  const ArtifactTensor *t = m->find("dec_embed.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(m->arenaBytes(), size_t(m->elements) * 4);

  const ProgramInfo *p = m->program("hiergen");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(m->program("recgen"), nullptr);
  EXPECT_EQ(m->modes(), "hiergen");
  EXPECT_EQ(p->stepSymbol, "_mlir_ciface_photon_step_generate_hiergen");
  EXPECT_EQ(p->tokensPerStep, 4);
  EXPECT_EQ(p->analyticPerStep, 64);
  ASSERT_EQ(p->regions.size(), 4u);
  EXPECT_EQ(p->regions[2].name, "logits");
  EXPECT_EQ(p->regions[2].tile, 8);
  EXPECT_EQ(p->regions[3].fixedPerStep, 10);
}

TEST(Manifest, ParsesDtypes) {
  ManifestSpec s;
  s.dtype = "bf16";
  Expected<Manifest> m = parse(s);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->dtype, DType::BF16);
  EXPECT_EQ(m->arenaBytes(), size_t(m->elements) * 2);
  s.dtype = "f16";
  ASSERT_TRUE(parse(s).ok());
  s.dtype = "f64";
  EXPECT_TRUE(failsWith(parse(s), "weights.dtype: unsupported dtype 'f64'"));
}

TEST(Manifest, MissingDirectoryAndFile) {
  TempDir dir;
  EXPECT_TRUE(failsWith(loadManifest(dir.file("nope")), "no such artifact directory"));
  EXPECT_TRUE(failsWith(loadManifest(dir.path()), "model.json"));
  writeFile(dir.file("plain"), "x");
  EXPECT_TRUE(failsWith(loadManifest(dir.file("plain")), "not a directory"));
}

TEST(Manifest, BadJson) {
  Expected<Manifest> m = parseManifest("{\"format\": \"photon-artifact\",", "dir/model.json");
  EXPECT_TRUE(failsWith(m, "dir/model.json"));
  EXPECT_TRUE(failsWith(m, "JSON error"));
  EXPECT_TRUE(failsWith(parseManifest("[1, 2]", "m.json"), "must be a JSON object"));
}

TEST(Manifest, WrongFormatOrVersion) {
  ManifestSpec s;
  s.format = "something-else";
  EXPECT_TRUE(failsWith(parse(s), "not a Photon artifact manifest"));
  EXPECT_TRUE(failsWith(parseManifest("{\"version\": 1}", "m.json"), "no \"format\""));
  s = ManifestSpec();
  s.version = kArtifactVersion + 1;
  EXPECT_TRUE(failsWith(parse(s), "version " + std::to_string(kArtifactVersion + 1) +
                                      " is not supported"));
}

/// `text` with the first `from` replaced by `to`.
std::string edited(std::string text, const std::string &from, const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

TEST(Manifest, FieldErrorsNameTheField) {
  std::string text = manifestText(ManifestSpec());
  auto fails = [&](const std::string &from, const std::string &to, const std::string &needle) {
    return failsWith(parseManifest(edited(text, from, to), "m.json"), needle);
  };
  EXPECT_TRUE(fails("\"vocab_size\"", "\"vocab\"", "manifest.vocab_size: is missing"));
  EXPECT_TRUE(fails("\"fingerprint\": 42", "\"fingerprint\": \"42\"",
                    "manifest.fingerprint: must be an integer"));
  EXPECT_TRUE(fails("\"activation_type\": \"f32\"", "\"activation_type\": \"f8\"",
                    "manifest.activation_type: expected f32 or bf16, got 'f8'"));
  EXPECT_TRUE(fails("\"mode\": \"hiergen\"", "\"mode\": \"fast\"",
                    "programs[0].mode: expected hiergen or recgen, got 'fast'"));
  EXPECT_TRUE(fails("\"tokens_per_step\": 4", "\"tokens_per_step\": 0",
                    "programs[0].tokens_per_step: must be in [1, 2^20]"));
  EXPECT_TRUE(fails("\"per_step\": 64}", "\"per_step\": -64}",
                    "programs[0].regions[1] ('enc.1.k'): sizes must not be negative"));
  EXPECT_TRUE(fails("\"name\": \"logits\"", "\"name\": \"top\"",
                    "region 'top' is listed twice"));
  EXPECT_TRUE(fails("\"step\": ", "\"steps\": ", "programs[0].step: is missing"));
  ManifestSpec none;
  none.programs = "[]";
  EXPECT_TRUE(failsWith(parse(none), "manifest.programs: must be a non-empty list"));
  ManifestSpec twice;
  twice.programs = "[" + ManifestSpec().programs.substr(1, ManifestSpec().programs.size() - 2) +
                   ", " + ManifestSpec().programs.substr(1);
  EXPECT_TRUE(failsWith(parse(twice), "programs[1]: a second 'hiergen' program"));
}

TEST(Manifest, TensorListIsChecked) {
  ManifestSpec s;
  s.editTensors = [](std::vector<ArtifactTensor> &t) { t.push_back(t[0]); };
  EXPECT_TRUE(failsWith(parse(s), "listed twice"));
  s.editTensors = [](std::vector<ArtifactTensor> &t) { t.back().offset += 1000; };
  EXPECT_TRUE(failsWith(parse(s), "'lm_head.weight'): offset"));
  s.editTensors = [](std::vector<ArtifactTensor> &t) { t[1].shape = {0, 8}; };
  EXPECT_TRUE(failsWith(parse(s), "non-positive dimension"));
  // Overlapping tensors (the second starts inside the first).
  s.editTensors = [](std::vector<ArtifactTensor> &t) { t[1].offset = t[0].offset + 1; };
  EXPECT_TRUE(failsWith(parse(s), "overlaps"));
  // An arena size whose byte count would wrap (2^62 + 1000 elements).
  s = ManifestSpec();
  s.extraElements = (int64_t(1) << 62) + 1000;
  EXPECT_TRUE(failsWith(parse(s), "weights.elements: "));
  EXPECT_TRUE(failsWith(parse(s), "is outside [0, 2^48]"));
}

TEST(Manifest, LibraryMustBeInsideTheArtifact) {
  std::string text = manifestText(ManifestSpec());
  size_t at = text.find("\"kernels.so\"");
  text.replace(at, std::strlen("\"kernels.so\""), "\"/tmp/evil.so\"");
  EXPECT_TRUE(failsWith(parseManifest(text, "m.json"), "manifest.kernels.cpu"));
}

TEST(Artifact, LibraryDescriptionCarriesTheEntryPointVersion) {
  // A manifest is also a valid description of its own library (the
  // compiled-for fields are the same); a library of another version, or of
  // one from before the description had a version, cannot be called.
  ManifestSpec s;
  std::string text = manifestText(s);
  Expected<Manifest> m = parseManifest(text, "m.json");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(checkLibraryDescription(*m, text, "lib.so").ok());
  std::string current = "\"version\": " + std::to_string(kArtifactVersion);
  size_t at = text.find(current);
  ASSERT_NE(at, std::string::npos);
  std::string older = text, unversioned = text;
  older.replace(at, current.size(), "\"version\": " + std::to_string(kArtifactVersion - 1));
  EXPECT_TRUE(failsWith(checkLibraryDescription(*m, older, "lib.so"),
                        "artifact version " + std::to_string(kArtifactVersion - 1)));
  unversioned.replace(at, current.size() + 1, ""); // and its comma
  EXPECT_TRUE(failsWith(checkLibraryDescription(*m, unversioned, "lib.so"), "4 or older"));
}

TEST(Artifact, MissingOrBrokenKernelLibrary) {
  TempDir dir;
  writeFile(dir.file("model.json"), manifestText(ManifestSpec()));
  Expected<Artifact> a = Artifact::load(dir.path());
  EXPECT_TRUE(failsWith(a, "kernels.so: kernel library not found"));
  EXPECT_TRUE(failsWith(Artifact::load(dir.path(), "cuda"),
                        "the artifact has no kernels for 'cuda' (it has: cpu)"));
  // Checked before dlopen (a truncated library would raise SIGBUS inside it).
  writeFile(dir.file("kernels.so"), "not an ELF file");
  a = Artifact::load(dir.path());
  EXPECT_TRUE(failsWith(a, "kernels.so: not an ELF file"));
}

//===----------------------------------------------------------------------===//
// Weight arena
//===----------------------------------------------------------------------===//

/// Values for tensor `name`: i + 1000 * (its index) so every element is
/// distinct and exact in bf16 for small indices.
std::vector<float> valuesFor(size_t index, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[size_t(i)] = float(index) * 0.5f + float(i % 64) * 0.25f;
  return v;
}

struct WeightFile {
  std::vector<std::vector<float>> data;
  std::vector<TensorToWrite> tensors;
};

/// The tensors of `m` (optionally edited), stored as `dtype`.
WeightFile weightsFor(const Manifest &m, DType dtype) {
  WeightFile f;
  f.data.reserve(m.tensors.size() + 4);
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    f.data.push_back(valuesFor(i, m.tensors[i].numel()));
    f.tensors.push_back({m.tensors[i].name, m.tensors[i].shape, f.data.back().data(), dtype});
  }
  return f;
}

TEST(Weights, BuildsTheArenaAtTheManifestOffsets) {
  Expected<Manifest> m = parse(ManifestSpec());
  ASSERT_TRUE(m.ok()) << m.status().message();
  TempDir dir;
  for (DType fileType : {DType::F32, DType::BF16, DType::F16}) {
    WeightFile f = weightsFor(*m, fileType);
    std::string path = dir.file("w.safetensors");
    ASSERT_TRUE(writeSafetensors(path, f.tensors).ok());
    for (const char *arenaType : {"f32", "bf16", "f16"}) {
      ManifestSpec s;
      s.dtype = arenaType;
      Expected<Manifest> ma = parse(s);
      ASSERT_TRUE(ma.ok());
      Expected<WeightArena> arena = loadWeights(*ma, path);
      ASSERT_TRUE(arena.ok()) << arena.status().message();
      EXPECT_EQ(arena->dtype(), ma->dtype);
      EXPECT_EQ(arena->bytes(), ma->arenaBytes());
      for (size_t i = 0; i < ma->tensors.size(); ++i) {
        const ArtifactTensor &t = ma->tensors[i];
        std::vector<float> got(size_t(t.numel()));
        arena->load(t.offset, got.data(), t.numel());
        ASSERT_EQ(got, f.data[i]) << t.name << " (file " << dtypeName(fileType) << ", arena "
                                  << arenaType << ")";
      }
      // The gaps between tensors stay zero.
      std::vector<float> gap(3);
      arena->load(ma->tensors[0].numel(), gap.data(), 3);
      EXPECT_EQ(gap, std::vector<float>(3, 0.f));
    }
  }
}

/// HF's sharded layout, built by the test: the tensors split over two
/// shards, model.safetensors.index.json naming each one's shard.
void writeShards(const std::string &dir, const WeightFile &f,
                 const std::map<std::string, std::string> &indexOverride = {}) {
  std::vector<TensorToWrite> a(f.tensors.begin(), f.tensors.begin() + f.tensors.size() / 2);
  std::vector<TensorToWrite> b(f.tensors.begin() + f.tensors.size() / 2, f.tensors.end());
  ASSERT_TRUE(writeSafetensors(dir + "/model-00001-of-00002.safetensors", a).ok());
  ASSERT_TRUE(writeSafetensors(dir + "/model-00002-of-00002.safetensors", b).ok());
  Json map = Json::object();
  for (const TensorToWrite &t : a)
    map[t.name] = "model-00001-of-00002.safetensors";
  for (const TensorToWrite &t : b)
    map[t.name] = "model-00002-of-00002.safetensors";
  for (const auto &[name, file] : indexOverride)
    map[name] = file;
  Json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", map}};
  writeFile(dir + "/model.safetensors.index.json", index.dump(2));
}

TEST(Weights, ShardedCheckpointsAndDirectories) {
  Expected<Manifest> m = parse(ManifestSpec());
  ASSERT_TRUE(m.ok()) << m.status().message();
  WeightFile f = weightsFor(*m, DType::BF16);
  auto expectTensors = [&](const Expected<WeightArena> &arena) {
    ASSERT_TRUE(arena.ok()) << arena.status().message();
    for (size_t i = 0; i < m->tensors.size(); ++i) {
      std::vector<float> got(size_t(m->tensors[i].numel()));
      arena->load(m->tensors[i].offset, got.data(), m->tensors[i].numel());
      EXPECT_EQ(got, f.data[i]) << m->tensors[i].name;
    }
  };
  TempDir sharded;
  writeShards(sharded.path(), f);
  expectTensors(loadWeights(*m, sharded.path()));                          // the directory
  expectTensors(loadWeights(*m, sharded.file("model.safetensors.index.json"))); // the index
  TempDir single;
  ASSERT_TRUE(writeSafetensors(single.file("model.safetensors"), f.tensors).ok());
  expectTensors(loadWeights(*m, single.path()));

  TempDir empty;
  EXPECT_TRUE(failsWith(loadWeights(*m, empty.path()),
                        "a directory without model.safetensors or model.safetensors.index.json"));
  // The index names the wrong shard for a tensor.
  TempDir wrong;
  writeShards(wrong.path(), f, {{f.tensors[0].name, "model-00002-of-00002.safetensors"}});
  EXPECT_TRUE(failsWith(loadWeights(*m, wrong.path()),
                        "tensor '" + f.tensors[0].name + "' is listed in"));
  // A shard the index names is missing.
  TempDir gone;
  writeShards(gone.path(), f);
  std::filesystem::remove(gone.file("model-00002-of-00002.safetensors"));
  EXPECT_TRUE(failsWith(loadWeights(*m, gone.path()), "model-00002-of-00002.safetensors"));
  // A shard name may not leave the directory.
  TempDir escape;
  writeShards(escape.path(), f, {{f.tensors[0].name, "../model.safetensors"}});
  EXPECT_TRUE(failsWith(loadWeights(*m, escape.path()), "must be a file name next to the index"));
  // Missing tensors are reported against the index, all together.
  TempDir partial;
  WeightFile half = f;
  half.tensors.resize(half.tensors.size() / 2);
  writeShards(partial.path(), half);
  EXPECT_TRUE(failsWith(loadWeights(*m, partial.path()), "the weights do not match the model"));
}

TEST(Weights, RoundsToTheArenaDtype) {
  ManifestSpec s;
  s.dtype = "bf16";
  Expected<Manifest> m = parse(s);
  ASSERT_TRUE(m.ok());
  WeightFile f = weightsFor(*m, DType::F32);
  f.data[0][0] = 1.00390625f; // 1 + 2^-8: halfway between two bf16 values, rounds to even
  TempDir dir;
  ASSERT_TRUE(writeSafetensors(dir.file("w.safetensors"), f.tensors).ok());
  Expected<WeightArena> arena = loadWeights(*m, dir.file("w.safetensors"));
  ASSERT_TRUE(arena.ok()) << arena.status().message();
  float v;
  arena->load(m->tensors[0].offset, &v, 1);
  EXPECT_EQ(v, 1.0f);
}

TEST(Weights, ReportsMissingExtraAndMisShapedTensors) {
  Expected<Manifest> m = parse(ManifestSpec());
  ASSERT_TRUE(m.ok());
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  WeightFile f = weightsFor(*m, DType::F32);
  f.tensors.erase(f.tensors.begin() + 1); // missing
  std::vector<float> extra(4, 1.f), wrong(16 * 7, 1.f);
  f.tensors.push_back({"surprise.weight", {4}, extra.data(), DType::F32});
  for (TensorToWrite &t : f.tensors)
    if (t.name == "lm_head.weight") {
      t.shape = {16, 7};
      t.data = wrong.data();
    }
  ASSERT_TRUE(writeSafetensors(path, f.tensors).ok());
  Expected<WeightArena> arena = loadWeights(*m, path);
  ASSERT_FALSE(arena.ok());
  const std::string &msg = arena.status().message();
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing tensor '" + m->tensors[1].name + "'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected tensor 'surprise.weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'lm_head.weight': expected shape [16, 8], got [16, 7]"), std::string::npos)
      << msg;

  EXPECT_TRUE(failsWith(loadWeights(*m, dir.file("absent.safetensors")), "absent.safetensors"));
  writeFile(dir.file("garbage.safetensors"), "12345");
  EXPECT_TRUE(failsWith(loadWeights(*m, dir.file("garbage.safetensors")), "garbage.safetensors"));
}

TEST(Weights, IgnoresRotaryBuffersAndTiedLmHead) {
  ManifestSpec s;
  s.config = tinyVanilla(/*tie=*/true);
  Expected<Manifest> m = parse(s);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->find("lm_head.weight"), nullptr);
  WeightFile f = weightsFor(*m, DType::F32);
  std::vector<float> invFreq(2, 0.5f), head(16 * 8, 2.f);
  f.tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", {2}, invFreq.data()});
  f.tensors.push_back({"lm_head.weight", {16, 8}, head.data()});
  TempDir dir;
  ASSERT_TRUE(writeSafetensors(dir.file("w.safetensors"), f.tensors).ok());
  Expected<WeightArena> arena = loadWeights(*m, dir.file("w.safetensors"));
  EXPECT_TRUE(arena.ok()) << arena.status().message();

  // Untied: lm_head.weight is a real tensor and must be present.
  Expected<Manifest> untied = parse(ManifestSpec());
  ASSERT_TRUE(untied.ok());
  f = weightsFor(*untied, DType::F32);
  f.tensors.pop_back();
  ASSERT_TRUE(writeSafetensors(dir.file("w2.safetensors"), f.tensors).ok());
  EXPECT_TRUE(failsWith(loadWeights(*untied, dir.file("w2.safetensors")),
                        "missing tensor 'lm_head.weight'"));
}

TEST(Weights, SyntheticArenaIsSeededAndPlacedAtOffsets) {
  ManifestSpec s;
  s.config = tinyBlock();
  Expected<Manifest> m = parse(s);
  ASSERT_TRUE(m.ok());
  WeightArena a = syntheticArena(*m, 7), b = syntheticArena(*m, 7), c = syntheticArena(*m, 8);
  ASSERT_EQ(a.bytes(), m->arenaBytes());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.bytes()), 0);
  EXPECT_NE(std::memcmp(a.data(), c.data(), a.bytes()), 0);
  const ArtifactTensor *t = m->find("start_latent.1");
  ASSERT_NE(t, nullptr);
  std::vector<float> got(size_t(t->numel()));
  a.load(t->offset, got.data(), t->numel());
  EXPECT_EQ(got, syntheticTensor(rt::TensorSpec{t->name, t->shape}, 7));
}

//===----------------------------------------------------------------------===//
// CPU backend
//===----------------------------------------------------------------------===//

TEST(Backend, CpuCopiesAndAccounting) {
  std::unique_ptr<Backend> be = createCpuBackend();
  EXPECT_STREQ(be->name(), "cpu");
  {
    Expected<DeviceBuffer> a = DeviceBuffer::create(*be, 64 * 4);
    Expected<DeviceBuffer> b = DeviceBuffer::create(*be, 64 * 4);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(be->bytesInUse(), 128u * 4);
    std::vector<float> host(64);
    for (int i = 0; i < 64; ++i)
      host[size_t(i)] = float(i);
    ASSERT_TRUE(be->copyToDevice(a->get(), host.data(), 64 * 4).ok());
    std::vector<float> out(64);
    ASSERT_TRUE(be->copyToHost(out.data(), a->at(4 * 4), 8 * 4).ok());
    EXPECT_EQ(out[0], 4.f);
    EXPECT_EQ(out[7], 11.f);
    // The CPU backend has no graphs and says so.
    EXPECT_FALSE(be->supportsGraphs());
    EXPECT_FALSE(be->captureGraph([] {}).ok());
    EXPECT_EQ(be->launchCount(), 0u);
  }
  EXPECT_EQ(be->bytesInUse(), 0u);
  EXPECT_EQ(be->peakBytes(), 128u * 4);
  // Without a GPU the CUDA backend says why, without crashing.
  if (Expected<std::unique_ptr<Backend>> cuda = createBackend("cuda"); !cuda.ok())
    EXPECT_TRUE(cuda.status().message().find("NVIDIA") != std::string::npos ||
                cuda.status().message().find("CUDA") != std::string::npos)
        << cuda.status().message();
  else
    EXPECT_STREQ((*cuda)->name(), "cuda");
  EXPECT_TRUE(failsWith(createBackend("tpu"), "unknown device 'tpu'"));
}

} // namespace
