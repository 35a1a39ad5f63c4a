#pragma once
// IKEv2/ESP integrity transforms (RFC 2404, RFC 3566, RFC 4494, RFC 4868): a MAC truncated
// to the ICV length. Keyed once; each call MACs several segments in order without copying
// them together (ESP's header | IV | ciphertext | ESN high bits), and verify() compares in
// constant time.
#include <initializer_list>
#include <memory>
#include <span>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/crypto/ids.h"

namespace portunus::crypto {

namespace detail {
class MacEngine;
}

// Key length and ICV length of a transform (0 for None or unknown ids).
size_t integ_key_size(IntegId id);
size_t integ_icv_size(IntegId id);
// Known and, for the legacy ones (HMAC-MD5-96), currently allowed.
bool integ_supported(IntegId id);

class Integrity {
 public:
  ~Integrity();
  Integrity(const Integrity&) = delete;
  Integrity& operator=(const Integrity&) = delete;

  IntegId id() const { return id_; }
  size_t icv_size() const { return icv_size_; }

  // Writes the first icv.size() octets of MAC(key, segments...); icv.size() must not exceed
  // icv_size(). False only on an internal failure.
  bool compute(std::span<const BytesView> segments, MutBytes icv);
  bool compute(std::initializer_list<BytesView> segments, MutBytes icv) {
    return compute(std::span<const BytesView>(segments.begin(), segments.size()), icv);
  }
  // True if icv (exactly icv_size() octets) is the ICV of the segments; constant time.
  bool verify(std::span<const BytesView> segments, BytesView icv);
  bool verify(std::initializer_list<BytesView> segments, BytesView icv) {
    return verify(std::span<const BytesView>(segments.begin(), segments.size()), icv);
  }

 private:
  friend Result<std::unique_ptr<Integrity>> make_integrity(IntegId id, BytesView key);
  Integrity(IntegId id, size_t icv_size, std::unique_ptr<detail::MacEngine> mac);

  IntegId id_;
  size_t icv_size_;
  std::unique_ptr<detail::MacEngine> mac_;
};

// Error for None, unknown ids, disallowed legacy ids and a key of the wrong length.
Result<std::unique_ptr<Integrity>> make_integrity(IntegId id, BytesView key);

}  // namespace portunus::crypto
