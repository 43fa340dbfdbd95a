//===- Safetensors.cpp - Reading and writing .safetensors files -----------===//

#include "runtime/Safetensors.h"
#include "runtime/FileType.h"
#include "runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace photon::rt {

//===----------------------------------------------------------------------===//
// dtypes and scalar conversions
//===----------------------------------------------------------------------===//

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32: return "F32";
  case DType::BF16: return "BF16";
  case DType::F16: return "F16";
  }
  return "?";
}

size_t dtypeSize(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

static uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t f32ToBF16(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep the sign, force quiet
    return static_cast<uint16_t>((u >> 16) | 0x0040u);
  // Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even;
  // a carry out of the mantissa correctly bumps the exponent (up to inf).
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float bf16ToF32(uint16_t b) { return bitsFloat(static_cast<uint32_t>(b) << 16); }

uint16_t f32ToF16(float f) {
  uint32_t u = floatBits(f);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7FFFFFFFu;
  if (a >= 0x7F800000u) // inf or NaN (NaN keeps its top payload bits, quiet)
    return sign | (a > 0x7F800000u ? static_cast<uint16_t>(0x7E00u | ((a >> 13) & 0x3FFu))
                                   : uint16_t(0x7C00u));
  if (a >= 0x477FF000u) // >= 65520 rounds past the largest f16 (65504)
    return sign | 0x7C00u;
  if (a < 0x38800000u) { // below 2^-14: an f16 subnormal (or zero)
    // |f| * 2^24 is exact; nearbyint rounds ties to even in the default mode.
    float scaled = bitsFloat(a) * 16777216.0f;
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  uint32_t h = ((((a >> 23) - 127 + 15) << 10) | ((a & 0x7FFFFFu) >> 13));
  uint32_t rest = a & 0x1FFFu; // the 13 dropped mantissa bits
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h; // may carry into the exponent, which is still correct
  return sign | static_cast<uint16_t>(h);
}

float f16ToF32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0) { // zero or subnormal: mant * 2^-24, exact in f32
    float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) // inf or NaN (payload kept)
    return bitsFloat(sign | 0x7F800000u | (mant << 13));
  return bitsFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::optional<int64_t> checkedNumElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    // A zero dimension makes the tensor empty, but the other dimensions must
    // still multiply without overflow: no real shape comes near 2^63.
    if (d == 0)
      empty = true;
    else if (__builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  }
  return empty ? 0 : n;
}

int64_t numElements(const std::vector<int64_t> &shape) {
  return checkedNumElements(shape).value_or(std::numeric_limits<int64_t>::max());
}

const std::vector<std::string> &defaultIgnoredTensors() {
  static const std::vector<std::string> names = {"*rotary_emb.inv_freq"};
  return names;
}

bool globMatch(std::string_view pattern, std::string_view name) {
  // Iterative matcher with one backtrack point (the last '*').
  size_t p = 0, n = 0, starP = std::string_view::npos, starN = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starN = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (starP != std::string_view::npos) {
      p = starP + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

static std::string tooShort(uint64_t size) {
  return "file is " + std::to_string(size) +
         " bytes, too short for the 8-byte header length (truncated?)";
}

static std::string range(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + ")";
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFile::SafetensorsFile(SafetensorsFile &&o) noexcept { *this = std::move(o); }

SafetensorsFile &SafetensorsFile::operator=(SafetensorsFile &&o) noexcept {
  if (this != &o) {
    release();
    path_ = std::move(o.path_);
    map_ = o.map_;
    mapSize_ = o.mapSize_;
    tensors_ = std::move(o.tensors_);
    index_ = std::move(o.index_);
    metadata_ = std::move(o.metadata_);
    o.map_ = nullptr;
    o.mapSize_ = 0;
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { release(); }

void SafetensorsFile::release() {
  if (map_)
    ::munmap(map_, mapSize_);
  map_ = nullptr;
  mapSize_ = 0;
}

const TensorInfo *SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

static bool parseDType(const std::string &s, DType &out) {
  if (s == "F32") out = DType::F32;
  else if (s == "BF16") out = DType::BF16;
  else if (s == "F16") out = DType::F16;
  else return false;
  return true;
}

// A JSON array of non-negative integers.
static bool readUIntArray(const Json &entry, const char *key, std::vector<uint64_t> &out) {
  auto v = entry.find(key);
  if (v == entry.end() || !v->is_array())
    return false;
  for (const Json &e : *v) {
    if (!isJsonInt(e) || e.get<int64_t>() < 0)
      return false;
    out.push_back(e.get<uint64_t>());
  }
  return true;
}

Expected<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  auto fail = [&](const std::string &msg) { return Status::error(path + ": " + msg); };

  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever;
  // fstat then refuses it. It changes nothing for a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return fail(std::string("cannot stat: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(std::string("not a regular file (it is ") + fileTypeName(st.st_mode) +
                "); weights must be a safetensors file");
  }
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < 8) { // mmap refuses an empty file; say why instead
    ::close(fd);
    return fail(tooShort(fileSize));
  }
  void *map = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd); // the mapping stays valid
  if (map == MAP_FAILED)
    return fail(std::string("mmap failed: ") + std::strerror(errno));

  SafetensorsFile file; // from here on its destructor unmaps on failure
  file.path_ = path;
  file.map_ = map;
  file.mapSize_ = fileSize;
  PHOTON_RETURN_IF_ERROR(file.parse(static_cast<const uint8_t *>(map), fileSize));
  return file;
}

Expected<SafetensorsFile> SafetensorsFile::fromMemory(const uint8_t *bytes, size_t size,
                                                      const std::string &label) {
  SafetensorsFile file;
  file.path_ = label;
  PHOTON_RETURN_IF_ERROR(file.parse(bytes, size));
  return file;
}

Status SafetensorsFile::parse(const uint8_t *bytes, uint64_t fileSize) {
  auto fail = [&](const std::string &msg) { return Status::error(path_ + ": " + msg); };
  if (fileSize < 8)
    return fail(tooShort(fileSize));
  SafetensorsFile &file = *this;

  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | bytes[i];
  if (headerLen > fileSize - 8)
    return fail("header length " + std::to_string(headerLen) +
                " (bytes 0-7) runs past the end of the file (" +
                std::to_string(fileSize) + " bytes): truncated or not a safetensors file");

  std::string_view headerText(reinterpret_cast<const char *>(bytes + 8), headerLen);
  Expected<Json> header = parseJson(headerText, /*baseOffset=*/8);
  if (!header)
    return fail("bad header: " + header.status().message());
  if (!header->is_object())
    return fail("bad header: it is " + std::string(jsonKindName(*header)) +
                ", expected a JSON object");

  const uint64_t dataStart = 8 + headerLen;
  const uint64_t dataSize = fileSize - dataStart;

  for (const auto &member : header->items()) {
    const std::string &name = member.key();
    const Json &entry = member.value();
    if (name == "__metadata__") {
      if (!entry.is_object())
        return fail("__metadata__ must be an object of strings");
      for (const auto &[k, v] : entry.items()) {
        if (!v.is_string())
          return fail("__metadata__ value for '" + k + "' is " + jsonKindName(v) +
                      ", expected a string");
        file.metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    auto tfail = [&](const std::string &msg) { return fail("tensor '" + name + "': " + msg); };
    if (!entry.is_object())
      return tfail("header entry is " + std::string(jsonKindName(entry)) +
                   ", expected an object");
    auto dtypeV = entry.find("dtype");
    if (dtypeV == entry.end() || !dtypeV->is_string())
      return tfail("missing or non-string 'dtype'");
    TensorInfo t;
    t.name = name;
    if (!parseDType(dtypeV->get<std::string>(), t.dtype))
      return tfail("unsupported dtype '" + dtypeV->get<std::string>() +
                   "' (supported: F32, BF16, F16)");

    std::vector<uint64_t> shape, offsets;
    if (!readUIntArray(entry, "shape", shape))
      return tfail("'shape' must be an array of non-negative integers");
    if (!readUIntArray(entry, "data_offsets", offsets) || offsets.size() != 2 ||
        offsets[0] > offsets[1])
      return tfail("'data_offsets' must be [begin, end] with 0 <= begin <= end");
    t.begin = offsets[0];
    t.end = offsets[1];

    // Element count and byte size with overflow checks: a hostile shape must
    // not wrap around to a match (nor overflow numel() later).
    for (uint64_t d : shape)
      t.shape.push_back(static_cast<int64_t>(d)); // readUIntArray: d <= INT64_MAX
    std::optional<int64_t> elements = checkedNumElements(t.shape);
    bool empty = std::count(t.shape.begin(), t.shape.end(), int64_t(0)) > 0;
    if (!elements && empty)
      return tfail("shape " + formatShape(t.shape) +
                   ": the product of its nonzero dimensions overflows 64 bits");
    // Past 2^63 elements (of at least 2 bytes) the byte size overflows too.
    uint64_t need = 0;
    bool overflow = !elements ||
                    __builtin_mul_overflow(static_cast<uint64_t>(*elements),
                                           static_cast<uint64_t>(dtypeSize(t.dtype)), &need);
    if (overflow || need != t.end - t.begin)
      return tfail("data_offsets " + range(t.begin, t.end) + " hold " +
                   std::to_string(t.end - t.begin) + " bytes but " + dtypeName(t.dtype) +
                   " " + formatShape(t.shape) + " needs " +
                   (overflow ? std::string("more than 2^64") : std::to_string(need)));
    if (t.end > dataSize)
      return tfail("data_offsets " + range(t.begin, t.end) + " end past the data section (" +
                   std::to_string(dataSize) + " bytes)");
    t.data = bytes + dataStart + t.begin;
    file.tensors_.push_back(std::move(t));
  }

  // The tensors must tile [0, dataSize) exactly.
  auto &ts = file.tensors_;
  std::sort(ts.begin(), ts.end(), [](const TensorInfo &a, const TensorInfo &b) {
    if (a.begin != b.begin)
      return a.begin < b.begin;
    return a.end != b.end ? a.end < b.end : a.name < b.name; // names are unique
  });
  uint64_t cursor = 0;
  const TensorInfo *prev = nullptr;
  for (const TensorInfo &t : ts) {
    if (t.begin > cursor)
      return fail("hole in the data section: bytes " + range(cursor, t.begin) +
                  " (file offset " + std::to_string(dataStart + cursor) +
                  ") before tensor '" + t.name + "' belong to no tensor");
    if (t.begin < cursor)
      return fail("tensor '" + t.name + "': data_offsets " + range(t.begin, t.end) +
                  " overlap tensor '" + prev->name + "' " + range(prev->begin, prev->end));
    cursor = t.end;
    prev = &t;
  }
  if (cursor != dataSize)
    return fail("trailing bytes: data section bytes " + range(cursor, dataSize) +
                " (file offset " + std::to_string(dataStart + cursor) +
                ") belong to no tensor");

  for (size_t i = 0; i < ts.size(); ++i)
    file.index_.emplace(ts[i].name, i);
  return Status::success();
}

void SafetensorsFile::toF32(const TensorInfo &t, float *dst) {
  size_t n = static_cast<size_t>(t.numel());
  if (n == 0) // dst may be null then (an empty vector), and memcpy(null, _, 0) is UB
    return;
  switch (t.dtype) {
  case DType::F32:
    std::memcpy(dst, t.data, n * 4);
    return;
  case DType::BF16:
  case DType::F16:
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      dst[i] = t.dtype == DType::BF16 ? bf16ToF32(h) : f16ToF32(h);
    }
    return;
  }
}

void SafetensorsFile::toBF16(const TensorInfo &t, uint16_t *dst) {
  size_t n = static_cast<size_t>(t.numel());
  if (n == 0) // dst may be null then (an empty vector), and memcpy(null, _, 0) is UB
    return;
  switch (t.dtype) {
  case DType::BF16:
    std::memcpy(dst, t.data, n * 2);
    return;
  case DType::F32:
    for (size_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, t.data + 4 * i, 4);
      dst[i] = f32ToBF16(f);
    }
    return;
  case DType::F16:
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      dst[i] = f32ToBF16(f16ToF32(h)); // f16 -> f32 is exact
    }
    return;
  }
}

