// After the handshake: INFORMATIONAL (delete, liveness), CREATE_CHILD_SA (new children,
// PFS, Child SA and IKE SA rekeys, collisions, NO_ADDITIONAL_SAS), lifetimes, NAT-T,
// on-demand negotiation, the RFC 7815 minimal initiator and INITIAL_CONTACT.
#include <gtest/gtest.h>

#include "engine_pair.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike::testing {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using std::chrono::seconds;

void expect_matched(const RecordingInstaller& a, const RecordingInstaller& b, size_t n = 1) {
  ASSERT_EQ(a.active.size(), n);
  ASSERT_EQ(b.active.size(), n);
  for (const auto& [spi, pa] : a.active) {
    auto it = b.active.find(pa.spi_out);
    ASSERT_NE(it, b.active.end()) << "peer has no SA for our outbound SPI";
    EXPECT_EQ(it->second.spi_out, pa.spi_in);
    EXPECT_EQ(it->second.in.encr, pa.out.encr);
    EXPECT_EQ(it->second.out.encr, pa.in.encr);
    EXPECT_EQ(it->second.in.integ, pa.out.integ);
  }
}

struct Up {
  EnginePair p;
  IkeSaId a_id = 0, b_id = 0;
  explicit Up(PairConfig pc = default_pair(), uint64_t seed = 1) : p(std::move(pc), seed) {
    auto r = p.a.engine.initiate("home", "", p.now);
    EXPECT_TRUE(r.has_value());
    p.run();
    EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
    if (p.a.engine.ike_sa_count() == 1 && p.b.engine.ike_sa_count() == 1) {
      a_id = p.a.engine.status()[0].id;
      b_id = p.b.engine.status()[0].id;
    }
  }
  uint32_t a_child() const { return p.ia.active.begin()->first; }
  uint32_t b_child() const { return p.ib.active.begin()->first; }
};

TEST(EngineInformational, DeleteChildFromEitherSide) {
  for (bool from_a : {true, false}) {
    Up u;
    auto& eng = from_a ? u.p.a.engine : u.p.b.engine;
    ASSERT_TRUE(eng.terminate_child(from_a ? u.a_id : u.b_id, from_a ? u.a_child() : u.b_child(), u.p.now)
                    .has_value());
    u.p.run();
    EXPECT_TRUE(u.p.ia.active.empty());
    EXPECT_TRUE(u.p.ib.active.empty());
    EXPECT_TRUE(u.p.has_event(true, EventKind::ChildSaDeleted));
    EXPECT_TRUE(u.p.has_event(false, EventKind::ChildSaDeleted));
    EXPECT_EQ(u.p.a.engine.ike_sa_count(), 1u);
    EXPECT_EQ(u.p.b.engine.ike_sa_count(), 1u);
  }
}

TEST(EngineInformational, DeleteIkeSaFromEitherSide) {
  for (bool from_a : {true, false}) {
    Up u;
    auto& eng = from_a ? u.p.a.engine : u.p.b.engine;
    ASSERT_TRUE(eng.terminate_ike(from_a ? u.a_id : u.b_id, u.p.now).has_value());
    u.p.run();
    EXPECT_EQ(u.p.a.engine.ike_sa_count(), 0u);
    EXPECT_EQ(u.p.b.engine.ike_sa_count(), 0u);
    EXPECT_TRUE(u.p.ia.active.empty());
    EXPECT_TRUE(u.p.ib.active.empty());
    EXPECT_TRUE(u.p.has_event(!from_a, EventKind::IkeSaDeleted));
    EXPECT_FALSE(u.p.a.engine.next_wakeup().has_value());
    EXPECT_FALSE(u.p.b.engine.next_wakeup().has_value());
  }
}

TEST(EngineInformational, LivenessCheckAnsweredAndDeadPeerDetected) {
  Up u;
  ASSERT_TRUE(u.p.a.engine.send_dpd(u.a_id, u.p.now).has_value());
  u.p.run();
  EXPECT_FALSE(u.p.has_event(true, EventKind::PeerDead));
  // Bob vanishes.
  u.p.filter = [](bool from_a, Datagram&) { return !from_a; };
  ASSERT_TRUE(u.p.a.engine.send_dpd(u.a_id, u.p.now).has_value());
  u.p.advance(std::chrono::minutes(10));
  EXPECT_TRUE(u.p.has_event(true, EventKind::PeerDead));
  EXPECT_EQ(u.p.a.engine.ike_sa_count(), 0u);
  EXPECT_TRUE(u.p.ia.active.empty());
  EXPECT_EQ(u.p.a.engine.counters().tx_retransmits, 5u);
}

