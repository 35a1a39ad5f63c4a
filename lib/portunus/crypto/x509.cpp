#include "portunus/crypto/x509.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>

#include "portunus/crypto/ossl.h"

namespace portunus::crypto {
namespace {

using detail::last_openssl_error;

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct CrlFree {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

std::shared_ptr<X509> own(X509* p) { return std::shared_ptr<X509>(p, X509_free); }

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  // strongSwan's look: "C=CH, O=example, CN=moon" (one line, ", " separators, no spaces
  // around '=', short attribute names, UTF-8 kept as is).
  const unsigned long flags = (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB);
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Bytes name_der(const X509_NAME* name) {
  const unsigned char* der = nullptr;
  size_t len = 0;
  if (X509_NAME_get0_der(const_cast<X509_NAME*>(name), &der, &len) != 1) return {};
  return Bytes(der, der + len);
}

int64_t asn1_time_seconds(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string ip_text(const unsigned char* p, size_t n) {
  char buf[64];
  if (n == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
    return buf;
  }
  if (n == 16) {
    std::string out;
    for (size_t i = 0; i < 16; i += 2) {
      std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (p[i] << 8) | p[i + 1]);
      out += buf;
    }
    return out;
  }
  return "?";
}

Result<Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open " + path);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error("cannot read " + path);
  return data;
}

bool looks_like_pem(BytesView data) {
  static constexpr std::string_view kBegin = "-----BEGIN";
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find(kBegin) != std::string_view::npos;
}

// Maps OpenSSL's verification error onto our reasons.
CertFailure failure_of(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return CertFailure::Expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertFailure::NotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return CertFailure::UntrustedIssuer;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return CertFailure::BadSignature;
    case X509_V_ERR_CERT_REVOKED:
      return CertFailure::Revoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
      return CertFailure::CrlUnavailable;
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
      return CertFailure::CrlInvalid;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return CertFailure::IssuerNotCa;
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return CertFailure::PathLength;
    case X509_V_ERR_INVALID_PURPOSE:
      return CertFailure::KeyUsage;
    default:
      return CertFailure::Other;
  }
}

// Relaxed revocation: a certificate whose issuer has no loaded CRL is not refused for it.
int relaxed_crl_callback(int ok, X509_STORE_CTX* ctx) {
  if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL) return 1;
  return ok;
}

// A path that stops at a configured intermediate: that anchor's own CRL (issued by a root we
// do not have) cannot be checked, and OpenSSL would check it against the anchor's own key.
// The anchor is trusted by configuration; every certificate below it is checked as usual.
bool anchor_crl_error(X509_STORE_CTX* ctx) {
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  if (!chain || X509_STORE_CTX_get_error_depth(ctx) != sk_X509_num(chain) - 1) return false;
  switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
      return true;
    default:
      return false;
  }
}
int partial_strict_callback(int ok, X509_STORE_CTX* ctx) { return !ok && anchor_crl_error(ctx) ? 1 : ok; }
int partial_relaxed_callback(int ok, X509_STORE_CTX* ctx) {
  return !ok && anchor_crl_error(ctx) ? 1 : relaxed_crl_callback(ok, ctx);
}

CertError cert_error(CertFailure reason, std::string detail) { return CertError{reason, std::move(detail)}; }

