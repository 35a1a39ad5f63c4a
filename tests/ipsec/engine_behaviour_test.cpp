// Verdicts and reasons of the packet API: replay, ESN, lifetimes, selector checks after
// decryption, padding, dummy packets, TFC, ECN/DF, ACQUIRE, MTU and malformed input.
#include <gtest/gtest.h>

#include "fixture.h"
#include "portunus/ipsec/esp.h"
#include "portunus/wire/esp_header.h"

namespace portunus::ipsec {
namespace {

using namespace testing;

Bytes to_bytes(const PacketBuffer& p) { return Bytes(p.view().begin(), p.view().end()); }

// Protects one packet on a and returns the outer packet.
Bytes protect(Pair& pair, const Bytes& inner, Seconds now = 0) {
  PacketBuffer pkt = pair.packet(inner);
  OutboundResult r = pair.a().outbound(pkt, now);
  EXPECT_EQ(r.verdict, Verdict::Protected) << name(r.reason);
  return to_bytes(pkt);
}

InboundResult deliver(Pair& pair, const Bytes& outer, Bytes* inner = nullptr, Seconds now = 0) {
  PacketBuffer pkt = pair.packet(outer);
  InboundResult r = pair.b().inbound(pkt, now);
  if (inner) *inner = to_bytes(pkt);
  return r;
}

// An IPv4 tunnel-mode ESP packet from gw a to gw b built by hand, so that tests can choose
// the sequence number, padding and next header.
Bytes craft(Pair& pair, const Bytes& payload, uint64_t seq, Bytes padding, uint8_t next_header) {
  auto prot = pair.protector();
  if (!prot) return {};  // the callers' checks then fail on the empty packet
  Bytes pkt(20 + 8 + prot->iv_size() + payload.size() + padding.size() + 2 + prot->icv_size());
  pkt[0] = 0x45;
  pkt[8] = 64;
  pkt[9] = wire::ipproto::kEsp;
  std::memcpy(pkt.data() + 12, gw_a(IpFamily::V4).data(), 4);
  std::memcpy(pkt.data() + 16, gw_b(IpFamily::V4).data(), 4);
  store_be16(pkt.data() + 2, static_cast<uint16_t>(pkt.size()));
  wire::ipv4_set_checksum(MutBytes(pkt).first(20));
  uint8_t* esp = pkt.data() + 20;
  std::memcpy(esp + 8 + prot->iv_size(), payload.data(), payload.size());
  Bytes iv(prot->iv_size(), 0x42);
  EspSealParams sp{kSpi, seq, pair.setup().esn, true, next_header};
  sp.combined_mode = pair.setup().transform.integ == crypto::IntegId::None;
  EXPECT_NE(esp_seal(*prot, sp, iv, padding, esp, payload.size()), 0u);
  return pkt;
}

TEST(Replay, DuplicatesLateAndOutOfOrderThroughTheEngine) {
  PairSetup s;
  s.replay_window = 64;
  Pair pair(s);
  std::vector<Bytes> sent;
  for (int i = 0; i < 100; ++i) sent.push_back(protect(pair, pair.spec_packet(20)));
  // Deliver 100 first, then 40..99 in reverse (inside the window), then duplicates and 36.
  EXPECT_EQ(deliver(pair, sent[99]).verdict, Verdict::Deliver);
  for (int i = 98; i >= 36; --i) EXPECT_EQ(deliver(pair, sent[i]).verdict, Verdict::Deliver) << i;
  EXPECT_EQ(deliver(pair, sent[35]).reason, DiscardReason::OutsideWindow);  // seq 36, window [37, 100]
  EXPECT_EQ(deliver(pair, sent[50]).reason, DiscardReason::Replayed);
  EXPECT_EQ(deliver(pair, sent[99]).reason, DiscardReason::Replayed);
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::Replayed), 2u);
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::OutsideWindow), 1u);
  EXPECT_EQ(pair.b().sad().get(pair.sa_b())->counters.replay_drops, 3u);
}

