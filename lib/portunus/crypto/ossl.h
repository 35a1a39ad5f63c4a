#pragma once
// Internal to the crypto layer: RAII owners for OpenSSL objects and the provider set-up
// for legacy algorithms. Not part of the public interface (no other layer includes it).
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace portunus::crypto::detail {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct MacFree {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
struct MontFree {
  void operator()(BN_MONT_CTX* p) const { BN_MONT_CTX_free(p); }
};
struct EcGroupFree {
  void operator()(EC_GROUP* p) const { EC_GROUP_free(p); }
};
struct EcPointFree {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using MacPtr = std::unique_ptr<EVP_MAC, MacFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
using MontPtr = std::unique_ptr<BN_MONT_CTX, MontFree>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, EcGroupFree>;
using EcPointPtr = std::unique_ptr<EC_POINT, EcPointFree>;

// Loads OpenSSL's "legacy" provider (DES lives there) next to "default". Idempotent and
// thread-safe; false if the provider is not installed.
bool load_legacy_provider();

// Algorithm implementations fetched once per process. OpenSSL 3 resolves an algorithm
// name on every implicit use (EVP_MAC_fetch, EVP_PKEY_CTX_new_from_name, a legacy
// EVP_aes_*() handle passed to an init call, a digest or cipher name in the params of
// EVP_MAC_init): a namemap search under a lock and a method-store lookup each time, which
// dominated the cost of keying a handshake's PRFs and protectors. The fetched objects live
// until exit and are freed before OpenSSL's own clean-up runs. Thread-safe.

// The named cipher ("AES-128-GCM", ...), or nullptr if no loaded provider has it. A
// failure is not remembered, so a cipher of the legacy provider (DES-CBC) is found once
// that provider has been loaded.
const EVP_CIPHER* fetched_cipher(const char* name);
// The named digest ("SHA1", "SHA2-256"), or nullptr.
const EVP_MD* fetched_digest(const char* name);

// A keyed HMAC (digest = "SHA2-256", ...) or CMAC (cipher = "AES-128-CBC") context to
// duplicate: EVP_MAC_CTX_dup copies the fetched digest / cipher, so the copy is re-keyed
// with EVP_MAC_init(ctx, key, len, NULL) without any name lookup. nullptr if unavailable.
// The prototype is keyed (with zeros) only because OpenSSL cannot duplicate an unkeyed one.
const EVP_MAC_CTX* hmac_prototype(const char* digest);
const EVP_MAC_CTX* aes_cmac_prototype();

// A context on the key type `type` ("X25519", "X448", "EC"), set up for EVP_PKEY_fromdata,
// made once per thread. EVP_PKEY_new_raw_private_key / _public_key and
// EVP_PKEY_CTX_new_from_name look the key management up by name for every key; building
// keys from this context does not. Per thread because OpenSSL documents no concurrent use
// of one EVP_PKEY_CTX (and cannot duplicate one set up for fromdata). nullptr if unknown.
EVP_PKEY_CTX* fromdata_context(const char* type);

// Frees the cached objects (at exit, before the providers they reference are unloaded).
void release_fetched();

// The most recent OpenSSL error as text (and clears the queue), for error messages.
std::string last_openssl_error();

}  // namespace portunus::crypto::detail
