#include "portunus/crypto/prf.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "portunus/crypto/mac.h"

namespace portunus::crypto {
namespace {

enum class KeyRule { Hmac, Xcbc, Cmac };

class MacPrf final : public Prf {
 public:
  MacPrf(std::unique_ptr<detail::MacEngine> mac, KeyRule rule) : mac_(std::move(mac)), rule_(rule) {}

  size_t output_size() const override { return mac_->size(); }

  bool set_key(BytesView key) {
    switch (rule_) {
      case KeyRule::Hmac:
        return mac_->set_key(key);
      case KeyRule::Xcbc: {
        // RFC 4434 section 2: shorter keys are padded with zeros, longer keys are first
        // hashed down with AES-XCBC-MAC under the all-zero key.
        uint8_t k[16] = {};
        bool good = true;
        if (key.size() <= 16) {
          std::copy(key.begin(), key.end(), k);
        } else {
          good = mac_->set_key(BytesView(k, 16)) && mac_->begin() && mac_->update(key) && mac_->finish(k);
        }
        good = good && mac_->set_key(BytesView(k, 16));
        OPENSSL_cleanse(k, sizeof k);
        return good;
      }
      case KeyRule::Cmac: {
        // RFC 4615 section 3: a 16-octet key is used as is; any other length is first
        // run through AES-CMAC under the all-zero key.
        if (key.size() == 16) return mac_->set_key(key);
        uint8_t k[16] = {};
        bool good = mac_->set_key(BytesView(k, 16)) && mac_->begin() && mac_->update(key) &&
                    mac_->finish(k) && mac_->set_key(BytesView(k, 16));
        OPENSSL_cleanse(k, sizeof k);
        return good;
      }
    }
    return false;
  }

  void compute(BytesView data, MutBytes out) override {
    uint8_t full[64];
    // The engines were keyed successfully at construction; a failure now means OpenSSL
    // itself is broken (allocation inside a provider), and a wrong PRF output would
    // silently derive wrong keys, so stop.
    if (out.size() > mac_->size() || !mac_->begin() || !mac_->update(data) || !mac_->finish(full))
      std::abort();
    std::copy_n(full, out.size(), out.begin());
    OPENSSL_cleanse(full, sizeof full);
  }

  void rekey(BytesView key) override {
    if (!set_key(key)) std::abort();  // only HMAC engines take any length; see set_key
  }

 private:
  std::unique_ptr<detail::MacEngine> mac_;
  KeyRule rule_;
};

}  // namespace

size_t prf_output_size(PrfId id) {
  switch (id) {
    case PrfId::HmacMd5:
      return 16;
    case PrfId::HmacSha1:
      return 20;
    case PrfId::Aes128Xcbc:
      return 16;
    case PrfId::HmacSha2_256:
      return 32;
    case PrfId::HmacSha2_384:
      return 48;
    case PrfId::HmacSha2_512:
      return 64;
    case PrfId::Aes128Cmac:
      return 16;
  }
  return 0;
}

// RFC 7296 2.13: the preferred key length is the output length for HMAC PRFs; 16 for the
// AES ones.
size_t prf_preferred_key_size(PrfId id) { return prf_output_size(id); }

Result<std::unique_ptr<Prf>> make_prf(PrfId id, BytesView key) {
  std::unique_ptr<detail::MacEngine> mac;
  KeyRule rule = KeyRule::Hmac;
  switch (id) {
    case PrfId::HmacMd5:
      if (!legacy_algorithms_allowed()) {
        return make_error(
            "PRF_HMAC_MD5 is a legacy algorithm (RFC 8247 MUST NOT); it needs the legacy-algorithms switch");
      }
      mac = detail::make_hmac_engine("MD5");
      break;
    case PrfId::HmacSha1:
      mac = detail::make_hmac_engine("SHA1");
      break;
    case PrfId::HmacSha2_256:
      mac = detail::make_hmac_engine("SHA2-256");
      break;
    case PrfId::HmacSha2_384:
      mac = detail::make_hmac_engine("SHA2-384");
      break;
    case PrfId::HmacSha2_512:
      mac = detail::make_hmac_engine("SHA2-512");
      break;
    case PrfId::Aes128Xcbc:
      mac = detail::make_aes_xcbc_engine();
      rule = KeyRule::Xcbc;
      break;
    case PrfId::Aes128Cmac:
      mac = detail::make_aes_cmac_engine();
      rule = KeyRule::Cmac;
      break;
  }
  if (prf_output_size(id) == 0) return make_error("unknown PRF " + std::to_string(int(id)));
  if (!mac) return make_error("cannot set up " + std::string(name(id)) + " in OpenSSL");
  auto prf = std::make_unique<MacPrf>(std::move(mac), rule);
  if (!prf->set_key(key)) return make_error("cannot key " + std::string(name(id)));
  return std::unique_ptr<Prf>(std::move(prf));
}

Result<SecureBytes> prf_plus(PrfId id, BytesView key, BytesView seed, size_t length) {
  auto prf = make_prf(id, key);
  if (!prf) return Unexpected(prf.error());
  const size_t block = (*prf)->output_size();
  if (length > 255 * block) {
    return make_error("prf+ cannot produce " + std::to_string(length) + " octets with " +
                      std::string(name(id)) + " (at most 255 blocks)");
  }
  SecureBytes out(length);
  // T(n) = prf(K, T(n-1) | S | n); the input buffer holds T(n-1) | S | n, reused.
  SecureBytes input(block + seed.size() + 1);
  SecureBytes t(block);
  size_t produced = 0;
  for (unsigned n = 1; produced < length; ++n) {
    size_t prev = n == 1 ? 0 : block;
    if (prev) std::copy_n(t.data(), block, input.data());
    if (!seed.empty()) std::copy(seed.begin(), seed.end(), input.data() + prev);
    input.data()[prev + seed.size()] = static_cast<uint8_t>(n);
    (*prf)->compute(BytesView(input.data(), prev + seed.size() + 1), t.span());
    size_t take = std::min(block, length - produced);
    std::copy_n(t.data(), take, out.data() + produced);
    produced += take;
  }
  return out;
}

}  // namespace portunus::crypto
