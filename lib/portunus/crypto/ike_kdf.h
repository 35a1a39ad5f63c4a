#pragma once
// IKEv2 key derivation (RFC 7296 2.14, 2.17, 2.18) on top of prf / prf+. All secrets are
// SecureBytes. Nonces are the Nonce payload data; SPIs are the 8-octet IKE SPIs as sent.
#include <cstdint>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/crypto/protector.h"

namespace portunus::crypto {

// SKEYSEED = prf(Ni | Nr, g^ir) (2.14). For PRF_AES128_XCBC and PRF_AES128_CMAC the key is
// the first 8 octets of Ni followed by the first 8 octets of Nr.
Result<SecureBytes> compute_skeyseed(PrfId prf, BytesView ni, BytesView nr, BytesView g_ir);

// SKEYSEED of a rekeyed IKE SA = prf(SK_d (old), g^ir (new) | Ni | Nr) (2.18), with the
// PRF of the old IKE SA.
Result<SecureBytes> compute_rekeyed_skeyseed(PrfId old_prf, BytesView old_sk_d, BytesView g_ir_new,
                                             BytesView ni, BytesView nr);

// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), `length` octets (2.14).
Result<SecureBytes> compute_ike_dkm(PrfId prf, BytesView skeyseed, BytesView ni, BytesView nr,
                                    BytesView spi_i, BytesView spi_r, size_t length);

struct IkeSaSecrets {
  SecureBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
// (2.14). SK_d, SK_pi and SK_pr have the PRF's preferred key length; the others the
// transform's: `sizes` from key_sizes() of the IKE SA's encryption and integrity transforms
// (encryption keymat including any salt, RFC 5282 7).
Result<IkeSaSecrets> derive_ike_sa_secrets(PrfId prf, BytesView skeyseed, BytesView ni, BytesView nr,
                                           uint64_t spi_i, uint64_t spi_r, const KeySizes& sizes);

// Child SA KEYMAT = prf+(SK_d, Ni | Nr), or with a CREATE_CHILD_SA key exchange
// prf+(SK_d, g^ir (new) | Ni | Nr) (2.17); g_ir_new empty means no PFS.
Result<SecureBytes> compute_child_keymat(PrfId prf, BytesView sk_d, BytesView g_ir_new, BytesView ni,
                                         BytesView nr, size_t length);

// The keys of one Child SA pair taken from KEYMAT in RFC 7296 2.17 order: first the SA
// carrying data from the initiator to the responder, then the reverse; within each, the
// encryption key material first, then the integrity key.
struct ChildSaKeys {
  SecureBytes encr_i, integ_i;  // initiator -> responder
  SecureBytes encr_r, integ_r;  // responder -> initiator
};
Result<ChildSaKeys> derive_child_sa_keys(PrfId prf, BytesView sk_d, BytesView g_ir_new, BytesView ni,
                                         BytesView nr, const KeySizes& sizes);

}  // namespace portunus::crypto
