#pragma once
// A packet inside caller-owned storage, with headroom in front (for outer IP, UDP and ESP
// headers) and tailroom behind (ESP trailer and ICV). The data path grows and shrinks the
// packet inside the storage and never allocates.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "portunus/base/bytes.h"

namespace portunus::ipsec {

// Room an outbound packet should have: outer IPv6 (40) + UDP (8) + ESP header (8) + IV (16)
// in front; TFC padding aside, at most 255 + 2 octets of trailer and a 32-octet ICV behind.
constexpr size_t kRecommendedHeadroom = 128;
constexpr size_t kRecommendedTailroom = 320;

class PacketBuffer {
 public:
  PacketBuffer() = default;
  // The packet occupies [offset, offset + length) of storage.
  PacketBuffer(MutBytes storage, size_t offset, size_t length)
      : base_(storage.data()), capacity_(storage.size()), offset_(offset), length_(length) {
    if (offset_ > capacity_) offset_ = capacity_;
    if (length_ > capacity_ - offset_) length_ = capacity_ - offset_;
  }
  // Copies `packet` into storage at `headroom`; length 0 if it does not fit.
  static PacketBuffer copy_into(MutBytes storage, size_t headroom, BytesView packet) {
    if (headroom > storage.size() || packet.size() > storage.size() - headroom) return {storage, 0, 0};
    if (!packet.empty()) std::memcpy(storage.data() + headroom, packet.data(), packet.size());
    return {storage, headroom, packet.size()};
  }

  uint8_t* data() { return base_ + offset_; }
  const uint8_t* data() const { return base_ + offset_; }
  size_t size() const { return length_; }
  MutBytes span() { return {data(), length_}; }
  BytesView view() const { return {data(), length_}; }
  size_t headroom() const { return offset_; }
  size_t tailroom() const { return capacity_ - offset_ - length_; }
  size_t offset() const { return offset_; }

  bool push_front(size_t n) {
    if (n > offset_) return false;
    offset_ -= n;
    length_ += n;
    return true;
  }
  bool pull_front(size_t n) {
    if (n > length_) return false;
    offset_ += n;
    length_ -= n;
    return true;
  }
  bool push_back(size_t n) {
    if (n > tailroom()) return false;
    length_ += n;
    return true;
  }
  bool trim_back(size_t n) {
    if (n > length_) return false;
    length_ -= n;
    return true;
  }

 private:
  uint8_t* base_ = nullptr;
  size_t capacity_ = 0;
  size_t offset_ = 0;
  size_t length_ = 0;
};

}  // namespace portunus::ipsec
