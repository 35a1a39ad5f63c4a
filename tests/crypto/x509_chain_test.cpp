// Chain validation and identity matching with a PKI generated at test time.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "portunus/crypto/x509.h"
#include "x509_fixtures.h"

namespace portunus::crypto {
namespace {

using test::pki::Chain;
using test::pki::issue;
using test::pki::Issued;
using test::pki::KeyKind;
using test::pki::make_chain;

TrustStore store_with(const Issued& ca) {
  TrustStore store;
  auto added = store.add_ca(ca.cert());
  EXPECT_TRUE(added && *added);
  return store;
}

CertFailure failure(const CertResult<std::vector<Certificate>>& r) {
  EXPECT_FALSE(r.has_value());
  return r ? CertFailure::Other : r.error().reason;
}

class ValidChain : public testing::TestWithParam<KeyKind> {};

TEST_P(ValidChain, VerifiesThroughTheIntermediate) {
  Chain c = make_chain(GetParam());
  TrustStore store = store_with(c.root);
  auto chain = store.verify(c.leaf.cert(), {c.intermediate.cert()});
  ASSERT_TRUE(chain) << chain.error().text();
  ASSERT_EQ(chain->size(), 3u);
  EXPECT_EQ((*chain)[0], c.leaf.cert());
  EXPECT_EQ((*chain)[1], c.intermediate.cert());
  EXPECT_EQ((*chain)[2], c.root.cert());
  // Without the intermediate there is no path.
  EXPECT_EQ(failure(store.verify(c.leaf.cert(), {})), CertFailure::UntrustedIssuer);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, ValidChain,
                         testing::Values(KeyKind::Rsa2048, KeyKind::P256, KeyKind::P384, KeyKind::Ed25519,
                                         KeyKind::Ed448));

// The RSA chain is the slowest to make; the failure cases share one ECDSA chain.
class ChainFailures : public testing::Test {
 protected:
  static void SetUpTestSuite() { chain_ = new Chain(make_chain(KeyKind::P256)); }
  static void TearDownTestSuite() {
    delete chain_;
    chain_ = nullptr;
  }
  static Chain* chain_;
  const Issued& root() { return chain_->root; }
  const Issued& inter() { return chain_->intermediate; }
  TrustStore store() { return store_with(root()); }
};
Chain* ChainFailures::chain_ = nullptr;

TEST_F(ChainFailures, Expired) {
  Issued leaf = issue({.cn = "old", .not_before = -10 * 86400, .not_after = -86400, .serial = 7},
                      KeyKind::P256, &inter());
  EXPECT_EQ(failure(store().verify(leaf.cert(), {inter().cert()})), CertFailure::Expired);
  // The verification time is honoured: the valid leaf (30 days) expires, and the
  // validity check is not a comparison with the wall clock.
  const int64_t now = std::time(nullptr);
  EXPECT_TRUE(store().verify(chain_->leaf.cert(), {inter().cert()}, now + 29 * 86400));
  EXPECT_EQ(failure(store().verify(chain_->leaf.cert(), {inter().cert()}, now + 31 * 86400)),
            CertFailure::Expired);
}

TEST_F(ChainFailures, NotYetValid) {
  Issued leaf = issue({.cn = "future", .not_before = 86400, .not_after = 10 * 86400, .serial = 8},
                      KeyKind::P256, &inter());
  EXPECT_EQ(failure(store().verify(leaf.cert(), {inter().cert()})), CertFailure::NotYetValid);
}

TEST_F(ChainFailures, WrongCa) {
  Chain other = make_chain(KeyKind::P256);
  // The other PKI's leaf and intermediate do not lead to our root.
  auto r = store().verify(other.leaf.cert(), {other.intermediate.cert()});
  EXPECT_EQ(failure(r), CertFailure::UntrustedIssuer);
  EXPECT_NE(r.error().text().find("trusted path"), std::string::npos);
}

TEST_F(ChainFailures, SelfSignedEndEntity) {
  Issued self = issue({.cn = "self", .serial = 9}, KeyKind::P256, nullptr);
  EXPECT_EQ(failure(store().verify(self.cert(), {})), CertFailure::UntrustedIssuer);
}

TEST_F(ChainFailures, BadSignature) {
  Bytes der = chain_->leaf.der();
  der.back() ^= 0x01;  // inside the signature BIT STRING, which is last
  auto tampered = Certificate::from_der(der);
  ASSERT_TRUE(tampered);
  EXPECT_EQ(failure(store().verify(*tampered, {inter().cert()})), CertFailure::BadSignature);
}

TEST_F(ChainFailures, RevokedByCrl) {
  TrustStore s = store();
  // Relaxed and no CRL: passes.
  ASSERT_TRUE(s.verify(chain_->leaf.cert(), {inter().cert()}));
  auto n = s.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {55, 100})));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  auto r = s.verify(chain_->leaf.cert(), {inter().cert()});
  EXPECT_EQ(failure(r), CertFailure::Revoked);
  // A certificate of the same CA that is not listed still passes.
  Issued other =
      issue({.cn = "sun", .key_usage = "digitalSignature", .serial = 101}, KeyKind::P256, &inter());
  EXPECT_TRUE(s.verify(other.cert(), {inter().cert()}));
}

