// IKEv2 message decoding (RFC 7296 section 3, RFC 7383 2.5). Every field is read through
// ByteReader, so a short buffer is a reported error, never an out-of-bounds read. Offsets in
// errors are absolute within the buffer handed to the public function (plus base_offset).
#include <utility>

#include "portunus/base/byte_reader.h"
#include "portunus/wire/ike_message.h"

namespace portunus::wire {

namespace {

using Code = DecodeErrorCode;

template <class T>
using Decoded = Expected<T, DecodeError>;

// Parses the body of one payload. `base` is the absolute offset of body[0]; `type` is the
// payload type, reported in errors.
class BodyParser {
 public:
  BodyParser(BytesView body, size_t base, PayloadType type) : r_(body), base_(base), type_(type) {}

  Unexpected<DecodeError> fail(Code code, size_t at, std::string_view text) const {
    return Unexpected(DecodeError{code, at, static_cast<uint8_t>(type_), text});
  }
  Unexpected<DecodeError> fail_here(Code code, std::string_view text) const {
    return fail(code, here(), text);
  }
  size_t here() const { return base_ + r_.offset(); }
  ByteReader& reader() { return r_; }
  Bytes rest() {
    BytesView v = r_.rest();
    r_.skip(v.size());
    return Bytes(v.begin(), v.end());
  }

