// What happens around and after the handshake over the simulated network: NAT traversal,
// forced encapsulation, cookies, dead peers, and rekeying, on perfect and hostile links.
#include "sim_configs.h"

namespace portunus::ike::sim {
namespace {

using namespace cfg;
using namespace std::chrono_literals;

bool both_up(Handshake& r) { return r.established(r.alice()) && r.established(r.bob()); }

// The established IKE SAs of a node (status() also lists half-open ones).
std::vector<IkeSaStatus> established_sas(Node& n) {
  std::vector<IkeSaStatus> out;
  for (auto& s : n.engine->status())
    if (s.state == "established") out.push_back(std::move(s));
  return out;
}

// RFC 7296 2.23: Alice behind a NAT. Both notice, float to 4500 and encapsulate ESP in
// UDP; Bob must send to the NAT's public mapping of Alice's port 4500, not of 500.
TEST(SimNat, InitiatorBehindNatFloatsTo4500) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Topology topo{seed % 2 == 0};
    Options o;
    o.family = families()[seed % families().size()];
    o.tries = 12;
    o.half_open_timeout = 30min;
    const IpAddress nat_public = ip(topo.v6 ? "2001:db8:ffff::1" : "203.0.113.1");
    Handshake r(seed, seed == 1 ? LinkProfile::perfect() : LinkProfile::hostile(), topo, o);
    r.net.add_nat(0, nat_public);
    r.initiate();
    ASSERT_TRUE(r.net.run_until([&] { return both_up(r); }, 30min)) << seed;
    auto a = established_sas(r.alice());
    auto b = established_sas(r.bob());
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(a[0].nat_local) << seed;
    EXPECT_FALSE(a[0].nat_remote) << seed;
    EXPECT_TRUE(b[0].nat_remote) << seed;
    EXPECT_FALSE(b[0].nat_local) << seed;
    EXPECT_EQ(a[0].local.port, 4500);
    EXPECT_EQ(a[0].remote.port, 4500);
    EXPECT_EQ(b[0].remote.addr, nat_public);
    ASSERT_EQ(r.alice().installer.active.size(), 1u);
    ASSERT_EQ(r.bob().installer.active.size(), 1u);
    const ChildSaParams& sa_a = r.alice().installer.active.begin()->second;
    const ChildSaParams& sa_b = r.bob().installer.active.begin()->second;
    EXPECT_TRUE(sa_a.udp_encap && sa_b.udp_encap) << seed;
    EXPECT_EQ(sa_a.local.port, 4500);
    EXPECT_EQ(sa_a.remote.port, 4500);
    EXPECT_EQ(sa_b.remote.addr, nat_public);
    // The mapping of Alice's 4500 is the second one the NAT made (500 came first).
    EXPECT_EQ(sa_b.remote.port, 40001) << seed;
    EXPECT_EQ(check_child_sas_pair(r.alice(), r.bob()), "") << seed;
    // Keepalives and DPD keep it alive on a healed link; nothing goes wrong for minutes.
    r.net.profile() = LinkProfile::perfect();
    r.net.run_for(10min);
    EXPECT_EQ(r.alice().engine->ike_sa_count(), 1u) << seed;
    EXPECT_EQ(r.net.stats().unroutable, 0u) << seed;
  }
}

// swanctl encap = yes: a fake NAT_DETECTION_SOURCE_IP makes both ends encapsulate
// although there is no NAT.
TEST(SimNat, ForcedEncapsulationWithoutNat) {
  for (bool v6 : {false, true}) {
    Options o;
    o.initiator_force_encap = true;
    Handshake r(5, LinkProfile::perfect(), Topology{v6}, o);
    r.initiate();
    ASSERT_TRUE(r.net.run_until([&] { return both_up(r); }, 10s));
    ASSERT_EQ(r.bob().installer.active.size(), 1u);
    const ChildSaParams& sa_b = r.bob().installer.active.begin()->second;
    EXPECT_TRUE(sa_b.udp_encap);
    EXPECT_EQ(sa_b.remote.port, 4500);
    EXPECT_EQ(sa_b.remote.addr, Topology{v6}.alice());
    ASSERT_EQ(established_sas(r.bob()).size(), 1u);
    EXPECT_TRUE(established_sas(r.bob())[0].nat_remote);
    EXPECT_EQ(check_child_sas_pair(r.alice(), r.bob()), "");
  }
}

