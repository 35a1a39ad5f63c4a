#pragma once
// Scalar value syntax shared by swanctl.conf and setkey: times with s/m/h/d suffixes, byte
// counts with k/m/g suffixes, booleans as strongSwan spells them, plain unsigned numbers.
// Each returns nullopt on bad input; the caller words the error (it knows file, line and key).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portunus::config {

// "90", "90s", "30m", "4h", "1d" -> seconds.
std::optional<uint64_t> parse_time(std::string_view text);
// "1000", "512k", "10m", "1g" (binary multiples, as swanctl uses) -> bytes.
std::optional<uint64_t> parse_bytes(std::string_view text);
// Decimal, or hex with 0x prefix; bounded by max.
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max = UINT64_MAX);
// yes/no, true/false, enabled/disabled, 1/0 as in strongSwan's settings_value_as_bool.
std::optional<bool> parse_bool(std::string_view text);

// The inverse of parse_time in the largest exact unit ("4h", "90s").
std::string format_time(uint64_t seconds);
// The inverse of parse_bytes in the largest exact unit ("512k").
std::string format_bytes(uint64_t bytes);

std::string_view trim(std::string_view s);
std::string lower(std::string_view s);

}  // namespace portunus::config
