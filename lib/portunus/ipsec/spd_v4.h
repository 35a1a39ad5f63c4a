#pragma once
// The SPD's IPv4 classifier (one per direction) and the compiled-rule pieces the IPv6 one shares.
// Internal to the Spd (spd.h describes the semantics); not a public API.
//
// Tuple-space search as for IPv6, laid out so that a lookup touches as little memory as the
// answer needs:
//  - a policy is filed under (local, remote) prefix-length classes (0, 8, 16, 24, 32: at most
//    25 groups) and the pair of its addresses masked to them;
//  - all groups share one open-addressing table (linear probing, load at most 0.8) of
//    32-octet slots, two to a cache line. A slot holds the key, the group and the bucket's best
//    rule but for its addresses: in the common case they are exactly the key's prefixes, so
//    that the key match is the address match and the slot settles the bucket. A best rule that
//    is a true range (or a prefix between the classes), and the bucket's further rules, are
//    checked from a list beside the table (rank order), which the slot flags;
//  - a blocked Bloom filter (one 64-bit word per key, two bits, 20 bits or more per key, small
//    enough to stay in the L2 cache) says which groups can hold the flow's key, so the slots of
//    groups that cannot (most of them) are never read;
//  - the large arrays ask for transparent huge pages: at 100,000 policies the slots span 4 MiB
//    (131,072 slots; from about 105,000 buckets on, 8 MiB), and with 4 KiB pages every probe
//    would also be a TLB miss.
// A lookup computes every group's key and hash and tests its filter word (four groups at a
// time with AVX2 when the CPU has it), prefetching the slot (and the next cache line, where a
// displaced key lies) of each group that passes at once, then checks those in order of the
// best rank each group holds, stopping as soon as no later group can beat the match found.
// With a table larger than the cache, the cost is then about one memory round trip (the slots,
// fetched in parallel) plus ~470 instructions; the smaller the table, the more lookups find
// their slot in the cache instead.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "portunus/ipsec/policy.h"
#include "portunus/wire/ip_packet.h"

namespace portunus::ipsec::detail {

struct Rank {
  uint32_t priority = 0;
  uint64_t seq = 0;  // insertion order
  friend bool operator<(const Rank& a, const Rank& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.seq < b.seq;
  }
};

enum class UpperKind : uint8_t { AnyProtocol, Ports, IcmpTypeCode, MhType, ProtocolOnly };

// The next-layer part of a compiled rule (protocol, ports or ICMP/MH type and code), shared by
// the IPv6 rules and the IPv4 ones.
template <typename R>
inline bool upper_matches(const R& r, const wire::FlowKey& f, bool outbound) {
  if (r.kind == UpperKind::AnyProtocol) return true;
  if (r.protocol != f.protocol) return false;
  if (r.upper_any) return true;
  if (f.ports_opaque) return false;
  uint16_t a = f.src_port;
  uint16_t b = f.dst_port;
  if (r.kind == UpperKind::Ports && !outbound) std::swap(a, b);
  return r.a_first <= a && a <= r.a_last && r.b_first <= b && b <= r.b_last;
}

// A selector compiled for IPv4 (as the Spd hands it to the table, and in a bucket's list).
struct RuleV4 {
  uint32_t lf = 0, ll = 0, rf = 0, rl = 0;  // local and remote ranges
  uint16_t a_first = 0, a_last = 65535;     // local port / ICMP type / MH type
  uint16_t b_first = 0, b_last = 65535;     // remote port / ICMP code
  uint32_t priority = 0;
  uint8_t protocol = 0;
  UpperKind kind = UpperKind::AnyProtocol;
  bool upper_any = true;
  uint64_t seq = 0;                // in a bucket's list: the table's insertion number
  const Policy* policy = nullptr;  // nullptr: no rule (end of a list)
};

inline bool rule_matches_v4(const RuleV4& r, uint32_t l, uint32_t rem, const wire::FlowKey& f,
                            bool outbound) {
  // Unsigned wrap-around turns each two-sided range check into one compare.
  if (l - r.lf > r.ll - r.lf || rem - r.rf > r.rl - r.rf) return false;
  return upper_matches(r, f, outbound);
}

// A fixed-size array of trivially copyable T, cache-line aligned; from 2 MiB on it is aligned
// to 2 MiB and marked for transparent huge pages.
template <typename T>
class PagedArray {
 public:
  PagedArray() = default;
  PagedArray(size_t n, const T& fill);
  T* data() { return p_.get(); }
  const T* data() const { return p_.get(); }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_.get()[i]; }
  const T& operator[](size_t i) const { return p_.get()[i]; }

 private:
  struct Free {
    void operator()(T* p) const;
  };
  std::unique_ptr<T, Free> p_;
  size_t n_ = 0;
};

class TableV4 {
 public:
  TableV4();
  ~TableV4();
  TableV4(TableV4&&) noexcept;
  TableV4& operator=(TableV4&&) noexcept;