// RFC 7296 2.6: a responder under load demands cookies; the initiator repeats its
// request with the cookie and the handshake still completes, also on a hostile link.
TEST(SimCookies, HandshakeCompletesThroughCookieChallenge) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Options o;
    o.cookie_threshold = 0;  // every IKE_SA_INIT must carry a cookie
    o.tries = 12;
    o.half_open_timeout = 30min;
    Handshake r(seed, seed == 1 ? LinkProfile::perfect() : LinkProfile::hostile(), Topology{seed % 2 == 0},
                o);
    r.initiate();
    ASSERT_TRUE(r.net.run_until([&] { return both_up(r); }, 30min)) << seed;
    EXPECT_GE(r.bob().engine->counters().cookies_sent, 1u) << seed;
    EXPECT_EQ(r.bob().engine->counters().cookies_rejected, 0u) << seed;
    if (seed == 1) {
      EXPECT_EQ(r.net.stats().sent, 6u);  // one extra round trip
    }
    EXPECT_EQ(check_child_sas_pair(r.alice(), r.bob()), "") << seed;
  }
}

// A peer that disappears is found by the liveness check (DPD) and everything about it is
// removed on both sides: the IKE SA, its Child SAs in the data plane, all timers.
TEST(SimLiveness, DeadPeerIsDetectedAndCleanedUp) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Options o;
    o.dpd_delay = 20s;
    Handshake r(seed, LinkProfile::perfect(), Topology{seed % 2 == 0}, o);
    r.initiate();
    ASSERT_TRUE(r.net.run_until([&] { return both_up(r); }, 10s));
    r.net.filter = [](size_t, const Datagram&) { return false; };  // the cable is cut
    const Instant cut = r.net.now();
    ASSERT_TRUE(r.net.run_until(
        [&] { return r.alice().engine->ike_sa_count() == 0 && r.bob().engine->ike_sa_count() == 0; }, 30min))
        << seed;
    // Bounded: DPD delay plus the retransmission budget (4 s * 1.8^k, capped), not more.
    EXPECT_LT(r.net.now() - cut, 5min) << seed;
    EXPECT_TRUE(r.alice().has_event(EventKind::PeerDead) || r.alice().has_event(EventKind::IkeSaDeleted));
    EXPECT_TRUE(r.bob().has_event(EventKind::PeerDead) || r.bob().has_event(EventKind::IkeSaDeleted));
    EXPECT_TRUE(r.alice().installer.active.empty()) << seed;
    EXPECT_TRUE(r.bob().installer.active.empty()) << seed;
    EXPECT_EQ(r.alice().installer.unknown_deletes + r.bob().installer.unknown_deletes, 0u);
    // Nothing left to wake up for: no leaked timers.
    r.net.run_for(1min);
    EXPECT_FALSE(r.alice().engine->next_wakeup()) << seed;
    EXPECT_FALSE(r.bob().engine->next_wakeup()) << seed;
  }
}

