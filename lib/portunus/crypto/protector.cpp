#include "portunus/crypto/protector.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <cstring>
#include <string>

#include "portunus/crypto/integrity.h"
#include "portunus/crypto/ossl.h"

namespace portunus::crypto {
namespace {

using detail::CipherCtxPtr;
using detail::CipherPtr;

constexpr size_t kAeadSaltSize = 4;  // RFC 4106 / 4543 / 5282 / 7634 salt, RFC 3686 nonce
constexpr size_t kAeadIvSize = 8;
constexpr size_t kAeadTagSize = 16;
// EVP takes int lengths; no ESP or IKE message comes near this.
constexpr size_t kMaxText = 1u << 30;

bool is_aes_key_bits(unsigned bits) { return bits == 128 || bits == 192 || bits == 256; }

std::string transform_label(EncrId encr, unsigned key_bits) {
  std::string s(name(encr));
  if (key_bits) {
    s += '_';
    s += std::to_string(key_bits);
  }
  return s;
}

// Creates a context keyed for one direction; the key schedule is computed here once.
// Block ciphers get padding off: padding is ESP's / IKE's business (RFC 4303 2.4, RFC 7296
// 3.14), never OpenSSL's. Stream modes (GCM, CTR, ChaCha20) never pad, and leaving the flag
// alone there matters: OpenSSL 3 re-sends a "no padding" flag to the provider on every
// EVP_CipherInit_ex2, i.e. on every packet.
CipherCtxPtr make_keyed_ctx(const EVP_CIPHER* cipher, BytesView key, int enc) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return nullptr;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, enc, nullptr) != 1) return nullptr;
  if (EVP_CIPHER_get_block_size(cipher) > 1 && EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) return nullptr;
  return ctx;
}

// AES-GCM (RFC 4106), ChaCha20-Poly1305 (RFC 7634) and AES-GMAC (RFC 4543). The 12-octet
// nonce is salt | explicit IV; the salt part is fixed per key.
class AeadProtector final : public Protector {
 public:
  AeadProtector(bool gmac, size_t icv_size) : Protector(kAeadIvSize, 1, icv_size), gmac_(gmac) {}

  bool init(const EVP_CIPHER* cipher, BytesView key, BytesView salt, ProtectorUse use) {
    std::memcpy(nonce_, salt.data(), kAeadSaltSize);
    if (use != ProtectorUse::OpenOnly && !(enc_ = make_keyed_ctx(cipher, key, 1))) return false;
    if (use != ProtectorUse::SealOnly && !(dec_ = make_keyed_ctx(cipher, key, 0))) return false;
    return true;
  }

  ~AeadProtector() override { OPENSSL_cleanse(nonce_, sizeof nonce_); }
  AeadProtector(const AeadProtector&) = delete;
  AeadProtector& operator=(const AeadProtector&) = delete;

  bool is_aead() const override { return true; }

  bool seal(BytesView aad, BytesView iv, MutBytes text, BytesView trailer, MutBytes icv) override {
    if (iv.size() != kAeadIvSize || icv.size() != icv_size_ || !trailer.empty()) return false;
    if (text.size() > kMaxText || aad.size() > kMaxText || !enc_) return false;
    EVP_CIPHER_CTX* ctx = enc_.get();
    if (!start(ctx, iv, 1) || !feed(ctx, aad, iv, text)) return false;
    uint8_t tail[kAeadTagSize];
    int len = 0;
    if (EVP_CipherFinal_ex(ctx, tail, &len) != 1) return false;
    // A full-length tag goes straight to its place; a truncated one (GCM-8/12) via a copy.
    if (icv_size_ == kAeadTagSize) return tag_param(ctx, false, icv.data());
    uint8_t tag[kAeadTagSize];
    if (!tag_param(ctx, false, tag)) return false;
    std::memcpy(icv.data(), tag, icv_size_);
    return true;
  }

  bool open(BytesView aad, BytesView iv, MutBytes text, BytesView trailer, BytesView icv) override {
    if (iv.size() != kAeadIvSize || icv.size() != icv_size_ || !trailer.empty()) return false;
    if (text.size() > kMaxText || aad.size() > kMaxText || !dec_) return false;
    EVP_CIPHER_CTX* ctx = dec_.get();
    if (!start(ctx, iv, 0) || !feed(ctx, aad, iv, text)) return false;
    // OpenSSL compares the tag in constant time inside Final.
    if (!tag_param(ctx, true, const_cast<uint8_t*>(icv.data()))) return false;
    uint8_t tail[kAeadTagSize];
    int len = 0;
    return EVP_CipherFinal_ex(ctx, tail, &len) == 1;
  }

