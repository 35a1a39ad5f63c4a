// IKE SA rekey collisions (RFC 7296 2.8.2, 2.25) over the simulated network, with several
// Child SAs, on perfect and hostile links: both ends rekeying the IKE SA at the same
// instant, and a Child SA Delete crossing an IKE SA rekey. Afterwards each end holds
// exactly one IKE SA, the same one, carrying every Child SA, and the data planes pair up.
#include "sim_configs.h"

namespace portunus::ike::sim {
namespace {

using namespace cfg;
using namespace std::chrono_literals;

std::vector<IkeSaStatus> established_sas(Node& n) {
  std::vector<IkeSaStatus> out;
  for (auto& s : n.engine->status())
    if (s.state == "established") out.push_back(std::move(s));
  return out;
}

ConfiguredTs net_of(const Topology& topo, bool alice, int i) {
  const std::string a =
      topo.v6 ? "2001:db8:a" + std::to_string(i) + "::" : "10.1" + std::to_string(i) + ".0.0";
  const std::string b =
      topo.v6 ? "2001:db8:b" + std::to_string(i) + "::" : "10.2" + std::to_string(i) + ".0.0";
  return {prefix_selector(ip((alice ? a : b).c_str()), topo.v6 ? 48u : 16u), false};
}

// Alice (node 0) and Bob (node 1) with `children` Child SAs: "net" and net2, net3, ...
struct Peers {
  Peers(uint64_t seed, const LinkProfile& profile, const Topology& topo, const Options& o, int children)
      : net(seed, profile), n(size_t(children)) {
    EngineConfig a = initiator_config(topo, o, topo.alice(), "alice@example.org");
    EngineConfig b = responder_config(topo, o);
    for (int i = 2; i <= children; ++i) {
      ChildConfig ca = a.connections[0].children[0], cb = b.connections[0].children[0];
      ca.name = cb.name = "net" + std::to_string(i);
      ca.local_ts = cb.remote_ts = {net_of(topo, true, i)};
      ca.remote_ts = cb.local_ts = {net_of(topo, false, i)};
      a.connections[0].children.push_back(ca);
      b.connections[0].children.push_back(cb);
    }
    net.add_node("alice", a, {topo.alice()}, seed * 2 + 1);
    net.add_node("bob", b, {topo.bob()}, seed * 2 + 2);
    if (const char* t = std::getenv("SIM_TRACE"); t && std::strtoull(t, nullptr, 10) == seed)
      net.trace = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
  }
  Node& alice() { return net.node(0); }
  Node& bob() { return net.node(1); }

  // Brings up the IKE SA and all Child SAs; false if the link did not let it finish.
  bool up() {
    for (size_t i = 0; i < n; ++i) {
      const std::string child = i == 0 ? "net" : "net" + std::to_string(i + 1);
      auto r = net.with(0, [&](Engine& e, Instant now) { return e.initiate("home", child, now); });
      if (!r) return false;
      if (!net.run_until(
              [&] {
                return alice().installer.active.size() == i + 1 && bob().installer.active.size() == i + 1;
              },
              30min))
        return false;
    }
    return established_sas(alice()).size() == 1 && established_sas(bob()).size() == 1;
  }

  // Exactly one IKE SA on each end, the same one and not `old_a`, holding all `children`
  // Child SAs, which are exactly the ones in the data plane and pair up.
  void expect_one_sa(IkeSaId old_a, size_t children, const std::string& label) {
    EXPECT_FALSE(net.stuck()) << label;
    ASSERT_EQ(alice().engine->ike_sa_count(), 1u) << label;
    ASSERT_EQ(bob().engine->ike_sa_count(), 1u) << label;
    auto sa = established_sas(alice()), sb = established_sas(bob());
    ASSERT_EQ(sa.size(), 1u) << label;
    ASSERT_EQ(sb.size(), 1u) << label;
    EXPECT_NE(sa[0].id, old_a) << label;
    EXPECT_EQ(sa[0].spi_i, sb[0].spi_i) << label;
    EXPECT_EQ(sa[0].spi_r, sb[0].spi_r) << label;
    for (auto* p : {&sa[0], &sb[0]}) {
      Node& node = p == &sa[0] ? alice() : bob();
      EXPECT_EQ(p->children.size(), children) << label << " " << node.name;
      EXPECT_EQ(node.installer.active.size(), children) << label << " " << node.name;
      for (const auto& c : p->children) EXPECT_EQ(node.installer.active.count(c.spi_in), 1u) << label;
      EXPECT_EQ(node.installer.duplicate_installs, 0u) << label;
    }
    EXPECT_EQ(check_child_sas_pair(alice(), bob()), "") << label;
  }

