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

Result<Bytes> psk_auth(crypto::PrfId prf, BytesView shared_secret, BytesView signed_octets) {
  // An empty secret would make AUTH computable by anyone who saw the exchange.
  if (shared_secret.empty()) return make_error("empty pre-shared key");
  auto padded_key = prf_once(prf, shared_secret, as_bytes(kKeyPad));
  if (!padded_key) return Unexpected(padded_key.error());
  auto auth = prf_once(prf, *padded_key, signed_octets);
  if (!auth) return Unexpected(auth.error());
  return Bytes(auth->data(), auth->data() + auth->size());
}

PskAuthenticator::PskAuthenticator(crypto::PrfId prf, BytesView shared_secret)
    : prf_(prf), secret_(shared_secret) {}

Result<Bytes> PskAuthenticator::sign(BytesView octets) { return psk_auth(prf_, secret_, octets); }

bool PskAuthenticator::verify(crypto::AuthMethod method, BytesView octets, BytesView auth_data) {
  if (method != crypto::AuthMethod::SharedKeyMic) return false;
  auto expected = psk_auth(prf_, secret_, octets);
  // equal_ct: constant time in the contents; a length mismatch is public anyway.
  return expected && equal_ct(*expected, auth_data);
}

}  // namespace portunus::ike
