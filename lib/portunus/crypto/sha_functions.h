#pragma once
// Internal to the crypto layer: OpenSSL's low-level SHA-1 / SHA-2 functions, one type per
// family, for the fixed-hash compositions the protocols define (HMAC, NAT-D and cookie
// hashes). They hash with OpenSSL's own code (SHA extensions / AVX2) but keep the state in a
// plain struct the caller owns, so a keyed HMAC state is copied by value and nothing is
// allocated per use, where EVP allocates a provider context per init or copy.
//
// OpenSSL 3.0 deprecates them in favour of EVP because they bypass providers: a deployment
// restricted to the FIPS provider builds OpenSSL with no-deprecated, and then
// PORTUNUS_HAVE_SHA_FUNCTIONS stays undefined and the callers use EVP. A file using this
// header defines OPENSSL_SUPPRESS_DEPRECATED before its first OpenSSL include.
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#error "define OPENSSL_SUPPRESS_DEPRECATED before including OpenSSL headers to use sha_functions.h"
#endif
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include <cstddef>

#ifndef OPENSSL_NO_DEPRECATED_3_0
#define PORTUNUS_HAVE_SHA_FUNCTIONS 1

namespace portunus::crypto::detail {

// One SHA function family: its state type, functions, block and output sizes.
template <typename State, int (*Init)(State*), int (*Update)(State*, const void*, size_t),
          int (*Final)(unsigned char*, State*), size_t kBlockSize, size_t kOutSize>
struct Sha {
  using Ctx = State;
  static constexpr size_t kBlock = kBlockSize;
  static constexpr size_t kOut = kOutSize;
  static bool init(Ctx* c) { return Init(c) == 1; }
  static bool update(Ctx* c, const void* p, size_t n) { return Update(c, p, n) == 1; }
  static bool final(unsigned char* out, Ctx* c) { return Final(out, c) == 1; }
};

using Sha1 = Sha<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final, SHA_CBLOCK, SHA_DIGEST_LENGTH>;
using Sha256 = Sha<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final, SHA256_CBLOCK, SHA256_DIGEST_LENGTH>;
using Sha384 = Sha<SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final, SHA512_CBLOCK, SHA384_DIGEST_LENGTH>;
using Sha512 = Sha<SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final, SHA512_CBLOCK, SHA512_DIGEST_LENGTH>;

}  // namespace portunus::crypto::detail

#endif
