#include "portunus/wire/ip_packet.h"

#include <gtest/gtest.h>

#include "packets.h"
#include "portunus/wire/esp_header.h"

namespace portunus::wire {
namespace {

using ipsec::testing::ip;
using ipsec::testing::make_packet;
using ipsec::testing::PacketSpec;

TEST(IpPacket, ParsesIpv4Udp) {
  PacketSpec s;
  s.sport = 5000;
  s.dport = 53;
  Bytes p = make_packet(s);
  p.push_back(0);  // link-layer padding beyond total length is tolerated
  auto r = parse_ip(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.info.family, IpFamily::V4);
  EXPECT_EQ(r.info.total_len, p.size() - 1);
  EXPECT_EQ(r.info.header_len, 20u);
  EXPECT_EQ(r.info.flow.protocol, ipproto::kUdp);
  EXPECT_EQ(r.info.flow.src_port, 5000);
  EXPECT_EQ(r.info.flow.dst_port, 53);
  EXPECT_EQ(r.info.flow.src_address(), ip("10.0.0.1"));
  EXPECT_EQ(r.info.flow.dst_address(), ip("10.0.1.1"));
  EXPECT_TRUE(ipv4_checksum_ok(BytesView(p).first(20)));
}

TEST(IpPacket, Ipv4IcmpTypeCodeAndFragments) {
  PacketSpec s;
  s.protocol = ipproto::kIcmp;
  s.sport = 8;
  s.dport = 0;
  Bytes p = make_packet(s);
  auto r = parse_ip(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.info.flow.src_port, 8);
  EXPECT_EQ(r.info.flow.dst_port, 0);
  // A non-initial fragment: ports are opaque.
  store_be16(p.data() + 6, 0x0010);
  r = parse_ip(p);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.info.is_fragment);
  EXPECT_TRUE(r.info.flow.ports_opaque);
}

TEST(IpPacket, RejectsMalformedIpv4) {
  Bytes p = make_packet({});
  EXPECT_FALSE(parse_ip(BytesView(p).first(19)).ok);
  Bytes bad = p;
  bad[0] = 0x44;  // IHL 4
  EXPECT_EQ(parse_ip(bad).error, IpParseError::BadHeader);
  bad = p;
  store_be16(bad.data() + 2, static_cast<uint16_t>(p.size() + 1));  // longer than the buffer
  EXPECT_EQ(parse_ip(bad).error, IpParseError::Truncated);
  bad = p;
  store_be16(bad.data() + 2, 22);  // UDP header cut short
  EXPECT_EQ(parse_ip(BytesView(bad).first(22)).error, IpParseError::BadUpperLayer);
  bad = p;
  bad[0] = 0x55;
  EXPECT_EQ(parse_ip(bad).error, IpParseError::BadVersion);
  EXPECT_FALSE(parse_ip({}).ok);
}

TEST(IpPacket, Ipv6ExtensionHeadersAndEspInsertionPoint) {
  PacketSpec s;
  s.src = ip("2001:db8::1");
  s.dst = ip("2001:db8::2");
  s.protocol = ipproto::kTcp;
  s.ext_headers = {ipproto::kHopByHop, ipproto::kDstOpts, ipproto::kRouting, ipproto::kDstOpts};
  Bytes p = make_packet(s);
  auto r = parse_ip(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.info.family, IpFamily::V6);
  EXPECT_EQ(r.info.header_len, 40u + 4 * 8);
  // ESP goes after hop-by-hop, the destination options before the routing header and the
  // routing header; the final destination options end up inside ESP.
  EXPECT_EQ(r.info.esp_insert_offset, 40u + 3 * 8);
  EXPECT_EQ(r.info.insert_next_header_offset, 40u + 2 * 8);  // the routing header's next header
  EXPECT_EQ(r.info.insert_next_header, ipproto::kDstOpts);
  EXPECT_EQ(r.info.upper_next_header_offset, 40u + 3 * 8);
  EXPECT_EQ(r.info.flow.protocol, ipproto::kTcp);
  EXPECT_EQ(r.info.flow.src_port, 1234);
}

TEST(IpPacket, Ipv6MobilityHeaderType) {
  PacketSpec s;
  s.src = ip("2001:db8::1");
  s.dst = ip("2001:db8::2");
  s.protocol = ipproto::kMobility;
  s.sport = 5;  // Binding Update
  auto r = parse_ip(make_packet(s));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.info.flow.protocol, ipproto::kMobility);
  EXPECT_EQ(r.info.flow.src_port, 5);
}