TEST(Replay, WindowOffAcceptsDuplicates) {
  PairSetup s;
  s.replay_window = 0;
  Pair pair(s);
  Bytes p = protect(pair, pair.spec_packet(20));
  EXPECT_EQ(deliver(pair, p).verdict, Verdict::Deliver);
  EXPECT_EQ(deliver(pair, p).verdict, Verdict::Deliver);
}

TEST(Replay, ForgedPacketDoesNotMoveTheWindow) {
  Pair pair(PairSetup{});
  Bytes p1 = protect(pair, pair.spec_packet(20));
  Bytes forged = p1;
  store_be32(forged.data() + 24, 1000000);  // a far-ahead sequence number, ICV now wrong
  EXPECT_EQ(deliver(pair, forged).reason, DiscardReason::IcvMismatch);
  EXPECT_EQ(pair.b().sad().get(pair.sa_b())->replay.highest(), 0u);
  EXPECT_EQ(deliver(pair, p1).verdict, Verdict::Deliver);
  Bytes tampered = protect(pair, pair.spec_packet(20));
  tampered[tampered.size() - 20] ^= 1;
  EXPECT_EQ(deliver(pair, tampered).reason, DiscardReason::IcvMismatch);
  EXPECT_EQ(pair.b().sad().get(pair.sa_b())->counters.auth_failures, 2u);
}

TEST(Esn, SequenceNumbersCrossTheTwoToThe32Boundary) {
  for (size_t t : {size_t{0}, size_t{5}}) {  // combined mode and cipher + integrity
    PairSetup s;
    s.transform = all_transforms()[t];
    s.esn = true;
    s.initial_seq = 0xfffffff0u;
    Pair pair(s);
    std::vector<Bytes> sent;
    for (int i = 0; i < 40; ++i) sent.push_back(protect(pair, pair.spec_packet(10)));
    EXPECT_EQ(pair.a().sad().get(pair.sa_a())->seq, uint64_t{0xfffffff0u} + 40);
    // Deliver with some reordering around the wrap.
    for (int i = 0; i < 40; i += 2) ASSERT_EQ(deliver(pair, sent[i + 1]).verdict, Verdict::Deliver) << i;
    for (int i = 0; i < 40; i += 2) ASSERT_EQ(deliver(pair, sent[i]).verdict, Verdict::Deliver) << i;
    EXPECT_EQ(deliver(pair, sent[3]).reason, DiscardReason::Replayed);
    EXPECT_EQ(pair.b().sad().get(pair.sa_b())->replay.highest(), uint64_t{0xfffffff0u} + 40);
  }
}

TEST(Esn, WithoutEsnTheSequenceNumberNeverCycles) {
  PairSetup s;
  s.initial_seq = 0xfffffffeu;
  Pair pair(s);
  protect(pair, pair.spec_packet(10));  // seq 2^32 - 1: the last one
  PacketBuffer pkt = pair.packet(pair.spec_packet(10));
  OutboundResult r = pair.a().outbound(pkt, 0);
  EXPECT_EQ(r.reason, DiscardReason::SequenceExhausted);
  auto ev = pair.a().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::HardExpire);
  EXPECT_EQ(pair.a().sad().get(pair.sa_a()), nullptr);
}

