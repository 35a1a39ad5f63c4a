// RFC 7427 AlgorithmIdentifiers: checked against OpenSSL's own encoding for every scheme
// (the "algorithm-id" a signature operation reports) and against RFC 7427 Appendix A.
#include "portunus/crypto/x509_algorithm.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <map>

#include "x509_fixtures.h"

namespace portunus::crypto {
namespace {

using test::pki::KeyKind;

struct Case {
  SignatureScheme scheme;
  KeyKind key;
  const char* digest;  // nullptr: EdDSA
  bool pss;
  SignatureHash hash;
};

const Case kCases[] = {
    {SignatureScheme::RsaPkcs1Sha1, KeyKind::Rsa2048, "SHA1", false, SignatureHash::Sha1},
    {SignatureScheme::RsaPkcs1Sha256, KeyKind::Rsa2048, "SHA2-256", false, SignatureHash::Sha256},
    {SignatureScheme::RsaPkcs1Sha384, KeyKind::Rsa2048, "SHA2-384", false, SignatureHash::Sha384},
    {SignatureScheme::RsaPkcs1Sha512, KeyKind::Rsa2048, "SHA2-512", false, SignatureHash::Sha512},
    {SignatureScheme::RsaPssSha256, KeyKind::Rsa2048, "SHA2-256", true, SignatureHash::Sha256},
    {SignatureScheme::RsaPssSha384, KeyKind::Rsa2048, "SHA2-384", true, SignatureHash::Sha384},
    {SignatureScheme::RsaPssSha512, KeyKind::Rsa2048, "SHA2-512", true, SignatureHash::Sha512},
    {SignatureScheme::EcdsaSha256, KeyKind::P256, "SHA2-256", false, SignatureHash::Sha256},
    {SignatureScheme::EcdsaSha384, KeyKind::P384, "SHA2-384", false, SignatureHash::Sha384},
    {SignatureScheme::EcdsaSha512, KeyKind::P521, "SHA2-512", false, SignatureHash::Sha512},
    {SignatureScheme::Ed25519, KeyKind::Ed25519, nullptr, false, SignatureHash::Identity},
    {SignatureScheme::Ed448, KeyKind::Ed448, nullptr, false, SignatureHash::Identity},
};

// The AlgorithmIdentifier OpenSSL's signature provider reports for the operation.
Bytes openssl_algorithm_id(EVP_PKEY* key, const char* digest, bool pss) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  Bytes out;
  if (EVP_DigestSignInit_ex(md, &pctx, digest, nullptr, nullptr, key, nullptr) == 1) {
    if (pss) {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    unsigned char buf[128];
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buf, sizeof buf),
        OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_get_params(pctx, params) == 1) out.assign(buf, buf + params[0].return_size);
  }
  EVP_MD_CTX_free(md);
  return out;
}

TEST(AlgorithmIdentifier, MatchesOpenSslAndRoundTrips) {
  static std::map<KeyKind, std::shared_ptr<EVP_PKEY>> keys;
  for (const auto& c : kCases) {
    SCOPED_TRACE(int(c.scheme));
    if (!keys.count(c.key)) keys[c.key] = test::pki::make_key(c.key);
    const Bytes ours = algorithm_identifier(c.scheme);
    const Bytes theirs = openssl_algorithm_id(keys[c.key].get(), c.digest, c.pss);
    ASSERT_FALSE(theirs.empty());
    EXPECT_EQ(ours, theirs);
    auto parsed = parse_algorithm_identifier(ours);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, c.scheme);
    EXPECT_EQ(signature_hash(c.scheme), c.hash);
  }
}

TEST(AlgorithmIdentifier, Rfc7427AppendixA) {
  // A.1.1 sha1WithRSAEncryption, A.3.1 ecdsa-with-sha256 (as printed in the RFC).
  EXPECT_EQ(
      algorithm_identifier(SignatureScheme::RsaPkcs1Sha1),
      (Bytes{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00}));
  EXPECT_EQ(algorithm_identifier(SignatureScheme::EcdsaSha256),
            (Bytes{0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}));
  // RFC 8420 2: id-Ed25519 without parameters.
  EXPECT_EQ(algorithm_identifier(SignatureScheme::Ed25519),
            (Bytes{0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70}));
}

TEST(AlgorithmIdentifier, RefusesWhatWeCannotVerify) {
  // sha256WithRSAEncryption without the NULL parameter is still the same algorithm.
  Bytes no_null{0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
  auto p = parse_algorithm_identifier(no_null);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, SignatureScheme::RsaPkcs1Sha256);
  // md5WithRSAEncryption (1.2.840.113549.1.1.4).
  EXPECT_FALSE(parse_algorithm_identifier(
      Bytes{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04, 0x05, 0x00}));
  // RSA-PSS with default (SHA-1) parameters.
  EXPECT_FALSE(parse_algorithm_identifier(
      Bytes{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x00}));
  // RSA-PSS SHA-256 with a salt of 0x21 instead of 32.
  Bytes salt = algorithm_identifier(SignatureScheme::RsaPssSha256);
  ASSERT_EQ(salt[salt.size() - 1], 0x20);
  salt[salt.size() - 1] = 0x21;
  EXPECT_FALSE(parse_algorithm_identifier(salt));
  // Trailing data and every truncation.
  Bytes trailing = algorithm_identifier(SignatureScheme::EcdsaSha384);
  trailing.push_back(0);
  EXPECT_FALSE(parse_algorithm_identifier(trailing));
  for (auto s : {SignatureScheme::RsaPssSha512, SignatureScheme::Ed448, SignatureScheme::RsaPkcs1Sha384}) {
    Bytes full = algorithm_identifier(s);
    for (size_t n = 0; n < full.size(); ++n)
      EXPECT_FALSE(parse_algorithm_identifier(BytesView(full.data(), n)));
  }
}

}  // namespace
}  // namespace portunus::crypto
