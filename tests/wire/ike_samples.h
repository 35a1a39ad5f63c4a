#pragma once
// Sample IKEv2 messages shared by the wire codec tests: realistic exchanges that between them
// use every payload type the codec knows.
#include <vector>

#include "portunus/wire/ike_message.h"

namespace portunus::wire::testing {

inline Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline Transform tr(crypto::TransformType type, uint16_t id, uint16_t key_bits = 0) {
  Transform t;
  t.type = type;
  t.id = id;
  t.key_bits = key_bits;
  return t;
}

inline SaPayload ike_sa_offer() {
  using T = crypto::TransformType;
  Proposal aead{1, ProtocolId::Ike, {}, {tr(T::Encr, 20, 256), tr(T::Prf, 5), tr(T::Ke, 19), tr(T::Ke, 31)}};
  Proposal cbc{
      2, ProtocolId::Ike, {}, {tr(T::Encr, 12, 128), tr(T::Integ, 12), tr(T::Prf, 5), tr(T::Ke, 14)}};
  return SaPayload{{aead, cbc}};
}

inline SaPayload esp_sa(uint8_t number) {
  using T = crypto::TransformType;
  Proposal p{number,
             ProtocolId::Esp,
             {0xc1, 0x02, 0x03, 0x04},
             {tr(T::Encr, 20, 128), tr(T::Esn, 0), tr(T::Esn, 1)}};
  return SaPayload{{p}};
}

inline IkeHeader header(ExchangeType x, uint32_t mid, bool initiator, bool response) {
  IkeHeader h;
  h.initiator_spi = 0x0123456789abcdefULL;
  h.responder_spi = mid == 0 && !response ? 0 : 0xfedcba9876543210ULL;
  h.exchange = x;
  h.message_id = mid;
  h.initiator = initiator;
  h.response = response;
  return h;
}

inline Message sa_init_request() {
  Message m;
  m.header = header(ExchangeType::IkeSaInit, 0, true, false);
  m.payloads.push_back(ike_sa_offer());
  m.payloads.push_back(KePayload{crypto::KeGroup::Ecp256, pattern(64, 1)});
  m.payloads.push_back(NoncePayload{pattern(32, 2)});
  m.payloads.push_back(NotifyPayload{0, NotifyType::NatDetectionSourceIp, {}, pattern(20, 3)});
  m.payloads.push_back(NotifyPayload{0, NotifyType::NatDetectionDestinationIp, {}, pattern(20, 4)});
  m.payloads.push_back(NotifyPayload{0, NotifyType::Ikev2FragmentationSupported, {}, {}});
  m.payloads.push_back(NotifyPayload{0, NotifyType::SignatureHashAlgorithms, {}, {0, 2, 0, 3, 0, 4}});
  m.payloads.push_back(VendorIdPayload{pattern(16, 5)});
  return m;
}

inline Message sa_init_response() {
  Message m;
  m.header = header(ExchangeType::IkeSaInit, 0, false, true);
  using T = crypto::TransformType;
  Proposal chosen{1, ProtocolId::Ike, {}, {tr(T::Encr, 20, 256), tr(T::Prf, 5), tr(T::Ke, 19)}};
  m.payloads.push_back(SaPayload{{chosen}});
  m.payloads.push_back(KePayload{crypto::KeGroup::Ecp256, pattern(64, 9)});
  m.payloads.push_back(NoncePayload{pattern(32, 10)});
  m.payloads.push_back(CertReqPayload{CertEncoding::X509Signature, pattern(40, 11)});
  m.payloads.push_back(NotifyPayload{0, NotifyType::Ikev2FragmentationSupported, {}, {}});
  return m;
}

inline Message cookie_response() {
  Message m;
  m.header = header(ExchangeType::IkeSaInit, 0, false, true);
  m.header.responder_spi = 0;
  m.payloads.push_back(NotifyPayload{0, NotifyType::Cookie, {}, pattern(24, 12)});
  return m;
}

// The plaintext of an IKE_AUTH request: what goes inside SK.
inline std::vector<Payload> auth_request_inner() {
  std::vector<Payload> p;
  p.push_back(IdiPayload{IdType::Fqdn, {'m', 'o', 'o', 'n'}});
  p.push_back(CertPayload{CertEncoding::X509Signature, pattern(300, 13)});
  p.push_back(CertReqPayload{CertEncoding::X509Signature, pattern(20, 14)});
  p.push_back(NotifyPayload{0, NotifyType::InitialContact, {}, {}});
  p.push_back(IdrPayload{IdType::Ipv4Addr, {192, 0, 2, 1}});
  p.push_back(AuthPayload{crypto::AuthMethod::SharedKeyMic, pattern(32, 15)});
  p.push_back(ConfigPayload{CfgType::Request,
                            {{ConfigAttributeType::InternalIp4Address, {}},
                             {ConfigAttributeType::InternalIp4Dns, {}},
                             {ConfigAttributeType::InternalIp6Address, {}},
                             {ConfigAttributeType::ApplicationVersion, {'p', 'o', 'r', 't'}}}});
  p.push_back(NotifyPayload{0, NotifyType::UseTransportMode, {}, {}});
  p.push_back(NotifyPayload{0, NotifyType::EspTfcPaddingNotSupported, {}, {}});
  p.push_back(NotifyPayload{0, NotifyType::NonFirstFragmentsAlso, {}, {}});
  p.push_back(esp_sa(1));
  TrafficSelector v4{6, 0, 65535, ip("10.1.0.0"), ip("10.1.255.255")};
  TrafficSelector v6{0, 0, 65535, ip("2001:db8::"), ip("2001:db8::ffff")};
  TrafficSelector icmp{1, 0x0800, 0x08ff, ip("10.2.0.1"), ip("10.2.0.1")};
  p.push_back(TsiPayload{{v4, v6}});
  p.push_back(TsrPayload{{icmp}});
  p.push_back(NotifyPayload{0, NotifyType::AdditionalTsPossible, {}, {}});
  return p;
}

inline std::vector<Payload> eap_inner() {
  std::vector<Payload> p;
  // EAP-Request/Identity (RFC 3748 5.1): code 1, id 7, length 5, type 1.
  p.push_back(EapPayload{{1, 7, 0, 5, 1}});
  return p;
}

inline std::vector<Payload> informational_inner() {
  std::vector<Payload> p;
  p.push_back(DeletePayload{ProtocolId::Esp, {0xc1020304, 0xc1020305}});
  p.push_back(DeletePayload{ProtocolId::Ike, {}});
  p.push_back(NotifyPayload{3, NotifyType::RekeySa, {0xc1, 0x02, 0x03, 0x04}, {}});
  p.push_back(ConfigPayload{CfgType::Reply,
                            {{ConfigAttributeType::InternalIp4Address, {10, 3, 0, 7}},
                             {ConfigAttributeType::InternalIp4Netmask, {255, 255, 255, 0}},
                             {ConfigAttributeType::InternalIp6Address, pattern(17, 16)},
                             {ConfigAttributeType::InternalIp4Subnet, {10, 0, 0, 0, 255, 0, 0, 0}},
                             {ConfigAttributeType::SupportedAttributes, {0, 1, 0, 3}}}});
  return p;
}

inline Message auth_request() {
  Message m;
  m.header = header(ExchangeType::IkeAuth, 1, true, false);
  m.payloads.push_back(EncryptedPayload{PayloadType::IdInitiator, pattern(16 + 400 + 16, 17)});
  return m;
}

inline Message fragment(uint16_t number, uint16_t total) {
  Message m;
  m.header = header(ExchangeType::IkeAuth, 1, true, false);
  m.payloads.push_back(EncryptedFragmentPayload{number == 1 ? PayloadType::IdInitiator : PayloadType::NoNext,
                                                number, total,
                                                pattern(100, static_cast<uint8_t>(18 + number))});
  return m;
}

inline Message with_unknown_payloads() {
  Message m;
  m.header = header(ExchangeType::Informational, 5, false, true);
  m.header.minor_version = 3;
  m.header.higher_version = true;
  m.payloads.push_back(UnknownPayload{49, false, pattern(7, 20)});
  m.payloads.push_back(UnknownPayload{200, true, {}});
  m.payloads.push_back(NotifyPayload{0, static_cast<NotifyType>(40000), {}, pattern(3, 21)});
  m.payloads.push_back(KePayload{static_cast<crypto::KeGroup>(1234), {}});
  m.payloads.push_back(IdiPayload{static_cast<IdType>(77), {}});
  m.payloads.push_back(EncryptedPayload{PayloadType::Delete, pattern(48, 22)});
  return m;
}

inline Message unusual_sa() {
  using T = crypto::TransformType;
  Transform odd = tr(T::Encr, 12, 256);
  odd.other_attributes.push_back({100, true, {0x12, 0x34}});
  odd.other_attributes.push_back({101, false, pattern(5, 23)});
  odd.other_attributes.push_back({102, false, {}});
  Proposal rekey{1, ProtocolId::Ike, pattern(8, 24), {odd, tr(static_cast<T>(240), 999)}};
  Proposal ah{2, ProtocolId::Ah, {0, 0, 0, 1}, {tr(T::Integ, 12)}};
  Proposal odd_proto{3, static_cast<ProtocolId>(9), pattern(3, 25), {}};
  Message m;
  m.header = header(ExchangeType::CreateChildSa, 7, true, false);
  m.payloads.push_back(SaPayload{{rekey, ah, odd_proto}});
  m.payloads.push_back(NoncePayload{pattern(256, 26)});
  return m;
}

// Every sample message whose payloads are all unencrypted or raw SK/SKF.
inline std::vector<Message> sample_messages() {
  return {sa_init_request(), sa_init_response(), cookie_response(),       auth_request(),
          fragment(1, 3),    fragment(3, 3),     with_unknown_payloads(), unusual_sa()};
}

// Every sample plaintext chain (the content of an SK payload).
inline std::vector<std::vector<Payload>> sample_inner_chains() {
  return {auth_request_inner(), eap_inner(), informational_inner()};
}

}  // namespace portunus::wire::testing