TEST(Lifetimes, PacketAndByteLimitsRaiseEvents) {
  PairSetup s;
  s.soft.packets = 3;
  s.hard.packets = 5;
  Pair pair(s);
  for (int i = 0; i < 2; ++i) protect(pair, pair.spec_packet(10));
  EXPECT_FALSE(pair.a().poll_event());
  protect(pair, pair.spec_packet(10));
  auto ev = pair.a().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::SoftExpire);
  EXPECT_EQ(ev->spi, kSpi);
  EXPECT_EQ(ev->reqid, 1u);
  protect(pair, pair.spec_packet(10));
  EXPECT_FALSE(pair.a().poll_event());  // soft fires once
  protect(pair, pair.spec_packet(10));
  ev = pair.a().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::HardExpire);
  EXPECT_EQ(pair.a().sad().get(pair.sa_a()), nullptr);  // removed
  // The policy now needs a new SA.
  PacketBuffer pkt = pair.packet(pair.spec_packet(10));
  EXPECT_EQ(pair.a().outbound(pkt, 0).verdict, Verdict::NeedsSa);
  ev = pair.a().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::Acquire);

  PairSetup b;
  b.hard.bytes = 1000;
  Pair bytes(b);
  Bytes inner = bytes.spec_packet(400);  // 428 octets of IPv4 packet per ESP payload
  for (int i = 0; i < 2; ++i) EXPECT_EQ(deliver(bytes, protect(bytes, inner)).verdict, Verdict::Deliver);
  EXPECT_FALSE(bytes.b().poll_event());
  EXPECT_EQ(deliver(bytes, protect(bytes, inner)).verdict, Verdict::Deliver);  // reaches 1284 >= 1000
  ev = bytes.b().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::HardExpire);
  EXPECT_EQ(ev->direction, Direction::Inbound);
  EXPECT_EQ(bytes.b().sad().get(bytes.sa_b()), nullptr);
}

TEST(Lifetimes, TimeLimitsWithInjectedClock) {
  PairSetup s;
  s.soft.seconds = 10;
  s.hard.seconds = 20;
  Pair pair(s);  // SAs installed at t = 0
  pair.a().tick(9);
  EXPECT_FALSE(pair.a().poll_event());
  pair.a().tick(10);
  auto ev = pair.a().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::SoftExpire);
  pair.a().tick(15);
  EXPECT_FALSE(pair.a().poll_event());
  EXPECT_NE(pair.a().sad().get(pair.sa_a()), nullptr);
  pair.a().tick(20);
  ev = pair.a().poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::HardExpire);
  EXPECT_EQ(pair.a().sad().get(pair.sa_a()), nullptr);
}

TEST(SelectorCheck, SaSelectorsRejectOtherInnerPackets) {
  PairSetup s;
  s.sa_selectors = true;
  Pair pair(s);
  // a also sends 10.0.0.0/24 -> 10.0.2.0/24 through the same SA (same reqid), which b's SA
  // was not negotiated for.
  Policy extra = *pair.a().spd().get(pair.policy_a());
  extra.selector.remote = AddressRange::prefix(ip("10.0.2.0"), 24);
  ASSERT_TRUE(pair.a().add_policy(extra));
  PacketSpec spec;
  spec.dst = ip("10.0.2.5");
  Bytes inner = make_packet(spec);
  EXPECT_EQ(deliver(pair, protect(pair, inner)).reason, DiscardReason::PolicyMismatch);
  EXPECT_EQ(deliver(pair, protect(pair, pair.spec_packet(10))).verdict, Verdict::Deliver);
}

TEST(SelectorCheck, InboundSpdDecidesWithoutSaSelectors) {
  Pair pair(PairSetup{});
  Policy extra = *pair.a().spd().get(pair.policy_a());
  extra.selector.remote = AddressRange::prefix(ip("10.0.2.0"), 24);
  ASSERT_TRUE(pair.a().add_policy(extra));
  PacketSpec spec;
  spec.dst = ip("10.0.2.5");
  // b's inbound SPD says BYPASS for this traffic: protected packets for it are refused.
  EXPECT_EQ(deliver(pair, protect(pair, make_packet(spec))).reason, DiscardReason::ProtectedButPolicyBypass);
  // A PROTECT policy with another reqid does not accept this SA's traffic either.
  Policy other;
  other.direction = Direction::Inbound;
  other.selector = net_selector(IpFamily::V4, false);
  other.selector.local = AddressRange::prefix(ip("10.0.2.0"), 24);
  other.action = Action::Protect;
  other.mode = Mode::Tunnel;
  other.reqid = 99;
  other.priority = 1;
  ASSERT_TRUE(pair.b().add_policy(other));
  EXPECT_EQ(deliver(pair, protect(pair, make_packet(spec))).reason, DiscardReason::PolicyMismatch);
}

