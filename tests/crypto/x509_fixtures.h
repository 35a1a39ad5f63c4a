#pragma once
// Test PKI made at test time with OpenSSL's C API (no checked-in certificates): keys of
// every supported type, CA and end-entity certificates with chosen validity, SANs, key
// usage, path length, and CRLs. Times are offsets in seconds from now.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "portunus/crypto/signature.h"
#include "portunus/crypto/x509.h"

namespace portunus::test::pki {

enum class KeyKind { Rsa2048, P256, P384, P521, Ed25519, Ed448 };

inline std::shared_ptr<EVP_PKEY> make_key(KeyKind kind) {
  EVP_PKEY* key = nullptr;
  switch (kind) {
    case KeyKind::Rsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyKind::P256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyKind::P384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyKind::P521:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyKind::Ed25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyKind::Ed448:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
      break;
  }
  if (!key) throw std::runtime_error("key generation failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

struct Spec {
  std::string cn{};
  bool ca = false;
  int pathlen = -1;  // -1: no pathLenConstraint
  long not_before = -3600;
  long not_after = 30L * 86400;
  std::vector<std::string> sans{};  // openssl syntax: "DNS:a.example", "email:u@x", "IP:192.0.2.1"
  std::string key_usage{};          // e.g. "critical,digitalSignature"; empty: none (CAs get a default)
  std::string ext_key_usage{};      // e.g. "critical,serverAuth"; empty: none
  long serial = 1;
};

struct Issued {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> x509;

  crypto::Certificate cert() const {
    unsigned char* der = nullptr;
    int len = i2d_X509(x509.get(), &der);
    auto c = crypto::Certificate::from_der(BytesView(der, static_cast<size_t>(len)));
    OPENSSL_free(der);
    if (!c) throw std::runtime_error(c.error().message);
    return *c;
  }
  Bytes der() const {
    unsigned char* der = nullptr;
    int len = i2d_X509(x509.get(), &der);
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
  }
  std::string pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x509.get());
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
  }
  crypto::PrivateKey private_key() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    auto k = crypto::PrivateKey::from_pem(std::string_view(data, static_cast<size_t>(len)));
    BIO_free(bio);
    if (!k) throw std::runtime_error(k.error().message);
    return *k;
  }
};

inline void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

inline void sign_with(X509* cert, EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  // EdDSA signs the message itself: no separate digest.
  const EVP_MD* md = (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(cert, key, md) <= 0) throw std::runtime_error("X509_sign failed");
}

// Issues a certificate for `key`; `issuer` null makes it self-signed.
inline Issued issue(const Spec& spec, std::shared_ptr<EVP_PKEY> key, const Issued* issuer) {
  std::shared_ptr<X509> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("CH"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Portunus Test"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer->x509.get()) : name);
  X509_set_pubkey(cert.get(), key.get());
  X509* issuer_cert = issuer ? issuer->x509.get() : cert.get();
  if (spec.ca) {
    std::string bc = "critical,CA:TRUE";
    if (spec.pathlen >= 0) bc += ",pathlen:" + std::to_string(spec.pathlen);
    add_ext(cert.get(), issuer_cert, NID_basic_constraints, bc);
    add_ext(cert.get(), issuer_cert, NID_key_usage,
            spec.key_usage.empty() ? "critical,keyCertSign,cRLSign" : spec.key_usage);
  } else {
    add_ext(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    if (!spec.key_usage.empty()) add_ext(cert.get(), issuer_cert, NID_key_usage, spec.key_usage);
  }
  add_ext(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
  if (!spec.ext_key_usage.empty()) add_ext(cert.get(), issuer_cert, NID_ext_key_usage, spec.ext_key_usage);
  if (!spec.sans.empty()) {
    std::string joined;
    for (const auto& s : spec.sans) joined += (joined.empty() ? "" : ",") + s;
    add_ext(cert.get(), issuer_cert, NID_subject_alt_name, joined);
  }
  sign_with(cert.get(), issuer ? issuer->key.get() : key.get());
  return Issued{std::move(key), std::move(cert)};
}

inline Issued issue(const Spec& spec, KeyKind kind, const Issued* issuer) {
  return issue(spec, make_key(kind), issuer);
}

// A CRL signed by `ca`, listing `revoked` serials; validity from now+this_update to now+next_update.
inline std::string crl_pem(const Issued& ca, const std::vector<long>& revoked, long this_update = -60,
                           long next_update = 7L * 86400) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.x509.get()));
  ASN1_TIME* t = X509_gmtime_adj(nullptr, this_update);
  X509_CRL_set1_lastUpdate(crl, t);
  X509_gmtime_adj(t, next_update);
  X509_CRL_set1_nextUpdate(crl, t);
  for (long serial : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* s = ASN1_INTEGER_new();
    ASN1_INTEGER_set(s, serial);
    X509_REVOKED_set_serialNumber(r, s);
    X509_gmtime_adj(t, this_update);
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl, r);
    ASN1_INTEGER_free(s);
  }
  ASN1_TIME_free(t);
  X509_CRL_sort(crl);
  const int id = EVP_PKEY_get_base_id(ca.key.get());
  const EVP_MD* md = (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  X509_CRL_sign(crl, ca.key.get(), md);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_CRL_free(crl);
  return out;
}

inline BytesView as_view(const std::string& s) {
  return BytesView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Root CA -> intermediate CA -> end entity, all on `kind` keys.
struct Chain {
  Issued root;
  Issued intermediate;
  Issued leaf;
};

inline Chain make_chain(KeyKind kind, const std::string& leaf_cn = "moon.example.org",
                        std::vector<std::string> sans = {"DNS:moon.example.org", "email:moon@example.org",
                                                         "IP:192.0.2.1", "IP:2001:db8::1"}) {
  Chain c{issue({.cn = "Portunus Root CA", .ca = true, .serial = 1}, kind, nullptr), {}, {}};
  c.intermediate = issue({.cn = "Portunus Intermediate CA", .ca = true, .serial = 2}, kind, &c.root);
  c.leaf =
      issue({.cn = leaf_cn, .sans = std::move(sans), .key_usage = "critical,digitalSignature", .serial = 100},
            kind, &c.intermediate);
  return c;
}

}  // namespace portunus::test::pki
