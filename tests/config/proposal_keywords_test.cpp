#include "portunus/config/proposal_keywords.h"

#include <gtest/gtest.h>

namespace portunus::config {
namespace {

using crypto::EncrId;
using crypto::EsnId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using crypto::TransformType;
using wire::ProtocolId;
using wire::Transform;

Transform encr(EncrId id, uint16_t bits = 0) {
  return {TransformType::Encr, static_cast<uint16_t>(id), bits};
}
Transform prf(PrfId id) { return {TransformType::Prf, static_cast<uint16_t>(id), 0}; }
Transform integ(IntegId id) { return {TransformType::Integ, static_cast<uint16_t>(id), 0}; }
Transform ke(KeGroup id) { return {TransformType::Ke, static_cast<uint16_t>(id), 0}; }
Transform esn(EsnId id) { return {TransformType::Esn, static_cast<uint16_t>(id), 0}; }

std::vector<Transform> one(std::string_view text, ProtocolId proto, bool legacy = false) {
  auto r = parse_proposals(text, proto, legacy);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
  if (!r) return {};
  EXPECT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().protocol, proto);
  return r->front().transforms;
}

TEST(ProposalKeywords, IkeAeadWithPrfAndX25519) {
  EXPECT_EQ(one("aes128gcm16-prfsha256-x25519", ProtocolId::Ike),
            (std::vector<Transform>{encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256),
                                    ke(KeGroup::Curve25519)}));
}

TEST(ProposalKeywords, ImplicitPrfFromIntegrity) {
  EXPECT_EQ(one("aes256-sha384-ecp384", ProtocolId::Ike),
            (std::vector<Transform>{encr(EncrId::AesCbc, 256), prf(PrfId::HmacSha2_384),
                                    integ(IntegId::HmacSha2_384_192), ke(KeGroup::Ecp384)}));
  EXPECT_EQ(one("aes128ctr-aesxcbc-ecp192", ProtocolId::Ike),
            (std::vector<Transform>{encr(EncrId::AesCtr, 128), prf(PrfId::Aes128Xcbc),
                                    integ(IntegId::AesXcbc96), ke(KeGroup::Ecp192)}));
  // One PRF per distinct integrity algorithm, in order.
  EXPECT_EQ(one("aes128-sha256-sha1-sha256-modp2048", ProtocolId::Ike),
            (std::vector<Transform>{encr(EncrId::AesCbc, 128), prf(PrfId::HmacSha2_256), prf(PrfId::HmacSha1),
                                    integ(IntegId::HmacSha2_256_128), integ(IntegId::HmacSha1_96),
                                    ke(KeGroup::Modp2048)}));
  // An explicit PRF is kept as given.
  EXPECT_EQ(one("aes128-aescmac-prfaescmac-curve448", ProtocolId::Ike),
            (std::vector<Transform>{encr(EncrId::AesCbc, 128), prf(PrfId::Aes128Cmac),
                                    integ(IntegId::AesCmac96), ke(KeGroup::Curve448)}));
}

TEST(ProposalKeywords, EspDefaultsToNoEsnAndKeIsPfs) {
  EXPECT_EQ(one("chacha20poly1305", ProtocolId::Esp),
            (std::vector<Transform>{encr(EncrId::ChaCha20Poly1305), esn(EsnId::NoEsn)}));
  EXPECT_EQ(one("aes128-sha256-modp3072-esn-noesn", ProtocolId::Esp),
            (std::vector<Transform>{encr(EncrId::AesCbc, 128), integ(IntegId::HmacSha2_256_128),
                                    ke(KeGroup::Modp3072), esn(EsnId::Esn), esn(EsnId::NoEsn)}));
  EXPECT_EQ(one("aes256gcm16-esn", ProtocolId::Esp),
            (std::vector<Transform>{encr(EncrId::AesGcm16, 256), esn(EsnId::Esn)}));
}

// strongSwan's sha256_96 (private-use transform 1026) for peers with the old Linux truncation.
TEST(ProposalKeywords, Sha256TruncatedTo96Bits) {
  EXPECT_EQ(one("aes128-sha256_96", ProtocolId::Esp),
            (std::vector<Transform>{encr(EncrId::AesCbc, 128), integ(IntegId::HmacSha2_256_96),
                                    esn(EsnId::NoEsn)}));
  EXPECT_EQ(one("aes128-sha2_256_96", ProtocolId::Esp), one("aes128-sha256_96", ProtocolId::Esp));
}

