#pragma once
// Security Policy Database (RFC 4301 4.4.1). Inbound and outbound policies are kept and
// evaluated separately; a lookup returns the matching policy with the lowest priority value
// (ties: the one added first), or nullptr (the caller's default is DISCARD).
//
// Classification is a tuple-space search: policies are grouped by the pair (local prefix
// length, remote prefix length) of their address selectors (a range that is not a prefix is
// filed under the longest prefix covering it), and each group is a hash table from the masked
// address pair to a short, priority-ordered list that is checked field by field. A lookup
// probes each group once, best group first, and stops as soon as no remaining group can hold
// a better policy. The cost thus grows with the number of distinct prefix-length pairs, not
// with the number of policies. IPv4 (spd_v4.h) keeps all groups in one table of
// half-cache-line slots with the bucket's best rule inline (but for its addresses, which are
// usually the key's prefixes) and a Bloom filter in front, so that a lookup reads only the
// slots of groups that hold its key. A direct-mapped per-flow cache in front
// of it answers repeated flows without probing; any change to the SPD invalidates it.
//
// Not thread-safe: one Spd per data-path thread, or external locking.
#include <cstdint>
#include <memory>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/ipsec/policy.h"
#include "portunus/wire/ip_packet.h"

namespace portunus::ipsec {

class Spd {
 public:
  Spd();
  ~Spd();
  Spd(const Spd&) = delete;
  Spd& operator=(const Spd&) = delete;

  // Validates (families agree, ranges ordered, ports only for TCP/UDP/SCTP, tunnel endpoints
  // for tunnel mode) and adds; the returned id is also stored in the policy.
  Result<PolicyId> add(Policy policy);
  bool remove(PolicyId id);
  void clear();
  size_t size() const;

  const Policy* get(PolicyId id) const;
  // The first (by priority, then insertion) policy of a direction with this reqid.
  const Policy* find_by_reqid(Direction dir, uint32_t reqid) const;
  std::vector<const Policy*> policies() const;  // all, in id order

  // Classification. `flow` comes from wire::parse_ip of the packet as it is seen on that
  // direction's interface (for inbound: the cleartext or decrypted packet).
  const Policy* lookup(Direction dir, const wire::FlowKey& flow) const;
  const Policy* lookup_uncached(Direction dir, const wire::FlowKey& flow) const;
  // Linear scan over all policies (same compiled matcher); the baseline for tests/benchmarks.
  const Policy* lookup_linear(Direction dir, const wire::FlowKey& flow) const;

  void set_cache_enabled(bool on);

  // Changes on every add, remove and clear: a cache of lookup results (the Engine's flow
  // cache) compares it to know it is still valid. Inline: read on every outbound packet.
  uint64_t generation() const { return generation_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t generation_ = 1;  // never 0, so that a zeroed cache entry never matches
};

}  // namespace portunus::ipsec
