#pragma once
// A trivial reproducible Random for tests of ike/ building blocks that must not depend on
// the crypto layer's generator: SplitMix64 output, seeded.
#include <cstdint>

#include "portunus/crypto/random.h"

namespace portunus::ike::testing {

class CounterRandom final : public crypto::Random {
 public:
  explicit CounterRandom(uint64_t seed) : state_(seed) {}
  void fill(MutBytes out) override {
    for (auto& b : out) {
      if (avail_ == 0) {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        word_ = z ^ (z >> 31);
        avail_ = 8;
      }
      b = static_cast<uint8_t>(word_);
      word_ >>= 8;
      --avail_;
    }
  }

 private:
  uint64_t state_;
  uint64_t word_ = 0;
  int avail_ = 0;
};

}  // namespace portunus::ike::testing
