#pragma once
// The Encrypted and Authenticated payload (RFC 7296 3.14, RFC 5282 for AEAD): building a
// protected message around an inner payload chain, and verifying + decrypting one.
// The wire codec carries the SK body raw; this is where the cryptography happens.
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/expected.h"
#include "portunus/crypto/protector.h"
#include "portunus/crypto/random.h"
#include "portunus/wire/ike_message.h"

namespace portunus::ike {

// Encodes header + SK{inner}. The IV comes from `random` (unpredictable, as CBC needs; for
// the counter-mode AEADs a random 64-bit IV is unique with overwhelming probability at IKE
// message rates). Fails only if the codec refuses the message.
Result<Bytes> seal_message(const wire::IkeHeader& header, const std::vector<wire::Payload>& inner,
                           crypto::Protector& protector, crypto::Random& random);

// The same from an already encoded inner chain whose first payload has type `first`.
Result<Bytes> seal_raw(const wire::IkeHeader& header, wire::PayloadType first, BytesView chain,
                       crypto::Protector& protector, crypto::Random& random);

enum class OpenError : uint8_t {
  NoSk,       // the message's last payload is not SK (or is SKF, which we do not reassemble)
  Malformed,  // body too short, not block aligned, bad pad length
  BadIcv,     // authentication failed
  BadInner,   // the decrypted payload chain does not decode
};

// Verifies and decrypts the SK payload of a decoded message; returns the inner payloads.
// `datagram` is the exact octets `msg` was decoded from (the AAD is taken from them).
Expected<std::vector<wire::Payload>, OpenError> open_message(BytesView datagram, const wire::Message& msg,
                                                             crypto::Protector& protector);

// RFC 7383: one Encrypted Fragment (SKF) payload, verified and decrypted on its own (its
// AAD covers the SKF header with the fragment number).
struct OpenedFragment {
  wire::PayloadType first_inner = wire::PayloadType::NoNext;
  uint16_t number = 0;
  uint16_t total = 0;
  Bytes plain;  // this fragment's share of the inner payload chain
};
Expected<OpenedFragment, OpenError> open_fragment(BytesView datagram, const wire::Message& msg,
                                                  crypto::Protector& protector);
// The datagrams of `chain` split into `count` SKF fragments (RFC 7383 2.5).
Result<std::vector<Bytes>> seal_fragments(const wire::IkeHeader& header, wire::PayloadType first,
                                          BytesView chain, size_t count, crypto::Protector& protector,
                                          crypto::Random& random);

}  // namespace portunus::ike
