#pragma once
// Anti-replay window of RFC 4303 3.4.3, with extended sequence numbers per Appendix A2.
// The receiver infers the full 64-bit number, checks it *before* the ICV is verified (cheap
// rejection of replays) and records it only *after* the ICV succeeded, so a forged packet
// can never move the window.
#include <cstdint>
#include <optional>
#include <vector>

namespace portunus::ipsec {

constexpr uint32_t kMinReplayWindow = 64;
constexpr uint32_t kMaxReplayWindow = 65536;

class ReplayWindow {
 public:
  enum class Check : uint8_t { Ok, Replayed, OutsideWindow };

  // `size` is rounded up to a power of two in [64, 65536]. With `enabled` false, check()
  // always says Ok, but the highest number is still tracked so that ESN inference works.
  // The bitmap is allocated here (at SA install), never per packet.
  explicit ReplayWindow(uint32_t size = kMinReplayWindow, bool esn = false, bool enabled = true);

  uint32_t size() const { return size_; }
  bool esn() const { return esn_; }
  uint64_t highest() const { return top_; }

  // The full sequence number of a packet carrying `seq_lo` (RFC 4303 A2.2); without ESN it
  // is seq_lo. nullopt when the inferred number would lie below zero. infer() and check()
  // are inline: called out of line, GCC 12 returns the optional through a byte store and a
  // wider reload, a store-forwarding stall on every inbound packet.
  std::optional<uint64_t> infer(uint32_t seq_lo) const {
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
  Check check(uint64_t seq) const {
    if (!enabled_) return Check::Ok;
    if (seq == 0) return Check::OutsideWindow;  // never sent: the first packet is 1 (RFC 4303 3.3.3)
    if (seq > top_) return Check::Ok;
    if (top_ - seq >= size_) return Check::OutsideWindow;
    return bit(seq) ? Check::Replayed : Check::Ok;
  }
  void update(uint64_t seq);
  // Sets the state as if `seq` were the highest number received and none other was
  // (used to set an SA's expected sequence state, e.g. for published vectors).
  void reset(uint64_t highest);

 private:
  bool bit(uint64_t seq) const { return (bits_[(seq >> 6) & word_mask_] >> (seq & 63)) & 1; }
  uint32_t size_;
  bool esn_;
  bool enabled_;
  uint64_t top_ = 0;
  uint64_t word_mask_;
  std::vector<uint64_t> bits_;
};

}  // namespace portunus::ipsec
