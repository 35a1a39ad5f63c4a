#pragma once
// "Protect a message": the one interface that both ESP and the IKEv2 SK payload use to
// encrypt and authenticate. It hides whether the transform is an AEAD (GCM, ChaCha20-
// Poly1305, GMAC) or a cipher plus an integrity transform. Contexts are created once
// per key (at SA install); each call only sets the nonce/IV, so no per-packet allocation.
//
// Message layout assumed by both protocols:   [aad][iv][text][icv]
//  - AEAD:           AAD = aad, nonce = salt | iv, text encrypted in place, icv = tag.
//  - cipher + integ: text encrypted in place with iv, icv = MAC(aad | iv | text | trailer).
//  - ENCR_NULL_AUTH_AES_GMAC (RFC 4543): text stays clear, icv = GMAC(aad | iv | text).
// `trailer` is authenticated but never sent (ESP's ESN high bits for cipher+integ,
// RFC 4303 3.3.2.1); AEAD callers put the ESN bits into aad and pass an empty trailer.
#include <cstddef>
#include <memory>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/crypto/ids.h"

namespace portunus::crypto {

class Protector {
 public:
  virtual ~Protector() = default;

  virtual bool is_aead() const = 0;
  // The sizes are plain members, not virtual calls: ESP reads them on every packet.
  // Explicit IV octets carried in each message (8 for GCM/CTR/ChaCha, 16 for CBC, 0 for NULL).
  size_t iv_size() const { return iv_size_; }
  // The plaintext length must be a multiple of this (16 for AES-CBC, 8 for 3DES, else 1).
  size_t block_size() const { return block_size_; }
  size_t icv_size() const { return icv_size_; }

  // Encrypts text in place and writes icv_size() octets to icv. False only on an
  // internal failure (wrong iv size, text not block aligned).
  virtual bool seal(BytesView aad, BytesView iv, MutBytes text, BytesView trailer, MutBytes icv) = 0;
  // Verifies icv (constant time) and decrypts text in place. False if authentication
  // fails; text is then unspecified and must be dropped.
  virtual bool open(BytesView aad, BytesView iv, MutBytes text, BytesView trailer, BytesView icv) = 0;

 protected:
  Protector(size_t iv_size, size_t block_size, size_t icv_size)
      : iv_size_(iv_size), block_size_(block_size), icv_size_(icv_size) {}
  size_t iv_size_;
  size_t block_size_;
  size_t icv_size_;
};

// Key material sizes as IKEv2 prf+ delivers it (RFC 7296 2.17 and the per-transform RFCs):
// the encryption keymat includes the 4-octet salt/nonce for CTR, GCM, GMAC and ChaCha20.
struct KeySizes {
  size_t encr_keymat = 0;
  size_t integ_key = 0;
};
// key_bits is 0 for fixed-size transforms. Error for unknown or disallowed combinations.
Result<KeySizes> key_sizes(EncrId encr, unsigned key_bits, IntegId integ);

// Which of seal / open a protector will serve. A one-way protector keys only that
// direction's cipher context (half the key schedules and memory); the other call fails.
// IKE builds one per message and uses it one way.
enum class ProtectorUse : uint8_t { SealAndOpen, SealOnly, OpenOnly };

Result<std::unique_ptr<Protector>> make_protector(EncrId encr, unsigned key_bits, BytesView encr_keymat,
                                                  IntegId integ, BytesView integ_key,
                                                  ProtectorUse use = ProtectorUse::SealAndOpen);

}  // namespace portunus::crypto
