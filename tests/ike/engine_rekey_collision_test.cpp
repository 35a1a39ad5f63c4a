// Rekey collisions on an engine pair (RFC 7296 2.8.1, 2.8.2, 2.25): both ends rekeying the
// IKE SA at once, one end finishing before it sees the other's rekey, deletes and Child SA
// rekeys overlapping an IKE SA rekey. Each ends with exactly one IKE SA per side holding
// every Child SA, and the data planes agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "engine_pair.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike::testing {
namespace {

using std::chrono::seconds;

// Default pair plus `extra` children (net2, net3, ...) with their own selectors.
PairConfig pair_with_children(int extra) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b})
    for (int i = 2; i < 2 + extra; ++i) {
      ChildConfig ch = c->connections[0].children[0];
      ch.name = "net" + std::to_string(i);
      const std::string mine = "10.1" + std::to_string(i) + ".0.0",
                        theirs = "10.2" + std::to_string(i) + ".0.0";
      const bool is_a = c == &pc.a;
      ch.local_ts = {cts((is_a ? mine : theirs).c_str(), 16)};
      ch.remote_ts = {cts((is_a ? theirs : mine).c_str(), 16)};
      c->connections[0].children.push_back(ch);
    }
  return pc;
}

struct Up {
  EnginePair p;
  IkeSaId a_id = 0, b_id = 0;
  size_t children = 1;
  Up(PairConfig pc, int extra, uint64_t seed) : p(std::move(pc), seed), children(1 + size_t(extra)) {
    EXPECT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
    p.run();
    for (int i = 2; i < 2 + extra; ++i)
      EXPECT_TRUE(p.a.engine.initiate("home", "net" + std::to_string(i), p.now).has_value());
    p.run();
    EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
    EXPECT_EQ(p.ia.active.size(), children);
    a_id = p.a.engine.status()[0].id;
    b_id = p.b.engine.status()[0].id;
  }
};

// Every Child SA of one side pairs with one of the other: mirrored SPIs and algorithms.
void expect_matched(const RecordingInstaller& a, const RecordingInstaller& b, size_t n) {
  ASSERT_EQ(a.active.size(), n);
  ASSERT_EQ(b.active.size(), n);
  for (const auto& [spi, pa] : a.active) {
    auto it = b.active.find(pa.spi_out);
    ASSERT_NE(it, b.active.end()) << "peer has no SA for our outbound SPI";
    EXPECT_EQ(it->second.spi_out, pa.spi_in);
    EXPECT_EQ(it->second.encr, pa.encr);
    EXPECT_TRUE(it->second.in.encr == pa.out.encr);
    EXPECT_TRUE(it->second.out.encr == pa.in.encr);
  }
}

// One IKE SA each, the same one (SPIs), not the original, holding `n` Child SAs whose inbound
// SPIs are exactly the ones in the data plane.
void expect_one_ike_sa(Up& u, const std::string& label) {
  ASSERT_EQ(u.p.a.engine.ike_sa_count(), 1u) << label;
  ASSERT_EQ(u.p.b.engine.ike_sa_count(), 1u) << label;
  const auto sa = u.p.a.engine.status()[0];
  const auto sb = u.p.b.engine.status()[0];
  EXPECT_EQ(sa.state, "established") << label;
  EXPECT_EQ(sb.state, "established") << label;
  EXPECT_NE(sa.id, u.a_id) << label;
  EXPECT_EQ(sa.spi_i, sb.spi_i) << label;
  EXPECT_EQ(sa.spi_r, sb.spi_r) << label;
  EXPECT_NE(sa.initiator, sb.initiator) << label;
  for (const auto& [st, inst] : {std::pair{sa, &u.p.ia}, std::pair{sb, &u.p.ib}}) {
    ASSERT_EQ(st.children.size(), u.children) << label;
    std::set<uint32_t> in_sa, in_dp;
    for (const auto& c : st.children) in_sa.insert(c.spi_in);
    for (const auto& [spi, p] : inst->active) in_dp.insert(spi);
    EXPECT_EQ(in_sa, in_dp) << label;
  }
  expect_matched(u.p.ia, u.p.ib, u.children);
}

