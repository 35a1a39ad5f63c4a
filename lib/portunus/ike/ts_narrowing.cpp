#include "portunus/ike/ts_narrowing.h"

#include <algorithm>

namespace portunus::ike {

namespace {

bool full_ports(const TrafficSelector& ts) { return ts.start_port == 0 && ts.end_port == 65535; }

// Port ranges as sets: OPAQUE is its own point, contained only in "any" and in OPAQUE.
std::optional<std::pair<uint16_t, uint16_t>> intersect_ports(const TrafficSelector& a,
                                                             const TrafficSelector& b) {
  const bool oa = is_opaque_ports(a), ob = is_opaque_ports(b);
  if (oa || ob) {
    if ((oa || full_ports(a)) && (ob || full_ports(b))) return std::pair<uint16_t, uint16_t>{65535, 0};
    return std::nullopt;
  }
  uint16_t lo = std::max(a.start_port, b.start_port);
  uint16_t hi = std::min(a.end_port, b.end_port);
  if (lo > hi) return std::nullopt;
  return std::pair{lo, hi};
}

void add_unique(std::vector<TrafficSelector>& v, const TrafficSelector& ts) {
  if (std::find(v.begin(), v.end(), ts) == v.end()) v.push_back(ts);
}

// Drops selectors wholly contained in another one of the list (the packet-triggering
// host/host selector inside the policy range it came with), keeping the first of equals.
std::vector<TrafficSelector> without_redundant(const std::vector<TrafficSelector>& in) {
  std::vector<TrafficSelector> out;
  for (size_t i = 0; i < in.size(); ++i) {
    bool redundant = false;
    for (size_t j = 0; j < in.size() && !redundant; ++j)
      if (i != j && is_subset(in[i], in[j]) && !(in[i] == in[j] && j > i)) redundant = true;
    if (!redundant) out.push_back(in[i]);
  }
  return out;
}

// All pairwise intersections of proposed x configured, in the proposal's order.
std::vector<TrafficSelector> intersect_all(std::span<const TrafficSelector> proposed,
                                           std::span<const TrafficSelector> config, bool& narrowed) {
  std::vector<TrafficSelector> out;
  for (const TrafficSelector& p : proposed) {
    bool whole = false;
    for (const TrafficSelector& c : config) {
      auto x = intersect(p, c);
      if (!x) continue;
      if (*x == p) whole = true;
      add_unique(out, *x);
    }
    if (!whole) narrowed = true;
  }
  return without_redundant(out);
}

}  // namespace

std::vector<TrafficSelector> resolve_dynamic(std::span<const ConfiguredTs> configured,
                                             const IpAddress& host) {
  std::vector<TrafficSelector> out;
  for (const ConfiguredTs& c : configured) {
    TrafficSelector ts = c.ts;
    if (c.dynamic) {
      // A dynamic selector keeps its family only if the host has it; its protocol and
      // ports still apply.
      if (c.ts.start_addr.family() != host.family()) continue;
      ts.start_addr = host;
      ts.end_addr = host;
    }
    if (ts_valid(ts)) add_unique(out, ts);
  }
  return out;
}

TrafficSelector host_selector(const IpAddress& addr) {
  TrafficSelector ts;
  ts.start_addr = addr;
  ts.end_addr = addr;
  return ts;
}

TrafficSelector prefix_selector(const IpAddress& addr, unsigned prefix) {
  TrafficSelector ts;
  ts.start_addr = addr.network(prefix);
  ts.end_addr = addr.broadcast(prefix);
  return ts;
}

bool is_opaque_ports(const TrafficSelector& ts) { return ts.start_port == 65535 && ts.end_port == 0; }

bool ts_valid(const TrafficSelector& ts) {
  if (ts.start_addr.family() != ts.end_addr.family()) return false;
  if (ts.end_addr < ts.start_addr) return false;
  return ts.start_port <= ts.end_port || is_opaque_ports(ts);
}

std::optional<TrafficSelector> intersect(const TrafficSelector& a, const TrafficSelector& b) {
  if (!ts_valid(a) || !ts_valid(b)) return std::nullopt;
  if (a.start_addr.family() != b.start_addr.family()) return std::nullopt;
  TrafficSelector out;
  if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) return std::nullopt;
  out.ip_protocol = a.ip_protocol != 0 ? a.ip_protocol : b.ip_protocol;
  auto ports = intersect_ports(a, b);
  if (!ports) return std::nullopt;
  out.start_port = ports->first;
  out.end_port = ports->second;
  out.start_addr = std::max(a.start_addr, b.start_addr);
  out.end_addr = std::min(a.end_addr, b.end_addr);
  if (out.end_addr < out.start_addr) return std::nullopt;
  return out;
}

bool is_subset(const TrafficSelector& inner, const TrafficSelector& outer) {
  auto x = intersect(inner, outer);
  return x && *x == inner;
}

std::optional<NarrowedTs> narrow(std::span<const TrafficSelector> tsi, std::span<const TrafficSelector> tsr,
                                 std::span<const TrafficSelector> remote_config,
                                 std::span<const TrafficSelector> local_config) {
  NarrowedTs out;
  out.tsi = intersect_all(tsi, remote_config, out.narrowed);
  out.tsr = intersect_all(tsr, local_config, out.narrowed);
  if (out.tsi.empty() || out.tsr.empty()) return std::nullopt;
  return out;
}

std::optional<size_t> select_by_trigger(std::span<const TrafficSelector> tsi,
                                        std::span<const TrafficSelector> tsr,
                                        std::span<const std::vector<TrafficSelector>> remote_configs,
                                        std::span<const std::vector<TrafficSelector>> local_configs) {
  const size_t n = std::min(remote_configs.size(), local_configs.size());
  auto covers = [](const std::vector<TrafficSelector>& config, const TrafficSelector& ts) {
    return std::any_of(config.begin(), config.end(),
                       [&](const TrafficSelector& c) { return is_subset(ts, c); });
  };
  if (!tsi.empty() && !tsr.empty()) {
    for (size_t i = 0; i < n; ++i)
      if (covers(remote_configs[i], tsi[0]) && covers(local_configs[i], tsr[0])) return i;
  }
  for (size_t i = 0; i < n; ++i)
    if (narrow(tsi, tsr, remote_configs[i], local_configs[i])) return i;
  return std::nullopt;
}

bool reply_within(std::span<const TrafficSelector> reply, std::span<const TrafficSelector> proposed) {
  if (reply.empty()) return false;
  return std::all_of(reply.begin(), reply.end(), [&](const TrafficSelector& r) {
    return std::any_of(proposed.begin(), proposed.end(),
                       [&](const TrafficSelector& p) { return is_subset(r, p); });
  });
}

}  // namespace portunus::ike
