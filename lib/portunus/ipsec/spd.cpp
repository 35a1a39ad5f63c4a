#include "portunus/ipsec/spd.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <map>

#include "portunus/ipsec/spd_v4.h"
#include "portunus/wire/flow_hash.h"

namespace portunus::ipsec {

namespace {

using detail::Rank;
using detail::upper_matches;
using detail::UpperKind;

// Addresses as two 64-bit words so that range checks and masking are a few integer ops.
// IPv4 lives in the low 32 bits of `lo`.
struct U128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const U128&, const U128&) = default;
};
inline bool le(U128 a, U128 b) { return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo); }

inline U128 load_addr(const uint8_t* p, IpFamily f) {
  if (f == IpFamily::V4) return {0, load_be32(p)};
  return {load_be64(p), load_be64(p + 8)};
}
inline U128 load_addr(const IpAddress& a) { return load_addr(a.data(), a.family()); }

inline U128 mask_addr(U128 v, unsigned len, bool v4) {
  if (len == 0) return {};
  if (v4) return {0, v.lo & ((0xffffffffULL << (32 - len)) & 0xffffffffULL)};
  if (len <= 64) return {v.hi & (~0ULL << (64 - len)), 0};
  return {v.hi, len == 128 ? v.lo : v.lo & (~0ULL << (128 - len))};
}

// Longest prefix shared by both ends of a range: every address in the range has it.
unsigned covering_prefix(U128 a, U128 b, bool v4) {
  if (v4) {
    auto x = static_cast<uint32_t>(a.lo ^ b.lo);
    return x == 0 ? 32 : static_cast<unsigned>(std::countl_zero(x));
  }
  uint64_t x = a.hi ^ b.hi;
  if (x != 0) return static_cast<unsigned>(std::countl_zero(x));
  x = a.lo ^ b.lo;
  return x == 0 ? 128 : 64 + static_cast<unsigned>(std::countl_zero(x));
}

bool has_ports(uint8_t proto) {
  return proto == wire::ipproto::kTcp || proto == wire::ipproto::kUdp || proto == wire::ipproto::kSctp;
}
bool is_icmp(uint8_t proto) { return proto == wire::ipproto::kIcmp || proto == wire::ipproto::kIcmpv6; }

// A selector compiled for the fast path.
struct Rule {
  U128 lf, ll, rf, rl;
  uint16_t a_first = 0, a_last = 65535;  // local port / ICMP type / MH type
  uint16_t b_first = 0, b_last = 65535;  // remote port / ICMP code
  uint8_t protocol = 0;
  UpperKind kind = UpperKind::AnyProtocol;
  bool upper_any = true;  // every upper-layer range is ANY (so opaque ports match)
  Rank rank;
  const Policy* policy = nullptr;
};

inline bool rule_matches(const Rule& r, U128 l, U128 rem, const wire::FlowKey& f, bool outbound) {
  if (!le(r.lf, l) || !le(l, r.ll) || !le(r.rf, rem) || !le(rem, r.rl)) return false;
  return upper_matches(r, f, outbound);
}

// Prefix lengths used as tuple keys: a rule is filed under the longest of these that does
// not exceed its covering prefix. Few distinct lengths keep the number of groups (and so of
// probes per lookup) small whatever prefixes and ranges the policies use; the full check in
// the bucket takes care of the rest.
unsigned quantize(unsigned len, bool v4) {
  if (v4) return len & ~7u;
  static constexpr unsigned kLevels[] = {128, 64, 48, 32, 16, 0};
  for (unsigned l : kLevels)
    if (len >= l) return l;
  return 0;
}