TEST_F(ChainFailures, StrictRevocationNeedsCrls) {
  TrustStore s = store();
  s.set_revocation(RevocationPolicy::Strict);
  EXPECT_EQ(failure(s.verify(chain_->leaf.cert(), {inter().cert()})), CertFailure::CrlUnavailable);
  // With a CRL for the intermediate only, the root's CRL for the intermediate is still missing.
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {}))));
  EXPECT_EQ(failure(s.verify(chain_->leaf.cert(), {inter().cert()})), CertFailure::CrlUnavailable);
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(root(), {}))));
  auto ok = s.verify(chain_->leaf.cert(), {inter().cert()});
  EXPECT_TRUE(ok) << ok.error().text();
}

// strongSwan's common layout: root and intermediate both in x509ca/, a CRL from each. The
// path must go up to the root so the root's CRL is checked with the root's key.
TEST_F(ChainFailures, RootAndIntermediateConfiguredWithBothCrls) {
  TrustStore s = store();
  ASSERT_TRUE(s.add_ca(inter().cert()));
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(root(), {77}))));
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {55}))));
  for (auto policy : {RevocationPolicy::Relaxed, RevocationPolicy::Strict}) {
    s.set_revocation(policy);
    auto ok = s.verify(chain_->leaf.cert(), {});
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_EQ(ok->size(), 3u);  // leaf, intermediate, root
  }
  // The leaf revoked by the intermediate, and the intermediate revoked by the root.
  TrustStore l = store();
  ASSERT_TRUE(l.add_ca(inter().cert()));
  ASSERT_TRUE(l.add_crls(test::pki::as_view(test::pki::crl_pem(root(), {77}))));
  ASSERT_TRUE(l.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {100}))));
  EXPECT_EQ(failure(l.verify(chain_->leaf.cert(), {})), CertFailure::Revoked);
  TrustStore r = store();
  ASSERT_TRUE(r.add_ca(inter().cert()));
  ASSERT_TRUE(r.add_crls(test::pki::as_view(test::pki::crl_pem(root(), {2}))));
  EXPECT_EQ(failure(r.verify(chain_->leaf.cert(), {})), CertFailure::Revoked);
}

// Only the intermediate configured: the path stops there; the leaf's CRL is still checked,
// the anchor's own status (a CRL of a root we do not have) is not asked for, even strictly.
TEST_F(ChainFailures, IntermediateAnchorWithCrls) {
  TrustStore s = store_with(inter());
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(root(), {77}))));
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {55}))));
  for (auto policy : {RevocationPolicy::Relaxed, RevocationPolicy::Strict}) {
    s.set_revocation(policy);
    auto ok = s.verify(chain_->leaf.cert(), {});
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_EQ(ok->size(), 2u);
  }
  TrustStore l = store_with(inter());
  ASSERT_TRUE(l.add_crls(test::pki::as_view(test::pki::crl_pem(root(), {77}))));
  ASSERT_TRUE(l.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {100}))));
  l.set_revocation(RevocationPolicy::Strict);
  EXPECT_EQ(failure(l.verify(chain_->leaf.cert(), {})), CertFailure::Revoked);
}

TEST_F(ChainFailures, ExpiredCrl) {
  TrustStore s = store();
  ASSERT_TRUE(s.add_crls(test::pki::as_view(test::pki::crl_pem(inter(), {}, -10 * 86400, -86400))));
  EXPECT_EQ(failure(s.verify(chain_->leaf.cert(), {inter().cert()})), CertFailure::CrlInvalid);
}

TEST_F(ChainFailures, WrongKeyUsage) {
  Issued leaf =
      issue({.cn = "enc", .key_usage = "critical,keyEncipherment", .serial = 10}, KeyKind::P256, &inter());
  auto r = store().verify(leaf.cert(), {inter().cert()});
  EXPECT_EQ(failure(r), CertFailure::KeyUsage);
  EXPECT_NE(r.error().detail.find("digitalSignature"), std::string::npos);
}

