// ESP encapsulation and decapsulation through ipsec::Engine (tunnel mode, IPv4) per transform
// at 64, 512 and 1400 octets of inner packet, next to the raw OpenSSL EVP AEAD on the same
// number of octets in the same binary. After the run two tables give ns per packet and the
// ratio ESP throughput / raw throughput: one from the paired_* benchmarks, which time ESP and
// raw AEAD in alternating batches within one benchmark (the figure to quote), one from the
// separate benchmarks' rates. Suggested run:
//   esp_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//
// What the paired_* benchmarks time. Each side owns a ring of kBatch (32) separately
// allocated buffers, one per packet of a batch. Before each batch, outside the timed part,
// every buffer of that side's ring is rewritten with its input, so that both sides start a
// batch from the same cache state (inputs just written, as after a receive or a read from a
// tun device). The rewrite is timed on its own and reported as copy_ns (ESP's ring, per
// packet); it is not part of esp_ns or raw_ns. Timed per packet:
//  - raw seal: set the nonce, 8 octets of AAD, encrypt the n-octet text in place, get the
//    16-octet tag (written behind the text) through the cipher parameters, as ESP does;
//  - raw open: set the nonce, 8 octets of AAD, decrypt the n-octet text out of place (into
//    one scratch buffer), set the 16-octet tag (behind the text) through the cipher
//    parameters and check it in Final;
//  - ESP encap: Engine::outbound on an n-octet IPv4/UDP packet (the buffer held the packet
//    at kRecommendedHeadroom): parse, SPD, SA, padding, trailer, seal, outer header, counters;
//  - ESP decap: Engine::inbound on a valid ESP packet of that n-octet inner packet: parse,
//    SAD, replay check, open, replay update, inner parse, ECN, selector check, counters.
//    Replay checking is off on that SA so that the same packet may be decapsulated again.
// Each side's input rewrite is a memcpy of n octets (encap: the inner packet; seal: the
// plaintext) or of the whole message (decap: the ESP packet; open: ciphertext and tag).
//
// The separate esp_*/raw_* benchmarks use one buffer each and restore it inside the timed
// loop: esp_encap rewrites the 28-octet IP/UDP header per packet, esp_decap copies the whole
// ESP packet back per packet (in-place decryption destroys it), raw_open decrypts out of
// place (no copy). Their ratios therefore count that restore against ESP.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

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

constexpr int kBatch = 32;  // packets per timed batch of the paired benchmarks, = ring size

// Buffers of one side of a paired benchmark: kBatch separate allocations (not one array), as
// packets arriving one by one would be.
std::vector<std::vector<uint8_t>> make_ring(size_t size) {
  return std::vector<std::vector<uint8_t>>(kBatch, std::vector<uint8_t>(size));
}

// The raw EVP AEAD on n octets: one context keyed once, per packet only the nonce is set,
// 8 octets of AAD, the text encrypted or decrypted, the 16-octet tag got or checked.
// run_single() (separate benchmarks) keeps one message: seal encrypts it in place again and
// again; open decrypts it out of place, so the ciphertext stays valid without a copy.
// run(i) (paired benchmarks) takes message i of the ring, whose layout is text | tag, and
// does the same: seal in place, open out of place (measured a little faster than in place
// here, so the baseline keeps it); restore() rewrites the ring: plaintext (seal) or
// ciphertext and tag (open).
// The tag through the cipher's parameters, as AeadProtector does: on OpenSSL 3.0 the
// EVP_CIPHER_CTX_ctrl route costs a few percent of a 1400-octet GCM operation in dispatch,
// and the baseline must be the fastest raw EVP sequence, not a slower one.
bool aead_tag(EVP_CIPHER_CTX* ctx, uint8_t* tag, bool set) {
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16),
                          OSSL_PARAM_construct_end()};
  return (set ? EVP_CIPHER_CTX_set_params(ctx, params) : EVP_CIPHER_CTX_get_params(ctx, params)) == 1;
}

struct RawAead {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* ctx = nullptr;
  size_t n;
  bool seal;
  uint8_t nonce[12] = {};
  uint8_t aad[8] = {0, 0, 1, 0, 0, 0, 0, 1};
  Bytes text, out, tag;
  Bytes message;  // what restore() writes: text, or ciphertext | tag
  std::vector<std::vector<uint8_t>> ring;

