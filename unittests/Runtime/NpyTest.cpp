//===- NpyTest.cpp - Tests of the .npy writer -----------------------------===//

#include "runtime/Npy.h"
#include "unittests/Runtime/TestUtil.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace photon::rt;
using photon::rt::test::readFile;
using photon::rt::test::TempDir;

namespace {

TEST(Npy, HeaderLayout) {
  std::string h = npyHeader({2, 3});
  ASSERT_EQ(h.size(), 128u); // data starts 64-byte aligned, as NumPy writes it
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(uint8_t(h[8]) | (uint8_t(h[9]) << 8), 118); // 128 - 10
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(h.substr(10, dict.size()), dict);
  EXPECT_EQ(h.substr(10 + dict.size()), std::string(128 - 10 - dict.size() - 1, ' ') + "\n");

  EXPECT_NE(npyHeader({5}).find("'shape': (5,), }"), std::string::npos);
  EXPECT_NE(npyHeader({}).find("'shape': (), }"), std::string::npos);
  EXPECT_NE(npyHeader({1, 2, 3, 4}).find("'shape': (1, 2, 3, 4), }"), std::string::npos);
  for (auto shape : {std::vector<int64_t>{}, {7}, {100000, 100000, 100000, 100000, 3}})
    EXPECT_EQ(npyHeader(shape).size() % 64, 0u);
}

TEST(Npy, WritesHeaderThenLittleEndianFloats) {
  TempDir dir;
  std::string path = dir.file("x.npy");
  std::vector<float> v = {0, 1, -2, 0.5f, 1e10f, -0.0f};
  ASSERT_TRUE(writeNpy(path, v.data(), {2, 3}).ok());
  std::string bytes = readFile(path);
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 128), npyHeader({2, 3}));
  // 1.0f is 0x3F800000, stored little-endian.
  EXPECT_EQ(bytes.substr(132, 4), std::string("\x00\x00\x80\x3F", 4));
  EXPECT_EQ(std::memcmp(bytes.data() + 128, v.data(), 24), 0);
}

TEST(Npy, ReportsIoErrors) {
  TempDir dir;
  std::string bad = dir.file("missing/dir/x.npy");
  float x = 1;
  Status s = writeNpy(bad, &x, {1});
  EXPECT_EQ(s.message(), bad + ": cannot create: No such file or directory");
  EXPECT_EQ(writeNpy(dir.file("y.npy"), &x, {-1}).message(),
            dir.file("y.npy") + ": cannot write .npy with a negative dimension");
  // /dev/full accepts the open but fails every write.
  if (FILE *probe = std::fopen("/dev/full", "wb")) {
    std::fclose(probe);
    std::vector<float> big(1 << 16, 1.0f);
    EXPECT_EQ(writeNpy("/dev/full", big.data(), {1 << 16}).message(),
              "/dev/full: write failed: No space left on device");
  }
}

} // namespace
