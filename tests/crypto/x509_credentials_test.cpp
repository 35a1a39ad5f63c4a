// swanctl's credential directories and the private key permission check.
#include "portunus/crypto/x509_credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "x509_fixtures.h"

namespace portunus::crypto {
namespace {

namespace fs = std::filesystem;
using test::pki::KeyKind;

std::string pem_of_key(const test::pki::Issued& i) { return i.private_key().to_pem(); }

class SwanctlDirs : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/portunus-swanctl-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* sub : {"x509", "x509ca", "x509crl", "private"}) fs::create_directory(dir_ / sub);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text, fs::perms mode = fs::perms(0644)) {
    std::ofstream(dir_ / rel, std::ios::binary) << text;
    fs::permissions(dir_ / rel, mode);
  }
  fs::path dir_;
};

TEST_F(SwanctlDirs, LoadsTheLayout) {
  test::pki::Chain c = test::pki::make_chain(KeyKind::P256);
  write("x509/moon.pem", c.leaf.pem() + c.intermediate.pem());
  write("x509ca/root.pem", c.root.pem());
  write("x509crl/inter.crl", test::pki::crl_pem(c.intermediate, {5}));
  write("private/moon.pem", pem_of_key(c.leaf), fs::perms(0600));

  SwanctlCredentials creds = load_swanctl_credentials(dir_.string());
  EXPECT_TRUE(creds.problems.empty()) << creds.problems.front();
  ASSERT_EQ(creds.certs.size(), 1u);
  ASSERT_EQ(creds.certs[0].certs.size(), 2u);
  EXPECT_EQ(creds.trust.cas().size(), 1u);
  EXPECT_EQ(creds.trust.crl_count(), 1u);
  ASSERT_EQ(creds.keys.size(), 1u);
  const Certificate& leaf = creds.certs[0].certs[0];
  const PrivateKey* key = key_for(creds.keys, leaf);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->public_key().der(), leaf.public_key().der());
  EXPECT_EQ(key_for(creds.keys, c.root.cert()), nullptr);
  auto chain = creds.trust.verify(leaf, {creds.certs[0].certs[1]});
  EXPECT_TRUE(chain) << chain.error().text();
}

TEST_F(SwanctlDirs, ReadableKeysAndBrokenFilesAreReported) {
  test::pki::Chain c = test::pki::make_chain(KeyKind::Ed25519);
  write("private/group.pem", pem_of_key(c.leaf), fs::perms(0640));
  write("private/world.pem", pem_of_key(c.leaf), fs::perms(0604));
  write("private/good.pem", pem_of_key(c.leaf), fs::perms(0400));
  write("x509/broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  write("x509ca/leaf-not-ca.pem", c.leaf.pem());
  SwanctlCredentials creds = load_swanctl_credentials(dir_.string());
  ASSERT_EQ(creds.keys.size(), 1u);
  EXPECT_NE(creds.keys[0].path.find("good.pem"), std::string::npos);
  ASSERT_EQ(creds.problems.size(), 4u);
  int refused = 0;
  for (const auto& p : creds.problems) {
    if (p.find("chmod 600") != std::string::npos) ++refused;
  }
  EXPECT_EQ(refused, 2);
  auto direct = load_private_key_file((dir_ / "private/group.pem").string());
  ASSERT_FALSE(direct);
  EXPECT_NE(direct.error().message.find("0640"), std::string::npos);
  EXPECT_FALSE(load_private_key_file((dir_ / "private/missing.pem").string()));
  EXPECT_TRUE(creds.certs.empty());
  EXPECT_TRUE(creds.trust.cas().empty());
}

TEST(SwanctlDirsMissing, EmptyResult) {
  SwanctlCredentials creds = load_swanctl_credentials("/nonexistent/portunus");
  EXPECT_TRUE(creds.certs.empty());
  EXPECT_TRUE(creds.keys.empty());
  EXPECT_TRUE(creds.problems.empty());
}

}  // namespace
}  // namespace portunus::crypto