TEST_F(ChainFailures, CriticalExtendedKeyUsageWithoutIpsecIke) {
  Issued web =
      issue({.cn = "web", .ext_key_usage = "critical,serverAuth", .serial = 11}, KeyKind::P256, &inter());
  EXPECT_EQ(failure(store().verify(web.cert(), {inter().cert()})), CertFailure::KeyUsage);
  Issued ike =
      issue({.cn = "ike", .ext_key_usage = "critical,ipsecIKE", .serial = 12}, KeyKind::P256, &inter());
  EXPECT_TRUE(store().verify(ike.cert(), {inter().cert()}));
  // Non-critical EKU is informational (RFC 4945 5.1.3.12).
  Issued loose = issue({.cn = "loose", .ext_key_usage = "serverAuth", .serial = 13}, KeyKind::P256, &inter());
  EXPECT_TRUE(store().verify(loose.cert(), {inter().cert()}));
}

TEST_F(ChainFailures, PathLength) {
  Issued root0 =
      issue({.cn = "Root pathlen 0", .ca = true, .pathlen = 0, .serial = 1}, KeyKind::P256, nullptr);
  Issued sub = issue({.cn = "Sub CA", .ca = true, .serial = 2}, KeyKind::P256, &root0);
  Issued leaf = issue({.cn = "leaf", .serial = 3}, KeyKind::P256, &sub);
  TrustStore s = store_with(root0);
  EXPECT_EQ(failure(s.verify(leaf.cert(), {sub.cert()})), CertFailure::PathLength);
  // Directly under the root is fine.
  Issued direct = issue({.cn = "direct", .serial = 4}, KeyKind::P256, &root0);
  EXPECT_TRUE(s.verify(direct.cert(), {}));
}

TEST_F(ChainFailures, IssuerNotCa) {
  // An end entity (CA:FALSE) "issuing" another certificate.
  Issued fake = issue({.cn = "fake", .serial = 14}, KeyKind::P256, &chain_->leaf);
  EXPECT_EQ(failure(store().verify(fake.cert(), {chain_->leaf.cert(), inter().cert()})),
            CertFailure::IssuerNotCa);
}

TEST_F(ChainFailures, IntermediateAsAnchor) {
  // swanctl semantics: a configured intermediate is trusted on its own.
  TrustStore s = store_with(inter());
  auto chain = s.verify(chain_->leaf.cert(), {});
  ASSERT_TRUE(chain) << chain.error().text();
  EXPECT_EQ(chain->size(), 2u);
}

TEST_F(ChainFailures, NonCaRefusedAsAnchor) {
  TrustStore s;
  EXPECT_FALSE(s.add_ca(chain_->leaf.cert()));
  auto again = s.add_ca(root().cert());
  ASSERT_TRUE(again);
  EXPECT_TRUE(*again);
  again = s.add_ca(root().cert());
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);  // duplicate
  EXPECT_EQ(s.cas().size(), 1u);
}

TEST_F(ChainFailures, CertreqDataIsSha1OfEachCaSpki) {
  TrustStore s = store();
  ASSERT_TRUE(s.add_ca(inter().cert()));
  Bytes expected;
  for (const Issued* ca : {&root(), &inter()}) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(ca->key.get(), &der);
    unsigned char md[20];
    unsigned int mdlen = 0;
    EVP_Digest(der, size_t(len), md, &mdlen, EVP_sha1(), nullptr);
    OPENSSL_free(der);
    expected.insert(expected.end(), md, md + mdlen);
  }
  EXPECT_EQ(s.certreq_data(), expected);
}

// ---- identities

class Identities : public ChainFailures {};

TEST_F(Identities, SubjectDn) {
  Certificate leaf = chain_->leaf.cert();
  EXPECT_FALSE(check_identity(leaf, CertIdKind::DerAsn1Dn, leaf.subject_der()));
  // The same DN written with UTF8String instead of PrintableString matches canonically.
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("ch"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("portunus  test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("MOON.example.org"), -1, -1, 0);
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name, &der);
  Bytes folded(der, der + len);
  OPENSSL_free(der);
  X509_NAME_free(name);
  EXPECT_NE(folded, leaf.subject_der());
  EXPECT_FALSE(check_identity(leaf, CertIdKind::DerAsn1Dn, folded));
  // The issuer's DN is not ours.
  auto e = check_identity(leaf, CertIdKind::DerAsn1Dn, inter().cert().subject_der());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, CertFailure::IdentityMismatch);
  EXPECT_NE(e->text().find("DER_ASN1_DN"), std::string::npos);
  // Garbage is a mismatch, not a crash.
  EXPECT_TRUE(check_identity(leaf, CertIdKind::DerAsn1Dn, Bytes{0x30, 0x05, 0x01}));
}