  RawAead(const Alg& alg, size_t size, bool do_seal)
      : n(size), seal(do_seal), text(size, 0x33), out(size), tag(16), ring(make_ring(size + 16)) {
    cipher = EVP_CIPHER_fetch(nullptr, alg.evp, nullptr);
    ctx = EVP_CIPHER_CTX_new();
    uint8_t keybuf[32] = {1, 2, 3};
    EVP_CipherInit_ex2(ctx, cipher, keybuf, nonce, seal ? 1 : 0, nullptr);
    message = text;
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
      message = text;
      message.insert(message.end(), tag.begin(), tag.end());
    }
    restore();
  }
  ~RawAead() {
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
  }
  RawAead(const RawAead&) = delete;
  RawAead& operator=(const RawAead&) = delete;

  bool run_single() {
    int len = 0;
    EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, seal ? 1 : 0, nullptr);
    EVP_CipherUpdate(ctx, nullptr, &len, aad, 8);
    bool ok = true;
    if (seal) {
      EVP_CipherUpdate(ctx, text.data(), &len, text.data(), static_cast<int>(n));
      EVP_CipherFinal_ex(ctx, out.data(), &len);
      aead_tag(ctx, tag.data(), false);
    } else {
      EVP_CipherUpdate(ctx, out.data(), &len, text.data(), static_cast<int>(n));
      aead_tag(ctx, tag.data(), true);
      ok = EVP_CipherFinal_ex(ctx, out.data(), &len) == 1;
    }
    benchmark::DoNotOptimize(tag.data());
    benchmark::ClobberMemory();
    return ok;
  }

  void restore() {
    for (auto& m : ring) std::memcpy(m.data(), message.data(), message.size());
  }
  bool run(int i) {
    uint8_t* t = ring[static_cast<size_t>(i)].data();
    uint8_t* g = t + n;
    uint8_t final_out[16];
    int len = 0;
    EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, seal ? 1 : 0, nullptr);
    EVP_CipherUpdate(ctx, nullptr, &len, aad, 8);
    bool ok = true;
    EVP_CipherUpdate(ctx, seal ? t : out.data(), &len, t, static_cast<int>(n));
    if (seal) {
      EVP_CipherFinal_ex(ctx, final_out, &len);
      aead_tag(ctx, g, false);
    } else {
      aead_tag(ctx, g, true);
      ok = EVP_CipherFinal_ex(ctx, final_out, &len) == 1;
    }
    benchmark::DoNotOptimize(t);
    benchmark::ClobberMemory();
    return ok;
  }
};

