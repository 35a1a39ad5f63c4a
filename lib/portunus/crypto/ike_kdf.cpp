#include "portunus/crypto/ike_kdf.h"

#include <string>

#include "portunus/crypto/prf.h"

namespace portunus::crypto {
namespace {

SecureBytes concat(std::initializer_list<BytesView> parts) {
  size_t n = 0;
  for (BytesView p : parts) n += p.size();
  SecureBytes out(n);
  size_t at = 0;
  for (BytesView p : parts) {
    if (!p.empty()) std::copy(p.begin(), p.end(), out.data() + at);
    at += p.size();
  }
  return out;
}

Result<SecureBytes> prf_once(PrfId id, BytesView key, BytesView data) {
  auto prf = make_prf(id, key);
  if (!prf) return Unexpected(prf.error());
  SecureBytes out((*prf)->output_size());
  (*prf)->compute(data, out.span());
  return out;
}

// Takes `n` octets from `from` at `at`, advancing it.
SecureBytes take(const SecureBytes& from, size_t& at, size_t n) {
  SecureBytes out = from.slice(at, n);
  at += n;
  return out;
}

}  // namespace

Result<SecureBytes> compute_skeyseed(PrfId prf, BytesView ni, BytesView nr, BytesView g_ir) {
  if (prf == PrfId::Aes128Xcbc || prf == PrfId::Aes128Cmac) {
    // RFC 7296 2.14: these PRFs take a fixed 128-bit key, so only the first 64 bits of each
    // nonce are used.
    if (ni.size() < 8 || nr.size() < 8) return make_error("nonces shorter than 8 octets");
    SecureBytes key = concat({ni.first(8), nr.first(8)});
    return prf_once(prf, key, g_ir);
  }
  SecureBytes key = concat({ni, nr});
  return prf_once(prf, key, g_ir);
}

Result<SecureBytes> compute_rekeyed_skeyseed(PrfId old_prf, BytesView old_sk_d, BytesView g_ir_new,
                                             BytesView ni, BytesView nr) {
  SecureBytes data = concat({g_ir_new, ni, nr});
  return prf_once(old_prf, old_sk_d, data);
}

Result<SecureBytes> compute_ike_dkm(PrfId prf, BytesView skeyseed, BytesView ni, BytesView nr,
                                    BytesView spi_i, BytesView spi_r, size_t length) {
  if (spi_i.size() != 8 || spi_r.size() != 8) return make_error("IKE SPIs are 8 octets");
  SecureBytes seed = concat({ni, nr, spi_i, spi_r});
  return prf_plus(prf, skeyseed, seed, length);
}

Result<IkeSaSecrets> derive_ike_sa_secrets(PrfId prf, BytesView skeyseed, BytesView ni, BytesView nr,
                                           uint64_t spi_i, uint64_t spi_r, const KeySizes& sizes) {
  const size_t k = prf_preferred_key_size(prf);
  if (k == 0) return make_error("unknown PRF " + std::to_string(int(prf)));
  uint8_t spis[16];
  store_be64(spis, spi_i);
  store_be64(spis + 8, spi_r);
  const size_t total = 3 * k + 2 * sizes.integ_key + 2 * sizes.encr_keymat;
  auto dkm = compute_ike_dkm(prf, skeyseed, ni, nr, BytesView(spis, 8), BytesView(spis + 8, 8), total);
  if (!dkm) return Unexpected(dkm.error());
  IkeSaSecrets s;
  size_t at = 0;
  s.sk_d = take(*dkm, at, k);
  s.sk_ai = take(*dkm, at, sizes.integ_key);
  s.sk_ar = take(*dkm, at, sizes.integ_key);
  s.sk_ei = take(*dkm, at, sizes.encr_keymat);
  s.sk_er = take(*dkm, at, sizes.encr_keymat);
  s.sk_pi = take(*dkm, at, k);
  s.sk_pr = take(*dkm, at, k);
  return s;
}

Result<SecureBytes> compute_child_keymat(PrfId prf, BytesView sk_d, BytesView g_ir_new, BytesView ni,
                                         BytesView nr, size_t length) {
  SecureBytes seed = concat({g_ir_new, ni, nr});
  return prf_plus(prf, sk_d, seed, length);
}

Result<ChildSaKeys> derive_child_sa_keys(PrfId prf, BytesView sk_d, BytesView g_ir_new, BytesView ni,
                                         BytesView nr, const KeySizes& sizes) {
  const size_t per_direction = sizes.encr_keymat + sizes.integ_key;
  auto keymat = compute_child_keymat(prf, sk_d, g_ir_new, ni, nr, 2 * per_direction);
  if (!keymat) return Unexpected(keymat.error());
  ChildSaKeys keys;
  size_t at = 0;
  keys.encr_i = take(*keymat, at, sizes.encr_keymat);
  keys.integ_i = take(*keymat, at, sizes.integ_key);
  keys.encr_r = take(*keymat, at, sizes.encr_keymat);
  keys.integ_r = take(*keymat, at, sizes.integ_key);
  return keys;
}

}  // namespace portunus::crypto
