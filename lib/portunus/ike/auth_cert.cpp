#include "portunus/ike/auth_cert.h"

#include <algorithm>
#include <ctime>

namespace portunus::ike {

using crypto::AuthMethod;
using crypto::CertFailure;
using crypto::KeyType;
using crypto::SignatureHash;
using crypto::SignatureScheme;

namespace {

constexpr size_t kSha1Size = 20;

bool has(const std::vector<SignatureHash>& list, SignatureHash h) {
  return std::find(list.begin(), list.end(), h) != list.end();
}

SignatureScheme rsa_scheme(RsaPadding pad, SignatureHash h) {
  const bool pss = pad == RsaPadding::Pss;
  switch (h) {
    case SignatureHash::Sha384:
      return pss ? SignatureScheme::RsaPssSha384 : SignatureScheme::RsaPkcs1Sha384;
    case SignatureHash::Sha512:
      return pss ? SignatureScheme::RsaPssSha512 : SignatureScheme::RsaPkcs1Sha512;
    default:
      return pss ? SignatureScheme::RsaPssSha256 : SignatureScheme::RsaPkcs1Sha256;
  }
}

SignatureScheme ecdsa_scheme(SignatureHash h) {
  switch (h) {
    case SignatureHash::Sha384:
      return SignatureScheme::EcdsaSha384;
    case SignatureHash::Sha512:
      return SignatureScheme::EcdsaSha512;
    default:
      return SignatureScheme::EcdsaSha256;
  }
}

// RFC 4754: each ECDSA method fixes both the curve and the hash.
std::optional<SignatureScheme> classic_ecdsa(AuthMethod m, unsigned curve_bits) {
  if (m == AuthMethod::EcdsaSha256P256 && curve_bits == 256) return SignatureScheme::EcdsaSha256;
  if (m == AuthMethod::EcdsaSha384P384 && curve_bits == 384) return SignatureScheme::EcdsaSha384;
  if (m == AuthMethod::EcdsaSha512P521 && curve_bits == 521) return SignatureScheme::EcdsaSha512;
  return std::nullopt;
}

std::optional<crypto::CertIdKind> cert_id_kind(IdType t) {
  switch (t) {
    case IdType::DerAsn1Dn:
      return crypto::CertIdKind::DerAsn1Dn;
    case IdType::Fqdn:
      return crypto::CertIdKind::Fqdn;
    case IdType::Rfc822Addr:
      return crypto::CertIdKind::Rfc822Addr;
    case IdType::Ipv4Addr:
    case IdType::Ipv6Addr:
      return crypto::CertIdKind::IpAddr;
    default:
      return std::nullopt;
  }
}

bool self_signed(const crypto::Certificate& c) { return c.subject() == c.issuer() && c.is_ca(); }

}  // namespace

Bytes encode_signature_hashes(const std::vector<SignatureHash>& hashes) {
  Bytes out;
  for (auto h : hashes) {
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(h) >> 8));
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(h)));
  }
  return out;
}

Result<std::vector<SignatureHash>> parse_signature_hashes(BytesView data) {
  if (data.size() % 2 != 0) return make_error("SIGNATURE_HASH_ALGORITHMS data of odd length");
  std::vector<SignatureHash> out;
  for (size_t i = 0; i < data.size(); i += 2) {
    const uint16_t id = static_cast<uint16_t>((data[i] << 8) | data[i + 1]);
    if (id >= 1 && id <= 5 && !has(out, SignatureHash(id))) out.push_back(SignatureHash(id));
  }
  return out;
}

std::vector<SignatureHash> default_signature_hashes() {
  return {SignatureHash::Sha256, SignatureHash::Sha384, SignatureHash::Sha512, SignatureHash::Identity};
}

Result<std::vector<Bytes>> parse_certreq_hashes(BytesView data) {
  if (data.size() % kSha1Size != 0) return make_error("CERTREQ data is not a list of SHA-1 hashes");
  std::vector<Bytes> out;
  for (size_t i = 0; i < data.size(); i += kSha1Size)
    out.emplace_back(data.begin() + long(i), data.begin() + long(i + kSha1Size));
  return out;
}

std::optional<size_t> select_by_certreq(const std::vector<CertCredentials>& candidates,
                                        const std::vector<Bytes>& requested) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    for (const auto& ca : candidates[i].chain) {
      if (std::find(requested.begin(), requested.end(), ca.spki_sha1()) != requested.end()) return i;
    }
  }
  return std::nullopt;
}

std::vector<Bytes> cert_payloads(const CertCredentials& creds) {
  std::vector<Bytes> out{creds.cert.der()};
  for (const auto& c : creds.chain) {
    if (!self_signed(c)) out.push_back(c.der());
  }
  return out;
}

