#include "portunus/ipsec/spd_v4.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>
#include <type_traits>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PORTUNUS_SPD_AVX2 1
#endif

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

#ifdef PORTUNUS_SPD_AVX2
const bool kHaveAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();
bool use_avx2 = kHaveAvx2;
#endif

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

void TableV4::set_simd(bool on) {
#ifdef PORTUNUS_SPD_AVX2
  use_avx2 = on && kHaveAvx2;
#else
  (void)on;
#endif
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
  next_seq_ = 0;
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
  for (size_t i = 0; i < kLanes; ++i) {
    probe_mask_[i] = i < probes_.size() ? probes_[i].mask : 0;
    probe_salt_[i] = i < probes_.size() ? probes_[i].salt : 0;
  }
}

size_t TableV4::find(uint8_t g, uint64_t key) const {
  for (size_t i = hash(key, groups_[g].salt) >> slot_shift_;; i = (i + 1) & slot_mask_) {
    const Slot& s = slots_[i];
    if (s.group() == g && s.key == key) return i;
    if (s.group() == kEmpty) return SIZE_MAX;
  }
}

size_t TableV4::find_or_insert(uint8_t g, uint64_t key) {
  size_t i = find(g, key);
  if (i != SIZE_MAX) return i;
  // Load at most 0.8: the filter keeps most lookups of absent keys off the (then longer) probe
  // runs, and a smaller table is more often in the cache.
  if ((used_ + 1) * 5 > slots_.size() * 4)
    rehash(std::max(kMinSlots, std::bit_ceil((live_ + 1) * 5 / 4 + 1)));
  uint64_t h = hash(key, groups_[g].salt);
  for (i = h >> slot_shift_; slots_[i].group() != kEmpty; i = (i + 1) & slot_mask_) {
  }
  slots_[i].key = key;
  slots_[i].word = g;
  bloom_[bloom_word(h)] |= bloom_bits(h);
  ++used_;
  return i;
}

// Copies the bucket's best rule into its slot: all but the addresses when they are the key's
// prefixes.
void TableV4::sync(size_t i) {
  Slot& s = slots_[i];
  const std::vector<RuleV4>& v = lists_[i];  // empty, or rules then a sentinel
  uint64_t g = s.group();
  if (v.empty()) {
    s.rank = UINT64_MAX;
    s.word = g;
    return;
  }
  const RuleV4& r = v[0];
  auto lmask = static_cast<uint32_t>(groups_[g].mask >> 32), rmask = static_cast<uint32_t>(groups_[g].mask);
  bool exact = r.lf == static_cast<uint32_t>(s.key >> 32) && r.ll == (r.lf | ~lmask) &&
               r.rf == static_cast<uint32_t>(s.key) && r.rl == (r.rf | ~rmask);
  UpperKind kind = r.kind != UpperKind::AnyProtocol && r.upper_any ? UpperKind::ProtocolOnly : r.kind;
  auto p = reinterpret_cast<uintptr_t>(r.policy);
  bool direct = uint64_t{p} >> 48 == 0 && p % 4 == 0;
  uint64_t flags = (exact && direct ? 0 : kRange) | (v.size() > 2 ? kMore : 0);
  s.rank = rank_of(r);
  s.a_first = r.a_first;
  s.a_last = r.a_last;
  s.b_first = r.b_first;
  s.b_last = r.b_last;
  s.word = g | uint64_t{static_cast<uint8_t>(kind)} << 5 | uint64_t{r.protocol} << 8 | flags << 16 |
           (direct ? uint64_t{p} >> 2 << 18 : 0);
}

// Rebuilds the table with `slots` slots (a power of two), leaving out empty buckets.
void TableV4::rehash(size_t slots) {
  PagedArray<Slot> old_slots = std::move(slots_);
  std::vector<std::vector<RuleV4>> old_lists = std::move(lists_);
  slots_ = PagedArray<Slot>(slots, Slot{});
  lists_ = std::vector<std::vector<RuleV4>>(slots);
  slot_mask_ = slots - 1;
  slot_shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots));
  // A filter word per 4 slots: 20 bits or more per key at the load kept (at most 0.8).
  size_t words = std::max<size_t>(slots / 4, 8);
  bloom_ = PagedArray<uint64_t>(words, 0);
  bloom_mask_ = words - 1;
  used_ = live_ = 0;
  for (Group& g : groups_) g.min_rank = UINT64_MAX;
  for (size_t j = 0; j < old_lists.size(); ++j) {
    if (old_lists[j].empty()) continue;
    const Slot& o = old_slots[j];
    uint64_t h = hash(o.key, groups_[o.group()].salt);
    size_t i = h >> slot_shift_;
    while (slots_[i].group() != kEmpty) i = (i + 1) & slot_mask_;
    slots_[i].key = o.key;
    slots_[i].word = o.group();
    lists_[i] = std::move(old_lists[j]);
    sync(i);  // the insertion numbers may have been renumbered
    bloom_[bloom_word(h)] |= bloom_bits(h);
    Group& g = groups_[o.group()];
    g.min_rank = std::min(g.min_rank, slots_[i].rank);
    ++used_;
    ++live_;
  }
  order_probes();
}

