#include "sim_network.h"

#include <algorithm>

namespace portunus::ike::sim {

Result<void> TestInstaller::install_child_sa(const ChildSaParams& p) {
  ++installs;
  if (active.count(p.spi_in) != 0) ++duplicate_installs;
  active[p.spi_in] = p;
  return {};
}

void TestInstaller::delete_child_sa(const ChildSaRef& r) {
  ++deletes;
  if (active.erase(r.spi_in) == 0) ++unknown_deletes;
}

void TestInstaller::update_child_sa_endpoints(const ChildSaRef& r, const Endpoint& l, const Endpoint& rem,
                                              bool encap) {
  auto it = active.find(r.spi_in);
  if (it == active.end()) return;
  it->second.local = l;
  it->second.remote = rem;
  it->second.udp_encap = encap;
}

Node::Node(std::string node_name, EngineConfig config, std::vector<IpAddress> node_addrs, uint64_t seed)
    : name(std::move(node_name)),
      addrs(std::move(node_addrs)),
      random(crypto::make_deterministic_random(seed)),
      engine(std::make_unique<Engine>(std::move(config), *random, installer)) {}

bool Node::has_event(EventKind k) const { return count_events(k) != 0; }

size_t Node::count_events(EventKind k) const {
  return static_cast<size_t>(
      std::count_if(events.begin(), events.end(), [k](const Event& e) { return e.kind == k; }));
}

SimNetwork::SimNetwork(uint64_t seed, LinkProfile profile) : rng_state_(seed), profile_(profile) {}

Node& SimNetwork::add_node(std::string name, EngineConfig config, std::vector<IpAddress> addrs,
                           uint64_t seed) {
  nodes_.push_back(std::make_unique<Node>(std::move(name), std::move(config), std::move(addrs), seed));
  return *nodes_.back();
}

double SimNetwork::uniform() {
  // SplitMix64: simple, fast and identical on every platform (std distributions are not).
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::optional<size_t> SimNetwork::route(const IpAddress& addr) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (std::find(nodes_[i]->addrs.begin(), nodes_[i]->addrs.end(), addr) != nodes_[i]->addrs.end()) return i;
  return std::nullopt;
}

void SimNetwork::add_nat(size_t inside, const IpAddress& public_addr) {
  Nat n;
  n.inside = inside;
  n.public_addr = public_addr;
  nats_.push_back(std::move(n));
}

void SimNetwork::transmit(size_t from, Datagram d) {
  ++stats_.sent;
  // Source translation on the way out of a NAT.
  for (Nat& n : nats_) {
    if (n.inside != from) continue;
    auto key = std::make_pair(d.local.addr, d.local.port);
    auto it = n.outbound.find(key);
    if (it == n.outbound.end()) {
      it = n.outbound.emplace(key, n.next_port).first;
      n.inbound[n.next_port] = d.local;
      ++n.next_port;
    }
    d.local = Endpoint{n.public_addr, it->second};
  }
  auto log = [&](const char* what) {
    if (trace)
      trace(std::to_string((now_ - Instant{}).count()) + "ms " + nodes_[from]->name + " " + what + " " +
            describe(d));
  };
  if (filter && !filter(from, d)) {
    ++stats_.lost;
    log("filtered");
    return;
  }
  std::optional<size_t> to;
  // Destination translation into a NAT: only mapped ports get through.
  for (Nat& n : nats_) {
    if (n.public_addr != d.remote.addr) continue;
    auto it = n.inbound.find(d.remote.port);
    if (it == n.inbound.end()) {
      ++stats_.unroutable;
      return;
    }
    d.remote = it->second;
    to = n.inside;
  }
  if (!to) to = route(d.remote.addr);
  if (!to) {
    ++stats_.unroutable;
    return;
  }
  // The receiver sees the addresses the other way round.
  Datagram in;
  in.local = d.remote;
  in.remote = d.local;
  in.bytes = std::move(d.bytes);
  const int copies = uniform() < profile_.duplicate ? 2 : 1;
  stats_.duplicated += static_cast<uint64_t>(copies - 1);
  for (int c = 0; c < copies; ++c) {
    if (uniform() < profile_.loss) {
      ++stats_.lost;
      if (trace)
        trace(std::to_string((now_ - Instant{}).count()) + "ms " + nodes_[from]->name + " lost " +
              describe(in));
      continue;
    }
    Duration delay = profile_.delay +
                     Duration(static_cast<int64_t>(uniform() * static_cast<double>(profile_.jitter.count())));
    if (uniform() < profile_.reorder) {
      ++stats_.reordered;
      delay +=
          Duration(static_cast<int64_t>(uniform() * static_cast<double>(profile_.reorder_delay.count())));
    }
    if (trace)
      trace(std::to_string((now_ - Instant{}).count()) + "ms " + nodes_[from]->name + " sent (+" +
            std::to_string(delay.count()) + "ms) " + describe(in));
    Datagram copy = in;
    // No draw when corruption is off, so that existing seeds replay exactly as before.
    if (profile_.corrupt > 0 && !copy.bytes.empty() && uniform() < profile_.corrupt) {
      // A bit error the UDP checksum missed (or an attacker on the path): the engine must
      // drop it (bad ICV, malformed) and recover by retransmission.
      ++stats_.corrupted;
      const auto bit = static_cast<size_t>(uniform() * static_cast<double>(copy.bytes.size() * 8));
      copy.bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    in_flight_.push(InFlight{now_ + delay, seq_++, *to, std::move(copy)});
  }
}

void SimNetwork::collect(size_t i) {
  Node& n = *nodes_[i];
  for (Datagram& d : n.engine->take_datagrams()) {
    // NAT keepalives (one 0xff octet, RFC 3948 4) are consumed by the receiving daemon's
    // socket layer and never reach the engine.
    if (d.bytes.size() == 1 && d.bytes[0] == 0xff) continue;
    transmit(i, std::move(d));
  }
  for (Event& e : n.engine->take_events()) n.events.push_back(std::move(e));
}

bool SimNetwork::step(Instant deadline) {
  std::optional<Instant> next_timer;
  for (const auto& n : nodes_) {
    auto w = n->engine->next_wakeup();
    if (w && (!next_timer || *w < *next_timer)) next_timer = w;
  }
  std::optional<Instant> next_packet;
  if (!in_flight_.empty()) next_packet = in_flight_.top().at;
  std::optional<Instant> next = next_timer;
  if (next_packet && (!next || *next_packet <= *next)) next = next_packet;
  if (!next || *next > deadline) return false;
  now_ = std::max(now_, *next);
  ++stats_.steps;
  if (next_packet && *next_packet <= now_) {
    InFlight f = in_flight_.top();
    in_flight_.pop();
    ++stats_.delivered;
    if (trace)
      trace(std::to_string((now_ - Instant{}).count()) + "ms " + nodes_[f.to]->name + " receives " +
            describe(f.datagram));
    nodes_[f.to]->engine->receive(f.datagram, now_);
    collect(f.to);
    return true;
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto w = nodes_[i]->engine->next_wakeup();
    if (w && *w <= now_) {
      ++stats_.timer_calls;
      nodes_[i]->engine->on_timer(now_);
      collect(i);
    }
  }
  return true;
}

bool SimNetwork::run_until(const std::function<bool()>& done, Duration limit) {
  const Instant deadline = now_ + limit;
  // An engine that asks for a wake-up at or before "now" again and again, with nothing
  // else happening, would spin forever in a real event loop. Count steps per instant.
  Instant last = now_;
  uint64_t same_instant = 0;
  while (!done()) {
    if (!step(deadline)) {
      now_ = std::max(now_, deadline);
      return done();
    }
    if (now_ == last) {
      if (++same_instant > 100000) {
        stuck_ = true;
        return false;
      }
    } else {
      last = now_;
      same_instant = 0;
    }
  }
  return true;
}

void SimNetwork::run_for(Duration d) {
  run_until([] { return false; }, d);
}

bool SimNetwork::quiescent(Duration horizon) const {
  if (!in_flight_.empty()) return false;
  for (const auto& n : nodes_) {
    auto w = n->engine->next_wakeup();
    if (w && *w < now_ + horizon) return false;
  }
  return true;
}

std::string describe(const Datagram& d) {
  if (d.bytes.size() < 28) return "short datagram (" + std::to_string(d.bytes.size()) + " octets)";
  const uint8_t* p = d.bytes.data();
  std::string ex;
  switch (p[18]) {
    case 34:
      ex = "IKE_SA_INIT";
      break;
    case 35:
      ex = "IKE_AUTH";
      break;
    case 36:
      ex = "CREATE_CHILD_SA";
      break;
    case 37:
      ex = "INFORMATIONAL";
      break;
    default:
      ex = "exchange " + std::to_string(p[18]);
  }
  const uint8_t flags = p[19];
  return ex + ((flags & 0x20) ? " response" : " request") + ((flags & 0x08) ? " (I)" : "") + " SPIs " +
         hex_encode(BytesView(p, 8)) + "/" + hex_encode(BytesView(p + 8, 8)) + " id " +
         std::to_string(load_be32(p + 20)) + " " + std::to_string(d.bytes.size()) + "B " +
         d.remote.addr.to_string() + ":" + std::to_string(d.remote.port) + "->" + d.local.addr.to_string() +
         ":" + std::to_string(d.local.port);
}

std::string check_child_sas_pair(const Node& a, const Node& b) {
  if (a.installer.active.size() != b.installer.active.size())
    return a.name + " has " + std::to_string(a.installer.active.size()) + " Child SAs, " + b.name + " has " +
           std::to_string(b.installer.active.size());
  for (const auto& [spi, x] : a.installer.active) {
    auto it = b.installer.active.find(x.spi_out);
    if (it == b.installer.active.end()) return "no peer SA for outbound SPI " + std::to_string(x.spi_out);
    const ChildSaParams& y = it->second;
    if (y.spi_out != x.spi_in) return "SPIs not mirrored";
    if (x.encr != y.encr || x.encr_key_bits != y.encr_key_bits || x.integ != y.integ || x.esn != y.esn)
      return "algorithms differ";
    if (!(x.in.encr == y.out.encr) || !(x.out.encr == y.in.encr) || !(x.in.integ == y.out.integ) ||
        !(x.out.integ == y.in.integ))
      return "keys differ";
    if (x.in.encr.empty()) return "no encryption key";
    if (x.in.encr == x.out.encr) return "same key in both directions";
    if (x.local_ts != y.remote_ts || x.remote_ts != y.local_ts) return "selectors not mirrored";
    if (x.mode != y.mode) return "modes differ";
    if (x.udp_encap != y.udp_encap) return "UDP encapsulation differs";
  }
  return "";
}

}  // namespace portunus::ike::sim
