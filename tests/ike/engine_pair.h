#pragma once
// Two IKE engines wired together in one process for the engine tests: deterministic
// Randoms, a manual clock, a recording ChildSaInstaller per side, and a network that can
// drop, filter or NAT-rewrite datagrams.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "portunus/crypto/random.h"
#include "portunus/ike/engine.h"

namespace portunus::ike::testing {

class RecordingInstaller final : public ChildSaInstaller {
 public:
  Result<void> install_child_sa(const ChildSaParams& p) override {
    installed.push_back(p);
    active[p.spi_in] = p;
    if (fail_installs) return make_error("refused by test");
    return {};
  }
  void delete_child_sa(const ChildSaRef& r) override {
    deleted.push_back(r);
    active.erase(r.spi_in);
  }
  void update_child_sa_endpoints(const ChildSaRef& r, const Endpoint& l, const Endpoint& rem,
                                 bool encap) override {
    auto it = active.find(r.spi_in);
    if (it == active.end()) return;
    it->second.local = l;
    it->second.remote = rem;
    it->second.udp_encap = encap;
    ++updates;
  }
  std::vector<ChildSaParams> installed;
  std::vector<ChildSaRef> deleted;
  std::map<uint32_t, ChildSaParams> active;
  int updates = 0;
  bool fail_installs = false;
};

inline wire::Transform tf(crypto::TransformType t, uint16_t id, uint16_t bits = 0) { return {t, id, bits}; }

// strongSwan-like proposal shorthands used by the tests.
inline wire::Proposal ike_proposal(crypto::EncrId e, uint16_t bits, crypto::PrfId prf, crypto::IntegId integ,
                                   crypto::KeGroup g) {
  wire::Proposal p;
  p.protocol = wire::ProtocolId::Ike;
  p.transforms.push_back(tf(crypto::TransformType::Encr, static_cast<uint16_t>(e), bits));
  p.transforms.push_back(tf(crypto::TransformType::Prf, static_cast<uint16_t>(prf)));
  if (integ != crypto::IntegId::None)
    p.transforms.push_back(tf(crypto::TransformType::Integ, static_cast<uint16_t>(integ)));
  p.transforms.push_back(tf(crypto::TransformType::Ke, static_cast<uint16_t>(g)));
  return p;
}
inline wire::Proposal esp_proposal(crypto::EncrId e, uint16_t bits, crypto::IntegId integ,
                                   crypto::KeGroup pfs = crypto::KeGroup::None) {
  wire::Proposal p;
  p.protocol = wire::ProtocolId::Esp;
  p.transforms.push_back(tf(crypto::TransformType::Encr, static_cast<uint16_t>(e), bits));
  if (integ != crypto::IntegId::None)
    p.transforms.push_back(tf(crypto::TransformType::Integ, static_cast<uint16_t>(integ)));
  if (pfs != crypto::KeGroup::None)
    p.transforms.push_back(tf(crypto::TransformType::Ke, static_cast<uint16_t>(pfs)));
  p.transforms.push_back(tf(crypto::TransformType::Esn, 0));
  return p;
}

inline ConfiguredTs cts(const char* addr, unsigned prefix) {
  return ConfiguredTs{prefix_selector(*IpAddress::parse(addr), prefix), false};
}

struct PairConfig {
  EngineConfig a, b;
};

// Alice (initiator, 192.0.2.1 / 2001:db8::1) and Bob (responder, .2), PSK, one child each.
inline PairConfig default_pair(bool v6 = false) {
  const char* a_addr = v6 ? "2001:db8::1" : "192.0.2.1";
  const char* b_addr = v6 ? "2001:db8::2" : "192.0.2.2";
  PairConfig pc;
  ConnectionConfig a;
  a.name = "home";
  a.local_addrs = {*IpAddress::parse(a_addr)};
  a.remote_addrs = {*IpAddress::parse(b_addr)};
  a.ike_proposals = {ike_proposal(crypto::EncrId::AesGcm16, 128, crypto::PrfId::HmacSha2_256,
                                  crypto::IntegId::None, crypto::KeGroup::Curve25519)};
  a.local.id = "alice@example.org";
  a.remote.id = "bob.example.org";
  ChildConfig ac;
  ac.name = "net";
  ac.local_ts = {v6 ? cts("2001:db8:1::", 48) : cts("10.1.0.0", 16)};
  ac.remote_ts = {v6 ? cts("2001:db8:2::", 48) : cts("10.2.0.0", 16)};
  ac.esp_proposals = {esp_proposal(crypto::EncrId::AesGcm16, 128, crypto::IntegId::None)};
  a.children = {ac};
  ConnectionConfig b = a;
  b.name = "rw";
  b.local_addrs = {*IpAddress::parse(b_addr)};
  b.remote_addrs = {};
  b.local.id = "bob.example.org";
  b.remote.id = "%any";
  b.children[0].local_ts = ac.remote_ts;
  b.children[0].remote_ts = ac.local_ts;
  pc.a.connections = {a};
  pc.b.connections = {b};
  SharedSecret s;
  s.ids = {"alice@example.org", "bob.example.org"};
  s.secret = SecureBytes(as_bytes("correct horse battery staple"));
  pc.a.secrets = {s};
  pc.b.secrets = {s};
  return pc;
}

class EnginePair {
 public:
  explicit EnginePair(PairConfig pc, uint64_t seed = 1)
      : ra_(crypto::make_deterministic_random(seed)),
        rb_(crypto::make_deterministic_random(seed + 1000)),
        a(pc.a, *ra_, ia, Instant{}),
        b(pc.b, *rb_, ib, Instant{}) {}

