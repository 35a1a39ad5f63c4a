#pragma once
// Security Association Database (RFC 4301 4.4.2): inbound ESP SAs by SPI (hash, O(1)),
// outbound SAs found through their policy (by reqid, else by mode and remote endpoint).
//
// Installing an SA (what the IKE engine / daemon / setkey loader calls):
//
//   ipsec::SaParams p;
//   p.direction = ipsec::Direction::Inbound;  p.spi = 0xc0ffee01;
//   p.mode = ipsec::Mode::Tunnel;  p.local = ...;  p.remote = ...;   // outer addresses
//   p.encr = crypto::EncrId::AesGcm16;  p.encr_key_bits = 128;
//   p.encr_keymat = SecureBytes(keymat);   // key | salt, as prf+ delivers it
//   p.reqid = 7;  p.replay_window = 128;  p.hard.seconds = 3600;  ...
//   auto id = sad.install(std::move(p), now);   // Error names the reason (unknown algorithm...)
//   ...
//   sad.remove(*id);                            // or remove_by_spi(Direction::Inbound, spi)
//
// Keys are handed to crypto::make_protector at install and the SecureBytes copies are wiped
// right away; the Protector's contexts are freed (and cleansed by OpenSSL) on removal.
// Time is injected: every call that needs it takes `now` in seconds on the caller's clock.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/crypto/protector.h"
#include "portunus/ipsec/policy.h"
#include "portunus/ipsec/replay_window.h"

namespace portunus::ipsec {

using Seconds = uint64_t;  // caller's monotonic clock
using SaId = uint64_t;

// A limit of 0 means "none".
struct LifetimeLimits {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  Seconds seconds = 0;
};

struct UdpEncap {
  uint16_t local_port = 4500;
  uint16_t remote_port = 4500;
};

struct SaParams {
  Direction direction = Direction::Inbound;
  uint32_t spi = 0;
  Mode mode = Mode::Transport;
  // Outer addresses: tunnel endpoints, or the two hosts in transport mode.
  IpAddress local;
  IpAddress remote;
  std::optional<UdpEncap> udp_encap;  // RFC 3948

  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  unsigned encr_key_bits = 0;  // 0 for fixed-size transforms
  SecureBytes encr_keymat;     // including the salt/nonce where the transform has one
  crypto::IntegId integ = crypto::IntegId::None;
  SecureBytes integ_key;
  bool esn = false;

  uint32_t reqid = 0;
  PolicyId policy = kNoPolicy;  // outbound: the policy served (optional; reqid also links)
  // Processing options; absent: those of the policy with this reqid/id, else defaults.
  std::optional<ProcessingOptions> options;
  // Anti-replay window in packets (0 = replay check off); absent: from the options.
  std::optional<uint32_t> replay_window;
  LifetimeLimits soft;
  LifetimeLimits hard;
  // Inbound: a decrypted packet must match one of these (RFC 4301 5.2). Empty: the inbound
  // SPD decides (a PROTECT policy of the same reqid and mode must match it).
  std::vector<Selector> selectors;
  // Sequence state: outbound, the number of the last packet sent (the next one is +1);
  // inbound, the highest number seen so far. For SA migration and for published vectors.
  uint64_t initial_seq = 0;
};

struct SaCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // payload octets (inner packet / transport segment)
  uint64_t replay_drops = 0;
  uint64_t auth_failures = 0;
  uint64_t other_drops = 0;
};

struct Sa {
  SaId id = 0;
  Direction direction = Direction::Inbound;
  uint32_t spi = 0;
  Mode mode = Mode::Transport;
  IpAddress local;
  IpAddress remote;
  std::optional<UdpEncap> udp_encap;
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  crypto::IntegId integ = crypto::IntegId::None;
  bool esn = false;
  bool combined_mode = false;  // AEAD (GCM, GMAC, ChaCha20-Poly1305): ESN bits go into the AAD
  bool counter_iv = false;     // IV = sequence number is safe (CTR, GCM, GMAC, ChaCha20)
  uint32_t reqid = 0;
  PolicyId policy = kNoPolicy;
  ProcessingOptions options;
  std::vector<Selector> selectors;
  LifetimeLimits soft;
  LifetimeLimits hard;
  Seconds added_at = 0;
  bool soft_expired = false;

  std::unique_ptr<crypto::Protector> protector;
  // The Protector's sizes, read once at install (the data path needs them per packet).
  uint8_t iv_len = 0;
  uint8_t icv_len = 0;
  uint8_t block_size = 1;
  ReplayWindow replay;  // inbound
  uint64_t seq = 0;     // outbound: last sequence number used
  SaCounters counters;
};

class Sad {
 public:
  Sad() = default;
  Sad(const Sad&) = delete;
  Sad& operator=(const Sad&) = delete;

  // `options` are the processing options to use when params.options is absent (the caller
  // resolves them from the SPD; Engine::install_sa does this).
  Result<SaId> install(SaParams params, Seconds now, const ProcessingOptions& options = {});
  bool remove(SaId id);
  bool remove_by_spi(Direction dir, uint32_t spi);
  void clear();

  Sa* get(SaId id);
  Sa* find_inbound(uint32_t spi) {
    auto it = inbound_.find(spi);
    return it == inbound_.end() ? nullptr : it->second;
  }
  // The newest outbound SA for a policy: by reqid when it has one, else by policy id, else
  // by (mode, remote outer address).
  Sa* find_outbound(const Policy& policy, const IpAddress& remote_outer);
  Sa* find_outbound_by_spi(uint32_t spi);
  size_t size() const { return all_.size(); }
  std::vector<Sa*> all();
  // Changes on every install, remove and clear: caches of Sa pointers compare it to know
  // they are still valid.
  uint64_t generation() const { return generation_; }

 private:
  void unlink(Sa& sa);

  std::map<SaId, std::unique_ptr<Sa>> all_;
  std::unordered_map<uint32_t, Sa*> inbound_;
  std::unordered_map<uint32_t, Sa*> outbound_by_reqid_;
  std::unordered_map<PolicyId, Sa*> outbound_by_policy_;
  std::map<std::pair<Mode, IpAddress>, Sa*> outbound_by_remote_;
  SaId next_id_ = 1;
  uint64_t generation_ = 0;
};

}  // namespace portunus::ipsec