// One group of the tuple space: every rule filed under these prefix lengths. Open-addressing
// hash table in two parallel arrays: `tags` (8 octets a slot: the key's hash, 0 = empty) is
// what a probe walks, so a lookup that misses a group (the common case: most groups hold no
// policy for a given flow) touches one 8-octet tag and never the slot itself; `slots` holds
// the full key and the rules, ordered by rank, and is read only when the tag matches.
struct Tuple {
  uint8_t llen = 0;
  uint8_t rlen = 0;
  U128 lmask, rmask;  // the prefix masks for llen/rlen, precomputed for the probe
  Rank min_rank;      // a lower bound of the ranks held (not raised on removal; still correct)
  struct Slot {
    U128 l, r;
    std::vector<Rule> rules;
  };
  std::vector<uint64_t> tags = std::vector<uint64_t>(16);
  std::vector<Slot> slots = std::vector<Slot>(16);
  unsigned shift = 60;  // 64 - log2(slots.size()): the index is the top bits of the hash
  size_t used = 0;

  // Three multiplies; the index takes the product's top bits, which depend on every input
  // bit. For IPv4 the first product is over the exact 64-bit key (local << 32 | remote).
  // The low bit is forced to 1 so that a tag is never 0 (empty); equal tags are confirmed
  // by comparing the full key.
  static uint64_t hash(U128 l, U128 r) {
    uint64_t a = l.lo ^ std::rotl(r.lo, 32);
    uint64_t b = l.hi ^ std::rotl(r.hi, 32);
    uint64_t h = a * 0x9e3779b97f4a7c15ULL + b * 0xc2b2ae3d27d4eb4fULL;
    h = (h ^ (h >> 31)) * 0xff51afd7ed558ccdULL;
    return h | 1;
  }
  size_t mask() const { return slots.size() - 1; }
  size_t index(uint64_t h) const { return static_cast<size_t>(h >> shift); }

  const Slot* find_from(size_t i, uint64_t h, U128 l, U128 r) const {
    size_t m = mask();
    const uint64_t* t = tags.data();
    for (;; i = (i + 1) & m) {
      uint64_t tag = t[i];
      if (tag == 0) return nullptr;
      if (tag == h && slots[i].l == l && slots[i].r == r) return &slots[i];
    }
  }

  std::vector<Rule>& find_or_insert(U128 l, U128 r) {
    if ((used + 1) * 2 > slots.size()) grow();
    size_t m = mask();
    uint64_t h = hash(l, r);
    for (size_t i = index(h);; i = (i + 1) & m) {
      Slot& s = slots[i];
      if (tags[i] == 0) {
        tags[i] = h;
        s.l = l;
        s.r = r;
        ++used;
        return s.rules;
      }
      if (tags[i] == h && s.l == l && s.r == r) return s.rules;
    }
  }

  void grow() {
    std::vector<Slot> old = std::move(slots);
    std::vector<uint64_t> old_tags = std::move(tags);
    slots = std::vector<Slot>(old.size() * 2);
    tags = std::vector<uint64_t>(old.size() * 2);
    --shift;
    size_t m = mask();
    for (size_t j = 0; j < old.size(); ++j) {
      if (old_tags[j] == 0) continue;
      size_t i = index(old_tags[j]);
      while (tags[i] != 0) i = (i + 1) & m;
      tags[i] = old_tags[j];
      slots[i] = std::move(old[j]);
    }
  }
};

struct Table {
  std::vector<std::unique_ptr<Tuple>> tuples;  // ordered by min_rank

  Tuple& get(uint8_t llen, uint8_t rlen, bool v4) {
    for (auto& t : tuples)
      if (t->llen == llen && t->rlen == rlen) return *t;
    auto t = std::make_unique<Tuple>();
    t->llen = llen;
    t->rlen = rlen;
    t->lmask = mask_addr({~0ULL, ~0ULL}, llen, v4);
    t->rmask = mask_addr({~0ULL, ~0ULL}, rlen, v4);
    t->min_rank = {UINT32_MAX, UINT64_MAX};
    tuples.push_back(std::move(t));
    return *tuples.back();
  }

  void lowered(Tuple& t) {
    // Restore the order after t's min_rank decreased: move it towards the front.
    auto it = std::find_if(tuples.begin(), tuples.end(), [&](auto& p) { return p.get() == &t; });
    while (it != tuples.begin() && t.min_rank < (*(it - 1))->min_rank) {
      std::iter_swap(it, it - 1);
      --it;
    }
  }
};

