// Kind "signature": Ed25519 (RFC 8032) key derivation, deterministic signing, verification.
#include "portunus/crypto/signature.h"
#include "runner.h"

namespace portunus::vectors {

void check_signature(const Json& c) {
  check_fields(c, {"alg", "private", "public", "message", "signature"});
  const std::string alg = string_field(c, "alg");
  if (alg != "ed25519") throw CaseError("signature algorithm '" + alg + "' not supported");
  const Bytes pub = hex_field(c, "public"), message = hex_field(c, "message"),
              sig = hex_field(c, "signature");
  auto key = crypto::PrivateKey::from_ed25519_seed(hex_field(c, "private"));
  if (!key) throw CaseError(key.error().message);
  expect_equal("public", key->public_key().raw(), pub);
  auto made = key->sign(crypto::SignatureScheme::Ed25519, message);
  if (!made) throw CaseError(made.error().message);
  expect_equal("signature", *made, sig);
  auto verifier = crypto::PublicKey::from_ed25519(pub);
  if (!verifier) throw CaseError(verifier.error().message);
  if (!verifier->verify(crypto::SignatureScheme::Ed25519, message, sig)) {
    throw CaseError("verify rejected the published signature");
  }
  Bytes wrong = sig;
  wrong[0] ^= 1;
  if (verifier->verify(crypto::SignatureScheme::Ed25519, message, wrong)) {
    throw CaseError("verify accepted a modified signature");
  }
}

}  // namespace portunus::vectors
