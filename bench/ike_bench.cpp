// IKEv2 engine benchmarks: full IKE_SA_INIT + IKE_AUTH handshakes (PSK, one Child SA) in
// process, for the initiator and responder together and for the responder alone, next to
// the key exchange cost they are bounded by; the memory one established IKE SA with one
// Child SA costs in a responder holding many of them; and handshakes with certificates
// (ECDSA P-256, RSA-2048: root -> intermediate -> end entity, RFC 7427 signatures) next to
// the raw sign+verify cost of the same keys.
//
//   build-ike/bench/ike_bench                       # all
//   build-ike/bench/ike_bench --benchmark_filter=Memory
//   build-ike/bench/ike_bench --benchmark_filter='Cert|SignVerify'
//   build-ike/bench/ike_bench --benchmark_filter=ResponderVsKeyExchange/31 --benchmark_repetitions=5
//
// BM_CertHandshake's counter x_sign_verify is the handshake's CPU time divided by one
// sign+verify of the same key (each handshake signs twice and verifies two AUTH payloads
// and four certificate signatures, plus the key exchange).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>

#include "../tests/crypto/x509_fixtures.h"
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

// Certificates for the handshakes: one PKI per key type, made once per process.
struct CertSet {
  CertCredentials alice, bob;
  std::shared_ptr<const crypto::TrustStore> trust;
};

const CertSet& certs(test::pki::KeyKind kind) {
  static std::map<test::pki::KeyKind, CertSet> sets;
  auto it = sets.find(kind);
  if (it != sets.end()) return it->second;
  using test::pki::issue;
  auto root = issue({.cn = "Bench Root CA", .ca = true, .serial = 1}, kind, nullptr);
  auto inter = issue({.cn = "Bench Intermediate CA", .ca = true, .serial = 2}, kind, &root);
  auto alice = issue({.cn = "alice", .sans = {"email:alice@example.org"}, .serial = 10}, kind, &inter);
  auto bob = issue({.cn = "bob", .sans = {"DNS:bob.example.org"}, .serial = 11}, kind, &inter);
  auto trust = std::make_shared<crypto::TrustStore>();
  if (!trust->add_ca(root.cert())) std::abort();
  CertSet set{{alice.private_key(), alice.cert(), {inter.cert(), root.cert()}},
              {bob.private_key(), bob.cert(), {inter.cert(), root.cert()}},
              trust};
  return sets.emplace(kind, std::move(set)).first->second;
}

