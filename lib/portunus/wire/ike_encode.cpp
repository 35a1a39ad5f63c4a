// IKEv2 message encoding. Lengths, counts and next-payload fields are computed here, never
// taken from the structs, so an encoded message is always self-consistent. Failure is only for
// what the wire format cannot express (sizes beyond their fields, mixed address families...).
#include <limits>
#include <utility>

#include "portunus/base/byte_reader.h"
#include "portunus/wire/ike_message.h"

namespace portunus::wire {

namespace {

using Status = Expected<void, Error>;

Unexpected<Error> fail(std::string text) { return make_error("IKE encode: " + std::move(text)); }

// Writes a 16-bit length placeholder now and patches it once the content is written.
class LengthField {
 public:
  LengthField(ByteWriter& w, size_t counted_from) : w_(w), at_(w.size()), from_(counted_from) { w.u16(0); }
  bool close(size_t limit = std::numeric_limits<uint16_t>::max()) {
    const size_t len = w_.size() - from_;
    if (len > limit) return false;
    w_.put_be16_at(at_, static_cast<uint16_t>(len));
    return true;
  }

 private:
  ByteWriter& w_;
  size_t at_;
  size_t from_;
};

Status encode_transform(ByteWriter& w, const Transform& t, bool last) {
  const size_t start = w.size();
  w.u8(last ? 0 : 3);
  w.u8(0);
  LengthField len(w, start);
  w.u8(static_cast<uint8_t>(t.type));
  w.u8(0);
  w.u16(t.id);
  if (t.key_bits != 0) {
    w.u16(0x8000 | kAttributeKeyLength);
    w.u16(t.key_bits);
  }
  for (const auto& a : t.other_attributes) {
    if (a.type > 0x7fff) return fail("transform attribute type above 32767");
    if (a.type == kAttributeKeyLength) return fail("Key Length belongs in Transform::key_bits");
    if (a.tv) {
      if (a.value.size() != 2) return fail("TV transform attribute value is not 2 octets");
      w.u16(0x8000 | a.type);
      w.bytes(a.value);
    } else {
      if (a.value.size() > 0xffff) return fail("TLV transform attribute value too long");
      w.u16(a.type);
      w.u16(static_cast<uint16_t>(a.value.size()));
      w.bytes(a.value);
    }
  }
  if (!len.close()) return fail("transform longer than 65535 octets");
  return {};
}

Status encode_sa(ByteWriter& w, const SaPayload& sa) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    if (p.spi.size() > 0xff) return fail("proposal SPI longer than 255 octets");
    if (p.transforms.size() > 0xff) return fail("proposal with more than 255 transforms");
    const size_t start = w.size();
    w.u8(i + 1 == sa.proposals.size() ? 0 : 2);
    w.u8(0);
    LengthField len(w, start);
    w.u8(p.number);
    w.u8(static_cast<uint8_t>(p.protocol));
    w.u8(static_cast<uint8_t>(p.spi.size()));
    w.u8(static_cast<uint8_t>(p.transforms.size()));
    w.bytes(p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      auto st = encode_transform(w, p.transforms[j], j + 1 == p.transforms.size());
      if (!st) return st;
    }
    if (!len.close()) return fail("proposal longer than 65535 octets");
  }
  return {};
}

template <class Ts>
Status encode_ts(ByteWriter& w, const Ts& ts) {
  if (ts.selectors.empty() || ts.selectors.size() > 0xff) return fail("TS payload needs 1 to 255 selectors");
  w.u8(static_cast<uint8_t>(ts.selectors.size()));
  w.zeros(3);
  for (const auto& s : ts.selectors) {
    if (s.start_addr.family() != s.end_addr.family()) return fail("traffic selector mixes address families");
    w.u8(static_cast<uint8_t>(s.type()));
    w.u8(s.ip_protocol);
    w.u16(static_cast<uint16_t>(8 + 2 * s.start_addr.size()));
    w.u16(s.start_port);
    w.u16(s.end_port);
    w.bytes(s.start_addr.bytes());
    w.bytes(s.end_addr.bytes());
  }
  return {};
}