  SimNetwork net;
  size_t n;
};

size_t count_info(const Node& n, const std::string& needle) {
  size_t k = 0;
  for (const auto& e : n.events)
    k += e.kind == EventKind::Info && e.message.find(needle) != std::string::npos;
  return k;
}

// How the collisions went over a test's seeds, so a test can show it reached each path.
struct Outcomes {
  size_t both_noticed = 0;  // one end won, the other deleted its redundant SA
  size_t one_noticed = 0;   // the other end completed its rekey first
};

// Both ends rekey the IKE SA at the same instant (2.8.2).
void both_rekey_ike(uint64_t seed, const LinkProfile& profile, int children, Outcomes& out) {
  const std::string label = "seed " + std::to_string(seed);
  Options o;
  o.family = families()[seed % families().size()];
  o.tries = 12;
  o.half_open_timeout = 3min;
  Peers s(seed, profile, Topology{seed % 2 == 0}, o, children);
  ASSERT_TRUE(s.up()) << label;
  const IkeSaId old_a = established_sas(s.alice())[0].id;
  for (size_t i : {size_t{0}, size_t{1}}) {
    const IkeSaId id = established_sas(s.net.node(i))[0].id;
    ASSERT_TRUE(s.net.with(i, [&](Engine& e, Instant now) { return e.rekey_ike(id, now); })) << label;
  }
  s.net.run_for(10min);
  s.net.profile() = LinkProfile::perfect();
  s.net.run_for(30min);
  s.expect_one_sa(old_a, size_t(children), label);
  EXPECT_GE(s.alice().count_events(EventKind::IkeSaRekeyed), 1u) << label;
  EXPECT_GE(s.bob().count_events(EventKind::IkeSaRekeyed), 1u) << label;
  // No Child SA was lost and re-made on the way: each end deleted none.
  EXPECT_EQ(s.alice().installer.deletes, 0u) << label;
  EXPECT_EQ(s.bob().installer.deletes, 0u) << label;
  const size_t lost = count_info(s.alice(), "collision lost") + count_info(s.bob(), "collision lost");
  const size_t won = count_info(s.alice(), "collision won") + count_info(s.bob(), "collision won");
  EXPECT_EQ(lost, won) << label;
  out.both_noticed += lost;
  // Each end that noticed the collision answered the peer's rekey: both, or only one.
  out.one_noticed += count_info(s.alice(), "peer's rekey answered") +
                     count_info(s.bob(), "peer's rekey answered") - 2 * lost;
}

TEST(SimIkeRekeyCollision, BothEndsAtOnceWithSeveralChildren) {
  Outcomes o;
  for (uint64_t seed = 1; seed <= 12; ++seed) both_rekey_ike(seed, LinkProfile::perfect(), 3, o);
  EXPECT_EQ(o.both_noticed, 12u);  // on a perfect link both requests cross
}

TEST(SimIkeRekeyCollision, BothEndsAtOnceWithSeveralChildrenOnAHostileLink) {
  Outcomes o;
  for (uint64_t seed = 1; seed <= 30; ++seed) both_rekey_ike(seed, LinkProfile::hostile(), 3, o);
  std::printf("IKE rekey collisions on a hostile link: %zu noticed by both ends, %zu by one\n",
              o.both_noticed, o.one_noticed);
  EXPECT_GT(o.both_noticed, 0u);
  EXPECT_GT(o.one_noticed, 0u);
}

// A Child SA Delete from one end crossing the other end's IKE SA rekey, lossy link.
TEST(SimIkeRekeyCollision, ChildDeleteDuringIkeRekeyOnAHostileLink) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string label = "seed " + std::to_string(seed);
    Options o;
    o.tries = 12;
    o.half_open_timeout = 3min;
    Peers s(seed, LinkProfile::hostile(), Topology{seed % 2 == 0}, o, 3);
    ASSERT_TRUE(s.up()) << label;
    const size_t rekeyer = seed % 2, deleter = 1 - rekeyer;
    const IkeSaId old_a = established_sas(s.alice())[0].id;
    const auto st = established_sas(s.net.node(deleter))[0];
    const IkeSaId rid = established_sas(s.net.node(rekeyer))[0].id;
    ASSERT_TRUE(s.net.with(rekeyer, [&](Engine& e, Instant now) { return e.rekey_ike(rid, now); })) << label;
    ASSERT_TRUE(s.net.with(deleter, [&](Engine& e, Instant now) {
      return e.terminate_child(st.id, st.children[1].spi_in, now);
    })) << label;
    s.net.run_for(10min);
    s.net.profile() = LinkProfile::perfect();
    s.net.run_for(30min);
    s.expect_one_sa(old_a, 2, label);
  }
}

