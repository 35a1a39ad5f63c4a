#pragma once
// Internal state of one IKE SA and its Child SAs. Not part of the public API: the engine
// owns these and exposes them only through IkeSaStatus.
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/crypto/key_exchange.h"
#include "portunus/crypto/x509_algorithm.h"
#include "portunus/ike/child_sa_installer.h"
#include "portunus/ike/engine.h"
#include "portunus/ike/identity.h"
#include "portunus/ike/keys.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike {

enum class IkeState : uint8_t {
  InitSent,      // initiator: IKE_SA_INIT request out
  InitAnswered,  // responder: IKE_SA_INIT answered, waiting for IKE_AUTH (half open)
  AuthSent,      // initiator: IKE_AUTH request out
  Established,
  Deleting,  // Delete sent, waiting for the answer
  Dead,      // to be removed at the end of the current call
};
const char* state_name(IkeState s);

enum class ChildState : uint8_t {
  Installed,
  Rekeying,  // our CREATE_CHILD_SA rekey is outstanding
  Rekeyed,   // replaced by a newer SA; deleted once our Delete is answered
  Deleting,
};

struct ChildSa {
  std::string name;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  Algorithms alg;
  IpsecMode mode = IpsecMode::Tunnel;
  std::vector<wire::TrafficSelector> local_ts;
  std::vector<wire::TrafficSelector> remote_ts;
  ChildState state = ChildState::Installed;
  Instant established{};
  std::optional<Instant> rekey_at;
  std::optional<Instant> expire_at;
  bool tfc_allowed = true;
  // The peer rekeyed this SA while our own rekey of it was outstanding (RFC 7296 2.8.1):
  // the nonces of the peer's exchange and the SA it created, for the lowest-nonce rule.
  struct Collision {
    Bytes ni, nr;
    uint32_t new_spi_in = 0;
  };
  std::optional<Collision> collision;
};

enum class TaskKind : uint8_t {
  Init,
  Auth,
  CreateChild,
  RekeyChild,
  RekeyIke,
  DeleteChild,
  DeleteIke,
  Dpd,
};

// One request of ours: what it is for and the state needed to process the response.
struct Task {
  TaskKind kind = TaskKind::Dpd;
  // Child negotiations (Auth, CreateChild, RekeyChild).
  std::string child;
  uint32_t reqid = 0;
  std::optional<wire::TrafficSelector> trigger_src;
  std::optional<wire::TrafficSelector> trigger_dst;
  uint32_t new_spi_in = 0;
  uint32_t old_spi_in = 0;  // RekeyChild / DeleteChild: the SA concerned
  std::vector<wire::Proposal> offered;
  std::vector<wire::TrafficSelector> tsi, tsr;
  Bytes nonce;  // CREATE_CHILD_SA: our nonce
  std::unique_ptr<crypto::KeyExchange> ke;
  uint64_t new_ike_spi = 0;  // RekeyIke: our SPI of the new IKE SA
  std::vector<uint32_t> delete_spis;
  crypto::KeGroup ke_group = crypto::KeGroup::None;  // retry after INVALID_KE_PAYLOAD
  // RekeyChild: the collision recorded on the old SA, kept here when the peer deleted the
  // old SA before our response arrived (the lowest-nonce rule still decides then).
  std::optional<ChildSa::Collision> collision;
};

struct Outstanding {
  uint32_t message_id = 0;
  Task task;
  Bytes packet;
  // When the request went out as SKF fragments (RFC 7383): all of them, resent together on
  // every retransmission; `packet` is then empty.
  std::vector<Bytes> fragments;
  Instant next_send{};
  Duration timeout{};
  uint32_t retransmits = 0;
};

// RFC 7383 reassembly of one fragmented message (window size 1: one at a time).
// (Outside IkeSa: clang cannot default-construct a nested class with member initializers
// inside std::optional before the enclosing class is complete.)
struct Reassembly {
  uint32_t message_id = 0;
  bool response = false;
  uint16_t total = 0;
  wire::PayloadType first = wire::PayloadType::NoNext;
  std::vector<std::optional<Bytes>> parts;
  size_t received = 0;
  size_t octets = 0;
};

