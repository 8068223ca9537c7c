// Randomness as an injected dependency: the core never reaches for a global RNG. The
// runtime passes a cryptographic source; the simulator and tests pass a seeded one so runs
// repeat exactly.
#pragma once
#include <cstdint>
#include <span>

namespace braid {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<uint8_t> out) = 0;
  uint64_t next_u64() {
    uint8_t b[8];
    fill(b);
    uint64_t v = 0;
    for (uint8_t x : b) v = (v << 8) | x;
    return v;
  }
};

// Deterministic xoshiro256** generator for simulations and tests. Not for key material.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) {
    for (auto& s : s_) {  // splitmix64 expansion of the seed
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  void fill(std::span<uint8_t> out) override {
    size_t i = 0;
    while (i < out.size()) {
      uint64_t v = step();
      for (int k = 0; k < 8 && i < out.size(); ++k, ++i) out[i] = uint8_t(v >> (8 * k));
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t step() {
    uint64_t r = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return r;
  }
  uint64_t s_[4];
};

}  // namespace braid
