#include "portunus/ike/auth_psk.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include "portunus/ike/identity.h"

namespace portunus::ike {
namespace {

using crypto::AuthMethod;
using crypto::PrfId;

// Independent reference: HMAC through OpenSSL's one-shot API, not through crypto::Prf.
Bytes hmac(const EVP_MD* md, BytesView key, BytesView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len);
  out.resize(len);
  return out;
}
Bytes cat(std::initializer_list<BytesView> parts) {
  Bytes out;
  for (BytesView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Exchange {
  Bytes message1 = Bytes(300, 0x11);  // the initiator's IKE_SA_INIT request as sent
  Bytes nonce_r = Bytes(32, 0x22);
  Bytes sk_pi = Bytes(32, 0x33);
  Bytes id_body = id_payload_body(*parse_identity("moon.strongswan.org"));
  Bytes psk = Bytes{'s', 'e', 'c', 'r', 'e', 't'};
};

TEST(AuthPsk, SignedOctetsFollowRfc7296_2_15) {
  Exchange x;
  auto octets = signed_octets(PrfId::HmacSha2_256, x.message1, x.nonce_r, x.sk_pi, x.id_body);
  ASSERT_TRUE(octets);
  Bytes maced_id = hmac(EVP_sha256(), x.sk_pi, x.id_body);
  EXPECT_EQ(*octets, cat({x.message1, x.nonce_r, maced_id}));
  EXPECT_EQ(x.id_body[0], 2);  // ID_FQDN, then three RESERVED octets
}

TEST(AuthPsk, AuthIsPrfOfPaddedKey) {
  Exchange x;
  for (auto [id, md] :
       {std::pair{PrfId::HmacSha2_256, EVP_sha256()}, std::pair{PrfId::HmacSha2_384, EVP_sha384()},
        std::pair{PrfId::HmacSha2_512, EVP_sha512()}, std::pair{PrfId::HmacSha1, EVP_sha1()}}) {
    auto octets = signed_octets(id, x.message1, x.nonce_r, x.sk_pi, x.id_body);
    ASSERT_TRUE(octets);
    Bytes key = hmac(md, x.psk, as_bytes("Key Pad for IKEv2"));
    Bytes expected = hmac(md, key, *octets);
    auto auth = psk_auth(id, x.psk, *octets);
    ASSERT_TRUE(auth);
    EXPECT_EQ(*auth, expected) << int(id);
    PskAuthenticator a(id, x.psk);
    EXPECT_EQ(a.method(), AuthMethod::SharedKeyMic);
    auto signed_auth = a.sign(*octets);
    ASSERT_TRUE(signed_auth);
    EXPECT_EQ(*signed_auth, expected);
    EXPECT_TRUE(a.verify(AuthMethod::SharedKeyMic, *octets, expected));
  }
}

TEST(AuthPsk, BothSidesAgreeAndDetectTampering) {
  Exchange x;
  Authenticator* initiator = nullptr;
  PskAuthenticator i(PrfId::HmacSha2_256, x.psk), r(PrfId::HmacSha2_256, x.psk);
  initiator = &i;  // used through the interface, as the engine does
  auto octets = signed_octets(PrfId::HmacSha2_256, x.message1, x.nonce_r, x.sk_pi, x.id_body);
  ASSERT_TRUE(octets);
  auto auth = initiator->sign(*octets);
  ASSERT_TRUE(auth);
  EXPECT_TRUE(r.verify(AuthMethod::SharedKeyMic, *octets, *auth));

  // Wrong method, every flipped bit, truncation, extension, other secret, other octets.
  EXPECT_FALSE(r.verify(AuthMethod::RsaSig, *octets, *auth));
  EXPECT_FALSE(r.verify(AuthMethod::DigitalSignature, *octets, *auth));
  for (size_t bit = 0; bit < auth->size() * 8; ++bit) {
    Bytes bad = *auth;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(r.verify(AuthMethod::SharedKeyMic, *octets, bad));
  }
  EXPECT_FALSE(r.verify(AuthMethod::SharedKeyMic, *octets, BytesView(*auth).first(auth->size() - 1)));
  Bytes longer = *auth;
  longer.push_back(0);
  EXPECT_FALSE(r.verify(AuthMethod::SharedKeyMic, *octets, longer));
  EXPECT_FALSE(r.verify(AuthMethod::SharedKeyMic, *octets, BytesView{}));
  PskAuthenticator other(PrfId::HmacSha2_256, as_bytes("Secret"));
  EXPECT_FALSE(other.verify(AuthMethod::SharedKeyMic, *octets, *auth));
  Bytes other_octets = *octets;
  other_octets[0] ^= 1;
  EXPECT_FALSE(r.verify(AuthMethod::SharedKeyMic, other_octets, *auth));
  // Another identity changes MACedIDForI and so AUTH (the identity is bound).
  auto octets2 = signed_octets(PrfId::HmacSha2_256, x.message1, x.nonce_r, x.sk_pi,
                               id_payload_body(*parse_identity("sun.strongswan.org")));
  ASSERT_TRUE(octets2);
  EXPECT_FALSE(r.verify(AuthMethod::SharedKeyMic, *octets2, *auth));
}

TEST(AuthPsk, EmptySecretRefused) {
  Exchange x;
  EXPECT_FALSE(psk_auth(PrfId::HmacSha2_256, BytesView{}, x.message1));
  PskAuthenticator a(PrfId::HmacSha2_256, BytesView{});
  EXPECT_FALSE(a.sign(x.message1));
  EXPECT_FALSE(a.verify(AuthMethod::SharedKeyMic, x.message1, Bytes(32, 0)));
}

TEST(AuthPsk, PadCacheSharesOnePadPerSecretAndPrf) {
  Exchange x;
  PskPadCache cache;
  auto a = cache.get(PrfId::HmacSha2_256, x.psk);
  auto b = cache.get(PrfId::HmacSha2_256, Bytes(x.psk));  // equal contents, another buffer
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(cache.size(), 1u);
  // Another PRF or another secret never gets the cached pad.
  auto c = cache.get(PrfId::HmacSha2_512, x.psk);
  Bytes other = x.psk;
  other.back() ^= 1;
  auto d = cache.get(PrfId::HmacSha2_256, other);
  ASSERT_TRUE(c);
  ASSERT_TRUE(d);
  EXPECT_NE(c->get(), a->get());
  EXPECT_NE(d->get(), a->get());
  EXPECT_EQ(cache.size(), 3u);
  // AUTH through a cached pad, used many times, is still the RFC 7296 2.15 value.
  Bytes expected = hmac(EVP_sha256(), hmac(EVP_sha256(), x.psk, as_bytes("Key Pad for IKEv2")), x.message1);
  for (int i = 0; i < 3; ++i) {
    PskAuthenticator auth(*a);
    EXPECT_EQ(auth.sign(x.message1).value(), expected);
    EXPECT_TRUE(auth.verify(AuthMethod::SharedKeyMic, x.message1, expected));
  }
  EXPECT_FALSE(cache.get(PrfId::HmacSha2_256, BytesView{}));  // empty secrets are refused, not cached
  EXPECT_EQ(cache.size(), 3u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AuthPsk, UnknownPrfIsAnError) {
  Exchange x;
  EXPECT_FALSE(signed_octets(static_cast<PrfId>(250), x.message1, x.nonce_r, x.sk_pi, x.id_body));
  EXPECT_FALSE(psk_auth(static_cast<PrfId>(250), x.psk, x.message1));
}

}  // namespace
}  // namespace portunus::ike
