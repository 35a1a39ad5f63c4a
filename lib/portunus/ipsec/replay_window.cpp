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
