#include "portunus/crypto/integrity.h"

#include <algorithm>
#include <string>

#include "portunus/crypto/mac.h"

namespace portunus::crypto {

size_t integ_key_size(IntegId id) {
  switch (id) {
    case IntegId::None:
      return 0;
    case IntegId::HmacMd5_96:
      return 16;
    case IntegId::HmacSha1_96:
      return 20;
    case IntegId::AesXcbc96:
      return 16;
    case IntegId::AesCmac96:
      return 16;
    case IntegId::HmacSha2_256_128:
    case IntegId::HmacSha2_256_96:
      return 32;
    case IntegId::HmacSha2_384_192:
      return 48;
    case IntegId::HmacSha2_512_256:
      return 64;
  }
  return 0;
}

size_t integ_icv_size(IntegId id) {
  switch (id) {
    case IntegId::None:
      return 0;
    case IntegId::HmacMd5_96:
    case IntegId::HmacSha1_96:
    case IntegId::AesXcbc96:
    case IntegId::AesCmac96:
    case IntegId::HmacSha2_256_96:
      return 12;
    case IntegId::HmacSha2_256_128:
      return 16;
    case IntegId::HmacSha2_384_192:
      return 24;
    case IntegId::HmacSha2_512_256:
      return 32;
  }
  return 0;
}

bool integ_supported(IntegId id) {
  if (id == IntegId::HmacMd5_96) return legacy_algorithms_allowed();
  return id != IntegId::None && integ_key_size(id) != 0;
}

Integrity::Integrity(IntegId id, size_t icv_size, std::unique_ptr<detail::MacEngine> mac)
    : id_(id), icv_size_(icv_size), mac_(std::move(mac)) {}

Integrity::~Integrity() = default;

bool Integrity::compute(std::span<const BytesView> segments, MutBytes icv) {
  if (icv.size() > icv_size_) return false;
  uint8_t full[64];  // the longest MAC (HMAC-SHA-512)
  bool good = mac_->begin();
  for (BytesView s : segments) good = good && mac_->update(s);
  good = good && mac_->finish(full);
  if (good) std::copy_n(full, icv.size(), icv.begin());
  // No cleanse: a MAC value is not secret (its truncation is sent in the clear), and this
  // runs per packet.
  return good;
}

bool Integrity::verify(std::span<const BytesView> segments, BytesView icv) {
  if (icv.size() != icv_size_) return false;
  uint8_t expected[64];
  return compute(segments, MutBytes(expected, icv_size_)) && equal_ct(BytesView(expected, icv_size_), icv);
}

Result<std::unique_ptr<Integrity>> make_integrity(IntegId id, BytesView key) {
  std::unique_ptr<detail::MacEngine> mac;
  switch (id) {
    case IntegId::HmacMd5_96:
      if (!legacy_algorithms_allowed()) {
        return make_error(
            "integrity transform HMAC_MD5_96 is a legacy algorithm (RFC 8247 MUST NOT); "
            "it needs the legacy-algorithms switch");
      }
      mac = detail::make_hmac_engine("MD5");
      break;
    case IntegId::HmacSha1_96:
      mac = detail::make_hmac_engine("SHA1");
      break;
    case IntegId::AesXcbc96:
      mac = detail::make_aes_xcbc_engine();
      break;
    case IntegId::AesCmac96:
      mac = detail::make_aes_cmac_engine();
      break;
    case IntegId::HmacSha2_256_128:
    case IntegId::HmacSha2_256_96:
      mac = detail::make_hmac_engine("SHA2-256");
      break;
    case IntegId::HmacSha2_384_192:
      mac = detail::make_hmac_engine("SHA2-384");
      break;
    case IntegId::HmacSha2_512_256:
      mac = detail::make_hmac_engine("SHA2-512");
      break;
    case IntegId::None:
      return make_error("integrity transform NONE has no MAC");
  }
  if (integ_key_size(id) == 0) return make_error("unknown integrity transform " + std::to_string(int(id)));
  if (key.size() != integ_key_size(id)) {
    return make_error("integrity transform " + std::string(name(id)) + " needs a " +
                      std::to_string(integ_key_size(id)) + "-octet key, got " + std::to_string(key.size()));
  }
  if (!mac || !mac->set_key(key)) {
    return make_error("cannot set up integrity transform " + std::string(name(id)) + " in OpenSSL");
  }
  return std::unique_ptr<Integrity>(new Integrity(id, integ_icv_size(id), std::move(mac)));
}

}  // namespace portunus::crypto
