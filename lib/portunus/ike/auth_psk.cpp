#include "portunus/ike/auth_psk.h"

#include "portunus/crypto/prf.h"

namespace portunus::ike {

namespace {

// RFC 7296 2.15: the fixed pad string, without a terminating NUL.
constexpr std::string_view kKeyPad = "Key Pad for IKEv2";

Result<SecureBytes> prf_once(crypto::PrfId id, BytesView key, BytesView data) {
  auto prf = crypto::make_prf(id, key);
  if (!prf) return Unexpected(prf.error());
  SecureBytes out((*prf)->output_size());
  (*prf)->compute(data, out.span());
  return out;
}

}  // namespace

Result<Bytes> signed_octets(crypto::PrfId prf, BytesView real_message, BytesView peer_nonce, BytesView sk_p,
                            BytesView id_body) {
  auto maced_id = prf_once(prf, sk_p, id_body);
  if (!maced_id) return Unexpected(maced_id.error());
  Bytes out;
  out.reserve(real_message.size() + peer_nonce.size() + maced_id->size());
  out.insert(out.end(), real_message.begin(), real_message.end());
  out.insert(out.end(), peer_nonce.begin(), peer_nonce.end());
  out.insert(out.end(), maced_id->data(), maced_id->data() + maced_id->size());
  return out;
}

Result<std::shared_ptr<crypto::Prf>> psk_pad_prf(crypto::PrfId prf, BytesView shared_secret) {
  // An empty secret would make AUTH computable by anyone who saw the exchange.
  if (shared_secret.empty()) return make_error("empty pre-shared key");
  auto padded_key = prf_once(prf, shared_secret, as_bytes(kKeyPad));
  if (!padded_key) return Unexpected(padded_key.error());
  auto keyed = crypto::make_prf(prf, *padded_key);
  if (!keyed) return Unexpected(keyed.error());
  return std::shared_ptr<crypto::Prf>(std::move(*keyed));
}

namespace {

Bytes evaluate(crypto::Prf& pad_prf, BytesView signed_octets) {
  Bytes auth(pad_prf.output_size());
  pad_prf.compute(signed_octets, auth);
  return auth;
}

}  // namespace

Result<Bytes> psk_auth(crypto::PrfId prf, BytesView shared_secret, BytesView signed_octets) {
  auto pad = psk_pad_prf(prf, shared_secret);
  if (!pad) return Unexpected(pad.error());
  return evaluate(**pad, signed_octets);
}

PskAuthenticator::PskAuthenticator(crypto::PrfId prf, BytesView shared_secret)
    : pad_prf_(psk_pad_prf(prf, shared_secret)) {}

PskAuthenticator::PskAuthenticator(std::shared_ptr<crypto::Prf> pad_prf) : pad_prf_(std::move(pad_prf)) {}

Result<Bytes> PskAuthenticator::sign(BytesView octets) {
  if (!pad_prf_) return Unexpected(pad_prf_.error());
  return evaluate(**pad_prf_, octets);
}

bool PskAuthenticator::verify(crypto::AuthMethod method, BytesView octets, BytesView auth_data) {
  if (method != crypto::AuthMethod::SharedKeyMic || !pad_prf_) return false;
  // equal_ct: constant time in the contents; a length mismatch is public anyway.
  return equal_ct(evaluate(**pad_prf_, octets), auth_data);
}

Result<std::shared_ptr<crypto::Prf>> PskPadCache::get(crypto::PrfId prf, BytesView shared_secret) {
  for (const auto& e : entries_)
    if (e.prf == prf && equal_ct(e.secret, shared_secret)) return e.pad_prf;
  auto pad = psk_pad_prf(prf, shared_secret);
  if (!pad) return pad;
  entries_.push_back(Entry{prf, SecureBytes(shared_secret), *pad});
  return pad;
}

}  // namespace portunus::ike
