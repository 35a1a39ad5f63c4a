// IKE_AUTH with certificates between two engines (RFC 7296 2.15/3.6/3.7, RFC 4754, RFC 7427,
// RFC 8420): every AUTH method and key type in both roles, CERT chains, CERTREQ-driven
// certificate choice, configured peer certificates, mixed PSK/pubkey, and each refusal with
// its reason in the log and no IKE SA left on either side. The PKI is made at test time;
// keys are generated once per binary (RSA key generation is slow).
#include <gtest/gtest.h>

#include <map>

#include "../crypto/x509_fixtures.h"
#include "engine_pair.h"

namespace portunus::ike::testing {
namespace {

using crypto::CertFailure;
using test::pki::Issued;
using test::pki::KeyKind;

const char* kind_name(KeyKind k) {
  switch (k) {
    case KeyKind::Rsa2048:
      return "Rsa2048";
    case KeyKind::P256:
      return "P256";
    case KeyKind::P384:
      return "P384";
    case KeyKind::P521:
      return "P521";
    case KeyKind::Ed25519:
      return "Ed25519";
    case KeyKind::Ed448:
      return "Ed448";
  }
  return "?";
}

// Certificate::key_description() of each kind, as the verifier's log line shows it.
const char* key_description(KeyKind k) {
  switch (k) {
    case KeyKind::Rsa2048:
      return "RSA 2048";
    case KeyKind::P256:
      return "ECDSA P-256";
    case KeyKind::P384:
      return "ECDSA P-384";
    case KeyKind::P521:
      return "ECDSA P-521";
    case KeyKind::Ed25519:
      return "Ed25519";
    case KeyKind::Ed448:
      return "Ed448";
  }
  return "?";
}

// Root CA -> intermediate CA (both P-256) -> end entities of every key type for Alice
// (alice@example.org) and Bob (bob.example.org); a second, unrelated root with its own
// intermediate; and special end entities for the failure tests.
struct Pki {
  Issued root, intermediate;
  Issued other_root, other_intermediate;
  std::map<KeyKind, Issued> alice, bob;
  std::optional<Issued> alice_other;  // issued under other_intermediate
  std::optional<Issued> alice_expired, alice_revoked, bob_expired;
  std::string crl;  // intermediate's CRL revoking alice_revoked

  static Pki& get() {
    static Pki pki;
    return pki;
  }

  const Issued& leaf(bool for_alice, KeyKind k) {
    auto& m = for_alice ? alice : bob;
    auto it = m.find(k);
    if (it == m.end()) {
      const long serial = (for_alice ? 1000 : 2000) + static_cast<long>(k);
      it = m.emplace(
                k, test::pki::issue({.cn = for_alice ? "alice" : "bob",
                                     .sans = {for_alice ? "email:alice@example.org" : "DNS:bob.example.org"},
                                     .key_usage = "critical,digitalSignature",
                                     .serial = serial},
                                    k, &intermediate))
               .first;
    }
    return it->second;
  }

