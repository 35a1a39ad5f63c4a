#include "portunus/ike/proposal_select.h"

#include <gtest/gtest.h>

namespace portunus::ike {
namespace {

using crypto::EncrId;
using crypto::IntegId;
using crypto::KeGroup;
using crypto::PrfId;
using crypto::TransformType;
using wire::Proposal;
using wire::ProtocolId;
using wire::Transform;

Transform encr(EncrId id, uint16_t bits = 0) {
  return {TransformType::Encr, static_cast<uint16_t>(id), bits};
}
Transform prf(PrfId id) { return {TransformType::Prf, static_cast<uint16_t>(id), 0}; }
Transform integ(IntegId id) { return {TransformType::Integ, static_cast<uint16_t>(id), 0}; }
Transform ke(KeGroup id) { return {TransformType::Ke, static_cast<uint16_t>(id), 0}; }
Transform esn(bool on) { return {TransformType::Esn, static_cast<uint16_t>(on ? 1 : 0), 0}; }

Proposal ike(uint8_t number, std::vector<Transform> t) { return {number, ProtocolId::Ike, {}, std::move(t)}; }
Proposal esp(uint8_t number, std::vector<Transform> t, Bytes spi = {0x11, 0x22, 0x33, 0x44}) {
  return {number, ProtocolId::Esp, std::move(spi), std::move(t)};
}

// strongSwan's default IKE proposal shape: aes256-aes128-sha256-sha384-x25519-ecp256.
Proposal ike_cbc(uint8_t n) {
  return ike(n, {encr(EncrId::AesCbc, 256), encr(EncrId::AesCbc, 128), prf(PrfId::HmacSha2_256),
                 prf(PrfId::HmacSha2_384), integ(IntegId::HmacSha2_256_128), integ(IntegId::HmacSha2_384_192),
                 ke(KeGroup::Curve25519), ke(KeGroup::Ecp256)});
}
Proposal ike_gcm(uint8_t n) {
  return ike(n, {encr(EncrId::AesGcm16, 256), encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256),
                 ke(KeGroup::Curve25519), ke(KeGroup::Modp2048)});
}

TEST(ProposalSelect, ResponderPrefersItsOwnOrderByDefault) {
  std::vector<Proposal> offered = {ike_cbc(1), ike_gcm(2)};
  std::vector<Proposal> configured = {ike_gcm(1), ike_cbc(2)};
  auto chosen = select_proposal(offered, configured, ProposalKind::IkeSaInit);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->number, 2);  // the initiator's number of the GCM proposal
  EXPECT_EQ(chosen->transforms, (std::vector<Transform>{encr(EncrId::AesGcm16, 256), prf(PrfId::HmacSha2_256),
                                                        ke(KeGroup::Curve25519)}));
}

TEST(ProposalSelect, InitiatorOrderWhenConfigured) {
  std::vector<Proposal> offered = {ike_cbc(1), ike_gcm(2)};
  std::vector<Proposal> configured = {ike_gcm(1), ike_cbc(2)};
  SelectOptions o;
  o.prefer_initiator_order = true;
  auto chosen = select_proposal(offered, configured, ProposalKind::IkeSaInit, o);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->number, 1);
  EXPECT_EQ(transform_id(*chosen, TransformType::Encr), uint16_t(EncrId::AesCbc));
  EXPECT_EQ(chosen->transforms[0].key_bits, 256);
  EXPECT_EQ(transform_id(*chosen, TransformType::Integ), uint16_t(IntegId::HmacSha2_256_128));
}

