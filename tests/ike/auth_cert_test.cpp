// Certificate AUTH (RFC 7296 2.15, RFC 4754, RFC 7427, RFC 8420) with a PKI made at test time.
#include "portunus/ike/auth_cert.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <map>

#include "../crypto/x509_fixtures.h"

namespace portunus::ike {
namespace {

using crypto::AuthMethod;
using crypto::CertFailure;
using crypto::SignatureHash;
using test::pki::Chain;
using test::pki::Issued;
using test::pki::KeyKind;

const Chain& chain_for(KeyKind kind) {
  static std::map<KeyKind, Chain> chains;
  auto it = chains.find(kind);
  if (it == chains.end()) it = chains.emplace(kind, test::pki::make_chain(kind)).first;
  return it->second;
}

std::shared_ptr<crypto::TrustStore> trust_in(const Issued& ca) {
  auto t = std::make_shared<crypto::TrustStore>();
  EXPECT_TRUE(t->add_ca(ca.cert()));
  return t;
}

CertCredentials creds_of(const Chain& c) {
  return CertCredentials{c.leaf.private_key(), c.leaf.cert(), {c.intermediate.cert(), c.root.cert()}};
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
Identity fqdn(std::string_view name) { return Identity{IdType::Fqdn, bytes_of(name)}; }

PeerCertContext peer_of(const Chain& c, Identity id = fqdn("moon.example.org")) {
  PeerCertContext p;
  p.trust = trust_in(c.root);
  p.received = {c.leaf.cert(), c.intermediate.cert()};
  p.peer_id = std::move(id);
  return p;
}

Bytes octets() {
  Bytes b(200);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i * 7 + 1);
  return b;
}

struct MethodCase {
  KeyKind key;
  bool rfc7427;  // the peer announced SIGNATURE_HASH_ALGORITHMS
  RsaPadding rsa;
  AuthMethod expected;
};

class SignVerify : public testing::TestWithParam<MethodCase> {};

TEST_P(SignVerify, RoundTripAndTamper) {
  const MethodCase& mc = GetParam();
  const Chain& c = chain_for(mc.key);
  auto signer = CertAuthenticator::signer(
      creds_of(c), mc.rsa, mc.rfc7427 ? default_signature_hashes() : std::vector<SignatureHash>{});
  ASSERT_TRUE(signer) << signer.error().message;
  EXPECT_EQ((*signer)->method(), mc.expected);
  const Bytes msg = octets();
  auto auth = (*signer)->sign(msg);
  ASSERT_TRUE(auth) << auth.error().message;

  auto verifier = CertAuthenticator::verifier(peer_of(c));
  EXPECT_TRUE(verifier->verify(mc.expected, msg, *auth)) << verifier->failure()->text();
  ASSERT_TRUE(verifier->peer_certificate());
  EXPECT_EQ(*verifier->peer_certificate(), c.leaf.cert());

  Bytes other = octets();
  other[17] ^= 0x40;
  EXPECT_FALSE(verifier->verify(mc.expected, other, *auth));
  ASSERT_TRUE(verifier->failure());
  EXPECT_EQ(verifier->failure()->reason, CertFailure::AuthSignature);
  Bytes bad = *auth;
  bad.back() ^= 0x01;
  EXPECT_FALSE(verifier->verify(mc.expected, msg, bad));
  // The PSK method is not a signature.
  EXPECT_FALSE(verifier->verify(AuthMethod::SharedKeyMic, msg, *auth));
  EXPECT_EQ(verifier->failure()->reason, CertFailure::AuthMethod);
}

INSTANTIATE_TEST_SUITE_P(
    Methods, SignVerify,
    testing::Values(MethodCase{KeyKind::Rsa2048, false, RsaPadding::Pkcs1, AuthMethod::RsaSig},
                    MethodCase{KeyKind::Rsa2048, true, RsaPadding::Pkcs1, AuthMethod::DigitalSignature},
                    MethodCase{KeyKind::Rsa2048, true, RsaPadding::Pss, AuthMethod::DigitalSignature},
                    MethodCase{KeyKind::P256, false, RsaPadding::Pkcs1, AuthMethod::EcdsaSha256P256},
                    MethodCase{KeyKind::P384, false, RsaPadding::Pkcs1, AuthMethod::EcdsaSha384P384},
                    MethodCase{KeyKind::P521, false, RsaPadding::Pkcs1, AuthMethod::EcdsaSha512P521},
                    MethodCase{KeyKind::P256, true, RsaPadding::Pkcs1, AuthMethod::DigitalSignature},
                    MethodCase{KeyKind::P384, true, RsaPadding::Pkcs1, AuthMethod::DigitalSignature},
                    MethodCase{KeyKind::Ed25519, true, RsaPadding::Pkcs1, AuthMethod::DigitalSignature},
                    MethodCase{KeyKind::Ed448, true, RsaPadding::Pkcs1, AuthMethod::DigitalSignature}));

// Independent checks of the wire formats with plain OpenSSL.
bool openssl_verify(EVP_PKEY* key, const EVP_MD* md, BytesView msg, BytesView sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, sig.data(), sig.size(), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

TEST(CertAuthWire, Method1IsPkcs1Sha1) {
  const Chain& c = chain_for(KeyKind::Rsa2048);
  auto signer = CertAuthenticator::signer(creds_of(c), RsaPadding::Pkcs1, {});
  ASSERT_TRUE(signer);
  auto auth = (*signer)->sign(octets());
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->size(), 256u);
  EXPECT_TRUE(openssl_verify(c.leaf.key.get(), EVP_sha1(), octets(), *auth));
  EXPECT_FALSE(openssl_verify(c.leaf.key.get(), EVP_sha256(), octets(), *auth));
}

TEST(CertAuthWire, Method14PrefixesTheAlgorithmIdentifier) {
  const Chain& c = chain_for(KeyKind::Ed25519);
  auto signer = CertAuthenticator::signer(creds_of(c), RsaPadding::Pkcs1, default_signature_hashes());
  ASSERT_TRUE(signer);
  auto auth = (*signer)->sign(octets());
  ASSERT_TRUE(auth);
  // 1-octet length, id-Ed25519 AlgorithmIdentifier (RFC 8420), 64-octet signature.
  const Bytes prefix{7, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
  ASSERT_EQ(auth->size(), prefix.size() + 64);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), auth->begin()));
  EXPECT_TRUE(openssl_verify(c.leaf.key.get(), nullptr, octets(), BytesView(*auth).subspan(prefix.size())));
}

