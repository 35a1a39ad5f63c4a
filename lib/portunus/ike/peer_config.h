#pragma once
// What a connection, its children and the secrets mean to the IKEv2 engine. Plain data:
// the config layer parses swanctl.conf into its own model and the daemon maps that onto
// these types, so the engine never sees file syntax. Times are durations; zero disables.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <memory>

#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/crypto/x509.h"
#include "portunus/ike/auth_cert.h"
#include "portunus/ike/ts_narrowing.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::ike {

using Duration = std::chrono::milliseconds;

enum class IpsecMode : uint8_t { Tunnel, Transport };

// swanctl's start_action / close_action / dpd_action. The engine acts on close/dpd
// (restart re-initiates); start_action is carried out by the daemon (trap = install the
// policy and call Engine::acquire, start = Engine::initiate at load).
enum class StartAction : uint8_t { None, Trap, Start };
enum class CloseAction : uint8_t { None, Trap, Start };

enum class AuthClass : uint8_t {
  Psk,
  PubKey,  // X.509 certificates and signatures (auth_cert.h)
};

// swanctl's key-type constraints on `auth = pubkey` (rsa, rsa/pss, ecdsa, ed25519, ed448):
// which kind of key the peer's certificate must carry. Any = no constraint.
enum class PubKeyConstraint : uint8_t { Any, Rsa, Ecdsa, Ed25519, Ed448 };

struct PeerAuthConfig {
  AuthClass auth = AuthClass::Psk;
  // Identity in swanctl text form ("moon.example.org", "@@user@example.org", "192.0.2.1",
  // "C=CH, O=example, CN=moon", "@#0102ab" for KEY_ID, "%any" for the remote: anything).
  // Empty for the local side means the local IP address.
  std::string id;

  // auth = pubkey, our side: the credentials we may sign with, in configuration order (the
  // first is the default; the peer's CERTREQ picks among them) and the RSA padding to use
  // (swanctl `auth = rsa/pss` selects PSS, RFC 7427).
  std::vector<CertCredentials> credentials;
  RsaPadding rsa_padding = RsaPadding::Pkcs1;

  // auth = pubkey, the peer's side: the CAs (and CRLs) its chain must lead to, the
  // certificate configured for it (swanctl remote `certs`, used when it sends no CERT),
  // and the key type it must use.
  std::shared_ptr<const crypto::TrustStore> trust;
  std::optional<crypto::Certificate> peer_cert;
  PubKeyConstraint constraint = PubKeyConstraint::Any;
};

struct Lifetimes {
  Duration rekey_time{0};  // soft: start a rekey (minus up to rand_time of jitter)
  Duration life_time{0};   // hard: delete the SA
  Duration rand_time{0};   // jitter subtracted from rekey_time, to avoid both sides rekeying at once
  uint64_t rekey_bytes = 0;
  uint64_t life_bytes = 0;
  uint64_t rekey_packets = 0;
  uint64_t life_packets = 0;
};

struct ChildConfig {
  std::string name;
  // Our side's and the peer's selectors (swanctl local_ts / remote_ts); `dynamic` entries
  // stand for our / the peer's IKE address. Empty means one dynamic selector, as in swanctl.
  std::vector<ConfiguredTs> local_ts;
  std::vector<ConfiguredTs> remote_ts;
  // ESP proposals (protocol Esp). KE transforms in them request PFS for CREATE_CHILD_SA;
  // they are stripped for the Child SA created inside IKE_AUTH (RFC 7296 1.2).
  std::vector<wire::Proposal> esp_proposals;
  IpsecMode mode = IpsecMode::Tunnel;
  // The data plane's policy identifier. 0: the engine assigns one (see Engine::reqid_of).
  uint32_t reqid = 0;
  Lifetimes lifetimes{Duration{std::chrono::seconds(3600)}, Duration{std::chrono::seconds(3960)},
                      Duration{std::chrono::seconds(360)}};
  uint32_t replay_window = 32;
  StartAction start_action = StartAction::None;
  CloseAction close_action = CloseAction::None;
  CloseAction dpd_action = CloseAction::None;
};

// swanctl's send_cert: when our CERT payloads go out. IfAsked (the swanctl default) sends
// them only after the peer sent a CERTREQ; Never relies on the peer having our certificate.
enum class SendCert : uint8_t { IfAsked, Always, Never };

