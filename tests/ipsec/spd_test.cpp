#include "portunus/ipsec/spd.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>

#include "packets.h"
#include "portunus/ipsec/spd_v4.h"

namespace portunus::ipsec {
namespace {

using testing::ip;

wire::FlowKey flow(const char* src, const char* dst, uint8_t proto = 0, uint16_t sp = 0, uint16_t dp = 0) {
  wire::FlowKey f;
  IpAddress s = ip(src);
  IpAddress d = ip(dst);
  f.family = s.family();
  std::memcpy(f.src, s.data(), s.size());
  std::memcpy(f.dst, d.data(), d.size());
  f.protocol = proto;
  f.src_port = sp;
  f.dst_port = dp;
  return f;
}

Policy policy(Direction dir, Selector sel, Action action, uint32_t priority) {
  Policy p;
  p.direction = dir;
  p.selector = sel;
  p.action = action;
  p.priority = priority;
  return p;
}

Selector nets(const char* local, unsigned llen, const char* remote, unsigned rlen) {
  Selector s;
  s.local = AddressRange::prefix(ip(local), llen);
  s.remote = AddressRange::prefix(ip(remote), rlen);
  return s;
}

TEST(Spd, PriorityAndInsertionOrder) {
  Spd spd;
  auto a = spd.add(policy(Direction::Outbound, nets("10.0.0.0", 8, "0.0.0.0", 0), Action::Bypass, 100));
  auto b = spd.add(policy(Direction::Outbound, nets("10.0.0.0", 24, "192.168.0.0", 16), Action::Protect, 50));
  auto c = spd.add(policy(Direction::Outbound, nets("10.0.0.0", 24, "192.168.0.0", 16), Action::Discard, 50));
  ASSERT_TRUE(a && b && c);
  auto f = flow("10.0.0.5", "192.168.3.4", wire::ipproto::kTcp, 1000, 22);
  ASSERT_NE(spd.lookup(Direction::Outbound, f), nullptr);
  EXPECT_EQ(spd.lookup(Direction::Outbound, f)->id, *b);  // same priority: first added wins
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("10.9.0.5", "192.168.3.4"))->id, *a);
  EXPECT_EQ(spd.lookup(Direction::Inbound, f), nullptr);  // inbound evaluated separately
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("11.0.0.1", "1.1.1.1")), nullptr);
  spd.remove(*b);
  EXPECT_EQ(spd.lookup(Direction::Outbound, f)->id, *c);
  // A lower value added later takes precedence.
  auto d = spd.add(policy(Direction::Outbound, Selector::any(IpFamily::V4), Action::Bypass, 1));
  EXPECT_EQ(spd.lookup(Direction::Outbound, f)->id, *d);
}

TEST(Spd, InboundSwapsLocalAndRemote) {
  Spd spd;
  Selector s = nets("10.0.0.0", 24, "192.168.0.0", 16);
  s.protocol = wire::ipproto::kTcp;
  s.local_port = {22, 22};
  auto in = spd.add(policy(Direction::Inbound, s, Action::Protect, 10));
  ASSERT_TRUE(in);
  // Inbound: source is remote, destination local.
  EXPECT_NE(spd.lookup(Direction::Inbound, flow("192.168.1.1", "10.0.0.7", wire::ipproto::kTcp, 4000, 22)),
            nullptr);
  EXPECT_EQ(spd.lookup(Direction::Inbound, flow("192.168.1.1", "10.0.0.7", wire::ipproto::kTcp, 22, 4000)),
            nullptr);
  EXPECT_EQ(spd.lookup(Direction::Inbound, flow("10.0.0.7", "192.168.1.1", wire::ipproto::kTcp, 4000, 22)),
            nullptr);
}

