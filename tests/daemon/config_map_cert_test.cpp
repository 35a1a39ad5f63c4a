// auth = pubkey in the daemon's mapping: credentials from swanctl's directory layout next to
// the configuration (x509/, x509ca/, x509crl/, private/), explicit certs / cacerts, secrets
// key file entries, and the errors for what is missing or unsafe. The PKI is made at test time.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "../crypto/x509_fixtures.h"
#include "portunus/daemon/config_map.h"

namespace portunus::daemon {
namespace {

namespace fs = std::filesystem;
using test::pki::KeyKind;

class CertConfig : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/portunus-certcfg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* sub : {"x509", "x509ca", "x509crl", "private"}) fs::create_directory(dir_ / sub);
    // Root -> intermediate -> moon (RSA, ours); sun (P-256) and venus (P-256, revoked) are peers.
    pki_ = test::pki::make_chain(KeyKind::Rsa2048, "moon.example.org", {"DNS:moon.example.org"});
    sun_ = test::pki::issue({.cn = "sun.example.org",
                             .sans = {"DNS:sun.example.org"},
                             .key_usage = "critical,digitalSignature",
                             .serial = 200},
                            KeyKind::P256, &pki_.intermediate);
    venus_ = test::pki::issue({.cn = "venus.example.org",
                               .sans = {"DNS:venus.example.org"},
                               .key_usage = "critical,digitalSignature",
                               .serial = 201},
                              KeyKind::P256, &pki_.intermediate);
    write("x509/moon.pem", pki_.leaf.pem());
    write("x509ca/root.pem", pki_.root.pem());
    write("x509ca/intermediate.pem", pki_.intermediate.pem());
    write("x509crl/intermediate.crl", test::pki::crl_pem(pki_.intermediate, {201}));
    write("private/moon.key", pki_.leaf.private_key().to_pem(), fs::perms(0600));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& text, fs::perms mode = fs::perms(0644)) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
    fs::permissions(dir_ / rel, mode);
  }
  Result<ike::EngineConfig> map(const std::string& text, CredentialInventory* inv = nullptr) {
    std::string path = (dir_ / "swanctl.conf").string();
    std::ofstream(path) << text;
    auto cfg = config::load_swanctl_file(path);
    if (!cfg) return Unexpected<Error>(cfg.error());
    return to_engine_config(*cfg, MapOptions{confdir_of(path)}, inv);
  }

  fs::path dir_;
  test::pki::Chain pki_;
  test::pki::Issued sun_, venus_;
};

const char* kMoon = R"(connections {
  moon {
    remote_addrs = 192.0.2.2
    local {
      auth = rsa/pss
      certs = moon.pem
      id = moon.example.org
    }
    remote {
      auth = ecdsa
      id = sun.example.org
      revocation = strict
    }
  }
}
)";

TEST_F(CertConfig, LocalCredentialsRemoteTrustAndInventory) {
  CredentialInventory inv;
  auto ec = map(kMoon, &inv);
  ASSERT_TRUE(ec) << ec.error().message;
  const auto& c = ec->connections[0];
  EXPECT_EQ(c.local.auth, ike::AuthClass::PubKey);
  EXPECT_EQ(c.local.id, "moon.example.org");
  ASSERT_EQ(c.local.credentials.size(), 1u);
  const auto& cred = c.local.credentials[0];
  EXPECT_EQ(cred.cert, pki_.leaf.cert());
  EXPECT_EQ(cred.key.public_key().der(), pki_.leaf.cert().public_key().der());
  // The chain is found among the CA certificates, issuer first, up to the root.
  ASSERT_EQ(cred.chain.size(), 2u);
  EXPECT_EQ(cred.chain[0], pki_.intermediate.cert());
  EXPECT_EQ(cred.chain[1], pki_.root.cert());
  EXPECT_EQ(c.local.rsa_padding, ike::RsaPadding::Pss);
  EXPECT_EQ(c.send_cert, ike::SendCert::IfAsked);

  EXPECT_EQ(c.remote.auth, ike::AuthClass::PubKey);
  EXPECT_EQ(c.remote.constraint, ike::PubKeyConstraint::Ecdsa);
  EXPECT_FALSE(c.remote.peer_cert);
  ASSERT_TRUE(c.remote.trust);
  // No remote cacerts: every CA of x509ca/ is an anchor, as in strongSwan.
  EXPECT_EQ(c.remote.trust->cas().size(), 2u);
  EXPECT_EQ(c.remote.trust->crl_count(), 1u);
  // Strict revocation (see StrictRevocationNeedsTheCrlOfEveryIssuer); a listed serial fails
  // as revoked before anything else.
  auto revoked = c.remote.trust->verify(venus_.cert(), {});
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().reason, crypto::CertFailure::Revoked);
  ASSERT_EQ(inv.certs.size(), 3u);
  ASSERT_EQ(inv.crl_files.size(), 1u);
  for (const auto& e : inv.certs) {
    if (e.cert == pki_.leaf.cert()) {
      EXPECT_TRUE(e.has_private_key);
      EXPECT_EQ(e.used_by, std::vector<std::string>{"moon: local"});
      EXPECT_EQ(fs::path(e.file).filename(), "moon.pem");
    } else if (e.cert == pki_.root.cert()) {
      EXPECT_FALSE(e.has_private_key);
      EXPECT_EQ(e.used_by, (std::vector<std::string>{"moon: local chain", "moon: remote CA"}));
    } else {
      EXPECT_EQ(e.cert, pki_.intermediate.cert());
    }
  }
}

