//===- LibraryCheckTest.cpp - Tests of checkSharedLibraryFile -------------===//

#include "runtime/LibraryCheck.h"
#include "unittests/Runtime/TestUtil.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstddef>
#include <cstring>

#include <dlfcn.h>
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace photon::rt;
using photon::rt::test::readFile;
using photon::rt::test::TempDir;
using photon::rt::test::writeFile;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHOTON_ASAN 1
#endif
#endif

namespace {

// A real shared library from the build (CMake passes its path).
const std::string kFixture = PHOTON_LIBRARY_CHECK_FIXTURE;

class LibraryCheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    bytes = readFile(kFixture);
    ASSERT_GT(bytes.size(), sizeof(Elf64_Ehdr));
    std::memcpy(&eh, bytes.data(), sizeof eh);
    phdrs.resize(eh.e_phnum);
    std::memcpy(phdrs.data(), bytes.data() + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
  }

  /// The error of a copy of the fixture cut to `n` bytes.
  std::string truncatedError(size_t n) {
    std::string path = dir.file("kernels-cpu.so");
    writeFile(path, bytes.substr(0, n));
    Status s = checkSharedLibraryFile(path);
    EXPECT_FALSE(s.ok()) << "cut to " << n << " bytes";
    return s.message();
  }

  TempDir dir;
  std::string bytes;
  Elf64_Ehdr eh;
  std::vector<Elf64_Phdr> phdrs;
};

TEST_F(LibraryCheckTest, AcceptsARealLibrary) {
  EXPECT_TRUE(checkSharedLibraryFile(kFixture).ok()) << checkSharedLibraryFile(kFixture).message();
  std::string copy = dir.file("copy.so");
  writeFile(copy, bytes);
  Status s = checkSharedLibraryFile(copy);
  EXPECT_TRUE(s.ok()) << s.message();
  // And the copy is what dlopen accepts.
  void *h = ::dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << ::dlerror();
  ::dlclose(h);
}

// A copy cut anywhere inside a loaded segment would SIGBUS inside dlopen.
TEST_F(LibraryCheckTest, RejectsACopyCutInsideASegment) {
  uint64_t loadEnd = 0;
  size_t last = 0;
  for (size_t i = 0; i < phdrs.size(); ++i)
    if (phdrs[i].p_type == PT_LOAD && phdrs[i].p_offset + phdrs[i].p_filesz >= loadEnd) {
      loadEnd = phdrs[i].p_offset + phdrs[i].p_filesz;
      last = i;
    }
  ASSERT_GT(loadEnd, 4096u);
  const Elf64_Phdr &p = phdrs[last];
  std::string path = dir.file("kernels-cpu.so");
  EXPECT_EQ(truncatedError(loadEnd - 1),
            path + ": truncated or corrupt: program header " + std::to_string(last) +
                " (PT_LOAD) covers bytes [" + std::to_string(p.p_offset) + ", " +
                std::to_string(loadEnd) + ") but the file has " + std::to_string(loadEnd - 1) +
                " bytes (an incomplete copy? recompile the artifact)");
  // Half the file: some earlier segment already runs past the end. This is
  // the copy that dlopen itself dies on with SIGBUS.
  EXPECT_NE(truncatedError(bytes.size() / 2).find("truncated or corrupt: program header"),
            std::string::npos);
#if PHOTON_ASAN // the sanitizer build: ASan reports the SIGBUS, then aborts
  EXPECT_DEATH(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL), "AddressSanitizer: BUS");
#else
  EXPECT_EXIT(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL),
              ::testing::KilledBySignal(SIGBUS), "");
#endif
}

TEST_F(LibraryCheckTest, RejectsACopyCutInTheSectionHeaders) {
  ASSERT_NE(eh.e_shoff, 0u);
  // The section header table is the tail of a linked library.
  ASSERT_EQ(eh.e_shoff + uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr), bytes.size());
  std::string path = dir.file("kernels-cpu.so");
  EXPECT_EQ(truncatedError(bytes.size() - 1),
            path + ": truncated or corrupt: the section header table (" +
                std::to_string(eh.e_shnum) + " entries) covers bytes [" +
                std::to_string(eh.e_shoff) + ", " + std::to_string(bytes.size()) +
                ") but the file has " + std::to_string(bytes.size() - 1) +
                " bytes (an incomplete copy? recompile the artifact)");
}

TEST_F(LibraryCheckTest, RejectsHeadersCutShortAndOtherFiles) {
  std::string path = dir.file("kernels-cpu.so");
  EXPECT_EQ(truncatedError(40), path + ": truncated: the file has 40 bytes, fewer than the 64 "
                                       "of an ELF header");
  EXPECT_EQ(truncatedError(0), path + ": not an ELF file (no \\x7f ELF magic): not a kernel "
                                      "library");
  // The program header table cut.
  EXPECT_NE(truncatedError(eh.e_phoff + sizeof(Elf64_Phdr))
                .find("truncated or corrupt: the program header table ("),
            std::string::npos);

  writeFile(path, "#!/bin/sh\necho not a library\n");
  EXPECT_EQ(checkSharedLibraryFile(path).message(),
            path + ": not an ELF file (no \\x7f ELF magic): not a kernel library");
  // An executable-type ELF is not a shared library.
  std::string exec = bytes;
  uint16_t type = ET_EXEC;
  std::memcpy(&exec[offsetof(Elf64_Ehdr, e_type)], &type, 2);
  writeFile(path, exec);
  EXPECT_EQ(checkSharedLibraryFile(path).message(),
            path + ": not a shared library (ELF type 2)");
  // A program header whose range overflows 64 bits.
  std::string wrap = bytes;
  Elf64_Phdr p = phdrs[0];
  p.p_offset = UINT64_MAX - 8;
  p.p_filesz = 64;
  std::memcpy(&wrap[eh.e_phoff], &p, sizeof p);
  writeFile(path, wrap);
  std::string msg = checkSharedLibraryFile(path).message();
  EXPECT_NE(msg.find(": truncated or corrupt: program header 0 ("), std::string::npos) << msg;
  EXPECT_NE(msg.find("covers bytes [18446744073709551607, 18446744073709551615)"),
            std::string::npos)
      << msg;

  EXPECT_EQ(checkSharedLibraryFile(dir.file("missing.so")).message(),
            dir.file("missing.so") + ": cannot open: No such file or directory");
  EXPECT_EQ(checkSharedLibraryFile(dir.path()).message(),
            dir.path() + ": not a regular file (it is a directory)");
  std::string fifo = dir.file("kernels.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(checkSharedLibraryFile(fifo).message(), fifo + ": not a regular file (it is a FIFO)");
}

} // namespace
