#pragma once
// Maps the swanctl.conf model (config::SwanctlConfig) onto what the IKE engine needs
// (ike::EngineConfig). Things only the daemon knows are resolved here: "dynamic" selectors
// become the connection's own addresses, %any becomes "no restriction".
#include <string>
#include <vector>

#include "portunus/crypto/x509.h"

#include "portunus/base/error.h"
#include "portunus/config/swanctl.h"
#include "portunus/ike/peer_config.h"

namespace portunus::daemon {

// A certificate the mapping loaded, for `portunusctl certs`: where it came from, whether its
// private key is loaded, and which connections use it ("home: local", "home: remote CA",
// "home: remote peer", "home: local chain").
struct LoadedCert {
  crypto::Certificate cert;
  std::string file;
  bool has_private_key = false;
  std::vector<std::string> used_by;
};
struct CredentialInventory {
  std::vector<LoadedCert> certs;  // in load order
  std::vector<std::string> crl_files;
};

struct MapOptions {
  // The directory with swanctl's credential layout: x509/ (own and pinned peer certificates),
  // x509ca/ (CAs, trust anchors), x509im/ (intermediates we send, not anchors), x509crl/
  // (CRLs), private/, rsa/, ecdsa/ (private keys). Relative names in
  // certs / cacerts / secrets file entries resolve against these. Empty: only absolute names.
  std::string confdir;
};

// The directory of a configuration file, for MapOptions::confdir ("." for a bare name).
std::string confdir_of(const std::string& config_path);

// Credentials are read only when some connection uses certificates (auth = pubkey & co), and
// then a file that does not load is an error: a key others can read, a CA that is not a CA
// or a broken CRL must not be skipped quietly.
Result<ike::EngineConfig> to_engine_config(const config::SwanctlConfig& config,
                                           const MapOptions& options = {},
                                           CredentialInventory* inventory = nullptr);

// Concrete single addresses of an address list (Address, or Prefix/Range of one address);
// %any and real ranges give nothing (they only restrict whom we answer).
std::vector<IpAddress> concrete_addresses(const std::vector<config::AddressSpec>& specs);

// Selectors for a trap policy, before any IKE SA exists: a dynamic entry becomes the first
// concrete address of that side (`own`), or is left out when there is none.
std::vector<wire::TrafficSelector> resolve_selectors(const std::vector<ike::ConfiguredTs>& configured,
                                                     const std::vector<IpAddress>& own);

}  // namespace portunus::daemon
