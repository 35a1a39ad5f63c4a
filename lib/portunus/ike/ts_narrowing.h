#pragma once
// Traffic selector negotiation (RFC 7296 2.9). The initiator proposes TSi (its side) and
// TSr (the responder's side); the responder intersects them with its configured
// remote_ts (against TSi) and local_ts (against TSr) and answers with the intersections,
// or TS_UNACCEPTABLE when either side comes out empty. The initiator then checks that
// what came back is a subset of what it proposed.
//
// Packet-triggered SAs: the initiator may put the exact selector of the packet that
// triggered the negotiation first in TSi and TSr. Intersection keeps it wherever policy
// allows, and a narrowed result that already contains it drops it as redundant, so the
// answer is the widest acceptable range containing the packet. select_by_trigger() lets
// the caller pick, among several configured children, the one whose policy covers that
// packet, as 2.9 asks.
//
// Selector semantics (RFC 7296 3.13.1, RFC 4301 4.4.1.1): ip_protocol 0 is "any"; a port
// range 0..65535 is "any"; start 65535 > end 0 is OPAQUE (ports not available), which
// only "any" or OPAQUE contains. For ICMP the ports carry type<<8|code ranges and
// intersect the same way.
#include <optional>
#include <span>
#include <vector>

#include "portunus/base/ip_address.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::ike {

using wire::TrafficSelector;

// A selector as configured (swanctl local_ts / remote_ts); `dynamic` stands for the
// address of the host it describes (ours for local_ts, the peer's for remote_ts), known
// only when the IKE SA exists. ts.ip_protocol and ports apply to a dynamic one too.
struct ConfiguredTs {
  TrafficSelector ts;
  bool dynamic = false;
};

// Replaces dynamic entries with host/host (single address) selectors; dynamic entries of
// the other family than `host` are dropped, as is any invalid selector.
std::vector<TrafficSelector> resolve_dynamic(std::span<const ConfiguredTs> configured, const IpAddress& host);

// Selector for exactly one address, any protocol and port.
TrafficSelector host_selector(const IpAddress& addr);
// Selector covering a prefix (e.g. 10.0.0.0/8), any protocol and port.
TrafficSelector prefix_selector(const IpAddress& addr, unsigned prefix);

bool is_opaque_ports(const TrafficSelector& ts);
// Well formed: both addresses of one family, start <= end, ports start <= end or OPAQUE.
bool ts_valid(const TrafficSelector& ts);
// Intersection, or nullopt when disjoint (or either is invalid).
std::optional<TrafficSelector> intersect(const TrafficSelector& a, const TrafficSelector& b);
// inner is entirely inside outer.
bool is_subset(const TrafficSelector& inner, const TrafficSelector& outer);

struct NarrowedTs {
  std::vector<TrafficSelector> tsi;
  std::vector<TrafficSelector> tsr;
  // Something proposed was cut away: the responder MAY add ADDITIONAL_TS_POSSIBLE (2.9).
  bool narrowed = false;
};

// Responder: the TSi/TSr to answer with, or nullopt for TS_UNACCEPTABLE. `remote_config`
// and `local_config` are the resolved (resolve_dynamic) policies of one child.
std::optional<NarrowedTs> narrow(std::span<const TrafficSelector> tsi, std::span<const TrafficSelector> tsr,
                                 std::span<const TrafficSelector> remote_config,
                                 std::span<const TrafficSelector> local_config);

// Responder with several children: the index of the first whose policy contains the
// packet-triggering pair (tsi[0], tsr[0]), else the first that narrows to something;
// nullopt if none does.
std::optional<size_t> select_by_trigger(std::span<const TrafficSelector> tsi,
                                        std::span<const TrafficSelector> tsr,
                                        std::span<const std::vector<TrafficSelector>> remote_configs,
                                        std::span<const std::vector<TrafficSelector>> local_configs);

// Initiator: every selector of the reply lies within some selector we proposed, and the
// reply is not empty.
bool reply_within(std::span<const TrafficSelector> reply, std::span<const TrafficSelector> proposed);

}  // namespace portunus::ike
