#pragma once
// strongSwan's traffic selector syntax for local_ts / remote_ts:
//   10.0.0.0/24   192.0.2.1-192.0.2.9   2001:db8::/32   192.0.2.7   dynamic
// each optionally followed by [protocol/port]: protocol is a name (tcp, udp, icmp, ipv6-icmp,
// mh, ...), a number or %any; port is a number, a range lo-hi, a service name or %any.
// "[tcp/http]" with no address means dynamic. For ICMP, ICMPv6 and the Mobility Header
// (135) the "port" is the message type as RFC 4301 4.4.1.1 encodes it: a value below 256 is a
// type (any code: type<<8 .. type<<8|0xff), 256 and above is type<<8|code.
#include <string>
#include <string_view>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/wire/ike_proposal.h"

namespace portunus::config {

struct TrafficSelectorSpec {
  // "dynamic": the address is filled in at negotiation time with the IKE (or virtual) address;
  // selector.ip_protocol and ports are valid, its addresses are not.
  bool dynamic = false;
  wire::TrafficSelector selector;
  friend bool operator==(const TrafficSelectorSpec&, const TrafficSelectorSpec&) = default;
};

Result<TrafficSelectorSpec> parse_traffic_selector(std::string_view text);
// A comma-separated list.
Result<std::vector<TrafficSelectorSpec>> parse_traffic_selectors(std::string_view text);

// Written back in the syntax above (a prefix where the range is one, a range otherwise).
std::string traffic_selector_to_string(const TrafficSelectorSpec& ts);

// Protocol names used by both the selector syntax and setkey ("tcp" -> 6); nullopt if unknown.
std::optional<uint8_t> ip_protocol_from_name(std::string_view name);
std::string ip_protocol_name(uint8_t proto);
// Service names for ports ("http" -> 80); a fixed table so results never depend on the host.
std::optional<uint16_t> port_from_service(std::string_view name);

// Whether the protocol carries a message type (ICMP, ICMPv6, MH) in the port fields.
bool protocol_uses_type(uint8_t proto);

// Prefix length if [start, end] is exactly one CIDR block, else nullopt.
std::optional<unsigned> range_prefix(const IpAddress& start, const IpAddress& end);

}  // namespace portunus::config