 private:
  Pki() {
    using test::pki::issue;
    root = issue({.cn = "Portunus Root CA", .ca = true, .serial = 1}, KeyKind::P256, nullptr);
    intermediate = issue({.cn = "Portunus Intermediate CA", .ca = true, .serial = 2}, KeyKind::P256, &root);
    other_root = issue({.cn = "Other Root CA", .ca = true, .serial = 1}, KeyKind::P256, nullptr);
    other_intermediate =
        issue({.cn = "Other Intermediate CA", .ca = true, .serial = 2}, KeyKind::P256, &other_root);
    alice_other = issue({.cn = "alice (other CA)",
                         .sans = {"email:alice@example.org"},
                         .key_usage = "critical,digitalSignature",
                         .serial = 3000},
                        KeyKind::P256, &other_intermediate);
    alice_expired = issue({.cn = "alice (expired)",
                           .not_before = -10L * 86400,
                           .not_after = -86400,
                           .sans = {"email:alice@example.org"},
                           .key_usage = "critical,digitalSignature",
                           .serial = 3001},
                          KeyKind::P256, &intermediate);
    bob_expired = issue({.cn = "bob (expired)",
                         .not_before = -10L * 86400,
                         .not_after = -86400,
                         .sans = {"DNS:bob.example.org"},
                         .key_usage = "critical,digitalSignature",
                         .serial = 3002},
                        KeyKind::P256, &intermediate);
    alice_revoked = issue({.cn = "alice (revoked)",
                           .sans = {"email:alice@example.org"},
                           .key_usage = "critical,digitalSignature",
                           .serial = 3003},
                          KeyKind::P256, &intermediate);
    crl = test::pki::crl_pem(intermediate, {3003});
  }
};

CertCredentials creds(const Issued& leaf, const Issued& inter, const Issued& root) {
  return CertCredentials{leaf.private_key(), leaf.cert(), {inter.cert(), root.cert()}};
}

std::shared_ptr<const crypto::TrustStore> trust(const Issued& ca, const std::string& crl = {}) {
  auto t = std::make_shared<crypto::TrustStore>();
  if (!t->add_ca(ca.cert())) throw std::runtime_error("add_ca");
  if (!crl.empty() && !t->add_crls(test::pki::as_view(crl))) throw std::runtime_error("add_crls");
  return t;
}

// Alice initiates as alice@example.org, Bob answers as bob.example.org; both use
// certificates under the test root (Bob's trust: root only, so Alice's intermediate must
// arrive in CERT, and the other way round).
PairConfig cert_pair(KeyKind alice_key, KeyKind bob_key) {
  Pki& pki = Pki::get();
  PairConfig pc = default_pair();
  auto& a = pc.a.connections[0];
  auto& b = pc.b.connections[0];
  a.local.auth = b.local.auth = AuthClass::PubKey;
  a.remote.auth = b.remote.auth = AuthClass::PubKey;
  a.local.credentials = {creds(pki.leaf(true, alice_key), pki.intermediate, pki.root)};
  b.local.credentials = {creds(pki.leaf(false, bob_key), pki.intermediate, pki.root)};
  a.remote.trust = trust(pki.root);
  b.remote.trust = trust(pki.root);
  pc.a.secrets.clear();
  pc.b.secrets.clear();
  return pc;
}

bool has_event_text(const EnginePair& p, bool on_a, EventKind k, const std::string& needle) {
  for (const auto& e : (on_a ? p.a : p.b).events)
    if (e.kind == k && e.message.find(needle) != std::string::npos) return true;
  return false;
}

std::string events_of(const EnginePair& p, bool on_a) {
  std::string s;
  for (const auto& e : (on_a ? p.a : p.b).events) s += e.message + "\n";
  return s;
}

void handshake(EnginePair& p) {
  auto id = p.a.engine.initiate("home", "", p.now);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  p.run();
}

void expect_established(const EnginePair& p) {
  EXPECT_TRUE(p.has_event(true, EventKind::IkeSaEstablished)) << events_of(p, true);
  EXPECT_TRUE(p.has_event(false, EventKind::IkeSaEstablished)) << events_of(p, false);
  EXPECT_EQ(p.ia.active.size(), 1u);
  EXPECT_EQ(p.ib.active.size(), 1u);
  ASSERT_EQ(p.a.engine.status().size(), 1u);
  EXPECT_EQ(p.a.engine.status()[0].state, "established");
  EXPECT_EQ(p.a.engine.status()[0].remote_id, "bob.example.org");
  ASSERT_EQ(p.b.engine.status().size(), 1u);
  EXPECT_EQ(p.b.engine.status()[0].remote_id, "alice@example.org");
}

// The refusal: the verifying side logs `reason`, the IKE SA is gone on both sides and no
// Child SA stays installed.
void expect_refused(const EnginePair& p, bool refused_by_a, const std::string& reason) {
  EXPECT_TRUE(has_event_text(p, refused_by_a, EventKind::IkeSaFailed, reason)) << events_of(p, refused_by_a);
  EXPECT_FALSE(p.has_event(refused_by_a, EventKind::IkeSaEstablished));
  if (refused_by_a) {
    // The responder had established; the initiator's INFORMATIONAL AUTHENTICATION_FAILED removes it.
    EXPECT_TRUE(has_event_text(p, false, EventKind::IkeSaFailed, "AUTHENTICATION_FAILED"))
        << events_of(p, false);
  } else {
    EXPECT_TRUE(has_event_text(p, true, EventKind::IkeSaFailed, "AUTHENTICATION_FAILED"))
        << events_of(p, true);
    EXPECT_FALSE(p.has_event(false, EventKind::IkeSaEstablished));
  }
  EXPECT_EQ(p.a.engine.ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine.ike_sa_count(), 0u);
  EXPECT_TRUE(p.ia.active.empty());
  EXPECT_TRUE(p.ib.active.empty());
  EXPECT_EQ(p.b.engine.counters().auth_failed + p.a.engine.counters().auth_failed, 2u);
}

std::string reason(CertFailure f) { return std::string(crypto::name(f)); }

// ---- every AUTH method and key type, both roles ----

struct MethodCase {
  KeyKind key;
  RsaPadding rsa;
  bool announce;  // the verifying side sends SIGNATURE_HASH_ALGORITHMS
  const char* method;
};

class EngineCertMethods : public ::testing::TestWithParam<MethodCase> {};

// Both sides use the same key type. Alice announces RFC 7427 hashes, Bob only when
// `announce`: Alice then signs with the classic method, Bob (who sees Alice's hashes)
// always with method 14; without `announce` the roles are then swapped. Each side logs the
// method it verified.
TEST_P(EngineCertMethods, HandshakeBothRoles) {
  const auto& c = GetParam();
  auto pc = cert_pair(c.key, c.key);
  pc.a.connections[0].local.rsa_padding = c.rsa;
  pc.b.connections[0].local.rsa_padding = c.rsa;
  pc.b.signature_authentication = c.announce;
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  // Bob verified Alice with the expected method; Alice verified Bob with method 14.
  EXPECT_TRUE(has_event_text(p, false, EventKind::Info, std::string("alice@example.org' with ") + c.method))
      << events_of(p, false);
  EXPECT_TRUE(
      has_event_text(p, true, EventKind::Info, "bob.example.org' with RFC 7427 signature (method 14)"))
      << events_of(p, true);
  EXPECT_TRUE(has_event_text(p, true, EventKind::Info, key_description(c.key))) << events_of(p, true);
  if (c.announce) return;
  // The mirror image: Alice announces nothing, so the responder signs with the classic method.
  auto mirror = cert_pair(c.key, c.key);
  mirror.a.signature_authentication = false;
  EnginePair q(mirror);
  handshake(q);
  expect_established(q);
  EXPECT_TRUE(has_event_text(q, true, EventKind::Info, std::string("bob.example.org' with ") + c.method))
      << events_of(q, true);
  EXPECT_TRUE(
      has_event_text(q, false, EventKind::Info, "alice@example.org' with RFC 7427 signature (method 14)"))
      << events_of(q, false);
}

INSTANTIATE_TEST_SUITE_P(
    All, EngineCertMethods,
    ::testing::Values(MethodCase{KeyKind::Rsa2048, RsaPadding::Pkcs1, false, "RSA signature (method 1)"},
                      MethodCase{KeyKind::Rsa2048, RsaPadding::Pkcs1, true, "RFC 7427 signature (method 14)"},
                      MethodCase{KeyKind::Rsa2048, RsaPadding::Pss, true, "RFC 7427 signature (method 14)"},
                      MethodCase{KeyKind::P256, RsaPadding::Pkcs1, false, "ECDSA-256 signature (method 9)"},
                      MethodCase{KeyKind::P256, RsaPadding::Pkcs1, true, "RFC 7427 signature (method 14)"},
                      MethodCase{KeyKind::P384, RsaPadding::Pkcs1, false, "ECDSA-384 signature (method 10)"},
                      MethodCase{KeyKind::P384, RsaPadding::Pkcs1, true, "RFC 7427 signature (method 14)"},
                      MethodCase{KeyKind::P521, RsaPadding::Pkcs1, false, "ECDSA-521 signature (method 11)"},
                      MethodCase{KeyKind::P521, RsaPadding::Pkcs1, true, "RFC 7427 signature (method 14)"},
                      MethodCase{KeyKind::Ed25519, RsaPadding::Pkcs1, true, "RFC 7427 signature (method 14)"},
                      MethodCase{KeyKind::Ed448, RsaPadding::Pkcs1, true, "RFC 7427 signature (method 14)"}),
    [](const auto& tp) {
      return std::string(kind_name(tp.param.key)) + (tp.param.rsa == RsaPadding::Pss ? "Pss" : "") +
             (tp.param.announce ? "Rfc7427" : "Classic");
    });

// Different key types on the two sides: each verifies the other's kind of signature.
TEST(EngineCert, DifferentKeyTypesOnEachSide) {
  for (auto [ka, kb] :
       {std::pair{KeyKind::Rsa2048, KeyKind::Ed25519}, std::pair{KeyKind::Ed448, KeyKind::P384},
        std::pair{KeyKind::P521, KeyKind::Rsa2048}}) {
    SCOPED_TRACE(std::string(kind_name(ka)) + "/" + kind_name(kb));
    EnginePair p(cert_pair(ka, kb));
    handshake(p);
    expect_established(p);
  }
}

// Without RFC 7427 from the peer there is no AUTH method for EdDSA keys or RSA-PSS: the
// initiator gives up before IKE_AUTH with a reason, nothing is left half open on Bob for long.
TEST(EngineCert, EdDsaAndPssNeedRfc7427) {
  for (auto [k, pad] :
       {std::pair{KeyKind::Ed25519, RsaPadding::Pkcs1}, std::pair{KeyKind::Ed448, RsaPadding::Pkcs1},
        std::pair{KeyKind::Rsa2048, RsaPadding::Pss}}) {
    SCOPED_TRACE(kind_name(k));
    auto pc = cert_pair(k, KeyKind::P256);
    pc.a.connections[0].local.rsa_padding = pad;
    pc.b.signature_authentication = false;
    EnginePair p(pc);
    handshake(p);
    EXPECT_TRUE(has_event_text(p, true, EventKind::IkeSaFailed, "RFC 7427")) << events_of(p, true);
    EXPECT_EQ(p.a.engine.ike_sa_count(), 0u);
    EXPECT_FALSE(p.has_event(false, EventKind::IkeSaEstablished));
  }
}

// The identity defaults to the certificate's subject (DER_ASN1_DN) and binds to it.
TEST(EngineCert, DistinguishedNameIdentityFromCertificate) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].local.id.clear();
  EnginePair p(pc);
  handshake(p);
  EXPECT_TRUE(p.has_event(false, EventKind::IkeSaEstablished)) << events_of(p, false);
  ASSERT_EQ(p.b.engine.status().size(), 1u);
  EXPECT_NE(p.b.engine.status()[0].remote_id.find("CN=alice"), std::string::npos)
      << p.b.engine.status()[0].remote_id;
}

