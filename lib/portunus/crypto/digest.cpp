// The low-level SHA functions when OpenSSL has them (sha_functions.h): a NAT-D or cookie
// hash is then a few hundred instructions, where even a reused EVP_MD_CTX costs a provider
// context allocation per init.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "portunus/crypto/digest.h"

#include <openssl/crypto.h>

#include "portunus/crypto/ossl.h"
#include "portunus/crypto/sha_functions.h"

namespace portunus::crypto {

size_t digest_size(DigestId id) { return id == DigestId::Sha1 ? 20 : 32; }

#ifdef PORTUNUS_HAVE_SHA_FUNCTIONS

namespace {

template <typename H>
bool sha_digest(std::initializer_list<BytesView> parts, MutBytes out) {
  typename H::Ctx c;
  bool good = H::init(&c);
  for (BytesView p : parts) good = good && (p.empty() || H::update(&c, p.data(), p.size()));
  good = good && H::final(out.data(), &c);
  OPENSSL_cleanse(&c, sizeof c);  // cookie hashes cover the cookie secret
  return good;
}

}  // namespace

bool digest(DigestId id, std::initializer_list<BytesView> parts, MutBytes out) {
  if (out.size() != digest_size(id)) return false;
  return id == DigestId::Sha1 ? sha_digest<detail::Sha1>(parts, out) : sha_digest<detail::Sha256>(parts, out);
}

#else

bool digest(DigestId id, std::initializer_list<BytesView> parts, MutBytes out) {
  const EVP_MD* md = detail::fetched_digest(id == DigestId::Sha1 ? "SHA1" : "SHA2-256");
  // One context per thread, re-initialised per call: OpenSSL keeps the provider context
  // when the digest does not change, so no allocation happens here after the first call.
  thread_local detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!md || !ctx || out.size() != digest_size(id) || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1)
    return false;
  for (BytesView p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return false;
  unsigned int len = 0;
  return EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == out.size();
}

#endif

}  // namespace portunus::crypto
