#include "portunus/ipsec/spd_v4.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>
#include <type_traits>

#include "portunus/base/bytes.h"

namespace portunus::ipsec::detail {

namespace {

constexpr uint8_t kNoGroup = 0xff;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMinSlots = 16;

// Longest prefix shared by both ends of a range (every address in it has that prefix), rounded
// down to a multiple of 8: few classes keep the groups (and so the hashes per lookup) few,
// and the full check of the bucket's rules takes care of the rest.
unsigned prefix_class(uint32_t first, uint32_t last) {
  uint32_t x = first ^ last;
  unsigned len = x == 0 ? 32 : static_cast<unsigned>(std::countl_zero(x));
  return len & ~7u;
}

uint64_t prefix_mask32(unsigned len) { return len == 0 ? 0 : (0xffffffffULL << (32 - len)) & 0xffffffffULL; }

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

template <typename T>
PagedArray<T>::PagedArray(size_t n, const T& fill) : n_(n) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  size_t bytes = std::max<size_t>(n * sizeof(T), 64);
  size_t align = bytes >= kHugePage ? kHugePage : 64;
  bytes = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (align == kHugePage) (void)madvise(p, bytes, MADV_HUGEPAGE);  // a hint; fine if refused
#endif
  p_.reset(static_cast<T*>(p));
  std::uninitialized_fill_n(p_.get(), n, fill);
}

template <typename T>
void PagedArray<T>::Free::operator()(T* p) const {
  std::free(p);
}

TableV4::TableV4() { rehash(kMinSlots); }
TableV4::~TableV4() = default;
TableV4::TableV4(TableV4&&) noexcept = default;
TableV4& TableV4::operator=(TableV4&&) noexcept = default;

void TableV4::clear() {
  groups_.clear();
  probes_.clear();
  used_ = live_ = 0;
  slots_ = {};
  lists_.clear();
  rehash(kMinSlots);
}

uint8_t TableV4::group_of(const RuleV4& r, bool create) {
  auto llen = static_cast<uint8_t>(prefix_class(r.lf, r.ll));
  auto rlen = static_cast<uint8_t>(prefix_class(r.rf, r.rl));
  for (size_t g = 0; g < groups_.size(); ++g)
    if (groups_[g].llen == llen && groups_[g].rlen == rlen) return static_cast<uint8_t>(g);
  if (!create) return kNoGroup;
  Group& g = groups_.emplace_back();
  g.llen = llen;
  g.rlen = rlen;
  g.mask = (prefix_mask32(llen) << 32) | prefix_mask32(rlen);
  g.salt = mix(groups_.size() * 0x9e3779b97f4a7c15ULL);
  order_probes();
  return static_cast<uint8_t>(groups_.size() - 1);
}

void TableV4::order_probes() {
  probes_.clear();
  for (size_t g = 0; g < groups_.size(); ++g)
    probes_.push_back({groups_[g].mask, groups_[g].salt, groups_[g].min_rank, static_cast<uint8_t>(g)});
  std::stable_sort(probes_.begin(), probes_.end(),
                   [](const Probe& a, const Probe& b) { return a.min_rank < b.min_rank; });
}

size_t TableV4::find(uint8_t g, uint64_t key) const {
  for (size_t i = hash(key, groups_[g].salt) >> slot_shift_;; i = (i + 1) & slot_mask_) {
    const Slot& s = slots_[i];
    if (s.first.group == g && s.key == key) return i;
    if (s.first.group == kNoGroup) return SIZE_MAX;
  }
}

size_t TableV4::find_or_insert(uint8_t g, uint64_t key) {
  size_t i = find(g, key);
  if (i != SIZE_MAX) return i;
  if ((used_ + 1) * 2 > slots_.size()) rehash(std::max(kMinSlots, std::bit_ceil((live_ + 1) * 2)));
  uint64_t h = hash(key, groups_[g].salt);
  for (i = h >> slot_shift_; slots_[i].first.group != kNoGroup; i = (i + 1) & slot_mask_) {
  }
  slots_[i].key = key;
  slots_[i].first.group = g;
  bloom_[bloom_word(h)] |= bloom_bits(h);
  ++used_;
  return i;
}

// Copies the bucket's best rule into its slot and points at the rest.
void TableV4::sync(size_t i) {
  const std::vector<RuleV4>& v = lists_[i];  // empty, or rules then a sentinel
  Slot& s = slots_[i];
  uint8_t g = s.first.group;
  s.first = v.size() > 1 ? v[0] : RuleV4{};
  s.first.group = g;
  s.more = v.size() > 2 ? v.data() + 1 : nullptr;
}

// Rebuilds the table with `slots` slots (a power of two), leaving out empty buckets.
void TableV4::rehash(size_t slots) {
  Slot empty;
  empty.first.group = kNoGroup;
  PagedArray<Slot> old_slots = std::move(slots_);
  std::vector<std::vector<RuleV4>> old_lists = std::move(lists_);
  slots_ = PagedArray<Slot>(slots, empty);
  lists_ = std::vector<std::vector<RuleV4>>(slots);
  slot_mask_ = slots - 1;
  slot_shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots));
  // A filter word per 8 slots: 16 to 32 bits per key at the load kept (a quarter to a half).
  size_t words = std::max<size_t>(slots / 8, 8);
  bloom_ = PagedArray<uint64_t>(words, 0);
  bloom_mask_ = words - 1;
  used_ = live_ = 0;
  for (Group& g : groups_) g.min_rank = {UINT32_MAX, UINT64_MAX};
  for (size_t j = 0; j < old_lists.size(); ++j) {
    if (old_lists[j].size() < 2) continue;
    const Slot& o = old_slots[j];
    uint64_t h = hash(o.key, groups_[o.first.group].salt);
    size_t i = h >> slot_shift_;
    while (slots_[i].first.group != kNoGroup) i = (i + 1) & slot_mask_;
    slots_[i].key = o.key;
    slots_[i].first.group = o.first.group;
    lists_[i] = std::move(old_lists[j]);  // the buffer moves with it: `more` stays valid
    sync(i);
    bloom_[bloom_word(h)] |= bloom_bits(h);
    Group& g = groups_[o.first.group];
    g.min_rank = std::min(g.min_rank, lists_[i][0].rank());
    ++used_;
    ++live_;
  }
  order_probes();
}