TEST(ProposalKeywords, Aliases) {
  EXPECT_EQ(one("aes128gcm", ProtocolId::Esp), one("aes128gcm16", ProtocolId::Esp));
  EXPECT_EQ(one("aes192gcm128", ProtocolId::Esp), one("aes192gcm16", ProtocolId::Esp));
  EXPECT_EQ(one("aes256gcm64", ProtocolId::Esp), one("aes256gcm8", ProtocolId::Esp));
  EXPECT_EQ(one("aes128gcm12", ProtocolId::Esp).front(), encr(EncrId::AesGcm12, 128));
  EXPECT_EQ(one("aes-sha1", ProtocolId::Esp), one("aes128-sha1", ProtocolId::Esp));
  EXPECT_EQ(one("AES128-SHA256", ProtocolId::Esp), one("aes128-sha256", ProtocolId::Esp));
  EXPECT_EQ(one("aes128gcm16-prfsha256-curve25519", ProtocolId::Ike),
            one("aes128gcm16-prfsha256-x25519", ProtocolId::Ike));
}

TEST(ProposalKeywords, EveryKeGroup) {
  const std::pair<const char*, KeGroup> groups[] = {{"modp1536", KeGroup::Modp1536},
                                                    {"modp2048", KeGroup::Modp2048},
                                                    {"modp3072", KeGroup::Modp3072},
                                                    {"modp4096", KeGroup::Modp4096},
                                                    {"modp6144", KeGroup::Modp6144},
                                                    {"modp8192", KeGroup::Modp8192},
                                                    {"modp1024s160", KeGroup::Modp1024s160},
                                                    {"modp2048s224", KeGroup::Modp2048s224},
                                                    {"modp2048s256", KeGroup::Modp2048s256},
                                                    {"ecp192", KeGroup::Ecp192},
                                                    {"ecp224", KeGroup::Ecp224},
                                                    {"ecp256", KeGroup::Ecp256},
                                                    {"ecp384", KeGroup::Ecp384},
                                                    {"ecp521", KeGroup::Ecp521},
                                                    {"ecp224bp", KeGroup::Brainpool224},
                                                    {"ecp256bp", KeGroup::Brainpool256},
                                                    {"ecp384bp", KeGroup::Brainpool384},
                                                    {"ecp512bp", KeGroup::Brainpool512},
                                                    {"curve25519", KeGroup::Curve25519},
                                                    {"x448", KeGroup::Curve448}};
  for (const auto& [name, id] : groups) {
    auto ts = one(std::string("aes128-sha256-") + name, ProtocolId::Ike);
    ASSERT_FALSE(ts.empty());
    EXPECT_EQ(ts.back(), ke(id)) << name;
  }
}

TEST(ProposalKeywords, ListAndDefault) {
  auto r = parse_proposals("aes128gcm16-prfsha256-x25519, default", ProtocolId::Ike);
  ASSERT_TRUE(r) << r.error().message;
  auto defaults = default_proposals(ProtocolId::Ike);
  ASSERT_GE(defaults.size(), 2u);
  ASSERT_EQ(r->size(), 1 + defaults.size());
  for (size_t i = 0; i < r->size(); ++i) EXPECT_EQ((*r)[i].number, i + 1);
  EXPECT_EQ((*r)[1].transforms, defaults[0].transforms);
  auto esp = default_proposals(ProtocolId::Esp);
  ASSERT_FALSE(esp.empty());
  for (const auto& p : esp) EXPECT_EQ(p.transforms.back(), esn(EsnId::NoEsn));
}

TEST(ProposalKeywords, LegacyNeedsTheSwitch) {
  for (const char* text : {"des-sha1", "aes128-md5"}) {
    auto r = parse_proposals(text, ProtocolId::Esp);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find("legacy"), std::string::npos) << r.error().message;
    EXPECT_TRUE(parse_proposals(text, ProtocolId::Esp, true)) << text;
  }
  auto ike = parse_proposals("aes128-sha1-modp1024", ProtocolId::Ike);
  ASSERT_FALSE(ike);
  EXPECT_EQ(
      ike.error().message,
      "algorithm 'modp1024' in proposal 'aes128-sha1-modp1024' is a legacy algorithm (RFC 8247 MUST NOT); "
      "it needs the legacy switch");
  EXPECT_TRUE(parse_proposals("aes128-sha1-modp1024", ProtocolId::Ike, true));
  EXPECT_FALSE(parse_proposals("3des-sha1-prfmd5-modp2048", ProtocolId::Ike));
  EXPECT_TRUE(parse_proposals("3des-sha1-prfmd5-modp2048", ProtocolId::Ike, true));
}

