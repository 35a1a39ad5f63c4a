// ESP encapsulation and decapsulation through ipsec::Engine (tunnel mode, IPv4) per transform
// at 64, 512 and 1400 octets of inner packet, next to the raw OpenSSL EVP AEAD on the same
// number of octets in the same binary. After the run two tables give ns per packet and the
// ratio ESP throughput / raw throughput: one from the separate benchmarks' rates, one from
// the paired_* benchmarks, which time ESP and raw AEAD in alternating batches within one
// benchmark (the steadier figure on a busy machine). Suggested run:
//   esp_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//
// What is timed:
//  - raw seal: set the nonce, 8 octets of AAD, encrypt in place, get the 16-octet tag;
//  - raw open: set the nonce, AAD, decrypt out of place, check the tag (no copy needed);
//  - ESP encap: Engine::outbound on a packet whose 28-octet IP/UDP header is rewritten each
//    iteration (the rest of the payload stays in the buffer: no copy);
//  - ESP decap: Engine::inbound on a valid ESP packet restored by memcpy each iteration
//    (in-place decryption destroys it; the copy is counted against ESP). Replay checking is
//    off on that SA so that the same packet may be decapsulated again.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "portunus/crypto/protector.h"
#include "portunus/crypto/random.h"
#include "portunus/ipsec/engine.h"

using namespace portunus;

namespace {

struct Alg {
  const char* name;
  crypto::EncrId encr;
  unsigned bits;
  crypto::IntegId integ;
  const char* evp;  // raw AEAD baseline; nullptr for cipher + integrity
};

const Alg kAlgs[] = {
    {"aes128gcm", crypto::EncrId::AesGcm16, 128, crypto::IntegId::None, "AES-128-GCM"},
    {"aes256gcm", crypto::EncrId::AesGcm16, 256, crypto::IntegId::None, "AES-256-GCM"},
    {"chacha20poly1305", crypto::EncrId::ChaCha20Poly1305, 0, crypto::IntegId::None, "ChaCha20-Poly1305"},
    {"aes128cbc_sha256", crypto::EncrId::AesCbc, 128, crypto::IntegId::HmacSha2_256_128, nullptr},
};

// An IPv4/UDP packet of n >= 28 octets.
Bytes inner_packet(size_t n) {
  n = std::max<size_t>(n, 28);
  uint8_t h[28] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 1, 1};
  store_be16(h + 2, static_cast<uint16_t>(n));
  store_be16(h + 20, 1234);
  store_be16(h + 22, 80);
  store_be16(h + 24, static_cast<uint16_t>(n - 20));
  Bytes p(n, 0x5a);  // sized once: growing a 28-octet vector trips GCC 12's -Warray-bounds at -O3
  std::memcpy(p.data(), h, sizeof h);
  return p;
}

// The raw EVP AEAD on n octets: one context keyed once, per packet only the nonce is set,
// 8 octets of AAD, the text encrypted in place (seal) or decrypted next to it (open: the
// ciphertext stays valid for the next round without a copy), the 16-octet tag got or checked.
struct RawAead {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* ctx = nullptr;
  size_t n;
  bool seal;
  uint8_t nonce[12] = {};
  uint8_t aad[8] = {0, 0, 1, 0, 0, 0, 0, 1};
  Bytes text, out, tag;

  RawAead(const Alg& alg, size_t size, bool do_seal)
      : n(size), seal(do_seal), text(size, 0x33), out(size), tag(16) {
    cipher = EVP_CIPHER_fetch(nullptr, alg.evp, nullptr);
    ctx = EVP_CIPHER_CTX_new();
    uint8_t keybuf[32] = {1, 2, 3};
    EVP_CipherInit_ex2(ctx, cipher, keybuf, nonce, seal ? 1 : 0, nullptr);
    if (!seal) {
      // A valid ciphertext and tag to open.
      EVP_CIPHER_CTX* e = EVP_CIPHER_CTX_new();
      EVP_CipherInit_ex2(e, cipher, keybuf, nonce, 1, nullptr);
      int len = 0;
      EVP_CipherUpdate(e, nullptr, &len, aad, 8);
      EVP_CipherUpdate(e, text.data(), &len, text.data(), static_cast<int>(n));
      EVP_CipherFinal_ex(e, out.data(), &len);
      EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, 16, tag.data());
      EVP_CIPHER_CTX_free(e);
    }
  }
  ~RawAead() {
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
  }
  RawAead(const RawAead&) = delete;
  RawAead& operator=(const RawAead&) = delete;

  bool run() {
    int len = 0;
    EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, seal ? 1 : 0, nullptr);
    EVP_CipherUpdate(ctx, nullptr, &len, aad, 8);
    bool ok = true;
    if (seal) {
      EVP_CipherUpdate(ctx, text.data(), &len, text.data(), static_cast<int>(n));
      EVP_CipherFinal_ex(ctx, out.data(), &len);
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag.data());
    } else {
      EVP_CipherUpdate(ctx, out.data(), &len, text.data(), static_cast<int>(n));
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag.data());
      ok = EVP_CipherFinal_ex(ctx, out.data(), &len) == 1;
    }
    benchmark::DoNotOptimize(tag.data());
    benchmark::ClobberMemory();
    return ok;
  }
};

