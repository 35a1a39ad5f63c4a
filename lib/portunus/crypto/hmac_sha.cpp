// HMAC (RFC 2104) over OpenSSL's SHA-1 / SHA-2 compression functions, for the PRFs and
// integrity transforms of IKEv2 and ESP.
//
// Why not EVP_MAC: keying an EVP_MAC HMAC context duplicates three EVP_MD_CTXs (heap
// allocations), and every restart copies one back with another allocation; on an IKE
// responder that overhead (~10k instructions per keyed context, ~8k per evaluation) was a
// third of the handshake's cost outside the key exchange. Here the keyed state is the two
// digest states after the ipad and opad blocks, kept by value: keying costs two compression
// calls, a restart is a struct copy, nothing is allocated. The hash itself is still
// OpenSSL's (its SHA extensions / AVX2 code); only the RFC 2104 composition is ours.
//
// sha_functions.h says why OpenSSL's low-level digest functions are fine here; where OpenSSL
// is built without them make_sha_hmac_engine() returns nullptr and the caller falls back to
// EVP_MAC.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <string_view>

#include "portunus/crypto/mac.h"
#include "portunus/crypto/sha_functions.h"

namespace portunus::crypto::detail {

#ifdef PORTUNUS_HAVE_SHA_FUNCTIONS
namespace {

template <typename H>
class ShaHmacEngine final : public MacEngine {
 public:
  ShaHmacEngine() = default;
  ~ShaHmacEngine() override { wipe(); }
  ShaHmacEngine(const ShaHmacEngine&) = delete;
  ShaHmacEngine& operator=(const ShaHmacEngine&) = delete;

  size_t size() const override { return H::kOut; }

  bool set_key(BytesView key) override {
    keyed_ = false;
    // RFC 2104 section 2: a key longer than the block is hashed first, then zero-padded.
    uint8_t k0[H::kBlock] = {};
    bool good = true;
    if (key.size() > H::kBlock) {
      typename H::Ctx c;
      good = H::init(&c) && H::update(&c, key.data(), key.size()) && H::final(k0, &c);
      OPENSSL_cleanse(&c, sizeof c);
    } else if (!key.empty()) {
      std::memcpy(k0, key.data(), key.size());
    }
    uint8_t pad[H::kBlock];
    for (size_t i = 0; i < H::kBlock; ++i) pad[i] = static_cast<uint8_t>(k0[i] ^ 0x36);
    good = good && H::init(&inner_) && H::update(&inner_, pad, H::kBlock);
    for (size_t i = 0; i < H::kBlock; ++i) pad[i] = static_cast<uint8_t>(k0[i] ^ 0x5c);
    good = good && H::init(&outer_) && H::update(&outer_, pad, H::kBlock);
    OPENSSL_cleanse(k0, sizeof k0);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!good) {
      wipe();
      return false;
    }
    keyed_ = true;
    return true;
  }

  bool begin() override {
    if (!keyed_) return false;
    work_ = inner_;
    return true;
  }

  bool update(BytesView data) override { return data.empty() || H::update(&work_, data.data(), data.size()); }

  bool finish(uint8_t* out) override {
    uint8_t inner_hash[H::kOut];
    bool good = H::final(inner_hash, &work_);
    work_ = outer_;
    good = good && H::update(&work_, inner_hash, H::kOut) && H::final(out, &work_);
    OPENSSL_cleanse(inner_hash, sizeof inner_hash);
    return good;
  }

 private:
  void wipe() {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
    OPENSSL_cleanse(&work_, sizeof work_);
    keyed_ = false;
  }

  typename H::Ctx inner_{};  // after hashing K0 ^ ipad
  typename H::Ctx outer_{};  // after hashing K0 ^ opad
  typename H::Ctx work_{};   // the message being hashed
  bool keyed_ = false;
};

}  // namespace

std::unique_ptr<MacEngine> make_sha_hmac_engine(const char* digest) {
  std::string_view d(digest);
  if (d == "SHA1") return std::make_unique<ShaHmacEngine<Sha1>>();
  if (d == "SHA2-256") return std::make_unique<ShaHmacEngine<Sha256>>();
  if (d == "SHA2-384") return std::make_unique<ShaHmacEngine<Sha384>>();
  if (d == "SHA2-512") return std::make_unique<ShaHmacEngine<Sha512>>();
  return nullptr;
}

#else

std::unique_ptr<MacEngine> make_sha_hmac_engine(const char*) { return nullptr; }

#endif

}  // namespace portunus::crypto::detail