TEST_F(Identities, SubjectAltNames) {
  Certificate leaf = chain_->leaf.cert();
  EXPECT_FALSE(check_identity(leaf, CertIdKind::Fqdn, as_bytes("moon.example.org")));
  EXPECT_FALSE(check_identity(leaf, CertIdKind::Fqdn, as_bytes("MOON.Example.org")));
  EXPECT_FALSE(check_identity(leaf, CertIdKind::Rfc822Addr, as_bytes("moon@example.org")));
  EXPECT_FALSE(check_identity(leaf, CertIdKind::IpAddr, Bytes{192, 0, 2, 1}));
  Bytes v6(16, 0);
  v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = 0xb8, v6[15] = 1;
  EXPECT_FALSE(check_identity(leaf, CertIdKind::IpAddr, v6));

  // Wrong SAN: each kind fails with IdentityMismatch and says which identity.
  auto fqdn = check_identity(leaf, CertIdKind::Fqdn, as_bytes("sun.example.org"));
  ASSERT_TRUE(fqdn);
  EXPECT_EQ(fqdn->reason, CertFailure::IdentityMismatch);
  EXPECT_NE(fqdn->detail.find("sun.example.org"), std::string::npos);
  EXPECT_TRUE(check_identity(leaf, CertIdKind::Rfc822Addr, as_bytes("sun@example.org")));
  auto ip = check_identity(leaf, CertIdKind::IpAddr, Bytes{192, 0, 2, 2});
  ASSERT_TRUE(ip);
  EXPECT_NE(ip->detail.find("192.0.2.2"), std::string::npos);
  // The CN is not consulted for names (RFC 4945 3.1 binds IDs to subjectAltNames).
  Issued cn_only = issue({.cn = "venus.example.org", .serial = 20}, KeyKind::P256, &inter());
  EXPECT_TRUE(check_identity(cn_only.cert(), CertIdKind::Fqdn, as_bytes("venus.example.org")));
  // The email SAN is not an FQDN.
  EXPECT_TRUE(check_identity(leaf, CertIdKind::Fqdn, as_bytes("example.org")));
}

// ---- fields and loading

TEST(Certificate, Fields) {
  Chain c = make_chain(KeyKind::P384);
  Certificate leaf = c.leaf.cert();
  EXPECT_EQ(leaf.subject(), "C=CH, O=Portunus Test, CN=moon.example.org");
  EXPECT_EQ(leaf.issuer(), "C=CH, O=Portunus Test, CN=Portunus Intermediate CA");
  EXPECT_EQ(leaf.key_type(), KeyType::Ec);
  EXPECT_EQ(leaf.key_description(), "ECDSA P-384");
  EXPECT_EQ(leaf.serial_hex(), "64");
  EXPECT_FALSE(leaf.is_ca());
  EXPECT_TRUE(c.root.cert().is_ca());
  const int64_t now = std::time(nullptr);
  EXPECT_NEAR(double(leaf.not_before()), double(now - 3600), 60);
  EXPECT_NEAR(double(leaf.not_after()), double(now + 30 * 86400), 60);
  auto sans = leaf.subject_alt_names();
  ASSERT_EQ(sans.size(), 4u);
  EXPECT_EQ(sans[0].kind, SubjectAltName::Kind::Dns);
  EXPECT_EQ(sans[0].text, "moon.example.org");
  EXPECT_EQ(sans[1].kind, SubjectAltName::Kind::Email);
  EXPECT_EQ(sans[1].text, "moon@example.org");
  EXPECT_EQ(sans[2].kind, SubjectAltName::Kind::Ip);
  EXPECT_EQ(sans[2].text, "192.0.2.1");
  EXPECT_EQ(sans[2].value, (Bytes{192, 0, 2, 1}));
  EXPECT_EQ(sans[3].text, "2001:db8:0:0:0:0:0:1");
  // The public key is the one the certificate was made for.
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(c.leaf.key.get(), &der);
  EXPECT_EQ(leaf.public_key().der(), Bytes(der, der + len));
  OPENSSL_free(der);
}

