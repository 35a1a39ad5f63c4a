#include "portunus/ike/ts_narrowing.h"

#include <gtest/gtest.h>

namespace portunus::ike {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TrafficSelector range(const char* a, const char* b, uint8_t proto = 0, uint16_t p0 = 0, uint16_t p1 = 65535) {
  TrafficSelector ts;
  ts.start_addr = ip(a);
  ts.end_addr = ip(b);
  ts.ip_protocol = proto;
  ts.start_port = p0;
  ts.end_port = p1;
  return ts;
}
TrafficSelector net(const char* a, unsigned prefix) { return prefix_selector(ip(a), prefix); }
using V = std::vector<TrafficSelector>;

TEST(TsNarrowing, IntersectRangesProtocolsPorts) {
  auto x = intersect(range("10.0.0.0", "10.0.0.255"), range("10.0.0.128", "10.0.1.10", 17, 500, 4500));
  ASSERT_TRUE(x);
  EXPECT_EQ(*x, range("10.0.0.128", "10.0.0.255", 17, 500, 4500));
  // Disjoint addresses, protocols, ports.
  EXPECT_FALSE(intersect(net("10.0.0.0", 24), net("10.0.1.0", 24)));
  EXPECT_FALSE(intersect(range("10.0.0.0", "10.0.0.255", 6), range("10.0.0.0", "10.0.0.255", 17)));
  EXPECT_FALSE(
      intersect(range("10.0.0.0", "10.0.0.255", 6, 1, 100), range("10.0.0.0", "10.0.0.255", 6, 101, 200)));
  // Touching at one address / port still intersects.
  auto t = intersect(range("10.0.0.0", "10.0.0.10", 6, 1, 100), range("10.0.0.10", "10.0.0.20", 0, 100, 200));
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, range("10.0.0.10", "10.0.0.10", 6, 100, 100));
  // Families never mix.
  EXPECT_FALSE(
      intersect(range("0.0.0.0", "255.255.255.255"), range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(TsNarrowing, Ipv6) {
  auto x = intersect(net("2001:db8::", 32), net("2001:db8:1::", 48));
  ASSERT_TRUE(x);
  EXPECT_EQ(x->start_addr, ip("2001:db8:1::"));
  EXPECT_EQ(x->end_addr, ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(is_subset(*x, net("2001:db8::", 32)));
  EXPECT_FALSE(is_subset(net("2001:db8::", 32), *x));
}

TEST(TsNarrowing, OpaquePorts) {
  TrafficSelector opaque = range("10.0.0.0", "10.0.0.255", 17, 65535, 0);
  EXPECT_TRUE(is_opaque_ports(opaque));
  EXPECT_TRUE(ts_valid(opaque));
  auto a = intersect(opaque, range("10.0.0.0", "10.0.0.255", 17));  // ANY contains OPAQUE
  ASSERT_TRUE(a);
  EXPECT_TRUE(is_opaque_ports(*a));
  EXPECT_FALSE(intersect(opaque, range("10.0.0.0", "10.0.0.255", 17, 53, 53)));
  EXPECT_TRUE(is_subset(opaque, range("10.0.0.0", "10.0.0.255")));
  EXPECT_FALSE(is_subset(range("10.0.0.0", "10.0.0.255"), opaque));
}

TEST(TsNarrowing, InvalidSelectorsNeverMatch) {
  TrafficSelector reversed = range("10.0.0.9", "10.0.0.1");
  TrafficSelector mixed = range("10.0.0.1", "::1");
  TrafficSelector ports = range("10.0.0.1", "10.0.0.2", 6, 200, 100);
  TrafficSelector all = range("0.0.0.0", "255.255.255.255");
  for (const auto& bad : {reversed, mixed, ports}) {
    EXPECT_FALSE(ts_valid(bad));
    EXPECT_FALSE(intersect(bad, all));
    EXPECT_FALSE(intersect(all, bad));
    EXPECT_FALSE(narrow(V{bad}, V{all}, V{all}, V{all}));
  }
}

TEST(TsNarrowing, ResponderNarrowsToItsPolicy) {
  // Initiator 10.1.0.0/16 <-> 10.2.0.0/16; responder allows 10.1.5.0/24 <-> 10.2.0.0/24.
  auto r =
      narrow(V{net("10.1.0.0", 16)}, V{net("10.2.0.0", 16)}, V{net("10.1.5.0", 24)}, V{net("10.2.0.0", 24)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tsi, V{net("10.1.5.0", 24)});
  EXPECT_EQ(r->tsr, V{net("10.2.0.0", 24)});
  EXPECT_TRUE(r->narrowed);
  // Exactly the policy: not narrowed.
  auto same =
      narrow(V{net("10.1.5.0", 24)}, V{net("10.2.0.0", 24)}, V{net("10.1.0.0", 16)}, V{net("10.2.0.0", 16)});
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->narrowed);
  EXPECT_EQ(same->tsi, V{net("10.1.5.0", 24)});
}

TEST(TsNarrowing, UnacceptableWhenEitherSideIsEmpty) {
  EXPECT_FALSE(
      narrow(V{net("10.1.0.0", 16)}, V{net("10.2.0.0", 16)}, V{net("10.9.0.0", 16)}, V{net("10.2.0.0", 16)}));
  EXPECT_FALSE(
      narrow(V{net("10.1.0.0", 16)}, V{net("10.2.0.0", 16)}, V{net("10.1.0.0", 16)}, V{net("10.8.0.0", 16)}));
  EXPECT_FALSE(narrow(V{}, V{net("10.2.0.0", 16)}, V{net("10.1.0.0", 16)}, V{net("10.2.0.0", 16)}));
  EXPECT_FALSE(narrow(V{net("10.1.0.0", 16)}, V{net("10.2.0.0", 16)}, V{}, V{net("10.2.0.0", 16)}));
}

TEST(TsNarrowing, SeveralSelectorsAndMixedFamilies) {
  V tsi = {net("10.1.0.0", 16), net("2001:db8:1::", 48)};
  V tsr = {net("10.2.0.0", 16), net("2001:db8:2::", 48)};
  // The responder only does IPv6.
  auto r = narrow(tsi, tsr, V{net("2001:db8::", 32)}, V{net("2001:db8::", 32)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tsi, V{net("2001:db8:1::", 48)});
  EXPECT_EQ(r->tsr, V{net("2001:db8:2::", 48)});
  EXPECT_TRUE(r->narrowed);
  // Two disjoint policy ranges both intersect the proposal: both come back, in order.
  auto s = narrow(V{net("10.0.0.0", 8)}, V{net("10.2.0.0", 16)}, V{net("10.5.0.0", 16), net("10.7.0.0", 16)},
                  V{net("0.0.0.0", 0)});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tsi, (V{net("10.5.0.0", 16), net("10.7.0.0", 16)}));
  EXPECT_EQ(s->tsr, V{net("10.2.0.0", 16)});
}

TEST(TsNarrowing, PacketTriggeredSelectorIsCoveredAndRedundancyDropped) {
  // RFC 7296 2.9: the first TSi/TSr describe the packet (UDP 10.1.5.7:5353 -> 10.2.0.9:53).
  V tsi = {range("10.1.5.7", "10.1.5.7", 17, 5353, 5353), net("10.1.0.0", 16)};
  V tsr = {range("10.2.0.9", "10.2.0.9", 17, 53, 53), net("10.2.0.0", 16)};
  auto r = narrow(tsi, tsr, V{net("10.1.5.0", 24)}, V{net("10.2.0.0", 24)});
  ASSERT_TRUE(r);
  // The widest acceptable range containing the packet, not just the packet.
  EXPECT_EQ(r->tsi, V{net("10.1.5.0", 24)});
  EXPECT_EQ(r->tsr, V{net("10.2.0.0", 24)});
  // When policy only allows that one flow, the packet selector survives.
  auto only =
      narrow(tsi, tsr, V{range("10.1.5.7", "10.1.5.7", 17)}, V{range("10.2.0.9", "10.2.0.9", 17, 53, 53)});
  ASSERT_TRUE(only);
  EXPECT_EQ(only->tsi, V{range("10.1.5.7", "10.1.5.7", 17)});
  EXPECT_EQ(only->tsr, V{range("10.2.0.9", "10.2.0.9", 17, 53, 53)});
}

TEST(TsNarrowing, SelectByTriggerPicksThePolicyCoveringThePacket) {
  V tsi = {range("10.1.7.7", "10.1.7.7"), net("10.1.0.0", 16)};
  V tsr = {range("10.2.0.9", "10.2.0.9"), net("10.2.0.0", 16)};
  std::vector<V> remote = {V{net("10.1.5.0", 24)}, V{net("10.1.7.0", 24)}};
  std::vector<V> local = {V{net("10.2.0.0", 16)}, V{net("10.2.0.0", 16)}};
  EXPECT_EQ(select_by_trigger(tsi, tsr, remote, local), 1u);
  // No packet selector matches: the first child that narrows at all.
  V tsi2 = {range("10.1.9.9", "10.1.9.9"), net("10.1.0.0", 16)};
  EXPECT_EQ(select_by_trigger(tsi2, tsr, remote, local), 0u);
  std::vector<V> nowhere = {V{net("192.168.0.0", 16)}};
  EXPECT_FALSE(select_by_trigger(tsi, tsr, nowhere, std::vector<V>{V{net("10.2.0.0", 16)}}));
}

TEST(TsNarrowing, DynamicResolvesToTheHostAddress) {
  std::vector<ConfiguredTs> conf = {
      {range("0.0.0.0", "0.0.0.0", 17, 500, 500), true},
      {range("::", "::"), true},
      {net("10.0.0.0", 8), false},
      {range("10.0.0.9", "10.0.0.1"), false},  // invalid, dropped
  };
  auto v4 = resolve_dynamic(conf, ip("192.0.2.1"));
  EXPECT_EQ(v4, (V{range("192.0.2.1", "192.0.2.1", 17, 500, 500), net("10.0.0.0", 8)}));
  auto v6 = resolve_dynamic(conf, ip("2001:db8::1"));
  EXPECT_EQ(v6, (V{host_selector(ip("2001:db8::1")), net("10.0.0.0", 8)}));
}

TEST(TsNarrowing, InitiatorChecksTheReply) {
  V proposed = {range("10.1.5.7", "10.1.5.7", 17, 5353, 5353), net("10.1.0.0", 16)};
  EXPECT_TRUE(reply_within(V{net("10.1.5.0", 24)}, proposed));
  EXPECT_TRUE(reply_within(V{range("10.1.5.7", "10.1.5.7", 17, 5353, 5353)}, proposed));
  EXPECT_FALSE(reply_within(V{net("10.0.0.0", 8)}, proposed));  // wider than proposed
  EXPECT_FALSE(reply_within(V{net("10.1.5.0", 24), net("10.3.0.0", 16)}, proposed));
  EXPECT_FALSE(reply_within(V{}, proposed));
  EXPECT_FALSE(reply_within(V{range("10.1.0.9", "10.1.0.1")}, proposed));  // hostile: reversed range
  // A narrowed answer from narrow() always passes.
  V tsr = {net("10.2.0.0", 16)};
  auto r = narrow(proposed, tsr, V{net("10.1.5.0", 24)}, V{net("10.2.0.0", 24)});
  ASSERT_TRUE(r);
  EXPECT_TRUE(reply_within(r->tsi, proposed));
  EXPECT_TRUE(reply_within(r->tsr, tsr));
}

// Property check over many pseudo-random selectors: narrowing results always lie inside
// both the proposal and the policy.
TEST(TsNarrowing, ResultsLieInsideProposalAndPolicy) {
  uint32_t state = 12345;
  auto next = [&]() {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  auto random_ts = [&]() {
    uint32_t a = 0x0a000000u | (next() & 0xffff), b = 0x0a000000u | (next() & 0xffff);
    if (b < a) std::swap(a, b);
    uint16_t p0 = static_cast<uint16_t>(next()), p1 = static_cast<uint16_t>(next());
    if (p1 < p0) std::swap(p0, p1);
    TrafficSelector ts;
    ts.start_addr = IpAddress::v4(a);
    ts.end_addr = IpAddress::v4(b);
    ts.ip_protocol = static_cast<uint8_t>((next() % 3 == 0) ? 0 : (next() % 2 ? 6 : 17));
    if (next() % 2) {
      ts.start_port = p0;
      ts.end_port = p1;
    }
    return ts;
  };
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    V tsi = {random_ts(), random_ts()}, tsr = {random_ts()};
    V pol_r = {random_ts()}, pol_l = {random_ts(), random_ts()};
    auto r = narrow(tsi, tsr, pol_r, pol_l);
    if (!r) continue;
    ++accepted;
    EXPECT_TRUE(reply_within(r->tsi, tsi));
    EXPECT_TRUE(reply_within(r->tsr, tsr));
    EXPECT_TRUE(reply_within(r->tsi, pol_r));
    EXPECT_TRUE(reply_within(r->tsr, pol_l));
  }
  EXPECT_GT(accepted, 10);
}

}  // namespace
}  // namespace portunus::ike
