//===- SafetensorsTest.cpp - Tests of the safetensors reader and writer ---===//

#include "runtime/Safetensors.h"
#include "unittests/Runtime/TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <sys/stat.h>
#include <unistd.h>

using namespace photon::rt;
using photon::rt::test::readFile;
using photon::rt::test::TempDir;
using photon::rt::test::writeFile;

namespace {

// A safetensors file from a literal header and data section.
std::string stBytes(const std::string &header, const std::string &data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[size_t(i)] = char((uint64_t(header.size()) >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string u16Bytes(const std::vector<uint16_t> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()), v.size() * 2);
}

float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

class SafetensorsTest : public ::testing::Test {
protected:
  // Writes `bytes` to a fresh file and returns the error message of open().
  std::string openError(const std::string &bytes) {
    writeFile(path, bytes);
    Expected<SafetensorsFile> f = SafetensorsFile::open(path);
    EXPECT_FALSE(f.ok());
    return f.status().message();
  }

  TempDir dir;
  std::string path = dir.file("w.safetensors");
};

TEST_F(SafetensorsTest, RoundTripF32) {
  std::vector<float> b = {1, -2, 3.5f, 1e-30f, -0.0f, 6}, a = {0.25f, 0.5f, 0.75f, 1},
                     s = {42};
  ASSERT_TRUE(writeSafetensors(path,
                               {{"b", {2, 3}, b.data()},
                                {"a", {4}, a.data()},
                                {"s", {}, s.data()},
                                {"e", {0}, nullptr}},
                               {{"format", "pt"}})
                  .ok());
  // The header is padded to a multiple of 8 bytes.
  std::string bytes = readFile(path);
  uint64_t headerLen = 0;
  std::memcpy(&headerLen, bytes.data(), 8);
  EXPECT_EQ(headerLen % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + headerLen + 4 * (6 + 4 + 1));

  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ(f->metadata().at("format"), "pt");
  // Data-section order, which is the write order here.
  EXPECT_EQ(f->tensors()[0].name, "b");
  EXPECT_EQ(f->tensors()[1].name, "a");
  EXPECT_EQ(f->tensors()[2].name, "s");
  EXPECT_EQ(f->tensors()[3].name, "e");
  const TensorInfo *tb = f->find("b");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->dtype, DType::F32);
  EXPECT_EQ(tb->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tb->begin, 0u);
  EXPECT_EQ(tb->end, 24u);
  EXPECT_EQ(tb->numel(), 6);
  std::vector<float> got(6);
  SafetensorsFile::toF32(*tb, got.data());
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(floatToBits(got[i]), floatToBits(b[i])) << i;
  const TensorInfo *ts = f->find("s");
  ASSERT_NE(ts, nullptr);
  EXPECT_TRUE(ts->shape.empty());
  EXPECT_EQ(ts->numel(), 1);
  float sv = 0;
  SafetensorsFile::toF32(*ts, &sv);
  EXPECT_EQ(sv, 42.0f);
  EXPECT_EQ(f->find("e")->numel(), 0);
  EXPECT_EQ(f->find("nope"), nullptr);

  // Moving keeps the mapping valid.
  SafetensorsFile moved = std::move(*f);
  std::vector<float> ga(4);
  SafetensorsFile::toF32(*moved.find("a"), ga.data());
  EXPECT_EQ(ga, a);
  // f32 -> bf16 conversion on read.
  std::vector<uint16_t> h(4);
  SafetensorsFile::toBF16(*moved.find("a"), h.data());
  EXPECT_EQ(h, (std::vector<uint16_t>{0x3E80, 0x3F00, 0x3F40, 0x3F80}));
}

TEST_F(SafetensorsTest, RoundTripBF16) {
  std::vector<float> v = {1.0f, 3.140625f, 1.00390625f, 1.01171875f, -2.5e-3f, 65504.0f};
  ASSERT_TRUE(writeSafetensors(path, {{"w", {2, 3}, v.data(), DType::BF16}}).ok());
  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  const TensorInfo *t = f->find("w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::BF16);
  EXPECT_EQ(t->nbytes(), 12u);
  std::vector<uint16_t> raw(6);
  SafetensorsFile::toBF16(*t, raw.data());
  // 1 + 2^-8 ties to even (1.0); 1 + 3*2^-8 ties to even (1 + 2^-6).
  EXPECT_EQ(raw, (std::vector<uint16_t>{0x3F80, 0x4049, 0x3F80, 0x3F82, 0xBB24, 0x4780}));
  std::vector<float> back(6);
  SafetensorsFile::toF32(*t, back.data());
  EXPECT_EQ(back, (std::vector<float>{1.0f, 3.140625f, 1.0f, 1.015625f, bf16ToF32(0xBB24),
                                      65536.0f}));
  EXPECT_FLOAT_EQ(bf16ToF32(0xBB24), -0.00250244140625f);
}

TEST(BF16, RoundsToNearestEven) {
  EXPECT_EQ(f32ToBF16(1.0f), 0x3F80);
  EXPECT_EQ(f32ToBF16(bitsToFloat(0x3F808000)), 0x3F80); // tie, even stays
  EXPECT_EQ(f32ToBF16(bitsToFloat(0x3F818000)), 0x3F82); // tie, odd rounds up
  EXPECT_EQ(f32ToBF16(bitsToFloat(0x3F808001)), 0x3F81); // above the tie
  EXPECT_EQ(f32ToBF16(bitsToFloat(0x3F817FFF)), 0x3F81); // below the tie
  EXPECT_EQ(f32ToBF16(bitsToFloat(0xBF808000)), 0xBF80); // negative tie
  EXPECT_EQ(f32ToBF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToBF16(bitsToFloat(0x00000001)), 0x0000); // tiny subnormal
  EXPECT_EQ(f32ToBF16(std::numeric_limits<float>::max()), 0x7F80); // rounds to inf
  EXPECT_EQ(f32ToBF16(std::numeric_limits<float>::infinity()), 0x7F80);
  uint16_t nan = f32ToBF16(bitsToFloat(0x7F800001)); // signalling NaN, low payload
  EXPECT_TRUE(std::isnan(bf16ToF32(nan)));
  EXPECT_EQ(nan, 0x7FC0);
  EXPECT_EQ(bf16ToF32(0x4049), 3.140625f);
}

TEST(F16, ConvertsKnownValues) {
  EXPECT_EQ(f16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(f16ToF32(0xC000), -2.0f);
  EXPECT_EQ(f16ToF32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16ToF32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16ToF32(0x0400), std::ldexp(1.0f, -14)); // smallest normal
  EXPECT_EQ(f16ToF32(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(f16ToF32(0x03FF), std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(f16ToF32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(floatToBits(f16ToF32(0x8000)), 0x80000000u); // -0
  EXPECT_EQ(f16ToF32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16ToF32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16ToF32(0x7E00)));
  EXPECT_TRUE(std::isnan(f16ToF32(0x7C01)));

  EXPECT_EQ(f32ToF16(1.0f), 0x3C00);
  EXPECT_EQ(f32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie to even
  EXPECT_EQ(f32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie to even
  EXPECT_EQ(f32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32ToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7C00); // rounds to inf
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -25)), 0x0000);      // tie to even (0)
  EXPECT_EQ(f32ToF16(std::ldexp(3.0f, -26)), 0x0001);      // 0.75 ulp rounds up
  EXPECT_EQ(f32ToF16(std::ldexp(1023.5f, -24)), 0x0400);   // tie into the normals
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_TRUE(std::isnan(f16ToF32(f32ToF16(std::nanf("")))));
  // Every finite f16 survives f16 -> f32 -> f16.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) != 0x7C00) {
      ASSERT_EQ(f32ToF16(f16ToF32(uint16_t(h))), h) << h;
    }
  }
}

// Found by fuzz/SafetensorsFuzzer.cpp: converting an empty tensor into an
// empty vector's data() (null) was memcpy(null, _, 0), undefined behaviour
// that UBSan (scripts/sanitize.sh) aborts on.
TEST_F(SafetensorsTest, ConvertsEmptyTensorsIntoNull) {
  for (const char *dtype : {"F32", "BF16", "F16"}) {
    writeFile(path, stBytes(std::string(R"({"e":{"dtype":")") + dtype +
                                R"(","shape":[4611686018427787904,0],"data_offsets":[0,0]}})",
                            ""));
    Expected<SafetensorsFile> f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok()) << f.status().message();
    const TensorInfo &t = *f->find("e");
    EXPECT_EQ(t.numel(), 0);
    SafetensorsFile::toF32(t, nullptr);
    SafetensorsFile::toBF16(t, nullptr);
  }
}