 private:
  // Gets (seal: always the full 16 octets) or sets (open: icv_size_ octets) the tag through
  // the cipher's parameters. EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_GET_TAG / SET_TAG) builds this
  // same parameter and makes the same provider call, but on OpenSSL 3.0 its dispatch showed
  // as ~3% of an ESP packet's CPU time in profiles; the data path calls this once a packet.
  bool tag_param(EVP_CIPHER_CTX* ctx, bool set, uint8_t* tag) const {
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, set ? icv_size_ : kAeadTagSize),
        OSSL_PARAM_construct_end()};
    return (set ? EVP_CIPHER_CTX_set_params(ctx, params) : EVP_CIPHER_CTX_get_params(ctx, params)) == 1;
  }

  bool start(EVP_CIPHER_CTX* ctx, BytesView iv, int enc) {
    std::memcpy(nonce_ + kAeadSaltSize, iv.data(), kAeadIvSize);
    // NULL cipher and key: keep the key schedule, only load the new nonce.
    return EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce_, enc, nullptr) == 1;
  }

  bool feed(EVP_CIPHER_CTX* ctx, BytesView aad, BytesView iv, MutBytes text) {
    int len = 0;
    if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
      return false;
    }
    if (gmac_) {
      // RFC 4543 section 3.5: AAD = SPI | SN | IV | payload, nothing is encrypted.
      return EVP_CipherUpdate(ctx, nullptr, &len, iv.data(), static_cast<int>(iv.size())) == 1 &&
             (text.empty() ||
              EVP_CipherUpdate(ctx, nullptr, &len, text.data(), static_cast<int>(text.size())) == 1);
    }
    if (text.empty()) return true;
    return EVP_CipherUpdate(ctx, text.data(), &len, text.data(), static_cast<int>(text.size())) == 1 &&
           static_cast<size_t>(len) == text.size();
  }

  bool gmac_;
  uint8_t nonce_[kAeadSaltSize + kAeadIvSize] = {};
  CipherCtxPtr enc_;
  CipherCtxPtr dec_;
};

// A block or stream cipher (or ENCR_NULL) followed by an integrity transform over
// aad | iv | ciphertext | trailer (encrypt-then-MAC, RFC 4303 3.3.2, RFC 7296 3.14).
class CipherIntegProtector final : public Protector {
 public:
  CipherIntegProtector(size_t iv_size, size_t block_size, bool ctr, ProtectorUse use)
      : Protector(iv_size, block_size, 0), ctr_(ctr), use_(use) {}

  ~CipherIntegProtector() override { OPENSSL_cleanse(ctr_block_, sizeof ctr_block_); }
  CipherIntegProtector(const CipherIntegProtector&) = delete;
  CipherIntegProtector& operator=(const CipherIntegProtector&) = delete;

  bool init_cipher(const EVP_CIPHER* cipher, BytesView key, BytesView ctr_nonce) {
    if (ctr_) std::memcpy(ctr_block_, ctr_nonce.data(), 4);
    has_cipher_ = true;
    if (use_ != ProtectorUse::OpenOnly && !(enc_ = make_keyed_ctx(cipher, key, 1))) return false;
    if (use_ != ProtectorUse::SealOnly && !(dec_ = make_keyed_ctx(cipher, key, 0))) return false;
    return true;
  }
  void set_integrity(std::unique_ptr<Integrity> integ) {
    integ_ = std::move(integ);
    icv_size_ = integ_ ? integ_->icv_size() : 0;
  }

  bool is_aead() const override { return false; }

  bool seal(BytesView aad, BytesView iv, MutBytes text, BytesView trailer, MutBytes icv) override {
    if (!check(iv, text, icv.size()) || use_ == ProtectorUse::OpenOnly) return false;
    if (has_cipher_ && !crypt(enc_.get(), 1, iv, text)) return false;
    return !integ_ || integ_->compute({aad, iv, BytesView(text), trailer}, icv);
  }

  bool open(BytesView aad, BytesView iv, MutBytes text, BytesView trailer, BytesView icv) override {
    if (!check(iv, text, icv.size()) || use_ == ProtectorUse::SealOnly) return false;
    // Verify before decrypting: nothing of an unauthenticated message is processed.
    if (integ_ && !integ_->verify({aad, iv, BytesView(text), trailer}, icv)) return false;
    return !has_cipher_ || crypt(dec_.get(), 0, iv, text);
  }

