#pragma once
// The swanctl.conf(5) model: connections, their authentication rounds and children, and
// secrets, with swanctl's defaults applied. Loading walks the settings tree (settings.h) and
// rejects every key it does not implement with "file:line: section.path: message", so that a
// strongSwan configuration never silently means something else here.
//
// Supported keys are documented in docs/configuration.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/config/settings.h"
#include "portunus/config/traffic_selector.h"
#include "portunus/ike/identity.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::config {

// One entry of local_addrs / remote_addrs.
struct AddressSpec {
  enum class Kind : uint8_t { Any, Any4, Any6, Address, Prefix, Range, Hostname };
  Kind kind = Kind::Any;
  IpAddress start;       // Address, Prefix (network), Range
  IpAddress end;         // Range
  unsigned prefix = 0;   // Prefix
  std::string hostname;  // Hostname: resolved by the daemon, not here
  friend bool operator==(const AddressSpec&, const AddressSpec&) = default;
};

// An IKE identity (RFC 7296 3.5) as swanctl writes it. The text forms and their meaning are
// the IKE layer's (ike/identity.h); the configuration keeps what was written for messages and
// for writing the configuration back.
struct Identity {
  std::string text;     // as written ("%any", "@vpn.example", "user@example", "C=CH, CN=moon")
  ike::Identity value;  // type and identification data as they go on the wire
  friend bool operator==(const Identity&, const Identity&) = default;
};
Result<Identity> parse_identity(std::string_view text);

// Where an item was defined. Left out of comparisons on purpose: a configuration dumped and
// read back compares equal to the original even though the lines moved.
struct Origin {
  Location at;
  friend bool operator==(const Origin&, const Origin&) { return true; }
};

enum class AuthClass : uint8_t { Psk, Pubkey };

// The key-type keywords swanctl accepts in place of `pubkey`: `rsa`, `rsa/pss`, `ecdsa`,
// `ed25519`, `ed448`. On the local side they choose how we sign (rsa/pss: RSASSA-PSS through
// RFC 7427); on the remote side they restrict the key the peer's certificate may carry.
enum class PubkeyKind : uint8_t { Any, Rsa, RsaPss, Ecdsa, Ed25519, Ed448 };
std::string_view pubkey_keyword(PubkeyKind k);  // "pubkey", "rsa", "rsa/pss", ...

// swanctl's `revocation`: strict fails without a CRL for an issuer, ifuri fails only when a
// CRL URI is given but no status could be had (Portunus fetches nothing, so it checks the
// CRLs that are loaded, like relaxed), relaxed fails only for a certificate known revoked.
enum class Revocation : uint8_t { Relaxed, IfUri, Strict };

// A local<suffix> or remote<suffix> section.
struct AuthRound {
  std::string section;  // "local", "local-2", "remote"
  Origin where;
  unsigned round = 0;
  AuthClass auth = AuthClass::Pubkey;  // swanctl's default
  PubkeyKind pubkey = PubkeyKind::Any;
  std::optional<Identity> id;      // unset: the IKE address (local) / any (remote)
  std::vector<std::string> certs;  // relative to x509/ or absolute, loaded by the daemon
  Origin certs_where;
  std::vector<std::string> cacerts;  // relative to x509ca/ or absolute
  Origin cacerts_where;
  Revocation revocation = Revocation::Relaxed;
  friend bool operator==(const AuthRound&, const AuthRound&) = default;
};

enum class Mode : uint8_t { Tunnel, Transport };
enum class StartAction : uint8_t { None, Trap, Start, TrapStart };
// close_action and dpd_action share the values of current swanctl (restart is start).
enum class SaAction : uint8_t { None, Clear, Trap, Start };

struct ChildConfig {
  std::string name;
  Origin where;
  std::vector<TrafficSelectorSpec> local_ts;   // default: dynamic
  std::vector<TrafficSelectorSpec> remote_ts;  // default: dynamic
  std::vector<wire::Proposal> esp_proposals;   // default: "default"
  Mode mode = Mode::Tunnel;
  StartAction start_action = StartAction::None;
  SaAction close_action = SaAction::None;
  SaAction dpd_action = SaAction::Clear;
  uint64_t rekey_time = 3600;  // seconds; defaults per swanctl.conf(5)
  uint64_t life_time = 0;      // rekey_time + 10% when unset
  uint64_t rand_time = 0;      // life_time - rekey_time when unset
  uint64_t rekey_bytes = 0, life_bytes = 0, rand_bytes = 0;
  uint64_t rekey_packets = 0, life_packets = 0, rand_packets = 0;
  uint32_t replay_window = 32;
  bool policies = true;
  bool copy_df = true;
  bool copy_ecn = true;
  uint32_t tfc_padding = 0;  // 0: none; 0xffffffff: up to the MTU ("mtu")
  uint32_t reqid = 0;
  // Portunus extension (no swanctl key): dummy packets (RFC 4303 2.6) every dummy_packets
  // seconds (0: none), with dummy_size_min..dummy_size_max octets of random payload.
  uint64_t dummy_packets = 0;
  uint32_t dummy_size_min = 32;
  uint32_t dummy_size_max = 256;
  friend bool operator==(const ChildConfig&, const ChildConfig&) = default;
};

