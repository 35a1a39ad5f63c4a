#pragma once
// Reading SCHEMA.md case fields. A malformed case (missing or unexpected field, bad hex,
// a number that is not a non-negative integer) throws CaseError, which the runner turns
// into a failure line for that case; nothing escapes the runner.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

#include "portunus/base/bytes.h"

namespace portunus::vectors {

using Json = nlohmann::json;

class CaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The case must have exactly `kind`, `name`, all of `required` and a subset of `optional`.
void check_fields(const Json& c, std::initializer_list<std::string_view> required,
                  std::initializer_list<std::string_view> optional = {});

bool has(const Json& c, std::string_view field);
Bytes hex_field(const Json& c, std::string_view field);
// A JSON integer, read as uint64 without passing through a double (SCHEMA.md: seq may be
// up to 2^64-1).
uint64_t uint_field(const Json& c, std::string_view field);
bool bool_field(const Json& c, std::string_view field);
std::string string_field(const Json& c, std::string_view field);

// Throws CaseError("<what>: got <hex>, expected <hex>") unless equal.
void expect_equal(std::string_view what, BytesView got, BytesView expected);

}  // namespace portunus::vectors