TEST(Spd, RangesIcmpMobilityAndOpaquePorts) {
  Spd spd;
  Selector r;
  r.local = AddressRange::range(ip("10.0.0.10"), ip("10.0.0.20"));  // not a prefix
  r.remote = AddressRange::any(IpFamily::V4);
  r.protocol = wire::ipproto::kUdp;
  r.remote_port = {5000, 5010};
  auto pr = spd.add(policy(Direction::Outbound, r, Action::Protect, 10));
  Selector icmp = Selector::any(IpFamily::V4);
  icmp.protocol = wire::ipproto::kIcmp;
  icmp.icmp_type = {8, 8};
  icmp.icmp_code = {0, 0};
  auto pi = spd.add(policy(Direction::Outbound, icmp, Action::Bypass, 10));
  Selector mh = Selector::any(IpFamily::V6);
  mh.protocol = wire::ipproto::kMobility;
  mh.mh_type = {5, 6};  // Binding Update, Binding Acknowledgement
  auto pm = spd.add(policy(Direction::Outbound, mh, Action::Protect, 10));
  ASSERT_TRUE(pr && pi && pm);

  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("10.0.0.15", "1.2.3.4", 17, 999, 5005))->id, *pr);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("10.0.0.21", "1.2.3.4", 17, 999, 5005)), nullptr);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("10.0.0.15", "1.2.3.4", 17, 999, 5011)), nullptr);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("10.0.0.15", "1.2.3.4", 6, 999, 5005)), nullptr);
  auto frag = flow("10.0.0.15", "1.2.3.4", 17);
  frag.ports_opaque = true;  // a non-initial fragment cannot match a port selector
  EXPECT_EQ(spd.lookup(Direction::Outbound, frag), nullptr);

  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("1.1.1.1", "2.2.2.2", 1, 8, 0))->id, *pi);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("1.1.1.1", "2.2.2.2", 1, 0, 0)), nullptr);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("2001:db8::1", "2001:db8::2", 135, 5))->id, *pm);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("2001:db8::1", "2001:db8::2", 135, 7)), nullptr);
  EXPECT_EQ(spd.lookup(Direction::Outbound, flow("2001:db8::1", "2001:db8::2", 1, 8, 0)), nullptr);
}

TEST(Spd, RejectsInvalidPolicies) {
  Spd spd;
  Selector s = Selector::any(IpFamily::V4);
  s.local_port = {1, 2};  // ports without TCP/UDP/SCTP
  EXPECT_FALSE(spd.add(policy(Direction::Outbound, s, Action::Bypass, 1)));
  s = Selector::any(IpFamily::V4);
  s.remote = AddressRange::any(IpFamily::V6);
  EXPECT_FALSE(spd.add(policy(Direction::Outbound, s, Action::Bypass, 1)));
  s = Selector::any(IpFamily::V4);
  s.local = AddressRange::range(ip("10.0.0.9"), ip("10.0.0.1"));
  EXPECT_FALSE(spd.add(policy(Direction::Outbound, s, Action::Bypass, 1)));
  s = Selector::any(IpFamily::V4);
  s.protocol = wire::ipproto::kTcp;
  s.icmp_type = {3, 3};
  EXPECT_FALSE(spd.add(policy(Direction::Outbound, s, Action::Bypass, 1)));
  EXPECT_EQ(spd.size(), 0u);
}

TEST(Spd, FromTrafficSelectors) {
  wire::TrafficSelector l{wire::ipproto::kIcmp, 0x0800, 0x08ff, ip("10.0.0.0"), ip("10.0.0.255")};
  wire::TrafficSelector r{wire::ipproto::kIcmp, 0x0800, 0x08ff, ip("0.0.0.0"), ip("255.255.255.255")};
  Selector s = Selector::from_ts(l, r);
  EXPECT_EQ(s.icmp_type.first, 8);
  EXPECT_EQ(s.icmp_type.last, 8);
  EXPECT_EQ(s.icmp_code.last, 255);
  EXPECT_TRUE(s.matches(flow("10.0.0.1", "8.8.8.8", 1, 8, 3), true));
  EXPECT_FALSE(s.matches(flow("10.0.0.1", "8.8.8.8", 1, 0, 0), true));
}

