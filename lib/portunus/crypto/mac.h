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

// digest is an OpenSSL name: "SHA1", "SHA2-256", "SHA2-384", "SHA2-512", "MD5".
std::unique_ptr<MacEngine> make_hmac_engine(const char* digest);
// AES-CMAC (RFC 4493) with a 16-octet key.
std::unique_ptr<MacEngine> make_aes_cmac_engine();
// AES-XCBC-MAC (RFC 3566) with a 16-octet key.
std::unique_ptr<MacEngine> make_aes_xcbc_engine();

}  // namespace portunus::crypto::detail
