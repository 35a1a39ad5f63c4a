// Dummy packets at a rate (RFC 4303 2.6): Engine::dummies_due with an injected clock, the
// packets built by make_dummy, and their silent discard (DummyPacket counter) at the peer.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "fixture.h"

namespace portunus::ipsec::testing {
namespace {

// The caller's clock, advanced by the test (the ipsec layer never reads a clock itself).
struct FakeClock {
  Seconds now = 0;
};

PairSetup with_dummies(uint32_t interval, uint16_t min_len, uint16_t max_len) {
  PairSetup s;
  s.options.dummy_interval = interval;
  s.options.dummy_min_len = min_len;
  s.options.dummy_max_len = max_len;
  return s;
}

// Builds and "sends" (hands to b) every dummy packet due at clock.now; returns what was due.
std::vector<DummyDue> run_timer(Pair& pair, const FakeClock& clock) {
  std::vector<DummyDue> due = pair.a().dummies_due(clock.now);
  for (const DummyDue& d : due) {
    Bytes storage(4096);
    PacketBuffer pkt(storage, kRecommendedHeadroom, 0);
    OutboundResult r = pair.a().make_dummy(d.policy, pkt, d.payload_len, clock.now);
    EXPECT_EQ(r.verdict, Verdict::Protected) << name(r.reason);
    if (r.verdict != Verdict::Protected) continue;
    EXPECT_TRUE(r.outer_dst == gw_b(IpFamily::V4));
    Bytes wire(pkt.view().begin(), pkt.view().end());
    PacketBuffer in = PacketBuffer::copy_into(storage, kRecommendedHeadroom, wire);
    InboundResult ir = pair.b().inbound(in, clock.now);
    EXPECT_EQ(ir.verdict, Verdict::Discard);
    EXPECT_EQ(ir.reason, DiscardReason::DummyPacket);
  }
  return due;
}

TEST(DummyPackets, DueEveryIntervalOnceTheSaIsSeen) {
  Pair pair(with_dummies(10, 40, 40));
  FakeClock clock;
  std::vector<Seconds> due_at;
  for (; clock.now <= 35; ++clock.now) {
    for (const DummyDue& d : run_timer(pair, clock)) {
      EXPECT_EQ(d.policy, pair.policy_a());
      EXPECT_EQ(d.payload_len, 40u);
      due_at.push_back(clock.now);
    }
  }
  EXPECT_EQ(due_at, (std::vector<Seconds>{10, 20, 30}));
  // Received, authenticated, counted and dropped silently: nothing delivered.
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::DummyPacket), 3u);
  EXPECT_EQ(pair.b().stats().inbound_delivered, 0u);
  EXPECT_EQ(pair.a().stats().outbound_protected, 3u);
}

TEST(DummyPackets, LateTimerSendsOneNotABurst) {
  Pair pair(with_dummies(10, 40, 40));
  FakeClock clock;
  EXPECT_TRUE(run_timer(pair, clock).empty());  // t=0: scheduled for 10
  clock.now = 45;
  EXPECT_EQ(run_timer(pair, clock).size(), 1u);
  clock.now = 54;
  EXPECT_TRUE(run_timer(pair, clock).empty());
  clock.now = 55;
  EXPECT_EQ(run_timer(pair, clock).size(), 1u);
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::DummyPacket), 2u);
}

TEST(DummyPackets, NoneWithoutAnSaAndRestartWithTheNext) {
  Pair pair(with_dummies(5, 40, 40));
  FakeClock clock;
  EXPECT_TRUE(run_timer(pair, clock).empty());
  ASSERT_TRUE(pair.a().remove_sa(pair.sa_a()));
  for (clock.now = 1; clock.now <= 20; ++clock.now) EXPECT_TRUE(pair.a().dummies_due(clock.now).empty());
  EXPECT_EQ(pair.a().stats().outbound_protected, 0u);
  // A new outbound SA at t=20: the first dummy one interval later.
  clock.now = 20;
  ASSERT_TRUE(pair.a().install_sa(pair.params(Direction::Outbound), clock.now));
  EXPECT_TRUE(run_timer(pair, clock).empty());
  for (clock.now = 21; clock.now < 25; ++clock.now) EXPECT_TRUE(run_timer(pair, clock).empty());
  EXPECT_EQ(run_timer(pair, clock).size(), 1u);  // t=25
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::DummyPacket), 1u);
}

TEST(DummyPackets, NeverWithoutAnInterval) {
  Pair pair(with_dummies(0, 40, 40));
  for (Seconds t = 0; t < 100; ++t) EXPECT_TRUE(pair.a().dummies_due(t).empty());
}

TEST(DummyPackets, LengthsWithinTheRange) {
  Pair pair(with_dummies(1, 20, 30));
  FakeClock clock;
  std::set<size_t> lengths;
  for (; clock.now < 60; ++clock.now) {
    for (const DummyDue& d : run_timer(pair, clock)) {
      EXPECT_GE(d.payload_len, 20u);
      EXPECT_LE(d.payload_len, 30u);
      lengths.insert(d.payload_len);
    }
  }
  EXPECT_GT(lengths.size(), 3u);  // drawn, not fixed
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::DummyPacket), 59u);
}

}  // namespace
}  // namespace portunus::ipsec::testing