// ---- CERT / CERTREQ ----

// Trusting only the root, the intermediate must come in CERT; leaving it out of the
// credentials makes the chain unverifiable (so the positive tests really use CERT).
TEST(EngineCert, IntermediateMustArriveInCert) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  auto& cr = pc.a.connections[0].local.credentials[0];
  cr.chain = {Pki::get().root.cert()};  // root only: no intermediate sent
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, reason(CertFailure::UntrustedIssuer));
}

// swanctl send_cert = ifasked: Bob has no CAs, only Alice's certificate, so he sends no
// CERTREQ and Alice no CERT; he authenticates her with the configured certificate.
TEST(EngineCert, PeerSendsNoCertButCertificateIsConfigured) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::Ed25519);
  auto& b = pc.b.connections[0];
  b.remote.trust = nullptr;
  b.remote.peer_cert = Pki::get().leaf(true, KeyKind::P256).cert();
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  // The same without the configured certificate: nothing to verify with.
  pc.b.connections[0].remote.peer_cert.reset();
  EnginePair q(pc);
  handshake(q);
  expect_refused(q, false, reason(CertFailure::NoCertificate));
}

// send_cert = never with a trust store only: the peer's certificate is missing.
TEST(EngineCert, SendCertNeverWithoutConfiguredCertificateFails) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].send_cert = SendCert::Never;
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, reason(CertFailure::NoCertificate));
}