struct BodyEncoder {
  ByteWriter& w;
  Status operator()(const SaPayload& sa) const { return encode_sa(w, sa); }
  Status operator()(const KePayload& ke) const {
    w.u16(static_cast<uint16_t>(ke.group));
    w.u16(0);
    w.bytes(ke.data);
    return {};
  }
  template <PayloadType kType>
  Status operator()(const IdentificationPayload<kType>& id) const {
    w.u8(static_cast<uint8_t>(id.id_type));
    w.zeros(3);
    w.bytes(id.data);
    return {};
  }
  Status operator()(const CertPayload& c) const {
    w.u8(static_cast<uint8_t>(c.encoding));
    w.bytes(c.data);
    return {};
  }
  Status operator()(const CertReqPayload& c) const {
    w.u8(static_cast<uint8_t>(c.encoding));
    w.bytes(c.data);
    return {};
  }
  Status operator()(const AuthPayload& a) const {
    w.u8(static_cast<uint8_t>(a.method));
    w.zeros(3);
    w.bytes(a.data);
    return {};
  }
  Status operator()(const NoncePayload& n) const {
    w.bytes(n.data);
    return {};
  }
  Status operator()(const NotifyPayload& n) const {
    if (n.spi.size() > 0xff) return fail("Notify SPI longer than 255 octets");
    w.u8(n.protocol);
    w.u8(static_cast<uint8_t>(n.spi.size()));
    w.u16(static_cast<uint16_t>(n.type));
    w.bytes(n.spi);
    w.bytes(n.data);
    return {};
  }
  Status operator()(const DeletePayload& d) const {
    if (d.spis.size() > 0xffff) return fail("Delete with more than 65535 SPIs");
    const bool ike = d.protocol == ProtocolId::Ike;
    if (ike && !d.spis.empty()) return fail("IKE SA Delete carries no SPIs");
    if (!ike && d.protocol != ProtocolId::Esp && d.protocol != ProtocolId::Ah)
      return fail("Delete protocol is not IKE, AH or ESP");
    w.u8(static_cast<uint8_t>(d.protocol));
    w.u8(ike ? 0 : 4);
    w.u16(static_cast<uint16_t>(d.spis.size()));
    for (uint32_t spi : d.spis) w.u32(spi);
    return {};
  }
  Status operator()(const VendorIdPayload& v) const {
    w.bytes(v.data);
    return {};
  }
  template <PayloadType kType>
  Status operator()(const TrafficSelectorPayload<kType>& ts) const {
    return encode_ts(w, ts);
  }
  Status operator()(const EncryptedPayload& sk) const {
    w.bytes(sk.body);
    return {};
  }
  Status operator()(const EncryptedFragmentPayload& f) const {
    w.u16(f.fragment_number);
    w.u16(f.total_fragments);
    w.bytes(f.body);
    return {};
  }
  Status operator()(const ConfigPayload& cp) const {
    w.u8(static_cast<uint8_t>(cp.cfg_type));
    w.zeros(3);
    for (const auto& a : cp.attributes) {
      if (static_cast<uint16_t>(a.type) > 0x7fff) return fail("configuration attribute type above 32767");
      if (a.value.size() > 0xffff) return fail("configuration attribute value too long");
      w.u16(static_cast<uint16_t>(a.type));
      w.u16(static_cast<uint16_t>(a.value.size()));
      w.bytes(a.value);
    }
    return {};
  }
  Status operator()(const EapPayload& e) const {
    w.bytes(e.message);
    return {};
  }
  Status operator()(const UnknownPayload& u) const {
    w.bytes(u.body);
    return {};
  }
};

Status encode_body(ByteWriter& w, const Payload& payload) { return std::visit(BodyEncoder{w}, payload); }

bool is_encrypted(PayloadType t) {
  return t == PayloadType::Encrypted || t == PayloadType::EncryptedFragment;
}

// Writes one payload with its generic header; `next` goes into the Next Payload field.
Status encode_payload(ByteWriter& w, const Payload& payload, PayloadType next) {
  const size_t start = w.size();
  w.u8(static_cast<uint8_t>(next));
  const auto* unknown = std::get_if<UnknownPayload>(&payload);
  // 2.5: the critical bit is zero for the payloads this document defines.
  w.u8(unknown && unknown->critical ? 0x80 : 0);
  LengthField len(w, start);
  auto st = encode_body(w, payload);
  if (!st) return st;
  if (!len.close()) return fail(name(payload_type(payload)) + " payload longer than 65535 octets");
  return {};
}

