#pragma once
// NAT detection (RFC 7296 2.23). Each side sends NAT_DETECTION_SOURCE_IP =
// SHA-1(SPIi | SPIr | source IP | source port) and NAT_DETECTION_DESTINATION_IP =
// SHA-1(SPIi | SPIr | destination IP | destination port) in IKE_SA_INIT (SPIr is zero in
// the request). A receiver that cannot reproduce the destination hash from its own
// address is behind a NAT; one that cannot reproduce any source hash from the packet's
// source address sees the peer behind a NAT. Either way both float to port 4500 and
// encapsulate ESP in UDP (RFC 3948).
#include <array>
#include <cstdint>
#include <span>

#include "portunus/base/bytes.h"
#include "portunus/base/ip_address.h"
#include "portunus/crypto/random.h"

namespace portunus::ike {

using NatHash = std::array<uint8_t, 20>;

// SPIs as they appear in the IKE header (big-endian on the wire), port in host order.
NatHash nat_detection_hash(uint64_t spi_i, uint64_t spi_r, const IpAddress& addr, uint16_t port);

// A random "source" hash that can match no address: sent instead of the real one when
// the configuration forces UDP encapsulation, so the peer believes we are behind a NAT
// (strongSwan's encap = yes does the same).
NatHash fake_nat_source_hash(crypto::Random& rng);

struct NatStatus {
  bool local_behind_nat = false;   // our address was rewritten on the way
  bool remote_behind_nat = false;  // the peer's address was rewritten (or it fakes it)
  bool any() const { return local_behind_nat || remote_behind_nat; }
};

// `received_source` are the data of all NAT_DETECTION_SOURCE_IP notifies (a multihomed
// peer may send several), `received_destination` that of NAT_DETECTION_DESTINATION_IP.
// Notify data of the wrong length never match. `local_*` is the address and port the
// datagram arrived on, `remote_*` its source. If the peer sent no NAT notifies at all
// the caller must not call this (no NAT-T support on the peer: no NAT assumed).
NatStatus detect_nat(uint64_t spi_i, uint64_t spi_r, std::span<const BytesView> received_source,
                     BytesView received_destination, const IpAddress& local_addr, uint16_t local_port,
                     const IpAddress& remote_addr, uint16_t remote_port);

// Whether an IKE message between these ports carries the four-zero-octet non-ESP marker
// (RFC 3948 2.2, RFC 7296 2.23): on the NAT-T port it always does. Port 4500 on our side
// means the NAT-T socket whatever the peer's port (a NAT may map it to anything, even 500);
// a message on port 500 never does, even when a NAT rewrote the peer's port; between two
// non-standard ports (test set-ups) both sides behave as on the NAT-T port.
bool uses_non_esp_marker(uint16_t local_port, uint16_t remote_port);

}  // namespace portunus::ike
