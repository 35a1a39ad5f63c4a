#pragma once
// Injected randomness: the IKE engine and key generation take a Random& so that tests
// can run two engines deterministically and the daemon uses the OS/OpenSSL DRBG.
#include <cstdint>
#include <memory>

#include "portunus/base/bytes.h"

namespace portunus::crypto {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(MutBytes out) = 0;

  Bytes bytes(size_t n) {
    Bytes b(n);
    fill(b);
    return b;
  }
  uint32_t u32() {
    uint8_t b[4];
    fill(b);
    return load_be32(b);
  }
  uint64_t u64() {
    uint8_t b[8];
    fill(b);
    return load_be64(b);
  }
};

// OpenSSL's RAND_bytes; the one production code uses.
Random& system_random();

// Reproducible stream (AES-256-CTR keyed from the seed). For tests and fuzzers only.
std::unique_ptr<Random> make_deterministic_random(uint64_t seed);

}  // namespace portunus::crypto