TEST_F(SafetensorsTest, DecodesF16Tensors) {
  std::vector<uint16_t> bits = {0x3C00, 0xC000, 0x0001, 0x03FF, 0x7BFF, 0x7C00, 0x8000, 0x7E00};
  writeFile(path, stBytes(R"({"h":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}})",
                          u16Bytes(bits)));
  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  std::vector<float> v(8);
  SafetensorsFile::toF32(*f->find("h"), v.data());
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(v[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(v[3], std::ldexp(1023.0f, -24));
  EXPECT_EQ(v[4], 65504.0f);
  EXPECT_EQ(v[5], std::numeric_limits<float>::infinity());
  EXPECT_EQ(floatToBits(v[6]), 0x80000000u);
  EXPECT_TRUE(std::isnan(v[7]));
  std::vector<uint16_t> b(8);
  SafetensorsFile::toBF16(*f->find("h"), b.data());
  EXPECT_EQ(b[0], 0x3F80);
  EXPECT_EQ(b[4], 0x4780); // 65504 rounds to 65536 in bf16
  EXPECT_EQ(b[5], 0x7F80);
}

TEST_F(SafetensorsTest, AcceptsEmptyAndPaddedHeaders) {
  writeFile(path, stBytes("{}", ""));
  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->size(), 0u);
  writeFile(path,
            stBytes(R"({"__metadata__":{"a":"b"},"x":{"dtype":"BF16","shape":[1],)"
                    R"("data_offsets":[0,2]}}      )",
                    u16Bytes({0x3F80})));
  Expected<SafetensorsFile> g = SafetensorsFile::open(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->metadata().at("a"), "b");
  EXPECT_EQ(g->size(), 1u);
}

TEST_F(SafetensorsTest, RejectsTruncatedFiles) {
  EXPECT_EQ(openError("abcde"),
            path + ": file is 5 bytes, too short for the 8-byte header length (truncated?)");
  std::string bytes = stBytes("{}", "");
  bytes[0] = char(0xE8), bytes[1] = char(0x03); // header length 1000
  EXPECT_EQ(openError(bytes), path + ": header length 1000 (bytes 0-7) runs past the end "
                                     "of the file (10 bytes): truncated or not a "
                                     "safetensors file");
  // The data section cut short.
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                              "abcd")),
            path + ": tensor 'a': data_offsets [0, 8) end past the data section (4 bytes)");
  EXPECT_EQ(SafetensorsFile::open(dir.file("missing")).status().message(),
            dir.file("missing") + ": cannot open: No such file or directory");
}

