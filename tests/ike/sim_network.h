#pragma once
// A deterministic simulated network for whole-engine tests, in the style of quinn-proto's
// test pair but with an adversarial link: every datagram may be lost, duplicated, delayed
// and reordered, all decided by one seeded PRNG, so a failing seed replays exactly.
//
// The simulation is a discrete-event loop over one injected clock. Each node is an
// ike::Engine with its own deterministic Random and a recording ChildSaInstaller. The
// loop repeatedly takes the earliest of (next datagram arrival, earliest engine wake-up),
// moves the clock there and calls receive() or on_timer(); whatever the engine wants to
// send is then put on the link. Nothing sleeps, so hours of protocol time take
// milliseconds, and a protocol that never settles shows up as a loop that hits its step
// or time budget instead of a hung test.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "portunus/crypto/random.h"
#include "portunus/ike/engine.h"

namespace portunus::ike::sim {

using namespace std::chrono_literals;

// What the link does to each datagram, independently per datagram.
struct LinkProfile {
  double loss = 0.0;               // probability a datagram (or each duplicate) is dropped
  double duplicate = 0.0;          // probability a datagram is delivered twice
  double reorder = 0.0;            // probability a datagram gets extra delay, overtaking later ones
  Duration delay = 10ms;           // one-way base latency
  Duration jitter = 0ms;           // uniform extra latency in [0, jitter]
  Duration reorder_delay = 200ms;  // upper bound of the extra delay of a reordered datagram
  double corrupt = 0.0;            // probability one random bit of a delivered copy is flipped

  static LinkProfile perfect() { return {}; }
  // The stress profile: 30% loss, duplication and reordering.
  static LinkProfile hostile() { return {0.30, 0.30, 0.30, 10ms, 20ms, 300ms}; }
};

// Records what an engine asked the data plane to do, and checks it is self-consistent.
class TestInstaller final : public ChildSaInstaller {
 public:
  Result<void> install_child_sa(const ChildSaParams& p) override;
  void delete_child_sa(const ChildSaRef& r) override;
  void update_child_sa_endpoints(const ChildSaRef& r, const Endpoint& l, const Endpoint& rem,
                                 bool encap) override;

  // Installed and not yet deleted, by inbound SPI.
  std::map<uint32_t, ChildSaParams> active;
  uint64_t installs = 0;
  uint64_t deletes = 0;
  // Protocol errors seen by the installer (duplicate SPI installs, deletes of unknown SAs
  // are allowed by the interface and only counted).
  uint64_t duplicate_installs = 0;
  uint64_t unknown_deletes = 0;
};

struct Node {
  Node(std::string node_name, EngineConfig config, std::vector<IpAddress> node_addrs, uint64_t seed);
  std::string name;
  std::vector<IpAddress> addrs;
  std::unique_ptr<crypto::Random> random;
  TestInstaller installer;
  std::unique_ptr<Engine> engine;
  std::vector<Event> events;

  bool has_event(EventKind k) const;
  size_t count_events(EventKind k) const;
};

struct NetworkStats {
  uint64_t sent = 0;        // datagrams handed to the link by engines
  uint64_t lost = 0;        // dropped by the link
  uint64_t duplicated = 0;  // extra copies created
  uint64_t reordered = 0;   // given extra delay
  uint64_t corrupted = 0;   // delivered with one bit flipped
  uint64_t delivered = 0;   // handed to a receiving engine
  uint64_t unroutable = 0;  // no node owns the destination address
  uint64_t timer_calls = 0;
  uint64_t steps = 0;
};

class SimNetwork {
 public:
  SimNetwork(uint64_t seed, LinkProfile profile);

  // Adds an engine owning `addrs`; `seed` feeds its deterministic Random.
  Node& add_node(std::string name, EngineConfig config, std::vector<IpAddress> addrs, uint64_t seed);
  Node& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }

  Instant now() const { return now_; }
  const NetworkStats& stats() const { return stats_; }
  LinkProfile& profile() { return profile_; }

  // Optional hook on every datagram before the link decides its fate: return false to drop
  // it (a test's targeted loss). `from` is the sending node's index.
  std::function<bool(size_t from, const Datagram&)> filter;

  // If set, receives one line per link event (send, loss, delivery) for debugging a seed.
  std::function<void(const std::string&)> trace;

  // Lets the caller act on an engine at the current simulated time (initiate, rekey, ...),
  // then collects what it produced.
  template <class F>
  auto with(size_t i, F&& f) {
    auto r = f(*nodes_[i]->engine, now_);
    collect(i);
    return r;
  }

  // Puts node `inside` behind a port-translating NAT whose outside address is `public_addr`:
  // each (private address, port) it sends from gets its own public port, as real NATs do,
  // and only datagrams to a mapped public port get in.
  void add_nat(size_t inside, const IpAddress& public_addr);

  // Puts a datagram on the link as if node `from` had sent it (a replayed or forged
  // message); it then meets the same loss, duplication and delay as any other.
  void inject(size_t from, Datagram d) { transmit(from, std::move(d)); }

  // Runs events until `done()` holds (checked after every step) or `limit` of simulated
  // time passes. Returns whether done() became true. Aborts the run (returning false and
  // setting stuck()) if an engine keeps asking to be woken at or before the current time
  // without making progress, i.e. a busy loop.
  bool run_until(const std::function<bool()>& done, Duration limit);
  // Runs for exactly `d` of simulated time.
  void run_for(Duration d);
  // Whether a run was cut short by a busy loop.
  bool stuck() const { return stuck_; }

  // Nothing in flight and no engine wants to be woken before `horizon` from now.
  bool quiescent(Duration horizon) const;

 private:
  struct InFlight {
    Instant at;
    uint64_t seq;
    size_t to;
    Datagram datagram;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct Nat {
    size_t inside = 0;
    IpAddress public_addr;
    std::map<std::pair<IpAddress, uint16_t>, uint16_t> outbound;  // private endpoint -> public port
    std::map<uint16_t, Endpoint> inbound;                         // public port -> private endpoint
    uint16_t next_port = 40000;
  };
  void collect(size_t i);
  void transmit(size_t from, Datagram d);
  std::optional<size_t> route(const IpAddress& addr) const;
  double uniform();
  bool step(Instant deadline);

  uint64_t rng_state_;
  LinkProfile profile_;
  Instant now_{};
  uint64_t seq_ = 0;
  bool stuck_ = false;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Nat> nats_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> in_flight_;
  NetworkStats stats_;
};

// One-line summary of an IKE datagram from its header: exchange, flags, SPIs, message ID.
std::string describe(const Datagram& d);

// Checks that the Child SAs installed on two nodes pair up: every SA of `a` has a peer SA
// on `b` with mirrored SPIs, keys, algorithms and selectors. Returns a description of the
// first mismatch, or an empty string.
std::string check_child_sas_pair(const Node& a, const Node& b);

}  // namespace portunus::ike::sim