// A Child SA rekey from one end crossing the other end's IKE SA rekey, lossy link: the
// rekey of whichever exchange is refused (TEMPORARY_FAILURE) is retried, and every Child SA
// ends up once on the surviving IKE SA.
TEST(SimIkeRekeyCollision, ChildRekeyDuringIkeRekeyOnAHostileLink) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string label = "seed " + std::to_string(seed);
    Options o;
    o.tries = 12;
    o.half_open_timeout = 3min;
    Peers s(seed, LinkProfile::hostile(), Topology{seed % 2 == 0}, o, 3);
    ASSERT_TRUE(s.up()) << label;
    const size_t ike_end = seed % 2, child_end = 1 - ike_end;
    const IkeSaId old_a = established_sas(s.alice())[0].id;
    const auto st = established_sas(s.net.node(child_end))[0];
    const IkeSaId rid = established_sas(s.net.node(ike_end))[0].id;
    ASSERT_TRUE(s.net.with(ike_end, [&](Engine& e, Instant now) { return e.rekey_ike(rid, now); })) << label;
    ASSERT_TRUE(s.net.with(child_end, [&](Engine& e, Instant now) {
      return e.rekey_child(st.id, st.children[2].spi_in, now);
    })) << label;
    s.net.run_for(10min);
    s.net.profile() = LinkProfile::perfect();
    s.net.run_for(30min);
    s.expect_one_sa(old_a, 3, label);
    EXPECT_EQ(s.net.node(child_end).installer.active.count(st.children[2].spi_in), 0u) << label;
  }
}

// An IKE SA Delete from one end crossing the other end's IKE SA rekey, lossy link: the
// Delete wins (2.25.2) and nothing is left on either end.
TEST(SimIkeRekeyCollision, IkeDeleteDuringIkeRekeyOnAHostileLink) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string label = "seed " + std::to_string(seed);
    Options o;
    o.tries = 12;
    o.half_open_timeout = 3min;
    Peers s(seed, LinkProfile::hostile(), Topology{seed % 2 == 0}, o, 3);
    ASSERT_TRUE(s.up()) << label;
    const size_t rekeyer = seed % 2, deleter = 1 - rekeyer;
    const IkeSaId rid = established_sas(s.net.node(rekeyer))[0].id;
    const IkeSaId did = established_sas(s.net.node(deleter))[0].id;
    ASSERT_TRUE(s.net.with(rekeyer, [&](Engine& e, Instant now) { return e.rekey_ike(rid, now); })) << label;
    ASSERT_TRUE(s.net.with(deleter, [&](Engine& e, Instant now) { return e.terminate_ike(did, now); }))
        << label;
    s.net.run_for(10min);
    s.net.profile() = LinkProfile::perfect();
    s.net.run_for(30min);
    EXPECT_FALSE(s.net.stuck()) << label;
    EXPECT_EQ(s.alice().engine->ike_sa_count(), 0u) << label;
    EXPECT_EQ(s.bob().engine->ike_sa_count(), 0u) << label;
    EXPECT_TRUE(s.alice().installer.active.empty()) << label;
    EXPECT_TRUE(s.bob().installer.active.empty()) << label;
  }
}

}  // namespace
}  // namespace portunus::ike::sim