Result<SigningChoice> choose_signing(const crypto::Certificate& cert, RsaPadding rsa,
                                     const std::vector<SignatureHash>& peer_hashes) {
  const KeyType type = cert.key_type();
  if (peer_hashes.empty()) {
    // The peer does not speak RFC 7427: only the classic methods remain.
    switch (type) {
      case KeyType::Rsa:
        if (rsa == RsaPadding::Pss)
          return make_error("RSA-PSS needs RFC 7427, which the peer did not announce");
        return SigningChoice{AuthMethod::RsaSig, SignatureScheme::RsaPkcs1Sha1};
      case KeyType::Ec:
        switch (cert.key_bits()) {
          case 256:
            return SigningChoice{AuthMethod::EcdsaSha256P256, SignatureScheme::EcdsaSha256};
          case 384:
            return SigningChoice{AuthMethod::EcdsaSha384P384, SignatureScheme::EcdsaSha384};
          case 521:
            return SigningChoice{AuthMethod::EcdsaSha512P521, SignatureScheme::EcdsaSha512};
          default:
            return make_error("ECDSA curve without an IKEv2 AUTH method");
        }
      case KeyType::Ed25519:
      case KeyType::Ed448:
        return make_error("EdDSA needs RFC 7427/8420, which the peer did not announce");
    }
  }
  if (type == KeyType::Ed25519 || type == KeyType::Ed448) {
    if (!has(peer_hashes, SignatureHash::Identity))
      return make_error("the peer does not accept EdDSA (no Identity hash)");
    return SigningChoice{AuthMethod::DigitalSignature,
                         type == KeyType::Ed25519 ? SignatureScheme::Ed25519 : SignatureScheme::Ed448};
  }
  // ECDSA prefers the hash that matches the curve's strength; RSA starts at SHA-256.
  std::vector<SignatureHash> order{SignatureHash::Sha256, SignatureHash::Sha384, SignatureHash::Sha512};
  if (type == KeyType::Ec && cert.key_bits() == 384)
    order = {SignatureHash::Sha384, SignatureHash::Sha512, SignatureHash::Sha256};
  if (type == KeyType::Ec && cert.key_bits() == 521)
    order = {SignatureHash::Sha512, SignatureHash::Sha384, SignatureHash::Sha256};
  for (auto h : order) {
    if (!has(peer_hashes, h)) continue;
    return SigningChoice{AuthMethod::DigitalSignature,
                         type == KeyType::Rsa ? rsa_scheme(rsa, h) : ecdsa_scheme(h)};
  }
  return make_error("no signature hash in common with the peer (SHA2-256/384/512 offered)");
}

// ---- CertAuthenticator

Result<std::unique_ptr<CertAuthenticator>> CertAuthenticator::signer(
    CertCredentials creds, RsaPadding rsa, const std::vector<SignatureHash>& peer_hashes) {
  if (creds.key.type() != creds.cert.key_type() || !(creds.key.public_key() == creds.cert.public_key())) {
    return make_error("the private key does not belong to the certificate " + creds.cert.subject());
  }
  auto choice = choose_signing(creds.cert, rsa, peer_hashes);
  if (!choice) return Unexpected(choice.error());
  std::unique_ptr<CertAuthenticator> a(new CertAuthenticator());
  a->choice_ = *choice;
  a->creds_ = std::move(creds);
  return a;
}

std::unique_ptr<CertAuthenticator> CertAuthenticator::verifier(PeerCertContext peer) {
  std::unique_ptr<CertAuthenticator> a(new CertAuthenticator());
  a->peer_ = std::move(peer);
  return a;
}

Result<Bytes> CertAuthenticator::sign(BytesView octets) {
  if (!creds_) return make_error("this authenticator only verifies");
  const bool raw_rs = choice_.method != AuthMethod::DigitalSignature;
  auto sig = creds_->key.sign(choice_.scheme, octets,
                              raw_rs ? crypto::EcdsaFormat::RawRs : crypto::EcdsaFormat::Der);
  if (!sig) return Unexpected(sig.error());
  if (choice_.method != AuthMethod::DigitalSignature) return sig;
  // RFC 7427 3: ASN.1 length | AlgorithmIdentifier | signature.
  const Bytes alg = crypto::algorithm_identifier(choice_.scheme);
  Bytes out;
  out.reserve(1 + alg.size() + sig->size());
  out.push_back(static_cast<uint8_t>(alg.size()));
  out.insert(out.end(), alg.begin(), alg.end());
  out.insert(out.end(), sig->begin(), sig->end());
  return out;
}

bool CertAuthenticator::fail(CertFailure reason, std::string detail) {
  failure_ = crypto::CertError{reason, std::move(detail)};
  return false;
}