void raw_aead(benchmark::State& state, const Alg* alg, size_t n, bool seal) {
  RawAead raw(*alg, n, seal);
  for (auto _ : state)
    if (!raw.run()) state.SkipWithError("raw open failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["rate"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

struct EspSetup {
  std::unique_ptr<crypto::Random> rng = crypto::make_deterministic_random(1);
  std::unique_ptr<ipsec::Engine> tx, rx;

  explicit EspSetup(const Alg& a) {
    ipsec::EngineConfig c;
    c.random = rng.get();
    tx = std::make_unique<ipsec::Engine>(c);
    rx = std::make_unique<ipsec::Engine>(c);
    IpAddress gw1 = *IpAddress::parse("192.0.2.1"), gw2 = *IpAddress::parse("192.0.2.2");
    ipsec::Policy p;
    p.direction = ipsec::Direction::Outbound;
    p.selector = ipsec::Selector::any(IpFamily::V4);
    p.action = ipsec::Action::Protect;
    p.mode = ipsec::Mode::Tunnel;
    p.tunnel_local = gw1;
    p.tunnel_remote = gw2;
    p.reqid = 1;
    (void)tx->add_policy(p);
    auto sizes = crypto::key_sizes(a.encr, a.bits, a.integ);
    Bytes ek = rng->bytes(sizes->encr_keymat), ik;
    if (sizes->integ_key != 0) ik = rng->bytes(sizes->integ_key);
    for (ipsec::Direction d : {ipsec::Direction::Outbound, ipsec::Direction::Inbound}) {
      ipsec::SaParams s;
      s.direction = d;
      s.spi = 0x1234;
      s.mode = ipsec::Mode::Tunnel;
      s.local = d == ipsec::Direction::Outbound ? gw1 : gw2;
      s.remote = d == ipsec::Direction::Outbound ? gw2 : gw1;
      s.encr = a.encr;
      s.encr_key_bits = a.bits;
      s.encr_keymat = SecureBytes(ek);
      s.integ = a.integ;
      s.integ_key = SecureBytes(ik);
      s.esn = true;  // 64-bit sequence numbers: the encap loop never runs out
      s.reqid = 1;
      s.replay_window = 0;  // see the header comment
      s.selectors = {ipsec::Selector::any(IpFamily::V4)};
      (void)(d == ipsec::Direction::Outbound ? tx : rx)->install_sa(std::move(s), 0);
    }
  }
};

// Bytes per second, read back by the reporter to compute the ratios.
void report_rate(benchmark::State& state, size_t n) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["rate"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

// ESP encapsulation of an n-octet IPv4/UDP packet: its 28-octet header is rewritten each
// round (the tunnel-mode payload behind it stays in the buffer, no copy needed).
struct EspEncap {
  EspSetup s;
  size_t n;
  Bytes inner;
  std::vector<uint8_t> storage;

  EspEncap(const Alg& alg, size_t size)
      : s(alg),
        n(size),
        inner(inner_packet(size)),
        storage(ipsec::kRecommendedHeadroom + size + ipsec::kRecommendedTailroom) {
    std::memcpy(storage.data() + ipsec::kRecommendedHeadroom, inner.data(), n);
  }
  // The per-packet restore of the input, part of run(); timed alone by paired().
  void restore() { std::memcpy(storage.data() + ipsec::kRecommendedHeadroom, inner.data(), 28); }
  bool run() {
    restore();
    ipsec::PacketBuffer pkt(storage, ipsec::kRecommendedHeadroom, n);
    auto r = s.tx->outbound(pkt, 0);
    benchmark::DoNotOptimize(pkt.data());
    return r.verdict == ipsec::Verdict::Protected;
  }
};

// ESP decapsulation of a valid ESP packet, restored by memcpy each round (in-place decryption
// destroys it; the copy is counted against ESP).
struct EspDecap {
  EspSetup s;
  std::vector<uint8_t> storage;
  Bytes esp;
  size_t off = 0;

  EspDecap(const Alg& alg, size_t n)
      : s(alg), storage(ipsec::kRecommendedHeadroom + n + ipsec::kRecommendedTailroom) {
    Bytes inner = inner_packet(n);
    std::memcpy(storage.data() + ipsec::kRecommendedHeadroom, inner.data(), n);
    ipsec::PacketBuffer pkt(storage, ipsec::kRecommendedHeadroom, n);
    if (s.tx->outbound(pkt, 0).verdict != ipsec::Verdict::Protected) return;
    esp.assign(pkt.view().begin(), pkt.view().end());
    off = pkt.offset();
  }
  bool ready() const { return !esp.empty(); }
  void restore() { std::memcpy(storage.data() + off, esp.data(), esp.size()); }
  bool run() {
    restore();
    ipsec::PacketBuffer in(storage, off, esp.size());
    auto r = s.rx->inbound(in, 0);
    benchmark::DoNotOptimize(in.data());
    return r.verdict == ipsec::Verdict::Deliver;
  }
};

void esp_encap(benchmark::State& state, const Alg* alg, size_t n) {
  EspEncap e(*alg, n);
  for (auto _ : state)
    if (!e.run()) state.SkipWithError("not protected");
  report_rate(state, n);
}

void esp_decap(benchmark::State& state, const Alg* alg, size_t n) {
  EspDecap d(*alg, n);
  if (!d.ready()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state)
    if (!d.run()) state.SkipWithError("not delivered");
  report_rate(state, n);
}

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// ESP and the raw AEAD measured in alternating batches of kBatch packets inside one benchmark
// (which goes first alternates too), each batch timed by this thread's CPU clock. On a machine
// shared with other work both see the same disturbance, so their ratio is far steadier than
// one computed from two benchmarks run seconds apart. Counters: esp_ns and raw_ns per packet,
// ratio = raw time / ESP time = ESP throughput / raw throughput; copy_ns = the part of esp_ns
// that is the harness restoring its input (timed alone; the raw open needs no restore).
template <class Esp>
void paired(benchmark::State& state, const Alg* alg, size_t n, bool encap) {
  constexpr int kBatch = 32;
  RawAead raw(*alg, n, encap);
  Esp esp(*alg, n);
  double raw_ns = 0, esp_ns = 0, copy_ns = 0;
  bool raw_first = true;
  for (auto _ : state) {
    bool ok = true;
    auto batch = [&](auto& x) {
      double t0 = thread_cpu_ns();
      for (int i = 0; i < kBatch; ++i) ok &= x.run();
      return thread_cpu_ns() - t0;
    };
    if (raw_first) {
      raw_ns += batch(raw);
      esp_ns += batch(esp);
    } else {
      esp_ns += batch(esp);
      raw_ns += batch(raw);
    }
    raw_first = !raw_first;
    double t0 = thread_cpu_ns();
    for (int i = 0; i < kBatch * 8; ++i) {  // longer batch: the clock's own cost vanishes
      esp.restore();
      benchmark::ClobberMemory();
    }
    copy_ns += (thread_cpu_ns() - t0) / 8;
    if (!ok) state.SkipWithError("a packet failed");
  }
  auto packets = static_cast<double>(state.iterations()) * kBatch;
  state.counters["esp_ns"] = esp_ns / packets;
  state.counters["raw_ns"] = raw_ns / packets;
  state.counters["ratio"] = esp_ns > 0 ? raw_ns / esp_ns : 0;
  state.counters["copy_ns"] = copy_ns / packets;
}

// Prints raw vs ESP figures after the run from the reported rates: per transform and size the
// time per packet of ESP and of the raw AEAD and the throughput ratio. Rates are CPU-time
// based (Google Benchmark divides rate counters by CPU time), which on a shared machine is less
// disturbed by other processes than wall time. With --benchmark_repetitions the median and
// the best repetition are given; with --benchmark_report_aggregates_only the median aggregate
// is all there is (best = median then).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      if (r.run_type != Run::RT_Aggregate && r.counters.count("ratio")) {
        for (const char* c : {"esp_ns", "raw_ns", "ratio", "copy_ns"})
          paired_[r.run_name.str()][c].push_back(r.counters.at(c).value);
      } else if (r.aggregate_name == "median" && r.counters.count("ratio")) {
        for (const char* c : {"esp_ns", "raw_ns", "ratio", "copy_ns"})
          paired_median_[r.run_name.str()][c] = r.counters.at(c).value;
      }
      auto it = r.counters.find("rate");
      if (it == r.counters.end()) continue;
      if (r.run_type != Run::RT_Aggregate) {
        rates_[r.run_name.str()].push_back(it->second.value);
      } else if (r.aggregate_name == "median") {
        medians_[r.run_name.str()] = it->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    print_paired();
    std::printf(
        "\nESP vs raw EVP AEAD, same size, same binary (ns per packet of CPU time, ratio = ESP throughput /"
        " raw throughput;\nmedian repetition, best repetition's ratio in brackets):\n");
    std::printf("  %-18s %5s  %9s %9s %6s %7s   %9s %9s %6s %7s\n", "transform", "size", "encap ns",
                "seal ns", "ratio", "(best)", "decap ns", "open ns", "ratio", "(best)");
    for (const Alg& a : kAlgs) {
      if (!a.evp) continue;
      for (size_t n : {64, 512, 1400}) {
        std::string suffix = std::string("/") + a.name + "/" + std::to_string(n);
        auto get = [&](const char* what, bool median) {
          std::string key = what + suffix;
          std::vector<double> v = rates_[key];
          if (v.empty()) return medians_.count(key) ? medians_[key] : 0.0;
          std::sort(v.begin(), v.end());
          return median ? v[v.size() / 2] : v.back();
        };
        auto ns = [&](double rate) { return rate > 0 ? 1e9 * static_cast<double>(n) / rate : 0.0; };
        auto ratio = [](double esp, double raw) { return raw > 0 ? esp / raw : 0.0; };
        double rs = get("raw_seal", true), ro = get("raw_open", true);
        double es = get("esp_encap", true), ed = get("esp_decap", true);
        if (rs <= 0 || es <= 0) continue;
        std::printf("  %-18s %5zu  %9.0f %9.0f %6.2f (%4.2f)   %9.0f %9.0f %6.2f (%4.2f)\n", a.name, n,
                    ns(es), ns(rs), ratio(es, rs), ratio(get("esp_encap", false), get("raw_seal", false)),
                    ns(ed), ns(ro), ratio(ed, ro), ratio(get("esp_decap", false), get("raw_open", false)));
      }
    }
  }

 private:
  void print_paired() {
    if (paired_.empty() && paired_median_.empty()) return;
    std::printf(
        "\nPaired (ESP and raw AEAD in alternating batches, thread CPU time; median of the repetitions):\n");
    std::printf("  %-18s %5s  %9s %9s %6s   %9s %9s %6s  %s\n", "transform", "size", "encap ns", "seal ns",
                "ratio", "decap ns", "open ns", "ratio", "(decap input restore ns, part of decap)");
    for (const Alg& a : kAlgs) {
      if (!a.evp) continue;
      for (size_t n : {64, 512, 1400}) {
        std::string suffix = std::string("/") + a.name + "/" + std::to_string(n);
        auto get = [&](const char* what, const char* c) {
          std::string key = what + suffix;
          std::vector<double> v = paired_[key][c];
          if (v.empty()) return paired_median_[key][c];
          std::sort(v.begin(), v.end());
          return v[v.size() / 2];
        };
        if (get("paired_encap", "ratio") <= 0 && get("paired_decap", "ratio") <= 0) continue;
        std::printf("  %-18s %5zu  %9.0f %9.0f %6.2f   %9.0f %9.0f %6.2f  (%.0f)\n", a.name, n,
                    get("paired_encap", "esp_ns"), get("paired_encap", "raw_ns"),
                    get("paired_encap", "ratio"), get("paired_decap", "esp_ns"),
                    get("paired_decap", "raw_ns"), get("paired_decap", "ratio"),
                    get("paired_decap", "copy_ns"));
      }
    }
  }

  std::map<std::string, std::map<std::string, std::vector<double>>> paired_;
  std::map<std::string, std::map<std::string, double>> paired_median_;
  std::map<std::string, std::vector<double>> rates_;  // per repetition
  std::map<std::string, double> medians_;             // median aggregates
};

}  // namespace

int main(int argc, char** argv) {
  for (const Alg& a : kAlgs) {
    for (size_t n : {64, 512, 1400}) {
      std::string sz = std::to_string(n);
      if (a.evp) {
        benchmark::RegisterBenchmark(("raw_seal/" + std::string(a.name) + "/" + sz).c_str(), raw_aead, &a, n,
                                     true);
        benchmark::RegisterBenchmark(("raw_open/" + std::string(a.name) + "/" + sz).c_str(), raw_aead, &a, n,
                                     false);
      }
      benchmark::RegisterBenchmark(("esp_encap/" + std::string(a.name) + "/" + sz).c_str(), esp_encap, &a, n);
      benchmark::RegisterBenchmark(("esp_decap/" + std::string(a.name) + "/" + sz).c_str(), esp_decap, &a, n);
      if (a.evp) {
        benchmark::RegisterBenchmark(("paired_encap/" + std::string(a.name) + "/" + sz).c_str(),
                                     paired<EspEncap>, &a, n, true);
        benchmark::RegisterBenchmark(("paired_decap/" + std::string(a.name) + "/" + sz).c_str(),
                                     paired<EspDecap>, &a, n, false);
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
