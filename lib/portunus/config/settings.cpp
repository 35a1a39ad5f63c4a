#include "portunus/config/settings.h"

#include <glob.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace portunus::config {

const SettingsValue* SettingsSection::find_value(std::string_view key) const {
  for (const auto& v : values) {
    if (v.name == key) return &v;
  }
  return nullptr;
}

const SettingsSection* SettingsSection::find_section(std::string_view key) const {
  for (const auto& s : sections) {
    if (s.name == key) return &s;
  }
  return nullptr;
}

namespace {

// Characters strongswan.conf(5) forbids in section names and keys.
bool is_name_char(char c) {
  if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return std::strchr(".,:{}=\"#", c) == nullptr;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  return path.substr(0, slash == 0 ? 1 : slash);
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_bytes) return make_error(path + ": file too large");
  return text;
}

struct Source {
  std::string_view text;
  std::string file;
  std::string dir;
  size_t pos = 0;
  int line = 1;

  bool eof() const { return pos >= text.size(); }
  char peek() const { return eof() ? '\0' : text[pos]; }
  char get() {
    char c = text[pos++];
    if (c == '\n') ++line;
    return c;
  }
  void skip_blanks() {
    while (!eof() && (peek() == ' ' || peek() == '\t' || peek() == '\r')) get();
  }
  void skip_comment() {
    while (!eof() && peek() != '\n') get();
  }
  // Blanks, newlines and comments between statements.
  void skip_space() {
    while (!eof()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        get();
      } else if (c == '#') {
        skip_comment();
      } else {
        break;
      }
    }
  }
};

