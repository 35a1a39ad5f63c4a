#pragma once
// Helpers shared by the crypto tests.
#include <gtest/gtest.h>

#include <string_view>

#include "portunus/base/bytes.h"

namespace portunus::crypto::test {

inline Bytes hex(std::string_view s) {
  auto b = hex_decode(s);
  EXPECT_TRUE(b.has_value()) << "bad hex in test: " << s;
  return b.value_or(Bytes{});
}

inline Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

}  // namespace portunus::crypto::test
