#pragma once
// Engine::Impl, shared by the engine's source files (one per exchange). Internal.
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "portunus/ike/auth_psk.h"
#include "portunus/ike/cookie.h"
#include "portunus/ike/engine.h"
#include "portunus/ike/ike_sa.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike {

// Size of the nonces we send (RFC 7296 2.10: at least half the PRF key size, 16..256).
inline constexpr size_t kNonceSize = 32;
// Retries of IKE_SA_INIT after COOKIE / INVALID_KE_PAYLOAD before we give up.
inline constexpr uint32_t kMaxInitAttempts = 5;
// A peer cannot make us hold more Child SAs than this under one IKE SA (memory bound);
// further CREATE_CHILD_SA requests get NO_ADDITIONAL_SAS.
inline constexpr size_t kMaxChildrenPerIkeSa = 256;
// RFC 7383 reassembly limits: fragments per message and octets held per IKE SA.
inline constexpr uint16_t kMaxFragments = 32;
inline constexpr size_t kMaxReassemblyOctets = 64 * 1024;

struct Engine::Impl {
  Impl(EngineConfig cfg, crypto::Random& rng, ChildSaInstaller& inst, Instant now0);

  EngineConfig config;
  crypto::Random& random;
  ChildSaInstaller& installer;
  CookieSecret cookies;
  HalfOpenTracker half_open;
  EngineCounters counters;
  std::vector<Datagram> out_datagrams;
  std::vector<Event> events;
  std::vector<KeyExport> key_exports;

  IkeSaId next_id = 1;
  std::unordered_map<IkeSaId, std::unique_ptr<IkeSa>> sas;
  std::unordered_map<uint64_t, IkeSaId> by_spi;  // our SPI -> SA
  // Responder half-open SAs by the initiator's SPI and address, to spot retransmitted
  // IKE_SA_INIT requests (RFC 7296 2.1).
  std::map<std::tuple<uint64_t, IpAddress, uint16_t>, IkeSaId> by_init;
  std::set<std::pair<Instant, IkeSaId>> timers;
  std::unordered_set<uint32_t> child_spis;  // inbound ESP SPIs in use or reserved
  std::vector<IkeSaId> dirty;
  std::map<std::pair<std::string, std::string>, uint32_t> reqids;
  // Keyed PSK pad PRFs shared by all IKE SAs; mutable: filled while signing (a const path).
  mutable PskPadCache psk_pads;

  // ---- engine.cpp: plumbing ----
  void assign_reqids();
  const ConnectionConfig* connection(std::string_view name) const;
  const ChildConfig* child_config(const ConnectionConfig& c, std::string_view name) const;
  std::pair<const ConnectionConfig*, const ChildConfig*> by_reqid(uint32_t reqid) const;
  uint32_t reqid_for(const ConnectionConfig& c, const ChildConfig& ch) const;
  IkeSa* find(IkeSaId id);
  IkeSa* find_by_spi(uint64_t spi);
  IkeSa& create_sa(const std::string& conn, bool initiator, Instant now);
  uint64_t fresh_spi();
  uint32_t fresh_child_spi();
  void register_spi(IkeSa& sa, uint64_t spi);
  void touch(IkeSa& sa) { dirty.push_back(sa.id); }
  void kill(IkeSa& sa, bool uninstall_children);
  // The SA that holds the Child SAs of `sa`: its successor after an IKE rekey, else itself.
  IkeSa& child_holder(IkeSa& sa);
  void finish(Instant now);
  std::optional<Instant> wake_of(const IkeSa& sa) const;
  void event(EventKind kind, const IkeSa* sa, std::string message, std::string child = {});

  void send_raw(IkeSa& sa, Bytes bytes);
  void send_all(IkeSa& sa, const std::vector<Bytes>& datagrams);
  // A protected message as it goes on the wire: one SK message, or its SKF fragments when
  // both sides support RFC 7383, our connection allows sending them and it is too large.
  Result<std::vector<Bytes>> seal_out(IkeSa& sa, const wire::IkeHeader& h,
                                      const std::vector<wire::Payload>& inner);
  size_t fragment_size_for(const IkeSa& sa, wire::ExchangeType ex) const;
  wire::IkeHeader header(const IkeSa& sa, wire::ExchangeType ex, bool response, uint32_t msg_id) const;
  // Starts a request now or queues it behind the outstanding one (window size 1).
  void enqueue(IkeSa& sa, Task task, Instant now);
  void pump(IkeSa& sa, Instant now);
  bool send_request(IkeSa& sa, Task task, wire::ExchangeType ex, const std::vector<wire::Payload>& inner,
                    Instant now);
  void send_response(IkeSa& sa, wire::ExchangeType ex, uint32_t msg_id,
                     const std::vector<wire::Payload>& inner);
  void arm_retransmit(IkeSa& sa, Instant now);
  void retransmit_or_fail(IkeSa& sa, Instant now);

