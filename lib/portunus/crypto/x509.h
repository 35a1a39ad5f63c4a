#pragma once
// X.509 certificates for IKEv2 certificate authentication (RFC 7296 3.6/3.7, RFC 4945):
// loading (PEM/DER), the fields a person needs to see (subject, issuer, subjectAltNames,
// validity, key type), chain validation against configured CAs with OpenSSL's X509_STORE
// (validity, CA flag, path length, key usage, CRL revocation) and matching an IKE identity
// against a certificate. Every refusal carries its own CertFailure so that the log line can
// say which check failed. The IKE layer maps its identities onto CertIdKind; this layer
// knows nothing of IKE SAs.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/crypto/signature.h"

struct x509_st;        // X509
struct x509_store_st;  // X509_STORE

namespace portunus::crypto {

// Why a certificate was refused. Each check has its own value (tests rely on that).
enum class CertFailure : uint8_t {
  Malformed,            // cannot be parsed / unusable public key
  Expired,              // notAfter is in the past (this or a chain certificate)
  NotYetValid,          // notBefore is in the future
  UntrustedIssuer,      // no path to a configured CA (wrong CA, missing intermediate, self-signed)
  BadSignature,         // a certificate in the chain is not signed by its issuer
  Revoked,              // listed in a loaded CRL of its issuer
  CrlUnavailable,       // strict revocation and no CRL loaded for an issuer
  CrlInvalid,           // a CRL that applies is expired, not yet valid or badly signed
  IssuerNotCa,          // an issuer lacks basicConstraints cA=TRUE (or keyCertSign)
  PathLength,           // a CA's pathLenConstraint is exceeded
  KeyUsage,             // the end entity's keyUsage / critical extendedKeyUsage forbids IKE signatures
  IdentityMismatch,     // the IKE identity is not the subject / not in the subjectAltNames
  UnsupportedIdentity,  // identity type that cannot be bound to a certificate here
  NoCertificate,        // the peer sent no CERT and none is configured for it (IKE AUTH)
  AuthMethod,           // AUTH method / signature algorithm unusable with the key or not announced
  AuthSignature,        // the AUTH signature does not verify with the certificate's key
  Other,                // any other OpenSSL verification error (its text is in the detail)
};
std::string_view name(CertFailure f);

struct CertError {
  CertFailure reason = CertFailure::Other;
  std::string detail;
  // "<reason name>: <detail>", for log lines.
  std::string text() const;
};

template <class T>
using CertResult = Expected<T, CertError>;

struct SubjectAltName {
  enum class Kind : uint8_t { Dns, Email, Ip, Uri, DirName, Other };
  Kind kind = Kind::Other;
  std::string text;  // printable form ("DNS:..." without the prefix; IPs in textual form)
  Bytes value;       // the raw value: name octets, 4/16 address octets, DER of a DirName
};

class Certificate {
 public:
  static Result<Certificate> from_der(BytesView der);
  // Every "CERTIFICATE" block of a PEM text, in order (at least one).
  static Result<std::vector<Certificate>> from_pem(std::string_view pem);
  // A file in PEM (any number of certificates) or DER (one), as in swanctl's x509/ dirs.
  static Result<std::vector<Certificate>> load_file(const std::string& path);

  Bytes der() const;
  // Names printed strongSwan-style: "C=CH, O=example, CN=moon".
  std::string subject() const;
  std::string issuer() const;
  Bytes subject_der() const;  // DER of the Name, as carried in a DER_ASN1_DN identity
  std::vector<SubjectAltName> subject_alt_names() const;
  int64_t not_before() const;  // seconds since the epoch
  int64_t not_after() const;
  std::string serial_hex() const;
  bool is_ca() const;

