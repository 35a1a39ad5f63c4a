#include "portunus/crypto/x509_algorithm.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace portunus::crypto {
namespace {

// Short-form DER TLV: every value built here is shorter than 128 octets.
// (Built by reserve + push_back: inserting into a two-element vector trips a GCC 12 -O3
// -Warray-bounds false positive.)
Bytes tlv(uint8_t tag, const Bytes& content) {
  Bytes out;
  out.reserve(2 + content.size());
  out.push_back(tag);
  out.push_back(static_cast<uint8_t>(content.size()));
  out.insert(out.end(), content.begin(), content.end());
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kNull{0x05, 0x00};
// 1.2.840.113549.1.1.x (PKCS #1) with the last arc given.
Bytes pkcs1_oid(uint8_t last) { return tlv(0x06, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, last}); }
// 2.16.840.1.101.3.4.2.x (NIST hash algorithms).
Bytes nist_hash_oid(uint8_t last) {
  return tlv(0x06, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, last});
}
// 1.2.840.10045.4.3.x (ecdsa-with-SHA2).
Bytes ecdsa_oid(uint8_t last) { return tlv(0x06, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, last}); }

// RFC 4055 RSASSA-PSS-params with explicit hash, MGF1(hash) and salt length.
Bytes pss_identifier(uint8_t hash_arc, uint8_t salt_len) {
  const Bytes hash_alg = tlv(0x30, cat({nist_hash_oid(hash_arc), kNull}));
  const Bytes mgf_alg = tlv(0x30, cat({pkcs1_oid(0x08), hash_alg}));
  const Bytes params =
      tlv(0x30, cat({tlv(0xa0, hash_alg), tlv(0xa1, mgf_alg), tlv(0xa2, tlv(0x02, {salt_len}))}));
  return tlv(0x30, cat({pkcs1_oid(0x0a), params}));
}

struct AlgorFree {
  void operator()(X509_ALGOR* p) const { X509_ALGOR_free(p); }
};
struct PssFree {
  void operator()(RSA_PSS_PARAMS* p) const { RSA_PSS_PARAMS_free(p); }
};

int hash_nid_of(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return OBJ_obj2nid(obj);
}

Result<SignatureScheme> parse_pss(const ASN1_TYPE* param) {
  if (!param || param->type != V_ASN1_SEQUENCE)
    return make_error("RSA-PSS without parameters (SHA-1 defaults refused)");
  const unsigned char* p = param->value.sequence->data;
  const long len = param->value.sequence->length;
  std::unique_ptr<RSA_PSS_PARAMS, PssFree> pss(d2i_RSA_PSS_PARAMS(nullptr, &p, len));
  if (!pss) return make_error("malformed RSA-PSS parameters");
  // Absent fields take the RFC 4055 defaults: SHA-1, MGF1-SHA-1, salt 20, trailer 1.
  const int hash = pss->hashAlgorithm ? hash_nid_of(pss->hashAlgorithm) : NID_sha1;
  int mgf_hash = NID_sha1;
  if (pss->maskGenAlgorithm) {
    if (hash_nid_of(pss->maskGenAlgorithm) != NID_mgf1)
      return make_error("RSA-PSS with a mask generation other than MGF1");
    int ptype = 0;
    const void* pval = nullptr;
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, &ptype, &pval, pss->maskGenAlgorithm);
    if (ptype != V_ASN1_SEQUENCE) return make_error("MGF1 without a hash parameter");
    const ASN1_STRING* seq = static_cast<const ASN1_STRING*>(pval);
    const unsigned char* q = ASN1_STRING_get0_data(seq);
    std::unique_ptr<X509_ALGOR, AlgorFree> mgf_alg(d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(seq)));
    if (!mgf_alg) return make_error("malformed MGF1 hash parameter");
    mgf_hash = hash_nid_of(mgf_alg.get());
  }
  long salt = 20;
  if (pss->saltLength) salt = ASN1_INTEGER_get(pss->saltLength);
  long trailer = 1;
  if (pss->trailerField) trailer = ASN1_INTEGER_get(pss->trailerField);
  SignatureScheme scheme;
  long hash_len = 0;
  switch (hash) {
    case NID_sha256:
      scheme = SignatureScheme::RsaPssSha256, hash_len = 32;
      break;
    case NID_sha384:
      scheme = SignatureScheme::RsaPssSha384, hash_len = 48;
      break;
    case NID_sha512:
      scheme = SignatureScheme::RsaPssSha512, hash_len = 64;
      break;
    default:
      return make_error("RSA-PSS with an unsupported hash");
  }
  if (mgf_hash != hash || salt != hash_len || trailer != 1) {
    return make_error("RSA-PSS parameters other than MGF1(same hash), salt = hash length");
  }
  return scheme;
}

}  // namespace