 private:
  ByteReader r_;
  size_t base_;
  PayloadType type_;
};

// --- SA (3.3) ------------------------------------------------------------------------------

Decoded<Transform> parse_transform(BodyParser& p, ByteReader& r, size_t base, bool* last) {
  const size_t start = base + r.offset();
  if (r.remaining() < 8) return p.fail(Code::BadSubstructureLength, start, "transform header truncated");
  const uint8_t last_substruc = *r.u8();
  r.skip(1);  // RESERVED
  const uint16_t length = *r.u16();
  const uint8_t type = *r.u8();
  r.skip(1);  // RESERVED
  const uint16_t id = *r.u16();
  if (last_substruc != 0 && last_substruc != 3)
    return p.fail(Code::InvalidSyntax, start, "transform Last Substruc is neither 0 nor 3");
  if (length < 8) return p.fail(Code::BadSubstructureLength, start + 2, "transform length below 8");
  auto attrs_view = r.bytes(length - 8u);
  if (!attrs_view)
    return p.fail(Code::BadSubstructureLength, start + 2, "transform length beyond its proposal");
  *last = last_substruc == 0;

  Transform t;
  t.type = static_cast<crypto::TransformType>(type);
  t.id = id;
  ByteReader a(*attrs_view);
  const size_t attrs_base = start + 8;
  bool have_key_length = false;
  while (!a.empty()) {
    const size_t at = attrs_base + a.offset();
    auto raw_type = a.u16();
    if (!raw_type || a.remaining() < 2)
      return p.fail(Code::BadSubstructureLength, at, "transform attribute truncated");
    const bool tv = (*raw_type & 0x8000) != 0;
    const uint16_t attr_type = *raw_type & 0x7fff;
    Bytes value;
    if (tv) {
      auto v = a.bytes(2);
      value.assign(v->begin(), v->end());
    } else {
      const uint16_t len = *a.u16();
      auto v = a.bytes(len);
      if (!v)
        return p.fail(Code::BadSubstructureLength, at + 2, "transform attribute length beyond its transform");
      value.assign(v->begin(), v->end());
    }
    if (attr_type == kAttributeKeyLength) {
      // 3.3.5: Key Length is a TV attribute; a second one or a zero length has no meaning.
      if (!tv) return p.fail(Code::InvalidSyntax, at, "Key Length attribute not in TV format");
      if (have_key_length) return p.fail(Code::InvalidSyntax, at, "duplicate Key Length attribute");
      t.key_bits = load_be16(value.data());
      if (t.key_bits == 0) return p.fail(Code::InvalidSyntax, at, "Key Length attribute of 0");
      have_key_length = true;
    } else {
      t.other_attributes.push_back(TransformAttribute{attr_type, tv, std::move(value)});
    }
  }
  return t;
}

Decoded<Proposal> parse_proposal(BodyParser& p, bool* last) {
  ByteReader& r = p.reader();
  const size_t start = p.here();
  if (r.remaining() < 8) return p.fail(Code::BadSubstructureLength, start, "proposal header truncated");
  const uint8_t last_substruc = *r.u8();
  r.skip(1);  // RESERVED
  const uint16_t length = *r.u16();
  const uint8_t number = *r.u8();
  const uint8_t protocol = *r.u8();
  const uint8_t spi_size = *r.u8();
  const uint8_t num_transforms = *r.u8();
  if (last_substruc != 0 && last_substruc != 2)
    return p.fail(Code::InvalidSyntax, start, "proposal Last Substruc is neither 0 nor 2");
  if (length < 8u + spi_size)
    return p.fail(Code::BadSubstructureLength, start + 2, "proposal length below its header and SPI");
  if (length - 8u > r.remaining())
    return p.fail(Code::BadSubstructureLength, start + 2, "proposal length beyond the SA payload");
  if (number == 0) return p.fail(Code::InvalidSyntax, start + 4, "proposal number 0");
  // 3.3.1: SPI size is 0 in IKE_SA_INIT or 8 when rekeying the IKE SA; 4 for ESP and AH.
  const auto proto = static_cast<ProtocolId>(protocol);
  if (proto == ProtocolId::Ike && spi_size != 0 && spi_size != 8)
    return p.fail(Code::InvalidSyntax, start + 6, "IKE proposal SPI size is neither 0 nor 8");
  if ((proto == ProtocolId::Esp || proto == ProtocolId::Ah) && spi_size != 4)
    return p.fail(Code::InvalidSyntax, start + 6, "ESP/AH proposal SPI size is not 4");
  *last = last_substruc == 0;

  Proposal prop;
  prop.number = number;
  prop.protocol = proto;
  auto spi = r.bytes(spi_size);
  prop.spi.assign(spi->begin(), spi->end());
  const size_t transforms_base = p.here();
  ByteReader t(*r.bytes(length - 8u - spi_size));
  bool last_transform = false;
  while (!t.empty()) {
    if (last_transform)
      return p.fail(Code::InvalidSyntax, transforms_base + t.offset(), "data after the last transform");
    auto tr = parse_transform(p, t, transforms_base, &last_transform);
    if (!tr) return Unexpected(std::move(tr).error());
    prop.transforms.push_back(std::move(*tr));
  }
  if (!prop.transforms.empty() && !last_transform)
    return p.fail(Code::InvalidSyntax, transforms_base + t.offset(), "last transform not marked last");
  if (prop.transforms.size() != num_transforms)
    return p.fail(Code::InvalidSyntax, start + 7, "Num Transforms disagrees with the transforms present");
  return prop;
}

Decoded<Payload> parse_sa(BodyParser& p) {
  SaPayload sa;
  bool last = false;
  const size_t body_start = p.here();
  while (!p.reader().empty()) {
    if (last) return p.fail_here(Code::InvalidSyntax, "data after the last proposal");
    const size_t at = p.here();
    auto prop = parse_proposal(p, &last);
    if (!prop) return Unexpected(std::move(prop).error());
    // 3.3.1: an offer numbers its proposals 1, 2, 3...; a reply carries one proposal with the
    // number it had in the offer, so only multi-proposal payloads are checked for sequence.
    if (!sa.proposals.empty() && prop->number != sa.proposals.back().number + 1)
      return p.fail(Code::InvalidSyntax, at + 4, "proposal numbers not consecutive");
    if (sa.proposals.size() == 1 && sa.proposals[0].number != 1)
      return p.fail(Code::InvalidSyntax, body_start + 4, "first of several proposals is not number 1");
    sa.proposals.push_back(std::move(*prop));
  }
  if (sa.proposals.empty()) return p.fail(Code::InvalidSyntax, body_start, "SA payload without proposals");
  if (!last) return p.fail_here(Code::InvalidSyntax, "last proposal not marked last");
  return Payload(std::move(sa));
}

// --- Simple payloads -------------------------------------------------------------------------

Decoded<Payload> parse_ke(BodyParser& p) {
  ByteReader& r = p.reader();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "KE payload shorter than 8 octets");
  KePayload ke;
  ke.group = static_cast<crypto::KeGroup>(*r.u16());
  r.skip(2);
  ke.data = p.rest();
  return Payload(std::move(ke));
}

template <class Id>
Decoded<Payload> parse_id(BodyParser& p) {
  ByteReader& r = p.reader();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "ID payload shorter than 8 octets");
  Id id;
  const size_t at = p.here();
  id.id_type = static_cast<IdType>(*r.u8());
  r.skip(3);
  id.data = p.rest();
  // 3.5: ID_IPV4_ADDR is a single four-octet address, ID_IPV6_ADDR a sixteen-octet one.
  if (id.id_type == IdType::Ipv4Addr && id.data.size() != 4)
    return p.fail(Code::InvalidSyntax, at, "ID_IPV4_ADDR data is not 4 octets");
  if (id.id_type == IdType::Ipv6Addr && id.data.size() != 16)
    return p.fail(Code::InvalidSyntax, at, "ID_IPV6_ADDR data is not 16 octets");
  return Payload(std::move(id));
}