// Encodes a chain; the last payload's Next Payload is `after_last` (NoNext, or SK/SKF when the
// caller appends an encrypted payload header itself).
Status encode_chain(ByteWriter& w, const std::vector<Payload>& payloads, PayloadType after_last) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const PayloadType type = payload_type(p);
    const bool last = i + 1 == payloads.size();
    PayloadType next = last ? after_last : payload_type(payloads[i + 1]);
    if (type == PayloadType::NoNext) return fail("payload of type 0");
    if (const auto* u = std::get_if<UnknownPayload>(&p); u && is_encrypted(type))
      return fail("SK/SKF given as an unknown payload");
    if (const auto* sk = std::get_if<EncryptedPayload>(&p)) {
      if (!last || after_last != PayloadType::NoNext) return fail("SK payload is not the last payload");
      next = sk->first_inner;
    } else if (const auto* skf = std::get_if<EncryptedFragmentPayload>(&p)) {
      if (!last || after_last != PayloadType::NoNext) return fail("SKF payload is not the last payload");
      if (skf->fragment_number == 0 || skf->fragment_number > skf->total_fragments)
        return fail("SKF fragment number outside 1..total");
      if (skf->fragment_number != 1 && skf->first_inner != PayloadType::NoNext)
        return fail("non-first SKF fragment with a next payload");
      next = skf->first_inner;
    }
    auto st = encode_payload(w, p, next);
    if (!st) return st;
  }
  return {};
}

void encode_header(ByteWriter& w, const IkeHeader& h, PayloadType first) {
  w.u64(h.initiator_spi);
  w.u64(h.responder_spi);
  w.u8(static_cast<uint8_t>(first));
  w.u8(static_cast<uint8_t>((h.major_version << 4) | (h.minor_version & 0x0f)));
  w.u8(static_cast<uint8_t>(h.exchange));
  uint8_t flags = 0;
  if (h.initiator) flags |= header_flags::kInitiator;
  if (h.higher_version) flags |= header_flags::kVersion;
  if (h.response) flags |= header_flags::kResponse;
  w.u8(flags);
  w.u32(h.message_id);
  w.u32(0);  // Length, patched by the caller
}

Result<Bytes> finish(Bytes out, size_t total) {
  if (total > std::numeric_limits<uint32_t>::max()) return fail("message too long");
  store_be32(out.data() + 24, static_cast<uint32_t>(total));
  return out;
}

}  // namespace

Result<Bytes> encode_payloads(const std::vector<Payload>& payloads) {
  Bytes out;
  ByteWriter w(out);
  auto st = encode_chain(w, payloads, PayloadType::NoNext);
  if (!st) return Unexpected(std::move(st).error());
  return out;
}

Result<Bytes> encode_message(const Message& msg) {
  if (msg.header.major_version > 0x0f || msg.header.minor_version > 0x0f) return fail("version above 15");
  Bytes out;
  ByteWriter w(out);
  encode_header(w, msg.header, msg.payloads.empty() ? PayloadType::NoNext : payload_type(msg.payloads[0]));
  auto st = encode_chain(w, msg.payloads, PayloadType::NoNext);
  if (!st) return Unexpected(std::move(st).error());
  const size_t total = out.size();
  return finish(std::move(out), total);
}

Result<Bytes> encode_encrypted_prefix(const IkeHeader& header, const std::vector<Payload>& unencrypted,
                                      PayloadType first_inner, size_t sk_body_len) {
  if (sk_body_len > 0xffff - kGenericPayloadHeaderSize) return fail("SK body longer than 65531 octets");
  Bytes out;
  ByteWriter w(out);
  encode_header(w, header, unencrypted.empty() ? PayloadType::Encrypted : payload_type(unencrypted[0]));
  auto st = encode_chain(w, unencrypted, PayloadType::Encrypted);
  if (!st) return Unexpected(std::move(st).error());
  w.u8(static_cast<uint8_t>(first_inner));
  w.u8(0);
  w.u16(static_cast<uint16_t>(kGenericPayloadHeaderSize + sk_body_len));
  const size_t total = out.size() + sk_body_len;
  return finish(std::move(out), total);
}

Result<Bytes> encode_fragment_prefix(const IkeHeader& header, PayloadType first_inner,
                                     uint16_t fragment_number, uint16_t total_fragments, size_t body_len) {
  if (body_len > 0xffff - kSkfHeaderSize) return fail("SKF body longer than 65527 octets");
  if (fragment_number == 0 || fragment_number > total_fragments)
    return fail("SKF fragment number outside 1..total");
  if (fragment_number != 1 && first_inner != PayloadType::NoNext)
    return fail("non-first SKF fragment with a next payload");
  Bytes out;
  ByteWriter w(out);
  encode_header(w, header, PayloadType::EncryptedFragment);
  w.u8(static_cast<uint8_t>(first_inner));
  w.u8(0);
  w.u16(static_cast<uint16_t>(kSkfHeaderSize + body_len));
  w.u16(fragment_number);
  w.u16(total_fragments);
  const size_t total = out.size() + body_len;
  return finish(std::move(out), total);
}

}  // namespace portunus::wire