// A configured peer certificate pins the peer: another valid certificate is refused.
TEST(EngineCert, ConfiguredPeerCertificatePinsThePeer) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.b.connections[0].remote.peer_cert = Pki::get().leaf(true, KeyKind::P384).cert();
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, "not the one configured");
}

// Two credentials under unrelated CAs: the peer's CERTREQ picks the one it can verify,
// in both roles (Bob's CERTREQ in IKE_SA_INIT, Alice's in IKE_AUTH).
TEST(EngineCert, CertreqSelectsBetweenTwoCredentials) {
  Pki& pki = Pki::get();
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  auto& a = pc.a.connections[0];
  auto& b = pc.b.connections[0];
  // Alice's first credential is from the other CA; Bob trusts only the test root.
  a.local.credentials.insert(a.local.credentials.begin(),
                             creds(*pki.alice_other, pki.other_intermediate, pki.other_root));
  // Bob's first credential is from the test CA; Alice trusts only the other root.
  auto bob_other = test::pki::issue({.cn = "bob (other CA)",
                                     .sans = {"DNS:bob.example.org"},
                                     .key_usage = "critical,digitalSignature",
                                     .serial = 3100},
                                    KeyKind::P256, &pki.other_intermediate);
  b.local.credentials.push_back(creds(bob_other, pki.other_intermediate, pki.other_root));
  a.remote.trust = trust(pki.other_root);
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  EXPECT_TRUE(has_event_text(p, false, EventKind::Info, "CN=alice\"")) << events_of(p, false);
  EXPECT_TRUE(has_event_text(p, true, EventKind::Info, "CN=bob (other CA)")) << events_of(p, true);

  // Without the CERTREQ match the first credential goes out and is refused.
  a.remote.trust = trust(pki.root);
  b.local.credentials.erase(b.local.credentials.begin());  // Bob: only the other CA's
  EnginePair q(pc);
  handshake(q);
  expect_refused(q, true, reason(CertFailure::UntrustedIssuer));
}