TEST(CertAuthWire, Method9IsRawRs) {
  const Chain& c = chain_for(KeyKind::P256);
  auto signer = CertAuthenticator::signer(creds_of(c), RsaPadding::Pkcs1, {});
  ASSERT_TRUE(signer);
  auto auth = (*signer)->sign(octets());
  ASSERT_TRUE(auth);
  ASSERT_EQ(auth->size(), 64u);  // r | s, 32 octets each
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(auth->data(), 32, nullptr), BN_bin2bn(auth->data() + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  EXPECT_TRUE(openssl_verify(c.leaf.key.get(), EVP_sha256(), octets(), BytesView(der, size_t(len))));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
}

TEST(CertAuthChoice, HonoursThePeersHashes) {
  const Chain& ec384 = chain_for(KeyKind::P384);
  auto s = choose_signing(ec384.leaf.cert(), RsaPadding::Pkcs1, default_signature_hashes());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->scheme, crypto::SignatureScheme::EcdsaSha384);  // matches the curve
  s = choose_signing(ec384.leaf.cert(), RsaPadding::Pkcs1, {SignatureHash::Sha256});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->scheme, crypto::SignatureScheme::EcdsaSha256);
  const Chain& rsa = chain_for(KeyKind::Rsa2048);
  s = choose_signing(rsa.leaf.cert(), RsaPadding::Pss, {SignatureHash::Sha512, SignatureHash::Identity});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->scheme, crypto::SignatureScheme::RsaPssSha512);
  // Only SHA-1 / nothing usable on offer.
  EXPECT_FALSE(choose_signing(rsa.leaf.cert(), RsaPadding::Pkcs1, {SignatureHash::Sha1}));
  EXPECT_FALSE(choose_signing(rsa.leaf.cert(), RsaPadding::Pss, {}));
  const Chain& ed = chain_for(KeyKind::Ed25519);
  EXPECT_FALSE(choose_signing(ed.leaf.cert(), RsaPadding::Pkcs1, {}));
  EXPECT_FALSE(choose_signing(ed.leaf.cert(), RsaPadding::Pkcs1, {SignatureHash::Sha256}));
}