template <class Cert>
Decoded<Payload> parse_cert(BodyParser& p) {
  ByteReader& r = p.reader();
  if (r.remaining() < 1) return p.fail_here(Code::BadPayloadLength, "CERT/CERTREQ payload without encoding");
  Cert c;
  c.encoding = static_cast<CertEncoding>(*r.u8());
  c.data = p.rest();
  return Payload(std::move(c));
}

Decoded<Payload> parse_auth(BodyParser& p) {
  ByteReader& r = p.reader();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "AUTH payload shorter than 8 octets");
  AuthPayload a;
  a.method = static_cast<crypto::AuthMethod>(*r.u8());
  r.skip(3);
  a.data = p.rest();
  return Payload(std::move(a));
}

Decoded<Payload> parse_nonce(BodyParser& p) {
  const size_t at = p.here();
  NoncePayload n{p.rest()};
  // 3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
  if (n.data.size() < 16 || n.data.size() > 256)
    return p.fail(Code::InvalidSyntax, at, "nonce not between 16 and 256 octets");
  return Payload(std::move(n));
}

Decoded<Payload> parse_notify(BodyParser& p) {
  ByteReader& r = p.reader();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "Notify payload shorter than 8 octets");
  NotifyPayload n;
  n.protocol = *r.u8();
  const uint8_t spi_size = *r.u8();
  n.type = static_cast<NotifyType>(*r.u16());
  auto spi = r.bytes(spi_size);
  if (!spi) return p.fail(Code::BadPayloadLength, p.here() - 3, "Notify SPI size beyond the payload");
  n.spi.assign(spi->begin(), spi->end());
  n.data = p.rest();
  return Payload(std::move(n));
}

Decoded<Payload> parse_delete(BodyParser& p) {
  ByteReader& r = p.reader();
  const size_t at = p.here();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "Delete payload shorter than 8 octets");
  DeletePayload d;
  const uint8_t protocol = *r.u8();
  const uint8_t spi_size = *r.u8();
  const uint16_t count = *r.u16();
  d.protocol = static_cast<ProtocolId>(protocol);
  // 3.11: the IKE SA is deleted with no SPI (it is in the header); ESP and AH SPIs are 4 octets.
  if (d.protocol == ProtocolId::Ike) {
    if (spi_size != 0 || count != 0) return p.fail(Code::InvalidSyntax, at + 1, "IKE SA Delete carries SPIs");
  } else if (d.protocol == ProtocolId::Esp || d.protocol == ProtocolId::Ah) {
    if (spi_size != 4) return p.fail(Code::InvalidSyntax, at + 1, "ESP/AH Delete SPI size is not 4");
  } else {
    return p.fail(Code::InvalidSyntax, at, "Delete protocol is not IKE, AH or ESP");
  }
  if (r.remaining() != size_t{count} * spi_size)
    return p.fail(Code::BadPayloadLength, at + 2, "Delete payload length disagrees with its SPI count");
  for (uint16_t i = 0; i < count; ++i) d.spis.push_back(*r.u32());
  return Payload(std::move(d));
}

