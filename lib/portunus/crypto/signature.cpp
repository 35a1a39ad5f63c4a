#include "portunus/crypto/signature.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "portunus/crypto/ossl.h"

namespace portunus::crypto {
namespace {

using detail::last_openssl_error;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

Result<KeyType> type_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyType::Rsa;
    case EVP_PKEY_EC:
      return KeyType::Ec;
    case EVP_PKEY_ED25519:
      return KeyType::Ed25519;
    case EVP_PKEY_ED448:
      return KeyType::Ed448;
    default:
      return make_error("unsupported key type (RSA, ECDSA, Ed25519 and Ed448 are)");
  }
}

const char* digest_of(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::RsaPkcs1Sha1:
      return "SHA1";
    case SignatureScheme::RsaPkcs1Sha256:
    case SignatureScheme::RsaPssSha256:
    case SignatureScheme::EcdsaSha256:
      return "SHA2-256";
    case SignatureScheme::RsaPkcs1Sha384:
    case SignatureScheme::RsaPssSha384:
    case SignatureScheme::EcdsaSha384:
      return "SHA2-384";
    case SignatureScheme::RsaPkcs1Sha512:
    case SignatureScheme::RsaPssSha512:
    case SignatureScheme::EcdsaSha512:
      return "SHA2-512";
    case SignatureScheme::Ed25519:
    case SignatureScheme::Ed448:
      return nullptr;  // pure EdDSA hashes internally
  }
  return nullptr;
}

bool is_pss(SignatureScheme s) {
  return s == SignatureScheme::RsaPssSha256 || s == SignatureScheme::RsaPssSha384 ||
         s == SignatureScheme::RsaPssSha512;
}

// Sets up a DigestSign / DigestVerify context for the scheme.
detail::MdCtxPtr start(EVP_PKEY* key, SignatureScheme scheme, bool signing) {
  detail::MdCtxPtr md(EVP_MD_CTX_new());
  if (!md) return nullptr;
  EVP_PKEY_CTX* pctx = nullptr;
  const char* digest = digest_of(scheme);
  int rc = signing ? EVP_DigestSignInit_ex(md.get(), &pctx, digest, nullptr, nullptr, key, nullptr)
                   : EVP_DigestVerifyInit_ex(md.get(), &pctx, digest, nullptr, nullptr, key, nullptr);
  if (rc != 1) return nullptr;
  if (is_pss(scheme)) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return nullptr;
    }
  } else if (scheme_key_type(scheme) == KeyType::Rsa) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return nullptr;
  }
  return md;
}

size_t ec_order_size(EVP_PKEY* key) { return static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8); }

// DER ECDSA-Sig-Value -> r | s padded to the order length.
Result<Bytes> der_to_raw(EVP_PKEY* key, BytesView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, long(der.size())),
                                                            ECDSA_SIG_free);
  if (!sig) return make_error("cannot decode the ECDSA signature");
  const size_t n = ec_order_size(key);
  Bytes raw(2 * n);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), int(n)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + n, int(n)) < 0) {
    return make_error("cannot encode the ECDSA signature");
  }
  return raw;
}

// r | s -> DER; nullopt-like empty result on a malformed value.
Bytes raw_to_der(EVP_PKEY* key, BytesView raw) {
  const size_t n = ec_order_size(key);
  if (raw.size() != 2 * n) return {};
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(raw.data(), int(n), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + n, int(n), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  Bytes der(static_cast<size_t>(len));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return {};
  return der;
}

Result<std::shared_ptr<EVP_PKEY>> keygen(const char* type, const char* curve, unsigned bits) {
  EVP_PKEY* key = nullptr;
  if (curve) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  } else if (bits) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  if (!key) return make_error(std::string("key generation failed: ") + last_openssl_error());
  return own(key);
}

}  // namespace

KeyType scheme_key_type(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::RsaPkcs1Sha1:
    case SignatureScheme::RsaPkcs1Sha256:
    case SignatureScheme::RsaPkcs1Sha384:
    case SignatureScheme::RsaPkcs1Sha512:
    case SignatureScheme::RsaPssSha256:
    case SignatureScheme::RsaPssSha384:
    case SignatureScheme::RsaPssSha512:
      return KeyType::Rsa;
    case SignatureScheme::EcdsaSha256:
    case SignatureScheme::EcdsaSha384:
    case SignatureScheme::EcdsaSha512:
      return KeyType::Ec;
    case SignatureScheme::Ed25519:
      return KeyType::Ed25519;
    case SignatureScheme::Ed448:
      return KeyType::Ed448;
  }
  return KeyType::Rsa;
}

// ---- PublicKey

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), BIO_free);
  if (!bio) return make_error("out of memory");
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!key) return make_error("cannot parse the PEM public key: " + last_openssl_error());
  auto shared = own(key);
  auto type = type_of(key);
  if (!type) return Unexpected(type.error());
  return PublicKey(std::move(shared), *type);
}

Result<PublicKey> PublicKey::from_der(BytesView spki) {
  const unsigned char* p = spki.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, long(spki.size()));
  if (!key) return make_error("cannot parse the DER public key: " + last_openssl_error());
  auto shared = own(key);
  if (p != spki.data() + spki.size()) return make_error("trailing data after the DER public key");
  auto type = type_of(key);
  if (!type) return Unexpected(type.error());
  return PublicKey(std::move(shared), *type);
}