  KeyType key_type() const { return key_.type(); }
  unsigned key_bits() const;            // RSA modulus / EC group size / 255 / 448
  std::string key_description() const;  // "RSA 2048", "ECDSA P-256", "Ed25519", "Ed448"
  const PublicKey& public_key() const { return key_; }
  // SHA-1 of the DER SubjectPublicKeyInfo: the CERTREQ Certification Authority value
  // (RFC 7296 3.7) of a CA certificate.
  Bytes spki_sha1() const;

  // Identity checks. The DN compares by OpenSSL's canonical form (encodings and case of
  // PrintableString vs UTF8String do not matter); names and addresses are looked up only
  // in the subjectAltNames (RFC 4945 3.1: no fallback to the subject's CN).
  bool subject_matches(BytesView der_name) const;
  bool has_dns(std::string_view fqdn) const;
  bool has_email(std::string_view address) const;
  bool has_ip(BytesView address) const;  // 4 or 16 octets

  bool operator==(const Certificate& other) const;

 private:
  friend class TrustStore;
  Certificate(std::shared_ptr<x509_st> cert, PublicKey key);
  // Wraps a parsed certificate, sharing the public key OpenSSL decoded with it (decoding the
  // SubjectPublicKeyInfo again costs as much as parsing the whole certificate).
  static Result<Certificate> wrap(std::shared_ptr<x509_st> cert);
  std::shared_ptr<x509_st> cert_;
  PublicKey key_;
};

// The listing `portunusctl certs` shows, strongSwan style (one field per line, two-space
// indent): subject, issuer, serial, validity (UTC, with "expired" / "not yet valid" judged
// at `now`), altNames, pubkey, and the CERTREQ key hash for CA certificates.
std::string describe(const Certificate& cert, int64_t now);

// What a certificate must carry for an IKE identity (RFC 7296 3.5 types that bind to X.509).
enum class CertIdKind : uint8_t { DerAsn1Dn, Fqdn, Rfc822Addr, IpAddr };

// Whether the identity (its ID payload data) is bound to the certificate; the error says why not.
std::optional<CertError> check_identity(const Certificate& cert, CertIdKind kind, BytesView id_data);

// swanctl's `revocation`: relaxed checks the CRLs that are loaded (a certificate whose
// issuer has no CRL passes), strict refuses a certificate whose issuer has none.
enum class RevocationPolicy : uint8_t { Relaxed, Strict };

// Trust anchors (swanctl cacerts / x509ca/) and CRLs (x509crl/). Every configured CA is an
// anchor, as in strongSwan: an intermediate configured as cacert suffices on its own.
class TrustStore {
 public:
  TrustStore();
  TrustStore(TrustStore&&) noexcept = default;
  TrustStore& operator=(TrustStore&&) noexcept = default;

  // Refuses a certificate that is not a CA (basicConstraints cA=TRUE).
  Result<bool> add_ca(const Certificate& ca);
  // CRLs in PEM ("X509 CRL" blocks) or DER; returns how many were added.
  Result<size_t> add_crls(BytesView pem_or_der);
  Result<size_t> add_crl_file(const std::string& path);
  void set_revocation(RevocationPolicy policy) { revocation_ = policy; }

  const std::vector<Certificate>& cas() const { return cas_; }
  size_t crl_count() const { return crl_count_; }
  // The CERTREQ payload data: the concatenated SHA-1 SPKI hashes of all CAs.
  Bytes certreq_data() const;

  // Builds and checks the path from `end_entity` (with untrusted `intermediates`) to a
  // configured CA at time `at` (seconds since the epoch; nullopt: now). Returns the chain,
  // end entity first, anchor last. The end entity must allow digital signatures.
  CertResult<std::vector<Certificate>> verify(const Certificate& end_entity,
                                              const std::vector<Certificate>& intermediates,
                                              std::optional<int64_t> at = std::nullopt) const;

 private:
  std::shared_ptr<x509_store_st> store_;
  std::vector<Certificate> cas_;
  size_t crl_count_ = 0;
  RevocationPolicy revocation_ = RevocationPolicy::Relaxed;
};

}  // namespace portunus::crypto
