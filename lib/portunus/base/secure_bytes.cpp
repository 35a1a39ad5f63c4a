#include "portunus/base/secure_bytes.h"

#include <openssl/crypto.h>

#include <cassert>
#include <cstring>

namespace portunus {

SecureBytes::SecureBytes(size_t n) : data_(n ? new uint8_t[n]() : nullptr), size_(n) {}

SecureBytes::SecureBytes(BytesView d) : SecureBytes(d.size()) {
  if (size_) std::memcpy(data_, d.data(), size_);
}

SecureBytes::SecureBytes(const SecureBytes& other) : SecureBytes(other.view()) {}

SecureBytes::SecureBytes(SecureBytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecureBytes& SecureBytes::operator=(const SecureBytes& other) {
  if (this != &other) {
    SecureBytes copy(other);
    *this = std::move(copy);
  }
  return *this;
}

SecureBytes& SecureBytes::operator=(SecureBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

SecureBytes::~SecureBytes() { wipe(); }

void SecureBytes::wipe() {
  if (data_) {
    OPENSSL_cleanse(data_, size_);
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

SecureBytes SecureBytes::slice(size_t offset, size_t len) const {
  assert(offset + len <= size_);
  return SecureBytes(BytesView(data_ + offset, len));
}

void SecureBytes::append(BytesView d) {
  SecureBytes grown(size_ + d.size());
  if (size_) std::memcpy(grown.data_, data_, size_);
  if (!d.empty()) std::memcpy(grown.data_ + size_, d.data(), d.size());
  *this = std::move(grown);
}

bool operator==(const SecureBytes& a, const SecureBytes& b) { return equal_ct(a.view(), b.view()); }

}  // namespace portunus