// The classifier must agree with the reference matcher on random tables and flows,
// including after removals (cache invalidation) and with IPv6.
TEST(Spd, AgreesWithReferenceOnRandomTables) {
  std::mt19937_64 rng(42);
  for (IpFamily fam : {IpFamily::V4, IpFamily::V6}) {
    Spd spd;
    std::vector<Policy> reference;
    auto rand_addr = [&](void) {
      uint8_t b[16];
      for (auto& x : b) x = static_cast<uint8_t>(rng() % 4);  // few distinct values: many hits
      return fam == IpFamily::V4 ? IpAddress::v4(BytesView(b, 4)) : IpAddress::v6(BytesView(b, 16));
    };
    auto rand_range = [&]() {
      IpAddress a = rand_addr();
      unsigned width = fam == IpFamily::V4 ? 32 : 128;
      switch (rng() % 4) {
        case 0:
          return AddressRange::any(fam);
        case 1:
          return AddressRange::single(a);
        case 2:
          return AddressRange::prefix(a, static_cast<unsigned>(rng() % (width + 1)));
        default: {
          IpAddress b = rand_addr();
          return a < b ? AddressRange::range(a, b) : AddressRange::range(b, a);
        }
      }
    };
    for (int i = 0; i < 400; ++i) {
      Selector s;
      s.local = rand_range();
      s.remote = rand_range();
      uint8_t protos[] = {0, 6, 17, 1, 58, 135, 47};
      s.protocol = protos[rng() % 7];
      if (s.protocol == 6 || s.protocol == 17) {
        uint16_t a = static_cast<uint16_t>(rng() % 8), b = static_cast<uint16_t>(rng() % 8);
        if (rng() % 2) s.local_port = {std::min(a, b), std::max(a, b)};
        if (rng() % 2) s.remote_port = {a, a};
      } else if (s.protocol == 1 || s.protocol == 58) {
        if (rng() % 2) s.icmp_type = {static_cast<uint16_t>(rng() % 4), 3};
        if (rng() % 2) s.icmp_code = {0, static_cast<uint16_t>(rng() % 4)};
      } else if (s.protocol == 135 && rng() % 2) {
        s.mh_type = {static_cast<uint16_t>(rng() % 3), 3};
      }
      Policy p = policy(rng() % 2 ? Direction::Inbound : Direction::Outbound, s, Action::Bypass,
                        static_cast<uint32_t>(rng() % 20));
      auto id = spd.add(p);
      ASSERT_TRUE(id);
      p.id = *id;
      reference.push_back(p);
    }
    auto check = [&](int rounds) {
      for (int i = 0; i < rounds; ++i) {
        wire::FlowKey f;
        f.family = fam;
        IpAddress s = rand_addr(), d = rand_addr();
        std::memcpy(f.src, s.data(), s.size());
        std::memcpy(f.dst, d.data(), d.size());
        uint8_t protos[] = {6, 17, 1, 58, 135, 47, 50};
        f.protocol = protos[rng() % 7];
        f.src_port = static_cast<uint16_t>(rng() % 8);
        f.dst_port = static_cast<uint16_t>(rng() % 8);
        f.ports_opaque = rng() % 10 == 0;
        if (f.ports_opaque) f.src_port = f.dst_port = 0;
        for (Direction dir : {Direction::Inbound, Direction::Outbound}) {
          const Policy* want = nullptr;
          for (const Policy& p : reference) {
            if (p.direction != dir || !p.selector.matches(f, dir == Direction::Outbound)) continue;
            if (!want || p.priority < want->priority) want = &p;
          }
          const Policy* got = spd.lookup(dir, f);
          const Policy* lin = spd.lookup_linear(dir, f);
          ASSERT_EQ(want ? want->id : 0, got ? got->id : 0);
          ASSERT_EQ(want ? want->id : 0, lin ? lin->id : 0);
          // The cached answer must be the same on the second call.
          const Policy* again = spd.lookup(dir, f);
          ASSERT_EQ(got, again);
        }
      }
    };
    check(3000);
    for (int i = 0; i < 150; ++i) {
      size_t k = rng() % reference.size();
      ASSERT_TRUE(spd.remove(reference[k].id));
      reference.erase(reference.begin() + static_cast<long>(k));
    }
    check(3000);
  }
}

