// RFC 7383 fragments over the simulated hostile link (30% loss, duplication, reordering):
// IKE_AUTH in both directions needs several SKF fragments; partial reassembly survives
// retransmissions, so handshakes still complete, and every run ends consistently.
#include <gtest/gtest.h>

#include "sim_configs.h"

namespace portunus::ike::sim {
namespace {

using namespace cfg;

// Alice's and Bob's configurations with `n` extra selectors each way (IKE_AUTH of ~2 kB
// each way) and a 576-octet fragment size.
void enlarge(EngineConfig& e, bool alice, int n, bool v6) {
  auto& child = e.connections[0].children[0];
  for (int i = 0; i < n; ++i) {
    char l[48], r[48];
    if (v6) {
      snprintf(l, sizeof l, "2001:db8:1a:%x::", i);
      snprintf(r, sizeof r, "2001:db8:2b:%x::", i);
    } else {
      snprintf(l, sizeof l, "10.11.%d.0", i);
      snprintf(r, sizeof r, "10.22.%d.0", i);
    }
    ConfiguredTs lt{prefix_selector(ip(l), v6 ? 64u : 24u), false};
    ConfiguredTs rt{prefix_selector(ip(r), v6 ? 64u : 24u), false};
    child.local_ts.push_back(alice ? lt : rt);
    child.remote_ts.push_back(alice ? rt : lt);
  }
  e.fragment_size = 576;
}

TEST(SimFragment, HostileLinkFragmentedHandshakesCompleteOrFailCleanly) {
  int runs = 0, completed = 0;
  uint64_t fragments = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    for (bool v6 : {false, true}) {
      const std::string label = "seed " + std::to_string(seed) + (v6 ? " v6" : " v4");
      const Topology topo{v6};
      Options o;
      o.family = families()[seed % families().size()];
      auto ac = initiator_config(topo, o, topo.alice(), "alice@example.org");
      auto bc = responder_config(topo, o);
      enlarge(ac, true, 60, v6);
      enlarge(bc, false, 60, v6);
      SimNetwork net(seed, LinkProfile::hostile());
      net.add_node("alice", ac, {topo.alice()}, seed * 2 + 1);
      net.add_node("bob", bc, {topo.bob()}, seed * 2 + 2);
      auto up = [&](Node& n) {
        return n.has_event(EventKind::ChildSaEstablished) && !n.installer.active.empty();
      };
      auto r = net.with(0, [](Engine& e, Instant now) { return e.initiate("home", "net", now); });
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_TRUE(net.run_until(
          [&] {
            return (up(net.node(0)) && up(net.node(1))) || net.node(0).has_event(EventKind::IkeSaFailed);
          },
          std::chrono::minutes(10)))
          << label;
      ++runs;
      const bool ok = up(net.node(0));
      completed += ok;
      fragments += net.node(0).engine->counters().tx_fragments + net.node(1).engine->counters().tx_fragments;
      net.profile() = LinkProfile::perfect();
      net.run_for(std::chrono::minutes(10));
      EXPECT_FALSE(net.stuck()) << label;
      EXPECT_EQ(net.node(0).engine->half_open_count(), 0u) << label;
      EXPECT_EQ(net.node(1).engine->half_open_count(), 0u) << label;
      EXPECT_EQ(net.node(0).engine->ike_sa_count(), net.node(1).engine->ike_sa_count()) << label;
      EXPECT_EQ(check_child_sas_pair(net.node(0), net.node(1)), "") << label;
      if (ok) {
        EXPECT_EQ(net.node(0).engine->ike_sa_count(), 1u) << label;
        // Both IKE_AUTH messages went out in fragments (at least 3 each).
        EXPECT_GE(net.node(0).engine->counters().tx_fragments, 3u) << label;
        EXPECT_GE(net.node(1).engine->counters().tx_fragments, 3u) << label;
      }
    }
  }
  // Fragments accumulate over retransmissions, so most runs get through 30% loss.
  EXPECT_GE(completed * 10, runs * 7) << completed << " of " << runs;
  std::printf("fragmented handshakes on the hostile link: %d of %d completed, %llu fragments sent\n",
              completed, runs, static_cast<unsigned long long>(fragments));
}

}  // namespace
}  // namespace portunus::ike::sim
