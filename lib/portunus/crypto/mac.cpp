#include "portunus/crypto/mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>

#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ossl.h"

namespace portunus::crypto::detail {
namespace {

// HMAC and CMAC through EVP_MAC. Re-initialising with a NULL key restarts from the
// stored keyed state (HMAC keeps the ipad/opad digests), so begin() is cheap.
class EvpMacEngine final : public MacEngine {
 public:
  // The prototype already carries the fetched digest / cipher (see ossl.h), so keying
  // the copy looks nothing up by name.
  explicit EvpMacEngine(const EVP_MAC_CTX* prototype) {
    if (prototype) ctx_.reset(EVP_MAC_CTX_dup(prototype));
  }

  bool ok() const { return ctx_ != nullptr; }
  size_t size() const override { return size_; }

  bool set_key(BytesView key) override {
    // A NULL key pointer means "keep the old key" to OpenSSL, so an empty key (legal for
    // HMAC) must still be passed as a valid pointer.
    static const uint8_t kEmpty = 0;
    const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
    if (EVP_MAC_init(ctx_.get(), key_ptr, key.size(), nullptr) != 1) return false;
    size_ = EVP_MAC_CTX_get_mac_size(ctx_.get());
    keyed_ = true;
    return size_ != 0;
  }

  bool begin() override { return keyed_ && EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) == 1; }

  bool update(BytesView data) override {
    return data.empty() || EVP_MAC_update(ctx_.get(), data.data(), data.size()) == 1;
  }

  bool finish(uint8_t* out) override {
    size_t len = 0;
    return EVP_MAC_final(ctx_.get(), out, &len, size_) == 1 && len == size_;
  }

 private:
  MacCtxPtr ctx_;
  size_t size_ = 0;
  bool keyed_ = false;
};

// AES-XCBC-MAC-96 (RFC 3566 section 4): OpenSSL has no XCBC, so it is built here on
// AES-128 in ECB mode (one block at a time). K1 encrypts, K2 / K3 whiten the last block.
class XcbcEngine final : public MacEngine {
 public:
  XcbcEngine() : ctx_(aes_128_ecb() ? EVP_CIPHER_CTX_new() : nullptr) {}
  ~XcbcEngine() override {
    OPENSSL_cleanse(k2_, sizeof k2_);
    OPENSSL_cleanse(k3_, sizeof k3_);
    OPENSSL_cleanse(e_, sizeof e_);
    OPENSSL_cleanse(buf_, sizeof buf_);
  }
  XcbcEngine(const XcbcEngine&) = delete;
  XcbcEngine& operator=(const XcbcEngine&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  size_t size() const override { return kBlock; }

  bool set_key(BytesView key) override {
    if (key.size() != kBlock) return false;
    // K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..)
    uint8_t consts[3 * kBlock];
    for (size_t i = 0; i < 3; ++i) std::memset(consts + i * kBlock, static_cast<int>(i + 1), kBlock);
    uint8_t derived[3 * kBlock];
    int len = 0;
    bool good = EVP_EncryptInit_ex2(ctx_.get(), aes_128_ecb(), key.data(), nullptr, nullptr) == 1 &&
                EVP_CIPHER_CTX_set_padding(ctx_.get(), 0) == 1 &&
                EVP_EncryptUpdate(ctx_.get(), derived, &len, consts, sizeof consts) == 1 &&
                len == static_cast<int>(sizeof consts);
    if (good) {
      std::memcpy(k2_, derived + kBlock, kBlock);
      std::memcpy(k3_, derived + 2 * kBlock, kBlock);
      good = EVP_EncryptInit_ex2(ctx_.get(), aes_128_ecb(), derived, nullptr, nullptr) == 1 &&
             EVP_CIPHER_CTX_set_padding(ctx_.get(), 0) == 1;
    }
    OPENSSL_cleanse(derived, sizeof derived);
    keyed_ = good;
    return good;
  }

  bool begin() override {
    std::memset(e_, 0, sizeof e_);
    buf_len_ = 0;
    return keyed_;
  }

  bool update(BytesView data) override {
    while (!data.empty()) {
      // The last block gets special treatment, so a full buffer is only processed once
      // more data is known to follow.
      if (buf_len_ == kBlock) {
        if (!encrypt_block(buf_)) return false;
        buf_len_ = 0;
      }
      size_t take = std::min(kBlock - buf_len_, data.size());
      std::memcpy(buf_ + buf_len_, data.data(), take);
      buf_len_ += take;
      data = data.subspan(take);
    }
    return true;
  }

  bool finish(uint8_t* out) override {
    const uint8_t* whitening = k2_;
    if (buf_len_ < kBlock) {
      buf_[buf_len_] = 0x80;
      std::memset(buf_ + buf_len_ + 1, 0, kBlock - buf_len_ - 1);
      whitening = k3_;
    }
    for (size_t i = 0; i < kBlock; ++i) buf_[i] ^= whitening[i];
    if (!encrypt_block(buf_)) return false;
    std::memcpy(out, e_, kBlock);
    buf_len_ = 0;
    return true;
  }

 private:
  static constexpr size_t kBlock = 16;
  // Fetched once: EVP_aes_128_ecb() would be looked up by name on every init.
  static const EVP_CIPHER* aes_128_ecb() { return fetched_cipher("AES-128-ECB"); }

  bool encrypt_block(const uint8_t* block) {
    uint8_t x[kBlock];
    for (size_t i = 0; i < kBlock; ++i) x[i] = static_cast<uint8_t>(block[i] ^ e_[i]);
    int len = 0;
    bool good = EVP_EncryptUpdate(ctx_.get(), e_, &len, x, kBlock) == 1 && len == static_cast<int>(kBlock);
    OPENSSL_cleanse(x, sizeof x);
    return good;
  }

  CipherCtxPtr ctx_;
  uint8_t k2_[kBlock] = {};
  uint8_t k3_[kBlock] = {};
  uint8_t e_[kBlock] = {};
  uint8_t buf_[kBlock] = {};
  size_t buf_len_ = 0;
  bool keyed_ = false;
};

}  // namespace

std::unique_ptr<MacEngine> make_hmac_engine(const char* digest) {
  if (auto engine = make_sha_hmac_engine(digest)) return engine;
  return make_evp_hmac_engine(digest);
}

std::unique_ptr<MacEngine> make_evp_hmac_engine(const char* digest) {
  auto engine = std::make_unique<EvpMacEngine>(hmac_prototype(digest));
  if (!engine->ok()) return nullptr;
  return engine;
}

std::unique_ptr<MacEngine> make_aes_cmac_engine() {
  auto engine = std::make_unique<EvpMacEngine>(aes_cmac_prototype());
  if (!engine->ok()) return nullptr;
  return engine;
}

std::unique_ptr<MacEngine> make_aes_xcbc_engine() {
  auto engine = std::make_unique<XcbcEngine>();
  if (!engine->ok()) return nullptr;
  return engine;
}

}  // namespace portunus::crypto::detail
