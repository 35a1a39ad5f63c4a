// Hand-assembled byte fixtures, laid out field by field after the figures of RFC 7296
// section 3 and RFC 7383 2.5, checked in both directions (decode and encode).
#include <gtest/gtest.h>

#include "ike_samples.h"
#include "portunus/wire/ike_message.h"

namespace portunus::wire {
namespace {

using namespace testing;

Bytes hex(std::string_view s) {
  std::string clean;
  for (char c : s)
    if (c != ' ') clean += c;
  auto b = hex_decode(clean);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

// Decodes a single-payload chain, checks the result and that encoding gives the same bytes.
template <class T>
T decode_single(PayloadType type, const Bytes& wire) {
  auto chain = decode_payloads(type, wire);
  EXPECT_TRUE(chain.has_value()) << (chain ? "" : describe(chain.error()));
  if (!chain) return T{};
  EXPECT_EQ(chain->size(), 1u);
  const T* p = std::get_if<T>(&chain->front());
  EXPECT_TRUE(p != nullptr);
  auto again = encode_payloads(*chain);
  EXPECT_TRUE(again.has_value());
  if (again) {
    EXPECT_EQ(hex_encode(*again), hex_encode(wire));
  }
  return p ? *p : T{};
}

TEST(IkeFixture, HeaderAndNotify) {
  // 3.1 header: SPIi, SPIr, Next Payload N (41), version 2.0, IKE_SA_INIT (34), flags I,
  // Message ID 0, Length 56; then 3.10 Notify NAT_DETECTION_SOURCE_IP (16388) with 20 octets.
  Bytes wire =
      hex("0123456789abcdef 0000000000000000 29 20 22 08 00000000 00000038"
          "00 00 001c 00 00 4004 000102030405060708090a0b0c0d0e0f10111213");
  auto m = decode_message(wire);
  ASSERT_TRUE(m.has_value()) << describe(m.error());
  EXPECT_EQ(m->header.initiator_spi, 0x0123456789abcdefULL);
  EXPECT_EQ(m->header.responder_spi, 0u);
  EXPECT_EQ(m->header.major_version, 2);
  EXPECT_EQ(m->header.minor_version, 0);
  EXPECT_EQ(m->header.exchange, ExchangeType::IkeSaInit);
  EXPECT_TRUE(m->header.initiator);
  EXPECT_FALSE(m->header.response);
  EXPECT_FALSE(m->header.higher_version);
  ASSERT_EQ(m->payloads.size(), 1u);
  const auto& n = std::get<NotifyPayload>(m->payloads[0]);
  EXPECT_EQ(n.type, NotifyType::NatDetectionSourceIp);
  EXPECT_EQ(n.protocol, 0);
  EXPECT_TRUE(n.spi.empty());
  EXPECT_EQ(hex_encode(n.data), "000102030405060708090a0b0c0d0e0f10111213");
  auto again = encode_message(*m);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(hex_encode(*again), hex_encode(wire));
}

TEST(IkeFixture, ResponseFlagsAndVersion) {
  Bytes wire = hex("0000000000000001 0000000000000002 00 2f 25 30 0000002a 0000001c");
  auto m = decode_message(wire);
  ASSERT_TRUE(m.has_value()) << describe(m.error());
  EXPECT_EQ(m->header.minor_version, 15);  // 3.1: minor version ignored, but kept
  EXPECT_EQ(m->header.exchange, ExchangeType::Informational);
  EXPECT_TRUE(m->header.response);
  EXPECT_TRUE(m->header.higher_version);
  EXPECT_FALSE(m->header.initiator);
  EXPECT_EQ(m->header.message_id, 42u);
  EXPECT_TRUE(m->payloads.empty());
}

TEST(IkeFixture, SecurityAssociation) {
  // 3.3: one IKE proposal (#1, SPI size 0, 4 transforms): ENCR_AES_CBC with Key Length 256
  // (TV attribute 0x800e), PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, group 19.
  Bytes wire =
      hex("00 00 0030"
          "00 00 002c 01 01 00 04"
          "03 00 000c 01 00 000c 800e 0100"
          "03 00 0008 02 00 0005"
          "03 00 0008 03 00 000c"
          "00 00 0008 04 00 0013");
  auto sa = decode_single<SaPayload>(PayloadType::SecurityAssociation, wire);
  ASSERT_EQ(sa.proposals.size(), 1u);
  const Proposal& p = sa.proposals[0];
  EXPECT_EQ(p.number, 1);
  EXPECT_EQ(p.protocol, ProtocolId::Ike);
  EXPECT_TRUE(p.spi.empty());
  using T = crypto::TransformType;
  ASSERT_EQ(p.transforms.size(), 4u);
  EXPECT_EQ(p.transforms[0], tr(T::Encr, 12, 256));
  EXPECT_EQ(p.transforms[1], tr(T::Prf, 5));
  EXPECT_EQ(p.transforms[2], tr(T::Integ, 12));
  EXPECT_EQ(p.transforms[3], tr(T::Ke, 19));
}

TEST(IkeFixture, EspProposalWithSpiAndUnknownAttributes) {
  // Proposal #2 of ESP with a 4-octet SPI; its one transform carries a TLV attribute of type 7
  // (3 octets) and a TV attribute of type 9 next to the Key Length.
  Bytes wire =
      hex("00 00 0027"
          "00 00 0023 02 03 04 01 aabbccdd"
          "00 00 0017 01 00 0014 800e 0080 0007 0003 010203 8009 1234");
  // The odd TLV length leaves the transform at 23 octets: attributes are not padded (3.3.5).
  auto sa = decode_single<SaPayload>(PayloadType::SecurityAssociation, wire);
  ASSERT_EQ(sa.proposals.size(), 1u);
  EXPECT_EQ(sa.proposals[0].number, 2);
  EXPECT_EQ(sa.proposals[0].protocol, ProtocolId::Esp);
  EXPECT_EQ(hex_encode(sa.proposals[0].spi), "aabbccdd");
  ASSERT_EQ(sa.proposals[0].transforms.size(), 1u);
  const Transform& t = sa.proposals[0].transforms[0];
  EXPECT_EQ(t.key_bits, 128);
  ASSERT_EQ(t.other_attributes.size(), 2u);
  EXPECT_EQ(t.other_attributes[0], (TransformAttribute{7, false, {1, 2, 3}}));
  EXPECT_EQ(t.other_attributes[1], (TransformAttribute{9, true, {0x12, 0x34}}));
}

TEST(IkeFixture, KeyExchange) {
  // 3.4: group 31 (Curve25519), RESERVED, 32 octets of public value.
  Bytes value = pattern(32, 0x40);
  Bytes wire = hex("00 00 0028 001f 0000");
  wire.insert(wire.end(), value.begin(), value.end());
  auto ke = decode_single<KePayload>(PayloadType::KeyExchange, wire);
  EXPECT_EQ(ke.group, crypto::KeGroup::Curve25519);
  EXPECT_EQ(ke.data, value);
}

TEST(IkeFixture, IdentificationFqdn) {
  auto id = decode_single<IdiPayload>(PayloadType::IdInitiator, hex("00 00 000b 02 000000 612e62"));
  EXPECT_EQ(id.id_type, IdType::Fqdn);
  EXPECT_EQ(std::string(id.data.begin(), id.data.end()), "a.b");
  auto idr = decode_single<IdrPayload>(PayloadType::IdResponder, hex("00 00 000c 01 000000 c0000201"));
  EXPECT_EQ(idr.id_type, IdType::Ipv4Addr);
}

TEST(IkeFixture, AuthenticationPsk) {
  auto auth = decode_single<AuthPayload>(PayloadType::Authentication, hex("00 00 000c 02 000000 deadbeef"));
  EXPECT_EQ(auth.method, crypto::AuthMethod::SharedKeyMic);
  EXPECT_EQ(hex_encode(auth.data), "deadbeef");
}

TEST(IkeFixture, NotifyWithSpi) {
  // 3.10: REKEY_SA (16393) for ESP (3) with a 4-octet SPI and no data.
  auto n = decode_single<NotifyPayload>(PayloadType::Notify, hex("00 00 000c 03 04 4009 c0ffee01"));
  EXPECT_EQ(n.protocol, 3);
  EXPECT_EQ(n.type, NotifyType::RekeySa);
  EXPECT_EQ(hex_encode(n.spi), "c0ffee01");
  EXPECT_TRUE(n.data.empty());
}

TEST(IkeFixture, DeleteEsp) {
  auto d = decode_single<DeletePayload>(PayloadType::Delete, hex("00 00 0010 03 04 0002 11223344 55667788"));
  EXPECT_EQ(d.protocol, ProtocolId::Esp);
  EXPECT_EQ(d.spis, (std::vector<uint32_t>{0x11223344, 0x55667788}));
  auto ike = decode_single<DeletePayload>(PayloadType::Delete, hex("00 00 0008 01 00 0000"));
  EXPECT_EQ(ike.protocol, ProtocolId::Ike);
  EXPECT_TRUE(ike.spis.empty());
}

TEST(IkeFixture, TrafficSelectorsV4AndV6) {
  // 3.13.1: TS_IPV4_ADDR_RANGE (7), UDP (17), ports 500-500, 192.0.2.0-192.0.2.255, length 16;
  // then TS_IPV6_ADDR_RANGE (8), any protocol, all ports, 2001:db8::-2001:db8::ff, length 40.
  Bytes wire =
      hex("00 00 0040 02 000000"
          "07 11 0010 01f4 01f4 c0000200 c00002ff"
          "08 00 0028 0000 ffff 20010db8000000000000000000000000 20010db80000000000000000000000ff");
  auto ts = decode_single<TsiPayload>(PayloadType::TsInitiator, wire);
  ASSERT_EQ(ts.selectors.size(), 2u);
  EXPECT_EQ(ts.selectors[0], (TrafficSelector{17, 500, 500, ip("192.0.2.0"), ip("192.0.2.255")}));
  EXPECT_EQ(ts.selectors[1], (TrafficSelector{0, 0, 65535, ip("2001:db8::"), ip("2001:db8::ff")}));
}

TEST(IkeFixture, ConfigurationRequest) {
  // 3.15: CFG_REQUEST with empty INTERNAL_IP4_ADDRESS (1) and INTERNAL_IP6_DNS (10); the
  // reserved top bit of the second attribute type is set and must be ignored.
  Bytes wire = hex("00 00 0010 01 000000 0001 0000 800a 0000");
  auto chain = decode_payloads(PayloadType::Configuration, wire);
  ASSERT_TRUE(chain.has_value()) << describe(chain.error());
  const auto& cp = std::get<ConfigPayload>(chain->front());
  EXPECT_EQ(cp.cfg_type, CfgType::Request);
  ASSERT_EQ(cp.attributes.size(), 2u);
  EXPECT_EQ(cp.attributes[0].type, ConfigAttributeType::InternalIp4Address);
  EXPECT_EQ(cp.attributes[1].type, ConfigAttributeType::InternalIp6Dns);
  auto again = encode_payloads(*chain);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(hex_encode(*again),
            "00000010"
            "01000000"
            "00010000"
            "000a0000");
}

TEST(IkeFixture, EapIdentityRequest) {
  auto eap = decode_single<EapPayload>(PayloadType::Eap, hex("00 00 0009 01 07 0005 01"));
  EXPECT_EQ(hex_encode(eap.message), "0107000501");
}

TEST(IkeFixture, CertAndCertReq) {
  auto cert = decode_single<CertPayload>(PayloadType::Certificate, hex("00 00 0008 04 308201"));
  EXPECT_EQ(cert.encoding, CertEncoding::X509Signature);
  EXPECT_EQ(hex_encode(cert.data), "308201");
  auto req = decode_single<CertReqPayload>(PayloadType::CertificateRequest, hex("00 00 0005 04"));
  EXPECT_EQ(req.encoding, CertEncoding::X509Signature);
  EXPECT_TRUE(req.data.empty());
}

TEST(IkeFixture, NonceAndVendorId) {
  Bytes wire = hex("2b 00 0014 000102030405060708090a0b0c0d0e0f 00 00 0006 abcd");
  auto chain = decode_payloads(PayloadType::Nonce, wire);
  ASSERT_TRUE(chain.has_value()) << describe(chain.error());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ(std::get<NoncePayload>((*chain)[0]).data.size(), 16u);
  EXPECT_EQ(hex_encode(std::get<VendorIdPayload>((*chain)[1]).data), "abcd");
}

TEST(IkeFixture, EncryptedPayloadIsLastAndNamesFirstInner) {
  // 3.14: header Next Payload SK (46); SK's Next Payload is IDi (35); body 8 octets.
  Bytes wire =
      hex("0123456789abcdef fedcba9876543210 2e 20 23 08 00000001 00000028"
          "23 00 000c 0001020304050607");
  auto m = decode_message(wire);
  ASSERT_TRUE(m.has_value()) << describe(m.error());
  const auto& sk = std::get<EncryptedPayload>(m->payloads.at(0));
  EXPECT_EQ(sk.first_inner, PayloadType::IdInitiator);
  EXPECT_EQ(hex_encode(sk.body), "0001020304050607");
  EXPECT_EQ(encrypted_prefix(wire, *m).size(), 32u);
  auto prefix = encode_encrypted_prefix(m->header, {}, PayloadType::IdInitiator, 8);
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(hex_encode(*prefix), hex_encode(BytesView(wire).first(32)));
}

TEST(IkeFixture, EncryptedFragment) {
  // RFC 7383 2.5: SKF (53), Next Payload IDi in fragment 1 of 2, then Fragment Number and
  // Total Fragments, then 4 octets of body.
  Bytes wire =
      hex("0123456789abcdef fedcba9876543210 35 20 23 08 00000001 00000028"
          "23 00 000c 0001 0002 a0a1a2a3");
  auto m = decode_message(wire);
  ASSERT_TRUE(m.has_value()) << describe(m.error());
  const auto& f = std::get<EncryptedFragmentPayload>(m->payloads.at(0));
  EXPECT_EQ(f.first_inner, PayloadType::IdInitiator);
  EXPECT_EQ(f.fragment_number, 1);
  EXPECT_EQ(f.total_fragments, 2);
  EXPECT_EQ(hex_encode(f.body), "a0a1a2a3");
  auto prefix = encode_fragment_prefix(m->header, PayloadType::IdInitiator, 1, 2, 4);
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(hex_encode(*prefix), hex_encode(BytesView(wire).first(36)));
}

TEST(IkeFixture, UnknownPayloadsKeepCriticalBit) {
  // Type 99 with the critical bit (and reserved bits, ignored) set, then type 100 without it.
  Bytes wire = hex("64 ff 0006 abcd 00 00 0004");
  auto chain = decode_payloads(static_cast<PayloadType>(99), wire);
  ASSERT_TRUE(chain.has_value()) << describe(chain.error());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ(std::get<UnknownPayload>((*chain)[0]), (UnknownPayload{99, true, {0xab, 0xcd}}));
  EXPECT_EQ(std::get<UnknownPayload>((*chain)[1]), (UnknownPayload{100, false, {}}));
  auto again = encode_payloads(*chain);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(hex_encode(*again), "64800006abcd00000004");  // reserved bits sent as zero
}

TEST(IkeFixture, CriticalBitOnKnownPayloadIgnored) {
  // 2.5: the critical bit only matters for payloads the recipient does not understand.
  auto chain = decode_payloads(PayloadType::VendorId, hex("00 80 0005 01"));
  ASSERT_TRUE(chain.has_value());
  auto again = encode_payloads(*chain);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(hex_encode(*again), "0000000501");
}

TEST(IkeFixture, DecodeHeaderToleratesBadVersion) {
  // A responder answers INVALID_MAJOR_VERSION with the peer's SPIs, so the header must be
  // readable even when decode_message refuses the version.
  Bytes wire = hex("0123456789abcdef 0000000000000000 00 30 22 08 00000000 0000001c");
  auto full = decode_message(wire);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, DecodeErrorCode::BadVersion);
  uint32_t length = 0;
  auto h = decode_header(wire, &length);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->major_version, 3);
  EXPECT_EQ(h->initiator_spi, 0x0123456789abcdefULL);
  EXPECT_EQ(length, 28u);
}

TEST(IkeDescribe, NamesPayloadsAndFields) {
  std::string text = describe(sa_init_request());
  EXPECT_NE(text.find("IKE_SA_INIT request #0"), std::string::npos) << text;
  EXPECT_NE(text.find("ENCR_AES_GCM_16/256"), std::string::npos) << text;
  EXPECT_NE(text.find("KE: group ECP_256 (19)"), std::string::npos) << text;
  EXPECT_NE(text.find("N(NAT_DETECTION_SOURCE_IP)"), std::string::npos) << text;
  EXPECT_NE(text.find("N(IKEV2_FRAGMENTATION_SUPPORTED)"), std::string::npos) << text;
  std::string inner;
  for (const auto& p : auth_request_inner()) inner += describe(p) + "\n";
  EXPECT_NE(inner.find("IDi: ID_FQDN 'moon'"), std::string::npos) << inner;
  EXPECT_NE(inner.find("IDr: ID_IPV4_ADDR 192.0.2.1"), std::string::npos) << inner;
  EXPECT_NE(inner.find("10.1.0.0-10.1.255.255 proto 6 ports 0-65535"), std::string::npos) << inner;
  EXPECT_NE(inner.find("CP: CFG_REQUEST"), std::string::npos) << inner;
  EXPECT_NE(inner.find("AUTH: SHARED_KEY_MIC, 32 octets"), std::string::npos) << inner;
  std::string odd = describe(with_unknown_payloads());
  EXPECT_NE(odd.find("PAYLOAD_200 (critical)"), std::string::npos) << odd;
  EXPECT_NE(odd.find("N(STATUS_40000)"), std::string::npos) << odd;
}

TEST(IkeDescribe, DecodeErrorText) {
  DecodeError e{DecodeErrorCode::InvalidSyntax, 44, 33, "proposal numbers not consecutive"};
  EXPECT_EQ(describe(e), "INVALID_SYNTAX at offset 44 in SA: proposal numbers not consecutive");
}

}  // namespace
}  // namespace portunus::wire
