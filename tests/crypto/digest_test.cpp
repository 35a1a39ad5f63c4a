#include "portunus/crypto/digest.h"

#include <gtest/gtest.h>

namespace portunus::crypto {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// FIPS 180-2 appendix examples: "abc".
TEST(Digest, PublishedAbcValues) {
  Bytes sha1(20), sha256(32);
  ASSERT_TRUE(digest(DigestId::Sha1, {as_bytes("abc")}, sha1));
  EXPECT_EQ(sha1, hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
  ASSERT_TRUE(digest(DigestId::Sha2_256, {as_bytes("abc")}, sha256));
  EXPECT_EQ(sha256, hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST(Digest, PartsAreConcatenatedAndCallsIndependent) {
  Bytes whole(32), split(32);
  ASSERT_TRUE(digest(DigestId::Sha2_256, {as_bytes("abc")}, whole));
  // Interleave another hash: the reused per-thread context must start afresh each call.
  Bytes other(20);
  ASSERT_TRUE(digest(DigestId::Sha1, {as_bytes("xyz")}, other));
  ASSERT_TRUE(digest(DigestId::Sha2_256, {as_bytes("a"), BytesView{}, as_bytes("bc")}, split));
  EXPECT_EQ(whole, split);
}

TEST(Digest, WrongOutputSizeIsRefused) {
  Bytes out(19);
  EXPECT_FALSE(digest(DigestId::Sha1, {as_bytes("abc")}, out));
  EXPECT_EQ(digest_size(DigestId::Sha1), 20u);
  EXPECT_EQ(digest_size(DigestId::Sha2_256), 32u);
}

}  // namespace
}  // namespace portunus::crypto
