#include "portunus/crypto/digest.h"

#include "portunus/crypto/ossl.h"

namespace portunus::crypto {

size_t digest_size(DigestId id) { return id == DigestId::Sha1 ? 20 : 32; }

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

}  // namespace portunus::crypto
