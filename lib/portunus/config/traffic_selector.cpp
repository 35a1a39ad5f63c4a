#include "portunus/config/traffic_selector.h"

#include "portunus/config/values.h"

namespace portunus::config {

namespace {

struct NamedNumber {
  const char* name;
  uint16_t number;
};

// IANA protocol numbers under the names /etc/protocols and strongSwan use.
constexpr NamedNumber kProtocols[] = {
    {"icmp", 1},  {"igmp", 2},      {"ipencap", 4}, {"tcp", 6},        {"udp", 17},      {"ipv6", 41},
    {"gre", 47},  {"esp", 50},      {"ah", 51},     {"ipv6-icmp", 58}, {"icmp6", 58},    {"icmpv6", 58},
    {"ospf", 89}, {"ipv6-mh", 135}, {"mh", 135},    {"sctp", 132},     {"udplite", 136},
};

// A small fixed services table (IANA port numbers).
constexpr NamedNumber kServices[] = {
    {"ftp-data", 20}, {"ftp", 21},    {"ssh", 22},     {"telnet", 23},        {"smtp", 25},
    {"domain", 53},   {"bootps", 67}, {"bootpc", 68},  {"tftp", 69},          {"http", 80},
    {"pop3", 110},    {"ntp", 123},   {"imap", 143},   {"snmp", 161},         {"snmp-trap", 162},
    {"ldap", 389},    {"https", 443}, {"isakmp", 500}, {"syslog", 514},       {"submission", 587},
    {"ldaps", 636},   {"imaps", 993}, {"pop3s", 995},  {"ipsec-nat-t", 4500},
};

Result<unsigned> parse_prefix_len(std::string_view s, unsigned max) {
  auto n = parse_uint(s, max);
  if (!n || s.size() > 3 || (s.size() > 1 && s[0] == '0')) {
    return make_error("invalid prefix length '" + std::string(s) + "'");
  }
  return static_cast<unsigned>(*n);
}

Result<IpAddress> parse_addr(std::string_view s) {
  auto a = IpAddress::parse(s);
  if (!a) return make_error("invalid address '" + std::string(s) + "'");
  return *a;
}

// Fills selector ports from "[proto/port]" content.
Result<void> parse_proto_port(std::string_view spec, wire::TrafficSelector& ts) {
  std::string_view proto = spec, port;
  bool has_port = false;
  if (auto slash = spec.find('/'); slash != std::string_view::npos) {
    proto = spec.substr(0, slash);
    port = spec.substr(slash + 1);
    has_port = true;
  }
  proto = trim(proto);
  port = trim(port);
  if (proto.empty() || proto == "%any" || proto == "any") {
    ts.ip_protocol = 0;
  } else if (auto p = ip_protocol_from_name(lower(proto))) {
    ts.ip_protocol = *p;
  } else if (auto n = parse_uint(proto, 255)) {
    ts.ip_protocol = static_cast<uint8_t>(*n);
  } else {
    return make_error("unknown protocol '" + std::string(proto) + "'");
  }
  if (!has_port || port == "%any" || port == "any" || port.empty()) return {};
  if (port == "%opaque") return make_error("OPAQUE ports (%opaque) are not supported");
  if (ts.ip_protocol == 0) return make_error("a port needs a protocol ('" + std::string(spec) + "')");
  if (protocol_uses_type(ts.ip_protocol)) {
    auto v = parse_uint(port, 65535);
    if (!v) return make_error("invalid message type '" + std::string(port) + "'");
    if (*v < 256) {
      ts.start_port = static_cast<uint16_t>(*v << 8);
      ts.end_port = static_cast<uint16_t>((*v << 8) | 0xff);
    } else {
      ts.start_port = ts.end_port = static_cast<uint16_t>(*v);
    }
    return {};
  }
  if (ts.ip_protocol != 6 && ts.ip_protocol != 17 && ts.ip_protocol != 132 && ts.ip_protocol != 136) {
    return make_error("protocol " + std::to_string(ts.ip_protocol) + " has no ports");
  }
  auto one_port = [](std::string_view p) -> std::optional<uint16_t> {
    if (auto n = parse_uint(p, 65535)) return static_cast<uint16_t>(*n);
    return port_from_service(lower(p));
  };
  std::string_view lo = port, hi = port;
  if (auto dash = port.find('-'); dash != std::string_view::npos && dash > 0) {
    lo = port.substr(0, dash);
    hi = port.substr(dash + 1);
  }
  auto a = one_port(lo), b = one_port(hi);
  if (!a || !b) return make_error("invalid port '" + std::string(port) + "'");
  if (*a > *b) return make_error("port range '" + std::string(port) + "' is reversed");
  ts.start_port = *a;
  ts.end_port = *b;
  return {};
}

}  // namespace

std::optional<uint8_t> ip_protocol_from_name(std::string_view name) {
  for (const auto& p : kProtocols) {
    if (name == p.name) return static_cast<uint8_t>(p.number);
  }
  return std::nullopt;
}

std::string ip_protocol_name(uint8_t proto) {
  for (const auto& p : kProtocols) {
    if (p.number == proto) return p.name;  // first name in the table is the canonical one
  }
  return std::to_string(proto);
}

std::optional<uint16_t> port_from_service(std::string_view name) {
  for (const auto& s : kServices) {
    if (name == s.name) return s.number;
  }
  return std::nullopt;
}

bool protocol_uses_type(uint8_t proto) { return proto == 1 || proto == 58 || proto == 135; }

std::optional<unsigned> range_prefix(const IpAddress& start, const IpAddress& end) {
  if (start.family() != end.family()) return std::nullopt;
  unsigned bits = start.is_v4() ? 32 : 128;
  for (unsigned p = 0; p <= bits; ++p) {
    if (start.network(p) == start && start.broadcast(p) == end) return p;
  }
  return std::nullopt;
}

Result<TrafficSelectorSpec> parse_traffic_selector(std::string_view text) {
  text = trim(text);
  TrafficSelectorSpec out;
  std::string_view addr = text;
  if (auto open = text.find('['); open != std::string_view::npos) {
    if (text.back() != ']') return make_error("traffic selector '" + std::string(text) + "': missing ']'");
    addr = trim(text.substr(0, open));
    auto r = parse_proto_port(text.substr(open + 1, text.size() - open - 2), out.selector);
    if (!r) return make_error("traffic selector '" + std::string(text) + "': " + r.error().message);
  }
  auto fail = [&](const Error& e) {
    return make_error("traffic selector '" + std::string(text) + "': " + e.message);
  };
  if (addr.empty() || addr == "dynamic" || addr == "%dynamic") {
    out.dynamic = true;
    return out;
  }
  if (addr == "%any" || addr == "%any4") {
    out.selector.start_addr = IpAddress::any(IpFamily::V4);
    out.selector.end_addr = IpAddress::all_ones(IpFamily::V4);
    return out;
  }
  if (addr == "%any6") {
    out.selector.start_addr = IpAddress::any(IpFamily::V6);
    out.selector.end_addr = IpAddress::all_ones(IpFamily::V6);
    return out;
  }
  if (auto slash = addr.find('/'); slash != std::string_view::npos) {
    auto a = parse_addr(addr.substr(0, slash));
    if (!a) return fail(a.error());
    auto p = parse_prefix_len(addr.substr(slash + 1), a->is_v4() ? 32 : 128);
    if (!p) return fail(p.error());
    out.selector.start_addr = a->network(*p);
    out.selector.end_addr = a->broadcast(*p);
    return out;
  }
  if (auto dash = addr.find('-'); dash != std::string_view::npos) {
    auto a = parse_addr(trim(addr.substr(0, dash)));
    if (!a) return fail(a.error());
    auto b = parse_addr(trim(addr.substr(dash + 1)));
    if (!b) return fail(b.error());
    if (a->family() != b->family()) return fail(Error{"range mixes IPv4 and IPv6"});
    if (*b < *a) return fail(Error{"range end is below its start"});
    out.selector.start_addr = *a;
    out.selector.end_addr = *b;
    return out;
  }
  auto a = parse_addr(addr);
  if (!a) return fail(a.error());
  out.selector.start_addr = out.selector.end_addr = *a;
  return out;
}

Result<std::vector<TrafficSelectorSpec>> parse_traffic_selectors(std::string_view text) {
  std::vector<TrafficSelectorSpec> out;
  // Commas separate selectors, but never inside [...] (no commas there in this syntax anyway).
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) return make_error("empty traffic selector in '" + std::string(text) + "'");
    auto ts = parse_traffic_selector(item);
    if (!ts) return Unexpected<Error>(ts.error());
    out.push_back(*ts);
  }
  return out;
}

std::string traffic_selector_to_string(const TrafficSelectorSpec& spec) {
  const auto& ts = spec.selector;
  std::string out;
  if (spec.dynamic) {
    out = "dynamic";
  } else if (auto p = range_prefix(ts.start_addr, ts.end_addr)) {
    out = ts.start_addr.to_string() + "/" + std::to_string(*p);
  } else {
    out = ts.start_addr.to_string() + "-" + ts.end_addr.to_string();
  }
  bool any_port = ts.start_port == 0 && ts.end_port == 65535;
  if (ts.ip_protocol == 0 && any_port) return out;
  out += "[" + (ts.ip_protocol == 0 ? std::string("%any") : ip_protocol_name(ts.ip_protocol));
  if (!any_port) {
    out += "/";
    if (protocol_uses_type(ts.ip_protocol) && (ts.start_port & 0xff) == 0 &&
        ts.end_port == (ts.start_port | 0xff)) {
      out += std::to_string(ts.start_port >> 8);
    } else if (ts.start_port == ts.end_port) {
      out += std::to_string(ts.start_port);
    } else {
      out += std::to_string(ts.start_port) + "-" + std::to_string(ts.end_port);
    }
  }
  out += "]";
  return out;
}

}  // namespace portunus::config