struct Entry {
  Policy policy;
  Rule rule;
  Tuple* tuple = nullptr;  // IPv6
  U128 lkey, rkey;
  detail::RuleV4 rule4;  // IPv4
};

constexpr unsigned kCacheBits = 12;
constexpr size_t kCacheSize = size_t{1} << kCacheBits;  // entries

struct CacheEntry {
  uint64_t generation = 0;
  wire::FlowWords key{};
  const Policy* policy = nullptr;
};

Error invalid(const char* what) { return Error{std::string("invalid policy: ") + what}; }

bool range_ok(Range16 r, uint16_t max) { return r.first <= r.last && r.last <= max; }
bool range_any(Range16 r, uint16_t max) { return r.first == 0 && r.last == max; }

}  // namespace

struct Spd::Impl {
  std::map<PolicyId, std::unique_ptr<Entry>> entries;
  Table tables[2][2];     // [direction][family v4/v6]; IPv4 policies live in v4 instead
  detail::TableV4 v4[2];  // [direction]
  PolicyId next_id = 1;
  uint64_t next_seq = 0;
  bool cache_on = true;
  mutable std::vector<CacheEntry> cache = std::vector<CacheEntry>(kCacheSize);

  Table& table(Direction d, IpFamily f) { return tables[d == Direction::Outbound][f == IpFamily::V6]; }
  const Table& table(Direction d, IpFamily f) const {
    return tables[d == Direction::Outbound][f == IpFamily::V6];
  }
  detail::TableV4& table4(Direction d) { return v4[d == Direction::Outbound]; }
  const detail::TableV4& table4(Direction d) const { return v4[d == Direction::Outbound]; }
};

Spd::Spd() : impl_(std::make_unique<Impl>()) {}
Spd::~Spd() = default;

