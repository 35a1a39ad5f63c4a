// IKEv2 engine benchmarks: full IKE_SA_INIT + IKE_AUTH handshakes (PSK, one Child SA) in
// process, for the initiator and responder together and for the responder alone, next to
// the key exchange cost they are bounded by; and the memory one established IKE SA with one
// Child SA costs in a responder holding many of them.
//
//   build-ike/bench/ike_bench                       # all
//   build-ike/bench/ike_bench --benchmark_filter=Memory
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "portunus/crypto/key_exchange.h"
#include "portunus/crypto/random.h"
#include "portunus/ike/engine.h"

using namespace portunus;
using namespace portunus::ike;

namespace {

struct NullInstaller final : ChildSaInstaller {
  Result<void> install_child_sa(const ChildSaParams&) override { return {}; }
  void delete_child_sa(const ChildSaRef&) override {}
  void update_child_sa_endpoints(const ChildSaRef&, const Endpoint&, const Endpoint&, bool) override {}
};

EngineConfig config(bool initiator, crypto::KeGroup group) {
  EngineConfig ec;
  ConnectionConfig c;
  c.name = initiator ? "home" : "rw";
  c.local_addrs = {*IpAddress::parse(initiator ? "192.0.2.1" : "192.0.2.2")};
  if (initiator) c.remote_addrs = {*IpAddress::parse("192.0.2.2")};
  wire::Proposal ike;
  ike.protocol = wire::ProtocolId::Ike;
  ike.transforms = {{crypto::TransformType::Encr, 20, 128},
                    {crypto::TransformType::Prf, 5, 0},
                    {crypto::TransformType::Ke, static_cast<uint16_t>(group), 0}};
  c.ike_proposals = {ike};
  c.local.id = initiator ? "alice@example.org" : "bob.example.org";
  c.remote.id = initiator ? "bob.example.org" : "%any";
  c.send_initial_contact = false;  // every handshake is a new SA of the same peer here
  ChildConfig ch;
  ch.name = "net";
  wire::Proposal esp;
  esp.protocol = wire::ProtocolId::Esp;
  esp.transforms = {{crypto::TransformType::Encr, 20, 128}, {crypto::TransformType::Esn, 0, 0}};
  ch.esp_proposals = {esp};
  ConfiguredTs l{}, r{};
  l.dynamic = r.dynamic = true;
  ch.local_ts = {l};
  ch.remote_ts = {r};
  c.children = {ch};
  ec.connections = {c};
  ec.secrets = {SharedSecret{{}, SecureBytes(as_bytes("benchmark secret"))}};
  ec.cookie_threshold = 1u << 30;
  ec.max_half_open = 1u << 30;
  return ec;
}

// Thread CPU time, not wall time: the figures must not depend on what else the machine
// runs (CI boxes are shared).
int64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Pair {
  explicit Pair(crypto::KeGroup g)
      : ra(crypto::make_deterministic_random(1)),
        rb(crypto::make_deterministic_random(2)),
        a(config(true, g), *ra, ia),
        b(config(false, g), *rb, ib) {}

  // One handshake; returns {total ns, ns inside the responder}. The initiator's SA is
  // removed afterwards (its Delete is not delivered) so the next handshake is a new SA;
  // the responder keeps its SA unless drop_responder.
  std::pair<int64_t, int64_t> handshake(bool drop_responder) {
    int64_t in_b = 0;
    const int64_t t0 = cpu_ns();
    auto id = a.initiate("home", "", now);
    if (!id) std::abort();
    for (int round = 0; round < 2; ++round) {
      for (auto& d : a.take_datagrams()) {
        const int64_t s = cpu_ns();
        b.receive(Datagram{d.remote, d.local, std::move(d.bytes), false}, now);
        in_b += cpu_ns() - s;
      }
      for (auto& d : b.take_datagrams())
        a.receive(Datagram{d.remote, d.local, std::move(d.bytes), false}, now);
    }
    const int64_t total = cpu_ns() - t0;
    if (!a.terminate_ike(*id, now)) std::abort();
    (void)a.take_datagrams();
    (void)a.take_events();
    (void)b.take_events();
    if (drop_responder) {
      for (const auto& s : b.status()) (void)b.terminate_ike(s.id, now);
      (void)b.take_datagrams();
      (void)b.take_events();
    }
    return {total, in_b};
  }

  std::unique_ptr<crypto::Random> ra, rb;
  NullInstaller ia, ib;
  Engine a, b;
  Instant now{};
};

void BM_Handshake(benchmark::State& state) {
  Pair p(static_cast<crypto::KeGroup>(state.range(0)));
  for (auto _ : state) {
    auto [total, responder] = p.handshake(true);
    state.SetIterationTime(static_cast<double>(total) * 1e-9);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_ResponderOnly(benchmark::State& state) {
  Pair p(static_cast<crypto::KeGroup>(state.range(0)));
  for (auto _ : state) {
    auto [total, responder] = p.handshake(true);
    state.SetIterationTime(static_cast<double>(responder) * 1e-9);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// What the responder cannot avoid: one key pair and one shared secret.
void BM_KeyExchange(benchmark::State& state) {
  const auto g = static_cast<crypto::KeGroup>(state.range(0));
  auto rng = crypto::make_deterministic_random(3);
  auto peer = crypto::make_key_exchange(g, *rng);
  if (!peer) std::abort();
  const Bytes peer_pub = (*peer)->public_value();
  for (auto _ : state) {
    auto ke = crypto::make_key_exchange(g, *rng);
    auto shared = (*ke)->derive(peer_pub);
    benchmark::DoNotOptimize(shared);
  }
}

// Heap growth of a responder per established IKE SA with one Child SA (the recording
// installer of the data plane is not included: NullInstaller keeps nothing).
void BM_MemoryPerIkeSa(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    Pair p(crypto::KeGroup::Curve25519);
    p.handshake(false);  // warm up allocator and lazily built structures
    const size_t before = mallinfo2().uordblks;
    for (size_t i = 1; i < n; ++i) p.handshake(false);
    const size_t after = mallinfo2().uordblks;
    state.counters["ike_sas"] = static_cast<double>(p.b.ike_sa_count());
    state.counters["bytes_per_ike_sa"] = static_cast<double>(after - before) / static_cast<double>(n - 1);
  }
}

}  // namespace

BENCHMARK(BM_Handshake)
    ->Arg(static_cast<int>(crypto::KeGroup::Curve25519))
    ->Arg(static_cast<int>(crypto::KeGroup::Ecp256))
    ->Arg(static_cast<int>(crypto::KeGroup::Modp2048))
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ResponderOnly)
    ->Arg(static_cast<int>(crypto::KeGroup::Curve25519))
    ->Arg(static_cast<int>(crypto::KeGroup::Ecp256))
    ->Arg(static_cast<int>(crypto::KeGroup::Modp2048))
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_KeyExchange)
    ->Arg(static_cast<int>(crypto::KeGroup::Curve25519))
    ->Arg(static_cast<int>(crypto::KeGroup::Ecp256))
    ->Arg(static_cast<int>(crypto::KeGroup::Modp2048))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryPerIkeSa)->Arg(10000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);