TEST(CertAuthVerify, RefusesAHashWeDidNotAnnounce) {
  const Chain& c = chain_for(KeyKind::P256);
  auto signer = CertAuthenticator::signer(creds_of(c), RsaPadding::Pkcs1, {SignatureHash::Sha256});
  ASSERT_TRUE(signer);
  auto auth = (*signer)->sign(octets());
  ASSERT_TRUE(auth);
  PeerCertContext p = peer_of(c);
  p.our_hashes = {SignatureHash::Sha384};
  auto v = CertAuthenticator::verifier(std::move(p));
  EXPECT_FALSE(v->verify(AuthMethod::DigitalSignature, octets(), *auth));
  EXPECT_EQ(v->failure()->reason, CertFailure::AuthMethod);
}

TEST(CertAuthVerify, ClassicMethodMustFitTheCurve) {
  const Chain& c = chain_for(KeyKind::P256);
  auto signer = CertAuthenticator::signer(creds_of(c), RsaPadding::Pkcs1, {});
  ASSERT_TRUE(signer);
  auto auth = (*signer)->sign(octets());
  auto v = CertAuthenticator::verifier(peer_of(c));
  EXPECT_FALSE(v->verify(AuthMethod::EcdsaSha384P384, octets(), *auth));
  EXPECT_EQ(v->failure()->reason, CertFailure::AuthMethod);
  EXPECT_FALSE(v->verify(AuthMethod::RsaSig, octets(), *auth));
  EXPECT_EQ(v->failure()->reason, CertFailure::AuthMethod);
  EXPECT_TRUE(v->verify(AuthMethod::EcdsaSha256P256, octets(), *auth));
  // Malformed method-14 data.
  EXPECT_FALSE(v->verify(AuthMethod::DigitalSignature, octets(), Bytes{}));
  EXPECT_FALSE(v->verify(AuthMethod::DigitalSignature, octets(), Bytes{40, 0x30, 0x05}));
  EXPECT_EQ(v->failure()->reason, CertFailure::AuthMethod);
}

class PeerChecks : public testing::Test {
 protected:
  const Chain& c = chain_for(KeyKind::P256);
  Bytes auth() {
    auto signer = CertAuthenticator::signer(creds_of(c), RsaPadding::Pkcs1, default_signature_hashes());
    EXPECT_TRUE(signer);
    return *(*signer)->sign(octets());
  }
  CertFailure run(PeerCertContext p) {
    auto v = CertAuthenticator::verifier(std::move(p));
    if (v->verify(AuthMethod::DigitalSignature, octets(), auth())) return CertFailure::Other;
    return v->failure()->reason;
  }
};

TEST_F(PeerChecks, Identities) {
  auto v = CertAuthenticator::verifier(peer_of(c, fqdn("sun.example.org")));
  EXPECT_FALSE(v->verify(AuthMethod::DigitalSignature, octets(), auth()));
  EXPECT_EQ(v->failure()->reason, CertFailure::IdentityMismatch);
  EXPECT_NE(v->failure()->text().find("sun.example.org"), std::string::npos);
  EXPECT_EQ(run(peer_of(c, Identity{IdType::KeyId, Bytes{1, 2, 3}})), CertFailure::UnsupportedIdentity);
  // DN, email and address identities bound to the same certificate.
  for (const Identity& id : {Identity{IdType::DerAsn1Dn, c.leaf.cert().subject_der()},
                             Identity{IdType::Rfc822Addr, bytes_of("moon@example.org")},
                             Identity{IdType::Ipv4Addr, Bytes{192, 0, 2, 1}}}) {
    auto ok = CertAuthenticator::verifier(peer_of(c, id));
    EXPECT_TRUE(ok->verify(AuthMethod::DigitalSignature, octets(), auth())) << ok->failure()->text();
  }
}

TEST_F(PeerChecks, ChainProblemsKeepTheirReason) {
  PeerCertContext p = peer_of(c);
  p.received = {c.leaf.cert()};  // intermediate missing
  EXPECT_EQ(run(p), CertFailure::UntrustedIssuer);
  p = peer_of(c);
  p.trust = trust_in(chain_for(KeyKind::P384).root);  // wrong CA
  EXPECT_EQ(run(p), CertFailure::UntrustedIssuer);
  p = peer_of(c);
  p.at = c.leaf.cert().not_after() + 10;
  EXPECT_EQ(run(p), CertFailure::Expired);
  p = peer_of(c);
  auto t = std::make_shared<crypto::TrustStore>();
  ASSERT_TRUE(t->add_ca(c.root.cert()));
  ASSERT_TRUE(t->add_crls(test::pki::as_view(test::pki::crl_pem(c.intermediate, {100}))));
  p.trust = t;
  EXPECT_EQ(run(p), CertFailure::Revoked);
  p = peer_of(c);
  p.received.clear();
  EXPECT_EQ(run(p), CertFailure::NoCertificate);
}

