#pragma once
// IKE_AUTH authentication (RFC 7296 2.15). Both sides sign their "signed octets":
//   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
//   MACedIDForI           = prf(SK_pi, RestOfInitIDPayload)
// (and symmetrically for the responder with RealMessage2, NonceIData, SK_pr, IDr). With a
// pre-shared key, AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), SignedOctets).
// Authenticator hides the method so that certificate signatures (RFC 7427) slot in beside
// PSK without touching the exchange code.
#include <memory>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"
#include "portunus/crypto/prf.h"

namespace portunus::ike {

// `real_message` is the whole first message we sent (IKE header included), `peer_nonce`
// the Nonce data of the peer, `sk_p` our SK_pi or SK_pr, `id_body` our ID payload body
// (identity.h id_payload_body).
Result<Bytes> signed_octets(crypto::PrfId prf, BytesView real_message, BytesView peer_nonce, BytesView sk_p,
                            BytesView id_body);

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The Auth Method to put in our AUTH payload.
  virtual crypto::AuthMethod method() const = 0;
  // Authentication Data for our AUTH payload.
  virtual Result<Bytes> sign(BytesView signed_octets) = 0;
  // Checks the peer's AUTH payload (its method and data) over the peer's signed octets.
  // False for a method this authenticator cannot check. Constant time where secret.
  virtual bool verify(crypto::AuthMethod method, BytesView signed_octets, BytesView auth_data) = 0;
};

// The PRF of an IKE SA keyed with prf(Shared Secret, "Key Pad for IKEv2"): AUTH is one
// evaluation of it. An error for an empty secret or a PRF we do not have.
Result<std::shared_ptr<crypto::Prf>> psk_pad_prf(crypto::PrfId prf, BytesView shared_secret);

// AUTH for Shared Key Message Integrity Code (method 2) with the negotiated PRF of the IKE
// SA. Holds only the keyed pad PRF (which OpenSSL wipes when the last holder frees it).
class PskAuthenticator final : public Authenticator {
 public:
  PskAuthenticator(crypto::PrfId prf, BytesView shared_secret);
  // From a pad PRF shared with other IKE SAs (PskPadCache).
  explicit PskAuthenticator(std::shared_ptr<crypto::Prf> pad_prf);
  crypto::AuthMethod method() const override { return crypto::AuthMethod::SharedKeyMic; }
  Result<Bytes> sign(BytesView signed_octets) override;
  bool verify(crypto::AuthMethod method, BytesView signed_octets, BytesView auth_data) override;

 private:
  Result<std::shared_ptr<crypto::Prf>> pad_prf_;
};

// The pad PRF depends only on the secret and the PRF, yet keying it costs two HMAC key
// set-ups and an evaluation per AUTH: an engine keeps one per (secret, PRF) for all its IKE
// SAs. Entries are matched by the secret's contents, so a reloaded configuration can never
// reuse a stale pad; clear() drops them (on reload) so old secrets do not linger.
class PskPadCache {
 public:
  Result<std::shared_ptr<crypto::Prf>> get(crypto::PrfId prf, BytesView shared_secret);
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    crypto::PrfId prf;
    SecureBytes secret;
    std::shared_ptr<crypto::Prf> pad_prf;
  };
  std::vector<Entry> entries_;
};

// AUTH = prf(prf(secret, "Key Pad for IKEv2"), signed_octets), for callers and tests.
Result<Bytes> psk_auth(crypto::PrfId prf, BytesView shared_secret, BytesView signed_octets);

}  // namespace portunus::ike
