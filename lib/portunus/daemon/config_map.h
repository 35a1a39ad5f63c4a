#pragma once
// Maps the swanctl.conf model (config::SwanctlConfig) onto what the IKE engine needs
// (ike::EngineConfig). Things only the daemon knows are resolved here: "dynamic" selectors
// become the connection's own addresses, %any becomes "no restriction".
#include <string>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/config/swanctl.h"
#include "portunus/ike/peer_config.h"

namespace portunus::daemon {

Result<ike::EngineConfig> to_engine_config(const config::SwanctlConfig& config);

// Concrete single addresses of an address list (Address, or Prefix/Range of one address);
// %any and real ranges give nothing (they only restrict whom we answer).
std::vector<IpAddress> concrete_addresses(const std::vector<config::AddressSpec>& specs);

// Selectors for a trap policy, before any IKE SA exists: a dynamic entry becomes the first
// concrete address of that side (`own`), or is left out when there is none.
std::vector<wire::TrafficSelector> resolve_selectors(const std::vector<ike::ConfiguredTs>& configured,
                                                     const std::vector<IpAddress>& own);

}  // namespace portunus::daemon
