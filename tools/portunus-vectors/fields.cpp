#include "fields.h"

#include <algorithm>

namespace portunus::vectors {

void check_fields(const Json& c, std::initializer_list<std::string_view> required,
                  std::initializer_list<std::string_view> optional) {
  for (std::string_view f : required) {
    if (!has(c, f)) throw CaseError("missing field '" + std::string(f) + "'");
  }
  for (const auto& item : c.items()) {
    // Not a structured binding: clang 14 (the fuzz/sanitizer build) cannot capture one.
    const std::string& key = item.key();
    const Json& value = item.value();
    if (key == "kind" || key == "name") continue;
    auto in = [&](std::initializer_list<std::string_view> list) {
      return std::find(list.begin(), list.end(), key) != list.end();
    };
    if (!in(required) && !in(optional)) throw CaseError("unexpected field '" + key + "'");
    if (value.is_null()) throw CaseError("field '" + key + "' is null");
  }
}

bool has(const Json& c, std::string_view field) { return c.contains(std::string(field)); }

Bytes hex_field(const Json& c, std::string_view field) {
  const Json& v = c.at(std::string(field));
  if (!v.is_string()) throw CaseError("field '" + std::string(field) + "' is not a hex string");
  auto b = hex_decode(v.get<std::string>());
  if (!b) throw CaseError("field '" + std::string(field) + "' is not valid hex");
  return *b;
}

uint64_t uint_field(const Json& c, std::string_view field) {
  const Json& v = c.at(std::string(field));
  // nlohmann keeps integers as integers (number_unsigned for non-negative literals); a
  // float here would mean precision may already be lost, so it is refused.
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  throw CaseError("field '" + std::string(field) + "' is not a non-negative integer");
}

bool bool_field(const Json& c, std::string_view field) {
  const Json& v = c.at(std::string(field));
  if (!v.is_boolean()) throw CaseError("field '" + std::string(field) + "' is not a boolean");
  return v.get<bool>();
}

std::string string_field(const Json& c, std::string_view field) {
  const Json& v = c.at(std::string(field));
  if (!v.is_string()) throw CaseError("field '" + std::string(field) + "' is not a string");
  return v.get<std::string>();
}

void expect_equal(std::string_view what, BytesView got, BytesView expected) {
  if (got.size() == expected.size() && std::equal(got.begin(), got.end(), expected.begin())) return;
  throw CaseError(std::string(what) + ": got " + hex_encode(got) + ", expected " + hex_encode(expected));
}

}  // namespace portunus::vectors
