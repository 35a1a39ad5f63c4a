#pragma once
// The packet API: hand the engine every outbound and inbound IP packet, get a verdict back.
// No I/O and no clock: time comes in as `now` (seconds, caller's monotonic clock).
//
//   ipsec::Engine engine;
//   engine.add_policy(policy);                       // SPD
//   engine.install_sa(std::move(sa_params), now);    // SAD (IKE engine, setkey, manual)
//
//   PacketBuffer pkt(storage, kRecommendedHeadroom, len);   // packet with head/tailroom
//   auto out = engine.outbound(pkt, now);
//   switch (out.verdict) {
//     case Verdict::Protected: send(pkt.view(), out.outer_dst, ...); break;   // outer IP packet
//     case Verdict::Bypass:    send(pkt.view()); break;
//     case Verdict::NeedsSa:   /* ACQUIRE queued as an event; packet kept if out.queued */ break;
//     case Verdict::Discard:   /* out.reason, counted */ break;
//   }
//   auto in = engine.inbound(pkt, now);   // Deliver: pkt is now the inner (decrypted) packet
//   while (auto ev = engine.poll_event()) ...   // Acquire, SoftExpire, HardExpire
//   engine.tick(now);                           // time-based lifetimes, once a second or so
//   for (auto d : engine.dummies_due(now))      // dummy packets (RFC 4303 2.6), same timer
//     if (engine.make_dummy(d.policy, pkt, d.payload_len, now).verdict == Verdict::Protected) send(...);
//
// Processing is in place inside the PacketBuffer (no allocation per packet). One Engine per
// thread (or external locking).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/crypto/random.h"
#include "portunus/ipsec/packet_buffer.h"
#include "portunus/ipsec/policy.h"
#include "portunus/ipsec/sad.h"
#include "portunus/ipsec/spd.h"
#include "portunus/wire/ip_packet.h"

