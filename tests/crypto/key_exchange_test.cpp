#include "portunus/crypto/key_exchange.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace portunus::crypto {
namespace {

using test::hex;

class KeyExchangeAgreement : public testing::TestWithParam<KeGroup> {};

TEST_P(KeyExchangeAgreement, BothSidesDeriveTheSameSecret) {
  const KeGroup g = GetParam();
  auto rng = make_deterministic_random(static_cast<uint64_t>(g));
  auto a = make_key_exchange(g, *rng);
  auto b = make_key_exchange(g, *rng);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ((*a)->group(), g);
  EXPECT_EQ((*a)->public_value().size(), ke_public_size(g));
  EXPECT_NE((*a)->public_value(), (*b)->public_value());
  auto s1 = (*a)->derive((*b)->public_value());
  auto s2 = (*b)->derive((*a)->public_value());
  ASSERT_TRUE(s1) << s1.error().message;
  ASSERT_TRUE(s2) << s2.error().message;
  EXPECT_TRUE(*s1 == *s2);
  EXPECT_FALSE(s1->empty());

  // Same seed, same keys: engines built on a deterministic Random are reproducible.
  auto rng2 = make_deterministic_random(static_cast<uint64_t>(g));
  auto a2 = make_key_exchange(g, *rng2);
  ASSERT_TRUE(a2);
  EXPECT_EQ((*a2)->public_value(), (*a)->public_value());
}

TEST_P(KeyExchangeAgreement, BadPeerValuesAreErrors) {
  const KeGroup g = GetParam();
  auto rng = make_deterministic_random(7);
  auto a = make_key_exchange(g, *rng);
  ASSERT_TRUE(a);
  const size_t n = ke_public_size(g);
  EXPECT_FALSE((*a)->derive(Bytes{}));
  EXPECT_FALSE((*a)->derive(Bytes(n - 1, 0x11)));
  EXPECT_FALSE((*a)->derive(Bytes(n + 1, 0x11)));
  EXPECT_FALSE((*a)->derive(Bytes(n, 0x00)));  // zero: identity / not on curve / small order
  Bytes one(n, 0);
  one.back() = 1;
  if (g != KeGroup::Curve25519 && g != KeGroup::Curve448) {
    EXPECT_FALSE((*a)->derive(one));             // MODP 1, or (0,1) not on the curve
    EXPECT_FALSE((*a)->derive(Bytes(n, 0xff)));  // >= p / coordinates out of range
    Bytes tweaked = (*a)->public_value();
    tweaked[n - 1] ^= 1;  // y changed: off the curve / outside the subgroup
    if (g != KeGroup::Modp2048 && g != KeGroup::Modp1536 && g != KeGroup::Modp3072) {
      EXPECT_FALSE((*a)->derive(tweaked));
    }
  } else {
    Bytes u1(n, 0);
    u1[0] = 1;  // little-endian u = 1: small order, all-zero shared secret
    EXPECT_FALSE((*a)->derive(u1));
  }
}

INSTANTIATE_TEST_SUITE_P(All, KeyExchangeAgreement,
                         testing::Values(KeGroup::Modp1536, KeGroup::Modp2048, KeGroup::Modp3072,
                                         KeGroup::Modp1024s160, KeGroup::Modp2048s224, KeGroup::Modp2048s256,
                                         KeGroup::Ecp192, KeGroup::Ecp224, KeGroup::Ecp256, KeGroup::Ecp384,
                                         KeGroup::Ecp521, KeGroup::Brainpool224, KeGroup::Brainpool256,
                                         KeGroup::Brainpool384, KeGroup::Brainpool512, KeGroup::Curve25519,
                                         KeGroup::Curve448),
                         [](const testing::TestParamInfo<KeGroup>& i) { return std::string(name(i.param)); });

TEST(KeyExchange, LargeModpGroupsAgree) {
  for (KeGroup g : {KeGroup::Modp4096, KeGroup::Modp6144, KeGroup::Modp8192}) {
    auto a = make_key_exchange(g, system_random());
    auto b = make_key_exchange(g, system_random());
    ASSERT_TRUE(a && b);
    auto s1 = (*a)->derive((*b)->public_value());
    auto s2 = (*b)->derive((*a)->public_value());
    ASSERT_TRUE(s1 && s2);
    EXPECT_TRUE(*s1 == *s2);
    EXPECT_EQ(s1->size(), ke_public_size(g));
  }
}

TEST(KeyExchange, LegacyGroupsNeedTheSwitch) {
  set_legacy_algorithms_allowed(false);
  EXPECT_FALSE(ke_group_supported(KeGroup::Modp1024));
  EXPECT_FALSE(make_key_exchange(KeGroup::Modp1024, system_random()));
  set_legacy_algorithms_allowed(true);
  auto a = make_key_exchange(KeGroup::Modp768, system_random());
  auto b = make_key_exchange(KeGroup::Modp1024, system_random());
  set_legacy_algorithms_allowed(false);
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)->public_value().size(), 96u);
  EXPECT_EQ((*b)->public_value().size(), 128u);
}

TEST(KeyExchange, UnknownGroupAndBadPrivateValues) {
  EXPECT_FALSE(make_key_exchange(KeGroup::None, system_random()));
  EXPECT_FALSE(make_key_exchange(static_cast<KeGroup>(99), system_random()));
  EXPECT_FALSE(make_key_exchange_from_private(KeGroup::Ecp256, Bytes(32, 0)));     // zero scalar
  EXPECT_FALSE(make_key_exchange_from_private(KeGroup::Ecp256, Bytes(32, 0xff)));  // >= n
  EXPECT_FALSE(make_key_exchange_from_private(KeGroup::Curve25519, Bytes(31, 1)));
  EXPECT_FALSE(make_key_exchange_from_private(KeGroup::Modp2048s256, Bytes(32, 0xff)));  // >= q
}

TEST(Random, DeterministicStreamIsReproducibleAndSeedDependent) {
  auto a = make_deterministic_random(1);
  auto b = make_deterministic_random(1);
  auto c = make_deterministic_random(2);
  Bytes x = a->bytes(100), y = b->bytes(100), z = c->bytes(100);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_NE(a->bytes(100), x);  // the stream advances
  EXPECT_NE(system_random().bytes(32), system_random().bytes(32));
}

}  // namespace
}  // namespace portunus::crypto