TEST(ProposalSelect, TransformPreferenceFollowsThePreferredSide) {
  Proposal offered = ike(1, {encr(EncrId::AesCbc, 128), encr(EncrId::AesCbc, 256), prf(PrfId::HmacSha2_256),
                             integ(IntegId::HmacSha2_256_128), ke(KeGroup::Ecp256), ke(KeGroup::Curve25519)});
  Proposal configured = ike_cbc(1);  // 256 before 128, x25519 before ecp256
  auto a = select_proposal(std::vector{offered}, std::vector{configured}, ProposalKind::IkeSaInit);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->transforms[0], encr(EncrId::AesCbc, 256));
  EXPECT_EQ(chosen_ke_group(*a), KeGroup::Curve25519);
  SelectOptions o;
  o.prefer_initiator_order = true;
  auto b = select_proposal(std::vector{offered}, std::vector{configured}, ProposalKind::IkeSaInit, o);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->transforms[0], encr(EncrId::AesCbc, 128));
  EXPECT_EQ(chosen_ke_group(*b), KeGroup::Ecp256);
}

TEST(ProposalSelect, ReceivedKeGroupWinsWhenAcceptable) {
  SelectOptions o;
  o.received_ke = KeGroup::Ecp256;
  auto a = select_proposal(std::vector{ike_cbc(1)}, std::vector{ike_cbc(1)}, ProposalKind::IkeSaInit, o);
  ASSERT_TRUE(a);
  EXPECT_EQ(chosen_ke_group(*a), KeGroup::Ecp256);
  // A group the responder does not accept does not override: it answers INVALID_KE_PAYLOAD
  // naming the chosen group.
  o.received_ke = KeGroup::Modp2048;
  auto b = select_proposal(std::vector{ike_cbc(1)}, std::vector{ike_cbc(1)}, ProposalKind::IkeSaInit, o);
  ASSERT_TRUE(b);
  EXPECT_EQ(chosen_ke_group(*b), KeGroup::Curve25519);
  EXPECT_NE(chosen_ke_group(*b), *o.received_ke);
}

TEST(ProposalSelect, KeyLengthMustMatch) {
  Proposal offered = ike(1, {encr(EncrId::AesCbc, 192), prf(PrfId::HmacSha2_256),
                             integ(IntegId::HmacSha2_256_128), ke(KeGroup::Ecp256)});
  EXPECT_FALSE(select_proposal(std::vector{offered}, std::vector{ike_cbc(1)}, ProposalKind::IkeSaInit));
  offered.transforms[0].key_bits = 128;
  EXPECT_TRUE(select_proposal(std::vector{offered}, std::vector{ike_cbc(1)}, ProposalKind::IkeSaInit));
}

TEST(ProposalSelect, NoCommonAlgorithmMeansNoProposalChosen) {
  Proposal offered = ike(1, {encr(EncrId::AesCbc, 256), prf(PrfId::HmacSha1), integ(IntegId::HmacSha1_96),
                             ke(KeGroup::Modp2048)});
  EXPECT_FALSE(select_proposal(std::vector{offered}, std::vector{ike_cbc(1)}, ProposalKind::IkeSaInit));
  EXPECT_FALSE(select_proposal({}, std::vector{ike_cbc(1)}, ProposalKind::IkeSaInit));
  EXPECT_FALSE(select_proposal(std::vector{ike_cbc(1)}, {}, ProposalKind::IkeSaInit));
}

