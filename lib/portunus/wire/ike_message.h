#pragma once
// IKEv2 message codec (RFC 7296 section 3, RFC 7383): bytes <-> Message. No cryptography and
// no state: the SK/SKF payloads are carried as raw bodies, and the engine decrypts them and
// feeds the plaintext chain back to decode_payloads().
//
// Decoding never throws, never aborts and never reads out of bounds; malformed input yields a
// DecodeError saying what is wrong and at which byte offset.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/expected.h"
#include "portunus/wire/ike_payloads.h"
#include "portunus/wire/ike_types.h"

namespace portunus::wire {

inline constexpr size_t kIkeHeaderSize = 28;
inline constexpr size_t kGenericPayloadHeaderSize = 4;
inline constexpr size_t kSkfHeaderSize = 8;  // generic header + fragment number + total

// RFC 7296 3.1. The "Next Payload" and "Length" fields are not stored: they follow from the
// payload list and are recomputed by the encoder.
struct IkeHeader {
  uint64_t initiator_spi = 0;
  uint64_t responder_spi = 0;
  uint8_t major_version = 2;
  uint8_t minor_version = 0;
  ExchangeType exchange = ExchangeType::IkeSaInit;
  bool initiator = false;       // I flag
  bool response = false;        // R flag
  bool higher_version = false;  // V flag
  uint32_t message_id = 0;
  friend bool operator==(const IkeHeader&, const IkeHeader&) = default;
};

enum class DecodeErrorCode : uint8_t {
  Truncated,              // the data ends before a fixed-size field or header
  BadMessageLength,       // IKE header Length disagrees with the datagram size (or < 28)
  BadVersion,             // major version is not 2 (the engine answers INVALID_MAJOR_VERSION)
  BadPayloadLength,       // a payload length < 4 or beyond the enclosing data
  BadSubstructureLength,  // proposal / transform / attribute / selector / CP attribute length
  InvalidSyntax,          // a field violates an RFC rule (counts, numbering, sizes, formats)
  Unsupported,            // well-formed but not handled (e.g. a TS type other than IPv4/IPv6 range)
};

struct DecodeError {
  DecodeErrorCode code = DecodeErrorCode::InvalidSyntax;
  size_t offset = 0;      // byte offset of the offending field, from the start of the decoded buffer
  uint8_t payload = 0;    // the payload type being parsed, 0 for the IKE header
  std::string_view text;  // short static description ("transform length below 8")
};

std::string_view name(DecodeErrorCode c);
// "INVALID_SYNTAX at offset 44 in SA: proposal numbers not consecutive"
std::string describe(const DecodeError& e);

struct Message {
  IkeHeader header;
  std::vector<Payload> payloads;  // in wire order; SK/SKF, if present, is the last one

  // First payload of type T, or nullptr.
  template <class T>
  const T* find() const {
    for (const auto& p : payloads)
      if (const T* t = std::get_if<T>(&p)) return t;
    return nullptr;
  }
  template <class T>
  std::vector<const T*> find_all() const {
    std::vector<const T*> out;
    for (const auto& p : payloads)
      if (const T* t = std::get_if<T>(&p)) out.push_back(t);
    return out;
  }
  const NotifyPayload* find_notify(NotifyType type) const {
    for (const auto& p : payloads)
      if (const auto* n = std::get_if<NotifyPayload>(&p); n && n->type == type) return n;
    return nullptr;
  }
  friend bool operator==(const Message&, const Message&) = default;
};

// Reads only the fixed header, without checking the version or the length against the data,
// so that a responder can answer INVALID_MAJOR_VERSION / INVALID_IKE_SPI with the peer's SPIs.
// Fails only when fewer than 28 octets are given. `length` receives the header Length field.
Expected<IkeHeader, DecodeError> decode_header(BytesView datagram, uint32_t* length = nullptr);

// Decodes a whole IKE message (header and the unencrypted payload chain; an SK/SKF payload is
// returned raw). The header Length must equal datagram.size(); the major version must be 2.
Expected<Message, DecodeError> decode_message(BytesView datagram);

// Decodes a payload chain that starts with a payload of type `first` (for the decrypted
// content of SK, `first` is EncryptedPayload::first_inner). `base_offset` is added to error
// offsets so that they can refer to the enclosing buffer. An empty chain needs first=NoNext.
// SK/SKF inside a chain are rejected (nesting is not allowed).
Expected<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, BytesView chain,
                                                            size_t base_offset = 0);

// Encodes a message, computing every length, count and next-payload field. Fails (with a
// description) only for what the wire cannot carry: a payload over 65535 octets, an SPI over
// 255 octets, a traffic selector whose addresses differ in family, more than 255 proposals, an
// SK/SKF payload that is not last, and the like.
Result<Bytes> encode_message(const Message& msg);

// Encodes a payload chain (no IKE header); the chain's first type is payload_type(payloads[0]).
// This is the plaintext that goes inside SK, whose first_inner must be that type.
Result<Bytes> encode_payloads(const std::vector<Payload>& payloads);

// The start of a protected message, for the engine's encryption step: the IKE header, the
// unencrypted payloads, then the SK generic header announcing `sk_body_len` octets of body and
// `first_inner` as its next payload. The header Length counts the body, so the caller appends
// exactly sk_body_len octets (IV || ciphertext || ICV). The returned bytes are the AEAD
// associated data (RFC 5282 5.1); for cipher+integrity the ICV covers them plus IV and
// ciphertext.
Result<Bytes> encode_encrypted_prefix(const IkeHeader& header, const std::vector<Payload>& unencrypted,
                                      PayloadType first_inner, size_t sk_body_len);

// The same for one fragment (RFC 7383 2.5): IKE header then the 8-octet SKF header (the AAD
// includes the fragment number and total). first_inner must be NoNext unless number == 1.
Result<Bytes> encode_fragment_prefix(const IkeHeader& header, PayloadType first_inner,
                                     uint16_t fragment_number, uint16_t total_fragments, size_t body_len);

// For a decoded message whose last payload is SK or SKF: the octets that precede the body
// (IKE header + unencrypted payloads + SK/SKF header), i.e. the AAD. Valid because SK/SKF is
// always last, so the body is the tail of the datagram. Empty if the message has no SK/SKF.
BytesView encrypted_prefix(BytesView datagram, const Message& decoded);

// Human-readable dump, one payload per line with its fields (for logs and `portunusctl decode`).
std::string describe(const Message& msg);
std::string describe(const Payload& payload);

}  // namespace portunus::wire
