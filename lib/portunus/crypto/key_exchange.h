#pragma once
// Key exchange methods with IKEv2 public-value encodings (RFC 7296 3.4, RFC 5903 7,
// RFC 8031): MODP g^x padded to the prime length, ECP x|y without 0x04, X25519/X448 raw.
// Private keys come from an injected Random so that tests are deterministic.
#include <memory>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/crypto/random.h"

namespace portunus::crypto {

class KeyExchange {
 public:
  virtual ~KeyExchange() = default;
  virtual KeGroup group() const = 0;
  // The KE payload data.
  virtual const Bytes& public_value() const = 0;
  // Validates the peer's value (length, range / on curve, not the identity, RFC 6989)
  // and returns g^ir in the IKEv2 encoding. Never crashes on bad input.
  virtual Result<SecureBytes> derive(BytesView peer_public) = 0;
};

bool ke_group_supported(KeGroup group);
// Length of the KE payload data for the group (0 if unknown).
size_t ke_public_size(KeGroup group);
Result<std::unique_ptr<KeyExchange>> make_key_exchange(KeGroup group, Random& rng);
// For known-answer tests: a fixed private value in the SCHEMA.md `ke` encoding.
Result<std::unique_ptr<KeyExchange>> make_key_exchange_from_private(KeGroup group, BytesView private_value);

}  // namespace portunus::crypto