// The SA works afterwards: a Child SA rekey over it from each side, and a liveness check.
void expect_usable(Up& u, const std::string& label) {
  if (u.p.a.engine.ike_sa_count() != 1 || u.p.b.engine.ike_sa_count() != 1) {
    ADD_FAILURE() << label << ": no single IKE SA to use";
    if (std::getenv("REKEY_TRACE"))
      for (const auto* s : {&u.p.a, &u.p.b})
        for (const auto& e : s->events)
          std::printf("%s %d [%llu] %s\n", s == &u.p.a ? "A" : "B", int(e.kind), (unsigned long long)e.ike_sa,
                      e.message.c_str());
    return;
  }
  for (bool from_a : {true, false}) {
    auto& e = from_a ? u.p.a.engine : u.p.b.engine;
    const auto st = e.status()[0];
    ASSERT_TRUE(e.rekey_child(st.id, st.children[0].spi_in, u.p.now).has_value()) << label;
    u.p.run();
    ASSERT_TRUE(e.send_dpd(st.id, u.p.now).has_value()) << label;
    u.p.run();
  }
  expect_one_ike_sa(u, label + " after use");
  EXPECT_EQ(u.p.a.engine.counters().rx_bad_icv + u.p.b.engine.counters().rx_bad_icv, 0u) << label;
}

int count_info(const EnginePair::Side& s, const std::string& needle) {
  int n = 0;
  for (const auto& e : s.events)
    n += e.kind == EventKind::Info && e.message.find(needle) != std::string::npos;
  return n;
}

// The exchange type and response flag of an IKE datagram (header octets 18 and 19).
bool is_request(const Datagram& d, wire::ExchangeType ex) {
  return d.bytes.size() >= 28 && d.bytes[18] == static_cast<uint8_t>(ex) && (d.bytes[19] & 0x20) == 0;
}

// RFC 7296 2.8.2: both ends rekey the IKE SA at the same instant. Both exchanges complete;
// the new SA made with the lowest nonce is deleted by its creator, the other one inherits
// every Child SA and the old SA goes. The seeds give both outcomes (Alice or Bob winning).
TEST(EngineIkeRekeyCollision, BothEndsAtOnceKeepOneSaWithAllChildren) {
  int a_won = 0, b_won = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const std::string label = "seed " + std::to_string(seed);
    Up u(pair_with_children(2), 2, seed);
    const size_t installs_a = u.p.ia.installed.size(), installs_b = u.p.ib.installed.size();
    ASSERT_TRUE(u.p.a.engine.rekey_ike(u.a_id, u.p.now).has_value());
    ASSERT_TRUE(u.p.b.engine.rekey_ike(u.b_id, u.p.now).has_value());
    u.p.run();
    // Settled by the Delete exchanges alone, without waiting for any expiry.
    expect_one_ike_sa(u, label);
    // Children moved, none re-created or lost on the way.
    EXPECT_TRUE(u.p.ia.deleted.empty()) << label;
    EXPECT_TRUE(u.p.ib.deleted.empty()) << label;
    EXPECT_EQ(u.p.ia.installed.size(), installs_a) << label;
    EXPECT_EQ(u.p.ib.installed.size(), installs_b) << label;
    // Exactly one end lost and deleted its redundant SA; the other won.
    const int lost_a = count_info(u.p.a, "collision lost"), lost_b = count_info(u.p.b, "collision lost");
    const int won_a = count_info(u.p.a, "collision won"), won_b = count_info(u.p.b, "collision won");
    EXPECT_EQ(lost_a + lost_b, 1) << label;
    EXPECT_EQ(won_a + won_b, 1) << label;
    EXPECT_EQ(lost_a, won_b) << label;
    a_won += won_a;
    b_won += won_b;
    // The winner made the surviving SA: it is that SA's original initiator.
    EXPECT_EQ(u.p.a.engine.status()[0].initiator, won_a == 1) << label;
    EXPECT_EQ(u.p.count_events(true, EventKind::IkeSaRekeyed), 1) << label;
    EXPECT_EQ(u.p.count_events(false, EventKind::IkeSaRekeyed), 1) << label;
    EXPECT_FALSE(u.p.has_event(true, EventKind::IkeSaDeleted)) << label;
    EXPECT_FALSE(u.p.has_event(false, EventKind::IkeSaDeleted)) << label;
    u.p.advance(seconds(600));
    expect_one_ike_sa(u, label + " later");
    expect_usable(u, label);
  }
  EXPECT_GT(a_won, 0);
  EXPECT_GT(b_won, 0);
}

