#pragma once
// Two engines, "a" (sender) and "b" (receiver), configured with matching policies and one SA
// from a to b, for a given transform, mode, address family and encapsulation.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

#include "packets.h"
#include "portunus/crypto/protector.h"
#include "portunus/crypto/random.h"
#include "portunus/ipsec/engine.h"

namespace portunus::ipsec::testing {

struct Transform {
  const char* name;
  crypto::EncrId encr;
  unsigned bits;
  crypto::IntegId integ;
};

inline const std::array<Transform, 11>& all_transforms() {
  using crypto::EncrId;
  using crypto::IntegId;
  static const std::array<Transform, 11> t = {{
      {"aes128gcm16", EncrId::AesGcm16, 128, IntegId::None},
      {"aes256gcm16", EncrId::AesGcm16, 256, IntegId::None},
      {"aes128gcm8", EncrId::AesGcm8, 128, IntegId::None},
      {"chacha20poly1305", EncrId::ChaCha20Poly1305, 0, IntegId::None},
      {"aes128gmac", EncrId::NullAuthAesGmac, 128, IntegId::None},
      {"aes128cbc_sha256", EncrId::AesCbc, 128, IntegId::HmacSha2_256_128},
      {"aes128cbc_sha256_96", EncrId::AesCbc, 128, IntegId::HmacSha2_256_96},
      {"aes256cbc_sha512", EncrId::AesCbc, 256, IntegId::HmacSha2_512_256},
      {"aes128ctr_sha384", EncrId::AesCtr, 128, IntegId::HmacSha2_384_192},
      {"3des_sha1", EncrId::TripleDes, 0, IntegId::HmacSha1_96},
      {"null_sha256", EncrId::Null, 0, IntegId::HmacSha2_256_128},
  }};
  return t;
}

struct PairSetup {
  Transform transform = all_transforms()[0];
  Mode mode = Mode::Tunnel;
  IpFamily inner = IpFamily::V4;
  IpFamily outer = IpFamily::V4;
  bool udp_encap = false;
  bool esn = false;
  ProcessingOptions options;
  uint32_t replay_window = 64;
  LifetimeLimits soft, hard;
  bool sa_selectors = false;  // give b's SA explicit selectors instead of relying on its SPD
  uint64_t initial_seq = 0;   // sequence state of both SAs
};

inline IpAddress host_a(IpFamily f) { return f == IpFamily::V4 ? ip("10.0.0.1") : ip("2001:db8:a::1"); }
inline IpAddress host_b(IpFamily f) { return f == IpFamily::V4 ? ip("10.0.1.1") : ip("2001:db8:b::1"); }
inline IpAddress gw_a(IpFamily f) { return f == IpFamily::V4 ? ip("192.0.2.1") : ip("2001:db8:ffff::1"); }
inline IpAddress gw_b(IpFamily f) { return f == IpFamily::V4 ? ip("192.0.2.2") : ip("2001:db8:ffff::2"); }

inline Selector net_selector(IpFamily f, bool from_a) {
  Selector s;
  AddressRange na = AddressRange::prefix(host_a(f), f == IpFamily::V4 ? 24 : 64);
  AddressRange nb = AddressRange::prefix(host_b(f), f == IpFamily::V4 ? 24 : 64);
  s.local = from_a ? na : nb;
  s.remote = from_a ? nb : na;
  return s;
}

constexpr uint32_t kSpi = 0x0a0b0c0d;

class Pair {
 public:
  explicit Pair(const PairSetup& s, uint64_t seed = 1)
      : setup_(s), rng_(crypto::make_deterministic_random(seed)) {
    EngineConfig ca;
    ca.random = rng_.get();
    a_ = std::make_unique<Engine>(ca);
    b_ = std::make_unique<Engine>(ca);
    Policy pa;
    pa.direction = Direction::Outbound;
    pa.selector = net_selector(s.inner, true);
    pa.action = Action::Protect;
    pa.mode = s.mode;
    pa.tunnel_local = gw_a(s.outer);
    pa.tunnel_remote = gw_b(s.outer);
    pa.reqid = 1;
    pa.options = s.options;
    policy_a_ = *a_->add_policy(pa);
    Policy pb = pa;
    pb.direction = Direction::Inbound;
    pb.selector = net_selector(s.inner, false);
    pb.tunnel_local = gw_b(s.outer);
    pb.tunnel_remote = gw_a(s.outer);
    policy_b_ = *b_->add_policy(pb);
    // Let everything else through in both directions, so that cleartext checks have a policy.
    Policy any;
    any.selector = Selector::any(s.inner);
    any.action = Action::Bypass;
    any.priority = 5000;
    any.direction = Direction::Inbound;
    a_->add_policy(any);
    b_->add_policy(any);
    any.direction = Direction::Outbound;
    a_->add_policy(any);
    b_->add_policy(any);

    auto sizes = crypto::key_sizes(s.transform.encr, s.transform.bits, s.transform.integ);
    EXPECT_TRUE(sizes) << (sizes ? "" : sizes.error().message);
    if (!sizes) return;
    // (Random::bytes(0) would hand a null pointer to fill(); ENCR_NULL / AEAD keys may be empty.)
    if (sizes->encr_keymat != 0) encr_keymat_ = rng_->bytes(sizes->encr_keymat);
    if (sizes->integ_key != 0) integ_key_ = rng_->bytes(sizes->integ_key);
    auto out = a_->install_sa(params(Direction::Outbound), 0);
    EXPECT_TRUE(out) << (out ? "" : out.error().message);
    auto in = b_->install_sa(params(Direction::Inbound), 0);
    EXPECT_TRUE(in) << (in ? "" : in.error().message);
    if (out) sa_a_ = *out;
    if (in) sa_b_ = *in;
  }