TEST_F(CertConfig, IntermediatesInX509imAreSentButNotTrusted) {
  fs::create_directory(dir_ / "x509im");
  // The chain now ends at the root: strict revocation wants its CRL too.
  write("x509crl/root.crl", test::pki::crl_pem(pki_.root, {}));
  fs::rename(dir_ / "x509ca/intermediate.pem", dir_ / "x509im/intermediate.pem");
  auto ec = map(kMoon);
  ASSERT_TRUE(ec) << ec.error().message;
  const auto& c = ec->connections[0];
  ASSERT_EQ(c.local.credentials[0].chain.size(), 2u);
  EXPECT_EQ(c.local.credentials[0].chain[0], pki_.intermediate.cert());
  ASSERT_EQ(c.remote.trust->cas().size(), 1u);
  EXPECT_EQ(c.remote.trust->cas()[0], pki_.root.cert());
  // The peer must send the intermediate now.
  auto without = c.remote.trust->verify(sun_.cert(), {});
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().reason, crypto::CertFailure::UntrustedIssuer);
  auto with = c.remote.trust->verify(sun_.cert(), {pki_.intermediate.cert()});
  EXPECT_TRUE(with) << with.error().text();
}

TEST_F(CertConfig, StrictRevocationNeedsTheCrlOfEveryIssuer) {
  // The intermediate is an anchor but its issuer's (the root's) CRL is not loaded.
  auto ec = map(kMoon);
  ASSERT_TRUE(ec) << ec.error().message;
  auto r = ec->connections[0].remote.trust->verify(sun_.cert(), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, crypto::CertFailure::CrlUnavailable);
}

TEST_F(CertConfig, RelaxedRevocationAcceptsAnIssuerWithoutCrl) {
  std::string text = kMoon;
  text.replace(text.find("strict"), 6, "relaxed");
  auto ec = map(text);
  ASSERT_TRUE(ec) << ec.error().message;
  auto r = ec->connections[0].remote.trust->verify(sun_.cert(), {});
  EXPECT_TRUE(r) << r.error().text();
  // Still refused when known revoked.
  auto revoked = ec->connections[0].remote.trust->verify(venus_.cert(), {});
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().reason, crypto::CertFailure::Revoked);
}

TEST_F(CertConfig, RemoteCacertsRestrictTheAnchors) {
  auto other = test::pki::issue({.cn = "Other Root", .ca = true, .serial = 7}, KeyKind::P256, nullptr);
  write("x509ca/other.pem", other.pem());
  auto peer = test::pki::issue({.cn = "pluto", .key_usage = "critical,digitalSignature", .serial = 8},
                               KeyKind::P256, &other);
  std::string text = kMoon;
  text.replace(text.find("      revocation = strict"), 25, "      cacerts = other.pem");
  auto ec = map(text);
  ASSERT_TRUE(ec) << ec.error().message;
  const auto& trust = *ec->connections[0].remote.trust;
  ASSERT_EQ(trust.cas().size(), 1u);
  EXPECT_EQ(trust.cas()[0], other.cert());
  EXPECT_TRUE(trust.verify(peer.cert(), {}));
  auto r = trust.verify(sun_.cert(), {pki_.intermediate.cert()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, crypto::CertFailure::UntrustedIssuer);
}

TEST_F(CertConfig, PinnedPeerCertificateAndAbsoluteNames) {
  write("elsewhere/sun.pem", sun_.pem());
  std::string text = kMoon;
  text.replace(text.find("      revocation = strict"), 25,
               "      certs = " + (dir_ / "elsewhere/sun.pem").string());
  auto ec = map(text);
  ASSERT_TRUE(ec) << ec.error().message;
  ASSERT_TRUE(ec->connections[0].remote.peer_cert);
  EXPECT_EQ(*ec->connections[0].remote.peer_cert, sun_.cert());
  // The pinned certificate's key must fit the remote auth keyword.
  text.replace(text.find("auth = ecdsa"), 12, "auth = ed25519");
  auto bad = map(text);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(
                "swanctl.conf:12: connections.moon.remote.certs: certificate "
                "'C=CH, O=Portunus Test, CN=sun.example.org' (key ECDSA P-256) does not fit auth = ed25519"),
            std::string::npos)
      << bad.error().message;
}