TEST(EngineInformational, DpdDelayTriggersChecksOnlyWhenIdle) {
  auto pc = default_pair();
  pc.a.connections[0].dpd_delay = seconds(30);
  Up u(pc);
  const size_t before = u.p.a.sent.size();
  u.p.advance(seconds(31));
  EXPECT_EQ(u.p.a.sent.size(), before + 1);  // one empty INFORMATIONAL
  EXPECT_EQ(u.p.a.engine.ike_sa_count(), 1u);
  u.p.filter = [](bool from_a, Datagram&) { return !from_a; };
  u.p.advance(std::chrono::minutes(10));
  EXPECT_TRUE(u.p.has_event(true, EventKind::PeerDead));
}

TEST(EngineCreateChild, AdditionalChildWithPfs) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b}) {
    ChildConfig second = c->connections[0].children[0];
    second.name = "net2";
    second.esp_proposals = {
        esp_proposal(EncrId::AesCbc, 256, IntegId::HmacSha2_256_128, KeGroup::Curve25519)};
    if (c == &pc.a) {
      second.local_ts = {cts("10.11.0.0", 16)};
      second.remote_ts = {cts("10.12.0.0", 16)};
    } else {
      second.local_ts = {cts("10.12.0.0", 16)};
      second.remote_ts = {cts("10.11.0.0", 16)};
    }
    c->connections[0].children.push_back(second);
  }
  Up u(pc);
  auto r = u.p.a.engine.initiate("home", "net2", u.p.now);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, u.a_id);  // rides on the existing IKE SA
  u.p.run();
  expect_matched(u.p.ia, u.p.ib, 2);
  bool found = false;
  for (const auto& [spi, sa] : u.p.ia.active)
    if (sa.child == "net2") {
      found = true;
      EXPECT_EQ(sa.reqid, 2u);
      EXPECT_EQ(sa.encr, EncrId::AesCbc);
      EXPECT_EQ(sa.local_ts[0].start_addr.to_string(), "10.11.0.0");
    }
  EXPECT_TRUE(found);
  bool pfs = false;
  // status() returns by value: keep it alive for the loop (a range-for over a member of a
  // temporary reads freed memory).
  const auto st = u.p.a.engine.status();
  for (const auto& c : st[0].children) pfs |= c.pfs_group == KeGroup::Curve25519;
  EXPECT_TRUE(pfs);
}

TEST(EngineCreateChild, NoAdditionalSasWhenConfigured) {
  auto pc = default_pair();
  pc.b.connections[0].no_additional_sas = true;
  Up u(pc);
  ASSERT_TRUE(u.p.a.engine.initiate("home", "net", u.p.now).has_value());
  u.p.run();
  EXPECT_TRUE(u.p.has_event(true, EventKind::ChildSaFailed));
  expect_matched(u.p.ia, u.p.ib, 1);
}

TEST(EngineCreateChild, ChildRekeyFromEitherSideIsMakeBeforeBreak) {
  for (bool from_a : {true, false}) {
    Up u;
    const uint32_t old_a = u.a_child();
    const auto old_keys = u.p.ia.active.begin()->second.out.encr;
    auto& eng = from_a ? u.p.a.engine : u.p.b.engine;
    ASSERT_TRUE(
        eng.rekey_child(from_a ? u.a_id : u.b_id, from_a ? u.a_child() : u.b_child(), u.p.now).has_value());
    u.p.run();
    expect_matched(u.p.ia, u.p.ib, 1);
    EXPECT_NE(u.a_child(), old_a);
    EXPECT_FALSE(u.p.ia.active.begin()->second.out.encr == old_keys);
    // The new SA was installed before the old one was removed, and said what it replaces.
    ASSERT_EQ(u.p.ia.installed.size(), 2u);
    EXPECT_EQ(u.p.ia.installed[1].replaces_spi_in, old_a);
    ASSERT_EQ(u.p.ia.deleted.size(), 1u);
    EXPECT_EQ(u.p.ia.deleted[0].spi_in, old_a);
    EXPECT_TRUE(u.p.has_event(true, EventKind::ChildSaRekeyed));
    EXPECT_TRUE(u.p.has_event(false, EventKind::ChildSaRekeyed));
  }
}

