// The Portunus-specific children keys dummy_packets / dummy_packet_size (RFC 4303 2.6 dummy
// packets; strongSwan has no such keys): parsed, defaulted, rejected when malformed, dumped.
#include <gtest/gtest.h>

#include "portunus/config/swanctl.h"

namespace portunus::config {
namespace {

std::string child_with(const std::string& lines) {
  return "connections {\n  h {\n    children {\n      c {\n" + lines + "      }\n    }\n  }\n}\n";
}

TEST(DummyPacketsConfig, DefaultOff) {
  auto r = load_swanctl_text(child_with(""));
  ASSERT_TRUE(r) << r.error().message;
  const ChildConfig& ch = r->connections.at(0).children.at(0);
  EXPECT_EQ(ch.dummy_packets, 0u);
  EXPECT_EQ(ch.dummy_size_min, 32u);
  EXPECT_EQ(ch.dummy_size_max, 256u);
}

TEST(DummyPacketsConfig, IntervalAndSizeRange) {
  auto r = load_swanctl_text(child_with("        dummy_packets = 2m\n        dummy_packet_size = 100-300\n"));
  ASSERT_TRUE(r) << r.error().message;
  const ChildConfig& ch = r->connections.at(0).children.at(0);
  EXPECT_EQ(ch.dummy_packets, 120u);
  EXPECT_EQ(ch.dummy_size_min, 100u);
  EXPECT_EQ(ch.dummy_size_max, 300u);
  // Dumped and read back the same.
  auto again = load_swanctl_text(dump_swanctl(*r, true));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->connections.at(0).children.at(0), ch);
}

TEST(DummyPacketsConfig, SingleSize) {
  auto r = load_swanctl_text(child_with("        dummy_packets = 5\n        dummy_packet_size = 64\n"));
  ASSERT_TRUE(r) << r.error().message;
  const ChildConfig& ch = r->connections.at(0).children.at(0);
  EXPECT_EQ(ch.dummy_packets, 5u);
  EXPECT_EQ(ch.dummy_size_min, 64u);
  EXPECT_EQ(ch.dummy_size_max, 64u);
}

TEST(DummyPacketsConfig, MalformedRejected) {
  for (const char* bad : {"        dummy_packet_size = 300-100\n", "        dummy_packet_size = big\n",
                          "        dummy_packet_size = 10-5000\n", "        dummy_packets = soon\n"}) {
    auto r = load_swanctl_text(child_with(bad));
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("connections.h.children.c.dummy_packet"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace portunus::config
