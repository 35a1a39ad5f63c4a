// Mutated versions of the example files: every parser must either accept the input or return
// an error that says where ("file:line: ..."), never crash or hang. Deterministic (fixed seed),
// so a failure reproduces; run under ASan/UBSan (BUILD_TYPE=Asan) to catch memory errors.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "portunus/config/setkey.h"
#include "portunus/config/swanctl.h"

namespace portunus::config {
namespace {

std::string read(const std::string& rel) {
  std::ifstream in(std::string(PORTUNUS_SOURCE_DIR) + "/" + rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string mutate(const std::string& text, std::mt19937& rng) {
  std::string s = text;
  static const char kInteresting[] = "{}=#\"\\\n;[]/-,:.0x ";
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s.erase(pos, 1 + rng() % 8);
        break;
      case 1:
        s.insert(pos, 1, kInteresting[rng() % (sizeof kInteresting - 1)]);
        break;
      case 2:
        s[pos] = static_cast<char>(rng() & 0xff);
        break;
      case 3:
        s.insert(pos, s.substr(rng() % s.size(), rng() % 40));
        break;
    }
  }
  return s;
}

// "name:LINE: ..." with LINE a positive number.
bool located(const std::string& message, const std::string& file) {
  if (message.rfind(file + ":", 0) != 0) return false;
  size_t i = file.size() + 1, digits = 0;
  while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i]))) ++i, ++digits;
  return digits > 0 && i + 1 < message.size() && message[i] == ':' && message[i + 1] == ' ';
}

TEST(MalformedInput, MutatedSwanctlFilesFailWithALocation) {
  std::mt19937 rng(5);
  const std::string base = read("examples/config/demo-left.conf");
  ASSERT_FALSE(base.empty());
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = mutate(base, rng);
    auto r = load_swanctl_text(text, "m.conf");
    if (r) {
      ++accepted;
      // Whatever was accepted dumps to text that reads back the same.
      auto again = load_swanctl_text(dump_swanctl(*r, true), "dump.conf");
      ASSERT_TRUE(again) << again.error().message << "\n--- input:\n" << text;
      EXPECT_EQ(*again, *r) << text;
    } else {
      ++rejected;
      EXPECT_TRUE(located(r.error().message, "m.conf")) << r.error().message;
    }
  }
  // Both outcomes occur, or the mutations are not testing anything.
  EXPECT_GT(accepted, 50);
  EXPECT_GT(rejected, 500);
}

TEST(MalformedInput, MutatedSetkeyFilesFailWithALocation) {
  std::mt19937 rng(3);
  const std::string base = read("examples/config/mipv6-ha.setkey");
  ASSERT_FALSE(base.empty());
  setkey::ParseOptions legacy;
  legacy.allow_legacy_algorithms = true;
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    auto r = setkey::parse(mutate(base, rng), "m.setkey", legacy);
    if (r) {
      ++accepted;
    } else {
      ++rejected;
      EXPECT_TRUE(located(r.error().message, "m.setkey")) << r.error().message;
    }
  }
  EXPECT_GT(accepted, 50);
  EXPECT_GT(rejected, 500);
}

}  // namespace
}  // namespace portunus::config
