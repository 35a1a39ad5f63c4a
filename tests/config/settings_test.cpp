#include "portunus/config/settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace portunus::config {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("portunus-settings-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

TEST(Settings, SectionsKeysAndValues) {
  auto r = parse_settings_text(
      "a = b\n"
      "# comment\n"
      "outer {\n"
      "  key = value with spaces   # trailing comment\n"
      "  inner { x = 1 }\n"  // values run to the end of the line: the '}' belongs to the value
      "}\n"                  // so this closes inner
      "}\n",                 // and this closes outer
      "t.conf");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_NE(r->find_value("a"), nullptr);
  EXPECT_EQ(r->find_value("a")->value, "b");
  const auto* outer = r->find_section("outer");
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(outer->find_value("key")->value, "value with spaces");
  EXPECT_EQ(outer->find_value("key")->where.line, 4);
  const auto* inner = outer->find_section("inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->find_value("x")->value, "1 }");
}

TEST(Settings, QuotedValuesWithEscapesAndHashes) {
  auto r = parse_settings_text("k = \"a # not a comment \\\"q\\\" \\\\ \\n end\"  # comment\n", "t.conf");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->find_value("k")->value, "a # not a comment \"q\" \\ \n end");
}

TEST(Settings, QuotedValueSpansLines) {
  auto r = parse_settings_text("k = \"line1\nline2\"\nz = 2\n", "t.conf");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->find_value("k")->value, "line1\nline2");
  EXPECT_EQ(r->find_value("z")->where.line, 3);
}

TEST(Settings, RepeatedSectionsMergeAndLaterKeysOverride) {
  auto r = parse_settings_text(
      "s {\n  a = 1\n  b = 2\n  sub { x = 1\n  }\n}\n"
      "s {\n  a = 3\n  c = 4\n  sub {\n y = 2\n  }\n}\n",
      "t.conf");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->sections.size(), 1u);
  const auto& s = r->sections[0];
  ASSERT_EQ(s.values.size(), 3u);
  EXPECT_EQ(s.find_value("a")->value, "3");
  EXPECT_EQ(s.find_value("a")->where.line, 8);
  EXPECT_EQ(s.find_value("b")->value, "2");
  EXPECT_EQ(s.find_value("c")->value, "4");
  ASSERT_EQ(s.sections.size(), 1u);
  EXPECT_EQ(s.sections[0].values.size(), 2u);
}

TEST(Settings, EmptyValueIsAllowed) {
  auto r = parse_settings_text("k =\nj = \"\"\n", "t.conf");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->find_value("k")->value, "");
  EXPECT_EQ(r->find_value("j")->value, "");
}

struct BadInput {
  const char* text;
  const char* message;
};

class SettingsErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(SettingsErrors, NamesFileLineAndContext) {
  auto r = parse_settings_text(GetParam().text, "bad.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, SettingsErrors,
    ::testing::Values(
        BadInput{"a {\n  b = 1\n", "bad.conf:1: a: missing '}' closing the section opened here"},
        BadInput{"}\n", "bad.conf:1: unexpected '}'"}, BadInput{"a {\n}\n}\n", "bad.conf:3: unexpected '}'"},
        BadInput{"a {\n  key\n}\n", "bad.conf:2: a: expected '=' or '{' after 'key'"},
        BadInput{"a {\n  = 1\n}\n", "bad.conf:2: a: unexpected character '='"},
        BadInput{"x.y = 1\n", "bad.conf:1: expected '=' or '{' after 'x'"},
        BadInput{"k = \"open\n", "bad.conf:1: k: unterminated quoted value"},
        BadInput{"s {\n k = \"v\" junk\n}\n", "bad.conf:2: s.k: unexpected text after the quoted value"},
        BadInput{"conn : base {\n}\n",
                 "bad.conf:1: 'conn': section templates (name : base { }) are not supported"},
        BadInput{"include\n", "bad.conf:1: include without a file name"},
        BadInput{"include /nonexistent/portunus.conf\n",
                 "bad.conf:1: include '/nonexistent/portunus.conf': no such file"}));

TEST(Settings, NestingLimit) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "s {\n";
  auto r = parse_settings_text(deep, "deep.conf");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos) << r.error().message;
}

TEST(Settings, IncludeGlobRelativeToIncludingFileSortedAndMerged) {
  TempDir dir;
  dir.write("conf.d/20-b.conf", "top {\n  b = from-b\n  a = overridden\n}\n");
  dir.write("conf.d/10-a.conf", "top {\n  a = from-a\n}\n");
  dir.write("conf.d/ignored.txt", "this is not settings syntax {{{\n");
  std::string main = dir.write("main.conf", "# main\ninclude conf.d/*.conf\ntop {\n  c = main\n}\n");
  auto r = parse_settings_file(main);
  ASSERT_TRUE(r) << r.error().message;
  const auto* top = r->find_section("top");
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->find_value("a")->value, "overridden");  // 20-b after 10-a
  EXPECT_EQ(top->find_value("a")->where.file, dir.path() + "/conf.d/20-b.conf");
  EXPECT_EQ(top->find_value("a")->where.line, 3);
  EXPECT_EQ(top->find_value("b")->value, "from-b");
  EXPECT_EQ(top->find_value("c")->value, "main");
}

TEST(Settings, IncludeInsideSectionAndEmptyGlob) {
  TempDir dir;
  dir.write("sub/part.conf", "k = v\n");
  std::string main = dir.write("main.conf", "s {\n  include sub/part.conf\n  include none/*.conf\n}\n");
  auto r = parse_settings_file(main);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->find_section("s")->find_value("k")->value, "v");
}

TEST(Settings, ErrorInIncludedFileNamesThatFile) {
  TempDir dir;
  std::string inc = dir.write("inc.conf", "a = 1\nb\n");
  std::string main = dir.write("main.conf", "include inc.conf\n");
  auto r = parse_settings_file(main);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, inc + ":2: expected '=' or '{' after 'b'");
}

TEST(Settings, IncludeLoopIsStopped) {
  TempDir dir;
  std::string main = dir.write("loop.conf", "include loop.conf\n");
  auto r = parse_settings_file(main);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos) << r.error().message;
}

TEST(Settings, QuoteRoundTrip) {
  for (std::string v : {"plain", "", " lead", "a#b", "q\"uote", "back\\slash", "multi\nline"}) {
    auto r = parse_settings_text("k = " + quote_settings_value(v) + "\n", "q.conf");
    ASSERT_TRUE(r) << v << ": " << r.error().message;
    EXPECT_EQ(r->find_value("k")->value, v);
  }
  EXPECT_EQ(quote_settings_value("plain"), "plain");
}

}  // namespace
}  // namespace portunus::config