TEST(ProposalSelect, MalformedOffersAreSkipped) {
  std::vector<Proposal> configured = {ike_cbc(1), ike_gcm(2)};
  // Missing PRF.
  Proposal p1 = ike(1, {encr(EncrId::AesGcm16, 128), ke(KeGroup::Curve25519)});
  // AEAD with a real integrity transform (RFC 5282 8).
  Proposal p2 = ike(2, {encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256),
                        integ(IntegId::HmacSha2_256_128), ke(KeGroup::Curve25519)});
  // AEAD and classic encryption mixed.
  Proposal p3 = ike(3, {encr(EncrId::AesGcm16, 128), encr(EncrId::AesCbc, 128), prf(PrfId::HmacSha2_256),
                        integ(IntegId::HmacSha2_256_128), ke(KeGroup::Curve25519)});
  // Classic encryption without integrity.
  Proposal p4 = ike(4, {encr(EncrId::AesCbc, 128), prf(PrfId::HmacSha2_256), ke(KeGroup::Curve25519)});
  // No key exchange.
  Proposal p5 = ike(5, {encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256)});
  // Unknown transform type 6 (RFC 7296 3.3.6).
  Proposal p6 = ike_gcm(6);
  p6.transforms.push_back({static_cast<TransformType>(6), 1, 0});
  // Non-empty SPI in IKE_SA_INIT.
  Proposal p7 = ike_gcm(7);
  p7.spi = Bytes(8, 1);
  // ESN in an IKE proposal.
  Proposal p8 = ike_gcm(8);
  p8.transforms.push_back(esn(false));
  // Only KE NONE.
  Proposal p9 = ike(9, {encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256), ke(KeGroup::None)});
  // Wrong protocol.
  Proposal p10 = ike_gcm(10);
  p10.protocol = ProtocolId::Esp;
  for (const Proposal& bad : {p1, p2, p3, p4, p5, p6, p7, p8, p9, p10}) {
    EXPECT_FALSE(proposal_well_formed(bad, ProposalKind::IkeSaInit)) << int(bad.number);
    EXPECT_FALSE(select_proposal(std::vector{bad}, configured, ProposalKind::IkeSaInit)) << int(bad.number);
  }
  // ... and a good one after them is still found.
  std::vector<Proposal> offered = {p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, ike_gcm(11)};
  auto chosen = select_proposal(offered, configured, ProposalKind::IkeSaInit);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->number, 11);
}

TEST(ProposalSelect, AeadWithExplicitIntegNoneIsAccepted) {
  Proposal offered = ike(1, {encr(EncrId::AesGcm16, 256), prf(PrfId::HmacSha2_256), integ(IntegId::None),
                             ke(KeGroup::Curve25519)});
  auto chosen = select_proposal(std::vector{offered}, std::vector{ike_gcm(1)}, ProposalKind::IkeSaInit);
  ASSERT_TRUE(chosen);
  // Echoed because the initiator sent the type.
  EXPECT_EQ(transform_id(*chosen, TransformType::Integ), 0);
  EXPECT_TRUE(
      validate_selected_proposal(std::vector{*chosen}, std::vector{offered}, ProposalKind::IkeSaInit));
}

TEST(ProposalSelect, IntegNoneBesideClassicEncryptionIsNeverChosen) {
  Proposal offered =
      esp(1, {encr(EncrId::AesCbc, 128), integ(IntegId::None), integ(IntegId::HmacSha2_256_128), esn(false)});
  Proposal configured = esp(
      1, {encr(EncrId::AesCbc, 128), integ(IntegId::None), integ(IntegId::HmacSha2_256_128), esn(false)}, {});
  auto chosen = select_proposal(std::vector{offered}, std::vector{configured}, ProposalKind::ChildSa);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(transform_id(*chosen, TransformType::Integ), uint16_t(IntegId::HmacSha2_256_128));
}

Proposal esp_conf(std::vector<Transform> t) { return esp(1, std::move(t), {}); }