Result<PublicKey> PublicKey::from_ed25519(BytesView raw) {
  if (raw.size() != 32) return make_error("an Ed25519 public key is 32 octets");
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size());
  if (!key) return make_error("cannot load the Ed25519 public key: " + last_openssl_error());
  return PublicKey(own(key), KeyType::Ed25519);
}

Result<PublicKey> PublicKey::from_ed448(BytesView raw) {
  if (raw.size() != 57) return make_error("an Ed448 public key is 57 octets");
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED448, nullptr, raw.data(), raw.size());
  if (!key) return make_error("cannot load the Ed448 public key: " + last_openssl_error());
  return PublicKey(own(key), KeyType::Ed448);
}

bool PublicKey::operator==(const PublicKey& other) const {
  return key_ && other.key_ && EVP_PKEY_eq(key_.get(), other.key_.get()) == 1;
}

Bytes PublicKey::der() const {
  int len = i2d_PUBKEY(key_.get(), nullptr);
  if (len <= 0) return {};
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_PUBKEY(key_.get(), &p);
  return out;
}

Bytes PublicKey::raw() const {
  if (type_ != KeyType::Ed25519 && type_ != KeyType::Ed448) return {};
  size_t len = 0;
  if (EVP_PKEY_get_raw_public_key(key_.get(), nullptr, &len) != 1) return {};
  Bytes out(len);
  if (EVP_PKEY_get_raw_public_key(key_.get(), out.data(), &len) != 1) return {};
  return out;
}

bool PublicKey::verify(SignatureScheme scheme, BytesView message, BytesView signature,
                       EcdsaFormat format) const {
  if (scheme_key_type(scheme) != type_) return false;
  Bytes der;
  if (type_ == KeyType::Ec && format == EcdsaFormat::RawRs) {
    der = raw_to_der(key_.get(), signature);
    if (der.empty()) return false;
    signature = der;
  }
  auto md = start(key_.get(), scheme, false);
  bool good = md && EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(),
                                     message.size()) == 1;
  if (!good) ERR_clear_error();
  return good;
}

// ---- PrivateKey

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), BIO_free);
  if (!bio) return make_error("out of memory");
  // An empty passphrase callback: encrypted keys fail cleanly instead of prompting.
  auto no_pass = [](char*, int, int, void*) -> int { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass, nullptr);
  if (!key) return make_error("cannot parse the PEM private key: " + last_openssl_error());
  auto shared = own(key);
  auto type = type_of(key);
  if (!type) return Unexpected(type.error());
  return PrivateKey(std::move(shared), *type);
}

Result<PrivateKey> PrivateKey::from_ed25519_seed(BytesView seed) {
  if (seed.size() != 32) return make_error("an Ed25519 secret key is 32 octets");
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  if (!key) return make_error("cannot load the Ed25519 key: " + last_openssl_error());
  return PrivateKey(own(key), KeyType::Ed25519);
}

Result<PrivateKey> PrivateKey::from_ed448_seed(BytesView seed) {
  if (seed.size() != 57) return make_error("an Ed448 secret key is 57 octets");
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED448, nullptr, seed.data(), seed.size());
  if (!key) return make_error("cannot load the Ed448 key: " + last_openssl_error());
  return PrivateKey(own(key), KeyType::Ed448);
}

Result<PrivateKey> PrivateKey::generate_rsa(unsigned bits) {
  if (bits < 2048) return make_error("RSA keys shorter than 2048 bits are refused (RFC 8247)");
  auto key = keygen(nullptr, nullptr, bits);
  if (!key) return Unexpected(key.error());
  return PrivateKey(std::move(*key), KeyType::Rsa);
}

Result<PrivateKey> PrivateKey::generate_ec(unsigned curve_bits) {
  const char* curve = curve_bits == 256   ? "P-256"
                      : curve_bits == 384 ? "P-384"
                      : curve_bits == 521 ? "P-521"
                                          : nullptr;
  if (!curve) return make_error("ECDSA curves are P-256, P-384 and P-521");
  auto key = keygen(nullptr, curve, 0);
  if (!key) return Unexpected(key.error());
  return PrivateKey(std::move(*key), KeyType::Ec);
}

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  switch (type) {
    case KeyType::Rsa:
      return generate_rsa(2048);
    case KeyType::Ec:
      return generate_ec(256);
    case KeyType::Ed25519:
    case KeyType::Ed448: {
      auto key = keygen(type == KeyType::Ed25519 ? "ED25519" : "ED448", nullptr, 0);
      if (!key) return Unexpected(key.error());
      return PrivateKey(std::move(*key), type);
    }
  }
  return make_error("unknown key type");
}

PublicKey PrivateKey::public_key() const {
  // The EVP_PKEY holds both halves; verification only uses the public one.
  return PublicKey(key_, type_);
}

std::string PrivateKey::to_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  return pem;
}

Result<Bytes> PrivateKey::sign(SignatureScheme scheme, BytesView message, EcdsaFormat format) const {
  if (scheme_key_type(scheme) != type_) return make_error("signature scheme does not fit the key type");
  auto md = start(key_.get(), scheme, true);
  size_t len = 0;
  if (!md || EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return make_error("signing failed: " + last_openssl_error());
  }
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return make_error("signing failed: " + last_openssl_error());
  }
  sig.resize(len);
  if (type_ == KeyType::Ec && format == EcdsaFormat::RawRs) return der_to_raw(key_.get(), sig);
  return sig;
}

}  // namespace portunus::crypto