Result<PolicyId> Spd::add(Policy p) {
  const Selector& s = p.selector;
  IpFamily fam = s.local.first.family();
  if (s.local.last.family() != fam || s.remote.first.family() != fam || s.remote.last.family() != fam)
    return Unexpected(invalid("address families differ"));
  if (s.local.last < s.local.first || s.remote.last < s.remote.first)
    return Unexpected(invalid("address range end before start"));
  if (!range_ok(s.local_port, 65535) || !range_ok(s.remote_port, 65535) || !range_ok(s.icmp_type, 255) ||
      !range_ok(s.icmp_code, 255) || !range_ok(s.mh_type, 255))
    return Unexpected(invalid("bad port/type range"));
  bool ports_any = range_any(s.local_port, 65535) && range_any(s.remote_port, 65535);
  bool icmp_any = range_any(s.icmp_type, 255) && range_any(s.icmp_code, 255);
  bool mh_any = range_any(s.mh_type, 255);
  if (!ports_any && !has_ports(s.protocol)) return Unexpected(invalid("ports need TCP, UDP or SCTP"));
  if (!icmp_any && !is_icmp(s.protocol)) return Unexpected(invalid("ICMP type/code need ICMP or ICMPv6"));
  if (!mh_any && s.protocol != wire::ipproto::kMobility)
    return Unexpected(invalid("MH type needs protocol 135"));
  if (p.action == Action::Protect && p.mode == Mode::Tunnel &&
      p.tunnel_local.family() != p.tunnel_remote.family())
    return Unexpected(invalid("tunnel endpoints of different families"));

  auto e = std::make_unique<Entry>();
  p.id = impl_->next_id++;
  e->policy = p;
  Rule& r = e->rule;
  bool v4 = fam == IpFamily::V4;
  r.lf = load_addr(s.local.first);
  r.ll = load_addr(s.local.last);
  r.rf = load_addr(s.remote.first);
  r.rl = load_addr(s.remote.last);
  r.protocol = s.protocol;
  if (s.protocol == kAnyProtocol) {
    r.kind = UpperKind::AnyProtocol;
  } else if (has_ports(s.protocol)) {
    r.kind = UpperKind::Ports;
    r.a_first = s.local_port.first;
    r.a_last = s.local_port.last;
    r.b_first = s.remote_port.first;
    r.b_last = s.remote_port.last;
    r.upper_any = ports_any;
  } else if (is_icmp(s.protocol)) {
    r.kind = UpperKind::IcmpTypeCode;
    r.a_first = s.icmp_type.first;
    r.a_last = s.icmp_type.last;
    r.b_first = s.icmp_code.first;
    r.b_last = s.icmp_code.last;
    r.upper_any = icmp_any;
  } else if (s.protocol == wire::ipproto::kMobility) {
    r.kind = UpperKind::MhType;
    r.a_first = s.mh_type.first;
    r.a_last = s.mh_type.last;
    r.upper_any = mh_any;
  } else {
    r.kind = UpperKind::ProtocolOnly;
  }
  r.rank = {p.priority, impl_->next_seq++};
  r.policy = &e->policy;

  if (v4) {
    detail::RuleV4& r4 = e->rule4;
    r4.lf = static_cast<uint32_t>(r.lf.lo);
    r4.ll = static_cast<uint32_t>(r.ll.lo);
    r4.rf = static_cast<uint32_t>(r.rf.lo);
    r4.rl = static_cast<uint32_t>(r.rl.lo);
    r4.a_first = r.a_first;
    r4.a_last = r.a_last;
    r4.b_first = r.b_first;
    r4.b_last = r.b_last;
    r4.priority = r.rank.priority;
    r4.seq = r.rank.seq;
    r4.protocol = r.protocol;
    r4.kind = r.kind;
    r4.upper_any = r.upper_any;
    r4.policy = r.policy;
    impl_->table4(p.direction).add(r4);
    PolicyId id = p.id;
    impl_->entries.emplace(id, std::move(e));
    ++generation_;
    return id;
  }
  auto llen = static_cast<uint8_t>(quantize(covering_prefix(r.lf, r.ll, v4), v4));
  auto rlen = static_cast<uint8_t>(quantize(covering_prefix(r.rf, r.rl, v4), v4));
  Table& t = impl_->table(p.direction, fam);
  Tuple& tuple = t.get(llen, rlen, v4);
  e->tuple = &tuple;
  e->lkey = mask_addr(r.lf, llen, v4);
  e->rkey = mask_addr(r.rf, rlen, v4);
  std::vector<Rule>& bucket = tuple.find_or_insert(e->lkey, e->rkey);
  auto pos = std::upper_bound(bucket.begin(), bucket.end(), r,
                              [](const Rule& a, const Rule& b) { return a.rank < b.rank; });
  bucket.insert(pos, r);
  if (r.rank < tuple.min_rank) {
    tuple.min_rank = r.rank;
    t.lowered(tuple);
  }
  PolicyId id = p.id;
  impl_->entries.emplace(id, std::move(e));
  ++generation_;
  return id;
}

bool Spd::remove(PolicyId id) {
  auto it = impl_->entries.find(id);
  if (it == impl_->entries.end()) return false;
  Entry& e = *it->second;
  const Policy* gone = &e.policy;
  if (e.policy.selector.family() == IpFamily::V4) {
    impl_->table4(e.policy.direction).remove(e.rule4);
  } else {
    auto& bucket = e.tuple->find_or_insert(e.lkey, e.rkey);
    bucket.erase(
        std::remove_if(bucket.begin(), bucket.end(), [&](const Rule& x) { return x.policy == gone; }),
        bucket.end());
  }
  impl_->entries.erase(it);
  ++generation_;
  return true;
}

void Spd::clear() {
  impl_->entries.clear();
  for (auto& d : impl_->tables)
    for (auto& t : d) t.tuples.clear();
  for (auto& t : impl_->v4) t.clear();
  ++generation_;
}

size_t Spd::size() const { return impl_->entries.size(); }

const Policy* Spd::get(PolicyId id) const {
  auto it = impl_->entries.find(id);
  return it == impl_->entries.end() ? nullptr : &it->second->policy;
}

const Policy* Spd::find_by_reqid(Direction dir, uint32_t reqid) const {
  const Entry* best = nullptr;
  for (const auto& [id, e] : impl_->entries) {
    if (e->policy.direction != dir || e->policy.reqid != reqid) continue;
    if (!best || e->rule.rank < best->rule.rank) best = e.get();
  }
  return best ? &best->policy : nullptr;
}