// Bit errors on top of the hostile link: corrupted messages are dropped (bad ICV, bad
// lengths, wrong SPIs, unknown payloads) and the handshake recovers by retransmission,
// or fails cleanly; never a crash, a hang, a mismatched SA or a leak. IKE_SA_INIT is not
// integrity protected, so a flipped bit in a nonce or KE value is accepted there and only
// caught by AUTH in IKE_AUTH (RFC 7296 2.15 signs both IKE_SA_INIT messages): such runs
// fail, which is why far fewer complete than on a link that only loses packets.
TEST(SimCorruption, BitFlipsNeverYieldMismatchedSas) {
  uint64_t corrupted = 0, completed = 0, runs = 0;
  uint64_t dropped_by_engines = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Options o;
    o.family = families()[seed % families().size()];
    o.tries = 12;
    o.half_open_timeout = 3min;
    LinkProfile p = LinkProfile::hostile();
    p.loss = 0.1;
    p.corrupt = 0.3;
    Handshake r(seed, p, Topology{seed % 2 == 0}, o);
    r.initiate();
    r.net.run_until([&] { return both_up(r) || r.alice().has_event(EventKind::IkeSaFailed); }, 30min);
    ++runs;
    completed += both_up(r);
    corrupted += r.net.stats().corrupted;
    for (size_t i = 0; i < 2; ++i) {
      const auto& c = r.net.node(i).engine->counters();
      dropped_by_engines +=
          c.rx_malformed + c.rx_bad_icv + c.rx_unknown_spi + c.rx_unexpected + c.rx_out_of_window;
    }
    r.net.profile() = LinkProfile::perfect();
    r.net.run_for(10min);
    expect_consistent_end(r, "bit flips seed " + std::to_string(seed));
  }
  std::printf(
      "bit flips: %llu corrupted copies, %llu dropped by the engines, %llu of %llu handshakes completed\n",
      static_cast<unsigned long long>(corrupted), static_cast<unsigned long long>(dropped_by_engines),
      static_cast<unsigned long long>(completed), static_cast<unsigned long long>(runs));
  EXPECT_GT(corrupted, 50u);
  EXPECT_GE(completed * 2, runs);
}

uint32_t only_child_spi(Node& n) {
  auto st = established_sas(n);
  return st.size() == 1 && st[0].children.size() == 1 ? st[0].children[0].spi_in : 0;
}

// CREATE_CHILD_SA rekeys over a hostile link: afterwards each side holds exactly one
// Child SA, they pair up, and the old ones are gone from the data plane.
// `settle_child_delete`: start the IKE rekey only once the old Child SA is gone on both
// sides; otherwise the IKE rekey may overlap the Delete exchange of the child rekey.
void rekey_child_then_ike(uint64_t seed, bool settle_child_delete) {
  {
    Options o;
    o.family = families()[seed % families().size()];
    o.tries = 12;
    o.half_open_timeout = 3min;
    Handshake r(seed, LinkProfile::hostile(), Topology{seed % 2 == 0}, o);
    r.initiate();
    ASSERT_TRUE(r.net.run_until([&] { return both_up(r); }, 30min)) << seed;
    const uint32_t old_spi = only_child_spi(r.alice());
    ASSERT_NE(old_spi, 0u);
    const IkeSaId id = established_sas(r.alice())[0].id;
    // Bob rekeys the child on odd seeds, Alice on even ones.
    Node& who = seed % 2 ? r.bob() : r.alice();
    const size_t who_i = seed % 2 ? 1 : 0;
    const uint32_t who_spi = only_child_spi(who);
    const IkeSaId who_id = established_sas(who)[0].id;
    ASSERT_TRUE(r.net.with(who_i, [&](Engine& e, Instant now) {
      return e.rekey_child(who_id, who_spi, now);
    })) << seed;
    ASSERT_TRUE(r.net.run_until(
        [&] {
          return r.alice().has_event(EventKind::ChildSaRekeyed) &&
                 r.bob().has_event(EventKind::ChildSaRekeyed);
        },
        30min))
        << seed;
    if (settle_child_delete) {
      ASSERT_TRUE(r.net.run_until(
          [&] {
            return r.alice().has_event(EventKind::ChildSaDeleted) &&
                   r.bob().has_event(EventKind::ChildSaDeleted);
          },
          30min))
          << seed;
    }
    ASSERT_TRUE(r.net.with(0, [&](Engine& e, Instant now) { return e.rekey_ike(id, now); })) << seed;
    ASSERT_TRUE(r.net.run_until(
        [&] {
          return r.alice().has_event(EventKind::IkeSaRekeyed) && r.bob().has_event(EventKind::IkeSaRekeyed);
        },
        30min))
        << seed;
    r.net.profile() = LinkProfile::perfect();
    r.net.run_for(5min);
    EXPECT_EQ(r.alice().engine->ike_sa_count(), 1u) << seed;
    EXPECT_EQ(r.bob().engine->ike_sa_count(), 1u) << seed;
    EXPECT_EQ(r.alice().installer.active.size(), 1u) << seed;
    EXPECT_EQ(r.alice().installer.active.count(old_spi), 0u) << seed;
    EXPECT_EQ(check_child_sas_pair(r.alice(), r.bob()), "") << seed;
    if (std::getenv("SIM_TRACE"))
      for (size_t i = 0; i < 2; ++i)
        for (const auto& e : r.net.node(i).events)
          std::printf("%s event %d: %s\n", r.net.node(i).name.c_str(), int(e.kind), e.message.c_str());
    EXPECT_EQ(only_child_spi(r.alice()), r.alice().installer.active.begin()->first) << seed;
    EXPECT_FALSE(r.net.stuck());
  }
}