TEST(EngineCreateChild, ChildRekeyWithPfsUsesNewKeyExchange) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b})
    c->connections[0].children[0].esp_proposals = {
        esp_proposal(EncrId::AesGcm16, 256, IntegId::None, KeGroup::Ecp256)};
  Up u(pc);
  ASSERT_TRUE(u.p.a.engine.rekey_child(u.a_id, u.a_child(), u.p.now).has_value());
  u.p.run();
  expect_matched(u.p.ia, u.p.ib, 1);
  EXPECT_EQ(u.p.a.engine.status()[0].children[0].pfs_group, KeGroup::Ecp256);
}

TEST(EngineCreateChild, SimultaneousChildRekeyResolvedByNonces) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Up u(default_pair(), seed);
    ASSERT_TRUE(u.p.a.engine.rekey_child(u.a_id, u.a_child(), u.p.now).has_value());
    ASSERT_TRUE(u.p.b.engine.rekey_child(u.b_id, u.b_child(), u.p.now).has_value());
    u.p.run();
    u.p.advance(seconds(5));
    expect_matched(u.p.ia, u.p.ib, 1);
    EXPECT_EQ(u.p.ia.installed.size(), 3u) << "seed " << seed;  // original + one per exchange
    EXPECT_EQ(u.p.ia.deleted.size(), 2u) << "seed " << seed;    // old + the redundant one
  }
}

TEST(EngineCreateChild, IkeRekeyMovesChildrenFromEitherSide) {
  for (bool from_a : {true, false}) {
    Up u;
    const auto before = u.p.a.engine.status()[0];
    const uint32_t child = u.a_child();
    auto& eng = from_a ? u.p.a.engine : u.p.b.engine;
    ASSERT_TRUE(eng.rekey_ike(from_a ? u.a_id : u.b_id, u.p.now).has_value());
    u.p.run();
    ASSERT_EQ(u.p.a.engine.ike_sa_count(), 1u);
    ASSERT_EQ(u.p.b.engine.ike_sa_count(), 1u);
    const auto sa = u.p.a.engine.status()[0];
    const auto sb = u.p.b.engine.status()[0];
    EXPECT_NE(sa.spi_i, before.spi_i);
    EXPECT_EQ(sa.spi_i, sb.spi_i);
    EXPECT_EQ(sa.spi_r, sb.spi_r);
    EXPECT_EQ(sa.initiator, from_a);  // the rekey initiator is the new SA's initiator
    ASSERT_EQ(sa.children.size(), 1u);
    EXPECT_EQ(sa.children[0].spi_in, child);
    EXPECT_TRUE(u.p.ia.deleted.empty());
    EXPECT_TRUE(u.p.has_event(true, EventKind::IkeSaRekeyed));
    EXPECT_TRUE(u.p.has_event(false, EventKind::IkeSaRekeyed));
    // The new IKE SA works: a child rekey over it.
    ASSERT_TRUE(u.p.a.engine.rekey_child(sa.id, child, u.p.now).has_value());
    u.p.run();
    expect_matched(u.p.ia, u.p.ib, 1);
    EXPECT_EQ(u.p.a.engine.counters().rx_bad_icv + u.p.b.engine.counters().rx_bad_icv, 0u);
  }
}

