// Text forms the logs and status output rely on: IPv4/IPv6 addresses as inet_ntop writes
// them, hex as printf's %0*x.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "portunus/base/bytes.h"
#include "portunus/base/ip_address.h"

namespace portunus {
namespace {

std::string ntop(int af, const void* p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(af, p, buf, sizeof buf);
  return buf;
}

TEST(IpAddressText, Ipv4MatchesInetNtopForEveryOctetValue) {
  for (unsigned b = 0; b < 256; ++b) {
    const uint8_t raw[4] = {static_cast<uint8_t>(b), static_cast<uint8_t>(255 - b),
                            static_cast<uint8_t>(b / 3), 0};
    auto a = IpAddress::v4(load_be32(raw));
    EXPECT_EQ(a.to_string(), ntop(AF_INET, raw));
  }
}

TEST(IpAddressText, Ipv6StaysRfc5952) {
  EXPECT_EQ(IpAddress::parse("2001:db8:0:0:1:0:0:1")->to_string(), "2001:db8::1:0:0:1");
  EXPECT_EQ(IpAddress::parse("::")->to_string(), "::");
}

TEST(AppendHex, MatchesPrintf) {
  for (uint64_t v :
       {uint64_t{0}, uint64_t{0xa}, uint64_t{0xdeadbeef}, ~uint64_t{0}, uint64_t{0x0123456789abcdef}}) {
    for (unsigned digits : {1u, 8u, 16u, 20u}) {
      char want[32];
      std::snprintf(
          want, sizeof want, "%0*llx", static_cast<int>(digits),
          static_cast<unsigned long long>(digits >= 16 ? v : v & ((uint64_t{1} << (4 * digits)) - 1)));
      std::string got = "x";
      append_hex(got, v, digits);
      EXPECT_EQ(got, std::string("x") + want) << v << " " << digits;
    }
  }
}

}  // namespace
}  // namespace portunus
