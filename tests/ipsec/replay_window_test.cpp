#include "portunus/ipsec/replay_window.h"

#include <gtest/gtest.h>

namespace portunus::ipsec {
namespace {

using Check = ReplayWindow::Check;

TEST(ReplayWindow, SizesRoundUp) {
  EXPECT_EQ(ReplayWindow(1).size(), 64u);
  EXPECT_EQ(ReplayWindow(100).size(), 128u);
  EXPECT_EQ(ReplayWindow(4096).size(), 4096u);
  EXPECT_EQ(ReplayWindow(1u << 30).size(), kMaxReplayWindow);
}

TEST(ReplayWindow, DuplicatesLateAndWindowEdges) {
  ReplayWindow w(64);
  EXPECT_EQ(w.check(0), Check::OutsideWindow);  // sequence numbers start at 1
  EXPECT_EQ(w.check(1), Check::Ok);
  w.update(1);
  EXPECT_EQ(w.check(1), Check::Replayed);
  w.update(100);
  EXPECT_EQ(w.highest(), 100u);
  // Window is [37, 100]: 37 is the left edge, 36 is out.
  EXPECT_EQ(w.check(37), Check::Ok);
  EXPECT_EQ(w.check(36), Check::OutsideWindow);
  EXPECT_EQ(w.check(100), Check::Replayed);
  w.update(37);  // late but inside
  EXPECT_EQ(w.check(37), Check::Replayed);
  EXPECT_EQ(w.check(38), Check::Ok);
  w.update(101);  // window slides by one: 37 drops out
  EXPECT_EQ(w.check(37), Check::OutsideWindow);
  EXPECT_EQ(w.check(38), Check::Ok);
  // A big jump clears everything.
  w.update(10000);
  EXPECT_EQ(w.check(9999), Check::Ok);
  EXPECT_EQ(w.check(10000), Check::Replayed);
  EXPECT_EQ(w.check(101), Check::OutsideWindow);
}

TEST(ReplayWindow, LargeWindowTracksEveryPacket) {
  ReplayWindow w(4096);
  for (uint64_t s = 1; s <= 10001; s += 2) w.update(s);
  for (uint64_t s = 10001 - 4095; s <= 10001; ++s) {
    EXPECT_EQ(w.check(s), (s % 2 == 1) ? Check::Replayed : Check::Ok) << s;
  }
  EXPECT_EQ(w.check(10001 - 4096), Check::OutsideWindow);
  // Slides past stale bits correctly (bits of numbers that left the window are cleared).
  w.update(10000 + 4096 + 3);
  for (uint64_t s = 10000 + 8; s < 10000 + 4096 + 3; ++s) ASSERT_EQ(w.check(s), Check::Ok) << s;
}

TEST(ReplayWindow, DisabledStillTracksHighest) {
  ReplayWindow w(64, false, false);
  w.update(5);
  EXPECT_EQ(w.check(5), Check::Ok);
  EXPECT_EQ(w.highest(), 5u);
}

TEST(ReplayWindow, EsnInferenceCaseA) {
  ReplayWindow w(64, true);
  w.reset((uint64_t{3} << 32) | 1000);
  // Inside the window or ahead in the same subspace: same high half.
  EXPECT_EQ(*w.infer(1000 - 63), (uint64_t{3} << 32) | (1000 - 63));
  EXPECT_EQ(*w.infer(5000), (uint64_t{3} << 32) | 5000);
  // Below the window: must be the next subspace (wrapped).
  EXPECT_EQ(*w.infer(5), (uint64_t{4} << 32) | 5);
}

TEST(ReplayWindow, EsnInferenceCaseBAcrossTheWrap) {
  ReplayWindow w(64, true);
  w.reset((uint64_t{7} << 32) | 10);  // window spans 0xffffffcb (of 6) .. 10 (of 7)
  EXPECT_EQ(*w.infer(0xfffffff0u), (uint64_t{6} << 32) | 0xfffffff0u);
  EXPECT_EQ(*w.infer(3), (uint64_t{7} << 32) | 3);
  EXPECT_EQ(*w.infer(500), (uint64_t{7} << 32) | 500);
  EXPECT_EQ(w.check(*w.infer(0xfffffff0u)), Check::Ok);
  // Below the window's lower end in the old subspace: read as far ahead (A2.2 case B).
  EXPECT_EQ(*w.infer(0xffffff00u), (uint64_t{7} << 32) | 0xffffff00u);
  // With a high half of zero nothing lies below the wrap.
  ReplayWindow z(64, true);
  z.reset(10);
  EXPECT_FALSE(z.infer(0xfffffff0u).has_value());
}

TEST(ReplayWindow, EsnWrapSequence) {
  ReplayWindow w(128, true);
  w.reset(0xfffffff0u);
  uint64_t expect = 0xfffffff1u;
  for (int i = 0; i < 40; ++i, ++expect) {
    auto s = w.infer(static_cast<uint32_t>(expect));
    ASSERT_TRUE(s.has_value());
    ASSERT_EQ(*s, expect);
    ASSERT_EQ(w.check(*s), Check::Ok);
    w.update(*s);
  }
  // A late packet from before the wrap is still recognised as a duplicate.
  EXPECT_EQ(*w.infer(0xfffffff5u), 0xfffffff5u);
  EXPECT_EQ(w.check(0xfffffff5u), Check::Replayed);
}

}  // namespace
}  // namespace portunus::ipsec