// swanctl's `fragmentation` for IKEv2 (RFC 7383). Yes: announce IKEV2_FRAGMENTATION_SUPPORTED,
// reassemble, and send messages larger than the fragment size as SKF fragments when the peer
// announced support too. Accept: announce and reassemble, never send fragments. No: do not
// announce (so a conforming peer sends none) and never send; received SKF messages are still
// reassembled, as strongSwan documents. Force: strongSwan's IKEv1-only "fragment the first message";
// IKE_SA_INIT is never fragmented in IKEv2 and the peer's support is known before anything
// could be, so with IKEv2 it behaves as Yes (strongSwan documents force as IKEv1-only).
enum class Fragmentation : uint8_t { Yes, Accept, Force, No };

struct ConnectionConfig {
  std::string name;
  // Empty = any (responder side matching). The initiator uses the first remote address.
  std::vector<IpAddress> local_addrs;
  std::vector<IpAddress> remote_addrs;
  uint16_t local_port = 500;
  uint16_t remote_port = 500;
  // IKE proposals (protocol Ike) in preference order; each lists ENCR, PRF, INTEG, KE.
  std::vector<wire::Proposal> ike_proposals;
  PeerAuthConfig local;
  PeerAuthConfig remote;
  SendCert send_cert = SendCert::IfAsked;
  std::vector<ChildConfig> children;
  // Pretend to be behind a NAT (fake NAT_DETECTION_SOURCE_IP) so UDP encapsulation is used.
  bool force_encap = false;
  Duration dpd_delay{0};  // liveness check after this much inbound silence; 0 = off
  Duration keepalive_interval{std::chrono::seconds(20)};  // NAT-T keepalives when behind a NAT
  Lifetimes ike_lifetimes{Duration{std::chrono::hours(4)}, Duration{0}, Duration{std::chrono::minutes(24)}};
  Duration over_time{std::chrono::minutes(24)};  // hard IKE lifetime = rekey_time + over_time
  // RFC 7815 minimal initiator: only IKE_SA_INIT and IKE_AUTH are sent; INFORMATIONAL
  // requests are answered empty and CREATE_CHILD_SA requests with NO_ADDITIONAL_SAS.
  bool minimal_initiator = false;
  // Refuse CREATE_CHILD_SA for additional Child SAs (answer NO_ADDITIONAL_SAS); rekeys still work.
  bool no_additional_sas = false;
  // Send INITIAL_CONTACT in the first IKE_AUTH (swanctl unique=replace-like behaviour on the peer).
  bool send_initial_contact = true;
  Fragmentation fragmentation = Fragmentation::Yes;
  // Largest IP datagram of a sent fragment (strongswan.conf charon.fragment_size: IP + UDP
  // + non-ESP marker + IKE header + SKF payload). 0: EngineConfig::fragment_size.
  uint32_t fragment_size = 0;
};

struct SharedSecret {
  // The identities (swanctl text form) this secret is for; empty = any.
  std::vector<std::string> ids;
  SecureBytes secret;
};

struct RetransmitConfig {
  Duration timeout{std::chrono::seconds(4)};  // first retransmission after this
  double base = 1.8;                          // each further one multiplied by this
  uint32_t tries = 5;                         // retransmissions before giving up
  Duration max_timeout{std::chrono::seconds(60)};
};

struct EngineConfig {
  std::vector<ConnectionConfig> connections;
  std::vector<SharedSecret> secrets;
  RetransmitConfig retransmit;
  // Above this many half-open responder IKE SAs, IKE_SA_INIT requests need a COOKIE.
  uint32_t cookie_threshold = 32;
  // Hard cap on half-open responder SAs (further requests are dropped with a counter).
  uint32_t max_half_open = 4096;
  Duration half_open_timeout{std::chrono::seconds(30)};
  // Rotate the cookie secret this often (old secret still accepted for one period).
  Duration cookie_secret_lifetime{std::chrono::minutes(2)};
  // strongswan.conf charon.signature_authentication: announce the RFC 7427 hashes in
  // SIGNATURE_HASH_ALGORITHMS. Off, peers sign with the classic methods 1 / 9-11 only.
  bool signature_authentication = true;
  // Emit KeyExport records (Wireshark ikev2_decryption_table / esp_sa); off by default.
  bool export_keys = false;
  // charon.fragment_size: the IP datagram size a connection's fragments may reach unless it
  // sets its own (1280, strongSwan's default, fits the IPv6 minimum MTU).
  uint32_t fragment_size = 1280;
};

}  // namespace portunus::ike