// Numbers the rules 0, 1, ... in their order, so that insertion numbers fit 32 bits for good.
void TableV4::renumber() {
  std::vector<RuleV4*> all;
  for (std::vector<RuleV4>& v : lists_)
    for (size_t k = 0; k + 1 < v.size(); ++k) all.push_back(&v[k]);
  std::sort(all.begin(), all.end(), [](const RuleV4* a, const RuleV4* b) { return a->seq < b->seq; });
  for (size_t k = 0; k < all.size(); ++k) all[k]->seq = k;
  next_seq_ = static_cast<uint32_t>(all.size());
  rehash(slots_.size());  // the slots' ranks and the groups' bounds
}

void TableV4::add(const RuleV4& rule) {
  if (next_seq_ == UINT32_MAX) renumber();
  RuleV4 r = rule;
  r.seq = next_seq_++;
  uint8_t g = group_of(r, true);
  uint64_t key = ((uint64_t{r.lf} << 32) | r.rf) & groups_[g].mask;
  size_t i = find_or_insert(g, key);
  std::vector<RuleV4>& v = lists_[i];
  if (v.empty()) {
    v.push_back(RuleV4{});  // the sentinel
    ++live_;
  }
  auto pos = std::upper_bound(v.begin(), v.end() - 1, r,
                              [](const RuleV4& a, const RuleV4& b) { return rank_of(a) < rank_of(b); });
  v.insert(pos, r);
  sync(i);
  if (rank_of(r) < groups_[g].min_rank) {
    groups_[g].min_rank = rank_of(r);
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

// The filter stage of a lookup: every group's key and hash, and whether the filter lets it
// through. Branch-free, as which groups pass is unpredictable.
void TableV4::filter_scalar(uint64_t key, Candidates& c) const {
  const uint64_t* bloom = bloom_.data();
  size_t n = probes_.size(), k = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t masked = key & probe_mask_[i];
    uint64_t h = hash(masked, probe_salt_[i]);
    uint64_t m = bloom_bits(h);
    c.keys[k] = masked;
    c.at[k] = static_cast<size_t>(h >> slot_shift_);
    c.probe[k] = static_cast<uint8_t>(i);
    k += (bloom[bloom_word(h)] & m) == m;
  }
  c.n = k;
  for (size_t j = 0; j < k; ++j) {
    __builtin_prefetch(slots_.data() + c.at[j]);
    __builtin_prefetch(slots_.data() + ((c.at[j] + 2) & slot_mask_));
  }
}

#ifdef PORTUNUS_SPD_AVX2
// The same four groups at a time (the multiply as three 32x32 ones, the filter words gathered,
// the bit tests as per-lane shifts): about a quarter of the instructions.
__attribute__((target("avx2"))) void TableV4::filter_avx2(uint64_t key, Candidates& c) const {
  const auto* bloom = reinterpret_cast<const long long*>(bloom_.data());
  const Slot* slots = slots_.data();
  size_t n = probes_.size(), k = 0;
  const __m256i vkey = _mm256_set1_epi64x(static_cast<long long>(key));
  const __m256i clo = _mm256_set1_epi64x(0x7f4a7c15LL);  // the multiplier's halves
  const __m256i chi = _mm256_set1_epi64x(0x9e3779b9LL);
  const __m256i bmask = _mm256_set1_epi64x(static_cast<long long>(bloom_mask_));
  const __m256i six = _mm256_set1_epi64x(63);
  const __m256i one = _mm256_set1_epi64x(1);
  const __m128i sshift = _mm_cvtsi32_si128(static_cast<int>(slot_shift_));
  alignas(32) uint64_t keys[4], at[4];
  for (size_t i = 0; i < n; i += 4) {
    __m256i masked =
        _mm256_and_si256(vkey, _mm256_load_si256(reinterpret_cast<const __m256i*>(probe_mask_ + i)));
    __m256i x =
        _mm256_xor_si256(masked, _mm256_load_si256(reinterpret_cast<const __m256i*>(probe_salt_ + i)));
    // low 64 bits of x * C = xl*cl + ((xh*cl + xl*ch) << 32)
    __m256i cross =
        _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), clo), _mm256_mul_epu32(x, chi));
    __m256i h = _mm256_add_epi64(_mm256_mul_epu32(x, clo), _mm256_slli_epi64(cross, 32));
    h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 32));
    __m256i word = _mm256_and_si256(_mm256_srli_epi64(h, 12), bmask);
    __m256i w = _mm256_i64gather_epi64(bloom, word, 8);
    __m256i m = _mm256_or_si256(_mm256_sllv_epi64(one, _mm256_and_si256(h, six)),
                                _mm256_sllv_epi64(one, _mm256_and_si256(_mm256_srli_epi64(h, 6), six)));
    __m256i pass = _mm256_cmpeq_epi64(_mm256_and_si256(w, m), m);
    auto bits = static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(pass)));
    if (n - i < 4) bits &= (1u << (n - i)) - 1;
    if (bits == 0) continue;
    _mm256_store_si256(reinterpret_cast<__m256i*>(keys), masked);
    _mm256_store_si256(reinterpret_cast<__m256i*>(at), _mm256_srl_epi64(h, sshift));
    for (; bits != 0; bits &= bits - 1) {
      auto lane = static_cast<unsigned>(std::countr_zero(bits));
      c.keys[k] = keys[lane];
      c.at[k] = static_cast<size_t>(at[lane]);
      c.probe[k] = static_cast<uint8_t>(i + lane);
      __builtin_prefetch(slots + at[lane]);  // now: the slot is the one likely DRAM access
      __builtin_prefetch(slots + ((at[lane] + 2) & slot_mask_));  // the next line: displaced keys
      ++k;
    }
  }
  c.n = k;
}
#else
void TableV4::filter_avx2(uint64_t key, Candidates& c) const { filter_scalar(key, c); }
#endif