// 2.8.2, only one end notices: Bob's request is lost, Alice's rekey completes first and she
// deletes the old SA. Bob, who answered Alice's rekey while his was out, forgets his own
// and moves the Child SAs to Alice's new SA when her Delete arrives.
TEST(EngineIkeRekeyCollision, PeerFinishesFirstAndDeletesTheOldSa) {
  Up u(pair_with_children(2), 2, 3);
  bool dropped = false;
  u.p.filter = [&](bool from_a, Datagram& d) {
    if (!from_a && !dropped && is_request(d, wire::ExchangeType::CreateChildSa)) return !(dropped = true);
    return true;
  };
  ASSERT_TRUE(u.p.a.engine.rekey_ike(u.a_id, u.p.now).has_value());
  ASSERT_TRUE(u.p.b.engine.rekey_ike(u.b_id, u.p.now).has_value());
  u.p.run();
  EXPECT_TRUE(dropped);
  expect_one_ike_sa(u, "after the Delete");
  EXPECT_TRUE(u.p.a.engine.status()[0].initiator);  // Alice's rekey made it
  EXPECT_TRUE(u.p.ia.deleted.empty());
  EXPECT_TRUE(u.p.ib.deleted.empty());
  u.p.advance(seconds(600));
  expect_one_ike_sa(u, "later");
  expect_usable(u, "peer first");
}

// 2.25.2: the same, but Bob's retransmitted request reaches Alice after her rekey finished
// and before Bob has her Delete: she answers TEMPORARY_FAILURE, which tells Bob her rekey
// won; her retransmitted Delete then removes the old SA.
TEST(EngineIkeRekeyCollision, TemporaryFailureFromAPeerThatFinishedFirst) {
  Up u(pair_with_children(1), 1, 5);
  int b_requests = 0, a_deletes = 0;
  u.p.filter = [&](bool from_a, Datagram& d) {
    if (!from_a && is_request(d, wire::ExchangeType::CreateChildSa)) return ++b_requests > 1;
    if (from_a && is_request(d, wire::ExchangeType::Informational)) return ++a_deletes > 2;
    return true;
  };
  ASSERT_TRUE(u.p.a.engine.rekey_ike(u.a_id, u.p.now).has_value());
  ASSERT_TRUE(u.p.b.engine.rekey_ike(u.b_id, u.p.now).has_value());
  u.p.run();
  // Bob's retransmission (4 s) gets there; Alice's Delete only at its second retransmission.
  u.p.advance(seconds(60));
  EXPECT_EQ(b_requests, 2);
  EXPECT_GE(a_deletes, 3);
  EXPECT_EQ(count_info(u.p.b, "peer's rekey completed first"), 1);
  expect_one_ike_sa(u, "temporary failure");
  EXPECT_TRUE(u.p.ia.deleted.empty());
  EXPECT_TRUE(u.p.ib.deleted.empty());
  expect_usable(u, "temporary failure");
}

// 2.25.2: a Delete of the IKE SA crossing its rekey wins: both ends end with nothing.
TEST(EngineIkeRekeyCollision, DeleteDuringIkeRekeyRemovesEverything) {
  for (bool a_deletes : {true, false}) {
    Up u(pair_with_children(2), 2, 7);
    ASSERT_TRUE(
        (a_deletes ? u.p.b.engine.rekey_ike(u.b_id, u.p.now) : u.p.a.engine.rekey_ike(u.a_id, u.p.now))
            .has_value());
    ASSERT_TRUE((a_deletes ? u.p.a.engine.terminate_ike(u.a_id, u.p.now)
                           : u.p.b.engine.terminate_ike(u.b_id, u.p.now))
                    .has_value());
    u.p.run();
    u.p.advance(seconds(600));
    EXPECT_EQ(u.p.a.engine.ike_sa_count(), 0u);
    EXPECT_EQ(u.p.b.engine.ike_sa_count(), 0u);
    EXPECT_TRUE(u.p.ia.active.empty());
    EXPECT_TRUE(u.p.ib.active.empty());
    EXPECT_FALSE(u.p.a.engine.next_wakeup().has_value());
    EXPECT_FALSE(u.p.b.engine.next_wakeup().has_value());
  }
}

