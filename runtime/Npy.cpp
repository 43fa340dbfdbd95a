//===- Npy.cpp - Writing NumPy .npy files ---------------------------------===//

#include "runtime/Npy.h"

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

namespace photon::rt {

std::string npyHeader(const std::vector<int64_t> &shape) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2); // "(2, 3)"; a 1-D shape keeps its comma: "(3,)"
  else if (shape.size() == 1)
    dims.pop_back();
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // 6 magic + 2 version + 2 length bytes, then dict, spaces and '\n'.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xFF);
  out += static_cast<char>((dict.size() >> 8) & 0xFF);
  return out + dict;
}

Status writeNpy(const std::string &path, const float *data,
                const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return Status::error(path + ": cannot write .npy with a negative dimension");
    if (__builtin_mul_overflow(n, static_cast<size_t>(d), &n))
      return Status::error(path + ": cannot write .npy: its element count overflows");
  }
  Expected<PendingNpyFile> f = PendingNpyFile::create(path);
  if (!f)
    return f.takeStatus();
  return f->commit(shape, {{data, n}});
}

Expected<PendingNpyFile> PendingNpyFile::create(const std::string &path) {
  PendingNpyFile f;
  f.path_ = f.target_ = path;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      // A device or FIFO (/dev/null, /dev/stdout) is written in place:
      // renaming a file over it would replace the node itself.
      f.file_ = std::fopen(path.c_str(), "wb");
      if (!f.file_)
        return Status::error(path + ": cannot create: " + std::strerror(errno));
      return f;
    }
    // Through a symlink, replace the file it points to, not the link.
    if (char *real = ::realpath(path.c_str(), nullptr)) {
      f.target_ = real;
      std::free(real);
    }
  }
  f.temp_ = f.target_ + ".tmp-XXXXXX";
  int fd = ::mkstemp(f.temp_.data());
  if (fd < 0) {
    f.temp_.clear();
    return Status::error(path + ": cannot create: " + std::strerror(errno));
  }
  // mkstemp makes the file 0600; give it the mode a plain create would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  f.file_ = ::fdopen(fd, "wb");
  if (!f.file_) {
    int e = errno;
    ::close(fd);
    return Status::error(path + ": cannot create: " + std::strerror(e));
  }
  return f;
}

PendingNpyFile::PendingNpyFile(PendingNpyFile &&o) noexcept { *this = std::move(o); }

PendingNpyFile &PendingNpyFile::operator=(PendingNpyFile &&o) noexcept {
  if (this != &o) {
    discard();
    path_ = std::move(o.path_);
    target_ = std::move(o.target_);
    temp_ = std::move(o.temp_);
    file_ = o.file_;
    o.file_ = nullptr;
    o.temp_.clear();
  }
  return *this;
}

PendingNpyFile::~PendingNpyFile() { discard(); }

void PendingNpyFile::discard() {
  if (file_)
    std::fclose(file_);
  file_ = nullptr;
  if (!temp_.empty())
    ::unlink(temp_.c_str());
  temp_.clear();
}

Status PendingNpyFile::commit(const std::vector<int64_t> &shape,
                              const std::vector<FloatSpan> &parts) {
  auto fail = [&](const std::string &msg) {
    discard();
    return Status::error(path_ + ": " + msg);
  };
  if (!file_)
    return fail("internal error: the .npy file was already written or discarded");
  size_t n = 1, given = 0;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, static_cast<size_t>(d), &n))
      return fail("cannot write .npy: bad shape");
  for (const FloatSpan &p : parts)
    if (__builtin_add_overflow(given, p.size, &given))
      return fail("cannot write .npy: too much data");
  if (given != n)
    return fail("internal error: " + std::to_string(given) + " floats for a shape of " +
                std::to_string(n));
  std::string header = npyHeader(shape);
  if (header.size() - 10 > 0xFFFF)
    return fail("shape too long for a .npy v1.0 header");
  bool ok = std::fwrite(header.data(), 1, header.size(), file_) == header.size();
  for (const FloatSpan &p : parts)
    if (ok && p.size)
      ok = std::fwrite(p.data, sizeof(float), p.size, file_) == p.size;
  ok = ok && std::fflush(file_) == 0;
  if (ok && !temp_.empty()) // on disk before the rename makes it visible
    ok = ::fsync(::fileno(file_)) == 0;
  int savedErrno = errno;
  int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok)
    return fail(std::string("write failed: ") + std::strerror(savedErrno));
  if (!temp_.empty() && std::rename(temp_.c_str(), target_.c_str()) != 0)
    return fail(std::string("cannot replace it: ") + std::strerror(errno));
  temp_.clear();
  return Status::success();
}

} // namespace photon::rt