namespace portunus::ipsec {

enum class Verdict : uint8_t { Bypass, Discard, Protected, NeedsSa, Deliver };

enum class DiscardReason : uint8_t {
  NoPolicy,                     // no SPD entry matched (default DISCARD)
  PolicyDiscard,                // the matching policy says DISCARD
  NoSa,                         // inbound ESP with an SPI not in the SAD
  Replayed,                     // sequence number already seen
  OutsideWindow,                // sequence number left of the replay window
  IcvMismatch,                  // integrity check failed
  BadPadding,                   // padding not 1, 2, 3, ... or pad length too large
  PolicyMismatch,               // decrypted packet does not match the SA's selectors
  CleartextRequiresProtection,  // cleartext packet where the inbound policy says PROTECT
  ProtectedButPolicyBypass,     // decrypted packet where the policy says BYPASS or DISCARD
  Malformed,                    // truncated or malformed IP/ESP/UDP
  UnknownAlgorithm,             // an SA install was refused for its algorithm
  MtuExceeded,                  // the ESP packet would exceed the policy's MTU
  NoBufferSpace,                // not enough headroom/tailroom in the PacketBuffer
  SequenceExhausted,            // the sequence number would cycle (RFC 4303 3.3.3)
  SaExpired,                    // the SA reached its hard lifetime
  DummyPacket,                  // next header 59: silently discarded (RFC 4303 2.6)
  NatKeepalive,                 // RFC 3948 2.3 keepalive octet
  WrongEncapsulation,           // UDP-encapsulated ESP for a plain SA or the reverse
  EcnConflict,                  // outer CE on a Not-ECT inner packet (RFC 6040 4.2)
  CryptoFailure,                // the Protector refused (internal error)
  AcquireQueueFull,             // NEEDS_SA and the packet could not be queued
  kCount
};
std::string_view name(DiscardReason r);

enum class EventKind : uint8_t { Acquire, SoftExpire, HardExpire };

// Events for the IKE engine / daemon. Acquire names the policy (and reqid) that needs an SA
// and the packet that triggered it; expiries name the SA. After HardExpire the SA is gone.
struct Event {
  EventKind kind = EventKind::Acquire;
  PolicyId policy = kNoPolicy;
  uint32_t reqid = 0;
  SaId sa = 0;
  uint32_t spi = 0;
  Direction direction = Direction::Outbound;
  wire::FlowKey flow;  // Acquire only
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

struct EngineConfig {
  uint16_t nat_t_port = 4500;  // inbound UDP to this port is checked for ESP (RFC 3948)
  // Let IKE through without policies: inbound UDP to 500, and non-ESP on the NAT-T port;
  // outbound UDP from 500 or the NAT-T port.
  bool bypass_ike = true;
  size_t acquire_queue_slots = 8;    // packets kept while SAs are negotiated, in total
  size_t acquire_slot_size = 2048;   // larger packets are not kept
  Seconds acquire_interval = 10;     // at most one Acquire per policy in this time
  size_t event_queue = 256;          // events beyond this are counted and dropped
  crypto::Random* random = nullptr;  // CBC IVs and dummy payloads; nullptr: system_random()
  EventSink* sink = nullptr;         // if set, events go here instead of the queue
};

struct OutboundResult {
  Verdict verdict = Verdict::Discard;
  DiscardReason reason = DiscardReason::NoPolicy;  // Discard only
  PolicyId policy = kNoPolicy;
  // Protected: the buffer holds the outer IP packet, to be sent to outer_dst. With UDP
  // encapsulation, udp_src_port/udp_dst_port are set and the UDP payload (starting with the
  // SPI) begins at esp_offset; a daemon sending through a UDP socket sends from there.
  SaId sa = 0;
  uint32_t spi = 0;
  IpAddress outer_dst;
  uint16_t udp_src_port = 0;
  uint16_t udp_dst_port = 0;
  size_t esp_offset = 0;
  bool queued = false;     // NeedsSa: the packet was copied into the acquire queue
  size_t payload_mtu = 0;  // MtuExceeded: the largest packet that would have fit
};

struct InboundResult {
  Verdict verdict = Verdict::Discard;
  DiscardReason reason = DiscardReason::Malformed;
  SaId sa = 0;
  uint32_t spi = 0;
  PolicyId policy = kNoPolicy;
};

// A dummy packet the owner should build (make_dummy) and send now.
struct DummyDue {
  PolicyId policy = kNoPolicy;
  size_t payload_len = 0;
};

struct EngineStats {
  uint64_t outbound_bypass = 0;
  uint64_t outbound_protected = 0;
  uint64_t outbound_needs_sa = 0;
  uint64_t inbound_bypass = 0;
  uint64_t inbound_delivered = 0;
  uint64_t events_dropped = 0;
  std::array<uint64_t, static_cast<size_t>(DiscardReason::kCount)> discards{};
  uint64_t discarded(DiscardReason r) const { return discards[static_cast<size_t>(r)]; }
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Spd& spd() { return spd_; }
  Sad& sad() { return sad_; }
  const EngineStats& stats() const { return stats_; }

  Result<PolicyId> add_policy(Policy policy) { return spd_.add(std::move(policy)); }
  bool remove_policy(PolicyId id) { return spd_.remove(id); }
  // Installs an SA. Without params.options the options of its policy are used (by
  // params.policy, else the policy of that direction with the same reqid). Installing an
  // outbound SA ends the Acquire state of the policies it serves and releases their queued
  // packets (take_released).
  Result<SaId> install_sa(SaParams params, Seconds now);
  bool remove_sa(SaId id) { return sad_.remove(id); }

  OutboundResult outbound(PacketBuffer& packet, Seconds now);
  InboundResult inbound(PacketBuffer& packet, Seconds now);
  // A dummy ESP packet (next header 59, RFC 4303 2.6) of `payload_len` random octets for the
  // outbound SA of `policy`, built in `packet` (its current content is ignored).
  OutboundResult make_dummy(PolicyId policy, PacketBuffer& packet, size_t payload_len, Seconds now);
  // The dummy packets due at `now`: one for each outbound PROTECT policy with a
  // dummy_interval that has an SA, first one interval after the SA is first seen here, then
  // every interval (a late caller gets one, not a burst). Without an SA nothing is due and
  // the schedule starts again with the next SA. Call it from the same timer as tick().
  std::vector<DummyDue> dummies_due(Seconds now);

