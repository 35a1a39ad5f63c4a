#pragma once
// Test helpers: small IPv4/IPv6 packets with UDP, TCP, ICMP or MH payloads, and SA/policy
// set-up shared by the ipsec tests.
#include <cstring>
#include <string>

#include "portunus/base/bytes.h"
#include "portunus/base/ip_address.h"
#include "portunus/wire/ip_packet.h"

namespace portunus::ipsec::testing {

inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }

struct PacketSpec {
  IpAddress src = ip("10.0.0.1");
  IpAddress dst = ip("10.0.1.1");
  uint8_t protocol = wire::ipproto::kUdp;
  uint16_t sport = 1234;  // ICMP: type; MH: MH type
  uint16_t dport = 80;    // ICMP: code
  size_t payload = 32;    // octets after the upper-layer header
  uint8_t tos = 0;
  bool df = false;
  uint8_t ttl = 64;
  // IPv6 only: extension headers in front of the upper layer (each 8 octets).
  std::vector<uint8_t> ext_headers;
};

// Builds the packet with a correct IPv4 header checksum and a TCP/UDP checksum.
inline Bytes make_packet(const PacketSpec& s) {
  Bytes upper;
  switch (s.protocol) {
    case wire::ipproto::kUdp:
    case wire::ipproto::kTcp: {
      size_t hl = s.protocol == wire::ipproto::kTcp ? 20 : 8;
      upper.assign(hl, 0);
      store_be16(upper.data(), s.sport);
      store_be16(upper.data() + 2, s.dport);
      if (s.protocol == wire::ipproto::kUdp)
        store_be16(upper.data() + 4, static_cast<uint16_t>(8 + s.payload));
      if (s.protocol == wire::ipproto::kTcp) upper[12] = 0x50;
      break;
    }
    case wire::ipproto::kIcmp:
    case wire::ipproto::kIcmpv6:
      upper = {static_cast<uint8_t>(s.sport), static_cast<uint8_t>(s.dport), 0, 0, 0, 0, 0, 0};
      break;
    case wire::ipproto::kMobility:
      upper = {59, 0, static_cast<uint8_t>(s.sport), 0, 0, 0, 0, 0};
      break;
    default:
      break;
  }
  for (size_t i = 0; i < s.payload; ++i) upper.push_back(static_cast<uint8_t>(i * 7 + 3));
  Bytes p;
  if (s.src.is_v4()) {
    p.assign(20, 0);
    p[0] = 0x45;
    p[1] = s.tos;
    store_be16(p.data() + 2, static_cast<uint16_t>(20 + upper.size()));
    store_be16(p.data() + 4, 0x1234);
    p[6] = s.df ? 0x40 : 0;
    p[8] = s.ttl;
    p[9] = s.protocol;
    std::memcpy(p.data() + 12, s.src.data(), 4);
    std::memcpy(p.data() + 16, s.dst.data(), 4);
    wire::ipv4_set_checksum(p);
  } else {
    p.assign(40, 0);
    p[0] = static_cast<uint8_t>(0x60 | (s.tos >> 4));
    p[1] = static_cast<uint8_t>(s.tos << 4);
    p[7] = s.ttl;
    std::memcpy(p.data() + 8, s.src.data(), 16);
    std::memcpy(p.data() + 24, s.dst.data(), 16);
    size_t nh_index = 6;
    for (uint8_t type : s.ext_headers) {
      p[nh_index] = type;
      nh_index = p.size();
      Bytes ext(8, 0);
      p.insert(p.end(), ext.begin(), ext.end());
    }
    p[nh_index] = s.protocol;
    store_be16(p.data() + 4, static_cast<uint16_t>(p.size() - 40 + upper.size()));
  }
  size_t l4 = p.size();
  p.insert(p.end(), upper.begin(), upper.end());
  if (s.protocol == wire::ipproto::kUdp || s.protocol == wire::ipproto::kTcp) {
    // Pseudo-header checksum so that transport-mode NAT-T fix-ups can be verified.
    uint32_t sum = 0;
    sum = wire::checksum_add(sum, s.src.bytes());
    sum = wire::checksum_add(sum, s.dst.bytes());
    uint8_t tail[8] = {};
    store_be32(tail, static_cast<uint32_t>(upper.size()));
    tail[7] = s.protocol;
    sum = wire::checksum_add(sum, BytesView(tail, 8));
    sum = wire::checksum_add(sum, BytesView(p).subspan(l4));
    uint16_t c = wire::checksum_fold(sum);
    size_t at = l4 + (s.protocol == wire::ipproto::kTcp ? 16 : 6);
    store_be16(p.data() + at, c == 0 ? 0xffff : c);
  }
  return p;
}

// True if the TCP/UDP checksum of a packet verifies.
inline bool l4_checksum_ok(BytesView p) {
  auto r = wire::parse_ip(p);
  if (!r.ok) return false;
  const auto& in = r.info;
  bool v4 = in.family == IpFamily::V4;
  BytesView seg = p.subspan(in.header_len, in.total_len - in.header_len);
  uint32_t sum = 0;
  sum = wire::checksum_add(sum, p.subspan(v4 ? 12 : 8, v4 ? 4 : 16));
  sum = wire::checksum_add(sum, p.subspan(v4 ? 16 : 24, v4 ? 4 : 16));
  uint8_t tail[8] = {};
  store_be32(tail, static_cast<uint32_t>(seg.size()));
  tail[7] = in.flow.protocol;
  sum = wire::checksum_add(sum, BytesView(tail, 8));
  sum = wire::checksum_add(sum, seg);
  return wire::checksum_fold(sum) == 0;
}

}  // namespace portunus::ipsec::testing