std::vector<const Policy*> Spd::policies() const {
  std::vector<const Policy*> out;
  out.reserve(impl_->entries.size());
  for (const auto& [id, e] : impl_->entries) out.push_back(&e->policy);
  return out;
}

const Policy* Spd::lookup_uncached(Direction dir, const wire::FlowKey& flow) const {
  if (flow.family == IpFamily::V4) return impl_->table4(dir).lookup(flow, dir == Direction::Outbound);
  const Table& t = impl_->table(dir, flow.family);
  bool out = dir == Direction::Outbound;
  U128 src = load_addr(flow.src, flow.family);
  U128 dst = load_addr(flow.dst, flow.family);
  U128 l = out ? src : dst;
  U128 r = out ? dst : src;
  // First compute every group's slot and prefetch its tag, so that the (mostly cache-missing)
  // probes of all groups overlap instead of running one after another.
  constexpr size_t kBatch = 64;
  size_t n = std::min(t.tuples.size(), kBatch);
  U128 lk[kBatch], rk[kBatch];
  uint64_t hs[kBatch];
  for (size_t i = 0; i < n; ++i) {
    const Tuple& tuple = *t.tuples[i];
    lk[i] = {l.hi & tuple.lmask.hi, l.lo & tuple.lmask.lo};
    rk[i] = {r.hi & tuple.rmask.hi, r.lo & tuple.rmask.lo};
    hs[i] = Tuple::hash(lk[i], rk[i]);
    __builtin_prefetch(&tuple.tags[tuple.index(hs[i])]);
  }
  const Rule* best = nullptr;
  for (size_t i = 0; i < t.tuples.size(); ++i) {
    const Tuple& tuple = *t.tuples[i];
    if (best && !(tuple.min_rank < best->rank)) break;
    const Tuple::Slot* s;
    if (i < n) {
      s = tuple.find_from(tuple.index(hs[i]), hs[i], lk[i], rk[i]);
    } else {
      U128 a{l.hi & tuple.lmask.hi, l.lo & tuple.lmask.lo};
      U128 b{r.hi & tuple.rmask.hi, r.lo & tuple.rmask.lo};
      uint64_t h = Tuple::hash(a, b);
      s = tuple.find_from(tuple.index(h), h, a, b);
    }
    if (!s) continue;
    for (const Rule& rule : s->rules) {
      if (best && !(rule.rank < best->rank)) break;
      if (rule_matches(rule, l, r, flow, out)) {
        best = &rule;
        break;
      }
    }
  }
  return best ? best->policy : nullptr;
}

const Policy* Spd::lookup(Direction dir, const wire::FlowKey& flow) const {
  if (!impl_->cache_on) return lookup_uncached(dir, flow);
  const wire::FlowWords k = wire::flow_words(flow, static_cast<uint8_t>(dir));
  CacheEntry& c = impl_->cache[wire::flow_slot(k, kCacheBits)];
  if (c.generation == generation_ && c.key == k) return c.policy;
  const Policy* p = lookup_uncached(dir, flow);
  c.generation = generation_;
  c.key = k;
  c.policy = p;
  return p;
}

const Policy* Spd::lookup_linear(Direction dir, const wire::FlowKey& flow) const {
  // The same compiled rules as the classifier, scanned one by one: the baseline it beats.
  const Entry* best = nullptr;
  bool out = dir == Direction::Outbound;
  U128 src = load_addr(flow.src, flow.family);
  U128 dst = load_addr(flow.dst, flow.family);
  for (const auto& [id, e] : impl_->entries) {
    if (e->policy.direction != dir || e->policy.selector.family() != flow.family) continue;
    if (best && !(e->rule.rank < best->rule.rank)) continue;
    if (rule_matches(e->rule, out ? src : dst, out ? dst : src, flow, out)) best = e.get();
  }
  return best ? &best->policy : nullptr;
}

void Spd::set_cache_enabled(bool on) { impl_->cache_on = on; }

}  // namespace portunus::ipsec