TEST(EngineCreateChild, IkeRekeyWithSeveralChildrenMovesThemAll) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b})
    for (int i = 2; i <= 4; ++i) {
      ChildConfig extra = c->connections[0].children[0];
      extra.name = "net" + std::to_string(i);
      const std::string mine = "10.1" + std::to_string(i) + ".0.0",
                        theirs = "10.2" + std::to_string(i) + ".0.0";
      const bool is_a = c == &pc.a;
      extra.local_ts = {cts((is_a ? mine : theirs).c_str(), 16)};
      extra.remote_ts = {cts((is_a ? theirs : mine).c_str(), 16)};
      c->connections[0].children.push_back(extra);
    }
  Up u(pc);
  for (int i = 2; i <= 4; ++i)
    ASSERT_TRUE(u.p.a.engine.initiate("home", "net" + std::to_string(i), u.p.now).has_value());
  u.p.run();
  expect_matched(u.p.ia, u.p.ib, 4);
  ASSERT_TRUE(u.p.b.engine.rekey_ike(u.b_id, u.p.now).has_value());
  u.p.run();
  ASSERT_EQ(u.p.a.engine.ike_sa_count(), 1u);
  ASSERT_EQ(u.p.b.engine.ike_sa_count(), 1u);
  EXPECT_EQ(u.p.a.engine.status()[0].children.size(), 4u);
  EXPECT_EQ(u.p.b.engine.status()[0].children.size(), 4u);
  EXPECT_TRUE(u.p.ia.deleted.empty());
  // The moved children are managed by the new IKE SA: delete one of them through it.
  const auto st = u.p.a.engine.status()[0];
  ASSERT_TRUE(u.p.a.engine.terminate_child(st.id, st.children[2].spi_in, u.p.now).has_value());
  u.p.run();
  expect_matched(u.p.ia, u.p.ib, 3);
}

TEST(EngineCreateChild, SimultaneousIkeRekeyEndsWithOneSa) {
  Up u;
  ASSERT_TRUE(u.p.a.engine.rekey_ike(u.a_id, u.p.now).has_value());
  ASSERT_TRUE(u.p.b.engine.rekey_ike(u.b_id, u.p.now).has_value());
  u.p.run();
  u.p.advance(seconds(60));
  ASSERT_EQ(u.p.a.engine.ike_sa_count(), 1u);
  ASSERT_EQ(u.p.b.engine.ike_sa_count(), 1u);
  EXPECT_EQ(u.p.a.engine.status()[0].spi_i, u.p.b.engine.status()[0].spi_i);
  EXPECT_NE(u.p.a.engine.status()[0].id, u.a_id);
  expect_matched(u.p.ia, u.p.ib, 1);
}

TEST(EngineCreateChild, LifetimesDriveRekeysWithJitter) {
  auto pc = default_pair();
  for (auto* c : {&pc.a, &pc.b}) {
    c->connections[0].children[0].lifetimes = {seconds(100), seconds(200), seconds(20)};
    c->connections[0].ike_lifetimes = {seconds(300), Duration{0}, seconds(30)};
    c->connections[0].over_time = seconds(60);
  }
  Up u(pc);
  const auto rekey_at = u.p.a.engine.status()[0].children[0].rekey_at;
  ASSERT_TRUE(rekey_at.has_value());
  EXPECT_GT(*rekey_at, Instant{} + seconds(79));
  EXPECT_LE(*rekey_at, Instant{} + seconds(100));
  u.p.advance(seconds(1000));
  EXPECT_GE(
      u.p.count_events(true, EventKind::ChildSaRekeyed) + u.p.count_events(false, EventKind::ChildSaRekeyed),
      16);
  EXPECT_GE(u.p.count_events(true, EventKind::IkeSaRekeyed), 3);
  expect_matched(u.p.ia, u.p.ib, 1);
  EXPECT_EQ(u.p.a.engine.ike_sa_count(), 1u);
  EXPECT_EQ(u.p.b.engine.ike_sa_count(), 1u);
}

TEST(EngineCreateChild, DeleteDuringRekey) {
  Up u;
  ASSERT_TRUE(u.p.a.engine.rekey_child(u.a_id, u.a_child(), u.p.now).has_value());
  ASSERT_TRUE(u.p.b.engine.terminate_child(u.b_id, u.b_child(), u.p.now).has_value());
  u.p.run();
  u.p.advance(seconds(60));
  // Whatever survives is consistent on both ends, and nothing is left half-installed.
  EXPECT_EQ(u.p.ia.active.size(), u.p.ib.active.size());
  for (const auto& [spi, pa] : u.p.ia.active) EXPECT_TRUE(u.p.ib.active.count(pa.spi_out));
  EXPECT_EQ(u.p.a.engine.ike_sa_count(), 1u);
}

