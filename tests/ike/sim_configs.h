#pragma once
// Configurations and helpers shared by the simulated-network tests: proposal families,
// an Alice/Bob(/Carol) topology over IPv4 or IPv6, PSK connections with one child each,
// and the end-state check every run must pass.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "portunus/ike/ts_narrowing.h"
#include "sim_network.h"

namespace portunus::ike::sim::cfg {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using crypto::TransformType;
using wire::Proposal;
using wire::ProtocolId;
using wire::Transform;

inline Transform t(TransformType type, uint16_t id, uint16_t bits = 0) { return {type, id, bits}; }

inline Proposal ike(EncrId e, uint16_t bits, PrfId prf, IntegId integ, std::vector<KeGroup> groups) {
  Proposal p;
  p.protocol = ProtocolId::Ike;
  p.transforms.push_back(t(TransformType::Encr, uint16_t(e), bits));
  p.transforms.push_back(t(TransformType::Prf, uint16_t(prf)));
  if (integ != IntegId::None) p.transforms.push_back(t(TransformType::Integ, uint16_t(integ)));
  for (KeGroup g : groups) p.transforms.push_back(t(TransformType::Ke, uint16_t(g)));
  return p;
}

inline Proposal esp(EncrId e, uint16_t bits, IntegId integ, bool esn = false) {
  Proposal p;
  p.protocol = ProtocolId::Esp;
  p.transforms.push_back(t(TransformType::Encr, uint16_t(e), bits));
  if (integ != IntegId::None) p.transforms.push_back(t(TransformType::Integ, uint16_t(integ)));
  p.transforms.push_back(t(TransformType::Esn, esn ? 1 : 0));
  return p;
}

struct Family {
  const char* name;
  Proposal ike;
  Proposal esp;
};

// The families of the benchmark list plus the classic cipher+MAC ones.
inline std::vector<Family> families() {
  return {
      {"aes128gcm16-prfsha256-x25519",
       ike(EncrId::AesGcm16, 128, PrfId::HmacSha2_256, IntegId::None, {KeGroup::Curve25519}),
       esp(EncrId::AesGcm16, 128, IntegId::None)},
      {"aes256-sha256-ecp256",
       ike(EncrId::AesCbc, 256, PrfId::HmacSha2_256, IntegId::HmacSha2_256_128, {KeGroup::Ecp256}),
       esp(EncrId::AesCbc, 256, IntegId::HmacSha2_256_128)},
      {"aes128-sha1-modp2048",
       ike(EncrId::AesCbc, 128, PrfId::HmacSha1, IntegId::HmacSha1_96, {KeGroup::Modp2048}),
       esp(EncrId::AesCbc, 128, IntegId::HmacSha1_96)},
      {"chacha20poly1305-prfsha512-x448",
       ike(EncrId::ChaCha20Poly1305, 0, PrfId::HmacSha2_512, IntegId::None, {KeGroup::Curve448}),
       esp(EncrId::ChaCha20Poly1305, 0, IntegId::None)},
      {"aes256gcm16-prfsha384-ecp384-esn",
       ike(EncrId::AesGcm16, 256, PrfId::HmacSha2_384, IntegId::None, {KeGroup::Ecp384}),
       esp(EncrId::AesGcm16, 256, IntegId::None, true)},
      {"aes128ctr-sha384-ecp256",
       ike(EncrId::AesCtr, 128, PrfId::HmacSha2_384, IntegId::HmacSha2_384_192, {KeGroup::Ecp256}),
       esp(EncrId::AesCtr, 128, IntegId::HmacSha2_512_256)},
  };
}

inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }

struct Topology {
  bool v6 = false;
  IpAddress alice() const { return ip(v6 ? "2001:db8::a" : "192.0.2.10"); }
  IpAddress bob() const { return ip(v6 ? "2001:db8::b" : "192.0.2.20"); }
  IpAddress carol() const { return ip(v6 ? "2001:db8::c" : "192.0.2.30"); }
  ConfiguredTs alice_net() const {
    return {prefix_selector(ip(v6 ? "2001:db8:a::" : "10.1.0.0"), v6 ? 48u : 16u), false};
  }
  ConfiguredTs bob_net() const {
    return {prefix_selector(ip(v6 ? "2001:db8:b::" : "10.2.0.0"), v6 ? 48u : 16u), false};
  }
};

inline SharedSecret psk(std::vector<std::string> ids, std::string_view secret = "sim network shared secret") {
  return SharedSecret{std::move(ids), SecureBytes(as_bytes(secret))};
}

struct Options {
  Family family = families()[0];
  std::vector<Proposal> initiator_ike;  // default: family.ike
  std::vector<Proposal> responder_ike;  // default: family.ike
  std::string initiator_psk = "sim network shared secret";
  bool responder_ts_mismatch = false;
  uint32_t tries = 5;
  // The responder forgets half-open SAs after this; an initiator whose IKE_AUTH takes
  // longer (many losses, long backoff) then fails, as RFC 7296 allows.
  Duration half_open_timeout = std::chrono::seconds(30);
  bool initiator_force_encap = false;
  uint32_t cookie_threshold = 32;  // the engine's default
  Duration dpd_delay = std::chrono::seconds(30);
};

