// Round trips through two engines for every transform x mode x address family (and NAT-T),
// checking the outer packet on the way.
#include <gtest/gtest.h>

#include <tuple>

#include "fixture.h"
#include "portunus/wire/esp_header.h"

namespace portunus::ipsec {
namespace {

using namespace testing;

struct Case {
  size_t transform;
  Mode mode;
  IpFamily inner;
  IpFamily outer;
  bool udp;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  std::string n = all_transforms()[c.transform].name;
  n += c.mode == Mode::Tunnel ? "_tunnel" : "_transport";
  n += c.inner == IpFamily::V4 ? "_v4" : "_v6";
  if (c.mode == Mode::Tunnel) n += c.outer == IpFamily::V4 ? "in4" : "in6";
  if (c.udp) n += "_natt";
  return n;
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (size_t t = 0; t < all_transforms().size(); ++t) {
    for (IpFamily in : {IpFamily::V4, IpFamily::V6}) {
      for (bool udp : {false, true}) {
        out.push_back({t, Mode::Transport, in, in, udp});
        for (IpFamily o : {IpFamily::V4, IpFamily::V6}) out.push_back({t, Mode::Tunnel, in, o, udp});
      }
    }
  }
  return out;
}

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, ProtectsAndRecoversEveryPacketSize) {
  const Case& c = GetParam();
  PairSetup s;
  s.transform = all_transforms()[c.transform];
  s.mode = c.mode;
  s.inner = c.inner;
  s.outer = c.outer;
  s.udp_encap = c.udp;
  Pair pair(s);
  for (size_t payload : {0, 1, 2, 3, 13, 64, 500, 1400}) {
    Bytes original = pair.spec_packet(payload, payload % 2 ? wire::ipproto::kTcp : wire::ipproto::kUdp);
    PacketBuffer pkt = pair.packet(original);
    OutboundResult out = pair.a().outbound(pkt, 1);
    ASSERT_EQ(out.verdict, Verdict::Protected) << name(out.reason);
    EXPECT_EQ(out.spi, kSpi);

    // The outer packet is well formed and goes where the SA says.
    auto outer = wire::parse_ip(pkt.view());
    ASSERT_TRUE(outer.ok);
    EXPECT_EQ(outer.info.total_len, pkt.size());
    IpFamily of = c.mode == Mode::Tunnel ? c.outer : c.inner;
    EXPECT_EQ(outer.info.family, of);
    if (of == IpFamily::V4) {
      EXPECT_TRUE(wire::ipv4_checksum_ok(pkt.view().first(20)));
    }
    EXPECT_EQ(out.outer_dst, c.mode == Mode::Tunnel ? gw_b(of) : host_b(of));
    EXPECT_EQ(outer.info.flow.dst_address(), out.outer_dst);
    if (c.udp) {
      EXPECT_EQ(outer.info.flow.protocol, wire::ipproto::kUdp);
      EXPECT_EQ(outer.info.flow.dst_port, 4500);
      EXPECT_EQ(out.udp_dst_port, 4500);
      EXPECT_EQ(out.esp_offset, outer.info.header_len + 8);
      if (of == IpFamily::V6) {
        EXPECT_TRUE(l4_checksum_ok(pkt.view()));
      }
    } else {
      EXPECT_EQ(outer.info.flow.protocol, wire::ipproto::kEsp);
      EXPECT_EQ(out.esp_offset, outer.info.header_len);
    }
    EXPECT_EQ(load_be32(pkt.data() + out.esp_offset), kSpi);
    // Payload is not visible in clear (except with ENCR_NULL / GMAC, which do not encrypt).
    bool clear =
        s.transform.encr == crypto::EncrId::Null || s.transform.encr == crypto::EncrId::NullAuthAesGmac;
    if (!clear && payload >= 64) {
      BytesView tail = BytesView(original).last(32);
      auto it = std::search(pkt.view().begin(), pkt.view().end(), tail.begin(), tail.end());
      EXPECT_EQ(it, pkt.view().end());
    }
    // ESP plaintext is 4-octet aligned (RFC 4303 2.4): the ICV starts on a 4-octet boundary.
    EXPECT_EQ((pkt.size() - out.esp_offset) % 4, 0u);

    InboundResult in = pair.b().inbound(pkt, 1);
    ASSERT_EQ(in.verdict, Verdict::Deliver) << name(in.reason);
    EXPECT_EQ(Bytes(pkt.view().begin(), pkt.view().end()), original);
    if (!c.udp || c.mode == Mode::Transport) {
      EXPECT_TRUE(l4_checksum_ok(pkt.view()));
    }
  }
  Sa* sa = pair.b().sad().get(pair.sa_b());
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->counters.packets, 8u);
  EXPECT_EQ(pair.a().sad().get(pair.sa_a())->seq, 8u);
}

INSTANTIATE_TEST_SUITE_P(Esp, RoundTrip, ::testing::ValuesIn(all_cases()), case_name);

TEST(RoundTripIpv6, TransportInsertsAfterRoutingHeaderAndRestoresChain) {
  PairSetup s;
  s.mode = Mode::Transport;
  s.inner = s.outer = IpFamily::V6;
  Pair pair(s);
  PacketSpec spec;
  spec.src = host_a(IpFamily::V6);
  spec.dst = host_b(IpFamily::V6);
  spec.protocol = wire::ipproto::kTcp;
  spec.ext_headers = {wire::ipproto::kHopByHop, wire::ipproto::kRouting, wire::ipproto::kDstOpts};
  Bytes original = make_packet(spec);
  PacketBuffer pkt = pair.packet(original);
  ASSERT_EQ(pair.a().outbound(pkt, 0).verdict, Verdict::Protected);
  // hop-by-hop and routing stay in front; the routing header now names ESP, and the
  // destination options travel inside ESP.
  EXPECT_EQ(pkt.data()[6], wire::ipproto::kHopByHop);
  EXPECT_EQ(pkt.data()[40], wire::ipproto::kRouting);
  EXPECT_EQ(pkt.data()[48], wire::ipproto::kEsp);
  EXPECT_EQ(load_be32(pkt.data() + 56), kSpi);
  auto in = pair.b().inbound(pkt, 0);
  ASSERT_EQ(in.verdict, Verdict::Deliver) << name(in.reason);
  EXPECT_EQ(Bytes(pkt.view().begin(), pkt.view().end()), original);
}

TEST(RoundTripNatT, TransportModeFixesChecksumAfterAddressRewrite) {
  PairSetup s;
  s.mode = Mode::Transport;
  s.udp_encap = true;
  s.transform = all_transforms()[3];
  Pair pair(s);
  Bytes original = pair.spec_packet(50, wire::ipproto::kTcp);
  PacketBuffer pkt = pair.packet(original);
  ASSERT_EQ(pair.a().outbound(pkt, 0).verdict, Verdict::Protected);
  // A NAT in front of b rewrites the destination to b's private address (and fixes only
  // the IPv4 header checksum; UDP checksum is zero).
  IpAddress priv = ip("10.0.1.9");
  std::memcpy(pkt.data() + 16, priv.data(), 4);
  wire::ipv4_set_checksum(pkt.span().first(20));
  // b's policy still covers 10.0.1.0/24, so the decrypted packet fits.
  auto in = pair.b().inbound(pkt, 0);
  ASSERT_EQ(in.verdict, Verdict::Deliver) << name(in.reason);
  EXPECT_TRUE(l4_checksum_ok(pkt.view()));
  EXPECT_EQ(wire::parse_ip(pkt.view()).info.flow.dst_address(), priv);
}

}  // namespace
}  // namespace portunus::ipsec