template <class Ts>
Decoded<Payload> parse_ts(BodyParser& p) {
  ByteReader& r = p.reader();
  const size_t at = p.here();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "TS payload shorter than 8 octets");
  const uint8_t count = *r.u8();
  r.skip(3);
  if (count == 0) return p.fail(Code::InvalidSyntax, at, "TS payload with no traffic selectors");
  Ts ts;
  for (unsigned i = 0; i < count; ++i) {
    const size_t ts_at = p.here();
    if (r.remaining() < 4) return p.fail(Code::BadSubstructureLength, ts_at, "traffic selector truncated");
    const uint8_t type = *r.u8();
    const uint8_t ip_protocol = *r.u8();
    const uint16_t length = *r.u16();
    if (length < 4 || length - 4u > r.remaining())
      return p.fail(Code::BadSubstructureLength, ts_at + 2, "traffic selector length beyond the payload");
    size_t addr_size = 0;
    if (type == static_cast<uint8_t>(TsType::Ipv4AddrRange)) {
      addr_size = 4;
    } else if (type == static_cast<uint8_t>(TsType::Ipv6AddrRange)) {
      addr_size = 16;
    } else {
      return p.fail(Code::Unsupported, ts_at, "traffic selector type not supported");
    }
    // 3.13.1: the selector length is 16 for IPv4 ranges and 40 for IPv6 ranges.
    if (length != 8 + 2 * addr_size)
      return p.fail(Code::BadSubstructureLength, ts_at + 2, "traffic selector length wrong for its type");
    TrafficSelector sel;
    sel.ip_protocol = ip_protocol;
    sel.start_port = *r.u16();
    sel.end_port = *r.u16();
    BytesView start = *r.bytes(addr_size);
    BytesView end = *r.bytes(addr_size);
    sel.start_addr = addr_size == 4 ? IpAddress::v4(start) : IpAddress::v6(start);
    sel.end_addr = addr_size == 4 ? IpAddress::v4(end) : IpAddress::v6(end);
    ts.selectors.push_back(sel);
  }
  if (!r.empty()) return p.fail_here(Code::BadPayloadLength, "data after the last traffic selector");
  return Payload(std::move(ts));
}

Decoded<Payload> parse_sk(BodyParser& p, uint8_t next) {
  return Payload(EncryptedPayload{static_cast<PayloadType>(next), p.rest()});
}

Decoded<Payload> parse_skf(BodyParser& p, uint8_t next) {
  ByteReader& r = p.reader();
  const size_t at = p.here();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "SKF payload shorter than 8 octets");
  EncryptedFragmentPayload f;
  f.first_inner = static_cast<PayloadType>(next);
  f.fragment_number = *r.u16();
  f.total_fragments = *r.u16();
  // RFC 7383 2.5: numbering starts at 1 and never exceeds the total; only fragment 1 names the
  // first inner payload.
  if (f.fragment_number == 0) return p.fail(Code::InvalidSyntax, at, "fragment number 0");
  if (f.fragment_number > f.total_fragments)
    return p.fail(Code::InvalidSyntax, at + 2, "fragment number above total fragments");
  if (f.fragment_number != 1 && next != 0)
    return p.fail(Code::InvalidSyntax, at - 4, "non-first fragment with a next payload");
  f.body = p.rest();
  return Payload(std::move(f));
}

// 3.15.1: the fixed value sizes of the attributes RFC 7296 defines (0 = request for any value).
bool config_attribute_length_ok(ConfigAttributeType type, size_t len) {
  switch (type) {
    case ConfigAttributeType::InternalIp4Address:
    case ConfigAttributeType::InternalIp4Netmask:
    case ConfigAttributeType::InternalIp4Dns:
    case ConfigAttributeType::InternalIp4Nbns:
    case ConfigAttributeType::InternalIp4Dhcp:
      return len == 0 || len == 4;
    case ConfigAttributeType::InternalIp6Address:
      return len == 0 || len == 17;
    case ConfigAttributeType::InternalIp6Dns:
    case ConfigAttributeType::InternalIp6Dhcp:
      return len == 0 || len == 16;
    case ConfigAttributeType::InternalIp4Subnet:
      return len == 0 || len == 8;
    case ConfigAttributeType::SupportedAttributes:
      return len % 2 == 0;
    case ConfigAttributeType::InternalIp6Subnet:
      return len == 0 || len == 17;
    case ConfigAttributeType::ApplicationVersion:
    case ConfigAttributeType::InternalDnsDomain:
    case ConfigAttributeType::InternalDnssecTa:
      return true;
  }
  return true;  // attributes of later RFCs: the engine checks what it uses
}