// RFC 4945 5.1.3.2 / 5.1.3.12: an end entity used for IKE must allow digital signatures
// (or non-repudiation) when it has a keyUsage, and a critical extendedKeyUsage must name
// ipsecIKE or anyExtendedKeyUsage. A non-critical EKU is informational.
std::optional<CertError> check_end_entity_usage(X509* cert) {
  const uint32_t flags = X509_get_extension_flags(cert);
  if (flags & EXFLAG_INVALID) return cert_error(CertFailure::Malformed, "invalid extensions");
  if (flags & EXFLAG_KUSAGE) {
    const uint32_t ku = X509_get_key_usage(cert);
    if (!(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
      return cert_error(CertFailure::KeyUsage, "keyUsage lacks digitalSignature");
    }
  }
  const int eku_pos = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
  if (eku_pos >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, eku_pos))) {
    std::unique_ptr<EXTENDED_KEY_USAGE, decltype(&EXTENDED_KEY_USAGE_free)> eku(
        static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)),
        EXTENDED_KEY_USAGE_free);
    bool allowed = false;
    for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
      const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
      if (nid == NID_ipsec_IKE || nid == NID_anyExtendedKeyUsage) allowed = true;
    }
    if (!allowed) {
      return cert_error(CertFailure::KeyUsage,
                        "critical extendedKeyUsage without ipsecIKE / anyExtendedKeyUsage");
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view name(CertFailure f) {
  switch (f) {
    case CertFailure::Malformed:
      return "malformed certificate";
    case CertFailure::Expired:
      return "certificate expired";
    case CertFailure::NotYetValid:
      return "certificate not yet valid";
    case CertFailure::UntrustedIssuer:
      return "no trusted path to a configured CA";
    case CertFailure::BadSignature:
      return "bad certificate signature";
    case CertFailure::Revoked:
      return "certificate revoked";
    case CertFailure::CrlUnavailable:
      return "no CRL for the issuer (strict revocation)";
    case CertFailure::CrlInvalid:
      return "invalid CRL";
    case CertFailure::IssuerNotCa:
      return "issuer is not a CA";
    case CertFailure::PathLength:
      return "path length constraint exceeded";
    case CertFailure::KeyUsage:
      return "key usage does not allow IKE signatures";
    case CertFailure::IdentityMismatch:
      return "identity does not match the certificate";
    case CertFailure::UnsupportedIdentity:
      return "identity type cannot be bound to a certificate";
    case CertFailure::NoCertificate:
      return "no certificate for the peer";
    case CertFailure::AuthMethod:
      return "AUTH method not acceptable";
    case CertFailure::AuthSignature:
      return "AUTH signature invalid";
    case CertFailure::Other:
      return "certificate verification failed";
  }
  return "certificate verification failed";
}

std::string CertError::text() const {
  std::string out(name(reason));
  if (!detail.empty()) out += ": " + detail;
  return out;
}

// ---- Certificate

Certificate::Certificate(std::shared_ptr<X509> cert, PublicKey key)
    : cert_(std::move(cert)), key_(std::move(key)) {}

Result<Certificate> Certificate::wrap(std::shared_ptr<X509> cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (!key) return make_error("certificate without a usable public key: " + last_openssl_error());
  KeyType type;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      type = KeyType::Rsa;
      break;
    case EVP_PKEY_EC:
      type = KeyType::Ec;
      break;
    case EVP_PKEY_ED25519:
      type = KeyType::Ed25519;
      break;
    case EVP_PKEY_ED448:
      type = KeyType::Ed448;
      break;
    default:
      return make_error("certificate key type unsupported (RSA, ECDSA, Ed25519 and Ed448 are)");
  }
  if (EVP_PKEY_up_ref(key) != 1) return make_error("out of memory");
  PublicKey pub(std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free), type);
  return Certificate(std::move(cert), std::move(pub));
}

Result<Certificate> Certificate::from_der(BytesView der) {
  const unsigned char* p = der.data();
  X509* raw = d2i_X509(nullptr, &p, long(der.size()));
  if (!raw) {
    std::string why = last_openssl_error();
    return make_error("cannot parse the DER certificate: " + why);
  }
  auto cert = own(raw);
  if (p != der.data() + der.size()) return make_error("trailing data after the DER certificate");
  return wrap(std::move(cert));
}

Result<std::vector<Certificate>> Certificate::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  if (!bio) return make_error("out of memory");
  std::vector<Certificate> out;
  for (;;) {
    X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!raw) break;
    auto cert = own(raw);
    unsigned char* der = nullptr;
    int len = i2d_X509(raw, &der);
    if (len <= 0) return make_error("cannot re-encode a PEM certificate");
    auto parsed = from_der(BytesView(der, static_cast<size_t>(len)));
    OPENSSL_free(der);
    if (!parsed) return Unexpected(parsed.error());
    out.push_back(std::move(*parsed));
  }
  // The loop ends on "no more PEM blocks" (expected) or on a broken block (an error).
  const unsigned long err = ERR_peek_last_error();
  if (out.empty() || (err && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)) {
    std::string why = out.empty() ? "no certificate in the PEM text" : "broken PEM certificate block";
    ERR_clear_error();
    return make_error(why);
  }
  ERR_clear_error();
  return out;
}

