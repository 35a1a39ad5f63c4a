#pragma once
// Key material. Wiped with OPENSSL_cleanse when destroyed or reassigned, never printed:
// there is deliberately no operator<< and no implicit conversion to a string.
#include <cstdint>
#include <span>

#include "portunus/base/bytes.h"

namespace portunus {

class SecureBytes {
 public:
  SecureBytes() = default;
  explicit SecureBytes(size_t n);
  explicit SecureBytes(BytesView data);
  SecureBytes(const SecureBytes& other);
  SecureBytes(SecureBytes&& other) noexcept;
  SecureBytes& operator=(const SecureBytes& other);
  SecureBytes& operator=(SecureBytes&& other) noexcept;
  ~SecureBytes();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  BytesView view() const { return {data_, size_}; }
  MutBytes span() { return {data_, size_}; }
  operator BytesView() const { return view(); }  // NOLINT: keys are passed where views are wanted

  // A copy of [offset, offset+len); the caller checks bounds (asserted).
  SecureBytes slice(size_t offset, size_t len) const;
  void append(BytesView data);
  void wipe();

  friend bool operator==(const SecureBytes& a, const SecureBytes& b);

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace portunus
