// HMAC over OpenSSL's low-level SHA functions (hmac_sha.cpp) against OpenSSL's own EVP_MAC
// HMAC: every key length around the block sizes (RFC 2104's key hashing and padding), the
// message fed in random pieces, restarts and re-keying.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "portunus/crypto/mac.h"

namespace portunus::crypto::detail {
namespace {

constexpr const char* kDigests[] = {"SHA1", "SHA2-256", "SHA2-384", "SHA2-512"};

Bytes mac_in_pieces(MacEngine& m, BytesView msg, std::mt19937& rng) {
  EXPECT_TRUE(m.begin());
  while (!msg.empty()) {
    size_t take = std::uniform_int_distribution<size_t>(0, msg.size())(rng);
    EXPECT_TRUE(m.update(msg.first(take)));
    msg = msg.subspan(take);
  }
  Bytes out(m.size());
  EXPECT_TRUE(m.finish(out.data()));
  return out;
}

Bytes random_bytes(std::mt19937& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(ShaHmac, MatchesEvpMacForEveryKeyLengthAndSplit) {
  std::mt19937 rng(7);
  for (const char* d : kDigests) {
    SCOPED_TRACE(d);
    auto ours = make_sha_hmac_engine(d);
    auto ref = make_evp_hmac_engine(d);
    ASSERT_NE(ours, nullptr);
    ASSERT_NE(ref, nullptr);
    for (size_t key_len = 0; key_len <= 260; ++key_len) {
      SCOPED_TRACE(key_len);
      Bytes key = random_bytes(rng, key_len);
      ASSERT_TRUE(ours->set_key(key));
      ASSERT_TRUE(ref->set_key(key));
      ASSERT_EQ(ours->size(), ref->size());  // EVP_MAC knows its size once keyed
      for (size_t msg_len : {size_t{0}, size_t{1}, key_len, size_t{300}}) {
        Bytes msg = random_bytes(rng, msg_len);
        EXPECT_EQ(mac_in_pieces(*ours, msg, rng), mac_in_pieces(*ref, msg, rng));
      }
    }
  }
}

// RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe"): an independent fixed point.
TEST(ShaHmac, Rfc4231TestCase2) {
  auto m = make_sha_hmac_engine("SHA2-256");
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->set_key(as_bytes("Jefe")));
  std::mt19937 rng(1);
  EXPECT_EQ(hex_encode(mac_in_pieces(*m, as_bytes("what do ya want for nothing?"), rng)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(ShaHmac, RestartAndRekeyStartFromTheKeyedState) {
  std::mt19937 rng(3);
  auto m = make_sha_hmac_engine("SHA2-256");
  ASSERT_NE(m, nullptr);
  Bytes msg = random_bytes(rng, 100);
  ASSERT_TRUE(m->set_key(as_bytes("first key")));
  Bytes a = mac_in_pieces(*m, msg, rng);
  // A half-fed message must not leak into the next one.
  ASSERT_TRUE(m->begin());
  ASSERT_TRUE(m->update(msg));
  EXPECT_EQ(mac_in_pieces(*m, msg, rng), a);
  ASSERT_TRUE(m->set_key(as_bytes("second key")));
  Bytes b = mac_in_pieces(*m, msg, rng);
  EXPECT_NE(a, b);
  ASSERT_TRUE(m->set_key(as_bytes("first key")));
  EXPECT_EQ(mac_in_pieces(*m, msg, rng), a);
}

TEST(ShaHmac, UnkeyedEngineRefusesToStart) {
  auto m = make_sha_hmac_engine("SHA1");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->begin());
}

TEST(ShaHmac, OnlyShaDigests) {
  EXPECT_EQ(make_sha_hmac_engine("MD5"), nullptr);
  EXPECT_EQ(make_sha_hmac_engine("SHA3-256"), nullptr);
}

}  // namespace
}  // namespace portunus::crypto::detail
