#pragma once
// Key material of an IKE SA and its Child SAs (RFC 7296 2.14, 2.17, 2.18): the engine's
// single place that turns nonces, SPIs and g^ir into SK_* and KEYMAT, and builds the
// SK payload protectors from them.
#include <cstdint>
#include <memory>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/crypto/protector.h"
#include "portunus/ike/child_sa_installer.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::ike {

// The algorithms of a chosen IKE or ESP proposal.
struct Algorithms {
  crypto::EncrId encr = crypto::EncrId::AesGcm16;
  uint16_t encr_key_bits = 0;
  crypto::PrfId prf = crypto::PrfId::HmacSha2_256;  // IKE only
  crypto::IntegId integ = crypto::IntegId::None;
  crypto::KeGroup group = crypto::KeGroup::None;
  bool esn = false;  // ESP only
};
Algorithms algorithms_of(const wire::Proposal& chosen);

struct IkeSaKeys {
  Algorithms alg;
  SecureBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
  // The protector for messages sent by the original initiator (SK_ei/SK_ai) or by the
  // original responder (SK_er/SK_ar), built per message. IKE messages are rare (a few per
  // SA per minute), while an idle cipher context costs kilobytes (OpenSSL GCM: ~2.6 KiB),
  // so keeping only the keys is what makes 100,000 IKE SAs affordable. Null on failure.
  // A message is either sealed or opened, so `use` keys only that direction's context.
  std::unique_ptr<crypto::Protector> protector(
      bool from_initiator, crypto::ProtectorUse use = crypto::ProtectorUse::SealAndOpen) const;
};

// SKEYSEED = prf(Ni | Nr, g^ir); {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr} =
// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)  (2.14).
Result<IkeSaKeys> derive_ike_sa_keys(const Algorithms& alg, BytesView g_ir, BytesView ni, BytesView nr,
                                     uint64_t spi_i, uint64_t spi_r);
// The second half of 2.14 alone: SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). Exposed so
// that the published prf+ vectors can be run through exactly the engine's derivation.
Result<IkeSaKeys> derive_ike_sa_keys_from_skeyseed(const Algorithms& alg, BytesView skeyseed, BytesView ni,
                                                   BytesView nr, uint64_t spi_i, uint64_t spi_r);
// Rekeyed IKE SA (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old PRF,
// then prf+ with the new PRF as above.
Result<IkeSaKeys> derive_rekeyed_ike_sa_keys(const Algorithms& alg, crypto::PrfId old_prf, BytesView old_sk_d,
                                             BytesView g_ir_new, BytesView ni, BytesView nr, uint64_t spi_i,
                                             uint64_t spi_r);

// Child SA KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (2.17), split into the keys of the
// SA carrying data from the exchange initiator to the responder, then the reverse; each
// direction's encryption key first, then its integrity key.
struct ChildKeys {
  SaKeys i_to_r;
  SaKeys r_to_i;
};
Result<ChildKeys> derive_child_keys(crypto::PrfId prf, BytesView sk_d, BytesView g_ir_new, BytesView ni,
                                    BytesView nr, const Algorithms& esp);

}  // namespace portunus::ike