TEST(Cleartext, InboundPolicyDecides) {
  Pair pair(PairSetup{});
  Bytes plain = pair.spec_packet(10);  // a -> b, which b requires protected
  EXPECT_EQ(deliver(pair, plain).reason, DiscardReason::CleartextRequiresProtection);
  PacketSpec other;
  other.src = ip("172.16.0.1");
  other.dst = ip("10.0.1.1");
  EXPECT_EQ(deliver(pair, make_packet(other)).verdict, Verdict::Bypass);
  Policy drop;
  drop.direction = Direction::Inbound;
  drop.selector = Selector::any(IpFamily::V4);
  drop.selector.protocol = wire::ipproto::kTcp;
  drop.action = Action::Discard;
  drop.priority = 1;
  pair.b().add_policy(drop);
  other.protocol = wire::ipproto::kTcp;
  EXPECT_EQ(deliver(pair, make_packet(other)).reason, DiscardReason::PolicyDiscard);
  // No policy at all: default discard.
  Engine bare;
  PacketBuffer pkt = pair.packet(plain);
  EXPECT_EQ(bare.inbound(pkt, 0).reason, DiscardReason::NoPolicy);
  pkt = pair.packet(plain);
  EXPECT_EQ(bare.outbound(pkt, 0).reason, DiscardReason::NoPolicy);
}

TEST(Cleartext, IkeAndKeepalivesOnTheNatTPort) {
  Pair pair(PairSetup{});
  PacketSpec ike;
  ike.src = gw_a(IpFamily::V4);
  ike.dst = gw_b(IpFamily::V4);
  ike.sport = 4500;
  ike.dport = 4500;
  ike.payload = 20;
  Bytes p = make_packet(ike);
  std::memset(p.data() + 28, 0, 4);  // non-ESP marker
  EXPECT_EQ(deliver(pair, p).verdict, Verdict::Bypass);
  ike.sport = ike.dport = 500;
  EXPECT_EQ(deliver(pair, make_packet(ike)).verdict, Verdict::Bypass);
  ike.sport = ike.dport = 4500;
  ike.payload = 1;
  Bytes ka = make_packet(ike);
  ka[28] = 0xff;
  EXPECT_EQ(deliver(pair, ka).reason, DiscardReason::NatKeepalive);
}

TEST(Malformed, TruncatedAndUnknown) {
  Pair pair(PairSetup{});
  Bytes good = protect(pair, pair.spec_packet(100));
  Bytes unknown = good;
  store_be32(unknown.data() + 20, 0x5555);
  EXPECT_EQ(deliver(pair, unknown).reason, DiscardReason::NoSa);
  for (size_t cut : {size_t{21}, size_t{27}, size_t{28}, size_t{40}, good.size() - 1}) {
    Bytes t(good.begin(), good.begin() + static_cast<long>(cut));
    store_be16(t.data() + 2, static_cast<uint16_t>(cut));
    wire::ipv4_set_checksum(MutBytes(t).first(20));
    InboundResult r = deliver(pair, t);
    EXPECT_EQ(r.verdict, Verdict::Discard) << cut;
    EXPECT_TRUE(r.reason == DiscardReason::Malformed || r.reason == DiscardReason::IcvMismatch) << cut;
  }
  Bytes junk = {0x45, 0, 0, 10};
  EXPECT_EQ(deliver(pair, junk).reason, DiscardReason::Malformed);
  // ESP fragments are the caller's to reassemble.
  Bytes frag = good;
  frag[6] = 0x20;  // MF
  wire::ipv4_set_checksum(MutBytes(frag).first(20));
  EXPECT_EQ(deliver(pair, frag).reason, DiscardReason::Malformed);
}

