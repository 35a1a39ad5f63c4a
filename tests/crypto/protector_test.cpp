#include "portunus/crypto/protector.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <tuple>

#include "test_util.h"

namespace portunus::crypto {
namespace {

using test::hex;
using test::pattern;

struct Combo {
  EncrId encr;
  unsigned bits;
  IntegId integ;
};

std::string combo_name(const testing::TestParamInfo<Combo>& info) {
  return std::string(name(info.param.encr)) + "_" + std::to_string(info.param.bits) + "_" +
         std::string(name(info.param.integ));
}

class ProtectorRoundTrip : public testing::TestWithParam<Combo> {
 protected:
  // A protector for the parameter's transforms, always keyed with the same test keys.
  static std::unique_ptr<Protector> make(ProtectorUse use = ProtectorUse::SealAndOpen) {
    const Combo c = GetParam();
    auto sizes = key_sizes(c.encr, c.bits, c.integ);
    EXPECT_TRUE(sizes) << sizes.error().message;
    if (!sizes) return nullptr;
    auto p = make_protector(c.encr, c.bits, pattern(sizes->encr_keymat, 1), c.integ,
                            pattern(sizes->integ_key, 99), use);
    EXPECT_TRUE(p) << p.error().message;
    return p ? std::move(*p) : nullptr;
  }
};

TEST_P(ProtectorRoundTrip, SealOpenAndTamper) {
  const Combo c = GetParam();
  auto sender = make();
  auto receiver = make();
  ASSERT_TRUE(sender && receiver);
  auto& s = *sender;
  auto& r = *receiver;
  EXPECT_EQ(s.iv_size(), r.iv_size());

  for (size_t len : {size_t{0}, size_t{16}, size_t{64}, size_t{1408}}) {
    const Bytes aad = pattern(12, 5);
    const Bytes iv = pattern(s.iv_size(), static_cast<uint8_t>(len));
    const Bytes trailer = s.is_aead() ? Bytes{} : Bytes{0, 0, 0, 1};
    const Bytes plain = pattern(len, 42);
    Bytes text = plain;
    Bytes icv(s.icv_size());
    ASSERT_TRUE(s.seal(aad, iv, text, trailer, icv));
    bool encrypts = c.encr != EncrId::Null && c.encr != EncrId::NullAuthAesGmac;
    if (encrypts && len > 0) {
      EXPECT_NE(text, plain);
    }
    if (!encrypts) {
      EXPECT_EQ(text, plain);
    }

    Bytes opened = text;
    ASSERT_TRUE(r.open(aad, iv, opened, trailer, icv)) << "len " << len;
    EXPECT_EQ(opened, plain);

    if (s.icv_size() == 0) continue;  // no integrity: nothing to detect
    // Any change to the authenticated parts must be detected.
    Bytes bad_icv = icv;
    bad_icv[0] ^= 1;
    Bytes t1 = text;
    EXPECT_FALSE(r.open(aad, iv, t1, trailer, bad_icv));
    Bytes bad_aad = aad;
    bad_aad[3] ^= 0x80;
    Bytes t2 = text;
    EXPECT_FALSE(r.open(bad_aad, iv, t2, trailer, icv));
    if (!iv.empty()) {
      Bytes bad_iv = iv;
      bad_iv[0] ^= 1;
      Bytes t3 = text;
      EXPECT_FALSE(r.open(aad, bad_iv, t3, trailer, icv));
    }
    if (len > 0) {
      Bytes t4 = text;
      t4[len - 1] ^= 1;
      EXPECT_FALSE(r.open(aad, iv, t4, trailer, icv));
    }
    if (!trailer.empty()) {
      Bytes bad_trailer = trailer;
      bad_trailer[3] = 2;
      Bytes t5 = text;
      EXPECT_FALSE(r.open(aad, iv, t5, bad_trailer, icv));
    }
  }
}

// One-way protectors (what IKE builds per message) produce and accept exactly what a
// two-way one does, and refuse the direction they were not keyed for.
TEST_P(ProtectorRoundTrip, OneWayProtectorsMatchTwoWay) {
  auto both = make();
  auto seal_only = make(ProtectorUse::SealOnly);
  auto open_only = make(ProtectorUse::OpenOnly);
  ASSERT_TRUE(both && seal_only && open_only);
  Protector& b = *both;
  Protector& s = *seal_only;
  Protector& o = *open_only;
  const Bytes aad = pattern(8, 9);
  const Bytes iv = pattern(s.iv_size(), 4);
  const Bytes trailer = s.is_aead() ? Bytes{} : Bytes{0, 0, 0, 7};
  const Bytes plain = pattern(64, 21);

  Bytes by_both = plain, icv_both(b.icv_size());
  Bytes by_seal = plain, icv_seal(s.icv_size());
  ASSERT_TRUE(b.seal(aad, iv, by_both, trailer, icv_both));
  ASSERT_TRUE(s.seal(aad, iv, by_seal, trailer, icv_seal));
  EXPECT_EQ(by_seal, by_both);
  EXPECT_EQ(icv_seal, icv_both);

  Bytes t1 = by_seal;
  ASSERT_TRUE(o.open(aad, iv, t1, trailer, icv_seal));
  EXPECT_EQ(t1, plain);
  Bytes t2 = by_seal;
  ASSERT_TRUE(b.open(aad, iv, t2, trailer, icv_seal));
  EXPECT_EQ(t2, plain);

  Bytes t3 = by_seal;
  EXPECT_FALSE(s.open(aad, iv, t3, trailer, icv_seal));
  Bytes t4 = plain, icv4(o.icv_size());
  EXPECT_FALSE(o.seal(aad, iv, t4, trailer, icv4));
}

INSTANTIATE_TEST_SUITE_P(
    All, ProtectorRoundTrip,
    testing::Values(
        Combo{EncrId::AesGcm16, 128, IntegId::None}, Combo{EncrId::AesGcm16, 192, IntegId::None},
        Combo{EncrId::AesGcm16, 256, IntegId::None}, Combo{EncrId::AesGcm12, 128, IntegId::None},
        Combo{EncrId::AesGcm8, 256, IntegId::None}, Combo{EncrId::ChaCha20Poly1305, 0, IntegId::None},
        Combo{EncrId::NullAuthAesGmac, 128, IntegId::None},
        Combo{EncrId::NullAuthAesGmac, 256, IntegId::None},
        Combo{EncrId::AesCbc, 128, IntegId::HmacSha2_256_128},
        Combo{EncrId::AesCbc, 128, IntegId::HmacSha2_256_96},
        Combo{EncrId::AesCbc, 192, IntegId::HmacSha2_384_192},
        Combo{EncrId::AesCbc, 256, IntegId::HmacSha2_512_256},
        Combo{EncrId::AesCbc, 128, IntegId::HmacSha1_96}, Combo{EncrId::AesCbc, 128, IntegId::AesXcbc96},
        Combo{EncrId::AesCbc, 256, IntegId::AesCmac96}, Combo{EncrId::AesCbc, 128, IntegId::None},
        Combo{EncrId::AesCtr, 128, IntegId::HmacSha2_256_128}, Combo{EncrId::AesCtr, 256, IntegId::AesXcbc96},
        Combo{EncrId::AesCtr, 192, IntegId::None}, Combo{EncrId::TripleDes, 0, IntegId::HmacSha1_96},
        Combo{EncrId::Null, 0, IntegId::HmacSha2_256_128}),
    combo_name);

TEST(KeySizes, PerTransform) {
  auto k = key_sizes(EncrId::AesGcm16, 256, IntegId::None);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 36u);
  EXPECT_EQ(k->integ_key, 0u);
  k = key_sizes(EncrId::AesCtr, 192, IntegId::AesXcbc96);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 28u);
  EXPECT_EQ(k->integ_key, 16u);
  k = key_sizes(EncrId::AesCbc, 128, IntegId::HmacSha2_512_256);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 16u);
  EXPECT_EQ(k->integ_key, 64u);
  k = key_sizes(EncrId::ChaCha20Poly1305, 0, IntegId::None);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 36u);
  k = key_sizes(EncrId::TripleDes, 0, IntegId::HmacSha1_96);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 24u);
  EXPECT_EQ(k->integ_key, 20u);
  k = key_sizes(EncrId::NullAuthAesGmac, 192, IntegId::None);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 28u);
  k = key_sizes(EncrId::Null, 0, IntegId::AesCmac96);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->encr_keymat, 0u);
  EXPECT_EQ(k->integ_key, 16u);
}