inline EngineConfig initiator_config(const Topology& topo, const Options& o, const IpAddress& self,
                                     const std::string& id) {
  ConnectionConfig c;
  c.name = "home";
  c.local_addrs = {self};
  c.remote_addrs = {topo.bob()};
  c.ike_proposals = o.initiator_ike.empty() ? std::vector<Proposal>{o.family.ike} : o.initiator_ike;
  c.local.id = id;
  c.remote.id = "bob.example.org";
  c.dpd_delay = o.dpd_delay;
  c.force_encap = o.initiator_force_encap;
  ChildConfig child;
  child.name = "net";
  child.local_ts = {topo.alice_net()};
  child.remote_ts = {topo.bob_net()};
  child.esp_proposals = {o.family.esp};
  c.children = {child};
  EngineConfig e;
  e.connections = {c};
  e.secrets = {psk({id, "bob.example.org"}, o.initiator_psk)};
  e.retransmit.tries = o.tries;
  return e;
}

inline EngineConfig responder_config(const Topology& topo, const Options& o) {
  ConnectionConfig c;
  c.name = "rw";
  c.local_addrs = {topo.bob()};
  c.ike_proposals = o.responder_ike.empty() ? std::vector<Proposal>{o.family.ike} : o.responder_ike;
  c.local.id = "bob.example.org";
  c.remote.id = "%any";
  c.dpd_delay = o.dpd_delay;
  ChildConfig child;
  child.name = "net";
  child.local_ts = {topo.bob_net()};
  // The initiator's network, or one that does not overlap it at all.
  child.remote_ts = {
      o.responder_ts_mismatch
          ? ConfiguredTs{prefix_selector(ip(topo.v6 ? "2001:db8:f::" : "10.99.0.0"), topo.v6 ? 48u : 16u),
                         false}
          : topo.alice_net()};
  child.esp_proposals = {o.family.esp};
  c.children = {child};
  EngineConfig e;
  e.connections = {c};
  e.secrets = {psk({"alice@example.org", "carol@example.org", "bob.example.org"})};
  e.retransmit.tries = o.tries;
  e.half_open_timeout = o.half_open_timeout;
  e.cookie_threshold = o.cookie_threshold;
  return e;
}

// Alice (node 0) initiates to Bob (node 1).
struct Handshake {
  Handshake(uint64_t seed, LinkProfile profile, const Topology& topo, const Options& o) : net(seed, profile) {
    net.add_node("alice", initiator_config(topo, o, topo.alice(), "alice@example.org"), {topo.alice()},
                 seed * 2 + 1);
    net.add_node("bob", responder_config(topo, o), {topo.bob()}, seed * 2 + 2);
    // SIM_TRACE=<seed> prints every link event of that seed's runs.
    if (const char* t = std::getenv("SIM_TRACE"); t && std::strtoull(t, nullptr, 10) == seed)
      net.trace = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
  }
  Node& alice() { return net.node(0); }
  Node& bob() { return net.node(1); }
  void initiate() {
    auto r = net.with(0, [](Engine& e, Instant now) { return e.initiate("home", "net", now); });
    ASSERT_TRUE(r) << r.error().message;
  }
  // The first Child SA is up. ike_sa_count() is checked separately: a spurious half-open
  // SA (see LateDuplicateInitRequestOpensNoSecondSa) must not stall the runs.
  bool established(Node& n) {
    return n.has_event(EventKind::ChildSaEstablished) && !n.installer.active.empty();
  }
  bool finished() {
    return (established(alice()) && established(bob())) || alice().has_event(EventKind::IkeSaFailed);
  }
  SimNetwork net;
};

// The end state every run must reach once the network has healed and all timers that
// clean up after failures (half-open timeout, retransmission budgets, DPD) have run.
inline void expect_consistent_end(Handshake& r, const std::string& label) {
  Node& a = r.alice();
  Node& b = r.bob();
  EXPECT_FALSE(r.net.stuck()) << label;
  EXPECT_EQ(a.engine->half_open_count(), 0u) << label;
  EXPECT_EQ(b.engine->half_open_count(), 0u) << label;
  EXPECT_EQ(a.engine->ike_sa_count(), b.engine->ike_sa_count()) << label;
  EXPECT_EQ(check_child_sas_pair(a, b), "") << label;
  EXPECT_EQ(a.installer.duplicate_installs + b.installer.duplicate_installs, 0u) << label;
  if (a.engine->ike_sa_count() == 0) {
    EXPECT_TRUE(a.installer.active.empty()) << label;
    EXPECT_TRUE(b.installer.active.empty()) << label;
  }
}

}  // namespace portunus::ike::sim::cfg