TEST(Padding, CheckedWhenThePolicySaysSo) {
  PairSetup s;
  Pair pair(s);
  Bytes inner = pair.spec_packet(9);  // 37 octets: minimal padding is 1 for 4-octet alignment
  EXPECT_EQ(deliver(pair, craft(pair, inner, 1, {1, 2, 3, 4, 5}, 4)).verdict, Verdict::Deliver);
  EXPECT_EQ(deliver(pair, craft(pair, inner, 2, {1, 2, 4, 4, 5}, 4)).reason, DiscardReason::BadPadding);
  PairSetup lax;
  lax.options.pad_check = false;
  Pair p2(lax);
  EXPECT_EQ(deliver(p2, craft(p2, inner, 1, {9, 9, 9, 9, 9}, 4)).verdict, Verdict::Deliver);
}

TEST(Dummy, GeneratedAndSilentlyDiscarded) {
  Pair pair(PairSetup{});
  Bytes storage(2048);
  PacketBuffer pkt(storage, 256, 0);
  OutboundResult r = pair.a().make_dummy(pair.policy_a(), pkt, 77, 0);
  ASSERT_EQ(r.verdict, Verdict::Protected) << name(r.reason);
  EXPECT_EQ(deliver(pair, to_bytes(pkt)).reason, DiscardReason::DummyPacket);
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::DummyPacket), 1u);
  // A hand-made one in the published form (next header 59) as well.
  EXPECT_EQ(deliver(pair, craft(pair, Bytes(10, 0xab), 2, {1, 2, 3, 4}, 59)).reason,
            DiscardReason::DummyPacket);
}

TEST(Tfc, PaddedToTheConfiguredSizeAndStripped) {
  PairSetup s;
  s.options.tfc_pad_to = 1000;
  Pair pair(s);
  Bytes inner = pair.spec_packet(30);
  Bytes outer = protect(pair, inner);
  EXPECT_GE(outer.size(), 1000u + 20 + 8 + 8 + 2 + 16);
  Bytes got;
  EXPECT_EQ(deliver(pair, outer, &got).verdict, Verdict::Deliver);
  EXPECT_EQ(got, inner);
}

// Transport mode has no inner IP header, so TFC padding is only possible where the upper
// layer states its own length (RFC 4303 2.7): UDP is padded and the receiver cuts at the UDP
// length; TCP is sent unpadded.
TEST(Tfc, TransportModePadsUdpOnly) {
  for (IpFamily fam : {IpFamily::V4, IpFamily::V6}) {
    PairSetup s;
    s.mode = Mode::Transport;
    s.inner = s.outer = fam;
    s.options.tfc_pad_to = 600;
    Pair pair(s);
    Bytes udp = pair.spec_packet(30, wire::ipproto::kUdp);
    Bytes outer = protect(pair, udp);
    EXPECT_GE(outer.size(), 600u + 8 + 8 + 2 + 16) << "family " << static_cast<int>(fam);
    Bytes got;
    EXPECT_EQ(deliver(pair, outer, &got).verdict, Verdict::Deliver);
    EXPECT_EQ(got, udp);
    Bytes tcp = pair.spec_packet(30, wire::ipproto::kTcp);
    outer = protect(pair, tcp);
    EXPECT_LT(outer.size(), tcp.size() + 8 + 8 + 4 + 2 + 16 + 1);  // ESP overhead only
    EXPECT_EQ(deliver(pair, outer, &got).verdict, Verdict::Deliver);
    EXPECT_EQ(got, tcp);
  }
}

TEST(Ecn, Rfc6040EncapsulationAndDecapsulation) {
  Pair pair(PairSetup{});
  PacketSpec spec;
  spec.tos = 0x2a;  // DSCP 10, ECT(0)
  Bytes inner = make_packet(spec);
  Bytes outer = protect(pair, inner);
  EXPECT_EQ(outer[1], 0x2a);  // DSCP and ECN copied outwards (normal mode)
  // Congestion experienced on the way: the inner packet is marked CE.
  outer[1] = 0x2b;
  wire::ipv4_set_checksum(MutBytes(outer).first(20));
  Bytes got;
  ASSERT_EQ(deliver(pair, outer, &got).verdict, Verdict::Deliver);
  EXPECT_EQ(got[1], 0x2b);
  EXPECT_TRUE(wire::ipv4_checksum_ok(BytesView(got).first(20)));
  // CE on a Not-ECT inner packet must be dropped.
  spec.tos = 0x28;
  outer = protect(pair, make_packet(spec));
  outer[1] = 0x2b;
  wire::ipv4_set_checksum(MutBytes(outer).first(20));
  EXPECT_EQ(deliver(pair, outer).reason, DiscardReason::EcnConflict);

  PairSetup compat;
  compat.options.ecn = EcnMode::Compatibility;
  Pair p2(compat);
  spec.tos = 0x2a;
  EXPECT_EQ(protect(p2, make_packet(spec))[1], 0x28);  // outer Not-ECT
}