// ---- refusals, by the responder (Bob) and by the initiator (Alice) ----

TEST(EngineCert, WrongCaRefusedByResponder) {
  Pki& pki = Pki::get();
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].local.credentials = {creds(*pki.alice_other, pki.other_intermediate, pki.other_root)};
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, reason(CertFailure::UntrustedIssuer));
}

TEST(EngineCert, WrongCaRefusedByInitiator) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].remote.trust = trust(Pki::get().other_root);
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, true, reason(CertFailure::UntrustedIssuer));
}

TEST(EngineCert, ExpiredRefusedByResponder) {
  Pki& pki = Pki::get();
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].local.credentials = {creds(*pki.alice_expired, pki.intermediate, pki.root)};
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, reason(CertFailure::Expired));
}

TEST(EngineCert, ExpiredRefusedByInitiator) {
  Pki& pki = Pki::get();
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.b.connections[0].local.credentials = {creds(*pki.bob_expired, pki.intermediate, pki.root)};
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, true, reason(CertFailure::Expired));
}

TEST(EngineCert, RevokedByCrlRefused) {
  Pki& pki = Pki::get();
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].local.credentials = {creds(*pki.alice_revoked, pki.intermediate, pki.root)};
  pc.b.connections[0].remote.trust = trust(pki.root, pki.crl);
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, reason(CertFailure::Revoked));
  // The same CRL does not stop a certificate it does not list.
  auto ok = cert_pair(KeyKind::P256, KeyKind::P256);
  ok.b.connections[0].remote.trust = trust(pki.root, pki.crl);
  EnginePair q(ok);
  handshake(q);
  expect_established(q);
}