TEST_F(CertConfig, MissingPrivateKeyNamesFileLineAndKey) {
  fs::remove(dir_ / "private/moon.key");
  auto ec = map(kMoon);
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find(
                "swanctl.conf:6: connections.moon.local.certs: no private key for certificate 'C=CH, "
                "O=Portunus Test, CN=moon.example.org'"),
            std::string::npos)
      << ec.error().message;
}

TEST_F(CertConfig, KeyFileFromSecretsSection) {
  fs::remove(dir_ / "private/moon.key");
  write("keys/moon.pem", pki_.leaf.private_key().to_pem(), fs::perms(0600));
  auto ec = map(std::string(kMoon) +
                "secrets {\n  rsa-moon {\n    file = " + (dir_ / "keys/moon.pem").string() + "\n  }\n}\n");
  ASSERT_TRUE(ec) << ec.error().message;
  EXPECT_EQ(ec->connections[0].local.credentials.size(), 1u);
  // Relative names resolve in the directory of the section's kind (here private/).
  auto missing = map(std::string(kMoon) + "secrets {\n  private-moon {\n    file = nope.pem\n  }\n}\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(
      missing.error().message.find("swanctl.conf:17: secrets.private-moon.file: cannot open the private "
                                   "key " +
                                   (dir_ / "private/nope.pem").string()),
      std::string::npos)
      << missing.error().message;
}

TEST_F(CertConfig, ReadablePrivateKeyIsRefused) {
  fs::permissions(dir_ / "private/moon.key", fs::perms(0644));
  auto ec = map(kMoon);
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find("refusing the private key"), std::string::npos) << ec.error().message;
  EXPECT_NE(ec.error().message.find("chmod 600"), std::string::npos);
  // The message starts with the configuration file, so portunusd reports a configuration error.
  EXPECT_EQ(ec.error().message.rfind((dir_ / "swanctl.conf").string(), 0), 0u) << ec.error().message;
}

TEST_F(CertConfig, PskConfigurationDoesNotReadCredentials) {
  fs::permissions(dir_ / "private/moon.key", fs::perms(0644));
  CredentialInventory inv;
  auto ec = map(R"(connections {
  p {
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
  }
}
)",
                &inv);
  ASSERT_TRUE(ec) << ec.error().message;
  EXPECT_TRUE(inv.certs.empty());
}

TEST_F(CertConfig, KeyTypeMustFitTheAuthKeyword) {
  std::string text = kMoon;
  text.replace(text.find("auth = rsa/pss"), 14, "auth = ecdsa");
  auto ec = map(text);
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find("(key RSA 2048) does not fit auth = ecdsa"), std::string::npos)
      << ec.error().message;
}

TEST_F(CertConfig, CertificatesFoundInX509WhenNoneAreNamed) {
  std::string text = kMoon;
  text.replace(text.find("      certs = moon.pem\n"), 23, "");
  auto ec = map(text);
  ASSERT_TRUE(ec) << ec.error().message;
  ASSERT_EQ(ec->connections[0].local.credentials.size(), 1u);
  EXPECT_EQ(ec->connections[0].local.credentials[0].cert, pki_.leaf.cert());
}

TEST_F(CertConfig, RemoteWithoutAnyCaIsAnError) {
  fs::remove_all(dir_ / "x509ca");
  auto ec = map(kMoon);
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find("connections.moon.remote: auth = ecdsa needs CA certificates"),
            std::string::npos)
      << ec.error().message;
}

TEST_F(CertConfig, SendCertPolicy) {
  for (auto [word, want] :
       {std::pair{"always", ike::SendCert::Always}, std::pair{"never", ike::SendCert::Never},
        std::pair{"ifasked", ike::SendCert::IfAsked}}) {
    std::string text = kMoon;
    text.replace(text.find("    local {"), 0, std::string("    send_cert = ") + word + "\n");
    auto ec = map(text);
    ASSERT_TRUE(ec) << ec.error().message;
    EXPECT_EQ(ec->connections[0].send_cert, want) << word;
  }
}

TEST_F(CertConfig, MixedPskAndCertificates) {
  std::string text = kMoon;
  text.replace(text.find("auth = ecdsa"), 12, "auth = psk");
  auto ec = map(text);
  ASSERT_TRUE(ec) << ec.error().message;
  EXPECT_EQ(ec->connections[0].local.auth, ike::AuthClass::PubKey);
  EXPECT_EQ(ec->connections[0].remote.auth, ike::AuthClass::Psk);
  EXPECT_FALSE(ec->connections[0].remote.trust);
}

TEST_F(CertConfig, BrokenCrlIsAnError) {
  write("x509crl/broken.crl", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
  auto ec = map(kMoon);
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find("broken.crl"), std::string::npos) << ec.error().message;
}

}  // namespace
}  // namespace portunus::daemon