namespace {

// upper_matches for a slot, where ProtocolOnly also stands for any ports, types and codes.
template <typename S>
inline bool slot_upper_matches(const S& s, const wire::FlowKey& f, bool outbound) {
  UpperKind kind = s.kind();
  if (kind == UpperKind::AnyProtocol) return true;
  if (s.protocol() != f.protocol) return false;
  if (kind == UpperKind::ProtocolOnly) return true;
  if (f.ports_opaque) return false;
  uint16_t a = f.src_port;
  uint16_t b = f.dst_port;
  if (kind == UpperKind::Ports && !outbound) std::swap(a, b);
  return s.a_first <= a && a <= s.a_last && s.b_first <= b && b <= s.b_last;
}

}  // namespace

// The rest of a bucket's list, for the few lookups that need it: out of line, so that the
// common path keeps its registers (the flow's addresses are read again).
__attribute__((noinline)) const RuleV4* TableV4::match_list(const RuleV4* rule, uint64_t below,
                                                            const wire::FlowKey& f, bool outbound) {
  uint32_t src = load_be32(f.src);
  uint32_t dst = load_be32(f.dst);
  uint32_t l = outbound ? src : dst;
  uint32_t r = outbound ? dst : src;
  for (; rule->policy != nullptr && rank_of(*rule) < below; ++rule)
    if (rule_matches_v4(*rule, l, r, f, outbound)) return rule;
  return nullptr;
}

const Policy* TableV4::lookup(const wire::FlowKey& f, bool outbound) const {
  uint32_t src = load_be32(f.src);
  uint32_t dst = load_be32(f.dst);
  uint32_t l = outbound ? src : dst;
  uint32_t r = outbound ? dst : src;
  uint64_t key = (uint64_t{l} << 32) | r;
  const Probe* probes = probes_.data();
  const Slot* slots = slots_.data();
  // (1) the groups that may hold their key, their slots prefetched.
  Candidates cands;
#ifdef PORTUNUS_SPD_AVX2
  if (use_avx2)
    filter_avx2(key, cands);
  else
#endif
    filter_scalar(key, cands);
  size_t c = cands.n;
  const uint64_t* keys = cands.keys;
  const size_t* at = cands.at;
  const uint8_t* cand = cands.probe;
  // (2) check them by rank. No rule has the maximum rank, so it also stands for "none yet".
  uint64_t best_rank = UINT64_MAX;
  const Policy* best = nullptr;
  for (size_t k = 0; k < c; ++k) {
    const Probe& p = probes[cand[k]];
    if (p.min_rank >= best_rank) break;
    for (size_t j = at[k];; j = (j + 1) & slot_mask_) {
      const Slot& s = slots[j];
      if (s.group() == p.group && s.key == keys[k]) {
        if (s.rank >= best_rank) break;  // also an empty bucket
        uint64_t flags = s.flags();
        if (!(flags & kRange)) {  // the common case: the slot's rule is settled by the slot
          if (slot_upper_matches(s, f, outbound)) {
            best_rank = s.rank;
            best = s.policy();
            break;
          }
          if (!(flags & kMore)) break;
        }
        if (const RuleV4* rule =
                match_list(lists_[j].data() + ((flags & kRange) ? 0 : 1), best_rank, f, outbound)) {
          best_rank = rank_of(*rule);
          best = rule->policy;
        }
        break;
      }
      if (s.group() == kEmpty) break;
    }
  }
  return best;
}

}  // namespace portunus::ipsec::detail
