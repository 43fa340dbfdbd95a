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

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>
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
    advance(s_);
    return result;
  }

  /// The state after `draws` more calls of nextU64, in O(log draws) (no
  /// spare normal is kept): lets threads fill parts of one stream.
  void discard(uint64_t draws);

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
  /// One state transition; linear over GF(2).
  static void advance(uint64_t s[4]) {
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
  }
  uint64_t s_[4];
  double spare_ = 0;
  bool hasSpare_ = false;
};

/// The transition is a linear map on the 256 state bits; a map is stored as
/// the images of the 256 unit vectors. discard applies the maps of 2^i
/// steps for the bits of `draws`.
inline void Rng::discard(uint64_t draws) {
  using State = std::array<uint64_t, 4>;
  using Map = std::array<State, 256>;
  auto apply = [](const Map &m, const State &v) {
    State out{};
    for (int j = 0; j < 256; ++j)
      if ((v[size_t(j / 64)] >> (j % 64)) & 1)
        for (size_t w = 0; w < 4; ++w)
          out[w] ^= m[size_t(j)][w];
    return out;
  };
  static const std::vector<Map> powers = [&] { // steps 2^0 .. 2^63
    std::vector<Map> p(64);
    for (int j = 0; j < 256; ++j) {
      State e{};
      e[size_t(j / 64)] = uint64_t(1) << (j % 64);
      advance(e.data());
      p[0][size_t(j)] = e;
    }
    for (size_t i = 1; i < 64; ++i)
      for (size_t j = 0; j < 256; ++j)
        p[i][j] = apply(p[i - 1], p[i - 1][j]);
    return p;
  }();
  State v = {s_[0], s_[1], s_[2], s_[3]};
  for (size_t i = 0; i < 64; ++i)
    if ((draws >> i) & 1)
      v = apply(powers[i], v);
  for (size_t w = 0; w < 4; ++w)
    s_[w] = v[w];
  hasSpare_ = false;
}

} // namespace photon::rt

#endif // PHOTON_RUNTIME_RANDOM_H
