#include "portunus/daemon/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "portunus/config/proposal_keywords.h"
#include "portunus/config/setkey.h"
#include "portunus/config/setkey_ipsec.h"
#include "portunus/config/traffic_selector.h"
#include "portunus/crypto/random.h"
#include "portunus/daemon/config_map.h"
#include "portunus/daemon/key_export.h"
#include "portunus/daemon/log.h"

namespace portunus::daemon {

namespace {

// Room in front of a received ESP payload for the outer IPv6 + UDP header we rebuild for the
// packet API (which takes whole IP packets); also enough for outbound headers.
constexpr size_t kHeadroom = ipsec::kRecommendedHeadroom;
constexpr size_t kBufferSize = kHeadroom + 65536 + ipsec::kRecommendedTailroom;

std::string mode_name(ike::IpsecMode m) { return m == ike::IpsecMode::Tunnel ? "tunnel" : "transport"; }

std::string ts_string(const wire::TrafficSelector& ts) {
  return config::traffic_selector_to_string(config::TrafficSelectorSpec{false, ts});
}

nlohmann::json ts_list(const std::vector<wire::TrafficSelector>& v) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& t : v) j.push_back(ts_string(t));
  return j;
}

// SPIs as people write them: decimal or 0x-prefixed hex.
std::optional<uint32_t> parse_spi(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(text.c_str(), &end, 0);
  if (errno != 0 || end == nullptr || *end != '\0' || v > 0xffffffffUL) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::string spi_hex(uint32_t spi) { return fmt::format("{:08x}", spi); }

std::string endpoint_string(const ike::Endpoint& e) {
  return fmt::format("{}[{}]", e.addr.to_string(), e.port);
}

// Writes an outer IPv4/IPv6 (+ UDP) header in front of `payload_offset` so that the packet
// API sees the ESP packet as it arrived on the wire. Returns the new start offset.
size_t prepend_outer(uint8_t* buf, size_t payload_offset, size_t payload_len, const SockAddr& src,
                     const SockAddr& dst, bool udp) {
  size_t udp_len = udp ? 8 + payload_len : 0;
  size_t l3 = src.addr.is_v4() ? 20 : 40;
  size_t start = payload_offset - (udp ? 8 : 0) - l3;
  uint8_t* p = buf + start;
  if (src.addr.is_v4()) {
    std::memset(p, 0, 20);
    p[0] = 0x45;
    store_be16(p + 2, static_cast<uint16_t>(20 + (udp ? udp_len : payload_len)));
    p[8] = 64;
    p[9] = udp ? 17 : 50;
    std::memcpy(p + 12, src.addr.data(), 4);
    std::memcpy(p + 16, dst.addr.data(), 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += load_be16(p + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    store_be16(p + 10, static_cast<uint16_t>(~sum));
  } else {
    std::memset(p, 0, 40);
    p[0] = 0x60;
    store_be16(p + 4, static_cast<uint16_t>(udp ? udp_len : payload_len));
    p[6] = udp ? 17 : 50;
    p[7] = 64;
    std::memcpy(p + 8, src.addr.data(), 16);
    std::memcpy(p + 24, dst.addr.data(), 16);
  }
  if (udp) {
    uint8_t* u = p + l3;
    store_be16(u, src.port);
    store_be16(u + 2, dst.port);
    store_be16(u + 4, static_cast<uint16_t>(udp_len));
    store_be16(u + 6, 0);  // the kernel verified the real checksum already
  }
  return start;
}

std::optional<wire::TrafficSelector> flow_ts(const wire::FlowKey& f, bool source) {
  wire::TrafficSelector ts;
  IpAddress a = source ? f.src_address() : f.dst_address();
  ts.start_addr = a;
  ts.end_addr = a;
  ts.ip_protocol = f.protocol;
  if ((f.protocol == 6 || f.protocol == 17 || f.protocol == 132) && !f.ports_opaque) {
    uint16_t port = source ? f.src_port : f.dst_port;
    ts.start_port = port;
    ts.end_port = port;
  }
  return ts;
}

// Dummy packets (RFC 4303 2.6) as a configured child asks for them (Portunus extension keys
// dummy_packets / dummy_packet_size); the engine generates them, see Daemon::run.
void apply_dummy_options(ipsec::ProcessingOptions& o, const config::ChildConfig& ch) {
  o.dummy_packets = ch.dummy_packets != 0;
  o.dummy_interval = static_cast<uint32_t>(std::min<uint64_t>(ch.dummy_packets, UINT32_MAX));
  o.dummy_min_len = static_cast<uint16_t>(ch.dummy_size_min);
  o.dummy_max_len = static_cast<uint16_t>(ch.dummy_size_max);
}

const config::ChildConfig* find_child(const config::SwanctlConfig& c, const std::string& conn,
                                      const std::string& child) {
  for (const auto& cc : c.connections)
    if (cc.name == conn)
      for (const auto& ch : cc.children)
        if (ch.name == child) return &ch;
  return nullptr;
}

}  // namespace

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)), buffer_(kBufferSize) {}

Daemon::~Daemon() { shutdown(); }

ike::Instant Daemon::ike_now() const {
  return std::chrono::time_point_cast<ike::Duration>(std::chrono::steady_clock::now());
}

