//===- NpyTest.cpp - Tests of the .npy writer -----------------------------===//

#include "runtime/Npy.h"
#include "unittests/Runtime/TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

using namespace photon::rt;
using photon::rt::test::readFile;
using photon::rt::test::TempDir;
using photon::rt::test::writeFile;

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

// Names of the entries of `dir`, sorted.
std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  for (const auto &e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// --dump-logits used to truncate its file before generating, so a failed run
// lost the previous logits; now nothing replaces it before commit().
TEST(PendingNpyFile, ReplacesThePathOnlyOnCommit) {
  TempDir dir;
  std::string path = dir.file("logits.npy");
  writeFile(path, "previous");
  std::vector<float> a = {1, 2, 3}, b = {4, 5, 6};
  {
    Expected<PendingNpyFile> f = PendingNpyFile::create(path);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ(f->tempPath().rfind(path + ".tmp-", 0), 0u); // next to it
    EXPECT_EQ(listDir(dir.path()).size(), 2u);
    EXPECT_EQ(readFile(path), "previous");
    // Dropped without commit (the run failed): the old file stays, the
    // temporary one goes.
  }
  EXPECT_EQ(readFile(path), "previous");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"logits.npy"});

  Expected<PendingNpyFile> f = PendingNpyFile::create(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_TRUE(f->commit({2, 3}, {{a.data(), a.size()}, {b.data(), b.size()}}).ok());
  std::string bytes = readFile(path);
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 128), npyHeader({2, 3}));
  std::vector<float> all = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(std::memcmp(bytes.data() + 128, all.data(), 24), 0);
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"logits.npy"});
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask); // as a plain create, not mkstemp's 0600
}

TEST(PendingNpyFile, FailedCommitKeepsTheOldFile) {
  TempDir dir;
  std::string path = dir.file("logits.npy");
  writeFile(path, "previous");
  std::vector<float> a = {1, 2};
  Expected<PendingNpyFile> f = PendingNpyFile::create(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->commit({3}, {{a.data(), a.size()}}).message(),
            path + ": internal error: 2 floats for a shape of 3");
  EXPECT_EQ(readFile(path), "previous");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"logits.npy"});
  EXPECT_EQ(PendingNpyFile::create(dir.file("no/dir/x.npy")).status().message(),
            dir.file("no/dir/x.npy") + ": cannot create: No such file or directory");
}

TEST(PendingNpyFile, FollowsSymlinksAndWritesDevicesInPlace) {
  TempDir dir;
  std::string real = dir.file("real.npy"), link = dir.file("link.npy");
  writeFile(real, "previous");
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  float x = 7;
  ASSERT_TRUE(writeNpy(link, &x, {1}).ok());
  EXPECT_TRUE(std::filesystem::is_symlink(link)); // the link is kept
  EXPECT_EQ(readFile(real).size(), 128u + 4u);
  // /dev/null must stay a device, not be replaced by a renamed file.
  ASSERT_TRUE(writeNpy("/dev/null", &x, {1}).ok());
  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

} // namespace