Decoded<Payload> parse_cp(BodyParser& p) {
  ByteReader& r = p.reader();
  if (r.remaining() < 4) return p.fail_here(Code::BadPayloadLength, "CP payload shorter than 8 octets");
  ConfigPayload cp;
  cp.cfg_type = static_cast<CfgType>(*r.u8());
  r.skip(3);
  while (!r.empty()) {
    const size_t at = p.here();
    if (r.remaining() < 4)
      return p.fail(Code::BadSubstructureLength, at, "configuration attribute truncated");
    ConfigAttribute a;
    a.type = static_cast<ConfigAttributeType>(*r.u16() & 0x7fff);  // high bit is reserved
    const uint16_t len = *r.u16();
    auto value = r.bytes(len);
    if (!value)
      return p.fail(Code::BadSubstructureLength, at + 2, "configuration attribute length beyond the payload");
    if (!config_attribute_length_ok(a.type, len))
      return p.fail(Code::InvalidSyntax, at + 2, "configuration attribute length invalid for its type");
    a.value.assign(value->begin(), value->end());
    cp.attributes.push_back(std::move(a));
  }
  return Payload(std::move(cp));
}

Decoded<Payload> parse_eap(BodyParser& p) {
  const size_t at = p.here();
  EapPayload e{p.rest()};
  // RFC 3748 4: Code, Identifier, Length (the whole EAP packet), then data.
  if (e.message.size() < 4) return p.fail(Code::BadPayloadLength, at, "EAP message shorter than 4 octets");
  if (load_be16(e.message.data() + 2) != e.message.size())
    return p.fail(Code::InvalidSyntax, at + 2, "EAP Length disagrees with the payload");
  return Payload(std::move(e));
}

Decoded<Payload> parse_body(PayloadType type, uint8_t next, bool critical, BytesView body, size_t base) {
  BodyParser p(body, base, type);
  switch (type) {
    case PayloadType::SecurityAssociation:
      return parse_sa(p);
    case PayloadType::KeyExchange:
      return parse_ke(p);
    case PayloadType::IdInitiator:
      return parse_id<IdiPayload>(p);
    case PayloadType::IdResponder:
      return parse_id<IdrPayload>(p);
    case PayloadType::Certificate:
      return parse_cert<CertPayload>(p);
    case PayloadType::CertificateRequest:
      return parse_cert<CertReqPayload>(p);
    case PayloadType::Authentication:
      return parse_auth(p);
    case PayloadType::Nonce:
      return parse_nonce(p);
    case PayloadType::Notify:
      return parse_notify(p);
    case PayloadType::Delete:
      return parse_delete(p);
    case PayloadType::VendorId:
      return Payload(VendorIdPayload{p.rest()});
    case PayloadType::TsInitiator:
      return parse_ts<TsiPayload>(p);
    case PayloadType::TsResponder:
      return parse_ts<TsrPayload>(p);
    case PayloadType::Encrypted:
      return parse_sk(p, next);
    case PayloadType::EncryptedFragment:
      return parse_skf(p, next);
    case PayloadType::Configuration:
      return parse_cp(p);
    case PayloadType::Eap:
      return parse_eap(p);
    case PayloadType::NoNext:
      break;
  }
  return Payload(UnknownPayload{static_cast<uint8_t>(type), critical, p.rest()});
}

Decoded<std::vector<Payload>> decode_chain(PayloadType first, BytesView chain, size_t base, bool outer) {
  std::vector<Payload> out;
  ByteReader r(chain);
  auto type = first;
  while (type != PayloadType::NoNext) {
    const size_t at = base + r.offset();
    const auto fail = [&](Code code, size_t where, std::string_view text) {
      return Unexpected(DecodeError{code, where, static_cast<uint8_t>(type), text});
    };
    if (r.remaining() < kGenericPayloadHeaderSize)
      return fail(Code::Truncated, at, "payload header truncated");
    const uint8_t next = *r.u8();
    const bool critical = (*r.u8() & 0x80) != 0;
    const uint16_t length = *r.u16();
    if (length < kGenericPayloadHeaderSize)
      return fail(Code::BadPayloadLength, at + 2, "payload length below 4");
    auto body = r.bytes(length - kGenericPayloadHeaderSize);
    if (!body) return fail(Code::BadPayloadLength, at + 2, "payload length beyond the data");
    const bool encrypted = type == PayloadType::Encrypted || type == PayloadType::EncryptedFragment;
    if (encrypted) {
      // 3.14: SK is the last payload; its Next Payload names the first inner payload instead.
      if (!outer) return fail(Code::InvalidSyntax, at, "SK/SKF payload inside an encrypted chain");
      if (!r.empty()) return fail(Code::InvalidSyntax, at, "SK/SKF payload is not the last payload");
    }
    auto payload = parse_body(type, next, critical, *body, at + kGenericPayloadHeaderSize);
    if (!payload) return Unexpected(std::move(payload).error());
    out.push_back(std::move(*payload));
    type = encrypted ? PayloadType::NoNext : static_cast<PayloadType>(next);
  }
  if (!r.empty())
    return Unexpected(
        DecodeError{Code::BadPayloadLength, base + r.offset(), 0, "data after the last payload"});
  return out;
}

}  // namespace

