#pragma once
// IPv4 (RFC 791) and IPv6 (RFC 8200) header views for the IPsec data path: bounds-checked
// parsing of the fixed header, the IPv6 extension-header chain, and the upper-layer fields
// that RFC 4301 4.4.1.1 uses as selectors (ports, ICMP type/code, Mobility Header type).
// No allocation: the parse result is a small value with offsets into the caller's buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "portunus/base/bytes.h"
#include "portunus/base/ip_address.h"

namespace portunus::wire {

// IANA "Assigned Internet Protocol Numbers" used by the data path.
namespace ipproto {
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kIpv4 = 4;  // IPv4-in-IP (tunnel mode next header)
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kIpv6 = 41;  // IPv6-in-IP (tunnel mode next header)
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNoNext = 59;  // also the ESP "dummy packet" next header (RFC 4303 2.6)
constexpr uint8_t kDstOpts = 60;
constexpr uint8_t kSctp = 132;
constexpr uint8_t kMobility = 135;  // Mobility Header, RFC 6275
}  // namespace ipproto

constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kUdpHeader = 8;

enum class IpParseError : uint8_t {
  Truncated,      // shorter than a header or a length field says
  BadVersion,     // neither 4 nor 6
  BadHeader,      // IHL < 5, total length < header, jumbogram, too many extension headers
  BadUpperLayer,  // upper-layer header too short for its selector fields
};

// What the SPD looks at. Ports are "opaque" (RFC 4301 4.4.1.1) for non-initial fragments:
// then only selectors with ANY ports/types match.
struct FlowKey {
  IpFamily family = IpFamily::V4;
  uint8_t protocol = 0;
  bool ports_opaque = false;
  // TCP/UDP/SCTP: ports. ICMP/ICMPv6: src_port = type, dst_port = code. MH: src_port = MH type.
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t src[16] = {};  // network order; IPv4 uses the first 4 octets
  uint8_t dst[16] = {};

  IpAddress src_address() const;
  IpAddress dst_address() const;
};

struct IpInfo {
  IpFamily family = IpFamily::V4;
  size_t total_len = 0;   // from the header (IPv4 total length, 40 + IPv6 payload length)
  size_t header_len = 0;  // offset of the upper-layer header (after every extension header)
  // Where ESP goes in transport mode: IPv4 after the header; IPv6 after hop-by-hop, routing
  // and fragment headers and any destination options that precede a routing header
  // (RFC 4303 3.1.1). Extension headers after this point end up inside the ESP payload.
  size_t esp_insert_offset = 0;
  // Offset of the octet that names the protocol following esp_insert_offset (IPv4 protocol
  // field, IPv6 next header field of the header before the insertion point).
  size_t insert_next_header_offset = 0;
  uint8_t insert_next_header = 0;  // its value
  // Offset of the octet that names flow.protocol (the upper layer at header_len).
  size_t upper_next_header_offset = 0;
  FlowKey flow;
  bool is_fragment = false;  // any fragment (IPv4 MF/offset, IPv6 fragment header)
};

struct IpParseResult {
  bool ok = false;
  IpParseError error = IpParseError::Truncated;
  IpInfo info;
};

// Parses an IP packet. The buffer may be longer than total_len (link padding); callers use
// info.total_len. For ESP packets (protocol 50 after the chain) the flow carries no ports.
IpParseResult parse_ip(BytesView packet);

// RFC 1071 one's complement sum helpers.
uint32_t checksum_add(uint32_t sum, BytesView data);
uint16_t checksum_fold(uint32_t sum);
// Recomputes the IPv4 header checksum in place (header = the IHL*4 octets).
void ipv4_set_checksum(MutBytes header);
bool ipv4_checksum_ok(BytesView header);

inline uint8_t ip_version(BytesView packet) { return packet.empty() ? 0 : packet[0] >> 4; }

// ECN field (RFC 3168): low two bits of the IPv4 TOS / IPv6 traffic class.
enum class Ecn : uint8_t { NotEct = 0, Ect1 = 1, Ect0 = 2, Ce = 3 };
// Reads / writes the DS+ECN octet of a well-formed header (IPv4 checksum not touched).
// Inline: called twice per decapsulated packet.
inline uint8_t ip_tos(BytesView header) {
  if (ip_version(header) == 4) return header[1];
  return static_cast<uint8_t>(((header[0] & 0x0f) << 4) | (header[1] >> 4));
}
inline void ip_set_tos(MutBytes header, uint8_t tos) {
  if (ip_version(header) == 4) {
    header[1] = tos;
    return;
  }
  header[0] = static_cast<uint8_t>((header[0] & 0xf0) | (tos >> 4));
  header[1] = static_cast<uint8_t>((header[1] & 0x0f) | (tos << 4));
}

}  // namespace portunus::wire