TEST_F(PeerChecks, ConfiguredPeerCertificate) {
  // No CERT payload, certificate configured locally: accepted without a CA.
  PeerCertContext p;
  p.configured = c.leaf.cert();
  p.peer_id = fqdn("moon.example.org");
  EXPECT_EQ(run(p), CertFailure::Other);  // Other == success in run()
  auto v = CertAuthenticator::verifier(p);
  EXPECT_TRUE(v->verify(AuthMethod::DigitalSignature, octets(), auth()));
  // A different certificate in CERT is refused even if it chains to a trusted CA.
  const Chain& other = chain_for(KeyKind::P384);
  p.received = {other.leaf.cert()};
  p.trust = trust_in(other.root);
  EXPECT_EQ(run(p), CertFailure::UntrustedIssuer);
  // Dates still count for a configured certificate.
  p.received.clear();
  p.at = c.leaf.cert().not_after() + 10;
  EXPECT_EQ(run(p), CertFailure::Expired);
}

TEST(CertAuthSigner, KeyMustBelongToTheCertificate) {
  const Chain& a = chain_for(KeyKind::P256);
  const Chain& b = chain_for(KeyKind::Ed25519);
  CertCredentials creds = creds_of(a);
  creds.key = b.leaf.private_key();
  EXPECT_FALSE(CertAuthenticator::signer(creds, RsaPadding::Pkcs1, default_signature_hashes()));
  Issued same_type = test::pki::issue({.cn = "x"}, KeyKind::P256, nullptr);
  creds.key = same_type.private_key();
  EXPECT_FALSE(CertAuthenticator::signer(creds, RsaPadding::Pkcs1, default_signature_hashes()));
}

TEST(CertAuthPayloads, SignatureHashesAndCertreq) {
  const Bytes wire = encode_signature_hashes(default_signature_hashes());
  EXPECT_EQ(wire, (Bytes{0, 2, 0, 3, 0, 4, 0, 5}));
  auto parsed = parse_signature_hashes(Bytes{0, 2, 0, 99, 0, 5, 0, 2});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, (std::vector<SignatureHash>{SignatureHash::Sha256, SignatureHash::Identity}));
  EXPECT_FALSE(parse_signature_hashes(Bytes{0, 2, 0}));

  const Chain& a = chain_for(KeyKind::P256);
  const Chain& b = chain_for(KeyKind::Ed25519);
  std::vector<CertCredentials> mine{creds_of(a), creds_of(b)};
  crypto::TrustStore peer_trust;
  ASSERT_TRUE(peer_trust.add_ca(b.root.cert()));
  auto hashes = parse_certreq_hashes(peer_trust.certreq_data());
  ASSERT_TRUE(hashes);
  ASSERT_EQ(hashes->size(), 1u);
  EXPECT_EQ(select_by_certreq(mine, *hashes), std::optional<size_t>(1));
  EXPECT_EQ(select_by_certreq(mine, {Bytes(20, 0)}), std::nullopt);
  EXPECT_FALSE(parse_certreq_hashes(Bytes(21, 0)));

  // CERT payloads: end entity, then the intermediate; the self-signed root stays home.
  auto certs = cert_payloads(mine[0]);
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0], a.leaf.der());
  EXPECT_EQ(certs[1], a.intermediate.der());
}

// The private key must be the certificate's: same curve but another key is refused, the
// certificate's own key accepted (the comparison is OpenSSL's, without encoding the keys).
TEST(CertAuthenticator, SignerRefusesAKeyOfAnotherCertificate) {
  const Chain& c = chain_for(KeyKind::P256);
  auto other = test::pki::issue({.cn = "other", .serial = 77}, KeyKind::P256, &c.intermediate);
  auto wrong = CertAuthenticator::signer(CertCredentials{other.private_key(), c.leaf.cert(), {}},
                                         RsaPadding::Pkcs1, default_signature_hashes());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message.find("does not belong"), std::string::npos);
  EXPECT_TRUE(CertAuthenticator::signer(CertCredentials{c.leaf.private_key(), c.leaf.cert(), {}},
                                        RsaPadding::Pkcs1, default_signature_hashes()));
  EXPECT_TRUE(c.leaf.private_key().public_key() == c.leaf.cert().public_key());
  EXPECT_FALSE(other.private_key().public_key() == c.leaf.cert().public_key());
}

}  // namespace
}  // namespace portunus::ike
