// Process-wide cache of fetched OpenSSL algorithm implementations (see ossl.h for why).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "portunus/crypto/ossl.h"

namespace portunus::crypto::detail {
namespace {

// Every name the crypto layer fetches. A fixed table keeps the fast path to one atomic
// load after a short scan of our own (no OpenSSL lock).
constexpr const char* kCipherNames[] = {
    "AES-128-CBC",       "AES-192-CBC",  "AES-256-CBC", "AES-128-CTR", "AES-192-CTR",
    "AES-256-CTR",       "AES-128-GCM",  "AES-192-GCM", "AES-256-GCM", "AES-128-ECB",
    "ChaCha20-Poly1305", "DES-EDE3-CBC", "DES-CBC",
};
constexpr size_t kCiphers = sizeof kCipherNames / sizeof kCipherNames[0];
constexpr const char* kDigestNames[] = {"SHA1", "SHA2-256"};
constexpr size_t kDigests = sizeof kDigestNames / sizeof kDigestNames[0];

struct MacSlot {
  const char* mac;    // "HMAC" / "CMAC"
  const char* param;  // OSSL_MAC_PARAM_DIGEST / OSSL_MAC_PARAM_CIPHER
  const char* value;  // the digest or cipher name
  size_t key_size;    // of the throw-away key the prototype is keyed with
};
constexpr MacSlot kMacs[] = {
    {"HMAC", OSSL_MAC_PARAM_DIGEST, "MD5", 0},      {"HMAC", OSSL_MAC_PARAM_DIGEST, "SHA1", 0},
    {"HMAC", OSSL_MAC_PARAM_DIGEST, "SHA2-256", 0}, {"HMAC", OSSL_MAC_PARAM_DIGEST, "SHA2-384", 0},
    {"HMAC", OSSL_MAC_PARAM_DIGEST, "SHA2-512", 0}, {"CMAC", OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 16},
};
constexpr size_t kMacCount = sizeof kMacs / sizeof kMacs[0];
constexpr size_t kCmacSlot = kMacCount - 1;

// Constant-initialised and trivially destructible, so they stay valid through exit.
std::mutex g_mu;
std::atomic<EVP_CIPHER*> g_ciphers[kCiphers] = {};
std::atomic<EVP_MAC_CTX*> g_macs[kMacCount] = {};
std::atomic<EVP_MD*> g_digests[kDigests] = {};

EVP_MAC_CTX* make_mac(const MacSlot& slot) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, slot.mac, nullptr);
  if (!mac) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context holds its own reference
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(slot.param, const_cast<char*>(slot.value), 0),
      OSSL_PARAM_construct_end(),
  };
  static const uint8_t kZeros[16] = {};
  if (EVP_MAC_init(ctx, kZeros, slot.key_size, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

// Frees the cache at exit. It is created after OPENSSL_init_crypto has registered
// OpenSSL's exit handler (exit handlers run in reverse), so the frees happen while the
// library exists; if the explicitly loaded providers are unloaded earlier,
// release_fetched() has already been called from there.
class Cache {
 public:
  Cache() { OPENSSL_init_crypto(0, nullptr); }
  ~Cache() { release_fetched(); }
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  const EVP_CIPHER* cipher(size_t i) {
    if (EVP_CIPHER* c = g_ciphers[i].load(std::memory_order_acquire)) return c;
    std::lock_guard<std::mutex> lock(g_mu);
    if (EVP_CIPHER* c = g_ciphers[i].load(std::memory_order_relaxed)) return c;
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, kCipherNames[i], nullptr);
    g_ciphers[i].store(c, std::memory_order_release);
    return c;
  }

  const EVP_MD* digest(size_t i) {
    if (EVP_MD* d = g_digests[i].load(std::memory_order_acquire)) return d;
    std::lock_guard<std::mutex> lock(g_mu);
    if (EVP_MD* d = g_digests[i].load(std::memory_order_relaxed)) return d;
    EVP_MD* d = EVP_MD_fetch(nullptr, kDigestNames[i], nullptr);
    g_digests[i].store(d, std::memory_order_release);
    return d;
  }

  const EVP_MAC_CTX* mac(size_t i) {
    if (EVP_MAC_CTX* m = g_macs[i].load(std::memory_order_acquire)) return m;
    std::lock_guard<std::mutex> lock(g_mu);
    if (EVP_MAC_CTX* m = g_macs[i].load(std::memory_order_relaxed)) return m;
    EVP_MAC_CTX* m = make_mac(kMacs[i]);
    g_macs[i].store(m, std::memory_order_release);
    return m;
  }
};

Cache& cache() {
  static Cache instance;
  return instance;
}

constexpr const char* kKeyTypes[] = {"X25519", "X448", "EC"};
constexpr size_t kKeyTypeCount = sizeof kKeyTypes / sizeof kKeyTypes[0];

// Thread-local: destroyed when the thread ends, and for the main thread at exit before any
// static object or atexit handler (OpenSSL's clean-up is one), so OpenSSL still exists.
struct FromdataContexts {
  PkeyCtxPtr ctx[kKeyTypeCount];
  bool tried[kKeyTypeCount] = {};
};

}  // namespace

EVP_PKEY_CTX* fromdata_context(const char* type) {
  thread_local FromdataContexts contexts;
  for (size_t i = 0; i < kKeyTypeCount; ++i) {
    if (std::strcmp(kKeyTypes[i], type) != 0) continue;
    if (!contexts.tried[i]) {
      cache();  // OpenSSL initialised before the first context exists
      contexts.tried[i] = true;
      PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
      if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1) contexts.ctx[i] = std::move(ctx);
    }
    return contexts.ctx[i].get();
  }
  return nullptr;
}

const EVP_CIPHER* fetched_cipher(const char* name) {
  for (size_t i = 0; i < kCiphers; ++i) {
    if (std::strcmp(kCipherNames[i], name) == 0) return cache().cipher(i);
  }
  return nullptr;
}

const EVP_MD* fetched_digest(const char* name) {
  for (size_t i = 0; i < kDigests; ++i) {
    if (std::strcmp(kDigestNames[i], name) == 0) return cache().digest(i);
  }
  return nullptr;
}

const EVP_MAC_CTX* hmac_prototype(const char* digest) {
  for (size_t i = 0; i < kCmacSlot; ++i) {
    if (std::strcmp(kMacs[i].value, digest) == 0) return cache().mac(i);
  }
  return nullptr;
}

const EVP_MAC_CTX* aes_cmac_prototype() { return cache().mac(kCmacSlot); }

void release_fetched() {
  std::lock_guard<std::mutex> lock(g_mu);
  for (auto& c : g_ciphers) EVP_CIPHER_free(c.exchange(nullptr));
  for (auto& m : g_macs) EVP_MAC_CTX_free(m.exchange(nullptr));
  for (auto& d : g_digests) EVP_MD_free(d.exchange(nullptr));
}

}  // namespace portunus::crypto::detail