// A table of random policies for the differential tests below, kept both in an Spd and in
// insertion order, with the reference answer: a plain linear scan over Selector::matches,
// the first lowest priority winning.
struct RandomTable {
  std::mt19937_64& rng;
  IpFamily family;
  std::function<IpAddress()> rand_addr;
  unsigned range_kinds;         // rng() % range_kinds: 0 any, 1 single, 2-3 prefix, else a range
  std::vector<uint8_t> protos;  // next-layer protocols of the selectors
  uint16_t port_max;            // port ranges within 0..port_max
  unsigned inbound_one_in;      // a policy is inbound when rng() % inbound_one_in == 0
  uint32_t priorities;          // few, so that ties are frequent
  Spd spd{};
  std::vector<Policy> ref{};  // insertion order

  AddressRange rand_range() {
    const unsigned width = family == IpFamily::V4 ? 32 : 128;
    IpAddress a = rand_addr();
    switch (rng() % range_kinds) {
      case 0:
        return AddressRange::any(family);
      case 1:
        return AddressRange::single(a);
      case 2:
      case 3:
        return AddressRange::prefix(a, static_cast<unsigned>(rng() % (width + 1)));
      default: {
        IpAddress b = rand_addr();
        return a < b ? AddressRange::range(a, b) : AddressRange::range(b, a);
      }
    }
  }
  Range16 rand_small(uint16_t max) {
    auto a = static_cast<uint16_t>(rng() % (max + 1u)), b = static_cast<uint16_t>(rng() % (max + 1u));
    return Range16{std::min(a, b), std::max(a, b)};
  }
  void add_random() {
    Selector s;
    s.local = rand_range();
    s.remote = rand_range();
    s.protocol = protos[rng() % protos.size()];
    if (s.protocol == 6 || s.protocol == 17 || s.protocol == 132) {
      if (rng() % 2) s.local_port = rand_small(port_max);
      if (rng() % 2) s.remote_port = rand_small(port_max);
    } else if (s.protocol == 1 || s.protocol == 58) {
      if (rng() % 2) s.icmp_type = rand_small(6);
      if (rng() % 2) s.icmp_code = rand_small(3);
    } else if (s.protocol == 135 && rng() % 2) {
      s.mh_type = rand_small(6);
    }
    Policy p = policy(rng() % inbound_one_in == 0 ? Direction::Inbound : Direction::Outbound, s,
                      Action::Bypass, static_cast<uint32_t>(rng() % priorities));
    auto id = spd.add(p);
    ASSERT_TRUE(id);
    p.id = *id;
    ref.push_back(p);
  }
  void remove_random() {
    size_t k = rng() % ref.size();
    ASSERT_TRUE(spd.remove(ref[k].id));
    ref.erase(ref.begin() + static_cast<long>(k));
  }
  void clear() {
    spd.clear();
    ref.clear();
  }
  PolicyId want(Direction dir, const wire::FlowKey& f) const {
    PolicyId best = kNoPolicy;
    uint32_t best_prio = 0;
    for (const Policy& p : ref) {
      if (p.direction != dir || !p.selector.matches(f, dir == Direction::Outbound)) continue;
      if (best == kNoPolicy || p.priority < best_prio) best = p.id, best_prio = p.priority;
    }
    return best;
  }
};

