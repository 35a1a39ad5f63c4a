#include "portunus/crypto/prf.h"

#include <gtest/gtest.h>

#include "portunus/crypto/integrity.h"
#include "test_util.h"

namespace portunus::crypto {
namespace {

using test::hex;
using test::pattern;

Bytes run_prf(PrfId id, BytesView key, BytesView data) {
  auto prf = make_prf(id, key);
  EXPECT_TRUE(prf);
  if (!prf) return {};
  Bytes out((*prf)->output_size());
  (*prf)->compute(data, out);
  return out;
}

TEST(Prf, OutputSizes) {
  EXPECT_EQ(prf_output_size(PrfId::HmacSha1), 20u);
  EXPECT_EQ(prf_output_size(PrfId::HmacSha2_256), 32u);
  EXPECT_EQ(prf_output_size(PrfId::HmacSha2_384), 48u);
  EXPECT_EQ(prf_output_size(PrfId::HmacSha2_512), 64u);
  EXPECT_EQ(prf_output_size(PrfId::Aes128Xcbc), 16u);
  EXPECT_EQ(prf_output_size(PrfId::Aes128Cmac), 16u);
  EXPECT_EQ(prf_preferred_key_size(PrfId::Aes128Cmac), 16u);
}

// prf+ must be T1 | T2 | ... with T1 = prf(K, S | 1), Tn = prf(K, Tn-1 | S | n): computed
// independently here from single PRF calls.
TEST(PrfPlus, MatchesDefinition) {
  for (PrfId id : {PrfId::HmacSha1, PrfId::HmacSha2_256, PrfId::Aes128Xcbc, PrfId::Aes128Cmac}) {
    const Bytes key = pattern(prf_preferred_key_size(id), 3);
    const Bytes seed = pattern(40, 9);
    const size_t block = prf_output_size(id);
    const size_t length = 3 * block + 5;
    auto out = prf_plus(id, key, seed, length);
    ASSERT_TRUE(out);
    ASSERT_EQ(out->size(), length);
    Bytes expected, t;
    for (uint8_t n = 1; expected.size() < length; ++n) {
      Bytes input = t;
      input.insert(input.end(), seed.begin(), seed.end());
      input.push_back(n);
      t = run_prf(id, key, input);
      expected.insert(expected.end(), t.begin(), t.end());
    }
    expected.resize(length);
    EXPECT_EQ(Bytes(out->view().begin(), out->view().end()), expected) << name(id);
  }
}

TEST(PrfPlus, RefusesMoreThan255Blocks) {
  EXPECT_TRUE(prf_plus(PrfId::HmacSha1, Bytes(20), Bytes(4), 255 * 20));
  EXPECT_FALSE(prf_plus(PrfId::HmacSha1, Bytes(20), Bytes(4), 255 * 20 + 1));
}

TEST(Prf, RekeyChangesOutput) {
  auto prf = make_prf(PrfId::HmacSha2_256, pattern(32, 1));
  ASSERT_TRUE(prf);
  Bytes a(32), b(32), c(32);
  (*prf)->compute(pattern(10, 0), a);
  (*prf)->rekey(pattern(32, 2));
  (*prf)->compute(pattern(10, 0), b);
  (*prf)->rekey(pattern(32, 1));
  (*prf)->compute(pattern(10, 0), c);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
}

// RFC 4615 key rule: a 16-octet key is used as is, any other is CMAC'd under 0^128 first.
TEST(Prf, CmacKeyRule) {
  const Bytes long_key = pattern(20, 1);
  Bytes derived_key = run_prf(PrfId::Aes128Cmac, Bytes(16, 0), long_key);
  EXPECT_EQ(run_prf(PrfId::Aes128Cmac, long_key, Bytes{0x61, 0x62, 0x63}),
            run_prf(PrfId::Aes128Cmac, derived_key, Bytes{0x61, 0x62, 0x63}));
}

TEST(Prf, Md5NeedsLegacySwitch) {
  set_legacy_algorithms_allowed(false);
  EXPECT_FALSE(make_prf(PrfId::HmacMd5, Bytes(16)));
  EXPECT_FALSE(make_integrity(IntegId::HmacMd5_96, Bytes(16)));
}

TEST(Integrity, SegmentsEqualConcatenation) {
  for (IntegId id : {IntegId::HmacSha1_96, IntegId::AesXcbc96, IntegId::AesCmac96, IntegId::HmacSha2_256_128,
                     IntegId::HmacSha2_384_192, IntegId::HmacSha2_512_256, IntegId::HmacSha2_256_96}) {
    auto mac = make_integrity(id, pattern(integ_key_size(id), 4));
    ASSERT_TRUE(mac) << mac.error().message;
    const Bytes all = pattern(77, 1);
    BytesView v(all);
    Bytes one(integ_icv_size(id)), split(integ_icv_size(id));
    ASSERT_TRUE((*mac)->compute({v}, one));
    ASSERT_TRUE((*mac)->compute({v.first(5), v.subspan(5, 16), BytesView{}, v.subspan(21)}, split));
    EXPECT_EQ(one, split) << name(id);
    EXPECT_TRUE((*mac)->verify({v.first(40), v.subspan(40)}, one));
    one[one.size() - 1] ^= 1;
    EXPECT_FALSE((*mac)->verify({v}, one));
    EXPECT_FALSE((*mac)->verify({v}, BytesView(one).first(one.size() - 1)));
  }
}

// The 96-bit variant is the same HMAC-SHA-256, cut after 12 octets instead of 16.
TEST(Integrity, Sha256TruncatedTo96Bits) {
  EXPECT_EQ(integ_icv_size(IntegId::HmacSha2_256_96), 12u);
  EXPECT_EQ(integ_key_size(IntegId::HmacSha2_256_96), 32u);
  const Bytes key = pattern(32, 9), data = pattern(100, 3);
  auto full = make_integrity(IntegId::HmacSha2_256_128, key);
  auto cut = make_integrity(IntegId::HmacSha2_256_96, key);
  ASSERT_TRUE(full && cut);
  Bytes a(16), b(12);
  ASSERT_TRUE((*full)->compute({BytesView(data)}, a));
  ASSERT_TRUE((*cut)->compute({BytesView(data)}, b));
  EXPECT_EQ(Bytes(a.begin(), a.begin() + 12), b);
  EXPECT_TRUE((*cut)->verify({BytesView(data)}, b));
  EXPECT_FALSE((*cut)->verify({BytesView(data)}, a));  // a 128-bit ICV is not accepted
  EXPECT_EQ(name(IntegId::HmacSha2_256_96), "HMAC_SHA2_256_96");
}

TEST(Integrity, WrongKeySizeIsAnError) {
  EXPECT_FALSE(make_integrity(IntegId::HmacSha2_256_128, Bytes(16)));
  EXPECT_FALSE(make_integrity(IntegId::AesXcbc96, Bytes(20)));
  EXPECT_FALSE(make_integrity(IntegId::None, {}));
}

}  // namespace
}  // namespace portunus::crypto
