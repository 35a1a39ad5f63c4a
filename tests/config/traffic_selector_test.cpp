#include "portunus/config/traffic_selector.h"

#include <gtest/gtest.h>

namespace portunus::config {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TrafficSelectorSpec ok(const char* text) {
  auto r = parse_traffic_selector(text);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
  return r ? *r : TrafficSelectorSpec{};
}

TEST(TrafficSelector, Subnet) {
  auto t = ok("10.0.0.0/24");
  EXPECT_FALSE(t.dynamic);
  EXPECT_EQ(t.selector.start_addr, ip("10.0.0.0"));
  EXPECT_EQ(t.selector.end_addr, ip("10.0.0.255"));
  EXPECT_EQ(t.selector.ip_protocol, 0);
  EXPECT_EQ(t.selector.start_port, 0);
  EXPECT_EQ(t.selector.end_port, 65535);
  // Host bits are cleared, as strongSwan does.
  EXPECT_EQ(ok("10.0.0.77/24").selector, t.selector);
}

TEST(TrafficSelector, RangeSingleAndV6) {
  auto r = ok("192.0.2.1-192.0.2.9");
  EXPECT_EQ(r.selector.start_addr, ip("192.0.2.1"));
  EXPECT_EQ(r.selector.end_addr, ip("192.0.2.9"));
  auto h = ok("192.0.2.7");
  EXPECT_EQ(h.selector.start_addr, h.selector.end_addr);
  auto v6 = ok("2001:db8::/32");
  EXPECT_EQ(v6.selector.start_addr, ip("2001:db8::"));
  EXPECT_EQ(v6.selector.end_addr, ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(v6.selector.type(), wire::TsType::Ipv6AddrRange);
  auto all = ok("0.0.0.0/0[udp/1234]");
  EXPECT_EQ(all.selector.start_addr, ip("0.0.0.0"));
  EXPECT_EQ(all.selector.end_addr, ip("255.255.255.255"));
  EXPECT_EQ(all.selector.ip_protocol, 17);
  EXPECT_EQ(all.selector.start_port, 1234);
  EXPECT_EQ(all.selector.end_port, 1234);
}

TEST(TrafficSelector, DynamicAndProtocolPorts) {
  auto d = ok("dynamic");
  EXPECT_TRUE(d.dynamic);
  auto http = ok("[tcp/http]");
  EXPECT_TRUE(http.dynamic);
  EXPECT_EQ(http.selector.ip_protocol, 6);
  EXPECT_EQ(http.selector.start_port, 80);
  EXPECT_EQ(http.selector.end_port, 80);
  auto range = ok("dynamic[udp/1000-2000]");
  EXPECT_EQ(range.selector.start_port, 1000);
  EXPECT_EQ(range.selector.end_port, 2000);
  auto anyport = ok("10.1.0.0/16[tcp/%any]");
  EXPECT_EQ(anyport.selector.ip_protocol, 6);
  EXPECT_EQ(anyport.selector.end_port, 65535);
  auto numproto = ok("10.1.0.0/16[47]");
  EXPECT_EQ(numproto.selector.ip_protocol, 47);
}

TEST(TrafficSelector, IcmpTypeAndCodeInPorts) {
  auto echo = ok("[icmp/8]");
  EXPECT_EQ(echo.selector.ip_protocol, 1);
  EXPECT_EQ(echo.selector.start_port, 0x0800);
  EXPECT_EQ(echo.selector.end_port, 0x08ff);
  auto exact = ok("2001:db8::/32[ipv6-icmp/0x8700]");  // type 135 (NS), code 0
  EXPECT_EQ(exact.selector.ip_protocol, 58);
  EXPECT_EQ(exact.selector.start_port, 0x8700);
  EXPECT_EQ(exact.selector.end_port, 0x8700);
  auto mh = ok("2001:db8::1[mh/5]");  // Mobility Header, Binding Update
  EXPECT_EQ(mh.selector.ip_protocol, 135);
  EXPECT_EQ(mh.selector.start_port, 0x0500);
}

TEST(TrafficSelector, List) {
  auto r = parse_traffic_selectors("10.0.0.0/24, 2001:db8::/32[tcp/22] ,dynamic");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[2].dynamic);
  EXPECT_EQ((*r)[1].selector.start_port, 22);
}

TEST(TrafficSelector, Errors) {
  const std::pair<const char*, const char*> bad[] = {
      {"10.0.0.0/33", "traffic selector '10.0.0.0/33': invalid prefix length '33'"},
      {"10.0.0.0/", "traffic selector '10.0.0.0/': invalid prefix length ''"},
      {"10.0.0.300", "traffic selector '10.0.0.300': invalid address '10.0.0.300'"},
      {"192.0.2.9-192.0.2.1", "traffic selector '192.0.2.9-192.0.2.1': range end is below its start"},
      {"192.0.2.1-2001:db8::1", "traffic selector '192.0.2.1-2001:db8::1': range mixes IPv4 and IPv6"},
      {"10.0.0.0/8[tcp/80", "traffic selector '10.0.0.0/8[tcp/80': missing ']'"},
      {"10.0.0.0/8[foo/80]", "traffic selector '10.0.0.0/8[foo/80]': unknown protocol 'foo'"},
      {"10.0.0.0/8[tcp/nosuch]", "traffic selector '10.0.0.0/8[tcp/nosuch]': invalid port 'nosuch'"},
      {"10.0.0.0/8[tcp/90-80]", "traffic selector '10.0.0.0/8[tcp/90-80]': port range '90-80' is reversed"},
      {"10.0.0.0/8[tcp/70000]", "traffic selector '10.0.0.0/8[tcp/70000]': invalid port '70000'"},
      {"10.0.0.0/8[%any/80]", "traffic selector '10.0.0.0/8[%any/80]': a port needs a protocol ('%any/80')"},
      {"10.0.0.0/8[gre/80]", "traffic selector '10.0.0.0/8[gre/80]': protocol 47 has no ports"},
      {"10.0.0.0/8[tcp/%opaque]",
       "traffic selector '10.0.0.0/8[tcp/%opaque]': OPAQUE ports (%opaque) are not supported"},
      {"10.0.0.0/8[icmp/x]", "traffic selector '10.0.0.0/8[icmp/x]': invalid message type 'x'"},
  };
  for (const auto& [text, message] : bad) {
    auto r = parse_traffic_selector(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message, message);
  }
  EXPECT_FALSE(parse_traffic_selectors("10.0.0.0/8,,10.1.0.0/16"));
}

TEST(TrafficSelector, ToStringRoundTrips) {
  for (const char* text : {"10.0.0.0/24", "192.0.2.1-192.0.2.9", "dynamic", "0.0.0.0/0[udp/1234]",
                           "dynamic[tcp/80]", "2001:db8::/32", "[icmp/8]", "192.0.2.7",
                           "10.0.0.0/8[tcp/1000-2000]", "::/0[ipv6-mh/5]", "10.0.0.0/8[gre]"}) {
    auto a = ok(text);
    auto b = ok(traffic_selector_to_string(a).c_str());
    EXPECT_EQ(a, b) << text << " -> " << traffic_selector_to_string(a);
  }
  EXPECT_EQ(traffic_selector_to_string(ok("10.0.0.0/24[udp/1234]")), "10.0.0.0/24[udp/1234]");
  EXPECT_EQ(traffic_selector_to_string(ok("192.0.2.7")), "192.0.2.7/32");
  EXPECT_EQ(traffic_selector_to_string(ok("[icmp/8]")), "dynamic[icmp/8]");
}

}  // namespace
}  // namespace portunus::config