TEST(EngineNat, DetectsNatFloatsTo4500AndSendsKeepalives) {
  auto pc = default_pair();
  pc.a.connections[0].keepalive_interval = seconds(20);
  EnginePair p(pc);
  p.nat_a = true;
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_EQ(p.a.engine.ike_sa_count(), 1u);
  const auto sa = p.a.engine.status()[0];
  const auto sb = p.b.engine.status()[0];
  EXPECT_TRUE(sa.nat_local);
  EXPECT_TRUE(sb.nat_remote);
  EXPECT_EQ(sa.remote.port, 4500);
  EXPECT_EQ(sb.remote.addr.to_string(), "198.51.100.7");
  EXPECT_EQ(sb.remote.port, 5500);
  ASSERT_EQ(p.ia.active.size(), 1u);
  EXPECT_TRUE(p.ia.active.begin()->second.udp_encap);
  EXPECT_TRUE(p.ib.active.begin()->second.udp_encap);
  EXPECT_EQ(p.ib.active.begin()->second.remote.port, 5500);
  EXPECT_FALSE(p.a.sent[0].non_esp_marker);  // IKE_SA_INIT on 500
  EXPECT_TRUE(p.a.sent[1].non_esp_marker);   // IKE_AUTH on 4500
  EXPECT_EQ(p.a.sent[1].local.port, 4500);
  const size_t before = p.a.sent.size();
  p.advance(seconds(21));
  ASSERT_EQ(p.a.sent.size(), before + 1);
  EXPECT_EQ(p.a.sent.back().bytes, Bytes{0xff});
  EXPECT_FALSE(p.a.sent.back().non_esp_marker);
  // The NAT mapping changes: Bob follows the authenticated message to the new port.
  p.nat_public = *IpAddress::parse("198.51.100.8");
  ASSERT_TRUE(p.a.engine.send_dpd(sa.id, p.now).has_value());
  p.run();
  EXPECT_EQ(p.b.engine.status()[0].remote.addr.to_string(), "198.51.100.8");
  EXPECT_EQ(p.ib.active.begin()->second.remote.addr.to_string(), "198.51.100.8");
}

TEST(EngineNat, ForcedEncapsulation) {
  auto pc = default_pair();
  pc.a.connections[0].force_encap = true;
  EnginePair p(pc);
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.run();
  ASSERT_EQ(p.ia.active.size(), 1u);
  EXPECT_TRUE(p.ia.active.begin()->second.udp_encap);
  EXPECT_TRUE(p.ib.active.begin()->second.udp_encap);
  EXPECT_TRUE(p.b.engine.status()[0].nat_remote);
  EXPECT_EQ(p.ib.active.begin()->second.remote.port, 4500);
}

TEST(EngineNat, NoNatNoEncapsulation) {
  Up u;
  EXPECT_FALSE(u.p.ia.active.begin()->second.udp_encap);
  EXPECT_EQ(u.p.a.engine.status()[0].remote.port, 500);
}

TEST(EngineAcquire, TriggerPacketSelectorsGoFirstAndDuplicatesAreIgnored) {
  EnginePair p(default_pair());
  const uint32_t reqid = p.a.engine.reqid_of("home", "net");
  ASSERT_EQ(reqid, 1u);
  wire::TrafficSelector src{17, 5353, 5353, *IpAddress::parse("10.1.0.5"), *IpAddress::parse("10.1.0.5")};
  wire::TrafficSelector dst{17, 1234, 1234, *IpAddress::parse("10.2.0.9"), *IpAddress::parse("10.2.0.9")};
  auto r = p.a.engine.acquire(reqid, src, dst, p.now);
  ASSERT_TRUE(r.has_value());
  auto again = p.a.engine.acquire(reqid, src, dst, p.now);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *r);
  p.run();
  EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
  ASSERT_EQ(p.ia.active.size(), 1u);
  EXPECT_EQ(p.ia.active.begin()->second.remote_ts[0].start_addr.to_string(), "10.2.0.0");
  // IKE_AUTH carried the packet's selectors first.
  EXPECT_EQ(p.ib.active.begin()->second.remote_ts.size(), 1u);
  const size_t sent = p.a.sent.size();
  ASSERT_TRUE(p.a.engine.acquire(reqid, src, dst, p.now).has_value());
  p.run();
  EXPECT_EQ(p.a.sent.size(), sent);  // an SA exists: nothing to negotiate
  EXPECT_FALSE(p.a.engine.acquire(99, src, dst, p.now).has_value());
}