  // Time-based lifetimes (soft: event; hard: event and the SA is removed).
  void tick(Seconds now);
  std::optional<Event> poll_event();
  // A queued packet whose policy has an SA now: copied into `storage` at `headroom`; pass it
  // to outbound() again. False when none is ready.
  bool take_released(MutBytes storage, size_t headroom, PacketBuffer& out);

 private:
  struct QueuedPacket {
    PolicyId policy = kNoPolicy;
    size_t length = 0;
    bool used = false;
    bool released = false;
  };

  OutboundResult discard_out(DiscardReason r, PolicyId policy = kNoPolicy);
  InboundResult discard_in(DiscardReason r, uint32_t spi = 0, SaId sa = 0);
  OutboundResult needs_sa(const Policy& policy, const wire::IpInfo& info, const PacketBuffer& packet,
                          Seconds now);
  // Fills `o` (the caller's return object; see outbound()).
  void protect(Sa& sa, const Policy& policy, PacketBuffer& packet, const wire::IpInfo* info, size_t dummy_len,
               Seconds now, OutboundResult& o);
  InboundResult inbound_esp(PacketBuffer& packet, const wire::IpInfo& outer, size_t esp_offset, bool udp,
                            Seconds now);
  InboundResult inbound_cleartext(const wire::IpInfo& info);
  // Counts a processed packet; returns false if the SA reached its hard lifetime and is gone.
  bool account(Sa& sa, size_t bytes);
  void emit(const Event& e);
  void expire(Sa& sa, bool hard);

  EngineConfig config_;
  crypto::Random* random_;
  Spd spd_;
  Sad sad_;
  EngineStats stats_;
  uint16_t ip_id_ = 1;
  std::vector<Event> events_;  // ring buffer
  size_t event_head_ = 0;
  size_t event_count_ = 0;
  std::vector<QueuedPacket> queue_;
  std::vector<uint8_t> queue_storage_;
  std::vector<std::pair<PolicyId, Seconds>> acquiring_;   // policies with an Acquire pending
  std::vector<std::pair<PolicyId, Seconds>> dummy_next_;  // policy -> next dummy packet due

  // Outbound flow cache in front of the SPD and the SAD: flow -> (policy, SA), so that a
  // repeated flow costs one probe instead of an SPD lookup and an SA lookup. An entry is
  // valid only while neither the SPD nor the SAD generation has changed since it was made
  // (every policy add/remove/clear and every SA install/remove/expiry bumps one), so a new
  // policy or SA is seen by the very next packet. Filled for policies that resolved fully:
  // BYPASS, DISCARD, and PROTECT with an SA (NEEDS_SA is decided again per packet).
  struct FlowCacheEntry {
    uint64_t spd_generation = 0;  // never matches: the SPD starts at 1
    uint64_t sad_generation = 0;
    std::array<uint64_t, 5> key{};  // wire::flow_words of the flow
    const Policy* policy = nullptr;
    Sa* sa = nullptr;
  };
  static constexpr unsigned kFlowCacheBits = 6;
  std::array<FlowCacheEntry, size_t{1} << kFlowCacheBits> flow_cache_{};
  // Outbound fast path: policy -> SA, valid while the SAD generation is unchanged (policy ids
  // are never reused). Only for policies whose SA does not depend on the packet (reqid or
  // tunnel mode).
  struct OutCacheEntry {
    PolicyId policy = kNoPolicy;
    uint64_t generation = 0;
    Sa* sa = nullptr;
  };
  std::array<OutCacheEntry, 16> out_cache_{};
  Sa* find_outbound_sa(const Policy& policy, const wire::FlowKey& flow);
  // Inbound fast path: SPI -> SA in front of the SAD's hash table (whose prime-modulo bucket
  // index costs a division per packet), valid while the SAD generation is unchanged.
  struct InCacheEntry {
    uint32_t spi = 0;
    uint64_t generation = 0;
    Sa* sa = nullptr;
  };
  std::array<InCacheEntry, 16> in_cache_{};
  Sa* find_inbound_sa(uint32_t spi);
};

}  // namespace portunus::ipsec