TEST(Certificate, Describe) {
  Chain c = make_chain(KeyKind::P256);
  const Certificate leaf = c.leaf.cert();
  const std::string text = describe(leaf, leaf.not_before() + 10);
  EXPECT_NE(text.find("subject:  \"C=CH, O=Portunus Test, CN=moon.example.org\""), std::string::npos) << text;
  EXPECT_NE(text.find("issuer:   \"C=CH, O=Portunus Test, CN=Portunus Intermediate CA\""), std::string::npos);
  EXPECT_NE(text.find("altNames: moon.example.org, moon@example.org, 192.0.2.1, 2001:db8:0:0:0:0:0:1"),
            std::string::npos);
  EXPECT_NE(text.find("pubkey:   ECDSA P-256"), std::string::npos);
  EXPECT_NE(text.find(", ok"), std::string::npos);
  EXPECT_EQ(text.find("keyid"), std::string::npos);  // not a CA
  EXPECT_NE(describe(leaf, leaf.not_after() + 1).find(", expired"), std::string::npos);
  EXPECT_NE(describe(leaf, leaf.not_before() - 1).find(", not yet valid"), std::string::npos);
  const Certificate root = c.root.cert();
  Bytes h = root.spki_sha1();
  char first[3];
  std::snprintf(first, sizeof first, "%02x", h[0]);
  EXPECT_NE(describe(root, root.not_before() + 1).find(std::string("keyid:    ") + first), std::string::npos);
}

TEST(Certificate, KeyDescriptions) {
  EXPECT_EQ(issue({.cn = "r"}, KeyKind::Rsa2048, nullptr).cert().key_description(), "RSA 2048");
  EXPECT_EQ(issue({.cn = "e"}, KeyKind::P256, nullptr).cert().key_description(), "ECDSA P-256");
  EXPECT_EQ(issue({.cn = "d"}, KeyKind::Ed25519, nullptr).cert().key_description(), "Ed25519");
  EXPECT_EQ(issue({.cn = "d"}, KeyKind::Ed448, nullptr).cert().key_description(), "Ed448");
}

TEST(Certificate, PemDerAndFiles) {
  Chain c = make_chain(KeyKind::Ed25519);
  auto pem = Certificate::from_pem(c.leaf.pem() + c.intermediate.pem());
  ASSERT_TRUE(pem);
  ASSERT_EQ(pem->size(), 2u);
  EXPECT_EQ((*pem)[0].der(), c.leaf.der());
  EXPECT_EQ((*pem)[1].der(), c.intermediate.der());

  EXPECT_FALSE(Certificate::from_pem("no certificate here"));
  Bytes der = c.leaf.der();
  EXPECT_FALSE(Certificate::from_der(BytesView(der.data(), der.size() - 1)));  // truncated
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(Certificate::from_der(trailing));
  for (size_t cut = 0; cut < der.size(); cut += 37)
    EXPECT_FALSE(Certificate::from_der(BytesView(der.data(), cut)));

  char dir[] = "/tmp/portunus-x509-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string pem_path = std::string(dir) + "/moon.pem";
  const std::string der_path = std::string(dir) + "/moon.der";
  const std::string crl_path = std::string(dir) + "/ca.crl";
  std::ofstream(pem_path) << c.leaf.pem();
  std::ofstream(der_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(der.data()), std::streamsize(der.size()));
  std::ofstream(crl_path) << test::pki::crl_pem(c.intermediate, {100});
  auto from_pem_file = Certificate::load_file(pem_path);
  auto from_der_file = Certificate::load_file(der_path);
  ASSERT_TRUE(from_pem_file);
  ASSERT_TRUE(from_der_file);
  EXPECT_EQ((*from_pem_file)[0], c.leaf.cert());
  EXPECT_EQ((*from_der_file)[0], c.leaf.cert());
  EXPECT_FALSE(Certificate::load_file(std::string(dir) + "/missing.pem"));

  TrustStore s = store_with(c.root);
  ASSERT_TRUE(s.verify(c.leaf.cert(), {c.intermediate.cert()}));
  auto n = s.add_crl_file(crl_path);
  ASSERT_TRUE(n);
  EXPECT_EQ(s.crl_count(), 1u);
  EXPECT_EQ(failure(s.verify(c.leaf.cert(), {c.intermediate.cert()})), CertFailure::Revoked);
  EXPECT_FALSE(s.add_crls(as_bytes("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")));
  std::remove(pem_path.c_str());
  std::remove(der_path.c_str());
  std::remove(crl_path.c_str());
  rmdir(dir);
}

TEST(CertFailureNames, AreDistinct) {
  std::vector<std::string_view> seen;
  for (int f = 0; f <= int(CertFailure::Other); ++f) {
    auto n = name(CertFailure(f));
    for (auto s : seen) EXPECT_NE(s, n);
    seen.push_back(n);
  }
}

}  // namespace
}  // namespace portunus::crypto
