#include "portunus/daemon/netlink.h"

#include <gtest/gtest.h>

namespace portunus::daemon {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

std::vector<std::string> prefixes(const char* a, const char* b) {
  std::vector<std::string> out;
  for (const auto& p : range_to_prefixes(ip(a), ip(b))) out.push_back(to_string(p));
  return out;
}

TEST(RangeToPrefixes, ExactPrefix) {
  EXPECT_EQ(prefixes("198.51.100.0", "198.51.100.255"), std::vector<std::string>{"198.51.100.0/24"});
  EXPECT_EQ(prefixes("0.0.0.0", "255.255.255.255"), std::vector<std::string>{"0.0.0.0/0"});
  EXPECT_EQ(prefixes("192.0.2.7", "192.0.2.7"), std::vector<std::string>{"192.0.2.7/32"});
}

TEST(RangeToPrefixes, UnalignedRangeSplits) {
  // 1..6 = 1/32, 2/31, 4/31, 6/32
  EXPECT_EQ(prefixes("192.0.2.1", "192.0.2.6"),
            (std::vector<std::string>{"192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6/32"}));
}

TEST(RangeToPrefixes, Ipv6AndTopOfSpace) {
  EXPECT_EQ(prefixes("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
            std::vector<std::string>{"2001:db8::/32"});
  EXPECT_EQ(prefixes("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), std::vector<std::string>{"::/0"});
  EXPECT_EQ(prefixes("255.255.255.254", "255.255.255.255"), std::vector<std::string>{"255.255.255.254/31"});
}

TEST(RangeToPrefixes, InvalidRangesGiveNothing) {
  EXPECT_TRUE(prefixes("192.0.2.9", "192.0.2.1").empty());
  EXPECT_TRUE(prefixes("192.0.2.1", "2001:db8::1").empty());
}

TEST(LocalAddress, LoopbackIsFoundOutsideRangeIsNot) {
  EXPECT_EQ(local_address_in(ip("127.0.0.0"), ip("127.255.255.255")), ip("127.0.0.1"));
  EXPECT_FALSE(local_address_in(ip("203.0.113.250"), ip("203.0.113.250")).has_value());
}

}  // namespace
}  // namespace portunus::daemon