// Alice claims an identity her certificate does not carry (Bob accepts any identity).
TEST(EngineCert, IdentityNotInCertificateRefused) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.a.connections[0].local.id = "carol@example.org";
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, false, reason(CertFailure::IdentityMismatch));
}

// Bob answers as an identity his certificate does not carry; Alice expects that identity.
TEST(EngineCert, ResponderIdentityNotInCertificateRefused) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  pc.b.connections[0].local.id = "vpn.example.org";
  pc.a.connections[0].remote.id = "vpn.example.org";
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, true, reason(CertFailure::IdentityMismatch));
}

TEST(EngineCert, KeyTypeConstraint) {
  for (auto [key, constraint, ok] : {std::tuple{KeyKind::P256, PubKeyConstraint::Rsa, false},
                                     std::tuple{KeyKind::P256, PubKeyConstraint::Ecdsa, true},
                                     std::tuple{KeyKind::Ed25519, PubKeyConstraint::Ed448, false},
                                     std::tuple{KeyKind::Ed448, PubKeyConstraint::Ed448, true}}) {
    SCOPED_TRACE(kind_name(key));
    auto pc = cert_pair(key, KeyKind::P256);
    pc.b.connections[0].remote.constraint = constraint;
    EnginePair p(pc);
    handshake(p);
    if (ok) {
      expect_established(p);
    } else {
      expect_refused(p, false, "key type constraint");
    }
  }
  // And by the initiator.
  auto pc = cert_pair(KeyKind::P256, KeyKind::Ed25519);
  pc.a.connections[0].remote.constraint = PubKeyConstraint::Ecdsa;
  EnginePair p(pc);
  handshake(p);
  expect_refused(p, true, "key type constraint");
}

// ---- mixed authentication ----

TEST(EngineCert, InitiatorPskResponderCertificate) {
  auto pc = cert_pair(KeyKind::P256, KeyKind::P256);
  auto base = default_pair();
  pc.a.connections[0].local.auth = AuthClass::Psk;
  pc.a.connections[0].local.credentials.clear();
  pc.b.connections[0].remote.auth = AuthClass::Psk;
  pc.b.connections[0].remote.trust = nullptr;
  pc.a.secrets = base.a.secrets;
  pc.b.secrets = base.b.secrets;
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  EXPECT_TRUE(has_event_text(p, true, EventKind::Info, "bob.example.org' with RFC 7427"))
      << events_of(p, true);
  // A wrong secret still fails on the PSK side (Bob).
  pc.b.secrets[0].secret = SecureBytes(as_bytes("wrong"));
  EnginePair q(pc);
  handshake(q);
  expect_refused(q, false, "pre-shared key");
}

TEST(EngineCert, InitiatorCertificateResponderPsk) {
  auto pc = cert_pair(KeyKind::Rsa2048, KeyKind::P256);
  auto base = default_pair();
  pc.b.connections[0].local.auth = AuthClass::Psk;
  pc.b.connections[0].local.credentials.clear();
  pc.a.connections[0].remote.auth = AuthClass::Psk;
  pc.a.connections[0].remote.trust = nullptr;
  pc.a.secrets = base.a.secrets;
  pc.b.secrets = base.b.secrets;
  EnginePair p(pc);
  handshake(p);
  expect_established(p);
  EXPECT_TRUE(has_event_text(p, false, EventKind::Info, "alice@example.org' with RFC 7427"))
      << events_of(p, false);
  // Alice expecting a certificate from a PSK responder gets none.
  pc.a.connections[0].remote.auth = AuthClass::PubKey;
  pc.a.connections[0].remote.trust = trust(Pki::get().root);
  EnginePair q(pc);
  handshake(q);
  expect_refused(q, true, reason(CertFailure::NoCertificate));
  // With Bob's certificate configured, the PSK MIC is still no signature.
  pc.a.connections[0].remote.peer_cert = Pki::get().leaf(false, KeyKind::P256).cert();
  EnginePair r(pc);
  handshake(r);
  expect_refused(r, true, reason(CertFailure::AuthMethod));
}

}  // namespace
}  // namespace portunus::ike::testing
