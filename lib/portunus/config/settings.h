#pragma once
// strongSwan's settings syntax (strongswan.conf(5), also used by swanctl.conf(5)):
//
//   settings := (section | keyvalue | include)*
//   section  := name { settings }
//   keyvalue := key = value\n       (the value runs to the end of the line; "quoted" values may
//                                    span lines and contain escapes)
//   include  := include pattern\n   (glob, relative to the including file's directory)
//
// `#` starts a comment outside quotes. A section that appears again is merged into the first
// one and a key that appears again overrides the earlier value, as strongSwan does, so a file
// can be split over includes and later files can override earlier ones.
//
// This layer knows nothing of swanctl's keys; swanctl.h gives the tree its meaning.
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/error.h"

namespace portunus::config {

// Where a setting was written: shown in every error message as "file:line".
struct Location {
  std::string file;
  int line = 0;
  friend bool operator==(const Location&, const Location&) = default;
};

struct SettingsValue {
  std::string name;
  std::string value;
  Location where;
};

struct SettingsSection {
  std::string name;
  Location where;                         // the first definition
  std::vector<SettingsValue> values;      // in first-definition order, names unique
  std::vector<SettingsSection> sections;  // in first-definition order, names unique

  const SettingsValue* find_value(std::string_view key) const;
  const SettingsSection* find_section(std::string_view key) const;
};

struct SettingsLimits {
  int max_include_depth = 16;
  int max_section_depth = 32;
  size_t max_file_bytes = 4 * 1024 * 1024;
};

// Parses a file; includes are resolved relative to the file's directory.
Result<SettingsSection> parse_settings_file(const std::string& path, const SettingsLimits& limits = {});

// Parses text that claims to come from `file_name`; includes are resolved relative to
// `base_dir` (empty: the current directory).
Result<SettingsSection> parse_settings_text(std::string_view text, const std::string& file_name,
                                            const std::string& base_dir = {},
                                            const SettingsLimits& limits = {});

// Quotes a value for writing back into settings syntax when it needs quoting (spaces at the
// ends, '#', quotes, newlines, or empty); plain values are returned unchanged.
std::string quote_settings_value(std::string_view value);

}  // namespace portunus::config
