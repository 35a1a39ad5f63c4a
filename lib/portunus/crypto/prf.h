#pragma once
// Pseudo-random functions and the IKEv2 key derivations built on them (RFC 7296 2.13,
// 2.14, 2.17, 2.18). A Prf object is keyed once and reused.
#include <memory>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"

namespace portunus::crypto {

class Prf {
 public:
  virtual ~Prf() = default;
  virtual size_t output_size() const = 0;
  // prf(key, data) with the key rule of the PRF (RFC 4434 / 4615 for XCBC / CMAC).
  virtual void compute(BytesView data, MutBytes out) = 0;
  virtual void rekey(BytesView key) = 0;
};

Result<std::unique_ptr<Prf>> make_prf(PrfId id, BytesView key);
size_t prf_output_size(PrfId id);
size_t prf_preferred_key_size(PrfId id);

// prf+ (RFC 7296 2.13): the first `length` octets of T1 | T2 | ...; at most 255 blocks.
Result<SecureBytes> prf_plus(PrfId id, BytesView key, BytesView seed, size_t length);

}  // namespace portunus::crypto
