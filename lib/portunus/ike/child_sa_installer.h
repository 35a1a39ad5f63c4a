#pragma once
// How the engine hands negotiated Child SAs to the data plane. The daemon implements this
// on top of ipsec::Sad/Spd; tests implement it with a recorder. Calls happen synchronously
// from inside Engine::receive / on_timer / commands.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/ike/peer_config.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::ike {

struct Endpoint {
  IpAddress addr;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// One direction's keys, as prf+ produced them (encr keymat includes a salt where the
// transform has one, exactly as crypto::make_protector expects).
struct SaKeys {
  SecureBytes encr;
  SecureBytes integ;
};

struct ChildSaParams {
  uint64_t ike_sa_id = 0;  // Engine's handle of the owning IKE SA
  std::string connection;
  std::string child;
  uint32_t reqid = 0;
  wire::ProtocolId protocol = wire::ProtocolId::Esp;
  uint32_t spi_in = 0;   // the SPI we chose: the peer sends to it
  uint32_t spi_out = 0;  // the SPI the peer chose: we send with it
  IpsecMode mode = IpsecMode::Tunnel;
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  uint16_t encr_key_bits = 0;
  crypto::IntegId integ = crypto::IntegId::None;
  bool esn = false;
  SaKeys in;
  SaKeys out;
  // Outer addresses; with udp_encap the ports are those of the IKE SA (4500 normally).
  Endpoint local;
  Endpoint remote;
  bool udp_encap = false;
  // Negotiated (narrowed) selectors: local = ours, remote = the peer's.
  std::vector<wire::TrafficSelector> local_ts;
  std::vector<wire::TrafficSelector> remote_ts;
  Lifetimes lifetimes;
  uint32_t replay_window = 32;
  // The peer sent ESP_TFC_PADDING_NOT_SUPPORTED.
  bool tfc_padding_allowed = true;
  // For a rekey (make-before-break): the SPIs of the SA this one replaces. The data plane
  // switches outbound traffic of the reqid to the new SA at once and keeps the old inbound
  // SA until delete_child_sa for it, so no packet in flight is lost.
  uint32_t replaces_spi_in = 0;
  uint32_t replaces_spi_out = 0;
};

struct ChildSaRef {
  uint32_t reqid = 0;
  wire::ProtocolId protocol = wire::ProtocolId::Esp;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
};

class ChildSaInstaller {
 public:
  virtual ~ChildSaInstaller() = default;
  // Installs both directions. An error makes the engine delete the Child SA with the peer.
  virtual Result<void> install_child_sa(const ChildSaParams& params) = 0;
  // Removes both directions (inbound spi_in and outbound spi_out). Unknown SPIs are ignored.
  virtual void delete_child_sa(const ChildSaRef& ref) = 0;
  // The IKE SA moved (NAT float to 4500, a NAT mapping changed): new outer addresses.
  virtual void update_child_sa_endpoints(const ChildSaRef& ref, const Endpoint& local, const Endpoint& remote,
                                         bool udp_encap) = 0;
};

}  // namespace portunus::ike
