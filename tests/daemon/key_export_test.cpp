#include "portunus/daemon/key_export.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace portunus::daemon {
namespace {

TEST(KeyExport, EspSaLineHasWiresharkFields) {
  auto key = SecureBytes(*hex_decode("00112233445566778899aabbccddeeffcafebabe"));
  std::string line = esp_sa_line(*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"), 0xc0ffee01,
                                 crypto::EncrId::AesGcm16, 128, key, crypto::IntegId::None, SecureBytes());
  EXPECT_EQ(line,
            "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0xc0ffee01\",\"AES-GCM with 16 octet ICV [RFC4106]\","
            "\"0x00112233445566778899aabbccddeeffcafebabe\",\"NULL\",\"\"");
  auto ik = SecureBytes(*hex_decode("0102"));
  std::string v6 = esp_sa_line(*IpAddress::parse("2001:db8::1"), *IpAddress::parse("2001:db8::2"), 0x100,
                               crypto::EncrId::AesCbc, 128, key, crypto::IntegId::HmacSha2_256_128, ik);
  EXPECT_EQ(v6.substr(0, 6), "\"IPv6\"");
  EXPECT_NE(v6.find("\"AES-CBC [RFC3602]\""), std::string::npos);
  EXPECT_NE(v6.find("\"HMAC-SHA-256-128 [RFC4868]\",\"0x0102\""), std::string::npos);
}

TEST(KeyExport, AlgorithmsWithoutAWiresharkNameDecryptWithoutCheck) {
  EXPECT_EQ(wireshark_esp_auth(crypto::IntegId::AesXcbc96), "ANY 96 bit authentication [no checking]");
  EXPECT_EQ(wireshark_esp_encr(crypto::EncrId::ChaCha20Poly1305, 256), "ChaCha20 with Poly1305 [RFC7634]");
}

TEST(KeyExport, FileIsCreatedOwnerOnlyAndAppended) {
  std::string path = "/tmp/portunus-keyexport-test-" + std::to_string(getpid());
  ::unlink(path.c_str());
  ASSERT_TRUE(append_key_line(path, "one"));
  ASSERT_TRUE(append_key_line(path, "two"));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string a, b;
  std::getline(in, a);
  std::getline(in, b);
  EXPECT_EQ(a, "one");
  EXPECT_EQ(b, "two");
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace portunus::daemon