Result<std::vector<Certificate>> Certificate::load_file(const std::string& path) {
  auto data = read_file(path);
  if (!data) return Unexpected(data.error());
  if (looks_like_pem(*data)) {
    auto certs = from_pem(std::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
    if (!certs) return make_error(path + ": " + certs.error().message);
    return certs;
  }
  auto cert = from_der(*data);
  if (!cert) return make_error(path + ": " + cert.error().message);
  return std::vector<Certificate>{std::move(*cert)};
}

Bytes Certificate::der() const {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert_.get(), &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string Certificate::subject() const { return name_text(X509_get_subject_name(cert_.get())); }
std::string Certificate::issuer() const { return name_text(X509_get_issuer_name(cert_.get())); }
Bytes Certificate::subject_der() const { return name_der(X509_get_subject_name(cert_.get())); }

std::vector<SubjectAltName> Certificate::subject_alt_names() const {
  std::vector<SubjectAltName> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert_.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    SubjectAltName san;
    auto from_ia5 = [&](const ASN1_IA5STRING* s) {
      san.value.assign(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s));
      san.text.assign(san.value.begin(), san.value.end());
    };
    switch (gn->type) {
      case GEN_DNS:
        san.kind = SubjectAltName::Kind::Dns;
        from_ia5(gn->d.dNSName);
        break;
      case GEN_EMAIL:
        san.kind = SubjectAltName::Kind::Email;
        from_ia5(gn->d.rfc822Name);
        break;
      case GEN_URI:
        san.kind = SubjectAltName::Kind::Uri;
        from_ia5(gn->d.uniformResourceIdentifier);
        break;
      case GEN_IPADD: {
        san.kind = SubjectAltName::Kind::Ip;
        const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
        san.value.assign(ASN1_STRING_get0_data(ip), ASN1_STRING_get0_data(ip) + ASN1_STRING_length(ip));
        san.text = ip_text(san.value.data(), san.value.size());
        break;
      }
      case GEN_DIRNAME:
        san.kind = SubjectAltName::Kind::DirName;
        san.value = name_der(gn->d.directoryName);
        san.text = name_text(gn->d.directoryName);
        break;
      default:
        san.kind = SubjectAltName::Kind::Other;
        san.text = "(other name)";
        break;
    }
    out.push_back(std::move(san));
  }
  return out;
}

int64_t Certificate::not_before() const { return asn1_time_seconds(X509_get0_notBefore(cert_.get())); }
int64_t Certificate::not_after() const { return asn1_time_seconds(X509_get0_notAfter(cert_.get())); }