std::optional<crypto::CertError> CertAuthenticator::check_peer() {
  const PeerCertContext& p = *peer_;
  const crypto::Certificate* ee = nullptr;
  std::vector<crypto::Certificate> intermediates;
  if (!p.received.empty()) {
    ee = &p.received.front();
    for (size_t i = 1; i < p.received.size(); ++i) intermediates.push_back(p.received[i]);
  } else if (p.configured) {
    ee = &*p.configured;
  } else {
    return crypto::CertError{CertFailure::NoCertificate,
                             "no CERT payload and no certificate configured for the peer"};
  }
  // A certificate configured for the peer pins it: a different one is refused.
  if (p.configured && !(*ee == *p.configured)) {
    return crypto::CertError{CertFailure::UntrustedIssuer,
                             "the peer's certificate " + ee->subject() + " is not the one configured for it"};
  }
  if (p.configured) {
    // Configured explicitly, hence trusted as is (swanctl remote certs); the dates still count.
    const int64_t now = p.at ? *p.at : int64_t(std::time(nullptr));
    if (now < ee->not_before()) return crypto::CertError{CertFailure::NotYetValid, ee->subject()};
    if (now > ee->not_after()) return crypto::CertError{CertFailure::Expired, ee->subject()};
  } else {
    if (!p.trust) return crypto::CertError{CertFailure::UntrustedIssuer, "no CA configured"};
    auto chain = p.trust->verify(*ee, intermediates, p.at);
    if (!chain) return chain.error();
  }
  auto kind = cert_id_kind(p.peer_id.type);
  if (!kind) {
    return crypto::CertError{CertFailure::UnsupportedIdentity,
                             "identity " + to_string(p.peer_id) + " cannot be bound to a certificate"};
  }
  if (auto mismatch = crypto::check_identity(*ee, *kind, p.peer_id.data)) return mismatch;
  peer_cert_ = *ee;
  return std::nullopt;
}

bool CertAuthenticator::verify(AuthMethod method, BytesView octets, BytesView auth_data) {
  failure_.reset();
  if (!peer_) return fail(CertFailure::Other, "this authenticator only signs");
  if (!peer_cert_) {
    if (auto err = check_peer()) {
      failure_ = std::move(err);
      return false;
    }
  }
  const crypto::Certificate& cert = *peer_cert_;
  const crypto::PublicKey& key = cert.public_key();
  switch (method) {
    case AuthMethod::RsaSig:
      if (cert.key_type() != KeyType::Rsa)
        return fail(CertFailure::AuthMethod, "method 1 with a non-RSA key");
      if (!key.verify(SignatureScheme::RsaPkcs1Sha1, octets, auth_data)) {
        return fail(CertFailure::AuthSignature, "RSA (method 1)");
      }
      return true;
    case AuthMethod::EcdsaSha256P256:
    case AuthMethod::EcdsaSha384P384:
    case AuthMethod::EcdsaSha512P521: {
      auto scheme = cert.key_type() == KeyType::Ec ? classic_ecdsa(method, cert.key_bits()) : std::nullopt;
      if (!scheme) return fail(CertFailure::AuthMethod, "ECDSA method does not match the key's curve");
      if (!key.verify(*scheme, octets, auth_data, crypto::EcdsaFormat::RawRs)) {
        return fail(CertFailure::AuthSignature, "ECDSA (RFC 4754)");
      }
      return true;
    }
    case AuthMethod::DigitalSignature: {
      if (auth_data.empty()) return fail(CertFailure::AuthMethod, "empty Digital Signature AUTH data");
      const size_t alg_len = auth_data[0];
      if (alg_len == 0 || auth_data.size() < 1 + alg_len) {
        return fail(CertFailure::AuthMethod, "truncated AlgorithmIdentifier in AUTH");
      }
      auto scheme = crypto::parse_algorithm_identifier(auth_data.subspan(1, alg_len));
      if (!scheme) return fail(CertFailure::AuthMethod, scheme.error().message);
      if (crypto::scheme_key_type(*scheme) != cert.key_type()) {
        return fail(CertFailure::AuthMethod, "signature algorithm does not fit the certificate's key");
      }
      // RFC 7427 4: the hash must be one we announced (SHA-1 never is).
      if (!has(peer_->our_hashes, crypto::signature_hash(*scheme))) {
        return fail(CertFailure::AuthMethod, "signature hash not among those we announced");
      }
      if (!key.verify(*scheme, octets, auth_data.subspan(1 + alg_len))) {
        return fail(CertFailure::AuthSignature, "Digital Signature (RFC 7427)");
      }
      return true;
    }
    default:
      return fail(CertFailure::AuthMethod,
                  "AUTH method " + std::to_string(unsigned(method)) + " is not a signature");
  }
}

}  // namespace portunus::ike
