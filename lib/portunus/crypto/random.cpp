#include "portunus/crypto/random.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ossl.h"

namespace portunus::crypto {
namespace {

class SystemRandom final : public Random {
 public:
  void fill(MutBytes out) override {
    // RAND_bytes only fails if the DRBG cannot be seeded; continuing without
    // randomness would silently produce guessable keys, so stop the process.
    while (!out.empty()) {
      size_t n = std::min<size_t>(out.size(), 1 << 30);
      if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) std::abort();
      out = out.subspan(n);
    }
  }
};

// AES-256-CTR key stream keyed with SHA-256(label | seed). Reproducible across runs and
// platforms, which is all tests need; never used for production keys.
class DeterministicRandom final : public Random {
 public:
  explicit DeterministicRandom(uint64_t seed) : ctx_(EVP_CIPHER_CTX_new()) {
    static constexpr char kLabel[] = "portunus deterministic random";
    uint8_t material[sizeof kLabel - 1 + 8];
    std::memcpy(material, kLabel, sizeof kLabel - 1);
    store_be64(material + sizeof kLabel - 1, seed);
    SecureBytes key(32);
    unsigned int key_len = 0;
    uint8_t iv[16] = {};
    if (!ctx_ || EVP_Digest(material, sizeof material, key.data(), &key_len, EVP_sha256(), nullptr) != 1 ||
        EVP_EncryptInit_ex2(ctx_.get(), EVP_aes_256_ctr(), key.data(), iv, nullptr) != 1) {
      std::abort();  // only on allocation failure at set-up
    }
  }

  void fill(MutBytes out) override {
    if (out.empty()) return;  // an empty span may carry a null pointer, which memset must not get
    std::memset(out.data(), 0, out.size());
    size_t done = 0;
    while (done < out.size()) {
      int chunk = static_cast<int>(std::min<size_t>(out.size() - done, 1 << 20));
      int len = 0;
      if (EVP_EncryptUpdate(ctx_.get(), out.data() + done, &len, out.data() + done, chunk) != 1) std::abort();
      done += static_cast<size_t>(chunk);
    }
  }

 private:
  detail::CipherCtxPtr ctx_;
};

}  // namespace

Random& system_random() {
  static SystemRandom instance;
  return instance;
}

std::unique_ptr<Random> make_deterministic_random(uint64_t seed) {
  return std::make_unique<DeterministicRandom>(seed);
}

}  // namespace portunus::crypto
