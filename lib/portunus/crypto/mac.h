#pragma once
// Internal to the crypto layer: a keyed MAC that is fed in pieces. Integrity transforms
// and PRFs are both thin wrappers around it. Keyed once; begin() restarts cheaply from
// the keyed state (no allocation), which is what per-packet use needs.
#include <memory>

#include "portunus/base/bytes.h"

namespace portunus::crypto::detail {

class MacEngine {
 public:
  virtual ~MacEngine() = default;
  // Full (untruncated) MAC length.
  virtual size_t size() const = 0;
  virtual bool set_key(BytesView key) = 0;
  virtual bool begin() = 0;
  virtual bool update(BytesView data) = 0;
  // Writes size() octets.
  virtual bool finish(uint8_t* out) = 0;
};

// digest is an OpenSSL name: "SHA1", "SHA2-256", "SHA2-384", "SHA2-512", "MD5". The SHA
// ones are make_sha_hmac_engine()'s when OpenSSL has its low-level digests, else EVP_MAC's.
std::unique_ptr<MacEngine> make_hmac_engine(const char* digest);
// HMAC over OpenSSL's low-level SHA-1 / SHA-2 functions (hmac_sha.cpp says why); nullptr
// for other digests or an OpenSSL built without those functions.
std::unique_ptr<MacEngine> make_sha_hmac_engine(const char* digest);
// HMAC through EVP_MAC, for any digest OpenSSL has (the reference the tests compare with).
std::unique_ptr<MacEngine> make_evp_hmac_engine(const char* digest);
// AES-CMAC (RFC 4493) with a 16-octet key.
std::unique_ptr<MacEngine> make_aes_cmac_engine();
// AES-XCBC-MAC (RFC 3566) with a 16-octet key.
std::unique_ptr<MacEngine> make_aes_xcbc_engine();

}  // namespace portunus::crypto::detail
