//===- TestUtil.h - Helpers shared by the runtime unit tests ---*- C++ -*-===//
#ifndef PHOTON_UNITTESTS_RUNTIME_TESTUTIL_H
#define PHOTON_UNITTESTS_RUNTIME_TESTUTIL_H

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

namespace photon::rt::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with its files at exit
/// of the scope.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/photon-rt-XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace photon::rt::test

#endif // PHOTON_UNITTESTS_RUNTIME_TESTUTIL_H
