// Kind "ike-kdf": SKEYSEED, DKM, SK_d, Child SA KEYMAT with and without PFS, rekeyed
// SKEYSEED (RFC 7296 2.14, 2.17, 2.18), each from the previous computed value.
#include "portunus/crypto/ike_kdf.h"
#include "portunus/crypto/prf.h"
#include "runner.h"

namespace portunus::vectors {

void check_ike_kdf(const Json& c) {
  check_fields(c, {"prf_id", "ni", "nr", "g_ir", "spi_i", "spi_r", "skeyseed", "dkm"},
               {"g_ir_new", "skeyseed_rekey", "sk_d", "keymat_child", "keymat_child_pfs"});
  const auto prf = static_cast<crypto::PrfId>(uint_field(c, "prf_id"));
  const Bytes ni = hex_field(c, "ni"), nr = hex_field(c, "nr"), g_ir = hex_field(c, "g_ir");
  const Bytes spi_i = hex_field(c, "spi_i"), spi_r = hex_field(c, "spi_r");
  const Bytes dkm_expected = hex_field(c, "dkm");

  auto skeyseed = crypto::compute_skeyseed(prf, ni, nr, g_ir);
  if (!skeyseed) throw CaseError(skeyseed.error().message);
  expect_equal("skeyseed", skeyseed->view(), hex_field(c, "skeyseed"));

  auto dkm = crypto::compute_ike_dkm(prf, *skeyseed, ni, nr, spi_i, spi_r, dkm_expected.size());
  if (!dkm) throw CaseError(dkm.error().message);
  expect_equal("dkm", dkm->view(), dkm_expected);

  const size_t k = crypto::prf_preferred_key_size(prf);
  if (dkm->size() < k) throw CaseError("dkm shorter than the PRF key length");
  SecureBytes sk_d = dkm->slice(0, k);
  if (has(c, "sk_d")) expect_equal("sk_d", sk_d.view(), hex_field(c, "sk_d"));

  Bytes g_ir_new;
  const bool need_new = has(c, "keymat_child_pfs") || has(c, "skeyseed_rekey");
  if (need_new && !has(c, "g_ir_new")) throw CaseError("g_ir_new missing");
  if (has(c, "g_ir_new")) g_ir_new = hex_field(c, "g_ir_new");

  if (has(c, "keymat_child")) {
    const Bytes expected = hex_field(c, "keymat_child");
    auto km = crypto::compute_child_keymat(prf, sk_d, {}, ni, nr, expected.size());
    if (!km) throw CaseError(km.error().message);
    expect_equal("keymat_child", km->view(), expected);
  }
  if (has(c, "keymat_child_pfs")) {
    const Bytes expected = hex_field(c, "keymat_child_pfs");
    auto km = crypto::compute_child_keymat(prf, sk_d, g_ir_new, ni, nr, expected.size());
    if (!km) throw CaseError(km.error().message);
    expect_equal("keymat_child_pfs", km->view(), expected);
  }
  if (has(c, "skeyseed_rekey")) {
    auto s = crypto::compute_rekeyed_skeyseed(prf, sk_d, g_ir_new, ni, nr);
    if (!s) throw CaseError(s.error().message);
    expect_equal("skeyseed_rekey", s->view(), hex_field(c, "skeyseed_rekey"));
  }
}

}  // namespace portunus::vectors
