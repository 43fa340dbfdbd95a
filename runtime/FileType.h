//===- FileType.h - File types: tests and names for messages ---*- C++ -*-===//
#ifndef PHOTON_RUNTIME_FILETYPE_H
#define PHOTON_RUNTIME_FILETYPE_H

#include <string>
#include <sys/stat.h>

namespace photon::rt {

inline bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

inline bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// "a directory", "a FIFO", ... for messages that refuse a non-regular file.
inline const char *fileTypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

} // namespace photon::rt

#endif // PHOTON_RUNTIME_FILETYPE_H
