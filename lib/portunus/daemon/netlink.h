#pragma once
// Just enough rtnetlink for a user-space VPN: bring the TUN device up with an MTU, add and
// remove routes in our own table, and the policy rules that send every packet WITHOUT our
// fwmark through that table (so our own marked IKE/ESP packets use the main table and never
// loop into the TUN device). Plus the pure helpers that turn selector ranges into prefixes.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/base/ip_address.h"
#include "portunus/daemon/sockets.h"

namespace portunus::daemon {

struct Prefix {
  IpAddress addr;
  unsigned length = 0;
  friend bool operator==(const Prefix&, const Prefix&) = default;
  friend auto operator<=>(const Prefix& a, const Prefix& b) {
    if (auto c = a.addr <=> b.addr; c != 0) return c;
    return a.length <=> b.length;
  }
};

std::string to_string(const Prefix& p);

// The smallest list of prefixes covering exactly [start, end] (same family, start <= end).
std::vector<Prefix> range_to_prefixes(const IpAddress& start, const IpAddress& end);

// An address configured on this host inside [start, end], to use as the routes' preferred
// source (so locally generated packets carry an address the peer's selectors accept).
std::optional<IpAddress> local_address_in(const IpAddress& start, const IpAddress& end);

// Every address configured on this host (getifaddrs), both families.
std::vector<IpAddress> local_addresses();

class Netlink {
 public:
  static Result<Netlink> open();
  Result<void> link_up(int ifindex, uint32_t mtu);
  Result<void> route(bool add, const Prefix& dst, int ifindex, uint32_t table,
                     const std::optional<IpAddress>& src);
  // "not fwmark MARK/MASK lookup TABLE" (invert) at `priority`.
  Result<void> rule(bool add, IpFamily family, uint32_t fwmark, uint32_t table, uint32_t priority);

 private:
  Result<void> transact(void* msg, size_t len);
  Fd fd_;
  uint32_t seq_ = 1;
};

}  // namespace portunus::daemon
