#pragma once
// Signatures for IKEv2 authentication (RFC 7296 3.8, RFC 4754, RFC 7427, RFC 8420):
// RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519 and Ed448. Keys load from PEM (or DER) and
// from raw EdDSA keys; X.509 certificates are a later layer on top of PublicKey.
#include <memory>
#include <string>
#include <string_view>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"

struct evp_pkey_st;  // EVP_PKEY, kept out of the interface

namespace portunus::crypto {

enum class KeyType : uint8_t { Rsa, Ec, Ed25519, Ed448 };

enum class SignatureScheme : uint8_t {
  RsaPkcs1Sha1,  // only for AUTH method 1 (RFC 7296 3.8) and peers that offer nothing better
  RsaPkcs1Sha256,
  RsaPkcs1Sha384,
  RsaPkcs1Sha512,
  RsaPssSha256,  // MGF1 with the same hash, salt length = hash length (RFC 7427 / 8017)
  RsaPssSha384,
  RsaPssSha512,
  EcdsaSha256,
  EcdsaSha384,
  EcdsaSha512,
  Ed25519,  // pure EdDSA: the message itself is signed (RFC 8420)
  Ed448,
};

// ECDSA signature encoding: DER (RFC 7427 "Digital Signature" method 14) or r | s, each
// padded to the group order length (RFC 4754, AUTH methods 9-11).
enum class EcdsaFormat : uint8_t { Der, RawRs };

class PublicKey {
 public:
  // SubjectPublicKeyInfo in PEM ("PUBLIC KEY") or DER.
  static Result<PublicKey> from_pem(std::string_view pem);
  static Result<PublicKey> from_der(BytesView spki);
  // Raw RFC 8032 public keys (32 / 57 octets).
  static Result<PublicKey> from_ed25519(BytesView raw);
  static Result<PublicKey> from_ed448(BytesView raw);

  KeyType type() const { return type_; }
  // SubjectPublicKeyInfo, DER.
  Bytes der() const;
  // The raw key for Ed25519 / Ed448 (empty for other types).
  Bytes raw() const;
  // Same public key (type, parameters and public value), compared by OpenSSL without
  // encoding either key: der() goes through the encoder framework, slow for a per-handshake check.
  bool operator==(const PublicKey& other) const;

  // False on a bad signature and on a scheme that does not fit the key.
  bool verify(SignatureScheme scheme, BytesView message, BytesView signature,
              EcdsaFormat format = EcdsaFormat::Der) const;

 private:
  friend class PrivateKey;
  friend class Certificate;  // shares the key OpenSSL already decoded with the certificate
  PublicKey(std::shared_ptr<evp_pkey_st> key, KeyType type) : key_(std::move(key)), type_(type) {}
  std::shared_ptr<evp_pkey_st> key_;
  KeyType type_;
};

class PrivateKey {
 public:
  // Unencrypted PKCS#8 ("PRIVATE KEY") or traditional ("RSA/EC PRIVATE KEY") PEM.
  static Result<PrivateKey> from_pem(std::string_view pem);
  // RFC 8032 secret keys (the 32 / 57-octet seed).
  static Result<PrivateKey> from_ed25519_seed(BytesView seed);
  static Result<PrivateKey> from_ed448_seed(BytesView seed);
  // Fresh keys (tests, self-signed set-ups): RSA of `bits`, ECDSA on P-256/384/521.
  static Result<PrivateKey> generate_rsa(unsigned bits);
  static Result<PrivateKey> generate_ec(unsigned curve_bits);
  static Result<PrivateKey> generate(KeyType type);  // Ed25519 / Ed448 / RSA-2048 / P-256

  KeyType type() const { return type_; }
  PublicKey public_key() const;
  // PKCS#8 PEM (for writing key files).
  std::string to_pem() const;

  Result<Bytes> sign(SignatureScheme scheme, BytesView message, EcdsaFormat format = EcdsaFormat::Der) const;

 private:
  PrivateKey(std::shared_ptr<evp_pkey_st> key, KeyType type) : key_(std::move(key)), type_(type) {}
  std::shared_ptr<evp_pkey_st> key_;
  KeyType type_;
};

// The key type a scheme needs.
KeyType scheme_key_type(SignatureScheme scheme);

}  // namespace portunus::crypto