TEST(KeySizes, RejectsBadCombinations) {
  EXPECT_FALSE(key_sizes(EncrId::AesCbc, 0, IntegId::HmacSha1_96));
  EXPECT_FALSE(key_sizes(EncrId::AesCbc, 100, IntegId::HmacSha1_96));
  EXPECT_FALSE(key_sizes(EncrId::AesGcm16, 128, IntegId::HmacSha2_256_128));
  EXPECT_FALSE(key_sizes(EncrId::ChaCha20Poly1305, 128, IntegId::None));
  EXPECT_FALSE(key_sizes(EncrId::Null, 0, IntegId::None));
  EXPECT_FALSE(key_sizes(static_cast<EncrId>(99), 128, IntegId::None));
  EXPECT_FALSE(key_sizes(EncrId::AesCbc, 128, static_cast<IntegId>(77)));
}

TEST(Protector, WrongKeymatLengthIsAnError) {
  EXPECT_FALSE(make_protector(EncrId::AesGcm16, 128, Bytes(16), IntegId::None, {}));
  EXPECT_FALSE(make_protector(EncrId::AesCbc, 128, Bytes(16), IntegId::HmacSha2_256_128, Bytes(16)));
  EXPECT_FALSE(make_protector(EncrId::ChaCha20Poly1305, 0, Bytes(32), IntegId::None, {}));
}

