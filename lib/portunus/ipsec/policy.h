#pragma once
// Security policies (RFC 4301 4.4.1): selectors, actions and per-policy processing options.
// Plain data; the Spd classifies packets against them.
#include <cstdint>

#include "portunus/base/ip_address.h"
#include "portunus/wire/ike_proposal.h"
#include "portunus/wire/ip_packet.h"

namespace portunus::ipsec {

// Inclusive address range of one family. Single addresses, prefixes and ANY are ranges.
struct AddressRange {
  IpAddress first;
  IpAddress last;

  static AddressRange any(IpFamily f) { return {IpAddress::any(f), IpAddress::all_ones(f)}; }
  static AddressRange single(const IpAddress& a) { return {a, a}; }
  static AddressRange prefix(const IpAddress& a, unsigned len) { return {a.network(len), a.broadcast(len)}; }
  static AddressRange range(const IpAddress& a, const IpAddress& b) { return {a, b}; }
  IpFamily family() const { return first.family(); }
  bool contains(const IpAddress& a) const { return first <= a && a <= last; }
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

struct Range16 {
  uint16_t first = 0;
  uint16_t last = 65535;
  bool contains(uint16_t v) const { return first <= v && v <= last; }
  friend bool operator==(const Range16&, const Range16&) = default;
};

constexpr uint8_t kAnyProtocol = 0;  // as in IKEv2 traffic selectors

// RFC 4301 4.4.1.1 selectors, seen from this host: "local" is the source of outbound and the
// destination of inbound traffic. Which of the upper-layer ranges apply depends on protocol:
//  - TCP (6), UDP (17), SCTP (132): local_port / remote_port.
//  - ICMP (1), ICMPv6 (58): icmp_type / icmp_code (0..255 each).
//  - Mobility Header (135): mh_type (0..255).
// With protocol ANY, all ranges must be ANY.
struct Selector {
  AddressRange local = AddressRange::any(IpFamily::V4);
  AddressRange remote = AddressRange::any(IpFamily::V4);
  uint8_t protocol = kAnyProtocol;
  Range16 local_port;
  Range16 remote_port;
  Range16 icmp_type{0, 255};
  Range16 icmp_code{0, 255};
  Range16 mh_type{0, 255};

  IpFamily family() const { return local.family(); }
  static Selector any(IpFamily f) {
    Selector s;
    s.local = AddressRange::any(f);
    s.remote = AddressRange::any(f);
    return s;
  }
  // From an IKEv2 traffic selector pair (RFC 7296 3.13.1: for ICMP the type is the high and
  // the code the low octet of the port fields; for MH the type is the high octet).
  static Selector from_ts(const wire::TrafficSelector& local, const wire::TrafficSelector& remote);

  // Reference matcher (the Spd compiles selectors into a faster form and must agree).
  bool matches(const wire::FlowKey& flow, bool outbound) const;
  friend bool operator==(const Selector&, const Selector&) = default;
};

enum class Direction : uint8_t { Inbound, Outbound };
enum class Action : uint8_t { Bypass, Discard, Protect };
enum class Mode : uint8_t { Transport, Tunnel };

// RFC 6040 ECN handling at tunnel ends: Normal copies ECN outwards and combines it back in;
// Compatibility sets the outer header to Not-ECT (RFC 6040 4.1).
enum class EcnMode : uint8_t { Normal, Compatibility };
// IPv4 DF bit of a tunnel's outer header (RFC 4301 8.1).
enum class DfMode : uint8_t { Copy, Set, Clear };

struct ProcessingOptions {
  bool replay_check = true;
  uint32_t replay_window = 64;  // packets; rounded up to a multiple of 64, at most kMaxReplayWindow
  bool pad_check = true;        // inbound: padding must be 1, 2, 3, ... (RFC 4303 2.4)
  EcnMode ecn = EcnMode::Normal;
  DfMode df = DfMode::Copy;
  // Pad the payload with zeros up to this many octets (RFC 4303 2.7); 0 disables TFC padding.
  // Tunnel mode always; transport mode only for unfragmented UDP, the one upper layer whose
  // own length lets the receiver find the end of the data.
  uint16_t tfc_pad_to = 0;
  bool dummy_packets = false;  // the owner may call Engine::make_dummy for this policy's SA
  uint8_t outer_ttl = 64;      // TTL / hop limit of a tunnel's outer header
  uint16_t mtu = 0;            // outer packet size limit; 0 = no limit
  // Dummy packets at a rate (RFC 4303 2.6): while the policy has an outbound SA,
  // Engine::dummies_due names it every dummy_interval seconds (0: never), with a payload
  // length drawn from [dummy_min_len, dummy_max_len] octets.
  uint32_t dummy_interval = 0;
  uint16_t dummy_min_len = 32;
  uint16_t dummy_max_len = 256;
  friend bool operator==(const ProcessingOptions&, const ProcessingOptions&) = default;
};

using PolicyId = uint32_t;
constexpr PolicyId kNoPolicy = 0;

struct Policy {
  PolicyId id = kNoPolicy;  // set by Spd::add
  Direction direction = Direction::Outbound;
  Selector selector;
  Action action = Action::Discard;
  // Lower value = preferred; equal priorities resolve in insertion order.
  uint32_t priority = 1000;
  // For Action::Protect (ESP is the only protocol):
  Mode mode = Mode::Transport;
  IpAddress tunnel_local;   // outer source (tunnel mode)
  IpAddress tunnel_remote;  // outer destination (tunnel mode)
  uint32_t reqid = 0;       // links SAs to this policy; 0 = none
  ProcessingOptions options;
};

}  // namespace portunus::ipsec
