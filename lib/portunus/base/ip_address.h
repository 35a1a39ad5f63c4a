#pragma once
// An IPv4 or IPv6 address, shared by every layer (selectors, SAs, config, sockets).
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portunus/base/bytes.h"

namespace portunus {

enum class IpFamily : uint8_t { V4 = 4, V6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(uint32_t host_order);
  static IpAddress v4(BytesView four);
  static IpAddress v6(BytesView sixteen);
  // Dotted quad or RFC 4291/5952 text; nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
  // The all-zero or all-ones address of a family (range ends).
  static IpAddress any(IpFamily f);
  static IpAddress all_ones(IpFamily f);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::V4; }
  size_t size() const { return is_v4() ? 4 : 16; }
  BytesView bytes() const { return {bytes_.data(), size()}; }
  const uint8_t* data() const { return bytes_.data(); }
  std::string to_string() const;

  // Address with the low (bits - prefix) bits cleared / set: the ends of a prefix.
  IpAddress network(unsigned prefix) const;
  IpAddress broadcast(unsigned prefix) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  // Orders by family, then numerically.
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b);

 private:
  IpFamily family_ = IpFamily::V4;
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace portunus