 private:
  bool check(BytesView iv, MutBytes text, size_t icv_len) const {
    return iv.size() == iv_size_ && text.size() <= kMaxText && text.size() % block_size_ == 0 &&
           icv_len == icv_size();
  }

  bool crypt(EVP_CIPHER_CTX* ctx, int enc, BytesView iv, MutBytes text) {
    const uint8_t* cipher_iv = iv.data();
    if (ctr_) {
      // RFC 3686 section 4: counter block = nonce | IV | block counter starting at 1.
      std::memcpy(ctr_block_ + 4, iv.data(), 8);
      store_be32(ctr_block_ + 12, 1);
      cipher_iv = ctr_block_;
    }
    if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, cipher_iv, enc, nullptr) != 1) return false;
    if (text.empty()) return true;
    int len = 0;
    if (EVP_CipherUpdate(ctx, text.data(), &len, text.data(), static_cast<int>(text.size())) != 1 ||
        static_cast<size_t>(len) != text.size()) {
      return false;
    }
    // With padding off and whole blocks nothing is buffered; Final just confirms that.
    uint8_t tail[32];
    int tail_len = 0;
    return EVP_CipherFinal_ex(ctx, tail, &tail_len) == 1 && tail_len == 0;
  }

  bool ctr_;
  ProtectorUse use_;
  bool has_cipher_ = false;  // false for ENCR_NULL
  uint8_t ctr_block_[16] = {};
  CipherCtxPtr enc_;
  CipherCtxPtr dec_;
  std::unique_ptr<Integrity> integ_;
};

struct EncrInfo {
  size_t key_size = 0;   // cipher key octets
  size_t salt_size = 0;  // appended to the key in the keymat
  size_t iv_size = 0;
  size_t block_size = 1;
  size_t icv_size = 0;  // AEAD only
  bool aead = false;
  const char* cipher = nullptr;  // OpenSSL name; nullptr for ENCR_NULL
};

Result<EncrInfo> encr_info(EncrId encr, unsigned key_bits) {
  EncrInfo info;
  auto need_aes_bits = [&]() -> Result<void> {
    if (!is_aes_key_bits(key_bits)) {
      return make_error(std::string(name(encr)) + " needs a key length of 128, 192 or 256 bits, got " +
                        std::to_string(key_bits));
    }
    info.key_size = key_bits / 8;
    return {};
  };
  auto fixed_bits = [&](unsigned bits) -> Result<void> {
    if (key_bits != 0 && key_bits != bits) {
      return make_error(std::string(name(encr)) + " has a fixed key length of " + std::to_string(bits) +
                        " bits, got " + std::to_string(key_bits));
    }
    info.key_size = bits / 8;
    return {};
  };
  Result<void> bits_ok;
  switch (encr) {
    case EncrId::AesCbc: {
      bits_ok = need_aes_bits();
      info.iv_size = 16;
      info.block_size = 16;
      static const char* kNames[] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
      info.cipher = kNames[(key_bits - 128) / 64 % 3];
      break;
    }
    case EncrId::AesCtr: {
      bits_ok = need_aes_bits();
      info.salt_size = 4;
      info.iv_size = 8;
      static const char* kNames[] = {"AES-128-CTR", "AES-192-CTR", "AES-256-CTR"};
      info.cipher = kNames[(key_bits - 128) / 64 % 3];
      break;
    }
    case EncrId::AesGcm8:
    case EncrId::AesGcm12:
    case EncrId::AesGcm16:
    case EncrId::NullAuthAesGmac: {
      bits_ok = need_aes_bits();
      info.salt_size = kAeadSaltSize;
      info.iv_size = kAeadIvSize;
      info.aead = true;
      info.icv_size = encr == EncrId::AesGcm8 ? 8 : encr == EncrId::AesGcm12 ? 12 : 16;
      static const char* kNames[] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};
      info.cipher = kNames[(key_bits - 128) / 64 % 3];
      break;
    }
    case EncrId::ChaCha20Poly1305:
      bits_ok = fixed_bits(256);
      info.salt_size = kAeadSaltSize;
      info.iv_size = kAeadIvSize;
      info.aead = true;
      info.icv_size = kAeadTagSize;
      info.cipher = "ChaCha20-Poly1305";
      break;
    case EncrId::TripleDes:
      bits_ok = fixed_bits(192);
      info.iv_size = 8;
      info.block_size = 8;
      info.cipher = "DES-EDE3-CBC";
      break;
    case EncrId::Des:
      if (!legacy_algorithms_allowed()) {
        return make_error(
            "ENCR_DES is a legacy algorithm (RFC 8247 MUST NOT); it needs the legacy-algorithms switch");
      }
      bits_ok = fixed_bits(64);
      info.iv_size = 8;
      info.block_size = 8;
      info.cipher = "DES-CBC";
      break;
    case EncrId::Null:
      if (key_bits != 0) return make_error("ENCR_NULL takes no key length");
      break;
    default:
      return make_error("unknown encryption transform " + std::to_string(int(encr)));
  }
  if (!bits_ok) return Unexpected(bits_ok.error());
  return info;
}

}  // namespace