struct BadProposal {
  const char* text;
  ProtocolId proto;
  const char* message;
};

class ProposalErrors : public ::testing::TestWithParam<BadProposal> {};

TEST_P(ProposalErrors, Message) {
  auto r = parse_proposals(GetParam().text, GetParam().proto);
  ASSERT_FALSE(r) << GetParam().text;
  EXPECT_EQ(r.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ProposalErrors,
    ::testing::Values(
        BadProposal{"aes128-foo-x25519", ProtocolId::Ike,
                    "unknown algorithm 'foo' in proposal 'aes128-foo-x25519'"},
        BadProposal{
            "camellia128-sha256-x25519", ProtocolId::Ike,
            "algorithm 'camellia128' in proposal 'camellia128-sha256-x25519' is not supported by Portunus"},
        BadProposal{"aes128gcm16-x25519", ProtocolId::Ike,
                    "IKE proposal 'aes128gcm16-x25519' needs a PRF (e.g. prfsha256)"},
        BadProposal{"aes128-sha256", ProtocolId::Ike,
                    "IKE proposal 'aes128-sha256' needs a key exchange method (e.g. x25519)"},
        BadProposal{"aes128-x25519", ProtocolId::Ike,
                    "proposal 'aes128-x25519' needs an integrity algorithm"},
        BadProposal{"aes128gcm16-sha256", ProtocolId::Esp,
                    "proposal 'aes128gcm16-sha256' has an integrity algorithm with an AEAD cipher"},
        BadProposal{
            "aes128gcm16-aes128-sha256", ProtocolId::Esp,
            "proposal 'aes128gcm16-aes128-sha256' mixes AEAD and non-AEAD encryption; use two proposals"},
        BadProposal{"sha256-x25519", ProtocolId::Ike, "no encryption algorithm in proposal 'sha256-x25519'"},
        BadProposal{"aes128--sha256", ProtocolId::Esp, "empty algorithm in proposal 'aes128--sha256'"},
        BadProposal{"aes128-sha256,", ProtocolId::Esp, "empty proposal in 'aes128-sha256,'"},
        BadProposal{"aes128-sha256-prfsha256", ProtocolId::Esp,
                    "PRF in ESP proposal 'aes128-sha256-prfsha256'"},
        BadProposal{"aes128-sha256-x25519-esn", ProtocolId::Ike,
                    "esn/noesn in IKE proposal 'aes128-sha256-x25519-esn'"},
        BadProposal{"null-sha256-x25519", ProtocolId::Ike,
                    "null encryption is not allowed in IKE proposal 'null-sha256-x25519'"},
        BadProposal{"aes128-default", ProtocolId::Esp,
                    "'default' must stand alone between commas, not in 'aes128-default'"},
        BadProposal{"aes128-sha256", ProtocolId::Ah, "AH is not supported"}));

TEST(ProposalKeywords, ToStringRoundTrips) {
  for (const char* text :
       {"aes128gcm16-prfsha256-x25519", "aes256-sha384-ecp384", "aes128ctr-aesxcbc-ecp192",
        "chacha20poly1305-prfsha256-curve25519", "aes128-aes256-sha256-sha512-modp2048-ecp256bp"}) {
    auto a = parse_proposals(text, ProtocolId::Ike);
    ASSERT_TRUE(a) << a.error().message;
    auto b = parse_proposals(proposals_to_string(*a), ProtocolId::Ike);
    ASSERT_TRUE(b) << proposals_to_string(*a) << ": " << b.error().message;
    EXPECT_EQ(*a, *b) << text;
  }
  auto esp = parse_proposals("aes128gcm16, aes128-sha256-modp2048-esn, default", ProtocolId::Esp);
  ASSERT_TRUE(esp);
  EXPECT_EQ(proposal_to_string((*esp)[1]), "aes128-sha256-modp2048-esn");
  EXPECT_EQ(proposal_to_string((*esp)[0]), "aes128gcm16-noesn");
  auto again = parse_proposals(proposals_to_string(*esp), ProtocolId::Esp);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *esp);
}

}  // namespace
}  // namespace portunus::config
