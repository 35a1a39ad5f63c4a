#include "portunus/daemon/config_map.h"

#include <fmt/format.h>

namespace portunus::daemon {

namespace {

using std::chrono::seconds;

ike::Duration secs(uint64_t s) { return std::chrono::duration_cast<ike::Duration>(seconds(s)); }

ike::CloseAction map_action(config::SaAction a) {
  switch (a) {
    case config::SaAction::Trap:
      return ike::CloseAction::Trap;
    case config::SaAction::Start:
      return ike::CloseAction::Start;
    case config::SaAction::None:
    case config::SaAction::Clear:
      break;
  }
  return ike::CloseAction::None;
}

std::vector<ike::ConfiguredTs> map_ts(const std::vector<config::TrafficSelectorSpec>& specs) {
  std::vector<ike::ConfiguredTs> out;
  for (const auto& s : specs) out.push_back(ike::ConfiguredTs{s.selector, s.dynamic});
  return out;
}

}  // namespace

std::vector<IpAddress> concrete_addresses(const std::vector<config::AddressSpec>& specs) {
  std::vector<IpAddress> out;
  for (const auto& a : specs) {
    switch (a.kind) {
      case config::AddressSpec::Kind::Address:
        out.push_back(a.start);
        break;
      case config::AddressSpec::Kind::Prefix:
        if (a.prefix == (a.start.is_v4() ? 32u : 128u)) out.push_back(a.start);
        break;
      case config::AddressSpec::Kind::Range:
        if (a.start == a.end) out.push_back(a.start);
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<wire::TrafficSelector> resolve_selectors(const std::vector<ike::ConfiguredTs>& configured,
                                                     const std::vector<IpAddress>& own) {
  std::vector<wire::TrafficSelector> out;
  for (const auto& c : configured) {
    if (!c.dynamic) {
      out.push_back(c.ts);
    } else if (!own.empty()) {
      wire::TrafficSelector ts = c.ts;
      ts.start_addr = own.front();
      ts.end_addr = own.front();
      out.push_back(ts);
    }
  }
  return out;
}

Result<ike::EngineConfig> to_engine_config(const config::SwanctlConfig& config) {
  ike::EngineConfig ec;
  for (const auto& c : config.connections) {
    ike::ConnectionConfig cc;
    cc.name = c.name;
    for (const auto& a : c.local_addrs)
      if (a.kind == config::AddressSpec::Kind::Hostname)
        return make_error(fmt::format("{}:{}: connection {}: host names in local_addrs are not supported",
                                      c.where.at.file, c.where.at.line, c.name));
    for (const auto& a : c.remote_addrs)
      if (a.kind == config::AddressSpec::Kind::Hostname)
        return make_error(fmt::format("{}:{}: connection {}: host names in remote_addrs are not supported",
                                      c.where.at.file, c.where.at.line, c.name));
    cc.local_addrs = concrete_addresses(c.local_addrs);
    cc.remote_addrs = concrete_addresses(c.remote_addrs);
    cc.local_port = c.local_port;
    cc.remote_port = c.remote_port;
    cc.ike_proposals = c.proposals;
    if (c.local.size() > 1 || c.remote.size() > 1)
      return make_error(fmt::format("{}:{}: connection {}: multiple authentication rounds are not supported",
                                    c.where.at.file, c.where.at.line, c.name));
    if (!c.local.empty()) {
      if (c.local[0].auth != config::AuthClass::Psk)
        return make_error(fmt::format("{}:{}: connection {}: only auth = psk is supported", c.where.at.file,
                                      c.where.at.line, c.name));
      cc.local.auth = ike::AuthClass::Psk;
      if (c.local[0].id) cc.local.id = c.local[0].id->text;
    }
    if (!c.remote.empty()) {
      if (c.remote[0].auth != config::AuthClass::Psk)
        return make_error(fmt::format("{}:{}: connection {}: only auth = psk is supported", c.where.at.file,
                                      c.where.at.line, c.name));
      cc.remote.auth = ike::AuthClass::Psk;
      if (c.remote[0].id) cc.remote.id = c.remote[0].id->text;
    }
    cc.force_encap = c.encap;
    cc.dpd_delay = secs(c.dpd_delay);
    cc.ike_lifetimes.rekey_time = secs(c.rekey_time);
    uint64_t over = c.over_time ? c.over_time : std::max(c.rekey_time, c.reauth_time) / 10;
    cc.over_time = secs(over);
    cc.ike_lifetimes.rand_time = secs(c.rand_time ? c.rand_time : over);
    for (const auto& ch : c.children) {
      ike::ChildConfig k;
      k.name = ch.name;
      k.local_ts = map_ts(ch.local_ts);
      k.remote_ts = map_ts(ch.remote_ts);
      k.esp_proposals = ch.esp_proposals;
      k.mode = ch.mode == config::Mode::Tunnel ? ike::IpsecMode::Tunnel : ike::IpsecMode::Transport;
      k.reqid = ch.reqid;
      uint64_t life = ch.life_time ? ch.life_time : ch.rekey_time + ch.rekey_time / 10;
      k.lifetimes.rekey_time = secs(ch.rekey_time);
      k.lifetimes.life_time = secs(life);
      k.lifetimes.rand_time =
          secs(ch.rand_time ? ch.rand_time : (life > ch.rekey_time ? life - ch.rekey_time : 0));
      k.lifetimes.rekey_bytes = ch.rekey_bytes;
      k.lifetimes.life_bytes = ch.life_bytes;
      k.lifetimes.rekey_packets = ch.rekey_packets;
      k.lifetimes.life_packets = ch.life_packets;
      k.replay_window = ch.replay_window;
      switch (ch.start_action) {
        case config::StartAction::None:
          k.start_action = ike::StartAction::None;
          break;
        case config::StartAction::Trap:
        case config::StartAction::TrapStart:  // the daemon also initiates (see Daemon::apply_start_actions)
          k.start_action = ike::StartAction::Trap;
          break;
        case config::StartAction::Start:
          k.start_action = ike::StartAction::Start;
          break;
      }
      k.close_action = map_action(ch.close_action);
      k.dpd_action = map_action(ch.dpd_action);
      cc.children.push_back(std::move(k));
    }
    ec.connections.push_back(std::move(cc));
  }
  for (const auto& s : config.secrets) {
    ike::SharedSecret ss;
    for (const auto& id : s.ids) ss.ids.push_back(id.text);
    ss.secret = s.secret;
    ec.secrets.push_back(std::move(ss));
  }
  return ec;
}

}  // namespace portunus::daemon