Result<KeySizes> key_sizes(EncrId encr, unsigned key_bits, IntegId integ) {
  auto info = encr_info(encr, key_bits);
  if (!info) return Unexpected(info.error());
  if (info->aead && integ != IntegId::None) {
    // RFC 5282 section 8 / RFC 4303 3.2: combined-mode transforms take no integrity transform.
    return make_error(transform_label(encr, key_bits) +
                      " is a combined-mode transform and takes no integrity "
                      "transform (got " +
                      std::string(name(integ)) + ")");
  }
  if (encr == EncrId::Null && integ == IntegId::None) {
    return make_error("ENCR_NULL without an integrity transform protects nothing (RFC 4303 3.2)");
  }
  if (integ != IntegId::None && !integ_supported(integ)) {
    if (integ == IntegId::HmacMd5_96) {
      return make_error(
          "AUTH_HMAC_MD5_96 is a legacy algorithm (RFC 8247 MUST NOT); it needs the legacy-algorithms "
          "switch");
    }
    return make_error("unknown integrity transform " + std::to_string(int(integ)));
  }
  return KeySizes{info->key_size + info->salt_size, integ_key_size(integ)};
}

Result<std::unique_ptr<Protector>> make_protector(EncrId encr, unsigned key_bits, BytesView encr_keymat,
                                                  IntegId integ, BytesView integ_key, ProtectorUse use) {
  auto sizes = key_sizes(encr, key_bits, integ);
  if (!sizes) return Unexpected(sizes.error());
  // Built only for an error message: the IKE path makes a protector per message.
  auto label = [&] { return transform_label(encr, key_bits); };
  if (encr_keymat.size() != sizes->encr_keymat) {
    return make_error(label() + " needs " + std::to_string(sizes->encr_keymat) +
                      " octets of key material, got " + std::to_string(encr_keymat.size()));
  }
  if (integ_key.size() != sizes->integ_key) {
    return make_error(std::string(name(integ)) + " needs a " + std::to_string(sizes->integ_key) +
                      "-octet key, got " + std::to_string(integ_key.size()));
  }
  EncrInfo info = *encr_info(encr, key_bits);
  const EVP_CIPHER* cipher = nullptr;
  if (info.cipher) {
    if (encr == EncrId::Des && !detail::load_legacy_provider()) {
      return make_error("ENCR_DES needs OpenSSL's legacy provider, which could not be loaded");
    }
    cipher = detail::fetched_cipher(info.cipher);
    if (!cipher) {
      return make_error("OpenSSL has no " + std::string(info.cipher) + ": " + detail::last_openssl_error());
    }
  }
  BytesView key = encr_keymat.first(info.key_size);
  BytesView salt = encr_keymat.subspan(info.key_size);

  if (info.aead) {
    auto p = std::make_unique<AeadProtector>(encr == EncrId::NullAuthAesGmac, info.icv_size);
    if (!p->init(cipher, key, salt, use)) {
      return make_error("cannot key " + label() + ": " + detail::last_openssl_error());
    }
    return std::unique_ptr<Protector>(std::move(p));
  }
  auto p = std::make_unique<CipherIntegProtector>(info.iv_size, info.block_size, encr == EncrId::AesCtr, use);
  if (cipher && !p->init_cipher(cipher, key, salt)) {
    return make_error("cannot key " + label() + ": " + detail::last_openssl_error());
  }
  if (integ != IntegId::None) {
    auto mac = make_integrity(integ, integ_key);
    if (!mac) return Unexpected(mac.error());
    p->set_integrity(std::move(*mac));
  }
  return std::unique_ptr<Protector>(std::move(p));
}

}  // namespace portunus::crypto