// Differential test against the linear scan on larger tables whose addresses are structured
// like real ones (a few networks, all prefix lengths, ranges that are not prefixes), so that
// many tuple groups exist and their hash tables grow. Priorities come from a small set so
// ties are frequent and must resolve in insertion order.
TEST(Spd, DifferentialAgainstLinearScan) {
  std::mt19937_64 rng(7);
  for (IpFamily fam : {IpFamily::V4, IpFamily::V6}) {
    const size_t octets = fam == IpFamily::V4 ? 4 : 16;
    auto rand_addr = [&]() {
      uint8_t b[16] = {};
      // Two "sites" sharing leading octets, random below: prefixes overlap and nest.
      b[0] = static_cast<uint8_t>(rng() % 2 ? 10 : 192);
      b[1] = static_cast<uint8_t>(rng() % 3);
      for (size_t i = 2; i < octets; ++i) b[i] = static_cast<uint8_t>(rng() % (i + 1 == octets ? 256 : 4));
      return fam == IpFamily::V4 ? IpAddress::v4(BytesView(b, 4)) : IpAddress::v6(BytesView(b, 16));
    };
    RandomTable t{rng, fam, rand_addr, 5, {0, 6, 17, 132, 1, 58, 135, 47}, 20, 2, 8};
    auto check = [&](int rounds) {
      for (int i = 0; i < rounds; ++i) {
        wire::FlowKey f;
        f.family = fam;
        IpAddress a = rand_addr(), b = rand_addr();
        std::memcpy(f.src, a.data(), a.size());
        std::memcpy(f.dst, b.data(), b.size());
        const uint8_t protos[] = {6, 17, 132, 1, 58, 135, 47, 50};
        f.protocol = protos[rng() % 8];
        f.src_port = static_cast<uint16_t>(rng() % 22);
        f.dst_port = static_cast<uint16_t>(rng() % 22);
        f.ports_opaque = rng() % 8 == 0;
        if (f.ports_opaque) f.src_port = f.dst_port = 0;
        for (Direction dir : {Direction::Inbound, Direction::Outbound}) {
          const PolicyId want = t.want(dir, f);
          const Policy* fast = t.spd.lookup_uncached(dir, f);
          const Policy* cached = t.spd.lookup(dir, f);
          ASSERT_EQ(want, fast ? fast->id : kNoPolicy) << "round " << i;
          ASSERT_EQ(want, cached ? cached->id : kNoPolicy) << "round " << i;
        }
      }
    };
    for (int i = 0; i < 3000; ++i) t.add_random();
    check(4000);
    for (int i = 0; i < 1000; ++i) t.remove_random();
    check(2000);
    for (int i = 0; i < 500; ++i) t.add_random();  // into tables with removed entries
    check(2000);
    t.clear();
    check(50);
  }
}

// IPv4 classifier under churn, with both filter implementations (AVX2 and scalar): thousands of
// random policies (prefixes of every class, ranges that are not prefixes, nested and
// overlapping selectors, few priorities so that ties are frequent), flows mostly drawn from
// inside a policy, compared with a linear scan over Selector::matches in insertion order after
// adds, after removing most policies (the table shrinks and drops its empty buckets), after
// adding into that table again, and after clear.
TEST(Spd, Ipv4ClassifierUnderChurnBothFilters) {
  for (bool simd : {true, false}) {
    detail::TableV4::set_simd(simd);
    std::mt19937_64 rng(simd ? 11 : 12);
    auto rand_addr = [&]() {
      // A few /16s, a few /24s inside them: prefixes and ranges overlap and nest.
      uint32_t a = (rng() % 2 ? 0x0a000000u : 0xc0a80000u) | static_cast<uint32_t>(rng() % 3) << 16 |
                   static_cast<uint32_t>(rng() % 6) << 8 | static_cast<uint32_t>(rng() % 256);
      return IpAddress::v4(a);
    };
    RandomTable t{rng, IpFamily::V4, rand_addr, 6, {0, 0, 6, 17, 132, 1, 135, 47}, 12, 4, 6};
    auto check = [&](int rounds) {
      for (int i = 0; i < rounds; ++i) {
        wire::FlowKey f;
        f.family = IpFamily::V4;
        if (!t.ref.empty() && rng() % 5 != 0) {  // inside some policy's ranges
          const Selector& s = t.ref[rng() % t.ref.size()].selector;
          auto pick = [&](const AddressRange& r) {
            uint32_t lo = load_be32(r.first.data()), hi = load_be32(r.last.data());
            return lo + static_cast<uint32_t>(rng() % (uint64_t{hi} - lo + 1));
          };
          store_be32(f.src, pick(s.local));
          store_be32(f.dst, pick(s.remote));
          if (rng() % 2) std::swap(f.src, f.dst);
        } else {
          IpAddress a = rand_addr(), b = rand_addr();
          std::memcpy(f.src, a.data(), 4);
          std::memcpy(f.dst, b.data(), 4);
        }
        const uint8_t protos[] = {6, 17, 132, 1, 135, 47, 50};
        f.protocol = protos[rng() % 7];
        f.src_port = static_cast<uint16_t>(rng() % 14);
        f.dst_port = static_cast<uint16_t>(rng() % 14);
        f.ports_opaque = rng() % 8 == 0;
        if (f.ports_opaque) f.src_port = f.dst_port = 0;
        for (Direction dir : {Direction::Inbound, Direction::Outbound}) {
          const PolicyId want = t.want(dir, f);
          const Policy* fast = t.spd.lookup_uncached(dir, f);
          const Policy* lin = t.spd.lookup_linear(dir, f);
          ASSERT_EQ(want, fast ? fast->id : kNoPolicy) << "simd " << simd << " round " << i;
          ASSERT_EQ(want, lin ? lin->id : kNoPolicy) << "simd " << simd << " round " << i;
        }
      }
    };
    for (int i = 0; i < 3000; ++i) t.add_random();
    check(2000);
    while (t.ref.size() > 200) {  // most of them, in random order
      t.remove_random();
      if (t.ref.size() % 700 == 0) check(200);
    }
    check(2000);
    for (int i = 0; i < 1500; ++i) t.add_random();
    check(2000);
    t.clear();
    check(50);
    for (int i = 0; i < 300; ++i) t.add_random();
    check(1000);
  }
  detail::TableV4::set_simd(true);
}