TEST(Df, CopySetClear) {
  for (DfMode m : {DfMode::Copy, DfMode::Set, DfMode::Clear}) {
    PairSetup s;
    s.options.df = m;
    Pair pair(s);
    for (bool inner_df : {false, true}) {
      PacketSpec spec;
      spec.df = inner_df;
      Bytes outer = protect(pair, make_packet(spec));
      bool want = m == DfMode::Set || (m == DfMode::Copy && inner_df);
      EXPECT_EQ((outer[6] & 0x40) != 0, want);
      EXPECT_EQ(outer[8], 64);  // outer TTL
    }
  }
}

TEST(Acquire, NeedsSaQueuesAndReleasesAfterInstall) {
  PairSetup s;
  Pair pair(s);
  // A fresh engine with only the policy: first packet raises ACQUIRE, the second does not.
  auto rng = crypto::make_deterministic_random(5);
  EngineConfig cfg;
  cfg.random = rng.get();
  cfg.acquire_queue_slots = 1;
  Engine e(cfg);
  Policy pol = *pair.a().spd().get(pair.policy_a());
  ASSERT_TRUE(e.add_policy(pol));
  Bytes inner = pair.spec_packet(40);
  PacketBuffer p1 = pair.packet(inner);
  OutboundResult r = e.outbound(p1, 100);
  EXPECT_EQ(r.verdict, Verdict::NeedsSa);
  EXPECT_TRUE(r.queued);
  auto ev = e.poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::Acquire);
  EXPECT_EQ(ev->reqid, 1u);
  EXPECT_EQ(ev->flow.dst_address(), host_b(IpFamily::V4));
  PacketBuffer p2 = pair.packet(inner);
  r = e.outbound(p2, 101);
  EXPECT_EQ(r.verdict, Verdict::NeedsSa);
  EXPECT_FALSE(r.queued);  // the one slot is taken
  EXPECT_FALSE(e.poll_event());
  EXPECT_EQ(e.stats().discarded(DiscardReason::AcquireQueueFull), 1u);

  Bytes storage(4096);
  PacketBuffer released;
  EXPECT_FALSE(e.take_released(storage, 256, released));
  ASSERT_TRUE(e.install_sa(pair.params(Direction::Outbound), 102));
  ASSERT_TRUE(e.take_released(storage, 256, released));
  EXPECT_EQ(to_bytes(released), inner);
  r = e.outbound(released, 102);
  ASSERT_EQ(r.verdict, Verdict::Protected);
  EXPECT_EQ(deliver(pair, to_bytes(released)).verdict, Verdict::Deliver);
}

TEST(Limits, MtuAndBufferSpace) {
  PairSetup s;
  s.options.mtu = 200;
  Pair pair(s);
  PacketBuffer pkt = pair.packet(pair.spec_packet(300));
  OutboundResult r = pair.a().outbound(pkt, 0);
  EXPECT_EQ(r.reason, DiscardReason::MtuExceeded);
  EXPECT_GT(r.payload_mtu, 100u);
  EXPECT_LT(r.payload_mtu, 200u);
  Bytes small = pair.spec_packet(50);
  PacketBuffer fits = pair.packet(small);
  EXPECT_EQ(pair.a().outbound(fits, 0).verdict, Verdict::Protected);
  Bytes storage(small.size());
  PacketBuffer tight = PacketBuffer::copy_into(storage, 0, small);
  EXPECT_EQ(pair.a().outbound(tight, 0).reason, DiscardReason::NoBufferSpace);
}