enum class UniquePolicy : uint8_t { No, Never, Keep, Replace };
enum class Fragmentation : uint8_t { Yes, Accept, Force, No };
// When our CERT payloads are sent: after a CERTREQ (swanctl's default), always, or never.
enum class SendCert : uint8_t { IfAsked, Always, Never };

struct ConnectionConfig {
  std::string name;
  Origin where;
  unsigned version = 0;                   // 0 (any) or 2; IKEv1 is rejected
  std::vector<AddressSpec> local_addrs;   // default %any
  std::vector<AddressSpec> remote_addrs;  // default %any
  uint16_t local_port = 500;
  uint16_t remote_port = 500;
  std::vector<wire::Proposal> proposals;  // default: "default"
  bool encap = false;
  bool mobike = false;  // only "no" is supported
  uint64_t dpd_delay = 0;
  uint64_t dpd_timeout = 0;
  uint64_t rekey_time = 4 * 3600;
  uint64_t reauth_time = 0;
  uint64_t over_time = 0;  // 10% of max(rekey_time, reauth_time) when unset
  uint64_t rand_time = 0;  // over_time when unset
  UniquePolicy unique = UniquePolicy::No;
  uint32_t keyingtries = 1;  // 0: forever
  Fragmentation fragmentation = Fragmentation::Yes;
  bool send_certreq = true;
  SendCert send_cert = SendCert::IfAsked;
  // Portunus extension (no swanctl key): act as an RFC 7815 minimal initiator.
  bool minimal_initiator = false;
  std::vector<AuthRound> local;   // sorted by round
  std::vector<AuthRound> remote;  // sorted by round
  std::vector<ChildConfig> children;
  friend bool operator==(const ConnectionConfig&, const ConnectionConfig&) = default;
};

// secrets { ike<suffix> { id<suffix> = ..., secret = ... } }
struct IkeSecret {
  std::string name;  // "ike-home"
  Origin where;
  std::vector<Identity> ids;  // empty: matches any identity
  SecureBytes secret;
  friend bool operator==(const IkeSecret&, const IkeSecret&) = default;
};

// secrets { private<suffix> | rsa<suffix> | ecdsa<suffix> { file = ... } }: a private key
// file, relative to the directory of the same name (private/, rsa/, ecdsa/) or absolute.
// Only unencrypted PEM keys (no `secret` passphrase).
struct KeySecret {
  std::string name;  // "private-moon"
  Origin where;
  std::string file;
  friend bool operator==(const KeySecret&, const KeySecret&) = default;
};

struct SwanctlConfig {
  std::vector<ConnectionConfig> connections;
  std::vector<IkeSecret> secrets;
  std::vector<KeySecret> key_files;
  friend bool operator==(const SwanctlConfig&, const SwanctlConfig&) = default;

  const ConnectionConfig* find_connection(std::string_view name) const;
};

struct LoadOptions {
  // Accept the RFC 8247 MUST-NOT algorithms (des, md5, modp768, modp1024) in proposals.
  bool allow_legacy_algorithms = false;
};

// Interprets a parsed settings tree.
Result<SwanctlConfig> load_swanctl(const SettingsSection& root, const LoadOptions& options = {});
// Reads and interprets a file (includes resolved relative to it).
Result<SwanctlConfig> load_swanctl_file(const std::string& path, const LoadOptions& options = {});
Result<SwanctlConfig> load_swanctl_text(std::string_view text, const std::string& file_name = "swanctl.conf",
                                        const LoadOptions& options = {});

// The configuration as swanctl.conf text: every value explicit (defaults written out), secrets
// included only when asked (they are key material; `portunusctl config dump` leaves them out
// unless told otherwise). load_swanctl_text(dump_swanctl(c, true)) == c.
std::string dump_swanctl(const SwanctlConfig& config, bool include_secrets = false);

std::string address_spec_to_string(const AddressSpec& a);

}  // namespace portunus::config