std::string Certificate::serial_hex() const {
  detail::BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  if (!hex) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

bool Certificate::is_ca() const { return X509_check_ca(cert_.get()) != 0; }

unsigned Certificate::key_bits() const {
  EVP_PKEY* key = X509_get0_pubkey(cert_.get());
  return key ? static_cast<unsigned>(EVP_PKEY_get_bits(key)) : 0;
}

std::string Certificate::key_description() const {
  switch (key_type()) {
    case KeyType::Rsa:
      return "RSA " + std::to_string(key_bits());
    case KeyType::Ec:
      return "ECDSA P-" + std::to_string(key_bits());
    case KeyType::Ed25519:
      return "Ed25519";
    case KeyType::Ed448:
      return "Ed448";
  }
  return "unknown";
}

Bytes Certificate::spki_sha1() const {
  Bytes spki = key_.der();
  Bytes out(20);
  unsigned int len = 0;
  if (spki.empty() || EVP_Digest(spki.data(), spki.size(), out.data(), &len, EVP_sha1(), nullptr) != 1 ||
      len != out.size()) {
    return {};
  }
  return out;
}

bool Certificate::subject_matches(BytesView der_name) const {
  const unsigned char* p = der_name.data();
  std::unique_ptr<X509_NAME, NameFree> name(d2i_X509_NAME(nullptr, &p, long(der_name.size())));
  if (!name || p != der_name.data() + der_name.size()) {
    ERR_clear_error();
    return false;
  }
  // X509_NAME_cmp compares the canonical encodings (case and string type folded).
  return X509_NAME_cmp(name.get(), X509_get_subject_name(cert_.get())) == 0;
}

bool Certificate::has_dns(std::string_view fqdn) const {
  // NEVER_CHECK_SUBJECT: only dNSName entries count; no partial/multi-label wildcards.
  const unsigned flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  return !fqdn.empty() && X509_check_host(cert_.get(), fqdn.data(), fqdn.size(), flags, nullptr) == 1;
}

bool Certificate::has_email(std::string_view address) const {
  return !address.empty() && X509_check_email(cert_.get(), address.data(), address.size(),
                                              X509_CHECK_FLAG_NEVER_CHECK_SUBJECT) == 1;
}

bool Certificate::has_ip(BytesView address) const {
  if (address.size() != 4 && address.size() != 16) return false;
  return X509_check_ip(cert_.get(), address.data(), address.size(), 0) == 1;
}

bool Certificate::operator==(const Certificate& other) const {
  return X509_cmp(cert_.get(), other.cert_.get()) == 0;
}

namespace {

std::string utc_text(int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string hex_of(const Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t v : b) {
    out += kDigits[v >> 4];
    out += kDigits[v & 15];
  }
  return out;
}

}  // namespace

std::string describe(const Certificate& cert, int64_t now) {
  std::string out;
  out += "  subject:  \"" + cert.subject() + "\"\n";
  out += "  issuer:   \"" + cert.issuer() + "\"\n";
  out += "  serial:   " + cert.serial_hex() + "\n";
  const char* state = now < cert.not_before()  ? ", not yet valid"
                      : now > cert.not_after() ? ", expired"
                                               : ", ok";
  out += "  validity: not before " + utc_text(cert.not_before()) + "\n";
  out += "            not after  " + utc_text(cert.not_after()) + state + "\n";
  auto sans = cert.subject_alt_names();
  if (!sans.empty()) {
    out += "  altNames: ";
    for (size_t i = 0; i < sans.size(); ++i) out += (i ? ", " : "") + sans[i].text;
    out += "\n";
  }
  out += "  pubkey:   " + cert.key_description() + "\n";
  if (cert.is_ca()) out += "  keyid:    " + hex_of(cert.spki_sha1()) + " (CERTREQ)\n";
  return out;
}

std::optional<CertError> check_identity(const Certificate& cert, CertIdKind kind, BytesView id_data) {
  std::string_view text(reinterpret_cast<const char*>(id_data.data()), id_data.size());
  switch (kind) {
    case CertIdKind::DerAsn1Dn:
      if (cert.subject_matches(id_data)) return std::nullopt;
      return cert_error(CertFailure::IdentityMismatch,
                        "DER_ASN1_DN differs from the subject " + cert.subject());
    case CertIdKind::Fqdn:
      if (cert.has_dns(text)) return std::nullopt;
      return cert_error(CertFailure::IdentityMismatch,
                        "FQDN " + std::string(text) + " not in the subjectAltNames");
    case CertIdKind::Rfc822Addr:
      if (cert.has_email(text)) return std::nullopt;
      return cert_error(CertFailure::IdentityMismatch,
                        "RFC822_ADDR " + std::string(text) + " not in the subjectAltNames");
    case CertIdKind::IpAddr:
      if (cert.has_ip(id_data)) return std::nullopt;
      return cert_error(
          CertFailure::IdentityMismatch,
          "IP address " + ip_text(id_data.data(), id_data.size()) + " not in the subjectAltNames");
  }
  return cert_error(CertFailure::UnsupportedIdentity, "");
}

// ---- TrustStore

TrustStore::TrustStore() : store_(X509_STORE_new(), X509_STORE_free) {}

Result<bool> TrustStore::add_ca(const Certificate& ca) {
  if (!store_) return make_error("out of memory");
  if (!ca.is_ca())
    return make_error("not a CA certificate (basicConstraints cA=TRUE missing): " + ca.subject());
  for (const auto& c : cas_) {
    if (c == ca) return false;  // already there
  }
  if (X509_STORE_add_cert(store_.get(), ca.cert_.get()) != 1) {
    return make_error("cannot add the CA certificate: " + last_openssl_error());
  }
  cas_.push_back(ca);
  return true;
}

Result<size_t> TrustStore::add_crls(BytesView data) {
  if (!store_) return make_error("out of memory");
  std::vector<std::unique_ptr<X509_CRL, CrlFree>> crls;
  if (looks_like_pem(data)) {
    BioPtr bio(BIO_new_mem_buf(data.data(), int(data.size())));
    if (!bio) return make_error("out of memory");
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr))
      crls.emplace_back(crl);
    const unsigned long err = ERR_peek_last_error();
    ERR_clear_error();
    if (crls.empty() || (err && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)) {
      return make_error("cannot parse the PEM CRL");
    }
  } else {
    const unsigned char* p = data.data();
    X509_CRL* crl = d2i_X509_CRL(nullptr, &p, long(data.size()));
    if (!crl) return make_error("cannot parse the DER CRL: " + last_openssl_error());
    crls.emplace_back(crl);
    if (p != data.data() + data.size()) return make_error("trailing data after the DER CRL");
  }
  for (auto& crl : crls) {
    if (X509_STORE_add_crl(store_.get(), crl.get()) != 1)
      return make_error("cannot add the CRL: " + last_openssl_error());
  }
  crl_count_ += crls.size();
  return crls.size();
}