TEST(Encapsulation, UdpSaRefusesPlainEsp) {
  PairSetup s;
  s.udp_encap = true;
  Pair pair(s);
  Bytes outer = protect(pair, pair.spec_packet(20));
  // Strip the UDP header: plain ESP for an SA that was negotiated UDP-encapsulated.
  Bytes plain(outer.begin(), outer.begin() + 20);
  plain.insert(plain.end(), outer.begin() + 28, outer.end());
  plain[9] = wire::ipproto::kEsp;
  store_be16(plain.data() + 2, static_cast<uint16_t>(plain.size()));
  wire::ipv4_set_checksum(MutBytes(plain).first(20));
  EXPECT_EQ(deliver(pair, plain).reason, DiscardReason::WrongEncapsulation);
  EXPECT_EQ(deliver(pair, outer).verdict, Verdict::Deliver);
}

TEST(Sad, UnknownAlgorithmAndRekeyAndRemoval) {
  Pair pair(PairSetup{});
  SaParams bad = pair.params(Direction::Inbound, 0x7777);
  bad.encr = static_cast<crypto::EncrId>(99);
  auto r = pair.b().install_sa(std::move(bad), 0);
  EXPECT_FALSE(r);
  EXPECT_EQ(pair.b().stats().discarded(DiscardReason::UnknownAlgorithm), 1u);
  EXPECT_FALSE(pair.b().install_sa(pair.params(Direction::Inbound), 0));       // SPI taken
  EXPECT_FALSE(pair.b().install_sa(pair.params(Direction::Inbound, 200), 0));  // reserved SPI

  // Make-before-break: a new outbound SA of the same reqid takes over at once.
  ASSERT_TRUE(pair.b().install_sa(pair.params(Direction::Inbound, 0x2222), 0));
  auto fresh = pair.a().install_sa(pair.params(Direction::Outbound, 0x2222), 0);
  ASSERT_TRUE(fresh);
  PacketBuffer pkt = pair.packet(pair.spec_packet(10));
  EXPECT_EQ(pair.a().outbound(pkt, 0).spi, 0x2222u);
  EXPECT_EQ(pair.b().inbound(pkt, 0).verdict, Verdict::Deliver);
  ASSERT_TRUE(pair.a().remove_sa(*fresh));
  pkt = pair.packet(pair.spec_packet(10));
  EXPECT_EQ(pair.a().outbound(pkt, 0).spi, kSpi);  // falls back to the older SA
  ASSERT_TRUE(pair.b().sad().remove_by_spi(Direction::Inbound, kSpi));
  EXPECT_EQ(pair.b().inbound(pkt, 0).reason, DiscardReason::NoSa);
}

// The outbound flow cache (flow -> policy, SA) must never answer from before a change: each
// policy add/remove/clear and SA install/remove is seen by the very next packet of a flow
// that the cache already holds.
OutboundResult send(Pair& pair, uint16_t dport = 80) {
  PacketSpec spec;
  spec.dport = dport;
  PacketBuffer pkt = pair.packet(make_packet(spec));
  return pair.a().outbound(pkt, 0);
}

TEST(FlowCache, PolicyChangesReachTheNextPacket) {
  Pair pair(PairSetup{});
  for (int i = 0; i < 2; ++i) EXPECT_EQ(send(pair).policy, pair.policy_a());
  Policy block;
  block.direction = Direction::Outbound;
  block.selector = net_selector(IpFamily::V4, true);
  block.action = Action::Discard;
  block.priority = 1;
  auto id = pair.a().add_policy(block);
  ASSERT_TRUE(id);
  OutboundResult r = send(pair);
  EXPECT_EQ(r.reason, DiscardReason::PolicyDiscard);
  EXPECT_EQ(r.policy, *id);
  ASSERT_TRUE(pair.a().remove_policy(*id));
  r = send(pair);
  EXPECT_EQ(r.verdict, Verdict::Protected);
  EXPECT_EQ(r.policy, pair.policy_a());
  Policy pass = block;
  pass.action = Action::Bypass;
  auto bypass = pair.a().add_policy(pass);
  ASSERT_TRUE(bypass);
  EXPECT_EQ(send(pair).verdict, Verdict::Bypass);
  pair.a().spd().clear();
  EXPECT_EQ(send(pair).reason, DiscardReason::NoPolicy);
}