ipsec::Seconds Daemon::ipsec_now() const {
  return static_cast<ipsec::Seconds>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

Result<void> Daemon::load_config(const std::string& path, config::SwanctlConfig* out,
                                 ike::EngineConfig* engine, CredentialInventory* credentials) {
  auto cfg = config::load_swanctl_file(path);
  if (!cfg) return make_error(cfg.error().message);
  CredentialInventory inventory;
  auto ec = to_engine_config(*cfg, MapOptions{confdir_of(path)}, &inventory);
  if (!ec) return make_error(ec.error().message);
  ec->export_keys = !options_.key_export_dir.empty();
  ec->retransmit.timeout = ike::Duration(options_.retransmit_timeout_ms);
  ec->retransmit.base = options_.retransmit_base;
  ec->retransmit.tries = options_.retransmit_tries;
  ec->fragment_size = options_.fragment_size;
  for (auto& c : ec->connections)
    if (std::find(options_.minimal_initiator.begin(), options_.minimal_initiator.end(), c.name) !=
        options_.minimal_initiator.end())
      c.minimal_initiator = true;
  *out = std::move(*cfg);
  *engine = std::move(*ec);
  *credentials = std::move(inventory);
  return {};
}

Result<void> Daemon::open_sockets() {
  for (IpFamily fam : {IpFamily::V4, IpFamily::V6}) {
    const char* famname = fam == IpFamily::V4 ? "IPv4" : "IPv6";
    for (uint16_t port : {options_.ike_port, options_.natt_port}) {
      auto s = UdpSocket::open(fam, port, options_.fwmark);
      if (!s) {
        // A host without IPv6 still works over IPv4.
        if (fam == IpFamily::V6) {
          log(Subsys::Net, Level::Warn, "no {} socket on port {}: {}", famname, port, s.error().message);
          continue;
        }
        return make_error(s.error().message);
      }
      auto sock = std::make_unique<UdpSocket>(std::move(*s));
      UdpSocket* raw_ptr = sock.get();
      auto added = loop_.add_fd(sock->fd(), EPOLLIN, [this, raw_ptr](uint32_t) { on_udp(*raw_ptr); });
      if (!added) return added;
      log(Subsys::Net, Level::Info, "listening on UDP {} port {}", famname, port);
      udp_.push_back(std::move(sock));
    }
    auto r = RawEspSocket::open(fam, options_.fwmark);
    if (!r) {
      log(Subsys::Net, Level::Warn, "no raw ESP socket for {}: {} (plain ESP disabled)", famname,
          r.error().message);
      continue;
    }
    auto sock = std::make_unique<RawEspSocket>(std::move(*r));
    RawEspSocket* ptr = sock.get();
    auto added = loop_.add_fd(sock->fd(), EPOLLIN, [this, ptr](uint32_t) { on_raw(*ptr); });
    if (!added) return added;
    raw_.push_back(std::move(sock));
  }
  return {};
}

Result<void> Daemon::start() {
  if (!loop_.ok()) return make_error("epoll_create failed");
  ike::EngineConfig ec;
  if (auto r = load_config(options_.config_path, &config_, &ec, &credentials_); !r) return r;
  log(Subsys::Cfg, Level::Info, "loaded {} connection(s), {} secret(s) from {}", config_.connections.size(),
      config_.secrets.size(), options_.config_path);
  if (!credentials_.certs.empty())
    log(Subsys::Cfg, Level::Info, "loaded {} certificate(s), {} CRL file(s)", credentials_.certs.size(),
        credentials_.crl_files.size());

  auto nl = Netlink::open();
  if (!nl) return make_error(nl.error().message);
  netlink_.emplace(std::move(*nl));
  auto tun = TunDevice::open(options_.tun_name);
  if (!tun) return make_error(tun.error().message);
  tun_.emplace(std::move(*tun));
  if (auto r = netlink_->link_up(tun_->ifindex(), options_.tun_mtu); !r) return r;
  if (auto r = loop_.add_fd(tun_->fd(), EPOLLIN, [this](uint32_t) { on_tun(); }); !r) return r;
  log(Subsys::Knl, Level::Info, "TUN device {} up, mtu {}", tun_->name(), options_.tun_mtu);
  for (IpFamily fam : {IpFamily::V4, IpFamily::V6}) {
    auto r = netlink_->rule(true, fam, options_.fwmark, options_.route_table, options_.rule_priority);
    if (!r) {
      log(Subsys::Knl, Level::Warn, "policy rule for {}: {}", fam == IpFamily::V4 ? "IPv4" : "IPv6",
          r.error().message);
      if (fam == IpFamily::V4) return r;
      continue;
    }
    rules_installed_[fam == IpFamily::V4 ? 0 : 1] = true;
  }
  log(Subsys::Knl, Level::Info, "routes in table {}, used by packets without fwmark {:#x}",
      options_.route_table, options_.fwmark);
  if (auto r = open_sockets(); !r) return r;

  ipsec::EngineConfig ic;
  ic.nat_t_port = options_.natt_port;
  ipsec_ = std::make_unique<ipsec::Engine>(ic);
  ike_ = std::make_unique<ike::Engine>(std::move(ec), crypto::system_random(), installer_);

  control_ = std::make_unique<ControlServer>(
      loop_, [this](const std::string& c, const nlohmann::json& a) { return handle_control(c, a); });
  if (auto r = control_->listen(options_.control_socket); !r) return r;
  log(Subsys::Ctl, Level::Info, "control socket {}", options_.control_socket);

  if (auto r = loop_.watch_signals({SIGTERM, SIGINT, SIGHUP}, [this](int s) { on_signal(s); }); !r) return r;
  install_traps();
  apply_start_actions();
  drive();
  return {};
}

int Daemon::run() {
  // The data plane's lifetimes, dummy packets and released packets are checked once a second.
  std::function<void()> tick = [this, &tick] {
    ipsec_->tick(ipsec_now());
    for (const ipsec::DummyDue& due : ipsec_->dummies_due(ipsec_now())) {
      ipsec::PacketBuffer pkt(MutBytes(buffer_.data(), buffer_.size()), kHeadroom, 0);
      auto r = ipsec_->make_dummy(due.policy, pkt, due.payload_len, ipsec_now());
      if (r.verdict == ipsec::Verdict::Protected) send_outbound(pkt, r);
    }
    drive();
    if (!stopping_) loop_.add_timer(EventLoop::Clock::now() + std::chrono::seconds(1), tick);
  };
  loop_.add_timer(EventLoop::Clock::now() + std::chrono::seconds(1), tick);
  loop_.run();
  shutdown();
  return exit_status_;
}

// ---- configuration-driven policies ---------------------------------------------------------

std::optional<IpAddress> Daemon::preferred_source(const std::vector<wire::TrafficSelector>& local_ts) {
  for (const auto& ts : local_ts)
    if (auto a = local_address_in(ts.start_addr, ts.end_addr)) return a;
  return std::nullopt;
}

void Daemon::add_route(const Prefix& p, const std::optional<IpAddress>& src) {
  if (route_refs_[p]++ > 0) return;
  auto r = netlink_->route(true, p, tun_->ifindex(), options_.route_table, src);
  if (!r)
    log(Subsys::Knl, Level::Warn, "{}", r.error().message);
  else
    log(Subsys::Knl, Level::Info, "route {} dev {}{}", to_string(p), tun_->name(),
        src ? " src " + src->to_string() : "");
}

void Daemon::remove_route(const Prefix& p) {
  auto it = route_refs_.find(p);
  if (it == route_refs_.end()) return;
  if (--it->second > 0) return;
  route_refs_.erase(it);
  if (netlink_ && tun_) {
    auto r = netlink_->route(false, p, tun_->ifindex(), options_.route_table, std::nullopt);
    if (!r) log(Subsys::Knl, Level::Debug, "{}", r.error().message);
  }
}

void Daemon::install_traps() {
  for (const auto& c : config_.connections) {
    auto local_addrs = concrete_addresses(c.local_addrs);
    auto remote_addrs = concrete_addresses(c.remote_addrs);
    for (const auto& ch : c.children) {
      if (ch.start_action != config::StartAction::Trap && ch.start_action != config::StartAction::TrapStart)
        continue;
      if (local_addrs.empty() || remote_addrs.empty()) {
        log(Subsys::Cfg, Level::Warn, "{}.{}: start_action=trap needs concrete local_addrs and remote_addrs",
            c.name, ch.name);
        continue;
      }
      std::vector<ike::ConfiguredTs> lc, rc;
      for (const auto& s : ch.local_ts) lc.push_back({s.selector, s.dynamic});
      for (const auto& s : ch.remote_ts) rc.push_back({s.selector, s.dynamic});
      if (lc.empty()) lc.push_back({wire::TrafficSelector{}, true});
      if (rc.empty()) rc.push_back({wire::TrafficSelector{}, true});
      auto lts = resolve_selectors(lc, local_addrs);
      auto rts = resolve_selectors(rc, remote_addrs);
      TrapRecord t;
      t.connection = c.name;
      t.child = ch.name;
      t.reqid = ike_->reqid_of(c.name, ch.name);
      for (const auto& l : lts) {
        for (const auto& r : rts) {
          if (l.start_addr.family() != r.start_addr.family()) continue;
          ipsec::Policy p;
          p.direction = ipsec::Direction::Outbound;
          p.selector = ipsec::Selector::from_ts(l, r);
          p.action = ipsec::Action::Protect;
          p.mode = ch.mode == config::Mode::Tunnel ? ipsec::Mode::Tunnel : ipsec::Mode::Transport;
          p.tunnel_local = local_addrs.front();
          p.tunnel_remote = remote_addrs.front();
          p.reqid = t.reqid;
          p.priority = 2000;  // behind the policies of installed Child SAs
          apply_dummy_options(p.options, ch);
          auto id = ipsec_->add_policy(p);
          if (!id) {
            log(Subsys::Cfg, Level::Warn, "{}.{}: trap policy refused: {}", c.name, ch.name,
                id.error().message);
            continue;
          }
          t.policies.push_back(*id);
        }
      }
      auto src = preferred_source(lts);
      for (const auto& r : rts)
        for (const auto& p : range_to_prefixes(r.start_addr, r.end_addr)) {
          add_route(p, src);
          t.routes.push_back(p);
        }
      log(Subsys::Cfg, Level::Info, "trap installed for {}.{} (reqid {}, {} policies)", c.name, ch.name,
          t.reqid, t.policies.size());
      traps_.push_back(std::move(t));
    }
  }
}

void Daemon::remove_traps() {
  for (auto& t : traps_) {
    for (auto id : t.policies) ipsec_->remove_policy(id);
    for (const auto& p : t.routes) remove_route(p);
  }
  traps_.clear();
}

void Daemon::apply_start_actions() {
  for (const auto& c : config_.connections)
    for (const auto& ch : c.children)
      if (ch.start_action == config::StartAction::Start ||
          ch.start_action == config::StartAction::TrapStart) {
        auto r = ike_->initiate(c.name, ch.name, ike_now());
        if (!r) log(Subsys::Ike, Level::Warn, "initiate {}.{}: {}", c.name, ch.name, r.error().message);
      }
}

// ---- ChildSaInstaller ----------------------------------------------------------------------

Result<void> DataPlane::install_child_sa(const ike::ChildSaParams& p) {
  Daemon& d = d_;
  auto now = d.ipsec_now();
  Daemon::ChildRecord rec;
  rec.reqid = p.reqid;
  rec.spi_in = p.spi_in;
  rec.spi_out = p.spi_out;
  const ipsec::Mode mode = p.mode == ike::IpsecMode::Tunnel ? ipsec::Mode::Tunnel : ipsec::Mode::Transport;

  std::vector<ipsec::Selector> inbound_selectors;
  for (const auto& l : p.local_ts)
    for (const auto& r : p.remote_ts)
      if (l.start_addr.family() == r.start_addr.family())
        inbound_selectors.push_back(ipsec::Selector::from_ts(l, r));
  Daemon::ReqidPolicies& shared = d.reqid_policies_[p.reqid];
  std::vector<ipsec::PolicyId> created;
  if (shared.refs == 0) {
    // A trap policy of this reqid already classifies outbound traffic; otherwise the Child
    // SA brings its own (start_action=none/start, responder side).
    const bool have_out = d.ipsec_->spd().find_by_reqid(ipsec::Direction::Outbound, p.reqid) != nullptr;
    for (const auto& sel : inbound_selectors) {
      ipsec::Policy in;
      in.direction = ipsec::Direction::Inbound;
      in.selector = sel;
      in.action = ipsec::Action::Protect;
      in.mode = mode;
      in.tunnel_local = p.local.addr;
      in.tunnel_remote = p.remote.addr;
      in.reqid = p.reqid;
      in.priority = 1000;
      if (const auto* ch = find_child(d.config_, p.connection, p.child)) apply_dummy_options(in.options, *ch);
      auto id = d.ipsec_->add_policy(in);
      if (!id) return make_error("inbound policy: " + id.error().message);
      created.push_back(*id);
      if (have_out) continue;
      ipsec::Policy out = in;
      out.direction = ipsec::Direction::Outbound;
      auto oid = d.ipsec_->add_policy(out);
      if (!oid) {
        for (auto c : created) d.ipsec_->remove_policy(c);
        return make_error("outbound policy: " + oid.error().message);
      }
      created.push_back(*oid);
    }
    shared.policies = created;
  }
  auto release_policies = [&] {
    if (shared.refs == 0) {
      for (auto c : shared.policies) d.ipsec_->remove_policy(c);
      d.reqid_policies_.erase(p.reqid);
    }
  };
  auto make = [&](ipsec::Direction dir) {
    ipsec::SaParams s;
    s.direction = dir;
    s.spi = dir == ipsec::Direction::Inbound ? p.spi_in : p.spi_out;
    s.mode = mode;
    s.local = p.local.addr;
    s.remote = p.remote.addr;
    if (p.udp_encap) s.udp_encap = ipsec::UdpEncap{p.local.port, p.remote.port};
    s.encr = p.encr;
    s.encr_key_bits = p.encr_key_bits;
    const ike::SaKeys& k = dir == ipsec::Direction::Inbound ? p.in : p.out;
    s.encr_keymat = k.encr;
    s.integ = p.integ;
    s.integ_key = k.integ;
    s.esn = p.esn;
    s.reqid = p.reqid;
    s.replay_window = p.replay_window;
    // Time limits are the IKE engine's job (it rekeys); volume limits are counted here.
    s.soft.bytes = p.lifetimes.rekey_bytes;
    s.soft.packets = p.lifetimes.rekey_packets;
    s.hard.bytes = p.lifetimes.life_bytes;
    s.hard.packets = p.lifetimes.life_packets;
    if (dir == ipsec::Direction::Inbound) s.selectors = inbound_selectors;
    return s;
  };
  auto in_id = d.ipsec_->install_sa(make(ipsec::Direction::Inbound), now);
  if (!in_id) {
    release_policies();
    return make_error("inbound SA: " + in_id.error().message);
  }
  auto out_id = d.ipsec_->install_sa(make(ipsec::Direction::Outbound), now);
  if (!out_id) {
    d.ipsec_->remove_sa(*in_id);
    release_policies();
    return make_error("outbound SA: " + out_id.error().message);
  }
  ++shared.refs;
  auto src = d.preferred_source(p.local_ts);
  for (const auto& r : p.remote_ts)
    for (const auto& pre : range_to_prefixes(r.start_addr, r.end_addr)) {
      d.add_route(pre, src);
      rec.routes.push_back(pre);
    }
  log(Subsys::Knl, Level::Info, "installed {}.{} reqid {} SPIs in {} out {} {} {}{}", p.connection, p.child,
      p.reqid, spi_hex(p.spi_in), spi_hex(p.spi_out), mode_name(p.mode), crypto::name(p.encr),
      p.udp_encap ? " UDP-encapsulated" : "");
  d.export_esp_keys(p);
  d.children_[p.spi_in] = std::move(rec);
  return {};
}

void DataPlane::delete_child_sa(const ike::ChildSaRef& ref) {
  Daemon& d = d_;
  d.ipsec_->sad().remove_by_spi(ipsec::Direction::Inbound, ref.spi_in);
  d.ipsec_->sad().remove_by_spi(ipsec::Direction::Outbound, ref.spi_out);
  auto it = d.children_.find(ref.spi_in);
  if (it != d.children_.end()) {
    auto shared = d.reqid_policies_.find(it->second.reqid);
    if (shared != d.reqid_policies_.end() && --shared->second.refs <= 0) {
      for (auto id : shared->second.policies) d.ipsec_->remove_policy(id);
      d.reqid_policies_.erase(shared);
    }
    for (const auto& p : it->second.routes) d.remove_route(p);
    d.children_.erase(it);
  }
  log(Subsys::Knl, Level::Info, "removed Child SA SPIs in {} out {}", spi_hex(ref.spi_in),
      spi_hex(ref.spi_out));
}

void DataPlane::update_child_sa_endpoints(const ike::ChildSaRef& ref, const ike::Endpoint& local,
                                          const ike::Endpoint& remote, bool udp_encap) {
  for (ipsec::Sa* sa :
       {d_.ipsec_->sad().find_inbound(ref.spi_in), d_.ipsec_->sad().find_outbound_by_spi(ref.spi_out)}) {
    if (!sa) continue;
    sa->local = local.addr;
    sa->remote = remote.addr;
    if (udp_encap)
      sa->udp_encap = ipsec::UdpEncap{local.port, remote.port};
    else
      sa->udp_encap.reset();
  }
  log(Subsys::Knl, Level::Info, "Child SA {} now {} - {}{}", spi_hex(ref.spi_in), endpoint_string(local),
      endpoint_string(remote), udp_encap ? " (UDP)" : "");
}

void Daemon::export_esp_keys(const ike::ChildSaParams& p) {
  if (options_.key_export_dir.empty()) return;
  auto path = options_.key_export_dir + "/esp_sa";
  append_key_line(path, esp_sa_line(p.remote.addr, p.local.addr, p.spi_in, p.encr, p.encr_key_bits, p.in.encr,
                                    p.integ, p.in.integ));
  append_key_line(path, esp_sa_line(p.local.addr, p.remote.addr, p.spi_out, p.encr, p.encr_key_bits,
                                    p.out.encr, p.integ, p.out.integ));
}

// ---- packets -------------------------------------------------------------------------------

void Daemon::on_udp(UdpSocket& s) {
  for (int budget = 0; budget < 64; ++budget) {
    uint8_t* base = buffer_.data();
    MutBytes room(base + kHeadroom, 65536);
    auto r = s.receive(room);
    if (!r) break;
    if (r->length == 0) continue;
    uint8_t* data = base + kHeadroom;
    if (s.port() == options_.natt_port) {
      if (r->length == 1 && data[0] == 0xff) continue;  // NAT-T keepalive (RFC 3948 2.3)
      if (r->length >= 4 && load_be32(data) == 0) {
        ike::Datagram d{{r->local.addr, r->local.port},
                        {r->remote.addr, r->remote.port},
                        Bytes(data + 4, data + r->length),
                        true};
        ike_->receive(d, ike_now());
        continue;
      }
      handle_esp(r->local, r->remote, true, base, buffer_.size(), kHeadroom, r->length);
      continue;
    }
    ike::Datagram d{{r->local.addr, r->local.port},
                    {r->remote.addr, r->remote.port},
                    Bytes(data, data + r->length),
                    false};
    ike_->receive(d, ike_now());
  }
  drive();
}

void Daemon::on_raw(RawEspSocket& s) {
  for (int budget = 0; budget < 64; ++budget) {
    uint8_t* base = buffer_.data();
    size_t off = 0;
    auto r = s.receive(MutBytes(base + kHeadroom, 65536), &off);
    if (!r) break;
    if (r->length == 0) continue;
    if (s.family() == IpFamily::V4) {
      // The IPv4 header came with the packet: hand it over as received.
      ipsec::PacketBuffer pkt(MutBytes(base, buffer_.size()), kHeadroom, r->length);
      ++esp_rx_;
      auto in = ipsec_->inbound(pkt, ipsec_now());
      if (in.verdict == ipsec::Verdict::Deliver) {
        if (tun_->write(pkt.view())) ++tun_tx_;
      } else {
        log(Subsys::Esp, Level::Debug, "inbound ESP from {} dropped: {}", r->remote.addr.to_string(),
            ipsec::name(in.reason));
      }
      continue;
    }
    handle_esp(r->local, r->remote, false, base, buffer_.size(), kHeadroom + off, r->length - off);
  }
  drive();
}

void Daemon::handle_esp(const SockAddr& local, const SockAddr& remote, bool udp, uint8_t* storage,
                        size_t storage_len, size_t offset, size_t len) {
  ++esp_rx_;
  size_t start = prepend_outer(storage, offset, len, remote, local, udp);
  ipsec::PacketBuffer pkt(MutBytes(storage, storage_len), start, offset + len - start);
  auto in = ipsec_->inbound(pkt, ipsec_now());
  if (in.verdict == ipsec::Verdict::Deliver) {
    if (tun_->write(pkt.view()))
      ++tun_tx_;
    else
      log(Subsys::Esp, Level::Warn, "write to {} failed: {}", tun_->name(), std::strerror(errno));
    return;
  }
  log(Subsys::Esp, Level::Debug, "inbound ESP from {} dropped: {}", to_string(remote),
      ipsec::name(in.reason));
}

void Daemon::send_outbound(ipsec::PacketBuffer& pkt, const ipsec::OutboundResult& r) {
  const ipsec::Sa* sa = ipsec_->sad().get(r.sa);
  if (!sa) return;
  BytesView esp = pkt.view().subspan(r.esp_offset);
  bool ok = false;
  if (sa->udp_encap) {
    for (auto& s : udp_)
      if (s->family() == r.outer_dst.family() && s->port() == r.udp_src_port) {
        ok = s->send(SockAddr{sa->local, r.udp_src_port}, SockAddr{r.outer_dst, r.udp_dst_port}, {}, esp);
        break;
      }
  } else {
    for (auto& s : raw_)
      if (s->family() == r.outer_dst.family()) {
        ok = s->send(SockAddr{sa->local, 0}, SockAddr{r.outer_dst, 0}, esp);
        break;
      }
  }
  if (ok) {
    ++esp_tx_;
  } else {
    ++send_errors_;
    log(Subsys::Esp, Level::Debug, "sending ESP to {} failed", r.outer_dst.to_string());
  }
}

void Daemon::process_outbound(ipsec::PacketBuffer& pkt) {
  auto r = ipsec_->outbound(pkt, ipsec_now());
  if (r.policy != ipsec::kNoPolicy) ++policy_hits_[r.policy];
  switch (r.verdict) {
    case ipsec::Verdict::Protected:
      send_outbound(pkt, r);
      break;
    case ipsec::Verdict::NeedsSa:
      log(Subsys::Esp, Level::Debug, "packet needs an SA (policy {}){}", r.policy, r.queued ? ", held" : "");
      break;
    case ipsec::Verdict::Bypass:
      // Routed into TUN yet bypassed: nothing sensible to do with it but drop it.
      break;
    default:
      log(Subsys::Esp, Level::Debug, "outbound packet dropped: {}", ipsec::name(r.reason));
      break;
  }
}

void Daemon::on_tun() {
  for (int budget = 0; budget < 64; ++budget) {
    uint8_t* base = buffer_.data();
    long n = tun_->read(MutBytes(base + kHeadroom, 65536));
    if (n <= 0) break;
    ++tun_rx_;
    ipsec::PacketBuffer pkt(MutBytes(base, buffer_.size()), kHeadroom, static_cast<size_t>(n));
    process_outbound(pkt);
  }
  drive();
}

void Daemon::drive() {
  if (!ike_ || !ipsec_) return;
  // Data-plane events first: an Acquire starts a negotiation whose first datagram goes out below.
  for (int guard = 0; guard < 4; ++guard) {
    bool any = false;
    while (auto ev = ipsec_->poll_event()) {
      any = true;
      switch (ev->kind) {
        case ipsec::EventKind::Acquire: {
          log(Subsys::Knl, Level::Info, "acquire for reqid {} ({} -> {})", ev->reqid,
              ev->flow.src_address().to_string(), ev->flow.dst_address().to_string());
          auto r = ike_->acquire(ev->reqid, flow_ts(ev->flow, true), flow_ts(ev->flow, false), ike_now());
          if (!r) log(Subsys::Ike, Level::Warn, "acquire reqid {}: {}", ev->reqid, r.error().message);
          break;
        }
        case ipsec::EventKind::SoftExpire:
        case ipsec::EventKind::HardExpire:
          if (ev->direction == ipsec::Direction::Inbound)
            ike_->expire(ev->spi, ev->kind == ipsec::EventKind::HardExpire, ike_now());
          break;
      }
    }
    for (auto& d : ike_->take_datagrams()) {
      any = true;
      static const uint8_t kMarker[4] = {0, 0, 0, 0};
      bool sent = false;
      for (auto& s : udp_) {
        if (s->family() != d.remote.addr.family() || s->port() != d.local.port) continue;
        sent = s->send(SockAddr{d.local.addr, d.local.port}, SockAddr{d.remote.addr, d.remote.port},
                       d.non_esp_marker ? BytesView(kMarker, 4) : BytesView{}, d.bytes);
        break;
      }
      if (!sent) {
        ++send_errors_;
        log(Subsys::Net, Level::Warn, "could not send {} bytes {} -> {}", d.bytes.size(),
            endpoint_string(d.local), endpoint_string(d.remote));
      } else {
        log(Subsys::Net, Level::Debug, "sent {} bytes {} -> {}", d.bytes.size(), endpoint_string(d.local),
            endpoint_string(d.remote));
      }
    }
    for (auto& e : ike_->take_events()) {
      any = true;
      Level l = Level::Info;
      if (e.kind == ike::EventKind::IkeSaFailed || e.kind == ike::EventKind::ChildSaFailed ||
          e.kind == ike::EventKind::PeerDead)
        l = Level::Warn;
      if (e.kind == ike::EventKind::Dropped) l = Level::Debug;
      log(Subsys::Ike, l, "{}{}{}{}", e.connection.empty() ? "" : e.connection,
          e.child.empty() ? "" : "." + e.child, e.connection.empty() ? "" : ": ", e.message);
    }
    for (auto& k : ike_->take_key_exports()) {
      if (!options_.key_export_dir.empty())
        append_key_line(options_.key_export_dir + "/ikev2_decryption_table", k.wireshark_line());
    }
    // Packets held while their SA was negotiated.
    ipsec::PacketBuffer held;
    while (ipsec_->take_released(MutBytes(buffer_.data(), buffer_.size()), kHeadroom, held)) {
      any = true;
      process_outbound(held);
    }
    if (!any) break;
  }
  auto next = ike_->next_wakeup();
  if (next != ike_timer_at_) {
    if (ike_timer_) loop_.cancel_timer(*ike_timer_);
    ike_timer_.reset();
    ike_timer_at_ = next;
    if (next) {
      auto when = std::chrono::steady_clock::time_point(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(next->time_since_epoch()));
      ike_timer_ = loop_.add_timer(when, [this] {
        ike_timer_.reset();
        ike_timer_at_.reset();
        ike_->on_timer(ike_now());
        drive();
      });
    }
  }
}

// ---- signals, reload, shutdown -------------------------------------------------------------

void Daemon::on_signal(int sig) {
  if (sig == SIGHUP) {
    log(Subsys::Dmn, Level::Info, "SIGHUP: reloading {}", options_.config_path);
    (void)reload();  // a failure is logged and keeps the running configuration
    return;
  }
  log(Subsys::Dmn, Level::Info, "{} received, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  stopping_ = true;
  if (ike_) {
    ike_->terminate_all(ike_now());
    drive();
  }
  loop_.stop();
}

Result<void> Daemon::reload() {
  config::SwanctlConfig cfg;
  ike::EngineConfig ec;
  CredentialInventory creds;
  if (auto r = load_config(options_.config_path, &cfg, &ec, &creds); !r) {
    log(Subsys::Cfg, Level::Error, "reload failed, keeping the running configuration: {}", r.error().message);
    return r;
  }
  // SAs of a connection whose definition changed are closed (Delete sent under the old
  // configuration) and negotiated again under the new one by its start action or its trap;
  // unchanged connections keep their SAs; removed ones are closed by the engine's reload.
  size_t changed = 0;
  for (const auto& old_conn : config_.connections)
    if (const auto* now_conn = cfg.find_connection(old_conn.name); now_conn && !(*now_conn == old_conn)) {
      log(Subsys::Cfg, Level::Info, "connection '{}' changed: closing its SAs", old_conn.name);
      ike_->terminate_connection(old_conn.name, ike_now());
      ++changed;
    }
  remove_traps();
  config_ = std::move(cfg);
  credentials_ = std::move(creds);
  ike_->reload(std::move(ec), ike_now());
  install_traps();
  apply_start_actions();
  drive();
  log(Subsys::Cfg, Level::Info, "reloaded: {} connection(s), {} changed", config_.connections.size(),
      changed);
  return {};
}

void Daemon::shutdown() {
  if (!netlink_) return;
  // Delete payloads were sent on SIGTERM; now remove what we added to the kernel.
  for (auto& [p, n] : route_refs_)
    if (tun_) (void)netlink_->route(false, p, tun_->ifindex(), options_.route_table, std::nullopt);
  route_refs_.clear();
  for (IpFamily fam : {IpFamily::V4, IpFamily::V6}) {
    bool& installed = rules_installed_[fam == IpFamily::V4 ? 0 : 1];
    if (installed)
      (void)netlink_->rule(false, fam, options_.fwmark, options_.route_table, options_.rule_priority);
    installed = false;
  }
  control_.reset();
  if (tun_) {
    loop_.remove_fd(tun_->fd());
    tun_.reset();  // closing the descriptor removes the non-persistent TUN device
  }
  netlink_.reset();
  log(Subsys::Dmn, Level::Info, "stopped");
}

// ---- control -------------------------------------------------------------------------------

nlohmann::json Daemon::status_json() {
  nlohmann::json out = nlohmann::json::array();
  auto now = ike_now();
  auto secs_until = [&](const std::optional<ike::Instant>& t) -> nlohmann::json {
    if (!t) return nullptr;
    return std::chrono::duration_cast<std::chrono::seconds>(*t - now).count();
  };
  for (const auto& s : ike_->status()) {
    nlohmann::json j;
    j["id"] = s.id;
    j["connection"] = s.connection;
    j["state"] = s.state;
    j["initiator"] = s.initiator;
    j["spi_i"] = fmt::format("{:016x}", s.spi_i);
    j["spi_r"] = fmt::format("{:016x}", s.spi_r);
    j["local"] = endpoint_string(s.local);
    j["remote"] = endpoint_string(s.remote);
    j["local_id"] = s.local_id;
    j["remote_id"] = s.remote_id;
    j["encr"] = std::string(crypto::name(s.encr));
    j["encr_key_bits"] = s.encr_key_bits;
    j["prf"] = std::string(crypto::name(s.prf));
    j["integ"] = std::string(crypto::name(s.integ));
    j["ke"] = std::string(crypto::name(s.group));
    j["nat_local"] = s.nat_local;
    j["nat_remote"] = s.nat_remote;
    j["established_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(now - s.established).count();
    j["rekey_in_seconds"] = secs_until(s.rekey_at);
    nlohmann::json kids = nlohmann::json::array();
    for (const auto& c : s.children) {
      nlohmann::json k;
      k["name"] = c.name;
      k["reqid"] = c.reqid;
      k["spi_in"] = spi_hex(c.spi_in);
      k["spi_out"] = spi_hex(c.spi_out);
      k["mode"] = mode_name(c.mode);
      k["encr"] = std::string(crypto::name(c.encr));
      k["encr_key_bits"] = c.encr_key_bits;
      k["integ"] = std::string(crypto::name(c.integ));
      k["udp_encap"] = c.udp_encap;
      k["local_ts"] = ts_list(c.local_ts);
      k["remote_ts"] = ts_list(c.remote_ts);
      k["rekey_in_seconds"] = secs_until(c.rekey_at);
      k["expire_in_seconds"] = secs_until(c.expire_at);
      const ipsec::Sa* in = ipsec_->sad().find_inbound(c.spi_in);
      const ipsec::Sa* outsa = ipsec_->sad().find_outbound_by_spi(c.spi_out);
      k["bytes_in"] = in ? in->counters.bytes : 0;
      k["packets_in"] = in ? in->counters.packets : 0;
      k["bytes_out"] = outsa ? outsa->counters.bytes : 0;
      k["packets_out"] = outsa ? outsa->counters.packets : 0;
      kids.push_back(std::move(k));
    }
    j["children"] = std::move(kids);
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json Daemon::policies_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const ipsec::Policy* p : ipsec_->spd().policies()) {
    nlohmann::json j;
    j["id"] = p->id;
    j["direction"] = p->direction == ipsec::Direction::Outbound ? "out" : "in";
    j["action"] = p->action == ipsec::Action::Protect  ? "protect"
                  : p->action == ipsec::Action::Bypass ? "bypass"
                                                       : "discard";
    j["priority"] = p->priority;
    j["reqid"] = p->reqid;
    j["mode"] = p->mode == ipsec::Mode::Tunnel ? "tunnel" : "transport";
    const auto& s = p->selector;
    j["local"] = fmt::format("{}-{}", s.local.first.to_string(), s.local.last.to_string());
    j["remote"] = fmt::format("{}-{}", s.remote.first.to_string(), s.remote.last.to_string());
    j["protocol"] = s.protocol;
    auto hit = policy_hits_.find(p->id);
    j["hits"] = hit == policy_hits_.end() ? 0 : hit->second;
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json Daemon::sa_add(const nlohmann::json& args) {
  ipsec::SaParams s;
  std::string dir = args.value("direction", "");
  if (dir != "in" && dir != "out")
    return ctl_error(ctl_code::kBadRequest, "direction must be \"in\" or \"out\"");
  s.direction = dir == "in" ? ipsec::Direction::Inbound : ipsec::Direction::Outbound;
  auto spi = parse_spi(args.value("spi", ""));
  if (!spi || *spi < 256) return ctl_error(ctl_code::kBadRequest, "spi must be a number from 256 to 2^32-1");
  s.spi = static_cast<uint32_t>(*spi);
  auto src = IpAddress::parse(args.value("src", ""));
  auto dst = IpAddress::parse(args.value("dst", ""));
  if (!src || !dst) return ctl_error(ctl_code::kBadRequest, "src and dst must be IP addresses");
  s.local = s.direction == ipsec::Direction::Outbound ? *src : *dst;
  s.remote = s.direction == ipsec::Direction::Outbound ? *dst : *src;
  s.mode = args.value("mode", "transport") == "tunnel" ? ipsec::Mode::Tunnel : ipsec::Mode::Transport;
  auto props = config::parse_proposals(args.value("algorithms", ""), wire::ProtocolId::Esp);
  if (!props || props->empty())
    return ctl_error(ctl_code::kBadRequest,
                     "algorithms: " + (props ? std::string("empty") : props.error().message));
  for (const auto& t : props->front().transforms) {
    if (t.type == crypto::TransformType::Encr) {
      s.encr = static_cast<crypto::EncrId>(t.id);
      s.encr_key_bits = t.key_bits;
    } else if (t.type == crypto::TransformType::Integ) {
      s.integ = static_cast<crypto::IntegId>(t.id);
    }
  }
  auto ek = hex_decode(args.value("encr_key", ""));
  auto ik = hex_decode(args.value("integ_key", ""));
  if (!ek || !ik) return ctl_error(ctl_code::kBadRequest, "keys must be hex");
  s.encr_keymat = SecureBytes(*ek);
  s.integ_key = SecureBytes(*ik);
  s.reqid = args.value("reqid", 0u);
  if (args.value("encap", false)) s.udp_encap = ipsec::UdpEncap{options_.natt_port, options_.natt_port};
  auto id = ipsec_->install_sa(std::move(s), ipsec_now());
  if (!id) return ctl_error(ctl_code::kFailed, id.error().message);
  return ctl_ok({{"sa", *id}});
}

nlohmann::json Daemon::sa_del(const nlohmann::json& args) {
  std::string dir = args.value("direction", "");
  auto spi = parse_spi(args.value("spi", ""));
  if ((dir != "in" && dir != "out") || !spi)
    return ctl_error(ctl_code::kBadRequest, "need direction and spi");
  bool ok = ipsec_->sad().remove_by_spi(dir == "in" ? ipsec::Direction::Inbound : ipsec::Direction::Outbound,
                                        static_cast<uint32_t>(*spi));
  if (!ok) return ctl_error(ctl_code::kNotFound, fmt::format("no {}bound SA with SPI {}", dir, *spi));
  return ctl_ok(nullptr);
}

// Manual keying from a setkey(8) file (its text comes in the request: the daemon may not see
// the client's files). Commands are applied in order; the first error stops and names its line.
nlohmann::json Daemon::setkey(const nlohmann::json& args) {
  auto cmds = config::setkey::parse(args.value("text", ""), args.value("file", "setkey"));
  if (!cmds) return ctl_error(ctl_code::kBadRequest, cmds.error().message);
  auto locals = local_addresses();
  auto now = ipsec_now();
  size_t sas = 0, policies = 0, removed = 0;
  nlohmann::json got = nlohmann::json::array();
  auto where = [](const config::setkey::Command& c) {
    return fmt::format("{}:{}", c.where.file, c.where.line);
  };
  auto is_local = [&](const IpAddress& a) {
    return std::find(locals.begin(), locals.end(), a) != locals.end();
  };
  for (const auto& c : *cmds) {
    using config::setkey::Op;
    switch (c.op) {
      case Op::Add: {
        auto p = config::setkey::to_sa_params(c, locals);
        if (!p) return ctl_error(ctl_code::kFailed, p.error().message);
        auto id = ipsec_->install_sa(std::move(*p), now);
        if (!id) return ctl_error(ctl_code::kFailed, fmt::format("{}: {}", where(c), id.error().message));
        ++sas;
        break;
      }
      case Op::Delete: {
        bool inbound = is_local(c.sa.dst.address);
        if (ipsec_->sad().remove_by_spi(inbound ? ipsec::Direction::Inbound : ipsec::Direction::Outbound,
                                        c.sa.spi))
          ++removed;
        break;
      }
      case Op::Get: {
        const bool inbound = is_local(c.sa.dst.address);
        const ipsec::Sa* sa =
            inbound ? ipsec_->sad().find_inbound(c.sa.spi) : ipsec_->sad().find_outbound_by_spi(c.sa.spi);
        if (!sa)
          return ctl_error(ctl_code::kNotFound,
                           fmt::format("{}: no SA {} {} spi 0x{}", where(c), c.sa.src.address.to_string(),
                                       c.sa.dst.address.to_string(), spi_hex(c.sa.spi)));
        got.push_back({{"spi", spi_hex(sa->spi)},
                       {"direction", inbound ? "in" : "out"},
                       {"src", c.sa.src.address.to_string()},
                       {"dst", c.sa.dst.address.to_string()},
                       {"mode", sa->mode == ipsec::Mode::Tunnel ? "tunnel" : "transport"},
                       {"encr", std::string(crypto::name(sa->encr))},
                       {"integ", std::string(crypto::name(sa->integ))},
                       {"reqid", sa->reqid},
                       {"replay_window", sa->replay.size()},
                       {"seq", sa->seq},
                       {"bytes", sa->counters.bytes},
                       {"packets", sa->counters.packets}});
        break;
      }
      case Op::DeleteAll: {
        // Every ESP SA between the two addresses in that direction (setkey(8) deleteall).
        std::vector<ipsec::SaId> doomed;
        for (const auto* sa : ipsec_->sad().all()) {
          const bool in = sa->direction == ipsec::Direction::Inbound;
          const IpAddress& src = in ? sa->remote : sa->local;
          const IpAddress& dst = in ? sa->local : sa->remote;
          if (src == c.sa.src.address && dst == c.sa.dst.address) doomed.push_back(sa->id);
        }
        for (auto id : doomed) ipsec_->remove_sa(id);
        removed += doomed.size();
        break;
      }
      case Op::SpdDelete: {
        auto same = [&](const config::setkey::PolicySpec& p) {
          const auto& q = c.policy;
          return p.src == q.src && p.dst == q.dst && p.upper_protocol == q.upper_protocol &&
                 p.type == q.type && p.code == q.code && p.direction == q.direction;
        };
        auto it = std::find_if(manual_policies_.begin(), manual_policies_.end(),
                               [&](const ManualPolicy& mp) { return same(mp.spec); });
        if (it == manual_policies_.end())
          return ctl_error(ctl_code::kNotFound, fmt::format("{}: spddelete: no such policy", where(c)));
        ipsec_->remove_policy(it->id);
        for (const auto& pre : it->routes) remove_route(pre);
        manual_policies_.erase(it);
        ++removed;
        break;
      }
      case Op::Flush:
        for (auto* sa : ipsec_->sad().all()) ipsec_->remove_sa(sa->id);
        break;
      case Op::SpdAdd: {
        auto pol = config::setkey::to_policy(c);
        if (!pol) return ctl_error(ctl_code::kFailed, pol.error().message);
        ManualPolicy mp;
        mp.spec = c.policy;
        bool outbound = pol->direction == ipsec::Direction::Outbound;
        auto remote = pol->selector.remote;
        auto local = pol->selector.local;
        auto id = ipsec_->add_policy(std::move(*pol));
        if (!id) return ctl_error(ctl_code::kFailed, fmt::format("{}: {}", where(c), id.error().message));
        mp.id = *id;
        if (outbound) {
          // Outbound traffic reaches us only if it is routed into the TUN device.
          std::optional<IpAddress> src;
          for (const auto& a : locals)
            if (local.contains(a)) {
              src = a;
              break;
            }
          for (const auto& pre : range_to_prefixes(remote.first, remote.last)) {
            add_route(pre, src);
            mp.routes.push_back(pre);
          }
        }
        manual_policies_.push_back(std::move(mp));
        ++policies;
        break;
      }
      case Op::SpdFlush:
        for (auto& mp : manual_policies_) {
          ipsec_->remove_policy(mp.id);
          for (const auto& pre : mp.routes) remove_route(pre);
        }
        manual_policies_.clear();
        break;
    }
  }
  log(Subsys::Cfg, Level::Info, "setkey {}: {} SA(s), {} policy(ies) installed, {} removed",
      args.value("file", ""), sas, policies, removed);
  return ctl_ok({{"sas", sas}, {"policies", policies}, {"removed", removed}, {"got", std::move(got)}});
}

nlohmann::json Daemon::certs_json() const {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& e : credentials_.certs) {
    const auto& c = e.cert;
    nlohmann::json sans = nlohmann::json::array();
    for (const auto& san : c.subject_alt_names()) sans.push_back(san.text);
    std::string validity = now < c.not_before() ? "not yet valid" : now > c.not_after() ? "expired" : "valid";
    certs.push_back({{"subject", c.subject()},
                     {"issuer", c.issuer()},
                     {"serial", c.serial_hex()},
                     {"not_before", c.not_before()},
                     {"not_after", c.not_after()},
                     {"validity", validity},
                     {"subject_alt_names", sans},
                     {"key", c.key_description()},
                     {"ca", c.is_ca()},
                     {"has_private_key", e.has_private_key},
                     {"file", e.file},
                     {"used_by", e.used_by},
                     {"text", crypto::describe(c, now)}});
  }
  return {{"certificates", certs}, {"crl_files", credentials_.crl_files}};
}

nlohmann::json Daemon::handle_control(const std::string& command, const nlohmann::json& args) {
  auto now = ike_now();
  nlohmann::json result;
  if (command == "status") {
    result = status_json();
  } else if (command == "policies") {
    result = policies_json();
  } else if (command == "counters") {
    const auto& c = ike_->counters();
    const auto& st = ipsec_->stats();
    nlohmann::json drops;
    for (size_t i = 0; i < st.discards.size(); ++i)
      if (st.discards[i])
        drops[std::string(ipsec::name(static_cast<ipsec::DiscardReason>(i)))] = st.discards[i];
    result = {{"ike",
               {{"rx_datagrams", c.rx_datagrams},
                {"rx_malformed", c.rx_malformed},
                {"rx_unknown_spi", c.rx_unknown_spi},
                {"rx_bad_icv", c.rx_bad_icv},
                {"tx_datagrams", c.tx_datagrams},
                {"tx_retransmits", c.tx_retransmits},
                {"tx_fragments", c.tx_fragments},
                {"rx_fragments", c.rx_fragments},
                {"half_open_dropped", c.half_open_dropped},
                {"ike_sa_established", c.ike_sa_established},
                {"child_sa_established", c.child_sa_established},
                {"auth_failed", c.auth_failed}}},
              {"esp",
               {{"outbound_protected", st.outbound_protected},
                {"outbound_needs_sa", st.outbound_needs_sa},
                {"inbound_delivered", st.inbound_delivered},
                {"discards", drops}}},
              {"io",
               {{"tun_rx", tun_rx_},
                {"tun_tx", tun_tx_},
                {"esp_rx", esp_rx_},
                {"esp_tx", esp_tx_},
                {"send_errors", send_errors_}}}};
  } else if (command == "initiate") {
    std::string conn = args.value("connection", "");
    if (!config_.find_connection(conn))
      return ctl_error(ctl_code::kNotFound, "no connection named '" + conn + "'");
    auto r = ike_->initiate(conn, args.value("child", ""), now);
    drive();
    if (!r) return ctl_error(ctl_code::kFailed, r.error().message);
    result = {{"ike_sa", *r}};
  } else if (command == "terminate") {
    if (args.contains("ike_sa")) {
      auto r = ike_->terminate_ike(args["ike_sa"].get<uint64_t>(), now);
      drive();
      if (!r) return ctl_error(ctl_code::kNotFound, r.error().message);
    } else {
      std::string conn = args.value("connection", "");
      if (!config_.find_connection(conn))
        return ctl_error(ctl_code::kNotFound, "no connection named '" + conn + "'");
      ike_->terminate_connection(conn, now);
      drive();
    }
    result = nullptr;
  } else if (command == "rekey" || command == "dpd") {
    // By connection name: the first established IKE SA of it (what a person means).
    std::string conn = args.value("connection", "");
    if (!config_.find_connection(conn))
      return ctl_error(ctl_code::kNotFound, "no connection named '" + conn + "'");
    std::string child = args.value("child", "");
    bool ike_sa = args.value("ike", false);
    for (const auto& s : ike_->status()) {
      if (s.connection != conn || s.state != "established") continue;
      Result<void> r;
      if (command == "dpd") {
        r = ike_->send_dpd(s.id, now);
      } else if (ike_sa) {
        r = ike_->rekey_ike(s.id, now);
      } else {
        bool any = false;
        for (const auto& c : s.children) {
          if (!child.empty() && c.name != child) continue;
          any = true;
          r = ike_->rekey_child(s.id, c.spi_in, now);
          if (!r) break;
        }
        if (!any) return ctl_error(ctl_code::kNotFound, "no Child SA '" + child + "' in " + conn);
      }
      drive();
      if (!r) return ctl_error(ctl_code::kFailed, r.error().message);
      return ctl_ok({{"ike_sa", s.id}});
    }
    return ctl_error(ctl_code::kNotFound, "connection '" + conn + "' has no established IKE SA");
  } else if (command == "reload") {
    if (auto r = reload(); !r) return ctl_error(ctl_code::kFailed, r.error().message);
    result = {{"connections", config_.connections.size()}};
  } else if (command == "flush") {
    ike_->terminate_all(now);
    drive();
    for (auto* sa : ipsec_->sad().all()) ipsec_->remove_sa(sa->id);
    result = nullptr;
  } else if (command == "sa-add") {
    return sa_add(args);
  } else if (command == "sa-del") {
    return sa_del(args);
  } else if (command == "setkey") {
    return setkey(args);
  } else if (command == "certs") {
    result = certs_json();
  } else if (command == "config-dump") {
    result = config::dump_swanctl(config_, false);
  } else {
    return ctl_error(ctl_code::kUnknownCommand, "unknown command '" + command + "'");
  }
  return ctl_ok(std::move(result));
}

}  // namespace portunus::daemon