void TableV4::add(const RuleV4& r) {
  uint8_t g = group_of(r, true);
  uint64_t key = ((uint64_t{r.lf} << 32) | r.rf) & groups_[g].mask;
  size_t i = find_or_insert(g, key);
  std::vector<RuleV4>& v = lists_[i];
  if (v.empty()) {
    v.push_back(RuleV4{});  // the sentinel
    ++live_;
  }
  auto pos = std::upper_bound(v.begin(), v.end() - 1, r,
                              [](const RuleV4& a, const RuleV4& b) { return a.rank() < b.rank(); });
  v.insert(pos, r);
  sync(i);
  if (r.rank() < groups_[g].min_rank) {
    groups_[g].min_rank = r.rank();
    order_probes();
  }
}

void TableV4::remove(const RuleV4& r) {
  uint8_t g = group_of(r, false);
  if (g == kNoGroup) return;
  uint64_t key = ((uint64_t{r.lf} << 32) | r.rf) & groups_[g].mask;
  size_t i = find(g, key);
  if (i == SIZE_MAX) return;
  std::vector<RuleV4>& v = lists_[i];
  v.erase(std::remove_if(v.begin(), v.end(), [&](const RuleV4& x) { return x.policy == r.policy; }), v.end());
  if (v.size() == 1) {
    std::vector<RuleV4>().swap(v);
    --live_;
  }
  sync(i);
  // The key stays (linear probing cannot simply empty a slot) until empty buckets are the
  // majority; then the table is rebuilt without them, which also clears their filter bits and
  // raises the groups' min_rank again.
  if (used_ - live_ > live_ && used_ > 64) rehash(std::max(kMinSlots, std::bit_ceil(live_ * 4)));
}

const Policy* TableV4::lookup(const wire::FlowKey& f, bool outbound) const {
  size_t n = probes_.size();
  uint32_t src = load_be32(f.src);
  uint32_t dst = load_be32(f.dst);
  uint32_t l = outbound ? src : dst;
  uint32_t r = outbound ? dst : src;
  uint64_t key = (uint64_t{l} << 32) | r;
  const Probe* probes = probes_.data();
  const uint64_t* bloom = bloom_.data();
  const Slot* slots = slots_.data();
  // (1) every group's key and hash; prefetch the filter words.
  uint64_t keys[kMaxGroups], hs[kMaxGroups];
  for (size_t i = 0; i < n; ++i) {
    keys[i] = key & probes[i].mask;
    hs[i] = hash(keys[i], probes[i].salt);
    __builtin_prefetch(bloom + bloom_word(hs[i]));
  }
  // (2) the groups that may hold their key; prefetch their slots.
  uint8_t cand[kMaxGroups];
  size_t c = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t m = bloom_bits(hs[i]);
    if ((bloom[bloom_word(hs[i])] & m) != m) continue;
    __builtin_prefetch(slots + (hs[i] >> slot_shift_));
    cand[c++] = static_cast<uint8_t>(i);
  }
  // (3) check them by rank.
  const RuleV4* best = nullptr;
  for (size_t k = 0; k < c; ++k) {
    size_t i = cand[k];
    const Probe& p = probes[i];
    if (best && !(p.min_rank < best->rank())) break;
    for (size_t j = hs[i] >> slot_shift_;; j = (j + 1) & slot_mask_) {
      const Slot& s = slots[j];
      if (s.first.group == p.group && s.key == keys[i]) {
        const RuleV4* rule = &s.first;
        if (rule->policy == nullptr || (best && !(rule->rank() < best->rank()))) break;
        if (rule_matches_v4(*rule, l, r, f, outbound)) {
          best = rule;
          break;
        }
        for (rule = s.more; rule != nullptr && rule->policy != nullptr; ++rule) {
          if (best && !(rule->rank() < best->rank())) break;
          if (rule_matches_v4(*rule, l, r, f, outbound)) {
            best = rule;
            break;
          }
        }
        break;
      }
      if (s.first.group == kNoGroup) break;
    }
  }
  return best ? best->policy : nullptr;
}

}  // namespace portunus::ipsec::detail