  // `r` as compiled from the policy; remove takes the same rule (found by its policy). Equal
  // priorities resolve in the order of add(); the table numbers its rules itself (`r.seq` is
  // not read).
  void add(const RuleV4& r);
  void remove(const RuleV4& r);
  void clear();
  const Policy* lookup(const wire::FlowKey& f, bool outbound) const;
  // Whether lookups may use the AVX2 filter (when the CPU has it); tests turn it off to check
  // the scalar one. Not thread-safe.
  static void set_simd(bool on);
  // Tests: the insertion number the next add() takes (never lowered), so that they can reach
  // the renumbering at 2^32 - 1.
  void set_next_seq(uint32_t seq) { next_seq_ = std::max(next_seq_, seq); }

  static constexpr size_t kMaxGroups = 25;  // 5 prefix-length classes on each side
  // What the filter stage of a lookup hands on: the groups that may hold the flow's key.
  struct Candidates {
    uint64_t keys[kMaxGroups];
    size_t at[kMaxGroups];  // home slot
    uint8_t probe[kMaxGroups];
    size_t n = 0;
  };

 private:
  static constexpr uint64_t kEmpty = 31;  // the group field of an empty slot
  // Flags of a slot.
  static constexpr uint64_t kRange = 1;  // check the best rule in full (first of the list): its
                                         // addresses are not exactly the key's prefixes, or its
                                         // policy's address does not fit the slot
  static constexpr uint64_t kMore = 2;   // the bucket holds further rules after the best one
  // Half a cache line: the key and the bucket's best rule without its addresses (in the common
  // case they are the key's prefixes, so that the key match is the address match).
  struct alignas(32) Slot {
    uint64_t key = 0;            // local << 32 | remote, masked by the group's prefixes
    uint64_t rank = UINT64_MAX;  // the best rule's priority << 32 | insertion number; the
                                 // maximum when the bucket is empty
    uint16_t a_first = 0, a_last = 0, b_first = 0, b_last = 0;  // as in RuleV4
    // Bits 0-4 the group, 5-7 the kind (ProtocolOnly also for any ports, types and codes),
    // 8-15 the protocol, 16-17 flags, 18-63 the policy's address over 4 (user-space addresses
    // stay below 2^48; one that does not is left to the list: kRange).
    uint64_t word = kEmpty;

    uint64_t group() const { return word & 31; }
    UpperKind kind() const { return static_cast<UpperKind>((word >> 5) & 7); }
    uint8_t protocol() const { return static_cast<uint8_t>(word >> 8); }
    uint64_t flags() const { return (word >> 16) & 3; }
    const Policy* policy() const { return reinterpret_cast<const Policy*>((word >> 18) << 2); }
  };
  static_assert(sizeof(Slot) == 32);
  struct Group {
    uint8_t llen = 0, rlen = 0;
    uint64_t mask = 0;
    uint64_t salt = 0;               // mixed into the key's hash so that groups spread over the table
    uint64_t min_rank = UINT64_MAX;  // a lower bound of the ranks held (as Slot::rank)
  };
  // What a lookup reads of a group, in the order groups are checked (by min_rank).
  struct Probe {
    uint64_t mask;
    uint64_t salt;
    uint64_t min_rank;
    uint8_t group;
  };

  static uint64_t rank_of(const RuleV4& r) { return uint64_t{r.priority} << 32 | r.seq; }
  // One multiply: the index takes the product's top bits, which depend on every key bit; the
  // filter takes the low half folded with the top one, so it depends on every key bit too.
  static uint64_t hash(uint64_t key, uint64_t salt) {
    uint64_t h = (key ^ salt) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 32);
  }
  size_t bloom_word(uint64_t h) const { return static_cast<size_t>(h >> 12) & bloom_mask_; }
  static uint64_t bloom_bits(uint64_t h) {
    return (uint64_t{1} << (h & 63)) | (uint64_t{1} << ((h >> 6) & 63));
  }

  // The first rule from `rule` on that matches the flow with a rank below `below`, or nullptr.
  static const RuleV4* match_list(const RuleV4* rule, uint64_t below, const wire::FlowKey& f, bool outbound);
  void filter_scalar(uint64_t key, Candidates& c) const;
  void filter_avx2(uint64_t key, Candidates& c) const;
  uint8_t group_of(const RuleV4& r, bool create);
  size_t find_or_insert(uint8_t g, uint64_t key);
  size_t find(uint8_t g, uint64_t key) const;
  void sync(size_t i);
  void rehash(size_t slots);
  void renumber();
  void order_probes();

  std::vector<Group> groups_;  // by id
  std::vector<Probe> probes_;  // by min_rank
  // The same masks and salts as arrays (padded to a multiple of 4 lanes) for the SIMD filter.
  static constexpr size_t kLanes = (kMaxGroups + 3) / 4 * 4;
  alignas(32) uint64_t probe_mask_[kLanes] = {};
  alignas(32) uint64_t probe_salt_[kLanes] = {};
  PagedArray<Slot> slots_;
  std::vector<std::vector<RuleV4>> lists_;  // parallel to slots_: the bucket's rules by rank,
                                            // then a sentinel (empty: no rules)
  PagedArray<uint64_t> bloom_;
  size_t slot_mask_ = 0;
  unsigned slot_shift_ = 64;
  size_t bloom_mask_ = 0;
  size_t used_ = 0;        // slots holding a key
  size_t live_ = 0;        // of those, buckets with rules
  uint32_t next_seq_ = 0;  // the insertion number of the next rule; kept below 2^32 - 1
};

}  // namespace portunus::ipsec::detail