  void receive(const Datagram& d, Instant now);
  void receive_protected(IkeSa& sa, const Datagram& d, const wire::Message& msg, Instant now);
  void on_timer(Instant now);
  void timer_for(IkeSa& sa, Instant now);
  void schedule_rekey(IkeSa& sa, Instant now);
  void schedule_child(ChildSa& child, const ChildConfig* cfg, Instant now);
  Duration jitter(Duration rand_time);
  void float_endpoints(IkeSa& sa, const Datagram& d);

  // ---- ike_sa_init.cpp ----
  IkeSa* start_initiator(const ConnectionConfig& conn, Task first_child, Instant now);
  void send_init(IkeSa& sa, Instant now);
  void handle_init_request(const Datagram& d, const wire::Message& msg, Instant now);
  void handle_init_response(IkeSa& sa, const Datagram& d, const wire::Message& msg, Instant now);
  void reply_init_error(const Datagram& d, const wire::Message& msg, wire::NotifyType type, Bytes data);
  std::vector<wire::Payload> nat_notifies(const IkeSa& sa, const ConnectionConfig& conn);
  void apply_nat_detection(IkeSa& sa, const wire::Message& msg, const Datagram& d,
                           const ConnectionConfig& conn);
  const ConnectionConfig* match_connection(const Endpoint& local, const Endpoint& remote) const;

  // ---- ike_auth.cpp ----
  void send_auth(IkeSa& sa, Instant now);
  void handle_auth_request(IkeSa& sa, const wire::Message& msg, const std::vector<wire::Payload>& inner,
                           Instant now);
  void handle_auth_response(IkeSa& sa, Task& task, const std::vector<wire::Payload>& inner, Instant now);
  const SharedSecret* find_secret(const Identity& local, const Identity& remote) const;
  void established(IkeSa& sa, Instant now);
  // Initiator: tells the responder its AUTH was refused (one INFORMATIONAL, no retransmission).
  void send_auth_failed(IkeSa& sa);
  void drop_duplicates(IkeSa& sa);  // INITIAL_CONTACT
  void forget_init_material(IkeSa& sa);
  Result<Identity> local_identity(const IkeSa& sa, const ConnectionConfig& conn) const;
  // RFC 7427 SIGNATURE_HASH_ALGORITHMS and RFC 7296 3.7 CERTREQ of the peer, kept on the SA.
  void note_signature_hashes(IkeSa& sa, const std::vector<wire::Payload>& payloads);
  void note_certreq(IkeSa& sa, const std::vector<wire::Payload>& payloads);
  // The authenticator for our AUTH payload and the CERT payloads that go before it.
  struct LocalAuth {
    std::unique_ptr<Authenticator> auth;
    std::vector<wire::Payload> certs;
  };
  Result<LocalAuth> make_signer(const IkeSa& sa, const ConnectionConfig& conn,
                                const SharedSecret* secret) const;
  // Certificate work that does not change between handshakes, memoized by the certificate's
  // DER (bounded; cleared when full): the SHA-1 SPKI hash of a CA (CERTREQ data, matching a
  // CERTREQ) and the parsed form of a received CERT (peers send the same intermediates again
  // and again). Encoding / decoding a public key with OpenSSL costs as much as an ECDSA
  // signature, so without these a handshake spends more on them than on its signatures.
  mutable std::unordered_map<std::string, Bytes> spki_hashes;
  std::unordered_map<std::string, crypto::Certificate> parsed_certs;
  const Bytes& spki_hash(const crypto::Certificate& cert) const;
  std::optional<wire::CertReqPayload> certreq_payload(const PeerAuthConfig& remote) const;
  // Checks the peer's AUTH payload; on failure the text says which check failed.
  Result<void> verify_peer(IkeSa& sa, const PeerAuthConfig& remote, const SharedSecret* secret,
                           const std::vector<wire::Payload>& inner, const Identity& peer,
                           const wire::AuthPayload& auth, BytesView octets);