TEST(IpPacket, Ipv6HopByHopOnlyFirstAndChainBounded) {
  PacketSpec s;
  s.src = ip("2001:db8::1");
  s.dst = ip("2001:db8::2");
  s.ext_headers = {ipproto::kDstOpts, ipproto::kHopByHop};
  EXPECT_EQ(parse_ip(make_packet(s)).error, IpParseError::BadHeader);
  s.ext_headers.assign(20, ipproto::kDstOpts);
  EXPECT_EQ(parse_ip(make_packet(s)).error, IpParseError::BadHeader);
  s.ext_headers = {ipproto::kDstOpts};
  Bytes p = make_packet(s);
  p[41] = 200;  // extension header length beyond the packet
  EXPECT_EQ(parse_ip(p).error, IpParseError::Truncated);
}

TEST(IpPacket, EcnFieldBothFamilies) {
  PacketSpec s;
  s.tos = 0xb9;
  Bytes p4 = make_packet(s);
  EXPECT_EQ(ip_tos(p4), 0xb9);
  s.src = ip("2001:db8::1");
  s.dst = ip("2001:db8::2");
  Bytes p6 = make_packet(s);
  EXPECT_EQ(ip_tos(p6), 0xb9);
  ip_set_tos(p6, 0x03);
  EXPECT_EQ(ip_tos(p6), 0x03);
  EXPECT_EQ(p6[0] >> 4, 6);
}

TEST(EspHeader, UdpEncapClassification) {
  EXPECT_EQ(classify_udp_encap(Bytes{0xff}), UdpEncapKind::Keepalive);
  EXPECT_EQ(classify_udp_encap(Bytes{0, 0, 0, 0, 1, 2, 3}), UdpEncapKind::Ike);
  EXPECT_EQ(classify_udp_encap(Bytes{0, 0, 1, 0, 0, 0, 0, 1}), UdpEncapKind::Esp);
  EXPECT_EQ(classify_udp_encap(Bytes{0, 0, 1, 0, 0}), UdpEncapKind::Malformed);
  EXPECT_EQ(classify_udp_encap(Bytes{}), UdpEncapKind::Malformed);
}

// RFC 1071 3 worked example, then random inputs of every length parity and start sum against
// the plain 16-bit definition (the implementation adds 32-bit words).
TEST(Checksum, MatchesSixteenBitDefinition) {
  const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_add(0, BytesView(ex, sizeof ex)), 0xddf2u);
  EXPECT_EQ(checksum_fold(checksum_add(0, BytesView(ex, sizeof ex))), 0x220d);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t n = 0; n < 300; ++n) {
    Bytes b(n);
    for (auto& c : b) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      c = static_cast<uint8_t>(x >> 56);
    }
    if (n % 7 == 0) std::fill(b.begin(), b.end(), 0xff);  // carries everywhere
    auto start = static_cast<uint32_t>((x >> 20) & 0xffff);
    uint64_t ref = start;
    for (size_t i = 0; i < n; i += 2) ref += (uint32_t{b[i]} << 8) | (i + 1 < n ? b[i + 1] : 0u);
    while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
    EXPECT_EQ(checksum_add(start, b), ref) << "length " << n;
  }
}

}  // namespace
}  // namespace portunus::wire
