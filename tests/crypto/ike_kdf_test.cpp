#include "portunus/crypto/ike_kdf.h"

#include <gtest/gtest.h>

#include "portunus/crypto/prf.h"
#include "test_util.h"

namespace portunus::crypto {
namespace {

using test::pattern;

Bytes prf1(PrfId id, BytesView key, BytesView data) {
  auto prf = make_prf(id, key);
  EXPECT_TRUE(prf);
  Bytes out((*prf)->output_size());
  (*prf)->compute(data, out);
  return out;
}

Bytes cat(std::initializer_list<BytesView> parts) {
  Bytes out;
  for (BytesView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes bytes_of(const SecureBytes& s) { return Bytes(s.view().begin(), s.view().end()); }

TEST(IkeKdf, SkeyseedUsesWholeNoncesForHmac) {
  const Bytes ni = pattern(32, 1), nr = pattern(24, 2), gir = pattern(256, 3);
  auto s = compute_skeyseed(PrfId::HmacSha2_256, ni, nr, gir);
  ASSERT_TRUE(s);
  EXPECT_EQ(bytes_of(*s), prf1(PrfId::HmacSha2_256, cat({ni, nr}), gir));
}

TEST(IkeKdf, SkeyseedUsesEightOctetsOfEachNonceForXcbcAndCmac) {
  const Bytes ni = pattern(32, 1), nr = pattern(32, 2), gir = pattern(32, 3);
  for (PrfId id : {PrfId::Aes128Xcbc, PrfId::Aes128Cmac}) {
    auto s = compute_skeyseed(id, ni, nr, gir);
    ASSERT_TRUE(s);
    BytesView vi(ni), vr(nr);
    EXPECT_EQ(bytes_of(*s), prf1(id, cat({vi.first(8), vr.first(8)}), gir)) << name(id);
    // Not the generic key rule applied to the whole Ni | Nr.
    EXPECT_NE(bytes_of(*s), prf1(id, cat({ni, nr}), gir)) << name(id);
  }
  EXPECT_FALSE(compute_skeyseed(PrfId::Aes128Cmac, Bytes(4), Bytes(16), Bytes(32)));
}

TEST(IkeKdf, IkeSaSecretsSplitTheDkmInOrder) {
  const Bytes ni = pattern(32, 1), nr = pattern(32, 2), seed = pattern(32, 3);
  const uint64_t spi_i = 0x0102030405060708, spi_r = 0x1112131415161718;
  KeySizes sizes{20, 32};  // AES-128-CTR keymat, HMAC-SHA2-256 key
  auto s = derive_ike_sa_secrets(PrfId::HmacSha2_384, seed, ni, nr, spi_i, spi_r, sizes);
  ASSERT_TRUE(s);
  uint8_t spis[16];
  store_be64(spis, spi_i);
  store_be64(spis + 8, spi_r);
  const size_t k = 48;
  auto dkm = prf_plus(PrfId::HmacSha2_384, seed, cat({ni, nr, BytesView(spis, 16)}), 3 * k + 2 * 32 + 2 * 20);
  ASSERT_TRUE(dkm);
  Bytes expected = bytes_of(*dkm);
  Bytes got = cat({s->sk_d, s->sk_ai, s->sk_ar, s->sk_ei, s->sk_er, s->sk_pi, s->sk_pr});
  EXPECT_EQ(got, expected);
  EXPECT_EQ(s->sk_d.size(), k);
  EXPECT_EQ(s->sk_ai.size(), 32u);
  EXPECT_EQ(s->sk_ei.size(), 20u);
  EXPECT_EQ(s->sk_pr.size(), k);
}

TEST(IkeKdf, ChildKeymatWithAndWithoutPfs) {
  const Bytes skd = pattern(32, 5), ni = pattern(32, 1), nr = pattern(32, 2), gir = pattern(32, 9);
  auto no_pfs = compute_child_keymat(PrfId::HmacSha2_256, skd, {}, ni, nr, 100);
  auto pfs = compute_child_keymat(PrfId::HmacSha2_256, skd, gir, ni, nr, 100);
  ASSERT_TRUE(no_pfs && pfs);
  EXPECT_EQ(bytes_of(*no_pfs), bytes_of(*prf_plus(PrfId::HmacSha2_256, skd, cat({ni, nr}), 100)));
  EXPECT_EQ(bytes_of(*pfs), bytes_of(*prf_plus(PrfId::HmacSha2_256, skd, cat({gir, ni, nr}), 100)));

  KeySizes sizes{36, 0};  // AES-256-GCM
  auto keys = derive_child_sa_keys(PrfId::HmacSha2_256, skd, gir, ni, nr, sizes);
  ASSERT_TRUE(keys);
  EXPECT_EQ(cat({keys->encr_i, keys->integ_i, keys->encr_r, keys->integ_r}),
            bytes_of(*compute_child_keymat(PrfId::HmacSha2_256, skd, gir, ni, nr, 72)));
  KeySizes cbc{16, 32};
  auto k2 = derive_child_sa_keys(PrfId::HmacSha2_256, skd, {}, ni, nr, cbc);
  ASSERT_TRUE(k2);
  Bytes km = bytes_of(*no_pfs);
  EXPECT_EQ(bytes_of(k2->encr_i), Bytes(km.begin(), km.begin() + 16));
  EXPECT_EQ(bytes_of(k2->integ_i), Bytes(km.begin() + 16, km.begin() + 48));
  EXPECT_EQ(bytes_of(k2->encr_r), Bytes(km.begin() + 48, km.begin() + 64));
  EXPECT_EQ(bytes_of(k2->integ_r), Bytes(km.begin() + 64, km.begin() + 96));
}

TEST(IkeKdf, RekeyedSkeyseed) {
  const Bytes old_skd = pattern(64, 5), ni = pattern(32, 1), nr = pattern(32, 2), gir = pattern(97, 9);
  auto s = compute_rekeyed_skeyseed(PrfId::HmacSha2_512, old_skd, gir, ni, nr);
  ASSERT_TRUE(s);
  EXPECT_EQ(bytes_of(*s), prf1(PrfId::HmacSha2_512, old_skd, cat({gir, ni, nr})));
}

}  // namespace
}  // namespace portunus::crypto