  // ---- child_sa.cpp: negotiation and installation shared by IKE_AUTH and CREATE_CHILD_SA ----
  // Initiator: the TSi/TSr to propose for a child (packet trigger first).
  void propose_ts(const IkeSa& sa, const ChildConfig& ch, Task& task) const;
  std::vector<wire::Proposal> child_proposals(const ChildConfig& ch, uint32_t spi, bool with_ke) const;
  struct ChildOffer {
    const wire::SaPayload* sa = nullptr;
    const wire::TsiPayload* tsi = nullptr;
    const wire::TsrPayload* tsr = nullptr;
    bool transport = false;
    bool tfc_unsupported = false;
  };
  static ChildOffer child_offer(const std::vector<wire::Payload>& payloads);
  // Responder: picks config, proposal, selectors. On failure returns the notify to send.
  struct ChildAnswer {
    const ChildConfig* cfg = nullptr;
    wire::Proposal chosen;
    std::vector<wire::TrafficSelector> tsi, tsr;
    bool transport = false;
  };
  Expected<ChildAnswer, wire::NotifyType> answer_child(const IkeSa& sa, const ConnectionConfig& conn,
                                                       const ChildOffer& offer, const ChildConfig* fixed_cfg,
                                                       bool allow_ke,
                                                       std::optional<crypto::KeGroup> received_ke) const;
  // Builds ChildSa, derives keys and installs it. exchange_initiator: we sent the request.
  ChildSa* install_child(IkeSa& sa, const ChildConfig* cfg, std::string name, uint32_t reqid,
                         const wire::Proposal& chosen, uint32_t spi_in, uint32_t spi_out, bool transport,
                         std::vector<wire::TrafficSelector> local_ts,
                         std::vector<wire::TrafficSelector> remote_ts, BytesView g_ir, BytesView ni,
                         BytesView nr, bool exchange_initiator, bool tfc_allowed, const ChildSa* replaces,
                         Instant now);
  // Responder: installs the answered Child SA under a fresh inbound SPI, which also goes into
  // answer.chosen for the response's SA payload. Null, the SPI released, if installing failed.
  ChildSa* install_answered_child(IkeSa& sa, ChildAnswer& answer, uint32_t reqid, bool transport,
                                  BytesView g_ir, BytesView ni, BytesView nr, bool tfc_allowed,
                                  const ChildSa* replaces, Instant now);
  void uninstall_child(IkeSa& sa, const ChildSa& child);
  ChildSaRef ref_of(const ChildSa& c) const { return {c.reqid, wire::ProtocolId::Esp, c.spi_in, c.spi_out}; }

  // ---- create_child_sa.cpp ----
  bool build_create_child(IkeSa& sa, Task task, Instant now);
  void handle_create_child_request(IkeSa& sa, const wire::Message& msg,
                                   const std::vector<wire::Payload>& inner, Instant now);
  void handle_create_child_response(IkeSa& sa, Task& task, const std::vector<wire::Payload>& inner,
                                    Instant now);
  IkeSa& adopt_rekeyed_ike(IkeSa& old, bool initiator, uint64_t spi_i, uint64_t spi_r, IkeSaKeys keys,
                           Instant now);
  // The two halves of adopt_rekeyed_ike: a rekey collision (RFC 7296 2.8.2) creates the new
  // IKE SA before the nonce rule says whether the Child SAs move to it.
  IkeSa& create_rekeyed_ike(IkeSa& old, bool initiator, uint64_t spi_i, uint64_t spi_r, IkeSaKeys keys,
                            Instant now);
  void move_to_rekeyed(IkeSa& old, IkeSa& n, Instant now);
  // How long an IKE SA replaced by a rekey waits for the peer's Delete before it goes by itself.
  Duration rekey_grace() const;

  // ---- informational.cpp ----
  bool build_informational(IkeSa& sa, Task task, Instant now);
  void handle_informational_request(IkeSa& sa, const wire::Message& msg,
                                    const std::vector<wire::Payload>& inner, Instant now);
  void handle_informational_response(IkeSa& sa, Task& task, const std::vector<wire::Payload>& inner,
                                     Instant now);
};

inline wire::ExchangeType exchange_of(TaskKind k) {
  switch (k) {
    case TaskKind::Init:
      return wire::ExchangeType::IkeSaInit;
    case TaskKind::Auth:
      return wire::ExchangeType::IkeAuth;
    case TaskKind::CreateChild:
    case TaskKind::RekeyChild:
    case TaskKind::RekeyIke:
      return wire::ExchangeType::CreateChildSa;
    default:
      return wire::ExchangeType::Informational;
  }
}

// Helpers shared by the exchange files.
Bytes spi8(uint64_t spi);
Bytes spi4(uint32_t spi);
wire::NotifyPayload notify(wire::NotifyType type, Bytes data = {});
const wire::NotifyPayload* find_notify(const std::vector<wire::Payload>& ps, wire::NotifyType type);
template <class T>
const T* find_payload(const std::vector<wire::Payload>& ps) {
  for (const auto& p : ps)
    if (const T* t = std::get_if<T>(&p)) return t;
  return nullptr;
}
// The first error notify of a message, if any.
const wire::NotifyPayload* first_error(const std::vector<wire::Payload>& ps);
// Identity <-> ID payload.
Identity identity_of(uint8_t wire_type, BytesView data);
template <class IdPayload>
IdPayload id_payload(const Identity& id) {
  IdPayload p;
  p.id_type = static_cast<wire::IdType>(id.type);
  p.data = id.data;
  return p;
}

}  // namespace portunus::ike