// A bucket of the IPv4 classifier (one masked address pair) whose best rule is not exactly its
// prefixes (a range, a prefix whose length is not a multiple of 8) must have that rule checked
// in full, next to prefix rules of the same bucket, in either rank order and with ties.
TEST(Spd, Ipv4RangesAndPrefixesInOneBucket) {
  auto sel = [](const char* rfirst, const char* rlast) {
    Selector s;
    s.local = AddressRange::prefix(ip("10.0.0.0"), 24);
    s.remote = AddressRange::range(ip(rfirst), ip(rlast));
    return s;
  };
  const auto in_range = flow("10.0.0.7", "192.168.1.15");
  const auto in_prefix = flow("10.0.0.7", "192.168.1.99");
  const auto in_slash20 = flow("10.0.0.7", "192.168.7.1");  // in 192.168.0.0/20 only
  for (int order = 0; order < 4; ++order) {
    Spd spd;
    uint32_t range_prio = order < 2 ? 1 : 5, prefix_prio = order < 2 ? 5 : 1;
    if (order % 2) range_prio = prefix_prio = 3;  // ties: insertion order decides
    auto add = [&](Selector s, Action action, uint32_t prio) {
      auto id = spd.add(policy(Direction::Outbound, s, action, prio));
      EXPECT_TRUE(id);
      return id ? *id : kNoPolicy;
    };
    PolicyId range = kNoPolicy, prefix = kNoPolicy;
    auto add_range = [&] { range = add(sel("192.168.1.10", "192.168.1.20"), Action::Bypass, range_prio); };
    auto add_prefix = [&] {
      prefix = add(sel("192.168.1.0", "192.168.1.255"), Action::Protect, prefix_prio);
    };
    if (order == 3) {
      add_prefix();
      add_range();
    } else {
      add_range();
      add_prefix();
    }
    PolicyId slash20 = add(sel("192.168.0.0", "192.168.15.255"), Action::Discard, 4);
    PolicyId slash16 = add(sel("192.168.0.0", "192.168.255.255"), Action::Discard, 9);
    bool range_first = range_prio < prefix_prio || (range_prio == prefix_prio && order != 3);
    auto id = [&](const wire::FlowKey& f) {
      const Policy* p = spd.lookup_uncached(Direction::Outbound, f);
      const Policy* lin = spd.lookup_linear(Direction::Outbound, f);
      EXPECT_EQ(p, lin) << "order " << order;
      return p ? p->id : kNoPolicy;
    };
    EXPECT_EQ(id(in_range), range_first ? range : prefix) << "order " << order;
    EXPECT_EQ(id(in_prefix), prefix_prio < 4 ? prefix : slash20) << "order " << order;
    EXPECT_EQ(id(in_slash20), slash20) << "order " << order;
    EXPECT_EQ(id(flow("10.0.0.7", "192.168.20.1")), slash16) << "order " << order;
    ASSERT_TRUE(spd.remove(range_first ? range : prefix));
    uint32_t other_prio = range_first ? prefix_prio : range_prio;
    EXPECT_EQ(id(in_range), other_prio < 4 ? (range_first ? prefix : range) : slash20) << "order " << order;
    ASSERT_TRUE(spd.remove(slash20));
    EXPECT_EQ(id(in_slash20), slash16) << "order " << order;
  }
}