Status SafetensorsFile::validateAgainst(const std::vector<TensorSpec> &expected,
                                        const std::vector<std::string> &ignore) const {
  std::vector<const TensorInfo *> all;
  for (const TensorInfo &t : tensors_)
    all.push_back(&t);
  return validateTensorSet(path_, all, expected, ignore);
}

Status validateTensorSet(const std::string &label, const std::vector<const TensorInfo *> &tensors,
                         const std::vector<TensorSpec> &expected,
                         const std::vector<std::string> &ignore) {
  std::unordered_map<std::string_view, const TensorInfo *> byName;
  for (const TensorInfo *t : tensors)
    byName.emplace(t->name, t);
  std::vector<std::string> missing, extra, mismatched;
  std::unordered_map<std::string, bool> expectedNames;
  for (const TensorSpec &spec : expected) {
    if (!expectedNames.emplace(spec.name, true).second)
      continue; // listed twice: check once
    auto it = byName.find(spec.name);
    const TensorInfo *t = it == byName.end() ? nullptr : it->second;
    if (!t)
      missing.push_back("missing tensor '" + spec.name + "' (expected shape " +
                        formatShape(spec.shape) + ")");
    else if (t->shape != spec.shape)
      mismatched.push_back("tensor '" + spec.name + "': expected shape " +
                           formatShape(spec.shape) + ", got " + formatShape(t->shape));
  }
  for (const TensorInfo *t : tensors) {
    if (expectedNames.count(t->name))
      continue;
    bool ignored = std::any_of(ignore.begin(), ignore.end(), [&](const std::string &p) {
      return globMatch(p, t->name);
    });
    if (!ignored)
      extra.push_back("unexpected tensor '" + t->name + "' (shape " + formatShape(t->shape) +
                      ", " + dtypeName(t->dtype) + ")");
  }
  size_t problems = missing.size() + extra.size() + mismatched.size();
  if (problems == 0)
    return Status::success();

  // Every problem is listed, up to kMaxPerKind per kind so that loading the
  // wrong model entirely still gives a readable message.
  constexpr size_t kMaxPerKind = 20;
  std::string msg = label + ": the weights do not match the model (" +
                    std::to_string(problems) + (problems == 1 ? " problem)" : " problems)") +
                    ":";
  auto list = [&](const std::vector<std::string> &lines, const char *what) {
    for (size_t i = 0; i < lines.size() && i < kMaxPerKind; ++i)
      msg += "\n  " + lines[i];
    if (lines.size() > kMaxPerKind)
      msg += "\n  ... and " + std::to_string(lines.size() - kMaxPerKind) + " more " + what;
  };
  list(missing, "missing tensors");
  list(mismatched, "shape mismatches");
  list(extra, "unexpected tensors");
  return Status::error(msg);
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

Status writeSafetensors(const std::string &path, const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  auto fail = [&](const std::string &msg) { return Status::error(path + ": " + msg); };

  Json header = Json::object();
  if (!metadata.empty()) {
    Json &meta = header["__metadata__"] = Json::object();
    for (const auto &[k, v] : metadata)
      meta[k] = v;
  }
  std::unordered_map<std::string, bool> seen;
  uint64_t offset = 0;
  for (const TensorToWrite &t : tensors) {
    if (t.name == "__metadata__" || !seen.emplace(t.name, true).second)
      return fail("cannot write tensor '" + t.name + "': duplicate or reserved name");
    for (int64_t d : t.shape)
      if (d < 0)
        return fail("cannot write tensor '" + t.name + "': negative dimension in shape " +
                    formatShape(t.shape));
    std::optional<int64_t> elements = checkedNumElements(t.shape);
    uint64_t bytes = 0, end = 0;
    if (!elements || __builtin_mul_overflow(static_cast<uint64_t>(*elements),
                                            static_cast<uint64_t>(dtypeSize(t.dtype)), &bytes))
      return fail("cannot write tensor '" + t.name + "': shape " + formatShape(t.shape) +
                  " is too large (its byte size overflows 64 bits)");
    if (__builtin_add_overflow(offset, bytes, &end))
      return fail("cannot write tensor '" + t.name +
                  "': the data section would pass 2^64 bytes");
    if (bytes && !t.data)
      return fail("cannot write tensor '" + t.name + "': no data");
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return fail(std::string("cannot create: ") + std::strerror(errno));
  bool ok = true;
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  ok = ok && std::fwrite(len, 1, 8, f) == 8;
  ok = ok && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  std::vector<uint16_t> half;
  for (const TensorToWrite &t : tensors) {
    size_t n = static_cast<size_t>(numElements(t.shape));
    if (!ok || n == 0)
      continue;
    if (t.dtype == DType::F32) {
      ok = std::fwrite(t.data, 4, n, f) == n;
      continue;
    }
    half.resize(n);
    for (size_t i = 0; i < n; ++i)
      half[i] = t.dtype == DType::BF16 ? f32ToBF16(t.data[i]) : f32ToF16(t.data[i]);
    ok = std::fwrite(half.data(), 2, n, f) == n;
  }
  int savedErrno = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok)
    return fail(std::string("write failed: ") + std::strerror(savedErrno));
  return Status::success();
}

} // namespace photon::rt
