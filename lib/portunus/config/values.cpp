#include "portunus/config/values.h"

#include <cctype>

namespace portunus::config {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max) {
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (d > max || v > (max - d) / base) return std::nullopt;  // would exceed max
    v = v * base + d;
  }
  return v;
}

namespace {

std::optional<uint64_t> parse_with_suffix(std::string_view text, uint64_t (*factor)(char)) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  uint64_t mult = 1;
  char last = text.back();
  if (!std::isdigit(static_cast<unsigned char>(last))) {
    mult = factor(static_cast<char>(std::tolower(static_cast<unsigned char>(last))));
    if (mult == 0) return std::nullopt;
    text.remove_suffix(1);
  }
  if (text.size() > 2 && text[1] == 'x') return std::nullopt;  // no hex for durations and sizes
  auto n = parse_uint(text, UINT64_MAX / mult);
  if (!n) return std::nullopt;
  return *n * mult;
}

uint64_t time_factor(char c) {
  switch (c) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    default:
      return 0;
  }
}

uint64_t byte_factor(char c) {
  switch (c) {
    case 'k':
      return 1024;
    case 'm':
      return 1024 * 1024;
    case 'g':
      return 1024ull * 1024 * 1024;
    default:
      return 0;
  }
}

}  // namespace

std::optional<uint64_t> parse_time(std::string_view text) { return parse_with_suffix(text, time_factor); }
std::optional<uint64_t> parse_bytes(std::string_view text) { return parse_with_suffix(text, byte_factor); }

std::optional<bool> parse_bool(std::string_view text) {
  std::string t = lower(trim(text));
  if (t == "yes" || t == "true" || t == "enabled" || t == "1") return true;
  if (t == "no" || t == "false" || t == "disabled" || t == "0") return false;
  return std::nullopt;
}

std::string format_time(uint64_t s) {
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string format_bytes(uint64_t b) {
  constexpr uint64_t kG = 1024ull * 1024 * 1024;
  if (b != 0 && b % kG == 0) return std::to_string(b / kG) + "g";
  if (b != 0 && b % (1024 * 1024) == 0) return std::to_string(b / (1024 * 1024)) + "m";
  if (b != 0 && b % 1024 == 0) return std::to_string(b / 1024) + "k";
  return std::to_string(b);
}

}  // namespace portunus::config