// The IPv4 table numbers its rules in 32 bits and renumbers them when the numbers run out:
// ties must still resolve in insertion order across the renumbering (twice), under churn.
TEST(Spd, Ipv4InsertionNumbersWrap) {
  std::mt19937_64 rng(5);
  std::vector<std::unique_ptr<Policy>> owned;
  struct Live {
    detail::RuleV4 rule;
    const Policy* policy;
  };
  std::vector<Live> ref;  // insertion order
  detail::TableV4 table;
  auto add = [&] {
    auto p = std::make_unique<Policy>();
    detail::RuleV4 r;
    static const unsigned lens[] = {0, 8, 16, 20, 24, 32};
    auto range = [&](uint32_t& first, uint32_t& last) {
      uint32_t a = 0x0a000000u | static_cast<uint32_t>(rng() % 4) << 8 | static_cast<uint32_t>(rng() % 8);
      if (rng() % 5 == 0) {  // not a prefix
        first = a;
        last = a + static_cast<uint32_t>(rng() % 6);
        return;
      }
      unsigned len = lens[rng() % 6];
      uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
      first = a & mask;
      last = first | ~mask;
    };
    range(r.lf, r.ll);
    range(r.rf, r.rl);
    if (rng() % 3 == 0) {
      r.protocol = wire::ipproto::kTcp;
      r.kind = detail::UpperKind::Ports;
      r.upper_any = rng() % 2 == 0;
      if (!r.upper_any) r.b_first = r.b_last = static_cast<uint16_t>(rng() % 3);
    }
    r.priority = static_cast<uint32_t>(rng() % 3);
    r.policy = p.get();
    table.add(r);
    ref.push_back({r, p.get()});
    owned.push_back(std::move(p));
  };
  auto remove = [&] {
    size_t k = rng() % ref.size();
    table.remove(ref[k].rule);
    ref.erase(ref.begin() + static_cast<long>(k));
  };
  auto check = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      wire::FlowKey f;
      f.family = IpFamily::V4;
      uint32_t src = 0x0a000000u | static_cast<uint32_t>(rng() % 4) << 8 | static_cast<uint32_t>(rng() % 12);
      uint32_t dst = 0x0a000000u | static_cast<uint32_t>(rng() % 4) << 8 | static_cast<uint32_t>(rng() % 12);
      store_be32(f.src, src);
      store_be32(f.dst, dst);
      f.protocol = rng() % 2 ? wire::ipproto::kTcp : wire::ipproto::kUdp;
      f.dst_port = static_cast<uint16_t>(rng() % 3);
      const Policy* want = nullptr;
      uint32_t best = 0;
      for (const Live& x : ref)
        if (detail::rule_matches_v4(x.rule, src, dst, f, true) && (!want || x.rule.priority < best))
          want = x.policy, best = x.rule.priority;
      ASSERT_EQ(table.lookup(f, true), want) << "round " << i;
    }
  };
  table.set_next_seq(UINT32_MAX - 150);
  for (int i = 0; i < 100; ++i) add();
  check(500);
  for (int i = 0; i < 300; ++i) {  // the numbers run out on the way
    add();
    if (i % 3 == 0) remove();
  }
  check(2000);
  table.set_next_seq(UINT32_MAX - 1);  // and again, right away
  for (int i = 0; i < 50; ++i) add();
  check(2000);
  while (ref.size() > 20) remove();
  check(500);
}

}  // namespace
}  // namespace portunus::ipsec
