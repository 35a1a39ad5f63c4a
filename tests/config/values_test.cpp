#include "portunus/config/values.h"

#include <gtest/gtest.h>

namespace portunus::config {
namespace {

TEST(Values, Times) {
  EXPECT_EQ(parse_time("90"), 90u);
  EXPECT_EQ(parse_time("90s"), 90u);
  EXPECT_EQ(parse_time("30m"), 1800u);
  EXPECT_EQ(parse_time("4h"), 14400u);
  EXPECT_EQ(parse_time("2d"), 172800u);
  EXPECT_EQ(parse_time(" 5M "), 300u);
  for (const char* bad : {"", "h", "5x", "-5", "5 h", "1.5h", "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(parse_time(bad)) << bad;
  }
  EXPECT_FALSE(parse_time("999999999999999999d"));  // overflow
}

TEST(Values, Bytes) {
  EXPECT_EQ(parse_bytes("1000"), 1000u);
  EXPECT_EQ(parse_bytes("512k"), 512u * 1024);
  EXPECT_EQ(parse_bytes("10M"), 10u * 1024 * 1024);
  EXPECT_EQ(parse_bytes("2g"), 2ull * 1024 * 1024 * 1024);
  EXPECT_FALSE(parse_bytes("10t"));
  EXPECT_FALSE(parse_bytes("k"));
}

TEST(Values, FormatIsInverse) {
  for (uint64_t s : {0ull, 1ull, 59ull, 60ull, 61ull, 3600ull, 3960ull, 14400ull, 86400ull, 90000ull}) {
    EXPECT_EQ(parse_time(format_time(s)), s) << format_time(s);
  }
  EXPECT_EQ(format_time(14400), "4h");
  EXPECT_EQ(format_time(3960), "66m");
  for (uint64_t b : {0ull, 1000ull, 1024ull, 1536ull, 1048576ull, 1073741824ull, 5368709120ull}) {
    EXPECT_EQ(parse_bytes(format_bytes(b)), b) << format_bytes(b);
  }
}

TEST(Values, NumbersAndBooleans) {
  EXPECT_EQ(parse_uint("0x1f"), 31u);
  EXPECT_EQ(parse_uint("255", 255), 255u);
  EXPECT_FALSE(parse_uint("256", 255));
  EXPECT_FALSE(parse_uint("0x"));
  EXPECT_FALSE(parse_uint("18446744073709551616"));
  EXPECT_EQ(parse_bool("yes"), true);
  EXPECT_EQ(parse_bool("Enabled"), true);
  EXPECT_EQ(parse_bool("1"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_EQ(parse_bool("no"), false);
  EXPECT_FALSE(parse_bool("maybe"));
}

}  // namespace
}  // namespace portunus::config
