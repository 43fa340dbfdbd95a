//===- LibraryCheck.cpp - Checking a shared library before dlopen ---------===//

#include "runtime/LibraryCheck.h"
#include "runtime/FileType.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace photon::rt {

namespace {

/// Closes a file descriptor at the end of the scope.
struct FdGuard {
  int fd;
  ~FdGuard() { ::close(fd); }
};

/// Reads exactly `n` bytes at `offset`.
bool readAt(int fd, uint64_t offset, void *dst, size_t n) {
  auto *out = static_cast<char *>(dst);
  while (n > 0) {
    ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    out += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
  return true;
}

/// offset + count * entry for messages, saturated rather than wrapped.
uint64_t endOf(uint64_t offset, uint64_t count, uint64_t entry) {
  uint64_t bytes, end;
  if (__builtin_mul_overflow(count, entry, &bytes) || __builtin_add_overflow(offset, bytes, &end))
    return UINT64_MAX;
  return end;
}

std::string range(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

const char *segmentName(uint32_t type) {
  switch (type) {
  case PT_LOAD: return "PT_LOAD";
  case PT_DYNAMIC: return "PT_DYNAMIC";
  case PT_INTERP: return "PT_INTERP";
  case PT_NOTE: return "PT_NOTE";
  case PT_PHDR: return "PT_PHDR";
  case PT_TLS: return "PT_TLS";
  case PT_GNU_EH_FRAME: return "PT_GNU_EH_FRAME";
  case PT_GNU_STACK: return "PT_GNU_STACK";
  case PT_GNU_RELRO: return "PT_GNU_RELRO";
  default: return "segment";
  }
}

} // namespace

Status checkSharedLibraryFile(const std::string &path) {
  auto fail = [&](const std::string &msg) { return Status::error(path + ": " + msg); };
  // O_NONBLOCK: a FIFO would otherwise block the open until a writer came.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  FdGuard guard{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return fail(std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(std::string("not a regular file (it is ") + fileTypeName(st.st_mode) + ")");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const std::string sizeText = "the file has " + std::to_string(size) + " bytes";
  auto truncated = [&](const std::string &what, uint64_t begin, uint64_t end) {
    return fail("truncated or corrupt: " + what + " covers bytes " + range(begin, end) +
                " but " + sizeText + " (an incomplete copy? recompile the artifact)");
  };
  // [offset, offset + count * entry) lies within the file.
  auto within = [&](uint64_t offset, uint64_t count, uint64_t entry) {
    return endOf(offset, count, entry) <= size;
  };

  Elf64_Ehdr eh;
  std::memset(&eh, 0, sizeof eh);
  if (size < SELFMAG || !readAt(fd, 0, &eh, SELFMAG) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return fail("not an ELF file (no \\x7f ELF magic): not a kernel library");
  if (size < sizeof eh)
    return fail("truncated: " + sizeText + ", fewer than the " + std::to_string(sizeof eh) +
                " of an ELF header");
  if (!readAt(fd, 0, &eh, sizeof eh))
    return fail(std::string("cannot read: ") + std::strerror(errno));
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail("not a 64-bit little-endian ELF file");
  if (eh.e_type != ET_DYN)
    return fail("not a shared library (ELF type " + std::to_string(eh.e_type) + ")");

  if (eh.e_shoff != 0 && eh.e_shentsize != sizeof(Elf64_Shdr))
    return fail("bad ELF section header size " + std::to_string(eh.e_shentsize));
  // Extended numbering: with 0xffff program headers or >= 0xff00 sections the
  // real counts are in section header 0.
  uint64_t phnum = eh.e_phnum, shnum = eh.e_shnum;
  if (eh.e_shoff != 0 && (shnum == 0 || phnum == PN_XNUM)) {
    if (!within(eh.e_shoff, 1, sizeof(Elf64_Shdr)))
      return truncated("the section header table", eh.e_shoff,
                       endOf(eh.e_shoff, 1, sizeof(Elf64_Shdr)));
    Elf64_Shdr first;
    if (!readAt(fd, eh.e_shoff, &first, sizeof first))
      return fail(std::string("cannot read: ") + std::strerror(errno));
    if (shnum == 0)
      shnum = first.sh_size;
    if (phnum == PN_XNUM)
      phnum = first.sh_info;
  }

  // Reads a table of `count` entries at `offset` once it lies within the file.
  auto readTable = [&](const char *what, uint64_t offset, uint64_t count, auto &out) {
    using Entry = typename std::decay_t<decltype(out)>::value_type;
    if (!within(offset, count, sizeof(Entry)))
      return truncated(std::string(what) + " (" + std::to_string(count) + " entries)", offset,
                       endOf(offset, count, sizeof(Entry)));
    out.resize(count); // at most the file size, by the check above
    if (!readAt(fd, offset, out.data(), count * sizeof(Entry)))
      return fail(std::string("cannot read: ") + std::strerror(errno));
    return Status::success();
  };

  // Program headers first: they are what dlopen maps.
  if (phnum == 0)
    return fail("no program headers: nothing for dlopen to load");
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    return fail("bad ELF program header size " + std::to_string(eh.e_phentsize));
  std::vector<Elf64_Phdr> phdrs;
  PHOTON_RETURN_IF_ERROR(readTable("the program header table", eh.e_phoff, phnum, phdrs));
  for (uint64_t i = 0; i < phnum; ++i) {
    const Elf64_Phdr &p = phdrs[i];
    if (!within(p.p_offset, 1, p.p_filesz))
      return truncated("program header " + std::to_string(i) + " (" + segmentName(p.p_type) +
                           ")",
                       p.p_offset, endOf(p.p_offset, 1, p.p_filesz));
  }

  if (eh.e_shoff != 0) {
    std::vector<Elf64_Shdr> shdrs;
    PHOTON_RETURN_IF_ERROR(readTable("the section header table", eh.e_shoff, shnum, shdrs));
    for (uint64_t i = 0; i < shnum; ++i) {
      const Elf64_Shdr &s = shdrs[i];
      if (s.sh_type != SHT_NOBITS && !within(s.sh_offset, 1, s.sh_size))
        return truncated("section " + std::to_string(i), s.sh_offset,
                         endOf(s.sh_offset, 1, s.sh_size));
    }
  }
  return Status::success();
}

} // namespace photon::rt