TEST(EngineMinimal, Rfc7815InitiatorAnswersButNeverAsks) {
  auto pc = default_pair();
  pc.a.connections[0].minimal_initiator = true;
  pc.a.connections[0].dpd_delay = seconds(10);
  Up u(pc);
  expect_matched(u.p.ia, u.p.ib, 1);
  // Bob asks for another child: NO_ADDITIONAL_SAS.
  ASSERT_TRUE(u.p.b.engine.initiate("rw", "net", u.p.now).has_value());
  u.p.run();
  EXPECT_TRUE(u.p.has_event(false, EventKind::ChildSaFailed));
  // Bob's liveness check is answered.
  ASSERT_TRUE(u.p.b.engine.send_dpd(u.b_id, u.p.now).has_value());
  u.p.run();
  const size_t sent = u.p.a.sent.size();
  // Alice herself sends no INFORMATIONAL or CREATE_CHILD_SA requests.
  u.p.advance(seconds(60));
  EXPECT_FALSE(u.p.a.engine.rekey_child(u.a_id, u.a_child(), u.p.now).has_value() &&
               u.p.a.engine.take_datagrams().size() > 0);
  EXPECT_EQ(u.p.a.sent.size(), sent);
  // Bob deletes: the minimal initiator goes along.
  ASSERT_TRUE(u.p.b.engine.terminate_ike(u.b_id, u.p.now).has_value());
  u.p.run();
  EXPECT_EQ(u.p.a.engine.ike_sa_count(), 0u);
  EXPECT_TRUE(u.p.ia.active.empty());
}

TEST(EngineAuth, InitialContactReplacesStaleSas) {
  auto pc = default_pair();
  Up u(pc);
  // Alice restarts (new engine, new keys) and connects again.
  auto r2 = crypto::make_deterministic_random(77);
  RecordingInstaller i2;
  Engine a2(pc.a, *r2, i2);
  ASSERT_TRUE(a2.initiate("home", "", u.p.now).has_value());
  for (int round = 0; round < 10; ++round) {
    auto out = a2.take_datagrams();
    auto back = u.p.b.engine.take_datagrams();
    for (auto& d : out) u.p.b.engine.receive({d.remote, d.local, d.bytes, false}, u.p.now);
    for (auto& d : back) a2.receive({d.remote, d.local, d.bytes, false}, u.p.now);
  }
  EXPECT_EQ(a2.ike_sa_count(), 1u);
  EXPECT_EQ(u.p.b.engine.ike_sa_count(), 1u);
  EXPECT_EQ(u.p.ib.active.size(), 1u);
  EXPECT_EQ(u.p.ib.active.begin()->second.spi_out, i2.active.begin()->second.spi_in);
}

TEST(EngineLossy, HandshakeAndRekeysSurviveADeterministicLossPattern) {
  auto pc = default_pair();
  EnginePair p(pc);
  int n = 0;
  p.filter = [&](bool, Datagram&) { return (++n % 3) != 0; };  // every third datagram lost
  ASSERT_TRUE(p.a.engine.initiate("home", "", p.now).has_value());
  p.advance(seconds(60));
  ASSERT_EQ(p.a.engine.ike_sa_count(), 1u);
  auto id = p.a.engine.status()[0].id;
  ASSERT_TRUE(p.a.engine.rekey_child(id, p.ia.active.begin()->first, p.now).has_value());
  p.advance(seconds(60));
  ASSERT_TRUE(p.a.engine.rekey_ike(id, p.now).has_value());
  p.advance(seconds(120));
  expect_matched(p.ia, p.ib, 1);
  EXPECT_EQ(p.a.engine.ike_sa_count(), 1u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 1u);
  EXPECT_GT(p.a.engine.counters().tx_retransmits + p.b.engine.counters().rx_retransmits, 0u);
}

}  // namespace
}  // namespace portunus::ike::testing
