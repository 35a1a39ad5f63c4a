#pragma once
// The sans-IO IKEv2 engine (RFC 7296). It does no I/O and reads no clock: the caller hands
// it datagrams, timer ticks and commands together with the current time, then drains the
// effects (datagrams to send, log events, key export records) and asks when to call
// on_timer next. Child SAs go to the data plane through the ChildSaInstaller, called
// synchronously. Randomness (SPIs, nonces, KE private values, IVs, jitter) comes only from
// the injected Random, so two engines with deterministic Randoms talk reproducibly in one
// process and a fuzzer can drive one.
//
// Typical daemon loop:
//   engine.receive(dgram, now);           // or on_timer(now), or a command
//   for (auto& d : engine.take_datagrams()) send(d);
//   for (auto& e : engine.take_events()) log(e);
//   arm_timer(engine.next_wakeup());
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/crypto/random.h"
#include "portunus/ike/child_sa_installer.h"
#include "portunus/ike/peer_config.h"

namespace portunus::ike {

// A point on the caller's monotonic clock in milliseconds (the same alias as ike/time.h).
// Only the type is borrowed from steady_clock; the engine never calls now(): tests start at
// Instant{} and add durations.
using Instant = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// Engine-assigned handle of an IKE SA (stable across IKE SA rekeys is NOT promised: a
// rekeyed IKE SA gets a new id and an IkeSaRekeyed event names both).
using IkeSaId = uint64_t;

struct Datagram {
  Endpoint local;
  Endpoint remote;
  // The IKE message (header onwards). On receive the daemon has already removed the
  // four-zero-octet non-ESP marker of port 4500 (RFC 3948 2.2).
  Bytes bytes;
  // On send: prepend the non-ESP marker (see uses_non_esp_marker: whenever the
  // message goes over the NAT-T port). False for NAT keepalives (a single 0xff octet).
  bool non_esp_marker = false;
};

enum class EventKind : uint8_t {
  Info,  // free text for the log
  IkeSaEstablished,
  IkeSaRekeyed,
  IkeSaDeleted,
  IkeSaFailed,  // negotiation failed (no proposal, auth failed, retransmits exhausted, ...)
  ChildSaEstablished,
  ChildSaRekeyed,
  ChildSaDeleted,
  ChildSaFailed,  // e.g. TS_UNACCEPTABLE; the IKE SA stays up
  PeerDead,       // liveness check exhausted the retransmission budget
  Dropped,        // a datagram was dropped (reason in message; counted too)
};

struct Event {
  EventKind kind = EventKind::Info;
  IkeSaId ike_sa = 0;
  std::string connection;
  std::string child;
  std::string message;  // one line, no key material
};

// Key material export for Wireshark (opt-in, EngineConfig::export_keys). For IKE SAs the
// fields of Wireshark's ikev2_decryption_table; ESP keys are in ChildSaParams already.
struct KeyExport {
  IkeSaId ike_sa = 0;
  Bytes spi_i;  // 8 octets
  Bytes spi_r;
  SecureBytes sk_ei, sk_er, sk_ai, sk_ar;
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  uint16_t encr_key_bits = 0;
  crypto::IntegId integ = crypto::IntegId::None;
  // One line of the ikev2_decryption_table UAT file:
  // "SPIi","SPIr","SK_ei","SK_er","encr","SK_ai","SK_ar","integ"
  std::string wireshark_line() const;
};

struct ChildSaStatus {
  std::string name;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  IpsecMode mode = IpsecMode::Tunnel;
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  uint16_t encr_key_bits = 0;
  crypto::IntegId integ = crypto::IntegId::None;
  crypto::KeGroup pfs_group = crypto::KeGroup::None;
  bool udp_encap = false;
  std::vector<wire::TrafficSelector> local_ts;
  std::vector<wire::TrafficSelector> remote_ts;
  Instant established{};
  std::optional<Instant> rekey_at;
  std::optional<Instant> expire_at;
};

struct IkeSaStatus {
  IkeSaId id = 0;
  std::string connection;
  std::string state;  // "connecting", "established", "rekeying", "deleting"
  bool initiator = false;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Endpoint local;
  Endpoint remote;
  std::string local_id;
  std::string remote_id;
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  uint16_t encr_key_bits = 0;
  crypto::PrfId prf = crypto::PrfId::HmacSha2_256;
  crypto::IntegId integ = crypto::IntegId::None;
  crypto::KeGroup group = crypto::KeGroup::None;
  bool nat_local = false;   // we are behind a NAT
  bool nat_remote = false;  // the peer is behind a NAT
  Instant established{};
  std::optional<Instant> rekey_at;
  std::vector<ChildSaStatus> children;
};

// Why datagrams were dropped, and other figures for tests and `portunusctl status`.
struct EngineCounters {
  uint64_t rx_datagrams = 0;
  uint64_t rx_malformed = 0;      // did not parse (header, payload chain, lengths)
  uint64_t rx_unknown_spi = 0;    // no IKE SA for the SPIs
  uint64_t rx_bad_icv = 0;        // SK payload failed authentication
  uint64_t rx_out_of_window = 0;  // message ID replayed / outside the window
  uint64_t rx_unexpected = 0;     // a response we did not wait for, wrong exchange, ...
  uint64_t rx_retransmits = 0;    // requests answered from the response cache
  uint64_t tx_datagrams = 0;
  uint64_t tx_retransmits = 0;
  uint64_t tx_fragments = 0;       // SKF datagrams sent (RFC 7383), retransmissions included
  uint64_t rx_fragments = 0;       // SKF datagrams that verified
  uint64_t half_open_dropped = 0;  // IKE_SA_INIT dropped beyond max_half_open
  uint64_t cookies_sent = 0;
  uint64_t cookies_rejected = 0;
  uint64_t ike_sa_established = 0;
  uint64_t child_sa_established = 0;
  uint64_t auth_failed = 0;
  uint64_t invalid_ke_sent = 0;
};

class Engine {
 public:
  Engine(EngineConfig config, crypto::Random& random, ChildSaInstaller& installer);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Replaces the configuration. Established SAs whose connection still exists are kept
  // (their connection settings are looked up by name from now on); the others are deleted.
  void reload(EngineConfig config, Instant now);

