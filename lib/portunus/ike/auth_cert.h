#pragma once
// Certificate / signature AUTH (RFC 7296 2.15 and 3.8, RFC 4754, RFC 7427, RFC 8420) behind
// the same Authenticator interface as the PSK one (auth_psk.h). Both sides sign their
// signed octets (auth_psk.h signed_octets) with the private key of their certificate:
//   method 1   RSA Digital Signature: RSASSA-PKCS1-v1_5 with SHA-1 (what RFC 7296 peers use)
//   method 9   ECDSA with SHA-256 on P-256, 10: SHA-384 on P-384, 11: SHA-512 on P-521;
//              the signature is r | s, each the size of the group order (RFC 4754)
//   method 14  Digital Signature (RFC 7427): AUTH data = length of the AlgorithmIdentifier
//              (1 octet) | AlgorithmIdentifier (DER) | signature; RSA PKCS#1 v1.5 or PSS,
//              ECDSA (DER signature), Ed25519 / Ed448 (RFC 8420, hash "Identity").
// Method 14 is used when the peer announced SIGNATURE_HASH_ALGORITHMS; its hash must be one
// the peer announced, and a received method-14 signature must use a hash we announced.
// The verifying side validates the peer's certificate chain (crypto/x509.h) and binds the
// peer's IKE identity to it before it checks a signature; every refusal keeps its reason.
#include <memory>
#include <optional>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/crypto/signature.h"
#include "portunus/crypto/x509.h"
#include "portunus/crypto/x509_algorithm.h"
#include "portunus/ike/auth_psk.h"
#include "portunus/ike/identity.h"

namespace portunus::ike {

// SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 4): 2-octet hash identifiers.
Bytes encode_signature_hashes(const std::vector<crypto::SignatureHash>& hashes);
// Unknown identifiers are skipped (they may be newer algorithms); an odd length is an error.
Result<std::vector<crypto::SignatureHash>> parse_signature_hashes(BytesView data);
// What we announce: SHA2-256/384/512 and Identity (SHA-1 is not allowed for method 14, RFC 8247).
std::vector<crypto::SignatureHash> default_signature_hashes();

// CERTREQ Certification Authority data (RFC 7296 3.7): concatenated 20-octet SHA-1 hashes of
// trusted CAs' SubjectPublicKeyInfo. A length that is not a multiple of 20 is an error.
Result<std::vector<Bytes>> parse_certreq_hashes(BytesView data);

// Our side's certificate credentials. `chain` holds the certificates to send after the end
// entity (intermediates, end-entity's issuer first) and may end with the root: CERTREQ
// matching looks at every certificate in it, sending leaves a self-signed root out.
struct CertCredentials {
  crypto::PrivateKey key;
  crypto::Certificate cert;
  std::vector<crypto::Certificate> chain;
};

// The first credentials whose chain holds a CA the peer asked for; nullopt when none does
// (the caller then uses its default, RFC 7296 3.7 allows sending any certificate).
std::optional<size_t> select_by_certreq(const std::vector<CertCredentials>& candidates,
                                        const std::vector<Bytes>& requested);

// CERT payload data to send (encoding 4, X.509 Certificate - Signature): the end entity
// first, then the intermediates (self-signed roots are left out: the peer must have them).
std::vector<Bytes> cert_payloads(const CertCredentials& creds);

enum class RsaPadding : uint8_t { Pkcs1, Pss };

// The scheme and AUTH method our side signs with: method 14 when the peer announced hashes
// (`peer_hashes` non-empty), else the classic method for the key; an error when the key
// cannot be used with what the peer announced (e.g. Ed25519 without "Identity").
struct SigningChoice {
  crypto::AuthMethod method;
  crypto::SignatureScheme scheme;
};
Result<SigningChoice> choose_signing(const crypto::Certificate& cert, RsaPadding rsa,
                                     const std::vector<crypto::SignatureHash>& peer_hashes);

// What the verifying side knows about the peer.
struct PeerCertContext {
  std::shared_ptr<const crypto::TrustStore> trust;  // configured CAs and CRLs
  std::vector<crypto::Certificate> received;        // CERT payloads, end entity first
  std::optional<crypto::Certificate> configured;    // swanctl remote certs: used when no CERT came
  Identity peer_id;                                 // the peer's IDi / IDr
  std::vector<crypto::SignatureHash> our_hashes = default_signature_hashes();  // what we announced
  std::optional<int64_t> at;  // verification time (tests); nullopt = now
};

class CertAuthenticator final : public Authenticator {
 public:
  // Signing side.
  static Result<std::unique_ptr<CertAuthenticator>> signer(
      CertCredentials creds, RsaPadding rsa, const std::vector<crypto::SignatureHash>& peer_hashes);
  // Verifying side: the chain and identity are checked on the first verify().
  static std::unique_ptr<CertAuthenticator> verifier(PeerCertContext peer);

  crypto::AuthMethod method() const override { return choice_.method; }
  Result<Bytes> sign(BytesView signed_octets) override;
  bool verify(crypto::AuthMethod method, BytesView signed_octets, BytesView auth_data) override;

  // Why the last verify() failed (for the log line with AUTHENTICATION_FAILED).
  const std::optional<crypto::CertError>& failure() const { return failure_; }
  // The validated peer certificate after a successful verify().
  const std::optional<crypto::Certificate>& peer_certificate() const { return peer_cert_; }

 private:
  CertAuthenticator() = default;
  std::optional<crypto::CertError> check_peer();
  bool fail(crypto::CertFailure reason, std::string detail);

  // signer
  std::optional<CertCredentials> creds_;
  SigningChoice choice_{crypto::AuthMethod::DigitalSignature, crypto::SignatureScheme::EcdsaSha256};
  // verifier
  std::optional<PeerCertContext> peer_;
  std::optional<crypto::Certificate> peer_cert_;
  std::optional<crypto::CertError> failure_;
};

}  // namespace portunus::ike