TEST(ProposalSelect, EspFamilies) {
  Proposal gcm = esp(1, {encr(EncrId::AesGcm16, 128), encr(EncrId::AesGcm16, 256), esn(false), esn(true)});
  Proposal cbc = esp(2, {encr(EncrId::AesCbc, 128), integ(IntegId::HmacSha2_256_128), esn(false)});
  Proposal chacha = esp(3, {encr(EncrId::ChaCha20Poly1305), esn(false)});
  std::vector<Proposal> offered = {gcm, cbc, chacha};

  auto a = select_proposal(offered, std::vector{esp_conf({encr(EncrId::ChaCha20Poly1305), esn(false)})},
                           ProposalKind::ChildSa);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->number, 3);
  EXPECT_EQ(a->spi, chacha.spi);
  EXPECT_EQ(a->transforms, (std::vector<Transform>{encr(EncrId::ChaCha20Poly1305), esn(false)}));

  auto b =
      select_proposal(offered,
                      std::vector{esp_conf({encr(EncrId::AesGcm16, 256), esn(true)}),
                                  esp_conf({encr(EncrId::AesCbc, 128), integ(IntegId::HmacSha2_256_128)})},
                      ProposalKind::ChildSa);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->number, 1);
  EXPECT_EQ(b->transforms, (std::vector<Transform>{encr(EncrId::AesGcm16, 256), esn(true)}));

  // Configured without ESN means "no ESN": matches an offer of NO_ESN, not one of ESN only.
  auto c = select_proposal(std::vector{esp(1, {encr(EncrId::AesGcm16, 128), esn(true)})},
                           std::vector{esp_conf({encr(EncrId::AesGcm16, 128)})}, ProposalKind::ChildSa);
  EXPECT_FALSE(c);
  auto d = select_proposal(std::vector{esp(1, {encr(EncrId::AesGcm16, 128)})},
                           std::vector{esp_conf({encr(EncrId::AesGcm16, 128), esn(false)})},
                           ProposalKind::ChildSa);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->transforms, (std::vector<Transform>{encr(EncrId::AesGcm16, 128)}));  // no ESN type echoed
}

TEST(ProposalSelect, EspRejectsPrfAndBadSpi) {
  Proposal with_prf = esp(1, {encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256), esn(false)});
  EXPECT_FALSE(proposal_well_formed(with_prf, ProposalKind::ChildSa));
  Proposal short_spi = esp(1, {encr(EncrId::AesGcm16, 128), esn(false)}, {1, 2, 3});
  EXPECT_FALSE(proposal_well_formed(short_spi, ProposalKind::ChildSa));
  Proposal no_integ = esp(1, {encr(EncrId::AesCbc, 128), esn(false)});
  EXPECT_FALSE(proposal_well_formed(no_integ, ProposalKind::ChildSa));
}

TEST(ProposalSelect, PfsKeNegotiation) {
  Proposal pfs =
      esp(1, {encr(EncrId::AesGcm16, 128), ke(KeGroup::Curve25519), ke(KeGroup::Ecp256), esn(false)});
  Proposal pfs_optional =
      esp(1, {encr(EncrId::AesGcm16, 128), ke(KeGroup::Ecp256), ke(KeGroup::None), esn(false)});
  Proposal no_pfs = esp(1, {encr(EncrId::AesGcm16, 128), esn(false)});
  Proposal conf_pfs = esp_conf({encr(EncrId::AesGcm16, 128), ke(KeGroup::Ecp256), esn(false)});
  Proposal conf_none = esp_conf({encr(EncrId::AesGcm16, 128), esn(false)});

  auto a = select_proposal(std::vector{pfs}, std::vector{conf_pfs}, ProposalKind::ChildSa);
  ASSERT_TRUE(a);
  EXPECT_EQ(chosen_ke_group(*a), KeGroup::Ecp256);
  // The responder requires PFS, the initiator offers none.
  EXPECT_FALSE(select_proposal(std::vector{no_pfs}, std::vector{conf_pfs}, ProposalKind::ChildSa));
  // The initiator requires PFS, the responder has none configured.
  EXPECT_FALSE(select_proposal(std::vector{pfs}, std::vector{conf_none}, ProposalKind::ChildSa));
  // The initiator makes it optional: KE NONE is chosen and echoed.
  auto b = select_proposal(std::vector{pfs_optional}, std::vector{conf_none}, ProposalKind::ChildSa);
  ASSERT_TRUE(b);
  ASSERT_TRUE(transform_id(*b, TransformType::Ke));
  EXPECT_EQ(chosen_ke_group(*b), KeGroup::None);
  auto c = select_proposal(std::vector{no_pfs}, std::vector{conf_none}, ProposalKind::ChildSa);
  ASSERT_TRUE(c);
  EXPECT_FALSE(transform_id(*c, TransformType::Ke));
}

