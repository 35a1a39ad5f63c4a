#include <gtest/gtest.h>

#include "portunus/base/byte_reader.h"
#include "portunus/base/bytes.h"
#include "portunus/base/expected.h"
#include "portunus/base/secure_bytes.h"

namespace portunus {
namespace {

TEST(Hex, RoundTrip) {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(hex_encode(b), "007fff10");
  EXPECT_EQ(hex_decode("007FfF10"), b);
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(ByteReader, RefusesToReadPastEnd) {
  Bytes b{1, 2, 3};
  ByteReader r(b);
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_FALSE(r.u16());
  EXPECT_EQ(r.offset(), 2u);
  EXPECT_EQ(r.u8(), 3);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.bytes(1));
}

TEST(ByteWriter, PatchesLengths) {
  Bytes out;
  ByteWriter w(out);
  w.u16(0);
  w.u32(0xdeadbeef);
  w.put_be16_at(0, static_cast<uint16_t>(w.size()));
  EXPECT_EQ(hex_encode(out), "0006deadbeef");
}

TEST(SecureBytes, CopiesMovesAndCompares) {
  Bytes raw{1, 2, 3, 4};
  SecureBytes a(raw);
  SecureBytes b = a;
  EXPECT_EQ(a, b);
  SecureBytes c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT: moved-from state is defined as empty
  EXPECT_EQ(c.slice(1, 2).view()[0], 2);
  c.append(raw);
  EXPECT_EQ(c.size(), 8u);
  c.wipe();
  EXPECT_TRUE(c.empty());
}

TEST(Expected, ValueAndError) {
  Expected<int, std::string> ok = 3;
  Expected<int, std::string> bad = Unexpected(std::string("no"));
  EXPECT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "no");
  Expected<void, int> v;
  EXPECT_TRUE(v);
  Expected<void, int> e = Unexpected(7);
  EXPECT_EQ(e.error(), 7);
}

}  // namespace
}  // namespace portunus
