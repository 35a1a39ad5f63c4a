#include "portunus/config/setkey_ipsec.h"

#include <algorithm>

#include "portunus/config/traffic_selector.h"

namespace portunus::config::setkey {

namespace {

Unexpected<Error> fail(const Command& c, const std::string& message) {
  return make_error(c.where.file + ":" + std::to_string(c.where.line) + ": " + message);
}

bool is_local(const IpAddress& a, const std::vector<IpAddress>& locals) {
  return std::find(locals.begin(), locals.end(), a) != locals.end();
}

ipsec::Range16 port_range(const Endpoint& e) {
  if (!e.port) return {};
  return {*e.port, *e.port};
}

}  // namespace

Result<ipsec::SaParams> to_sa_params(const Command& c, const std::vector<IpAddress>& local_addresses) {
  if (c.op != Op::Add) return fail(c, "only 'add' installs an SA");
  const SaSpec& sa = c.sa;
  bool src_local = is_local(sa.src.address, local_addresses);
  bool dst_local = is_local(sa.dst.address, local_addresses);
  if (src_local && dst_local) {
    return fail(c, "both " + sa.src.address.to_string() + " and " + sa.dst.address.to_string() +
                       " are local addresses: the SA's direction is ambiguous");
  }
  if (!src_local && !dst_local) {
    return fail(c, "neither " + sa.src.address.to_string() + " nor " + sa.dst.address.to_string() +
                       " is a local address");
  }
  if (!sa.encr) return fail(c, "no encryption algorithm");
  ipsec::SaParams p;
  p.direction = dst_local ? ipsec::Direction::Inbound : ipsec::Direction::Outbound;
  const Endpoint& local = dst_local ? sa.dst : sa.src;
  const Endpoint& remote = dst_local ? sa.src : sa.dst;
  p.spi = sa.spi;
  p.mode = sa.mode == Mode::Tunnel ? ipsec::Mode::Tunnel : ipsec::Mode::Transport;
  p.local = local.address;
  p.remote = remote.address;
  if (sa.protocol == SaProtocol::EspUdp) {
    if (!local.port || !remote.port) return fail(c, "esp-udp needs both ports");
    p.udp_encap = ipsec::UdpEncap{*local.port, *remote.port};
  }
  p.encr = *sa.encr;
  p.encr_key_bits = sa.encr_key_bits;
  p.encr_keymat = sa.encr_key;
  p.integ = sa.integ.value_or(crypto::IntegId::None);
  p.integ_key = sa.integ_key;
  p.esn = false;  // setkey has no way to ask for ESN
  p.reqid = sa.reqid;
  p.replay_window = sa.replay_window;
  p.soft.seconds = sa.soft_seconds;
  p.soft.bytes = sa.soft_bytes;
  p.hard.seconds = sa.hard_seconds;
  p.hard.bytes = sa.hard_bytes;
  return p;
}

Result<ipsec::Policy> to_policy(const Command& c) {
  if (c.op != Op::SpdAdd) return fail(c, "only 'spdadd' installs a policy");
  const PolicySpec& ps = c.policy;
  if (ps.direction == Direction::Fwd) {
    return fail(c, "fwd policies are not supported (the data plane evaluates inbound and outbound only)");
  }
  const bool out = ps.direction == Direction::Out;
  const Endpoint& local = out ? ps.src : ps.dst;
  const Endpoint& remote = out ? ps.dst : ps.src;

  ipsec::Policy p;
  p.direction = out ? ipsec::Direction::Outbound : ipsec::Direction::Inbound;
  ipsec::Selector& s = p.selector;
  s.local = ipsec::AddressRange::prefix(local.address, local.prefix_len);
  s.remote = ipsec::AddressRange::prefix(remote.address, remote.prefix_len);
  s.protocol = ps.upper_protocol.value_or(ipsec::kAnyProtocol);
  const bool has_ports = s.protocol == 6 || s.protocol == 17 || s.protocol == 132 || s.protocol == 136;
  if ((local.port || remote.port) && !has_ports) {
    return fail(c, "ports need an upper-layer protocol with ports (tcp, udp, sctp)");
  }
  s.local_port = port_range(local);
  s.remote_port = port_range(remote);
  if (ps.type) {
    if (s.protocol == 135) {
      s.mh_type = {*ps.type, *ps.type};
    } else {
      s.icmp_type = {*ps.type, *ps.type};
      if (ps.code && *ps.code != 0) s.icmp_code = {*ps.code, *ps.code};
    }
  }
  p.priority = static_cast<uint32_t>(ps.priority.value_or(int64_t{1} << 31));

  switch (ps.action) {
    case PolicyAction::Discard:
      p.action = ipsec::Action::Discard;
      return p;
    case PolicyAction::None:
      p.action = ipsec::Action::Bypass;
      return p;
    case PolicyAction::Ipsec:
      break;
  }
  if (ps.requests.size() != 1) {
    return fail(c,
                "only one request (esp) per policy is supported, not " + std::to_string(ps.requests.size()));
  }
  const IpsecRequest& r = ps.requests[0];
  if (r.level == Level::Use) return fail(c, "level 'use' (SA optional) is not supported; use require");
  if (r.level == Level::Unique && r.unique_id == 0) {
    return fail(c, "level 'unique' needs an explicit id here: write unique:N matching the SAs' -u N");
  }
  p.action = ipsec::Action::Protect;
  p.mode = r.mode == Mode::Tunnel ? ipsec::Mode::Tunnel : ipsec::Mode::Transport;
  if (p.mode == ipsec::Mode::Tunnel) {
    if (!r.tunnel_src || !r.tunnel_dst) return fail(c, "tunnel mode without endpoints");
    p.tunnel_local = out ? *r.tunnel_src : *r.tunnel_dst;
    p.tunnel_remote = out ? *r.tunnel_dst : *r.tunnel_src;
  }
  p.reqid = r.unique_id;
  return p;
}

}  // namespace portunus::config::setkey
