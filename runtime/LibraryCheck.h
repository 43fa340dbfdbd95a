//===- LibraryCheck.h - Checking a shared library before dlopen -*- C++ -*-===//
//
// dlopen maps a library's segments by their program headers. A truncated
// file (an interrupted copy, a full disk) maps pages past its end, and the
// first touch of them raises SIGBUS inside dlopen: no error to report, the
// process dies. checkSharedLibraryFile reads the ELF headers with plain reads
// first and turns that into an error message.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_LIBRARYCHECK_H
#define PHOTON_RUNTIME_LIBRARYCHECK_H

#include "runtime/Status.h"

#include <string>

namespace photon::rt {

/// Checks that `path` is a regular file holding a 64-bit little-endian ELF
/// shared object whose program header table, every program header's file
/// range [p_offset, p_offset + p_filesz), the section header table and every
/// section's file range lie within the file. Errors start with the path.
/// Opening a FIFO does not block.
Status checkSharedLibraryFile(const std::string &path);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_LIBRARYCHECK_H