SignatureHash signature_hash(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::RsaPkcs1Sha1:
      return SignatureHash::Sha1;
    case SignatureScheme::RsaPkcs1Sha256:
    case SignatureScheme::RsaPssSha256:
    case SignatureScheme::EcdsaSha256:
      return SignatureHash::Sha256;
    case SignatureScheme::RsaPkcs1Sha384:
    case SignatureScheme::RsaPssSha384:
    case SignatureScheme::EcdsaSha384:
      return SignatureHash::Sha384;
    case SignatureScheme::RsaPkcs1Sha512:
    case SignatureScheme::RsaPssSha512:
    case SignatureScheme::EcdsaSha512:
      return SignatureHash::Sha512;
    case SignatureScheme::Ed25519:
    case SignatureScheme::Ed448:
      return SignatureHash::Identity;
  }
  return SignatureHash::Identity;
}

Bytes algorithm_identifier(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::RsaPkcs1Sha1:
      return tlv(0x30, cat({pkcs1_oid(0x05), kNull}));
    case SignatureScheme::RsaPkcs1Sha256:
      return tlv(0x30, cat({pkcs1_oid(0x0b), kNull}));
    case SignatureScheme::RsaPkcs1Sha384:
      return tlv(0x30, cat({pkcs1_oid(0x0c), kNull}));
    case SignatureScheme::RsaPkcs1Sha512:
      return tlv(0x30, cat({pkcs1_oid(0x0d), kNull}));
    case SignatureScheme::RsaPssSha256:
      return pss_identifier(0x01, 32);
    case SignatureScheme::RsaPssSha384:
      return pss_identifier(0x02, 48);
    case SignatureScheme::RsaPssSha512:
      return pss_identifier(0x03, 64);
    case SignatureScheme::EcdsaSha256:
      return tlv(0x30, ecdsa_oid(0x02));
    case SignatureScheme::EcdsaSha384:
      return tlv(0x30, ecdsa_oid(0x03));
    case SignatureScheme::EcdsaSha512:
      return tlv(0x30, ecdsa_oid(0x04));
    case SignatureScheme::Ed25519:
      return tlv(0x30, tlv(0x06, {0x2b, 0x65, 0x70}));
    case SignatureScheme::Ed448:
      return tlv(0x30, tlv(0x06, {0x2b, 0x65, 0x71}));
  }
  return {};
}

Result<SignatureScheme> parse_algorithm_identifier(BytesView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509_ALGOR, AlgorFree> alg(d2i_X509_ALGOR(nullptr, &p, long(der.size())));
  if (!alg) {
    ERR_clear_error();
    return make_error("malformed AlgorithmIdentifier");
  }
  if (p != der.data() + der.size()) return make_error("trailing data after the AlgorithmIdentifier");
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg.get());
  switch (OBJ_obj2nid(obj)) {
    case NID_sha1WithRSAEncryption:
      return SignatureScheme::RsaPkcs1Sha1;
    case NID_sha256WithRSAEncryption:
      return SignatureScheme::RsaPkcs1Sha256;
    case NID_sha384WithRSAEncryption:
      return SignatureScheme::RsaPkcs1Sha384;
    case NID_sha512WithRSAEncryption:
      return SignatureScheme::RsaPkcs1Sha512;
    case NID_ecdsa_with_SHA256:
      return SignatureScheme::EcdsaSha256;
    case NID_ecdsa_with_SHA384:
      return SignatureScheme::EcdsaSha384;
    case NID_ecdsa_with_SHA512:
      return SignatureScheme::EcdsaSha512;
    case NID_ED25519:
      return SignatureScheme::Ed25519;
    case NID_ED448:
      return SignatureScheme::Ed448;
    case NID_rsassaPss: {
      std::unique_ptr<ASN1_TYPE, decltype(&ASN1_TYPE_free)> param(nullptr, ASN1_TYPE_free);
      const ASN1_TYPE* t = nullptr;
      if (ptype == V_ASN1_SEQUENCE) {
        param.reset(ASN1_TYPE_new());
        if (!param) return make_error("out of memory");
        ASN1_TYPE_set1(param.get(), V_ASN1_SEQUENCE, pval);
        t = param.get();
      }
      return parse_pss(t);
    }
    default:
      return make_error("unsupported signature algorithm in AUTH");
  }
}

}  // namespace portunus::crypto
