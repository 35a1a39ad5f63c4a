#pragma once
// RFC 7383 on the sending side: whether a protected IKE message goes out whole or as
// Encrypted Fragment (SKF) payloads, and how much of the inner payload chain one fragment
// can carry when its whole IP datagram must stay within a size (strongSwan's
// charon.fragment_size counts IP + UDP + non-ESP marker + IKE message).
#include <cstddef>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/expected.h"
#include "portunus/crypto/protector.h"
#include "portunus/crypto/random.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike {

// What a datagram carries besides the IKE message: IP header (20 / 40, no options or
// extension headers), UDP header, and on port 4500 the 4-octet non-ESP marker.
size_t ip_udp_overhead(bool ipv6, bool non_esp_marker);

// The most inner-chain octets one SKF fragment can carry so that its IP datagram is at most
// `datagram_size` octets: that size minus the headers (IP, UDP, marker, IKE 28, SKF 8), IV
// and ICV, rounded down to whole cipher blocks, minus the Pad Length octet. 0 if nothing fits.
size_t fragment_capacity(size_t datagram_size, bool ipv6, bool non_esp_marker,
                         const crypto::Protector& protector);

// Seals the inner chain `chain` (first payload `first`) under `header`: one SK message when
// `datagram_size` is 0 or the message fits into it, else as many SKF fragments as needed,
// each separately encrypted with its own IV (RFC 7383 2.5). A size too small for even one
// octet per fragment, or a message that would need more than 65535 fragments, falls back to
// the whole message (the peer may still get it through IP fragmentation).
Result<std::vector<Bytes>> seal_for_path(const wire::IkeHeader& header, wire::PayloadType first,
                                         BytesView chain, size_t datagram_size, bool ipv6,
                                         bool non_esp_marker, crypto::Protector& protector,
                                         crypto::Random& random);

}  // namespace portunus::ike
