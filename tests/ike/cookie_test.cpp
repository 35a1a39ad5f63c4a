#include "portunus/ike/cookie.h"

#include <gtest/gtest.h>

#include "test_random.h"

namespace portunus::ike {
namespace {

using namespace std::chrono_literals;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
Instant at(Duration d) { return Instant{} + d; }

struct CookieFixture : ::testing::Test {
  testing::CounterRandom rng{42};
  Bytes ni = Bytes(32, 0x5a);
  IpAddress addr = ip("192.0.2.1");
  uint64_t spi = 0x0123456789abcdefull;
};

TEST_F(CookieFixture, RoundTrip) {
  CookieSecret secret(rng, at(0s));
  Bytes c = secret.make(ni, addr, spi, at(1s));
  EXPECT_EQ(c.size(), kCookieSize);
  EXPECT_TRUE(cookie_size_valid(c.size()));
  EXPECT_EQ(load_be32(c.data()), secret.version());
  EXPECT_TRUE(secret.verify(c, ni, addr, spi, at(2s)));
  // Deterministic for the same inputs: the responder keeps no state.
  EXPECT_EQ(c, secret.make(ni, addr, spi, at(3s)));
}

TEST_F(CookieFixture, BoundToNonceAddressAndSpi) {
  CookieSecret secret(rng, at(0s));
  Bytes c = secret.make(ni, addr, spi, at(0s));
  Bytes other_ni = ni;
  other_ni[31] ^= 1;
  EXPECT_FALSE(secret.verify(c, other_ni, addr, spi, at(0s)));
  EXPECT_FALSE(secret.verify(c, ni, ip("192.0.2.2"), spi, at(0s)));
  EXPECT_FALSE(secret.verify(c, ni, ip("::ffff:192.0.2.1"), spi, at(0s)));
  EXPECT_FALSE(secret.verify(c, ni, addr, spi ^ 1, at(0s)));
}

TEST_F(CookieFixture, AddressFramingPreventsShiftedInputs) {
  // The hash covers SPIi | IPi | Ni | secret. Without the address length in front,
  // c000:201::1 followed by Ni and 192.0.2.1 followed by (the last 12 octets of that IPv6
  // address | Ni) would hash the same octets, so a cookie earned at an IPv6 address
  // would be valid for an IPv4 address the sender does not own.
  CookieSecret secret(rng, at(0s));
  IpAddress v6 = ip("c000:201::1");
  ASSERT_EQ(v6.bytes().first(4)[0], 0xc0);
  Bytes c = secret.make(ni, v6, spi, at(0s));
  Bytes shifted_ni(v6.bytes().begin() + 4, v6.bytes().end());
  shifted_ni.insert(shifted_ni.end(), ni.begin(), ni.end());
  EXPECT_FALSE(secret.verify(c, shifted_ni, ip("192.0.2.1"), spi, at(0s)));
}

TEST_F(CookieFixture, HostileCookies) {
  CookieSecret secret(rng, at(0s));
  Bytes c = secret.make(ni, addr, spi, at(0s));
  for (size_t i = 0; i < c.size(); ++i) {
    Bytes bad = c;
    bad[i] ^= 0x80;
    EXPECT_FALSE(secret.verify(bad, ni, addr, spi, at(0s))) << i;
  }
  EXPECT_FALSE(secret.verify(BytesView{}, ni, addr, spi, at(0s)));
  EXPECT_FALSE(secret.verify(BytesView(c).first(c.size() - 1), ni, addr, spi, at(0s)));
  Bytes longer = c;
  longer.push_back(0);
  EXPECT_FALSE(secret.verify(longer, ni, addr, spi, at(0s)));
  EXPECT_FALSE(cookie_size_valid(0));
  EXPECT_FALSE(cookie_size_valid(65));
  EXPECT_TRUE(cookie_size_valid(64));
}

TEST_F(CookieFixture, RotationWithGrace) {
  CookieConfig cfg;
  cfg.rotation_interval = 120s;
  cfg.grace = 30s;
  CookieSecret secret(rng, at(0s), cfg);
  const uint32_t v0 = secret.version();
  Bytes old_cookie = secret.make(ni, addr, spi, at(100s));
  // Rotation is due at 120 s; the next make uses the new secret.
  Bytes new_cookie = secret.make(ni, addr, spi, at(121s));
  EXPECT_EQ(secret.version(), v0 + 1);
  EXPECT_NE(old_cookie, new_cookie);
  EXPECT_TRUE(secret.verify(new_cookie, ni, addr, spi, at(122s)));
  EXPECT_TRUE(secret.verify(old_cookie, ni, addr, spi, at(150s)));   // within grace
  EXPECT_FALSE(secret.verify(old_cookie, ni, addr, spi, at(151s)));  // grace over
  EXPECT_TRUE(secret.verify(new_cookie, ni, addr, spi, at(151s)));
  // Two rotations later even the previous secret is gone.
  secret.rotate(at(200s));
  secret.rotate(at(201s));
  EXPECT_FALSE(secret.verify(new_cookie, ni, addr, spi, at(202s)));
}

TEST_F(CookieFixture, DifferentSecretsDifferentCookies) {
  testing::CounterRandom rng2{43};
  CookieSecret a(rng, at(0s)), b(rng2, at(0s));
  Bytes ca = a.make(ni, addr, spi, at(0s));
  EXPECT_FALSE(b.verify(ca, ni, addr, spi, at(0s)));
}

TEST(HalfOpenTracker, ThresholdsAndPerPeerLimit) {
  HalfOpenTracker t(3, 2);
  IpAddress a = ip("192.0.2.1"), b = ip("192.0.2.2"), c = ip("2001:db8::1");
  EXPECT_FALSE(t.cookie_required());
  t.opened(a);
  t.opened(a);
  EXPECT_TRUE(t.peer_blocked(a));
  EXPECT_FALSE(t.peer_blocked(b));
  EXPECT_FALSE(t.cookie_required());
  t.opened(c);
  EXPECT_TRUE(t.cookie_required());
  EXPECT_EQ(t.total(), 3u);
  t.closed(a);
  EXPECT_FALSE(t.peer_blocked(a));
  EXPECT_FALSE(t.cookie_required());
  // Unbalanced close does not underflow.
  t.closed(b);
  EXPECT_EQ(t.total(), 2u);
  t.closed(a);
  t.closed(c);
  EXPECT_EQ(t.total(), 0u);
  EXPECT_EQ(t.count(a), 0u);
  t.closed(c);
  EXPECT_EQ(t.total(), 0u);
}

}  // namespace
}  // namespace portunus::ike
