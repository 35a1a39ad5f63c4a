#pragma once
// Bounds-checked sequential reader over untrusted bytes. Every read reports failure
// instead of reading past the end; after a failed read the reader stays where it was.
#include <cstdint>
#include <optional>

#include "portunus/base/bytes.h"

namespace portunus {

class ByteReader {
 public:
  explicit ByteReader(BytesView data) : data_(data) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  BytesView rest() const { return data_.subspan(pos_); }

  std::optional<uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  std::optional<uint16_t> u16() {
    if (remaining() < 2) return std::nullopt;
    uint16_t v = load_be16(data_.data() + pos_);
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> u32() {
    if (remaining() < 4) return std::nullopt;
    uint32_t v = load_be32(data_.data() + pos_);
    pos_ += 4;
    return v;
  }
  std::optional<uint64_t> u64() {
    if (remaining() < 8) return std::nullopt;
    uint64_t v = load_be64(data_.data() + pos_);
    pos_ += 8;
    return v;
  }
  std::optional<BytesView> bytes(size_t n) {
    if (remaining() < n) return std::nullopt;
    BytesView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  BytesView data_;
  size_t pos_ = 0;
};

// Appends big-endian fields to a growing buffer; lengths written before their
// content is known are patched afterwards with put_be16_at.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    uint8_t b[2];
    store_be16(b, v);
    out_.insert(out_.end(), b, b + 2);
  }
  void u32(uint32_t v) {
    uint8_t b[4];
    store_be32(b, v);
    out_.insert(out_.end(), b, b + 4);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    store_be64(b, v);
    out_.insert(out_.end(), b, b + 8);
  }
  void bytes(BytesView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void put_be16_at(size_t offset, uint16_t v) { store_be16(out_.data() + offset, v); }
  void put_be32_at(size_t offset, uint32_t v) { store_be32(out_.data() + offset, v); }

 private:
  Bytes& out_;
};

}  // namespace portunus
