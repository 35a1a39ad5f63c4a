#pragma once
// setkey commands -> what the data plane installs: `add` becomes ipsec::SaParams, `spdadd`
// an ipsec::Policy. The daemon (`portunusctl setkey -f`) calls these and hands the results to
// ipsec::Engine::install_sa / add_policy. Errors read "file:line: message".
//
// Mapping decisions (setkey is written from the kernel's point of view, ipsec:: from this
// host's):
//  - An SA is inbound when its destination is one of `local_addresses`, outbound when its
//    source is; local/remote follow from that.
//  - -m any (setkey's default) is transport mode, as on Linux.
//  - No -r means no replay check (setkey(8)); -r N is a window of N packets.
//  - `-P out`: local = src, remote = dst; `-P in`: local = dst, remote = src, tunnel
//    endpoints likewise. fwd policies are refused (the engine has inbound and outbound only).
//  - Priorities keep the PF_KEY scale (smaller wins; no `prio` = "def" = 2^31), so the order
//    within a setkey file is what Linux would do.
//  - Levels require, default and unique:N give PROTECT (unique:N sets the reqid); use (SA
//    optional) and unique without a number have no equivalent and are refused.
//  - icmp/icmp6 "type,code": a zero code is any code (setkey(8)); after 135, type is the MH type.
#include <vector>

#include "portunus/base/error.h"
#include "portunus/config/setkey.h"
#include "portunus/ipsec/policy.h"
#include "portunus/ipsec/sad.h"

namespace portunus::config::setkey {

Result<ipsec::SaParams> to_sa_params(const Command& add, const std::vector<IpAddress>& local_addresses);
Result<ipsec::Policy> to_policy(const Command& spdadd);

}  // namespace portunus::config::setkey
