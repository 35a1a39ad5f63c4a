#include "portunus/ipsec/replay_window.h"

#include <algorithm>
#include <bit>

namespace portunus::ipsec {

ReplayWindow::ReplayWindow(uint32_t size, bool esn, bool enabled) : esn_(esn), enabled_(enabled) {
  size = std::clamp(size, kMinReplayWindow, kMaxReplayWindow);
  size_ = std::bit_ceil(size);
  bits_.assign(size_ / 64, 0);
  word_mask_ = bits_.size() - 1;
}

std::optional<uint64_t> ReplayWindow::infer(uint32_t seq_lo) const {
  if (!esn_) return seq_lo;
  auto tl = static_cast<uint32_t>(top_);
  auto th = static_cast<uint32_t>(top_ >> 32);
  uint32_t bottom = tl - size_ + 1;  // wraps in case B, as A2.2 intends
  uint32_t seq_hi = th;
  if (tl >= size_ - 1) {
    // Case A: the window lies within one 2^32 subspace.
    if (seq_lo < bottom) {
      if (th == UINT32_MAX) return std::nullopt;
      seq_hi = th + 1;
    }
  } else if (seq_lo >= bottom) {
    // Case B: the window spans two subspaces and seq_lo falls in the lower one.
    if (th == 0) return std::nullopt;
    seq_hi = th - 1;
  }
  return (uint64_t{seq_hi} << 32) | seq_lo;
}

ReplayWindow::Check ReplayWindow::check(uint64_t seq) const {
  if (!enabled_) return Check::Ok;
  if (seq == 0) return Check::OutsideWindow;  // never sent: the first packet is 1 (RFC 4303 3.3.3)
  if (seq > top_) return Check::Ok;
  if (top_ - seq >= size_) return Check::OutsideWindow;
  return bit(seq) ? Check::Replayed : Check::Ok;
}

void ReplayWindow::update(uint64_t seq) {
  if (seq > top_) {
    uint64_t diff = seq - top_;
    if (diff >= size_) {
      std::fill(bits_.begin(), bits_.end(), 0);
    } else {
      // Clear the slots of the numbers skipped over; whole words where possible.
      for (uint64_t s = top_ + 1; s < seq;) {
        if ((s & 63) == 0 && seq - s >= 64) {
          bits_[(s >> 6) & word_mask_] = 0;
          s += 64;
        } else {
          bits_[(s >> 6) & word_mask_] &= ~(uint64_t{1} << (s & 63));
          ++s;
        }
      }
      bits_[(seq >> 6) & word_mask_] &= ~(uint64_t{1} << (seq & 63));
    }
    top_ = seq;
  } else if (top_ - seq >= size_) {
    return;  // older than the window: nothing to record
  }
  bits_[(seq >> 6) & word_mask_] |= uint64_t{1} << (seq & 63);
}

void ReplayWindow::reset(uint64_t highest) {
  std::fill(bits_.begin(), bits_.end(), 0);
  top_ = highest;
  if (highest != 0) bits_[(highest >> 6) & word_mask_] |= uint64_t{1} << (highest & 63);
}

}  // namespace portunus::ipsec