// fromMemory (the fuzz target's entry point) runs open()'s checks on a buffer.
TEST(SafetensorsMemory, ChecksLikeOpen) {
  std::string bytes = stBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                              std::string(8, '\0'));
  auto data = reinterpret_cast<const uint8_t *>(bytes.data());
  Expected<SafetensorsFile> f = SafetensorsFile::fromMemory(data, bytes.size(), "mem");
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_NE(f->find("a"), nullptr);
  EXPECT_EQ(f->find("a")->data, data + bytes.size() - 8);
  EXPECT_EQ(SafetensorsFile::fromMemory(data, 5, "mem").status().message(),
            "mem: file is 5 bytes, too short for the 8-byte header length (truncated?)");
  EXPECT_EQ(SafetensorsFile::fromMemory(data, bytes.size() - 4, "mem").status().message(),
            "mem: tensor 'a': data_offsets [0, 8) end past the data section (4 bytes)");
}

// A FIFO used to block open() until some writer appeared (forever). The
// check runs in a child process with an alarm, so a regression fails the test
// instead of hanging it.
TEST_F(SafetensorsTest, RejectsFifosAndDirectoriesWithoutBlocking) {
  std::string fifo = dir.file("w.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EXIT(
      {
        ::alarm(10);
        Expected<SafetensorsFile> f = SafetensorsFile::open(fifo);
        std::fprintf(stderr, "%s\n", f.status().message().c_str());
        std::exit(f.ok() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0),
      "w.fifo: not a regular file \\(it is a FIFO\\); weights must be a safetensors file");
  EXPECT_EQ(SafetensorsFile::open(dir.path()).status().message(),
            dir.path() + ": not a regular file (it is a directory); weights must be a "
                         "safetensors file");
}

TEST_F(SafetensorsTest, RejectsBadHeaders) {
  // Byte offsets count from the start of the file (the header starts at 8).
  EXPECT_EQ(openError(stBytes(R"({"a":)", "")),
            path + ": bad header: JSON error at byte 14: parse error at line 1, column 6: "
                   "syntax error while parsing value - unexpected end of input; expected '[', "
                   "'{', or a literal");
  EXPECT_EQ(openError(stBytes("[]", "")),
            path + ": bad header: it is an array, expected a JSON object");
  EXPECT_EQ(openError(stBytes(R"({"a":[]})", "")),
            path + ": tensor 'a': header entry is an array, expected an object");
  EXPECT_EQ(openError(stBytes(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", "abcd")),
            path + ": tensor 'a': missing or non-string 'dtype'");
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                              "abcd")),
            path + ": tensor 'a': 'shape' must be an array of non-negative integers");
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
                              "abcd")),
            path + ": tensor 'a': 'shape' must be an array of non-negative integers");
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
                              "abcd")),
            path + ": tensor 'a': 'data_offsets' must be [begin, end] with 0 <= begin <= end");
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
                              "abcd")),
            path + ": tensor 'a': 'data_offsets' must be [begin, end] with 0 <= begin <= end");
  EXPECT_EQ(openError(stBytes(R"({"__metadata__":{"k":1}})", "")),
            path + ": __metadata__ value for 'k' is a number, expected a string");
}

