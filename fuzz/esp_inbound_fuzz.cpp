// libFuzzer target: arbitrary bytes into ipsec::Engine::inbound on an SAD with a few SAs
// (AES-GCM tunnel, AES-CBC+HMAC transport with ESN, ChaCha20-Poly1305 tunnel over UDP 4500,
// AES-CBC without integrity in transport mode over IPv6).
//
// The first octet chooses how the rest is used, so that the fuzzer reaches every stage:
//   0: the rest is a whole IP packet as received;
//   1: the rest is an ESP packet (SPI chosen by the next octet) behind a synthetic IPv4
//      header, or behind UDP 4500 for the encapsulated SA;
//   2: the rest is a payload that the harness seals with the SA's own keys (octet 1: SA,
//      octet 2: next header, octet 3: padding length), so that decryption succeeds and the
//      trailer, inner-packet, decapsulation and selector checks see fuzzer-chosen plaintext.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "portunus/crypto/protector.h"
#include "portunus/crypto/random.h"
#include "portunus/ipsec/engine.h"
#include "portunus/ipsec/esp.h"
#include "portunus/wire/ip_packet.h"

using namespace portunus;

namespace {

struct SaDef {
  uint32_t spi;
  ipsec::Mode mode;
  crypto::EncrId encr;
  unsigned bits;
  crypto::IntegId integ;
  bool esn;
  bool udp;
  bool v6;
};

constexpr SaDef kSas[] = {
    {0x1001, ipsec::Mode::Tunnel, crypto::EncrId::AesGcm16, 128, crypto::IntegId::None, false, false, false},
    {0x1002, ipsec::Mode::Transport, crypto::EncrId::AesCbc, 128, crypto::IntegId::HmacSha2_256_128, true,
     false, false},
    {0x1003, ipsec::Mode::Tunnel, crypto::EncrId::ChaCha20Poly1305, 0, crypto::IntegId::None, false, true,
     false},
    {0x1004, ipsec::Mode::Transport, crypto::EncrId::AesCbc, 128, crypto::IntegId::None, false, false, true},
};
constexpr size_t kNumSas = sizeof kSas / sizeof kSas[0];

struct Keys {
  Bytes encr;
  Bytes integ;
};

Keys keys_for(const SaDef& d) {
  auto sizes = crypto::key_sizes(d.encr, d.bits, d.integ);
  Keys k;
  k.encr.assign(sizes->encr_keymat, static_cast<uint8_t>(d.spi));
  k.integ.assign(sizes->integ_key, static_cast<uint8_t>(d.spi >> 4));
  return k;
}

IpAddress v4(const char* s) { return *IpAddress::parse(s); }

void setup(ipsec::Engine& e) {
  for (const SaDef& d : kSas) {
    Keys k = keys_for(d);
    ipsec::SaParams p;
    p.direction = ipsec::Direction::Inbound;
    p.spi = d.spi;
    p.mode = d.mode;
    p.local = d.v6 ? v4("2001:db8::2") : v4("192.0.2.2");
    p.remote = d.v6 ? v4("2001:db8::1") : v4("192.0.2.1");
    if (d.udp) p.udp_encap = ipsec::UdpEncap{};
    p.encr = d.encr;
    p.encr_key_bits = d.bits;
    p.encr_keymat = SecureBytes(k.encr);
    p.integ = d.integ;
    p.integ_key = SecureBytes(k.integ);
    p.esn = d.esn;
    p.reqid = static_cast<uint32_t>(d.spi);
    p.replay_window = 128;
    if (d.mode == ipsec::Mode::Tunnel) {
      ipsec::Selector s;
      s.local = ipsec::AddressRange::prefix(v4("10.0.1.0"), 24);
      s.remote = ipsec::AddressRange::prefix(v4("10.0.0.0"), 24);
      p.selectors = {s};
    }
    (void)e.install_sa(std::move(p), 0);
  }
  // Transport SAs are checked against the inbound SPD.
  ipsec::Policy pol;
  pol.direction = ipsec::Direction::Inbound;
  pol.action = ipsec::Action::Protect;
  pol.mode = ipsec::Mode::Transport;
  pol.selector = ipsec::Selector::any(IpFamily::V4);
  (void)e.add_policy(pol);
  pol.selector = ipsec::Selector::any(IpFamily::V6);
  (void)e.add_policy(pol);
  pol.action = ipsec::Action::Bypass;
  pol.selector = ipsec::Selector::any(IpFamily::V4);
  pol.selector.protocol = wire::ipproto::kIcmp;
  pol.priority = 1;
  (void)e.add_policy(pol);
}

// Puts an IPv4 (or IPv6) header, and a UDP header for encapsulated SAs, in front of `esp`.
size_t wrap(uint8_t* out, const SaDef& d, size_t esp_len) {
  size_t ip = d.v6 ? 40 : 20;
  size_t udp = d.udp ? 8 : 0;
  std::memset(out, 0, ip + udp);
  IpAddress src = d.v6 ? v4("2001:db8::1") : v4("192.0.2.1");
  IpAddress dst = d.v6 ? v4("2001:db8::2") : v4("192.0.2.2");
  uint8_t proto = d.udp ? wire::ipproto::kUdp : wire::ipproto::kEsp;
  if (d.v6) {
    out[0] = 0x60;
    store_be16(out + 4, static_cast<uint16_t>(udp + esp_len));
    out[6] = proto;
    out[7] = 64;
    std::memcpy(out + 8, src.data(), 16);
    std::memcpy(out + 24, dst.data(), 16);
  } else {
    out[0] = 0x45;
    store_be16(out + 2, static_cast<uint16_t>(ip + udp + esp_len));
    out[8] = 64;
    out[9] = proto;
    std::memcpy(out + 12, src.data(), 4);
    std::memcpy(out + 16, dst.data(), 4);
    wire::ipv4_set_checksum(MutBytes(out, 20));
  }
  if (udp) {
    store_be16(out + ip, 4500);
    store_be16(out + ip + 2, 4500);
    store_be16(out + ip + 4, static_cast<uint16_t>(8 + esp_len));
  }
  return ip + udp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4000) return 0;
  static std::unique_ptr<crypto::Random> rng = crypto::make_deterministic_random(7);
  ipsec::EngineConfig cfg;
  cfg.random = rng.get();
  ipsec::Engine engine(cfg);
  setup(engine);
  static std::vector<uint8_t> storage(16384);
  const uint8_t mode = data[0] % 3;
  BytesView rest(data + 1, size - 1);
  ipsec::PacketBuffer pkt;
  if (mode == 0) {
    pkt = ipsec::PacketBuffer::copy_into(storage, 256, rest);
  } else if (mode == 1) {
    if (rest.size() < 1) return 0;
    const SaDef& d = kSas[rest[0] % kNumSas];
    BytesView esp = rest.subspan(1);
    uint8_t* base = storage.data() + 256;
    size_t h = wrap(base, d, esp.size());
    if (!esp.empty()) std::memcpy(base + h, esp.data(), esp.size());
    if (esp.size() >= 4) store_be32(base + h, esp.size() >= 5 && esp[4] % 2 ? d.spi : load_be32(esp.data()));
    pkt = ipsec::PacketBuffer(storage, 256, h + esp.size());
  } else {
    if (rest.size() < 3) return 0;
    const SaDef& d = kSas[rest[0] % kNumSas];
    uint8_t next_header = rest[1];
    BytesView payload = rest.subspan(3);
    Keys k = keys_for(d);
    auto prot = crypto::make_protector(d.encr, d.bits, k.encr, d.integ, k.integ);
    if (!prot) return 0;
    size_t pad = rest[2];
    size_t block = std::max<size_t>((*prot)->block_size(), 4);
    // Default padding 1, 2, 3, ... of a fuzzer-chosen length, rounded so that the cipher
    // accepts the text (bad padding content is reachable through mode 1 on the SA without
    // integrity).
    pad += (block - (payload.size() + pad + 2) % block) % block;
    if (pad > 255) pad -= block;
    uint8_t padding[255];
    ipsec::esp_fill_padding(padding, pad);
    uint8_t* base = storage.data() + 256;
    size_t h = wrap(base, d, 0);
    uint8_t* esp = base + h;
    size_t iv_len = (*prot)->iv_size();
    std::memcpy(esp + 8 + iv_len, payload.data(), payload.size());
    uint8_t iv[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ipsec::EspSealParams sp{d.spi, 1, d.esn, (*prot)->is_aead(), next_header};
    size_t n =
        ipsec::esp_seal(**prot, sp, BytesView(iv, iv_len), BytesView(padding, pad), esp, payload.size());
    if (n == 0) return 0;
    wrap(base, d, n);
    pkt = ipsec::PacketBuffer(storage, 256, h + n);
  }
  ipsec::InboundResult r = engine.inbound(pkt, 1);
  if (r.verdict == ipsec::Verdict::Deliver) {
    // The delivered packet must parse: the engine only delivers what it checked.
    if (!wire::parse_ip(pkt.view()).ok) __builtin_trap();
  }
  return 0;
}
