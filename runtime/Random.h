//===- Random.h - A portable seeded random number generator ----*- C++ -*-===//
//
// xoshiro256** seeded through splitmix64, with uniform doubles and Box-Muller
// normals. The standard library's distributions are implementation-defined
// (std::normal_distribution differs between libstdc++ and libc++), so every
// random stream the runtime exposes (synthetic weights, sampling) uses this
// instead and gives the same numbers everywhere.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_RANDOM_H
#define PHOTON_RUNTIME_RANDOM_H

#include <cmath>
#include <cstdint>
#include <string_view>

namespace photon::rt {

/// One step of splitmix64: advances `state` and returns a well-mixed value.
inline uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// 64-bit FNV-1a of a string (used to derive per-tensor seeds from names).
inline uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

class Rng {
public:
  explicit Rng(uint64_t seed = 0) {
    uint64_t sm = seed;
    for (uint64_t &w : s_)
      w = splitmix64(sm);
  }

  /// xoshiro256** (Blackman & Vigna).
  uint64_t nextU64() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double nextDouble() { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }

  /// Standard normal N(0, 1) by Box-Muller; the second value of each pair is
  /// cached and returned by the next call.
  double nextNormal() {
    if (hasSpare_) {
      hasSpare_ = false;
      return spare_;
    }
    double u1 = 1.0 - nextDouble(); // (0, 1]: log(u1) is finite
    double u2 = nextDouble();
    double r = std::sqrt(-2.0 * std::log(u1));
    double theta = 6.283185307179586476925286766559 * u2;
    spare_ = r * std::sin(theta);
    hasSpare_ = true;
    return r * std::cos(theta);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool hasSpare_ = false;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_RANDOM_H