TEST_F(SafetensorsTest, RejectsUnsupportedDtype) {
  EXPECT_EQ(openError(stBytes(R"({"ok":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                              R"("pos":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}})",
                              std::string(12, '\0'))),
            path + ": tensor 'pos': unsupported dtype 'I64' (supported: F32, BF16, F16)");
}

TEST_F(SafetensorsTest, RejectsSizeMismatch) {
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                              std::string(8, '\0'))),
            path + ": tensor 'a': data_offsets [0, 8) hold 8 bytes but F32 [3] needs 12");
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,16]}})",
                              std::string(16, '\0'))),
            path + ": tensor 'a': data_offsets [0, 16) hold 16 bytes but BF16 [2, 2] needs 8");
  // A shape whose byte size overflows 64 bits must not wrap around to a match.
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],)"
                              R"("data_offsets":[0,0]}})",
                              "")),
            path + ": tensor 'a': data_offsets [0, 0) hold 0 bytes but F32 "
                   "[4294967296, 4294967296, 16] needs more than 2^64");
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"BF16","shape":[4294967296,4294967296],)"
                              R"("data_offsets":[0,0]}})",
                              "")),
            path + ": tensor 'a': data_offsets [0, 0) hold 0 bytes but BF16 "
                   "[4294967296, 4294967296] needs more than 2^64");
  // Elements fit in int64 but bytes do not (2^62 F32 elements).
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[4611686018427387904],)"
                              R"("data_offsets":[0,0]}})",
                              "")),
            path + ": tensor 'a': data_offsets [0, 0) hold 0 bytes but F32 "
                   "[4611686018427387904] needs more than 2^64");
}