TEST(ProposalSelect, IkeRekeyNeedsEightOctetSpi) {
  Proposal p = ike_gcm(1);
  EXPECT_FALSE(select_proposal(std::vector{p}, std::vector{ike_gcm(1)}, ProposalKind::IkeRekey));
  p.spi = {1, 2, 3, 4, 5, 6, 7, 8};
  auto chosen = select_proposal(std::vector{p}, std::vector{ike_gcm(1)}, ProposalKind::IkeRekey);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->spi, p.spi);
}

// ---- initiator side ----

TEST(ProposalReply, AcceptsWhatTheResponderChose) {
  std::vector<Proposal> offered = {ike_cbc(1), ike_gcm(2)};
  auto chosen = select_proposal(offered, std::vector{ike_gcm(1)}, ProposalKind::IkeSaInit);
  ASSERT_TRUE(chosen);
  auto ok = validate_selected_proposal(std::vector{*chosen}, offered, ProposalKind::IkeSaInit);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, *chosen);
}

TEST(ProposalReply, RejectsHostileReplies) {
  using E = ProposalReplyError;
  std::vector<Proposal> offered = {ike_cbc(1), ike_gcm(2)};
  Proposal good = ike(2, {encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256), ke(KeGroup::Modp2048)});
  ASSERT_TRUE(validate_selected_proposal(std::vector{good}, offered, ProposalKind::IkeSaInit));

  auto err = [&](std::vector<Proposal> reply) {
    auto r = validate_selected_proposal(reply, offered, ProposalKind::IkeSaInit);
    return r ? std::optional<E>() : std::optional<E>(r.error());
  };
  EXPECT_EQ(err({}), E::NotExactlyOne);
  EXPECT_EQ(err({good, good}), E::NotExactlyOne);
  Proposal wrong_number = good;
  wrong_number.number = 3;
  EXPECT_EQ(err({wrong_number}), E::UnknownNumber);
  Proposal other_number = good;  // transforms of proposal 2 claimed under number 1
  other_number.number = 1;
  EXPECT_EQ(err({other_number}), E::NotOffered);
  Proposal with_spi = good;
  with_spi.spi = Bytes(8, 7);
  EXPECT_EQ(err({with_spi}), E::BadSpi);
  Proposal two_encr = good;
  two_encr.transforms.push_back(encr(EncrId::AesGcm16, 256));
  EXPECT_EQ(err({two_encr}), E::DuplicateType);
  Proposal other_bits = good;
  other_bits.transforms[0].key_bits = 192;
  EXPECT_EQ(err({other_bits}), E::NotOffered);
  Proposal unoffered_group = good;
  unoffered_group.transforms[2] = ke(KeGroup::Ecp384);
  EXPECT_EQ(err({unoffered_group}), E::NotOffered);
  Proposal no_ke = good;
  no_ke.transforms.pop_back();
  EXPECT_EQ(err({no_ke}), E::MissingType);
  Proposal extra_integ = good;  // INTEG was not offered in proposal 2
  extra_integ.transforms.push_back(integ(IntegId::HmacSha2_256_128));
  EXPECT_EQ(err({extra_integ}), E::NotOffered);
  Proposal unknown_type = good;
  unknown_type.transforms.push_back({static_cast<TransformType>(9), 1, 0});
  EXPECT_EQ(err({unknown_type}), E::NotOffered);
}

