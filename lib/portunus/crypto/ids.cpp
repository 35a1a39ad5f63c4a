#include "portunus/crypto/ids.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include <atomic>
#include <mutex>

#include "portunus/crypto/ossl.h"

namespace portunus::crypto {

std::string_view name(EncrId id) {
  switch (id) {
    case EncrId::Des:
      return "DES_CBC";
    case EncrId::TripleDes:
      return "3DES_CBC";
    case EncrId::Null:
      return "NULL";
    case EncrId::AesCbc:
      return "AES_CBC";
    case EncrId::AesCtr:
      return "AES_CTR";
    case EncrId::AesGcm8:
      return "AES_GCM_8";
    case EncrId::AesGcm12:
      return "AES_GCM_12";
    case EncrId::AesGcm16:
      return "AES_GCM_16";
    case EncrId::NullAuthAesGmac:
      return "NULL_AES_GMAC";
    case EncrId::ChaCha20Poly1305:
      return "CHACHA20_POLY1305";
  }
  return "ENCR_UNKNOWN";
}

std::string_view name(PrfId id) {
  switch (id) {
    case PrfId::HmacMd5:
      return "PRF_HMAC_MD5";
    case PrfId::HmacSha1:
      return "PRF_HMAC_SHA1";
    case PrfId::Aes128Xcbc:
      return "PRF_AES128_XCBC";
    case PrfId::HmacSha2_256:
      return "PRF_HMAC_SHA2_256";
    case PrfId::HmacSha2_384:
      return "PRF_HMAC_SHA2_384";
    case PrfId::HmacSha2_512:
      return "PRF_HMAC_SHA2_512";
    case PrfId::Aes128Cmac:
      return "PRF_AES128_CMAC";
  }
  return "PRF_UNKNOWN";
}

std::string_view name(IntegId id) {
  switch (id) {
    case IntegId::None:
      return "NONE";
    case IntegId::HmacMd5_96:
      return "HMAC_MD5_96";
    case IntegId::HmacSha1_96:
      return "HMAC_SHA1_96";
    case IntegId::AesXcbc96:
      return "AES_XCBC_96";
    case IntegId::AesCmac96:
      return "AES_CMAC_96";
    case IntegId::HmacSha2_256_128:
      return "HMAC_SHA2_256_128";
    case IntegId::HmacSha2_384_192:
      return "HMAC_SHA2_384_192";
    case IntegId::HmacSha2_512_256:
      return "HMAC_SHA2_512_256";
    case IntegId::HmacSha2_256_96:
      return "HMAC_SHA2_256_96";
  }
  return "INTEG_UNKNOWN";
}

std::string_view name(KeGroup id) {
  switch (id) {
    case KeGroup::None:
      return "NONE";
    case KeGroup::Modp768:
      return "MODP_768";
    case KeGroup::Modp1024:
      return "MODP_1024";
    case KeGroup::Modp1536:
      return "MODP_1536";
    case KeGroup::Modp2048:
      return "MODP_2048";
    case KeGroup::Modp3072:
      return "MODP_3072";
    case KeGroup::Modp4096:
      return "MODP_4096";
    case KeGroup::Modp6144:
      return "MODP_6144";
    case KeGroup::Modp8192:
      return "MODP_8192";
    case KeGroup::Ecp256:
      return "ECP_256";
    case KeGroup::Ecp384:
      return "ECP_384";
    case KeGroup::Ecp521:
      return "ECP_521";
    case KeGroup::Modp1024s160:
      return "MODP_1024_160";
    case KeGroup::Modp2048s224:
      return "MODP_2048_224";
    case KeGroup::Modp2048s256:
      return "MODP_2048_256";
    case KeGroup::Ecp192:
      return "ECP_192";
    case KeGroup::Ecp224:
      return "ECP_224";
    case KeGroup::Brainpool224:
      return "ECP_224_BP";
    case KeGroup::Brainpool256:
      return "ECP_256_BP";
    case KeGroup::Brainpool384:
      return "ECP_384_BP";
    case KeGroup::Brainpool512:
      return "ECP_512_BP";
    case KeGroup::Curve25519:
      return "CURVE_25519";
    case KeGroup::Curve448:
      return "CURVE_448";
  }
  return "KE_UNKNOWN";
}

namespace {
std::atomic<bool> g_legacy_allowed{false};
}

void set_legacy_algorithms_allowed(bool allowed) { g_legacy_allowed.store(allowed); }
bool legacy_algorithms_allowed() { return g_legacy_allowed.load(); }

namespace detail {

namespace {
// The providers stay loaded for the life of the process. They are unloaded at exit so that
// leak checkers stay quiet; that must happen before OpenSSL's own exit clean-up, so the
// holder is created only after OpenSSL has registered it (exit handlers run in reverse).
struct LoadedProviders {
  OSSL_PROVIDER* legacy;
  OSSL_PROVIDER* dflt;
  ~LoadedProviders() {
    release_fetched();  // the cached algorithms hold references into these providers
    if (legacy) OSSL_PROVIDER_unload(legacy);
    if (dflt) OSSL_PROVIDER_unload(dflt);
  }
};
}  // namespace

bool load_legacy_provider() {
  static std::once_flag once;
  static bool loaded = false;
  std::call_once(once, [] {
    OPENSSL_init_crypto(0, nullptr);
    // Loading any provider explicitly switches off the implicit "default" one, so load both.
    static LoadedProviders providers{OSSL_PROVIDER_load(nullptr, "legacy"),
                                     OSSL_PROVIDER_load(nullptr, "default")};
    loaded = providers.legacy != nullptr && providers.dflt != nullptr;
    ERR_clear_error();
  });
  return loaded;
}

std::string last_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = buf;
  } else {
    text = "unknown OpenSSL error";
  }
  ERR_clear_error();
  return text;
}

}  // namespace detail
}  // namespace portunus::crypto
