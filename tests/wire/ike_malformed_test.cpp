// Malformed input: every truncation of a valid message, corrupted lengths and counts, and each
// RFC rule the decoder enforces. All must fail with a typed error (never crash), and the error
// must point inside the buffer. Also the encoder's refusals.
#include <gtest/gtest.h>

#include "ike_samples.h"
#include "portunus/wire/ike_message.h"

namespace portunus::wire {
namespace {

using namespace testing;
using Code = DecodeErrorCode;

Bytes hex(std::string_view s) {
  std::string clean;
  for (char c : s)
    if (c != ' ') clean += c;
  auto b = hex_decode(clean);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

// A message with the given first payload type and raw chain, length fixed up.
Bytes message_with_chain(PayloadType first, const Bytes& chain) {
  Bytes m = hex("0123456789abcdef fedcba9876543210 00 20 25 08 00000002 00000000");
  m[16] = static_cast<uint8_t>(first);
  m.insert(m.end(), chain.begin(), chain.end());
  store_be32(m.data() + 24, static_cast<uint32_t>(m.size()));
  return m;
}

// Decodes `chain` both as an inner chain and inside a message; both must fail with `code`
// at `offset` (relative to the chain).
void expect_chain_error(PayloadType first, std::string_view chain_hex, Code code, size_t offset) {
  Bytes chain = hex(chain_hex);
  auto inner = decode_payloads(first, chain);
  ASSERT_FALSE(inner.has_value()) << chain_hex;
  EXPECT_EQ(inner.error().code, code) << describe(inner.error()) << "  for " << chain_hex;
  EXPECT_EQ(inner.error().offset, offset) << describe(inner.error()) << "  for " << chain_hex;
  EXPECT_LE(inner.error().offset, chain.size());
  auto outer = decode_message(message_with_chain(first, chain));
  ASSERT_FALSE(outer.has_value()) << chain_hex;
  EXPECT_EQ(outer.error().code, code) << describe(outer.error());
  EXPECT_EQ(outer.error().offset, offset + kIkeHeaderSize) << describe(outer.error());
}

void expect_chain_ok(PayloadType first, std::string_view chain_hex) {
  auto inner = decode_payloads(first, hex(chain_hex));
  EXPECT_TRUE(inner.has_value()) << (inner ? "" : describe(inner.error())) << "  for " << chain_hex;
}

const auto SA = PayloadType::SecurityAssociation;

// --- Truncation ------------------------------------------------------------------------------

TEST(IkeMalformed, EveryTruncationOfEveryMessageFails) {
  size_t checked = 0;
  for (const Message& m : sample_messages()) {
    auto wire = encode_message(m);
    ASSERT_TRUE(wire.has_value());
    ASSERT_TRUE(decode_message(*wire).has_value());
    for (size_t n = 0; n < wire->size(); ++n) {
      BytesView cut = BytesView(*wire).first(n);
      auto r = decode_message(cut);
      ASSERT_FALSE(r.has_value()) << "prefix " << n << " of\n" << describe(m);
      EXPECT_LE(r.error().offset, n);
      // Same prefix with the header Length adjusted, so the payload parsers see the cut.
      if (n >= kIkeHeaderSize) {
        Bytes fixed(cut.begin(), cut.end());
        store_be32(fixed.data() + 24, static_cast<uint32_t>(n));
        auto r2 = decode_message(fixed);
        ASSERT_FALSE(r2.has_value()) << "length-adjusted prefix " << n << " of\n" << describe(m);
        EXPECT_LE(r2.error().offset, n);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(IkeMalformed, EveryTruncationOfEveryInnerChainFails) {
  for (const auto& chain : sample_inner_chains()) {
    auto wire = encode_payloads(chain);
    ASSERT_TRUE(wire.has_value());
    for (size_t n = 0; n < wire->size(); ++n) {
      auto r = decode_payloads(payload_type(chain.front()), BytesView(*wire).first(n));
      ASSERT_FALSE(r.has_value()) << "prefix " << n;
      EXPECT_LE(r.error().offset, n);
    }
  }
}

// Single-byte corruption anywhere must either fail cleanly or decode to something that
// re-encodes and re-decodes to the same message (the fuzzer's property, run on every build).
TEST(IkeMalformed, ByteCorruptionFailsOrRoundTrips) {
  size_t decoded = 0, rejected = 0;
  for (const Message& m : sample_messages()) {
    Bytes wire = *encode_message(m);
    for (size_t i = 0; i < wire.size(); ++i) {
      for (uint8_t mask : {0x01, 0x02, 0x10, 0x80, 0xff}) {
        Bytes bad = wire;
        bad[i] ^= mask;
        auto r = decode_message(bad);
        if (!r) {
          ++rejected;
          EXPECT_LE(r.error().offset, bad.size());
          continue;
        }
        ++decoded;
        auto again = encode_message(*r);
        ASSERT_TRUE(again.has_value()) << again.error().message << " at byte " << i;
        auto back = decode_message(*again);
        ASSERT_TRUE(back.has_value()) << describe(back.error()) << " at byte " << i;
        EXPECT_EQ(*back, *r) << "byte " << i << " mask " << int(mask);
      }
    }
  }
  EXPECT_GT(decoded, 0u);
  EXPECT_GT(rejected, 0u);
}

// --- IKE header ------------------------------------------------------------------------------

TEST(IkeMalformed, Header) {
  Bytes good = *encode_message(sa_init_request());
  {
    auto r = decode_message(BytesView(good).first(27));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::Truncated);
    EXPECT_EQ(r.error().offset, 0u);
    EXPECT_FALSE(decode_header(BytesView(good).first(27)).has_value());
  }
  for (uint8_t version : {0x10, 0x30, 0x00, 0xf0}) {
    Bytes bad = good;
    bad[17] = version;
    auto r = decode_message(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::BadVersion);
    EXPECT_EQ(r.error().offset, 17u);
  }
  struct Case {
    int64_t delta;
    Code code;
  };
  for (auto [len, code] : {std::pair<uint32_t, Code>{27, Code::BadMessageLength},
                           {0, Code::BadMessageLength},
                           {static_cast<uint32_t>(good.size() - 1), Code::BadMessageLength},
                           {static_cast<uint32_t>(good.size() + 1), Code::Truncated},
                           {0xffffffff, Code::Truncated}}) {
    Bytes bad = good;
    store_be32(bad.data() + 24, len);
    auto r = decode_message(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code) << len;
    EXPECT_EQ(r.error().offset, 24u);
  }
  // Trailing octets after the message (header Length shorter than the datagram).
  Bytes longer = good;
  longer.push_back(0);
  auto r = decode_message(longer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::BadMessageLength);
}

// --- Generic payload header ------------------------------------------------------------------

TEST(IkeMalformed, PayloadLengths) {
  // Length 0 and 3, including a payload that names itself as next: no loop, an error.
  expect_chain_error(PayloadType::VendorId, "2b 00 0000", Code::BadPayloadLength, 2);
  expect_chain_error(PayloadType::VendorId, "2b 00 0003 2b000003", Code::BadPayloadLength, 2);
  // Length 4 payloads naming themselves end at the data's end.
  expect_chain_error(PayloadType::VendorId, "2b 00 0004 2b 00 0004 2b 00 0004", Code::Truncated, 12);
  expect_chain_error(PayloadType::VendorId, "00 00 0009 aabbcc", Code::BadPayloadLength, 2);
  expect_chain_error(PayloadType::VendorId, "00 00", Code::Truncated, 0);
  expect_chain_error(PayloadType::VendorId, "", Code::Truncated, 0);
  expect_chain_error(PayloadType::VendorId, "00 00 0005 aa bb", Code::BadPayloadLength, 5);  // trailing
  expect_chain_error(PayloadType::NoNext, "00 00 0004", Code::BadPayloadLength, 0);
  // The chain offset is added to inner-chain errors.
  auto r = decode_payloads(PayloadType::VendorId, hex("2b 00 0000"), 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 102u);
  EXPECT_EQ(r.error().payload, static_cast<uint8_t>(PayloadType::VendorId));
}

// --- SA --------------------------------------------------------------------------------------

// One IKE proposal numbered `n` with one transform (ENCR_AES_GCM_16/128); `last` its Last
// Substruc octet.
std::string proposal(std::string_view n, std::string_view last = "00") {
  return std::string(last) + " 00 0014 " + std::string(n) + " 01 00 01 00 00 000c 01 00 0014 800e 0080";
}

TEST(IkeMalformed, SaProposals) {
  expect_chain_ok(SA, "00 00 0018 " + proposal("01"));
  expect_chain_ok(SA, "00 00 0018 " + proposal("05"));  // a reply keeps the offer's number
  expect_chain_ok(SA, "00 00 002c " + proposal("01", "02") + proposal("02"));
  expect_chain_error(SA, "00 00 0004", Code::InvalidSyntax, 4);
  expect_chain_error(SA, "00 00 0018 " + proposal("00"), Code::InvalidSyntax, 8);
  expect_chain_error(SA, "00 00 002c " + proposal("01", "02") + proposal("03"), Code::InvalidSyntax, 28);
  expect_chain_error(SA, "00 00 002c " + proposal("02", "02") + proposal("03"), Code::InvalidSyntax, 8);
  expect_chain_error(SA, "00 00 002c " + proposal("01", "00") + proposal("02"), Code::InvalidSyntax, 24);
  expect_chain_error(SA, "00 00 0018 " + proposal("01", "02"), Code::InvalidSyntax, 24);
  expect_chain_error(SA, "00 00 0018 " + proposal("01", "01"), Code::InvalidSyntax, 4);
  // Proposal length below 8, beyond the SA, and a proposal header cut short.
  expect_chain_error(SA, "00 00 0018 00 00 0007 01 01 00 01 00 00 000c 01 00 0014 800e 0080",
                     Code::BadSubstructureLength, 6);
  expect_chain_error(SA, "00 00 0018 00 00 0015 01 01 00 01 00 00 000c 01 00 0014 800e 0080",
                     Code::BadSubstructureLength, 6);
  expect_chain_error(SA, "00 00 000a 00 00 0014 01 01", Code::BadSubstructureLength, 4);
  // SPI size: IKE 0 or 8, ESP/AH 4.
  expect_chain_error(SA, "00 00 0010 00 00 000c 01 01 04 00 01020304", Code::InvalidSyntax, 10);
  expect_chain_error(SA, "00 00 000c 00 00 0008 01 03 00 00", Code::InvalidSyntax, 10);
  expect_chain_ok(SA, "00 00 0010 00 00 000c 01 03 04 00 01020304");
  // Num Transforms disagreeing with the transforms present.
  expect_chain_error(SA, "00 00 0018 00 00 0014 01 01 00 02 00 00 000c 01 00 0014 800e 0080",
                     Code::InvalidSyntax, 11);
}

TEST(IkeMalformed, SaTransformsAndAttributes) {
  auto sa_with_transforms = [](std::string_view transforms, unsigned count) {
    const size_t tlen = hex(transforms).size();
    char head[64];
    std::snprintf(head, sizeof head, "00 00 %04zx 00 00 %04zx 01 01 00 %02x ", tlen + 12, tlen + 8, count);
    return std::string(head) + std::string(transforms);
  };
  expect_chain_ok(SA, sa_with_transforms("03 00 0008 02 00 0005 00 00 0008 04 00 0013", 2));
  // Last Substruc: 0 only on the last transform, 3 on the others.
  expect_chain_error(SA, sa_with_transforms("00 00 0008 02 00 0005 00 00 0008 04 00 0013", 2),
                     Code::InvalidSyntax, 20);
  expect_chain_error(SA, sa_with_transforms("03 00 0008 02 00 0005 03 00 0008 04 00 0013", 2),
                     Code::InvalidSyntax, 28);
  expect_chain_error(SA, sa_with_transforms("02 00 0008 02 00 0005", 1), Code::InvalidSyntax, 12);
  // Transform length below 8 / beyond its proposal / header cut short.
  expect_chain_error(SA, sa_with_transforms("00 00 0007 02 00 0005", 1), Code::BadSubstructureLength, 14);
  expect_chain_error(SA, sa_with_transforms("00 00 000c 02 00 0005", 1), Code::BadSubstructureLength, 14);
  expect_chain_error(SA, sa_with_transforms("00 00 0008 02 00", 1), Code::BadSubstructureLength, 12);
  // Attributes: truncated, TLV length beyond, Key Length as TLV, twice, or 0.
  expect_chain_error(SA, sa_with_transforms("00 00 000a 01 00 0014 800e", 1), Code::BadSubstructureLength,
                     20);
  expect_chain_error(SA, sa_with_transforms("00 00 000e 01 00 0014 0007 0003 0102", 1),
                     Code::BadSubstructureLength, 22);
  expect_chain_error(SA, sa_with_transforms("00 00 000e 01 00 0014 000e 0002 0080", 1), Code::InvalidSyntax,
                     20);
  expect_chain_error(SA, sa_with_transforms("00 00 0010 01 00 0014 800e 0080 800e 0100", 1),
                     Code::InvalidSyntax, 24);
  expect_chain_error(SA, sa_with_transforms("00 00 000c 01 00 0014 800e 0000", 1), Code::InvalidSyntax, 20);
}

// --- Other payloads --------------------------------------------------------------------------

TEST(IkeMalformed, FixedPartsTooShort) {
  expect_chain_error(PayloadType::KeyExchange, "00 00 0007 001f00", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::IdInitiator, "00 00 0006 0200", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::IdResponder, "00 00 0004", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::Certificate, "00 00 0004", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::CertificateRequest, "00 00 0004", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::Authentication, "00 00 0007 020000", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::Notify, "00 00 0007 000040", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::Delete, "00 00 0006 0304", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::TsInitiator, "00 00 0005 01", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::Configuration, "00 00 0004", Code::BadPayloadLength, 4);
  expect_chain_error(PayloadType::Eap, "00 00 0007 010000", Code::BadPayloadLength, 4);
}

TEST(IkeMalformed, IdentificationAddressSizes) {
  expect_chain_error(PayloadType::IdInitiator, "00 00 000d 01 000000 c000020101", Code::InvalidSyntax, 4);
  expect_chain_error(PayloadType::IdResponder, "00 00 000c 05 000000 20010db8", Code::InvalidSyntax, 4);
}

TEST(IkeMalformed, NonceSize) {
  auto nonce = [](size_t n) {
    Bytes chain = {0, 0, 0, 0};
    store_be16(chain.data() + 2, static_cast<uint16_t>(4 + n));
    chain.resize(4 + n, 0x5a);
    return chain;
  };
  EXPECT_TRUE(decode_payloads(PayloadType::Nonce, nonce(16)).has_value());
  EXPECT_TRUE(decode_payloads(PayloadType::Nonce, nonce(256)).has_value());
  for (size_t n : {0, 15, 257}) {
    auto r = decode_payloads(PayloadType::Nonce, nonce(n));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::InvalidSyntax);
  }
}

TEST(IkeMalformed, NotifySpiBeyondPayload) {
  expect_chain_error(PayloadType::Notify, "00 00 000a 03 04 4009 c0ff", Code::BadPayloadLength, 5);
}

TEST(IkeMalformed, Delete) {
  expect_chain_error(PayloadType::Delete, "00 00 000c 01 04 0001 01020304", Code::InvalidSyntax, 5);
  expect_chain_error(PayloadType::Delete, "00 00 0008 01 00 0001", Code::InvalidSyntax, 5);
  expect_chain_error(PayloadType::Delete, "00 00 0010 03 08 0001 0102030405060708", Code::InvalidSyntax, 5);
  expect_chain_error(PayloadType::Delete, "00 00 000c 07 04 0001 01020304", Code::InvalidSyntax, 4);
  expect_chain_error(PayloadType::Delete, "00 00 000c 03 04 0002 01020304", Code::BadPayloadLength, 6);
  expect_chain_error(PayloadType::Delete, "00 00 0010 02 04 0001 01020304 05060708", Code::BadPayloadLength,
                     6);
  expect_chain_ok(PayloadType::Delete, "00 00 0008 03 04 0000");
}

TEST(IkeMalformed, TrafficSelectors) {
  const auto TSi = PayloadType::TsInitiator;
  const std::string v4 = "07 00 0010 0000 ffff 0a000000 0affffff";
  expect_chain_ok(TSi, "00 00 0018 01 000000 " + v4);
  expect_chain_error(TSi, "00 00 0008 00 000000", Code::InvalidSyntax, 4);
  expect_chain_error(TSi, "00 00 0018 02 000000 " + v4, Code::BadSubstructureLength, 24);
  expect_chain_error(TSi, "00 00 0028 01 000000 " + v4 + v4, Code::BadPayloadLength, 24);
  // Selector length wrong for its type, below 4, beyond the payload; an unknown type.
  expect_chain_error(TSi, "00 00 0018 01 000000 07 00 0011 0000 ffff 0a000000 0affffff",
                     Code::BadSubstructureLength, 10);
  expect_chain_error(TSi, "00 00 0018 01 000000 08 00 0010 0000 ffff 0a000000 0affffff",
                     Code::BadSubstructureLength, 10);
  expect_chain_error(TSi, "00 00 000c 01 000000 07 00 0002", Code::BadSubstructureLength, 10);
  expect_chain_error(TSi, "00 00 0014 01 000000 07 00 0010 0000 ffff 0a000000", Code::BadSubstructureLength,
                     10);
  expect_chain_error(TSi, "00 00 0014 01 000000 0a 00 000c 0000 ffff 01020304", Code::Unsupported, 8);
}

TEST(IkeMalformed, EncryptedPlacement) {
  // SK followed by another payload; SK inside a decrypted chain; SKF numbering rules.
  Bytes sk_then_v = message_with_chain(PayloadType::Encrypted, hex("23 00 0006 aabb 00 00 0004"));
  auto r = decode_message(sk_then_v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::InvalidSyntax);
  EXPECT_EQ(r.error().offset, 28u);
  auto inner = decode_payloads(PayloadType::Encrypted, hex("23 00 0006 aabb"));
  ASSERT_FALSE(inner);
  EXPECT_EQ(inner.error().code, Code::InvalidSyntax);
  auto inner_skf = decode_payloads(PayloadType::EncryptedFragment, hex("23 00 0008 0001 0001"));
  ASSERT_FALSE(inner_skf);
  for (auto [chain, offset] : {std::pair<const char*, size_t>{"23 00 000a 0000 0002 aabb", 32},
                               {"00 00 000a 0003 0002 aabb", 34},
                               {"23 00 000a 0002 0002 aabb", 28},
                               {"23 00 0006 0001", 32}}) {
    auto f = decode_message(message_with_chain(PayloadType::EncryptedFragment, hex(chain)));
    ASSERT_FALSE(f) << chain;
    EXPECT_EQ(f.error().offset, offset) << describe(f.error());
  }
  EXPECT_TRUE(decode_message(message_with_chain(PayloadType::EncryptedFragment, hex("00 00 0008 0002 0002")))
                  .has_value());
}

TEST(IkeMalformed, Configuration) {
  const auto CP = PayloadType::Configuration;
  expect_chain_ok(CP, "00 00 0014 02 000000 0001 0004 0a000001 0007 0000");
  expect_chain_error(CP, "00 00 000a 01 000000 0001", Code::BadSubstructureLength, 8);
  expect_chain_error(CP, "00 00 000e 01 000000 0001 0004 0a00", Code::BadSubstructureLength, 10);
  expect_chain_error(CP, "00 00 000f 02 000000 0001 0003 0a0000", Code::InvalidSyntax, 10);
  expect_chain_error(CP, "00 00 001c 02 000000 0008 0010 20010db8000000000000000000000001",
                     Code::InvalidSyntax, 10);
  expect_chain_error(CP, "00 00 000f 02 000000 000e 0003 000100", Code::InvalidSyntax, 10);
  expect_chain_ok(CP, "00 00 0010 02 000000 0063 0004 01020304");  // unknown attribute: any length
}

TEST(IkeMalformed, Eap) {
  expect_chain_error(PayloadType::Eap, "00 00 0009 01 07 0006 01", Code::InvalidSyntax, 6);
  expect_chain_error(PayloadType::Eap, "00 00 0008 03 07 0005", Code::InvalidSyntax, 6);
  expect_chain_ok(PayloadType::Eap, "00 00 0008 03 07 0004");  // EAP-Success
}

// --- Encoder refusals ------------------------------------------------------------------------

TEST(IkeEncode, RefusesWhatTheWireCannotCarry) {
  auto refused = [](std::vector<Payload> payloads) {
    Message m;
    m.payloads = std::move(payloads);
    auto r = encode_message(m);
    return !r.has_value() && !r.error().message.empty();
  };
  EXPECT_TRUE(refused({TsiPayload{{TrafficSelector{0, 0, 65535, ip("10.0.0.0"), ip("2001:db8::")}}}}));
  EXPECT_TRUE(refused({TsrPayload{{}}}));
  EXPECT_TRUE(refused({EncryptedPayload{PayloadType::IdInitiator, {}}, NoncePayload{pattern(16, 0)}}));
  EXPECT_TRUE(refused({EncryptedFragmentPayload{PayloadType::NoNext, 0, 1, {}}}));
  EXPECT_TRUE(refused({EncryptedFragmentPayload{PayloadType::IdInitiator, 2, 2, {}}}));
  EXPECT_TRUE(refused({VendorIdPayload{Bytes(65532, 0)}}));
  EXPECT_FALSE(refused({VendorIdPayload{Bytes(65531, 0)}}));
  EXPECT_TRUE(refused({DeletePayload{ProtocolId::Ike, {1}}}));
  EXPECT_TRUE(refused({DeletePayload{static_cast<ProtocolId>(9), {1}}}));
  EXPECT_TRUE(refused({UnknownPayload{0, false, {}}}));
  EXPECT_TRUE(refused({UnknownPayload{46, false, {}}}));
  EXPECT_TRUE(refused({NotifyPayload{3, NotifyType::RekeySa, Bytes(256, 1), {}}}));
  Transform bad_tv = tr(crypto::TransformType::Encr, 12);
  bad_tv.other_attributes.push_back({5, true, {1, 2, 3}});
  EXPECT_TRUE(refused({SaPayload{{Proposal{1, ProtocolId::Ike, {}, {bad_tv}}}}}));
  Transform key_len_attr = tr(crypto::TransformType::Encr, 12);
  key_len_attr.other_attributes.push_back({kAttributeKeyLength, true, {0, 128}});
  EXPECT_TRUE(refused({SaPayload{{Proposal{1, ProtocolId::Ike, {}, {key_len_attr}}}}}));
  EXPECT_TRUE(refused({SaPayload{{Proposal{1, ProtocolId::Esp, Bytes(256, 0), {}}}}}));

  EXPECT_FALSE(encode_encrypted_prefix(IkeHeader{}, {}, PayloadType::IdInitiator, 65532).has_value());
  EXPECT_TRUE(encode_encrypted_prefix(IkeHeader{}, {}, PayloadType::IdInitiator, 65531).has_value());
  EXPECT_FALSE(encode_fragment_prefix(IkeHeader{}, PayloadType::NoNext, 0, 1, 10).has_value());
  EXPECT_FALSE(encode_fragment_prefix(IkeHeader{}, PayloadType::NoNext, 3, 2, 10).has_value());
  EXPECT_FALSE(encode_fragment_prefix(IkeHeader{}, PayloadType::IdInitiator, 2, 2, 10).has_value());
}

}  // namespace
}  // namespace portunus::wire