  SaParams params(Direction dir, uint32_t spi = kSpi) const {
    SaParams p;
    p.direction = dir;
    p.spi = spi;
    p.mode = setup_.mode;
    bool tunnel = setup_.mode == Mode::Tunnel;
    IpFamily f = tunnel ? setup_.outer : setup_.inner;
    IpAddress a = tunnel ? gw_a(f) : host_a(f);
    IpAddress b = tunnel ? gw_b(f) : host_b(f);
    p.local = dir == Direction::Outbound ? a : b;
    p.remote = dir == Direction::Outbound ? b : a;
    if (setup_.udp_encap) p.udp_encap = UdpEncap{4500, 4500};
    p.encr = setup_.transform.encr;
    p.encr_key_bits = setup_.transform.bits;
    p.encr_keymat = SecureBytes(encr_keymat_);
    p.integ = setup_.transform.integ;
    p.integ_key = SecureBytes(integ_key_);
    p.esn = setup_.esn;
    p.reqid = 1;
    p.replay_window = setup_.replay_window;
    p.soft = setup_.soft;
    p.hard = setup_.hard;
    p.initial_seq = setup_.initial_seq;
    if (setup_.sa_selectors && dir == Direction::Inbound) p.selectors = {net_selector(setup_.inner, false)};
    return p;
  }

  // A Protector with the SA's keys, for crafting packets by hand.
  std::unique_ptr<crypto::Protector> protector() const {
    auto p = crypto::make_protector(setup_.transform.encr, setup_.transform.bits, encr_keymat_,
                                    setup_.transform.integ, integ_key_);
    return p ? std::move(*p) : nullptr;
  }

  Engine& a() { return *a_; }
  Engine& b() { return *b_; }
  SaId sa_a() const { return sa_a_; }
  SaId sa_b() const { return sa_b_; }
  PolicyId policy_a() const { return policy_a_; }
  const PairSetup& setup() const { return setup_; }

  // A packet from host a to host b in a buffer with head- and tailroom.
  PacketBuffer packet(const Bytes& bytes) {
    storage_.assign(bytes.size() + 4096, 0xee);
    return PacketBuffer::copy_into(storage_, 256, bytes);
  }
  Bytes spec_packet(size_t payload = 100, uint8_t proto = wire::ipproto::kUdp) {
    PacketSpec p;
    p.src = host_a(setup_.inner);
    p.dst = host_b(setup_.inner);
    p.protocol = proto;
    p.payload = payload;
    return make_packet(p);
  }

 private:
  PairSetup setup_;
  std::unique_ptr<crypto::Random> rng_;
  std::unique_ptr<Engine> a_, b_;
  Bytes encr_keymat_, integ_key_;
  SaId sa_a_ = 0, sa_b_ = 0;
  PolicyId policy_a_ = 0, policy_b_ = 0;
  Bytes storage_;
};

}  // namespace portunus::ipsec::testing
