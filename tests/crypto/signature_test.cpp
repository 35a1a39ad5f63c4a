#include "portunus/crypto/signature.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace portunus::crypto {
namespace {

using test::pattern;

struct Case {
  SignatureScheme scheme;
  KeyType type;
  unsigned ec_bits;
};

class SignatureRoundTrip : public testing::TestWithParam<Case> {};

PrivateKey key_for(const Case& c) {
  auto k = c.type == KeyType::Ec ? PrivateKey::generate_ec(c.ec_bits) : PrivateKey::generate(c.type);
  EXPECT_TRUE(k) << k.error().message;
  return *k;
}

TEST_P(SignatureRoundTrip, SignVerifyTamper) {
  const Case c = GetParam();
  PrivateKey key = key_for(c);
  const Bytes msg = pattern(200, 3);
  for (EcdsaFormat f : {EcdsaFormat::Der, EcdsaFormat::RawRs}) {
    auto sig = key.sign(c.scheme, msg, f);
    ASSERT_TRUE(sig) << sig.error().message;
    PublicKey pub = key.public_key();
    EXPECT_TRUE(pub.verify(c.scheme, msg, *sig, f));
    if (c.type == KeyType::Ec && f == EcdsaFormat::RawRs) {
      EXPECT_EQ(sig->size(), 2 * ((c.ec_bits + 7) / 8));
    }
    Bytes bad = *sig;
    bad[bad.size() / 2] ^= 1;
    EXPECT_FALSE(pub.verify(c.scheme, msg, bad, f));
    Bytes other = msg;
    other[0] ^= 1;
    EXPECT_FALSE(pub.verify(c.scheme, other, *sig, f));
    EXPECT_FALSE(pub.verify(c.scheme, msg, BytesView(*sig).first(sig->size() - 1), f));
    // The public key survives a DER round trip.
    auto reloaded = PublicKey::from_der(pub.der());
    ASSERT_TRUE(reloaded);
    EXPECT_TRUE(reloaded->verify(c.scheme, msg, *sig, f));
  }
  // PEM private key round trip.
  auto again = PrivateKey::from_pem(key.to_pem());
  ASSERT_TRUE(again) << again.error().message;
  auto sig = again->sign(c.scheme, msg);
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key.public_key().verify(c.scheme, msg, *sig));
}

INSTANTIATE_TEST_SUITE_P(All, SignatureRoundTrip,
                         testing::Values(Case{SignatureScheme::RsaPkcs1Sha256, KeyType::Rsa, 0},
                                         Case{SignatureScheme::RsaPssSha384, KeyType::Rsa, 0},
                                         Case{SignatureScheme::RsaPssSha512, KeyType::Rsa, 0},
                                         Case{SignatureScheme::EcdsaSha256, KeyType::Ec, 256},
                                         Case{SignatureScheme::EcdsaSha384, KeyType::Ec, 384},
                                         Case{SignatureScheme::EcdsaSha512, KeyType::Ec, 521},
                                         Case{SignatureScheme::Ed25519, KeyType::Ed25519, 0},
                                         Case{SignatureScheme::Ed448, KeyType::Ed448, 0}));

TEST(Signature, SchemeMustFitKey) {
  auto ed = PrivateKey::generate(KeyType::Ed25519);
  ASSERT_TRUE(ed);
  EXPECT_FALSE(ed->sign(SignatureScheme::EcdsaSha256, Bytes{1, 2, 3}));
  auto sig = ed->sign(SignatureScheme::Ed25519, Bytes{1, 2, 3});
  ASSERT_TRUE(sig);
  EXPECT_FALSE(ed->public_key().verify(SignatureScheme::Ed448, Bytes{1, 2, 3}, *sig));
}

TEST(Signature, PkcsAndPssAreDistinct) {
  auto rsa = PrivateKey::generate_rsa(2048);
  ASSERT_TRUE(rsa);
  auto sig = rsa->sign(SignatureScheme::RsaPkcs1Sha256, Bytes{1, 2, 3});
  ASSERT_TRUE(sig);
  EXPECT_FALSE(rsa->public_key().verify(SignatureScheme::RsaPssSha256, Bytes{1, 2, 3}, *sig));
  EXPECT_FALSE(rsa->public_key().verify(SignatureScheme::RsaPkcs1Sha384, Bytes{1, 2, 3}, *sig));
  EXPECT_FALSE(PrivateKey::generate_rsa(1024));
}

TEST(Signature, Ed25519RawKeysAndGarbage) {
  auto key = PrivateKey::from_ed25519_seed(pattern(32, 1));
  ASSERT_TRUE(key);
  Bytes raw = key->public_key().raw();
  ASSERT_EQ(raw.size(), 32u);
  auto pub = PublicKey::from_ed25519(raw);
  ASSERT_TRUE(pub);
  auto sig = key->sign(SignatureScheme::Ed25519, Bytes{9});
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(pub->verify(SignatureScheme::Ed25519, Bytes{9}, *sig));
  EXPECT_FALSE(PrivateKey::from_ed25519_seed(Bytes(31)));
  EXPECT_FALSE(PublicKey::from_ed25519(Bytes(33)));
  EXPECT_FALSE(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
  EXPECT_FALSE(PrivateKey::from_pem("not a key"));
  EXPECT_FALSE(PublicKey::from_der(Bytes{0x30, 0x03, 0x01}));
}

}  // namespace
}  // namespace portunus::crypto