TEST(SimRekey, ChildThenIkeRekeyOnAHostileLink) {
  for (uint64_t seed = 1; seed <= 10; ++seed) rekey_child_then_ike(seed, true);
}

// The same without waiting: on seeds 5 and 7 Alice's IKE rekey request reaches Bob while
// Bob's Delete for the Child SA he just replaced is still unanswered. The Child SAs move
// to the new IKE SA and the Delete response then arrives on the old one: Bob must still
// remove his old Child SA from the data plane (it used to leak: Bob 2 Child SAs, Alice 1).
TEST(SimRekey, IkeRekeyOverlappingChildDeleteLeaksNothing) {
  for (uint64_t seed : {5, 7}) rekey_child_then_ike(seed, false);
}

// RFC 7296 2.8.1: both ends rekey the same Child SA at the same moment; the nonce rule
// picks one winner and the loser's redundant SA is deleted, leaving one pair.
void simultaneous_child_rekey(uint64_t seed, const LinkProfile& profile) {
  Options o;
  o.tries = 12;
  o.half_open_timeout = 3min;
  Handshake r(seed, profile, Topology{seed % 2 == 0}, o);
  r.initiate();
  ASSERT_TRUE(r.net.run_until([&] { return both_up(r); }, 30min)) << seed;
  for (size_t i : {size_t{0}, size_t{1}}) {
    Node& n = r.net.node(i);
    const uint32_t spi = only_child_spi(n);
    const IkeSaId id = established_sas(n)[0].id;
    ASSERT_TRUE(r.net.with(i, [&](Engine& e, Instant now) { return e.rekey_child(id, spi, now); })) << seed;
  }
  r.net.run_for(10min);
  r.net.profile() = LinkProfile::perfect();
  r.net.run_for(5min);
  EXPECT_EQ(r.alice().engine->ike_sa_count(), 1u) << seed;
  EXPECT_EQ(r.bob().engine->ike_sa_count(), 1u) << seed;
  EXPECT_EQ(r.alice().installer.active.size(), 1u) << seed;
  EXPECT_EQ(check_child_sas_pair(r.alice(), r.bob()), "") << seed;
  EXPECT_FALSE(r.net.stuck());
}

TEST(SimRekey, SimultaneousChildRekeyCollision) {
  for (uint64_t seed = 1; seed <= 20; ++seed) simultaneous_child_rekey(seed, LinkProfile::perfect());
}

// The same collision on the hostile link. Seeds 1, 26 and 28 used to keep the redundant
// pair: the winner's Delete of the old SA reached the loser before the loser's own
// response, and the loser forgot the collision with the old SA.
TEST(SimRekey, SimultaneousChildRekeyCollisionOnAHostileLink) {
  for (uint64_t seed = 1; seed <= 40; ++seed) simultaneous_child_rekey(seed, LinkProfile::hostile());
}

}  // namespace
}  // namespace portunus::ike::sim
