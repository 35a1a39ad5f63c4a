// Kind "encr": the encryption transform alone, through the same Protector that ESP and
// the IKE SK payload use (without an integrity transform), in both directions.
#include "portunus/crypto/protector.h"
#include "runner.h"

namespace portunus::vectors {

void check_encr(const Json& c) {
  const auto encr = static_cast<crypto::EncrId>(uint_field(c, "encr_id"));
  const bool aead = encr == crypto::EncrId::AesGcm16 || encr == crypto::EncrId::ChaCha20Poly1305;
  if (aead) {
    check_fields(c, {"encr_id", "keymat", "iv", "plaintext", "ciphertext", "aad", "tag"}, {"key_bits"});
  } else {
    check_fields(c, {"encr_id", "keymat", "iv", "plaintext", "ciphertext"}, {"key_bits"});
  }
  const unsigned key_bits = has(c, "key_bits") ? static_cast<unsigned>(uint_field(c, "key_bits")) : 0;
  const Bytes keymat = hex_field(c, "keymat"), iv = hex_field(c, "iv");
  const Bytes plaintext = hex_field(c, "plaintext"), ciphertext = hex_field(c, "ciphertext");
  const Bytes aad = aead ? hex_field(c, "aad") : Bytes{};
  const Bytes tag = aead ? hex_field(c, "tag") : Bytes{};

  auto p = crypto::make_protector(encr, key_bits, keymat, crypto::IntegId::None, {});
  if (!p) throw CaseError(p.error().message);
  if ((*p)->icv_size() != tag.size()) throw CaseError("tag length does not match the transform");

  Bytes text = plaintext;
  Bytes icv(tag.size());
  if (!(*p)->seal(aad, iv, text, {}, icv)) throw CaseError("seal refused the input");
  expect_equal("ciphertext", text, ciphertext);
  expect_equal("tag", icv, tag);

  text = ciphertext;
  if (!(*p)->open(aad, iv, text, {}, tag)) throw CaseError("open rejected the published ciphertext");
  expect_equal("plaintext", text, plaintext);

  if (aead) {
    Bytes wrong = tag;
    wrong[0] ^= 1;
    text = ciphertext;
    if ((*p)->open(aad, iv, text, {}, wrong)) throw CaseError("open accepted a modified tag");
  }
}

}  // namespace portunus::vectors