Result<size_t> TrustStore::add_crl_file(const std::string& path) {
  auto data = read_file(path);
  if (!data) return Unexpected(data.error());
  auto n = add_crls(*data);
  if (!n) return make_error(path + ": " + n.error().message);
  return n;
}

Bytes TrustStore::certreq_data() const {
  Bytes out;
  for (const auto& ca : cas_) {
    Bytes h = ca.spki_sha1();
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

CertResult<std::vector<Certificate>> TrustStore::verify(const Certificate& end_entity,
                                                        const std::vector<Certificate>& intermediates,
                                                        std::optional<int64_t> at) const {
  if (!store_) return Unexpected(cert_error(CertFailure::Other, "out of memory"));
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return Unexpected(cert_error(CertFailure::Other, "out of memory"));
  for (const auto& c : intermediates) {
    if (!X509_up_ref(c.cert_.get()) || !sk_X509_push(untrusted.get(), c.cert_.get())) {
      return Unexpected(cert_error(CertFailure::Other, "out of memory"));
    }
  }
  // Every configured CA is an anchor (swanctl semantics), so a path may end at an
  // intermediate. The full path to a configured self-signed root is tried first: OpenSSL
  // checks the CRL of a partial chain's top certificate against that certificate's own key,
  // which fails for an intermediate whose issuer (the root) published a CRL. Only when no
  // root is reachable does the path stop at a configured intermediate, whose own
  // revocation status then cannot be known (it is trusted as configured).
  // CRLs are checked along the whole chain once any CRL is loaded.
  auto run = [&](bool partial) -> int {
    X509_STORE_CTX_cleanup(ctx.get());
    if (X509_STORE_CTX_init(ctx.get(), store_.get(), end_entity.cert_.get(), untrusted.get()) != 1) return -1;
    unsigned long flags = partial ? X509_V_FLAG_PARTIAL_CHAIN : 0;
    if (crl_count_ > 0 || revocation_ == RevocationPolicy::Strict)
      flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    X509_STORE_CTX_set_flags(ctx.get(), flags);
    if (at) X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(*at));
    const bool relaxed = revocation_ == RevocationPolicy::Relaxed;
    if (partial)
      X509_STORE_CTX_set_verify_cb(ctx.get(), relaxed ? partial_relaxed_callback : partial_strict_callback);
    else if (relaxed)
      X509_STORE_CTX_set_verify_cb(ctx.get(), relaxed_crl_callback);
    return X509_verify_cert(ctx.get());
  };
  int rc = run(false);
  if (rc != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) {
      ERR_clear_error();
      rc = run(true);
    }
  }
  if (rc < 0) return Unexpected(cert_error(CertFailure::Other, last_openssl_error()));
  if (rc != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    std::string detail = X509_verify_cert_error_string(err);
    if (bad)
      detail += " (depth " + std::to_string(depth) + ", " + name_text(X509_get_subject_name(bad)) + ")";
    ERR_clear_error();
    return Unexpected(cert_error(failure_of(err), std::move(detail)));
  }
  if (auto usage = check_end_entity_usage(end_entity.cert_.get())) return Unexpected(std::move(*usage));

  // The chain consists of our inputs and anchors; hand those objects back rather than
  // wrapping (and decoding keys) anew.
  auto known = [&](X509* c) -> const Certificate* {
    if (c == end_entity.cert_.get()) return &end_entity;
    for (const auto& i : intermediates)
      if (c == i.cert_.get()) return &i;
    for (const auto& a : cas_)
      if (c == a.cert_.get()) return &a;
    return nullptr;
  };
  std::vector<Certificate> chain;
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(built); ++i) {
    X509* c = sk_X509_value(built, i);
    if (const Certificate* k = known(c)) {
      chain.push_back(*k);
      continue;
    }
    if (!X509_up_ref(c)) return Unexpected(cert_error(CertFailure::Other, "out of memory"));
    auto wrapped = Certificate::wrap(own(c));
    if (!wrapped) return Unexpected(cert_error(CertFailure::Malformed, wrapped.error().message));
    chain.push_back(std::move(*wrapped));
  }
  return chain;
}

}  // namespace portunus::crypto
