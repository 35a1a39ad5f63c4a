#pragma once
// ESP packet format (RFC 4303 2): SPI | Sequence Number | IV | payload | padding | pad
// length | next header | ICV, and the UDP encapsulation of RFC 3948.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "portunus/base/bytes.h"

namespace portunus::wire {

constexpr size_t kEspHeader = 8;   // SPI + sequence number (low 32 bits)
constexpr size_t kEspTrailer = 2;  // pad length + next header
constexpr size_t kMaxEspPadding = 255;
constexpr uint16_t kNatTPort = 4500;  // RFC 3948 UDP-encapsulated ESP and IKE

struct EspHeader {
  uint32_t spi = 0;
  uint32_t seq_lo = 0;
};

// Reads the 8-octet header; nullopt when shorter.
inline std::optional<EspHeader> read_esp_header(BytesView esp) {
  if (esp.size() < kEspHeader) return std::nullopt;
  return EspHeader{load_be32(esp.data()), load_be32(esp.data() + 4)};
}

inline void write_esp_header(uint8_t* out, uint32_t spi, uint32_t seq_lo) {
  store_be32(out, spi);
  store_be32(out + 4, seq_lo);
}

// RFC 3948 2.2: on UDP 4500 a payload starting with four zero octets (the non-ESP marker)
// is IKE; ESP never has SPI 0. A single 0xff octet is a NAT-keepalive (2.3).
enum class UdpEncapKind : uint8_t { Esp, Ike, Keepalive, Malformed };
inline UdpEncapKind classify_udp_encap(BytesView udp_payload) {
  if (udp_payload.size() == 1 && udp_payload[0] == 0xff) return UdpEncapKind::Keepalive;
  if (udp_payload.size() < 4) return UdpEncapKind::Malformed;
  if (load_be32(udp_payload.data()) == 0) return UdpEncapKind::Ike;
  return udp_payload.size() < kEspHeader ? UdpEncapKind::Malformed : UdpEncapKind::Esp;
}

}  // namespace portunus::wire