TEST(Protector, RejectsMisalignedTextAndWrongIv) {
  auto p = make_protector(EncrId::AesCbc, 128, Bytes(16, 1), IntegId::HmacSha2_256_128, Bytes(32, 2));
  ASSERT_TRUE(p);
  Bytes iv(16), text(15), icv(16);
  EXPECT_FALSE((*p)->seal({}, iv, text, {}, icv));
  Bytes short_iv(8), text16(16);
  EXPECT_FALSE((*p)->seal({}, short_iv, text16, {}, icv));
  Bytes short_icv(12);
  EXPECT_FALSE((*p)->seal({}, iv, text16, {}, short_icv));
}

TEST(Protector, DesNeedsLegacySwitch) {
  set_legacy_algorithms_allowed(false);
  auto refused = make_protector(EncrId::Des, 0, Bytes(8, 1), IntegId::HmacSha1_96, Bytes(20, 2));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("legacy"), std::string::npos);
  EXPECT_FALSE(make_protector(EncrId::AesCbc, 128, Bytes(16), IntegId::HmacMd5_96, Bytes(16)));

  set_legacy_algorithms_allowed(true);
  auto des = make_protector(EncrId::Des, 0, pattern(8, 3), IntegId::HmacMd5_96, pattern(16, 4));
  set_legacy_algorithms_allowed(false);
  if (!des) GTEST_SKIP() << "OpenSSL legacy provider not installed: " << des.error().message;
  Bytes iv = pattern(8, 9), plain = pattern(32, 1), text = plain, icv(12);
  ASSERT_TRUE((*des)->seal({}, iv, text, {}, icv));
  EXPECT_NE(text, plain);
  ASSERT_TRUE((*des)->open({}, iv, text, {}, icv));
  EXPECT_EQ(text, plain);
}

// The same message through raw EVP must give the same bytes: the interface adds no
// framing of its own (AEAD with salt | iv nonce, RFC 4106).
TEST(Protector, GcmMatchesRawEvp) {
  const Bytes keymat = pattern(20, 11);
  auto p = make_protector(EncrId::AesGcm16, 128, keymat, IntegId::None, {});
  ASSERT_TRUE(p);
  const Bytes aad = pattern(8, 1), iv = pattern(8, 2), plain = pattern(100, 3);
  Bytes text = plain, icv(16);
  ASSERT_TRUE((*p)->seal(aad, iv, text, {}, icv));

  Bytes nonce(keymat.begin() + 16, keymat.end());
  nonce.insert(nonce.end(), iv.begin(), iv.end());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes out(plain.size()), tag(16);
  int len = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, keymat.data(), nonce.data()), 1);
  ASSERT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), int(aad.size())), 1);
  ASSERT_EQ(EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), int(plain.size())), 1);
  ASSERT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + len, &len), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag.data()), 1);
  EVP_CIPHER_CTX_free(ctx);
  EXPECT_EQ(text, out);
  EXPECT_EQ(icv, tag);
}

}  // namespace
}  // namespace portunus::crypto