// A Child SA Delete crossing an IKE SA rekey: the child is gone on both ends, the others
// moved to the new IKE SA.
TEST(EngineIkeRekeyCollision, ChildDeleteDuringIkeRekey) {
  for (bool a_rekeys : {true, false}) {
    Up u(pair_with_children(2), 2, 9);
    auto& rekeyer = a_rekeys ? u.p.a.engine : u.p.b.engine;
    auto& deleter = a_rekeys ? u.p.b.engine : u.p.a.engine;
    const auto st = deleter.status()[0];
    ASSERT_TRUE(rekeyer.rekey_ike(a_rekeys ? u.a_id : u.b_id, u.p.now).has_value());
    ASSERT_TRUE(deleter.terminate_child(st.id, st.children[1].spi_in, u.p.now).has_value());
    u.p.run();
    u.p.advance(seconds(600));
    u.children = 2;
    expect_one_ike_sa(u, a_rekeys ? "Alice rekeys" : "Bob rekeys");
    for (const auto* inst : {&u.p.ia, &u.p.ib}) EXPECT_EQ(inst->deleted.size(), 1u);
  }
}

// A Child SA rekey crossing an IKE SA rekey: the new Child SA lands on the new IKE SA on
// both ends and the old one is deleted; nothing is left behind on the old IKE SA.
TEST(EngineIkeRekeyCollision, ChildRekeyDuringIkeRekey) {
  for (bool a_rekeys_ike : {true, false})
    for (uint64_t seed : {11, 12}) {
      const std::string label = std::string(a_rekeys_ike ? "Alice" : "Bob") + " seed " + std::to_string(seed);
      Up u(pair_with_children(2), 2, seed);
      auto& ike = a_rekeys_ike ? u.p.a.engine : u.p.b.engine;
      auto& child = a_rekeys_ike ? u.p.b.engine : u.p.a.engine;
      const auto st = child.status()[0];
      const uint32_t old_spi = st.children[2].spi_in;
      ASSERT_TRUE(ike.rekey_ike(a_rekeys_ike ? u.a_id : u.b_id, u.p.now).has_value());
      ASSERT_TRUE(child.rekey_child(st.id, old_spi, u.p.now).has_value());
      u.p.run();
      u.p.advance(seconds(600));
      expect_one_ike_sa(u, label);
      const auto& inst = a_rekeys_ike ? u.p.ib : u.p.ia;
      EXPECT_EQ(inst.active.count(old_spi), 0u) << label;
      expect_usable(u, label);
    }
}

// Both ends rekey the IKE SA at once while one of them also has Child SA rekeys queued: the
// queued work follows the Child SAs to the surviving SA.
TEST(EngineIkeRekeyCollision, QueuedChildWorkFollowsTheSurvivor) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const std::string label = "seed " + std::to_string(seed);
    Up u(pair_with_children(2), 2, seed);
    ASSERT_TRUE(u.p.a.engine.rekey_ike(u.a_id, u.p.now).has_value());
    ASSERT_TRUE(u.p.b.engine.rekey_ike(u.b_id, u.p.now).has_value());
    const auto st = u.p.a.engine.status()[0];
    for (const auto& c : st.children)
      ASSERT_TRUE(u.p.a.engine.rekey_child(u.a_id, c.spi_in, u.p.now).has_value());
    u.p.run();
    u.p.advance(seconds(120));
    expect_one_ike_sa(u, label);
    EXPECT_EQ(u.p.count_events(true, EventKind::ChildSaRekeyed), 3) << label;
    for (const auto& c : st.children) EXPECT_EQ(u.p.ia.active.count(c.spi_in), 0u) << label;
  }
}

}  // namespace
}  // namespace portunus::ike::testing