void raw_aead(benchmark::State& state, const Alg* alg, size_t n, bool seal) {
  RawAead raw(*alg, n, seal);
  for (auto _ : state)
    if (!raw.run_single()) state.SkipWithError("raw open failed");
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

constexpr size_t kStorage = ipsec::kRecommendedHeadroom + ipsec::kRecommendedTailroom;

// ESP encapsulation of an n-octet IPv4/UDP packet. run_single(): one buffer whose 28-octet
// header is rewritten each round (the tunnel-mode payload behind it stays; its content does
// not matter). run(i): buffer i of the ring, which restore() filled with the whole packet.
struct EspEncap {
  EspSetup s;
  size_t n;
  Bytes inner;
  std::vector<std::vector<uint8_t>> ring;

  EspEncap(const Alg& alg, size_t size)
      : s(alg), n(size), inner(inner_packet(size)), ring(make_ring(kStorage + size)) {
    restore();
  }
  void restore() {
    for (auto& b : ring) std::memcpy(b.data() + ipsec::kRecommendedHeadroom, inner.data(), n);
  }
  bool encap(std::vector<uint8_t>& storage) {
    ipsec::PacketBuffer pkt(storage, ipsec::kRecommendedHeadroom, n);
    auto r = s.tx->outbound(pkt, 0);
    benchmark::DoNotOptimize(pkt.data());
    return r.verdict == ipsec::Verdict::Protected;
  }
  bool run_single() {
    std::memcpy(ring[0].data() + ipsec::kRecommendedHeadroom, inner.data(), 28);
    return encap(ring[0]);
  }
  bool run(int i) { return encap(ring[static_cast<size_t>(i)]); }
};

// ESP decapsulation of a valid ESP packet (in-place decryption destroys it). run_single():
// one buffer, the packet copied back into it each round. run(i): buffer i of the ring, which
// restore() filled with the packet.
struct EspDecap {
  EspSetup s;
  std::vector<std::vector<uint8_t>> ring;
  Bytes esp;
  size_t off = 0;

  EspDecap(const Alg& alg, size_t n) : s(alg), ring(make_ring(kStorage + n)) {
    std::vector<uint8_t>& storage = ring[0];
    Bytes inner = inner_packet(n);
    std::memcpy(storage.data() + ipsec::kRecommendedHeadroom, inner.data(), n);
    ipsec::PacketBuffer pkt(storage, ipsec::kRecommendedHeadroom, n);
    if (s.tx->outbound(pkt, 0).verdict != ipsec::Verdict::Protected) return;
    esp.assign(pkt.view().begin(), pkt.view().end());
    off = pkt.offset();
    restore();
  }
  bool ready() const { return !esp.empty(); }
  void restore() {
    for (auto& b : ring) std::memcpy(b.data() + off, esp.data(), esp.size());
  }
  bool decap(std::vector<uint8_t>& storage) {
    ipsec::PacketBuffer in(storage, off, esp.size());
    auto r = s.rx->inbound(in, 0);
    benchmark::DoNotOptimize(in.data());
    return r.verdict == ipsec::Verdict::Deliver;
  }
  bool run_single() {
    std::memcpy(ring[0].data() + off, esp.data(), esp.size());
    return decap(ring[0]);
  }
  bool run(int i) { return decap(ring[static_cast<size_t>(i)]); }
};

void esp_encap(benchmark::State& state, const Alg* alg, size_t n) {
  EspEncap e(*alg, n);
  for (auto _ : state)
    if (!e.run_single()) state.SkipWithError("not protected");
  report_rate(state, n);
}

void esp_decap(benchmark::State& state, const Alg* alg, size_t n) {
  EspDecap d(*alg, n);
  if (!d.ready()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state)
    if (!d.run_single()) state.SkipWithError("not delivered");
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
// one computed from two benchmarks run seconds apart. Each batch is preceded by the rewrite
// of that side's ring (timed apart: it is the harness, not the work measured; see the header
// comment). Counters: esp_ns and raw_ns per packet, ratio = raw time / ESP time = ESP
// throughput / raw throughput; copy_ns = the rewrite of ESP's ring, per packet.
template <class Esp>
void paired(benchmark::State& state, const Alg* alg, size_t n, bool encap) {
  RawAead raw(*alg, n, encap);
  Esp esp(*alg, n);
  double raw_ns = 0, esp_ns = 0, copy_ns = 0;
  bool raw_first = true;
  for (auto _ : state) {
    bool ok = true;
    // Returns the time of the batch; adds the rewrite's time to *restore_ns.
    auto batch = [&](auto& x, double* restore_ns) {
      double t0 = thread_cpu_ns();
      x.restore();
      benchmark::ClobberMemory();
      double t1 = thread_cpu_ns();
      for (int i = 0; i < kBatch; ++i) ok &= x.run(i);
      double t2 = thread_cpu_ns();
      if (restore_ns) *restore_ns += t1 - t0;
      return t2 - t1;
    };
    if (raw_first) {
      raw_ns += batch(raw, nullptr);
      esp_ns += batch(esp, &copy_ns);
    } else {
      esp_ns += batch(esp, &copy_ns);
      raw_ns += batch(raw, nullptr);
    }
    raw_first = !raw_first;
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
                "ratio", "decap ns", "open ns", "ratio", "(ESP input rewrite ns encap/decap, not timed)");
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
        std::printf("  %-18s %5zu  %9.0f %9.0f %6.3f   %9.0f %9.0f %6.3f  (%.0f/%.0f)\n", a.name, n,
                    get("paired_encap", "esp_ns"), get("paired_encap", "raw_ns"),
                    get("paired_encap", "ratio"), get("paired_decap", "esp_ns"),
                    get("paired_decap", "raw_ns"), get("paired_decap", "ratio"),
                    get("paired_encap", "copy_ns"), get("paired_decap", "copy_ns"));
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