TEST(FlowCache, ManyFlowsKeepTheirOwnPolicy) {
  // More flows than cache slots, differing only in the destination port: flows of both
  // policies share slots, and none may take the other's answer.
  Pair pair(PairSetup{});
  Policy block;
  block.direction = Direction::Outbound;
  block.selector = net_selector(IpFamily::V4, true);
  block.selector.protocol = wire::ipproto::kUdp;
  block.selector.remote_port = {1101, 1200};
  block.action = Action::Discard;
  block.priority = 1;
  ASSERT_TRUE(pair.a().add_policy(block));
  for (int round = 0; round < 3; ++round) {
    for (uint16_t port = 1001; port <= 1200; ++port) {
      OutboundResult r = send(pair, port);
      if (port <= 1100) {
        EXPECT_EQ(r.verdict, Verdict::Protected) << port;
      } else {
        EXPECT_EQ(r.reason, DiscardReason::PolicyDiscard) << port;
      }
    }
  }
}

TEST(FlowCache, SaChangesReachTheNextPacket) {
  Pair pair(PairSetup{});
  for (int i = 0; i < 2; ++i) EXPECT_EQ(send(pair).spi, kSpi);
  auto fresh = pair.a().install_sa(pair.params(Direction::Outbound, 0x2222), 0);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(send(pair).spi, 0x2222u);  // rekeyed: the new SA at once
  ASSERT_TRUE(pair.a().remove_sa(*fresh));
  EXPECT_EQ(send(pair).spi, kSpi);
  ASSERT_TRUE(pair.a().remove_sa(pair.sa_a()));
  EXPECT_EQ(send(pair).verdict, Verdict::NeedsSa);
  EXPECT_EQ(send(pair).verdict, Verdict::NeedsSa);  // not cached while there is no SA
  ASSERT_TRUE(pair.a().install_sa(pair.params(Direction::Outbound, 0x3333), 0));
  EXPECT_EQ(send(pair).spi, 0x3333u);
  pair.a().sad().clear();
  EXPECT_EQ(send(pair).verdict, Verdict::NeedsSa);
}

TEST(FlowCache, TransportSaChosenPerDestination) {
  // No reqid, transport mode: the SA depends on the packet's destination, so two flows of the
  // same policy keep two SAs.
  auto rng = crypto::make_deterministic_random(3);
  EngineConfig config;
  config.random = rng.get();
  Engine e(config);
  Policy p;
  p.direction = Direction::Outbound;
  p.selector = Selector::any(IpFamily::V4);
  p.action = Action::Protect;
  p.mode = Mode::Transport;
  ASSERT_TRUE(e.add_policy(p));
  for (uint32_t i = 0; i < 2; ++i) {
    SaParams s;
    s.direction = Direction::Outbound;
    s.spi = 0x1000 + i;
    s.mode = Mode::Transport;
    s.local = ip("10.0.0.1");
    s.remote = i == 0 ? ip("10.0.1.1") : ip("10.0.1.2");
    s.encr = crypto::EncrId::AesGcm16;
    s.encr_key_bits = 128;
    s.encr_keymat = SecureBytes(rng->bytes(20));
    ASSERT_TRUE(e.install_sa(std::move(s), 0));
  }
  Bytes storage(4096);
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 2; ++i) {
      PacketSpec spec;
      spec.dst = i == 0 ? ip("10.0.1.1") : ip("10.0.1.2");
      PacketBuffer pkt = PacketBuffer::copy_into(storage, 256, make_packet(spec));
      EXPECT_EQ(e.outbound(pkt, 0).spi, 0x1000 + i);
    }
  }
}

}  // namespace
}  // namespace portunus::ipsec