std::string_view name(DecodeErrorCode c) {
  switch (c) {
    case Code::Truncated:
      return "TRUNCATED";
    case Code::BadMessageLength:
      return "BAD_MESSAGE_LENGTH";
    case Code::BadVersion:
      return "BAD_VERSION";
    case Code::BadPayloadLength:
      return "BAD_PAYLOAD_LENGTH";
    case Code::BadSubstructureLength:
      return "BAD_SUBSTRUCTURE_LENGTH";
    case Code::InvalidSyntax:
      return "INVALID_SYNTAX";
    case Code::Unsupported:
      return "UNSUPPORTED";
  }
  return "UNKNOWN_ERROR";
}

std::string describe(const DecodeError& e) {
  std::string s(name(e.code));
  s += " at offset " + std::to_string(e.offset);
  s += e.payload == 0 ? std::string(" in IKE header") : " in " + name(static_cast<PayloadType>(e.payload));
  s += ": ";
  s += e.text;
  return s;
}

Expected<IkeHeader, DecodeError> decode_header(BytesView datagram, uint32_t* length) {
  ByteReader r(datagram);
  if (r.remaining() < kIkeHeaderSize)
    return Unexpected(DecodeError{Code::Truncated, 0, 0, "shorter than the 28-octet IKE header"});
  IkeHeader h;
  h.initiator_spi = *r.u64();
  h.responder_spi = *r.u64();
  r.skip(1);  // next payload: read by decode_message
  const uint8_t version = *r.u8();
  h.major_version = version >> 4;
  h.minor_version = version & 0x0f;
  h.exchange = static_cast<ExchangeType>(*r.u8());
  const uint8_t flags = *r.u8();
  h.initiator = (flags & header_flags::kInitiator) != 0;
  h.higher_version = (flags & header_flags::kVersion) != 0;
  h.response = (flags & header_flags::kResponse) != 0;
  h.message_id = *r.u32();
  const uint32_t len = *r.u32();
  if (length) *length = len;
  return h;
}

Expected<Message, DecodeError> decode_message(BytesView datagram) {
  uint32_t length = 0;
  auto header = decode_header(datagram, &length);
  if (!header) return Unexpected(std::move(header).error());
  // 3.1: a higher major version must be refused (the engine answers INVALID_MAJOR_VERSION).
  if (header->major_version != 2)
    return Unexpected(DecodeError{Code::BadVersion, 17, 0, "major version is not 2"});
  if (length < kIkeHeaderSize)
    return Unexpected(DecodeError{Code::BadMessageLength, 24, 0, "message length below 28"});
  if (length > datagram.size())
    return Unexpected(DecodeError{Code::Truncated, 24, 0, "message length beyond the datagram"});
  if (length < datagram.size())
    return Unexpected(DecodeError{Code::BadMessageLength, 24, 0, "datagram longer than the message length"});
  Message msg;
  msg.header = *header;
  const auto first = static_cast<PayloadType>(datagram[16]);
  auto payloads = decode_chain(first, datagram.subspan(kIkeHeaderSize), kIkeHeaderSize, true);
  if (!payloads) return Unexpected(std::move(payloads).error());
  msg.payloads = std::move(*payloads);
  return msg;
}

Expected<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, BytesView chain,
                                                            size_t base_offset) {
  return decode_chain(first, chain, base_offset, false);
}

BytesView encrypted_prefix(BytesView datagram, const Message& decoded) {
  if (decoded.payloads.empty()) return {};
  const Payload& last = decoded.payloads.back();
  size_t body = 0;
  if (const auto* sk = std::get_if<EncryptedPayload>(&last)) {
    body = sk->body.size();
  } else if (const auto* skf = std::get_if<EncryptedFragmentPayload>(&last)) {
    body = skf->body.size();
  } else {
    return {};
  }
  if (body > datagram.size()) return {};
  return datagram.first(datagram.size() - body);
}

}  // namespace portunus::wire