// An empty tensor whose other dimensions overflow: numel() used to multiply
// them in int64 (signed overflow, UBSan) before reaching the 0.
TEST_F(SafetensorsTest, RejectsOverflowingEmptyShape) {
  EXPECT_EQ(openError(stBytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,0],)"
                              R"("data_offsets":[0,0]}})",
                              "")),
            path + ": tensor 'a': shape [4294967296, 4294967296, 0]: the product of its "
                   "nonzero dimensions overflows 64 bits");
  // A large but representable empty shape is fine.
  writeFile(path, stBytes(R"({"e":{"dtype":"F32","shape":[4294967296,0,2147483647],)"
                          R"("data_offsets":[0,0]}})",
                          ""));
  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->find("e")->numel(), 0);
}

TEST(NumElements, IsOverflowChecked) {
  EXPECT_EQ(checkedNumElements({}), std::optional<int64_t>(1));
  EXPECT_EQ(checkedNumElements({2, 3}), std::optional<int64_t>(6));
  EXPECT_EQ(checkedNumElements({3037000499, 3037000499}),
            std::optional<int64_t>(int64_t(3037000499) * 3037000499));
  EXPECT_EQ(checkedNumElements({3037000500, 3037000500}), std::nullopt);
  EXPECT_EQ(checkedNumElements({int64_t(1) << 32, int64_t(1) << 32}), std::nullopt);
  EXPECT_EQ(checkedNumElements({int64_t(1) << 32, int64_t(1) << 32, 0}), std::nullopt);
  EXPECT_EQ(checkedNumElements({5, 0}), std::optional<int64_t>(0));
  EXPECT_EQ(checkedNumElements({2, -1}), std::nullopt);
  EXPECT_EQ(numElements({int64_t(1) << 32, int64_t(1) << 32}),
            std::numeric_limits<int64_t>::max());
}

TEST_F(SafetensorsTest, RejectsHolesOverlapsAndTrailingBytes) {
  std::string hole = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_EQ(openError(stBytes(hole, std::string(12, '\0'))),
            path + ": hole in the data section: bytes [4, 8) (file offset " +
                std::to_string(8 + hole.size() + 4) + ") before tensor 'b' belong to no tensor");
  // A hole at the very start.
  std::string lead = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_EQ(openError(stBytes(lead, std::string(8, '\0'))),
            path + ": hole in the data section: bytes [0, 4) (file offset " +
                std::to_string(8 + lead.size()) + ") before tensor 'a' belong to no tensor");
  std::string overlap = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_EQ(openError(stBytes(overlap, std::string(8, '\0'))),
            path + ": tensor 'b': data_offsets [4, 8) overlap tensor 'a' [0, 8)");
  std::string trailing = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  EXPECT_EQ(openError(stBytes(trailing, std::string(8, '\0'))),
            path + ": trailing bytes: data section bytes [4, 8) (file offset " +
                std::to_string(8 + trailing.size() + 4) + ") belong to no tensor");
  EXPECT_EQ(openError(stBytes("{}", "x")),
            path + ": trailing bytes: data section bytes [0, 1) (file offset 10) belong to "
                   "no tensor");
}

