#pragma once
// RFC 7427 (Signature Authentication in IKEv2) and RFC 8420 (EdDSA in IKEv2): the hash
// identifiers of SIGNATURE_HASH_ALGORITHMS and the ASN.1 AlgorithmIdentifier that prefixes
// the signature in a "Digital Signature" (method 14) AUTH payload.
#include <cstdint>
#include <optional>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/crypto/signature.h"

namespace portunus::crypto {

// IANA "IKEv2 Hash Algorithms" (RFC 7427 7, RFC 8420 2: Identity for pure EdDSA).
enum class SignatureHash : uint16_t { Sha1 = 1, Sha256 = 2, Sha384 = 3, Sha512 = 4, Identity = 5 };

// The hash a scheme signs with, as announced in SIGNATURE_HASH_ALGORITHMS.
SignatureHash signature_hash(SignatureScheme scheme);

// DER AlgorithmIdentifier for the scheme (RFC 7427 Appendix A). RSA-PSS carries explicit
// parameters: the hash, MGF1 with the same hash, salt length = hash length (what
// PrivateKey::sign produces); the hash AlgorithmIdentifiers carry a NULL parameter.
Bytes algorithm_identifier(SignatureScheme scheme);

// The scheme a received AlgorithmIdentifier names. Refuses unknown algorithms, trailing
// data, and RSA-PSS parameters other than "MGF1 with the same hash, salt = hash length,
// trailer 1" (the only PSS variant that PublicKey::verify checks).
Result<SignatureScheme> parse_algorithm_identifier(BytesView der);

}  // namespace portunus::crypto