  // Returns false to drop. May rewrite the datagram (NAT).
  std::function<bool(bool from_a, Datagram&)> filter;
  // Simple NAT in front of Alice: her source becomes nat_public (port + 1000 on 500/4500).
  bool nat_a = false;
  IpAddress nat_public = *IpAddress::parse("198.51.100.7");

  Instant now{};
  RecordingInstaller ia, ib;
  std::unique_ptr<crypto::Random> ra_, rb_;
  struct Side {
    Side(const EngineConfig& c, crypto::Random& r, ChildSaInstaller& i, Instant) : engine(c, r, i) {}
    Engine engine;
    std::vector<Event> events;
    std::vector<Datagram> sent;
  };
  Side a, b;

  // Delivers datagrams back and forth until both engines are quiet. Returns datagrams moved.
  int run(int max_rounds = 100) {
    int moved = 0;
    for (int round = 0; round < max_rounds; ++round) {
      auto da = a.engine.take_datagrams();
      auto db = b.engine.take_datagrams();
      collect();
      if (da.empty() && db.empty()) break;
      for (auto& d : da) moved += deliver(true, d);
      for (auto& d : db) moved += deliver(false, d);
    }
    collect();
    return moved;
  }
  // Advances the clock to `t`, firing timers of both engines in order, exchanging traffic.
  void advance(Duration by) {
    const Instant end = now + by;
    for (int i = 0; i < 100000; ++i) {
      auto wa = a.engine.next_wakeup();
      auto wb = b.engine.next_wakeup();
      std::optional<Instant> w;
      if (wa && *wa <= end) w = wa;
      if (wb && *wb <= end && (!w || *wb < *w)) w = wb;
      if (!w) break;
      now = std::max(now, *w);
      a.engine.on_timer(now);
      b.engine.on_timer(now);
      run();
    }
    now = end;
    a.engine.on_timer(now);
    b.engine.on_timer(now);
    run();
  }
  bool has_event(bool on_a, EventKind k) const {
    for (const auto& e : (on_a ? a : b).events)
      if (e.kind == k) return true;
    return false;
  }
  int count_events(bool on_a, EventKind k) const {
    int n = 0;
    for (const auto& e : (on_a ? a : b).events) n += e.kind == k;
    return n;
  }

 private:
  void collect() {
    for (auto& e : a.engine.take_events()) a.events.push_back(std::move(e));
    for (auto& e : b.engine.take_events()) b.events.push_back(std::move(e));
  }
  int deliver(bool from_a, Datagram d) {
    (from_a ? a : b).sent.push_back(d);
    if (d.bytes.size() == 1 && d.bytes[0] == 0xff) return 0;  // NAT keepalive: nothing to process
    if (nat_a) {
      if (from_a) {
        d.local.addr = nat_public;
        d.local.port = static_cast<uint16_t>(d.local.port + 1000);
      } else {
        d.remote.addr = a_addr();
        d.remote.port = static_cast<uint16_t>(d.remote.port - 1000);
      }
    }
    if (filter && !filter(from_a, d)) return 0;
    // Deliver as seen by the receiver: its local is our remote.
    Datagram in;
    in.local = d.remote;
    in.remote = d.local;
    in.bytes = d.bytes;
    (from_a ? b : a).engine.receive(in, now);
    return 1;
  }
  IpAddress a_addr() const { return a_addr_; }

 public:
  IpAddress a_addr_ = *IpAddress::parse("192.0.2.1");
};

}  // namespace portunus::ike::testing
