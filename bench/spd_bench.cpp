// SPD classification at 10, 1,000 and 100,000 outbound IPv4 policies with mixed prefixes,
// ranges, protocols and ports, random priorities, and a catch-all: the tuple-space
// classifier (flow cache off), the same with the per-flow cache, and a linear scan over the
// same compiled table. 80% of the flows are drawn to match a random policy, 20% are random.
//
// The uncached runs cycle through 65,536 flows, 16 times the flow cache's 4,096 entries, so
// that neither the cache nor (at 100,000 policies) the CPU caches hold the answer: the
// figure is an honest cold lookup. BM_SpdCached looks up a hot set of 1,024 flows through
// the cache; BM_SpdCacheMiss the 65,536 flows through it (miss path: the cache's overhead).
//
// Besides Google Benchmark's mean time per lookup, each run reports `median_ns`: the median
// of 20,001 (linear scan: 101) individually timed lookups on the same flows minus the median cost of reading
// the clock twice; the classifier runs also report `linear_ratio`, the linear scan's median
// over the classifier's on the same table and flows.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "portunus/ipsec/spd.h"

using namespace portunus;
using ipsec::Direction;

namespace {

constexpr size_t kFlows = 65536;  // a power of two
constexpr size_t kHotFlows = 1024;

struct Table {
  ipsec::Spd spd;
  std::vector<wire::FlowKey> flows;
};

IpAddress rand_v4(std::mt19937_64& rng, uint8_t first) {
  return IpAddress::v4((uint32_t{first} << 24) | static_cast<uint32_t>(rng() & 0xffffff));
}

template <class T>
T pick(std::mt19937_64& rng, std::initializer_list<std::pair<T, int>> weighted) {
  int total = 0;
  for (auto& w : weighted) total += w.second;
  int r = static_cast<int>(rng() % static_cast<uint64_t>(total));
  for (auto& w : weighted) {
    if (r < w.second) return w.first;
    r -= w.second;
  }
  return weighted.begin()->first;
}

uint32_t in_range(std::mt19937_64& rng, const ipsec::AddressRange& r) {
  uint32_t lo = load_be32(r.first.data()), hi = load_be32(r.last.data());
  return lo + static_cast<uint32_t>(rng() % (uint64_t{hi} - lo + 1));
}

std::unique_ptr<Table> make_table(size_t n) {
  auto t = std::make_unique<Table>();
  std::mt19937_64 rng(n);
  std::vector<ipsec::Policy> made;
  for (size_t i = 0; i < n; ++i) {
    ipsec::Policy p;
    p.direction = Direction::Outbound;
    unsigned llen = pick<unsigned>(rng, {{32, 20}, {24, 50}, {16, 20}, {0, 10}});
    unsigned rlen = pick<unsigned>(rng, {{32, 40}, {24, 40}, {16, 15}, {8, 5}});
    p.selector.local = ipsec::AddressRange::prefix(rand_v4(rng, 10), llen);
    if (rng() % 20 == 0) {  // some ranges that are not prefixes
      uint32_t a = static_cast<uint32_t>(rng()), b = a + static_cast<uint32_t>(rng() % 5000);
      p.selector.remote = ipsec::AddressRange::range(IpAddress::v4(a), IpAddress::v4(std::max(a, b)));
    } else {
      p.selector.remote =
          ipsec::AddressRange::prefix(rand_v4(rng, static_cast<uint8_t>(rng() % 223 + 1)), rlen);
    }
    p.selector.protocol = pick<uint8_t>(rng, {{0, 40}, {6, 30}, {17, 20}, {1, 10}});
    if (p.selector.protocol == 6 || p.selector.protocol == 17) {
      auto port = static_cast<uint16_t>(rng() % 65000 + 1);
      switch (rng() % 4) {
        case 0:
        case 1:
          p.selector.remote_port = {port, port};
          break;
        case 2:
          p.selector.remote_port = {port, static_cast<uint16_t>(port + rng() % 500)};
          break;
        default:
          break;
      }
    } else if (p.selector.protocol == 1 && rng() % 2) {
      p.selector.icmp_type = {8, 8};
    }
    p.action = pick<ipsec::Action>(
        rng, {{ipsec::Action::Protect, 70}, {ipsec::Action::Bypass, 20}, {ipsec::Action::Discard, 10}});
    p.priority = static_cast<uint32_t>(rng() % 1000);
    auto id = t->spd.add(p);
    if (id) made.push_back(p);
  }
  ipsec::Policy catch_all;
  catch_all.direction = Direction::Outbound;
  catch_all.priority = 100000;
  (void)t->spd.add(catch_all);

  for (size_t i = 0; i < kFlows; ++i) {
    wire::FlowKey f;
    f.family = IpFamily::V4;
    if (!made.empty() && rng() % 5 != 0) {
      const ipsec::Policy& p = made[rng() % made.size()];
      store_be32(f.src, in_range(rng, p.selector.local));
      store_be32(f.dst, in_range(rng, p.selector.remote));
      f.protocol = p.selector.protocol ? p.selector.protocol : pick<uint8_t>(rng, {{6, 1}, {17, 1}});
      f.src_port = static_cast<uint16_t>(rng());
      const auto& rp = p.selector.protocol == 1 ? p.selector.icmp_type : p.selector.remote_port;
      f.dst_port = static_cast<uint16_t>(rp.first + rng() % (uint32_t{rp.last} - rp.first + 1));
      if (f.protocol == 1) f.src_port &= 0xff, f.dst_port &= 0xff;
    } else {
      store_be32(f.src, static_cast<uint32_t>(rng()));
      store_be32(f.dst, static_cast<uint32_t>(rng()));
      f.protocol = 6;
      f.src_port = static_cast<uint16_t>(rng());
      f.dst_port = static_cast<uint16_t>(rng());
    }
    t->flows.push_back(f);
  }
  return t;
}

Table& table(size_t n) {
  static std::map<size_t, std::unique_ptr<Table>> tables;
  auto& t = tables[n];
  if (!t) t = make_table(n);
  return *t;
}

enum class Kind { Classifier, Cached, CacheMiss, Linear };

size_t flow_count(Kind k) { return k == Kind::Cached ? kHotFlows : kFlows; }

const ipsec::Policy* lookup(Table& t, Kind k, const wire::FlowKey& f) {
  switch (k) {
    case Kind::Classifier:
      return t.spd.lookup_uncached(Direction::Outbound, f);
    case Kind::Cached:
    case Kind::CacheMiss:
      return t.spd.lookup(Direction::Outbound, f);
    case Kind::Linear:
      return t.spd.lookup_linear(Direction::Outbound, f);
  }
  return nullptr;
}

double median_ns(Table& t, Kind k) {
  using clock = std::chrono::steady_clock;
  const size_t samples = k == Kind::Linear ? 101 : 20001;  // a linear scan at 100k takes milliseconds
  std::vector<double> d, overhead;
  d.reserve(samples);
  overhead.reserve(samples);
  for (size_t i = 0; i < samples; ++i) {
    const wire::FlowKey& f = t.flows[i % flow_count(k)];
    auto a = clock::now();
    benchmark::DoNotOptimize(lookup(t, k, f));
    auto b = clock::now();
    auto c = clock::now();
    d.push_back(std::chrono::duration<double, std::nano>(b - a).count());
    overhead.push_back(std::chrono::duration<double, std::nano>(c - b).count());
  }
  std::nth_element(d.begin(), d.begin() + static_cast<long>(samples / 2), d.end());
  std::nth_element(overhead.begin(), overhead.begin() + static_cast<long>(samples / 2), overhead.end());
  return std::max(0.0, d[samples / 2] - overhead[samples / 2]);
}

void run(benchmark::State& state, Kind k) {
  Table& t = table(static_cast<size_t>(state.range(0)));
  // Agreement check before timing: the classifier must give the linear scan's answer.
  for (size_t j = 0; j < 64; ++j) {
    const wire::FlowKey& f = t.flows[j];
    if (lookup(t, k, f) != t.spd.lookup_linear(Direction::Outbound, f)) {
      state.SkipWithError("classifier and linear scan disagree");
      return;
    }
  }
  size_t i = 0;
  const size_t mask = flow_count(k) - 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lookup(t, k, t.flows[i++ & mask]));
  }
  double median = median_ns(t, k);
  state.counters["median_ns"] = median;
  if (k == Kind::Classifier)
    state.counters["linear_ratio"] = median_ns(t, Kind::Linear) / std::max(median, 1.0);
  state.counters["policies"] = static_cast<double>(t.spd.size());
}

void BM_SpdClassifier(benchmark::State& s) { run(s, Kind::Classifier); }
void BM_SpdCached(benchmark::State& s) { run(s, Kind::Cached); }
void BM_SpdCacheMiss(benchmark::State& s) { run(s, Kind::CacheMiss); }
void BM_SpdLinear(benchmark::State& s) { run(s, Kind::Linear); }

}  // namespace

BENCHMARK(BM_SpdClassifier)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_SpdCached)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_SpdCacheMiss)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_SpdLinear)->Arg(10)->Arg(1000)->Arg(100000);