EngineConfig config(bool initiator, crypto::KeGroup group, const CertSet* cs = nullptr) {
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
  if (cs) {
    c.local.auth = c.remote.auth = AuthClass::PubKey;
    c.local.credentials = {initiator ? cs->alice : cs->bob};
    c.remote.trust = cs->trust;
  }
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
  explicit Pair(crypto::KeGroup g, const CertSet* cs = nullptr)
      : ra(crypto::make_deterministic_random(1)),
        rb(crypto::make_deterministic_random(2)),
        a(config(true, g, cs), *ra, ia),
        b(config(false, g, cs), *rb, ib) {}

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
    // A handshake that did not complete would make every figure meaningless.
    if (b.counters().ike_sa_established != ++established) std::abort();
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
  uint64_t established = 0;
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

// The responder's cost and the key exchange it cannot avoid, timed alternately in one loop
// so that both see the same machine: BM_ResponderOnly and BM_KeyExchange run seconds apart,
// and on a shared box their ratio swung by +-15% from run to run. Counters: responder_us,
// kex_us (one key pair and one shared secret, object destroyed inside the timing, as in
// the handshake) and ratio = responder / kex, the issue's "within 1.5x" figure.
void BM_ResponderVsKeyExchange(benchmark::State& state) {
  const auto g = static_cast<crypto::KeGroup>(state.range(0));
  Pair p(g);
  auto rng = crypto::make_deterministic_random(3);
  auto peer = crypto::make_key_exchange(g, *rng);
  if (!peer) std::abort();
  const Bytes peer_pub = (*peer)->public_value();
  int64_t responder_ns = 0, kex_ns = 0;
  for (auto _ : state) {
    auto [total, responder] = p.handshake(true);
    responder_ns += responder;
    const int64_t t0 = cpu_ns();
    {
      auto ke = crypto::make_key_exchange(g, *rng);
      if (!ke) std::abort();
      auto shared = (*ke)->derive(peer_pub);
      benchmark::DoNotOptimize(shared);
    }
    kex_ns += cpu_ns() - t0;
    state.SetIterationTime(static_cast<double>(responder) * 1e-9);
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["responder_us"] = static_cast<double>(responder_ns) / n / 1e3;
  state.counters["kex_us"] = static_cast<double>(kex_ns) / n / 1e3;
  state.counters["ratio"] = kex_ns > 0 ? static_cast<double>(responder_ns) / static_cast<double>(kex_ns) : 0;
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

// The signature scheme the handshakes use with these keys (both sides announce RFC 7427).
crypto::SignatureScheme scheme_of(test::pki::KeyKind kind) {
  return kind == test::pki::KeyKind::Rsa2048 ? crypto::SignatureScheme::RsaPkcs1Sha256
                                             : crypto::SignatureScheme::EcdsaSha256;
}

// Mean CPU ns of one sign + one verify over a buffer the size of the signed octets
// (IKE_SA_INIT message + nonce + prf output, about 500 octets with these proposals).
double sign_verify_ns(test::pki::KeyKind kind, int rounds) {
  const CertSet& cs = certs(kind);
  Bytes octets(512, 0x5a);
  const int64_t t0 = cpu_ns();
  for (int i = 0; i < rounds; ++i) {
    octets[size_t(i) % octets.size()] = uint8_t(i);
    auto sig = cs.alice.key.sign(scheme_of(kind), octets);
    if (!sig || !cs.alice.cert.public_key().verify(scheme_of(kind), octets, *sig)) std::abort();
  }
  return static_cast<double>(cpu_ns() - t0) / rounds;
}

void BM_SignVerify(benchmark::State& state) {
  const auto kind = static_cast<test::pki::KeyKind>(state.range(0));
  const CertSet& cs = certs(kind);
  Bytes octets(512, 0x5a);
  for (auto _ : state) {
    const int64_t t0 = cpu_ns();
    auto sig = cs.alice.key.sign(scheme_of(kind), octets);
    if (!sig || !cs.alice.cert.public_key().verify(scheme_of(kind), octets, *sig)) std::abort();
    state.SetIterationTime(static_cast<double>(cpu_ns() - t0) * 1e-9);
  }
  state.counters["sign+verify/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_CertHandshake(benchmark::State& state) {
  const auto kind = static_cast<test::pki::KeyKind>(state.range(0));
  Pair p(crypto::KeGroup::Curve25519, &certs(kind));
  int64_t total_ns = 0;
  for (auto _ : state) {
    auto [total, responder] = p.handshake(true);
    total_ns += total;
    state.SetIterationTime(static_cast<double>(total) * 1e-9);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  const double per_handshake = static_cast<double>(total_ns) / static_cast<double>(state.iterations());
  state.counters["x_sign_verify"] =
      per_handshake / sign_verify_ns(kind, kind == test::pki::KeyKind::Rsa2048 ? 200 : 1000);
}

}  // namespace

BENCHMARK(BM_CertHandshake)
    ->Arg(static_cast<int>(test::pki::KeyKind::P256))
    ->Arg(static_cast<int>(test::pki::KeyKind::Rsa2048))
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SignVerify)
    ->Arg(static_cast<int>(test::pki::KeyKind::P256))
    ->Arg(static_cast<int>(test::pki::KeyKind::Rsa2048))
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
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
BENCHMARK(BM_ResponderVsKeyExchange)
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