struct IkeSa {
  IkeSaId id = 0;
  std::string connection;
  bool initiator = false;
  IkeState state = IkeState::InitSent;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Endpoint local;
  Endpoint remote;

  // IKE_SA_INIT material, kept until IKE_AUTH completes (the AUTH covers the messages).
  Bytes ni, nr;
  std::unique_ptr<crypto::KeyExchange> ke;
  std::vector<wire::Proposal> offered;  // initiator: what we sent
  Bytes init_request, init_response;
  Bytes cookie;
  uint32_t init_attempts = 0;

  IkeSaKeys keys;
  bool have_keys = false;
  Identity local_id, remote_id;
  bool peer_fragmentation = false;
  // RFC 7427: the hashes the peer announced in SIGNATURE_HASH_ALGORITHMS (empty: it did not,
  // so we sign with the classic methods 1 / 9-11) and the CA key hashes of its CERTREQ
  // payloads (RFC 7296 3.7), which pick the certificate we send.
  std::vector<crypto::SignatureHash> peer_hashes;
  std::vector<Bytes> peer_certreq;
  bool peer_sent_certreq = false;  // any CERTREQ at all (send_cert = ifasked)
  bool nat_local = false, nat_remote = false;
  bool peer_supports_nat_t = false;

  // Message windows (size 1 each way).
  uint32_t next_request_id = 0;   // our next request's message ID
  uint32_t expected_peer_id = 0;  // the peer's next request's message ID
  std::optional<Outstanding> outstanding;
  std::list<Task> queue;  // a list: an empty std::deque allocates ~600 octets
  bool have_cached_response = false;
  Bytes cached_response;                // our response to the peer's request expected_peer_id - 1
  std::vector<Bytes> cached_fragments;  // the same when it went out as SKF fragments

  std::vector<ChildSa> children;

  std::optional<Reassembly> reassembly;

  Instant created{};
  Instant established{};
  Instant last_inbound{};
  std::optional<Instant> rekey_at;
  std::optional<Instant> expire_at;
  std::optional<Instant> dpd_at;
  std::optional<Instant> keepalive_at;
  std::optional<Instant> half_open_until;
  bool counted_half_open = false;
  std::optional<Endpoint> init_key;  // responder: the by_init entry (initiator address at IKE_SA_INIT)
  // Set while our IKE rekey is outstanding or after the peer rekeyed us (old SA awaiting delete).
  bool rekeying = false;
  bool rekeyed = false;
  // After an IKE rekey: the SA the Child SAs moved to. Exchanges still outstanding on this
  // one (a Child SA Delete) finish on the Child SAs there.
  IkeSaId successor = 0;
  // RFC 7296 2.8.2, simultaneous IKE SA rekey: the peer's rekey of this SA that we answered
  // while our own was outstanding (its nonces and the IKE SA it made), kept for the nonce
  // rule once our response arrives.
  struct RekeyCollision {
    Bytes ni, nr;
    IkeSaId created = 0;
  };
  std::optional<RekeyCollision> rekey_collision;
  // On the peer's redundant IKE SA after we won a collision: the old IKE SA, which we delete
  // once the peer has deleted this one (earlier would strand the peer's rekey exchange).
  IkeSaId delete_when_gone = 0;

  // The wake-up time registered in the engine's timer index.
  std::optional<Instant> registered_wake;

  uint64_t our_spi() const { return initiator ? spi_i : spi_r; }
  std::unique_ptr<crypto::Protector> out_protector() const {
    return keys.protector(initiator, crypto::ProtectorUse::SealOnly);
  }
  std::unique_ptr<crypto::Protector> in_protector() const {
    return keys.protector(!initiator, crypto::ProtectorUse::OpenOnly);
  }
  ChildSa* child_by_spi_in(uint32_t spi) {
    for (auto& c : children)
      if (c.spi_in == spi) return &c;
    return nullptr;
  }
  ChildSa* child_by_spi_out(uint32_t spi) {
    for (auto& c : children)
      if (c.spi_out == spi) return &c;
    return nullptr;
  }
};

}  // namespace portunus::ike
