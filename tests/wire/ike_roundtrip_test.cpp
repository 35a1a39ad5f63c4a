// Round trips: every payload type, every sample message, encode -> decode -> equal, and the
// re-encoding is byte-identical.
#include <gtest/gtest.h>

#include <set>

#include "ike_samples.h"
#include "portunus/wire/ike_message.h"

namespace portunus::wire {
namespace {

using namespace testing;

Bytes encode_ok(const Message& m) {
  auto bytes = encode_message(m);
  EXPECT_TRUE(bytes.has_value()) << (bytes ? "" : bytes.error().message);
  return bytes ? *bytes : Bytes{};
}

void expect_round_trip(const Message& m) {
  Bytes wire = encode_ok(m);
  auto back = decode_message(wire);
  ASSERT_TRUE(back.has_value()) << describe(back.error()) << "\n" << describe(m);
  EXPECT_EQ(*back, m) << describe(*back) << "\nvs\n" << describe(m);
  EXPECT_EQ(encode_ok(*back), wire);
}

TEST(IkeRoundTrip, SampleMessages) {
  for (const Message& m : sample_messages()) expect_round_trip(m);
}

TEST(IkeRoundTrip, SampleInnerChains) {
  for (const auto& chain : sample_inner_chains()) {
    auto wire = encode_payloads(chain);
    ASSERT_TRUE(wire.has_value());
    auto back = decode_payloads(payload_type(chain.front()), *wire);
    ASSERT_TRUE(back.has_value()) << describe(back.error());
    EXPECT_EQ(*back, chain);
    auto again = encode_payloads(*back);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *wire);
  }
}

// Each payload type alone in a message (SK/SKF and unknown ones are covered by the samples).
TEST(IkeRoundTrip, EveryPayloadTypeAlone) {
  std::set<PayloadType> seen;
  for (const auto& chain : sample_inner_chains()) {
    for (const Payload& p : chain) {
      Message m;
      m.header = header(ExchangeType::Informational, 9, true, false);
      m.payloads.push_back(p);
      expect_round_trip(m);
      seen.insert(payload_type(p));
    }
  }
  for (const Message& sample : sample_messages()) {
    for (const Payload& p : sample.payloads) {
      Message m;
      m.header = sample.header;
      m.payloads.push_back(p);
      expect_round_trip(m);
      seen.insert(payload_type(p));
    }
  }
  for (auto t :
       {PayloadType::SecurityAssociation, PayloadType::KeyExchange, PayloadType::IdInitiator,
        PayloadType::IdResponder, PayloadType::Certificate, PayloadType::CertificateRequest,
        PayloadType::Authentication, PayloadType::Nonce, PayloadType::Notify, PayloadType::Delete,
        PayloadType::VendorId, PayloadType::TsInitiator, PayloadType::TsResponder, PayloadType::Encrypted,
        PayloadType::Configuration, PayloadType::Eap, PayloadType::EncryptedFragment}) {
    EXPECT_TRUE(seen.count(t)) << name(t) << " has no round-trip coverage";
  }
}

TEST(IkeRoundTrip, EmptyMessage) {
  Message m;
  m.header = header(ExchangeType::Informational, 3, false, true);
  Bytes wire = encode_ok(m);
  EXPECT_EQ(wire.size(), kIkeHeaderSize);
  EXPECT_EQ(wire[16], 0);
  expect_round_trip(m);
}

TEST(IkeRoundTrip, EmptyInnerChain) {
  auto wire = encode_payloads({});
  ASSERT_TRUE(wire.has_value());
  EXPECT_TRUE(wire->empty());
  auto back = decode_payloads(PayloadType::NoNext, *wire);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->empty());
}

// SK carrying a real encoded inner chain: decode outer, then the inner chain from first_inner.
TEST(IkeRoundTrip, NestedChainThroughSk) {
  auto inner = encode_payloads(auth_request_inner());
  ASSERT_TRUE(inner.has_value());
  Message m;
  m.header = header(ExchangeType::IkeAuth, 1, true, false);
  m.payloads.push_back(EncryptedPayload{PayloadType::IdInitiator, *inner});  // "NULL encryption"
  auto back = decode_message(encode_ok(m));
  ASSERT_TRUE(back.has_value());
  const auto* sk = back->find<EncryptedPayload>();
  ASSERT_NE(sk, nullptr);
  auto chain = decode_payloads(sk->first_inner, sk->body);
  ASSERT_TRUE(chain.has_value()) << describe(chain.error());
  EXPECT_EQ(*chain, auth_request_inner());
}

TEST(IkeRoundTrip, EncryptedPrefixMatchesFullEncoding) {
  Message m = auth_request();
  m.payloads.insert(m.payloads.begin(), NotifyPayload{0, NotifyType::Cookie, {}, pattern(8, 1)});
  const auto& sk = std::get<EncryptedPayload>(m.payloads.back());
  Bytes full = encode_ok(m);
  std::vector<Payload> unencrypted(m.payloads.begin(), m.payloads.end() - 1);
  auto prefix = encode_encrypted_prefix(m.header, unencrypted, sk.first_inner, sk.body.size());
  ASSERT_TRUE(prefix.has_value());
  ASSERT_EQ(prefix->size() + sk.body.size(), full.size());
  EXPECT_TRUE(std::equal(prefix->begin(), prefix->end(), full.begin()));

  auto decoded = decode_message(full);
  ASSERT_TRUE(decoded.has_value());
  BytesView aad = encrypted_prefix(full, *decoded);
  EXPECT_EQ(Bytes(aad.begin(), aad.end()), *prefix);
}

TEST(IkeRoundTrip, FragmentPrefixMatchesFullEncoding) {
  for (auto [number, total] : {std::pair<uint16_t, uint16_t>{1, 3}, {3, 3}}) {
    Message m = fragment(number, total);
    const auto& f = std::get<EncryptedFragmentPayload>(m.payloads.back());
    Bytes full = encode_ok(m);
    auto prefix = encode_fragment_prefix(m.header, f.first_inner, number, total, f.body.size());
    ASSERT_TRUE(prefix.has_value());
    EXPECT_EQ(prefix->size(), kIkeHeaderSize + kSkfHeaderSize);
    ASSERT_EQ(prefix->size() + f.body.size(), full.size());
    EXPECT_TRUE(std::equal(prefix->begin(), prefix->end(), full.begin()));
    auto decoded = decode_message(full);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(encrypted_prefix(full, *decoded).size(), prefix->size());
  }
}

TEST(IkeRoundTrip, EncryptedPrefixEmptyWithoutSk) {
  Bytes wire = encode_ok(sa_init_request());
  auto decoded = decode_message(wire);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(encrypted_prefix(wire, *decoded).empty());
}

TEST(IkeRoundTrip, FindHelpers) {
  Message m = sa_init_request();
  const KePayload* ke = m.find<KePayload>();
  ASSERT_TRUE(ke != nullptr);
  EXPECT_EQ(ke->group, crypto::KeGroup::Ecp256);
  EXPECT_TRUE(m.find<EncryptedPayload>() == nullptr);
  EXPECT_EQ(m.find_all<NotifyPayload>().size(), 4u);
  const NotifyPayload* nat = m.find_notify(NotifyType::NatDetectionDestinationIp);
  ASSERT_TRUE(nat != nullptr);
  EXPECT_EQ(nat->data, pattern(20, 4));
  EXPECT_TRUE(m.find_notify(NotifyType::Cookie) == nullptr);
}

}  // namespace
}  // namespace portunus::wire