  // --- inputs ---
  void receive(const Datagram& datagram, Instant now);
  void on_timer(Instant now);
  // When on_timer must be called next (nullopt: nothing scheduled).
  std::optional<Instant> next_wakeup() const;

  // --- commands ---
  // Starts IKE_SA_INIT for the connection with the named child (empty: the first child;
  // a connection without children negotiates only the IKE SA... RFC 7296 always creates
  // one Child SA in IKE_AUTH, so it must have one). Reuses an established IKE SA of the
  // connection if there is one (the child then comes via CREATE_CHILD_SA).
  Result<IkeSaId> initiate(std::string_view connection, std::string_view child, Instant now);
  // Traffic hit the trap policy `reqid` without an SA. `packet_src`/`packet_dst` describe the
  // triggering packet as single-address selectors (protocol and ports set), sent first in
  // TSi/TSr (RFC 7296 2.9). Ignored while a negotiation for the reqid is under way.
  Result<IkeSaId> acquire(uint32_t reqid, const std::optional<wire::TrafficSelector>& packet_src,
                          const std::optional<wire::TrafficSelector>& packet_dst, Instant now);
  // Deletes politely (INFORMATIONAL with a Delete payload), removes the SAs locally at once.
  Result<void> terminate_ike(IkeSaId id, Instant now);
  Result<void> terminate_child(IkeSaId id, uint32_t spi_in, Instant now);
  // Deletes every IKE SA of a connection (by name).
  void terminate_connection(std::string_view connection, Instant now);
  Result<void> rekey_child(IkeSaId id, uint32_t spi_in, Instant now);
  Result<void> rekey_ike(IkeSaId id, Instant now);
  // Sends an empty INFORMATIONAL request (liveness check).
  Result<void> send_dpd(IkeSaId id, Instant now);
  // The data plane reports a Child SA reached its soft (rekey) or hard (delete) byte/packet limit.
  void expire(uint32_t spi_in, bool hard, Instant now);
  // Sends Delete for every SA (shutdown).
  void terminate_all(Instant now);

  // --- outputs ---
  std::vector<Datagram> take_datagrams();
  std::vector<Event> take_events();
  std::vector<KeyExport> take_key_exports();

  // --- inspection ---
  std::vector<IkeSaStatus> status() const;
  const EngineCounters& counters() const;
  // The reqid used for a child of a connection (assigned when ChildConfig::reqid is 0,
  // deterministically from the configuration order); 0 if unknown.
  uint32_t reqid_of(std::string_view connection, std::string_view child) const;
  size_t ike_sa_count() const;
  size_t half_open_count() const;

  // For tests and fuzzers: a request as this engine would protect it on IKE SA `id` with
  // the given message ID (`first_inner` and `inner_chain` are put into the SK payload
  // verbatim). Nothing is sent and no state changes, so the peer sees arbitrary
  // authenticated content.
  Result<Datagram> craft_request(IkeSaId id, uint8_t exchange, uint32_t message_id, uint8_t first_inner,
                                 BytesView inner_chain);

  // The same split into `fragments` Encrypted Fragment payloads (RFC 7383).
  Result<std::vector<Datagram>> craft_fragmented_request(IkeSaId id, uint8_t exchange, uint32_t message_id,
                                                         uint8_t first_inner, BytesView inner_chain,
                                                         size_t fragments);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace portunus::ike