TEST_F(SafetensorsTest, ValidateAgainstReportsEverything) {
  std::vector<float> z(8, 0.0f);
  ASSERT_TRUE(writeSafetensors(path, {{"a", {2, 3}, z.data()},
                                      {"b", {4}, z.data()},
                                      {"c", {2}, z.data()},
                                      {"model.rotary_emb.inv_freq", {2}, z.data()},
                                      {"model.layers.0.self_attn.rotary_emb.inv_freq",
                                       {2},
                                       z.data()}})
                  .ok());
  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();

  EXPECT_TRUE(f->validateAgainst({{"a", {2, 3}}, {"b", {4}}, {"c", {2}}}).ok());

  Status s = f->validateAgainst({{"a", {2, 3}}, {"b", {5}}, {"d", {7}}, {"e", {1, 2}}});
  EXPECT_EQ(s.message(), path + ": the weights do not match the model (4 problems):\n"
                                "  missing tensor 'd' (expected shape [7])\n"
                                "  missing tensor 'e' (expected shape [1, 2])\n"
                                "  tensor 'b': expected shape [5], got [4]\n"
                                "  unexpected tensor 'c' (shape [2], F32)");

  // Without the default ignore list the rotary buffers are extra tensors too.
  Status noIgnore = f->validateAgainst({{"a", {2, 3}}, {"b", {4}}, {"c", {2}}}, {});
  EXPECT_EQ(noIgnore.message(),
            path + ": the weights do not match the model (2 problems):\n"
                   "  unexpected tensor 'model.rotary_emb.inv_freq' (shape [2], F32)\n"
                   "  unexpected tensor 'model.layers.0.self_attn.rotary_emb.inv_freq' "
                   "(shape [2], F32)");
  // A custom pattern.
  EXPECT_TRUE(f->validateAgainst({{"a", {2, 3}}, {"b", {4}}}, {"*inv_freq", "c"}).ok());

  // Long lists are cut at 20 per kind.
  std::vector<TensorSpec> many = {{"a", {2, 3}}, {"b", {4}}, {"c", {2}}};
  for (int i = 0; i < 25; ++i)
    many.push_back({"m" + std::to_string(i), {1}});
  std::string msg = f->validateAgainst(many).message();
  EXPECT_NE(msg.find("(25 problems)"), std::string::npos);
  EXPECT_NE(msg.find("missing tensor 'm19'"), std::string::npos);
  EXPECT_EQ(msg.find("missing tensor 'm20'"), std::string::npos);
  EXPECT_NE(msg.find("\n  ... and 5 more missing tensors"), std::string::npos);
}

TEST(Glob, Matches) {
  EXPECT_TRUE(globMatch("*rotary_emb.inv_freq", "model.rotary_emb.inv_freq"));
  EXPECT_TRUE(globMatch("*rotary_emb.inv_freq", "rotary_emb.inv_freq"));
  EXPECT_FALSE(globMatch("*rotary_emb.inv_freq", "model.rotary_emb.inv_freq2"));
  EXPECT_TRUE(globMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(globMatch("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("exact", "exact"));
  EXPECT_FALSE(globMatch("exact", "exactly"));
}

TEST_F(SafetensorsTest, WriterErrors) {
  float x = 1;
  EXPECT_EQ(writeSafetensors(path, {{"a", {1}, &x}, {"a", {1}, &x}}).message(),
            path + ": cannot write tensor 'a': duplicate or reserved name");
  EXPECT_EQ(writeSafetensors(path, {{"a", {-1}, &x}}).message(),
            path + ": cannot write tensor 'a': negative dimension in shape [-1]");
  // Sizes that overflow must be refused, not wrapped into a small tensor.
  EXPECT_EQ(writeSafetensors(path, {{"big", {int64_t(1) << 32, int64_t(1) << 32}, &x}}).message(),
            path + ": cannot write tensor 'big': shape [4294967296, 4294967296] is too large "
                   "(its byte size overflows 64 bits)");
  EXPECT_EQ(writeSafetensors(path, {{"big", {int64_t(1) << 62}, &x}}).message(),
            path + ": cannot write tensor 'big': shape [4611686018427387904] is too large "
                   "(its byte size overflows 64 bits)");
  EXPECT_EQ(writeSafetensors(path, {{"a", {int64_t(1) << 61}, &x, DType::F32},
                                    {"b", {int64_t(1) << 61}, &x, DType::F32}})
                .message(),
            path + ": cannot write tensor 'b': the data section would pass 2^64 bytes");
  std::string bad = dir.file("no/such/dir/w.safetensors");
  EXPECT_EQ(writeSafetensors(bad, {{"a", {1}, &x}}).message(),
            bad + ": cannot create: No such file or directory");
}

} // namespace
