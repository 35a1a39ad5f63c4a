#include "portunus/ike/nat_detection.h"

#include <gtest/gtest.h>

#include "test_random.h"

namespace portunus::ike {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
BytesView view(const NatHash& h) { return {h.data(), h.size()}; }

// Expected values computed outside this code base with coreutils:
//   printf '\x01\x02\x03\x04\x05\x06\x07\x08' '\x00'x8 '\xc0\x00\x02\x01' '\x01\xf4' | sha1sum
TEST(NatDetection, HashIsSha1OfSpisAddressAndPort) {
  auto h = nat_detection_hash(0x0102030405060708ull, 0, ip("192.0.2.1"), 500);
  EXPECT_EQ(hex_encode(view(h)), "644b4575455bd6fcc1efe2be8162a9218e448e5f");
  auto h6 = nat_detection_hash(0x0102030405060708ull, 0xa1a2a3a4a5a6a7a8ull, ip("2001:db8::1"), 4500);
  EXPECT_EQ(hex_encode(view(h6)), "0e47d8075ac895ac341ac27d9f35d5d5a3391d76");
}

TEST(NatDetection, EveryInputMatters) {
  auto base = nat_detection_hash(1, 2, ip("192.0.2.1"), 500);
  EXPECT_NE(base, nat_detection_hash(3, 2, ip("192.0.2.1"), 500));
  EXPECT_NE(base, nat_detection_hash(1, 3, ip("192.0.2.1"), 500));
  EXPECT_NE(base, nat_detection_hash(1, 2, ip("192.0.2.2"), 500));
  EXPECT_NE(base, nat_detection_hash(1, 2, ip("192.0.2.1"), 4500));
  EXPECT_NE(base, nat_detection_hash(1, 2, ip("::ffff:192.0.2.1"), 500));
}

struct Side {
  IpAddress addr;
  uint16_t port;
};

// What a receiver concludes when the sender computed its notifies from `sender_view` of the
// two endpoints and the packet arrived with `seen` addresses.
NatStatus run(Side sender_src, Side sender_dst, Side seen_src, Side seen_dst) {
  const uint64_t spi_i = 0x1111222233334444ull, spi_r = 0;
  NatHash src = nat_detection_hash(spi_i, spi_r, sender_src.addr, sender_src.port);
  NatHash dst = nat_detection_hash(spi_i, spi_r, sender_dst.addr, sender_dst.port);
  BytesView srcs[] = {view(src)};
  return detect_nat(spi_i, spi_r, srcs, view(dst), seen_dst.addr, seen_dst.port, seen_src.addr,
                    seen_src.port);
}

TEST(NatDetection, NoNat) {
  Side i{ip("192.0.2.1"), 500}, r{ip("198.51.100.1"), 500};
  auto s = run(i, r, i, r);
  EXPECT_FALSE(s.local_behind_nat);
  EXPECT_FALSE(s.remote_behind_nat);
  EXPECT_FALSE(s.any());
}

TEST(NatDetection, SenderBehindNat) {
  // Initiator 10.0.0.2:500 is translated to 203.0.113.5:31000 on the way to the responder.
  Side i{ip("10.0.0.2"), 500}, r{ip("198.51.100.1"), 500}, i_nat{ip("203.0.113.5"), 31000};
  auto s = run(i, r, i_nat, r);
  EXPECT_TRUE(s.remote_behind_nat);
  EXPECT_FALSE(s.local_behind_nat);
  // Only the port changed: still a NAT.
  EXPECT_TRUE(run(i, r, Side{i.addr, 1024}, r).remote_behind_nat);
}

TEST(NatDetection, ReceiverBehindNat) {
  // The responder is 10.1.0.1 behind a port forward of 198.51.100.1:500.
  Side i{ip("192.0.2.1"), 500}, r_public{ip("198.51.100.1"), 500}, r_private{ip("10.1.0.1"), 500};
  auto s = run(i, r_public, i, r_private);
  EXPECT_TRUE(s.local_behind_nat);
  EXPECT_FALSE(s.remote_behind_nat);
}

TEST(NatDetection, MultihomedPeerSendsSeveralSourceHashes) {
  const uint64_t spi_i = 7, spi_r = 9;
  Side r{ip("198.51.100.1"), 500};
  NatHash a = nat_detection_hash(spi_i, spi_r, ip("192.0.2.1"), 500);
  NatHash b = nat_detection_hash(spi_i, spi_r, ip("192.0.2.77"), 500);
  NatHash d = nat_detection_hash(spi_i, spi_r, r.addr, r.port);
  BytesView srcs[] = {view(a), view(b)};
  EXPECT_FALSE(
      detect_nat(spi_i, spi_r, srcs, view(d), r.addr, r.port, ip("192.0.2.77"), 500).remote_behind_nat);
  EXPECT_TRUE(
      detect_nat(spi_i, spi_r, srcs, view(d), r.addr, r.port, ip("192.0.2.78"), 500).remote_behind_nat);
}

TEST(NatDetection, FakeSourceHashForcesEncapsulation) {
  testing::CounterRandom rng(1);
  const uint64_t spi_i = 7, spi_r = 0;
  Side i{ip("192.0.2.1"), 500}, r{ip("198.51.100.1"), 500};
  NatHash fake = fake_nat_source_hash(rng);
  EXPECT_NE(fake, fake_nat_source_hash(rng));
  NatHash d = nat_detection_hash(spi_i, spi_r, r.addr, r.port);
  BytesView srcs[] = {view(fake)};
  auto s = detect_nat(spi_i, spi_r, srcs, view(d), r.addr, r.port, i.addr, i.port);
  EXPECT_TRUE(s.remote_behind_nat);
  EXPECT_TRUE(s.any());
}

TEST(NatDetection, HostileNotifyData) {
  const uint64_t spi_i = 7, spi_r = 0;
  Side i{ip("192.0.2.1"), 500}, r{ip("198.51.100.1"), 500};
  NatHash src = nat_detection_hash(spi_i, spi_r, i.addr, i.port);
  NatHash dst = nat_detection_hash(spi_i, spi_r, r.addr, r.port);
  // Truncated or extended hashes never match.
  BytesView short_src[] = {view(src).first(19)};
  EXPECT_TRUE(
      detect_nat(spi_i, spi_r, short_src, view(dst), r.addr, r.port, i.addr, i.port).remote_behind_nat);
  Bytes longer(src.begin(), src.end());
  longer.push_back(0);
  BytesView long_src[] = {longer};
  EXPECT_TRUE(
      detect_nat(spi_i, spi_r, long_src, view(dst), r.addr, r.port, i.addr, i.port).remote_behind_nat);
  BytesView ok_src[] = {view(src)};
  EXPECT_TRUE(detect_nat(spi_i, spi_r, ok_src, BytesView{}, r.addr, r.port, i.addr, i.port).local_behind_nat);
  // No source notifies at all: the caller should not ask, but the answer is "NAT".
  EXPECT_TRUE(detect_nat(spi_i, spi_r, {}, view(dst), r.addr, r.port, i.addr, i.port).remote_behind_nat);
}

TEST(NonEspMarker, OnlyOnTheNatTPort) {
  EXPECT_FALSE(uses_non_esp_marker(500, 500));
  // Port 500 on our side: a NAT rewrote the initiator's port (or a flood uses random ports);
  // the answer goes out of the IKE port and must not carry the marker.
  EXPECT_FALSE(uses_non_esp_marker(500, 31337));
  EXPECT_FALSE(uses_non_esp_marker(500, 4500));
  // The NAT-T socket always marks, whatever port the NAT gave the peer.
  EXPECT_TRUE(uses_non_esp_marker(4500, 4500));
  EXPECT_TRUE(uses_non_esp_marker(4500, 1025));
  EXPECT_TRUE(uses_non_esp_marker(4500, 500));
  // Two non-standard ports (test set-ups): as on the NAT-T port.
  EXPECT_TRUE(uses_non_esp_marker(5500, 5501));
}

}  // namespace
}  // namespace portunus::ike