TEST(ProposalReply, EspSpiAndOptionalTypes) {
  using E = ProposalReplyError;
  Proposal offered =
      esp(1, {encr(EncrId::AesGcm16, 128), ke(KeGroup::Ecp256), ke(KeGroup::None), esn(false)});
  Proposal reply = esp(1, {encr(EncrId::AesGcm16, 128), esn(false)}, {0xc0, 0x01, 0xd0, 0x0d});
  // KE omitted = NONE, which was offered.
  EXPECT_TRUE(validate_selected_proposal(std::vector{reply}, std::vector{offered}, ProposalKind::ChildSa));
  Proposal zero_spi = reply;
  zero_spi.spi = {0, 0, 0, 0};
  EXPECT_EQ(
      validate_selected_proposal(std::vector{zero_spi}, std::vector{offered}, ProposalKind::ChildSa).error(),
      E::BadSpi);
  Proposal no_esn = reply;
  no_esn.transforms.pop_back();
  // ESN omitted = NO_ESN, also offered.
  EXPECT_TRUE(validate_selected_proposal(std::vector{no_esn}, std::vector{offered}, ProposalKind::ChildSa));
  Proposal strict = esp(1, {encr(EncrId::AesGcm16, 128), ke(KeGroup::Ecp256), esn(true)});
  // PFS required and ESN required: omitting either is not a choice we offered.
  EXPECT_EQ(
      validate_selected_proposal(std::vector{reply}, std::vector{strict}, ProposalKind::ChildSa).error(),
      E::NotOffered);
  Proposal r2 = esp(1, {encr(EncrId::AesGcm16, 128), esn(true)}, {1, 2, 3, 4});
  EXPECT_EQ(validate_selected_proposal(std::vector{r2}, std::vector{strict}, ProposalKind::ChildSa).error(),
            E::MissingType);
}

TEST(ProposalKe, InitialGroupAndRetry) {
  std::vector<Proposal> offered = {ike_cbc(1), ike_gcm(2)};
  EXPECT_EQ(initial_ke_group(offered), KeGroup::Curve25519);
  EXPECT_TRUE(ke_retry_acceptable(offered, KeGroup::Modp2048, KeGroup::Curve25519));
  EXPECT_TRUE(ke_retry_acceptable(offered, KeGroup::Ecp256, KeGroup::Curve25519));
  EXPECT_FALSE(ke_retry_acceptable(offered, KeGroup::Curve25519, KeGroup::Curve25519));  // same group again
  EXPECT_FALSE(ke_retry_acceptable(offered, KeGroup::Ecp521, KeGroup::Curve25519));      // never offered
  EXPECT_FALSE(ke_retry_acceptable(offered, KeGroup::None, KeGroup::Curve25519));
  EXPECT_EQ(initial_ke_group({}), KeGroup::None);

  // The responder's side of the same story: the group it wants is the chosen one.
  SelectOptions o;
  o.received_ke = KeGroup::Curve25519;
  auto chosen = select_proposal(
      offered,
      std::vector{ike(1, {encr(EncrId::AesGcm16, 128), prf(PrfId::HmacSha2_256), ke(KeGroup::Modp2048)})},
      ProposalKind::IkeSaInit, o);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen_ke_group(*chosen), KeGroup::Modp2048);
  EXPECT_TRUE(ke_retry_acceptable(offered, chosen_ke_group(*chosen), *o.received_ke));
}

TEST(ProposalSelect, AeadClassification) {
  EXPECT_TRUE(is_aead_encr(uint16_t(EncrId::AesGcm16)));
  EXPECT_TRUE(is_aead_encr(uint16_t(EncrId::ChaCha20Poly1305)));
  EXPECT_TRUE(is_aead_encr(uint16_t(EncrId::NullAuthAesGmac)));
  EXPECT_TRUE(is_aead_encr(16));  // AES-CCM-16
  EXPECT_FALSE(is_aead_encr(uint16_t(EncrId::AesCbc)));
  EXPECT_FALSE(is_aead_encr(uint16_t(EncrId::AesCtr)));
  EXPECT_FALSE(is_aead_encr(uint16_t(EncrId::Null)));
}

}  // namespace
}  // namespace portunus::ike
