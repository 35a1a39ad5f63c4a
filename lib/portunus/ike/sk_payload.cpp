#include "portunus/ike/sk_payload.h"

#include <algorithm>
#include <variant>

namespace portunus::ike {

Result<Bytes> seal_message(const wire::IkeHeader& header, const std::vector<wire::Payload>& inner,
                           crypto::Protector& protector, crypto::Random& random) {
  Bytes plain;
  wire::PayloadType first = wire::PayloadType::NoNext;
  if (!inner.empty()) {
    auto enc = encode_payloads(inner);
    if (!enc) return Unexpected(enc.error());
    plain = std::move(*enc);
    first = wire::payload_type(inner.front());
  }
  return seal_raw(header, first, plain, protector, random);
}

Result<Bytes> seal_raw(const wire::IkeHeader& header, wire::PayloadType first, BytesView chain,
                       crypto::Protector& protector, crypto::Random& random) {
  Bytes plain(chain.begin(), chain.end());
  // RFC 7296 3.14: Padding then Pad Length, so that the encrypted part is a whole number of
  // cipher blocks. Zero padding octets; the receiver ignores their values.
  const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
  const size_t pad = (block - (plain.size() + 1) % block) % block;
  plain.insert(plain.end(), pad, 0);
  plain.push_back(static_cast<uint8_t>(pad));

  const size_t iv_len = protector.iv_size();
  const size_t icv_len = protector.icv_size();
  auto prefix = wire::encode_encrypted_prefix(header, {}, first, iv_len + plain.size() + icv_len);
  if (!prefix) return Unexpected(prefix.error());
  Bytes out = std::move(*prefix);
  const size_t aad_len = out.size();
  const size_t iv_off = out.size();
  out.resize(iv_off + iv_len);
  random.fill(MutBytes(out.data() + iv_off, iv_len));
  const size_t text_off = out.size();
  out.insert(out.end(), plain.begin(), plain.end());
  const size_t icv_off = out.size();
  out.resize(icv_off + icv_len);
  if (!protector.seal(BytesView(out.data(), aad_len), BytesView(out.data() + iv_off, iv_len),
                      MutBytes(out.data() + text_off, plain.size()), {},
                      MutBytes(out.data() + icv_off, icv_len)))
    return make_error("SK payload encryption failed");
  return out;
}

namespace {

// Verifies and decrypts IV || ciphertext || ICV under `aad`; returns the plaintext
// without padding and pad length.
Expected<Bytes, OpenError> open_body(BytesView aad, BytesView body, crypto::Protector& protector) {
  const size_t iv_len = protector.iv_size();
  const size_t icv_len = protector.icv_size();
  const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
  if (body.size() < iv_len + icv_len + 1) return Unexpected(OpenError::Malformed);
  const size_t text_len = body.size() - iv_len - icv_len;
  if (text_len % block != 0) return Unexpected(OpenError::Malformed);
  Bytes text(body.begin() + static_cast<std::ptrdiff_t>(iv_len),
             body.begin() + static_cast<std::ptrdiff_t>(iv_len + text_len));
  if (!protector.open(aad, body.subspan(0, iv_len), text, {}, body.subspan(iv_len + text_len, icv_len)))
    return Unexpected(OpenError::BadIcv);
  const size_t pad = text.back();
  if (pad + 1 > text.size()) return Unexpected(OpenError::Malformed);
  text.resize(text.size() - pad - 1);
  return text;
}

Result<Bytes> seal_body(Bytes prefix, BytesView chain, crypto::Protector& protector, crypto::Random& random) {
  Bytes plain(chain.begin(), chain.end());
  const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
  const size_t pad = (block - (plain.size() + 1) % block) % block;
  plain.insert(plain.end(), pad, 0);
  plain.push_back(static_cast<uint8_t>(pad));
  const size_t iv_len = protector.iv_size();
  const size_t icv_len = protector.icv_size();
  Bytes out = std::move(prefix);
  const size_t aad_len = out.size();
  out.resize(aad_len + iv_len);
  random.fill(MutBytes(out.data() + aad_len, iv_len));
  out.insert(out.end(), plain.begin(), plain.end());
  const size_t icv_off = out.size();
  out.resize(icv_off + icv_len);
  if (!protector.seal(BytesView(out.data(), aad_len), BytesView(out.data() + aad_len, iv_len),
                      MutBytes(out.data() + aad_len + iv_len, plain.size()), {},
                      MutBytes(out.data() + icv_off, icv_len)))
    return make_error("SKF encryption failed");
  return out;
}

size_t sealed_body_size(size_t chain, crypto::Protector& protector) {
  const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
  const size_t pad = (block - (chain + 1) % block) % block;
  return protector.iv_size() + chain + pad + 1 + protector.icv_size();
}

}  // namespace

Expected<OpenedFragment, OpenError> open_fragment(BytesView datagram, const wire::Message& msg,
                                                  crypto::Protector& protector) {
  if (msg.payloads.empty()) return Unexpected(OpenError::NoSk);
  const auto* skf = std::get_if<wire::EncryptedFragmentPayload>(&msg.payloads.back());
  if (!skf) return Unexpected(OpenError::NoSk);
  const BytesView aad = wire::encrypted_prefix(datagram, msg);
  if (aad.empty() || aad.size() + skf->body.size() != datagram.size())
    return Unexpected(OpenError::Malformed);
  auto plain = open_body(aad, skf->body, protector);
  if (!plain) return Unexpected(plain.error());
  OpenedFragment f;
  f.first_inner = skf->first_inner;
  f.number = skf->fragment_number;
  f.total = skf->total_fragments;
  f.plain = std::move(*plain);
  return f;
}

Result<std::vector<Bytes>> seal_fragments(const wire::IkeHeader& header, wire::PayloadType first,
                                          BytesView chain, size_t count, crypto::Protector& protector,
                                          crypto::Random& random) {
  if (count == 0 || count > 0xffff) return make_error("bad fragment count");
  std::vector<Bytes> out;
  const size_t per = (chain.size() + count - 1) / count;
  for (size_t i = 0; i < count; ++i) {
    const size_t off = std::min(chain.size(), i * per);
    const BytesView part = chain.subspan(off, std::min(per, chain.size() - off));
    auto prefix = wire::encode_fragment_prefix(header, i == 0 ? first : wire::PayloadType::NoNext,
                                               static_cast<uint16_t>(i + 1), static_cast<uint16_t>(count),
                                               sealed_body_size(part.size(), protector));
    if (!prefix) return Unexpected(prefix.error());
    auto sealed = seal_body(std::move(*prefix), part, protector, random);
    if (!sealed) return Unexpected(sealed.error());
    out.push_back(std::move(*sealed));
  }
  return out;
}

Expected<std::vector<wire::Payload>, OpenError> open_message(BytesView datagram, const wire::Message& msg,
                                                             crypto::Protector& protector) {
  if (msg.payloads.empty()) return Unexpected(OpenError::NoSk);
  const auto* sk = std::get_if<wire::EncryptedPayload>(&msg.payloads.back());
  if (!sk) return Unexpected(OpenError::NoSk);
  const BytesView aad = wire::encrypted_prefix(datagram, msg);
  if (aad.empty() || aad.size() + sk->body.size() != datagram.size()) return Unexpected(OpenError::Malformed);
  const size_t iv_len = protector.iv_size();
  const size_t icv_len = protector.icv_size();
  const size_t block = protector.block_size() == 0 ? 1 : protector.block_size();
  if (sk->body.size() < iv_len + icv_len + 1) return Unexpected(OpenError::Malformed);
  const size_t text_len = sk->body.size() - iv_len - icv_len;
  if (text_len % block != 0) return Unexpected(OpenError::Malformed);
  // Decrypt a copy: the decoded message stays as received (a retransmission check may
  // compare it later) and the plaintext never aliases the caller's buffer.
  Bytes text(sk->body.begin() + static_cast<std::ptrdiff_t>(iv_len),
             sk->body.begin() + static_cast<std::ptrdiff_t>(iv_len + text_len));
  const BytesView iv(sk->body.data(), iv_len);
  const BytesView icv(sk->body.data() + iv_len + text_len, icv_len);
  if (!protector.open(aad, iv, text, {}, icv)) return Unexpected(OpenError::BadIcv);
  const size_t pad = text.back();
  if (pad + 1 > text.size()) return Unexpected(OpenError::Malformed);
  const size_t inner_len = text.size() - pad - 1;
  if (inner_len == 0) {
    if (sk->first_inner != wire::PayloadType::NoNext) return Unexpected(OpenError::BadInner);
    return std::vector<wire::Payload>{};
  }
  auto payloads =
      wire::decode_payloads(sk->first_inner, BytesView(text.data(), inner_len), aad.size() + iv_len);
  if (!payloads) return Unexpected(OpenError::BadInner);
  return std::move(*payloads);
}

}  // namespace portunus::ike
