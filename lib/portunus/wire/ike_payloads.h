#pragma once
// The payloads of RFC 7296 section 3 (and SKF of RFC 7383) as plain typed structs. The codec
// (ike_message.h) fills them from bytes and writes them back; lengths, counts and "next
// payload" fields are not stored here because the encoder recomputes them.
#include <cstdint>
#include <variant>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/wire/ike_proposal.h"
#include "portunus/wire/ike_types.h"

namespace portunus::wire {

// 3.3 Security Association: one or more proposals, numbered 1, 2, ... in an offer; a reply
// carries the single chosen proposal with the number it had in the offer.
struct SaPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// 3.4 Key Exchange.
struct KePayload {
  crypto::KeGroup group = crypto::KeGroup::None;
  Bytes data;  // the public value in the group's IKEv2 encoding
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// 3.5 Identification; IDi and IDr share the layout and differ only in payload type, so the
// type is a template parameter to keep them distinct alternatives of Payload.
template <PayloadType kType>
struct IdentificationPayload {
  static constexpr PayloadType kPayloadType = kType;
  IdType id_type = IdType::Fqdn;
  Bytes data;
  friend bool operator==(const IdentificationPayload&, const IdentificationPayload&) = default;
};
using IdiPayload = IdentificationPayload<PayloadType::IdInitiator>;
using IdrPayload = IdentificationPayload<PayloadType::IdResponder>;

// 3.6 Certificate.
struct CertPayload {
  CertEncoding encoding = CertEncoding::X509Signature;
  Bytes data;
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};

// 3.7 Certificate Request (for X.509: concatenated SHA-1 hashes of CA public keys).
struct CertReqPayload {
  CertEncoding encoding = CertEncoding::X509Signature;
  Bytes data;
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

// 3.8 Authentication.
struct AuthPayload {
  crypto::AuthMethod method = crypto::AuthMethod::SharedKeyMic;
  Bytes data;
  friend bool operator==(const AuthPayload&, const AuthPayload&) = default;
};

// 3.9 Nonce: 16 to 256 octets.
struct NoncePayload {
  Bytes data;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

// 3.10 Notify. `protocol` is kept as sent: RFC 7296 has senders put 0 there when the SPI is
// empty and receivers ignore it then. The SPI size is the size of `spi`.
struct NotifyPayload {
  uint8_t protocol = 0;  // 0 (none/IKE SA), or a ProtocolId value
  NotifyType type = NotifyType::InitialContact;
  Bytes spi;
  Bytes data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

// 3.11 Delete. For the IKE SA no SPI is carried (it is in the header); for ESP and AH the SPIs
// are 4 octets each and are kept as numbers.
struct DeletePayload {
  ProtocolId protocol = ProtocolId::Esp;
  std::vector<uint32_t> spis;  // empty for ProtocolId::Ike
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// 3.12 Vendor ID.
struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

// 3.13 Traffic Selector; TSi and TSr share the layout. Only TS_IPV4_ADDR_RANGE and
// TS_IPV6_ADDR_RANGE are supported; another TS type is a decode error (DecodeErrorCode::Unsupported) so that
// the engine can answer TS_UNACCEPTABLE.
template <PayloadType kType>
struct TrafficSelectorPayload {
  static constexpr PayloadType kPayloadType = kType;
  std::vector<TrafficSelector> selectors;  // at least one
  friend bool operator==(const TrafficSelectorPayload&, const TrafficSelectorPayload&) = default;
};
using TsiPayload = TrafficSelectorPayload<PayloadType::TsInitiator>;
using TsrPayload = TrafficSelectorPayload<PayloadType::TsResponder>;

// 3.14 Encrypted and Authenticated (SK). The codec does no cryptography: `body` is
// IV || ciphertext (with padding and pad length) || ICV exactly as on the wire, and
// `first_inner` is the SK header's "Next Payload", i.e. the type of the first payload of the
// decrypted chain (decode that with decode_payloads()). SK is always the last payload.
struct EncryptedPayload {
  PayloadType first_inner = PayloadType::NoNext;
  Bytes body;
  friend bool operator==(const EncryptedPayload&, const EncryptedPayload&) = default;
};

// RFC 7383 2.5 Encrypted Fragment (SKF). first_inner is meaningful in fragment 1 only (0 in
// the others). 1 <= fragment_number <= total_fragments.
struct EncryptedFragmentPayload {
  PayloadType first_inner = PayloadType::NoNext;
  uint16_t fragment_number = 1;
  uint16_t total_fragments = 1;
  Bytes body;  // IV || ciphertext || ICV
  friend bool operator==(const EncryptedFragmentPayload&, const EncryptedFragmentPayload&) = default;
};

// 3.15.1 Configuration Attribute (the reserved high bit is dropped).
struct ConfigAttribute {
  ConfigAttributeType type = ConfigAttributeType::InternalIp4Address;
  Bytes value;  // empty in a request for "any value"
  friend bool operator==(const ConfigAttribute&, const ConfigAttribute&) = default;
};

// 3.15 Configuration.
struct ConfigPayload {
  CfgType cfg_type = CfgType::Request;
  std::vector<ConfigAttribute> attributes;
  friend bool operator==(const ConfigPayload&, const ConfigPayload&) = default;
};

// 3.16 EAP: one whole EAP message (RFC 3748: Code, Identifier, Length, [Type, Type-Data]);
// its own Length field must match.
struct EapPayload {
  Bytes message;
  friend bool operator==(const EapPayload&, const EapPayload&) = default;
};

// A payload type this codec does not parse (or does not know), kept byte for byte. If
// `critical` is set and the type is not understood, the engine must reject the message with
// UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296 2.5); the codec does not decide that.
struct UnknownPayload {
  uint8_t type = 0;
  bool critical = false;
  Bytes body;  // everything after the 4-octet generic header
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

using Payload =
    std::variant<SaPayload, KePayload, IdiPayload, IdrPayload, CertPayload, CertReqPayload, AuthPayload,
                 NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload, TsiPayload, TsrPayload,
                 EncryptedPayload, EncryptedFragmentPayload, ConfigPayload, EapPayload, UnknownPayload>;

// The wire payload type of a payload (UnknownPayload: its stored type).
PayloadType payload_type(const Payload& p);

}  // namespace portunus::wire