std::string join_path(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

class Parser {
 public:
  explicit Parser(const SettingsLimits& limits) : limits_(limits) {}

  Result<void> parse_source(Source& src, SettingsSection& section, const std::string& path, int include_depth,
                            int section_depth) {
    return parse_body(src, section, path, include_depth, section_depth, /*nesting_in_file=*/0, {});
  }

 private:
  Unexpected<Error> error_at(const Source& src, int line, const std::string& path,
                             const std::string& message) {
    std::string where = src.file + ":" + std::to_string(line) + ": ";
    if (!path.empty()) where += path + ": ";
    return make_error(where + message);
  }

  Result<void> parse_body(Source& src, SettingsSection& section, const std::string& path, int include_depth,
                          int section_depth, int nesting_in_file, Location opened_at) {
    for (;;) {
      src.skip_space();
      if (src.eof()) {
        if (nesting_in_file > 0) {
          return error_at(src, opened_at.line, path, "missing '}' closing the section opened here");
        }
        return {};
      }
      char c = src.peek();
      if (c == '}') {
        if (nesting_in_file == 0) return error_at(src, src.line, path, "unexpected '}'");
        src.get();
        return {};
      }
      int line = src.line;
      size_t start = src.pos;
      while (!src.eof() && is_name_char(src.peek())) src.get();
      std::string name(src.text.substr(start, src.pos - start));
      if (name.empty()) {
        return error_at(src, line, path, std::string("unexpected character '") + c + "'");
      }
      src.skip_blanks();
      char next = src.peek();
      if (name == "include" && next != '=' && next != '{') {
        auto r = parse_include(src, section, path, include_depth, section_depth, line);
        if (!r) return r;
        continue;
      }
      if (next == '=') {
        src.get();
        auto value = parse_value(src, path, name, line);
        if (!value) return Unexpected<Error>(value.error());
        set_value(section, name, std::move(*value), Location{src.file, line});
      } else if (next == '{') {
        src.get();
        if (section_depth + 1 > limits_.max_section_depth) {
          return error_at(src, line, path, "sections nested too deeply");
        }
        SettingsSection& child = find_or_add_section(section, name, Location{src.file, line});
        auto r = parse_body(src, child, join_path(path, name), include_depth, section_depth + 1,
                            nesting_in_file + 1, Location{src.file, line});
        if (!r) return r;
      } else if (next == ':') {
        return error_at(src, line, path,
                        "'" + name + "': section templates (name : base { }) are not supported");
      } else {
        return error_at(src, line, path, "expected '=' or '{' after '" + name + "'");
      }
    }
  }

  Result<std::string> parse_value(Source& src, const std::string& path, const std::string& key, int line) {
    src.skip_blanks();
    if (src.peek() == '"') {
      src.get();
      std::string out;
      for (;;) {
        if (src.eof()) return error_at(src, line, join_path(path, key), "unterminated quoted value");
        char c = src.get();
        if (c == '"') break;
        if (c == '\\') {
          if (src.eof()) return error_at(src, line, join_path(path, key), "unterminated quoted value");
          char e = src.get();
          switch (e) {
            case 'n':
              out += '\n';
              break;
            case 't':
              out += '\t';
              break;
            case 'r':
              out += '\r';
              break;
            case '\n':
              break;  // line continuation
            default:
              out += e;
              break;  // \" \\ and anything else stands for itself
          }
          continue;
        }
        out += c;
      }
      src.skip_blanks();
      if (src.peek() == '#') src.skip_comment();
      if (!src.eof() && src.peek() != '\n') {
        return error_at(src, src.line, join_path(path, key), "unexpected text after the quoted value");
      }
      return out;
    }
    size_t start = src.pos;
    while (!src.eof() && src.peek() != '\n' && src.peek() != '#') src.get();
    std::string_view v = src.text.substr(start, src.pos - start);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
    return std::string(v);
  }

  Result<void> parse_include(Source& src, SettingsSection& section, const std::string& path,
                             int include_depth, int section_depth, int line) {
    auto pattern = parse_value(src, path, "include", line);
    if (!pattern) return Unexpected<Error>(pattern.error());
    if (pattern->empty()) return error_at(src, line, path, "include without a file name");
    if (include_depth + 1 > limits_.max_include_depth) {
      return error_at(src, line, path, "includes nested too deeply (a loop?)");
    }
    std::string full = *pattern;
    if (full[0] != '/' && !src.dir.empty()) full = src.dir + "/" + full;
    bool is_glob = full.find_first_of("*?[") != std::string::npos;
    glob_t g{};
    // No GLOB_ERR: a missing directory in the pattern is just no match, as for an empty conf.d.
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);  // glob sorts them
    }
    globfree(&g);
    if (rc == GLOB_NOMATCH && is_glob) return {};  // an empty conf.d is fine, as in strongSwan
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return error_at(src, line, path, "include '" + *pattern + "': cannot read the directory");
    }
    if (files.empty()) return error_at(src, line, path, "include '" + *pattern + "': no such file");
    for (const auto& f : files) {
      auto text = read_file(f, limits_.max_file_bytes);
      if (!text) return error_at(src, line, path, "include: " + text.error().message);
      Source inner{*text, f, directory_of(f)};
      auto r = parse_body(inner, section, path, include_depth + 1, section_depth, 0, {});
      if (!r) return r;
    }
    return {};
  }

  static void set_value(SettingsSection& section, const std::string& name, std::string value,
                        Location where) {
    for (auto& v : section.values) {
      if (v.name == name) {
        v.value = std::move(value);  // a later definition overrides
        v.where = std::move(where);
        return;
      }
    }
    section.values.push_back(SettingsValue{name, std::move(value), std::move(where)});
  }

  static SettingsSection& find_or_add_section(SettingsSection& section, const std::string& name,
                                              Location where) {
    for (auto& s : section.sections) {
      if (s.name == name) return s;  // repeated sections merge
    }
    section.sections.push_back(SettingsSection{name, std::move(where), {}, {}});
    return section.sections.back();
  }

  SettingsLimits limits_;
};

}  // namespace

Result<SettingsSection> parse_settings_text(std::string_view text, const std::string& file_name,
                                            const std::string& base_dir, const SettingsLimits& limits) {
  SettingsSection root;
  root.where = Location{file_name, 1};
  Source src{text, file_name, base_dir};
  Parser parser(limits);
  auto r = parser.parse_source(src, root, {}, 0, 0);
  if (!r) return Unexpected<Error>(r.error());
  return root;
}

Result<SettingsSection> parse_settings_file(const std::string& path, const SettingsLimits& limits) {
  auto text = read_file(path, limits.max_file_bytes);
  if (!text) return Unexpected<Error>(text.error());
  return parse_settings_text(*text, path, directory_of(path), limits);
}

std::string quote_settings_value(std::string_view value) {
  bool needs = value.empty() || value.front() == ' ' || value.front() == '\t' || value.back() == ' ' ||
               value.back() == '\t' || value.front() == '"';
  for (char c : value) {
    if (c == '#' || c == '\n' || c == '\r' || c == '"' || c == '\\') needs = true;
  }
  if (!needs) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace portunus::config
